// The APIs a Kafka 4 client's Admin and consumer call besides the data path, driven
// with raw requests over TCP at every served version: OffsetForLeaderEpoch (23),
// DescribeLogDirs (35), ElectLeaders (43), ListPartitionReassignments (46),
// OffsetDelete (47), DescribeCluster (60) and DescribeTopicPartitions (75), plus the newer
// Produce (v11) and Metadata (v13) versions, AlterPartitionReassignments (45) and the broker
// throttle deletion of IncrementalAlterConfigs. Tests run in order and share one broker. Each gets
// Kafka's answer and Kafka's error codes for unknown topics, partitions and groups, and
// hostile input (bad cursors, absurd limits, an array count far past the frame) gets
// an error or a closed connection, never a broker that stops answering.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine } from '../../../src/broker/engine.js';
import { startKafkaTcpServer } from '../../../src/kafka/tcp-server.js';
import { ErrorCode } from '../../../src/wire/errors.js';
import { Writer } from '../../../src/wire/codec/writer.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { partitionDirName } from '../../../src/storage/partition-dir.js';
import { encodeSubscription } from '../../../src/groups/consumer-protocol.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../../src/wire/schemas/00-produce.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../../src/wire/schemas/03-metadata.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../../src/wire/schemas/08-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '../../../src/wire/schemas/09-offset-fetch.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../../src/wire/schemas/11-join-group.js';
import { OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from '../../../src/wire/schemas/23-offset-for-leader-epoch.js';
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec } from '../../../src/wire/schemas/35-describe-log-dirs.js';
import { ElectLeadersRequestCodec, ElectLeadersResponseCodec } from '../../../src/wire/schemas/43-elect-leaders.js';
import { AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec } from '../../../src/wire/schemas/45-alter-partition-reassignments.js';
import { IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from '../../../src/wire/schemas/44-incremental-alter-configs.js';
import { ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec } from '../../../src/wire/schemas/46-list-partition-reassignments.js';
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from '../../../src/wire/schemas/47-offset-delete.js';
import { DescribeClusterRequestCodec, DescribeClusterResponseCodec } from '../../../src/wire/schemas/60-describe-cluster.js';
import { DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec } from '../../../src/wire/schemas/75-describe-topic-partitions.js';
import { RequestHeaderCodec } from '../../../src/wire/schemas/headers.js';
import { RawClient, type TestBroker, encodeRequest, startTestBroker } from '../harness.js';

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});

after(async () => {
  await broker.close();
});

async function produce(c: RawClient, topic: string, partition: number, n: number): Promise<void> {
  const records = Array.from({ length: n }, (_, i) => ({ value: `v${i}` }));
  const r = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records: encodeRecordBatch(records) }] }] });
  assert.equal(r.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
}

test('OffsetForLeaderEpoch v2-4: an epoch ends at the high watermark; -1 is undefined; a current epoch newer than -1 is UNKNOWN_LEADER_EPOCH; unknown topics and partitions', async () => {
  await broker.engine.createTopic('ofle', 2);
  const c = await RawClient.connect(broker.port);
  try {
    await produce(c, 'ofle', 0, 5);
    for (const version of [2, 3, 4]) {
      const r = await c.request(OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec, version, {
        replicaId: -1,
        topics: [
          {
            topic: 'ofle',
            partitions: [
              { partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
              { partition: 1, currentLeaderEpoch: -1, leaderEpoch: 7 },
              { partition: 0, currentLeaderEpoch: -1, leaderEpoch: -1 },
              { partition: 0, currentLeaderEpoch: 3, leaderEpoch: 0 },
              { partition: 2, currentLeaderEpoch: -1, leaderEpoch: 0 },
              { partition: -1, currentLeaderEpoch: -1, leaderEpoch: 0 },
            ],
          },
          { topic: 'no-such-topic', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] },
        ],
      });
      assert.deepEqual(
        r.topics.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.errorCode, p.leaderEpoch, p.endOffset])]),
        [
          [
            'ofle',
            [
              [0, ErrorCode.NONE, 0, 5],
              [1, ErrorCode.NONE, 7, 0],
              [0, ErrorCode.NONE, -1, -1],
              [0, ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1],
              [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
              [-1, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1],
            ],
          ],
          ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1, -1]]],
        ],
        `v${version}`,
      );
    }
  } finally {
    c.close();
  }
  // v0 and v1 are not served by Kafka 4.x either: the connection closes.
  const old = await RawClient.connect(broker.port);
  const v1 = encodeRequest(OffsetForLeaderEpochRequestCodec, 2, 1, { replicaId: -1, topics: [] });
  v1[3] = 1; // the version, big-endian int16 after the key: v2's body is v1's too
  old.sendFrame(v1);
  assert.equal(await old.nextFrame(), null);
  old.close();
});

