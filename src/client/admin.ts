// The admin client: topics (create, delete, list, describe), partitions, configs
// and offsets. Owns: building those requests and turning per-resource error codes
// into thrown KafkaErrors. Must not import Node built-ins.

import type { CreateTopicsResponse } from '../wire/schemas/19-create-topics.js';
import type { DeleteTopicsResponse } from '../wire/schemas/20-delete-topics.js';
import type { CreatePartitionsResponse } from '../wire/schemas/37-create-partitions.js';
import type { DescribeConfigsResponse } from '../wire/schemas/32-describe-configs.js';
import type { DeleteRecordsResponse } from '../wire/schemas/21-delete-records.js';
import type { ListOffsetsResponse } from '../wire/schemas/02-list-offsets.js';
import { API_KEYS, type Connection, ConnectionHolder, type ConnectionOptions } from './connection.js';
import { ErrorCode, KafkaError, errorName } from './errors.js';
import { type ClusterMetadata, type TopicMetadata, requestMetadata } from './metadata.js';

export type { ClusterMetadata, PartitionMetadata, TopicMetadata } from './metadata.js';

export type AdminOptions = ConnectionOptions;

export interface NewTopic {
  name: string;
  /** Default: the broker's num.partitions. */
  numPartitions?: number;
  /** Default: the broker's default (a single node has one replica). */
  replicationFactor?: number;
  configs?: Record<string, string>;
}

export interface AdminRequestOptions {
  /** How long the broker may take. Default 30 s. */
  timeoutMs?: number;
  /** Check only; change nothing (CreateTopics, CreatePartitions). */
  validateOnly?: boolean;
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  /** DescribeConfigs ConfigSource (1 topic, 4 static broker, 5 default, ...; -1 unknown). */
  source: number;
  isSensitive: boolean;
}

export interface ConfigResource {
  type: 'topic' | 'broker';
  name: string;
  /** Only these keys (default: all). */
  keys?: string[];
}

