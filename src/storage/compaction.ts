// Log compaction (cleanup.policy=compact) as file functions, Kafka's LogCleaner simplified.
// Owns: reading sealed segments batch by batch, the key → latest-offset map, and
// writing a cleaned copy of a segment to `<base>.log.cleaned`. Must not rename,
// delete or otherwise change a segment file, nor know about shards: a piscina worker
// runs these (src/storage/maintenance-tasks.ts) while the owning shard keeps serving the
// originals, and only that shard swaps a cleaned file in (partition-log.ts).
//
// Rules (docs/storage.md, "Compaction"):
// - Only sealed segments are given here; they are immutable, so reading them from
//   another thread is safe. Each is rewritten 1:1 (no merging), so the segment chain,
//   the log start offset and the high watermark never change.
// - A record is kept iff its offset ≥ map[key]: the latest record per key survives.
// - A record with a null key is kept. Kafka rejects such records at produce time on
//   a compacted topic; Samsa accepts them, so cleaning keeps them and loses nothing.
// - A tombstone (null value) that is the latest for its key is kept until
//   delete.retention.ms has passed since its batch's max timestamp, then dropped.
// - Control batches (transaction markers) are copied as they are and never mapped:
//   their keys are marker types, not user keys.
// - Records of aborted transactions (Kafka's cleaner does the same) are never mapped
//   and are dropped: a read_committed reader never sees them, and an aborted record
//   must not make a committed one of its key look superseded. The shard cleans only
//   segments below the last stable offset, so every transaction in them has ended,
//   and it names the aborted ones (from the .txnindex files).
// - A batch whose records all stay is copied byte for byte; a batch that lost some
//   is rebuilt with the same header (rebuildRecordBatch: same baseOffset and
//   lastOffsetDelta, deltas of the kept records unchanged); an empty one is dropped.

import fs from 'node:fs';
import {
  ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, OFF_ATTRIBUTES, OFF_BATCH_LENGTH, OFF_MAX_TIMESTAMP, OFF_PRODUCER_ID, OFF_RECORDS_COUNT,
  getBaseOffset, getInt64AsNumber,
} from '../wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { decodeRawRecords, rebuildRecordBatch } from '../protocol/record-batch.js';
import type { RawRecord } from '../protocol/record-batch.js';
import { SEGMENT_BYTES_LIMIT } from './log-config.js';

export { CLEANED_SUFFIX } from './segment.js';

/** Keys one offset map holds at most (Kafka sizes its map by memory; this is its count). */
export const OFFSET_MAP_KEYS_MAX = 1_000_000;
/** Key bytes one offset map holds at most (keys are kept as one-byte strings). */
export const OFFSET_MAP_KEY_BYTES_MAX = 64 * 1024 * 1024;
/** Kafka's delete.retention.ms default: one day. */
export const DELETE_RETENTION_MS_DEFAULT = 86_400_000;

/** Read and write buffer of a cleaning pass. */
const IO_CHUNK_BYTES = 1024 * 1024;

export interface OffsetMap {
  /** Key (bytes as a latin1 string, one char per byte) → offset of its latest record. */
  keys: Map<string, number>;
  keyBytes: number;
  /** Segments (a prefix of the paths given) whose records were all mapped: only these may be cleaned. */
  segmentsMapped: number;
  /** True when a bound stopped the mapping before the last segment. */
  full: boolean;
}

