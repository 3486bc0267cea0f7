// Opening a partition directory, and recovering it after an unclean stop.
// Owns: listing segment files (names only), removing orphan index files and
// leftovers of retention (`*.deleted`) and compaction (`*.cleaned`), opening
// the active (last) segment cleanly or with a CRC scan of its tail, truncating a
// torn or corrupt tail, rebuilding damaged indexes, and the report of what it did.
// Must not write batches, roll, or apply retention (partition-log.ts).
//
// After an UNCLEAN stop the active segment's log is scanned with CRC-32C checks
// from a point the indexes vouch for: the offset-index entry at or before the
// batch named by the last time-index entry (so the largest timestamp is
// re-derived too). Every batch from there on is checked; the file is cut at the
// first one that is torn, fails its CRC, or breaks the offset order. When the
// indexes are missing or damaged, or the batch at the start point is bad, the whole
// segment is scanned and both indexes are rebuilt. A segment whose batches carry
// no timestamps (all -1) has no time entries and is always scanned whole.
// Bytes before the start point are trusted: the indexes are written after the log
// bytes they point at, and entries that point past the end of the file are dropped.
//
// After a CLEAN stop nothing is validated: the indexes (whole and synced at close)
// are loaded and only the batch headers after the last index entry are walked to
// find the log end. If that walk finds anything odd, the unclean path runs.
//
// Sealed segments are trusted (they were synced before the next one was created)
// and opened lazily, so opening costs one readdir plus the active segment's tail.

import fs from 'node:fs';
import path from 'node:path';
import { LOG_START_CHECKPOINT_FILE } from './log-start-checkpoint.js';
import { SNAPSHOT_SUFFIX } from './producer-snapshot.js';
import { OffsetIndex } from './offset-index.js';
import { TimeIndex } from './time-index.js';
import { SCAN_END } from './log-scanner.js';
import { CLEANED_SUFFIX, Segment, newStorageStats, parseSegmentFileName } from './segment.js';
import type { ReplayResult, StorageStats } from './segment.js';
import type { LogConfig } from './log-config.js';
import { openOffsetsAfterRecovery } from './open-offsets.js';
import type { OpenOffsets } from './open-offsets.js';

export interface RecoveryReport {
  dir: string;
  /** The caller said the previous stop was clean. */
  clean: boolean;
  /** The active segment's tail was CRC-scanned (false after a clean stop). */
  scanned: boolean;
  segments: number;
  activeSegment: string;
  /** Where the scan (or clean tail walk) started in the active log. */
  startPosition: number;
  bytesScanned: number;
  batchesValidated: number;
  /** Position the active log was cut at, or -1. */
  truncatedAtPosition: number;
  bytesTruncated: number;
  indexRebuilt: boolean;
  /** Orphan index files removed (their log was gone). */
  removedFiles: string[];
  /** Everything reported through `log`, in order. */
  messages: string[];
  logStartOffset: number;
  nextOffset: number;
  /**
   * recoverPartitionDir only: the offsets the partition will open with when they are
   * known without opening it (no transaction can be open at its end, open-offsets.ts);
   * null otherwise.
   */
  openOffsets: OpenOffsets | null;
}

export interface OpenedSegments {
  segments: Segment[];
  report: RecoveryReport;
  /** The directory's names as listed before opening (snapshots and the checkpoint among them; files recovery removed too). */
  listing: string[];
}

function newReport(dir: string, clean: boolean): RecoveryReport {
  return {
    dir, clean, scanned: false, segments: 0, activeSegment: '', startPosition: 0, bytesScanned: 0, batchesValidated: 0,
    truncatedAtPosition: -1, bytesTruncated: 0, indexRebuilt: false, removedFiles: [], messages: [], logStartOffset: 0, nextOffset: 0, openOffsets: null,
  };
}

/**
 * The names in `dir`, creating it (and its parents) when missing. An existing directory,
 * the common case at start, costs one readdir instead of mkdir -p's mkdir and stat first.
 */
function listOrCreate(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(dir, { recursive: true });
  return fs.readdirSync(dir);
}

