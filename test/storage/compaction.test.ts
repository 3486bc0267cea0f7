import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PartitionLog } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { buildOffsetMap, cleanSegment, CLEANED_SUFFIX } from '../../src/storage/compaction.js';
import { segmentFileName } from '../../src/storage/segment.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { CompressionType, DecodedBatch, RecordInput } from '../../src/protocol/record-batch.js';
import { compact } from '../../src/storage/maintenance-tasks.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

const BIG = Number.MAX_SAFE_INTEGER;
const T0 = 1_700_000_000_000;
const DAY_MS = 86_400_000;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { segmentBytes: 1 << 20, segmentMs: BIG, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 256, maxMessageBytes: 1 << 20, ...over };
}

function open(dir: string, over: Partial<LogConfig> = {}): PartitionLog {
  return PartitionLog.open(dir, cfg(over), { cleanShutdown: true });
}

function append(log: PartitionLog, records: RecordInput[], compression: CompressionType = 'none', timestamp = T0): number {
  return log.append([encodeRecordBatch(records, { compression, timestamp })], 0);
}

/** Every batch of the log, read through PartitionLog from the log start. */
function readAll(log: PartitionLog): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  let offset = log.logStartOffset;
  for (let i = 0; i < 100_000 && offset < log.nextOffset; i++) {
    const bytes = log.read(offset, 1 << 20);
    if (bytes.byteLength === 0) break;
    const batches = decodeRecordBatches(bytes);
    out.push(...batches);
    const last = batches[batches.length - 1]!;
    offset = Number(last.header.baseOffset) + last.header.lastOffsetDelta + 1;
  }
  return out;
}

function text(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b).toString();
}

function records(batches: DecodedBatch[]): Array<{ offset: number; key: string | null; value: string | null }> {
  return batches.flatMap((b) => b.records.map((r) => ({ offset: r.offset, key: text(r.key), value: text(r.value) })));
}

function sealedPaths(log: PartitionLog): string[] {
  return log.sealedSegments().map((s) => path.join(log.dir, segmentFileName(s.baseOffset, '.log')));
}

/** The maintenance task plus the shard's swap, as the engine runs them. */
function compactLog(log: PartitionLog, nowMs = T0, deleteRetentionMs = DAY_MS): { swapped: number; bytesBefore: number; bytesAfter: number } {
  const r = compact({ dir: log.dir, segments: log.sealedSegments(), deleteRetentionMs, nowMs });
  return log.swapCleaned(r.cleaned);
}

test('the latest record per key survives; older ones go, null keys stay, partly kept batches keep their offsets', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir);
    append(log, [{ key: 'a', value: 'a1' }, { key: 'b', value: 'b1' }, { key: null, value: 'n1' }]); // 0..2
    append(log, [{ key: 'a', value: 'a2' }, { key: 'c', value: 'c1' }, { key: 'b', value: 'b2' }]); // 3..5
    append(log, [{ key: 'c', value: 'c2' }]); // 6
    log.rollNow();
    append(log, [{ key: 'a', value: 'a3-active' }]); // 7, in the active segment: never cleaned
    const hw = log.nextOffset;
    const r = compactLog(log);
    assert.equal(r.swapped, 1);
    assert.ok(r.bytesAfter < r.bytesBefore);
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.nextOffset, hw);
    const batches = readAll(log);
    assert.deepEqual(records(batches), [
      { offset: 2, key: null, value: 'n1' },
      { offset: 3, key: 'a', value: 'a2' },
      { offset: 5, key: 'b', value: 'b2' },
      { offset: 6, key: 'c', value: 'c2' },
      { offset: 7, key: 'a', value: 'a3-active' },
    ]);
    // The first batch lost records 0 and 1 but still spans 0..2; the second keeps 3..5.
    assert.equal(batches[0]!.header.baseOffset, 0n);
    assert.equal(batches[0]!.header.lastOffsetDelta, 2);
    assert.equal(batches[0]!.header.recordsCount, 1);
    assert.equal(batches[1]!.header.baseOffset, 3n);
    assert.equal(batches[1]!.header.lastOffsetDelta, 2);
    assert.equal(batches[1]!.header.maxTimestamp, BigInt(T0));
    // A fetch at a removed offset gets the next batch holding a later one.
    const at1 = decodeRecordBatches(log.read(1, 100));
    assert.equal(at1[0]!.header.baseOffset, 0n);
    const at4 = decodeRecordBatches(log.read(4, 100));
    assert.equal(at4[0]!.records[0]!.offset, 3);
    // Reopened (indexes rebuilt by the swap), the log reads the same; cleaning again changes nothing.
    log.close();
    const again = open(dir);
    assert.deepEqual(records(readAll(again)), records(batches));
    assert.equal(compactLog(again).swapped, 0);
    again.close();
  } finally {
    rmTmp(dir);
  }
});

