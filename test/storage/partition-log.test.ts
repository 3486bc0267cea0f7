import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PartitionLog, SEALED_SEGMENTS_OPEN_MAX } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import { getBaseOffset } from '../../src/wire/batch-layout.js';
import { frames, makeBatch, makeTmpDir, rmTmp } from './make-batch.js';

const BIG = Number.MAX_SAFE_INTEGER;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { segmentBytes: 1 << 20, segmentMs: BIG, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 4096, maxMessageBytes: 1 << 20, ...over };
}

interface Stored {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/** Appends `batches` one call each, recording the model. */
function appendAll(log: PartitionLog, batches: Uint8Array[], model: Stored[], nowMs = 0): void {
  for (const b of batches) {
    const base = log.append([b], nowMs);
    const f = frames(b)[0]!;
    model.push({ baseOffset: base, lastOffset: f.lastOffset, size: b.byteLength, maxTimestamp: f.maxTimestamp });
  }
}

function expectRangeError(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
}

/** Every offset of the model is found: the first frame read holds it. */
function checkEveryOffset(log: PartitionLog, model: Stored[]): void {
  for (const s of model) {
    for (let o = s.baseOffset; o <= s.lastOffset; o++) {
      const got = frames(log.read(o, 1));
      assert.equal(got.length, 1, `offset ${o}`);
      assert.equal(got[0]!.baseOffset, s.baseOffset, `offset ${o}`);
      assert.equal(got[0]!.size, s.size);
    }
  }
}

function withDir(fn: (dir: string) => void): void {
  const root = makeTmpDir();
  try {
    fn(path.join(root, 'topic-0'));
  } finally {
    rmTmp(root);
  }
}

test('append assigns offsets by patching baseOffset in place and returns the first', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    try {
      assert.equal(log.nextOffset, 0);
      const a = makeBatch({ records: 3, baseOffset: 999 });
      const b = makeBatch({ records: 2 });
      assert.equal(log.append([a, b], 0), 0);
      assert.equal(getBaseOffset(a), 0);
      assert.equal(getBaseOffset(b), 3);
      assert.equal(log.nextOffset, 5);
      assert.equal(log.append([makeBatch()], 0), 5);
      assert.equal(log.nextOffset, 6);
      assert.equal(log.unsyncedBytes, a.byteLength + b.byteLength + 77);
      log.sync();
      assert.equal(log.unsyncedBytes, 0);
      const got = frames(log.read(0, 1 << 20));
      assert.deepEqual(got.map((f) => [f.baseOffset, f.lastOffset]), [[0, 2], [3, 4], [5, 5]]);
    } finally {
      log.close();
    }
  });
});

test('a malformed frame is rejected before anything is written', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    try {
      const good = makeBatch();
      const bad = makeBatch().subarray(0, 70);
      assert.throws(() => log.append([good, bad], 0), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
      assert.equal(log.nextOffset, 0);
      assert.equal(log.sizeBytes(), 0);
      assert.throws(() => log.append([], 0), KafkaError);
    } finally {
      log.close();
    }
  });
});

test('batches that are views on a SharedArrayBuffer are written and patched', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    try {
      const sab = new SharedArrayBuffer(4096);
      const a = makeBatch({ records: 4, recordBytes: 100, into: { buffer: sab, byteOffset: 8 } });
      const b = makeBatch({ records: 1, recordBytes: 50, into: { buffer: sab, byteOffset: 1024 } });
      log.append([makeBatch({ records: 7 })], 0);
      assert.equal(log.append([a, b], 0), 7);
      assert.equal(getBaseOffset(new Uint8Array(sab, 8, 61)), 7);
      const got = frames(log.read(7, 1 << 20));
      assert.deepEqual(got.map((f) => [f.baseOffset, f.size]), [[7, 161], [11, 111]]);
      assert.deepEqual(new Uint8Array(log.read(7, 1 << 20).subarray(0, 161)), new Uint8Array(a));
    } finally {
      log.close();
    }
  });
});

