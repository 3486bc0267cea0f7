// The suite's second client: Samsa's own client (src/client public surface), used
// to set up what a case needs (topics, records, committed offsets) and to read back
// what a driver did (every record with its key, value, headers and timestamp; raw
// batch headers for codec and idempotence; committed offsets). Works against Samsa
// and Apache Kafka alike. Owns: these helpers. Must not judge a case (cases.ts does)
// and must not import below src/client/index.ts.

import { Admin, Connection, Consumer, ErrorCode, type Message, Producer, errorName, isRetriable } from '../../src/client/index.js';
import type { Compression, Header, RecordIn, RecordOut } from './protocol.js';

const CLIENT_ID = 'interop-verify';
/** Between polls of a condition that settles on its own (topic creation, acks=0 appends). */
const POLL_MS = 50;
const FETCH_MAX_BYTES = 8 * 1024 * 1024;
/** Fetch rounds per raw read, at most (each advances by at least one batch). */
const FETCH_ROUNDS_MAX = 10_000;

const API = { Fetch: 1, OffsetCommit: 8, OffsetFetch: 9, FindCoordinator: 10, ConsumerGroupDescribe: 69 } as const;

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class DeadlineError extends Error {}

/** Resolves with `p`, or rejects naming `what` after `ms`. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: not done within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns a value (not undefined), or fails naming `what` (with the last state) after `ms`. */
export async function until<T>(ms: number, what: string, check: () => Promise<T | undefined>, state?: () => string): Promise<T> {
  const end = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= end) {
      const why = lastError !== undefined ? ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})` : '';
      throw new DeadlineError(`${what}: not reached within ${ms} ms${state !== undefined ? ` — ${state()}` : ''}${why}`);
    }
    await sleep(POLL_MS);
  }
}

export interface BatchHeader {
  baseOffset: number;
  lastOffset: number;
  compression: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export const CODEC_BY_ATTRIBUTE: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

function text(b: Uint8Array | null): string | null {
  return b === null ? null : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

export function toRecordOut(m: Message): RecordOut {
  const headers: Header[] = m.headers.map((h) => [h.key, text(h.value) ?? '']);
  return { partition: m.partition, offset: m.offset, key: text(m.key), value: text(m.value), headers, timestamp: m.timestamp };
}

/** Batch headers (RecordBatch v2 layout) of a fetched records section. */
function parseBatchHeaders(bytes: Uint8Array): BatchHeader[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BatchHeader[] = [];
  let pos = 0;
  while (bytes.length - pos >= 61) {
    const batchLength = dv.getInt32(pos + 8);
    if (batchLength < 49 || pos + 12 + batchLength > bytes.length) break; // a partial batch at the end
    const baseOffset = Number(dv.getBigInt64(pos));
    out.push({
      baseOffset,
      lastOffset: baseOffset + dv.getInt32(pos + 23),
      compression: dv.getInt16(pos + 21) & 0x7,
      producerId: Number(dv.getBigInt64(pos + 43)),
      producerEpoch: dv.getInt16(pos + 51),
      baseSequence: dv.getInt32(pos + 53),
      recordCount: dv.getInt32(pos + 57),
    });
    pos += 12 + batchLength;
  }
  return out;
}

interface FetchPartition {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  records: Uint8Array | null;
}
interface FetchResponse {
  errorCode: number;
  responses: Array<{ topic: string; partitions: FetchPartition[] }>;
}
interface OffsetFetchResponse {
  errorCode: number;
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; errorCode: number }> }>;
  groups: Array<{ groupId: string; errorCode: number; topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; committedOffset: number; errorCode: number }> }> }>;
}
interface FindCoordinatorResponse {
  errorCode: number;
  coordinators: Array<{ key: string; errorCode: number }>;
}
interface ConsumerGroupDescribeResponse {
  groups: Array<{ groupId: string; errorCode: number; groupState: string; members: Array<{ memberId: string }> }>;
}
interface OffsetCommitResponse {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>;
}

export class Verifier {
  private readonly admin: Admin;
  private conn: Connection | null = null;

  constructor(readonly bootstrap: string) {
    this.admin = new Admin({ bootstrap, clientId: CLIENT_ID });
  }

  private async connection(): Promise<Connection> {
    if (this.conn === null || this.conn.closed) this.conn = await Connection.open({ bootstrap: this.bootstrap, clientId: CLIENT_ID });
    return this.conn;
  }

  async close(): Promise<void> {
    this.conn?.close();
    await this.admin.close();
  }

  /** Creates a topic and waits until every partition has a leader and answers ListOffsets. */
  async createTopic(name: string, partitions: number, configs?: Record<string, string>): Promise<void> {
    await this.admin.createTopics([{ name, numPartitions: partitions, ...(configs !== undefined ? { configs } : {}) }]);
    await this.waitForTopic(name, partitions);
  }

  async waitForTopic(name: string, partitions: number): Promise<void> {
    await until(15_000, `topic ${name} with ${partitions} partitions ready`, async () => {
      const [t] = await this.admin.describeTopics([name]);
      if (t === undefined || t.partitions.length !== partitions || t.partitions.some((p) => p.leader < 0)) return undefined;
      await this.admin.listOffsets(name, 'latest');
      return true;
    });
  }

  /** Partition count of a topic, or null when the broker does not know it. */
  async partitionCount(name: string): Promise<number | null> {
    try {
      const [t] = await this.admin.describeTopics([name]);
      return t?.partitions.length ?? null;
    } catch (err) {
      if (err instanceof Error && 'code' in err && (err as { code: number }).code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return null;
      throw err;
    }
  }

  async topicConfigs(name: string, keys: string[]): Promise<Record<string, string | null>> {
    const [r] = await this.admin.describeConfigs([{ type: 'topic', name, keys }]);
    return Object.fromEntries((r?.configs ?? []).map((c) => [c.name, c.value]));
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics();
  }

  /** Produces with acks=-1 (one send, in order); returns where each record went. */
  async produce(topic: string, records: readonly RecordIn[], compression: Compression = 'none'): Promise<Array<{ partition: number; offset: number }>> {
    const producer = new Producer({ bootstrap: this.bootstrap, clientId: CLIENT_ID, acks: -1, compression, allowAutoTopicCreation: false });
    try {
      const metas = await producer.send({
        topic,
        messages: records.map((r) => ({
          key: r.key,
          value: r.value,
          ...(r.headers !== undefined ? { headers: r.headers.map(([key, value]) => ({ key, value })) } : {}),
          ...(r.partition !== undefined ? { partition: r.partition } : {}),
          ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
        })),
      });
      return metas.map((m) => ({ partition: m.partition, offset: m.offset }));
    } finally {
      await producer.close();
    }
  }

  async offsets(topic: string, spec: 'earliest' | 'latest' | { timestamp: number }): Promise<Map<number, number>> {
    return new Map((await this.admin.listOffsets(topic, spec)).map((o) => [o.partition, o.offset]));
  }

  /**
   * Every record of the topic, by partition then offset: waits (up to `timeoutMs`)
   * until the log holds at least `minCount` records, then reads each partition up
   * to the high watermark it had then.
   */
  async readAll(topic: string, minCount: number, timeoutMs = 15_000): Promise<RecordOut[]> {
    let total = 0;
    const ends = await until(
      timeoutMs,
      `${minCount} records in ${topic}`,
      async () => {
        const starts = await this.offsets(topic, 'earliest');
        const latest = await this.offsets(topic, 'latest');
        total = 0;
        for (const [p, end] of latest) total += end - (starts.get(p) ?? 0);
        return total >= minCount ? { starts, latest } : undefined;
      },
      () => `${total} there`,
    );
    const want = [...ends.latest].filter(([p, end]) => end > (ends.starts.get(p) ?? 0));
    if (want.length === 0) return [];
    const consumer = new Consumer({ bootstrap: this.bootstrap, clientId: CLIENT_ID, autoOffsetReset: 'earliest', maxWaitMs: 100 });
    const out: RecordOut[] = [];
    try {
      await consumer.assign(want.map(([partition]) => ({ topic, partition })));
      const reached = (): boolean => want.every(([p, end]) => consumer.position(topic, p) >= end);
      await within(
        timeoutMs,
        `reading ${topic} back to its high watermarks`,
        (async () => {
          for await (const m of consumer) {
            const end = ends.latest.get(m.partition) ?? 0;
            if (m.offset < end) out.push(toRecordOut(m));
            if (reached()) break;
          }
        })(),
      );
    } finally {
      await consumer.close();
    }
    return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  }

  /** Headers of every batch of one partition, from its log start to the high watermark. */
  async batches(topic: string, partition: number): Promise<BatchHeader[]> {
    const conn = await this.connection();
    const start = (await this.offsets(topic, 'earliest')).get(partition) ?? 0;
    const out: BatchHeader[] = [];
    let offset = start;
    for (let round = 0; round < FETCH_ROUNDS_MAX; round++) {
      const res = await conn.request<FetchResponse>(API.Fetch, {
        clusterId: null,
        replicaId: -1,
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: FETCH_MAX_BYTES,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_MAX_BYTES }] }],
        forgottenTopicsData: [],
        rackId: '',
      });
      const p = res.responses.find((t) => t.topic === topic)?.partitions.find((x) => x.partitionIndex === partition);
      if (p === undefined) throw new Error(`fetch ${topic}-${partition}: no answer`);
      if (p.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${topic}-${partition}: ${errorName(p.errorCode)}`);
      const batches = p.records === null ? [] : parseBatchHeaders(p.records);
      for (const b of batches) if (b.lastOffset >= offset) out.push(b);
      const last = batches[batches.length - 1];
      if (last === undefined || last.lastOffset + 1 >= p.highWatermark) break;
      offset = last.lastOffset + 1;
    }
    return out;
  }

  /**
   * Waits until the broker coordinates `groupId`. Kafka creates its offsets topic on
   * the first FindCoordinator (not on OffsetCommit or OffsetFetch) and answers
   * COORDINATOR_NOT_AVAILABLE until it is there; Samsa coordinates every group at once.
   */
  private async coordinator(groupId: string): Promise<void> {
    await until(30_000, `a coordinator for ${groupId}`, async () => {
      const conn = await this.connection();
      const res = await conn.request<FindCoordinatorResponse>(API.FindCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
      const code = res.coordinators.find((c) => c.key === groupId)?.errorCode ?? res.errorCode;
      if (code === ErrorCode.NONE) return true;
      if (isRetriable(code) || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return undefined;
      throw new Error(`FindCoordinator ${groupId}: ${errorName(code)}`);
    });
  }

  /** Committed offsets of a group for a topic's partitions (-1: none), retrying while the coordinator loads. */
  async committed(groupId: string, topic: string, partitions: readonly number[]): Promise<Map<number, number>> {
    await this.coordinator(groupId);
    return until(15_000, `committed offsets of ${groupId}`, async () => {
      const conn = await this.connection();
      const res = await conn.request<OffsetFetchResponse>(API.OffsetFetch, {
        groupId,
        topics: [{ name: topic, partitionIndexes: [...partitions] }],
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [...partitions] }] }],
        requireStable: false,
      });
      const group = res.groups.find((g) => g.groupId === groupId);
      const code = group?.errorCode ?? res.errorCode;
      if (code !== ErrorCode.NONE) {
        if (isRetriable(code) || code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return undefined;
        throw new Error(`OffsetFetch ${groupId}: ${errorName(code)}`);
      }
      const topics = group?.topics ?? res.topics;
      const parts = topics.find((t) => t.name === topic)?.partitions ?? [];
      return new Map(parts.map((x) => [x.partitionIndex, x.committedOffset]));
    });
  }

  /**
   * A KIP-848 consumer group as ConsumerGroupDescribe has it (state and member count),
   * or null when the broker says it is not one (GROUP_ID_NOT_FOUND: classic or unknown).
   */
  async consumerGroup(groupId: string): Promise<{ state: string; members: number } | null> {
    await this.coordinator(groupId);
    const conn = await this.connection();
    const res = await conn.request<ConsumerGroupDescribeResponse>(API.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
    const g = res.groups.find((x) => x.groupId === groupId);
    if (g === undefined || g.errorCode === ErrorCode.GROUP_ID_NOT_FOUND) return null;
    if (g.errorCode !== ErrorCode.NONE) throw new Error(`ConsumerGroupDescribe ${groupId}: ${errorName(g.errorCode)}`);
    return { state: g.groupState, members: g.members.length };
  }

  /** Commits offsets for a group from outside any generation (a "simple" group with no members). */
  async commit(groupId: string, topic: string, offsets: ReadonlyMap<number, number>): Promise<void> {
    await this.coordinator(groupId);
    await until(15_000, `commit for ${groupId}`, async () => {
      const conn = await this.connection();
      const res = await conn.request<OffsetCommitResponse>(API.OffsetCommit, {
        groupId,
        generationId: -1,
        memberId: '',
        groupInstanceId: null,
        retentionTimeMs: -1,
        topics: [{ name: topic, partitions: [...offsets].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: '' })) }],
      });
      const codes = res.topics.flatMap((t) => t.partitions.map((p) => p.errorCode)).filter((c) => c !== ErrorCode.NONE);
      if (codes.length === 0) return true;
      if (codes.every((c) => isRetriable(c) || c === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)) return undefined;
      throw new Error(`OffsetCommit ${groupId}: ${codes.map((c) => errorName(c)).join(', ')}`);
    });
  }
}