test('DescribeCluster v0-2: this broker, the cluster id and controller; controllers endpoint type is UNSUPPORTED_ENDPOINT_TYPE', async () => {
  const c = await RawClient.connect(broker.port);
  try {
    for (const version of [0, 1, 2]) {
      const r = await c.request(DescribeClusterRequestCodec, DescribeClusterResponseCodec, version, { includeClusterAuthorizedOperations: true, endpointType: 1, includeFencedBrokers: true });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.clusterId, broker.server.handler.options.clusterId);
      assert.equal(r.controllerId, 0);
      assert.deepEqual(r.brokers.map((b) => [b.brokerId, b.host, b.port, b.rack, b.isFenced]), [[0, '127.0.0.1', broker.port, null, false]]);
      assert.equal(r.clusterAuthorizedOperations, -2147483648, 'no authorizer: not computed');
    }
    const ctl = await c.request(DescribeClusterRequestCodec, DescribeClusterResponseCodec, 1, { includeClusterAuthorizedOperations: false, endpointType: 2, includeFencedBrokers: false });
    assert.equal(ctl.errorCode, ErrorCode.UNSUPPORTED_ENDPOINT_TYPE);
    assert.deepEqual(ctl.brokers, []);
  } finally {
    c.close();
  }
});

test('DescribeLogDirs v1-5: the data directory, each partition\'s size as its .log files, total and usable bytes from v4; named partitions only', async () => {
  await broker.engine.createTopic('dld', 2);
  const c = await RawClient.connect(broker.port);
  try {
    await produce(c, 'dld', 1, 20);
    const logBytes = (p: number): number => {
      const dir = join(broker.dataDir, partitionDirName('dld', p));
      return readdirSync(dir).filter((f) => f.endsWith('.log')).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    };
    for (const version of [1, 2, 3, 4, 5]) {
      const r = await c.request(DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec, version, { topics: null });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.equal(r.results.length, 1);
      const dir = r.results[0]!;
      assert.equal(dir.logDir, broker.dataDir);
      const dld = dir.topics.find((t) => t.name === 'dld');
      assert.deepEqual(dld?.partitions.map((p) => [p.partitionIndex, p.partitionSize, p.offsetLag, p.isFutureKey]), [
        [0, logBytes(0), 0, false],
        [1, logBytes(1), 0, false],
      ]);
      assert.ok(logBytes(1) > 0);
      if (version >= 4) {
        assert.ok(dir.totalBytes > 0 && dir.usableBytes >= 0 && dir.usableBytes <= dir.totalBytes, `v${version}: ${dir.totalBytes} ${dir.usableBytes}`);
      } else {
        assert.equal(dir.totalBytes, -1, 'not on the wire before v4');
      }
      assert.equal(dir.isCordoned, false);
    }
    const named = await c.request(DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec, 4, {
      topics: [
        { topic: 'dld', partitions: [1, 99, -1] },
        { topic: 'no-such-topic', partitions: [0] },
      ],
    });
    assert.deepEqual(named.results[0]!.topics.map((t) => [t.name, t.partitions.map((p) => p.partitionIndex)]), [['dld', [1]]]);
  } finally {
    c.close();
  }
});

