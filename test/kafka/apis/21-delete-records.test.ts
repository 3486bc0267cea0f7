// DeleteRecords (API 21) driven by kafkajs (admin.deleteTopicRecords, v0/v1) and by a
// raw v2 (flexible) request: the low watermark moves, reads below it are out of range,
// -1 means the high watermark, a restart keeps it, and the errors Kafka gives —
// offset past the end, unknown partition, compact-only topic — come back per partition.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { type Broker, startBroker } from '../../../src/server.js';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from '../../../src/wire/schemas/21-delete-records.js';
import { makeTmpDir, rmTmp } from '../../storage/make-batch.js';
import { RawClient } from '../harness.js';

let root: string;
let broker: Broker;
let kafka: Kafka;

function connect(): void {
  kafka = new Kafka({ clientId: 'samsa-delete-records-test', brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
}

before(async () => {
  root = makeTmpDir('samsa-delete-records-');
  broker = await startBroker({ dataDir: root });
  connect();
});

after(async () => {
  await broker.close();
  rmTmp(root);
});

async function produce(topic: string, n: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < n; i++) await producer.send({ topic, acks: -1, messages: [{ value: `v${i}` }] });
  } finally {
    await producer.disconnect();
  }
}

async function low(topic: string): Promise<{ low: number; high: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [p] = await admin.fetchTopicOffsets(topic);
    return { low: Number(p!.low), high: Number(p!.high) };
  } finally {
    await admin.disconnect();
  }
}

test('kafkajs deleteTopicRecords moves the low watermark; reads below it are out of range; a restart keeps it', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'dr', numPartitions: 1 }] });
    await produce('dr', 10);
    // kafkajs finds partition leaders in its metadata cache only: load it for the topic.
    await admin.fetchTopicMetadata({ topics: ['dr'] });
    await admin.deleteTopicRecords({ topic: 'dr', partitions: [{ partition: 0, offset: '4' }] });
  } finally {
    await admin.disconnect();
  }
  assert.deepEqual(await low('dr'), { low: 4, high: 10 });
  assert.equal((await broker.engine.read('dr', 0, 3, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const r = await broker.engine.read('dr', 0, 4, 1 << 20);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.ok(r.records.byteLength > 0);

  // Restart on the same data directory: the start stays at 4.
  await broker.close();
  broker = await startBroker({ dataDir: root });
  connect();
  assert.deepEqual(await low('dr'), { low: 4, high: 10 });
  assert.equal((await broker.engine.read('dr', 0, 3, 1 << 20)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('v2 (flexible): -1 is the high watermark; per-partition errors for a bad offset, an unknown partition and a compact-only topic', async () => {
  await broker.engine.createTopic('dr2', 2);
  await broker.engine.createTopic('table', 1, { 'cleanup.policy': 'compact' });
  await produce('dr2', 3);
  await produce('table', 2);
  const c = await RawClient.connect(broker.kafkaPort);
  try {
    const res = await c.request(DeleteRecordsRequestCodec, DeleteRecordsResponseCodec, 2, {
      topics: [
        { name: 'dr2', partitions: [{ partitionIndex: 0, offset: -1 }, { partitionIndex: 1, offset: 99 }, { partitionIndex: 7, offset: 0 }] },
        // Past the end on purpose: the policy is checked first, as Kafka does (POLICY_VIOLATION, not OFFSET_OUT_OF_RANGE).
        { name: 'table', partitions: [{ partitionIndex: 0, offset: 1_000_000 }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, offset: 0 }] },
      ],
      timeoutMs: 1000,
    });
    const byTopic = new Map(res.topics.map((t) => [t.name, t.partitions]));
    const high0 = broker.engine.offsets('dr2', 0).highWatermark;
    assert.deepEqual(byTopic.get('dr2'), [
      { partitionIndex: 0, lowWatermark: high0, errorCode: ErrorCode.NONE },
      { partitionIndex: 1, lowWatermark: -1, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE },
      { partitionIndex: 7, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
    ]);
    assert.deepEqual(byTopic.get('table'), [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.POLICY_VIOLATION }]);
    assert.deepEqual(byTopic.get('nope'), [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }]);
  } finally {
    c.close();
  }
  assert.equal(broker.engine.offsets('dr2', 0).logStartOffset, broker.engine.offsets('dr2', 0).highWatermark);
  assert.equal(broker.engine.offsets('table', 0).logStartOffset, 0, 'a compacted topic keeps its start');
});