test('rolls by segment.bytes: a batch never spans segments; one writev per segment touched', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 1000 }), { cleanShutdown: false });
    const original = fs.writevSync;
    let writevs = 0;
    (fs as { writevSync: typeof fs.writevSync }).writevSync = ((...args: Parameters<typeof fs.writevSync>) => {
      writevs++;
      return original(...args);
    }) as typeof fs.writevSync;
    try {
      // 161-byte batches: 6 fit in 1000 bytes, the 7th rolls.
      const batches = Array.from({ length: 10 }, () => makeBatch({ recordBytes: 100 }));
      log.append(batches, 0);
      assert.equal(writevs, 2);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 6]);
      writevs = 0;
      log.append(Array.from({ length: 9 }, () => makeBatch({ recordBytes: 100 })), 0);
      assert.equal(writevs, 3); // finishes segment 6, fills segment 12, starts segment 18
      assert.deepEqual(log.segmentBaseOffsets(), [0, 6, 12, 18]);
      for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.log'))) {
        const size = fs.statSync(path.join(dir, name)).size;
        assert.ok(size <= 1000 && size % 161 === 0, `${name}: ${size}`);
      }
    } finally {
      (fs as { writevSync: typeof fs.writevSync }).writevSync = original;
      log.close();
    }
  });
});

test('a batch larger than segment.bytes goes alone into a fresh segment', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 500 }), { cleanShutdown: false });
    try {
      log.append([makeBatch({ recordBytes: 10 })], 0);
      log.append([makeBatch({ records: 2, recordBytes: 2000 }), makeBatch({ recordBytes: 10 })], 0);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 1, 3]);
      const got = frames(log.read(1, 10));
      assert.deepEqual(got.map((f) => [f.baseOffset, f.size]), [[1, 2061]]);
    } finally {
      log.close();
    }
  });
});

test('rolls by segment.ms counted from the first batch of the segment (injected clock)', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentMs: 1000 }), { cleanShutdown: false, nowMs: () => 0 });
    try {
      log.append([makeBatch()], 5000); // first batch at t=5000: the segment's clock starts here
      log.append([makeBatch()], 5900);
      log.append([makeBatch()], 6000);
      assert.equal(log.segmentCount(), 1);
      log.append([makeBatch()], 6001);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 3]);
      log.append([makeBatch()], 7001);
      assert.equal(log.segmentCount(), 2);
      log.append([makeBatch(), makeBatch()], 7002);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 3, 5]);
      log.setConfig(cfg({ segmentMs: 1 }));
      log.append([makeBatch()], 7003);
      assert.equal(log.segmentCount(), 3); // 7003 - 7002 is not > 1
    } finally {
      log.close();
    }
  });
});

test('every offset is found through the sparse index (fast-check batch sizes), also after reopen and index loss', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ records: fc.integer({ min: 1, max: 5 }), recordBytes: fc.integer({ min: 0, max: 1500 }) }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 1500, max: 12_000 }),
      (specs, indexIntervalBytes, segmentBytes) => {
        withDir((dir) => {
          const config = cfg({ indexIntervalBytes, segmentBytes });
          let log = PartitionLog.open(dir, config, { cleanShutdown: false });
          const model: Stored[] = [];
          appendAll(log, specs.map((s) => makeBatch(s)), model);
          checkEveryOffset(log, model);
          assert.equal(log.nextOffset, model[model.length - 1]!.lastOffset + 1);
          log.close();
          log = PartitionLog.open(dir, config, { cleanShutdown: true });
          checkEveryOffset(log, model);
          log.close();
          for (const n of fs.readdirSync(dir)) if (n.endsWith('.index')) fs.unlinkSync(path.join(dir, n));
          log = PartitionLog.open(dir, config, { cleanShutdown: false });
          checkEveryOffset(log, model);
          log.close();
        });
      },
    ),
    { numRuns: 25 },
  );
});

