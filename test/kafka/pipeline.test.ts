// RequestPipeline and KafkaConnection with a scripted handler double: start rules,
// response order, the in-flight bound (backpressure) and framing across chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import type { ConnectionContext, KafkaHandler } from '../../src/kafka/handler.js';
import { DEFAULT_KAFKA_OPTIONS } from '../../src/kafka/handler.js';
import { RequestPipeline } from '../../src/kafka/pipeline.js';
import { KafkaConnection } from '../../src/kafka/connection.js';
import { RawClient } from './harness.js';

interface Call {
  frame: Uint8Array;
  resolve(chunks: Uint8Array[] | null): void;
  reject(err: unknown): void;
}

/** A handler whose every request waits until the test resolves it. */
function scriptedHandler(): { handler: KafkaHandler; calls: Call[] } {
  const calls: Call[] = [];
  const handleChunks = (frame: Uint8Array, _conn: ConnectionContext) =>
    new Promise<Uint8Array[] | null>((resolve, reject) => calls.push({ frame, resolve, reject }));
  const handler: KafkaHandler = {
    handleChunks,
    handle: async () => null,
    options: DEFAULT_KAFKA_OPTIONS,
    apiVersions: [],
    setAdvertisedListener: () => {},
  };
  return { handler, calls };
}

const frame = (apiKey: number, id: number) => Uint8Array.from([0, apiKey, 0, 0, 0, 0, 0, id]);
const tick = () => new Promise((r) => setImmediate(r));

test('produces overlap; any other request waits for everything before it; responses stay in order', async () => {
  const { handler, calls } = scriptedHandler();
  const out: number[] = [];
  const p = new RequestPipeline(handler, { onResponse: (c) => out.push(c[0]![0]!), onError: assert.fail, onFreed: () => {} });
  p.submit(frame(0, 1));
  p.submit(frame(0, 2));
  p.submit(frame(1, 3)); // fetch: must wait for both produces
  p.submit(frame(0, 4)); // produce after a fetch: waits for the fetch
  assert.equal(calls.length, 2);
  calls[1]!.resolve([Uint8Array.of(2)]);
  await tick();
  assert.deepEqual(out, [], 'response 2 waits for response 1');
  calls[0]!.resolve([Uint8Array.of(1)]);
  await tick();
  assert.deepEqual(out, [1, 2]);
  assert.equal(calls.length, 3, 'the fetch starts once both produces finished');
  calls[2]!.resolve([Uint8Array.of(3)]);
  await tick();
  assert.equal(calls.length, 4);
  calls[3]!.resolve(null); // acks=0: no response
  await tick();
  assert.deepEqual(out, [1, 2, 3]);
  assert.equal(p.size, 0);
});

test('a failing request closes the pipeline', async () => {
  const { handler, calls } = scriptedHandler();
  let failed = 0;
  const p = new RequestPipeline(handler, { onResponse: () => assert.fail('no response after failure'), onError: () => failed++, onFreed: () => {} });
  p.submit(frame(0, 1));
  p.submit(frame(0, 2));
  calls[0]!.reject(new Error('boom'));
  await tick();
  calls[1]!.resolve([Uint8Array.of(2)]);
  await tick();
  assert.equal(failed, 1);
  p.submit(frame(3, 3));
  assert.equal(calls.length, 2, 'closed pipelines start nothing');
});