/** Lists the base offsets of the segments in `dir` (ascending) and removes orphan index files; creates `dir` when missing. */
export function listSegments(dir: string, say: (msg: string) => void, report: RecoveryReport, listing: string[] = []): number[] {
  const logs = new Set<number>();
  const indexes: Array<{ name: string; baseOffset: number }> = [];
  for (const name of listOrCreate(dir)) {
    listing.push(name);
    if (name.endsWith('.deleted')) {
      // Detached by retention; its unlink (in the maintenance pool) did not finish.
      const file = path.join(dir, name);
      fs.rmSync(file, { force: true });
      report.removedFiles.push(file);
      continue;
    }
    if (name.endsWith(CLEANED_SUFFIX)) {
      // A compaction's output not swapped in yet: the original .log is intact until
      // the rename that swaps it, so the copy is simply dropped (cleaning is redone).
      const file = path.join(dir, name);
      fs.rmSync(file, { force: true });
      report.removedFiles.push(file);
      say(`${file}: unfinished compaction output; removed (the original segment is intact)`);
      continue;
    }
    // Not segments, and not recovery's business: the DeleteRecords checkpoint and the
    // idempotent-producer snapshots (each read by its own module).
    if (name === LOG_START_CHECKPOINT_FILE || name === `${LOG_START_CHECKPOINT_FILE}.tmp`) continue;
    if (name.endsWith(SNAPSHOT_SUFFIX) || name.endsWith(`${SNAPSHOT_SUFFIX}.tmp`)) continue;
    const parsed = parseSegmentFileName(name);
    if (parsed === null) {
      say(`${path.join(dir, name)}: not a segment file; ignored`);
      continue;
    }
    if (parsed.kind === 'log') logs.add(parsed.baseOffset);
    else indexes.push({ name, baseOffset: parsed.baseOffset });
  }
  for (const ix of indexes) {
    if (logs.has(ix.baseOffset)) continue;
    // The log goes first when a segment is deleted; a crash can leave its indexes.
    const file = path.join(dir, ix.name);
    fs.unlinkSync(file);
    report.removedFiles.push(file);
    say(`${file}: index without a log (an interrupted delete); removed`);
  }
  return [...logs].sort((a, b) => a - b);
}

/**
 * Opens the segments of `dir` (created if missing): sealed ones by name only, the
 * active one cleanly or through recovery. Returns them oldest first.
 */
export function openSegments(
  dir: string,
  config: Pick<LogConfig, 'indexIntervalBytes'>,
  clean: boolean,
  log: (msg: string) => void,
  stats: StorageStats,
  nowMs: number,
  /** False: a recovered active segment is written but not fdatasynced (the caller syncs the file system). */
  syncRecovered = true,
): OpenedSegments {
  const report = newReport(dir, clean);
  const say = (msg: string): void => {
    report.messages.push(msg);
    log(msg);
  };
  const listing: string[] = [];
  const bases = listSegments(dir, say, report, listing);
  const segments: Segment[] = [];
  if (bases.length === 0) {
    segments.push(Segment.create(dir, 0, stats));
  } else {
    for (let i = 0; i < bases.length - 1; i++) {
      const seg = Segment.lazy(dir, bases[i]!, stats);
      seg.offsetLimit = bases[i + 1]!;
      segments.push(seg);
    }
    const active = Segment.lazy(dir, bases[bases.length - 1]!, stats);
    segments.push(active);
    try {
      if (!clean || !openActiveClean(active, config.indexIntervalBytes, say, report)) {
        recoverActiveSegment(active, config.indexIntervalBytes, say, stats, report, syncRecovered);
      }
    } catch (err) {
      active.closeFds();
      throw err;
    }
    if (active.sizeBytes > 0) {
      const st = fs.fstatSync(active.fd);
      const bornMs = st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs;
      active.rollBaseMs = Math.min(bornMs, nowMs);
    }
  }
  const active = segments[segments.length - 1]!;
  report.segments = segments.length;
  report.activeSegment = active.logPath;
  report.logStartOffset = segments[0]!.baseOffset;
  report.nextOffset = active.nextOffset;
  return { segments, report, listing };
}

/**
 * The clean path: load the indexes and walk headers after the last index entry.
 * Returns false (having changed nothing that matters) when recovery must run instead.
 */
function openActiveClean(seg: Segment, indexIntervalBytes: number, say: (msg: string) => void, report: RecoveryReport): boolean {
  seg.ensureOpen(true);
  // Read before openIndexFds, which would create a missing file empty.
  const loaded = seg.loadIndexFiles(seg.sizeBytes, -1);
  if (typeof loaded === 'string') {
    say(`${seg.logPath}: ${loaded} after a clean stop; recovering`);
    return false;
  }
  seg.openIndexFds();
  seg.offsetIndex = loaded.offsetIndex;
  seg.timeIndex = loaded.timeIndex;
  const r = seg.replayFrom(loaded.offsetIndex.count - 1, true, false, indexIntervalBytes);
  report.startPosition = r.startPosition;
  if (r.stopStatus !== SCAN_END) {
    say(`${seg.logPath}: ${r.problem} at position ${r.endPosition} after a clean stop; recovering`);
    return false;
  }
  seg.flushIndexes(say);
  seg.metaLoaded = true;
  return true;
}

