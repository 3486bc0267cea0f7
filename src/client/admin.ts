// The admin client: topics (create, delete, list, describe), partitions, configs,
// offsets, and consumer groups' committed offsets. Owns: building those requests,
// sending each to the broker that serves it (partition leader, group coordinator)
// and turning per-resource error codes into thrown KafkaErrors. Must not import
// Node built-ins.

import type { CreateTopicsResponse } from '../wire/schemas/19-create-topics.js';
import type { DeleteTopicsResponse } from '../wire/schemas/20-delete-topics.js';
import type { CreatePartitionsResponse } from '../wire/schemas/37-create-partitions.js';
import type { DescribeConfigsResponse } from '../wire/schemas/32-describe-configs.js';
import type { DeleteRecordsResponse } from '../wire/schemas/21-delete-records.js';
import type { ListOffsetsResponse } from '../wire/schemas/02-list-offsets.js';
import type { OffsetCommitResponse } from '../wire/schemas/08-offset-commit.js';
import type { OffsetFetchResponse } from '../wire/schemas/09-offset-fetch.js';
import type { ListGroupsResponse } from '../wire/schemas/16-list-groups.js';
import type { DescribeGroupsResponse } from '../wire/schemas/15-describe-groups.js';
import type { ConsumerGroupDescribeResponse } from '../wire/schemas/69-consumer-group-describe.js';
import { API_KEYS, type Connection, type ConnectionOptions } from './connection.js';
import { Cluster, UNKNOWN_NODE } from './cluster.js';
import { ErrorCode, KafkaError, errorName, isRetriableError, kafkaError } from './errors.js';
import type { ClusterMetadata, TopicMetadata } from './metadata.js';

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

export interface GroupListing {
  groupId: string;
  /** 'consumer' for Kafka consumer groups; '' for a group that only has committed offsets. */
  protocolType: string;
  /** Empty, Stable, … (ListGroups v4+); null from older brokers. */
  state: string | null;
}

export interface GroupDescription {
  groupId: string;
  /** Stable, Empty, Dead, PreparingRebalance, CompletingRebalance; for consumer-protocol groups Assigning, Reconciling. */
  state: string;
  protocolType: string;
  members: number;
}

export interface GroupOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

const RESOURCE_TOPIC = 2;
/**
 * A request whose leader or coordinator moved (or is still being elected or
 * loaded) is sent again after fresh metadata, with a backoff doubling to 1 s, until
 * requestTimeoutMs has passed since the first attempt.
 */
const ROUTE_BACKOFF_MS = 100;
const ROUTE_BACKOFF_MAX_MS = 1000;
/** Bound on attempts whatever the clock says. */
const ROUTE_ATTEMPTS_MAX = 200;
const MOVED_CODES: ReadonlySet<number> = new Set([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
]);
const RESOURCE_BROKER = 4;
const CONFIG_SOURCE_DEFAULT = 5;

function backoff(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.min(ROUTE_BACKOFF_MAX_MS, ROUTE_BACKOFF_MS * 2 ** Math.min(attempt - 1, 10))));
}

/** Throws one KafkaError naming every failed resource, with the first failure's code. */
function throwIfFailed(what: string, failures: Array<{ name: string; code: number; message: string | null }>): void {
  if (failures.length === 0) return;
  const text = failures.map((f) => `${f.name}: ${errorName(f.code)} (${f.code})${f.message ? ` ${f.message}` : ''}`).join('; ');
  throw new KafkaError(failures[0]!.code, `${what} failed for ${text}`);
}

export class Admin {
  private readonly cluster: Cluster;
  private readonly requestTimeoutMs: number;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  private conn(): Promise<Connection> {
    return this.cluster.any();
  }

