// The log of one partition: the directory `<dataDir>/<topic>-<partition>/`.
// Owns: the ordered list of segments, offset assignment (patching each batch's
// baseOffset in place), rolling, group writes (one writev per segment touched),
// fdatasync on request, reads of whole stored batches (into a caller's buffer or a
// new one), lookups by time, retention, truncation, and swapping in compaction's
// cleaned segment copies (written elsewhere: compaction.ts). Must not validate batch
// contents (the shard checked CRCs before calling append), decode records, or
// decide when to sync (the flush policy is the shard's).
//
// Everything is synchronous: one shard worker thread owns a partition and is its
// only writer, so there are no locks, timers or promises here.

import fs from 'node:fs';
import path from 'node:path';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, OFF_BATCH_LENGTH, OFF_LAST_OFFSET_DELTA, OFF_MAX_TIMESTAMP } from '../wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { invariantFailed } from '../wire/assert.js';
import { assertLogConfig } from './log-config.js';
import type { LogConfig } from './log-config.js';
import { LOOKUP_CHUNK_BYTES, SCAN_OK, logScanner, newBatchInfo, readFully } from './log-scanner.js';
import type { BatchInfo } from './log-scanner.js';
import { walkBatchHeaders } from './producer-snapshot.js';
import type { ProducerBatchHeader } from './producer-snapshot.js';
import { openSegments } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import { syncDir } from './durable-file.js';
import { readLogStartCheckpoint, writeLogStartCheckpoint } from './log-start-checkpoint.js';
import { segmentsToDelete } from './retention.js';
import type { SegmentRetentionInfo } from './retention.js';
import { CLEANED_SUFFIX, LOG_SUFFIX, SEGMENT_BYTES_MAX, SEGMENT_REL_OFFSET_MAX, Segment, newSegmentMark, newStorageStats, segmentFileName } from './segment.js';
import type { StorageStats } from './segment.js';
import type { AbortedTxn } from './txn-index.js';

export type { LogConfig } from './log-config.js';

/** Sealed segments kept open (fd + indexes) per partition; the least recently used is released. */
export const SEALED_SEGMENTS_OPEN_MAX = 16;

export interface PartitionLogOptions {
  /** True when the data dir's clean-shutdown marker was present (or recovery already ran). */
  cleanShutdown: boolean;
  log?: (msg: string) => void;
  nowMs?: () => number;
}

const TWO_POW_32 = 0x1_0000_0000;

function i32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

function u32(b: Uint8Array, o: number): number {
  return i32(b, o) >>> 0;
}

function outOfRange(offset: number, start: number, end: number): KafkaError {
  return new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `offset ${offset} is outside the log [${start}, ${end}]`);
}

/**
 * An fdatasync of the partition's files failed (an append's sync, or a roll's seal).
 * Its own type because the shard must take the partition offline for it, where a
 * failed write (ENOSPC) is only undone and retried.
 */
export class SyncFailedError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message);
    this.name = 'SyncFailedError';
  }
}

export class PartitionLog {
  readonly dir: string;
  /** First offset still on disk. */
  logStartOffset: number;
  /** Log end offset: the next offset to assign (the high watermark on one node). */
  nextOffset: number;
  /** What opening did (clean or recovered, what was cut). */
  readonly recovery: RecoveryReport;
  /** Counters: fds opened, index loads/rebuilds, batches validated. */
  readonly stats: StorageStats;

  private config: LogConfig;
  private readonly segments: Segment[];
  private active: Segment;
  private readonly say: (msg: string) => void;
  /** Sealed segments with an open fd, least recently used first (≤ SEALED_SEGMENTS_OPEN_MAX). */
  private readonly openSealed: Segment[] = [];
  private dirNeedsSync = false;
  private closed = false;
  /**
   * Changes to the files since open (appends, rolls, retention, DeleteRecords,
   * compaction swaps, truncation, aborted-transaction entries). A log with none,
   * opened without any repair, is closed without syncing: its files are as the
   * last clean close (or recovery) left them, already synced. With 1,000 partitions
   * opened but untouched this is most of a clean stop's time.
   */
  private changes = 0;
  private readonly loc: BatchInfo = newBatchInfo();
  private readonly walk: BatchInfo = newBatchInfo();
  private readonly bound: BatchInfo = newBatchInfo();
  /** Segments rolled since open (the shard snapshots producer state after a roll). */
  rolls = 0;
  /**
   * After sizeOfReadAt/planRead/read/readInto: the offset just past the last batch
   * that read returns (its end, short of compaction gaps); read_committed fetches
   * collect aborted transactions below it, planned reads count their span by it.
   */
  lastReadEndOffset = -1;
  private readonly mark = newSegmentMark();
  /** The last planRead(): segment, position and size (segment null when none). */
  private planSeg: Segment | null = null;
  private planPos = 0;
  private planSize = 0;
  private planFirstBase = 0;
  private planEnd = 0;

