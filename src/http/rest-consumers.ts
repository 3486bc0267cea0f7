// Confluent REST Proxy v2 consumer instances: the state behind /consumers/{group}/…
// (consumer-routes.ts parses the requests and calls in here). An instance is what a
// REST Proxy instance wraps — one Kafka consumer: a subscription (topics or a
// pattern, then it is a real member of the classic group through groups/member.ts,
// so kcat, kafkajs or Java consumers in the same group share the partitions) or a
// manual assignment; a position per partition; committed offsets in the group's
// offset store; an embedded format (binary or json) for the records it returns.
// Owns: instances, their positions, fetching records for them (long-poll), commits
// (explicit and auto), and expiry after an idle timeout. Must not parse HTTP bodies
// nor know the transport; errors are HttpErrors with REST Proxy's codes.
//
// Bounds: at most maxInstances instances; records per read by max_bytes; one records
// read at a time per instance (a few more wait their turn, past that 429); every
// long-poll ends by its timeout (consumer.request.timeout.ms, at most 5 min).

import { randomUUID } from 'node:crypto';
import type { Engine } from '../broker/engine-api.js';
import type { GroupServices } from '../groups/index.js';
import { GroupMember } from '../groups/member.js';
import type { OffsetCommitEntry } from '../groups/offset-store.js';
import type { TopicPartitions } from '../groups/consumer-protocol.js';
import type { Record as KafkaRecord } from '../protocol/record-batch.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { logger } from '../util/logger.js';
import { HttpError, HttpErrorCode, absentTopic, partitionNotFound, topicNotFound } from './errors.js';
import { recordsFrom } from './read.js';
import { type EmbeddedFormat, type JsonRecord, renderRecord } from './records-json.js';

export type OffsetReset = 'earliest' | 'latest' | 'none';

export interface InstanceConfig {
  name: string | null;
  format: EmbeddedFormat;
  autoOffsetReset: OffsetReset;
  autoCommit: boolean;
  /** Bytes a records read waits for (≤ 0: any record ends the wait). */
  fetchMinBytes: number;
  /** Longest long-poll of a records read. */
  requestTimeoutMs: number;
}

export interface RestConsumersOptions {
  engine: Engine;
  groups: GroupServices;
  /** An instance unused this long is deleted (REST Proxy's consumer.instance.timeout.ms). Default 5 min. */
  instanceTimeoutMs?: number;
  /** Default 1000. */
  maxInstances?: number;
}

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export const INSTANCE_TIMEOUT_MS_DEFAULT = 300_000;
const MAX_INSTANCES_DEFAULT = 1_000;
export const REQUEST_TIMEOUT_MS_DEFAULT = 1_000;
export const REQUEST_TIMEOUT_MS_MAX = 300_000;
/** Kafka's auto.commit.interval.ms default. */
const AUTO_COMMIT_INTERVAL_MS = 5_000;
/** Records reads waiting behind the running one, per instance. */
const READS_QUEUED_MAX = 4;
/** Long-poll rounds of one records read (each waits for an append, a rebalance or the deadline). */
const READ_ROUNDS_MAX = 1_000;
const SESSION_TIMEOUT_MS = 30_000;
const PATTERN_SOURCE_MAX = 1_000;

const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

function flatten(assignment: readonly TopicPartitions[]): TopicPartitionRef[] {
  const out: TopicPartitionRef[] = [];
  for (const a of assignment) for (const p of [...a.partitions].sort((x, y) => x - y)) out.push({ topic: a.topic, partition: p });
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}

export const instanceNotFound = (group: string, name: string): HttpError =>
  new HttpError(404, HttpErrorCode.CONSUMER_INSTANCE_NOT_FOUND, `consumer instance ${JSON.stringify(name.slice(0, 200))} not found in group ${JSON.stringify(group.slice(0, 200))}`);

export const illegalState = (message: string): HttpError => new HttpError(409, HttpErrorCode.ILLEGAL_STATE, `Illegal state: ${message}`);

