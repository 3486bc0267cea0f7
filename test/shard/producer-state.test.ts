// Idempotent-producer sequence verdicts: next in line, duplicates of the last five
// batches, gaps, epochs, and the Int32 wrap of sequence numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProducerStateTable } from '../../src/shard/producer-state.js';
import { ErrorCode } from '../../src/protocol/errors.js';

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

test('an unknown producer is accepted at any sequence (state lost at restart)', () => {
  const t = new ProducerStateTable();
  assert.equal(t.check(77, 0, 12345, 10).kind, 'ok');
});