  /**
   * Runs `fn` once per leader of the topic's `partitions` (one broker: once, on the
   * bootstrap connection) and concatenates the answers. Partitions whose leader
   * moved (an error code in MOVED_CODES, or a lost connection) are sent again after
   * fresh metadata, up to ROUTE_ATTEMPTS_MAX times; other codes are the caller's.
   */
  private async byLeader<R extends { partition: number; errorCode: number }>(
    topic: string,
    partitions: readonly number[],
    fn: (conn: Connection, partitions: number[]) => Promise<R[]>,
  ): Promise<R[]> {
    const done: R[] = [];
    let todo = [...partitions];
    const deadlineMs = Date.now() + this.requestTimeoutMs;
    for (let attempt = 1; todo.length > 0; attempt++) {
      if (attempt > 1 || this.cluster.leaderNode(topic, todo[0]!) === UNKNOWN_NODE) await this.cluster.metadata([topic], false);
      const byNode = new Map<number, number[]>();
      for (const p of todo) {
        const node = this.cluster.leaderNode(topic, p);
        let list = byNode.get(node);
        if (list === undefined) byNode.set(node, (list = []));
        list.push(p);
      }
      const retry: number[] = [];
      const last = attempt >= ROUTE_ATTEMPTS_MAX || Date.now() >= deadlineMs;
      await Promise.all(
        [...byNode].map(async ([node, parts]) => {
          let answers: R[];
          try {
            if (node === UNKNOWN_NODE) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `leader of ${topic}`);
            answers = await fn(await this.cluster.node(node), parts);
          } catch (err) {
            if (last || !isRetriableError(err)) throw err;
            retry.push(...parts);
            return;
          }
          for (const a of answers) {
            if (!last && MOVED_CODES.has(a.errorCode)) {
              this.cluster.forgetLeader(topic, a.partition);
              retry.push(a.partition);
            } else done.push(a);
          }
        }),
      );
      todo = retry;
      if (todo.length > 0) await backoff(attempt);
    }
    return done;
  }

  /** Sends a request to a group's coordinator, asking FindCoordinator again (bounded) when it moved. */
  private async toCoordinator<T>(groupId: string, fn: (conn: Connection) => Promise<T>, movedCode: (res: T) => number): Promise<T> {
    const deadlineMs = Date.now() + this.requestTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= ROUTE_ATTEMPTS_MAX || Date.now() >= deadlineMs;
      let res: T;
      try {
        res = await fn(await this.cluster.coordinator(groupId));
      } catch (err) {
        if (last || !isRetriableError(err)) throw err;
        this.cluster.forgetCoordinator(groupId);
        await backoff(attempt);
        continue;
      }
      if (last || !MOVED_CODES.has(movedCode(res))) return res;
      this.cluster.forgetCoordinator(groupId);
      await backoff(attempt);
    }
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
    const md = await this.cluster.metadata(null, false);
    return md.topics
      .filter((t) => !t.isInternal && t.errorCode === ErrorCode.NONE)
      .map((t) => t.name)
      .sort();
  }

  /** Metadata of the named topics; throws if any is unknown. */
  async describeTopics(names: readonly string[]): Promise<TopicMetadata[]> {
    const md = await this.cluster.metadata(names, false);
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
    const md = await this.cluster.metadata([], false);
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
    if (list.length === 0) return [];
    const parts = await this.byLeader(topic, list, async (conn, ps) => {
      const res = await conn.request<ListOffsetsResponse>(API_KEYS.ListOffsets, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: ps.map((p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
      });
      const v0 = conn.version(API_KEYS.ListOffsets) === 0;
      return (res.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => ({
        partition: p.partitionIndex,
        errorCode: p.errorCode,
        offset: v0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset,
        timestamp: v0 ? -1 : p.timestamp,
      }));
    });
    throwIfFailed(
      'listOffsets',
      parts.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ name: `${topic}-${p.partition}`, code: p.errorCode, message: null })),
    );
    return parts.map((p) => ({ partition: p.partition, offset: p.offset, timestamp: p.timestamp })).sort((a, b) => a.partition - b.partition);
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
    const offsetOf = new Map(entries.map((e) => [e.partition, e.offset]));
    const parts = await this.byLeader(topic, [...offsetOf.keys()], async (conn, ps) => {
      const res = await conn.request<DeleteRecordsResponse>(API_KEYS.DeleteRecords, {
        topics: [{ name: topic, partitions: ps.map((p) => ({ partitionIndex: p, offset: offsetOf.get(p)! })) }],
        timeoutMs: opts.timeoutMs ?? 30_000,
      });
      return (res.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, lowWatermark: p.lowWatermark }));
    });
    throwIfFailed(
      'deleteRecords',
      parts.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ name: `${topic}-${p.partition}`, code: p.errorCode, message: null })),
    );
    return parts.map((p) => ({ partition: p.partition, lowWatermark: p.lowWatermark })).sort((a, b) => a.partition - b.partition);
  }

  // ------------------------------------------------------------------ groups

  /** Every consumer group the brokers know (each broker lists the groups it coordinates). */
  async listGroups(): Promise<GroupListing[]> {
    const nodes = this.cluster.multiBroker ? this.cluster.nodeIds() : [];
    if (nodes.length === 0) {
      await this.cluster.metadata([], false);
      nodes.push(...this.cluster.nodeIds());
    }
    const targets = nodes.length === 0 ? [-1] : nodes;
    const out = new Map<string, GroupListing>();
    await Promise.all(
      targets.map(async (node) => {
        const conn = await this.cluster.node(node);
        const res = await conn.request<ListGroupsResponse>(API_KEYS.ListGroups, { statesFilter: [] });
        if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, 'listGroups');
        const v4 = conn.version(API_KEYS.ListGroups) >= 4;
        for (const g of res.groups) out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: v4 ? g.groupState : null });
      }),
    );
    return [...out.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  /**
   * State and member count of one group (state 'Dead' with 0 members for a group the
   * broker does not know). A KIP-848 consumer group, which DescribeGroups reports as
   * Dead or GROUP_ID_NOT_FOUND, is described by ConsumerGroupDescribe (protocol type
   * `consumer`, Kafka's state names: Empty, Assigning, Reconciling, Stable).
   */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const res = await this.toCoordinator(
      groupId,
      (conn) => conn.request<DescribeGroupsResponse>(API_KEYS.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false }),
      (r) => r.groups[0]?.errorCode ?? ErrorCode.NONE,
    );
    const g = res.groups.find((x) => x.groupId === groupId);
    if (g === undefined || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND || (g.errorCode === ErrorCode.NONE && g.groupState === 'Dead')) {
      const cg = await this.toCoordinator(
        groupId,
        async (conn) =>
          conn.version(API_KEYS.ConsumerGroupDescribe) < 0 ? null : conn.request<ConsumerGroupDescribeResponse>(API_KEYS.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false }),
        (r) => r?.groups[0]?.errorCode ?? ErrorCode.NONE,
      );
      const c = cg?.groups.find((x) => x.groupId === groupId);
      if (c !== undefined && c.errorCode === ErrorCode.NONE) return { groupId, state: c.groupState, protocolType: 'consumer', members: c.members.length };
      return { groupId, state: 'Dead', protocolType: '', members: 0 };
    }
    if (g.errorCode !== ErrorCode.NONE) throw kafkaError(g.errorCode, `describeGroup ${groupId}`, g.errorMessage);
    return { groupId, state: g.groupState, protocolType: g.protocolType, members: g.members.length };
  }

  /**
   * A group's committed offsets: of `topics` (null: every topic it committed), only
   * partitions with a commit (offset ≥ 0), sorted by topic and partition.
   */
  async fetchOffsets(groupId: string, topics: readonly string[] | null = null): Promise<GroupOffset[]> {
    let partitionsOf: Map<string, number[]> | null = null;
    if (topics !== null) {
      // OffsetFetch names partitions: ask for all of each topic.
      const described = await this.describeTopics(topics);
      partitionsOf = new Map(described.map((t) => [t.name, t.partitions.map((p) => p.partition)]));
    }
    const reqTopics = partitionsOf === null ? null : [...partitionsOf].map(([name, partitionIndexes]) => ({ name, partitionIndexes }));
    let version = 0;
    const res = await this.toCoordinator(
      groupId,
      (conn) => {
        version = conn.version(API_KEYS.OffsetFetch);
        if (reqTopics === null && version < 2) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, 'fetching every topic of a group needs OffsetFetch v2+');
        return conn.request<OffsetFetchResponse>(API_KEYS.OffsetFetch, {
          groupId,
          topics: reqTopics,
          groups: [{ groupId, topics: reqTopics }],
          requireStable: false,
        });
      },
      (r) => (version >= 8 ? (r.groups[0]?.errorCode ?? ErrorCode.NONE) : r.errorCode),
    );
    let code: number;
    let list: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; metadata: string | null; errorCode: number }> }>;
    if (version >= 8) {
      const g = res.groups.find((x) => x.groupId === groupId);
      code = g?.errorCode ?? ErrorCode.NONE;
      list = g?.topics ?? [];
    } else {
      code = res.errorCode;
      list = res.topics;
    }
    if (code !== ErrorCode.NONE) throw kafkaError(code, `fetchOffsets ${groupId}`);
    const out: GroupOffset[] = [];
    const failures: Array<{ name: string; code: number; message: string | null }> = [];
    for (const t of list) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) failures.push({ name: `${t.name}-${p.partitionIndex}`, code: p.errorCode, message: null });
        else if (p.committedOffset >= 0) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata });
      }
    }
    throwIfFailed(`fetchOffsets ${groupId}`, failures);
    return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /**
   * Commits offsets for a group from outside it (generation -1, no member: what
   * Kafka's AdminClient alterConsumerGroupOffsets does). The group must have no
   * members (a live group answers UNKNOWN_MEMBER_ID or ILLEGAL_GENERATION).
   */
  async commitOffsets(groupId: string, offsets: readonly GroupOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const byTopic = new Map<string, Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; commitTimestamp: number; committedMetadata: string | null }>>();
    for (const o of offsets) {
      if (!Number.isInteger(o.partition) || o.partition < 0) throw new RangeError(`partition must be an integer ≥ 0, got ${o.partition}`);
      if (!Number.isSafeInteger(o.offset) || o.offset < 0) throw new RangeError(`offset must be an integer ≥ 0, got ${o.offset}`);
      let list = byTopic.get(o.topic);
      if (list === undefined) byTopic.set(o.topic, (list = []));
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata ?? '' });
    }
    const res = await this.toCoordinator(
      groupId,
      (conn) =>
        conn.request<OffsetCommitResponse>(API_KEYS.OffsetCommit, {
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          retentionTimeMs: -1,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        }),
      (r) => r.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.NONE,
    );
    throwIfFailed(
      `commitOffsets ${groupId}`,
      res.topics.flatMap((t) => t.partitions.filter((p) => p.errorCode !== ErrorCode.NONE).map((p) => ({ name: `${t.name}-${p.partitionIndex}`, code: p.errorCode, message: null }))),
    );
  }

  close(): Promise<void> {
    this.cluster.close();
    return Promise.resolve();
  }
}