test('ElectLeaders v0-2: ELECTION_NOT_NEEDED for every existing partition, UNKNOWN_TOPIC_OR_PARTITION otherwise; all partitions lists none; an unknown election type is INVALID_REQUEST', async () => {
  await broker.engine.createTopic('elect', 2);
  const c = await RawClient.connect(broker.port);
  try {
    for (const version of [0, 1, 2]) {
      for (const electionType of version === 0 ? [0] : [0, 1]) {
        const r = await c.request(ElectLeadersRequestCodec, ElectLeadersResponseCodec, version, {
          electionType,
          topicPartitions: [
            { topic: 'elect', partitions: [0, 1, 2] },
            { topic: 'no-such-topic', partitions: [0] },
          ],
          timeoutMs: 1000,
        });
        assert.equal(r.errorCode, ErrorCode.NONE);
        assert.deepEqual(
          r.replicaElectionResults.map((t) => [t.topic, t.partitionResult.map((p) => [p.partitionId, p.errorCode])]),
          [
            ['elect', [[0, ErrorCode.ELECTION_NOT_NEEDED], [1, ErrorCode.ELECTION_NOT_NEEDED], [2, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
            ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
          ],
          `v${version} type ${electionType}`,
        );
      }
    }
    const all = await c.request(ElectLeadersRequestCodec, ElectLeadersResponseCodec, 2, { electionType: 0, topicPartitions: null, timeoutMs: 1000 });
    assert.deepEqual([all.errorCode, all.replicaElectionResults], [ErrorCode.NONE, []]);
    const bad = await c.request(ElectLeadersRequestCodec, ElectLeadersResponseCodec, 2, { electionType: 9, topicPartitions: [{ topic: 'elect', partitions: [0] }], timeoutMs: 1000 });
    assert.deepEqual([bad.errorCode, bad.replicaElectionResults[0]!.partitionResult[0]!.errorCode], [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
    const moves = await c.request(ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec, 0, { timeoutMs: 1000, topics: [{ name: 'elect', partitionIndexes: [0, 1] }] });
    assert.deepEqual([moves.errorCode, moves.topics], [ErrorCode.NONE, []]);
  } finally {
    c.close();
  }
});

test('DescribeTopicPartitions: name order, pages of response_partition_limit partitions with a cursor, unknown and invalid names, bad cursors', async () => {
  await broker.engine.createTopic('dtp-b', 3);
  await broker.engine.createTopic('dtp-a', 2);
  await broker.engine.createTopic('dtp-c', 1);
  const c = await RawClient.connect(broker.port);
  const ask = (topics: string[], responsePartitionLimit: number, cursor: { topicName: string; partitionIndex: number } | null) =>
    c.request(DescribeTopicPartitionsRequestCodec, DescribeTopicPartitionsResponseCodec, 0, { topics: topics.map((name) => ({ name })), responsePartitionLimit, cursor });
  const shape = (r: Awaited<ReturnType<typeof ask>>) => [r.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]), r.nextCursor];
  try {
    const names = ['dtp-c', 'dtp-b', 'dtp-a'];
    // A page cut inside dtp-b, then one that ends exactly at dtp-b's end (the cursor names dtp-c), then the rest.
    assert.deepEqual(shape(await ask(names, 3, null)), [[['dtp-a', 0, [0, 1]], ['dtp-b', 0, [0]]], { topicName: 'dtp-b', partitionIndex: 1 }]);
    assert.deepEqual(shape(await ask(names, 2, { topicName: 'dtp-b', partitionIndex: 1 })), [[['dtp-b', 0, [1, 2]]], { topicName: 'dtp-c', partitionIndex: 0 }]);
    assert.deepEqual(shape(await ask(names, 2, { topicName: 'dtp-c', partitionIndex: 0 })), [[['dtp-c', 0, [0]]], null]);
    // Everything in one answer; a limit of 0 or less still gives one partition (Kafka's max(…, 1)).
    assert.deepEqual(shape(await ask(names, 2000, null)), [[['dtp-a', 0, [0, 1]], ['dtp-b', 0, [0, 1, 2]], ['dtp-c', 0, [0]]], null]);
    assert.deepEqual(shape(await ask(names, -5, null)), [[['dtp-a', 0, [0]]], { topicName: 'dtp-a', partitionIndex: 1 }]);
    const full = await ask(['dtp-b'], 2000, null);
    const p0 = full.topics[0]!.partitions[0]!;
    assert.equal(full.topics[0]!.topicId, broker.engine.describeTopic('dtp-b')!.topicId);
    assert.deepEqual([p0.leaderId, p0.leaderEpoch, p0.replicaNodes, p0.isrNodes, p0.eligibleLeaderReplicas, p0.lastKnownElr, p0.offlineReplicas], [0, -1, [0], [0], [], [], []]);
    // Unknown and invalid names; a cursor past the topic's partitions gives the topic with none.
    assert.deepEqual(shape(await ask(['dtp-a', 'no-such-topic', 'bad/name'], 2000, null)), [
      [
        ['bad/name', ErrorCode.INVALID_TOPIC_EXCEPTION, []],
        ['dtp-a', 0, [0, 1]],
        ['no-such-topic', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []],
      ],
      null,
    ]);
    assert.deepEqual(shape(await ask(['dtp-a'], 10, { topicName: 'dtp-a', partitionIndex: 50 })), [[['dtp-a', 0, []]], null]);
    // Bad cursors: a topic not among the named ones, a negative partition.
    assert.deepEqual(shape(await ask(['dtp-a', 'dtp-b'], 10, { topicName: 'dtp-zzz', partitionIndex: 0 })), [[['dtp-a', ErrorCode.INVALID_REQUEST, []], ['dtp-b', ErrorCode.INVALID_REQUEST, []]], null]);
    assert.deepEqual(shape(await ask(['dtp-a'], 10, { topicName: 'dtp-a', partitionIndex: -1 })), [[['dtp-a', ErrorCode.INVALID_REQUEST, []]], null]);
    // All topics, one partition per page: following the cursors visits every partition once.
    const seen: string[] = [];
    let cursor: { topicName: string; partitionIndex: number } | null = null;
    for (let page = 0; page < 1000; page++) {
      const r = await ask([], 1, cursor);
      for (const t of r.topics) for (const p of t.partitions) seen.push(`${t.name}/${p.partitionIndex}`);
      cursor = r.nextCursor;
      if (cursor === null) break;
    }
    const expected = broker.engine
      .listTopics()
      .flatMap((t) => Array.from({ length: t.partitions }, (_, p) => `${t.name}/${p}`))
      .sort();
    assert.deepEqual([...seen].sort(), expected);
    assert.deepEqual(seen, [...seen].sort((a, b) => (a.split('/')[0]! === b.split('/')[0]! ? Number(a.split('/')[1]) - Number(b.split('/')[1]) : a < b ? -1 : 1)));
  } finally {
    c.close();
  }
});

test('DescribeTopicPartitions with an array count far past the frame closes that connection only', async () => {
  const c = await RawClient.connect(broker.port);
  const w = new Writer();
  RequestHeaderCodec.encode(w, { requestApiKey: 75, requestApiVersion: 0, correlationId: 1, clientId: 'hostile' }, 2);
  w.uvarint(0x7fffffff); // compact array length + 1: two billion topics, then nothing
  c.sendFrame(w.finish());
  assert.equal(await c.nextFrame(), null);
  c.close();
  const ok = await RawClient.connect(broker.port);
  try {
    const r = await ok.request(DescribeClusterRequestCodec, DescribeClusterResponseCodec, 0, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: false });
    assert.equal(r.errorCode, ErrorCode.NONE);
  } finally {
    ok.close();
  }
  // Sanity: the same frame with a true count is answered (the frame builder is right).
  const good = await RawClient.connect(broker.port);
  try {
    good.sendFrame(encodeRequest(DescribeTopicPartitionsRequestCodec, 0, 9, { topics: [{ name: 'dtp-a' }], responsePartitionLimit: 10, cursor: null }));
    assert.notEqual(await good.nextFrame(), null);
  } finally {
    good.close();
  }
});

function joinBody(groupId: string, protocolType: string, metadata: Uint8Array) {
  return { groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId: '', groupInstanceId: null, protocolType, protocols: [{ name: 'range', metadata }], reason: null };
}

async function commit(c: RawClient, groupId: string, entries: Array<[string, number, number]>): Promise<void> {
  const topics = [...new Set(entries.map((e) => e[0]))].map((name) => ({
    name,
    partitions: entries.filter((e) => e[0] === name).map(([, partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null })),
  }));
  const r = await c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 7, { groupId, generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, topics });
  for (const t of r.topics) for (const p of t.partitions) assert.equal(p.errorCode, ErrorCode.NONE);
}

async function committed(port: number, groupId: string): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 7, { groupId, topics: null, groups: [], requireStable: false });
    return r.topics.flatMap((t) => t.partitions.map((p) => `${t.name}/${p.partitionIndex}=${p.committedOffset}`)).sort();
  } finally {
    c.close();
  }
}

