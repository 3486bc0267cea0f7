// The server-side assignors of KIP-848 groups (src/groups/consumer-group.ts): `range`
// gives contiguous ranges per topic, the first members one more; `uniform` is as
// even as the subscriptions allow and sticky (a member keeps what it had up to its
// share, so a join or leave moves only what must move); both assign every partition
// of a subscribed topic exactly once and only to subscribers; and the regex guard
// that keeps subscriptions away from exponential backtracking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Assignment, backtrackingHazard, rangeAssign, uniformAssign } from '../../src/groups/consumer-group.js';

type Input = Parameters<typeof uniformAssign>[0][number];

const member = (memberId: string, topics: Record<string, number>, current: Assignment = new Map()): Input => ({
  memberId,
  topics: Object.entries(topics).map(([topicId, partitions]) => ({ topicId, partitions })),
  current,
});

function count(a: Assignment | undefined): number {
  let n = 0;
  for (const ps of a?.values() ?? []) n += ps.length;
  return n;
}

/** Every partition of every subscribed topic exactly once, and only to a subscriber. */
function assertComplete(inputs: readonly Input[], out: Map<string, Assignment>): void {
  const seen = new Map<string, string>();
  for (const [id, a] of out) {
    const subscribed = new Set(inputs.find((m) => m.memberId === id)!.topics.map((t) => t.topicId));
    for (const [t, ps] of a) {
      assert.ok(subscribed.has(t), `${id} got ${t} without subscribing`);
      for (const p of ps) {
        assert.ok(!seen.has(`${t}:${p}`), `${t}:${p} given twice`);
        seen.set(`${t}:${p}`, id);
      }
    }
  }
  const sizes = new Map<string, number>();
  for (const m of inputs) for (const t of m.topics) sizes.set(t.topicId, t.partitions);
  for (const [t, n] of sizes) for (let p = 0; p < n; p++) assert.ok(seen.has(`${t}:${p}`), `${t}:${p} not assigned`);
}

test('range: contiguous ranges per topic, the first members by id one more', () => {
  const inputs = [member('b', { t: 7 }), member('a', { t: 7 }), member('c', { t: 7 })];
  const out = rangeAssign(inputs);
  assertComplete(inputs, out);
  assert.deepEqual(out.get('a')?.get('t'), [0, 1, 2]);
  assert.deepEqual(out.get('b')?.get('t'), [3, 4]);
  assert.deepEqual(out.get('c')?.get('t'), [5, 6]);
});

test('uniform: balanced, and sticky when a member joins or leaves', () => {
  const three = [member('a', { t: 7 }), member('b', { t: 7 }), member('c', { t: 7 })];
  const first = uniformAssign(three);
  assertComplete(three, first);
  assert.deepEqual([...first.values()].map(count).sort(), [2, 2, 3]);
  // c leaves: a and b keep everything they had and share c's partitions.
  const two = [member('a', { t: 7 }, first.get('a')), member('b', { t: 7 }, first.get('b'))];
  const second = uniformAssign(two);
  assertComplete(two, second);
  for (const id of ['a', 'b']) for (const p of first.get(id)!.get('t') ?? []) assert.ok(second.get(id)!.get('t')!.includes(p), `${id} kept ${p}`);
  // d joins: it gets only what the others must give up to be even.
  const again = [...two.map((m) => member(m.memberId, { t: 7 }, second.get(m.memberId))), member('d', { t: 7 })];
  const third = uniformAssign(again);
  assertComplete(again, third);
  assert.deepEqual([...third.values()].map(count).sort(), [2, 2, 3]);
  const moved = ['a', 'b'].reduce((n, id) => n + (second.get(id)!.get('t')!.filter((p) => !(third.get(id)!.get('t') ?? []).includes(p)).length), 0);
  assert.equal(moved, count(third.get('d')), 'only the new member’s share moved');
});

test('uniform with different subscriptions: every partition to a subscriber, as even as they allow', () => {
  const inputs = [member('a', { t1: 4 }), member('b', { t1: 4, t2: 4 }), member('c', { t2: 4 })];
  const out = uniformAssign(inputs);
  assertComplete(inputs, out);
  assert.deepEqual([...out.values()].map(count).sort(), [2, 3, 3].sort());
});

test('regex guard: RE2-less features and backtracking blow-ups are refused, usual topic patterns pass', () => {
  for (const ok of ['orders-.*', '(orders|payments)\\..*', 't-[0-9]+', 'a[(]+b', 'x\\(y\\)*']) assert.equal(backtrackingHazard(ok), null, ok);
  for (const bad of ['(a+)+', '(a|b)*', '(?:x*)+y', '(x)\\1', '(?<=a)b', '(?!a)b', '.*.*.*.*.*']) assert.notEqual(backtrackingHazard(bad), null, bad);
});
