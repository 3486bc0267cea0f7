// ConsumerGroupHeartbeat (68), ConsumerGroupDescribe (69) and the APIs around KIP-848
// groups over raw requests against a real broker: joining and reconciliation (a
// partition is never owned by two members: it is revoked before it moves), epochs
// (FENCED_MEMBER_EPOCH, UNKNOWN_MEMBER_ID), static members (UNRELEASED_INSTANCE_ID,
// a -2 leave and a takeover), assignor choice, session expiry, OffsetCommit/OffsetFetch
// v9 with member epochs (STALE_MEMBER_EPOCH), the classic/consumer exclusion,
// ListGroups v5, DescribeGroups and DeleteGroups; a restart (membership is not
// persisted: members are told UNKNOWN_MEMBER_ID, rejoin at epoch 0 and find their
// committed offsets); and hostile requests that must be refused without harming the broker.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import {
  ConsumerGroupHeartbeatRequestCodec,
  type ConsumerGroupHeartbeatRequest,
  type ConsumerGroupHeartbeatResponse,
  ConsumerGroupHeartbeatResponseCodec,
} from '../../../src/wire/schemas/68-consumer-group-heartbeat.js';
import { ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec } from '../../../src/wire/schemas/69-consumer-group-describe.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../../src/wire/schemas/08-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '../../../src/wire/schemas/09-offset-fetch.js';
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from '../../../src/wire/schemas/16-list-groups.js';
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from '../../../src/wire/schemas/15-describe-groups.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '../../../src/wire/schemas/42-delete-groups.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../../src/wire/schemas/11-join-group.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../../src/wire/schemas/18-api-versions.js';
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from '../../../src/wire/schemas/47-offset-delete.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';
import { startEngine } from '../../../src/broker/engine.js';
import { startKafkaTcpServer } from '../../../src/kafka/tcp-server.js';

let broker: TestBroker;
let client: RawClient;
let topicId = '';
const TOPIC = 'kip848';

before(async () => {
  broker = await startTestBroker({ groups: { initialRebalanceDelayMs: 0, consumer: { heartbeatIntervalMs: 200, sessionTimeoutMs: 1_500, maxSize: 3 } } });
  client = await RawClient.connect(broker.port);
  topicId = (await broker.engine.createTopic(TOPIC, 4)).topicId;
  await broker.engine.createTopic('kip848-other', 2);
});

after(async () => {
  client.close();
  await broker.close();
});

type Owned = Array<{ topicId: string; partitions: number[] }>;

function hb(body: Partial<ConsumerGroupHeartbeatRequest> & { groupId: string; memberId: string; memberEpoch: number }, version = 1): Promise<ConsumerGroupHeartbeatResponse> {
  return client.request(ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec, version, {
    instanceId: null,
    rackId: null,
    rebalanceTimeoutMs: -1,
    subscribedTopicNames: null,
    subscribedTopicRegex: null,
    serverAssignor: null,
    topicPartitions: null,
    ...body,
  });
}

function join(groupId: string, memberId: string, extra: Partial<ConsumerGroupHeartbeatRequest> = {}) {
  return hb({ groupId, memberId, memberEpoch: 0, rebalanceTimeoutMs: 5_000, subscribedTopicNames: [TOPIC], topicPartitions: [], ...extra });
}

/** A client-side member: remembers its epoch and what it owns, as the Java consumer does. */
class Member {
  epoch = 0;
  owned: number[] = [];
  constructor(
    readonly groupId: string,
    readonly memberId: string,
  ) {}

  private take(r: ConsumerGroupHeartbeatResponse): ConsumerGroupHeartbeatResponse {
    assert.equal(r.errorCode, ErrorCode.NONE, `${this.memberId}: ${r.errorMessage}`);
    this.epoch = r.memberEpoch;
    // The answer's assignment replaces what is owned: revoked partitions are given up at once.
    if (r.assignment !== null) this.owned = r.assignment.topicPartitions.filter((t) => t.topicId === topicId).flatMap((t) => t.partitions).sort((a, b) => a - b);
    return r;
  }

  async join(extra: Partial<ConsumerGroupHeartbeatRequest> = {}): Promise<ConsumerGroupHeartbeatResponse> {
    return this.take(await join(this.groupId, this.memberId, extra));
  }

