// The HTTP JSON API on both transports: every endpoint, each 4xx case with its
// error code, produce/consume round trips in both embedded formats, long-poll,
// health and metrics.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { partitionForKey } from '../../src/wire/partitioner.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { TRANSPORTS, request, startHttpTestBroker, until, type HttpTestBroker } from './harness.js';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';

interface ErrorBody {
  error_code: number;
  message: string;
}
interface Offset {
  partition: number;
  offset: number | null;
  error_code: number | null;
  error: string | null;
}
interface JsonRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Array<{ key: string; value: string | null }>;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

for (const transport of TRANSPORTS) {
  describe(`HTTP API over ${transport}`, () => {
    let b: HttpTestBroker;
    let shardsReady = true;
    const get = (path: string, headers?: Record<string, string>) => request(b.base, 'GET', path, undefined, headers);
    const post = (path: string, body: unknown, headers?: Record<string, string>) => request(b.base, 'POST', path, body, headers);
    async function expectError(p: Promise<{ status: number; json: unknown }>, status: number, code: number, messagePart?: RegExp): Promise<ErrorBody> {
      const r = await p;
      assert.equal(r.status, status, JSON.stringify(r.json));
      const e = r.json as ErrorBody;
      assert.equal(e.error_code, code, e.message);
      assert.equal(typeof e.message, 'string');
      if (messagePart !== undefined) assert.match(e.message, messagePart);
      return e;
    }

    before(async () => {
      b = await startHttpTestBroker(transport, { defaultPartitions: 2, ready: () => shardsReady });
      await b.engine.createTopic('small', 1, { 'max.message.bytes': 2048 });
    });
    after(() => b.close());

    test('GET / lists endpoints; unknown paths are 404 and wrong methods 405', async () => {
      const root = await get('/');
      assert.equal(root.status, 200);
      assert.ok((root.json as { endpoints: string[] }).endpoints.includes('GET /topics'));
      await expectError(get('/nope'), 404, 404);
      const r = await request(b.base, 'PUT', '/topics');
      assert.equal(r.status, 405);
      assert.equal((r.json as ErrorBody).error_code, 405);
      assert.match(r.headers.get('allow') ?? '', /GET/);
    });

    test('GET /healthz is 200 {"status":"ok"} once the shards are ready, 503 before', async () => {
      const r = await get('/healthz');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'ok' });
      shardsReady = false;
      try {
        const down = await get('/healthz');
        assert.equal(down.status, 503);
        assert.deepEqual(down.json, { status: 'unavailable' });
      } finally {
        shardsReady = true;
      }
    });

    test('topic admin: create, list, describe, offsets, delete', async () => {
      const created = await post('/topics', { name: 'admin-a', partitions: 3, configs: { 'retention.ms': 60000, 'compression.type': 'gzip' } }, { 'content-type': 'application/json' });
      assert.equal(created.status, 201, created.text);
      const d = created.json as { name: string; configs: Record<string, string>; partitions: Array<{ partition: number; leader: number }> };
      assert.equal(d.name, 'admin-a');
      assert.equal(d.configs['retention.ms'], '60000');
      assert.deepEqual(d.partitions.map((p) => p.partition), [0, 1, 2]);

      const withDefaults = await post('/topics', { name: 'admin-b', configs: [{ name: 'cleanup.policy', value: 'compact' }] });
      assert.equal(withDefaults.status, 201, withDefaults.text);
      assert.equal((withDefaults.json as { partitions: unknown[] }).partitions.length, 2); // defaultPartitions
      assert.equal((withDefaults.json as { configs: Record<string, string> }).configs['cleanup.policy'], 'compact');

      const list = await get('/topics');
      assert.equal(list.status, 200);
      assert.ok((list.json as string[]).includes('admin-a') && (list.json as string[]).includes('admin-b'));

      const desc = await get('/topics/admin-a');
      assert.equal(desc.status, 200);
      assert.equal((desc.json as { partitions: unknown[] }).partitions.length, 3);

      const parts = await get('/topics/admin-a/partitions');
      assert.equal((parts.json as unknown[]).length, 3);
      const p1 = await get('/topics/admin-a/partitions/1');
      assert.equal((p1.json as { partition: number }).partition, 1);

      await b.counted.append('admin-a', 1, encodeRecordBatch([{ value: 'x' }, { value: 'y' }]), -1);
      const offs = await get('/topics/admin-a/offsets');
      assert.deepEqual(offs.json, [
        { partition: 0, beginning_offset: 0, end_offset: 0 },
        { partition: 1, beginning_offset: 0, end_offset: 2 },
        { partition: 2, beginning_offset: 0, end_offset: 0 },
      ]);
      const po = await get('/topics/admin-a/partitions/1/offsets');
      assert.deepEqual(po.json, { beginning_offset: 0, end_offset: 2 });

      const del = await request(b.base, 'DELETE', '/topics/admin-b');
      assert.equal(del.status, 200);
      await expectError(get('/topics/admin-b'), 404, 40401);
      await expectError(request(b.base, 'DELETE', '/topics/admin-b'), 404, 40401);
    });

    test('topic admin errors: duplicate, invalid name, partitions, configs, bad JSON', async () => {
      await post('/topics', { name: 'dup', partitions: 1 });
      await expectError(post('/topics', { name: 'dup', partitions: 1 }), 409, 40936, /already exists/);
      await expectError(post('/topics', { name: 'bad/name', partitions: 1 }), 422, 42217, /invalid topic name/);
      await expectError(post('/topics', { name: '..', partitions: 1 }), 422, 42217);
      await expectError(post('/topics', { name: 'p0', partitions: 0 }), 422, 42237);
      await expectError(post('/topics', { name: 'p1', partitions: 'three' }), 422, 42237);
      await expectError(post('/topics', { name: 'c1', partitions: 1, configs: { 'no.such.config': '1' } }), 422, 42240, /no\.such\.config/);
      await expectError(post('/topics', { name: 'c2', partitions: 1, configs: { 'retention.ms': 'soon' } }), 422, 42240);
      await expectError(post('/topics', '{"name": '), 422, 42201, /not valid JSON/);
      await expectError(post('/topics', [1, 2]), 422, 42201);
      await expectError(post('/topics', { partitions: 1 }), 422, 42201, /name/);
      await expectError(post('/topics', 'x'.repeat(70 * 1024)), 413, 41310);
      await expectError(get('/topics/bad%2Fname'), 422, 42217);
      await expectError(get('/topics/nope'), 404, 40401, /nope/);
      await expectError(get('/topics/nope/offsets'), 404, 40401);
    });

    test('produce JSON: keyed records go where murmur2 puts them, unkeyed ones stick to one partition per request', async () => {
      await b.engine.createTopic('json4', 4);
      const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
      const r = await post('/topics/json4', { records: keys.map((k, i) => ({ key: k, value: { i } })) });
      assert.equal(r.status, 200, r.text);
      const offsets = (r.json as { offsets: Offset[] }).offsets;
      assert.equal(offsets.length, keys.length);
      keys.forEach((k, i) => {
        // The json format stores a key as its JSON text, as REST Proxy does.
        assert.equal(offsets[i]!.partition, partitionForKey(Buffer.from(JSON.stringify(k)), 4));
        assert.equal(offsets[i]!.error_code, null);
        assert.equal(typeof offsets[i]!.offset, 'number');
      });
      const unkeyed = await post('/topics/json4', { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
      const u = (unkeyed.json as { offsets: Offset[] }).offsets;
      assert.equal(new Set(u.map((o) => o.partition)).size, 1);
      assert.deepEqual(u.map((o) => o.offset! - u[0]!.offset!), [0, 1, 2]);

      const explicit = await post('/topics/json4', { records: [{ value: 'p3', partition: 3 }] });
      assert.equal((explicit.json as { offsets: Offset[] }).offsets[0]!.partition, 3);
    });

    test('produce and read back JSON values, keys and headers', async () => {
      await b.engine.createTopic('rt-json', 1);
      const values = [{ a: 1, b: [true, null] }, 'text', 42, null];
      const r = await post('/topics/rt-json/partitions/0', {
        records: values.map((v, i) => ({ key: i === 0 ? { id: 7 } : null, value: v, headers: i === 1 ? [{ key: 'h', value: 'hv' }] : i === 2 ? { trace: 'abc' } : undefined })),
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual((r.json as { offsets: Offset[] }).offsets.map((o) => o.offset), [0, 1, 2, 3]);
      const read = await get('/topics/rt-json/partitions/0/records?offset=0&timeout=0', { accept: JSON_V2 });
      assert.equal(read.status, 200, read.text);
      assert.match(read.headers.get('content-type') ?? '', /vnd\.kafka\.json\.v2\+json/);
      const recs = read.json as JsonRecord[];
      assert.deepEqual(recs.map((x) => x.value), values);
      assert.deepEqual(recs[0]!.key, { id: 7 });
      assert.equal(recs[1]!.key, null);
      assert.deepEqual(recs[1]!.headers, [{ key: 'h', value: 'hv' }]);
      assert.deepEqual(recs[2]!.headers, [{ key: 'trace', value: 'abc' }]);
      assert.deepEqual(recs.map((x) => x.offset), [0, 1, 2, 3]);
      assert.ok(recs.every((x) => x.topic === 'rt-json' && x.partition === 0 && typeof x.timestamp === 'number'));

      const from2 = await get('/topics/rt-json/partitions/0/records?offset=2&timeout=0');
      assert.deepEqual((from2.json as JsonRecord[]).map((x) => x.offset), [2, 3]);
    });

    test('binary format: base64 keys, values and headers both ways; plain text stays readable as json', async () => {
      await b.engine.createTopic('rt-bin', 2);
      const r = await post(
        '/topics/rt-bin',
        { records: [{ key: b64('k1'), value: b64('\u0000\u00ffraw'), headers: [{ key: 'h', value: b64('bin') }], partition: 1 }, { value: null, partition: 1 }] },
        { 'content-type': BINARY_V2 },
      );
      assert.equal(r.status, 200, r.text);
      const read = await get('/topics/rt-bin/partitions/1/records?offset=0&timeout=0', { accept: BINARY_V2 });
      assert.match(read.headers.get('content-type') ?? '', /binary/);
      const recs = read.json as JsonRecord[];
      assert.equal(recs[0]!.key, b64('k1'));
      assert.equal(recs[0]!.value, b64('\u0000\u00ffraw'));
      assert.deepEqual(recs[0]!.headers, [{ key: 'h', value: b64('bin') }]);
      assert.equal(recs[1]!.value, null);
      // Keyed binary records use the raw key bytes for murmur2.
      const keyed = await post('/topics/rt-bin', { records: [{ key: b64('user-1'), value: b64('v') }] }, { 'content-type': BINARY_V2 });
      assert.equal((keyed.json as { offsets: Offset[] }).offsets[0]!.partition, partitionForKey(Buffer.from('user-1'), 2));
      // Bytes that are not JSON come back from the json format as a string.
      await b.counted.append('rt-bin', 0, encodeRecordBatch([{ value: 'plain text, not JSON' }]), -1);
      const asJson = await get('/topics/rt-bin/partitions/0/records?offset=0&timeout=0');
      assert.equal((asJson.json as JsonRecord[]).at(-1)!.value, 'plain text, not JSON');
    });

    test('produce errors: body, records, partitions, media type and size', async () => {
      await b.engine.createTopic('perr', 2);
      await expectError(post('/topics/perr', '{"records": ['), 422, 42201, /not valid JSON/);
      await expectError(post('/topics/perr', ''), 422, 42201, /empty/);
      await expectError(post('/topics/perr', { recs: [] }), 422, 42201, /records/);
      await expectError(post('/topics/perr', { records: {} }), 422, 42201, /array/);
      await expectError(post('/topics/perr', { records: [] }), 422, 42201, /empty/);
      await expectError(post('/topics/perr', { records: [42] }), 422, 42201, /records\[0\]/);
      await expectError(post('/topics/perr', { records: [{ value: 1, headers: 'h' }] }), 422, 42201, /headers/);
      await expectError(post('/topics/perr', { records: [{ value: 'not base64!' }] }, { 'content-type': BINARY_V2 }), 422, 42201, /base64/);
      await expectError(post('/topics/perr', { records: [{ value: 1, partition: -1 }] }), 422, 42202, /partition/);
      await expectError(post('/topics/perr', { records: [{ value: 1, partition: 1.5 }] }), 422, 42202);
      await expectError(post('/topics/perr', { records: [{ value: 1, partition: 2 }] }), 404, 40402, /partition 2/);
      await expectError(post('/topics/perr/partitions/5', { records: [{ value: 1 }] }), 404, 40402);
      await expectError(post('/topics/perr/partitions/x', { records: [{ value: 1 }] }), 422, 42202);
      await expectError(post('/topics/perr/partitions/0', { records: [{ value: 1, partition: 1 }] }), 422, 42202, /URL/);
      await expectError(post('/topics/missing', { records: [{ value: 1 }] }), 404, 40401, /missing/);
      await expectError(post('/topics/bad%20name', { records: [{ value: 1 }] }), 422, 42217);
      await expectError(post('/topics/perr', { records: [{ value: 1 }] }, { 'content-type': 'application/vnd.kafka.avro.v2+json' }), 415, 415, /Content-Type/);
      await expectError(post('/topics/perr', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 422, 42201, /UTF-8/);
      await expectError(post('/topics/small', { records: [{ value: 'x'.repeat(4096) }] }), 413, 41310, /2048/);
      // Nothing of the failed requests was appended.
      assert.equal(b.engine.offsets('perr', 0).highWatermark + b.engine.offsets('perr', 1).highWatermark, 0);
    });

    test('a body over max.message.bytes is refused while it streams (chunked, no Content-Length)', async () => {
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${b.base}/topics/small`, { method: 'POST', headers: { 'content-type': JSON_V2, 'transfer-encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"records":[{"value":"');
        // Far more than the 2048-byte limit, in pieces; the answer comes before the end.
        let sent = 0;
        const pump = (): void => {
          if (sent > 64 * 1024 || req.destroyed) return;
          sent += 1024;
          req.write('x'.repeat(1024), () => setImmediate(pump));
        };
        pump();
      });
      assert.equal(status, 413);
      const ok = await get('/healthz');
      assert.equal(ok.status, 200);
    });

    test('a declared Content-Length over the limit is refused before the body is read', async () => {
      const port = Number(new URL(b.base).port);
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(`POST /topics/small HTTP/1.1\r\nhost: x\r\ncontent-type: ${JSON_V2}\r\ncontent-length: 10000000\r\n\r\n{"records":`);
        });
        let data = '';
        s.on('data', (d) => {
          data += d.toString();
          if (data.includes('\r\n\r\n') && data.includes('}')) {
            s.destroy();
            resolve(data);
          }
        });
        s.on('error', reject);
        s.on('close', () => resolve(data));
      });
      assert.match(answer, /^HTTP\/1\.1 413/);
      assert.match(answer, /41310/);
    });

    test('GET records errors: offset, partition, parameters, Accept', async () => {
      await b.engine.createTopic('rerr', 1);
      await b.counted.append('rerr', 0, encodeRecordBatch([{ value: '1' }, { value: '2' }]), -1);
      await expectError(get('/topics/rerr/partitions/0/records'), 422, 42202, /offset/);
      await expectError(get('/topics/rerr/partitions/0/records?offset=abc'), 422, 42202);
      await expectError(get('/topics/rerr/partitions/0/records?offset=-1'), 422, 42202);
      await expectError(get('/topics/rerr/partitions/0/records?offset=3'), 422, 42202, /0\.\.2/);
      await expectError(get('/topics/rerr/partitions/0/records?offset=0&timeout=soon'), 422, 42201, /timeout/);
      await expectError(get('/topics/rerr/partitions/0/records?offset=0&max_bytes=0'), 422, 42201, /max_bytes/);
      await expectError(get('/topics/rerr/partitions/1/records?offset=0'), 404, 40402);
      await expectError(get('/topics/none/partitions/0/records?offset=0'), 404, 40401);
      await expectError(get('/topics/rerr/partitions/0/records?offset=0', { accept: 'application/xml' }), 406, 406);
      const atEnd = await get('/topics/rerr/partitions/0/records?offset=2&timeout=0');
      assert.equal(atEnd.status, 200);
      assert.deepEqual(atEnd.json, []);
    });

    test('GET records long-polls until a record arrives', async () => {
      await b.engine.createTopic('lp', 1);
      const pending = get('/topics/lp/partitions/0/records?offset=0&timeout=60000');
      // Produce once the poll is parked (or even before: either way it sees the record).
      await until(() => b.http.connectionCounts().http_in_flight >= 1, 10_000, 'the long-poll to start');
      const p = await post('/topics/lp', { records: [{ value: 'wake' }] });
      assert.equal(p.status, 200);
      const r = await pending;
      assert.equal(r.status, 200);
      assert.deepEqual((r.json as JsonRecord[]).map((x) => x.value), ['wake']);
    });

    test('a client that aborts a long-poll frees it; the broker keeps serving', async () => {
      await b.engine.createTopic('abort', 1);
      const before = b.http.connectionCounts().http_in_flight;
      const req = httpRequest(`${b.base}/topics/abort/partitions/0/records?offset=0&timeout=300000`);
      req.on('error', () => {});
      req.end();
      await until(() => b.http.connectionCounts().http_in_flight > before, 10_000, 'the long-poll to start');
      req.destroy();
      await until(() => b.http.connectionCounts().http_in_flight === before, 10_000, 'the aborted poll to end');
      const ok = await get('/topics/abort/offsets');
      assert.equal(ok.status, 200);
    });

    test('GET /metrics is Prometheus text with samsa_ series', async () => {
      await b.engine.createTopic('m1', 1);
      await post('/topics/m1', { records: [{ value: 1 }, { value: 2 }, { value: 3 }] });
      await get('/topics/m1/partitions/0/records?offset=0&timeout=0');
      const r = await get('/metrics');
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const lines = r.text.split('\n');
      const value = (series: string): number => {
        const line = lines.find((l) => l.startsWith(`${series} `));
        assert.ok(line !== undefined, `missing ${series}`);
        return Number(line.slice(series.length + 1));
      };
      assert.equal(value('samsa_topic_records_in_total{topic="m1"}'), 3);
      assert.equal(value('samsa_topic_records_out_total{topic="m1"}'), 3);
      assert.ok(value('samsa_topic_bytes_in_total{topic="m1"}') > 61);
      assert.ok(value('samsa_produce_latency_seconds_count') >= 1);
      assert.ok(value('samsa_fetch_latency_seconds_count') >= 1);
      assert.equal(value('samsa_log_end_offset{topic="m1",partition="0"}'), 3);
      assert.equal(value('samsa_log_segments{topic="m1",partition="0"}'), 1);
      assert.ok(value('samsa_fsync_duration_seconds_count{shard="0"}') >= 1);
      assert.equal(value('samsa_shard_stats_up'), 1);
      assert.ok(lines.some((l) => l.startsWith('samsa_ring_used_bytes{shard="0",ring="request"} ')));
      assert.ok(lines.some((l) => l.startsWith('samsa_kafka_requests_total{api="Produce"} ')));
      assert.ok(lines.some((l) => l.startsWith('samsa_connections{listener="kafka_ws"} ')));
      assert.ok(lines.includes('# TYPE samsa_produce_latency_seconds summary'));
      assert.ok(lines.every((l) => l === '' || l.startsWith('#') || l.startsWith('samsa_')), 'every series is prefixed samsa_');
    });
  });
}
