// The HTTP admin views beyond REST Proxy v2 that the web console (and curl users)
// need: consumer groups with members, assignments, committed offsets and lag;
// per-partition size on disk; the broker and its shards (ring occupancy, fsync
// totals); topic configs with their defaults, altering them, and growing a topic.
// Owns: those response bodies and their validation. Must not know the transport
// (api.ts routes to these functions), nor touch files, nor change a group's
// membership (only the coordinator does; deleting an empty group goes through it).

import type { Engine, TopicInfo } from '../broker/engine-api.js';
import { APPLIED_TOPIC_CONFIG_NAMES, parseTopicConfigEntries, topicConfigEntries, isTopicConfigName, type TopicConfig } from '../config/topic-config.js';
import type { GroupServices } from '../groups/index.js';
import type { ConsumerGroupDescription } from '../groups/consumer-group.js';
import type { EngineIntrospection } from '../metrics/broker-metrics.js';
import { ErrorCode } from '../wire/errors.js';
import { HttpError, HttpErrorCode, invalidBody } from './errors.js';

/** What the admin views read besides the engine. */
export interface AdminSources {
  engine: Engine;
  groups: GroupServices;
  /** Shard statistics (SamsaEngine); without it sizes and shards are unknown (null / []). */
  introspection?: EngineIntrospection | undefined;
  /** The broker as Kafka clients see it (Metadata). */
  broker(): { nodeId: number; clusterId: string; host: string; port: number };
  /** 'uws' or 'node'. */
  transport(): string;
}

/**
 * What the asking principal may see (its DESCRIBE ACLs, checked by api.ts). Lists
 * leave out what it may not, as Kafka's ListGroups, Metadata and OffsetFetch do.
 */
export interface AdminView {
  topic(name: string): boolean;
  group(id: string): boolean;
}

export const EVERYTHING_VISIBLE: AdminView = { topic: () => true, group: () => true };

/** Groups listed by GET /groups at most; the rest are counted in `truncated`. */
const GROUPS_LISTED_MAX = 10_000;
const STATS_TIMEOUT_MS = 2_000;

// ---------------------------------------------------------------- consumer protocol

// Kafka's consumer protocol bytes (src/groups/consumer-protocol.ts): groups of other
// protocol types, or bytes that do not parse, give null, and the console shows the raw size.
import { decodeAssignment as decodeConsumerAssignment, decodeSubscription as decodeConsumerSubscription } from '../groups/consumer-protocol.js';
export type { TopicPartitions } from '../groups/consumer-protocol.js';
export { decodeConsumerAssignment, decodeConsumerSubscription };

// ---------------------------------------------------------------- groups

export const groupNotFound = (group: string): HttpError =>
  new HttpError(404, HttpErrorCode.GROUP_NOT_FOUND, `consumer group ${JSON.stringify(group.slice(0, 200))} not found`);

export function groupParam(raw: string | undefined): string {
  const g = raw ?? '';
  // Kafka allows any non-empty string; the bound keeps echoes and lookups small.
  if (g.length === 0 || g.length > 32_767) throw new HttpError(422, HttpErrorCode.INVALID_GROUP_ID, 'group id must be 1..32767 characters');
  return g;
}

interface OffsetRow {
  topic: string;
  partition: number;
  committed_offset: number | null;
  beginning_offset: number | null;
  end_offset: number | null;
  lag: number | null;
  metadata: string | null;
  commit_timestamp: number | null;
}

/** Offsets and lag per partition: every committed partition, plus assigned ones without a commit. */
function offsetRows(src: AdminSources, group: string, assigned: Iterable<{ topic: string; partition: number }>, view: AdminView): OffsetRow[] {
  const rows = new Map<string, OffsetRow>();
  const end = (topic: string, partition: number): { start: number; end: number } | null => {
    const info = src.engine.describeTopic(topic);
    if (info === undefined || partition < 0 || partition >= info.partitions) return null;
    const o = src.engine.offsets(topic, partition);
    return { start: o.logStartOffset, end: o.highWatermark };
  };
  for (const c of src.groups.offsets.list(group)) {
    if (!view.topic(c.topic)) continue;
    const o = end(c.topic, c.partition);
    rows.set(`${c.topic}\0${c.partition}`, {
      topic: c.topic,
      partition: c.partition,
      committed_offset: c.offset,
      beginning_offset: o?.start ?? null,
      end_offset: o?.end ?? null,
      // Kafka's tools: lag = log end − committed, never negative.
      lag: o === null ? null : Math.max(0, o.end - c.offset),
      metadata: c.metadata,
      commit_timestamp: c.commitTimestamp >= 0 ? c.commitTimestamp : null,
    });
  }
  for (const a of assigned) {
    const k = `${a.topic}\0${a.partition}`;
    if (rows.has(k) || !view.topic(a.topic)) continue;
    const o = end(a.topic, a.partition);
    rows.set(k, { topic: a.topic, partition: a.partition, committed_offset: null, beginning_offset: o?.start ?? null, end_offset: o?.end ?? null, lag: null, metadata: null, commit_timestamp: null });
  }
  return [...rows.values()].sort((x, y) => (x.topic === y.topic ? x.partition - y.partition : x.topic < y.topic ? -1 : 1));
}