  async beat(): Promise<ConsumerGroupHeartbeatResponse> {
    const owned: Owned = this.owned.length > 0 ? [{ topicId, partitions: this.owned }] : [];
    return this.take(await hb({ groupId: this.groupId, memberId: this.memberId, memberEpoch: this.epoch, topicPartitions: owned }));
  }
}

function assertDisjoint(members: readonly Member[]): void {
  const seen = new Set<number>();
  for (const m of members) {
    for (const p of m.owned) {
      assert.ok(!seen.has(p), `partition ${p} owned by two members: ${members.map((x) => `${x.memberId}=${JSON.stringify(x.owned)}`).join(' ')}`);
      seen.add(p);
    }
  }
}

/** Heartbeats every member in turn until each owns `want` partitions (bounded rounds). */
async function settle(members: readonly Member[], want: number[]): Promise<void> {
  for (let round = 0; round < 20; round++) {
    for (const m of members) {
      await m.beat();
      assertDisjoint(members);
    }
    if (members.every((m, i) => m.owned.length === want[i])) return;
  }
  assert.fail(`did not settle: ${members.map((x) => `${x.memberId}=${JSON.stringify(x.owned)}`).join(' ')}`);
}

test('ApiVersions lists ConsumerGroupHeartbeat 0-1, ConsumerGroupDescribe 0-1, OffsetCommit/OffsetFetch up to 9, ListGroups up to 5', async () => {
  const r = await client.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  const v = new Map(r.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
  assert.deepEqual(v.get(68), [0, 1]);
  assert.deepEqual(v.get(69), [0, 1]);
  assert.equal(v.get(8)?.[1], 9);
  assert.equal(v.get(9)?.[1], 9);
  assert.equal(v.get(16)?.[1], 5);
});

test('two members: partitions are revoked before they move, never owned twice; a leave gives them back', async () => {
  const a = new Member('g-two', 'member-a');
  const b = new Member('g-two', 'member-b');
  const ja = await a.join();
  assert.equal(ja.memberId, 'member-a');
  assert.equal(ja.heartbeatIntervalMs, 200);
  assert.deepEqual(a.owned, [0, 1, 2, 3]);
  assert.equal(a.epoch, 1);
  await b.join();
  // B's target is half the partitions, but A still owns them: B gets them only after A revokes.
  assert.deepEqual(b.owned, []);
  assert.equal(b.epoch, 2);
  assertDisjoint([a, b]);
  const ra = await a.beat();
  assert.equal(ra.memberEpoch, 1, 'a member keeps its epoch until it has revoked');
  assert.equal(a.owned.length, 2);
  await settle([a, b], [2, 2]);
  assert.equal(a.epoch, 2);
  const d = await client.request(ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec, 1, { groupIds: ['g-two', 'nobody'], includeAuthorizedOperations: false });
  const [g, none] = d.groups;
  assert.equal(g?.errorCode, ErrorCode.NONE);
  assert.equal(g?.groupState, 'Stable');
  assert.equal(g?.groupEpoch, 2);
  assert.equal(g?.assignmentEpoch, 2);
  assert.equal(g?.assignorName, 'uniform');
  assert.deepEqual(g?.members.map((m) => [m.memberId, m.memberEpoch, m.memberType, m.subscribedTopicNames]).sort(), [
    ['member-a', 2, 1, [TOPIC]],
    ['member-b', 2, 1, [TOPIC]],
  ]);
  assert.equal(g?.members[0]?.assignment?.topicPartitions[0]?.topicName, TOPIC);
  assert.equal(none?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  // B leaves: A gets everything back at the next epoch.
  const left = await hb({ groupId: 'g-two', memberId: 'member-b', memberEpoch: -1 });
  assert.deepEqual([left.errorCode, left.memberEpoch], [ErrorCode.NONE, -1]);
  await settle([a], [4]);
  assert.equal(a.epoch, 3);
});

test('epochs: a greater epoch is FENCED_MEMBER_EPOCH, an unknown member UNKNOWN_MEMBER_ID, the previous epoch with owned partitions is accepted', async () => {
  const a = new Member('g-epochs', 'e-a');
  await a.join();
  const ahead = await hb({ groupId: 'g-epochs', memberId: 'e-a', memberEpoch: a.epoch + 5, topicPartitions: [] });
  assert.equal(ahead.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  const unknown = await hb({ groupId: 'g-epochs', memberId: 'nobody', memberEpoch: 3, topicPartitions: [] });
  assert.equal(unknown.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const noGroup = await hb({ groupId: 'g-never-seen', memberId: 'x', memberEpoch: 7, topicPartitions: [] });
  assert.equal(noGroup.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'a member of a group this broker does not know (e.g. after a restart) rejoins');
  const b = new Member('g-epochs', 'e-b');
  await b.join();
  await settle([a, b], [2, 2]);
  assert.equal(a.epoch, 2);
  // The previous epoch is accepted with a subset of the assignment (the answer with the new one was lost) ...
  const lost = await hb({ groupId: 'g-epochs', memberId: 'e-a', memberEpoch: 1, topicPartitions: [{ topicId, partitions: a.owned }] });
  assert.deepEqual([lost.errorCode, lost.memberEpoch], [ErrorCode.NONE, 2]);
  // ... but not while claiming a partition the member no longer has.
  const other = b.owned[0]!;
  const stale = await hb({ groupId: 'g-epochs', memberId: 'e-a', memberEpoch: 1, topicPartitions: [{ topicId, partitions: [other] }] });
  assert.equal(stale.errorCode, ErrorCode.FENCED_MEMBER_EPOCH);
  for (const m of ['e-a', 'e-b']) await hb({ groupId: 'g-epochs', memberId: m, memberEpoch: -1 });
});

test('OffsetCommit v9 and OffsetFetch v9 check the member epoch (KIP-1251 for older epochs); older OffsetCommit versions are refused for members', async () => {
  const a = new Member('g-commit', 'c-a');
  await a.join();
  const commit = (version: number, epoch: number, memberId = 'c-a') =>
    client.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, version, {
      groupId: 'g-commit',
      generationId: epoch,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
  const code = (r: Awaited<ReturnType<typeof commit>>) => r.topics[0]?.partitions[0]?.errorCode;
  assert.equal(code(await commit(9, a.epoch)), ErrorCode.NONE);
  assert.equal(code(await commit(9, a.epoch + 1)), ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal(code(await commit(9, a.epoch, 'stranger')), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(code(await commit(8, a.epoch)), ErrorCode.UNSUPPORTED_VERSION);
  assert.equal(code(await commit(9, -1, '')), ErrorCode.UNKNOWN_MEMBER_ID, 'an outside commit is refused while the group has members');
  const fetch = (memberId: string | null, memberEpoch: number) =>
    client.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 9, {
      groupId: '',
      topics: [],
      groups: [{ groupId: 'g-commit', memberId, memberEpoch, topics: [{ name: TOPIC, partitionIndexes: [0] }] }],
      requireStable: true,
    });
  const ok = await fetch('c-a', a.epoch);
  assert.deepEqual([ok.groups[0]?.errorCode, ok.groups[0]?.topics[0]?.partitions[0]?.committedOffset], [ErrorCode.NONE, 5]);
  assert.equal((await fetch('c-a', a.epoch + 3)).groups[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH);
  assert.equal((await fetch('other', a.epoch)).groups[0]?.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await fetch(null, -1)).groups[0]?.topics[0]?.partitions[0]?.committedOffset, 5, 'an admin fetch (no member) is answered');
  // KIP-1251: an older epoch commits the partitions the member has held since then, and only those.
  const b = new Member('g-commit', 'c-b');
  await b.join();
  await settle([a, b], [2, 2]);
  const at = (epoch: number, partition: number) =>
    client.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 9, {
      groupId: 'g-commit',
      generationId: epoch,
      memberId: 'c-a',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: partition, committedOffset: 1, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
  assert.equal(a.epoch, 2);
  assert.equal((await at(1, a.owned[0]!)).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE, 'held since epoch 1');
  assert.equal((await at(1, b.owned[0]!)).topics[0]?.partitions[0]?.errorCode, ErrorCode.STALE_MEMBER_EPOCH, 'no longer held');
  for (const m of ['c-a', 'c-b']) await hb({ groupId: 'g-commit', memberId: m, memberEpoch: -1 });
  assert.equal(code(await commit(9, -1, '')), ErrorCode.NONE, 'an empty group takes outside commits');
});

test('OffsetDelete on a consumer-protocol group: GROUP_SUBSCRIBED_TO_TOPIC for a subscribed topic while members remain, deleted once it is empty', async () => {
  const a = new Member('g-odel', 'od-a');
  await a.join();
  const commit = (topic: string) =>
    client.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 9, {
      groupId: 'g-odel',
      generationId: a.epoch,
      memberId: 'od-a',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
  assert.equal((await commit(TOPIC)).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  assert.equal((await commit('kip848-other')).topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE, 'a member may commit a topic it does not subscribe to');
  const del = (topic: string) =>
    client.request(OffsetDeleteRequestCodec, OffsetDeleteResponseCodec, 0, { groupId: 'g-odel', topics: [{ name: topic, partitions: [{ partitionIndex: 0 }] }] });
  const live = await del(TOPIC);
  assert.deepEqual([live.errorCode, live.topics[0]?.partitions[0]?.errorCode], [ErrorCode.NONE, ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC]);
  const other = await del('kip848-other');
  assert.deepEqual([other.errorCode, other.topics[0]?.partitions[0]?.errorCode], [ErrorCode.NONE, ErrorCode.NONE], 'a topic no member subscribes to is deleted');
  await hb({ groupId: 'g-odel', memberId: 'od-a', memberEpoch: -1 });
  const empty = await del(TOPIC);
  assert.deepEqual([empty.errorCode, empty.topics[0]?.partitions[0]?.errorCode], [ErrorCode.NONE, ErrorCode.NONE]);
  const fetched = await client.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 9, {
    groupId: '',
    topics: [],
    groups: [{ groupId: 'g-odel', memberId: null, memberEpoch: -1, topics: [{ name: TOPIC, partitionIndexes: [0] }, { name: 'kip848-other', partitionIndexes: [0] }] }],
    requireStable: false,
  });
  assert.deepEqual(fetched.groups[0]?.topics.map((t) => t.partitions[0]?.committedOffset), [-1, -1], 'both offsets are gone');
});

test('classic and consumer groups exclude each other; ListGroups v5, DescribeGroups and DeleteGroups see consumer groups', async () => {
  const a = new Member('g-kind', 'k-a');
  await a.join();
  const classic = await client.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, {
    groupId: 'g-kind',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
  });
  assert.equal(classic.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const classicJoin = await client.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, {
    groupId: 'g-classic',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
  });
  assert.equal(classicJoin.errorCode, ErrorCode.NONE);
  assert.equal((await join('g-classic', 'k-x')).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  const list = async (typesFilter: string[]) =>
    (await client.request(ListGroupsRequestCodec, ListGroupsResponseCodec, 5, { statesFilter: [], typesFilter })).groups.filter((g) => g.groupId === 'g-kind' || g.groupId === 'g-classic');
  assert.deepEqual((await list([])).map((g) => [g.groupId, g.groupType, g.protocolType]).sort(), [
    ['g-classic', 'classic', 'consumer'],
    ['g-kind', 'consumer', 'consumer'],
  ]);
  assert.deepEqual((await list(['consumer'])).map((g) => [g.groupId, g.groupState]), [['g-kind', 'Stable']]);
  const described = await client.request(DescribeGroupsRequestCodec, DescribeGroupsResponseCodec, 5, { groups: ['g-kind'], includeAuthorizedOperations: false });
  assert.deepEqual([described.groups[0]?.errorCode, described.groups[0]?.groupState], [ErrorCode.NONE, 'Dead'], 'DescribeGroups does not describe consumer groups (Kafka answers Dead)');
  const del = () => client.request(DeleteGroupsRequestCodec, DeleteGroupsResponseCodec, 2, { groupsNames: ['g-kind'] });
  assert.equal((await del()).results[0]?.errorCode, ErrorCode.NON_EMPTY_GROUP);
  await hb({ groupId: 'g-kind', memberId: 'k-a', memberEpoch: -1 });
  assert.equal((await del()).results[0]?.errorCode, ErrorCode.NONE);
  assert.equal((await del()).results[0]?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test('static members: a second holder of an instance id is UNRELEASED_INSTANCE_ID; after a -2 leave a new member takes over the partitions', async () => {
  const a = new Member('g-static', 's-a');
  await a.join({ instanceId: 'inst-1' });
  assert.deepEqual(a.owned, [0, 1, 2, 3]);
  const clash = await join('g-static', 's-b', { instanceId: 'inst-1' });
  assert.equal(clash.errorCode, ErrorCode.UNRELEASED_INSTANCE_ID);
  const tempLeave = await hb({ groupId: 'g-static', memberId: 's-a', memberEpoch: -2, instanceId: 'inst-1' });
  assert.deepEqual([tempLeave.errorCode, tempLeave.memberEpoch], [ErrorCode.NONE, -2]);
  const b = new Member('g-static', 's-b');
  await b.join({ instanceId: 'inst-1' });
  assert.deepEqual(b.owned, [0, 1, 2, 3], 'the new instance holder gets its predecessor assignment');
  assert.equal(b.epoch, a.epoch, 'without a rebalance');
  assert.equal((await hb({ groupId: 'g-static', memberId: 's-a', memberEpoch: a.epoch, topicPartitions: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  await hb({ groupId: 'g-static', memberId: 's-b', memberEpoch: -1, instanceId: 'inst-1' });
});

test('assignors: range by request, an unknown one is UNSUPPORTED_ASSIGNOR', async () => {
  const a = new Member('g-range', 'r-a');
  const b = new Member('g-range', 'r-b');
  await a.join({ serverAssignor: 'range' });
  await b.join({ serverAssignor: 'range' });
  await settle([a, b], [2, 2]);
  assert.deepEqual([a.owned, b.owned], [
    [0, 1],
    [2, 3],
  ]);
  const bad = await join('g-range', 'r-c', { serverAssignor: 'sticky-please' });
  assert.equal(bad.errorCode, ErrorCode.UNSUPPORTED_ASSIGNOR);
  for (const m of ['r-a', 'r-b']) await hb({ groupId: 'g-range', memberId: m, memberEpoch: -1 });
});

test('a member that stops heartbeating is removed after the session timeout and its partitions move', async () => {
  const a = new Member('g-session', 'x-a');
  const b = new Member('g-session', 'x-b');
  await a.join();
  await b.join();
  await settle([a, b], [2, 2]);
  // b goes silent; a keeps heartbeating until it owns everything.
  for (let i = 0; i < 200 && a.owned.length < 4; i++) {
    await new Promise((r) => setTimeout(r, 50));
    await a.beat();
  }
  assert.deepEqual(a.owned, [0, 1, 2, 3]);
  assert.equal((await hb({ groupId: 'g-session', memberId: 'x-b', memberEpoch: b.epoch, topicPartitions: [] })).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  await hb({ groupId: 'g-session', memberId: 'x-a', memberEpoch: -1 });
});

test('subscription by regex (v1) assigns the matching topics; a bad regex is INVALID_REGULAR_EXPRESSION', async () => {
  const r = await hb({ groupId: 'g-regex', memberId: 're-a', memberEpoch: 0, rebalanceTimeoutMs: 5_000, subscribedTopicNames: [], subscribedTopicRegex: 'kip848-oth.*', topicPartitions: [] });
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.assignment?.topicPartitions.reduce((n, t) => n + t.partitions.length, 0), 2);
  const bad = await hb({ groupId: 'g-regex2', memberId: 're-b', memberEpoch: 0, rebalanceTimeoutMs: 5_000, subscribedTopicNames: [], subscribedTopicRegex: '(unclosed', topicPartitions: [] });
  assert.equal(bad.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION);
  // Patterns that make a backtracking engine exponential (or RE2-less features) are refused, not run.
  for (const hostile of ['(a+)+$', '(a|aa)*c', '(x)\\1', '(?=a)a', '.*.*.*.*.*x']) {
    const r2 = await hb({ groupId: 'g-regex3', memberId: 're-c', memberEpoch: 0, rebalanceTimeoutMs: 5_000, subscribedTopicNames: [], subscribedTopicRegex: hostile, topicPartitions: [] });
    assert.equal(r2.errorCode, ErrorCode.INVALID_REGULAR_EXPRESSION, hostile);
  }
  for (const fine of ['(kip848|nothing)-oth.*', 'kip848-[a-z]+']) {
    const r3 = await hb({ groupId: 'g-regex4', memberId: 're-d', memberEpoch: 0, rebalanceTimeoutMs: 5_000, subscribedTopicNames: [], subscribedTopicRegex: fine, topicPartitions: [] });
    assert.equal(r3.errorCode, ErrorCode.NONE, fine);
    await hb({ groupId: 'g-regex4', memberId: 're-d', memberEpoch: -1 });
  }
  await hb({ groupId: 'g-regex', memberId: 're-a', memberEpoch: -1 });
});

test('hostile heartbeats are refused and the broker keeps serving', async () => {
  const cases: Array<[string, Partial<ConsumerGroupHeartbeatRequest> & { groupId: string; memberId: string; memberEpoch: number }, number, number]> = [
    ['empty group id', { groupId: '', memberId: 'h', memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: [], topicPartitions: [] }, 1, ErrorCode.INVALID_REQUEST],
    ['v1 without member id', { groupId: 'g-h', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: [], topicPartitions: [] }, 1, ErrorCode.INVALID_REQUEST],
    ['join without rebalance timeout', { groupId: 'g-h', memberId: 'h', memberEpoch: 0, subscribedTopicNames: [], topicPartitions: [] }, 1, ErrorCode.INVALID_REQUEST],
    ['join claiming partitions', { groupId: 'g-h', memberId: 'h', memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: [], topicPartitions: [{ topicId, partitions: [0] }] }, 1, ErrorCode.INVALID_REQUEST],
    ['epoch -3', { groupId: 'g-h', memberId: 'h', memberEpoch: -3 }, 1, ErrorCode.INVALID_REQUEST],
    ['static leave without instance id', { groupId: 'g-h', memberId: 'h', memberEpoch: -2 }, 1, ErrorCode.INVALID_REQUEST],
    ['oversized subscription', { groupId: 'g-h', memberId: 'h', memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicNames: Array.from({ length: 10_001 }, (_, i) => `t${i}`), topicPartitions: [] }, 1, ErrorCode.INVALID_REQUEST],
    ['oversized regex', { groupId: 'g-h', memberId: 'h', memberEpoch: 0, rebalanceTimeoutMs: 1, subscribedTopicRegex: 'a'.repeat(5_000), topicPartitions: [] }, 1, ErrorCode.INVALID_REGULAR_EXPRESSION],
    ['leave of an unknown member', { groupId: 'g-h', memberId: 'h', memberEpoch: -1 }, 1, ErrorCode.UNKNOWN_MEMBER_ID],
  ];
  for (const [what, body, version, want] of cases) assert.equal((await hb(body, version)).errorCode, want, what);
  // v0 lets the coordinator pick the member id.
  const v0 = await hb({ groupId: 'g-h0', memberId: '', memberEpoch: 0, rebalanceTimeoutMs: 1_000, subscribedTopicNames: [TOPIC], topicPartitions: [] }, 0);
  assert.equal(v0.errorCode, ErrorCode.NONE);
  assert.match(v0.memberId ?? '', /^[A-Za-z0-9_-]{22}$/);
  // group.consumer.max.size = 3 here.
  for (const m of ['m1', 'm2']) assert.equal((await join('g-h0', m)).errorCode, ErrorCode.NONE);
  assert.equal((await join('g-h0', 'm3')).errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  for (const m of [v0.memberId ?? '', 'm1', 'm2']) await hb({ groupId: 'g-h0', memberId: m, memberEpoch: -1 });
  // Still serving.
  assert.equal((await join('g-h-after', 'ok')).errorCode, ErrorCode.NONE);
  await hb({ groupId: 'g-h-after', memberId: 'ok', memberEpoch: -1 });
});

test('after a restart a member is UNKNOWN_MEMBER_ID, rejoins at epoch 0, and its committed offsets are there', async () => {
  const a = new Member('g-restart', 'rs-a');
  await a.join();
  const commit = await client.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 9, {
    groupId: 'g-restart',
    generationId: a.epoch,
    memberId: 'rs-a',
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: TOPIC, partitions: [{ partitionIndex: 2, committedOffset: 7, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  assert.equal(commit.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  const opts = { host: '127.0.0.1', port: 0, groups: { initialRebalanceDelayMs: 0, consumer: { heartbeatIntervalMs: 200, sessionTimeoutMs: 1_500, maxSize: 3 } } };
  client.close();
  await broker.server.close();
  await broker.engine.close();
  broker.engine = await startEngine({ dataDir: broker.dataDir, shards: 1, pin: false });
  broker.server = await startKafkaTcpServer(broker.engine, opts);
  client = await RawClient.connect(broker.server.port);
  const stale = await hb({ groupId: 'g-restart', memberId: 'rs-a', memberEpoch: a.epoch, topicPartitions: [{ topicId, partitions: a.owned }] });
  assert.equal(stale.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const again = new Member('g-restart', 'rs-a');
  await again.join();
  assert.deepEqual(again.owned, [0, 1, 2, 3]);
  const fetched = await client.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 9, {
    groupId: '',
    topics: [],
    groups: [{ groupId: 'g-restart', memberId: 'rs-a', memberEpoch: again.epoch, topics: [{ name: TOPIC, partitionIndexes: [2] }] }],
    requireStable: true,
  });
  assert.equal(fetched.groups[0]?.topics[0]?.partitions[0]?.committedOffset, 7);
});
