import { test } from 'node:test';
import assert from 'node:assert/strict';
import { segmentsToDelete } from '../../src/storage/retention.js';

const seg = (sizeBytes: number, maxTimestampMs: number) => ({ sizeBytes, maxTimestampMs });

test('retention.ms deletes an expired prefix, never the active segment', () => {
  const segs = [seg(10, 100), seg(10, 200), seg(10, 50), seg(10, 100)];
  // cutoff = 1000 - 850 = 150: seg0 expired, seg1 not → stops (a prefix only).
  assert.equal(segmentsToDelete(segs, { retentionMs: 850, retentionBytes: -1 }, 1000), 1);
  // Everything expired: the active (last) stays.
  assert.equal(segmentsToDelete(segs, { retentionMs: 1, retentionBytes: -1 }, 10_000), 3);
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: -1 }, 10_000), 0);
  assert.equal(segmentsToDelete([seg(10, 0)], { retentionMs: 0, retentionBytes: 0 }, 10_000), 0);
});

test('retention.bytes deletes the oldest while the rest stays at or above the limit', () => {
  const segs = [seg(100, 0), seg(100, 0), seg(100, 0), seg(30, 0)]; // 330 bytes
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: 330 }, 0), 0);
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: 230 }, 0), 1);
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: 229 }, 0), 1);
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: 0 }, 0), 3);
});

test('both rules combine: time first, then size on what is left', () => {
  const segs = [seg(100, 10), seg(100, 5000), seg(100, 5000), seg(10, 5000)];
  // Time removes seg0; 210 bytes are left.
  assert.equal(segmentsToDelete(segs, { retentionMs: 1000, retentionBytes: 210 }, 2000), 1);
  assert.equal(segmentsToDelete(segs, { retentionMs: 1000, retentionBytes: 110 }, 2000), 2);
  assert.equal(segmentsToDelete(segs, { retentionMs: 1000, retentionBytes: 10 }, 2000), 3);
  assert.equal(segmentsToDelete(segs, { retentionMs: -1, retentionBytes: 110 }, 2000), 2);
});
