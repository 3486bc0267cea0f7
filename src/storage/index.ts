// The storage layer's public surface. Owns nothing itself: re-exports only.

export { PartitionLog, SEALED_SEGMENTS_OPEN_MAX } from './partition-log.js';
export { syncDir, writeFileDurably } from './durable-file.js';
export type { PartitionLogOptions } from './partition-log.js';
export { assertLogConfig, SEGMENT_BYTES_LIMIT } from './log-config.js';
export type { LogConfig } from './log-config.js';
export { recoverPartitionDir, openSegments, listSegments } from './recovery.js';
export type { RecoveryReport } from './recovery.js';
export { takeCleanShutdownMarker, writeCleanShutdownMarker, hasCleanShutdownMarker, CLEAN_SHUTDOWN_FILE } from './clean-shutdown.js';
export {
  TopicStore, DEFAULT_TOPIC_CONFIG, TOPIC_CONFIG_KEYS, validateTopicConfig, resolveTopicConfig, toLogConfig,
} from './topic-store.js';
export { partitionDirName } from './partition-dir.js';
export { segmentsToDelete } from './retention.js';
export { buildOffsetMap, cleanSegment, forEachBatch, CLEANED_SUFFIX, OFFSET_MAP_KEYS_MAX, OFFSET_MAP_KEY_BYTES_MAX, DELETE_RETENTION_MS_DEFAULT } from './compaction.js';
export type { OffsetMap, OffsetMapBounds, CleanStats } from './compaction.js';
export type { SegmentRetentionInfo, RetentionPolicy } from './retention.js';
export { segmentFileName, parseSegmentFileName } from './segment.js';
export type { StorageStats } from './segment.js';