/** One REST consumer instance. */
export class RestConsumer {
  lastUsedMs = Date.now();
  /** Requests using the instance right now (a long-poll keeps it alive). */
  active = 0;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private patternSource = '';
  private manual: TopicPartitionRef[] = [];
  private member: GroupMember | null = null;
  /** Next offset to return, per owned partition; absent = not resolved yet. */
  private readonly positions = new Map<string, number>();
  /** Last committed position per partition (auto-commit skips unchanged ones). */
  private readonly committed = new Map<string, number>();
  /** Bumped whenever the assignment or a position changes under a running read. */
  private epoch = 0;
  private changed = new AbortController();
  private rotation = 0;
  private lastAutoCommitMs = Date.now();
  private readChain: Promise<unknown> = Promise.resolve();
  private readsQueued = 0;
  closed = false;
  /**
   * Whether the instance's principal may read a topic (the routes set it from the ACLs):
   * subscriptions leave other topics out, as a Kafka consumer's metadata never shows
   * them. Default: every topic.
   */
  topicAllowed: (topic: string) => boolean = () => true;

  constructor(
    readonly group: string,
    readonly name: string,
    readonly config: InstanceConfig,
    private readonly engine: Engine,
    private readonly groups: GroupServices,
  ) {}

  // ------------------------------------------------------------- assignment

  /** The partitions this instance reads now. */
  assigned(): TopicPartitionRef[] {
    if (this.mode === 'assign') return this.manual;
    if (this.mode === 'subscribe' && this.member !== null && this.member.phase === 'stable') return flatten(this.member.assignment);
    return [];
  }

  private owns(topic: string, partition: number): boolean {
    return this.assigned().some((a) => a.topic === topic && a.partition === partition);
  }

  private bump(): void {
    this.epoch++;
    const c = this.changed;
    this.changed = new AbortController();
    c.abort();
  }

  /** The topics subscribed: the list, or the existing topics a pattern matches now. */
  subscription(): string[] {
    if (this.mode !== 'subscribe') return [];
    if (this.pattern === null) return this.topics.filter((t) => this.topicAllowed(t));
    const re = this.pattern;
    return this.engine
      .listTopics()
      .map((t) => t.name)
      .filter((n) => !n.startsWith('__') && re.test(n) && this.topicAllowed(n))
      .sort();
  }

  subscribe(topics: string[] | null, pattern: string | null): void {
    if (this.mode === 'assign') throw illegalState('Subscription to topics, partitions and pattern are mutually exclusive.');
    if (pattern !== null) {
      if (pattern.length > PATTERN_SOURCE_MAX) throw new HttpError(422, HttpErrorCode.INVALID_BODY, `topic_pattern is longer than ${PATTERN_SOURCE_MAX} characters`);
      let re: RegExp;
      try {
        // Java's Pattern.matcher(topic).matches(): the whole name must match.
        re = new RegExp(`^(?:${pattern})$`);
      } catch (err) {
        throw new HttpError(422, HttpErrorCode.INVALID_BODY, `topic_pattern is not a valid regular expression: ${(err as Error).message}`);
      }
      this.pattern = re;
      this.patternSource = pattern;
      this.topics = [];
    } else {
      this.pattern = null;
      this.patternSource = '';
      this.topics = [...new Set(topics ?? [])];
    }
    this.mode = 'subscribe';
    if (this.member === null) {
      const member: GroupMember = new GroupMember(this.groups.coordinator, this.engine, {
        groupId: this.group,
        clientId: `rest-${this.name}`,
        clientHost: '/127.0.0.1',
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        topics: () => this.subscription(),
        onAssigned: () => {
          this.positions.clear();
          this.bump();
        },
        onRevoking: async (owned, lost) => {
          this.bump();
          if (!lost && this.config.autoCommit) await this.commitPositions(flatten(owned), true, member);
          this.positions.clear();
        },
      });
      this.member = member;
    } else {
      this.member.rejoin();
    }
    this.bump();
  }

