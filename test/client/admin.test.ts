// Admin client against a real in-process broker: create (with configs), list,
// describe, grow partitions, describe configs, list offsets (earliest, latest, by
// timestamp) and delete, and the errors of each as KafkaError codes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, ErrorCode, KafkaError, Producer } from '../../src/client/index.js';
import { type TestBroker, startTestBroker } from './helpers.js';

let tb: TestBroker;
let admin: Admin;

before(async () => {
  tb = await startTestBroker();
  admin = new Admin({ bootstrap: tb.bootstrap });
});

after(async () => {
  await admin.close();
  await tb.close();
});

const hasCode = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code;

test('admin round trip: create, list, describe, configs, grow, delete', async () => {
  await admin.createTopics([
    { name: 'admin-a', numPartitions: 3, configs: { 'retention.ms': '3600000' } },
    { name: 'admin-b', numPartitions: 1 },
  ]);
  const names = await admin.listTopics();
  assert.ok(names.includes('admin-a') && names.includes('admin-b'), names.join());

  const [a] = await admin.describeTopics(['admin-a']);
  assert.equal(a!.name, 'admin-a');
  assert.deepEqual(
    a!.partitions.map((p) => p.partition),
    [0, 1, 2],
  );
  assert.ok(a!.partitions.every((p) => p.leader === 0 && p.errorCode === 0));
  assert.equal(a!.topicId.length, 32);

  const [cfg] = await admin.describeConfigs([{ type: 'topic', name: 'admin-a' }]);
  const retention = cfg!.configs.find((c) => c.name === 'retention.ms');
  assert.equal(retention?.value, '3600000');
  assert.equal(retention?.isDefault, false);
  const segment = cfg!.configs.find((c) => c.name === 'segment.bytes');
  assert.ok(segment !== undefined, 'defaults are listed too');
  const [only] = await admin.describeConfigs([{ type: 'topic', name: 'admin-a', keys: ['retention.ms'] }]);
  assert.deepEqual(
    only!.configs.map((c) => c.name),
    ['retention.ms'],
  );

  await admin.createPartitions([{ topic: 'admin-a', count: 5 }]);
  const [grown] = await admin.describeTopics(['admin-a']);
  assert.equal(grown!.partitions.length, 5);
  await assert.rejects(admin.createPartitions([{ topic: 'admin-a', count: 2 }]), hasCode(ErrorCode.INVALID_PARTITIONS));

  await assert.rejects(admin.createTopics([{ name: 'admin-b' }]), hasCode(ErrorCode.TOPIC_ALREADY_EXISTS));
  await assert.rejects(admin.createTopics([{ name: 'bad/name' }]), hasCode(ErrorCode.INVALID_TOPIC_EXCEPTION));
  await admin.createTopics([{ name: 'admin-validate', numPartitions: 2 }], { validateOnly: true });
  assert.ok(!(await admin.listTopics()).includes('admin-validate'), 'validateOnly creates nothing');

  await admin.deleteTopics(['admin-a', 'admin-b']);
  const after = await admin.listTopics();
  assert.ok(!after.includes('admin-a') && !after.includes('admin-b'));
  await assert.rejects(admin.describeTopics(['admin-a']), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  await assert.rejects(admin.deleteTopics(['admin-a']), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
});

test('createTopics with broker defaults and describeCluster', async () => {
  await admin.createTopics([{ name: 'admin-defaults' }]);
  const [t] = await admin.describeTopics(['admin-defaults']);
  assert.equal(t!.partitions.length, 1); // num.partitions default
  const cluster = await admin.describeCluster();
  assert.equal(cluster.brokers.length, 1);
  assert.equal(cluster.brokers[0]!.port, tb.broker.kafkaPort);
});

test('listOffsets: earliest, latest and by timestamp', async () => {
  await admin.createTopics([{ name: 'admin-offsets', numPartitions: 2 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  const base = 1_700_000_000_000;
  await producer.send({
    topic: 'admin-offsets',
    messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, partition: 1, timestamp: base + i * 1000 })),
  });
  await producer.close();
  assert.deepEqual(await admin.listOffsets('admin-offsets', 'earliest'), [
    { partition: 0, offset: 0, timestamp: -1 },
    { partition: 1, offset: 0, timestamp: -1 },
  ]);
  const latest = await admin.listOffsets('admin-offsets', 'latest');
  assert.deepEqual(
    latest.map((o) => [o.partition, o.offset]),
    [
      [0, 0],
      [1, 10],
    ],
  );
  const [byTime] = await admin.listOffsets('admin-offsets', { timestamp: base + 4500 }, [1]);
  assert.equal(byTime!.offset, 5);
  assert.equal(byTime!.timestamp, base + 5000);
  const [past] = await admin.listOffsets('admin-offsets', { timestamp: base + 60_000 }, [1]);
  assert.equal(past!.offset, -1);
  await assert.rejects(admin.listOffsets('admin-offsets', 'latest', [7]), hasCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
});

test('deleteRecords: the low watermark moves; earliest follows it; -1 empties; errors name the partition', async () => {
  await admin.createTopics([{ name: 'admin-delete-records', numPartitions: 2 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic: 'admin-delete-records', messages: Array.from({ length: 6 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })) });
  await producer.close();
  assert.deepEqual(await admin.deleteRecords('admin-delete-records', [{ partition: 0, offset: 2 }, { partition: 1, offset: -1 }]), [
    { partition: 0, lowWatermark: 2 },
    { partition: 1, lowWatermark: 3 },
  ]);
  assert.deepEqual(
    (await admin.listOffsets('admin-delete-records', 'earliest')).map((o) => o.offset),
    [2, 3],
  );
  await assert.rejects(admin.deleteRecords('admin-delete-records', [{ partition: 0, offset: 50 }]), hasCode(ErrorCode.OFFSET_OUT_OF_RANGE));
  await assert.rejects(admin.deleteRecords('admin-delete-records', [{ partition: 0, offset: -5 }]), RangeError);
  assert.deepEqual(await admin.deleteRecords('admin-delete-records', []), []);
});