test('read: whole batches up to maxBytes, the first whole even if bigger, one segment at a time', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 100 }), { cleanShutdown: false });
    try {
      const model: Stored[] = [];
      // Sizes 161, 261, 361, ... : segments roll at 2000 bytes.
      appendAll(log, Array.from({ length: 12 }, (_, i) => makeBatch({ records: 2, recordBytes: 100 * (i + 1) })), model);
      const sizes = model.map((m) => m.size);
      assert.deepEqual(frames(log.read(0, 0)).map((f) => f.size), [161]);
      assert.deepEqual(frames(log.read(0, 160)).map((f) => f.size), [161]);
      assert.deepEqual(frames(log.read(0, 161 + 261)).map((f) => f.size), [161, 261]);
      assert.deepEqual(frames(log.read(1, 161 + 261 + 360)).map((f) => f.size), [161, 261]);
      assert.deepEqual(frames(log.read(3, 10_000)).map((f) => f.size), sizes.slice(1, 5)); // segment 0 ends after 5 batches
      assert.equal(log.read(3, 10_000).byteLength, 261 + 361 + 461 + 561);
      // sizeOfReadAt agrees with read for every offset and several budgets.
      for (let o = 0; o < log.nextOffset; o++) {
        for (const max of [0, 1, 200, 500, 900, 1500, 5000]) {
          assert.equal(log.sizeOfReadAt(o, max), log.read(o, max).byteLength, `offset ${o} max ${max}`);
        }
      }
      assert.equal(log.read(log.nextOffset, 100).byteLength, 0);
      assert.equal(log.sizeOfReadAt(log.nextOffset, 100), 0);
    } finally {
      log.close();
    }
  });
});

test('readInto writes into a SharedArrayBuffer view, reports a too-small target as -(first batch size)', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 50 }), { cleanShutdown: false });
    try {
      const model: Stored[] = [];
      appendAll(log, Array.from({ length: 20 }, (_, i) => makeBatch({ records: 3, recordBytes: 10 * i })), model);
      const ring = new Uint8Array(new SharedArrayBuffer(8192));
      for (const o of [0, 4, 17, 40, 59]) {
        for (const max of [0, 100, 700, 100_000]) {
          const expected = log.read(o, max);
          const n = log.readInto(o, max, ring, 100);
          assert.equal(n, expected.byteLength);
          assert.equal(n, log.sizeOfReadAt(o, max));
          assert.deepEqual(ring.subarray(100, 100 + n), new Uint8Array(expected));
        }
      }
      const first = model[19]!.size;
      assert.equal(log.readInto(57, 10_000, ring, ring.byteLength - first + 1), -first);
      assert.equal(log.readInto(57, 10_000, ring, ring.byteLength - first), first);
      // Limited by the room left: whole batches that fit.
      const n = log.readInto(0, 100_000, ring, ring.byteLength - 300);
      assert.ok(n > 0 && n <= 300);
      assert.equal(frames(ring.subarray(ring.byteLength - 300, ring.byteLength - 300 + n)).length > 0, true);
      assert.equal(log.readInto(log.nextOffset, 100, ring, 0), 0);
      assert.throws(() => log.readInto(0, 100, ring, ring.byteLength + 1), RangeError);
    } finally {
      log.close();
    }
  });
});

test('planRead locates once: its size, file position and readPlanned agree with read, across segments', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 2000, indexIntervalBytes: 100 }), { cleanShutdown: false });
    try {
      appendAll(log, Array.from({ length: 12 }, (_, i) => makeBatch({ records: 2, recordBytes: 100 * (i + 1) })), []);
      const target = new Uint8Array(new SharedArrayBuffer(16_384));
      for (let o = 0; o < log.nextOffset; o++) {
        for (const max of [0, 1, 200, 900, 5000]) {
          const expected = log.read(o, max);
          const size = log.planRead(o, max);
          assert.equal(size, expected.byteLength, `offset ${o} max ${max}`);
          // The descriptor and position name the same bytes (what sendfile would send).
          const viaFd = Buffer.alloc(size);
          assert.equal(fs.readSync(log.plannedFd(), viaFd, 0, size, log.plannedPosition()), size);
          assert.deepEqual(new Uint8Array(viaFd), new Uint8Array(expected));
          log.readPlanned(target, 10);
          assert.deepEqual(target.subarray(10, 10 + size), new Uint8Array(expected));
          const fr = frames(expected);
          const spanned = fr.length === 0 ? 0 : fr.at(-1)!.lastOffset + 1 - fr[0]!.baseOffset;
          assert.equal(log.plannedOffsetsSpanned(), spanned, `offsets spanned at ${o} max ${max}`);
        }
      }
      assert.equal(log.planRead(log.nextOffset, 100), 0);
      assert.throws(() => log.plannedFd());
      log.planRead(0, 5000);
      assert.throws(() => log.readPlanned(target, target.byteLength - 10), RangeError);
    } finally {
      log.close();
    }
  });
});

