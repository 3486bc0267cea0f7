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

test('rewriteOver leaves a file as a full rewrite would, writing only when it must (fast-check)', () => {
  const dir = makeTmpDir();
  try {
    const file = path.join(dir, 'x.index');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 }),
        fc.constantFrom('missing', 'same', 'prefix', 'longer', 'different', 'torn'),
        (n, onDiskKind) => {
          const ix = new OffsetIndex(1);
          for (let i = 0; i < n; i++) ix.append(i * 3 + 1, (i + 1) * 100);
          const full = Buffer.alloc(n * 8);
          for (let i = 0; i < n; i++) {
            full.writeUInt32BE(i * 3 + 1, i * 8);
            full.writeUInt32BE((i + 1) * 100, i * 8 + 4);
          }
          let onDisk: Buffer | null;
          if (onDiskKind === 'missing') onDisk = null;
          else if (onDiskKind === 'same') onDisk = full;
          else if (onDiskKind === 'prefix') onDisk = full.subarray(0, Math.floor(n / 2) * 8);
          else if (onDiskKind === 'longer') onDisk = Buffer.concat([full, Buffer.alloc(8, 9)]);
          else if (onDiskKind === 'different') onDisk = Buffer.concat([Buffer.alloc(8, 7), full.subarray(8)]);
          else onDisk = Buffer.concat([full, Buffer.alloc(3, 1)]);
          fs.writeFileSync(file, onDisk ?? Buffer.alloc(0));
          const before = fs.statSync(file, { bigint: true }).mtimeNs;
          const fd = fs.openSync(file, 'r+');
          try {
            ix.rewriteOver(fd, onDisk);
          } finally {
            fs.closeSync(fd);
          }
          assert.ok(fs.readFileSync(file).equals(full), `${onDiskKind}: the file holds exactly the entries`);
          if (onDiskKind === 'same') assert.equal(fs.statSync(file, { bigint: true }).mtimeNs, before, 'nothing written when it matched');
          // Later appends go after what is there.
          ix.append(n * 3 + 1, (n + 1) * 100);
          const fd2 = fs.openSync(file, 'r+');
          try {
            ix.flushTo(fd2);
          } finally {
            fs.closeSync(fd2);
          }
          assert.equal(fs.statSync(file).size, (n + 1) * 8);
        },
      ),
      { numRuns: 120 },
    );
  } finally {
    rmTmp(dir);
  }
});