  private constructor(dir: string, config: LogConfig, segments: Segment[], recovery: RecoveryReport, stats: StorageStats, say: (msg: string) => void) {
    this.dir = dir;
    this.config = config;
    this.segments = segments;
    this.active = segments[segments.length - 1]!;
    this.recovery = recovery;
    this.stats = stats;
    this.say = say;
    this.nextOffset = this.active.nextOffset;
    // DeleteRecords may have moved the start inside the first segment (the checkpoint);
    // a checkpoint past the end (a log cut short by recovery) is clamped to the end.
    const checkpoint = readLogStartCheckpoint(dir, say);
    this.logStartOffset = Math.max(segments[0]!.baseOffset, Math.min(checkpoint ?? -1, this.nextOffset));
    // Recovery may have cut the active segment: aborted transactions whose marker is gone go too.
    this.active.txnIndex.truncateTo(this.nextOffset);
  }

  static open(dir: string, config: LogConfig, opts: PartitionLogOptions): PartitionLog {
    assertLogConfig(config);
    const say = opts.log ?? ((): void => {});
    const stats = newStorageStats();
    const nowMs = opts.nowMs?.() ?? Date.now();
    const { segments, report } = openSegments(dir, config, opts.cleanShutdown, say, stats, nowMs);
    return new PartitionLog(dir, config, segments, report, stats, say);
  }

  setConfig(config: LogConfig): void {
    assertLogConfig(config);
    this.config = config;
  }

  /** Bytes written since the last sync(). */
  get unsyncedBytes(): number {
    return this.active.unsyncedBytes;
  }

