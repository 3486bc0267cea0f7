// The newer versions of APIs Samsa already served, which a Kafka 4.4 client may pick:
// ListOffsets v8-v11 (tiered-storage timestamps, v10's timeout), FindCoordinator v5-v6
// (share-group key type), ApiVersions v4-v5 (KIP-1242's cluster check) and DeleteGroups v3 (per-group message), driven
// with raw requests over TCP at every served version. The expected answers are the ones a
// Kafka 4.4.0 single-node KRaft broker gives to the same requests (read with these
// codecs against scripts/kafka-peer.sh), except where the row says Samsa differs.
// Hostile input (an array count far past the frame) closes that connection only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { Writer } from '../../../src/wire/codec/writer.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../../src/wire/schemas/00-produce.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '../../../src/wire/schemas/02-list-offsets.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../../src/wire/schemas/03-metadata.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../../src/wire/schemas/08-offset-commit.js';
import { FindCoordinatorRequestCodec, FindCoordinatorResponseCodec } from '../../../src/wire/schemas/10-find-coordinator.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../../src/wire/schemas/11-join-group.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../../src/wire/schemas/18-api-versions.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '../../../src/wire/schemas/42-delete-groups.js';
import { RequestHeaderCodec } from '../../../src/wire/schemas/headers.js';
import { RawClient, type TestBroker, decodeResponse, startTestBroker } from '../harness.js';

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
});

after(async () => {
  await broker.close();
});

async function listOffset(c: RawClient, version: number, topic: string, partitionIndex: number, timestamp: number): Promise<[number, number, number, number]> {
  const r = await c.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, version, {
    replicaId: -1,
    isolationLevel: 0,
    timeoutMs: 1000,
    topics: [{ name: topic, partitions: [{ partitionIndex, currentLeaderEpoch: -1, timestamp }] }],
  });
  assert.equal(r.topics.length, 1);
  const p = r.topics[0]!.partitions[0]!;
  assert.equal(p.partitionIndex, partitionIndex);
  return [p.errorCode, p.timestamp, p.offset, p.leaderEpoch];
}

test('ListOffsets v1-11: -4 is the log start (no tiered storage), -5 and -6 find nothing, each special timestamp is UNSUPPORTED_VERSION below its version', async () => {
  await broker.engine.createTopic('lo-new', 1);
  const c = await RawClient.connect(broker.port);
  try {
    const records = Array.from({ length: 6 }, (_, i) => ({ value: `v${i}`, timestamp: 1_000 + i }));
    const produced = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: 'lo-new', partitionData: [{ index: 0, records: encodeRecordBatch(records) }] }] });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    // Move the log start past 0 so "earliest" and "earliest local" are a real number, not a default.
    const deleted = await broker.engine.deleteRecords('lo-new', 0, 2);
    assert.equal(deleted.errorCode, ErrorCode.NONE);

    const U = ErrorCode.UNSUPPORTED_VERSION;
    for (let version = 1; version <= 11; version++) {
      const got = [];
      for (const ts of [-1, -2, -3, -4, -5, -6, -7, 1_003]) got.push([ts, ...(await listOffset(c, version, 'lo-new', 0, ts))]);
      const want = [
        [-1, ErrorCode.NONE, -1, 6, -1],
        [-2, ErrorCode.NONE, -1, 2, -1],
        version >= 7 ? [-3, ErrorCode.NONE, 1_005, 5, -1] : [-3, U, -1, -1, -1],
        version >= 8 ? [-4, ErrorCode.NONE, -1, 2, -1] : [-4, U, -1, -1, -1],
        version >= 9 ? [-5, ErrorCode.NONE, -1, -1, -1] : [-5, U, -1, -1, -1],
        version >= 11 ? [-6, ErrorCode.NONE, -1, -1, -1] : [-6, U, -1, -1, -1],
        [-7, U, -1, -1, -1],
        [1_003, ErrorCode.NONE, 1_003, 3, -1],
      ];
      assert.deepEqual(got, want, `v${version}`);
    }
    // The tiered-storage answers still come after the topic checks.
    for (const ts of [-4, -5, -6]) {
      assert.equal((await listOffset(c, 11, 'no-such-topic', 0, ts))[0], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      assert.equal((await listOffset(c, 11, 'lo-new', 3, ts))[0], ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  } finally {
    c.close();
  }
});

