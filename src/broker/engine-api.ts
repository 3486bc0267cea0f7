// The in-process engine API: what every protocol layer (Kafka TCP/WebSocket, HTTP,
// CLI, embedding) calls to reach the logs. Owns: the types of that contract only.
// Must not import an implementation: protocol layers depend on this file, and the
// engine (src/broker/engine.ts) implements it.
//
// Units: offsets and timestamps are JS numbers (offsets < 2^53; timestamps in ms
// since the epoch). Batches are Kafka RecordBatch v2 bytes, as on the wire.

// The contract's own types are declared here; the ones owned below (a topic's config
// and metadata, the shard's offset spec) are re-exported so callers import one file.

import type { TopicConfig } from '../config/topic-config.js';
import type { OffsetSpec, ProducerInfo } from '../shard/shard-protocol.js';
import type { DamagedTopic, TopicInfo } from '../storage/topic-store.js';

export type { CleanupPolicy, TopicConfig } from '../config/topic-config.js';
export type { OffsetSpec, ProducerInfo } from '../shard/shard-protocol.js';
export type { TopicInfo } from '../storage/topic-store.js';
/** A topic whose metadata file was found damaged at start-up: offline until fixed. */
export type OfflineTopic = DamagedTopic;

export type Acks = -1 | 0 | 1;

export interface DeleteRecordsResult {
  errorCode: number;
  /** The log start offset after the call (Kafka's low watermark); -1 on error. */
  lowWatermark: number;
  errorMessage?: string;
}

export interface AppendResult {
  errorCode: number;
  /** Offset of the first record appended; -1 on error. */
  baseOffset: number;
  /** Broker time used for LogAppendTime topics, else -1. */
  logAppendTimeMs: number;
  logStartOffset: number;
  /** Human-readable detail when errorCode ≠ 0. */
  errorMessage?: string;
}

export interface PartitionOffsets {
  errorCode: number;
  logStartOffset: number;
  /** Next offset to be written: the high watermark on a single node. */
  highWatermark: number;
  /** First offset of the oldest open transaction, or the high watermark when none is open. */
  lastStableOffset: number;
}

/** An aborted transaction a read_committed reader must skip: its producer's transactional records from firstOffset on, up to its ABORT marker. */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

export interface ReadResult extends PartitionOffsets {
  /**
   * Stored RecordBatch v2 bytes, back to back, as on disk; may be empty. With
   * ReadOptions.fileRange it may instead be a FileRange (src/broker/file-range.ts):
   * the same bytes left in the segment file, to be sent or read and then closed.
   */
  records: Uint8Array;
  /** read_committed: the aborted transactions that overlap the records (empty when none); absent for read_uncommitted. */
  abortedTransactions?: AbortedTransaction[];
}

/** Kafka's isolation levels: read_committed reads below the last stable offset only. */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface ReadOptions {
  isolation?: IsolationLevel;
  /**
   * The caller can send a FileRange itself (a plain TCP connection with the native
   * addon): a large read may then be answered with one instead of bytes.
   */
  fileRange?: boolean;
}

export interface AppendOptions {
  /** The batches are COMMIT/ABORT markers of the transaction coordinator (control batches are refused otherwise). */
  markers?: boolean;
}

export interface DescribeProducersResult {
  errorCode: number;
  producers: ProducerInfo[];
}


export interface ListOffsetResult {
  errorCode: number;
  /** -1 when no record has a timestamp ≥ the one asked for. */
  offset: number;
  timestamp: number;
}

/** What the request hot paths need of a topic, read without copying its config. */
export interface TopicLayout {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: number;
}

/** The data directory as DescribeLogDirs reports it. */
export interface LogDirInfo {
  /** Absolute path of the data directory. */
  path: string;
  /** The file system's size and the bytes an unprivileged writer may still use (statfs); -1 when unknown. */
  totalBytes: number;
  usableBytes: number;
  /** Bytes on disk per partition (segments and indexes as the shards count them). */
  partitions: Array<{ topic: string; partition: number; sizeBytes: number }>;
}

export interface PartitionRef {
  topic: string;
  partition: number;
}

export interface Engine {
  createTopic(name: string, partitions: number, config?: Partial<TopicConfig>): Promise<TopicInfo>;
  deleteTopic(name: string): Promise<void>;
  /** Grows a topic to `totalPartitions` (never shrinks: INVALID_PARTITIONS). */
  createPartitions(name: string, totalPartitions: number): Promise<void>;
  alterTopicConfig(name: string, config: Partial<TopicConfig>): Promise<TopicInfo>;
  listTopics(): TopicInfo[];
  describeTopic(name: string): TopicInfo | undefined;
  /**
   * Topics that are offline because their metadata file is damaged (not in
   * listTopics). Every call naming one fails with KAFKA_STORAGE_ERROR, and none
   * creates a topic of that name, until the file is fixed and the broker restarted.
   */
  offlineTopics(): OfflineTopic[];
  offlineTopic(name: string): OfflineTopic | undefined;
  /**
   * A topic's name, id and partition count by name (or, with byId, by topic id),
   * without the copy describeTopic makes: for Produce and Fetch, once per request.
   */
  topicLayout(nameOrId: string, byId?: boolean): TopicLayout | undefined;
  /** Effective defaults for new topics (from the broker configuration). */
  defaultTopicConfig(): TopicConfig;

  /**
   * Appends one or more batches (back to back) to a partition. Resolves after the
   * shard wrote them (acks 0/1) or wrote and fdatasynced them (acks -1).
   */
  append(topic: string, partition: number, batches: Uint8Array, acks: Acks, opts?: AppendOptions): Promise<AppendResult>;
  /**
   * Reads stored batches from `offset`, at most about `maxBytes` (a first larger batch
   * comes whole); read_committed stops at the last stable offset and lists the
   * aborted transactions among what it returns.
   */
  read(topic: string, partition: number, offset: number, maxBytes: number, opts?: ReadOptions): Promise<ReadResult>;
  /** Resolves true when any of the partitions gets an append (or is deleted), false after timeoutMs. */
  waitForAppend(partitions: PartitionRef[], timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** read() with long-poll: waits up to maxWaitMs for at least minBytes past `offset`. */
  fetch(topic: string, partition: number, offset: number, maxBytes: number, maxWaitMs: number, minBytes?: number): Promise<ReadResult>;
  offsets(topic: string, partition: number): PartitionOffsets;
  /** read_committed: 'latest' is the last stable offset, and nothing at or past it is found by timestamp. */
  listOffset(topic: string, partition: number, spec: OffsetSpec, opts?: ReadOptions): Promise<ListOffsetResult>;
  /** The partition's producers: epochs, last sequences, open transactions. */
  describeProducers(topic: string, partition: number): Promise<DescribeProducersResult>;
  /**
   * DeleteRecords: moves the partition's log start offset up to `offset` (-1: the
   * high watermark), durably; records below it are gone for readers, and sealed
   * segments wholly below it are deleted. Resolves with the new log start offset.
   */
  deleteRecords(topic: string, partition: number, offset: number): Promise<DeleteRecordsResult>;
  /** The data directory, its file system's space and each partition's size (DescribeLogDirs). */
  logDir(): Promise<LogDirInfo>;

  close(): Promise<void>;
}
