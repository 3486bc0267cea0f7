// Transactions over the Kafka protocol, request by request (raw client, real broker):
// FindCoordinator for a transactional id, InitProducerId epochs and fencing,
// AddPartitionsToTxn (v3 and the v4 batched form), transactional Produce and the
// partition check (KIP-890 part 1), EndTxn commit and abort with their markers, the
// last stable offset and aborted transactions in read_committed Fetch and ListOffsets,
// TxnOffsetCommit with OffsetFetch require_stable, the timeout abort, and a restart
// that finishes a decided transaction and keeps an undecided one open until it times out;
// DescribeTransactions, ListTransactions and DescribeProducers on an open transaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/wire/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT, controlType } from '../../src/wire/control-batch.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../src/wire/schemas/19-create-topics.js';
import { FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '../../src/wire/schemas/10-find-coordinator.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../src/wire/schemas/22-init-producer-id.js';
import { AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec } from '../../src/wire/schemas/24-add-partitions-to-txn.js';
import { AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec } from '../../src/wire/schemas/25-add-offsets-to-txn.js';
import { EndTxnRequestCodec, EndTxnResponseCodec } from '../../src/wire/schemas/26-end-txn.js';
import { TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec } from '../../src/wire/schemas/28-txn-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '../../src/wire/schemas/09-offset-fetch.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec, type FetchPartitionData } from '../../src/wire/schemas/01-fetch.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '../../src/wire/schemas/02-list-offsets.js';
import { DescribeProducersRequestCodec, DescribeProducersResponseCodec } from '../../src/wire/schemas/61-describe-producers.js';
import { DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec } from '../../src/wire/schemas/65-describe-transactions.js';
import { ListTransactionsRequestCodec, ListTransactionsResponseCodec } from '../../src/wire/schemas/66-list-transactions.js';
import { startEngine } from '../../src/broker/engine.js';
import { startKafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { TxnStateStore } from '../../src/txn/state-store.js';
import { zeroCopySender, zeroCopyStats } from '../../src/broker/file-range.js';
import { tailCacheStats } from '../../src/broker/tail-cache.js';
import { RawClient, startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;
let client: RawClient;

before(async () => {
  // The timeout check runs often so a timed-out transaction is aborted within the test's wait.
  broker = await startTestBroker({ transactions: { abortCheckIntervalMs: 50 } });
  client = await RawClient.connect(broker.port);
});

after(async () => {
  client.close();
  await broker.close();
});

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await client.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 4, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.equal(r.topics[0]!.errorCode, 0);
}

async function initProducer(id: string, timeoutMs = 60_000, c: RawClient = client): Promise<{ producerId: number; producerEpoch: number; errorCode: number }> {
  return c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: id, transactionTimeoutMs: timeoutMs, producerId: -1, producerEpoch: -1 });
}

async function addPartitions(id: string, producerId: number, producerEpoch: number, topic: string, partitions: number[]): Promise<number[]> {
  const r = await client.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 3, {
    transactions: [], v3AndBelowTransactionalId: id, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch,
    v3AndBelowTopics: [{ name: topic, partitions }],
  });
  return r.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode);
}

async function produce(id: string | null, topic: string, partition: number, producerId: number, producerEpoch: number, seq: number, values: string[]): Promise<{ errorCode: number; baseOffset: number }> {
  const records = encodeRecordBatch(values.map((v) => ({ value: v })), { producerId, producerEpoch, baseSequence: seq, transactional: id !== null });
  const r = await client.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
    transactionalId: id, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function endTxn(id: string, producerId: number, producerEpoch: number, committed: boolean): Promise<number> {
  return (await client.request(EndTxnRequestCodec, EndTxnResponseCodec, 3, { transactionalId: id, producerId, producerEpoch, committed })).errorCode;
}

async function fetch(topic: string, partition: number, offset: number, isolationLevel: number): Promise<FetchPartitionData> {
  const r = await client.request(FetchRequestCodec, FetchResponseCodec, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  return r.responses[0]!.partitions[0]!;
}

/** Values of the data records, and the control types of the markers, in the order fetched. */
function contents(p: FetchPartitionData): { values: string[]; markers: number[] } {
  const out = { values: [] as string[], markers: [] as number[] };
  for (const b of decodeRecordBatches(p.records ?? new Uint8Array(0))) {
    if ((b.header.attributes & 0x20) !== 0) continue;
    for (const r of b.records) out.values.push(Buffer.from(r.value ?? new Uint8Array(0)).toString());
  }
  const bytes = p.records ?? new Uint8Array(0);
  for (let pos = 0; pos + 12 <= bytes.byteLength;) {
    const size = 12 + new DataView(bytes.buffer, bytes.byteOffset + pos).getInt32(8);
    const t = controlType(bytes.subarray(pos, pos + size));
    if (t >= 0) out.markers.push(t);
    pos += size;
  }
  return out;
}

async function listLatest(topic: string, partition: number, isolationLevel: number): Promise<number> {
  const r = await client.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, 5, {
    replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
  });
  return r.topics[0]!.partitions[0]!.offset;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`waited 30 s for ${what}`);
}

