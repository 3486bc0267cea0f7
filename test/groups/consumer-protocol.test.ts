// The consumer protocol bytes and the leader's assignors (src/groups/consumer-protocol.ts):
// round trips, what Kafka's own encodings decode to, and range / round-robin
// assignments as a Java leader computes them (every partition to exactly one
// subscriber, sorted member ids, extras to the first members).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assign, decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/groups/consumer-protocol.js';

test('subscriptions and assignments round-trip; version-0 bytes as Kafka lays them out', () => {
  assert.deepEqual(decodeSubscription(encodeSubscription(['a', 'bc'])), ['a', 'bc']);
  assert.deepEqual([...encodeSubscription(['a'])], [0, 0, 0, 0, 0, 1, 0, 1, 0x61, 0, 0, 0, 0]);
  const a = [{ topic: 't', partitions: [2, 0] }];
  assert.deepEqual(decodeAssignment(encodeAssignment(a)), a);
  assert.deepEqual(decodeAssignment(new Uint8Array(0)), []);
  assert.equal(decodeAssignment(Uint8Array.of(0, 0, 0, 0, 0, 9)), null, 'a count the bytes cannot hold');
  assert.equal(decodeSubscription(Uint8Array.of(0xff, 0xff, 0, 0, 0, 0)), null, 'negative version');
});

test('range: per topic, contiguous ranges in member-id order, the first ones take the extras', () => {
  const plan = assign('range', [{ memberId: 'b', topics: ['t'] }, { memberId: 'a', topics: ['t', 'u'] }], (t) => ({ t: 5, u: 2 })[t]);
  assert.deepEqual(plan.get('a'), [{ topic: 't', partitions: [0, 1, 2] }, { topic: 'u', partitions: [0, 1] }]);
  assert.deepEqual(plan.get('b'), [{ topic: 't', partitions: [3, 4] }]);
});

test('roundrobin: partitions in order, each to the next subscriber; unknown topics to nobody', () => {
  const plan = assign('roundrobin', [{ memberId: 'm2', topics: ['t'] }, { memberId: 'm1', topics: ['t', 'gone'] }], (t) => (t === 't' ? 4 : undefined));
  assert.deepEqual(plan.get('m1'), [{ topic: 't', partitions: [0, 2] }]);
  assert.deepEqual(plan.get('m2'), [{ topic: 't', partitions: [1, 3] }]);
});

test('every assignor gives every partition of a subscribed topic to exactly one of its subscribers', () => {
  const topics = ['a', 'b', 'c'];
  fc.assert(
    fc.property(
      fc.constantFrom('range' as const, 'roundrobin' as const, 'RoundRobinAssigner' as const),
      fc.array(fc.subarray(topics, { minLength: 1 }), { minLength: 1, maxLength: 6 }),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 3, maxLength: 3 }),
      (assignor, subs, counts) => {
        const members = subs.map((t, i) => ({ memberId: `m${i}`, topics: t }));
        const plan = assign(assignor, members, (t) => counts[topics.indexOf(t)]);
        const owner = new Map<string, string>();
        for (const [memberId, parts] of plan) {
          for (const { topic, partitions } of parts) {
            assert.ok(members.find((m) => m.memberId === memberId)!.topics.includes(topic), 'only subscribed topics');
            for (const p of partitions) {
              assert.equal(owner.has(`${topic}-${p}`), false, 'no partition twice');
              owner.set(`${topic}-${p}`, memberId);
            }
          }
        }
        const subscribed = new Set(subs.flat());
        const expected = topics.filter((t) => subscribed.has(t)).reduce((n, t) => n + counts[topics.indexOf(t)]!, 0);
        assert.equal(owner.size, expected, 'every partition assigned');
      },
    ),
  );
});