/** An aborted transaction: its producer's transactional batches in [firstOffset, lastOffset] are aborted. */
export interface AbortedRange {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

/** Aborted ranges by producer, for isAborted. */
export type AbortedIndex = Map<number, AbortedRange[]>;

export function abortedIndex(ranges: readonly AbortedRange[]): AbortedIndex {
  const m: AbortedIndex = new Map();
  for (const r of ranges) {
    let list = m.get(r.producerId);
    if (list === undefined) {
      list = [];
      m.set(r.producerId, list);
    }
    list.push(r);
  }
  return m;
}

/** True for a (non-control) transactional batch inside one of its producer's aborted transactions. */
function isAborted(batch: Uint8Array, aborted: AbortedIndex): boolean {
  if (aborted.size === 0) return false;
  const attributes = batch[OFF_ATTRIBUTES]! << 8 | batch[OFF_ATTRIBUTES + 1]!;
  if ((attributes & ATTR_TRANSACTIONAL) === 0 || (attributes & ATTR_CONTROL) !== 0) return false;
  const list = aborted.get(getInt64AsNumber(batch, OFF_PRODUCER_ID));
  if (list === undefined) return false;
  const base = getBaseOffset(batch);
  for (const r of list) if (base >= r.firstOffset && base <= r.lastOffset) return true;
  return false;
}

const NO_ABORTED: AbortedIndex = new Map();

export interface OffsetMapBounds {
  keysMax: number;
  keyBytesMax: number;
}

export interface CleanStats {
  batchesIn: number;
  batchesOut: number;
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
}

function corruptSegment(path: string, position: number, why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${path}: ${why} at position ${position}; not cleaning this log`);
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function isControl(batch: Uint8Array): boolean {
  return ((batch[OFF_ATTRIBUTES]! << 8 | batch[OFF_ATTRIBUTES + 1]!) & ATTR_CONTROL) !== 0;
}

/**
 * Calls `visit` for every whole batch of a sealed segment, in order. The batch is a
 * view of a reused buffer, valid only during the call. A batch that does not fit
 * the file or is shorter than a header throws (a sealed segment was synced whole;
 * damage means something is wrong, and cleaning must not rewrite around it).
 */
export function forEachBatch(logPath: string, visit: (batch: Uint8Array, position: number) => void): number {
  const fd = fs.openSync(logPath, 'r');
  try {
    const fileBytes = fs.fstatSync(fd).size;
    let buf = Buffer.allocUnsafe(Math.min(IO_CHUNK_BYTES, Math.max(BATCH_HEADER_BYTES, fileBytes)));
    let bufStart = 0; // file position of buf[0]
    let bufEnd = 0; // file position one past the valid bytes in buf
    let pos = 0;
    let batches = 0;
    // Each pass consumes ≥ 61 bytes of the file, so the file size bounds the loop.
    while (pos < fileBytes) {
      if (fileBytes - pos < BATCH_HEADER_BYTES) throw corruptSegment(logPath, pos, `${fileBytes - pos} trailing bytes`);
      if (bufEnd - pos < BATCH_LOG_OVERHEAD_BYTES) {
        bufStart = pos;
        bufEnd = pos + fs.readSync(fd, buf, 0, Math.min(buf.length, fileBytes - pos), pos);
      }
      const batchLength = buf.readInt32BE(pos - bufStart + OFF_BATCH_LENGTH);
      const size = batchLength + BATCH_LOG_OVERHEAD_BYTES;
      if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES || size > fileBytes - pos || size > SEGMENT_BYTES_LIMIT) {
        throw corruptSegment(logPath, pos, `batch length ${batchLength} does not fit`);
      }
      if (pos + size > bufEnd) {
        if (size > buf.length) buf = Buffer.allocUnsafe(size);
        bufStart = pos;
        bufEnd = pos + fs.readSync(fd, buf, 0, Math.min(buf.length, fileBytes - pos), pos);
        if (bufEnd - pos < size) throw corruptSegment(logPath, pos, 'short read');
      }
      visit(buf.subarray(pos - bufStart, pos - bufStart + size), pos);
      pos += size;
      batches++;
    }
    return batches;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Maps key → offset of its latest record over `segmentPaths` (oldest first). Stops
 * at the first new key that would break a bound: the segments before that one were
 * mapped whole and may be cleaned (`segmentsMapped`); the one it stopped in, and
 * those after, are left dirty for a later pass. Keys already entered from the
 * partly mapped segment stay in the map: they name records that exist (in a
 * segment this pass does not rewrite), so dropping older records for them is right.
 */
export function buildOffsetMap(
  segmentPaths: readonly string[],
  bounds: OffsetMapBounds = { keysMax: OFFSET_MAP_KEYS_MAX, keyBytesMax: OFFSET_MAP_KEY_BYTES_MAX },
  aborted: AbortedIndex = NO_ABORTED,
): OffsetMap {
  const map: OffsetMap = { keys: new Map(), keyBytes: 0, segmentsMapped: 0, full: false };
  for (const p of segmentPaths) {
    forEachBatch(p, (batch, position) => {
      if (map.full || isControl(batch) || isAborted(batch, aborted)) return;
      const baseOffset = getBaseOffset(batch);
      let records: RawRecord[];
      try {
        records = decodeRawRecords(batch);
      } catch (err) {
        throw corruptSegment(p, position, (err as Error).message);
      }
      for (const r of records) {
        if (r.key === null) continue;
        const k = keyString(r.key);
        if (!map.keys.has(k)) {
          if (map.keys.size >= bounds.keysMax || map.keyBytes + r.key.length > bounds.keyBytesMax) {
            map.full = true;
            return;
          }
          map.keyBytes += r.key.length;
        }
        map.keys.set(k, baseOffset + r.offsetDelta);
      }
    });
    if (map.full) break;
    map.segmentsMapped++;
  }
  return map;
}

/** Buffered sequential writer of the cleaned file. */
class ChunkWriter {
  private readonly buf = Buffer.allocUnsafe(IO_CHUNK_BYTES);
  private used = 0;
  written = 0;
  constructor(private readonly fd: number) {}

  write(bytes: Uint8Array): void {
    if (this.used + bytes.length > this.buf.length) this.flush();
    if (bytes.length > this.buf.length) {
      this.writeAll(bytes);
      return;
    }
    this.buf.set(bytes, this.used);
    this.used += bytes.length;
  }

  flush(): void {
    if (this.used === 0) return;
    this.writeAll(this.buf.subarray(0, this.used));
    this.used = 0;
  }

  private writeAll(bytes: Uint8Array): void {
    let off = 0;
    // Each pass writes ≥ 1 byte or throws.
    while (off < bytes.length) {
      const n = fs.writeSync(this.fd, bytes, off, bytes.length - off, this.written);
      if (n <= 0) throw new Error('write made no progress');
      off += n;
      this.written += n;
    }
  }
}

/**
 * Writes the cleaned copy of the sealed segment `srcLogPath` to `destPath`
 * (truncating any earlier copy), fdatasyncs it, and says what it kept. Only reads
 * the source. Records are judged against `map` (a key it lacks keeps its record).
 */
export function cleanSegment(srcLogPath: string, destPath: string, map: OffsetMap, nowMs: number, deleteRetentionMs: number, aborted: AbortedIndex = NO_ABORTED): CleanStats {
  const stats: CleanStats = { batchesIn: 0, batchesOut: 0, recordsIn: 0, recordsOut: 0, bytesIn: 0, bytesOut: 0 };
  const fd = fs.openSync(destPath, 'w');
  try {
    const out = new ChunkWriter(fd);
    const kept: RawRecord[] = [];
    forEachBatch(srcLogPath, (batch, position) => {
      stats.batchesIn++;
      stats.bytesIn += batch.length;
      if (isControl(batch)) {
        const n = new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(OFF_RECORDS_COUNT);
        stats.recordsIn += n;
        stats.recordsOut += n;
        out.write(batch);
        stats.batchesOut++;
        stats.bytesOut += batch.length;
        return;
      }
      if (isAborted(batch, aborted)) {
        stats.recordsIn += new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(OFF_RECORDS_COUNT);
        return;
      }
      let records: RawRecord[];
      try {
        records = decodeRawRecords(batch);
      } catch (err) {
        throw corruptSegment(srcLogPath, position, (err as Error).message);
      }
      const baseOffset = getBaseOffset(batch);
      const tombstonesExpired = nowMs - getInt64AsNumber(batch, OFF_MAX_TIMESTAMP) > deleteRetentionMs;
      kept.length = 0;
      for (const r of records) {
        if (r.key !== null) {
          const latest = map.keys.get(keyString(r.key));
          if (latest !== undefined && baseOffset + r.offsetDelta < latest) continue; // superseded
          if (r.value === null && tombstonesExpired) continue; // an old tombstone has done its job
        }
        kept.push(r);
      }
      stats.recordsIn += records.length;
      stats.recordsOut += kept.length;
      if (kept.length === 0) return;
      const written = kept.length === records.length ? batch : rebuildRecordBatch(batch, kept);
      out.write(written);
      stats.batchesOut++;
      stats.bytesOut += written.length;
    });
    out.flush();
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return stats;
}