export interface ConfigResourceResult {
  type: 'topic' | 'broker';
  name: string;
  configs: ConfigEntry[];
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface PartitionOffset {
  partition: number;
  /** -1 when no record has a timestamp at or after the one asked for. */
  offset: number;
  /** Timestamp of that record (timestamp lookups), else -1. */
  timestamp: number;
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const CONFIG_SOURCE_DEFAULT = 5;

/** Throws one KafkaError naming every failed resource, with the first failure's code. */
function throwIfFailed(what: string, failures: Array<{ name: string; code: number; message: string | null }>): void {
  if (failures.length === 0) return;
  const text = failures.map((f) => `${f.name}: ${errorName(f.code)} (${f.code})${f.message ? ` ${f.message}` : ''}`).join('; ');
  throw new KafkaError(failures[0]!.code, `${what} failed for ${text}`);
}

export class Admin {
  private readonly holder: ConnectionHolder;
  private readonly requestTimeoutMs: number;

  constructor(options: AdminOptions) {
    this.holder = new ConnectionHolder(options);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private conn(): Promise<Connection> {
    return this.holder.get();
  }

  async createTopics(topics: readonly NewTopic[], opts: AdminRequestOptions = {}): Promise<void> {
    const conn = await this.conn();
    const v = conn.version(API_KEYS.CreateTopics);
    // -1 (broker default) exists from v4; older versions need a number.
    const dflt = v >= 4 ? -1 : 1;
    const res = await conn.request<CreateTopicsResponse>(API_KEYS.CreateTopics, {
      topics: topics.map((t) => ({
        name: t.name,
        numPartitions: t.numPartitions ?? dflt,
        replicationFactor: t.replicationFactor ?? dflt,
        assignments: [],
        configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value: String(value) })),
      })),
      timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    throwIfFailed(
      'createTopics',
      res.topics.filter((t) => t.errorCode !== ErrorCode.NONE).map((t) => ({ name: t.name, code: t.errorCode, message: t.errorMessage })),
    );
  }

  async deleteTopics(names: readonly string[], opts: AdminRequestOptions = {}): Promise<void> {
    const conn = await this.conn();
    const v = conn.version(API_KEYS.DeleteTopics);
    const res = await conn.request<DeleteTopicsResponse>(API_KEYS.DeleteTopics, {
      topics: v >= 6 ? names.map((name) => ({ name, topicId: '00000000000000000000000000000000' })) : [],
      topicNames: v >= 6 ? [] : [...names],
      timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
    });
    throwIfFailed(
      'deleteTopics',
      res.responses.filter((t) => t.errorCode !== ErrorCode.NONE).map((t) => ({ name: t.name ?? t.topicId, code: t.errorCode, message: t.errorMessage })),
    );
  }

  /** Names of every non-internal topic, sorted. */
  async listTopics(): Promise<string[]> {
    const md = await requestMetadata(await this.conn(), null, false);
    return md.topics
      .filter((t) => !t.isInternal && t.errorCode === ErrorCode.NONE)
      .map((t) => t.name)
      .sort();
  }

  /** Metadata of the named topics; throws if any is unknown. */
  async describeTopics(names: readonly string[]): Promise<TopicMetadata[]> {
    const md = await requestMetadata(await this.conn(), names, false);
    const byName = new Map(md.topics.map((t) => [t.name, t]));
    const failures: Array<{ name: string; code: number; message: string | null }> = [];
    const out: TopicMetadata[] = [];
    for (const name of names) {
      const t = byName.get(name);
      const code = t === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : t.errorCode;
      if (code !== ErrorCode.NONE || t === undefined) failures.push({ name, code, message: null });
      else out.push(t);
    }
    throwIfFailed('describeTopics', failures);
    return out;
  }

  /** Brokers, cluster id and controller. */
  async describeCluster(): Promise<Omit<ClusterMetadata, 'topics'>> {
    const md = await requestMetadata(await this.conn(), [], false);
    return { clusterId: md.clusterId, controllerId: md.controllerId, brokers: md.brokers };
  }

  /** Grows topics to `count` partitions in total. */
  async createPartitions(entries: ReadonlyArray<{ topic: string; count: number }>, opts: AdminRequestOptions = {}): Promise<void> {
    const conn = await this.conn();
    const res = await conn.request<CreatePartitionsResponse>(API_KEYS.CreatePartitions, {
      topics: entries.map((e) => ({ name: e.topic, count: e.count, assignments: null })),
      timeoutMs: opts.timeoutMs ?? this.requestTimeoutMs,
      validateOnly: opts.validateOnly ?? false,
    });
    throwIfFailed(
      'createPartitions',
      res.results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => ({ name: r.name, code: r.errorCode, message: r.errorMessage })),
    );
  }

  async describeConfigs(resources: readonly ConfigResource[]): Promise<ConfigResourceResult[]> {
    const conn = await this.conn();
    const v = conn.version(API_KEYS.DescribeConfigs);
    const res = await conn.request<DescribeConfigsResponse>(API_KEYS.DescribeConfigs, {
      resources: resources.map((r) => {
        if (r.type !== 'topic' && r.type !== 'broker') throw new TypeError(`config resource type must be topic or broker, got ${String(r.type)}`);
        return { resourceType: r.type === 'topic' ? RESOURCE_TOPIC : RESOURCE_BROKER, resourceName: r.name, configurationKeys: r.keys ?? null };
      }),
      includeSynonyms: false,
      includeDocumentation: false,
    });
    throwIfFailed(
      'describeConfigs',
      res.results.filter((r) => r.errorCode !== ErrorCode.NONE).map((r) => ({ name: r.resourceName, code: r.errorCode, message: r.errorMessage })),
    );
    return res.results.map((r) => ({
      type: r.resourceType === RESOURCE_TOPIC ? 'topic' : 'broker',
      name: r.resourceName,
      configs: r.configs.map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        isDefault: v === 0 ? c.isDefault : c.configSource === CONFIG_SOURCE_DEFAULT,
        source: c.configSource,
        isSensitive: c.isSensitive,
      })),
    }));
  }

  /**
   * Offsets of a topic's partitions (default: all): the log start ('earliest'), the
   * high watermark ('latest'), or the first record at or after a timestamp.
   */
  async listOffsets(topic: string, spec: OffsetSpec, partitions?: readonly number[]): Promise<PartitionOffset[]> {
    const conn = await this.conn();
    let list = partitions;
    if (list === undefined) {
      const [t] = await this.describeTopics([topic]);
      list = t!.partitions.map((p) => p.partition);
    }
    let timestamp: number;
    if (spec === 'earliest') timestamp = -2;
    else if (spec === 'latest') timestamp = -1;
    else if (typeof spec === 'object' && Number.isSafeInteger(spec.timestamp) && spec.timestamp >= 0) timestamp = spec.timestamp;
    else throw new RangeError(`offset spec must be earliest, latest or { timestamp ≥ 0 }`);
    const res = await conn.request<ListOffsetsResponse>(API_KEYS.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: topic, partitions: list.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
    });
    const parts = res.topics.find((t) => t.name === topic)?.partitions ?? [];
    throwIfFailed(
      'listOffsets',
      parts.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ name: `${topic}-${p.partitionIndex}`, code: p.errorCode, message: null })),
    );
    const v0 = conn.version(API_KEYS.ListOffsets) === 0;
    return parts
      .map((p) => ({ partition: p.partitionIndex, offset: v0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset, timestamp: v0 ? -1 : p.timestamp }))
      .sort((a, b) => a.partition - b.partition);
  }

  /**
   * DeleteRecords: moves each partition's log start offset (low watermark) up to
   * `offset` (-1: the high watermark); records below it can no longer be read.
   * Resolves with the new low watermark per partition; rejects naming each partition
   * that failed (OFFSET_OUT_OF_RANGE past the end, POLICY_VIOLATION on a compact-only topic).
   */
  async deleteRecords(topic: string, entries: ReadonlyArray<{ partition: number; offset: number }>, opts: AdminRequestOptions = {}): Promise<Array<{ partition: number; lowWatermark: number }>> {
    if (entries.length === 0) return [];
    for (const e of entries) {
      if (!Number.isInteger(e.partition) || e.partition < 0) throw new RangeError(`partition must be an integer ≥ 0, got ${e.partition}`);
      if (!Number.isSafeInteger(e.offset) || e.offset < -1) throw new RangeError(`offset must be an integer ≥ -1, got ${e.offset}`);
    }
    const conn = await this.conn();
    const res = await conn.request<DeleteRecordsResponse>(API_KEYS.DeleteRecords, {
      topics: [{ name: topic, partitions: entries.map((e) => ({ partitionIndex: e.partition, offset: e.offset })) }],
      timeoutMs: opts.timeoutMs ?? 30_000,
    });
    const parts = res.topics.find((t) => t.name === topic)?.partitions ?? [];
    throwIfFailed(
      'deleteRecords',
      parts.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ name: `${topic}-${p.partitionIndex}`, code: p.errorCode, message: null })),
    );
    return parts.map((p) => ({ partition: p.partitionIndex, lowWatermark: p.lowWatermark })).sort((a, b) => a.partition - b.partition);
  }

  close(): Promise<void> {
    this.holder.close();
    return Promise.resolve();
  }
}
