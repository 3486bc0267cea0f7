// Consumer groups end to end with kafkajs (JoinGroup ≤5, SyncGroup ≤3, Heartbeat
// ≤3, OffsetCommit ≤5, OffsetFetch ≤4) against a real broker: consume from the
// beginning, commit, resume from the committed offset in a new consumer, a
// rebalance between two members, admin group listing/description/deletion, and
// committed offsets surviving a broker restart (they live in __consumer_offsets).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, Partitioners, type Consumer, type EachMessagePayload } from 'kafkajs';
import { startKafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { startEngine } from '../../src/broker/engine.js';
import { startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});

after(() => broker.close());

function kafkaFor(port: number): Kafka {
  return new Kafka({ clientId: 'samsa-groups-test', brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 50 } });
}

async function produce(kafka: Kafka, topic: string, n: number, prefix: string): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}${i}` })) });
  await producer.disconnect();
}

/** Runs a consumer until `want` messages arrived (bounded by a deadline), returning their values. */
async function consumeUntil(consumer: Consumer, topic: string, want: number, fromBeginning = true): Promise<string[]> {
  const got: string[] = [];
  await consumer.subscribe({ topic, fromBeginning });
  let done: () => void = () => {};
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }: EachMessagePayload) => {
      got.push(message.value!.toString());
      if (got.length >= want) done();
    },
  });
  const deadline = setTimeout(done, 20_000);
  await finished;
  clearTimeout(deadline);
  return got;
}

test('a kafkajs consumer group consumes, commits and a new member resumes after the commit', async () => {
  const kafka = kafkaFor(broker.port);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'g-topic', numPartitions: 2 }] });
  await produce(kafka, 'g-topic', 10, 'first-');

  const c1 = kafka.consumer({ groupId: 'g1', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await c1.connect();
  const first = await consumeUntil(c1, 'g-topic', 10);
  assert.equal(first.length, 10);
  assert.deepEqual(new Set(first), new Set(Array.from({ length: 10 }, (_, i) => `first-${i}`)));
  await c1.disconnect(); // commits and leaves

  const offsets = await admin.fetchOffsets({ groupId: 'g1', topics: ['g-topic'] });
  const committed = offsets[0]!.partitions.reduce((s, p) => s + Number(p.offset), 0);
  assert.equal(committed, 10);

  await produce(kafka, 'g-topic', 3, 'second-');
  const c2 = kafka.consumer({ groupId: 'g1', sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  await c2.connect();
  const second = await consumeUntil(c2, 'g-topic', 3);
  assert.deepEqual(new Set(second), new Set(['second-0', 'second-1', 'second-2']));

  const listed = await admin.listGroups();
  assert.ok(listed.groups.some((g) => g.groupId === 'g1'));
  const described = await admin.describeGroups(['g1']);
  assert.equal(described.groups[0]!.state, 'Stable');
  assert.equal(described.groups[0]!.members.length, 1);
  await c2.disconnect();

  await admin.deleteGroups(['g1']);
  assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === 'g1'));
  await admin.disconnect();
});

test('two kafkajs members split the partitions of a topic', async () => {
  const kafka = kafkaFor(broker.port);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'g-split', numPartitions: 4 }] });
  await admin.disconnect();
  const assigned = new Map<string, Set<number>>();
  const consumers = ['a', 'b'].map((name) => {
    const c = kafka.consumer({ groupId: 'g-split', sessionTimeout: 10_000, heartbeatInterval: 200, rebalanceTimeout: 5_000, maxWaitTimeInMs: 100 });
    c.on(c.events.GROUP_JOIN, (e) => assigned.set(name, new Set(e.payload.memberAssignment['g-split'] ?? [])));
    return c;
  });
  try {
    for (const c of consumers) {
      await c.connect();
      await c.subscribe({ topic: 'g-split', fromBeginning: true });
      await c.run({ eachMessage: async () => {} });
    }
    // Wait (bounded) until both members hold two partitions each.
    for (let i = 0; i < 200; i++) {
      const sizes = [...assigned.values()].map((s) => s.size);
      if (sizes.length === 2 && sizes[0] === 2 && sizes[1] === 2) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const all = [...assigned.values()].flatMap((s) => [...s]).sort();
    assert.deepEqual(all, [0, 1, 2, 3]);
  } finally {
    for (const c of consumers) await c.disconnect();
  }
});

test('committed offsets survive a broker restart', async () => {
  const dataDir = broker.dataDir;
  const kafka = kafkaFor(broker.port);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'g-durable', numPartitions: 1 }] });
  await produce(kafka, 'g-durable', 5, 'd');
  const c = kafka.consumer({ groupId: 'g-durable', maxWaitTimeInMs: 100 });
  await c.connect();
  await consumeUntil(c, 'g-durable', 5);
  await c.disconnect();
  await admin.disconnect();

  // A second engine over the same directory, after this one closes.
  await broker.server.close();
  await broker.engine.close();
  const engine = await startEngine({ dataDir, shards: 1, pin: false });
  const server = await startKafkaTcpServer(engine, { host: '127.0.0.1', port: 0 });
  try {
    const admin2 = kafkaFor(server.port).admin();
    await admin2.connect();
    const offsets = await admin2.fetchOffsets({ groupId: 'g-durable', topics: ['g-durable'] });
    assert.equal(offsets[0]!.partitions[0]!.offset, '5');
    await admin2.disconnect();
  } finally {
    await server.close();
    await engine.close();
    // Let the harness's close() find a running pair to close.
    broker.engine = await startEngine({ dataDir, shards: 1, pin: false });
    broker.server = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0 });
  }
});
