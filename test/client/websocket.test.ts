// The client over WebSocket (one Kafka frame per binary message): the same
// admin + producer → consumer round trip as over TCP, against (1) a small `ws`
// server in this test that hands each frame to the broker's Kafka handler, so the
// WebSocket transport is tested whether or not the broker's own listener is
// there, and (2) the broker's WebSocket listener at ws://HOST:HTTP_PORT/kafka,
// when startBroker serves one (skipped otherwise); and (3) the browser entry alone
// over the WHATWG WebSocket (a child Node with --experimental-websocket).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { Admin, Consumer, Producer, isCompressionAvailable } from '../../src/client/index.js';
import { type TestBroker, collect, startTestBroker, text } from './helpers.js';

let tb: TestBroker;
let shim: WebSocketServer;
let shimUrl: string;

before(async () => {
  tb = await startTestBroker();
  shim = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/kafka' });
  await new Promise<void>((resolve) => shim.once('listening', () => resolve()));
  const address = shim.address();
  assert.ok(typeof address === 'object' && address !== null);
  shimUrl = `ws://127.0.0.1:${address.port}/kafka`;
  shim.on('connection', (socket) => {
    const abort = new AbortController();
    let chain: Promise<void> = Promise.resolve();
    socket.on('close', () => abort.abort());
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) {
        socket.close();
        return;
      }
      const answer = tb.broker.kafka.handle(new Uint8Array(data), { signal: abort.signal });
      // Kafka's rule: answers in request order.
      chain = chain.then(() =>
        answer.then(
          (res) => {
            if (res !== null) socket.send(res);
          },
          () => socket.close(),
        ),
      );
    });
  });
});

after(async () => {
  for (const c of shim.clients) c.terminate();
  await new Promise<void>((resolve) => shim.close(() => resolve()));
  await tb.close();
});

async function roundTrip(url: string, topic: string): Promise<void> {
  const admin = new Admin({ url });
  await admin.createTopics([{ name: topic, numPartitions: 2 }]);
  assert.ok((await admin.listTopics()).includes(topic));
  const compression = isCompressionAvailable('lz4') ? 'lz4' : 'none';
  const producer = new Producer({ url, lingerMs: 1, compression });
  const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 11}`, value: `over websocket ${i}`, headers: { n: String(i) } }));
  const meta = await producer.send({ topic, messages });
  await producer.close();
  const consumer = new Consumer({ url, autoOffsetReset: 'earliest', maxWaitMs: 100 });
  await consumer.assign([{ topic }]);
  const got = await collect(consumer, 200);
  await consumer.close();
  const byPlace = new Map(got.map((m) => [`${m.partition}/${m.offset}`, m]));
  meta.forEach((md, i) => {
    const m = byPlace.get(`${md.partition}/${md.offset}`)!;
    assert.equal(text(m.key), messages[i]!.key);
    assert.equal(text(m.value), messages[i]!.value);
    assert.equal(text(m.headers[0]!.value), String(i));
  });
  const offsets = await admin.listOffsets(topic, 'latest');
  assert.equal(
    offsets.reduce((n, o) => n + o.offset, 0),
    200,
  );
  await admin.close();
}

test('round trip over the WebSocket transport (ws server on the Kafka handler)', async () => {
  await roundTrip(shimUrl, 'ws-shim');
});

test('a bad url is a clear error; a refused connection is a ConnectionError', async () => {
  assert.throws(() => new Producer({}), /bootstrap|url/);
  const p = new Producer({ url: 'http://127.0.0.1:1/kafka' });
  await assert.rejects(p.connect(), /ws:\/\//);
  const refused = new Admin({ url: 'ws://127.0.0.1:1/kafka', connectTimeoutMs: 2000 });
  await assert.rejects(refused.listTopics(), (e: unknown) => e instanceof Error && e.name === 'ConnectionError');
});

test("round trip over the broker's own WebSocket listener (ws://HOST:HTTP_PORT/kafka)", async (t) => {
  const port = tb.broker.httpPort;
  if (!(port > 0)) {
    t.skip('startBroker does not serve HTTP/WebSocket yet (httpPort is 0)');
    return;
  }
  const url = `ws://127.0.0.1:${port}/kafka`;
  const probe = new Admin({ url, connectTimeoutMs: 2000 });
  try {
    await probe.listTopics();
  } catch (err) {
    t.skip(`no Kafka WebSocket listener at ${url}: ${(err as Error).message}`);
    return;
  } finally {
    await probe.close();
  }
  await roundTrip(url, 'ws-listener');
});

test('the browser entry over a WHATWG WebSocket (Node --experimental-websocket), plain-JS CRC, no Node codecs', async (t) => {
  const port = tb.broker.httpPort;
  if (!(port > 0)) {
    t.skip('startBroker does not serve HTTP/WebSocket');
    return;
  }
  const probe = spawnSync(process.execPath, ['--experimental-websocket', '-e', 'process.exit(typeof WebSocket === "function" ? 0 : 3)']);
  if (probe.status !== 0) {
    t.skip('this Node has no WHATWG WebSocket');
    return;
  }
  const entry = fileURLToPath(new URL('../../src/client/browser.js', import.meta.url));
  // The child loads only the browser entry: no node-codecs, so the CRC is the JS one.
  const script = `
    const { Admin, Consumer, Producer, isCompressionAvailable } = await import(${JSON.stringify(entry)});
    if (isCompressionAvailable('gzip')) throw new Error('the browser entry registered a Node codec');
    const url = process.env.SAMSA_URL;
    const admin = new Admin({ url });
    await admin.createTopics([{ name: 'ws-browser', numPartitions: 2 }]);
    const producer = new Producer({ url, lingerMs: 1 });
    const meta = await producer.send({ topic: 'ws-browser', messages: Array.from({ length: 300 }, (_, i) => ({ key: 'k' + i, value: 'v' + i, headers: { i: String(i) } })) });
    await producer.close();
    const consumer = new Consumer({ url, autoOffsetReset: 'earliest', maxWaitMs: 100 });
    await consumer.assign([{ topic: 'ws-browser' }]);
    const seen = new Map();
    for await (const m of consumer) {
      seen.set(m.partition + '/' + m.offset, new TextDecoder().decode(m.value));
      if (seen.size === 300) break;
    }
    await consumer.close();
    await admin.close();
    meta.forEach((md, i) => { if (seen.get(md.partition + '/' + md.offset) !== 'v' + i) throw new Error('mismatch at ' + i); });
    console.log('ok ' + seen.size);
  `;
  // Asynchronous spawn: the broker answering the child runs in this process's event loop.
  const child = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const c = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '--input-type=module', '-e', script], {
      env: { ...process.env, SAMSA_URL: `ws://127.0.0.1:${port}/kafka` },
    });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => c.kill(), 15_000);
    c.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
  assert.equal(child.code, 0, child.out);
  assert.match(child.out, /ok 300/);
});
