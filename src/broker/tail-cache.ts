// The newest small appends of a partition a consumer is waiting on, kept on the main
// thread, so the Fetch an append wakes is answered without a round trip to the shard.
// At low rates that round trip is most of a message's cost: a futex wake of the shard,
// a pread, and a wake-up of the main thread again, per Fetch.
// A consumer that keeps up without ever waiting (its Fetch arrives when an append or two
// already landed, as librdkafka's does at 10,000 one-record Produce requests a second)
// never parks, so "a long-poll waits" alone would never start the cache: a read from
// the shard that reached the end of the log asks for it too (`want`).
// read_committed readers (librdkafka's default isolation) are answered from it only
// while it holds no transactional or control batch and the engine says no transaction
// is open (last stable offset = high watermark): then there is nothing to stop before
// and no aborted transaction among the bytes, which is all the shard would add.
// Owns: which appends are kept (small ones, while a long-poll waited on the partition,
// a reader reached the end, or the cache is being read), their bounds (per partition
// and in total), patching in the offsets the shard assigned, and answering a read from
// them under the shard's whole-batch rules. Must not keep anything the shard stores
// differently (a LogAppendTime topic's batches get the broker's time and a new CRC in
// the shard: the engine does not offer those), nor answer past what it holds.
//
// The bytes kept are the request's batches as the shard received them, with each
// batch's baseOffset (outside the CRC) set to the offset the shard assigned: exactly
// what the segment holds, for offsets below the high watermark, which never change.

import { ATTR_CONTROL, ATTR_TRANSACTIONAL, BATCH_HEADER_BYTES, OFF_ATTRIBUTES, OFF_LAST_OFFSET_DELTA, batchSizeAt, getBaseOffset } from '../wire/batch-layout.js';

/** Appends larger than this are not kept (at high rates the copy would cost more than it saves). */
export const TAIL_APPEND_MAX_BYTES = 16 * 1024;
/** One partition's buffer; when an append does not fit, the cache starts over with it. */
const TAIL_BUFFER_BYTES = 64 * 1024;
/** All partitions' buffers together at most; past it no new cache starts. */
const TAIL_TOTAL_BYTES_MAX = 16 * 1024 * 1024;
/** Appends kept without a read from the cache before it stops keeping them (the consumer left or fell behind). */
const TAIL_UNREAD_APPENDS_MAX = 64;
/** Batches one buffer can hold at most (each is ≥ a header). */
const TAIL_BATCHES_MAX = Math.ceil(TAIL_BUFFER_BYTES / BATCH_HEADER_BYTES);

const TWO_POW_32 = 0x1_0000_0000;
let totalBytes = 0;

/** Counters, for metrics and tests. */
export const tailCacheStats = { hits: 0, kept: 0, dropped: 0 };

export class TailCache {
  private buf: Uint8Array | null = null;
  private used = 0;
  /** Base offset and position of each batch held, in order. */
  private readonly bases: number[] = [];
  private readonly positions: number[] = [];
  private unreadAppends = 0;
  /** A reader reached the end of the log: keep the appends that follow, for its next read. */
  private wanted = false;
  /** Whether a batch held is transactional or a control batch (then only read_uncommitted readers are answered). */
  private transactional = false;
  /** Offsets held: [start, end). Meaningless while empty. */
  private start = 0;
  private end = 0;

  get isEmpty(): boolean {
    return this.buf === null || this.bases.length === 0;
  }

  /** Whether read_committed readers may be answered: nothing held belongs to a transaction. */
  get nonTransactional(): boolean {
    return !this.transactional;
  }

  /** Whether the next append should be kept: a reader asked (`want`) or the cache is already going. */
  get keeping(): boolean {
    return this.wanted || !this.isEmpty;
  }

  /**
   * A reader was just answered up to the end of the log (by the shard): keep what is
   * appended next, so its next read needs no round trip. Undone by `clear`, so a reader
   * that stops reading costs at most TAIL_UNREAD_APPENDS_MAX copies.
   */
  want(): void {
    this.wanted = true;
  }

  /** The offset just past the last batch held (-1 when empty). */
  get endOffset(): number {
    return this.isEmpty ? -1 : this.end;
  }