  async unsubscribe(): Promise<void> {
    const m = this.member;
    this.member = null;
    this.mode = 'none';
    this.topics = [];
    this.pattern = null;
    this.bump();
    if (m !== null) await m.stop();
    this.positions.clear();
  }

  subscriptionView(): { topics: string[]; topic_pattern?: string } {
    return this.pattern === null ? { topics: this.subscription() } : { topics: this.subscription(), topic_pattern: this.patternSource };
  }

  async assign(partitions: TopicPartitionRef[]): Promise<void> {
    if (this.mode === 'subscribe') throw illegalState('Subscription to topics, partitions and pattern are mutually exclusive.');
    for (const p of partitions) this.checkPartition(p);
    const keep = new Set(partitions.map((p) => tpKey(p.topic, p.partition)));
    // Like a Java consumer's assign(): positions of partitions kept stay; the others go (auto-committed first).
    const dropped = this.manual.filter((p) => !keep.has(tpKey(p.topic, p.partition)));
    if (this.config.autoCommit && dropped.length > 0) await this.commitPositions(dropped, true);
    for (const p of dropped) this.positions.delete(tpKey(p.topic, p.partition));
    const seen = new Set<string>();
    this.manual = partitions.filter((p) => {
      const k = tpKey(p.topic, p.partition);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    this.mode = this.manual.length > 0 ? 'assign' : 'none';
    this.bump();
  }

  private checkPartition(p: TopicPartitionRef): void {
    const info = this.engine.describeTopic(p.topic);
    if (info === undefined) throw absentTopic(this.engine, p.topic);
    if (p.partition >= info.partitions) throw partitionNotFound(p.topic, p.partition, info.partitions);
  }

  /** Where the group stands, for errors that explain an empty answer. */
  private membershipProblem(): string | null {
    const m = this.member;
    if (m === null || m.lastErrorCode === ErrorCode.NONE || m.phase === 'stable') return null;
    return `joining group ${JSON.stringify(this.group)} failed with ${errorName(m.lastErrorCode)}`;
  }

  // ------------------------------------------------------------- positions

  seek(offsets: Array<TopicPartitionRef & { offset: number }>): void {
    for (const o of offsets) if (!this.owns(o.topic, o.partition)) throw illegalState(`No current assignment for partition ${o.topic}-${o.partition}`);
    for (const o of offsets) this.positions.set(tpKey(o.topic, o.partition), o.offset);
    this.bump();
  }

  seekTo(partitions: TopicPartitionRef[], where: 'beginning' | 'end'): void {
    for (const p of partitions) if (!this.owns(p.topic, p.partition)) throw illegalState(`No current assignment for partition ${p.topic}-${p.partition}`);
    for (const p of partitions) {
      const o = this.engine.offsets(p.topic, p.partition);
      this.positions.set(tpKey(p.topic, p.partition), where === 'beginning' ? o.logStartOffset : o.highWatermark);
    }
    this.bump();
  }

  private resetOffset(p: TopicPartitionRef): number {
    const o = this.engine.offsets(p.topic, p.partition);
    if (o.errorCode !== ErrorCode.NONE) throw topicNotFound(p.topic);
    if (this.config.autoOffsetReset === 'none') throw illegalState(`no committed offset for partition ${p.topic}-${p.partition} and auto.offset.reset is none`);
    return this.config.autoOffsetReset === 'earliest' ? o.logStartOffset : o.highWatermark;
  }

  /** Positions of owned partitions that have none: the committed offset, else auto.offset.reset. */
  private async resolvePositions(parts: readonly TopicPartitionRef[]): Promise<void> {
    if (parts.every((p) => this.positions.has(tpKey(p.topic, p.partition)))) return;
    await this.groups.offsets.ready();
    for (const p of parts) {
      const k = tpKey(p.topic, p.partition);
      if (this.positions.has(k)) continue;
      const c = this.groups.offsets.get(this.group, p.topic, p.partition);
      const o = this.engine.offsets(p.topic, p.partition);
      const valid = c !== undefined && c.offset >= o.logStartOffset && c.offset <= o.highWatermark;
      this.positions.set(k, valid ? c.offset : this.resetOffset(p));
      if (c !== undefined) this.committed.set(k, c.offset);
    }
  }

  // ------------------------------------------------------------- records

  /**
   * Records from the owned partitions, from their positions, at most about maxBytes
   * of keys and values (at least one record); waits up to timeoutMs for the first
   * (or for fetch.min.bytes). Reads of one instance run one at a time.
   */
  read(timeoutMs: number, maxBytes: number, signal: AbortSignal, checkTopics?: (topics: readonly string[]) => void): Promise<JsonRecord[]> {
    if (this.readsQueued >= READS_QUEUED_MAX) {
      return Promise.reject(new HttpError(429, HttpErrorCode.TOO_MANY_REQUESTS, `more than ${READS_QUEUED_MAX} records requests are waiting for this consumer instance`));
    }
    this.readsQueued++;
    const run = this.readChain.then(() => {
      this.readsQueued--;
      return this.readNow(timeoutMs, maxBytes, signal, checkTopics);
    });
    this.readChain = run.catch(() => undefined);
    return run;
  }

  private async readNow(timeoutMs: number, maxBytes: number, signal: AbortSignal, checkTopics?: (topics: readonly string[]) => void): Promise<JsonRecord[]> {
    if (this.mode === 'none') throw illegalState('Consumer is not subscribed to any topics or assigned any partitions');
    if (this.config.autoCommit && Date.now() - this.lastAutoCommitMs >= AUTO_COMMIT_INTERVAL_MS) {
      this.lastAutoCommitMs = Date.now();
      await this.commitPositions(this.assigned(), true);
    }
    const deadline = Date.now() + timeoutMs;
    const out: JsonRecord[] = [];
    let bytes = 0;
    for (let round = 0; round < READ_ROUNDS_MAX && !this.closed && !signal.aborted; round++) {
      const parts = this.assigned();
      const epoch = this.epoch;
      const changed = this.changed.signal;
      if (parts.length > 0 && checkTopics !== undefined) {
        // The assignment may be new (the first read joins the group, a rebalance moves
        // partitions): Fetch's READ check, on what this round reads. Records already
        // taken go out first; the next read answers the refusal.
        try {
          checkTopics([...new Set(parts.map((p) => p.topic))]);
        } catch (err) {
          if (out.length > 0) break;
          throw err;
        }
      }
      if (parts.length > 0) {
        await this.resolvePositions(parts);
        if (epoch === this.epoch) {
          const got = await this.readOnce(parts, maxBytes - bytes, epoch);
          if (got !== null) {
            for (const r of got.records) out.push(r);
            bytes += got.bytes;
          }
        }
      }
      const minBytes = this.config.fetchMinBytes;
      if (out.length > 0 && (minBytes <= 0 || bytes >= minBytes || bytes >= maxBytes)) break;
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) break;
      if (epoch !== this.epoch) continue;
      const stop = AbortSignal.any([signal, changed]);
      if (parts.length === 0) {
        const problem = this.membershipProblem();
        if (problem !== null && out.length === 0) throw illegalState(problem);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, leftMs);
          timer.unref();
          stop.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          }, { once: true });
        });
      } else {
        await this.engine.waitForAppend(parts, leftMs, stop);
      }
    }
    return out;
  }

  /** One pass over the owned partitions (rotating where it starts); null when the assignment changed meanwhile. */
  private async readOnce(parts: readonly TopicPartitionRef[], budgetBytes: number, epoch: number): Promise<{ records: JsonRecord[]; bytes: number } | null> {
    const records: JsonRecord[] = [];
    let bytes = 0;
    const start = this.rotation++ % parts.length;
    const advance = new Map<string, number>();
    for (let i = 0; i < parts.length && bytes < budgetBytes; i++) {
      const p = parts[(start + i) % parts.length]!;
      const k = tpKey(p.topic, p.partition);
      let position = this.positions.get(k)!;
      const o = this.engine.offsets(p.topic, p.partition);
      if (o.errorCode !== ErrorCode.NONE) continue; // deleted meanwhile: the next rebalance drops it
      if (position === o.highWatermark) continue;
      if (position < o.logStartOffset || position > o.highWatermark) {
        position = this.resetOffset(p);
        advance.set(k, position);
        if (position === o.highWatermark) continue;
      }
      const r = await this.engine.read(p.topic, p.partition, position, Math.max(1, budgetBytes - bytes));
      if (this.epoch !== epoch) return null;
      if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        advance.set(k, this.resetOffset(p));
        continue;
      }
      if (r.errorCode !== ErrorCode.NONE) continue;
      const { records: got, nextOffset } = recordsFrom(r.records, position);
      let next = nextOffset;
      for (let j = 0; j < got.length; j++) {
        const rec: KafkaRecord = got[j]!;
        const size = (rec.key?.byteLength ?? 0) + (rec.value?.byteLength ?? 0);
        if (records.length > 0 && bytes + size > budgetBytes) {
          next = rec.offset;
          break;
        }
        records.push(renderRecord(p.topic, p.partition, rec, this.config.format));
        bytes += size;
      }
      advance.set(k, Math.max(position, next));
    }
    if (this.epoch !== epoch) return null;
    for (const [k, v] of advance) this.positions.set(k, v);
    return { records, bytes };
  }

  // ------------------------------------------------------------- offsets

  /** Commits explicit offsets (each the next offset to read), or every position when null. */
  async commit(entries: Array<TopicPartitionRef & { offset: number; metadata: string | null }> | null): Promise<void> {
    if (entries === null) {
      await this.commitPositions(this.assigned(), false);
      return;
    }
    for (const e of entries) this.checkPartition(e);
    await this.commitEntries(entries, false);
  }

  /** `as`: the member to commit as (a closing instance has already let go of it). */
  private async commitPositions(parts: readonly TopicPartitionRef[], auto: boolean, as: GroupMember | null = this.member): Promise<void> {
    const entries: Array<TopicPartitionRef & { offset: number; metadata: string | null }> = [];
    for (const p of parts) {
      const k = tpKey(p.topic, p.partition);
      const pos = this.positions.get(k);
      if (pos === undefined || (auto && this.committed.get(k) === pos)) continue;
      entries.push({ topic: p.topic, partition: p.partition, offset: pos, metadata: null });
    }
    await this.commitEntries(entries, auto, as);
  }

  private async commitEntries(entries: ReadonlyArray<TopicPartitionRef & { offset: number; metadata: string | null }>, auto: boolean, m: GroupMember | null = this.member): Promise<void> {
    if (entries.length === 0) return;
    const code =
      m !== null && m.memberId !== ''
        ? this.groups.coordinator.validateCommit(this.group, m.generationId, m.memberId)
        : this.groups.coordinator.validateCommit(this.group, -1, '');
    if (code !== ErrorCode.NONE) {
      const why = `committing offsets of group ${JSON.stringify(this.group)} failed with ${errorName(code)}${m !== null ? '' : ' (a consumer without a subscription commits only while the group has no members)'}`;
      if (auto) {
        logger().warn({ group: this.group, instance: this.name, code }, why);
        return;
      }
      throw illegalState(why);
    }
    await this.groups.offsets.ready();
    const now = Date.now();
    const commits: OffsetCommitEntry[] = entries.map((e) => ({ topic: e.topic, partition: e.partition, offset: e.offset, leaderEpoch: -1, metadata: e.metadata, commitTimestamp: now }));
    await this.groups.offsets.commit(this.group, commits);
    for (const e of entries) this.committed.set(tpKey(e.topic, e.partition), e.offset);
  }

  /** Committed offsets of the given partitions (those without one are left out, as REST Proxy does). */
  async committedOffsets(parts: TopicPartitionRef[] | null): Promise<Array<{ topic: string; partition: number; offset: number; metadata: string }>> {
    await this.groups.offsets.ready();
    const out = [];
    for (const p of parts ?? this.assigned()) {
      const c = this.groups.offsets.get(this.group, p.topic, p.partition);
      if (c !== undefined) out.push({ topic: p.topic, partition: p.partition, offset: c.offset, metadata: c.metadata ?? '' });
    }
    return out;
  }

  // ------------------------------------------------------------- lifetime

  /** Commits (auto-commit), leaves the group and ends pending reads. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const m = this.member;
    this.member = null;
    this.bump();
    try {
      if (m !== null) await m.stop(); // its onRevoking auto-commits
      else if (this.config.autoCommit && this.mode === 'assign') await this.commitPositions(this.manual, true);
    } catch (err) {
      logger().warn({ err, group: this.group, instance: this.name }, 'closing a REST consumer instance: commit failed');
    }
  }
}

export class RestConsumers {
  private readonly instances = new Map<string, RestConsumer>();
  private readonly engine: Engine;
  private readonly groups: GroupServices;
  readonly instanceTimeoutMs: number;
  private readonly maxInstances: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(opts: RestConsumersOptions) {
    this.engine = opts.engine;
    this.groups = opts.groups;
    this.instanceTimeoutMs = opts.instanceTimeoutMs ?? INSTANCE_TIMEOUT_MS_DEFAULT;
    this.maxInstances = opts.maxInstances ?? MAX_INSTANCES_DEFAULT;
    if (!(Number.isInteger(this.instanceTimeoutMs) && this.instanceTimeoutMs >= 1)) throw new RangeError(`instanceTimeoutMs must be ≥ 1, got ${this.instanceTimeoutMs}`);
    const everyMs = Math.max(10, Math.min(1_000, Math.floor(this.instanceTimeoutMs / 4)));
    this.sweeper = setInterval(() => this.expireIdle(), everyMs);
    this.sweeper.unref();
  }

  private key(group: string, name: string): string {
    return `${group}\0${name}`;
  }

  create(group: string, config: InstanceConfig): RestConsumer {
    if (this.closed) throw new HttpError(503, HttpErrorCode.UNAVAILABLE, 'the broker is shutting down');
    const name = config.name ?? `rest-consumer-${randomUUID()}`;
    const k = this.key(group, name);
    if (this.instances.has(k)) throw new HttpError(409, HttpErrorCode.CONSUMER_ALREADY_EXISTS, 'Consumer with specified consumer ID already exists in the specified consumer group.');
    if (this.instances.size >= this.maxInstances) throw new HttpError(429, HttpErrorCode.TOO_MANY_REQUESTS, `this broker already serves ${this.maxInstances} consumer instances: delete some first (or let them expire)`);
    const c = new RestConsumer(group, name, config, this.engine, this.groups);
    this.instances.set(k, c);
    return c;
  }

  /** The instance, marked as used now; 40403 when there is none. */
  get(group: string, name: string): RestConsumer {
    const c = this.instances.get(this.key(group, name));
    if (c === undefined) throw instanceNotFound(group, name);
    c.lastUsedMs = Date.now();
    return c;
  }

  async delete(group: string, name: string): Promise<void> {
    const c = this.get(group, name);
    this.instances.delete(this.key(group, name));
    await c.close();
  }

  count(): number {
    return this.instances.size;
  }

  private expireIdle(): void {
    const now = Date.now();
    for (const [k, c] of this.instances) {
      if (c.active > 0 || now - c.lastUsedMs < this.instanceTimeoutMs) continue;
      this.instances.delete(k);
      logger().info({ group: c.group, instance: c.name }, 'REST consumer instance expired (idle)');
      void c.close();
    }
  }

  /** Closes every instance (commits, leaves groups). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
