// The admin views the web console reads (src/http/admin.ts), on both transports:
// per-partition size on disk, the broker and its shards, topic configs (read, set,
// reset to the default), growing a topic, and every 4xx with its code; then
// consumer groups with a real kafkajs member: assignment, committed offsets, lag,
// listing and deletion (refused while the member is there); the same views of a KIP-848
// consumer-protocol group (@platformatic/kafka member; the broker holds its assignment).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Consumer as PlatformaticConsumer, type MessagesStream } from '@platformatic/kafka';
import { startBroker } from '../../src/index.js';
import { decodeConsumerAssignment, decodeConsumerSubscription } from '../../src/http/admin.js';
import { TRANSPORTS, request, startHttpTestBroker, type HttpTestBroker } from './harness.js';

interface ErrorBody {
  error_code: number;
  message: string;
}

async function expectError(p: Promise<{ status: number; json: unknown }>, status: number, code: number, messagePart?: RegExp): Promise<void> {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.json));
  const e = r.json as ErrorBody;
  assert.equal(e.error_code, code, e.message);
  if (messagePart !== undefined) assert.match(e.message, messagePart);
}

interface PartitionStats {
  partition: number;
  beginning_offset: number;
  end_offset: number;
  size_bytes: number | null;
  segments: number | null;
  shard: number | null;
}

for (const transport of TRANSPORTS) {
  describe(`HTTP admin views over ${transport}`, () => {
    let b: HttpTestBroker;
    const get = (path: string) => request(b.base, 'GET', path);
    const post = (path: string, body: unknown) => request(b.base, 'POST', path, body, { 'content-type': 'application/json' });

    before(async () => {
      b = await startHttpTestBroker(transport);
    });
    after(() => b.close());

    test('GET /topics/{t}/stats and /stats/topics give offsets and size on disk per partition', async () => {
      assert.equal((await post('/topics', { name: 'sized', partitions: 2 })).status, 201);
      const produced = await post('/topics/sized/partitions/1', { records: [{ value: 'a'.repeat(100) }, { value: 'b' }] });
      assert.equal(produced.status, 200);
      const r = await get('/topics/sized/stats');
      assert.equal(r.status, 200);
      const t = r.json as { name: string; size_bytes: number; records: number; partition_count: number; partitions: PartitionStats[] };
      assert.equal(t.name, 'sized');
      assert.equal(t.partition_count, 2);
      assert.equal(t.records, 2);
      const [p0, p1] = t.partitions;
      assert.deepEqual({ ...p0, size_bytes: 0 }, { partition: 0, beginning_offset: 0, end_offset: 0, size_bytes: 0, segments: 1, shard: 0 });
      assert.equal(p1!.end_offset, 2);
      assert.ok(p1!.size_bytes! > 100, `partition 1 holds the 100-byte value: ${p1!.size_bytes}`);
      assert.equal(t.size_bytes, p0!.size_bytes! + p1!.size_bytes!);

      const all = (await get('/stats/topics')).json as Array<{ name: string; size_bytes: number; records: number; partitions?: unknown }>;
      const row = all.find((x) => x.name === 'sized');
      assert.ok(row !== undefined);
      assert.equal(row.size_bytes, t.size_bytes);
      assert.equal(row.partitions, undefined, 'the list leaves the partition rows out');
      await expectError(get('/topics/nope/stats'), 404, 40401);
      await expectError(get('/topics/bad%20name/stats'), 422, 42217);
    });

    test('GET /broker lists the shards with ring occupancy against capacity and fsync totals', async () => {
      await post('/topics', { name: 'synced', partitions: 1 });
      await post('/topics/synced', { records: [{ value: 1 }] }); // acks=-1: one fdatasync at least
      const r = await get('/broker');
      assert.equal(r.status, 200);
      const br = r.json as {
        node_id: number;
        http_transport: string;
        shards_answered: boolean;
        shards: Array<{ shard: number; partitions: number; size_bytes: number; ring: Record<string, number>; fsync_count: number; fsync_total_ms: number }>;
      };
      assert.equal(br.node_id, 0);
      assert.equal(br.http_transport, transport);
      assert.equal(br.shards_answered, true);
      assert.equal(br.shards.length, 1);
      const s = br.shards[0]!;
      assert.ok(s.partitions >= 1);
      assert.ok(s.ring.request_capacity_bytes! >= 1024 && s.ring.completion_capacity_bytes! >= 1024);
      assert.ok(s.ring.request_used_bytes! >= 0 && s.ring.request_used_bytes! <= s.ring.request_capacity_bytes!);
      assert.ok(s.fsync_count >= 1, `fsyncs counted: ${s.fsync_count}`);
    });

    test('topic configs: read with defaults, set, reset to the default with null; bad input is 4xx', async () => {
      await post('/topics', { name: 'conf', partitions: 1 });
      const before = (await get('/topics/conf/configs')).json as Array<{ name: string; value: string; is_default: boolean; applied: boolean }>;
      const retention = before.find((c) => c.name === 'retention.ms');
      assert.ok(retention !== undefined && retention.is_default);
      assert.deepEqual(retention, { name: 'retention.ms', value: retention.value, is_default: true, applied: true });
      assert.equal(before.find((c) => c.name === 'min.insync.replicas')?.applied, false, 'a passive Kafka setting is marked as not applied');

      const set = await post('/topics/conf/configs', { configs: { 'retention.ms': '60000', 'cleanup.policy': 'compact' } });
      assert.equal(set.status, 200, set.text);
      assert.equal((set.json as { configs: Record<string, string> }).configs['retention.ms'], '60000');
      let now = (await get('/topics/conf/configs')).json as Array<{ name: string; value: string; is_default: boolean; applied: boolean }>;
      assert.deepEqual(now.find((c) => c.name === 'retention.ms'), { name: 'retention.ms', value: '60000', is_default: false, applied: true });
      assert.equal(now.find((c) => c.name === 'cleanup.policy')!.value, 'compact');

      const reset = await post('/topics/conf/configs', { configs: [{ name: 'retention.ms', value: null }] });
      assert.equal(reset.status, 200, reset.text);
      now = (await get('/topics/conf/configs')).json as Array<{ name: string; value: string; is_default: boolean; applied: boolean }>;
      assert.deepEqual(now.find((c) => c.name === 'retention.ms'), retention);
      assert.equal(now.find((c) => c.name === 'cleanup.policy')!.value, 'compact', 'other settings are kept');

      await expectError(post('/topics/conf/configs', { configs: { 'no.such.setting': '1' } }), 422, 42240, /no\.such\.setting/);
      await expectError(post('/topics/conf/configs', { configs: { 'retention.ms': 'soon' } }), 422, 42240);
      await expectError(post('/topics/conf/configs', { configs: {} }), 422, 42240);
      await expectError(post('/topics/conf/configs', { configs: 'retention.ms=1' }), 422, 42240);
      await expectError(post('/topics/conf/configs', { 'retention.ms': '1' }), 422, 42201);
      await expectError(post('/topics/conf/configs', '{'), 422, 42201);
      await expectError(post('/topics/nope/configs', { configs: { 'retention.ms': '1' } }), 404, 40401);
      await expectError(get('/topics/nope/configs'), 404, 40401);
    });

    test('POST /topics/{t}/partitions grows a topic and never shrinks it', async () => {
      await post('/topics', { name: 'grow', partitions: 1 });
      const r = await post('/topics/grow/partitions', { partitions: 3 });
      assert.equal(r.status, 200, r.text);
      assert.equal((r.json as { partitions: unknown[] }).partitions.length, 3);
      assert.equal(((await get('/topics/grow/offsets')).json as unknown[]).length, 3);
      await expectError(post('/topics/grow/partitions', { partitions: 2 }), 422, 42237, /only grow/);
      await expectError(post('/topics/grow/partitions', { partitions: 3 }), 422, 42237);
      await expectError(post('/topics/grow/partitions', { partitions: 'many' }), 422, 42237);
      await expectError(post('/topics/grow/partitions', [4]), 422, 42237);
      await expectError(post('/topics/nope/partitions', { partitions: 4 }), 404, 40401);
    });

    test('groups: an unknown group is 404 40469 on GET and DELETE; /groups lists none', async () => {
      const r = await get('/groups');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { groups: [], truncated: 0 });
      await expectError(get('/groups/ghost'), 404, 40469, /ghost/);
      await expectError(request(b.base, 'DELETE', '/groups/ghost'), 404, 40469);
      await expectError(request(b.base, 'PUT', '/groups/ghost'), 405, 405);
    });
  });
}

