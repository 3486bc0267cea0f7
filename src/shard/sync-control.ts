// The shared control block between a shard and its syncer thread (workers/syncer.ts).
// Owns: the slot layout of that SharedArrayBuffer. Must not do I/O.
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
  seq: number;
  files: string[];
  dirs: string[];
}

export interface SyncerWorkerData {
  control: SharedArrayBuffer;
  /** The shard's request ring, so the syncer can wake a sleeping shard. */
  requestRing: SharedArrayBuffer;
}
