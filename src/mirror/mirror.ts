// The mirror: copies topics from one Kafka-protocol endpoint to another (Samsa →
// Kafka, Kafka → Samsa, Samsa → Samsa) record by record, in order, with keys,
// headers, timestamps and partitions preserved, creates the target topics (same
// partition counts, topic configs), keeps checkpoints on the target and translates
// consumer-group offsets. Owns: sessions (discover → prepare → copy → checkpoint),
// their restarts, the bound on bytes in flight, lag and counters. Must not import
// the broker (it talks to both sides through Samsa's client only, so it runs the
// same inside a broker, `mirror.target`, and in `samsa mirror`).
//
// Exactly once across restarts, without transactions: every record is re-produced
// by one idempotent producer identity (id, epoch) that the mirror keeps for its
// whole life in its checkpoints, and each partition's records carry consecutive
// sequence numbers from the first ever copied, so a sequence number always names the
// same source record. A checkpoint (source offset s, target offset t, sequence q) is
// written only for acknowledged records. A new session reads the target's end t'
// and knows the k = t' - t records after the checkpoint are its own: it skips the
// next k source records and continues at sequence q + k. Records a killed session
// had in flight that the target appends later (or had appended but not yet
// committed when t' was read) carry sequences the broker has seen: it answers a
// repeat as a duplicate, and a batch that overlaps without repeating is refused
// (OUT_OF_ORDER_SEQUENCE_NUMBER), which fails the session; the next one reads the
// end again. Neither loses nor duplicates a record. This assumes the mirror is the
// only writer of its target partitions and that the source does not delete records
// between a copy and the restart after it (retention far behind the mirror).

// TCP and the Node codecs for the client modules loaded one by one below.
import '../client/node.js';
import { Admin } from '../client/admin.js';
import type { ConnectionOptions } from '../client/connection.js';
import { Consumer, type EachBatchPayload } from '../client/consumer.js';
import { AuthenticationError, ErrorCode, KafkaError } from '../client/errors.js';
import { Producer, type ProducerMessage } from '../client/producer.js';
import { parseBootstrapList } from '../client/transport.js';
import type { CompressionType } from '../wire/codecs.js';
import type { Message } from '../wire/records.js';
import { logger as rootLogger } from '../util/logger.js';
import {
  CHECKPOINT_TOPIC_CONFIGS,
  type CheckpointState,
  type ProducerIdentity,
  anchorRecord,
  checkpointTopic,
  identityRecord,
  isMirrorInternalTopic,
  loadCheckpoints,
  partitionKey,
  positionRecord,
} from './checkpoints.js';
import { OffsetMap, type Position, addSequence } from './offset-map.js';

/** A problem no restart can fix (the mirror stops): source and target are one broker, a target was truncated. */
export class MirrorFatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MirrorFatalError';
  }
}

export interface MirrorLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface MirrorOptions {
  /** Source bootstrap, "host:port[,host:port…]". */
  from: string;
  /** Target bootstrap, "host:port[,host:port…]". */
  to: string;
  /** TLS / SASL for the source's connections (Kafka client properties mapped by client/kafka-properties.ts). */
  fromSecurity?: Pick<ConnectionOptions, 'tls' | 'sasl'>;
  /** TLS / SASL for the target's connections. */
  toSecurity?: Pick<ConnectionOptions, 'tls' | 'sasl'>;
  /** Topics to copy (matched against the whole name). Default: every topic but internal ones. */
  topics?: RegExp;
  /** Groups whose offsets are translated (whole name). Default: every group. */
  groups?: RegExp;
  /** Translate and commit consumer-group offsets on the target. Default false. */
  syncGroups?: boolean;
  /** Names the checkpoints (several mirrors may share a target). Default 'default'. */
  name?: string;
  /** Replication factor of topics created on the target. Default: the target's default (-1). */
  replicationFactor?: number;
  /** Compression of the batches written to the target. Default none. */
  compression?: CompressionType;
  checkpointIntervalMs?: number;
  syncGroupsIntervalMs?: number;
  /** How often the source's topic list (and end offsets, for lag) are read. */
  refreshIntervalMs?: number;
  /** Bytes of records sent and not yet acknowledged, at most (memory bound). Default 32 MiB. */
  maxInFlightBytes?: number;
  /** First wait after a failed session; doubles to 30 s. Default 1000. */
  restartBackoffMs?: number;
  clientId?: string;
  connectTimeoutMs?: number;
  requestTimeoutMs?: number;
  logger?: MirrorLogger;
}

export interface PartitionStatus {
  topic: string;
  partition: number;
  /** Next source offset to copy. */
  sourcePosition: number;
  /** Offset the next copied record gets on the target. */
  targetPosition: number;
  /** Source end offset at the last poll (-1 before one). */
  sourceEnd: number;
  /** sourceEnd − sourcePosition (0 when unknown). */
  lag: number;
}

export type MirrorState = 'starting' | 'running' | 'restarting' | 'stopped';

