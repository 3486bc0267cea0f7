// The offsets a partition will open with, read from its files right after recovery,
// when they can be known without opening it. Owns: showing that no transaction can be
// open at the log end (so the last stable offset is the next offset) from the newest
// producer snapshot and the batch headers after it. Must not build producer or
// transaction state (src/shard/producer-state.ts does, at the partition's open), nor
// write anything.
//
// Why: after a kill -9 the engine used to open every partition on the shard before it
// was ready (~0.3 ms each, most of an unclean start with 1,000 partitions), only to
// learn three offsets. The recovery tasks already hold each log's segments; with these
// offsets the engine registers the partition as after a clean stop and opens it on
// first use. Where the answer is not cheap (an open transaction in the snapshot, a
// transactional or control batch after it, no snapshot and more than a bound of log,
// a snapshot older than the active segment) it says null and the engine opens the
// partition at start, as before.

import fs from 'node:fs';
import path from 'node:path';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../wire/batch-layout.js';
import { LOG_START_CHECKPOINT_FILE, readLogStartCheckpoint } from './log-start-checkpoint.js';
import { decodeProducerSnapshot, listProducerSnapshots, newProducerBatchHeader, snapshotFileName, walkBatchHeaders } from './producer-snapshot.js';
import type { Segment } from './segment.js';
import { newBatchInfo } from './log-scanner.js';

/** Log bytes the header walk reads at most before giving up (start-up time stays bounded). */
export const OPEN_OFFSETS_WALK_BYTES_MAX = 4 * 1024 * 1024;

export interface OpenOffsets {
  logStartOffset: number;
  /** Also the high watermark and the last stable offset. */
  nextOffset: number;
}

/**
 * What PartitionLog.open and the producer-state load would give for a recovered log
 * (`segments`, oldest first, the last one active with its indexes loaded; `listing`,
 * the directory's names, so that neither a second readdir nor a failed read of an
 * absent checkpoint is paid per partition), or null when a transaction might be open
 * at its end or showing that it is not would cost more than `walkBytesMax`. Never
 * throws: an unreadable file makes it null.
 */
export function openOffsetsAfterRecovery(
  dir: string,
  segments: readonly Segment[],
  listing: readonly string[],
  indexIntervalBytes: number,
  walkBytesMax = OPEN_OFFSETS_WALK_BYTES_MAX,
): OpenOffsets | null {
  try {
    const active = segments[segments.length - 1];
    if (active === undefined || active.fd < 0 || active.offsetIndex === null) return null;
    const nextOffset = active.nextOffset;
    // As PartitionLog's constructor: DeleteRecords' checkpoint, clamped to the log.
    const checkpoint = listing.includes(LOG_START_CHECKPOINT_FILE) ? readLogStartCheckpoint(dir) : null;
    const logStartOffset = Math.max(segments[0]!.baseOffset, Math.min(checkpoint ?? -1, nextOffset));
    // An empty log: any open transaction starts at or past its end, so the last
    // stable offset (clamped to the log start) is the end.
    if (nextOffset <= logStartOffset) return { logStartOffset, nextOffset };
    const snapshot = newestSnapshot(dir, listing, nextOffset);
    if (snapshot !== null && snapshot.openTxns > 0) return null;
    // Without a snapshot the open replays from the log start (or the tail when the log
    // is long, then everything if that tail holds transactional data): walk it all.
    const from = Math.max(snapshot?.logEndOffset ?? logStartOffset, logStartOffset);
    if (from >= nextOffset) return { logStartOffset, nextOffset };
    if (from < active.baseOffset) return null; // sealed segments: not opened here
    const at = newBatchInfo();
    if (!active.findBatch(from, at, indexIntervalBytes, () => {})) return { logStartOffset, nextOffset };
    if (active.sizeBytes - at.position > walkBytesMax) return null;
    let transactional = false;
    const r = walkBatchHeaders(active.fd, at.position, active.sizeBytes, newProducerBatchHeader(), (h) => {
      if ((h.attributes & (ATTR_TRANSACTIONAL | ATTR_CONTROL)) !== 0) transactional = true;
    });
    if (r.problem !== '' || transactional) return null;
    return { logStartOffset, nextOffset };
  } catch {
    return null;
  }
}

/** The snapshot an open would load (the newest that decodes, not past the log end): its offset and open transactions. */
function newestSnapshot(dir: string, listing: readonly string[], nextOffset: number): { logEndOffset: number; openTxns: number } | null {
  const offsets = listProducerSnapshots(dir, listing).filter((o) => o <= nextOffset);
  for (let i = offsets.length - 1; i >= 0; i--) {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(dir, snapshotFileName(offsets[i]!)));
    } catch {
      continue;
    }
    const s = decodeProducerSnapshot(bytes);
    if (typeof s !== 'string') return { logEndOffset: s.logEndOffset, openTxns: s.txns.length };
  }
  return null;
}
