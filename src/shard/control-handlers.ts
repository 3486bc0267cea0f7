// A shard's control requests (the CONTROL frames of shard-protocol.ts), one handler
// per request type in a table. Owns: what each control request does to the shard's
// partitions and the result it answers with. Must not touch the rings or the sync
// pipeline: the shard settles every sync before it runs a handler (control requests
// are ordered after the appends before them) and writes the result back itself.

import { rmSync } from 'node:fs';
import { deletePartitionDir } from '../storage/partition-log.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { toLogConfig } from '../storage/log-config.js';
import type { ClosedPartition, ControlRequest, ControlResult, Notice, ProducerInfo, ShardStats } from './shard-protocol.js';
import { closePartition, openPartition } from './partition-state.js';
import { finishProducerState } from './producer-state.js';
import type { UnsyncedSnapshot } from '../storage/producer-snapshot.js';
import type { PartitionState } from './partition-state.js';
import { InvariantError } from '../wire/assert.js';

export type ControlOp = ControlRequest['type'];
export type ControlRequestOf<K extends ControlOp> = Extract<ControlRequest, { type: K }>;
/** One handler per control request type, each typed for its own request. */
export type ControlHandlers = { readonly [K in ControlOp]: (req: ControlRequestOf<K>) => ControlResult };

/** The shard's counters that are not about syncs (those the sync pipeline keeps). */
export interface ShardCounters {
  drains: number;
  appendFrames: number;
  compactedSegments: number;
  compactionBytesRemoved: number;
}

/** What of the shard the handlers may use. */
export interface ControlContext {
  readonly partitions: Map<number, PartitionState>;
  readonly counters: ShardCounters;
  nowMs(): number;
  fsyncCounters(): { fsyncCount: number; fsyncTotalMs: number };
  notice(n: Notice): void;
  /** Ends the shard's loop after this request is answered. */
  stop(): void;
  /** The file-system syncs of a shutdown (syncfs(2)); absent without the native addon. */
  fileSystem?: ShutdownFileSystem;
}

/** What a shutdown needs of the file system under its partitions (shard.ts builds it). */
export interface ShutdownFileSystem {
  /**
   * Writes out everything dirty on the file system that holds `dir` (syncfs(2)). True
   * only when that made every write there durable and none failed since the shard
   * started (storage/file-system-sync.ts); false: a flush at best, and each file's own
   * sync must follow and report its errors.
   */
  sync(dir: string): boolean;
  /** Whether a `sync` that returned true covers `dir` (the same file system). */
  covers(dir: string): boolean;
}

const NOT_OPEN: ControlResult = { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'not open' };