export interface MirrorStatus {
  name: string;
  state: MirrorState;
  recordsCopied: number;
  bytesCopied: number;
  /** Sessions that ended in an error and were started again. */
  restarts: number;
  lastError: string | null;
  groupsSynced: number;
  offsetsCommitted: number;
  partitions: PartitionStatus[];
}

interface SourceTopic {
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

/** Topic configs MirrorMaker 2 does not copy either (cluster-specific, or would change the copied records). */
const CONFIGS_NOT_COPIED: ReadonlySet<string> = new Set([
  'follower.replication.throttled.replicas',
  'leader.replication.throttled.replicas',
  'message.timestamp.difference.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms',
  'message.timestamp.type',
  'unclean.leader.election.enable',
  'min.insync.replicas',
]);
const CONFIG_SOURCE_TOPIC = 1;
const RESTART_BACKOFF_MAX_MS = 30_000;
/** How long a new target topic may take to get leaders for every partition. */
const TOPIC_READY_TIMEOUT_MS = 120_000;
const MAX_REQUEST_BYTES_DEFAULT = 1024 * 1024;
/** Groups looked at per sync (a bound, not a limit anyone should meet). */
const GROUPS_PER_SYNC_MAX = 10_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function bytesOf(m: Message): number {
  let n = 32 + (m.key?.length ?? 0) + (m.value?.length ?? 0);
  for (const h of m.headers) n += h.key.length + (h.value?.length ?? 0) + 8;
  return n;
}

/** One copy session: the connections and state from a start (or restart) to its end. */
interface Session {
  source: Admin;
  target: Admin;
  data: Producer;
  checkpoints: Producer;
  consumer: Consumer;
  topics: SourceTopic[];
  maps: Map<string, OffsetMap>;
  /** Source records still to pass over per partition: already on the target (see the file comment). */
  skip: Map<string, number>;
  /** Partitions whose progress is frozen: a send failed, so later acknowledgements are not trusted. */
  frozen: Set<string>;
  /** Position last written per partition ("s,t,q"). */
  saved: Map<string, string>;
  error: Error | null;
  /** A stop or a topic change ended the session without an error. */
  ended: boolean;
  inFlightBytes: number;
  memoryWaiters: Array<() => void>;
  timers: Array<ReturnType<typeof setInterval>>;
  checkpointing: Promise<void> | null;
  syncing: Promise<void> | null;
}

export class Mirror {
  readonly name: string;
  private readonly o: Required<Omit<MirrorOptions, 'logger' | 'topics' | 'groups' | 'compression' | 'replicationFactor' | 'connectTimeoutMs' | 'requestTimeoutMs' | 'fromSecurity' | 'toSecurity'>> & {
    fromSecurity: Pick<ConnectionOptions, 'tls' | 'sasl'>;
    toSecurity: Pick<ConnectionOptions, 'tls' | 'sasl'>;
    topics: RegExp;
    groups: RegExp;
    compression: CompressionType;
    replicationFactor: number;
  };
  private readonly connection: Pick<ConnectionOptions, 'clientId' | 'connectTimeoutMs' | 'requestTimeoutMs'>;
  private readonly log: MirrorLogger;
  private state: MirrorState = 'stopped';
  private session: Session | null = null;
  /** The partitions of the running (or last) session, for status() after a stop too. */
  private maps = new Map<string, OffsetMap>();
  private loop: Promise<void> | null = null;
  /** The loop has ended (stop(), or a MirrorFatalError). */
  private loopDone = false;
  private stopping = false;
  private wakeBackoff: (() => void) | null = null;
  private recordsCopied = 0;
  private bytesCopied = 0;
  private restarts = 0;
  private lastError: string | null = null;
  private groupsSynced = 0;
  /** A session reached 'running' once: later authentication failures are retried (a rotated password), a first one is not. */
  private everRan = false;
  private offsetsCommitted = 0;
  /** Source end offsets from the last poll, by partition key. */
  private readonly sourceEnds = new Map<string, number>();
  /** Sessions that ran, and resolvers waiting for the next one to be running. */
  private runningWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(options: MirrorOptions) {
    if (typeof options.from !== 'string' || typeof options.to !== 'string') throw new TypeError('a mirror needs `from` and `to` ("host:port[,…]")');
    parseBootstrapList(options.from);
    parseBootstrapList(options.to);
    this.name = options.name ?? 'default';
    if (!/^[a-zA-Z0-9._-]{1,100}$/.test(this.name)) throw new RangeError(`mirror name must match [a-zA-Z0-9._-]{1,100}, got '${this.name}'`);
    const positive = (n: string, v: number | undefined, d: number): number => {
      const x = v ?? d;
      if (!Number.isInteger(x) || x <= 0) throw new RangeError(`${n} must be a positive integer, got ${String(v)}`);
      return x;
    };
    this.o = {
      from: options.from,
      to: options.to,
      fromSecurity: options.fromSecurity ?? {},
      toSecurity: options.toSecurity ?? {},
      topics: options.topics ?? /.*/,
      groups: options.groups ?? /.*/,
      syncGroups: options.syncGroups ?? false,
      name: this.name,
      replicationFactor: options.replicationFactor ?? -1,
      compression: options.compression ?? 'none',
      checkpointIntervalMs: positive('checkpointIntervalMs', options.checkpointIntervalMs, 1000),
      syncGroupsIntervalMs: positive('syncGroupsIntervalMs', options.syncGroupsIntervalMs, 5000),
      refreshIntervalMs: positive('refreshIntervalMs', options.refreshIntervalMs, 5000),
      maxInFlightBytes: positive('maxInFlightBytes', options.maxInFlightBytes, 32 * 1024 * 1024),
      restartBackoffMs: positive('restartBackoffMs', options.restartBackoffMs, 1000),
      clientId: options.clientId ?? `samsa-mirror-${this.name}`,
    };
    this.connection = { clientId: this.o.clientId };
    if (options.connectTimeoutMs !== undefined) this.connection.connectTimeoutMs = options.connectTimeoutMs;
    if (options.requestTimeoutMs !== undefined) this.connection.requestTimeoutMs = options.requestTimeoutMs;
    this.log = options.logger ?? rootLogger();
  }

