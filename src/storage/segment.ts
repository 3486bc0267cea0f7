// One segment of a partition log: `<20-digit baseOffset>.log` + `.index` + `.timeindex`.
// Owns: the segment's file descriptors, its size/offset/timestamp bookkeeping, its
// two indexes (loaded lazily for sealed segments), lookups by offset and by time,
// replaying the log into the indexes (rebuilds, recovery), sealing and deleting.
// Must not decide when to roll, what to retain or what to recover (partition-log.ts,
// retention.ts, recovery.ts), and must not decode records.
//
// A sealed segment is immutable and trusted: at roll its log and indexes were
// fdatasynced before the next segment's file was created, so after a crash every
// segment but the last is whole. Only the active (last) segment is written.

import fs from 'node:fs';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { OFFSET_INDEX_ENTRIES_MAX, OffsetIndex, writeFully } from './offset-index.js';
import { TIME_INDEX_ENTRIES_MAX, TIME_INDEX_ENTRY_BYTES, TimeIndex } from './time-index.js';
import { LOOKUP_CHUNK_BYTES, SCAN_CHUNK_BYTES, SCAN_END, SCAN_OK, logScanner, newBatchInfo } from './log-scanner.js';
import type { BatchInfo } from './log-scanner.js';
import { invariantFailed } from '../wire/assert.js';
import { TxnIndex } from './txn-index.js';

/** Read-write, created (empty) when missing, never truncated. */
const OPEN_OR_CREATE_RW = fs.constants.O_RDWR | fs.constants.O_CREAT;

/** Counters that prove laziness and recovery behaviour in tests and stats. */
export interface StorageStats {
  /** Log file descriptors opened (the active segment's included). */
  logFdOpens: number;
  /** Index pairs loaded from disk. */
  indexLoads: number;
  /** Index pairs rebuilt from the log. */
  indexRebuilds: number;
  /** Batches whose CRC was checked by recovery. */
  batchesValidated: number;
}

export function newStorageStats(): StorageStats {
  return { logFdOpens: 0, indexLoads: 0, indexRebuilds: 0, batchesValidated: 0 };
}

export const LOG_SUFFIX = '.log';
export const INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
/** Aborted transactions whose ABORT marker is in the segment (txn-index.ts); only present once there is one. */
export const TXN_INDEX_SUFFIX = '.txnindex';
/** Suffix of a compaction's cleaned copy of a log, waiting to be swapped in (compaction.ts). */
export const CLEANED_SUFFIX = '.cleaned';
const NAME_RE = /^(\d{20})\.(log|index|timeindex|txnindex)$/;
/** Offsets inside a segment are u32 relative to its base (index entries). */
export const SEGMENT_REL_OFFSET_MAX = 0xffff_ffff - 1;
/** Positions inside a segment are u32 (index entries). */
export const SEGMENT_BYTES_MAX = 0xffff_ffff;
/** Linux IOV_MAX: buffers per writev call. */
export const IOV_MAX = 1024;
/** Stop status of a replay whose offsets go backwards or overflow the segment. */
export const SCAN_BAD_OFFSETS = 4;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(20, '0') + suffix;
}

/** Parses `00000000000000001234.log` → { baseOffset: 1234, kind: 'log' }, else null. */
export function parseSegmentFileName(name: string): { baseOffset: number; kind: 'log' | 'index' | 'timeindex' | 'txnindex' } | null {
  const m = NAME_RE.exec(name);
  if (m === null) return null;
  const baseOffset = Number(m[1]);
  if (!Number.isSafeInteger(baseOffset)) return null;
  return { baseOffset, kind: m[2] as 'log' | 'index' | 'timeindex' | 'txnindex' };
}

function storageError(message: string, cause?: unknown): KafkaError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, message + detail);
}

function readFileOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function unlinkIfExists(file: string): void {
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

/** What a replay of the log (rebuild, recovery, clean-open tail walk) found. */
export interface ReplayResult {
  startPosition: number;
  /** First byte not accepted: the new end of the log if it is below the file size. */
  endPosition: number;
  batches: number;
  /** SCAN_END when the log ended cleanly, else why it stopped (SCAN_TORN/SCAN_BAD). */
  stopStatus: number;
  problem: string;
}

/** Saved mutable state, to undo a failed write. */
export interface SegmentMark {
  sizeBytes: number;
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  bytesSinceIndexEntry: number;
  indexCount: number;
  timeIndexCount: number;
  rollBaseMs: number;
}

export function newSegmentMark(): SegmentMark {
  return { sizeBytes: 0, nextOffset: 0, maxTimestamp: -1, offsetOfMaxTimestamp: -1, bytesSinceIndexEntry: 0, indexCount: 0, timeIndexCount: 0, rollBaseMs: -1 };
}

export class Segment {
  readonly baseOffset: number;
  readonly logPath: string;
  readonly indexPath: string;
  readonly timeIndexPath: string;
  readonly txnIndexPath: string;
  /** Aborted transactions whose marker is here; loaded at first use. */
  readonly txnIndex: TxnIndex;
  private readonly stats: StorageStats;

  /** Log file descriptor, -1 while a sealed segment is not opened yet. */
  fd = -1;
  /** True for the active segment (log and index fds opened read-write). */
  writable = false;
  /** Bytes of log; -1 until known (sealed segments are listed without a stat). */
  sizeBytes = -1;
  /** One past the last offset; exact for the active segment, -1 until a sealed one is scanned. */
  nextOffset = -1;
  /** For a sealed segment: the next segment's baseOffset (an upper bound on its offsets); -1 for the active one. */
  offsetLimit = -1;
  /** Largest batch maxTimestamp and the baseOffset of the first batch holding it; valid when metaLoaded. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  metaLoaded = false;
  /** File mtime, for retention of segments without timestamps (as Kafka does). */
  mtimeMs = -1;
  /** When the first batch went in (segment.ms counts from here); -1 while empty. */
  rollBaseMs = -1;
  bytesSinceIndexEntry = 0;
  offsetIndex: OffsetIndex | null = null;
  timeIndex: TimeIndex | null = null;
  private indexFd = -1;
  private timeIndexFd = -1;
  /** Bytes written since the last fdatasync of the log. */
  unsyncedBytes = 0;
  private readonly scratchInfo: BatchInfo = newBatchInfo();

  private constructor(dir: string, baseOffset: number, stats: StorageStats) {
    if (!Number.isSafeInteger(baseOffset) || baseOffset < 0) invariantFailed(`segment: bad baseOffset ${baseOffset}`);
    this.baseOffset = baseOffset;
    this.logPath = path.join(dir, segmentFileName(baseOffset, LOG_SUFFIX));
    this.indexPath = path.join(dir, segmentFileName(baseOffset, INDEX_SUFFIX));
    this.timeIndexPath = path.join(dir, segmentFileName(baseOffset, TIME_INDEX_SUFFIX));
    this.txnIndexPath = path.join(dir, segmentFileName(baseOffset, TXN_INDEX_SUFFIX));
    this.txnIndex = new TxnIndex(this.txnIndexPath);
    this.stats = stats;
  }

  /** Creates a new, empty, writable segment (fails if its log file exists). */
  static create(dir: string, baseOffset: number, stats: StorageStats): Segment {
    const seg = new Segment(dir, baseOffset, stats);
    const created: string[] = [];
    try {
      seg.fd = fs.openSync(seg.logPath, 'wx+');
      created.push(seg.logPath);
      stats.logFdOpens++;
      seg.indexFd = fs.openSync(seg.indexPath, 'w+');
      created.push(seg.indexPath);
      seg.timeIndexFd = fs.openSync(seg.timeIndexPath, 'w+');
    } catch (err) {
      seg.closeFds();
      // What this call created goes, so the retry (a roll once the disk has room) can create it.
      for (const p of created) fs.rmSync(p, { force: true });
      throw storageError(`cannot create segment ${seg.logPath}`, err);
    }
    seg.writable = true;
    seg.sizeBytes = 0;
    seg.nextOffset = baseOffset;
    seg.offsetIndex = new OffsetIndex();
    seg.timeIndex = new TimeIndex();
    seg.metaLoaded = true;
    return seg;
  }

  /** A segment known by name only: nothing is opened or read until it is used. */
  static lazy(dir: string, baseOffset: number, stats: StorageStats): Segment {
    return new Segment(dir, baseOffset, stats);
  }

  get isOpen(): boolean {
    return this.fd >= 0;
  }

  /** Opens the log fd (read-only for sealed, read-write for the active segment) and learns its size. */
  ensureOpen(writable = false): void {
    if (this.fd >= 0) return;
    try {
      this.fd = fs.openSync(this.logPath, writable ? 'r+' : 'r');
    } catch (err) {
      throw storageError(`cannot open ${this.logPath}`, err);
    }
    this.stats.logFdOpens++;
    const st = fs.fstatSync(this.fd);
    this.sizeBytes = st.size;
    this.mtimeMs = st.mtimeMs;
    if (writable) this.writable = true;
  }

  /**
   * Opens the index files read-write (active segment only), creating a missing one empty:
   * O_RDWR|O_CREAT in one open, where 'r+' or 'w+' after an existsSync cost two syscalls
   * (twice per partition at start).
   */
  openIndexFds(): void {
    if (this.indexFd < 0) this.indexFd = fs.openSync(this.indexPath, OPEN_OR_CREATE_RW);
    if (this.timeIndexFd < 0) this.timeIndexFd = fs.openSync(this.timeIndexPath, OPEN_OR_CREATE_RW);
  }

  /**
   * Loads both indexes of a sealed segment (validated against the log); a missing or
   * damaged one is rebuilt from the log and rewritten. Trusts the log (it was synced).
   */
  ensureIndexes(indexIntervalBytes: number, log: (msg: string) => void): void {
    if (this.offsetIndex !== null && this.timeIndex !== null) return;
    this.ensureOpen();
    this.stats.indexLoads++;
    const relEnd = this.offsetLimit >= 0 ? this.offsetLimit - this.baseOffset : -1;
    const loaded = this.loadIndexFiles(this.sizeBytes, relEnd);
    if (typeof loaded === 'string') {
      log(`${this.logPath}: ${loaded}; rebuilding the indexes from the log`);
      const r = this.rebuildIndexes(indexIntervalBytes, false);
      if (r.stopStatus !== SCAN_END) {
        // A sealed segment was synced before the next one existed: damage here is not a torn write.
        log(`${this.logPath}: log damaged at position ${r.endPosition} (${r.problem}); serving only the ${r.batches} batches before it`);
      }
      this.writeIndexFilesWhole();
    } else {
      this.offsetIndex = loaded.offsetIndex;
      this.timeIndex = loaded.timeIndex;
      this.maxTimestamp = this.timeIndex.lastTimestamp();
      this.offsetOfMaxTimestamp = this.timeIndex.count > 0 ? this.baseOffset + this.timeIndex.lastRel() : -1;
    }
    this.metaLoaded = true;
  }

  /** Reads and validates both index files; a string names the first problem. */
  loadIndexFiles(logSizeBytes: number, relOffsetEnd: number): { offsetIndex: OffsetIndex; timeIndex: TimeIndex } | string {
    const ib = readFileOrNull(this.indexPath);
    if (ib === null) return `${path.basename(this.indexPath)} is missing`;
    const oi = OffsetIndex.decode(ib, logSizeBytes);
    if (typeof oi === 'string') return `${path.basename(this.indexPath)} is damaged (${oi})`;
    const tb = readFileOrNull(this.timeIndexPath);
    if (tb === null) return `${path.basename(this.timeIndexPath)} is missing`;
    const ti = TimeIndex.decode(tb, relOffsetEnd);
    if (typeof ti === 'string') return `${path.basename(this.timeIndexPath)} is damaged (${ti})`;
    return { offsetIndex: oi, timeIndex: ti };
  }

  /** Learns the log size with one stat (no fd) if not known yet. */
  ensureSize(): void {
    if (this.sizeBytes >= 0) return;
    try {
      const st = fs.statSync(this.logPath);
      this.sizeBytes = st.size;
      this.mtimeMs = st.mtimeMs;
    } catch (err) {
      throw storageError(`cannot stat ${this.logPath}`, err);
    }
  }

  /** Size, max timestamp and mtime, read as cheaply as possible (for retention and time lookups). */
  ensureMeta(indexIntervalBytes: number, log: (msg: string) => void): void {
    if (this.metaLoaded) return;
    if (this.sizeBytes < 0 || this.mtimeMs < 0) {
      try {
        const st = fs.statSync(this.logPath);
        this.sizeBytes = st.size;
        this.mtimeMs = st.mtimeMs;
      } catch (err) {
        throw storageError(`cannot stat ${this.logPath}`, err);
      }
    }
    // The last time-index entry holds the segment's largest timestamp (written at roll).
    let fd = -1;
    try {
      fd = fs.openSync(this.timeIndexPath, 'r');
      const size = fs.fstatSync(fd).size;
      if (size === 0) {
        this.maxTimestamp = -1;
        this.offsetOfMaxTimestamp = -1;
        this.metaLoaded = true;
      } else if (size % TIME_INDEX_ENTRY_BYTES === 0) {
        const b = Buffer.allocUnsafe(TIME_INDEX_ENTRY_BYTES);
        fs.readSync(fd, b, 0, TIME_INDEX_ENTRY_BYTES, size - TIME_INDEX_ENTRY_BYTES);
        const last = TimeIndex.decodeLast(b);
        const relEnd = this.offsetLimit >= 0 ? this.offsetLimit - this.baseOffset : Number.MAX_SAFE_INTEGER;
        if (last !== null && last.relOffset < relEnd) {
          this.maxTimestamp = last.timestamp;
          this.offsetOfMaxTimestamp = this.baseOffset + last.relOffset;
          this.metaLoaded = true;
        }
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw storageError(`cannot read ${this.timeIndexPath}`, err);
    } finally {
      if (fd >= 0) fs.closeSync(fd);
    }
    // Missing or damaged time index: load (and so rebuild) the indexes.
    if (!this.metaLoaded) this.ensureIndexes(indexIntervalBytes, log);
  }

  /**
   * Accounts one batch written (or replayed) at `position`: index entries every
   * `indexIntervalBytes` of log (Kafka's rule), time entries when the max grows.
   */
  indexBatch(baseOffset: number, lastOffset: number, maxTimestamp: number, position: number, sizeBytes: number, indexIntervalBytes: number): void {
    const oi = this.offsetIndex!;
    const ti = this.timeIndex!;
    let entryAdded = false;
    if (this.bytesSinceIndexEntry > indexIntervalBytes && !oi.isFull()) {
      oi.append(baseOffset - this.baseOffset, position);
      this.bytesSinceIndexEntry = 0;
      entryAdded = true;
    }
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = baseOffset;
    }
    if (entryAdded && this.maxTimestamp >= 0 && !ti.isFull()) ti.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
    this.bytesSinceIndexEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  /** Whether the indexes have room for `entries` more entries each (else the segment must roll). */
  indexesHaveRoom(entries: number): boolean {
    return this.offsetIndex!.count + entries <= OFFSET_INDEX_ENTRIES_MAX && this.timeIndex!.count + entries <= TIME_INDEX_ENTRIES_MAX;
  }

  saveMark(m: SegmentMark): void {
    m.sizeBytes = this.sizeBytes;
    m.nextOffset = this.nextOffset;
    m.maxTimestamp = this.maxTimestamp;
    m.offsetOfMaxTimestamp = this.offsetOfMaxTimestamp;
    m.bytesSinceIndexEntry = this.bytesSinceIndexEntry;
    m.indexCount = this.offsetIndex!.count;
    m.timeIndexCount = this.timeIndex!.count;
    m.rollBaseMs = this.rollBaseMs;
  }

  /** Undoes everything since `m` (a failed write): in memory and, best effort, on disk. */
  restoreMark(m: SegmentMark): void {
    this.nextOffset = m.nextOffset;
    this.maxTimestamp = m.maxTimestamp;
    this.offsetOfMaxTimestamp = m.offsetOfMaxTimestamp;
    this.bytesSinceIndexEntry = m.bytesSinceIndexEntry;
    this.offsetIndex!.truncateEntries(m.indexCount);
    this.timeIndex!.truncateEntries(m.timeIndexCount);
    this.rollBaseMs = m.rollBaseMs;
    this.sizeBytes = m.sizeBytes;
    try {
      fs.ftruncateSync(this.fd, m.sizeBytes);
    } catch {
      // The log is already failing; recovery truncates any torn tail at the next start.
    }
  }

  /**
   * Writes batches [from, to) at the end of the log with one writev (chunks of
   * IOV_MAX buffers), then the new index entries. `bytes` is their total size.
   */
  writeBatches(batches: readonly Uint8Array[], from: number, to: number, bytes: number, log: (msg: string) => void): void {
    if (!this.writable) invariantFailed(`segment ${this.logPath}: write to a sealed segment`);
    let position = this.sizeBytes;
    for (let i = from; i < to; i += IOV_MAX) {
      const end = Math.min(to, i + IOV_MAX);
      const chunk = from === 0 && end === batches.length && i === 0 ? batches : batches.slice(i, end);
      let chunkBytes = 0;
      for (const b of chunk) chunkBytes += b.byteLength;
      const written = fs.writevSync(this.fd, chunk as Uint8Array[], position);
      if (written !== chunkBytes) this.finishShortWrite(chunk, written, position);
      position += chunkBytes;
    }
    if (position - this.sizeBytes !== bytes) invariantFailed(`segment: wrote ${position - this.sizeBytes} bytes, expected ${bytes}`);
    this.sizeBytes = position;
    this.unsyncedBytes += bytes;
    this.flushIndexes(log);
  }

  private finishShortWrite(chunk: readonly Uint8Array[], written: number, position: number): void {
    let skip = written;
    let at = position + written;
    for (const b of chunk) {
      if (skip >= b.byteLength) {
        skip -= b.byteLength;
        continue;
      }
      const rest = b.subarray(skip);
      writeFully(this.fd, rest, rest.byteLength, at);
      at += rest.byteLength;
      skip = 0;
    }
  }

  /** Writes pending index entries. Failures are logged, not thrown: indexes are rebuildable. */
  flushIndexes(log: (msg: string) => void): void {
    if (this.indexFd < 0 || this.timeIndexFd < 0) return;
    try {
      this.offsetIndex!.flushTo(this.indexFd);
      this.timeIndex!.flushTo(this.timeIndexFd);
    } catch (err) {
      log(`${this.indexPath}: index write failed (${(err as Error).message}); will retry, and recovery rebuilds it`);
    }
  }

  /** Replaces both index files with the entries in memory. */
  writeIndexFilesWhole(): void {
    const oi = this.offsetIndex!;
    const ti = this.timeIndex!;
    if (this.indexFd >= 0 && this.timeIndexFd >= 0) {
      oi.rewrite(this.indexFd);
      ti.rewrite(this.timeIndexFd);
      return;
    }
    let fd = fs.openSync(this.indexPath, 'w');
    try {
      oi.rewrite(fd);
    } finally {
      fs.closeSync(fd);
    }
    fd = fs.openSync(this.timeIndexPath, 'w');
    try {
      ti.rewrite(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /**
   * Like writeIndexFilesWhole, for files whose bytes are known (`offsetIndexOnDisk`,
   * `timeIndexOnDisk`; null when the file was missing and created empty): each file is
   * left alone, appended to or rewritten, whichever makes it hold the entries in memory
   * (OffsetIndex.rewriteOver). Needs the index descriptors open.
   */
  writeIndexFilesOver(offsetIndexOnDisk: Uint8Array | null, timeIndexOnDisk: Uint8Array | null): void {
    if (this.indexFd < 0 || this.timeIndexFd < 0) invariantFailed(`segment ${this.logPath}: index files not open`);
    this.offsetIndex!.rewriteOver(this.indexFd, offsetIndexOnDisk);
    this.timeIndex!.rewriteOver(this.timeIndexFd, timeIndexOnDisk);
  }

  /** Rebuilds both indexes by replaying the whole log (validating CRCs if asked). */
  rebuildIndexes(indexIntervalBytes: number, validate: boolean): ReplayResult {
    this.stats.indexRebuilds++;
    this.offsetIndex = new OffsetIndex();
    this.timeIndex = new TimeIndex();
    return this.replayFrom(-1, false, validate, indexIntervalBytes);
  }

  /**
   * Replays the log from the offset-index entry `entry` (or from 0 when -1) to the
   * end of the file, re-deriving that entry and all after it, the time entries for
   * batches from there on (unless `keepTimeEntries`), nextOffset and maxTimestamp.
   * Stops at the first batch that fails the checks (with `validate`, the CRC too);
   * the caller truncates there. Requires the log fd and both indexes.
   */
  replayFrom(entry: number, keepTimeEntries: boolean, validate: boolean, indexIntervalBytes: number): ReplayResult {
    const oi = this.offsetIndex!;
    const ti = this.timeIndex!;
    const start = entry >= 0 ? oi.positionAt(entry) : 0;
    const startRel = entry >= 0 ? oi.relAt(entry) : 0;
    oi.truncateEntries(Math.max(entry, 0));
    if (!keepTimeEntries) ti.truncateAtRel(entry >= 0 ? startRel : 0);
    // Re-adding entry `entry` needs the byte count that made the original append add it.
    this.bytesSinceIndexEntry = entry >= 0 ? indexIntervalBytes + 1 : 0;
    this.maxTimestamp = ti.lastTimestamp();
    this.offsetOfMaxTimestamp = ti.count > 0 ? this.baseOffset + ti.lastRel() : -1;
    this.nextOffset = this.baseOffset + startRel;
    const result: ReplayResult = { startPosition: start, endPosition: start, batches: 0, stopStatus: SCAN_END, problem: '' };
    const scanner = logScanner();
    // A walk of headers from an index entry (a clean open) covers about one index interval
    // plus the last batch: read it in lookup-sized chunks. A 1 MiB chunk per header read
    // copied ~1 MiB per partition when batches were large (1,000 partitions: ~1 GB at start).
    scanner.reset(this.fd, this.sizeBytes, validate || entry < 0 ? SCAN_CHUNK_BYTES : LOOKUP_CHUNK_BYTES);
    const info = this.scratchInfo;
    let pos = start;
    // Each pass consumes ≥ 61 bytes, so the file size bounds the loop.
    while (pos < this.sizeBytes) {
      const status = scanner.readBatch(pos, info, validate);
      if (status !== SCAN_OK) {
        result.stopStatus = status;
        result.problem = scanner.problem;
        break;
      }
      if (validate) this.stats.batchesValidated++;
      const expectedMin = this.nextOffset;
      const firstAtEntry = pos === start && entry >= 0;
      if ((firstAtEntry && info.baseOffset !== this.baseOffset + startRel) || (!firstAtEntry && info.baseOffset < expectedMin)) {
        result.stopStatus = SCAN_BAD_OFFSETS;
        result.problem = `baseOffset ${info.baseOffset} where ${firstAtEntry ? 'the index says ' + (this.baseOffset + startRel) : 'at least ' + expectedMin + ' was expected'}`;
        break;
      }
      if (info.lastOffset - this.baseOffset > SEGMENT_REL_OFFSET_MAX) {
        result.stopStatus = SCAN_BAD_OFFSETS;
        result.problem = `offset ${info.lastOffset} does not fit a segment based at ${this.baseOffset}`;
        break;
      }
      this.indexBatch(info.baseOffset, info.lastOffset, info.maxTimestamp, pos, info.sizeBytes, indexIntervalBytes);
      pos += info.sizeBytes;
      result.batches++;
    }
    result.endPosition = pos;
    return result;
  }

  /** Cuts the log file at `position` (after a replay stopped there). */
  truncateFile(position: number): void {
    fs.ftruncateSync(this.fd, position);
    this.sizeBytes = position;
  }

  /**
   * Finds the first batch with lastOffset ≥ offset; fills `out` and returns true, or
   * false if the segment has none. Index lookup, then a header scan (no CRC).
   */
  findBatch(offset: number, out: BatchInfo, indexIntervalBytes: number, log: (msg: string) => void): boolean {
    this.ensureIndexes(indexIntervalBytes, log);
    const i = offset > this.baseOffset ? this.offsetIndex!.lookup(Math.min(offset - this.baseOffset, 0xffff_ffff)) : -1;
    return this.scanFor(i >= 0 ? this.offsetIndex!.positionAt(i) : 0, offset, -1, out);
  }

  /** Finds the first batch with maxTimestamp ≥ timestampMs (see time-index.ts). */
  findBatchByTimestamp(timestampMs: number, out: BatchInfo, indexIntervalBytes: number, log: (msg: string) => void): boolean {
    this.ensureIndexes(indexIntervalBytes, log);
    const j = this.timeIndex!.lastBefore(timestampMs);
    let start = 0;
    if (j >= 0) {
      const i = this.offsetIndex!.lookup(this.timeIndex!.relAt(j));
      if (i >= 0) start = this.offsetIndex!.positionAt(i);
    }
    return this.scanFor(start, -1, timestampMs, out);
  }

  /** Header scan from `position` for the first batch with lastOffset ≥ offset (or maxTimestamp ≥ ts when offset < 0). */
  private scanFor(position: number, offset: number, timestampMs: number, out: BatchInfo): boolean {
    const scanner = logScanner();
    scanner.reset(this.fd, this.sizeBytes, LOOKUP_CHUNK_BYTES);
    let pos = position;
    while (pos < this.sizeBytes) {
      const status = scanner.readBatch(pos, out, false);
      if (status === SCAN_END) return false;
      if (status !== SCAN_OK) throw storageError(`${this.logPath}: unreadable batch at position ${pos} (${scanner.problem})`);
      if (offset >= 0 ? out.lastOffset >= offset : out.maxTimestamp >= timestampMs) return true;
      pos += out.sizeBytes;
    }
    return false;
  }

  /** Reads the header of the batch at `position` (which must be a batch boundary). */
  batchAt(position: number, out: BatchInfo): boolean {
    const scanner = logScanner();
    scanner.reset(this.fd, this.sizeBytes, LOOKUP_CHUNK_BYTES);
    const status = scanner.readBatch(position, out, false);
    if (status === SCAN_END) return false;
    if (status !== SCAN_OK) throw storageError(`${this.logPath}: unreadable batch at position ${position} (${scanner.problem})`);
    return true;
  }

  /**
   * Makes this (active) segment sealed: a final time entry for its largest
   * timestamp, indexes written, and log + indexes fdatasynced, so that it can be
   * trusted without a scan after any later crash.
   */
  seal(log: (msg: string) => void): void {
    if (!this.writable) return;
    this.finalTimeEntry();
    this.flushIndexes(log);
    this.syncAll();
    this.txnIndex.sync();
    this.txnIndex.close();
    fs.closeSync(this.indexFd);
    fs.closeSync(this.timeIndexFd);
    this.indexFd = -1;
    this.timeIndexFd = -1;
    this.writable = false;
    this.metaLoaded = true;
  }

  /** Turns a sealed segment back into the writable active one (truncation only). */
  makeActive(indexIntervalBytes: number, log: (msg: string) => void): void {
    if (this.writable) return;
    this.ensureIndexes(indexIntervalBytes, log);
    this.closeFds();
    this.ensureOpen(true);
    this.openIndexFds();
    this.offsetLimit = -1;
  }

  /** Appends (maxTimestamp, offset) to the time index if the last entry does not say it yet. */
  finalTimeEntry(): void {
    if (this.maxTimestamp >= 0 && this.timeIndex !== null) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset);
  }

  /** fdatasync of the log (what acks=-1 and flush.* need). */
  syncLog(): void {
    if (this.fd >= 0 && this.unsyncedBytes > 0) fs.fdatasyncSync(this.fd);
    this.unsyncedBytes = 0;
  }

  /** fdatasync of the log and both indexes (at roll and close). */
  syncAll(): void {
    if (this.fd >= 0) fs.fdatasyncSync(this.fd);
    if (this.indexFd >= 0) fs.fdatasyncSync(this.indexFd);
    if (this.timeIndexFd >= 0) fs.fdatasyncSync(this.timeIndexFd);
    this.unsyncedBytes = 0;
  }

  /**
   * The writes of closeClean without its syncs (final time entry, indexes written), so
   * a caller closing many segments can flush the file system once before their syncs.
   * closeClean after it writes nothing more (both steps only add what is missing).
   */
  prepareClose(log: (msg: string) => void): void {
    if (this.writable && this.fd >= 0) {
      this.finalTimeEntry();
      this.flushIndexes(log);
    }
  }

  /**
   * Closes the active segment cleanly: final time entry, indexes written and synced.
   * `alreadyDurable`: prepareClose ran and a trusted file-system sync followed it
   * (file-system-sync.ts), so there is nothing left to write and no sync to wait for.
   */
  closeClean(log: (msg: string) => void, alreadyDurable = false): void {
    if (this.writable && this.fd >= 0) {
      this.finalTimeEntry();
      this.flushIndexes(log);
      if (!alreadyDurable) {
        this.syncAll();
        this.txnIndex.sync();
      }
    }
    this.closeFds();
  }

  /** Drops a sealed segment's fd and in-memory indexes (kept: size, timestamps). */
  release(): void {
    if (this.writable) return;
    this.closeFds();
    this.offsetIndex = null;
    this.timeIndex = null;
    this.txnIndex.release();
  }

  closeFds(): void {
    this.txnIndex.close();
    for (const fd of [this.fd, this.indexFd, this.timeIndexFd]) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // Closing is best effort: the fd is gone either way.
        }
      }
    }
    this.fd = -1;
    this.indexFd = -1;
    this.timeIndexFd = -1;
  }

  /**
   * Retention: renames the files to `<name>.deleted` (cheap, atomic) and returns the
   * new paths, so the unlink itself can run off the shard's thread (piscina). The
   * log goes first, like deleteFiles, so a crash leaves at worst orphan indexes.
   */
  detachFiles(): string[] {
    this.closeFds();
    this.offsetIndex = null;
    this.timeIndex = null;
    const out: string[] = [];
    this.txnIndex.release();
    for (const file of [this.logPath, this.indexPath, this.timeIndexPath, this.txnIndexPath]) {
      try {
        fs.renameSync(file, `${file}.deleted`);
        out.push(`${file}.deleted`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    return out;
  }

  /** Closes and removes the three files, the log first (orphan indexes are cleaned at open). */
  deleteFiles(): void {
    this.closeFds();
    this.offsetIndex = null;
    this.timeIndex = null;
    unlinkIfExists(this.logPath);
    unlinkIfExists(this.indexPath);
    unlinkIfExists(this.timeIndexPath);
    this.txnIndex.release();
    unlinkIfExists(this.txnIndexPath);
  }
}
