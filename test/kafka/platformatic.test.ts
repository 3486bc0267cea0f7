// @platformatic/kafka (a modern Node client that picks the highest versions we
// serve: ApiVersions v3, Metadata v12, Produce v11, Fetch v17 by topic id,
// ListOffsets v9, CreateTopics v7, DeleteTopics v6, InitProducerId v5; FindCoordinator v6 in groups) against a
// real broker: the flexible-version half of the interop tests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;
const seen = new Set<string>();

before(async () => {
  broker = await startTestBroker();
  const handler = broker.server.handler;
  const inner = handler.handleChunks.bind(handler);
  // Records which API versions the client chose (the connection calls through the handler object).
  (handler as { handleChunks: typeof inner }).handleChunks = (frame, conn) => {
    seen.add(`${(frame[0]! << 8) | frame[1]!}v${(frame[2]! << 8) | frame[3]!}`);
    return inner(frame, conn);
  };
});

after(() => broker.close());

test('admin, idempotent producer with headers, fetch by topic id and offsets, at flexible versions', async () => {
  const bootstrapBrokers = [`127.0.0.1:${broker.port}`];
  const admin = new Admin({ clientId: 'pk-test', bootstrapBrokers });
  const producer = new Producer({ clientId: 'pk-test', bootstrapBrokers, serializers: stringSerializers, idempotent: true });
  const consumer = new Consumer({ clientId: 'pk-test', groupId: 'unused', bootstrapBrokers, deserializers: stringDeserializers });
  try {
    const created = await admin.createTopics({ topics: ['pk'], partitions: 2, replicas: 1 });
    assert.equal(created[0]!.partitions, 2);
    assert.ok((await admin.listTopics()).includes('pk'));

    const sent = await producer.send({
      messages: [
        { topic: 'pk', key: 'a', value: 'one', headers: { trace: 'x' }, partition: 0 },
        { topic: 'pk', key: 'b', value: 'two', partition: 0 },
        { topic: 'pk', key: 'c', value: 'three', partition: 1 },
      ],
    });
    assert.ok(sent.offsets !== undefined);

    const topicId = broker.engine.describeTopic('pk')!.topicId;
    const res = await consumer.fetch({
      node: 0,
      topics: [{ topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }],
      maxWaitTime: 10,
      minBytes: 0,
      maxBytes: 1 << 20,
    });
    const p0 = res.responses[0]!.partitions[0]!;
    assert.equal(p0.errorCode, 0);
    assert.equal(p0.highWatermark, 2n);
    const batches = p0.records ?? [];
    const values = batches.flatMap((b) => b.records.map((r) => String(r.value)));
    assert.deepEqual(values, ['one', 'two']);
    assert.ok(batches[0]!.producerId > 0n, 'idempotent batches carry the allocated producer id');

    const offsets = await consumer.listOffsets({ topics: ['pk'] });
    assert.deepEqual(offsets.get('pk'), [2n, 1n]);

    await admin.deleteTopics({ topics: ['pk'] });
    assert.ok(!(await admin.listTopics()).includes('pk'));
  } finally {
    await producer.close();
    await consumer.close();
    await admin.close();
  }
  for (const v of ['18v3', '3v12', '0v11', '1v17', '2v9', '19v7', '20v6', '22v5']) assert.ok(seen.has(v), `expected the client to use ${v}; used ${[...seen].join(' ')}`);
});

test('a @platformatic/kafka group consumer commits and a new one resumes (JoinGroup v9, SyncGroup v5, OffsetCommit/OffsetFetch v9)', async () => {
  const bootstrapBrokers = [`127.0.0.1:${broker.port}`];
  await broker.engine.createTopic('pk-group', 2);
  const producer = new Producer({ clientId: 'pk-test', bootstrapBrokers, serializers: stringSerializers });
  const consume = async (n: number): Promise<string[]> => {
    const consumer = new Consumer({ clientId: 'pk-test', groupId: 'pk-g', bootstrapBrokers, deserializers: stringDeserializers, maxWaitTime: 100 });
    const stream = await consumer.consume({ topics: ['pk-group'], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    const got: string[] = [];
    try {
      for await (const m of stream) {
        got.push(String(m.value));
        await m.commit();
        if (got.length >= n) break;
      }
    } finally {
      await stream.close();
      await consumer.close();
    }
    return got;
  };
  try {
    await producer.send({ messages: ['1', '2', '3'].map((value, i) => ({ topic: 'pk-group', key: `k${i}`, value })) });
    assert.deepEqual((await consume(3)).sort(), ['1', '2', '3']);
    await producer.send({ messages: [{ topic: 'pk-group', key: 'k9', value: '4' }] });
    assert.deepEqual(await consume(1), ['4']);
  } finally {
    await producer.close();
  }
  for (const v of ['10v6', '11v9', '14v5', '8v9', '9v9', '13v5']) assert.ok(seen.has(v), `expected the client to use ${v}; used ${[...seen].join(' ')}`);
});