  private assertOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `partition log ${this.dir} is closed`);
  }

  /**
   * Appends batches (already validated by the caller). Assigns offsets from
   * nextOffset by patching each batch's baseOffset in place, rolls first when a
   * batch would not fit the active segment (or it is older than segment.ms), and
   * writes with one writev per segment touched. Returns the first batch's offset.
   * On a write error the current segment's part is undone and KAFKA_STORAGE_ERROR
   * thrown; parts already written to earlier segments (a roll inside this call) stay.
   */
  append(batches: readonly Uint8Array[], nowMs: number): number {
    this.assertOpen();
    if (batches.length === 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'append: no batches');
    // Check every frame before anything is written, so a bad one changes nothing.
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (b.byteLength < BATCH_HEADER_BYTES || i32(b, OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES !== b.byteLength || i32(b, OFF_LAST_OFFSET_DELTA) < 0) {
        throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `append: batch ${i} is not a whole RecordBatch frame (${b.byteLength} bytes)`);
      }
    }
    const first = this.nextOffset;
    const interval = this.config.indexIntervalBytes;
    this.changes++;
    let seg = this.active;
    let groupStart = 0;
    let groupBytes = 0;
    seg.saveMark(this.mark);
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      const size = b.byteLength;
      const delta = i32(b, OFF_LAST_OFFSET_DELTA);
      if (this.shouldRoll(seg, groupBytes, size, delta, nowMs)) {
        if (groupBytes > 0) this.writeGroup(seg, batches, groupStart, i, groupBytes);
        this.roll();
        seg = this.active;
        seg.saveMark(this.mark);
        groupStart = i;
        groupBytes = 0;
      }
      const offset = this.nextOffset;
      // baseOffset lies outside the CRC: patching it keeps the batch valid.
      const hi = Math.floor(offset / TWO_POW_32);
      const lo = offset >>> 0;
      b[0] = hi >>> 24; b[1] = (hi >>> 16) & 0xff; b[2] = (hi >>> 8) & 0xff; b[3] = hi & 0xff;
      b[4] = lo >>> 24; b[5] = (lo >>> 16) & 0xff; b[6] = (lo >>> 8) & 0xff; b[7] = lo & 0xff;
      const maxTimestamp = i32(b, OFF_MAX_TIMESTAMP) * TWO_POW_32 + u32(b, OFF_MAX_TIMESTAMP + 4);
      if (seg.rollBaseMs < 0) seg.rollBaseMs = nowMs;
      seg.indexBatch(offset, offset + delta, maxTimestamp, seg.sizeBytes + groupBytes, size, interval);
      this.nextOffset = offset + delta + 1;
      groupBytes += size;
    }
    this.writeGroup(seg, batches, groupStart, batches.length, groupBytes);
    return first;
  }

  private shouldRoll(seg: Segment, pendingBytes: number, size: number, delta: number, nowMs: number): boolean {
    // A roll whose new segment could not be created (disk full) left a sealed one active: roll again.
    if (!seg.writable) return true;
    const used = seg.sizeBytes + pendingBytes;
    if (used === 0) return false; // a batch bigger than segment.bytes goes alone into an empty segment
    if (used + size > this.config.segmentBytes) return true;
    if (seg.rollBaseMs >= 0 && nowMs - seg.rollBaseMs > this.config.segmentMs) return true;
    if (this.nextOffset + delta - seg.baseOffset > SEGMENT_REL_OFFSET_MAX) return true;
    if (used + size > SEGMENT_BYTES_MAX) return true;
    return !seg.indexesHaveRoom(1);
  }

  private writeGroup(seg: Segment, batches: readonly Uint8Array[], from: number, to: number, bytes: number): void {
    try {
      seg.writeBatches(batches, from, to, bytes, this.say);
    } catch (err) {
      seg.restoreMark(this.mark);
      this.nextOffset = seg.nextOffset;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `write to ${seg.logPath} failed: ${(err as Error).message}`);
    }
  }

  /** Seals the active segment (synced, see segment.ts) and starts a new one at nextOffset. */
  private roll(): void {
    const old = this.active;
    try {
      old.seal(this.say);
    } catch (err) {
      throw new SyncFailedError(`seal of ${old.logPath} failed: ${(err as Error).message}`);
    }
    old.offsetLimit = this.nextOffset;
    const seg = Segment.create(this.dir, this.nextOffset, this.stats);
    this.segments.push(seg);
    this.active = seg;
    this.dirNeedsSync = true;
    this.rolls++;
    this.changes++;
    this.touch(old);
  }

  /** Forces a roll (tests, admin); a no-op on an empty active segment. */
  rollNow(): void {
    this.assertOpen();
    if (this.active.sizeBytes > 0) this.roll();
  }

  /** fdatasync of what was appended (and of the directory after a roll or delete). */
  sync(): void {
    this.assertOpen();
    try {
      this.active.syncLog();
      if (this.dirNeedsSync) {
        syncDir(this.dir);
        this.dirNeedsSync = false;
      }
    } catch (err) {
      throw new SyncFailedError(`sync of ${this.dir} failed: ${(err as Error).message}`);
    }
  }

  /**
   * What a sync by another thread must cover, by path: the active segment's log,
   * and the directory when a roll or delete changed it. fdatasync works on the file,
   * whichever descriptor names it, so a syncer thread opens these itself and this
   * shard stays free to roll or close its own descriptors meanwhile. Hands off the
   * directory sync: the caller must sync what it is given.
   */
  takeSyncTargets(): { logPath: string; dir: string | null } {
    this.assertOpen();
    const dir = this.dirNeedsSync ? this.dir : null;
    this.dirNeedsSync = false;
    return { logPath: this.active.logPath, dir };
  }

  private checkOffset(offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset || offset > this.nextOffset) {
      throw outOfRange(offset, this.logStartOffset, this.nextOffset);
    }
  }

  /** Marks a sealed segment most recently used; releases the least recently used beyond the bound. */
  private touch(seg: Segment): void {
    if (seg.writable || !seg.isOpen) return;
    const at = this.openSealed.indexOf(seg);
    if (at >= 0) this.openSealed.splice(at, 1);
    this.openSealed.push(seg);
    while (this.openSealed.length > SEALED_SEGMENTS_OPEN_MAX) this.openSealed.shift()!.release();
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** The segment and batch (into this.loc) holding `offset`, or null (offset = log end). */
  private locate(offset: number): Segment | null {
    for (let i = this.segmentIndexFor(offset); i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      const found = seg.findBatch(offset, this.loc, this.config.indexIntervalBytes, this.say);
      this.touch(seg);
      if (found) return seg;
    }
    return null;
  }

  /**
   * Bytes a read from the batch at this.loc returns: whole batches of one segment,
   * at most max(maxBytes, first batch). Offset-index entries sit on batch
   * boundaries, so all but the last ~index.interval.bytes are skipped, not walked.
   */
  private readSize(seg: Segment, maxBytes: number, maxOffset: number): number {
    const start = this.loc.position;
    let limit = start + Math.max(maxBytes, this.loc.sizeBytes);
    // The segment's end: exact where known, else the log's (an upper bound, so the
    // read_committed bound below is never skipped).
    const segEnd = seg === this.active ? this.nextOffset : seg.offsetLimit >= 0 ? seg.offsetLimit : seg.nextOffset >= 0 ? seg.nextOffset : this.nextOffset;
    this.lastReadEndOffset = segEnd;
    if (maxOffset < segEnd) {
      // read_committed: nothing at or past maxOffset (the last stable offset, always a
      // batch boundary, and past the first batch, which the caller checked).
      if (seg.findBatch(maxOffset, this.bound, this.config.indexIntervalBytes, this.say) && this.bound.position < limit) {
        limit = this.bound.position;
        this.lastReadEndOffset = maxOffset;
      }
    }
    if (limit >= seg.sizeBytes) return seg.sizeBytes - start;
    let pos = start + this.loc.sizeBytes;
    this.lastReadEndOffset = this.loc.lastOffset + 1;
    const oi = seg.offsetIndex!;
    const i = oi.lookupPosition(limit);
    if (i >= 0 && oi.positionAt(i) > pos) {
      pos = oi.positionAt(i);
      // Index entries name the base offset of the batch at their position.
      this.lastReadEndOffset = seg.baseOffset + oi.relAt(i);
    }
    const scanner = logScanner();
    scanner.reset(seg.fd, seg.sizeBytes, LOOKUP_CHUNK_BYTES);
    // Each pass moves ≥ 61 bytes toward `limit`.
    while (pos < limit) {
      if (scanner.readBatch(pos, this.walk, false) !== SCAN_OK) break;
      if (pos + this.walk.sizeBytes > limit) break;
      pos += this.walk.sizeBytes;
      this.lastReadEndOffset = this.walk.lastOffset + 1;
    }
    return pos - start;
  }

  /**
   * How many bytes read(offset, maxBytes) returns, without reading them. With
   * `maxOffset` (read_committed: the last stable offset), nothing at or past it.
   */
  sizeOfReadAt(offset: number, maxBytes: number, maxOffset = Number.MAX_SAFE_INTEGER): number {
    this.assertOpen();
    this.checkOffset(offset);
    this.lastReadEndOffset = offset;
    if (offset >= this.nextOffset || offset >= maxOffset) return 0;
    const seg = this.locate(offset);
    if (seg === null) return 0;
    return this.readSize(seg, Math.max(0, maxBytes), maxOffset);
  }

  /**
   * Locates what read(offset, maxBytes) returns, once, and remembers it for
   * readPlanned(): its size (0 at the log end; with `maxOffset`, read_committed's
   * last stable offset, nothing at or past it), from the segment file at
   * plannedFd()/plannedPosition(). The plan holds until the next call on this log
   * (any call may move sealed segments' descriptors).
   */
  planRead(offset: number, maxBytes: number, maxOffset = Number.MAX_SAFE_INTEGER): number {
    this.assertOpen();
    this.checkOffset(offset);
    this.planSeg = null;
    this.planSize = 0;
    this.lastReadEndOffset = offset;
    if (offset >= this.nextOffset || offset >= maxOffset) return 0;
    const seg = this.locate(offset);
    if (seg === null) return 0;
    this.planSize = this.readSize(seg, Math.max(0, maxBytes), maxOffset);
    this.planSeg = seg;
    this.planPos = this.loc.position;
    this.planFirstBase = this.loc.baseOffset;
    this.planEnd = this.lastReadEndOffset;
    return this.planSize;
  }

  /** The descriptor of the planned read's segment file (valid until the next call on this log). */
  plannedFd(): number {
    if (this.planSeg === null) invariantFailed('plannedFd: no read planned');
    return this.planSeg.fd;
  }

  /**
   * Offsets the planned read spans: from its first batch's base offset to the end
   * of its last batch (what the records count is, short of compaction gaps), without
   * reading the batches in between.
   */
  plannedOffsetsSpanned(): number {
    if (this.planSeg === null) invariantFailed('plannedOffsetsSpanned: no read planned');
    return Math.max(0, this.planEnd - this.planFirstBase);
  }

  /** The file position of the planned read. */
  plannedPosition(): number {
    if (this.planSeg === null) invariantFailed('plannedPosition: no read planned');
    return this.planPos;
  }

  /** Reads the planned bytes into `target` at `targetPos` (the whole planned size). */
  readPlanned(target: Uint8Array, targetPos: number): void {
    const seg = this.planSeg;
    if (seg === null) invariantFailed('readPlanned: no read planned');
    if (!Number.isInteger(targetPos) || targetPos < 0 || targetPos + this.planSize > target.byteLength) {
      throw new RangeError(`readPlanned: ${this.planSize} bytes at ${targetPos} do not fit the target (${target.byteLength} bytes)`);
    }
    const got = readFully(seg.fd, target, targetPos, this.planSize, this.planPos);
    if (got !== this.planSize) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${seg.logPath}: read ${got} of ${this.planSize} bytes at position ${this.planPos}`);
    }
  }

  /**
   * Stored bytes from the batch holding `offset`: whole batches, up to maxBytes,
   * the first one whole even if bigger (Kafka's rule), from one segment. Empty at
   * the log end; OFFSET_OUT_OF_RANGE outside [logStartOffset, nextOffset].
   */
  read(offset: number, maxBytes: number): Uint8Array {
    this.assertOpen();
    this.checkOffset(offset);
    this.lastReadEndOffset = offset;
    if (offset === this.nextOffset) return new Uint8Array(0);
    const seg = this.locate(offset);
    if (seg === null) return new Uint8Array(0);
    const size = this.readSize(seg, Math.max(0, maxBytes), Number.MAX_SAFE_INTEGER);
    const out = Buffer.allocUnsafeSlow(size);
    this.readExactly(seg, out, 0, size);
    return out;
  }

  /**
   * read() into `target` at `targetPos` (e.g. a SharedArrayBuffer ring). Returns the
   * bytes written — the same as sizeOfReadAt(offset, maxBytes) when they fit — or
   * -(first batch size) when even the first batch does not fit the room left.
   */
  readInto(offset: number, maxBytes: number, target: Uint8Array, targetPos: number, maxOffset = Number.MAX_SAFE_INTEGER): number {
    this.assertOpen();
    this.checkOffset(offset);
    if (!Number.isInteger(targetPos) || targetPos < 0 || targetPos > target.byteLength) {
      throw new RangeError(`readInto: targetPos ${targetPos} outside the target (${target.byteLength} bytes)`);
    }
    this.lastReadEndOffset = offset;
    if (offset >= this.nextOffset || offset >= maxOffset) return 0;
    const seg = this.locate(offset);
    if (seg === null) return 0;
    const room = target.byteLength - targetPos;
    if (this.loc.sizeBytes > room) return -this.loc.sizeBytes;
    const size = this.readSize(seg, Math.min(Math.max(0, maxBytes), room), maxOffset);
    this.readExactly(seg, target, targetPos, size);
    return size;
  }

  private readExactly(seg: Segment, target: Uint8Array, targetPos: number, size: number): void {
    const got = readFully(seg.fd, target, targetPos, size, this.loc.position);
    if (got !== size) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${seg.logPath}: read ${got} of ${size} bytes at position ${this.loc.position}`);
    }
  }

  /**
   * The first batch whose maxTimestamp ≥ timestampMs: its baseOffset and that
   * maxTimestamp (batch granularity: storage never decodes records, so the offset
   * may name a batch whose first records are older). Null when there is none.
   */
  offsetForTimestamp(timestampMs: number): { offset: number; timestamp: number } | null {
    this.assertOpen();
    const interval = this.config.indexIntervalBytes;
    for (const seg of this.segments) {
      seg.ensureMeta(interval, this.say);
      this.touch(seg);
      if (seg.sizeBytes === 0 || seg.maxTimestamp < timestampMs) continue;
      const found = seg.findBatchByTimestamp(timestampMs, this.loc, interval, this.say);
      this.touch(seg);
      if (found) return { offset: Math.max(this.loc.baseOffset, this.logStartOffset), timestamp: this.loc.maxTimestamp };
    }
    return null;
  }

  /** The largest timestamp in the log and the baseOffset of the first batch holding it (ListOffsets MAX_TIMESTAMP). */
  maxTimestamp(): { offset: number; timestamp: number } | null {
    this.assertOpen();
    let best: { offset: number; timestamp: number } | null = null;
    for (const seg of this.segments) {
      seg.ensureMeta(this.config.indexIntervalBytes, this.say);
      this.touch(seg);
      if (seg.maxTimestamp >= 0 && (best === null || seg.maxTimestamp > best.timestamp)) {
        best = { offset: seg.offsetOfMaxTimestamp, timestamp: seg.maxTimestamp };
      }
    }
    return best;
  }

  /**
   * Deletes whole sealed segments by retention.ms and retention.bytes (retention.ts);
   * never the active one. Advances logStartOffset. Caller checks cleanup.policy.
   */
  applyRetention(nowMs: number): { segmentsDeleted: number; bytesDeleted: number; deletedFiles: string[] } {
    this.assertOpen();
    const none = { segmentsDeleted: 0, bytesDeleted: 0, deletedFiles: [] };
    if (this.segments.length <= 1 || (this.config.retentionMs < 0 && this.config.retentionBytes < 0)) return none;
    const infos: SegmentRetentionInfo[] = [];
    for (const seg of this.segments) {
      seg.ensureMeta(this.config.indexIntervalBytes, this.say);
      this.touch(seg);
      infos.push({ sizeBytes: seg.sizeBytes, maxTimestampMs: seg.maxTimestamp >= 0 ? seg.maxTimestamp : seg.mtimeMs });
    }
    const n = segmentsToDelete(infos, this.config, nowMs);
    if (n === 0) return none;
    let bytesDeleted = 0;
    const deletedFiles: string[] = [];
    for (let i = 0; i < n; i++) {
      const seg = this.segments[i]!;
      bytesDeleted += seg.sizeBytes;
      this.forget(seg);
      deletedFiles.push(...seg.detachFiles());
    }
    this.segments.splice(0, n);
    this.changes++;
    // A DeleteRecords start inside the new first segment stays where it was.
    this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset);
    this.dirNeedsSync = true;
    return { segmentsDeleted: n, bytesDeleted, deletedFiles };
  }

  /**
   * DeleteRecords: moves the log start offset up to `offset` (≤ the log end; an
   * offset at or below the current start changes nothing), checkpoints it durably,
   * then detaches the sealed segments that lie wholly below it (renamed `*.deleted`
   * like retention's; the caller has them unlinked). Reads below the new start are
   * OFFSET_OUT_OF_RANGE from here on, also after a restart.
   */
  deleteRecordsBefore(offset: number): { logStartOffset: number; deletedFiles: string[] } {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > this.nextOffset) throw outOfRange(offset, this.logStartOffset, this.nextOffset);
    if (offset <= this.logStartOffset) return { logStartOffset: this.logStartOffset, deletedFiles: [] };
    // Durable before it is visible: once a client hears the new low watermark, a
    // restart must not show the deleted records again.
    this.changes++;
    writeLogStartCheckpoint(this.dir, offset);
    this.logStartOffset = offset;
    // Segment i holds offsets below the next one's base: whole when that base ≤ offset.
    let n = 0;
    while (n < this.segments.length - 1 && this.segments[n + 1]!.baseOffset <= offset) n++;
    const deletedFiles: string[] = [];
    for (let i = 0; i < n; i++) {
      const seg = this.segments[i]!;
      this.forget(seg);
      deletedFiles.push(...seg.detachFiles());
    }
    if (n > 0) {
      this.segments.splice(0, n);
      this.dirNeedsSync = true;
    }
    return { logStartOffset: this.logStartOffset, deletedFiles };
  }

  /** Base offset of the active segment: compaction's dirty range ends here. */
  activeBaseOffset(): number {
    return this.active.baseOffset;
  }

  /** The sealed segments (all but the active one), oldest first, with their sizes: what compaction may clean. */
  sealedSegments(): Array<{ baseOffset: number; sizeBytes: number }> {
    this.assertOpen();
    const out: Array<{ baseOffset: number; sizeBytes: number }> = [];
    for (let i = 0; i < this.segments.length - 1; i++) {
      const seg = this.segments[i]!;
      seg.ensureSize();
      out.push({ baseOffset: seg.baseOffset, sizeBytes: seg.sizeBytes });
    }
    return out;
  }

  /**
   * Swaps in compaction's cleaned copies (`<base>.log.cleaned`, written and synced by
   * the maintenance pool). A copy is swapped only if its segment is still here, sealed,
   * and the size the cleaner read; otherwise (retention deleted it, or it changed) the
   * copy is removed. A swap closes the segment, removes its indexes, then renames the
   * copy over the log (atomic) and rebuilds the indexes from it. A crash before the
   * rename leaves the original log (its indexes are rebuilt, the copy removed at open);
   * after it, the cleaned log. Offsets, logStartOffset and nextOffset do not change.
   */
  swapCleaned(cleaned: ReadonlyArray<{ baseOffset: number; sizeBytes: number }>): { swapped: number; bytesBefore: number; bytesAfter: number } {
    this.assertOpen();
    this.changes++;
    const out = { swapped: 0, bytesBefore: 0, bytesAfter: 0 };
    for (const c of cleaned.slice(0, this.segments.length)) {
      const i = this.segmentIndexFor(c.baseOffset);
      const seg = this.segments[i];
      const copy = path.join(this.dir, segmentFileName(c.baseOffset, LOG_SUFFIX) + CLEANED_SUFFIX);
      if (seg === undefined || seg.baseOffset !== c.baseOffset || seg.writable || i === this.segments.length - 1) {
        fs.rmSync(copy, { force: true });
        continue;
      }
      seg.ensureSize();
      if (seg.sizeBytes !== c.sizeBytes) {
        fs.rmSync(copy, { force: true });
        continue;
      }
      let copyBytes: number;
      try {
        copyBytes = fs.statSync(copy).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      this.forget(seg);
      seg.closeFds();
      // Indexes first: a crash then leaves the original log with no indexes (rebuilt at
      // use), never the cleaned log with the old log's positions.
      fs.rmSync(seg.indexPath, { force: true });
      fs.rmSync(seg.timeIndexPath, { force: true });
      fs.renameSync(copy, seg.logPath);
      const fresh = Segment.lazy(this.dir, seg.baseOffset, this.stats);
      fresh.offsetLimit = this.segments[i + 1]!.baseOffset;
      this.segments[i] = fresh;
      // Rebuilt now, quietly: a missing index is expected here, not news for the log.
      fresh.ensureIndexes(this.config.indexIntervalBytes, () => {});
      this.touch(fresh);
      out.swapped++;
      out.bytesBefore += c.sizeBytes;
      out.bytesAfter += copyBytes;
    }
    if (out.swapped > 0) syncDir(this.dir);
    return out;
  }

  private forget(seg: Segment): void {
    const at = this.openSealed.indexOf(seg);
    if (at >= 0) this.openSealed.splice(at, 1);
  }

  /**
   * Removes every batch from the one holding `offset` on (the cut is at a batch
   * boundary, so nextOffset becomes that batch's baseOffset, which may be < offset).
   * A no-op at or past the log end; OFFSET_OUT_OF_RANGE below logStartOffset.
   */
  truncateTo(offset: number): void {
    this.assertOpen();
    if (offset >= this.nextOffset) return;
    if (!Number.isSafeInteger(offset) || offset < this.logStartOffset) throw outOfRange(offset, this.logStartOffset, this.nextOffset);
    this.changes++;
    const interval = this.config.indexIntervalBytes;
    const i = this.segmentIndexFor(offset);
    const seg = this.segments[i]!;
    const found = seg.findBatch(offset, this.loc, interval, this.say);
    for (let j = this.segments.length - 1; j > i; j--) {
      const gone = this.segments[j]!;
      this.forget(gone);
      gone.deleteFiles();
    }
    this.segments.length = i + 1;
    this.forget(seg);
    seg.makeActive(interval, this.say);
    seg.txnIndex.truncateTo(found ? this.loc.baseOffset : offset);
    this.active = seg;
    if (found) {
      const cutRel = this.loc.baseOffset - seg.baseOffset;
      seg.truncateFile(this.loc.position);
      const oi = seg.offsetIndex!;
      const ti = seg.timeIndex!;
      oi.truncateAtPosition(this.loc.position);
      ti.truncateAtRel(cutRel);
      const lastRel = oi.count > 0 ? oi.relAt(oi.count - 1) : 0;
      const entry = ti.count > 0 ? oi.lookup(Math.min(ti.lastRel(), lastRel)) : -1;
      seg.replayFrom(entry, false, false, interval);
    } else {
      seg.replayFrom(seg.offsetIndex!.count - 1, true, false, interval);
    }
    seg.rollBaseMs = seg.sizeBytes > 0 ? seg.rollBaseMs : -1;
    seg.writeIndexFilesWhole();
    seg.syncAll();
    this.nextOffset = seg.nextOffset;
    this.dirNeedsSync = true;
  }

  /** Bytes on disk (logs only). */
  sizeBytes(): number {
    let total = 0;
    for (const seg of this.segments) {
      seg.ensureSize();
      total += seg.sizeBytes;
    }
    return total;
  }

  segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Sealed segments whose fd is open now (laziness and its bound are observable). */
  openSealedCount(): number {
    let n = 0;
    for (const seg of this.segments) if (!seg.writable && seg.isOpen) n++;
    return n;
  }

  /**
   * Producer-state rebuild at open (src/shard/producer-state.ts): fills `out` with the
   * idempotence fields of each stored batch header and calls `visit`, in log order, up
   * to the log end. Headers only (producer-snapshot.ts walkBatchHeaders): records are
   * never read or decoded, so compressed batches cost the same as plain ones.
   * - fromOffset ≥ 0 (replay after a snapshot): from the batch holding
   *   max(fromOffset, logStartOffset). Returns null, visiting nothing, when more than
   *   budgetBytes lie after it.
   * - fromOffset < 0 (no snapshot): the last ~budgetBytes. Whole segments are taken
   *   from the newest back while they fit the budget; in the segment where it runs out
   *   the scan starts at the offset-index entry at or before the budget's position (a
   *   batch boundary), so at most one index interval more is read. The index makes the
   *   start cheap, where walking whole (up to 1 GiB) segments would not be bounded.
   * A malformed frame throws KAFKA_STORAGE_ERROR (the caller then starts empty).
   */
  visitBatchHeaders(fromOffset: number, budgetBytes: number, out: ProducerBatchHeader, visit: (h: ProducerBatchHeader) => void): { batches: number; bytes: number } | null {
    this.assertOpen();
    const interval = this.config.indexIntervalBytes;
    let first: number;
    let startPos = 0;
    if (fromOffset >= 0) {
      const from = Math.max(fromOffset, this.logStartOffset);
      if (from >= this.nextOffset) return { batches: 0, bytes: 0 };
      first = this.segmentIndexFor(from);
      const seg = this.segments[first]!;
      if (seg.findBatch(from, this.loc, interval, this.say)) startPos = this.loc.position;
      else startPos = -1; // nothing at or after `from` here: the next segment from its start
      this.touch(seg);
      let bytes = 0;
      for (let i = first; i < this.segments.length; i++) {
        const s = this.segments[i]!;
        s.ensureSize();
        bytes += i === first ? Math.max(0, s.sizeBytes - Math.max(0, startPos)) : s.sizeBytes;
      }
      if (bytes > budgetBytes) return null;
      if (startPos < 0) {
        first++;
        startPos = 0;
      }
    } else {
      let remaining = Math.max(0, budgetBytes);
      first = this.segments.length - 1;
      for (; first > 0; first--) {
        const s = this.segments[first]!;
        s.ensureSize();
        if (s.sizeBytes >= remaining) break;
        remaining -= s.sizeBytes;
      }
      const seg = this.segments[first]!;
      seg.ensureSize();
      if (seg.sizeBytes > remaining) {
        seg.ensureIndexes(interval, this.say);
        this.touch(seg);
        const oi = seg.offsetIndex!;
        const j = oi.lookupPosition(seg.sizeBytes - remaining);
        startPos = j >= 0 ? oi.positionAt(j) : 0;
      }
    }
    let batches = 0;
    let bytes = 0;
    for (let i = first; i < this.segments.length; i++) {
      const seg = this.segments[i]!;
      seg.ensureOpen();
      this.touch(seg);
      const pos = i === first ? startPos : 0;
      const r = walkBatchHeaders(seg.fd, pos, seg.sizeBytes, out, visit);
      batches += r.batches;
      bytes += seg.sizeBytes - pos;
      if (r.problem !== '') throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${seg.logPath}: ${r.problem}`);
    }
    return { batches, bytes };
  }

  /**
   * Records an aborted transaction in the index of the segment holding its marker
   * (`e.lastOffset`), unless that index has it already (a rebuild at open replays
   * markers the index may hold). An entry added to a sealed segment (its marker was
   * written just before a roll) is synced at once: sealed segments are trusted.
   * Returns whether it was added.
   */
  addAbortedTxn(e: AbortedTxn): boolean {
    this.assertOpen();
    if (e.lastOffset < this.logStartOffset || e.lastOffset >= this.nextOffset) return false;
    const seg = this.segments[this.segmentIndexFor(e.lastOffset)]!;
    if (e.lastOffset <= seg.txnIndex.lastOffset()) return false;
    this.changes++;
    seg.txnIndex.append(e);
    if (!seg.writable) seg.txnIndex.sync();
    return true;
  }

  /**
   * The aborted transactions a read_committed fetch of [fetchOffset, upperBoundOffset)
   * must report (Kafka's collectAbortedTransactions): from the segment holding
   * fetchOffset on, until an entry shows that no later marker can matter.
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): AbortedTxn[] {
    this.assertOpen();
    const out: AbortedTxn[] = [];
    if (upperBoundOffset <= fetchOffset) return out;
    for (let i = this.segmentIndexFor(fetchOffset); i < this.segments.length; i++) {
      if (this.segments[i]!.txnIndex.collect(fetchOffset, upperBoundOffset, out)) break;
    }
    return out;
  }

  /** Every aborted-transaction entry of the log, oldest first (compaction, tests). */
  abortedTxns(): AbortedTxn[] {
    this.assertOpen();
    const out: AbortedTxn[] = [];
    for (const seg of this.segments) out.push(...seg.txnIndex.all());
    return out;
  }

  /**
   * True when the files may differ from what open found: something was written,
   * removed or swapped since, or the open itself had to repair the active segment.
   */
  get changedSinceOpen(): boolean {
    const r = this.recovery;
    return this.changes > 0 || r.scanned || r.indexRebuilt || r.truncatedAtPosition >= 0;
  }

  /**
   * What close() writes, without syncing it (the active segment's final time entry and
   * indexes): a shard closing every partition writes all of them, flushes the file
   * system once, and then each close's syncs find nothing left to write.
   */
  prepareClose(): void {
    if (this.closed || !this.changedSinceOpen) return;
    this.active.prepareClose(this.say);
  }

  /**
   * Closes the log: the active segment's closing writes (its final time-index entry
   * makes the next clean open exact), then (unless
   * `alreadyDurable`: prepareClose ran and a trusted file-system sync followed it) the
   * fdatasyncs of its files and the directory's fsync. Throws KAFKA_STORAGE_ERROR when
   * a write or sync fails; the descriptors are closed either way.
   */
  close(alreadyDurable = false): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.changedSinceOpen) {
      // Nothing to write or sync (see `changes`); the descriptors only.
      for (const seg of this.segments) seg.closeFds();
      this.openSealed.length = 0;
      return;
    }
    let failure: unknown = null;
    try {
      this.active.closeClean(this.say, alreadyDurable);
    } catch (err) {
      failure = err;
    }
    for (const seg of this.segments) seg.closeFds();
    this.openSealed.length = 0;
    if (this.dirNeedsSync && !alreadyDurable) {
      try {
        syncDir(this.dir);
      } catch (err) {
        failure ??= err;
      }
    }
    if (failure !== null) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `close of ${this.dir} failed: ${(failure as Error).message}`);
  }

  /**
   * Closes and removes the directory. It is first renamed to `<dir>.deleting`
   * (atomic), so a crash mid-way leaves a name that is not a partition directory.
   */
  delete(): void {
    try {
      this.close();
    } catch {
      // Deleting anyway: the data is going.
    }
    deletePartitionDir(this.dir);
  }
}

/**
 * Removes a partition directory that no log has open: first renamed to
 * `<dir>.deleting` (atomic), so a crash mid-way leaves a name that is not a
 * partition directory.
 */
export function deletePartitionDir(dir: string): void {
  const tomb = `${dir}.deleting`;
  fs.rmSync(tomb, { recursive: true, force: true });
  if (!fs.existsSync(dir)) return;
  fs.renameSync(dir, tomb);
  fs.rmSync(tomb, { recursive: true, force: true });
}
