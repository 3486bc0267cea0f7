// Walking the RecordBatch v2 frames of a segment's log file.
// Owns: one reusable read buffer per thread, chunked preads, parsing of the header
// fields storage needs (offsets, size, max timestamp) and, when asked, full CRC
// validation of each frame. Must not write files nor decode records.
//
// Storage runs in one thread per shard and every call here is synchronous, so one
// module-level buffer serves every scan in the thread; each scan starts with
// `reset`, and scans never nest.

import fs from 'node:fs';
// Registers the native CRC-32C that checkBatch uses (wire/codecs.ts defaults to plain JS).
import '../compression/node-codecs.js';
import {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_BATCH_LENGTH,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  checkBatch,
} from '../wire/batch-layout.js';
import { ErrorCode } from '../wire/errors.js';

/** Header fields of one stored batch. Reused as an out-parameter (no allocation per batch). */
export interface BatchInfo {
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export function newBatchInfo(): BatchInfo {
  return { position: -1, sizeBytes: 0, baseOffset: -1, lastOffset: -1, maxTimestamp: -1 };
}

export function copyBatchInfo(to: BatchInfo, from: BatchInfo): void {
  to.position = from.position;
  to.sizeBytes = from.sizeBytes;
  to.baseOffset = from.baseOffset;
  to.lastOffset = from.lastOffset;
  to.maxTimestamp = from.maxTimestamp;
}

export const SCAN_OK = 0;
/** `pos` is exactly the end: no more batches. */
export const SCAN_END = 1;
/** A frame starts but does not fit before the end (torn write). */
export const SCAN_TORN = 2;
/** A frame is malformed (length, magic, offsets or CRC). */
export const SCAN_BAD = 3;

/** Chunk for random lookups (index entries are ~4 KiB apart). */
export const LOOKUP_CHUNK_BYTES = 16 * 1024;
/** Chunk for sequential scans (recovery, rebuilds). */
export const SCAN_CHUNK_BYTES = 1024 * 1024;
/** Smallest batchLength: a header with no records. */
const BATCH_LENGTH_MIN = BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES;
const TWO_POW_32 = 0x1_0000_0000;

/** preads until `length` bytes are in or the file ends; returns the bytes read. */
export function readFully(fd: number, target: Uint8Array, targetPos: number, length: number, position: number): number {
  let done = 0;
  // Each pass reads ≥ 1 byte or stops, so `length` passes bound the loop.
  for (let pass = 0; done < length && pass < length + 1; pass++) {
    const n = fs.readSync(fd, target, targetPos + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export class LogScanner {
  private buf: Buffer = Buffer.allocUnsafe(SCAN_CHUNK_BYTES);
  private dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private fd = -1;
  private end = 0;
  private chunkBytes = LOOKUP_CHUNK_BYTES;
  private bufStart = 0;
  private bufLen = 0;
  /** Why the last SCAN_BAD/SCAN_TORN happened, for the recovery report. */
  problem = '';

  /** Starts a scan of `fd` whose valid bytes end at `endPos`. */
  reset(fd: number, endPos: number, chunkBytes: number): void {
    this.fd = fd;
    this.end = endPos;
    this.chunkBytes = Math.min(chunkBytes, SCAN_CHUNK_BYTES);
    this.bufStart = 0;
    this.bufLen = 0;
    this.problem = '';
  }

  /** Makes file bytes [pos, pos+len) available in the buffer; false if the file ends first. */
  private ensure(pos: number, len: number): boolean {
    if (pos + len > this.end) return false;
    if (pos >= this.bufStart && pos + len <= this.bufStart + this.bufLen) return true;
    if (len > this.buf.byteLength) {
      // A batch bigger than the buffer (only when validating). Bounded by the file size.
      this.buf = Buffer.allocUnsafe(len);
      this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
    const want = Math.min(Math.max(len, this.chunkBytes), this.end - pos, this.buf.byteLength);
    const got = readFully(this.fd, this.buf, 0, want, pos);
    this.bufStart = pos;
    this.bufLen = got;
    return got >= len;
  }

  /**
   * Reads the header of the batch at `pos` into `out`. With `validate`, also reads the
   * whole frame and checks magic and CRC-32C. Returns SCAN_OK/END/TORN/BAD.
   */
  readBatch(pos: number, out: BatchInfo, validate: boolean): number {
    if (pos === this.end) return SCAN_END;
    if (!this.ensure(pos, BATCH_HEADER_BYTES)) {
      this.problem = `${this.end - pos} bytes at the end are shorter than a batch header`;
      return SCAN_TORN;
    }
    const o = pos - this.bufStart;
    const batchLength = this.dv.getInt32(o + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_LENGTH_MIN) {
      this.problem = `batchLength ${batchLength} is below ${BATCH_LENGTH_MIN}`;
      return SCAN_BAD;
    }
    const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
    if (pos + size > this.end) {
      this.problem = `batch of ${size} bytes runs past the end (${this.end - pos} bytes left)`;
      return SCAN_TORN;
    }
    const magic = this.dv.getInt8(o + OFF_MAGIC);
    if (magic !== 2) {
      this.problem = `magic ${magic}, not 2`;
      return SCAN_BAD;
    }
    const baseOffset = this.dv.getInt32(o) * TWO_POW_32 + this.dv.getUint32(o + 4);
    const lastOffsetDelta = this.dv.getInt32(o + OFF_LAST_OFFSET_DELTA);
    const maxTimestamp = this.dv.getInt32(o + OFF_MAX_TIMESTAMP) * TWO_POW_32 + this.dv.getUint32(o + OFF_MAX_TIMESTAMP + 4);
    if (baseOffset < 0 || !Number.isSafeInteger(baseOffset) || lastOffsetDelta < 0) {
      this.problem = `baseOffset ${baseOffset} / lastOffsetDelta ${lastOffsetDelta} invalid`;
      return SCAN_BAD;
    }
    out.position = pos;
    out.sizeBytes = size;
    out.baseOffset = baseOffset;
    out.lastOffset = baseOffset + lastOffsetDelta;
    out.maxTimestamp = maxTimestamp;
    if (validate) {
      if (!this.ensure(pos, size)) {
        this.problem = `batch of ${size} bytes could not be read whole`;
        return SCAN_TORN;
      }
      const start = pos - this.bufStart;
      const code = checkBatch(this.buf.subarray(start, start + size), Number.MAX_SAFE_INTEGER);
      if (code !== ErrorCode.NONE) {
        this.problem = code === ErrorCode.CORRUPT_MESSAGE ? 'CRC-32C or header check failed' : `batch check failed (code ${code})`;
        return SCAN_BAD;
      }
    }
    return SCAN_OK;
  }
}

let shared: LogScanner | null = null;

/** The thread's scanner (see the module comment). */
export function logScanner(): LogScanner {
  if (shared === null) shared = new LogScanner();
  return shared;
}
