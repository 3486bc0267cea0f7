// REST Proxy v2 consumers (src/http/rest-consumers.ts, consumer-routes.ts) on both
// HTTP transports, against a real broker: instance lifecycle in both embedded
// formats, long-poll reads, manual assignment and positions, commits (explicit ones
// name the last consumed offset, as REST Proxy's do), a kafkajs consumer in the same
// group sharing the partitions (kafkajs leading, and the REST instance leading),
// a kcat (librdkafka) balanced consumer joining a group a REST instance leads,
// pattern subscriptions picking up new topics, idle expiry, and the 4xx rules.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn, spawnSync } from 'node:child_process';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { startBroker, type Broker } from '../../src/index.js';
import { TRANSPORTS, request, until, type HttpResult } from './harness.js';

interface ErrorBody {
  error_code: number;
  message: string;
}

interface JsonRecordOut {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
}

const V2 = 'application/vnd.kafka.v2+json';
const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSON_V2 = 'application/vnd.kafka.json.v2+json';

function b64(s: string): string {
  return Buffer.from(s).toString('base64');
}

function unb64(s: unknown): string {
  return Buffer.from(String(s), 'base64').toString();
}

async function expectError(p: Promise<HttpResult>, status: number, code: number, messagePart?: RegExp): Promise<void> {
  const r = await p;
  assert.equal(r.status, status, r.text);
  const e = r.json as ErrorBody;
  assert.equal(e.error_code, code, e.message);
  if (messagePart !== undefined) assert.match(e.message, messagePart);
}

/** GET with a JSON body (REST Proxy's GET …/offsets): fetch() cannot send one. */
function getWithBody(base: string, path: string, body: unknown): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(base + path, { method: 'GET', headers: { 'content-type': V2, 'content-length': data.byteLength } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: new Headers(), text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

class Rest {
  constructor(readonly base: string) {}
  post(path: string, body?: unknown, contentType = V2): Promise<HttpResult> {
    return request(this.base, 'POST', path, body, body === undefined ? {} : { 'content-type': contentType });
  }
  get(path: string, accept?: string): Promise<HttpResult> {
    return request(this.base, 'GET', path, undefined, accept === undefined ? {} : { accept });
  }
  del(path: string): Promise<HttpResult> {
    return request(this.base, 'DELETE', path);
  }
  async create(group: string, body: Record<string, unknown>): Promise<string> {
    const r = await this.post(`/consumers/${group}`, body);
    assert.equal(r.status, 200, r.text);
    const { instance_id, base_uri } = r.json as { instance_id: string; base_uri: string };
    assert.equal(base_uri, `${this.base}/consumers/${group}/instances/${instance_id}`);
    return `/consumers/${group}/instances/${instance_id}`;
  }
  async command(path: string, body: unknown): Promise<void> {
    const r = await this.post(path, body);
    assert.equal(r.status, 204, `${path}: ${r.text}`);
    assert.equal(r.text, '');
  }
  /** Reads until `count` records came (each read long-polls up to its timeout). */
  async readAll(instance: string, count: number, accept = BINARY): Promise<JsonRecordOut[]> {
    const out: JsonRecordOut[] = [];
    for (let i = 0; i < 200 && out.length < count; i++) {
      const r = await this.get(`${instance}/records?timeout=500`, accept);
      assert.equal(r.status, 200, r.text);
      out.push(...(r.json as JsonRecordOut[]));
    }
    assert.equal(out.length, count, `read ${out.length} of ${count} records`);
    return out;
  }
  async assignment(instance: string): Promise<Array<{ topic: string; partition: number }>> {
    const r = await this.get(`${instance}/assignments`);
    assert.equal(r.status, 200, r.text);
    return (r.json as { partitions: Array<{ topic: string; partition: number }> }).partitions;
  }
  async produce(topic: string, records: unknown[]): Promise<void> {
    const r = await this.post(`/topics/${topic}`, { records }, BINARY);
    assert.equal(r.status, 200, r.text);
  }
}

interface GroupView {
  state: string;
  members: Array<{ client_id: string; assignment: Array<{ topic: string; partitions: number[] }> | null }>;
  offsets: Array<{ topic: string; partition: number; committed_offset: number | null }>;
}

async function groupView(rest: Rest, group: string): Promise<GroupView | null> {
  const r = await rest.get(`/groups/${group}`);
  return r.status === 200 ? (r.json as GroupView) : null;
}

/** Waits until the group is Stable with `members` members that each hold some partitions. */
async function stableWith(rest: Rest, group: string, members: number): Promise<GroupView> {
  let view: GroupView | null = null;
  for (let i = 0; i < 500; i++) {
    view = await groupView(rest, group);
    if (view !== null && view.state === 'Stable' && view.members.length === members && view.members.every((m) => (m.assignment ?? []).some((a) => a.partitions.length > 0))) return view;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`group ${group} did not become Stable with ${members} members: ${JSON.stringify(view)}`);
}

function kafkaFor(broker: Broker, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 50 } });
}