test('tombstones stay while young and go once delete.retention.ms has passed', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir);
    append(log, [{ key: 'k', value: 'v1' }, { key: 'x', value: 'x1' }]);
    append(log, [{ key: 'k', value: null }], 'none', T0 + 10);
    log.rollNow();
    append(log, [{ key: 'z', value: 'z' }]);
    compactLog(log, T0 + 1000, DAY_MS);
    assert.deepEqual(records(readAll(log)), [
      { offset: 1, key: 'x', value: 'x1' },
      { offset: 2, key: 'k', value: null },
      { offset: 3, key: 'z', value: 'z' },
    ]);
    compactLog(log, T0 + 10 + DAY_MS + 1, DAY_MS);
    assert.deepEqual(records(readAll(log)), [
      { offset: 1, key: 'x', value: 'x1' },
      { offset: 3, key: 'z', value: 'z' },
    ]);
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.nextOffset, 4);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('compressed batches (gzip, lz4) are cleaned, recompressed with their codec, and decode', () => {
  for (const codec of ['gzip', 'lz4'] as const) {
    const dir = makeTmpDir();
    try {
      const log = open(dir);
      const round = (n: number): RecordInput[] => Array.from({ length: 20 }, (_, i) => ({ key: `key-${i}`, value: `value-${i}-round-${n}`, headers: [{ key: 'h', value: `r${n}` }] }));
      append(log, round(1), codec);
      append(log, round(2).slice(0, 10).concat([{ key: null, value: 'nokey' }]), codec);
      log.rollNow();
      compactLog(log);
      const batches = readAll(log);
      assert.equal(batches.length, 2);
      for (const b of batches) assert.equal(b.header.attributes & 7, codec === 'gzip' ? 1 : 3);
      const got = records(batches);
      assert.equal(got.length, 21);
      const byKey = new Map(got.filter((r) => r.key !== null).map((r) => [r.key, r.value]));
      for (let i = 0; i < 20; i++) assert.equal(byKey.get(`key-${i}`), `value-${i}-round-${i < 10 ? 2 : 1}`);
      assert.equal(batches[0]!.header.lastOffsetDelta, 19);
      assert.equal(batches[0]!.records[0]!.offset, 10);
      assert.equal(text(batches[0]!.records[0]!.headers[0]!.value), 'r1');
      log.close();
    } finally {
      rmTmp(dir);
    }
  }
});

test('cleanSegment drops batches with nothing left and reports what it did', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir);
    append(log, [{ key: 'a', value: '1' }, { key: 'b', value: '1' }]);
    append(log, [{ key: 'a', value: '2' }, { key: 'b', value: '2' }]);
    append(log, [{ key: 'a', value: '3' }]);
    log.rollNow();
    const [src] = sealedPaths(log);
    const map = buildOffsetMap([src!]);
    assert.equal(map.segmentsMapped, 1);
    assert.deepEqual([...map.keys.entries()].sort(), [['a', 4], ['b', 3]]);
    const dest = src! + CLEANED_SUFFIX;
    const st = cleanSegment(src!, dest, map, T0, DAY_MS);
    assert.deepEqual({ ...st, bytesIn: 0, bytesOut: 0 }, { batchesIn: 3, batchesOut: 2, recordsIn: 5, recordsOut: 2, bytesIn: 0, bytesOut: 0 });
    assert.equal(fs.statSync(dest).size, st.bytesOut);
    assert.equal(fs.statSync(src!).size, st.bytesIn); // the source is untouched
    const out = decodeRecordBatches(fs.readFileSync(dest));
    assert.deepEqual(out.map((b) => Number(b.header.baseOffset)), [2, 4]);
    // A bound on the map: nothing mapped whole, nothing may be cleaned.
    const tiny = buildOffsetMap([src!], { keysMax: 1, keyBytesMax: 1 << 20 });
    assert.equal(tiny.full, true);
    assert.equal(tiny.segmentsMapped, 0);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('segments emptied by cleaning stay as 0-byte files; a leftover .cleaned file is removed at open', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir);
    append(log, [{ key: 'a', value: '1' }]);
    log.rollNow();
    append(log, [{ key: 'a', value: '2' }]);
    log.rollNow();
    append(log, [{ key: 'b', value: '1' }]);
    const before = log.segmentBaseOffsets();
    compactLog(log);
    assert.deepEqual(log.segmentBaseOffsets(), before);
    assert.equal(fs.statSync(path.join(dir, segmentFileName(0, '.log'))).size, 0);
    assert.equal(log.logStartOffset, 0);
    assert.deepEqual(records(readAll(log)).map((r) => r.offset), [1, 2]);
    assert.equal(decodeRecordBatches(log.read(0, 100))[0]!.header.baseOffset, 1n);
    log.close();

    // Crash between writing a cleaned copy and the swap: the copy is dropped, the original serves.
    const seg1 = path.join(dir, segmentFileName(1, '.log'));
    const original = fs.readFileSync(seg1);
    fs.writeFileSync(seg1 + CLEANED_SUFFIX, Buffer.from('half-written garbage'));
    const reopened = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    assert.ok(reopened.recovery.removedFiles.includes(seg1 + CLEANED_SUFFIX));
    assert.equal(fs.existsSync(seg1 + CLEANED_SUFFIX), false);
    assert.deepEqual(fs.readFileSync(seg1), original);
    assert.deepEqual(records(readAll(reopened)).map((r) => r.value), ['2', '1']);
    reopened.close();
  } finally {
    rmTmp(dir);
  }
});

