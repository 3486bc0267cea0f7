import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, POOLED_MAX_BYTES, POOLED_MIN_BYTES } from '../../src/broker/buffer-pool.js';

test('a given-back buffer is lent again for a read of the same size class', () => {
  const pool = new BufferPool();
  const a = pool.take(1_000_000);
  assert.equal(a.byteLength, 1_000_000);
  assert.equal(a.buffer.byteLength, 1 << 20);
  pool.give(a);
  const b = pool.take(600_000);
  assert.equal(b.buffer, a.buffer, 'same class (1 MiB): reused');
  const c = pool.take(600_000);
  assert.notEqual(c.buffer, a.buffer, 'lent out: not handed twice');
  assert.deepEqual(pool.stats, { taken: 3, reused: 1, given: 1, dropped: 0 });
});

test('small, huge, foreign and twice-given buffers are never pooled', () => {
  const pool = new BufferPool();
  const small = pool.take(POOLED_MIN_BYTES - 1);
  const huge = pool.take(POOLED_MAX_BYTES + 1);
  pool.give(small);
  pool.give(huge);
  pool.give(new Uint8Array(1 << 20));
  assert.equal(pool.freeBytesHeld, 0);
  const a = pool.take(POOLED_MIN_BYTES);
  pool.give(a);
  pool.give(a);
  assert.equal(pool.freeBytesHeld, POOLED_MIN_BYTES, 'a second give is ignored');
  const b = pool.take(POOLED_MIN_BYTES);
  const c = pool.take(POOLED_MIN_BYTES);
  assert.notEqual(b.buffer, c.buffer);
});

test('free bytes stay under the bound; copyOf copies', () => {
  const pool = new BufferPool(2 << 20);
  const lent = [pool.take(1 << 20), pool.take(1 << 20), pool.take(1 << 20)];
  for (const b of lent) pool.give(b);
  assert.equal(pool.freeBytesHeld, 2 << 20);
  assert.equal(pool.stats.dropped, 1);
  const src = Uint8Array.from({ length: 70_000 }, (_, i) => i & 0xff);
  const copy = pool.copyOf(src);
  assert.deepEqual(copy, src);
  assert.notEqual(copy.buffer, src.buffer);
});
