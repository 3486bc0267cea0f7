// A shard's sync pipeline: when what the shard wrote becomes durable.
// Owns: which partitions wait for the next fdatasync, the one sync in flight (handed
// to a Syncer: the syncer thread, or an in-process fake in tests), the acks=-1
// completions waiting on a sync, flush-behind, the inline fdatasync fallback (no
// syncer, or one that failed to start or stalled), and the counters of inline syncs.
// Must not write partition data, touch the rings or build completions: a settled
// completion goes back to the shard (SyncPipelineHooks.complete), which answers it.
//
// Durability: a completion handed to awaitDurable() is settled only after an
// fdatasync that started after its write has finished, and settled as failed when
// that sync failed. A failed sync, pipelined or inline, is reported per partition
// through syncFailed, and the completions waiting on that partition for a later sync
// are failed too: after a failed fdatasync the kernel may have dropped the dirty pages
// and marked them clean, so a later fdatasync can succeed without them ever reaching
// the disk (PostgreSQL's "fsyncgate"). Nothing written to that partition before the
// failure can be called durable by a later sync; the shard takes it offline.
//
// Bounded: at most one sync is in flight; what waits for the next one is bounded by
// what one drain can stage (the shard drains at most DRAIN_FRAMES_MAX frames).

import type { SyncRequest, Syncer } from './sync-control.js';
import { InvariantError } from '../wire/assert.js';

/** What the pipeline needs of a partition. */
export interface SyncPartition {
  readonly slot: number;
  readonly log: {
    /** fdatasync on this thread; throws on failure. */
    sync(): void;
    /** What a sync on another thread must cover, by path. */
    takeSyncTargets(): { logPath: string; dir: string | null };
  };
  unsyncedMessages: number;
  /** Bytes written since a sync last covered this partition (flush-behind). */
  unsyncedBytes: number;
}

/** A completion waiting for durability: the pipeline needs only its partition's slot. */
export interface SyncWaiter {
  readonly slot: number;
}

export interface SyncPipelineHooks<P extends SyncPartition, W extends SyncWaiter> {
  /** `waiter` is settled: durable (failure null), or not, and `failure` says why. */
  complete(waiter: W, failure: string | null): void;
  /**
   * A sync covering `partition` failed (`err` from an inline fdatasync, a message from
   * the syncer thread). Called once per failed sync and partition, after the
   * completions it covered were settled as failed; the pipeline has also failed and
   * dropped everything of that partition waiting for the next sync.
   */
  syncFailed(partition: P, err: unknown): void;
  /** Something an operator should see, as an error. */
  logError(msg: string): void;
  nowMs(): number;
}

export interface SyncPipelineOptions {
  /**
   * Unsynced bytes of a partition past which the syncer is asked to fdatasync it in
   * the background (nothing waits on that sync).
   */
  flushBehindBytes: number;
  /** A sync in flight longer than this means the syncer is gone: sync inline from then on. */
  stallMsMax: number;
}

/**
 * Default flush-behind threshold. Without flush-behind a 1 GiB segment written with
 * acks=1 sits dirty in the page cache until its roll, whose inline seal fdatasync then
 * stalled appends for ~0.5 s (bench/engine.bench.ts, max latency).
 */
export const FLUSH_BEHIND_BYTES_DEFAULT = 32 * 1024 * 1024;
export const SYNC_STALL_MS_MAX_DEFAULT = 30_000;
/** Sleep bound while a sync is in flight (the syncer also wakes the shard; this covers a lost wake-up). */
const SYNC_POLL_MS = 2;
/** Longest single wait while settling (the stall check runs between waits). */
const SETTLE_WAIT_MS = 100;
const SETTLE_ROUNDS_MAX = 1_000_000;

export class SyncPipeline<P extends SyncPartition, W extends SyncWaiter> {
  private syncer: Syncer | null;
  private seqIssued = 0;
  /** The sync in flight, 0 when none. */
  private inFlightSeq = 0;
  private inFlightSinceMs = 0;
  private inFlightWaiters: W[] = [];
  private inFlightParts: P[] = [];
  /** Waiting for the next sync: completions, and the partitions it must cover. */
  private waiting: W[] = [];
  private readonly awaiting = new Set<P>();
  private inlineCount = 0;
  private inlineTotalMs = 0;

  constructor(
    syncer: Syncer | null,
    private readonly hooks: SyncPipelineHooks<P, W>,
    private readonly options: SyncPipelineOptions,
  ) {
    this.syncer = syncer;
  }

  /** True while syncs go to a syncer; false once syncing inline (from the start, or after abandoning it). */
  get pipelined(): boolean {
    return this.syncer !== null;
  }

  get inFlight(): boolean {
    return this.inFlightSeq > 0;
  }

  /** True if `p` is already marked for the next sync. */
  isAwaiting(p: P): boolean {
    return this.awaiting.has(p);
  }

  /** `p` must be synced (acks=-1 data, flush.messages, flush.ms): inline now, or in the next pipelined sync. */
  request(p: P): void {
    if (this.syncer === null) this.syncInline(p);
    else this.awaiting.add(p);
  }

  /**
   * Flush-behind, after a write that needs no sync: the syncer writes back what acks
   * 0/1 left in the page cache while the shard goes on, so a roll's inline seal sync
   * finds little to flush. Inline mode leaves it to the roll (it would block appends).
   */
  wrote(p: P): void {
    if (this.syncer !== null && p.unsyncedBytes >= this.options.flushBehindBytes) this.awaiting.add(p);
  }