function totalLag(rows: readonly OffsetRow[]): number {
  let sum = 0;
  for (const r of rows) sum += r.lag ?? 0;
  return sum;
}

/** GET /groups: every group with members or committed offsets. */
export async function listGroups(src: AdminSources, view: AdminView = EVERYTHING_VISIBLE): Promise<object> {
  await src.groups.offsets.ready();
  const ids = [...new Set([...src.groups.coordinator.groupIds(), ...src.groups.consumerGroups.groupIds(), ...src.groups.offsets.groupIds()])].filter((id) => view.group(id)).sort();
  const out = [];
  for (const id of ids.slice(0, GROUPS_LISTED_MAX)) {
    const g = src.groups.coordinator.describe(id);
    // A KIP-848 consumer-protocol group (the broker assigns) unless a classic group with members holds the id.
    const cg = (g?.members.length ?? 0) === 0 ? src.groups.consumerGroups.describe(id) : undefined;
    const rows = offsetRows(src, id, [], view);
    out.push({
      group_id: id,
      state: cg?.state ?? g?.state ?? 'Empty',
      protocol_type: g?.protocolType || 'consumer',
      members: cg?.members.length ?? g?.members.length ?? 0,
      topics: [...new Set(rows.map((r) => r.topic))].sort(),
      lag: totalLag(rows),
    });
  }
  return { groups: out, truncated: Math.max(0, ids.length - GROUPS_LISTED_MAX) };
}

/** GET /groups/{g}: members with their assignments, and offsets with lag per partition. */
export async function describeGroup(src: AdminSources, rawGroup: string | undefined, view: AdminView = EVERYTHING_VISIBLE): Promise<object> {
  const group = groupParam(rawGroup);
  await src.groups.offsets.ready();
  const g = src.groups.coordinator.describe(group);
  const committed = src.groups.offsets.list(group);
  const cg = (g?.members.length ?? 0) === 0 ? src.groups.consumerGroups.describe(group) : undefined;
  if (cg !== undefined) return describeConsumerProtocolGroup(src, group, cg, view);
  if (g === undefined && committed.length === 0) throw groupNotFound(group);
  const consumer = g === undefined || g.protocolType === '' || g.protocolType === 'consumer';
  const assigned: Array<{ topic: string; partition: number }> = [];
  const members = (g?.members ?? []).map((m) => {
    const assignment = consumer ? decodeConsumerAssignment(m.assignment) : null;
    for (const tp of assignment ?? []) for (const p of tp.partitions) assigned.push({ topic: tp.topic, partition: p });
    return {
      member_id: m.memberId,
      group_instance_id: m.groupInstanceId,
      client_id: m.clientId,
      client_host: m.clientHost,
      subscription: consumer ? decodeConsumerSubscription(m.metadata) : null,
      assignment: assignment === null ? null : assignment.map((tp) => ({ topic: tp.topic, partitions: [...tp.partitions].sort((a, b) => a - b) })),
      assignment_bytes: m.assignment.byteLength,
    };
  });
  const offsets = offsetRows(src, group, assigned, view);
  return {
    group_id: group,
    state: g?.state ?? 'Empty',
    protocol_type: g?.protocolType || 'consumer',
    protocol: g?.protocolName ?? '',
    members,
    offsets,
    lag: totalLag(offsets),
  };
}

/**
 * GET /groups/{g} of a KIP-848 consumer-protocol group: the members' subscriptions and
 * current assignments as the broker holds them (no client bytes); protocol is the
 * server-side assignor.
 */
function describeConsumerProtocolGroup(src: AdminSources, group: string, cg: ConsumerGroupDescription, view: AdminView): object {
  const assigned: Array<{ topic: string; partition: number }> = [];
  const members = cg.members.map((m) => {
    const assignment = [...m.assignment]
      .filter(([, ps]) => ps.length > 0)
      .map(([topicId, ps]) => ({ topic: src.groups.consumerGroups.topicName(topicId), partitions: [...ps].sort((a, b) => a - b) }));
    for (const tp of assignment) for (const p of tp.partitions) assigned.push({ topic: tp.topic, partition: p });
    return { member_id: m.memberId, group_instance_id: m.instanceId, client_id: m.clientId, client_host: m.clientHost, subscription: m.subscribedTopicNames, assignment, assignment_bytes: 0 };
  });
  const offsets = offsetRows(src, group, assigned, view);
  return { group_id: group, state: cg.state, protocol_type: 'consumer', protocol: cg.assignorName, members, offsets, lag: totalLag(offsets) };
}

