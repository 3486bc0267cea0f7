import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TimeIndex } from '../../src/storage/time-index.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

test('maybeAppend keeps entries strictly increasing; lastBefore is a strict lower bound', () => {
  const ti = new TimeIndex(1);
  assert.equal(ti.maybeAppend(100, 0), true);
  assert.equal(ti.maybeAppend(100, 5), false);
  assert.equal(ti.maybeAppend(90, 6), false);
  assert.equal(ti.maybeAppend(200, 0), false);
  assert.equal(ti.maybeAppend(-1, 9), false);
  assert.equal(ti.maybeAppend(200, 10), true);
  assert.equal(ti.maybeAppend(1_700_000_000_000, 20), true);
  assert.equal(ti.lastBefore(100), -1);
  assert.equal(ti.lastBefore(101), 0);
  assert.equal(ti.lastBefore(200), 0);
  assert.equal(ti.lastBefore(201), 1);
  assert.equal(ti.lastBefore(Number.MAX_SAFE_INTEGER), 2);
  ti.truncateAtRel(10);
  assert.equal(ti.count, 1);
});

test('file round trip with large timestamps; damage reported', () => {
  const dir = makeTmpDir();
  try {
    const file = path.join(dir, 'x.timeindex');
    const ti = new TimeIndex();
    const t0 = 2 ** 45 + 12345;
    for (let i = 0; i < 50; i++) ti.maybeAppend(t0 + i * 1000, i * 7);
    const fd = fs.openSync(file, 'w+');
    ti.flushTo(fd);
    fs.closeSync(fd);
    const bytes = fs.readFileSync(file);
    const back = TimeIndex.decode(bytes, -1);
    assert.ok(back instanceof TimeIndex);
    assert.equal(back.count, 50);
    assert.equal(back.timestampAt(49), t0 + 49_000);
    assert.equal(back.relAt(49), 343);
    assert.deepEqual(TimeIndex.decodeLast(bytes.subarray(bytes.byteLength - 12)), { timestamp: t0 + 49_000, relOffset: 343 });
    assert.match(TimeIndex.decode(bytes.subarray(1), -1) as string, /multiple of 12/);
    assert.match(TimeIndex.decode(bytes, 300) as string, /past the segment end/);
    assert.match(TimeIndex.decode(Buffer.alloc(24), -1) as string, /does not increase/);
  } finally {
    rmTmp(dir);
  }
});