test('OffsetDelete v0: Kafka\'s group rules — unknown group, subscribed topics of an active consumer group, a non-empty group of another protocol — and the deletion survives a restart', async () => {
  await broker.engine.createTopic('od-a', 2);
  await broker.engine.createTopic('od-b', 1);
  const c = await RawClient.connect(broker.port);
  const del = (groupId: string, topics: Array<[string, number[]]>) =>
    c.request(OffsetDeleteRequestCodec, OffsetDeleteResponseCodec, 0, { groupId, topics: topics.map(([name, ps]) => ({ name, partitions: ps.map((partitionIndex) => ({ partitionIndex })) })) });
  const shape = (r: Awaited<ReturnType<typeof del>>) => [r.errorCode, r.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])])];
  try {
    // An empty group (offsets only): deletes what is named; no offset or an unknown topic/partition are answered per partition.
    await commit(c, 'od-empty', [['od-a', 0, 3], ['od-a', 1, 4], ['od-b', 0, 5]]);
    assert.deepEqual(shape(await del('od-empty', [['od-a', [0, 7]], ['no-such-topic', [0]]])), [
      ErrorCode.NONE,
      [
        ['od-a', [[0, ErrorCode.NONE], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
      ],
    ]);
    assert.deepEqual(await committed(broker.port, 'od-empty'), ['od-a/1=4', 'od-b/0=5']);
    // Deleting again (nothing left there) is still NONE, as Kafka answers.
    assert.deepEqual(shape(await del('od-empty', [['od-a', [0]]])), [ErrorCode.NONE, [['od-a', [[0, ErrorCode.NONE]]]]]);

    // An unknown group: GROUP_ID_NOT_FOUND with no topics.
    assert.deepEqual(shape(await del('od-nobody', [['od-a', [0]]])), [ErrorCode.GROUP_ID_NOT_FOUND, []]);

    // An active consumer group subscribed to od-a: od-a is GROUP_SUBSCRIBED_TO_TOPIC, od-b is deleted.
    // Offsets committed while the groups are empty; then members join.
    await commit(c, 'od-active', [['od-a', 0, 1], ['od-b', 0, 2]]);
    await commit(c, 'od-connect', [['od-b', 0, 9]]);
    const member = await RawClient.connect(broker.port);
    try {
      const joined = await member.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, joinBody('od-active', 'consumer', encodeSubscription(['od-a'])));
      assert.equal(joined.errorCode, ErrorCode.NONE);
      assert.deepEqual(shape(await del('od-active', [['od-a', [0, 1]], ['od-b', [0]]])), [
        ErrorCode.NONE,
        [
          ['od-a', [[0, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC], [1, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]]],
          ['od-b', [[0, ErrorCode.NONE]]],
        ],
      ]);
      assert.deepEqual(await committed(broker.port, 'od-active'), ['od-a/0=1']);

      // A group of another protocol with a member: NON_EMPTY_GROUP for the whole request.
      const other = await member.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, joinBody('od-connect', 'connect', Uint8Array.of(1, 2, 3)));
      assert.equal(other.errorCode, ErrorCode.NONE);
      assert.deepEqual(shape(await del('od-connect', [['od-b', [0]]])), [ErrorCode.NON_EMPTY_GROUP, []]);
      assert.deepEqual(await committed(broker.port, 'od-connect'), ['od-b/0=9']);
    } finally {
      member.close();
    }
  } finally {
    c.close();
  }

  // The tombstones are in __consumer_offsets: a restart does not bring the offsets back.
  await broker.server.close();
  await broker.engine.close();
  broker.engine = await startEngine({ dataDir: broker.dataDir, shards: 1, pin: false });
  broker.server = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0, groups: { initialRebalanceDelayMs: 0 } });
  broker.port = broker.server.port;
  assert.deepEqual(await committed(broker.port, 'od-empty'), ['od-a/1=4', 'od-b/0=5']);
  assert.deepEqual(await committed(broker.port, 'od-active'), ['od-a/0=1']);
});

