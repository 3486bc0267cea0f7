// The scrub of sealed segments (src/storage/scrub.ts) on hand-made partition
// directories: a CRC-damaged batch is reported and the walk goes on to the next one;
// broken framing is reported with the rest of its segment unchecked; the active
// (last) segment is never read; nothing is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { setBaseOffset, OFF_MAGIC } from '../../src/wire/batch-layout.js';
import { scrubPartitionDir } from '../../src/storage/scrub.js';

function batchAt(offset: number, values: number): Uint8Array {
  const b = encodeRecordBatch(Array.from({ length: values }, (_, i) => ({ key: `k${i}`, value: `value ${offset + i}` })), { timestamp: 1_700_000_000_000 });
  setBaseOffset(b, offset);
  return b;
}

function segment(dir: string, base: number, batches: Uint8Array[]): string {
  const file = path.join(dir, `${String(base).padStart(20, '0')}.log`);
  fs.writeFileSync(file, Buffer.concat(batches));
  return file;
}

test('scrub: reports a CRC-damaged batch and goes on, stops a segment at broken framing, never reads the active segment', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-scrub-'));
  try {
    // Segment 0: three batches, the middle one with a flipped bit in its records.
    const b0 = batchAt(0, 2);
    const b1 = batchAt(2, 2);
    const b2 = batchAt(4, 2);
    b1[b1.byteLength - 3]! ^= 0x04;
    const seg0 = segment(dir, 0, [b0, b1, b2]);
    // Segment 6: one good batch, then one whose magic byte is gone.
    const c0 = batchAt(6, 1);
    const c1 = batchAt(7, 1);
    c1[OFF_MAGIC] = 7;
    const seg6 = segment(dir, 6, [c0, c1, batchAt(8, 1)]);
    // Segment 9: the active one — garbage here is recovery's business, not the scrub's.
    segment(dir, 9, [Buffer.alloc(100, 0xee)]);
    const before = fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('hex')]);

    const r = scrubPartitionDir(dir);
    assert.equal(r.segments, 2);
    assert.equal(r.damagedCount, 2);
    assert.deepEqual(
      r.damaged.map((d) => [d.file, d.position, d.baseOffset, d.lastOffset, d.restUnchecked]),
      [
        [seg0, b0.byteLength, 2, 3, false],
        [seg6, c0.byteLength, -1, -1, true],
      ],
    );
    assert.match(r.damaged[1]!.problem, /magic 7/);
    // Checked: b0, b1 (damaged), b2, c0.
    assert.equal(r.batches, 4);
    assert.deepEqual(fs.readdirSync(dir).map((n) => [n, fs.readFileSync(path.join(dir, n)).toString('hex')]), before, 'nothing written');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('scrub: a directory that is gone, or holds only the active segment, has nothing to check', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samsa-scrub-'));
  try {
    segment(dir, 0, [Buffer.alloc(10, 1)]);
    assert.deepEqual(scrubPartitionDir(dir), { segments: 0, batches: 0, bytes: 0, damagedCount: 0, damaged: [] });
    assert.equal(scrubPartitionDir(path.join(dir, 'nope')).segments, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