test('the connection stops reading at maxInFlight and resumes as responses go out', async () => {
  const { handler, calls } = scriptedHandler();
  let conn: KafkaConnection | undefined;
  const server = createServer((s) => {
    conn = new KafkaConnection(s, handler, { requestMaxBytes: 1024, maxInFlight: 4 });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  try {
    // 100 produce frames in one write, so they arrive in few chunks.
    const all: Uint8Array[] = [];
    for (let i = 0; i < 100; i++) {
      const f = frame(0, i);
      const sized = new Uint8Array(4 + f.length);
      new DataView(sized.buffer).setInt32(0, f.length);
      sized.set(f, 4);
      all.push(sized);
    }
    client.writeRaw(Buffer.concat(all));
    let answered = 0;
    const reader = (async () => {
      for (let i = 0; i < 100; i++) {
        const next = await client.nextFrame();
        assert.ok(next !== null);
        assert.equal(next[0], i, 'responses in request order');
        answered++;
      }
    })();
    for (let round = 0; round < 10_000 && answered < 100; round++) {
      await tick();
      assert.ok(conn!.inFlight <= 4, `in flight ${conn!.inFlight} exceeds the bound`);
      for (const c of calls.splice(0)) c.resolve([c.frame.subarray(7, 8)]);
    }
    await reader;
    assert.equal(answered, 100);
  } finally {
    client.close();
    server.close();
  }
});

test('the connection stops reading while the engine reports backpressure', async () => {
  const { handler, calls } = scriptedHandler();
  let engineFull = true;
  const server = createServer((s) => {
    new KafkaConnection(s, handler, { requestMaxBytes: 1024, maxInFlight: 64, engineBackpressured: () => engineFull });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  try {
    const f = frame(0, 1);
    const sized = new Uint8Array(4 + f.length);
    new DataView(sized.buffer).setInt32(0, f.length);
    sized.set(f, 4);
    client.writeRaw(sized);
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls.length, 0, 'no request starts while the engine is full');
    engineFull = false;
    for (let i = 0; i < 200 && calls.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(calls.length, 1);
    calls[0]!.resolve([Uint8Array.of(1)]);
    assert.deepEqual([...(await client.nextFrame())!], [1]);
  } finally {
    client.close();
    server.close();
  }
});

test('an idle connection is closed, one with a request in flight is not', async () => {
  const { handler, calls } = scriptedHandler();
  const server = createServer((s) => {
    new KafkaConnection(s, handler, { requestMaxBytes: 1024, maxInFlight: 8, idleTimeoutMs: 30 });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const idle = await RawClient.connect(port);
    await idle.closed; // closed by the broker after ~30 ms
    const busy = await RawClient.connect(port);
    const f = frame(1, 1);
    const sized = new Uint8Array(4 + f.length);
    new DataView(sized.buffer).setInt32(0, f.length);
    sized.set(f, 4);
    busy.writeRaw(sized);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(calls.length, 1);
    calls[0]!.resolve([Uint8Array.of(7)]);
    assert.deepEqual([...(await busy.nextFrame())!], [7], 'still open after the idle time while a request was in flight');
    busy.close();
  } finally {
    server.close();
  }
});

test('a client that pipelines Fetches and does not read gets no more responses built than its socket takes; reading again gets them all, in order', async () => {
  // Every request is answered at once with 4 MiB: far more than the socket buffers hold.
  let built = 0;
  const big = new Uint8Array(4 * 1024 * 1024);
  const handler: KafkaHandler = {
    handleChunks: async (f) => {
      built++;
      return [Uint8Array.of(f[7]!), big];
    },
    handle: async () => null,
    options: DEFAULT_KAFKA_OPTIONS,
    apiVersions: [],
    setAdvertisedListener: () => {},
  };
  const server = createServer((s) => {
    new KafkaConnection(s, handler, { requestMaxBytes: 1024, maxInFlight: 64 });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = await RawClient.connect((server.address() as AddressInfo).port);
  try {
    client.socket.pause();
    const all: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) {
      const f = frame(1, i);
      const sized = new Uint8Array(4 + f.length);
      new DataView(sized.buffer).setInt32(0, f.length);
      sized.set(f, 4);
      all.push(sized);
    }
    client.writeRaw(Buffer.concat(all));
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(built <= 3, `${built} responses of 4 MiB built for a socket that reads nothing`);
    client.socket.resume();
    for (let i = 0; i < 20; i++) {
      const r = await client.nextFrame();
      assert.ok(r !== null);
      assert.equal(r[0], i);
    }
    assert.equal(built, 20);
  } finally {
    client.close();
    server.close();
  }
});
