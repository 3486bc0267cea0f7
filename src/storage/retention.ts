// The retention policy as a pure function over segment metadata.
// Owns: which leading sealed segments retention.ms / retention.bytes delete.
// Must not touch files or segments (partition-log.ts deletes what this picks).
//
// Kafka's rules (UnifiedLog.deleteRetentionMsBreachedSegments / ...SizeBreached):
// - retention.ms: a segment whose largest timestamp is older than now - retention.ms
//   is deleted, oldest first, stopping at the first one that is not (a prefix).
//   A segment without timestamps is aged by its file mtime.
// - retention.bytes: while the total size minus the segment still stays ≥ the limit,
//   the oldest segment goes.
// Both apply (time first, then size on what is left). The active (last) segment is
// never deleted, and -1 disables a rule.

export interface SegmentRetentionInfo {
  sizeBytes: number;
  /** Largest batch maxTimestamp, or the file mtime when the segment has no timestamps. */
  maxTimestampMs: number;
}

export interface RetentionPolicy {
  retentionMs: number;
  retentionBytes: number;
}

/**
 * How many segments, from the oldest, to delete. `segments` is oldest first and
 * includes the active segment last (counted in the size, never deleted).
 */
export function segmentsToDelete(segments: readonly SegmentRetentionInfo[], policy: RetentionPolicy, nowMs: number): number {
  const sealed = segments.length - 1;
  if (sealed <= 0) return 0;
  let n = 0;
  if (policy.retentionMs >= 0) {
    const cutoffMs = nowMs - policy.retentionMs;
    while (n < sealed && segments[n]!.maxTimestampMs < cutoffMs) n++;
  }
  if (policy.retentionBytes >= 0) {
    let totalBytes = 0;
    for (let i = n; i < segments.length; i++) totalBytes += segments[i]!.sizeBytes;
    let excess = totalBytes - policy.retentionBytes;
    while (n < sealed && excess - segments[n]!.sizeBytes >= 0) {
      excess -= segments[n]!.sizeBytes;
      n++;
    }
  }
  return n;
}
