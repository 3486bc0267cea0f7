// The sparse offset index of one segment: `<base>.index`.
// Owns: the entries (relative offset u32, file position u32, big-endian, 8 bytes
// each), their in-memory copy, lookup, validation of a loaded file, and writing
// entries to the index file. Must not read the log file: rebuilding from the log
// is the segment's job (segment.ts), which replays batches into `append`.
//
// An entry (r, p) says: the batch whose baseOffset is base + r starts at byte p of
// the log. Entries are strictly increasing in both fields. A lookup returns the
// last entry at or before an offset; the caller then scans batch headers forward.

import fs from 'node:fs';
import { invariantFailed } from '../wire/assert.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
/** Kafka's segment.index.bytes default (10 MiB): a segment rolls when its index is full. */
export const OFFSET_INDEX_ENTRIES_MAX = Math.floor(10_485_760 / OFFSET_INDEX_ENTRY_BYTES);

const INITIAL_CAPACITY = 64;

export class OffsetIndex {
  private rel: Uint32Array;
  private pos: Uint32Array;
  /** Entries held in memory. */
  count = 0;
  /** Entries already written to the file (the rest are pending). */
  flushedCount = 0;
  private scratch: Buffer = Buffer.allocUnsafe(0);

  constructor(capacity = INITIAL_CAPACITY) {
    this.rel = new Uint32Array(Math.max(capacity, 1));
    this.pos = new Uint32Array(Math.max(capacity, 1));
  }

