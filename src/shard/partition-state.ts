// What a shard holds for each partition it owns, and opening/closing it.
// Owns: the PartitionState record (log, config, producer state, flush and compaction
// bookkeeping), opening a partition's log with its producer state, and the clean
// close that snapshots that state. Must not decide when to sync, compact or retain
// (shard.ts and sync-pipeline.ts do) and must not touch the rings.

import { ErrorCode, KafkaError } from '../wire/errors.js';
import { PartitionLog } from '../storage/partition-log.js';
import { toLogConfig } from '../storage/log-config.js';
import type { TopicConfig } from '../config/topic-config.js';
import { loadProducerState, saveProducerState, saveProducerStateUnsynced } from './producer-state.js';
import type { UnsyncedSnapshot } from '../storage/producer-snapshot.js';
import type { ProducerStateTable } from './producer-state.js';
import type { SyncPartition } from './sync-pipeline.js';
import type { TxnState } from './txn-state.js';

export interface PartitionState extends SyncPartition {
  readonly slot: number;
  readonly log: PartitionLog;
  config: TopicConfig;
  producers: ProducerStateTable;
  /** Open transactions and the last stable offset. */
  txn: TxnState;
  /** A transactional batch was written since open (or one was open then): snapshots are taken at rolls. */
  txnSeen: boolean;
  unsyncedMessages: number;
  /** Bytes written since a sync last covered this partition (flush-behind, see sync-pipeline.ts). */
  unsyncedBytes: number;
  firstUnsyncedAtMs: number;
  /** A 'compact' notice is out and its 'compactSwap' has not come back (at most one per partition). */
  compacting: boolean;
  /** Active segment base when the last cleaning was asked for: the log is clean below it. -1 = never (a restart cleans again). */
  compactedUpTo: number;
  compactingUpTo: number;
  /** Set (the reason) after a failed fdatasync: appends and reads are refused until a restart recovers the files. */
  offline: string | null;
  /** The producer state came from a snapshot at the log end: an unchanged log needs no new one at close. */
  snapshotAtOpen: boolean;
}

/**
 * Opens a partition the engine has already recovered (in its piscina pool), with its
 * producer state from the snapshot of the last clean close plus what was written
 * after it, or from the log tail.
 */
export function openPartition(slot: number, dir: string, config: TopicConfig, nowMs: () => number, warn: (msg: string) => void): PartitionState {
  const log = PartitionLog.open(dir, toLogConfig(config), { cleanShutdown: true, log: warn, nowMs });
  const { table: producers, txn, source } = loadProducerState(log, warn);
  return {
    slot, log, config, producers, txn, txnSeen: txn.openCount > 0, unsyncedMessages: 0, unsyncedBytes: 0, firstUnsyncedAtMs: 0,
    compacting: false, compactedUpTo: -1, compactingUpTo: -1, offline: null, snapshotAtOpen: source === 'snapshot',
  };
}

/**
 * Closes a partition's log (synced), then snapshots its producer state at the log
 * end for the next open. A failed close throws before the snapshot is written: a
 * snapshot must not describe data that may not be on disk. Deleting a partition
 * needs none of this: its directory, snapshots included, goes whole.
 * For a shutdown closing every partition (the options): `deferSnapshotSync`, the
 * snapshot is written but not synced, and returned for finishProducerState after the
 * caller has flushed the file system once for all of them (null when there is none to
 * finish); `logAlreadyDurable`, the log's closing writes were made (prepareClose) and
 * a trusted file-system sync followed, so its close syncs nothing.
 */
export function closePartition(st: PartitionState, warn: (msg: string) => void, options: { deferSnapshotSync?: boolean; logAlreadyDurable?: boolean } = {}): UnsyncedSnapshot | null {
  if (st.offline !== null) {
    // Its files are not trusted: no snapshot, and the caller must not call the stop clean.
    try {
      st.log.close();
    } catch {
      // Already failing; the offline reason below is what the caller needs.
    }
    throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, st.offline);
  }
  // Read before close: an untouched log whose snapshot is already at its end (most
  // partitions at a stop) costs no fsync at all, instead of a snapshot file, its
  // fdatasync and two directory fsyncs.
  const unchanged = !st.log.changedSinceOpen && st.snapshotAtOpen;
  st.log.close(options.logAlreadyDurable === true);
  if (unchanged) return null;
  if (options.deferSnapshotSync === true) return saveProducerStateUnsynced(st.log, st.producers, warn, st.txn);
  saveProducerState(st.log, st.producers, warn, st.txn);
  return null;
}