test('ListOffsets v11 with an array count far past the frame closes that connection only', async () => {
  const c = await RawClient.connect(broker.port);
  const w = new Writer();
  RequestHeaderCodec.encode(w, { requestApiKey: 2, requestApiVersion: 11, correlationId: 1, clientId: 'hostile' }, 2);
  w.int32(-1); // replicaId
  w.int8(0); // isolationLevel
  w.uvarint(0x7fffffff); // compact array length + 1: two billion topics, then nothing
  c.sendFrame(w.finish());
  assert.equal(await c.nextFrame(), null);
  c.close();
  const ok = await RawClient.connect(broker.port);
  try {
    assert.equal((await listOffset(ok, 11, 'lo-new', 0, -1))[0], ErrorCode.NONE);
  } finally {
    ok.close();
  }
});

const SHARE_KEY = 'g:AAAAAAAAAAAAAAAAAAAAAA:0';

async function findCoordinator(c: RawClient, version: number, keyType: number, key: string): Promise<[number, number, number]> {
  const r = await c.request(FindCoordinatorRequestCodec, FindCoordinatorResponseCodec, version, { key, keyType, coordinatorKeys: [key] });
  if (version >= 4) {
    assert.equal(r.coordinators.length, 1);
    const co = r.coordinators[0]!;
    assert.equal(co.key, key);
    return [co.errorCode, co.nodeId, co.port];
  }
  return [r.errorCode, r.nodeId, r.port];
}

test('FindCoordinator v0-6: groups and transactional ids find this broker; share keys are INVALID_REQUEST below v6, COORDINATOR_NOT_AVAILABLE from v6 (no share groups), malformed share keys and unknown key types INVALID_REQUEST', async () => {
  const c = await RawClient.connect(broker.port);
  try {
    const here = (await findCoordinator(c, 0, 0, 'a-group'))[1];
    assert.ok(here >= 0);
    for (let version = 0; version <= 6; version++) {
      assert.deepEqual(await findCoordinator(c, version, 0, 'a-group'), [ErrorCode.NONE, here, broker.port], `v${version} group`);
      if (version === 0) continue; // v0 has no key type
      assert.deepEqual(await findCoordinator(c, version, 1, 'a-txn'), [ErrorCode.NONE, here, broker.port], `v${version} txn`);
      const share = await findCoordinator(c, version, 2, SHARE_KEY);
      assert.deepEqual(share, [version >= 6 ? ErrorCode.COORDINATOR_NOT_AVAILABLE : ErrorCode.INVALID_REQUEST, -1, -1], `v${version} share`);
      for (const bad of ['bad', 'g:x:0', ':AAAAAAAAAAAAAAAAAAAAAA:0', 'g:AAAAAAAAAAAAAAAAAAAAAA:p']) {
        assert.deepEqual(await findCoordinator(c, version, 2, bad), [ErrorCode.INVALID_REQUEST, -1, -1], `v${version} share ${bad}`);
      }
      // A group id may itself hold ':'; only the last two parts are the topic id and partition.
      if (version >= 6) assert.equal((await findCoordinator(c, version, 2, `a:b:${SHARE_KEY}`))[0], ErrorCode.COORDINATOR_NOT_AVAILABLE);
      assert.deepEqual(await findCoordinator(c, version, 3, 'x'), [ErrorCode.INVALID_REQUEST, -1, -1], `v${version} key type 3`);
    }
  } finally {
    c.close();
  }
});

test('FindCoordinator v6 with a coordinator-key count far past the frame closes that connection only', async () => {
  const c = await RawClient.connect(broker.port);
  const w = new Writer();
  RequestHeaderCodec.encode(w, { requestApiKey: 10, requestApiVersion: 6, correlationId: 1, clientId: 'hostile' }, 2);
  w.int8(2); // key type share
  w.uvarint(0x7fffffff);
  c.sendFrame(w.finish());
  assert.equal(await c.nextFrame(), null);
  c.close();
  const ok = await RawClient.connect(broker.port);
  try {
    assert.equal((await findCoordinator(ok, 6, 0, 'after'))[0], ErrorCode.NONE);
  } finally {
    ok.close();
  }
});

