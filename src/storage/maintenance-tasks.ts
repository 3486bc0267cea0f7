// Maintenance tasks that run in the piscina pool, off the main thread and off the
// shards' hot path: recovery scans of partitions at start-up (in parallel, several
// partitions per task), deleting segment files that retention has already detached from
// a log, and writing cleaned copies of sealed segments for compaction. Owns: the task
// and result shapes (the engine and the pool's worker entry, workers/maintenance.ts,
// both import them) and the task functions. Must not change a file a shard has open:
// recovery runs before shards open partitions, unlink only touches files a shard
// renamed away, and compaction only reads sealed (immutable) segments and writes
// `<base>.log.cleaned` files that the owning shard swaps in (or removes); scrub only
// reads sealed segments.

import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLEANED_SUFFIX, abortedIndex, buildOffsetMap, cleanSegment } from './compaction.js';
import type { AbortedRange, CleanStats } from './compaction.js';
import { segmentFileName } from './segment.js';
import { recoverPartitionDir } from './recovery.js';
import type { RecoveryReport } from './recovery.js';
import type { LogConfig } from './log-config.js';
import { scrubPartitionDir } from './scrub.js';
import type { ScrubResult } from './scrub.js';

export interface RecoverTask {
  dir: string;
  config: Pick<LogConfig, 'indexIntervalBytes'>;
  /** The engine syncs the file system once after all recoveries (syncfs): no per-file fdatasync here. */
  skipSync?: boolean;
}

/**
 * Several partitions' recoveries in one task. Why: at start-up after a kill -9 with
 * 1,000 small partitions, one task per partition left the pool threads idle ~75% of
 * the time (each task is a message each way and a wake-up, more than most recoveries
 * cost); a few dozen partitions per task keep them busy.
 */
export interface RecoverManyTask {
  tasks: RecoverTask[];
}

/** Partitions one RecoverManyTask takes at most (bounds a task's time and its reply; the engine sends ≤ 64). */
const RECOVER_MANY_PARTITIONS_MAX = 256;

/** Recovers each partition in order; a failure fails the whole task, as one partition's failure fails the start. */
export function recoverMany(task: RecoverManyTask): RecoveryReport[] {
  if (task.tasks.length > RECOVER_MANY_PARTITIONS_MAX) throw new Error(`recoverMany: ${task.tasks.length} partitions, at most ${RECOVER_MANY_PARTITIONS_MAX}`);
  return task.tasks.map((t) => recover(t));
}

export interface UnlinkTask {
  files: string[];
}

/** Recovers one partition directory; the report (structured-cloneable) says what was cut or rebuilt. */
export function recover(task: RecoverTask): RecoveryReport {
  return recoverPartitionDir(task.dir, task.config, { skipSync: task.skipSync === true });
}

export interface ScrubTask {
  dir: string;
}

/** Re-verifies one partition's sealed segments (src/storage/scrub.ts). */
export function scrub(task: ScrubTask): ScrubResult {
  return scrubPartitionDir(task.dir);
}

export function unlink(task: UnlinkTask): number {
  let n = 0;
  for (const f of task.files.slice(0, 100_000)) {
    rmSync(f, { force: true });
    n++;
  }
  return n;
}

export interface CompactTask {
  /** The partition directory. */
  dir: string;
  /** Sealed segments, oldest first, with the sizes the shard saw (the active one is never here). */
  segments: Array<{ baseOffset: number; sizeBytes: number }>;
  deleteRetentionMs: number;
  /** Aborted transactions over these segments (their records are dropped); none when absent. */
  aborted?: AbortedRange[];
  /** Clock for tombstone ageing (tests); default Date.now(). */
  nowMs?: number;
}

export interface CompactTaskResult {
  /** Cleaned copies written (fdatasynced), for the shard to swap in: `sizeBytes` is the original's. */
  cleaned: Array<{ baseOffset: number; sizeBytes: number; path: string; bytesOut: number }>;
  stats: CleanStats;
  segmentsMapped: number;
  keys: number;
  /** True when the offset map bound stopped the mapping (later segments wait for another pass). */
  mapFull: boolean;
}

/** Segments one task takes at most (a partition has far fewer; bounds the work). */
const COMPACT_SEGMENTS_MAX = 100_000;

/**
 * Compaction of one partition: maps keys over its sealed segments, writes a cleaned
 * copy of each segment that was mapped whole, and reports them. A copy that dropped
 * nothing is removed here (it is this task's own file) rather than swapped in.
 */
export function compact(task: CompactTask): CompactTaskResult {
  const nowMs = task.nowMs ?? Date.now();
  const segments: Array<{ baseOffset: number; sizeBytes: number; path: string }> = [];
  for (const s of task.segments.slice(0, COMPACT_SEGMENTS_MAX)) {
    const path = join(task.dir, segmentFileName(s.baseOffset, '.log'));
    let size: number;
    try {
      size = statSync(path).size;
    } catch (err) {
      // Retention deleted it since the shard asked: it deletes oldest first, so the rest is whole.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    if (size !== s.sizeBytes) throw new Error(`${path} is ${size} bytes, the shard saw ${s.sizeBytes}: not cleaning`);
    segments.push({ ...s, path });
  }
  const aborted = abortedIndex(task.aborted ?? []);
  const map = buildOffsetMap(segments.map((s) => s.path), undefined, aborted);
  const total: CleanStats = { batchesIn: 0, batchesOut: 0, recordsIn: 0, recordsOut: 0, bytesIn: 0, bytesOut: 0 };
  const cleaned: CompactTaskResult['cleaned'] = [];
  try {
    for (const s of segments.slice(0, map.segmentsMapped)) {
      const dest = s.path + CLEANED_SUFFIX;
      const st = cleanSegment(s.path, dest, map, nowMs, task.deleteRetentionMs, aborted);
      for (const k of Object.keys(total) as Array<keyof CleanStats>) total[k] += st[k];
      if (st.recordsOut === st.recordsIn && st.batchesOut === st.batchesIn) {
        rmSync(dest, { force: true });
        continue;
      }
      cleaned.push({ baseOffset: s.baseOffset, sizeBytes: s.sizeBytes, path: dest, bytesOut: st.bytesOut });
    }
  } catch (err) {
    // Nothing is swapped after a failure: remove this task's own copies (the open one too).
    for (const s of segments) rmSync(s.path + CLEANED_SUFFIX, { force: true });
    throw err;
  }
  return { cleaned, stats: total, segmentsMapped: map.segmentsMapped, keys: map.keys.size, mapFull: map.full };
}