test('OFFSET_OUT_OF_RANGE below the log start and past the log end', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 300, retentionBytes: 0 }), { cleanShutdown: false });
    try {
      expectRangeError(() => log.read(1, 100));
      expectRangeError(() => log.read(-1, 100));
      expectRangeError(() => log.read(Number.NaN, 100));
      assert.equal(log.read(0, 100).byteLength, 0);
      for (let i = 0; i < 10; i++) log.append([makeBatch({ recordBytes: 100 })], 0);
      expectRangeError(() => log.read(11, 100));
      expectRangeError(() => log.sizeOfReadAt(11, 100));
      expectRangeError(() => log.readInto(11, 100, new Uint8Array(10), 0));
      const r = log.applyRetention(0);
      assert.ok(r.segmentsDeleted > 0);
      assert.ok(log.logStartOffset > 0);
      expectRangeError(() => log.read(log.logStartOffset - 1, 100));
      assert.equal(frames(log.read(log.logStartOffset, 1))[0]!.baseOffset, log.logStartOffset);
    } finally {
      log.close();
    }
  });
});

test('offsetForTimestamp: first batch with maxTimestamp ≥ t (fast-check timestamps, reopen clean and unclean)', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ ts: fc.integer({ min: 0, max: 10_000 }), spread: fc.integer({ min: 0, max: 50 }), recordBytes: fc.integer({ min: 0, max: 400 }) }), { minLength: 1, maxLength: 50 }),
      fc.array(fc.integer({ min: -10, max: 10_100 }), { minLength: 1, maxLength: 20 }),
      (specs, queries) => {
        withDir((dir) => {
          const config = cfg({ indexIntervalBytes: 200, segmentBytes: 2500 });
          let log = PartitionLog.open(dir, config, { cleanShutdown: false });
          const model: Stored[] = [];
          appendAll(log, specs.map((s) => makeBatch({ records: 2, recordBytes: s.recordBytes, baseTimestamp: s.ts, maxTimestamp: s.ts + s.spread })), model);
          const check = (): void => {
            for (const t of queries) {
              const hit = model.find((m) => m.maxTimestamp >= t);
              const got = log.offsetForTimestamp(t);
              assert.deepEqual(got, hit === undefined ? null : { offset: hit.baseOffset, timestamp: hit.maxTimestamp }, `t=${t}`);
            }
            let best: Stored | undefined;
            for (const m of model) if (best === undefined || m.maxTimestamp > best.maxTimestamp) best = m;
            assert.deepEqual(log.maxTimestamp(), { offset: best!.baseOffset, timestamp: best!.maxTimestamp });
          };
          check();
          log.close();
          log = PartitionLog.open(dir, config, { cleanShutdown: true });
          check();
          log.close();
          log = PartitionLog.open(dir, config, { cleanShutdown: false });
          check();
          log.close();
        });
      },
    ),
    { numRuns: 30 },
  );
});

test('an empty log has no timestamps', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    try {
      assert.equal(log.maxTimestamp(), null);
      assert.equal(log.offsetForTimestamp(0), null);
    } finally {
      log.close();
    }
  });
});