  /**
   * Parses an index file. Returns the problem as a string when the bytes are damaged
   * (size not a multiple of 8, entries not strictly increasing, a position at or past
   * `logSizeBytes`), so the caller can rebuild from the log.
   */
  static decode(bytes: Uint8Array, logSizeBytes: number): OffsetIndex | string {
    if (bytes.byteLength % OFFSET_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.byteLength} is not a multiple of ${OFFSET_INDEX_ENTRY_BYTES}`;
    const n = bytes.byteLength / OFFSET_INDEX_ENTRY_BYTES;
    if (n > OFFSET_INDEX_ENTRIES_MAX) return `${n} entries exceed the bound ${OFFSET_INDEX_ENTRIES_MAX}`;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = new OffsetIndex(n);
    for (let i = 0; i < n; i++) {
      const r = dv.getUint32(i * OFFSET_INDEX_ENTRY_BYTES);
      const p = dv.getUint32(i * OFFSET_INDEX_ENTRY_BYTES + 4);
      if (i > 0 && (r <= index.rel[i - 1]! || p <= index.pos[i - 1]!)) return `entry ${i} (${r}, ${p}) does not increase`;
      if (p >= logSizeBytes) return `entry ${i} points at position ${p}, past the log end ${logSizeBytes}`;
      index.rel[i] = r;
      index.pos[i] = p;
    }
    index.count = n;
    index.flushedCount = n;
    return index;
  }

  isFull(): boolean {
    return this.count >= OFFSET_INDEX_ENTRIES_MAX;
  }

  append(relOffset: number, position: number): void {
    if (this.count > 0 && (relOffset <= this.rel[this.count - 1]! || position <= this.pos[this.count - 1]!)) {
      invariantFailed(`offset index: entry (${relOffset}, ${position}) does not increase`);
    }
    if (relOffset < 0 || relOffset > 0xffff_ffff || position < 0 || position > 0xffff_ffff) {
      invariantFailed(`offset index: entry (${relOffset}, ${position}) out of u32 range`);
    }
    if (this.count === this.rel.length) this.grow();
    this.rel[this.count] = relOffset;
    this.pos[this.count] = position;
    this.count++;
  }

  private grow(): void {
    const capacity = Math.min(this.rel.length * 2, OFFSET_INDEX_ENTRIES_MAX);
    if (capacity <= this.rel.length) throw new Error('offset index: full');
    const rel = new Uint32Array(capacity);
    const pos = new Uint32Array(capacity);
    rel.set(this.rel.subarray(0, this.count));
    pos.set(this.pos.subarray(0, this.count));
    this.rel = rel;
    this.pos = pos;
  }

  relAt(i: number): number {
    return this.rel[i]!;
  }

  positionAt(i: number): number {
    return this.pos[i]!;
  }

  /** Index of the last entry with relative offset ≤ relOffset, or -1. Binary search. */
  lookup(relOffset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= relOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Index of the last entry with position ≤ position, or -1. */
  lookupPosition(position: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pos[mid]! <= position) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Keeps the first `n` entries (the file is fixed by the next `rewrite`). */
  truncateEntries(n: number): void {
    if (n < this.count) this.count = Math.max(0, n);
    if (this.flushedCount > this.count) this.flushedCount = this.count;
  }

  /** Drops entries whose position is ≥ position. */
  truncateAtPosition(position: number): void {
    this.truncateEntries(this.lookupPosition(position - 1) + 1);
  }

  private encode(from: number, to: number): Buffer {
    const bytes = (to - from) * OFFSET_INDEX_ENTRY_BYTES;
    if (this.scratch.byteLength < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, 4096));
    for (let i = from, o = 0; i < to; i++, o += OFFSET_INDEX_ENTRY_BYTES) {
      this.scratch.writeUInt32BE(this.rel[i]!, o);
      this.scratch.writeUInt32BE(this.pos[i]!, o + 4);
    }
    return this.scratch;
  }

  /** Writes the pending entries at the end of the file (one write). */
  flushTo(fd: number): void {
    if (this.flushedCount >= this.count) return;
    const buf = this.encode(this.flushedCount, this.count);
    writeFully(fd, buf, (this.count - this.flushedCount) * OFFSET_INDEX_ENTRY_BYTES, this.flushedCount * OFFSET_INDEX_ENTRY_BYTES);
    this.flushedCount = this.count;
  }

  /** Replaces the whole file with the entries in memory. */
  rewrite(fd: number): void {
    fs.ftruncateSync(fd, 0);
    this.flushedCount = 0;
    this.flushTo(fd);
  }

  /** Leaves the file alone, appends to it or rewrites it, whichever makes it hold the entries in memory (rewriteIndexFileOver). */
  rewriteOver(fd: number, onDisk: Uint8Array | null): void {
    rewriteIndexFileOver(this, (from, to) => this.encode(from, to), OFFSET_INDEX_ENTRY_BYTES, fd, onDisk);
  }
}

/** What rewriteIndexFileOver needs of an index (OffsetIndex, TimeIndex). */
interface IndexFileWriter {
  readonly count: number;
  flushedCount: number;
  flushTo(fd: number): void;
  rewrite(fd: number): void;
}

/**
 * Makes an index file hold exactly the entries in memory, given the bytes it holds now
 * (`onDisk`; null: it was just created empty): nothing is written when they match, the
 * new entries are appended when it holds a prefix of them, and only otherwise is it
 * truncated and rewritten. Why: recovery used to rewrite both index files of every
 * partition, and each ftruncate is an ext4 journal transaction (~0.2 ms; 1,000
 * partitions after a kill -9 spent ~0.4 s of pool time in them), mostly to write back
 * what was already there.
 */
export function rewriteIndexFileOver(
  index: IndexFileWriter,
  encode: (from: number, to: number) => Buffer,
  entryBytes: number,
  fd: number,
  onDisk: Uint8Array | null,
): void {
  const have = onDisk === null ? 0 : onDisk.byteLength;
  if (have % entryBytes === 0 && have <= index.count * entryBytes) {
    if (have === 0 || Buffer.compare(encode(0, have / entryBytes).subarray(0, have), onDisk!) === 0) {
      index.flushedCount = have / entryBytes;
      index.flushTo(fd);
      return;
    }
  }
  index.rewrite(fd);
}

/** pwrite until all `length` bytes are written (a regular file writes all or throws; the loop is a guard). */
export function writeFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  for (let attempt = 0; done < length; attempt++) {
    if (attempt > 64) throw new Error(`short writes: ${done} of ${length} bytes`);
    done += fs.writeSync(fd, buf, done, length - done, position + done);
  }
}