test('ApiVersions v0-5 decode with the same list; v5 names the cluster and node: both or neither, and a stale pair is REBOOTSTRAP_REQUIRED; v6 is refused with the v0 list', async () => {
  const c = await RawClient.connect(broker.port);
  try {
    const md = await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
    const clusterId = md.clusterId!;
    const nodeId = md.brokers[0]!.nodeId;
    const ask = (version: number, cid: string | null, nid: number) =>
      c.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, version, { clientSoftwareName: 'newer-versions', clientSoftwareVersion: '1', clusterId: cid, nodeId: nid });
    const lists = [];
    for (let version = 0; version <= 5; version++) {
      const r = await ask(version, null, -1);
      assert.equal(r.errorCode, ErrorCode.NONE, `v${version}`);
      lists.push(JSON.stringify(r.apiKeys));
    }
    // Below v5 the ids are not on the wire, so even wrong ones change nothing.
    assert.equal((await ask(4, 'elsewhere', 7)).errorCode, ErrorCode.NONE);
    assert.equal(new Set(lists).size, 1);
    const right = await ask(5, clusterId, nodeId);
    assert.equal(right.errorCode, ErrorCode.NONE);
    assert.equal(JSON.stringify(right.apiKeys), lists[0]);
    const max = new Map(right.apiKeys.map((k) => [k.apiKey, k.maxVersion]));
    assert.equal(max.get(2), 11);
    assert.equal(max.get(10), 6);
    assert.equal(max.get(18), 5);
    assert.equal(max.get(42), 3);
    for (const [cid, nid] of [['elsewhere', nodeId], [clusterId, nodeId + 1]] as const) {
      const r = await ask(5, cid, nid);
      assert.deepEqual([r.errorCode, r.apiKeys.length], [ErrorCode.REBOOTSTRAP_REQUIRED, 0], `${cid}/${nid}`);
    }
    for (const [cid, nid] of [[clusterId, -1], [null, nodeId]] as const) {
      const r = await ask(5, cid, nid);
      assert.deepEqual([r.errorCode, r.apiKeys.length], [ErrorCode.INVALID_REQUEST, 0], `${cid}/${nid}`);
    }
    // v6 is not served: the dispatcher answers with a v0 body and ApiVersions' own range.
    const w = new Writer();
    RequestHeaderCodec.encode(w, { requestApiKey: 18, requestApiVersion: 6, correlationId: 77, clientId: 'newer-versions' }, 2);
    w.uvarint(0); // nothing else: the version alone is refused
    c.sendFrame(w.finish());
    const frame = await c.nextFrame();
    assert.notEqual(frame, null);
    const body = decodeResponse(ApiVersionsResponseCodec, 0, frame!);
    assert.equal(body.correlationId, 77);
    assert.equal(body.body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(body.body.apiKeys.map((k) => [k.apiKey, k.minVersion, k.maxVersion]), [[18, 0, 5]]);
  } finally {
    c.close();
  }
});

async function commitOffset(c: RawClient, groupId: string, topic: string): Promise<void> {
  const r = await c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 7, {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  });
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
}

test('DeleteGroups v0-3: deleted, unknown and non-empty groups; v3 carries a null message for each, as Kafka 4.4 does', async () => {
  await broker.engine.createTopic('dg-new', 1);
  const c = await RawClient.connect(broker.port);
  try {
    // A member keeps "dg-busy" non-empty.
    const joinBody = (memberId: string) => ({ groupId: 'dg-busy', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: 'x', protocols: [{ name: 'p', metadata: new Uint8Array([1]) }], reason: null });
    const joined = await c.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 9, joinBody(''));
    assert.equal(joined.errorCode, ErrorCode.NONE);

    for (let version = 0; version <= 3; version++) {
      const gone = `dg-${version}`;
      await commitOffset(c, gone, 'dg-new');
      const r = await c.request(DeleteGroupsRequestCodec, DeleteGroupsResponseCodec, version, { groupsNames: [gone, 'dg-never', 'dg-busy'] });
      assert.deepEqual(
        r.results.map((g) => [g.groupId, g.errorCode, g.errorMessage]),
        [
          [gone, ErrorCode.NONE, null],
          ['dg-never', ErrorCode.GROUP_ID_NOT_FOUND, null],
          ['dg-busy', ErrorCode.NON_EMPTY_GROUP, null],
        ],
        `v${version}`,
      );
      const again = await c.request(DeleteGroupsRequestCodec, DeleteGroupsResponseCodec, version, { groupsNames: [gone] });
      assert.equal(again.results[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
    }
  } finally {
    c.close();
  }
});
