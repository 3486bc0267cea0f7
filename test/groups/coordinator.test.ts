// GroupCoordinator state machine, without sockets: joins, the leader's sync,
// generations, leaves, session expiry and protocol checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCoordinator, type JoinRequest } from '../../src/groups/coordinator.js';
import { ErrorCode } from '../../src/wire/errors.js';

const meta = Uint8Array.of(1, 2, 3);
/** Most cases are about the state machine, not Kafka's initial delay. */
const NO_DELAY = { initialRebalanceDelayMs: 0 };

/** The coordinator's timers are unref'd (a broker's sockets keep the process alive); a test must hold it open itself. */
async function keepAlive<T>(p: Promise<T>): Promise<T> {
  const timer = setInterval(() => {}, 1_000);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}
const join = (c: GroupCoordinator, memberId = '', extra: Partial<JoinRequest> = {}) =>
  c.join({
    groupId: 'g',
    memberId,
    groupInstanceId: null,
    clientId: 'cli',
    clientHost: '/127.0.0.1',
    sessionTimeoutMs: 60_000,
    rebalanceTimeoutMs: 60_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: meta }],
    ...extra,
  });

test('a single member joins, syncs its own assignment and heartbeats', async () => {
  const c = new GroupCoordinator(NO_DELAY);
  const j = await join(c);
  assert.equal(j.errorCode, 0);
  assert.equal(j.generationId, 1);
  assert.equal(j.leader, j.memberId);
  assert.equal(j.protocolName, 'range');
  assert.deepEqual(j.members.map((m) => m.metadata), [meta]);
  const s = await c.sync('g', 1, j.memberId, [{ memberId: j.memberId, assignment: Uint8Array.of(9) }]);
  assert.deepEqual([s.errorCode, [...s.assignment]], [0, [9]]);
  assert.equal(c.heartbeat('g', 1, j.memberId), 0);
  assert.equal(c.heartbeat('g', 0, j.memberId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(c.heartbeat('g', 1, 'nobody'), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(c.describe('g')!.state, 'Stable');
  c.close();
});

test('a second member triggers a rebalance; followers wait for the leader’s sync', async () => {
  const c = new GroupCoordinator(NO_DELAY);
  const a = await join(c);
  await c.sync('g', 1, a.memberId, [{ memberId: a.memberId, assignment: Uint8Array.of(1) }]);
  const bJoin = join(c); // waits for a to rejoin
  assert.equal(c.heartbeat('g', 1, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS);
  const aJoin = join(c, a.memberId);
  const [a2, b2] = await Promise.all([aJoin, bJoin]);
  assert.equal(a2.generationId, 2);
  assert.equal(b2.generationId, 2);
  assert.equal(a2.leader, a.memberId, 'the leader stays');
  assert.equal(a2.members.length, 2);
  assert.equal(b2.members.length, 0);
  const bSync = c.sync('g', 2, b2.memberId, []);
  const aSync = c.sync('g', 2, a.memberId, [
    { memberId: a.memberId, assignment: Uint8Array.of(1) },
    { memberId: b2.memberId, assignment: Uint8Array.of(2) },
  ]);
  assert.deepEqual([...(await bSync).assignment], [2]);
  assert.deepEqual([...(await aSync).assignment], [1]);
  assert.equal(c.validateCommit('g', 2, b2.memberId), 0);
  assert.equal(c.validateCommit('g', 1, b2.memberId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(c.validateCommit('g', -1, ''), ErrorCode.UNKNOWN_MEMBER_ID, 'outside commits are refused while members are active (as Kafka: UNKNOWN_MEMBER_ID)');

  assert.equal(c.leave('g', b2.memberId), 0);
  assert.equal(c.describe('g')!.state, 'PreparingRebalance');
  assert.equal(c.validateCommit('g', 2, a.memberId), 0, 'Kafka lets the current generation commit while a rebalance is prepared');
  const a3 = await join(c, a.memberId);
  assert.equal(a3.generationId, 3);
  assert.equal(c.describe('g')!.state, 'CompletingRebalance');
  assert.equal(c.validateCommit('g', 3, a.memberId), ErrorCode.REBALANCE_IN_PROGRESS, 'no commits between the join answers and the assignment');
  assert.equal(c.leave('g', a.memberId), 0);
  assert.equal(c.describe('g')!.state, 'Empty');
  assert.equal(c.validateCommit('g', -1, ''), 0);
  assert.equal(c.delete('g'), 0);
  assert.equal(c.describe('g'), undefined);
  c.close();
});

test('an in-process member hears of a rebalance through onRebalance, once per rebalance', async () => {
  const c = new GroupCoordinator(NO_DELAY);
  let heard = 0;
  const a = await join(c, '', { onRebalance: () => heard++ });
  await c.sync('g', 1, a.memberId, [{ memberId: a.memberId, assignment: Uint8Array.of(1) }]);
  assert.equal(heard, 0);
  const bJoin = join(c);
  assert.equal(heard, 1, 'told at once when the second member joined');
  const a2 = await join(c, a.memberId, { onRebalance: () => heard++ });
  await bJoin;
  assert.equal(a2.generationId, 2);
  assert.equal(heard, 1, 'a member already rejoining is not told again');
  c.close();
});

test('a member whose session expires is removed', async () => {
  const c = new GroupCoordinator({ ...NO_DELAY, minSessionTimeoutMs: 1 });
  const a = await join(c, '', { sessionTimeoutMs: 30 });
  await c.sync('g', 1, a.memberId, []);
  for (let i = 0; i < 100 && c.describe('g')!.members.length > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(c.describe('g')!.members.length, 0);
  assert.equal(c.describe('g')!.state, 'Empty');
  assert.equal(c.heartbeat('g', 1, a.memberId), ErrorCode.UNKNOWN_MEMBER_ID);
  c.close();
});

test('bad joins: empty group id, session timeout out of range, no common protocol, unknown member', async () => {
  const c = new GroupCoordinator(NO_DELAY);
  assert.equal((await join(c, '', { groupId: '' })).errorCode, ErrorCode.INVALID_GROUP_ID);
  assert.equal((await join(c, '', { sessionTimeoutMs: 10 })).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await join(c, 'ghost')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  const a = await join(c);
  assert.equal(a.errorCode, 0);
  assert.equal((await join(c, '', { protocols: [{ name: 'roundrobin', metadata: meta }] })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await join(c, '', { protocolType: 'connect' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal(c.delete('g'), ErrorCode.NON_EMPTY_GROUP);
  c.close();
});

test('the initial delay gathers members that join during it into one generation; each join extends it', async () => {
  const c = new GroupCoordinator({ initialRebalanceDelayMs: 150 });
  const a = join(c);
  let aDone = false;
  void a.then(() => (aDone = true));
  // Joins spaced closer than the delay keep extending it: none may complete the join early.
  await new Promise((r) => setTimeout(r, 100));
  const b = join(c);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(aDone, false, 'the second join extended the delay past the first one');
  const third = join(c);
  const [ja, jb, jc] = await keepAlive(Promise.all([a, b, third]));
  assert.deepEqual([ja.generationId, jb.generationId, jc.generationId], [1, 1, 1], 'one generation for the three');
  const leader = [ja, jb, jc].find((j) => j.members.length > 0)!;
  assert.equal(leader.members.length, 3);
  assert.equal(c.describe('g')!.state, 'CompletingRebalance');
  c.close();
});

test('members that keep arriving cannot hold the initial delay open past the rebalance timeout', async () => {
  const c = new GroupCoordinator({ initialRebalanceDelayMs: 100 });
  const opts = { rebalanceTimeoutMs: 300 };
  const first = join(c, '', opts);
  let done = false;
  void first.then(() => (done = true));
  // A new member every 40 ms would extend a 100 ms delay for ever without the bound.
  const joins: Array<Promise<unknown>> = [];
  for (let i = 0; i < 100 && !done; i++) {
    joins.push(join(c, '', opts));
    await new Promise((r) => setTimeout(r, 40));
  }
  assert.equal(done, true, 'the first generation formed while members were still arriving');
  assert.equal((await keepAlive(first)).generationId, 1);
  c.close();
  await Promise.allSettled(joins);
});

test('commits: accepted while a rebalance is prepared, refused while it completes (Kafka ClassicGroup rules)', async () => {
  const c = new GroupCoordinator(NO_DELAY);
  const a = await join(c);
  await c.sync('g', 1, a.memberId, [{ memberId: a.memberId, assignment: Uint8Array.of(1) }]);
  const bJoin = join(c); // the group prepares a rebalance; a is still in generation 1
  assert.equal(c.describe('g')!.state, 'PreparingRebalance');
  // a commits what it consumed before giving its partitions up (librdkafka does, on revoke).
  assert.equal(c.validateCommit('g', 1, a.memberId), 0);
  assert.equal(c.validateCommit('g', 0, a.memberId), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(c.validateCommit('g', 1, 'nobody'), ErrorCode.UNKNOWN_MEMBER_ID);
  const [a2, b2] = await Promise.all([join(c, a.memberId), bJoin]);
  assert.equal(c.describe('g')!.state, 'CompletingRebalance');
  assert.equal(c.validateCommit('g', 2, b2.memberId), ErrorCode.REBALANCE_IN_PROGRESS, 'joined, but no assignment yet');
  assert.equal(c.validateCommit('g', 1, a.memberId), ErrorCode.ILLEGAL_GENERATION);
  const bSync = c.sync('g', 2, b2.memberId, []);
  await c.sync('g', 2, a2.memberId, [{ memberId: a2.memberId, assignment: Uint8Array.of(1) }, { memberId: b2.memberId, assignment: Uint8Array.of(2) }]);
  await bSync;
  assert.equal(c.validateCommit('g', 2, b2.memberId), 0);
  assert.equal(c.validateCommit('g', -1, 'someone'), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(c.validateCommit('g', -1, b2.memberId), ErrorCode.ILLEGAL_GENERATION);
  c.close();
});
