// DescribeGroups (API 15) over raw requests: an unknown group is Dead up to v5 and
// GROUP_ID_NOT_FOUND with a message from v6 (KIP-1043), as Kafka 4.x answers; a group
// known only by committed offsets is Empty at every version; a live group is described.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from '../../../src/wire/schemas/15-describe-groups.js';
import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../../src/wire/schemas/11-join-group.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../../src/wire/schemas/08-offset-commit.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let broker: TestBroker;
let client: RawClient;

before(async () => {
  broker = await startTestBroker();
  client = await RawClient.connect(broker.port);
  await broker.engine.createTopic('dg', 1);
});

after(async () => {
  client.close();
  await broker.close();
});

async function describe(groups: string[], version: number) {
  return client.request(DescribeGroupsRequestCodec, DescribeGroupsResponseCodec, version, { groups, includeAuthorizedOperations: false });
}

test('an unknown group: Dead before v6, GROUP_ID_NOT_FOUND with a message from v6', async () => {
  for (const v of [0, 3, 5]) {
    const [g] = (await describe(['nobody'], v)).groups;
    assert.deepEqual([g?.errorCode, g?.groupState], [ErrorCode.NONE, 'Dead'], `v${v}`);
  }
  const [g6] = (await describe(['nobody'], 6)).groups;
  assert.equal(g6?.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
  assert.equal(g6?.errorMessage, 'Group nobody not found.');
});

test('a group with committed offsets and no members is Empty at v6; a live group is Stable-bound with its member', async () => {
  const commit = await client.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 2, {
    groupId: 'offsets-only',
    generationId: -1,
    memberId: '',
    retentionTimeMs: -1,
    topics: [{ name: 'dg', partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }],
  });
  assert.equal(commit.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
  const join = await client.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, {
    groupId: 'live',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: new Uint8Array(0) }],
  });
  assert.equal(join.errorCode, ErrorCode.NONE);
  const res = await describe(['offsets-only', 'live'], 6);
  assert.deepEqual(res.groups.map((g) => [g.groupId, g.errorCode, g.groupState]), [
    ['offsets-only', ErrorCode.NONE, 'Empty'],
    ['live', ErrorCode.NONE, 'CompletingRebalance'],
  ]);
  assert.deepEqual(res.groups[1]?.members.map((m) => m.memberId), [join.memberId]);
});