test('retention.ms deletes sealed segments older than the limit, never the active one', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 400, retentionMs: 1000 }), { cleanShutdown: false });
    try {
      // 161-byte batches, 2 per segment; timestamps 0,100,...,900.
      for (let i = 0; i < 10; i++) log.append([makeBatch({ recordBytes: 100, baseTimestamp: i * 100 })], 0);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 2, 4, 6, 8]);
      assert.deepEqual(log.applyRetention(1000), { segmentsDeleted: 0, bytesDeleted: 0, deletedFiles: [] });
      // now 1450: cutoff 450; segments' max timestamps are 100, 300, 500, 700, 900.
      const r = log.applyRetention(1450);
      assert.deepEqual([r.segmentsDeleted, r.bytesDeleted], [2, 4 * 161]);
      // The files are renamed to *.deleted for an off-thread unlink.
      assert.deepEqual(r.deletedFiles.map((f) => path.basename(f)).sort(), [
        '00000000000000000000.index.deleted', '00000000000000000000.log.deleted', '00000000000000000000.timeindex.deleted',
        '00000000000000000002.index.deleted', '00000000000000000002.log.deleted', '00000000000000000002.timeindex.deleted',
      ]);
      for (const f of r.deletedFiles) fs.unlinkSync(f);
      assert.equal(log.logStartOffset, 4);
      assert.deepEqual(log.segmentBaseOffsets(), [4, 6, 8]);
      assert.equal(fs.existsSync(path.join(dir, '00000000000000000000.log')), false);
      assert.equal(fs.existsSync(path.join(dir, '00000000000000000000.index')), false);
      const r2 = log.applyRetention(1e9);
      assert.deepEqual([r2.segmentsDeleted, r2.bytesDeleted], [2, 4 * 161]);
      assert.deepEqual(log.segmentBaseOffsets(), [8]);
      assert.equal(log.logStartOffset, 8);
      assert.equal(log.nextOffset, 10);
      assert.equal(frames(log.read(8, 1000)).length, 2);
    } finally {
      log.close();
    }
  });
});

test('retention.bytes deletes the oldest sealed segments; logStartOffset persists across reopen', () => {
  withDir((dir) => {
    const config = cfg({ segmentBytes: 400, retentionBytes: 700 });
    let log = PartitionLog.open(dir, config, { cleanShutdown: false });
    for (let i = 0; i < 9; i++) log.append([makeBatch({ recordBytes: 100 })], 0);
    assert.equal(log.sizeBytes(), 9 * 161);
    const r = log.applyRetention(0);
    // 1449 bytes; remove 322 at a time while ≥ 700 remains: 1449 → 1127 → 805 → (483 < 700 stop).
    assert.deepEqual([r.segmentsDeleted, r.bytesDeleted], [2, 644]);
    assert.equal(log.logStartOffset, 4);
    log.close();
    // *.deleted leftovers (an unlink that never ran) are removed at open.
    assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.deleted')).length, 6);
    log = PartitionLog.open(dir, config, { cleanShutdown: true });
    assert.equal(log.logStartOffset, 4);
    assert.equal(log.nextOffset, 9);
    assert.equal(log.recovery.removedFiles.length, 6);
    assert.equal(fs.readdirSync(dir).filter((n) => n.endsWith('.deleted')).length, 0);
    log.close();
  });
});

test('sealed segments are opened lazily and at most SEALED_SEGMENTS_OPEN_MAX stay open', () => {
  withDir((dir) => {
    const config = cfg({ segmentBytes: 200 });
    let log = PartitionLog.open(dir, config, { cleanShutdown: false });
    const model: Stored[] = [];
    appendAll(log, Array.from({ length: 40 }, () => makeBatch({ recordBytes: 100 })), model);
    assert.equal(log.segmentCount(), 40);
    log.close();
    log = PartitionLog.open(dir, config, { cleanShutdown: true });
    try {
      assert.equal(log.stats.logFdOpens, 1); // the active segment only
      assert.equal(log.stats.indexLoads, 0);
      assert.equal(log.openSealedCount(), 0);
      assert.equal(log.nextOffset, 40);
      frames(log.read(5, 1));
      assert.equal(log.openSealedCount(), 1);
      assert.equal(log.stats.logFdOpens, 2);
      checkEveryOffset(log, model);
      assert.equal(log.openSealedCount(), SEALED_SEGMENTS_OPEN_MAX);
      assert.equal(log.sizeBytes(), 40 * 161);
    } finally {
      log.close();
    }
  });
});