/** The unclean path for the active segment (see the module comment). */
export function recoverActiveSegment(
  seg: Segment,
  indexIntervalBytes: number,
  say: (msg: string) => void,
  stats: StorageStats,
  report: RecoveryReport,
  sync = true,
): void {
  seg.ensureOpen(true);
  report.scanned = true;
  const validatedBefore = stats.batchesValidated;
  const fileBytes = seg.sizeBytes;
  let problem = '';
  let oi: OffsetIndex | null = null;
  let ti: TimeIndex | null = null;
  const ib = readOrNull(seg.indexPath);
  if (ib === null) problem = `${path.basename(seg.indexPath)} is missing`;
  else {
    const d = OffsetIndex.decode(ib, Number.MAX_SAFE_INTEGER);
    if (typeof d === 'string') problem = `${path.basename(seg.indexPath)} is damaged (${d})`;
    else oi = d;
  }
  const tb = readOrNull(seg.timeIndexPath);
  if (tb === null) problem ||= `${path.basename(seg.timeIndexPath)} is missing`;
  else {
    const d = TimeIndex.decode(tb, -1);
    if (typeof d === 'string') problem ||= `${path.basename(seg.timeIndexPath)} is damaged (${d})`;
    else ti = d;
  }
  seg.openIndexFds(); // after reading: it creates missing files empty
  let r: ReplayResult;
  if (oi === null || ti === null || (ti.count === 0 && fileBytes > 0)) {
    if (problem !== '') say(`${seg.logPath}: ${problem}; rebuilding the indexes from the whole log`);
    report.indexRebuilt = true;
    r = seg.rebuildIndexes(indexIntervalBytes, true);
  } else {
    const before = oi.count;
    oi.truncateAtPosition(fileBytes);
    if (oi.count < before) say(`${seg.indexPath}: dropped ${before - oi.count} entries past the log end ${fileBytes}`);
    seg.offsetIndex = oi;
    seg.timeIndex = ti;
    const lastRel = oi.count > 0 ? oi.relAt(oi.count - 1) : 0;
    const entry = ti.count > 0 ? oi.lookup(Math.min(ti.lastRel(), lastRel)) : -1;
    r = seg.replayFrom(entry, false, true, indexIntervalBytes);
    if (entry >= 0 && r.batches === 0 && r.stopStatus !== SCAN_END) {
      say(`${seg.logPath}: the index points at position ${r.startPosition}, where ${r.problem}; rebuilding the indexes from the whole log`);
      report.indexRebuilt = true;
      r = seg.rebuildIndexes(indexIntervalBytes, true);
    }
  }
  report.startPosition = r.startPosition;
  report.bytesScanned = r.endPosition - r.startPosition;
  if (r.stopStatus !== SCAN_END) {
    const cut = fileBytes - r.endPosition;
    seg.truncateFile(r.endPosition);
    report.truncatedAtPosition = r.endPosition;
    report.bytesTruncated = cut;
    say(`${seg.logPath}: truncated at position ${r.endPosition}, cutting ${cut} bytes (${r.problem}); ` +
      `${r.batches} batches checked from position ${r.startPosition}, next offset ${seg.nextOffset}`);
  }
  // What the files hold is known (read above): write only what differs. The final time
  // entry a clean close adds goes in first, as the close that follows (the piscina task)
  // or a clean close and reopen would leave it, so a file the last close wrote matches.
  seg.finalTimeEntry();
  seg.writeIndexFilesOver(ib, tb);
  if (sync) seg.syncAll();
  seg.metaLoaded = true;
  report.batchesValidated = stats.batchesValidated - validatedBefore;
}

function readOrNull(file: string): Buffer | null {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Recovers one partition directory standalone (as after an unclean stop) and
 * closes it cleanly, so it can then be opened with `cleanShutdown: true` without
 * another scan. Synchronous and self-contained: fit for a piscina worker, one
 * partition per task (see src/storage/maintenance-tasks.ts).
 */
export function recoverPartitionDir(
  dir: string,
  config: Pick<LogConfig, 'indexIntervalBytes'>,
  opts: { log?: (msg: string) => void; nowMs?: number; skipSync?: boolean } = {},
): RecoveryReport {
  const stats = newStorageStats();
  const { segments, report, listing } = openSegments(dir, config, false, opts.log ?? noop, stats, opts.nowMs ?? Date.now(), opts.skipSync !== true);
  const say = (msg: string): void => {
    report.messages.push(msg);
    (opts.log ?? noop)(msg);
  };
  // Read while the active segment is open with its indexes: no second open for it.
  report.openOffsets = openOffsetsAfterRecovery(dir, segments, listing, config.indexIntervalBytes);
  for (const seg of segments) {
    if (opts.skipSync !== true) {
      seg.closeClean(say);
      continue;
    }
    // The caller syncs the whole file system once after every partition is recovered
    // (the engine's syncfs): the same writes, without waiting for the disk per file.
    seg.prepareClose(say);
    seg.closeFds();
  }
  return report;
}

function noop(): void {}