/** A kafkajs consumer that collects what it is given (partition:offset → value). */
async function startKafkajs(broker: Broker, group: string, topic: string, seen: Map<string, string>): Promise<Consumer> {
  const consumer = kafkaFor(broker, 'kafkajs-member').consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 100, maxWaitTimeInMs: 100, rebalanceTimeout: 10_000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.set(`${partition}:${message.offset}`, message.value?.toString() ?? '');
    },
  });
  return consumer;
}

for (const transport of TRANSPORTS) {
  describe(`REST Proxy v2 consumers over ${transport}`, () => {
    let broker: Broker;
    let rest: Rest;
    const saved = process.env.SAMSA_HTTP_TRANSPORT;

    before(async () => {
      process.env.SAMSA_HTTP_TRANSPORT = transport;
      broker = await startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 });
      if (saved === undefined) delete process.env.SAMSA_HTTP_TRANSPORT;
      else process.env.SAMSA_HTTP_TRANSPORT = saved;
      assert.equal(broker.http.transport, transport);
      rest = new Rest(`http://127.0.0.1:${broker.httpPort}`);
    });
    after(() => broker.close());

    test('binary instance: create, subscribe, read, commit, offsets, delete', async () => {
      assert.equal((await rest.post('/topics', { name: 'rc-basic', partitions: 1 }, 'application/json')).status, 201);
      await rest.produce('rc-basic', [{ key: b64('k0'), value: b64('v0') }, { value: b64('v1') }, { value: b64('v2') }]);
      const c = await rest.create('g-basic', { name: 'c1', format: 'binary', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
      await expectError(rest.post('/consumers/g-basic', { name: 'c1' }), 409, 40902);
      await rest.command(`${c}/subscription`, { topics: ['rc-basic'] });
      assert.deepEqual((await rest.get(`${c}/subscription`)).json, { topics: ['rc-basic'] });

      const records = await rest.readAll(c, 3);
      assert.deepEqual(records.map((r) => [r.topic, r.partition, r.offset, r.key === null ? null : unb64(r.key), unb64(r.value)]), [
        ['rc-basic', 0, 0, 'k0', 'v0'],
        ['rc-basic', 0, 1, null, 'v1'],
        ['rc-basic', 0, 2, null, 'v2'],
      ]);
      assert.deepEqual(await rest.assignment(c), [{ topic: 'rc-basic', partition: 0 }]);
      const empty = await rest.get(`${c}/records?timeout=0`, BINARY);
      assert.equal(empty.headers.get('content-type'), BINARY);
      assert.deepEqual(empty.json, []);
      await expectError(rest.get(`${c}/records`, JSON_V2), 406, 40601);

      // Nothing committed yet (auto-commit is off): GET …/offsets leaves the partition out.
      assert.deepEqual((await getWithBody(rest.base, `${c}/offsets`, { partitions: [{ topic: 'rc-basic', partition: 0 }] })).json, { offsets: [] });
      const commit = await rest.post(`${c}/offsets`);
      assert.equal(commit.status, 204, commit.text);
      assert.deepEqual((await getWithBody(rest.base, `${c}/offsets`, { partitions: [{ topic: 'rc-basic', partition: 0 }] })).json, {
        offsets: [{ topic: 'rc-basic', partition: 0, offset: 3, metadata: '' }],
      });
      assert.deepEqual((await rest.get(`${c}/offsets`)).json, { offsets: [{ topic: 'rc-basic', partition: 0, offset: 3, metadata: '' }] }, 'no body: the assigned partitions');

      const g = await groupView(rest, 'g-basic');
      assert.equal(g?.members.length, 1, 'the instance is a member of the real group');
      assert.equal(g?.members[0]?.client_id, 'rest-c1');

      const del = await rest.del(c);
      assert.equal(del.status, 204, del.text);
      await expectError(rest.get(`${c}/records`, BINARY), 404, 40403);
      await expectError(rest.del(c), 404, 40403);
      assert.equal((await groupView(rest, 'g-basic'))?.members.length, 0, 'deleting the instance left the group');

      // A new instance of the group goes on from the committed offset.
      const c2 = await rest.create('g-basic', { name: 'c2', 'auto.offset.reset': 'earliest' });
      await rest.command(`${c2}/subscription`, { topics: ['rc-basic'] });
      await rest.produce('rc-basic', [{ value: b64('v3') }]);
      const more = await rest.readAll(c2, 1);
      assert.deepEqual(more.map((r) => [r.offset, unb64(r.value)]), [[3, 'v3']]);
      assert.equal((await rest.del(c2)).status, 204);
      // auto.commit.enable defaults to true (the Java consumer's default): deleting committed offset 4.
      const after = await groupView(rest, 'g-basic');
      assert.deepEqual(after?.offsets.map((o) => [o.partition, o.committed_offset]), [[0, 4]]);
    });

    test('json instance: records long-poll until a record is appended', async () => {
      await rest.post('/topics', { name: 'rc-json', partitions: 1 }, 'application/json');
      await rest.produce('rc-json', [{ value: b64('{"old":true}') }]);
      const c = await rest.create('g-json', { format: 'json', 'consumer.request.timeout.ms': '30000' });
      assert.match(c, /\/instances\/rest-consumer-[0-9a-f-]{36}$/, 'a generated name');
      await rest.command(`${c}/subscription`, { topics: ['rc-json'] });
      for (let i = 0; i < 500 && (await rest.assignment(c)).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      // auto.offset.reset defaults to latest: the old record is not returned.
      const first = await rest.get(`${c}/records?timeout=0`, JSON_V2);
      assert.deepEqual(first.json, []);
      const pending = rest.get(`${c}/records`, JSON_V2);
      await new Promise((r) => setTimeout(r, 50));
      await rest.post('/topics/rc-json', { records: [{ key: 'user-1', value: { clicked: true } }] }, JSON_V2);
      const r = await pending;
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers.get('content-type'), JSON_V2);
      const recs = r.json as JsonRecordOut[];
      assert.deepEqual(recs.map((x) => [x.offset, x.key, x.value]), [[1, 'user-1', { clicked: true }]]);
      await expectError(rest.get(`${c}/records`, BINARY), 406, 40601);
      assert.equal((await rest.get(`${c}/records?timeout=0`, 'application/vnd.kafka.v2+json')).status, 200, 'the generic type means the instance format');
      assert.equal((await rest.del(c)).status, 204);
    });

    test('manual assignment, positions, explicit commits (offset = last consumed)', async () => {
      await rest.post('/topics', { name: 'rc-manual', partitions: 2 }, 'application/json');
      await rest.produce('rc-manual', [0, 1, 2, 3, 4].map((i) => ({ value: b64(`p1-${i}`), partition: 1 })));
      const c = await rest.create('g-manual', { name: 'm', 'auto.commit.enable': 'false', 'auto.offset.reset': 'earliest' });
      await expectError(rest.get(`${c}/records`, BINARY), 409, 40903, /not subscribed/);
      await rest.command(`${c}/assignments`, { partitions: [{ topic: 'rc-manual', partition: 1 }] });
      assert.deepEqual(await rest.assignment(c), [{ topic: 'rc-manual', partition: 1 }]);
      await expectError(rest.post(`${c}/subscription`, { topics: ['rc-manual'] }), 409, 40903, /mutually exclusive/);

      await rest.command(`${c}/positions`, { offsets: [{ topic: 'rc-manual', partition: 1, offset: 3 }] });
      assert.deepEqual((await rest.readAll(c, 2)).map((r) => unb64(r.value)), ['p1-3', 'p1-4']);
      await rest.command(`${c}/positions/beginning`, { partitions: [{ topic: 'rc-manual', partition: 1 }] });
      const one = await rest.get(`${c}/records?max_bytes=1`, BINARY);
      assert.deepEqual((one.json as JsonRecordOut[]).map((r) => r.offset), [0], 'max_bytes bounds the answer (at least one record)');
      await rest.command(`${c}/positions/end`, { partitions: [{ topic: 'rc-manual', partition: 1 }] });
      assert.deepEqual((await rest.get(`${c}/records?timeout=0`, BINARY)).json, []);
      await expectError(rest.post(`${c}/positions`, { offsets: [{ topic: 'rc-manual', partition: 0, offset: 0 }] }), 409, 40903, /No current assignment/);

      await rest.command(`${c}/offsets`, { offsets: [{ topic: 'rc-manual', partition: 1, offset: 3 }] });
      assert.deepEqual((await getWithBody(rest.base, `${c}/offsets`, { partitions: [{ topic: 'rc-manual', partition: 1 }, { topic: 'rc-manual', partition: 0 }] })).json, {
        offsets: [{ topic: 'rc-manual', partition: 1, offset: 4, metadata: '' }],
      });
      await rest.command(`${c}/assignments`, { partitions: [] });
      assert.deepEqual(await rest.assignment(c), []);
      await expectError(rest.post(`${c}/assignments`, { partitions: [{ topic: 'rc-nope', partition: 0 }] }), 404, 40401);
      await expectError(rest.post(`${c}/assignments`, { partitions: [{ topic: 'rc-manual', partition: 7 }] }), 404, 40402);
      assert.equal((await rest.del(c)).status, 204);
    });

    test('a kafkajs consumer that leads the group shares the partitions with a REST instance', async () => {
      await rest.post('/topics', { name: 'rc-shared', partitions: 4 }, 'application/json');
      const seen = new Map<string, string>();
      const consumer = await startKafkajs(broker, 'g-shared', 'rc-shared', seen);
      try {
        await stableWith(rest, 'g-shared', 1);
        const c = await rest.create('g-shared', { name: 'shared', 'auto.offset.reset': 'earliest' });
        await rest.command(`${c}/subscription`, { topics: ['rc-shared'] });
        const view = await stableWith(rest, 'g-shared', 2);
        const mine = await rest.assignment(c);
        assert.equal(mine.length, 2, `two of four partitions each: ${JSON.stringify(view.members)}`);
        const theirs = view.members.find((m) => m.client_id === 'kafkajs-member')!.assignment!.flatMap((a) => a.partitions);
        assert.deepEqual([...mine.map((p) => p.partition), ...theirs].sort(), [0, 1, 2, 3], 'every partition to exactly one member');

        await rest.produce('rc-shared', Array.from({ length: 40 }, (_, i) => ({ value: b64(`r${i}`), partition: i % 4 })));
        const records = await rest.readAll(c, 20);
        assert.ok(records.every((r) => mine.some((p) => p.partition === r.partition)), 'only its own partitions');
        await until(() => seen.size === 20, 20_000, 'kafkajs to read its partitions');
        assert.ok([...seen.keys()].every((k) => theirs.includes(Number(k.split(':')[0]))));

        // Deleting the instance commits what it read and leaves: kafkajs takes all four,
        // and goes on from the REST instance's commits (it reads none of its records again).
        assert.equal((await rest.del(c)).status, 204);
        const alone = await stableWith(rest, 'g-shared', 1);
        assert.deepEqual(alone.members[0]!.assignment!.flatMap((a) => a.partitions).sort(), [0, 1, 2, 3]);
        const committed = alone.offsets.filter((o) => mine.some((p) => p.partition === o.partition)).map((o) => o.committed_offset);
        assert.deepEqual(committed, [10, 10], 'the REST instance committed its partitions before leaving');
        await rest.produce('rc-shared', [0, 1, 2, 3].map((p) => ({ value: b64(`late-${p}`), partition: p })));
        await until(() => seen.size === 24, 20_000, 'kafkajs to read the late records');
        for (const p of mine) assert.deepEqual([...seen.keys()].filter((k) => k.startsWith(`${p.partition}:`)), [`${p.partition}:10`]);
      } finally {
        await consumer.disconnect();
      }
    });

    test('a REST instance that leads the group assigns a kafkajs member its partitions', async () => {
      await rest.post('/topics', { name: 'rc-lead', partitions: 4 }, 'application/json');
      await rest.produce('rc-lead', Array.from({ length: 8 }, (_, i) => ({ value: b64(`x${i}`), partition: i % 4 })));
      const c = await rest.create('g-lead', { name: 'leader', 'auto.offset.reset': 'earliest', 'auto.commit.enable': 'false' });
      await rest.command(`${c}/subscription`, { topics: ['rc-lead'] });
      await stableWith(rest, 'g-lead', 1);
      assert.equal((await rest.assignment(c)).length, 4);
      const seen = new Map<string, string>();
      const consumer = await startKafkajs(broker, 'g-lead', 'rc-lead', seen);
      try {
        const view = await stableWith(rest, 'g-lead', 2);
        const kafkajsParts = view.members.find((m) => m.client_id === 'kafkajs-member')!.assignment!.flatMap((a) => a.partitions);
        const mine = (await rest.assignment(c)).map((p) => p.partition);
        assert.equal(kafkajsParts.length, 2);
        assert.deepEqual([...mine, ...kafkajsParts].sort(), [0, 1, 2, 3]);
        await until(() => seen.size === 4, 20_000, 'kafkajs to read its two partitions');
        assert.ok([...seen.keys()].every((k) => kafkajsParts.includes(Number(k.split(':')[0]))), 'kafkajs reads only what the REST leader gave it');
        const records = await rest.readAll(c, 4);
        assert.ok(records.every((r) => mine.includes(r.partition)));
      } finally {
        await consumer.disconnect();
        await rest.del(c);
      }
    });

    test('a topic_pattern subscription picks up topics created later', async () => {
      await rest.post('/topics', { name: 'rcpat-a', partitions: 1 }, 'application/json');
      const c = await rest.create('g-pattern', { 'auto.offset.reset': 'earliest' });
      await rest.command(`${c}/subscription`, { topic_pattern: 'rcpat-.*' });
      assert.deepEqual((await rest.get(`${c}/subscription`)).json, { topics: ['rcpat-a'], topic_pattern: 'rcpat-.*' });
      await rest.post('/topics', { name: 'rcpat-b', partitions: 2 }, 'application/json');
      await rest.post('/topics', { name: 'other-rcpat-c', partitions: 1 }, 'application/json');
      await rest.produce('rcpat-b', [{ value: b64('b'), partition: 1 }]);
      const got = await rest.readAll(c, 1);
      assert.deepEqual(got.map((r) => [r.topic, r.partition, unb64(r.value)]), [['rcpat-b', 1, 'b']]);
      assert.deepEqual((await rest.assignment(c)).map((p) => `${p.topic}-${p.partition}`), ['rcpat-a-0', 'rcpat-b-0', 'rcpat-b-1']);
      const unsub = await rest.del(`${c}/subscription`);
      assert.equal(unsub.status, 204);
      assert.deepEqual((await rest.get(`${c}/subscription`)).json, { topics: [] });
      assert.equal((await rest.del(c)).status, 204);
    });

    test('bad input answers REST Proxy error codes', async () => {
      await rest.post('/topics', { name: 'rc-bad', partitions: 1 }, 'application/json');
      await expectError(rest.post('/consumers/g-bad', { format: 'avro' }), 422, 42204, /schema registry/);
      await expectError(rest.post('/consumers/g-bad', { 'auto.offset.reset': 'sometimes' }), 422, 42204);
      await expectError(rest.post('/consumers/g-bad', { 'auto.commit.enable': 'maybe' }), 422, 42204);
      await expectError(rest.post('/consumers/g-bad', { 'consumer.request.timeout.ms': '-5' }), 422, 42204);
      await expectError(rest.post('/consumers/g-bad', { name: 'has/slash' }), 422, 42204);
      await expectError(rest.post('/consumers/g-bad', { name: 'x' }, 'text/plain'), 415, 415);
      await expectError(rest.post('/consumers/g-bad', '{"name":'), 422, 42201, /not valid JSON/);
      await expectError(rest.post('/consumers/g-bad', 'x'.repeat(70_000)), 413, 41310);
      await expectError(rest.post('/consumers/g-bad/instances/nobody/subscription', { topics: ['rc-bad'] }), 404, 40403);
      await expectError(rest.get('/consumers/g-bad/instances/nobody/records'), 404, 40403);
      await expectError(rest.post('/consumers/g-bad/instances/nobody/offsets'), 404, 40403);
      await expectError(rest.post('/consumers/g-bad/instances/nobody/positions', { offsets: [] }), 404, 40403);
      await expectError(rest.get('/consumers/g-bad/instances/nobody/assignments'), 404, 40403);

      const c = await rest.create('g-bad', { name: 'b' });
      await expectError(rest.post(`${c}/subscription`, { topics: ['rc-bad'], topic_pattern: 'x' }), 422, 42201, /not both/);
      await expectError(rest.post(`${c}/subscription`, {}), 422, 42201);
      await expectError(rest.post(`${c}/subscription`, { topics: ['bad topic'] }), 422, 42217);
      await expectError(rest.post(`${c}/subscription`, { topic_pattern: '(' }), 422, 42201, /regular expression/);
      await expectError(rest.post(`${c}/assignments`, { partitions: [{ topic: 'rc-bad', partition: -1 }] }), 422, 42202);
      await expectError(rest.post(`${c}/assignments`, { partitions: 'all' }), 422, 42201);
      await expectError(rest.post(`${c}/positions`, { offsets: [{ topic: 'rc-bad', partition: 0, offset: 'x' }] }), 422, 42202);
      await expectError(rest.post(`${c}/offsets`, { offsets: [{ topic: 'rc-bad', partition: 0 }] }), 422, 42202);
      await rest.command(`${c}/assignments`, { partitions: [{ topic: 'rc-bad', partition: 0 }] });
      await expectError(rest.get(`${c}/records?max_bytes=0`, BINARY), 422, 42201);
      await expectError(rest.get(`${c}/records?timeout=x`, BINARY), 422, 42201);
      await expectError(rest.get(`${c}/records`, 'application/vnd.kafka.avro.v2+json'), 406, 40601);
      await expectError(request(rest.base, 'PUT', `${c}/records`), 405, 405);
      assert.equal((await rest.del(c)).status, 204);
    });
  });

  test(`an idle REST instance expires and leaves its group (${transport})`, async () => {
    const saved = process.env.SAMSA_HTTP_TRANSPORT;
    process.env.SAMSA_HTTP_TRANSPORT = transport;
    const broker = await startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0, 'consumer.instance.timeout.ms': 300 });
    if (saved === undefined) delete process.env.SAMSA_HTTP_TRANSPORT;
    else process.env.SAMSA_HTTP_TRANSPORT = saved;
    const rest = new Rest(`http://127.0.0.1:${broker.httpPort}`);
    try {
      await rest.post('/topics', { name: 'rc-idle', partitions: 1 }, 'application/json');
      const c = await rest.create('g-idle', { name: 'sleepy' });
      await rest.command(`${c}/subscription`, { topics: ['rc-idle'] });
      // Watching the group (not the instance, which a request would keep alive).
      let members = -1;
      for (let i = 0; i < 1000 && members !== 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        members = (await groupView(rest, 'g-idle'))?.members.length ?? -1;
      }
      assert.equal(members, 0, 'the expired instance left the group');
      await expectError(rest.get(`${c}/subscription`), 404, 40403);
    } finally {
      await broker.close();
    }
  });
}