test('Produce v11 is answered as v10; v12 (transaction version 2) is not served: the connection closes', async () => {
  await broker.engine.createTopic('produce-v11', 1);
  const c = await RawClient.connect(broker.port);
  try {
    const r = await c.request(ProduceRequestCodec, ProduceResponseCodec, 11, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'produce-v11', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'a' }, { value: 'b' }]) }] }] });
    assert.deepEqual(r.responses.map((t) => [t.name, t.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset])]), [['produce-v11', [[0, ErrorCode.NONE, 0]]]]);
  } finally {
    c.close();
  }
  assert.equal(broker.engine.offsets('produce-v11', 0).highWatermark, 2);
  const v12 = await RawClient.connect(broker.port);
  const frame = encodeRequest(ProduceRequestCodec, 11, 1, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'produce-v11', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'c' }]) }] }] });
  frame[3] = 12; // v12's body is v11's
  v12.sendFrame(frame);
  assert.equal(await v12.nextFrame(), null);
  v12.close();
  assert.equal(broker.engine.offsets('produce-v11', 0).highWatermark, 2);
});

test('Metadata v13: the top-level error code is 0 and the answer is v12\'s', async () => {
  const c = await RawClient.connect(broker.port);
  try {
    const r = await c.request(MetadataRequestCodec, MetadataResponseCodec, 13, { topics: [{ topicId: '00000000000000000000000000000000', name: 'dtp-a' }, { topicId: '00000000000000000000000000000000', name: 'no-such-v13' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    assert.equal(r.errorCode, ErrorCode.NONE);
    assert.deepEqual(r.topics.map((t) => [t.name, t.errorCode, t.partitions.length]), [['dtp-a', ErrorCode.NONE, 2], ['no-such-v13', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0]]);
  } finally {
    c.close();
  }
});

test('AlterPartitionReassignments v0-1: this broker alone completes at once; other brokers, repeats, empty lists, cancels and unknown partitions get Kafka\'s errors', async () => {
  await broker.engine.createTopic('reassign', 2);
  const c = await RawClient.connect(broker.port);
  try {
    for (const version of [0, 1]) {
      const r = await c.request(AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec, version, {
        timeoutMs: 1000,
        allowReplicationFactorChange: false,
        topics: [
          {
            name: 'reassign',
            partitions: [
              { partitionIndex: 0, replicas: [0] },
              { partitionIndex: 1, replicas: [0, 1] },
              { partitionIndex: 1, replicas: [0, 0] },
              { partitionIndex: 1, replicas: [] },
              { partitionIndex: 0, replicas: null },
              { partitionIndex: 5, replicas: [0] },
            ],
          },
          { name: 'no-such-topic', partitions: [{ partitionIndex: 0, replicas: [0] }] },
        ],
      });
      assert.equal(r.errorCode, ErrorCode.NONE);
      assert.deepEqual(
        r.responses.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]),
        [
          [
            'reassign',
            [
              [0, ErrorCode.NONE],
              [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
              [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
              [1, ErrorCode.INVALID_REPLICA_ASSIGNMENT],
              [0, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS],
              [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
            ],
          ],
          ['no-such-topic', [[0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
        ],
        `v${version}`,
      );
    }
    const moves = await c.request(ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec, 0, { timeoutMs: 1000, topics: null });
    assert.deepEqual(moves.topics, []);
  } finally {
    c.close();
  }
  assert.equal(broker.engine.describeTopic('reassign')!.partitions, 2);
});

test('IncrementalAlterConfigs on the broker: deleting the replication throttles (kafka-reassign-partitions --verify) is NONE; anything else stays refused', async () => {
  const c = await RawClient.connect(broker.port);
  const del = (name: string) => ({ name, configOperation: 1, value: null });
  try {
    const r = await c.request(IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec, 1, {
      resources: [
        { resourceType: 4, resourceName: '0', configs: [del('leader.replication.throttled.rate'), del('follower.replication.throttled.rate'), del('replica.alter.log.dirs.io.max.bytes.per.second')] },
        { resourceType: 4, resourceName: '', configs: [del('leader.replication.throttled.rate')] },
        { resourceType: 4, resourceName: '0', configs: [{ name: 'leader.replication.throttled.rate', configOperation: 0, value: '1000' }] },
        { resourceType: 4, resourceName: '0', configs: [del('log.retention.ms')] },
        { resourceType: 4, resourceName: '7', configs: [del('leader.replication.throttled.rate')] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(r.responses.map((x) => [x.resourceName, x.errorCode]), [
      ['0', ErrorCode.NONE],
      ['', ErrorCode.NONE],
      ['0', ErrorCode.INVALID_REQUEST],
      ['0', ErrorCode.INVALID_REQUEST],
      ['7', ErrorCode.INVALID_REQUEST],
    ]);
  } finally {
    c.close();
  }
});
