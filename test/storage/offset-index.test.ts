import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { OffsetIndex } from '../../src/storage/offset-index.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

test('lookup finds the last entry at or before an offset (fast-check vs linear scan)', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 100_000 }), { maxLength: 200 }), fc.integer({ min: -5, max: 100_005 }), (rels, target) => {
      rels.sort((a, b) => a - b);
      const ix = new OffsetIndex(1);
      rels.forEach((r, i) => ix.append(r, (i + 1) * 10));
      let expect = -1;
      for (let i = 0; i < rels.length; i++) if (rels[i]! <= target) expect = i;
      assert.equal(ix.lookup(target), expect);
    }),
    { numRuns: 200 },
  );
});

test('entries must increase', () => {
  const ix = new OffsetIndex();
  ix.append(5, 100);
  assert.throws(() => ix.append(5, 200));
  assert.throws(() => ix.append(6, 100));
});

test('file round trip; damaged files are reported', () => {
  const dir = makeTmpDir();
  try {
    const file = path.join(dir, 'x.index');
    const ix = new OffsetIndex();
    for (let i = 1; i <= 100; i++) ix.append(i * 3, i * 4096);
    const fd = fs.openSync(file, 'w+');
    ix.flushTo(fd);
    ix.append(400, 500_000);
    ix.flushTo(fd); // appends only the pending entry
    fs.closeSync(fd);
    const bytes = fs.readFileSync(file);
    assert.equal(bytes.byteLength, 101 * 8);
    const back = OffsetIndex.decode(bytes, 1_000_000);
    assert.ok(back instanceof OffsetIndex);
    assert.equal(back.count, 101);
    assert.equal(back.positionAt(back.lookup(301)), 100 * 4096);
    assert.match(OffsetIndex.decode(bytes.subarray(0, 13), 1_000_000) as string, /multiple of 8/);
    assert.match(OffsetIndex.decode(bytes, 400_000) as string, /past the log end/);
    const swapped = Buffer.from(bytes);
    swapped.copy(swapped, 8, 16, 24);
    assert.match(OffsetIndex.decode(swapped, 1_000_000) as string, /does not increase/);
  } finally {
    rmTmp(dir);
  }
});
