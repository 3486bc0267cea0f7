// The contract between a shard and its syncer, and the shared control block the real
// syncer thread (workers/syncer.ts) answers through.
// Owns: the Syncer interface the shard's sync pipeline (sync-pipeline.ts) drives, the
// slot layout of the control SharedArrayBuffer, and both sides' access to those slots
// (SharedSyncer on the shard's side, syncDoneReporter on the syncer's side).
// Must not do I/O and must not decide what to sync or when (the pipeline does).
//
// Pipelined group commit: while the syncer fdatasyncs what drain N wrote, the shard
// keeps draining and writing N+1…; acks=-1 completions wait for the sync that
// covers them. At most one sync is in flight; the next one covers everything
// written while the previous one ran.

/** Element indices, each slot on its own 64-byte line (as in the ring). */
export const SYNC_DONE_SEQ_I32 = 0; // byte 0: last sequence the syncer finished (ok or failed)
export const SYNC_FAILED_SEQ_I32 = 16; // byte 64: last sequence that failed, 0 if none
export const SYNC_TOTAL_MS_F64 = 16; // byte 128: total time in fdatasync, ms (metrics)
export const SYNC_COUNT_F64 = 24; // byte 192: syncs done (metrics)
export const SYNC_CONTROL_BYTES = 256;

export interface SyncRequest {
  /** 1, 2, 3, … in the order posted; a syncer finishes them in that order. */
  seq: number;
  files: string[];
  dirs: string[];
}

export interface SyncerWorkerData {
  control: SharedArrayBuffer;
  /** The shard's request ring, so the syncer can wake a sleeping shard. */
  requestRing: SharedArrayBuffer;
}

/**
 * What a shard's sync pipeline needs of a syncer: something that fdatasyncs named
 * files off the shard's thread, one request at a time, in order. The real one is the
 * syncer thread (SharedSyncer); tests use an in-process fake that finishes or fails
 * syncs on command.
 */
export interface Syncer {
  /** Hands over sync `req.seq` without waiting for it. Throws when the syncer cannot take it (the shard then syncs inline for good). */
  post(req: SyncRequest): void;
  /** The last sequence finished, ok or failed; 0 before the first. Never blocks. */
  doneSeq(): number;
  /** Whether sync `seq` failed; asked only once doneSeq() reached it. */
  failed(seq: number): boolean;
  /** Blocks the calling thread up to `timeoutMs` while sync `seq` is not finished (the shard has nothing else to do meanwhile). */
  waitDone(seq: number, timeoutMs: number): void;
  /** fdatasyncs the syncer did and their total time (metrics). */
  counters(): { fsyncCount: number; fsyncTotalMs: number };
}

/** The shard's side of the syncer thread: posts by `post` (a worker message), reads answers from the control block. */
export class SharedSyncer implements Syncer {
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(control: SharedArrayBuffer, private readonly postRequest: (req: SyncRequest) => void) {
    this.i32 = new Int32Array(control);
    this.f64 = new Float64Array(control);
  }

  post(req: SyncRequest): void {
    this.postRequest(req);
  }

  doneSeq(): number {
    return Atomics.load(this.i32, SYNC_DONE_SEQ_I32);
  }

  failed(seq: number): boolean {
    return Atomics.load(this.i32, SYNC_FAILED_SEQ_I32) === seq;
  }

  waitDone(seq: number, timeoutMs: number): void {
    // Sequences are finished in order: while `seq` runs, the done slot holds seq - 1.
    Atomics.wait(this.i32, SYNC_DONE_SEQ_I32, seq - 1, timeoutMs);
  }

  counters(): { fsyncCount: number; fsyncTotalMs: number } {
    return { fsyncCount: this.f64[SYNC_COUNT_F64]!, fsyncTotalMs: this.f64[SYNC_TOTAL_MS_F64]! };
  }
}

/**
 * The syncer thread's side of the control block: returns the function that answers
 * sync `seq` (counts it, marks a failure, then publishes it as done and wakes a shard
 * waiting on it). The views are made once, not per sync.
 */
export function syncDoneReporter(control: SharedArrayBuffer): (seq: number, failed: boolean, tookMs: number) => void {
  const i32 = new Int32Array(control);
  const f64 = new Float64Array(control);
  return (seq, failed, tookMs) => {
    f64[SYNC_TOTAL_MS_F64] = f64[SYNC_TOTAL_MS_F64]! + tookMs;
    f64[SYNC_COUNT_F64] = f64[SYNC_COUNT_F64]! + 1;
    if (failed) Atomics.store(i32, SYNC_FAILED_SEQ_I32, seq);
    Atomics.store(i32, SYNC_DONE_SEQ_I32, seq);
    Atomics.notify(i32, SYNC_DONE_SEQ_I32);
  };
}