test('consumer protocol bytes decode to topics and partitions; garbage gives null', () => {
  // version 1, one topic "t" with partitions [2, 0], user data null.
  const a = Uint8Array.from([0, 1, 0, 0, 0, 1, 0, 1, 0x74, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual(decodeConsumerAssignment(a), [{ topic: 't', partitions: [2, 0] }]);
  assert.deepEqual(decodeConsumerAssignment(new Uint8Array(0)), []);
  assert.equal(decodeConsumerAssignment(Uint8Array.from([0, 1, 0x7f, 0xff, 0xff, 0xff, 0, 0])), null, 'a count larger than the bytes');
  assert.equal(decodeConsumerAssignment(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0])), null, 'a negative version');
  const s = Uint8Array.from([0, 0, 0, 0, 0, 2, 0, 1, 0x61, 0, 2, 0x62, 0x63]);
  assert.deepEqual(decodeConsumerSubscription(s), ['a', 'bc']);
  assert.equal(decodeConsumerSubscription(Uint8Array.from([1, 2, 3])), null);
});

test('GET /groups/{g} shows a kafkajs member, its assignment, committed offsets and lag; DELETE waits for it to leave', async () => {
  const broker = await startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 });
  const base = `http://127.0.0.1:${broker.httpPort}`;
  const kafka = new Kafka({ clientId: 'admin-test', brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
  const consumer = kafka.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  try {
    assert.equal((await request(base, 'POST', '/topics', { name: 'orders', partitions: 2 })).status, 201);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic: 'orders', acks: -1, messages: [0, 1, 2].map((i) => ({ value: `first-${i}`, partition: i % 2 })) });

    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    let seen = 0;
    let allSeen: () => void = () => {};
    const done = new Promise<void>((r) => (allSeen = r));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        if (++seen === 3) allSeen();
      },
    });
    await done;
    consumer.pause([{ topic: 'orders' }]);
    // Two more records the paused member does not read: lag 2 on partition 0.
    await producer.send({ topic: 'orders', acks: -1, messages: [{ value: 'late-0', partition: 0 }, { value: 'late-1', partition: 0 }] });
    await producer.disconnect();

    const r = await request(base, 'GET', '/groups/billing');
    assert.equal(r.status, 200, r.text);
    const g = r.json as {
      state: string;
      protocol: string;
      members: Array<{ client_id: string; subscription: string[]; assignment: Array<{ topic: string; partitions: number[] }> }>;
      offsets: Array<{ topic: string; partition: number; committed_offset: number; end_offset: number; lag: number }>;
      lag: number;
    };
    assert.equal(g.state, 'Stable');
    assert.ok(g.protocol.length > 0);
    assert.equal(g.members.length, 1);
    assert.equal(g.members[0]!.client_id, 'admin-test');
    assert.deepEqual(g.members[0]!.subscription, ['orders']);
    assert.deepEqual(g.members[0]!.assignment, [{ topic: 'orders', partitions: [0, 1] }]);
    assert.deepEqual(
      g.offsets.map((o) => [o.partition, o.committed_offset, o.end_offset, o.lag]),
      [
        [0, 2, 4, 2],
        [1, 1, 1, 0],
      ],
    );
    assert.equal(g.lag, 2);

    const list = (await request(base, 'GET', '/groups')).json as { groups: Array<{ group_id: string; state: string; members: number; lag: number; topics: string[] }> };
    assert.deepEqual(list.groups, [{ group_id: 'billing', state: 'Stable', protocol_type: 'consumer', members: 1, topics: ['orders'], lag: 2 }]);

    await expectError(request(base, 'DELETE', '/groups/billing'), 409, 40968, /members/);
    await consumer.disconnect();
    const del = await request(base, 'DELETE', '/groups/billing');
    assert.equal(del.status, 200, del.text);
    await expectError(request(base, 'GET', '/groups/billing'), 404, 40469);
  } finally {
    await consumer.disconnect().catch(() => {});
    await broker.close();
  }
});

