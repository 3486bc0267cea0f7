// The mirror's offset mapping (src/mirror/offset-map.ts) and its checkpoint records
// (src/mirror/checkpoints.ts), without brokers: for any source with gaps (compacted
// offsets) a committed offset translates to the target offset of the first copied
// record at or after it, never to a guess once anchors were dropped; the position
// and anchors survive a round trip through the checkpoint records, and records of
// other mirrors or that do not parse are ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ANCHORS_KEPT, OffsetMap, addSequence } from '../../src/mirror/offset-map.js';
import {
  anchorRecord,
  applyCheckpointRecord,
  checkpointState,
  identityRecord,
  isMirrorInternalTopic,
  newCheckpointReader,
  partitionKey,
  positionRecord,
} from '../../src/mirror/checkpoints.js';

const utf8 = new TextEncoder();
const bytes = (v: Uint8Array | string | null | undefined): Uint8Array | null => (v === null || v === undefined ? null : typeof v === 'string' ? utf8.encode(v) : v);

/** A source of `n` records from `s0`, each `gaps[i]` offsets after the previous one. */
const sourceArb = fc.record({
  s0: fc.integer({ min: 0, max: 1000 }),
  t0: fc.integer({ min: 0, max: 1000 }),
  steps: fc.array(fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: 1, max: 5 })), { minLength: 0, maxLength: 300 }),
  firstGap: fc.integer({ min: 0, max: 3 }),
});

function build(src: { s0: number; t0: number; steps: number[]; firstGap: number }): { map: OffsetMap; records: Array<{ s: number; t: number }> } {
  const map = OffsetMap.start('t', 0, src.s0, src.t0);
  const records: Array<{ s: number; t: number }> = [];
  let s = src.s0 + src.firstGap;
  for (let i = 0; i < src.steps.length; i++) {
    records.push({ s, t: src.t0 + i });
    map.observe(s, src.t0 + i);
    s += src.steps[i]!;
  }
  return { map, records };
}

/** What translate(g) must answer: the target offset of the first copied record at or after g. */
function expected(records: Array<{ s: number; t: number }>, map: OffsetMap, g: number): number | null {
  if (g > map.position.s) return null;
  const r = records.find((x) => x.s >= g);
  return r === undefined ? map.position.t : r.t;
}

test('translate(g) is the target offset of the first copied record at or after g, or null; never another number (fast-check)', () => {
  fc.assert(
    fc.property(sourceArb, (src) => {
      const { map, records } = build(src);
      const oldestKept = map.anchorList()[0]!;
      const last = records.length === 0 ? src.s0 : records[records.length - 1]!.s;
      for (let g = 0; g <= last + 3; g++) {
        const got = map.translate(g);
        const want = expected(records, map, g);
        if (got === null) {
          // Only beyond the position, or older than every anchor kept (and above the origin).
          assert.ok(want === null || (g > src.s0 && g < oldestKept.s), `g=${g}: null, expected ${want}`);
        } else assert.equal(got, want, `g=${g}`);
      }
      // Contiguous sources need one anchor: the origin.
      if (src.firstGap === 0 && src.steps.every((x) => x === 1)) assert.equal(map.anchorList().length, 1);
      assert.ok(map.anchorList().length <= ANCHORS_KEPT);
      assert.equal(map.position.q, records.length % 0x8000_0000);
    }),
    { numRuns: 300 },
  );
});