const KCAT_MISSING = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status !== 0;

test('a kcat balanced consumer (-G) shares a group that a REST instance leads', { skip: KCAT_MISSING ? 'kcat is not installed (apt-get install kcat)' : false }, async () => {
  const broker = await startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 });
  const rest = new Rest(`http://127.0.0.1:${broker.httpPort}`);
  let kcat: ReturnType<typeof spawn> | null = null;
  try {
    await rest.post('/topics', { name: 'rc-kcat', partitions: 4 }, 'application/json');
    const c = await rest.create('g-kcat', { name: 'lead', 'auto.offset.reset': 'earliest' });
    await rest.command(`${c}/subscription`, { topics: ['rc-kcat'] });
    await stableWith(rest, 'g-kcat', 1);
    const lines: string[] = [];
    kcat = spawn('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-u', '-G', 'g-kcat', '-X', 'auto.offset.reset=earliest', '-X', 'session.timeout.ms=6000', '-q', '-f', '%p:%o:%s\\n', 'rc-kcat'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    kcat.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts.filter((l) => l !== ''));
    });
    const view = await stableWith(rest, 'g-kcat', 2);
    const mine = (await rest.assignment(c)).map((p) => p.partition);
    const theirs = view.members.find((m) => m.client_id !== 'rest-lead')!.assignment!.flatMap((a) => a.partitions);
    assert.equal(mine.length, 2);
    assert.deepEqual([...mine, ...theirs].sort(), [0, 1, 2, 3], 'the REST leader split the partitions between itself and kcat');
    await rest.produce('rc-kcat', Array.from({ length: 8 }, (_, i) => ({ value: b64(`k${i}`), partition: i % 4 })));
    const records = await rest.readAll(c, 4);
    assert.ok(records.every((r) => mine.includes(r.partition)));
    await until(() => lines.length === 4, 20_000, 'kcat to print its four records');
    assert.deepEqual(lines.map((l) => Number(l.split(':')[0])).sort(), [...theirs, ...theirs].sort());
    kcat.kill('SIGTERM');
    await new Promise((r) => kcat!.once('exit', r));
    kcat = null;
    const alone = await stableWith(rest, 'g-kcat', 1);
    assert.deepEqual(alone.members[0]!.assignment!.flatMap((a) => a.partitions).sort(), [0, 1, 2, 3], 'kcat left: the REST instance owns all four');
  } finally {
    kcat?.kill('SIGKILL');
    await broker.close();
  }
});
