// The sparse time index of one segment: `<base>.timeindex`.
// Owns: the entries (timestamp i64, relative offset u32, big-endian, 12 bytes each),
// their in-memory copy, lookup, validation of a loaded file, and writing entries.
// Must not read the log file (segment.ts rebuilds by replaying batches).
//
// An entry (t, r) is written when the segment's largest batch maxTimestamp so far
// grew (checked at each offset-index entry, at roll and at close): t is that
// largest timestamp and base + r the baseOffset of the batch that holds it. So
// every batch appended before the entry was written has maxTimestamp ≤ t, and the
// last entry holds the segment's largest timestamp. Entries strictly increase in
// both fields.
//
// Lookup by time (done by the segment): take the last entry with t < target; every
// batch up to and including base + r is older than the target, so the first batch
// with maxTimestamp ≥ target lies after it; scan batch headers from there. The
// answer is exact at batch granularity (records are never decoded in storage).

import fs from 'node:fs';
import { rewriteIndexFileOver, writeFully } from './offset-index.js';

export const TIME_INDEX_ENTRY_BYTES = 12;
/** Kafka's segment.index.bytes default (10 MiB) in 12-byte entries. */
export const TIME_INDEX_ENTRIES_MAX = Math.floor(10_485_760 / TIME_INDEX_ENTRY_BYTES);

const TWO_POW_32 = 0x1_0000_0000;
const INITIAL_CAPACITY = 64;

export class TimeIndex {
  private ts: Float64Array;
  private rel: Uint32Array;
  count = 0;
  flushedCount = 0;
  private scratch: Buffer = Buffer.allocUnsafe(0);

  constructor(capacity = INITIAL_CAPACITY) {
    this.ts = new Float64Array(Math.max(capacity, 1));
    this.rel = new Uint32Array(Math.max(capacity, 1));
  }

  /**
   * Parses a time index file; returns the problem as a string when damaged (size
   * not a multiple of 12, entries not strictly increasing, an offset past
   * `relOffsetEnd` when that is known (≥ 0)).
   */
  static decode(bytes: Uint8Array, relOffsetEnd: number): TimeIndex | string {
    if (bytes.byteLength % TIME_INDEX_ENTRY_BYTES !== 0) return `size ${bytes.byteLength} is not a multiple of ${TIME_INDEX_ENTRY_BYTES}`;
    const n = bytes.byteLength / TIME_INDEX_ENTRY_BYTES;
    if (n > TIME_INDEX_ENTRIES_MAX) return `${n} entries exceed the bound ${TIME_INDEX_ENTRIES_MAX}`;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const index = new TimeIndex(n);
    for (let i = 0; i < n; i++) {
      const o = i * TIME_INDEX_ENTRY_BYTES;
      const t = dv.getInt32(o) * TWO_POW_32 + dv.getUint32(o + 4);
      const r = dv.getUint32(o + 8);
      if (!Number.isSafeInteger(t) || t < 0) return `entry ${i} has timestamp ${t}`;
      if (i > 0 && (t <= index.ts[i - 1]! || r <= index.rel[i - 1]!)) return `entry ${i} (${t}, ${r}) does not increase`;
      if (relOffsetEnd >= 0 && r >= relOffsetEnd) return `entry ${i} points at relative offset ${r}, past the segment end ${relOffsetEnd}`;
      index.ts[i] = t;
      index.rel[i] = r;
    }
    index.count = n;
    index.flushedCount = n;
    return index;
  }

  /** Reads only the last entry of a file's bytes (for a sealed segment's max timestamp). */
  static decodeLast(bytes: Uint8Array): { timestamp: number; relOffset: number } | null {
    if (bytes.byteLength !== TIME_INDEX_ENTRY_BYTES) return null;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const t = dv.getInt32(0) * TWO_POW_32 + dv.getUint32(4);
    if (!Number.isSafeInteger(t) || t < 0) return null;
    return { timestamp: t, relOffset: dv.getUint32(8) };
  }

  isFull(): boolean {
    return this.count >= TIME_INDEX_ENTRIES_MAX;
  }

  lastTimestamp(): number {
    return this.count === 0 ? -1 : this.ts[this.count - 1]!;
  }

  lastRel(): number {
    return this.count === 0 ? -1 : this.rel[this.count - 1]!;
  }

  timestampAt(i: number): number {
    return this.ts[i]!;
  }

  relAt(i: number): number {
    return this.rel[i]!;
  }

  /** Appends (t, r) if t grows the index (and r too); returns whether it did. */
  maybeAppend(timestamp: number, relOffset: number): boolean {
    if (timestamp < 0 || timestamp <= this.lastTimestamp() || relOffset <= this.lastRel()) return false;
    if (this.count === this.ts.length) this.grow();
    this.ts[this.count] = timestamp;
    this.rel[this.count] = relOffset;
    this.count++;
    return true;
  }

  private grow(): void {
    const capacity = Math.min(this.ts.length * 2, TIME_INDEX_ENTRIES_MAX);
    if (capacity <= this.ts.length) throw new Error('time index: full');
    const ts = new Float64Array(capacity);
    const rel = new Uint32Array(capacity);
    ts.set(this.ts.subarray(0, this.count));
    rel.set(this.rel.subarray(0, this.count));
    this.ts = ts;
    this.rel = rel;
  }

  /** Index of the last entry with timestamp < t, or -1. Binary search. */
  lastBefore(t: number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid]! < t) {
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

  /** Drops entries whose relative offset is ≥ relOffset. */
  truncateAtRel(relOffset: number): void {
    let n = this.count;
    while (n > 0 && this.rel[n - 1]! >= relOffset) n--;
    this.count = n;
    if (this.flushedCount > n) this.flushedCount = n;
  }

  private encode(from: number, to: number): Buffer {
    const bytes = (to - from) * TIME_INDEX_ENTRY_BYTES;
    if (this.scratch.byteLength < bytes) this.scratch = Buffer.allocUnsafe(Math.max(bytes, 4096));
    for (let i = from, o = 0; i < to; i++, o += TIME_INDEX_ENTRY_BYTES) {
      const t = this.ts[i]!;
      this.scratch.writeInt32BE(Math.floor(t / TWO_POW_32), o);
      this.scratch.writeUInt32BE(t >>> 0, o + 4);
      this.scratch.writeUInt32BE(this.rel[i]!, o + 8);
    }
    return this.scratch;
  }

  flushTo(fd: number): void {
    if (this.flushedCount >= this.count) return;
    const buf = this.encode(this.flushedCount, this.count);
    writeFully(fd, buf, (this.count - this.flushedCount) * TIME_INDEX_ENTRY_BYTES, this.flushedCount * TIME_INDEX_ENTRY_BYTES);
    this.flushedCount = this.count;
  }

  rewrite(fd: number): void {
    fs.ftruncateSync(fd, 0);
    this.flushedCount = 0;
    this.flushTo(fd);
  }

  /** Leaves the file alone, appends to it or rewrites it, whichever makes it hold the entries in memory (rewriteIndexFileOver). */
  rewriteOver(fd: number, onDisk: Uint8Array | null): void {
    rewriteIndexFileOver(this, (from, to) => this.encode(from, to), TIME_INDEX_ENTRY_BYTES, fd, onDisk);
  }
}