/** DELETE /groups/{g}: an empty group and its committed offsets (as DeleteGroups). */
export async function deleteGroup(src: AdminSources, rawGroup: string | undefined): Promise<object> {
  const group = groupParam(rawGroup);
  await src.groups.offsets.ready();
  if (src.groups.coordinator.describe(group) === undefined && !src.groups.consumerGroups.has(group) && src.groups.offsets.list(group).length === 0) throw groupNotFound(group);
  const code = src.groups.consumerGroups.inUse(group) ? ErrorCode.NON_EMPTY_GROUP : src.groups.coordinator.delete(group);
  if (code === ErrorCode.NONE) src.groups.consumerGroups.delete(group);
  if (code === ErrorCode.NON_EMPTY_GROUP) throw new HttpError(409, HttpErrorCode.GROUP_NOT_EMPTY, `consumer group ${JSON.stringify(group)} has members: stop them first`);
  await src.groups.offsets.deleteGroup(group);
  return { group_id: group, deleted: true };
}

// ---------------------------------------------------------------- shards and sizes

type ShardStatsList = Awaited<ReturnType<EngineIntrospection['stats']>>;

/** The shards' statistics, or null when there is no introspection or a shard did not answer in time. */
async function shardStats(src: AdminSources): Promise<ShardStatsList | null> {
  const intro = src.introspection;
  if (intro === undefined) return null;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), STATS_TIMEOUT_MS);
  });
  const r = await Promise.race([intro.stats().catch(() => null), timeout]);
  clearTimeout(timer);
  return r;
}

interface PartitionSize {
  sizeBytes: number;
  segments: number;
  shard: number;
}

function sizesByPartition(src: AdminSources, shards: ShardStatsList | null): Map<string, PartitionSize> {
  const out = new Map<string, PartitionSize>();
  if (shards === null || src.introspection === undefined) return out;
  for (const s of shards) {
    for (const p of s.stats.partitions) {
      const ref = src.introspection.slotName(p.slot);
      if (ref !== undefined) out.set(`${ref.topic}\0${ref.partition}`, { sizeBytes: p.sizeBytes, segments: p.segments, shard: s.shardId });
    }
  }
  return out;
}

function topicSummary(src: AdminSources, info: TopicInfo, sizes: Map<string, PartitionSize>) {
  let sizeBytes: number | null = 0;
  let records = 0;
  const partitions = [];
  for (let p = 0; p < info.partitions; p++) {
    const o = src.engine.offsets(info.name, p);
    const s = sizes.get(`${info.name}\0${p}`);
    if (s === undefined) sizeBytes = null;
    else if (sizeBytes !== null) sizeBytes += s.sizeBytes;
    records += o.highWatermark - o.logStartOffset;
    partitions.push({ partition: p, beginning_offset: o.logStartOffset, end_offset: o.highWatermark, size_bytes: s?.sizeBytes ?? null, segments: s?.segments ?? null, shard: s?.shard ?? null });
  }
  return { name: info.name, internal: info.name.startsWith('__'), partition_count: info.partitions, size_bytes: sizeBytes, records, cleanup_policy: info.config['cleanup.policy'], partitions };
}