export function createControlHandlers(ctx: ControlContext): ControlHandlers {
  const warn = (msg: string): void => ctx.notice({ type: 'log', level: 'warn', msg });
  return {
    open: (req) => {
      const existing = ctx.partitions.get(req.slot);
      if (existing !== undefined) closePartition(existing, warn);
      const st = openPartition(req.slot, req.dir, req.config, ctx.nowMs, warn);
      ctx.partitions.set(req.slot, st);
      return { ok: true, logStartOffset: st.log.logStartOffset, nextOffset: st.log.nextOffset, lastStableOffset: st.txn.lastStableOffset(st.log.nextOffset) };
    },
    close: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st !== undefined) {
        closePartition(st, warn);
        ctx.partitions.delete(req.slot);
      }
      return { ok: true };
    },
    delete: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st !== undefined) {
        st.log.delete();
        ctx.partitions.delete(req.slot);
      } else if (req.dir !== undefined) {
        deletePartitionDir(req.dir);
      }
      return { ok: true };
    },
    config: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st === undefined) return NOT_OPEN;
      st.config = req.config;
      st.log.setConfig(toLogConfig(req.config));
      return { ok: true };
    },
    listOffset: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st === undefined) return NOT_OPEN;
      const log = st.log;
      if (req.spec === 'earliest') return { ok: true, offset: log.logStartOffset, timestamp: -1 };
      if (req.spec === 'latest') return { ok: true, offset: log.nextOffset, timestamp: -1 };
      const found = req.spec === 'max-timestamp' ? log.maxTimestamp() : log.offsetForTimestamp(req.spec);
      if (found === null) return { ok: true, offset: -1, timestamp: -1 };
      // The batch found may begin below a start that DeleteRecords put inside it.
      return { ok: true, offset: Math.max(found.offset, log.logStartOffset), timestamp: found.timestamp };
    },
    deleteRecords: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st === undefined) return NOT_OPEN;
      // Kafka refuses to move the start of a compact-only log (its records are the table).
      if (!st.config['cleanup.policy'].includes('delete')) {
        return { ok: false, errorCode: ErrorCode.POLICY_VIOLATION, message: 'records cannot be deleted from a topic with cleanup.policy=compact' };
      }
      const r = st.log.deleteRecordsBefore(req.offset);
      // The same notice retention sends: the main thread moves its low watermark and unlinks the files.
      if (r.deletedFiles.length > 0) ctx.notice({ type: 'logStart', slot: st.slot, logStartOffset: r.logStartOffset, deletedFiles: r.deletedFiles });
      return { ok: true, logStartOffset: r.logStartOffset };
    },
    describeProducers: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st === undefined) return NOT_OPEN;
      const producers: ProducerInfo[] = [];
      const seen = new Set<number>();
      for (const producerId of st.producers.ids()) {
        const p = st.producers.describe(producerId)!;
        seen.add(producerId);
        producers.push({ producerId, epoch: p.epoch, lastSequence: p.lastSequence, currentTxnStartOffset: st.txn.firstOffsetOf(producerId) });
      }
      // A producer forgotten by the sequence table (LRU) while its transaction is open.
      for (const t of st.txn.open()) if (!seen.has(t.producerId)) producers.push({ producerId: t.producerId, epoch: -1, lastSequence: -1, currentTxnStartOffset: t.firstOffset });
      return { ok: true, producers };
    },
    stats: () => {
      const partitions = [...ctx.partitions.values()].map((st) => ({
        slot: st.slot, segments: st.log.segmentCount(), sizeBytes: st.log.sizeBytes(), logStartOffset: st.log.logStartOffset, nextOffset: st.log.nextOffset,
      }));
      const syncs = ctx.fsyncCounters();
      const stats: ShardStats = { partitions, fsyncCount: syncs.fsyncCount, fsyncTotalMs: syncs.fsyncTotalMs, ...ctx.counters };
      return { ok: true, stats };
    },
    compactSwap: (req) => {
      const st = ctx.partitions.get(req.slot);
      if (st === undefined) {
        // Closed or deleted meanwhile: the copies are nobody's now.
        for (const c of req.cleaned) if (c.path.endsWith('.log.cleaned')) rmSync(c.path, { force: true });
        return NOT_OPEN;
      }
      st.compacting = false;
      if (req.error !== undefined) {
        warn(`compaction of ${st.log.dir} failed: ${req.error}`);
        return { ok: true, swapped: 0 };
      }
      const r = st.log.swapCleaned(req.cleaned);
      st.compactedUpTo = st.compactingUpTo;
      if (r.swapped > 0) {
        ctx.counters.compactedSegments += r.swapped;
        ctx.counters.compactionBytesRemoved += r.bytesBefore - r.bytesAfter;
        ctx.notice({ type: 'log', level: 'info', msg: `compacted ${st.log.dir}: ${r.swapped} segments, ${r.bytesBefore} → ${r.bytesAfter} bytes` });
      }
      return { ok: true, swapped: r.swapped };
    },
    shutdown: () => {
      // Every partition is closed and the loop ends even if one close fails; a failure
      // (or an offline partition) makes the answer an error, so the stop is not called clean.
      const failures: string[] = [];
      const closed: ClosedPartition[] = [];
      // Why the file-system syncs: closing partitions one after another, each close's
      // fdatasyncs and its snapshot's fdatasync and directory fsyncs each waited for the
      // disk (~1.5 ms a written partition here, seconds for 1,000). So every partition's
      // closing writes (indexes) go first and one syncfs writes everything; the
      // snapshots are written unsynced and a second syncfs writes them. When a syncfs
      // is trusted (no write error on that file system since the shard started, on a
      // kernel that reports one) the per-file syncs are skipped; otherwise they follow
      // and find nothing left to write, but still report each file's errors.
      const fsys = ctx.fileSystem;
      const anyDir = ctx.partitions.values().next().value?.log.dir;
      let logsDurable = false;
      /** Partitions whose closing writes failed before the syncfs: their close writes and syncs on its own. */
      const unprepared = new Set<number>();
      if (anyDir !== undefined && fsys !== undefined) {
        for (const st of ctx.partitions.values()) {
          if (st.offline !== null) continue;
          try {
            st.log.prepareClose();
          } catch (err) {
            if (err instanceof InvariantError) throw err;
            // Its close below writes and syncs again, and reports what fails.
            unprepared.add(st.slot);
          }
        }
        logsDurable = fsys.sync(anyDir);
      }
      const snapshots: UnsyncedSnapshot[] = [];
      /** Partition directories on the file system the syncfs vouches for (one stat each, used for the log and the snapshot). */
      const covered = new Set<string>();
      for (const st of ctx.partitions.values()) {
        try {
          const at = { slot: st.slot, logStartOffset: st.log.logStartOffset, nextOffset: st.log.nextOffset, lastStableOffset: st.txn.lastStableOffset(st.log.nextOffset) };
          if (fsys?.covers(st.log.dir) === true) covered.add(st.log.dir);
          const logAlreadyDurable = logsDurable && !unprepared.has(st.slot) && covered.has(st.log.dir);
          const snapshot = closePartition(st, warn, { deferSnapshotSync: true, logAlreadyDurable });
          if (snapshot !== null) snapshots.push(snapshot);
          closed.push(at);
        } catch (err) {
          if (err instanceof InvariantError) throw err;
          failures.push(`${st.log.dir}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const snapshotsDurable = snapshots.length > 0 && fsys !== undefined && fsys.sync(snapshots[0]!.dir);
      for (const p of snapshots) finishProducerState(p, warn, snapshotsDurable && covered.has(p.dir));
      ctx.partitions.clear();
      ctx.stop();
      if (failures.length > 0) return { ok: false, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message: `unclean close: ${failures.join('; ')}` };
      return { ok: true, closed };
    },
  };
}

/**
 * Runs the handler for `req`. The request came through the ring as JSON, so its type
 * is checked rather than trusted; a handler's throw becomes an error result (a
 * KafkaError keeps its code, anything else is a storage error).
 */
export function runControl(handlers: ControlHandlers, req: ControlRequest): ControlResult {
  if (!Object.hasOwn(handlers, req.type)) {
    return { ok: false, errorCode: ErrorCode.INVALID_REQUEST, message: `unknown control request type ${JSON.stringify(req.type)}` };
  }
  // TypeScript cannot pair handlers[req.type] with req's own member of the union; the table's type guarantees it.
  const handler = handlers[req.type] as (r: ControlRequest) => ControlResult;
  try {
    return handler(req);
  } catch (err) {
    // A bug ends the shard (docs/architecture.md, "Errors"); everything else answers with a code.
    if (err instanceof InvariantError) throw err;
    if (err instanceof KafkaError) return { ok: false, errorCode: err.code, message: err.message };
    return { ok: false, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message: err instanceof Error ? err.message : String(err) };
  }
}