describe('transactions over the protocol', () => {
  test('FindCoordinator names this broker for a transactional id', async () => {
    const r = await client.request(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, 4, { key: '', keyType: 1, coordinatorKeys: ['tx-a', 'tx-b'] });
    assert.deepEqual(r.coordinators.map((c) => [c.key, c.errorCode, c.port]), [['tx-a', 0, broker.port], ['tx-b', 0, broker.port]]);
  });

  test('commit and abort: markers in every partition, the LSO, read_committed Fetch and ListOffsets', async () => {
    await createTopic('tx-data', 2);
    const { producerId, producerEpoch } = await initProducer('tx-1');
    assert.deepEqual(await addPartitions('tx-1', producerId, producerEpoch, 'tx-data', [0, 1]), [0, 0]);
    assert.equal((await produce('tx-1', 'tx-data', 0, producerId, producerEpoch, 0, ['c1', 'c2'])).errorCode, 0);
    assert.equal((await produce('tx-1', 'tx-data', 1, producerId, producerEpoch, 0, ['c3'])).errorCode, 0);
    // Open: read_committed sees nothing, read_uncommitted everything; ListOffsets agrees.
    let p0 = await fetch('tx-data', 0, 0, 1);
    assert.deepEqual([p0.highWatermark, p0.lastStableOffset], [2, 0]);
    assert.deepEqual(contents(p0).values, []);
    assert.deepEqual(contents(await fetch('tx-data', 0, 0, 0)).values, ['c1', 'c2']);
    assert.deepEqual([await listLatest('tx-data', 0, 0), await listLatest('tx-data', 0, 1)], [2, 0]);
    assert.equal(await endTxn('tx-1', producerId, producerEpoch, true), 0);
    assert.equal(await endTxn('tx-1', producerId, producerEpoch, true), 0, 'a retried EndTxn of a completed commit succeeds');
    p0 = await fetch('tx-data', 0, 0, 1);
    assert.deepEqual([p0.highWatermark, p0.lastStableOffset], [3, 3]);
    assert.deepEqual(contents(p0), { values: ['c1', 'c2'], markers: [CONTROL_TYPE_COMMIT] });
    assert.deepEqual(contents(await fetch('tx-data', 1, 0, 1)), { values: ['c3'], markers: [CONTROL_TYPE_COMMIT] });
    // The next transaction aborts (sequences go on across transactions at one epoch).
    assert.deepEqual(await addPartitions('tx-1', producerId, producerEpoch, 'tx-data', [0]), [0]);
    assert.equal((await produce('tx-1', 'tx-data', 0, producerId, producerEpoch, 2, ['a1'])).errorCode, 0);
    assert.equal(await endTxn('tx-1', producerId, producerEpoch, false), 0);
    p0 = await fetch('tx-data', 0, 0, 1);
    assert.equal(p0.lastStableOffset, 5);
    assert.deepEqual(p0.abortedTransactions, [{ producerId, firstOffset: 3 }]);
    assert.deepEqual(contents(p0), { values: ['c1', 'c2', 'a1'], markers: [CONTROL_TYPE_COMMIT, CONTROL_TYPE_ABORT] }, 'the consumer drops a1 using the aborted list');
    assert.equal((await fetch('tx-data', 0, 0, 0)).abortedTransactions, null, 'read_uncommitted gets no list');
    assert.equal(await endTxn('tx-1', producerId, producerEpoch, true), ErrorCode.INVALID_TXN_STATE, 'committing an aborted transaction');
  });

  test('read_committed in a fetch session: the open transaction moves only the high watermark; its abort brings the records, the marker and the aborted list', async () => {
    await createTopic('tx-sess', 1);
    const sessionFetch = async (sessionId: number, sessionEpoch: number, offset: number | null) =>
      client.request(FetchRequestCodec, FetchResponseCodec, 11, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId, sessionEpoch,
        topics: offset === null ? [] : [{ topic: 'tx-sess', topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
        forgottenTopicsData: [], rackId: '',
      });
    const full = await sessionFetch(0, 0, 0);
    assert.ok(full.sessionId > 0);
    const { producerId, producerEpoch } = await initProducer('tx-sess-1');
    assert.deepEqual(await addPartitions('tx-sess-1', producerId, producerEpoch, 'tx-sess', [0]), [0]);
    assert.equal((await produce('tx-sess-1', 'tx-sess', 0, producerId, producerEpoch, 0, ['a1', 'a2'])).errorCode, 0);
    const open = await sessionFetch(full.sessionId, 1, null);
    const p = open.responses[0]!.partitions[0]!;
    assert.deepEqual([p.highWatermark, p.lastStableOffset, p.records?.byteLength ?? 0], [2, 0, 0]);
    assert.equal((await sessionFetch(full.sessionId, 2, null)).responses.length, 0, 'nothing new');
    assert.equal(await endTxn('tx-sess-1', producerId, producerEpoch, false), 0);
    const aborted = (await sessionFetch(full.sessionId, 3, null)).responses[0]!.partitions[0]!;
    assert.deepEqual([aborted.highWatermark, aborted.lastStableOffset], [3, 3]);
    assert.deepEqual(aborted.abortedTransactions, [{ producerId, firstOffset: 0 }]);
    assert.deepEqual(contents(aborted), { values: ['a1', 'a2'], markers: [CONTROL_TYPE_ABORT] });
    await sessionFetch(full.sessionId, -1, null);
  });

  test('a transactional produce needs the partition in the transaction at the current epoch', async () => {
    await createTopic('tx-check', 2);
    const { producerId, producerEpoch } = await initProducer('tx-2');
    assert.equal((await produce('tx-2', 'tx-check', 0, producerId, producerEpoch, 0, ['x'])).errorCode, ErrorCode.INVALID_TXN_STATE, 'no AddPartitionsToTxn');
    assert.deepEqual(await addPartitions('tx-2', producerId, producerEpoch, 'tx-check', [0]), [0]);
    assert.equal((await produce('tx-2', 'tx-check', 1, producerId, producerEpoch, 0, ['x'])).errorCode, ErrorCode.INVALID_TXN_STATE, 'another partition');
    assert.equal((await produce('tx-2', 'tx-check', 0, producerId, producerEpoch + 1, 0, ['x'])).errorCode, ErrorCode.INVALID_TXN_STATE, 'a future epoch');
    assert.equal((await produce('tx-2', 'tx-check', 0, producerId + 1, producerEpoch, 0, ['x'])).errorCode, ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    assert.deepEqual(await addPartitions('tx-2', producerId, producerEpoch, 'no-such-topic', [0]), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal(await endTxn('nobody', 1, 0, true), ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // The v4 batched form: one transaction verified, one added.
    const { producerId: pid3, producerEpoch: e3 } = await initProducer('tx-3');
    const r = await client.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 4, {
      transactions: [
        { transactionalId: 'tx-2', producerId, producerEpoch, verifyOnly: true, topics: [{ name: 'tx-check', partitions: [0, 1] }] },
        { transactionalId: 'tx-3', producerId: pid3, producerEpoch: e3, verifyOnly: false, topics: [{ name: 'tx-check', partitions: [1] }] },
      ],
      v3AndBelowTransactionalId: '', v3AndBelowProducerId: -1, v3AndBelowProducerEpoch: -1, v3AndBelowTopics: [],
    });
    assert.deepEqual(r.resultsByTransaction.map((t) => [t.transactionalId, t.topicResults[0]!.resultsByPartition.map((p) => p.partitionErrorCode)]), [
      ['tx-2', [0, ErrorCode.INVALID_TXN_STATE]],
      ['tx-3', [0]],
    ]);
    assert.equal(await endTxn('tx-2', producerId, producerEpoch, false), 0);
    assert.equal(await endTxn('tx-3', pid3, e3, false), 0);
  });

  test('a new producer with the same transactional id aborts the open transaction and fences the old one', async () => {
    await createTopic('tx-fence', 1);
    const old = await initProducer('tx-f');
    assert.deepEqual(await addPartitions('tx-f', old.producerId, old.producerEpoch, 'tx-fence', [0]), [0]);
    assert.equal((await produce('tx-f', 'tx-fence', 0, old.producerId, old.producerEpoch, 0, ['zombie-1'])).errorCode, 0);
    const fresh = await initProducer('tx-f');
    assert.equal(fresh.producerId, old.producerId);
    assert.equal(fresh.producerEpoch, old.producerEpoch + 2, 'one bump fences (the abort marker), one is the new producer');
    const p = await fetch('tx-fence', 0, 0, 1);
    assert.deepEqual([p.lastStableOffset, p.abortedTransactions], [2, [{ producerId: old.producerId, firstOffset: 0 }]]);
    assert.equal(await endTxn('tx-f', old.producerId, old.producerEpoch, true), ErrorCode.PRODUCER_FENCED);
    assert.deepEqual(await addPartitions('tx-f', old.producerId, old.producerEpoch, 'tx-fence', [0]), [ErrorCode.PRODUCER_FENCED]);
    // Even unchecked by the coordinator, the partition refuses the old epoch (the marker bumped it).
    assert.equal((await produce(null, 'tx-fence', 0, old.producerId, old.producerEpoch, 1, ['zombie-2'])).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    // Older clients hear INVALID_PRODUCER_EPOCH for PRODUCER_FENCED (EndTxn v1).
    const v1 = await client.request(EndTxnRequestCodec, EndTxnResponseCodec, 1, { transactionalId: 'tx-f', producerId: old.producerId, producerEpoch: old.producerEpoch, committed: true });
    assert.equal(v1.errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.deepEqual(await addPartitions('tx-f', fresh.producerId, fresh.producerEpoch, 'tx-fence', [0]), [0]);
    assert.equal((await produce('tx-f', 'tx-fence', 0, fresh.producerId, fresh.producerEpoch, 0, ['fresh'])).errorCode, 0);
    assert.equal(await endTxn('tx-f', fresh.producerId, fresh.producerEpoch, true), 0);
    assert.deepEqual(contents(await fetch('tx-fence', 0, 0, 1)).values, ['zombie-1', 'fresh']);
  });

  test('TxnOffsetCommit: offsets appear when the transaction commits, never when it aborts; require_stable waits', async () => {
    await createTopic('tx-in', 1);
    const offsetsOf = async (requireStable: boolean) =>
      (await client.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 7, { groupId: 'tx-group', topics: [{ name: 'tx-in', partitionIndexes: [0] }], requireStable, groups: [] })).topics[0]!.partitions[0]!;
    const { producerId, producerEpoch } = await initProducer('tx-o');
    const commitOffset = async (offset: number) =>
      (await client.request(TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec, 3, {
        transactionalId: 'tx-o', groupId: 'tx-group', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'tx-in', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
      })).topics[0]!.partitions[0]!.errorCode;
    assert.equal(await commitOffset(5), ErrorCode.INVALID_TXN_STATE, 'AddOffsetsToTxn first');
    const added = await client.request(AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec, 3, { transactionalId: 'tx-o', producerId, producerEpoch, groupId: 'tx-group' });
    assert.equal(added.errorCode, 0);
    assert.equal(await commitOffset(5), 0);
    assert.equal((await offsetsOf(true)).errorCode, ErrorCode.UNSTABLE_OFFSET_COMMIT);
    assert.deepEqual([(await offsetsOf(false)).errorCode, (await offsetsOf(false)).committedOffset], [0, -1]);
    assert.equal(await endTxn('tx-o', producerId, producerEpoch, true), 0);
    assert.deepEqual([(await offsetsOf(true)).errorCode, (await offsetsOf(true)).committedOffset], [0, 5]);
    // An aborted commit leaves the last committed offset.
    await client.request(AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec, 3, { transactionalId: 'tx-o', producerId, producerEpoch, groupId: 'tx-group' });
    assert.equal(await commitOffset(9), 0);
    assert.equal(await endTxn('tx-o', producerId, producerEpoch, false), 0);
    assert.deepEqual([(await offsetsOf(true)).errorCode, (await offsetsOf(true)).committedOffset], [0, 5]);
  });

  test('DescribeTransactions, ListTransactions (state, producer id, duration and pattern filters) and DescribeProducers show an open transaction', async () => {
    await createTopic('tx-desc', 2);
    const { producerId, producerEpoch } = await initProducer('tx-d');
    const idle = await initProducer('tx-d-idle');
    assert.deepEqual(await addPartitions('tx-d', producerId, producerEpoch, 'tx-desc', [1, 0]), [0, 0]);
    assert.equal((await produce('tx-d', 'tx-desc', 1, producerId, producerEpoch, 0, ['a', 'b'])).errorCode, 0);

    const d = await client.request(DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec, 0, { transactionalIds: ['tx-d', 'tx-d-idle', 'tx-unknown'] });
    const [open, empty, unknown] = d.transactionStates;
    assert.deepEqual(
      [open!.errorCode, open!.transactionState, open!.producerId, open!.producerEpoch, open!.transactionTimeoutMs, open!.topics],
      [0, 'Ongoing', producerId, producerEpoch, 60_000, [{ topic: 'tx-desc', partitions: [0, 1] }]],
    );
    assert.ok(open!.transactionStartTimeMs > 0);
    assert.deepEqual([empty!.errorCode, empty!.transactionState, empty!.transactionStartTimeMs, empty!.topics], [0, 'Empty', -1, []]);
    assert.equal(unknown!.errorCode, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);

    const list = async (v: number, req: { stateFilters?: string[]; producerIdFilters?: number[]; durationFilter?: number; transactionalIdPattern?: string | null }) => {
      const r = await client.request(ListTransactionsRequestCodec, ListTransactionsResponseCodec, v, {
        stateFilters: [], producerIdFilters: [], durationFilter: -1, transactionalIdPattern: null, ...req,
      });
      return { errorCode: r.errorCode, unknown: r.unknownStateFilters, ids: r.transactionStates.map((t) => t.transactionalId).filter((id) => id.startsWith('tx-d')).sort() };
    };
    assert.deepEqual(await list(0, {}), { errorCode: 0, unknown: [], ids: ['tx-d', 'tx-d-idle'] });
    assert.deepEqual(await list(0, { stateFilters: ['Ongoing', 'Bogus'] }), { errorCode: 0, unknown: ['Bogus'], ids: ['tx-d'] });
    assert.deepEqual(await list(0, { producerIdFilters: [idle.producerId] }), { errorCode: 0, unknown: [], ids: ['tx-d-idle'] });
    // Open for less than a day: only the idle id (no transaction: start -1) is "older".
    assert.deepEqual(await list(1, { durationFilter: 86_400_000 }), { errorCode: 0, unknown: [], ids: ['tx-d-idle'] });
    assert.deepEqual(await list(2, { transactionalIdPattern: 'tx-d-.*' }), { errorCode: 0, unknown: [], ids: ['tx-d-idle'] });
    assert.equal((await list(2, { transactionalIdPattern: 'tx-(' })).errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);

    const p = await client.request(DescribeProducersRequestCodec, DescribeProducersResponseCodec, 0, { topics: [{ name: 'tx-desc', partitionIndexes: [1, 0, 7] }, { name: 'tx-nope', partitionIndexes: [0] }] });
    const [p1, p0, p7] = p.topics[0]!.partitions;
    const mine = p1!.activeProducers.find((x) => x.producerId === producerId);
    assert.deepEqual([p1!.errorCode, mine?.producerEpoch, mine?.lastSequence, mine?.currentTxnStartOffset], [0, producerEpoch, 1, 0]);
    assert.deepEqual([p0!.errorCode, p0!.activeProducers], [0, []], 'added to the transaction but nothing written there');
    assert.equal(p7!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(p.topics[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    assert.equal(await endTxn('tx-d', producerId, producerEpoch, true), 0);
    const after = await client.request(DescribeTransactionsRequestCodec, DescribeTransactionsResponseCodec, 0, { transactionalIds: ['tx-d'] });
    assert.deepEqual([after.transactionStates[0]!.transactionState, after.transactionStates[0]!.topics], ['CompleteCommit', []]);
    const p1After = (await client.request(DescribeProducersRequestCodec, DescribeProducersResponseCodec, 0, { topics: [{ name: 'tx-desc', partitionIndexes: [1] }] })).topics[0]!.partitions[0]!;
    assert.equal(p1After.activeProducers.find((x) => x.producerId === producerId)?.currentTxnStartOffset, -1);
  });

  test('a transaction open past its timeout is aborted and its producer fenced', async () => {
    await createTopic('tx-slow', 1);
    const { producerId, producerEpoch } = await initProducer('tx-s', 200);
    await addPartitions('tx-s', producerId, producerEpoch, 'tx-slow', [0]);
    assert.equal((await produce('tx-s', 'tx-slow', 0, producerId, producerEpoch, 0, ['late'])).errorCode, 0);
    await until('the timed-out transaction to be aborted', async () => (await fetch('tx-slow', 0, 0, 1)).lastStableOffset === 2);
    assert.deepEqual((await fetch('tx-slow', 0, 0, 1)).abortedTransactions, [{ producerId, firstOffset: 0 }]);
    assert.equal(await endTxn('tx-s', producerId, producerEpoch, true), ErrorCode.PRODUCER_FENCED);
  });
});

test('after a restart a decided transaction is finished and an undecided one is aborted at its timeout', async () => {
  const b = await startTestBroker({ transactions: { abortCheckIntervalMs: 50 } });
  let c = await RawClient.connect(b.port);
  try {
    await c.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 4, { topics: [{ name: 'r', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
    const init = await initProducer('tx-r', 1_000, c);
    await c.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 3, { transactions: [], v3AndBelowTransactionalId: 'tx-r', v3AndBelowProducerId: init.producerId, v3AndBelowProducerEpoch: init.producerEpoch, v3AndBelowTopics: [{ name: 'r', partitions: [0] }] });
    const records = encodeRecordBatch([{ value: 'in-flight' }], { producerId: init.producerId, producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true });
    const pr = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: 'tx-r', acks: -1, timeoutMs: 5000, topicData: [{ name: 'r', partitionData: [{ index: 0, records }] }] });
    assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, 0);
    // Restart the engine in place: the transaction is Ongoing in __transaction_state.
    c.close();
    await b.server.close();
    await b.engine.close();
    b.engine = await startEngine({ dataDir: b.dataDir, shards: 1, pin: false });
    b.server = await startKafkaTcpServer(b.engine, { host: '127.0.0.1', port: 0, transactions: { abortCheckIntervalMs: 50 } });
    c = await RawClient.connect(b.server.port);
    const fetchR = async () => (await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 1, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: 'r', topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    })).responses[0]!.partitions[0]!;
    // The LSO is still held by the open transaction until the coordinator aborts it.
    for (let i = 0; i < 600 && (await fetchR()).lastStableOffset !== 2; i++) await new Promise((r) => setTimeout(r, 50));
    const p = await fetchR();
    assert.deepEqual([p.lastStableOffset, p.abortedTransactions], [2, [{ producerId: init.producerId, firstOffset: 0 }]]);
    // A decided transaction whose markers a crash prevented: PrepareCommit is durable, no marker is written.
    const next = await initProducer('tx-r', 60_000, c);
    await c.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 3, { transactions: [], v3AndBelowTransactionalId: 'tx-r', v3AndBelowProducerId: next.producerId, v3AndBelowProducerEpoch: next.producerEpoch, v3AndBelowTopics: [{ name: 'r', partitions: [0] }] });
    const decided = encodeRecordBatch([{ value: 'decided' }], { producerId: next.producerId, producerEpoch: next.producerEpoch, baseSequence: 0, transactional: true });
    await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: 'tx-r', acks: -1, timeoutMs: 5000, topicData: [{ name: 'r', partitionData: [{ index: 0, records: decided }] }] });
    c.close();
    await b.server.close();
    const nowMs = Date.now();
    await new TxnStateStore(b.engine).put('tx-r', {
      producerId: next.producerId, producerEpoch: next.producerEpoch, timeoutMs: 60_000, state: 'PrepareCommit', partitions: [['r', 0]], startMs: nowMs, updateMs: nowMs,
    });
    await b.engine.close();
    b.engine = await startEngine({ dataDir: b.dataDir, shards: 1, pin: false });
    b.server = await startKafkaTcpServer(b.engine, { host: '127.0.0.1', port: 0 });
    c = await RawClient.connect(b.server.port);
    for (let i = 0; i < 600 && (await fetchR()).lastStableOffset !== 4; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(contents(await fetchR()), { values: ['in-flight', 'decided'], markers: [CONTROL_TYPE_ABORT, CONTROL_TYPE_COMMIT] });
  } finally {
    c.close();
    await b.close();
  }
});

test('read_committed on the zero-copy path: a large read stops at the LSO and carries the aborted transactions', async () => {
  await createTopic('tx-big', 1);
  const { producerId, producerEpoch } = await initProducer('tx-big');
  // ~120 KB batches: every read here is past the file-range threshold (64 KiB).
  const values = (tag: string) => Array.from({ length: 30 }, (_, i) => `${tag}${i}:`.padEnd(4000, tag));
  let seq = 0;
  const txn = async (tags: string[], end: boolean | null): Promise<void> => {
    assert.deepEqual(await addPartitions('tx-big', producerId, producerEpoch, 'tx-big', [0]), [0]);
    for (const t of tags) {
      assert.equal((await produce('tx-big', 'tx-big', 0, producerId, producerEpoch, seq, values(t))).errorCode, 0);
      seq += 30;
    }
    if (end !== null) assert.equal(await endTxn('tx-big', producerId, producerEpoch, end), 0);
  };
  await txn(['c', 'd'], true); // 0-59, commit marker 60
  await txn(['a', 'b'], false); // 61-120, abort marker 121
  await txn(['o'], null); // 122-151, open
  const ranges = zeroCopyStats.ranges;
  const p = await fetch('tx-big', 0, 0, 1);
  assert.deepEqual([p.highWatermark, p.lastStableOffset], [152, 122]);
  assert.deepEqual(p.abortedTransactions, [{ producerId, firstOffset: 61 }]);
  const got = contents(p);
  assert.deepEqual(got.markers, [CONTROL_TYPE_COMMIT, CONTROL_TYPE_ABORT]);
  assert.deepEqual(got.values, [...values('c'), ...values('d'), ...values('a'), ...values('b')], 'nothing of the open transaction');
  if (zeroCopySender() !== null) assert.ok(zeroCopyStats.ranges > ranges, 'the read went out as a file range');
  // From inside the aborted transaction: the list still names it.
  const mid = await fetch('tx-big', 0, 91, 1);
  assert.deepEqual(mid.abortedTransactions, [{ producerId, firstOffset: 61 }]);
  assert.deepEqual(contents(mid).values, values('b'));
  assert.deepEqual(contents(await fetch('tx-big', 0, 122, 0)).values, values('o'), 'read_uncommitted reads the open transaction');
  assert.equal(await endTxn('tx-big', producerId, producerEpoch, false), 0);
});

test('read_committed never reads the tail cache: records above the LSO held there stay unread', async () => {
  await createTopic('tx-tail', 1);
  const { producerId, producerEpoch } = await initProducer('tx-tail');
  // A waiter on the partition makes the engine keep the appends it wakes for (tail-cache.ts).
  const woken = broker.engine.waitForAppend([{ topic: 'tx-tail', partition: 0 }], 30_000);
  assert.equal((await produce(null, 'tx-tail', 0, -1, -1, -1, ['plain'])).errorCode, 0); // 0
  assert.equal(await woken, true);
  assert.deepEqual(await addPartitions('tx-tail', producerId, producerEpoch, 'tx-tail', [0]), [0]);
  assert.equal((await produce('tx-tail', 'tx-tail', 0, producerId, producerEpoch, 0, ['open'])).errorCode, 0); // 1, open
  const hits = tailCacheStats.hits;
  const committed = await fetch('tx-tail', 0, 0, 1);
  assert.deepEqual([committed.highWatermark, committed.lastStableOffset], [2, 1]);
  assert.deepEqual(contents(committed).values, ['plain']);
  assert.equal(tailCacheStats.hits, hits, 'read_committed went to the shard');
  // The cache did hold both: read_uncommitted is answered from it.
  assert.deepEqual(contents(await fetch('tx-tail', 0, 0, 0)).values, ['plain', 'open']);
  assert.equal(tailCacheStats.hits, hits + 1);
  assert.equal(await endTxn('tx-tail', producerId, producerEpoch, true), 0);
  assert.deepEqual(contents(await fetch('tx-tail', 0, 0, 1)).values, ['plain', 'open']);
});