  /**
   * Keeps a completed append (`batches` as sent, the shard put its first batch at
   * `baseOffset`), if it continues what is held (or the cache is empty) and fits the
   * bounds. Anything else empties the cache: it must never hold a gap.
   */
  add(batches: Uint8Array, baseOffset: number): void {
    if (batches.byteLength > TAIL_APPEND_MAX_BYTES || (!this.isEmpty && baseOffset !== this.end)) {
      this.clear();
      return;
    }
    if (++this.unreadAppends > TAIL_UNREAD_APPENDS_MAX) {
      this.clear();
      return;
    }
    if (this.buf === null || this.used + batches.byteLength > this.buf.byteLength || this.bases.length + batches.byteLength / BATCH_HEADER_BYTES > TAIL_BATCHES_MAX) {
      const unread = this.unreadAppends;
      this.clear();
      // Past the total bound nothing is kept, and `wanted` stays cleared: a reader asks again.
      if (totalBytes + TAIL_BUFFER_BYTES > TAIL_TOTAL_BYTES_MAX) return;
      // A fresh buffer, never a reused one: views already handed out keep their bytes.
      this.buf = new Uint8Array(TAIL_BUFFER_BYTES);
      totalBytes += TAIL_BUFFER_BYTES;
      this.unreadAppends = unread;
    }
    const buf = this.buf;
    const dv = new DataView(batches.buffer, batches.byteOffset, batches.byteLength);
    const from = this.used;
    let offset = baseOffset;
    let pos = 0;
    // Each step moves past one whole batch (≥ a header): bounded by the length.
    while (pos < batches.byteLength) {
      const size = batchSizeAt(batches, pos);
      if (size < BATCH_HEADER_BYTES || pos + size > batches.byteLength) {
        // The shard accepted it, so this cannot happen; never keep what cannot be read back.
        this.used = from;
        this.clear();
        return;
      }
      const at = this.used;
      buf.set(batches.subarray(pos, pos + size), at);
      const hi = Math.floor(offset / TWO_POW_32);
      const out = new DataView(buf.buffer, buf.byteOffset + at, 8);
      out.setInt32(0, hi);
      out.setUint32(4, offset - hi * TWO_POW_32);
      if ((batches[pos + OFF_ATTRIBUTES + 1]! & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) !== 0) this.transactional = true;
      if (this.bases.length === 0) this.start = offset;
      this.bases.push(offset);
      this.positions.push(at);
      this.used += size;
      offset += dv.getInt32(pos + OFF_LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    this.end = offset;
    tailCacheStats.kept++;
  }

  /**
   * Whole batches from the one holding `offset`, at most maxBytes (the first whole
   * even if larger, as the shard answers), or null when `offset` is not held.
   */
  read(offset: number, maxBytes: number): Uint8Array | null {
    if (this.isEmpty || offset < this.start || offset >= this.end) return null;
    let i = this.bases.length - 1;
    // Consumers read near the end: walk back from it (bounded by the batches held).
    while (i > 0 && this.bases[i]! > offset) i--;
    const from = this.positions[i]!;
    let to = i + 1 < this.positions.length ? this.positions[i + 1]! : this.used;
    for (let j = i + 1; j < this.positions.length; j++) {
      const next = j + 1 < this.positions.length ? this.positions[j + 1]! : this.used;
      if (next - from > maxBytes) break;
      to = next;
    }
    this.unreadAppends = 0;
    tailCacheStats.hits++;
    return this.buf!.subarray(from, to);
  }

  clear(): void {
    if (this.buf !== null) {
      totalBytes -= this.buf.byteLength;
      tailCacheStats.dropped++;
    }
    this.buf = null;
    this.used = 0;
    this.bases.length = 0;
    this.positions.length = 0;
    this.unreadAppends = 0;
    this.wanted = false;
    this.transactional = false;
  }
}

/**
 * Whether `records` (whole batches, as a read returns them, at most one cache buffer's
 * worth) end exactly at `endOffset`: the reader was given everything up to the end of
 * the log. Walks batch headers only; each step passes one whole batch (≥ a header), so
 * the length bounds it. False for anything malformed, empty or larger.
 */
export function readsUpTo(records: Uint8Array, endOffset: number): boolean {
  // A read larger than one cache buffer is a reader catching up, not tailing; this also
  // bounds the walk below to TAIL_BATCHES_MAX steps.
  if (records.byteLength < BATCH_HEADER_BYTES || records.byteLength > TAIL_BUFFER_BYTES) return false;
  let pos = 0;
  let last = -1;
  while (pos + BATCH_HEADER_BYTES <= records.byteLength) {
    const size = batchSizeAt(records, pos);
    if (size < BATCH_HEADER_BYTES || pos + size > records.byteLength) return false;
    last = pos;
    pos += size;
  }
  if (pos !== records.byteLength || last < 0) return false;
  const lastOffsetDelta = new DataView(records.buffer, records.byteOffset + last + OFF_LAST_OFFSET_DELTA, 4).getInt32(0);
  return getBaseOffset(records, last) + lastOffsetDelta + 1 === endOffset;
}