test('GET /groups shows a consumer-protocol (KIP-848) group with its member and assignment; DELETE waits for it to leave', async () => {
  const broker = await startBroker({ shards: 1, 'group.consumer.heartbeat.interval.ms': 200 });
  const base = `http://127.0.0.1:${broker.httpPort}`;
  assert.equal((await request(base, 'POST', '/topics', { name: 'ledger', partitions: 2 })).status, 201);
  const consumer = new PlatformaticConsumer({ clientId: 'admin-848', bootstrapBrokers: [`127.0.0.1:${broker.kafkaPort}`], groupId: 'ledger-g', groupProtocol: 'consumer', groupRemoteAssignor: 'range', rebalanceTimeout: 60_000 });
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  try {
    stream = await consumer.consume({ topics: ['ledger'], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
    type View = { state: string; protocol_type: string; protocol: string; members: Array<{ client_id: string; subscription: string[]; assignment: Array<{ topic: string; partitions: number[] }> }> };
    let g: View | undefined;
    for (let i = 0; i < 200; i++) {
      const r = await request(base, 'GET', '/groups/ledger-g');
      g = r.status === 200 ? (r.json as View) : undefined;
      if (g?.state === 'Stable' && g.members[0]?.assignment.length === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(g?.state, 'Stable', JSON.stringify(g));
    assert.deepEqual([g?.protocol_type, g?.protocol], ['consumer', 'range']);
    assert.equal(g?.members[0]?.client_id, 'admin-848');
    assert.deepEqual(g?.members[0]?.subscription, ['ledger']);
    assert.deepEqual(g?.members[0]?.assignment, [{ topic: 'ledger', partitions: [0, 1] }]);
    const list = (await request(base, 'GET', '/groups')).json as { groups: Array<{ group_id: string; state: string; members: number }> };
    assert.deepEqual(list.groups.map((x) => [x.group_id, x.state, x.members]), [['ledger-g', 'Stable', 1]]);
    await expectError(request(base, 'DELETE', '/groups/ledger-g'), 409, 40968, /members/);
  } finally {
    await stream?.close();
    await consumer.close(true);
  }
  try {
    const del = await request(base, 'DELETE', '/groups/ledger-g');
    assert.equal(del.status, 200, del.text);
    await expectError(request(base, 'GET', '/groups/ledger-g'), 404, 40469);
  } finally {
    await broker.close();
  }
});
