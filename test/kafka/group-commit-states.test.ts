// OffsetCommit while a classic group rebalances, over the wire (raw JoinGroup v5,
// SyncGroup v3, Heartbeat v3, OffsetCommit v7): a member of the current generation
// may commit while the group prepares a rebalance (librdkafka commits the offsets
// of partitions it gives up on revoke, and Kafka accepts them), and gets
// REBALANCE_IN_PROGRESS only while the rebalance completes (joined, not yet synced).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/wire/errors.js';
import { HeartbeatRequestCodec, HeartbeatResponseCodec } from '../../src/wire/schemas/12-heartbeat.js';
import { JoinGroupRequestCodec, type JoinGroupResponse, JoinGroupResponseCodec } from '../../src/wire/schemas/11-join-group.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../src/wire/schemas/08-offset-commit.js';
import { SyncGroupRequestCodec, SyncGroupResponseCodec } from '../../src/wire/schemas/14-sync-group.js';
import { RawClient, decodeResponse, startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;

before(async () => {
  broker = await startTestBroker();
  await broker.engine.createTopic('gc-topic', 1);
});

after(() => broker.close());

const GROUP = 'gc-group';

function joinBody(memberId: string) {
  return {
    groupId: GROUP,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Uint8Array.of(0, 1) }],
    reason: null,
  };
}

async function commit(c: RawClient, generationId: number, memberId: string, offset: number): Promise<number> {
  const res = await c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 7, {
    groupId: GROUP,
    generationId,
    memberId,
    groupInstanceId: null,
    retentionTimeMs: -1,
    topics: [{ name: 'gc-topic', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  });
  return res.topics[0]!.partitions[0]!.errorCode;
}

test('a member commits while its group prepares a rebalance, and is told to wait while it completes', async () => {
  const a = await RawClient.connect(broker.port);
  const b = await RawClient.connect(broker.port);
  try {
    const a1 = await a.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, joinBody(''));
    assert.equal(a1.errorCode, 0);
    const sync = await a.request(SyncGroupRequestCodec, SyncGroupResponseCodec, 3, {
      groupId: GROUP,
      generationId: a1.generationId,
      memberId: a1.memberId,
      groupInstanceId: null,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [{ memberId: a1.memberId, assignment: Uint8Array.of(1) }],
    });
    assert.equal(sync.errorCode, 0);

    // b joins: the group prepares a rebalance and waits for a to rejoin.
    const bJoinId = b.send(JoinGroupRequestCodec, 5, joinBody(''));
    const bJoin = b.nextFrame();
    let hb = 0;
    for (let i = 0; i < 200 && hb !== ErrorCode.REBALANCE_IN_PROGRESS; i++) {
      hb = (await a.request(HeartbeatRequestCodec, HeartbeatResponseCodec, 3, { groupId: GROUP, generationId: a1.generationId, memberId: a1.memberId, groupInstanceId: null })).errorCode;
      if (hb !== ErrorCode.REBALANCE_IN_PROGRESS) await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(hb, ErrorCode.REBALANCE_IN_PROGRESS);
    assert.equal(await commit(a, a1.generationId, a1.memberId, 5), 0, 'a commit of the current generation while the rebalance is prepared is accepted');

    const a2 = await a.request(JoinGroupRequestCodec, JoinGroupResponseCodec, 5, joinBody(a1.memberId));
    const bFrame = await bJoin;
    assert.ok(bFrame !== null);
    const b2 = decodeResponse<JoinGroupResponse>(JoinGroupResponseCodec, 5, bFrame);
    assert.equal(b2.correlationId, bJoinId);
    assert.equal(a2.generationId, a1.generationId + 1);
    assert.equal(b2.body.generationId, a2.generationId);
    assert.equal(await commit(b, b2.body.generationId, b2.body.memberId, 6), ErrorCode.REBALANCE_IN_PROGRESS, 'joined but not synced: wait for the assignment');
    assert.equal(await commit(a, a1.generationId, a1.memberId, 6), ErrorCode.ILLEGAL_GENERATION, 'the old generation is over');
  } finally {
    a.close();
    b.close();
  }
});
