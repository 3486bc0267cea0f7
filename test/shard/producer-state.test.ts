// Idempotent-producer sequence verdicts: next in line, duplicates of the last five
// batches, gaps, epochs, and the Int32 wrap of sequence numbers; replay of stored
// batch headers and the snapshot round trip (the restart path).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateTable } from '../../src/shard/producer-state.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { ATTR_CONTROL } from '../../src/wire/batch-layout.js';
import type { ProducerBatchHeader } from '../../src/storage/producer-snapshot.js';

function header(producerId: number, producerEpoch: number, baseSequence: number, lastOffsetDelta: number, baseOffset: number, attributes = 0): ProducerBatchHeader {
  return { producerId, producerEpoch, baseSequence, lastOffsetDelta, baseOffset, attributes, controlType: -1 };
}

test('in-order batches pass; a repeat of any of the last five is a duplicate with its offset', () => {
  const t = new ProducerStateTable();
  const refs = Array.from({ length: 7 }, (_, i) => ({ baseOffset: i * 10 }));
  for (let i = 0; i < 7; i++) {
    assert.equal(t.check(1, 0, i * 3, 3).kind, 'ok');
    t.record(1, 0, i * 3, 3, refs[i]!);
  }
  const dup = t.check(1, 0, 6 * 3, 3);
  assert.equal(dup.kind, 'duplicate');
  assert.equal(dup.kind === 'duplicate' ? dup.entry.baseOffset : -1, 60);
  assert.equal(t.check(1, 0, 2 * 3, 3).kind, 'duplicate'); // 5th most recent
  const old = t.check(1, 0, 1 * 3, 3); // 6th most recent: no longer remembered, and not next
  assert.equal(old.kind === 'error' ? old.errorCode : 0, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  const gap = t.check(1, 0, 22, 1);
  assert.equal(gap.kind === 'error' ? gap.errorCode : 0, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(t.check(1, 0, 21, 1).kind, 'ok');
});

test('epochs: older is refused, newer must restart at sequence 0', () => {
  const t = new ProducerStateTable();
  t.record(9, 3, 0, 1, { baseOffset: 0 });
  const older = t.check(9, 2, 1, 1);
  assert.equal(older.kind === 'error' ? older.errorCode : 0, ErrorCode.INVALID_PRODUCER_EPOCH);
  const newerMid = t.check(9, 4, 5, 1);
  assert.equal(newerMid.kind === 'error' ? newerMid.errorCode : 0, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(t.check(9, 4, 0, 1).kind, 'ok');
});

test('sequences wrap from Int32 max to 0, as Kafka increments them', () => {
  const t = new ProducerStateTable();
  t.record(5, 0, 0x7ffffffe, 2, { baseOffset: 0 }); // covers max-1 and max
  assert.equal(t.check(5, 0, 0, 1).kind, 'ok');
  assert.equal(t.check(5, 0, 1, 1).kind, 'error');
  assert.equal(t.check(5, 0, 0x7ffffffe, 2).kind, 'duplicate');
});

test("an unknown producer is accepted at any sequence (Kafka's rule for an unknown producer id)", () => {
  const t = new ProducerStateTable();
  assert.equal(t.check(77, 0, 12345, 10).kind, 'ok');
});

test('replayed headers rebuild the state: duplicates answer with the stored offset, the next sequence is expected', () => {
  const t = new ProducerStateTable();
  for (let i = 0; i < 7; i++) t.replay(header(3, 1, i * 2, 1, 100 + i * 2));
  t.replay(header(-1, -1, -1, 4, 114)); // not idempotent: ignored
  t.replay(header(3, 1, -1, 0, 119, ATTR_CONTROL)); // a transaction marker: ignored
  t.replay(header(3, 0, 50, 0, 120)); // an older epoch after a newer one: ignored
  assert.equal(t.size(), 1);
  const dup = t.check(3, 1, 12, 2);
  assert.equal(dup.kind === 'duplicate' ? dup.entry.baseOffset : -1, 112);
  assert.equal(t.check(3, 1, 4, 2).kind, 'duplicate'); // 5th most recent
  assert.equal(t.check(3, 1, 2, 2).kind, 'error'); // 6th: forgotten
  assert.equal(t.check(3, 1, 14, 1).kind, 'ok');
  assert.equal(t.check(3, 1, 15, 1).kind, 'error');
  t.replay(header(3, 2, 0, 0, 121)); // an epoch bump starts over
  assert.equal(t.check(3, 2, 1, 1).kind, 'ok');
  assert.equal(t.check(3, 1, 14, 1).kind, 'error');
});

test('replay wraps lastSequence at Int32 max like Kafka', () => {
  const t = new ProducerStateTable();
  t.replay(header(5, 0, 0x7ffffffe, 2, 0)); // max-1, max, 0
  assert.equal(t.check(5, 0, 0x7ffffffe, 3).kind, 'duplicate');
  assert.equal(t.check(5, 0, 1, 1).kind, 'ok');
});

test('snapshot round trip keeps epochs, the last five batches and their offsets; unwritten batches are left out', () => {
  const t = new ProducerStateTable();
  for (let i = 0; i < 6; i++) t.record(1, 0, i, 1, { baseOffset: i });
  t.record(2, 4, 0, 3, { baseOffset: 10 });
  t.record(3, 0, 0, 1, { baseOffset: -1 }); // staged, never written
  const snap = t.toSnapshot();
  assert.deepEqual(snap.map((p) => [p.producerId, p.epoch, p.batches.length]), [[1, 0, 5], [2, 4, 1]]);
  const back = ProducerStateTable.fromSnapshot(snap);
  assert.deepEqual(back.toSnapshot(), snap);
  const dup = back.check(2, 4, 0, 3);
  assert.equal(dup.kind === 'duplicate' ? dup.entry.baseOffset : -1, 10);
  assert.equal(back.check(1, 0, 6, 1).kind, 'ok');
  assert.equal(back.check(1, 0, 7, 1).kind, 'error');
  assert.equal(back.check(3, 0, 99, 1).kind, 'ok'); // unknown again
});
