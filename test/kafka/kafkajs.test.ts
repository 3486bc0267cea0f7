// kafkajs (non-flexible versions: Produce ≤7, Fetch ≤11, Metadata ≤6, ApiVersions ≤2)
// against a real broker: admin topics, keyed producer with headers at acks=-1,
// offsets by time, and the records read back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, Partitioners, CompressionTypes } from 'kafkajs';
import { decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { RawClient, startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;
let kafka: Kafka;

before(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({ clientId: 'samsa-kafkajs-test', brokers: [`127.0.0.1:${broker.port}`], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
});

after(() => broker.close());

async function readAll(topic: string, partition: number): Promise<Array<{ key: string | null; value: string | null; headers: Record<string, string>; offset: number; timestamp: number }>> {
  const c = await RawClient.connect(broker.port);
  try {
    const res = await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 24 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString());
    return decodeRecordBatches(p.records!).flatMap((b) =>
      b.records.map((r) => ({
        key: text(r.key),
        value: text(r.value),
        headers: Object.fromEntries(r.headers.map((h) => [h.key, text(h.value) ?? ''])),
        offset: r.offset,
        timestamp: r.timestamp,
      })),
    );
  } finally {
    c.close();
  }
}

test('admin creates, lists, describes and deletes topics', async () => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'js-a', numPartitions: 3 }, { topic: 'js-b', configEntries: [{ name: 'retention.ms', value: '60000' }] }], waitForLeaders: true }), true);
    const topics = await admin.listTopics();
    assert.ok(topics.includes('js-a') && topics.includes('js-b'));
    const md = await admin.fetchTopicMetadata({ topics: ['js-a'] });
    assert.equal(md.topics[0]!.partitions.length, 3);
    const configs = await admin.describeConfigs({ resources: [{ type: 2, name: 'js-b', configNames: ['retention.ms'] }], includeSynonyms: false });
    assert.equal(configs.resources[0]!.configEntries[0]!.configValue, '60000');
    await admin.createPartitions({ topicPartitions: [{ topic: 'js-b', count: 2 }] });
    assert.equal((await admin.fetchTopicMetadata({ topics: ['js-b'] })).topics[0]!.partitions.length, 2);
    await admin.deleteTopics({ topics: ['js-b'] });
    assert.ok(!(await admin.listTopics()).includes('js-b'));
  } finally {
    await admin.disconnect();
  }
});

test('keyed producer with headers at acks=-1, then offsets by time', async () => {
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'js-p', numPartitions: 1 }] });
    const t0 = Date.now() - 10_000;
    const sent = await producer.send({
      topic: 'js-p',
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}`, headers: { trace: `t${i}` }, timestamp: String(t0 + i * 1000) })),
    });
    assert.equal(sent[0]!.errorCode, 0);
    await producer.send({ topic: 'js-p', acks: -1, compression: CompressionTypes.GZIP, messages: [{ key: 'gz', value: 'zipped' }] });

    const records = await readAll('js-p', 0);
    assert.equal(records.length, 11);
    assert.deepEqual(records[3], { key: 'key-3', value: 'value-3', headers: { trace: 't3' }, offset: 3, timestamp: t0 + 3000 });
    assert.equal(records[10]!.value, 'zipped');

    const offsets = await admin.fetchTopicOffsets('js-p');
    assert.deepEqual(offsets.map((o) => [o.partition, o.low, o.high]), [[0, '0', '11']]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp('js-p', t0 + 4500);
    assert.deepEqual(byTime, [{ partition: 0, offset: '5' }]);
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
});

test('idempotent kafkajs producer', async () => {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'js-idem', numPartitions: 2 }] });
    await admin.disconnect();
    for (let i = 0; i < 3; i++) {
      const res = await producer.send({ topic: 'js-idem', acks: -1, messages: [{ key: 'same', value: `v${i}` }] });
      assert.equal(res[0]!.errorCode, 0);
    }
    const total = (await readAll('js-idem', 0)).length + (await readAll('js-idem', 1)).length;
    assert.equal(total, 3);
  } finally {
    await producer.disconnect();
  }
});
