// Tests for LinkedMap: against a plain array model under random operations (order,
// lookups, size), and deleting while iterating, as the fetch-session cache does when
// it drops stale sessions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LinkedMap } from '../../src/kafka/linked-map.js';

type Op = { kind: 'set'; key: number; value: number } | { kind: 'delete'; key: number } | { kind: 'move'; key: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 12 }), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }) }),
  fc.record({ kind: fc.constant('move' as const), key: fc.integer({ min: 0, max: 12 }) }),
);

test('property: the same order, values and answers as an array of entries', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 200 }), (ops) => {
      const m = new LinkedMap<number, number>();
      let model: Array<[number, number]> = [];
      for (const op of ops) {
        const at = model.findIndex(([k]) => k === op.key);
        if (op.kind === 'set') {
          m.set(op.key, op.value);
          if (at >= 0) model[at] = [op.key, op.value];
          else model.push([op.key, op.value]);
        } else if (op.kind === 'delete') {
          assert.equal(m.delete(op.key), at >= 0);
          if (at >= 0) model.splice(at, 1);
        } else {
          assert.equal(m.moveToEnd(op.key), at >= 0);
          if (at >= 0) model = [...model.slice(0, at), ...model.slice(at + 1), model[at]!];
        }
        assert.equal(m.size, model.length);
        assert.deepEqual([...m.values()], model.map(([, v]) => v));
        for (let k = 0; k <= 12; k++) {
          const e = model.find(([mk]) => mk === k);
          assert.equal(m.has(k), e !== undefined);
          assert.equal(m.get(k), e?.[1]);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('deleting the current entry, or every entry, while iterating visits each remaining one once', () => {
  const m = new LinkedMap<string, number>();
  for (let i = 0; i < 10; i++) m.set(`k${i}`, i);
  const seen: number[] = [];
  for (const v of m.values()) {
    seen.push(v);
    if (v % 2 === 0) m.delete(`k${v}`);
  }
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...m.values()], [1, 3, 5, 7, 9]);
  // A stale-session sweep: stop at the first one to keep.
  for (const v of m.values()) {
    if (v > 5) break;
    m.delete(`k${v}`);
  }
  assert.deepEqual([...m.values()], [7, 9]);
  // Moving the last entry is a no-op; moving the first makes it last.
  assert.equal(m.moveToEnd('k9'), true);
  assert.equal(m.moveToEnd('k7'), true);
  assert.deepEqual([...m.values()], [9, 7]);
  assert.equal(m.moveToEnd('k0'), false);
  for (const v of m.values()) m.delete(`k${v}`);
  assert.equal(m.size, 0);
  assert.deepEqual([...m.values()], []);
  m.set('again', 1);
  assert.deepEqual([...m.values()], [1]);
});