test('truncateTo cuts at the batch holding the offset and appends continue', () => {
  withDir((dir) => {
    const config = cfg({ segmentBytes: 500, indexIntervalBytes: 0 });
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    try {
      const model: Stored[] = [];
      appendAll(log, Array.from({ length: 10 }, (_, i) => makeBatch({ records: 3, recordBytes: 100, baseTimestamp: 100 * i })), model);
      assert.equal(log.nextOffset, 30);
      log.truncateTo(30);
      assert.equal(log.nextOffset, 30);
      log.truncateTo(13); // inside the batch 12..14
      assert.equal(log.nextOffset, 12);
      assert.deepEqual(log.segmentBaseOffsets(), [0, 9]);
      checkEveryOffset(log, model.slice(0, 4));
      assert.deepEqual(log.maxTimestamp(), { offset: 9, timestamp: 302 });
      assert.equal(log.append([makeBatch({ records: 2 })], 0), 12);
      log.truncateTo(3); // into a sealed segment
      assert.deepEqual(log.segmentBaseOffsets(), [0]);
      assert.equal(log.nextOffset, 3);
      assert.equal(log.append([makeBatch()], 0), 3);
      expectRangeError(() => log.truncateTo(-1));
    } finally {
      log.close();
    }
    const again = PartitionLog.open(dir, config, { cleanShutdown: true });
    assert.equal(again.nextOffset, 4);
    again.close();
  });
});

test('close is idempotent; a closed log refuses work; delete removes the directory', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    log.append([makeBatch()], 0);
    log.close();
    log.close();
    assert.throws(() => log.append([makeBatch()], 0), KafkaError);
    assert.throws(() => log.read(0, 10), KafkaError);
    const again = PartitionLog.open(dir, cfg(), { cleanShutdown: true });
    again.delete();
    assert.equal(fs.existsSync(dir), false);
    assert.equal(fs.existsSync(`${dir}.deleting`), false);
  });
});

test('bad LogConfig is rejected with INVALID_CONFIG', () => {
  withDir((dir) => {
    assert.throws(() => PartitionLog.open(dir, cfg({ segmentBytes: 0 }), { cleanShutdown: false }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_CONFIG);
    assert.throws(() => PartitionLog.open(dir, cfg({ indexIntervalBytes: 1.5 }), { cleanShutdown: false }), KafkaError);
  });
});

test('more batches than IOV_MAX in one append are all written', () => {
  withDir((dir) => {
    const log = PartitionLog.open(dir, cfg({ indexIntervalBytes: 1000 }), { cleanShutdown: false });
    try {
      const batches = Array.from({ length: 2500 }, (_, i) => makeBatch({ recordBytes: i % 13, baseTimestamp: i }));
      assert.equal(log.append(batches, 0), 0);
      assert.equal(log.nextOffset, 2500);
      const got = frames(log.read(0, 1 << 30));
      assert.equal(got.length, 2500);
      assert.deepEqual(got.map((f) => f.baseOffset), Array.from({ length: 2500 }, (_, i) => i));
    } finally {
      log.close();
    }
  });
});

test('a failed write is undone: offsets, size and indexes are as before, and the log keeps working', () => {
  withDir((dir) => {
    const config = cfg({ indexIntervalBytes: 0 });
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    const original = fs.writevSync;
    try {
      const model: Stored[] = [];
      appendAll(log, Array.from({ length: 5 }, () => makeBatch({ recordBytes: 30 })), model);
      const size = log.sizeBytes();
      (fs as { writevSync: typeof fs.writevSync }).writevSync = (() => {
        throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
      }) as typeof fs.writevSync;
      assert.throws(() => log.append([makeBatch(), makeBatch()], 0), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.KAFKA_STORAGE_ERROR && /ENOSPC/.test(e.message));
      (fs as { writevSync: typeof fs.writevSync }).writevSync = original;
      assert.equal(log.nextOffset, 5);
      assert.equal(log.sizeBytes(), size);
      appendAll(log, [makeBatch({ records: 3 })], model);
      assert.equal(model[5]!.baseOffset, 5);
      checkEveryOffset(log, model);
      log.close();
      const again = PartitionLog.open(dir, config, { cleanShutdown: false });
      checkEveryOffset(again, model);
      assert.equal(again.recovery.truncatedAtPosition, -1);
      again.close();
    } finally {
      (fs as { writevSync: typeof fs.writevSync }).writevSync = original;
      log.close();
    }
  });
});