  /**
   * `waiter` (written to `p`) is durable once a sync that started after its write has
   * finished. Inline mode: `p` was synced by request() already, so it is settled now.
   * A duplicate's original may still be waiting for its sync, so it waits too.
   */
  awaitDurable(p: P, waiter: W): void {
    if (this.syncer === null) {
      this.hooks.complete(waiter, null);
      return;
    }
    this.awaiting.add(p);
    this.waiting.push(waiter);
  }

  /** How long the shard may sleep: short while a sync is in flight, so its completions are not late. */
  waitMs(idleWaitMs: number): number {
    return this.inFlightSeq > 0 ? Math.min(SYNC_POLL_MS, idleWaitMs) : idleWaitMs;
  }

  /**
   * Settles what a finished sync covered, then starts the next sync (covering
   * everything written meanwhile) if anything waits for one. Never blocks.
   */
  pump(): void {
    const syncer = this.syncer;
    if (syncer === null) return;
    if (this.inFlightSeq > 0) {
      if (syncer.doneSeq() !== this.inFlightSeq) {
        if (this.hooks.nowMs() - this.inFlightSinceMs > this.options.stallMsMax) {
          this.abandonSyncer(`syncer thread stalled for ${this.options.stallMsMax} ms`);
        }
        return;
      }
      const failed = syncer.failed(this.inFlightSeq);
      const parts = this.inFlightParts;
      for (const w of this.inFlightWaiters) this.hooks.complete(w, failed ? 'fdatasync failed' : null);
      this.inFlightSeq = 0;
      this.inFlightWaiters = [];
      this.inFlightParts = [];
      if (failed) {
        for (const p of parts) {
          this.hooks.logError(`fdatasync of slot ${p.slot} failed`);
          this.failPartition(p, 'fdatasync failed');
        }
      }
    }
    if (this.awaiting.size === 0) return;
    const req: SyncRequest = { seq: ++this.seqIssued, files: [], dirs: [] };
    for (const p of this.awaiting) {
      const t = p.log.takeSyncTargets();
      req.files.push(t.logPath);
      if (t.dir !== null) req.dirs.push(t.dir);
      p.unsyncedMessages = 0;
      p.unsyncedBytes = 0;
      this.inFlightParts.push(p);
    }
    this.awaiting.clear();
    this.inFlightWaiters = this.waiting;
    this.waiting = [];
    this.inFlightSeq = req.seq;
    this.inFlightSinceMs = this.hooks.nowMs();
    try {
      syncer.post(req);
    } catch (err) {
      this.abandonSyncer(`syncer thread did not start (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /** Blocks until no sync is in flight or waiting (before control requests and shutdown). */
  settle(): void {
    for (let round = 0; this.syncer !== null && (this.inFlightSeq > 0 || this.awaiting.size > 0); round++) {
      this.pump();
      if (this.syncer !== null && this.inFlightSeq > 0) this.syncer.waitDone(this.inFlightSeq, SETTLE_WAIT_MS);
      if (round > SETTLE_ROUNDS_MAX) break;
    }
  }

  /** fdatasyncs done so far, inline and by the syncer, and their total time (metrics). */
  counters(): { fsyncCount: number; fsyncTotalMs: number } {
    const s = this.syncer === null ? { fsyncCount: 0, fsyncTotalMs: 0 } : this.syncer.counters();
    return { fsyncCount: this.inlineCount + s.fsyncCount, fsyncTotalMs: this.inlineTotalMs + s.fsyncTotalMs };
  }

  /**
   * The syncer stopped answering: make everything durable inline and carry on
   * without it. A completion whose partition's inline sync failed is settled as failed.
   */
  private abandonSyncer(why: string): void {
    this.hooks.logError(`${why}; syncing inline from now on`);
    this.syncer = null;
    const failed = new Map<number, { p: P; err: unknown }>();
    for (const p of new Set([...this.inFlightParts, ...this.awaiting])) {
      const err = this.trySyncInline(p);
      if (err !== null) failed.set(p.slot, { p, err });
    }
    const waiters = [...this.inFlightWaiters, ...this.waiting];
    this.inFlightSeq = 0;
    this.inFlightWaiters = [];
    this.inFlightParts = [];
    this.waiting = [];
    this.awaiting.clear();
    for (const w of waiters) this.hooks.complete(w, failed.has(w.slot) ? 'fdatasync failed' : null);
    for (const { p, err } of failed.values()) this.hooks.syncFailed(p, err);
  }

  /**
   * A sync covering `p` failed: what waits on `p` for a later sync is failed now (a
   * later sync could succeed without the pages the failed one lost), then the shard
   * is told.
   */
  private failPartition(p: P, err: unknown): void {
    this.awaiting.delete(p);
    const keep: W[] = [];
    const dropped: W[] = [];
    for (const w of this.waiting) (w.slot === p.slot ? dropped : keep).push(w);
    this.waiting = keep;
    for (const w of dropped) this.hooks.complete(w, 'fdatasync failed');
    this.hooks.syncFailed(p, err);
  }

  /** fdatasync of `p` on this thread; false (and reported through syncFailed) if it threw. */
  private syncInline(p: P): boolean {
    const err = this.trySyncInline(p);
    if (err === null) return true;
    this.failPartition(p, err);
    return false;
  }

  /** fdatasync of `p` on this thread: null, or what it threw. */
  private trySyncInline(p: P): unknown {
    const t0 = performance.now();
    try {
      p.log.sync();
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      return err ?? new Error('fdatasync failed');
    }
    this.inlineCount++;
    this.inlineTotalMs += performance.now() - t0;
    p.unsyncedMessages = 0;
    p.unsyncedBytes = 0;
    return null;
  }
}