/** GET /stats/topics: every topic with partition count, offsets span and size on disk. */
export async function topicsStats(src: AdminSources, view: AdminView = EVERYTHING_VISIBLE): Promise<object> {
  const sizes = sizesByPartition(src, await shardStats(src));
  return src.engine
    .listTopics()
    .filter((info) => view.topic(info.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((info) => {
      const { partitions: _unused, ...rest } = topicSummary(src, info, sizes);
      return rest;
    });
}

/** GET /topics/{t}/stats: one topic per partition (offsets, size on disk, segments, shard). */
export async function topicStats(src: AdminSources, info: TopicInfo): Promise<object> {
  return topicSummary(src, info, sizesByPartition(src, await shardStats(src)));
}

/** GET /broker: the node, its listeners and its shards. */
export async function brokerInfo(src: AdminSources, uptimeSeconds: number): Promise<object> {
  const shards = await shardStats(src);
  const infos = src.introspection?.shardInfos ?? [];
  const b = src.broker();
  return {
    node_id: b.nodeId,
    cluster_id: b.clusterId,
    kafka_listener: `${b.host}:${b.port}`,
    http_transport: src.transport(),
    uptime_seconds: uptimeSeconds,
    offline_topics: src.engine.offlineTopics().map((d) => ({ name: d.name, file: d.file, problem: d.problem })),
    shards_answered: shards !== null,
    shards: (shards ?? []).map((s) => {
      const info = infos.find((i) => i.shardId === s.shardId);
      let sizeBytes = 0;
      for (const p of s.stats.partitions) sizeBytes += p.sizeBytes;
      return {
        shard: s.shardId,
        cpu: info?.cpu ?? null,
        pinned: info?.pinned ?? false,
        partitions: s.stats.partitions.length,
        size_bytes: sizeBytes,
        ring: {
          request_used_bytes: s.ring.request,
          request_capacity_bytes: s.ringCapacity?.request ?? null,
          completion_used_bytes: s.ring.completion,
          completion_capacity_bytes: s.ringCapacity?.completion ?? null,
        },
        fsync_count: s.stats.fsyncCount,
        fsync_total_ms: s.stats.fsyncTotalMs,
        drains: s.stats.drains,
        append_frames: s.stats.appendFrames,
      };
    }),
  };
}

// ---------------------------------------------------------------- configs and partitions

/**
 * GET /topics/{t}/configs: every setting with its value, whether it is the broker
 * default, and whether Samsa applies it (the others are Kafka's, kept and described
 * for compatibility only).
 */
export function topicConfigs(src: AdminSources, info: TopicInfo): object {
  const applied = new Set<string>(APPLIED_TOPIC_CONFIG_NAMES);
  return topicConfigEntries(info.config, src.engine.defaultTopicConfig(), null).map((e) => ({ name: e.name, value: e.value, is_default: e.isDefault, applied: applied.has(e.name) }));
}

/** `{"name": value}` or `[{"name", "value"}]` as entries; a null value means "back to the default". */
export function configEntriesOf(raw: unknown): Array<{ name: string; value: string | null }> {
  const entries: Array<{ name: string; value: string | null }> = [];
  if (Array.isArray(raw)) {
    for (const c of raw as unknown[]) {
      const e = c as { name?: unknown; value?: unknown };
      if (typeof c !== 'object' || c === null || typeof e.name !== 'string') throw new HttpError(422, HttpErrorCode.INVALID_CONFIG, '"configs" entries must be {"name": string, "value": string}');
      entries.push({ name: e.name, value: e.value === null || e.value === undefined ? null : String(e.value) });
    }
  } else if (typeof raw === 'object' && raw !== null) {
    for (const [k, v] of Object.entries(raw)) entries.push({ name: k, value: v === null || v === undefined ? null : String(v) });
  } else if (raw !== undefined && raw !== null) {
    throw new HttpError(422, HttpErrorCode.INVALID_CONFIG, '"configs" must be an object {"name": value} or an array of {"name","value"}');
  }
  return entries;
}

/** POST /topics/{t}/configs body `{"configs": …}`: sets the named settings, resets null ones to the broker default. */
export async function alterConfigs(src: AdminSources, info: TopicInfo, body: unknown): Promise<TopicInfo> {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !('configs' in body)) throw invalidBody('body must be {"configs": {"name": "value" | null, …}}');
  const entries = configEntriesOf((body as { configs: unknown }).configs);
  if (entries.length === 0) throw new HttpError(422, HttpErrorCode.INVALID_CONFIG, '"configs" names no setting');
  const set = parseTopicConfigEntries(entries);
  const defaults = src.engine.defaultTopicConfig();
  const reset: Partial<Record<keyof TopicConfig, unknown>> = {};
  for (const e of entries) if (e.value === null && isTopicConfigName(e.name)) reset[e.name] = defaults[e.name];
  return src.engine.alterTopicConfig(info.name, { ...(reset as Partial<TopicConfig>), ...set });
}

/** POST /topics/{t}/partitions body `{"partitions": N}`: grows the topic to N partitions. */
export async function growPartitions(src: AdminSources, info: TopicInfo, body: unknown): Promise<TopicInfo> {
  const n = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { partitions?: unknown }).partitions : undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new HttpError(422, HttpErrorCode.INVALID_PARTITIONS, `body must be {"partitions": N} with N a positive integer, got ${JSON.stringify(n ?? null)}`);
  if (n <= info.partitions) throw new HttpError(422, HttpErrorCode.INVALID_PARTITIONS, `topic '${info.name}' has ${info.partitions} partitions: the count can only grow (asked for ${n})`);
  await src.engine.createPartitions(info.name, n);
  const after = src.engine.describeTopic(info.name);
  if (after === undefined) throw new HttpError(404, HttpErrorCode.TOPIC_NOT_FOUND, `topic '${info.name}' not found`);
  return after;
}