  /** Starts copying; resolves once the first session runs (it keeps retrying a failing start meanwhile). */
  start(): Promise<void> {
    if (this.loop !== null && !this.loopDone) return this.whenRunning();
    this.loopDone = false;
    this.stopping = false;
    this.state = 'starting';
    this.loop = this.runLoop();
    return this.whenRunning();
  }

  /** Resolves when a session is running (now, or the next one); rejects if the mirror stops first. */
  whenRunning(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.loop === null || this.loopDone) return Promise.reject(new Error(this.lastError ?? 'mirror is stopped'));
    return new Promise((resolve, reject) => this.runningWaiters.push({ resolve, reject }));
  }

  /**
   * Stops: no more fetching; what was sent is acknowledged, checkpointed, and (with
   * syncGroups) group offsets get a last translation. Idempotent.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeBackoff?.();
    const s = this.session;
    if (s !== null) this.endSession(s, null);
    await this.loop;
    this.loop = null;
  }

  status(): MirrorStatus {
    const partitions: PartitionStatus[] = [];
    for (const [k, m] of this.maps) {
      const end = this.sourceEnds.get(k) ?? -1;
      partitions.push({
        topic: m.topic,
        partition: m.partition,
        sourcePosition: m.position.s,
        targetPosition: m.position.t,
        sourceEnd: end,
        lag: end < 0 ? 0 : Math.max(0, end - m.position.s),
      });
    }
    partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return {
      name: this.name,
      state: this.state,
      recordsCopied: this.recordsCopied,
      bytesCopied: this.bytesCopied,
      restarts: this.restarts,
      lastError: this.lastError,
      groupsSynced: this.groupsSynced,
      offsetsCommitted: this.offsetsCommitted,
      partitions,
    };
  }

  /**
   * Resolves once every partition is copied up to the source end offsets read after
   * this call (and, with syncGroups, group offsets were translated after that).
   * For a cut-over: stop the producers on the source, then wait for this.
   */
  async waitCaughtUp(pollMs = 200): Promise<void> {
    for (;;) {
      await this.whenRunning();
      const s = this.session;
      if (s !== null && !s.ended && s.error === null) {
        try {
          const ends = await this.readSourceEnds(s);
          // Wait until the copy reaches those ends (or the session changes).
          while (this.session === s && !s.ended && s.error === null) {
            let behind = false;
            for (const [k, end] of ends) {
              const m = s.maps.get(k);
              if (m !== undefined && (m.position.s < end || (s.skip.get(k) ?? 0) > 0)) behind = true;
            }
            if (!behind && s.inFlightBytes === 0) {
              await this.checkpoint(s);
              if (this.o.syncGroups) await this.syncGroups(s);
              return;
            }
            await sleep(pollMs);
          }
        } catch (err) {
          if (this.stopping) throw err;
        }
      }
      if (this.stopping) throw new Error('mirror stopped before it caught up');
      await sleep(pollMs);
    }
  }

  /** Prometheus text for /metrics: lag and position per partition, counters. */
  prometheus(): string {
    const st = this.status();
    const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const name = label(st.name);
    const lines: string[] = [];
    const metric = (m: string, help: string, type: 'gauge' | 'counter', rows: Array<[string, number]>): void => {
      lines.push(`# HELP ${m} ${help}`, `# TYPE ${m} ${type}`);
      for (const [labels, v] of rows) lines.push(`${m}{${labels}} ${v}`);
    };
    const base = `mirror="${name}"`;
    metric('samsa_mirror_up', '1 while a copy session runs', 'gauge', [[base, st.state === 'running' ? 1 : 0]]);
    metric('samsa_mirror_records_total', 'records copied to the target', 'counter', [[base, st.recordsCopied]]);
    metric('samsa_mirror_bytes_total', 'bytes of keys, values and headers copied', 'counter', [[base, st.bytesCopied]]);
    metric('samsa_mirror_restarts_total', 'sessions that failed and were started again', 'counter', [[base, st.restarts]]);
    metric('samsa_mirror_group_offsets_committed_total', 'translated group offsets committed on the target', 'counter', [[base, st.offsetsCommitted]]);
    const pl = (p: PartitionStatus): string => `${base},topic="${label(p.topic)}",partition="${p.partition}"`;
    metric('samsa_mirror_lag_records', 'source end offset minus the next source offset to copy', 'gauge', st.partitions.map((p) => [pl(p), p.lag]));
    metric('samsa_mirror_source_position', 'next source offset to copy', 'gauge', st.partitions.map((p) => [pl(p), p.sourcePosition]));
    metric('samsa_mirror_target_position', 'target offset of the next copied record', 'gauge', st.partitions.map((p) => [pl(p), p.targetPosition]));
    return `${lines.join('\n')}\n`;
  }

