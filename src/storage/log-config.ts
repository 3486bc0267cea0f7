// The configuration one partition log needs, in storage's own units.
// Owns: the LogConfig shape, its bounds, and the one mapping from a topic's Kafka
// config (src/config/topic-config.ts) into it. Nothing else in storage/ reads
// Kafka's config names.

import type { TopicConfig } from '../config/topic-config.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';

export interface LogConfig {
  /** Roll the active segment before it would grow past this (segment.bytes). */
  segmentBytes: number;
  /** Roll the active segment when its first batch is this old (segment.ms). */
  segmentMs: number;
  /** Delete sealed segments whose newest batch is older than this; -1 = never (retention.ms). */
  retentionMs: number;
  /** Delete the oldest sealed segments while the log stays above this; -1 = unbounded (retention.bytes). */
  retentionBytes: number;
  /** Bytes of log between offset-index entries (index.interval.bytes). */
  indexIntervalBytes: number;
  /** Largest batch accepted (max.message.bytes); checked by the caller, used for bounds here. */
  maxMessageBytes: number;
}

/** Largest segment.bytes: index positions are u32, and Kafka's limit is an i32. */
export const SEGMENT_BYTES_LIMIT = 2_147_483_647;

/** The storage units of a topic's config. */
export function toLogConfig(c: TopicConfig): LogConfig {
  return {
    segmentBytes: c['segment.bytes'],
    segmentMs: c['segment.ms'],
    retentionMs: c['retention.ms'],
    retentionBytes: c['retention.bytes'],
    indexIntervalBytes: c['index.interval.bytes'],
    maxMessageBytes: c['max.message.bytes'],
  };
}

export function assertLogConfig(c: LogConfig): void {
  const bad = (key: string, why: string): never => {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `log config ${key}: ${why}`);
  };
  const int = (key: keyof LogConfig, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) bad(key, `${String(v)} is not an integer`);
    if (v < min || v > max) bad(key, `${v} is outside ${min}..${max}`);
  };
  int('segmentBytes', 14, SEGMENT_BYTES_LIMIT);
  int('segmentMs', 1);
  int('retentionMs', -1);
  int('retentionBytes', -1);
  int('indexIntervalBytes', 0, SEGMENT_BYTES_LIMIT);
  int('maxMessageBytes', 0, SEGMENT_BYTES_LIMIT);
}