test('position and anchors survive the checkpoint records; other mirrors, bad values and later anchors are ignored (fast-check)', () => {
  fc.assert(
    fc.property(sourceArb, fc.integer({ min: 0, max: 2 ** 40 }), (src, pid) => {
      const { map } = build(src);
      const r = newCheckpointReader();
      const apply = (m: { key?: Uint8Array | string | null; value: Uint8Array | string | null }): void => applyCheckpointRecord(r, 'm1', bytes(m.key), bytes(m.value));
      apply(identityRecord('m1', { producerId: pid, producerEpoch: 3 }));
      // Anchors go in the order a mirror writes them (each checkpoint: new anchors, then the position).
      for (const a of map.anchorList()) apply(anchorRecord('m1', 't', 0, a));
      apply(positionRecord('m1', 't', 0, map.position, map.origin, map.lastAnchorIndex));
      // Noise: another mirror, a value that is not JSON, a future version, and an
      // anchor written after the position by a session that died before its next position.
      apply(positionRecord('m2', 't', 0, { s: 1, t: 1, q: 1 }, { s: 0, t: 0 }, 0));
      apply({ key: 'm1|pos|t|0', value: 'not json' });
      apply({ key: 'm1|pos|t|0', value: JSON.stringify({ v: 2, s: 1, t: 1, q: 1, s0: 0, t0: 0 }) });
      apply(anchorRecord('m1', 't', 0, { index: map.lastAnchorIndex + 1, s: map.position.s + 5, t: map.position.t }));
      const st = checkpointState(r);
      assert.deepEqual(st.identity, { producerId: pid, producerEpoch: 3 });
      const cp = st.partitions.get(partitionKey('t', 0))!;
      assert.deepEqual(cp.position, map.position);
      const back = new OffsetMap('t', 0, cp.origin, cp.position, cp.anchors, cp.nextAnchorIndex);
      for (let g = 0; g <= map.position.s + 2; g++) assert.equal(back.translate(g), map.translate(g), `g=${g}`);
      assert.equal(st.partitions.size, 1);
    }),
    { numRuns: 200 },
  );
});

test('anchors lost from the ring (overwritten by a dying session, or never written) make translate answer null, never a wrong offset (fast-check)', () => {
  fc.assert(
    fc.property(sourceArb, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }), fc.integer({ min: 0, max: 80 }), (src, keep, stray) => {
      const { map, records } = build(src);
      const r = newCheckpointReader();
      const apply = (m: { key?: Uint8Array | string | null; value: Uint8Array | string | null }): void => applyCheckpointRecord(r, 'm1', bytes(m.key), bytes(m.value));
      map.anchorList().forEach((a, i) => {
        if (keep[i]) apply(anchorRecord('m1', 't', 0, a));
      });
      apply(positionRecord('m1', 't', 0, map.position, map.origin, map.lastAnchorIndex));
      // A session that died after writing `stray` anchors and no position record.
      for (let i = 1; i <= stray; i++) apply(anchorRecord('m1', 't', 0, { index: map.lastAnchorIndex + i, s: map.position.s + i, t: map.position.t }));
      const cp = checkpointState(r).partitions.get(partitionKey('t', 0))!;
      const back = new OffsetMap('t', 0, cp.origin, cp.position, cp.anchors, cp.nextAnchorIndex);
      for (let g = 0; g <= map.position.s + 2; g++) {
        const got = back.translate(g);
        if (got !== null) assert.equal(got, expected(records, map, g), `g=${g}`);
      }
      assert.equal(back.translate(map.position.s), map.position.t, 'the position itself always translates');
    }),
    { numRuns: 200 },
  );
});

test('a restart that finds k records after the checkpoint passes over them and continues the sequence', () => {
  const map = OffsetMap.start('t', 0, 100, 7);
  for (let i = 0; i < 10; i++) map.observe(100 + i, 7 + i);
  const cp = { ...map.position };
  // The target has 4 more records than the checkpoint says: the next 4 source records.
  const resumed = new OffsetMap('t', 0, map.origin, cp, map.anchorList());
  for (let i = 0; i < 4; i++) resumed.observe(110 + i, resumed.position.t);
  assert.deepEqual(resumed.position, { s: 114, t: 21, q: 14 });
  assert.equal(resumed.translate(112), 19);
  assert.equal(resumed.anchorList().length, 1);
  assert.equal(addSequence(0x7fff_fffe, 3), 1, 'sequences wrap at Int32 max as Kafka does');
});

test('internal and bookkeeping topics are never mirrored', () => {
  for (const t of ['__consumer_offsets', '__samsa_x', 'samsa-mirror.default.checkpoints.internal', 'mm2-offset-syncs.a.internal', 'a.checkpoints.internal']) assert.ok(isMirrorInternalTopic(t), t);
  for (const t of ['orders', 'samsa-mirror', 'internal']) assert.ok(!isMirrorInternalTopic(t), t);
});
