// The table view (src/table/, src/http/table-routes.ts, table-stream.ts) on both
// transports: the latest record per key of a compacted topic (404 after a tombstone),
// key formats, pages in key order, read-your-writes on any topic, thousands of keys
// through a tiny memory bound (spilled runs on disk) against a model, the WebSocket
// change stream with a snapshot and its slow-consumer bound, a rebuild after a
// restart, and the 4xx rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { startBroker } from '../../src/index.js';
import { TRANSPORTS, WsClient, refusedUpgrade, request, startHttpTestBroker, until, type HttpResult, type HttpTestBroker } from './harness.js';

const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';
/** Tiny: a few dozen keys fit; the big test spills many runs. */
const TABLE_MEMORY_BYTES = 8 * 1024;
const SEND_BUFFER_BYTES = 64 * 1024;

interface Row {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

interface Page {
  records: Row[];
  next: string | null;
}

interface Change extends Partial<Row> {
  op: string;
}

function b64(s: string | Uint8Array): string {
  return Buffer.from(s).toString('base64');
}

async function expectError(p: Promise<HttpResult>, status: number, code: number, messagePart?: RegExp): Promise<void> {
  const r = await p;
  assert.equal(r.status, status, r.text);
  const e = r.json as { error_code: number; message: string };
  assert.equal(e.error_code, code, e.message);
  if (messagePart !== undefined) assert.match(e.message, messagePart);
}

for (const transport of TRANSPORTS) {
  describe(`table view over ${transport}`, () => {
    let b: HttpTestBroker;
    const get = (path: string, accept = JSON_V2) => request(b.base, 'GET', path, undefined, { accept });
    const produce = async (topic: string, records: unknown[], contentType = BINARY): Promise<void> => {
      const r = await request(b.base, 'POST', `/topics/${topic}`, { records }, { 'content-type': contentType });
      assert.equal(r.status, 200, r.text);
    };
    const createTopic = async (name: string, partitions: number, compact: boolean): Promise<void> => {
      const r = await request(b.base, 'POST', '/topics', { name, partitions, configs: compact ? { 'cleanup.policy': 'compact' } : {} }, { 'content-type': 'application/json' });
      assert.equal(r.status, 201, r.text);
    };
    const allPages = async (topic: string, query: string, accept = JSON_V2): Promise<Row[]> => {
      const out: Row[] = [];
      let cursor = '';
      for (let i = 0; i < 10_000; i++) {
        const r = await get(`/topics/${topic}/table?${query}${cursor === '' ? '' : `&cursor=${cursor}`}`, accept);
        assert.equal(r.status, 200, r.text);
        const page = r.json as Page;
        out.push(...page.records);
        if (page.next === null) return out;
        cursor = page.next;
      }
      throw new Error('pages did not end');
    };

    before(async () => {
      b = await startHttpTestBroker(transport, { tableMemoryBytes: TABLE_MEMORY_BYTES, wsSendBufferBytes: SEND_BUFFER_BYTES, consumeReadBytes: 64 * 1024 });
    });
    after(() => b.close());

    test('latest value per key of a compacted topic; a tombstone deletes; key formats', async () => {
      await createTopic('accounts', 3, true);
      await produce('accounts', [
        { key: b64('user-1'), value: b64('{"balance":10}') },
        { key: b64('user-2'), value: b64('{"balance":20}') },
        { key: b64('user-1'), value: b64('{"balance":11}') },
        { key: b64(Uint8Array.of(0xff, 0x00)), value: b64('raw') },
      ]);
      const one = await get('/topics/accounts/table/user-1');
      assert.equal(one.status, 200, one.text);
      assert.equal(one.headers.get('content-type'), JSON_V2);
      const row = one.json as Row;
      assert.deepEqual([row.topic, row.key, row.value], ['accounts', 'user-1', { balance: 11 }]);
      assert.deepEqual((await get('/topics/accounts/table/user-1', BINARY)).json, { ...row, key: b64('user-1'), value: b64('{"balance":11}'), headers: [] });
      await expectError(get('/topics/accounts/table/user-9'), 404, 40410);

      await produce('accounts', [{ key: b64('user-2'), value: null }]);
      await expectError(get('/topics/accounts/table/user-2'), 404, 40410, /tombstone/);

      // REST Proxy's json embedded format stores the key "acct-1" as the JSON text "acct-1" (quoted).
      await produce('accounts', [{ key: 'acct-1', value: { open: true } }], JSON_V2);
      await expectError(get('/topics/accounts/table/acct-1'), 404, 40410);
      assert.deepEqual(((await get('/topics/accounts/table/acct-1?key_format=json')).json as Row).value, { open: true });
      assert.deepEqual(((await get('/topics/accounts/table/%22acct-1%22')).json as Row).value, { open: true }, 'the same bytes, spelled out');
      const raw = await get(`/topics/accounts/table/${Buffer.from([0xff, 0x00]).toString('base64url')}?key_format=binary`, BINARY);
      assert.equal(raw.status, 200, raw.text);
      assert.equal((raw.json as Row).value, b64('raw'));

      const page = await get('/topics/accounts/table?prefix=user-');
      assert.deepEqual((page.json as Page).records.map((r) => [r.key, r.value]), [['user-1', { balance: 11 }]]);
      assert.equal((page.json as Page).next, null);
      const json = await get('/topics/accounts/table?prefix=acct&key_format=json');
      assert.deepEqual((json.json as Page).records.map((r) => r.key), ['acct-1'], 'a json prefix leaves the closing quote off');
      const all = await allPages('accounts', 'limit=1');
      assert.deepEqual(all.slice(0, 2).map((r) => r.key), ['acct-1', 'user-1'], '"acct-1" (0x22…) sorts before user-1, and the 0xff key last');
      assert.equal(all.length, 3, 'three live keys, one per page, in byte order');
    });

    test('any topic has a table on request, and a query sees what was appended before it', async () => {
      await createTopic('events', 2, false);
      for (let i = 0; i < 20; i++) {
        await produce('events', [{ key: b64(`k${i % 4}`), value: b64(String(i)) }]);
        const r = await get(`/topics/events/table/k${i % 4}`);
        assert.equal((r.json as Row).value, i, 'read-your-writes: the latest append is there at once');
      }
      assert.deepEqual((await allPages('events', 'limit=3')).map((r) => [r.key, r.value]), [['k0', 16], ['k1', 17], ['k2', 18], ['k3', 19]]);
    });

    test('thousands of keys through a tiny memory bound: spilled runs on disk, answers match a model', async () => {
      await createTopic('big', 2, true);
      const model = new Map<string, string>();
      const keyOf = (i: number): string => `key-${String(i).padStart(5, '0')}`;
      for (let round = 0; round < 3; round++) {
        for (let start = 0; start < 3000; start += 500) {
          const recs = [];
          for (let i = start; i < start + 500; i++) {
            const k = keyOf(i);
            const deleted = round === 2 && i % 3 === 0;
            const v = deleted ? null : `v${round}-${i}`;
            recs.push({ key: Buffer.from(k), value: v === null ? null : Buffer.from(v), partition: i % 2 });
            if (v === null) model.delete(k);
            else model.set(k, v);
          }
          for (const p of [0, 1]) {
            const r = await b.counted.append('big', p, encodeRecordBatch(recs.filter((x) => x.partition === p).map(({ key, value }) => ({ key, value }))), 1);
            assert.equal(r.errorCode, 0);
          }
        }
      }
      const rows = await allPages('big', 'limit=1000', BINARY);
      const got = rows.map((r) => [Buffer.from(String(r.key), 'base64').toString(), Buffer.from(String(r.value), 'base64').toString()]);
      assert.deepEqual(got, [...model.entries()].sort(([x], [y]) => (x < y ? -1 : 1)));
      assert.equal((await get(`/topics/big/table/${keyOf(3)}`)).status, 404);
      assert.equal(((await get(`/topics/big/table/${keyOf(4)}`, BINARY)).json as Row).value, b64('v2-4'));
      const dir = join(b.dataDir, '.tables');
      const runs = readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.run'));
      assert.ok(runs.length > 0, 'the key map spilled to run files');
      const prefixed = await allPages('big', 'prefix=key-029&limit=7', BINARY);
      assert.equal(prefixed.length, [...model.keys()].filter((k) => k.startsWith('key-029')).length);
    });

    test('changes stream: a snapshot, then upserts and deletes as they are appended', async () => {
      await createTopic('live', 2, true);
      await produce('live', [{ key: b64('a'), value: b64('1') }, { key: b64('b'), value: b64('2') }, { key: b64('a'), value: b64('3') }]);
      const c = await WsClient.open(`${b.wsBase}/topics/live/table/changes?snapshot=true`);
      const snap = [(await c.nextJson()) as Change, (await c.nextJson()) as Change];
      assert.deepEqual(snap.map((m) => [m.op, m.key, m.value]), [['snapshot', 'a', 3], ['snapshot', 'b', 2]]);
      const end = (await c.nextJson()) as Change & { offsets: Array<{ partition: number; offset: number }> };
      assert.equal(end.op, 'snapshot_end');
      assert.equal(end.offsets.length, 2);
      await produce('live', [{ key: b64('c'), value: b64('4') }]);
      await produce('live', [{ key: b64('a'), value: null }]);
      await produce('live', [{ value: b64('no key: not a table row') }]);
      await produce('live', [{ key: b64('b'), value: b64('5') }]);
      const changes = [(await c.nextJson()) as Change, (await c.nextJson()) as Change, (await c.nextJson()) as Change];
      assert.deepEqual(changes.map((m) => [m.op, m.key, m.value]), [['upsert', 'c', 4], ['delete', 'a', null], ['upsert', 'b', 5]]);
      c.close();

      const fromNow = await WsClient.open(`${b.wsBase}/topics/live/table/changes?format=binary`);
      await until(() => b.http.connectionCounts().ws_consume >= 1, 10_000, 'the stream to open');
      await new Promise((r) => setTimeout(r, 50));
      await produce('live', [{ key: b64('d'), value: b64('6') }]);
      const m = (await fromNow.nextJson()) as Change;
      assert.deepEqual([m.op, m.key, m.value], ['upsert', b64('d'), b64('6')], 'without snapshot: changes from when it opened');
      fromNow.close();
    });

    test('a change stream to a socket that stops reading pauses within its bound', async () => {
      await createTopic('flood', 1, false);
      const pad = 'x'.repeat(2000);
      const total = 3000;
      const c = await WsClient.open(`${b.wsBase}/topics/flood/table/changes`);
      await until(() => b.http.connectionCounts().ws_consume >= 1, 10_000, 'the stream to open');
      await new Promise((r) => setTimeout(r, 50));
      c.ws.pause();
      const before = b.http.streamStats();
      for (let i = 0; i < total; i += 300) {
        const recs = Array.from({ length: 300 }, (_, j) => ({ key: `k${i + j}`, value: JSON.stringify({ i: i + j, pad }) }));
        assert.equal((await b.counted.append('flood', 0, encodeRecordBatch(recs), 1)).errorCode, 0);
      }
      await until(() => b.http.streamStats().consumePauses > before.consumePauses, 30_000, 'the stream to pause');
      assert.ok(b.http.streamStats().consumeMaxBufferedBytes <= SEND_BUFFER_BYTES + 2200, `max buffered ${b.http.streamStats().consumeMaxBufferedBytes}`);
      c.ws.resume();
      for (let i = 0; i < total; i++) {
        const m = (await c.nextJson()) as Change;
        assert.equal(m.offset, i);
      }
      c.close();
    });

    test('bad input: 4xx JSON with REST Proxy-style codes', async () => {
      await createTopic('tb', 1, true);
      await expectError(get('/topics/no-such/table/k'), 404, 40401);
      await expectError(get('/topics/bad%20name/table'), 422, 42217);
      await expectError(get('/topics/tb/table?limit=0'), 422, 42201);
      await expectError(get('/topics/tb/table?limit=1001'), 422, 42201);
      await expectError(get('/topics/tb/table/k?key_format=xml'), 422, 42201);
      await expectError(get('/topics/tb/table/%%%?key_format=binary'), 422, 42201);
      await expectError(get('/topics/tb/table?cursor=nope'), 422, 42201);
      await expectError(get('/topics/tb/table/k', 'application/vnd.kafka.avro.v2+json'), 406, 406);
      await expectError(request(b.base, 'POST', '/topics/tb/table/k', {}), 405, 405);
      const refused = await refusedUpgrade(`${b.wsBase}/topics/no-such/table/changes`);
      assert.deepEqual([refused.status, refused.body.error_code], [404, 40401]);
      const bad = await refusedUpgrade(`${b.wsBase}/topics/tb/table/changes?snapshot=maybe`);
      assert.deepEqual([bad.status, bad.body.error_code], [422, 42201]);
    });
  });
}

test('a table is rebuilt from the log after a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-table-restart-'));
  try {
    let broker = await startBroker({ dataDir, shards: 1 });
    let base = `http://127.0.0.1:${broker.httpPort}`;
    assert.equal((await request(base, 'POST', '/topics', { name: 'prices', partitions: 2, configs: { 'cleanup.policy': 'compact' } }, { 'content-type': 'application/json' })).status, 201);
    const r = await request(base, 'POST', '/topics/prices', { records: [{ key: 'ACME', value: 10 }, { key: 'INIT', value: 1 }, { key: 'ACME', value: 12 }, { key: 'INIT', value: null }] }, { 'content-type': JSON_V2 });
    assert.equal(r.status, 200, r.text);
    assert.equal(((await request(base, 'GET', '/topics/prices/table/ACME?key_format=json')).json as Row).value, 12);
    await broker.close();
    assert.equal(existsSync(join(dataDir, '.tables')), false, 'the scratch runs go with the broker');

    broker = await startBroker({ dataDir, shards: 1 });
    base = `http://127.0.0.1:${broker.httpPort}`;
    try {
      assert.equal(((await request(base, 'GET', '/topics/prices/table/ACME?key_format=json')).json as Row).value, 12);
      assert.equal((await request(base, 'GET', '/topics/prices/table/INIT?key_format=json')).status, 404);
      const page = (await request(base, 'GET', '/topics/prices/table')).json as Page;
      assert.deepEqual(page.records.map((x) => [x.key, x.value]), [['ACME', 12]]);
    } finally {
      await broker.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