test('a stale cleaned copy (segment changed or gone) is removed, not swapped', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir);
    append(log, [{ key: 'a', value: '1' }, { key: 'a', value: '2' }]);
    log.rollNow();
    append(log, [{ key: 'b', value: '1' }]);
    const r = compact({ dir, segments: log.sealedSegments(), deleteRetentionMs: DAY_MS, nowMs: T0 });
    assert.equal(r.cleaned.length, 1);
    const res = log.swapCleaned(r.cleaned.map((c) => ({ ...c, sizeBytes: c.sizeBytes + 1 })));
    assert.equal(res.swapped, 0);
    assert.equal(fs.existsSync(r.cleaned[0]!.path), false);
    assert.equal(records(readAll(log)).length, 3);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('property: the cleaned log holds exactly the last write per key, offsets increasing', () => {
  const keyArb = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { nil: null, freq: 8 });
  const valueArb = fc.option(fc.string({ maxLength: 12 }), { nil: null, freq: 6 });
  const batchArb = fc.record({
    records: fc.array(fc.record({ key: keyArb, value: valueArb }), { minLength: 1, maxLength: 5 }),
    codec: fc.constantFrom<CompressionType>('none', 'none', 'gzip', 'snappy'),
  });
  fc.assert(
    fc.property(fc.array(batchArb, { minLength: 1, maxLength: 40 }), fc.boolean(), (batches, expire) => {
      const dir = makeTmpDir();
      try {
        const log = open(dir, { segmentBytes: 400 });
        const written: Array<{ offset: number; key: string | null; value: string | null }> = [];
        for (const b of batches) {
          const base = append(log, b.records, b.codec);
          b.records.forEach((r, i) => written.push({ offset: base + i, key: r.key, value: r.value }));
        }
        const hw = log.nextOffset;
        const activeBase = log.activeBaseOffset();
        const nowMs = expire ? T0 + 2 * DAY_MS : T0;
        compactLog(log, nowMs, DAY_MS);
        assert.equal(log.nextOffset, hw);
        assert.equal(log.logStartOffset, 0);
        const got = records(readAll(log));
        for (let i = 1; i < got.length; i++) assert.ok(got[i]!.offset > got[i - 1]!.offset);
        // The model: in the sealed range keep null keys and the last write per key
        // (a tombstone only while young); the active segment is untouched.
        const lastOffset = new Map<string, number>();
        for (const w of written) if (w.key !== null && w.offset < activeBase) lastOffset.set(w.key, w.offset);
        const expected = written.filter((w) => {
          if (w.offset >= activeBase || w.key === null) return true;
          if (lastOffset.get(w.key) !== w.offset) return false;
          return !(w.value === null && expire);
        });
        assert.deepEqual(got, expected);
        log.close();
      } finally {
        rmTmp(dir);
      }
    }),
    { numRuns: 40 },
  );
});