  // ------------------------------------------------------------------ sessions

  private clientOptions(side: 'from' | 'to'): ConnectionOptions {
    // Each side's TLS / SASL; the options object is never logged nor shown (it holds the password).
    const security = side === 'from' ? this.o.fromSecurity : this.o.toSecurity;
    return { ...this.connection, ...security, bootstrap: side === 'from' ? this.o.from : this.o.to };
  }

  private async runLoop(): Promise<void> {
    let backoffMs = this.o.restartBackoffMs;
    try {
      while (!this.stopping) {
        let failed: Error | null = null;
        try {
          failed = await this.runSession();
        } catch (err) {
          failed = err instanceof Error ? err : new Error(String(err));
        }
        if (this.stopping) break;
        // Credentials that never worked are a configuration error: say so and stop rather than retry for ever.
        if (failed instanceof AuthenticationError && !this.everRan) failed = new MirrorFatalError(failed.message);
        if (failed instanceof MirrorFatalError) {
          this.lastError = failed.message;
          this.log.error({ mirror: this.name, err: failed.message }, 'mirror stopped');
          for (const w of this.runningWaiters.splice(0)) w.reject(failed);
          break;
        }
        if (failed === null) {
          backoffMs = this.o.restartBackoffMs;
          continue; // the topic set changed: start over at once
        }
        this.restarts++;
        this.lastError = message(failed);
        this.state = 'restarting';
        this.log.warn({ mirror: this.name, err: failed, retryInMs: backoffMs }, 'mirror session failed; starting again from the checkpoints');
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoffMs);
          this.wakeBackoff = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wakeBackoff = null;
        backoffMs = Math.min(RESTART_BACKOFF_MAX_MS, backoffMs * 2);
      }
    } finally {
      this.state = 'stopped';
      this.loopDone = true;
      for (const w of this.runningWaiters.splice(0)) w.reject(new Error('mirror stopped'));
    }
  }

  /** One session; resolves with its error (null: ended by a stop or a topic change). */
  private async runSession(): Promise<Error | null> {
    const source = new Admin(this.clientOptions('from'));
    const target = new Admin(this.clientOptions('to'));
    const closers: Array<() => Promise<void>> = [() => source.close(), () => target.close()];
    try {
      const topics = await this.discover(source);
      await this.ensureTargetTopics(target, topics);
      const cpTopic = checkpointTopic(this.name);
      await this.refuseSameBroker(source, target, cpTopic);
      const checkpoints = new Producer({ ...this.clientOptions('to'), allowAutoTopicCreation: false, lingerMs: 0, retries: 1_000_000, deliveryTimeoutMs: 300_000 });
      closers.push(() => checkpoints.close(5000));
      const state = await loadCheckpoints(target, this.clientOptions('to'), this.name, 120_000);
      const identity = state.identity ?? (await this.newIdentity(checkpoints, cpTopic));
      const { maps, skip, initial } = await this.positions(source, target, topics, state);
      if (initial.length > 0) await checkpoints.send({ topic: cpTopic, messages: initial });
      const maxRequestBytes = await this.maxRequestBytes(target, topics);
      const data = new Producer({
        ...this.clientOptions('to'),
        allowAutoTopicCreation: false,
        compression: this.o.compression,
        batchSize: Math.min(256 * 1024, maxRequestBytes),
        lingerMs: 5,
        maxRequestBytes,
        bufferMemoryBytes: this.o.maxInFlightBytes * 2,
        retries: 1_000_000,
        deliveryTimeoutMs: 300_000,
        producerIdentity: identity,
        sequenceStart: (topic, partition) => {
          const k = partitionKey(topic, partition);
          const m = maps.get(k);
          return m === undefined ? 0 : addSequence(m.position.q, skip.get(k) ?? 0);
        },
      });
      closers.push(() => data.close(0));
      const consumer = new Consumer({
        ...this.clientOptions('from'),
        autoOffsetReset: 'error',
        maxBytes: 16 * 1024 * 1024,
        maxPartitionBytes: 1024 * 1024,
        maxWaitMs: 500,
      });
      closers.push(() => consumer.close());
      await consumer.assign([...maps.values()].map((m) => ({ topic: m.topic, partition: m.partition })));
      for (const m of maps.values()) await consumer.seek(m.topic, m.partition, m.position.s);
      const s: Session = {
        source,
        target,
        data,
        checkpoints,
        consumer,
        topics,
        maps,
        skip,
        frozen: new Set(),
        saved: new Map([...maps].map(([k, m]) => [k, `${m.position.s},${m.position.t},${m.position.q}`])),
        error: null,
        ended: false,
        inFlightBytes: 0,
        memoryWaiters: [],
        timers: [],
        checkpointing: null,
        syncing: null,
      };
      if (this.stopping) return null;
      this.session = s;
      this.maps = maps;
      this.state = 'running';
      this.everRan = true;
      this.log.info({ mirror: this.name, from: this.o.from, to: this.o.to, topics: topics.length, partitions: maps.size, producerId: identity.producerId }, 'mirror running');
      for (const w of this.runningWaiters.splice(0)) w.resolve();
      this.startTimers(s);
      try {
        await consumer.run({ eachBatch: (b) => this.copy(s, b) });
      } catch (err) {
        if (s.error === null && !s.ended) s.error = err instanceof Error ? err : new Error(String(err));
      }
      for (const t of s.timers) clearInterval(t);
      await this.finishSession(s);
      return s.error;
    } finally {
      for (const c of closers.reverse()) await c().catch(() => {});
      if (this.session !== null && this.session.source === source) this.session = null;
    }
  }

  /** Ends a session's copying (its consumer.run returns); `err` null for a stop or a topic change. */
  private endSession(s: Session, err: Error | null): void {
    if (err !== null && s.error === null) s.error = err;
    if (err === null) s.ended = true;
    for (const w of s.memoryWaiters.splice(0)) w();
    void s.consumer.close();
  }

  /** After copying stops: wait for acknowledgements (unless failed), checkpoint, last group sync. */
  private async finishSession(s: Session): Promise<void> {
    // A clean end waits for what was sent (bounded: a target that is down fails those sends, which freezes their partitions).
    await s.data.close(s.error === null ? 30_000 : 0).catch(() => {});
    // Whatever was acknowledged is checkpointed, after a failure too (frozen partitions stop at their last good record).
    try {
      if (s.checkpointing !== null) await s.checkpointing.catch(() => {});
      await this.checkpoint(s);
      if (s.syncing !== null) await s.syncing.catch(() => {});
      if (s.error === null && this.stopping && this.o.syncGroups) await this.syncGroups(s);
    } catch (err) {
      if (s.error === null) s.error = err instanceof Error ? err : new Error(String(err));
    }
  }

  private startTimers(s: Session): void {
    const every = (ms: number, fn: () => Promise<void>): void => {
      let running = false;
      const t = setInterval(() => {
        if (running || s.ended || s.error !== null) return;
        running = true;
        fn().finally(() => (running = false));
      }, ms);
      (t as { unref?: () => void }).unref?.();
      s.timers.push(t);
    };
    every(this.o.checkpointIntervalMs, async () => {
      try {
        await this.checkpoint(s);
      } catch (err) {
        this.endSession(s, err instanceof Error ? err : new Error(String(err)));
      }
    });
    every(this.o.refreshIntervalMs, async () => {
      try {
        await this.readSourceEnds(s);
        const now = await this.discover(s.source);
        const shape = (ts: SourceTopic[]): string => ts.map((t) => `${t.name}:${t.partitions}`).sort().join(',');
        if (shape(now) !== shape(s.topics)) {
          this.log.info({ mirror: this.name }, 'source topics changed; starting a new session');
          this.endSession(s, null);
        }
      } catch (err) {
        // A source briefly unreachable only delays the lag figures.
        this.log.warn({ mirror: this.name, err: message(err) }, 'reading source end offsets failed');
      }
    });
    if (this.o.syncGroups) {
      every(this.o.syncGroupsIntervalMs, async () => {
        try {
          await this.syncGroups(s);
        } catch (err) {
          this.log.warn({ mirror: this.name, err: message(err) }, 'group offset sync failed; trying again later');
        }
      });
    }
  }

  // ------------------------------------------------------------------ copying

  private async copy(s: Session, b: EachBatchPayload): Promise<void> {
    if (s.error !== null || s.ended) return;
    const k = partitionKey(b.topic, b.partition);
    const map = s.maps.get(k);
    if (map === undefined) return;
    let msgs = b.messages;
    const skip = s.skip.get(k) ?? 0;
    if (skip > 0) {
      // Already on the target (written after the last checkpoint): counted, not sent.
      const n = Math.min(skip, msgs.length);
      for (let i = 0; i < n; i++) map.observe(msgs[i]!.offset, map.position.t);
      s.skip.set(k, skip - n);
      msgs = msgs.slice(n);
      if (msgs.length === 0) return;
    }
    let bytes = 0;
    const messages: ProducerMessage[] = new Array(msgs.length);
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      bytes += bytesOf(m);
      messages[i] = { key: m.key, value: m.value, headers: m.headers, timestamp: m.timestamp, partition: b.partition };
    }
    // The memory bound: wait while earlier sends hold the budget (one send may exceed it alone).
    while (s.inFlightBytes > 0 && s.inFlightBytes + bytes > this.o.maxInFlightBytes && s.error === null && !s.ended) {
      await new Promise<void>((r) => s.memoryWaiters.push(r));
    }
    if (s.error !== null || s.ended) return;
    s.inFlightBytes += bytes;
    const release = (): void => {
      s.inFlightBytes -= bytes;
      const w = s.memoryWaiters.shift();
      w?.();
    };
    s.data.send({ topic: b.topic, messages }).then(
      (results) => {
        release();
        if (s.frozen.has(k)) return;
        try {
          for (let i = 0; i < msgs.length; i++) map.observe(msgs[i]!.offset, results[i]!.offset);
        } catch (err) {
          s.frozen.add(k);
          this.endSession(s, err instanceof Error ? err : new Error(String(err)));
          return;
        }
        this.recordsCopied += msgs.length;
        this.bytesCopied += bytes;
      },
      (err: unknown) => {
        release();
        s.frozen.add(k);
        if (s.ended && s.error === null) return; // aborted by a stop: nothing was lost, the checkpoint says where
        const e = err instanceof KafkaError ? new KafkaError(err.code, `copying ${k.replace('|', '-')}: ${err.message}`) : err instanceof Error ? err : new Error(String(err));
        this.endSession(s, e);
      },
    );
  }

  // ------------------------------------------------------------------ checkpoints

  /** Writes the position (and new anchors) of every partition that moved since the last write. One at a time. */
  private checkpoint(s: Session): Promise<void> {
    const run = async (): Promise<void> => {
      const messages: ProducerMessage[] = [];
      const taken: Array<{ map: OffsetMap; anchors: ReturnType<OffsetMap['takeUnsaved']>; pos: string }> = [];
      for (const [k, map] of s.maps) {
        const p = map.position;
        const pos = `${p.s},${p.t},${p.q}`;
        const anchors = map.takeUnsaved();
        if (pos === s.saved.get(k) && anchors.length === 0) continue;
        for (const a of anchors) messages.push(anchorRecord(this.name, map.topic, map.partition, a));
        messages.push(positionRecord(this.name, map.topic, map.partition, p, map.origin, map.lastAnchorIndex));
        taken.push({ map, anchors, pos });
      }
      if (messages.length === 0) return;
      try {
        await s.checkpoints.send({ topic: checkpointTopic(this.name), messages });
      } catch (err) {
        for (const t of taken) t.map.restoreUnsaved(t.anchors);
        throw err;
      }
      for (const t of taken) s.saved.set(partitionKey(t.map.topic, t.map.partition), t.pos);
    };
    const previous = s.checkpointing ?? Promise.resolve();
    const p = previous.catch(() => {}).then(run);
    s.checkpointing = p;
    return p;
  }

  private async newIdentity(checkpoints: Producer, cpTopic: string): Promise<ProducerIdentity> {
    const p = new Producer({ ...this.clientOptions('to'), allowAutoTopicCreation: false });
    try {
      await p.connect();
      const id = p.producerIdentity;
      // Written before any record is copied under it, so a restart always finds it.
      await checkpoints.send({ topic: cpTopic, messages: [identityRecord(this.name, id)] });
      this.log.info({ mirror: this.name, producerId: id.producerId, producerEpoch: id.producerEpoch }, 'mirror producer identity created');
      return id;
    } finally {
      await p.close(0);
    }
  }

  /**
   * Each partition's map and where copying resumes. A partition without a
   * checkpoint starts at the source's log start and the target's end, and that
   * start is written (returned in `initial`) before anything is copied.
   */
  private async positions(source: Admin, target: Admin, topics: readonly SourceTopic[], state: CheckpointState): Promise<{ maps: Map<string, OffsetMap>; skip: Map<string, number>; initial: ProducerMessage[] }> {
    const maps = new Map<string, OffsetMap>();
    const skip = new Map<string, number>();
    const initial: ProducerMessage[] = [];
    for (const t of topics) {
      const parts = Array.from({ length: t.partitions }, (_, i) => i);
      const starts = new Map((await source.listOffsets(t.name, 'earliest', parts)).map((o) => [o.partition, o.offset]));
      const ends = new Map((await target.listOffsets(t.name, 'latest', parts)).map((o) => [o.partition, o.offset]));
      for (const p of parts) {
        const k = partitionKey(t.name, p);
        const sourceStart = starts.get(p) ?? 0;
        const targetEnd = ends.get(p) ?? 0;
        const cp = state.partitions.get(k);
        if (cp === undefined) {
          const map = OffsetMap.start(t.name, p, sourceStart, targetEnd);
          maps.set(k, map);
          for (const a of map.takeUnsaved()) initial.push(anchorRecord(this.name, t.name, p, a));
          initial.push(positionRecord(this.name, t.name, p, map.position, map.origin, map.lastAnchorIndex));
          continue;
        }
        const map = new OffsetMap(t.name, p, cp.origin, cp.position, cp.anchors, cp.nextAnchorIndex);
        maps.set(k, map);
        const written = targetEnd - cp.position.t;
        if (written < 0) {
          throw new MirrorFatalError(
            `target ${t.name}-${p} ends at ${targetEnd}, before the checkpoint's ${cp.position.t}: it was truncated or re-created; delete the checkpoints (topic ${checkpointTopic(this.name)}) to mirror it from scratch`,
          );
        }
        if (cp.position.s < sourceStart) {
          // The source deleted records before they were copied: nothing can bring them back.
          const pos: Position = { s: sourceStart, t: targetEnd, q: addSequence(cp.position.q, written) };
          this.log.error({ mirror: this.name, topic: t.name, partition: p, from: cp.position.s, to: sourceStart }, 'source records were deleted before they were copied');
          map.moveTo(pos);
          for (const a of map.takeUnsaved()) initial.push(anchorRecord(this.name, t.name, p, a));
          initial.push(positionRecord(this.name, t.name, p, pos, map.origin, map.lastAnchorIndex));
          continue;
        }
        if (written > 0) skip.set(k, written);
      }
    }
    const found = [...skip.values()].reduce((a, b) => a + b, 0);
    if (found > 0) this.log.info({ mirror: this.name, records: found, partitions: skip.size }, 'records copied after the last checkpoint are on the target already; passing over them');
    return { maps, skip, initial };
  }

  // ------------------------------------------------------------------ topics

  /** Source topics to copy, with partition counts and the configs set on them. */
  private async discover(source: Admin): Promise<SourceTopic[]> {
    const names = (await source.listTopics()).filter((n) => !isMirrorInternalTopic(n) && fullMatch(this.o.topics, n));
    if (names.length === 0) return [];
    const described = await source.describeTopics(names);
    const configs = await source.describeConfigs(names.map((name) => ({ type: 'topic' as const, name })));
    const byName = new Map(configs.map((c) => [c.name, c.configs]));
    return described
      .map((t) => {
        const cfg: Record<string, string> = {};
        for (const c of byName.get(t.name) ?? []) {
          if (c.source === CONFIG_SOURCE_TOPIC && c.value !== null && !c.isSensitive && !CONFIGS_NOT_COPIED.has(c.name)) cfg[c.name] = c.value;
        }
        return { name: t.name, partitions: t.partitions.length, configs: cfg };
      })
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Creates missing target topics (and the checkpoints topic), grows short ones, and waits until every partition has a leader. */
  private async ensureTargetTopics(target: Admin, topics: readonly SourceTopic[]): Promise<void> {
    const existing = new Set(await target.listTopics());
    const cpTopic = checkpointTopic(this.name);
    const wanted: Array<{ name: string; partitions: number; configs: Record<string, string> }> = [...topics];
    if (!existing.has(cpTopic)) wanted.push({ name: cpTopic, partitions: 1, configs: { ...CHECKPOINT_TOPIC_CONFIGS } });
    for (const t of wanted) {
      if (existing.has(t.name)) continue;
      const create = (configs: Record<string, string>) => target.createTopics([{ name: t.name, numPartitions: t.partitions, replicationFactor: this.o.replicationFactor, configs }]);
      try {
        await create(t.configs);
        this.log.info({ mirror: this.name, topic: t.name, partitions: t.partitions, configs: t.configs }, 'created target topic');
      } catch (err) {
        if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) continue;
        if (!(err instanceof KafkaError && err.code === ErrorCode.INVALID_CONFIG) || Object.keys(t.configs).length === 0) throw err;
        this.log.warn({ mirror: this.name, topic: t.name, configs: t.configs, err: err.message }, 'the target refused the topic configs; creating the topic with its defaults');
        try {
          await create({});
        } catch (again) {
          if (!(again instanceof KafkaError && again.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw again;
        }
      }
    }
    const deadlineMs = Date.now() + TOPIC_READY_TIMEOUT_MS;
    const names = wanted.map((t) => t.name);
    for (;;) {
      let ready = true;
      let detail = '';
      try {
        const described = new Map((await target.describeTopics(names)).map((t) => [t.name, t]));
        for (const t of wanted) {
          const d = described.get(t.name)!;
          if (d.partitions.length < t.partitions) {
            if (existing.has(t.name) && t.name !== cpTopic) {
              this.log.info({ mirror: this.name, topic: t.name, from: d.partitions.length, to: t.partitions }, 'growing target topic');
              await target.createPartitions([{ topic: t.name, count: t.partitions }]).catch((err: unknown) => {
                if (!(err instanceof KafkaError && err.code === ErrorCode.INVALID_PARTITIONS)) throw err;
              });
              existing.delete(t.name);
            }
            ready = false;
            detail = `${t.name} has ${d.partitions.length} of ${t.partitions} partitions`;
          } else if (d.partitions.some((p) => p.leader < 0 || p.errorCode !== ErrorCode.NONE)) {
            ready = false;
            detail = `${t.name} has partitions without a leader`;
          }
        }
      } catch (err) {
        if (!(err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)) throw err;
        ready = false;
        detail = message(err);
      }
      if (ready) return;
      if (Date.now() > deadlineMs) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `target topics not ready in ${TOPIC_READY_TIMEOUT_MS} ms: ${detail}`);
      await sleep(200);
    }
  }

  /**
   * Source and target must be different brokers (copying a topic into itself would
   * never end): the checkpoints topic, just made sure of on the target, must not be
   * the very same topic (same topic id) on the source.
   */
  private async refuseSameBroker(source: Admin, target: Admin, cpTopic: string): Promise<void> {
    if (!(await source.listTopics()).includes(cpTopic)) return;
    const [a] = await source.describeTopics([cpTopic]);
    const [b] = await target.describeTopics([cpTopic]);
    if (a !== undefined && b !== undefined && a.topicId === b.topicId && /[1-9a-f]/.test(a.topicId)) {
      throw new MirrorFatalError(`source ${this.o.from} and target ${this.o.to} are the same broker (topic ${cpTopic} has id ${a.topicId} on both)`);
    }
  }

  /** The largest batch the target takes for every copied topic (max.message.bytes), capped at 1 MiB. */
  private async maxRequestBytes(target: Admin, topics: readonly SourceTopic[]): Promise<number> {
    let max = MAX_REQUEST_BYTES_DEFAULT;
    if (topics.length === 0) return max;
    const cfgs = await target.describeConfigs(topics.map((t) => ({ type: 'topic' as const, name: t.name, keys: ['max.message.bytes'] })));
    for (const r of cfgs) {
      const v = Number(r.configs.find((c) => c.name === 'max.message.bytes')?.value);
      // Batch overhead counts against it; leave room for one header.
      if (Number.isSafeInteger(v) && v > 1024) max = Math.min(max, v - 100);
    }
    return max;
  }

  private async readSourceEnds(s: Session): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const t of s.topics) {
      for (const o of await s.source.listOffsets(t.name, 'latest', Array.from({ length: t.partitions }, (_, i) => i))) {
        const k = partitionKey(t.name, o.partition);
        out.set(k, o.offset);
        this.sourceEnds.set(k, o.offset);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ groups

  /**
   * Translates the committed offsets of source groups (matching `groups`) and
   * commits them on the target, for groups with no live member there. An offset
   * only moves forward on the target, and a partition not yet copied up to the
   * committed offset waits for a later sync. One sync at a time.
   */
  private syncGroups(s: Session): Promise<void> {
    const run = async (): Promise<void> => {
      const listed = await s.source.listGroups();
      const groups = listed.filter((g) => (g.protocolType === 'consumer' || g.protocolType === '') && fullMatch(this.o.groups, g.groupId)).slice(0, GROUPS_PER_SYNC_MAX);
      for (const g of groups) {
        const committed = (await s.source.fetchOffsets(g.groupId)).filter((o) => s.maps.has(partitionKey(o.topic, o.partition)));
        if (committed.length === 0) continue;
        const desc = await s.target.describeGroup(g.groupId);
        if (desc.members > 0) continue; // consumers already run on the target: their commits win
        const theirs = new Map((await s.target.fetchOffsets(g.groupId)).map((o) => [partitionKey(o.topic, o.partition), o.offset]));
        const commits: Array<{ topic: string; partition: number; offset: number; metadata: string | null }> = [];
        for (const o of committed) {
          const k = partitionKey(o.topic, o.partition);
          const translated = s.maps.get(k)!.translate(o.offset);
          if (translated === null) continue;
          const current = theirs.get(k);
          if (current !== undefined && current >= translated) continue;
          commits.push({ topic: o.topic, partition: o.partition, offset: translated, metadata: o.metadata ?? null });
        }
        if (commits.length === 0) continue;
        try {
          await s.target.commitOffsets(g.groupId, commits);
        } catch (err) {
          // A member joined between the describe and the commit: its commits win.
          if (err instanceof KafkaError && (err.code === ErrorCode.UNKNOWN_MEMBER_ID || err.code === ErrorCode.ILLEGAL_GENERATION || err.code === ErrorCode.REBALANCE_IN_PROGRESS)) continue;
          throw err;
        }
        this.groupsSynced++;
        this.offsetsCommitted += commits.length;
        this.log.info({ mirror: this.name, group: g.groupId, offsets: commits.length }, 'group offsets translated to the target');
      }
    };
    const previous = s.syncing ?? Promise.resolve();
    const p = previous.catch(() => {}).then(run);
    s.syncing = p;
    return p;
  }
}

/** True when `re` matches the whole of `s` (as MirrorMaker's topic and group patterns do). */
function fullMatch(re: RegExp, s: string): boolean {
  const m = new RegExp(`^(?:${re.source})$`, re.flags.replace(/[gy]/g, '')).exec(s);
  return m !== null;
}

