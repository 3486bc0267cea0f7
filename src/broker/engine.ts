// The engine: the main thread's implementation of the Engine contract.
// Owns: topic metadata (through TopicStore), the map (topic, partition) → slot →
// shard, start-up (clean marker, parallel recovery in the piscina pool, opening
// partitions on their shards: after a clean stop on first use, see `openHandle`),
// the offsets summary written with the clean-shutdown marker, long-poll waiters, handing compaction work from a
// shard to the piscina pool and the result back, and clean shutdown.
// Must not read or write partition files: shards own those; recovery, file
// deletes and segment cleaning run in the piscina pool. Topic metadata is the one thing written here
// (admin path only, small, atomic).

import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { statfs } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { syncFsCall } from '../platform/native.js';
import { ShardClient } from './shard-client.js';
import { FileRange, fileRangesAvailable } from './file-range.js';
import { TailCache, readsUpTo } from './tail-cache.js';
import { DeadlineQueue } from './deadline-queue.js';
import type { DeadlineEntry } from './deadline-queue.js';
import type { AppendCompletion, ShardReady } from './shard-client.js';
import type { ClosedPartition, ControlRequest, Notice, ShardStats } from '../shard/shard-protocol.js';
export type { ShardStats } from '../shard/shard-protocol.js';
import type {
  Acks, AppendOptions, AppendResult, DeleteRecordsResult, DescribeProducersResult, Engine, ListOffsetResult, LogDirInfo, OffsetSpec, OfflineTopic, PartitionOffsets, PartitionRef,
  ReadOptions, ReadResult, TopicConfig, TopicInfo, TopicLayout,
} from './engine-api.js';
import { SHARDS_MAX } from '../config/config.js';
import { DEFAULT_TOPIC_CONFIG, validateTopicConfig } from '../config/topic-config.js';
import { toLogConfig } from '../storage/log-config.js';
import { TopicStore } from '../storage/topic-store.js';
import { partitionDirName } from '../storage/partition-dir.js';
import { assertTopicName, PARTITIONS_MAX } from '../wire/topic-name.js';
import { takeCleanShutdown, writeCleanShutdownMarker } from '../storage/clean-shutdown.js';
import { decodeOffsetSummary, encodeOffsetSummary } from '../storage/offset-summary.js';
import type { PartitionSummary, TopicSummary } from '../storage/offset-summary.js';
import { logger } from '../util/logger.js';
import type { CompactTask, CompactTaskResult, RecoverManyTask, RecoverTask, ScrubTask, UnlinkTask } from '../storage/maintenance-tasks.js';
import type { ScrubDamage, ScrubResult } from '../storage/scrub.js';
import type { RecoveryReport } from '../storage/recovery.js';
import { WaitList, type ListedWait } from './wait-list.js';

export interface EngineOptions {
  dataDir: string;
  /** Shard worker threads; default: cores − 1, at least 1. */
  shards?: number;
  /** Defaults for new topics (broker-level `log.*`/topic names). */
  topicDefaults?: Partial<TopicConfig>;
  requestRingBytes?: number;
  completionRingBytes?: number;
  retentionCheckIntervalMs?: number;
  /** How often shards look for compacted partitions to clean (Kafka's log.cleaner.backoff.ms). */
  compactionCheckIntervalMs?: number;
  /** Pin shard threads to cores (needs the native addon; runs unpinned without it). */
  pin?: boolean;
  /**
   * After a clean start, open the partitions nobody used yet in the background
   * (a few at a time, BACKGROUND_OPEN_DELAY_MS after start), so retention and
   * compaction run for them and first use pays no open. Default true;
   * SAMSA_BACKGROUND_OPEN=0 turns it off.
   */
  backgroundOpen?: boolean;
}

/** One scrub of every partition's sealed segments (see SamsaEngine.scrub). */
export interface ScrubReport {
  startedAtMs: number;
  durationMs: number;
  /** Why it ran: 'unclean-start' or 'request'. */
  reason: string;
  partitions: number;
  segments: number;
  batches: number;
  bytes: number;
  /** Damaged batches found; `damaged` lists the first SCRUB_DAMAGE_LISTED_MAX. */
  damagedCount: number;
  damaged: Array<ScrubDamage & { topic: string; partition: number }>;
  /** False when the broker closed before every partition was checked. */
  complete: boolean;
}

/** Totals since start, for /metrics. */
export interface ScrubTotals {
  runs: number;
  batchesChecked: number;
  damagedBatches: number;
  /** Damaged batches the last finished scrub found (-1 before the first). */
  lastDamagedBatches: number;
}

const SCRUB_DAMAGE_LISTED_MAX = 1000;
/** Damaged batches logged one by one per scrub; the rest are counted in its summary line. */
const SCRUB_DAMAGE_LOGGED_MAX = 100;

export interface ShardInfo extends ShardReady {
  shardId: number;
  partitions: number;
}

interface PartitionHandle {
  topic: string;
  partition: number;
  slot: number;
  shard: ShardClient;
  /**
   * 'closed': known from the offsets summary, not open on its shard yet (every
   * request that needs the shard opens it first, see openHandle); 'open'.
   */
  state: 'closed' | 'open';
  /** The one open in flight: every request that arrives meanwhile waits for it. */
  opening: Promise<void> | null;
  /** The last open failed (logged once; each use tries again). */
  openFailed: boolean;
  /** Its topic was deleted: no open may start for it any more. */
  deleted: boolean;
  /** Its offsets came from the summary (checked against the log at open). */
  fromSummary: boolean;
  logStartOffset: number;
  highWatermark: number;
  lastStableOffset: number;
  waiters: WaitList<ParkedWait>;
  /** The newest small appends while a consumer tails the partition (tail-cache.ts). */
  tail: TailCache;
}

/**
 * One waitForAppend: in its partitions' waiter lists, the engine's deadline queue and
 * its signal's list until it finishes. A class, not closures: a parked Fetch is made
 * per request on the produce → wake → respond path.
 */
class ParkedWait implements DeadlineEntry, ListedWait {
  deadlineMs = 0;
  heapIndex = -1;
  finished = false;

  constructor(
    private readonly deadlines: DeadlineQueue,
    private readonly handles: readonly PartitionHandle[],
    private readonly aborts: WaitList<ParkedWait> | null,
    private readonly resolve: (woken: boolean) => void,
  ) {}

  /** An append (or a deletion, or the engine closing) on one of its partitions. */
  wake(): void {
    this.finish(true);
  }

  /** Its deadline passed (DeadlineQueue). */
  fire(): void {
    this.finish(false);
  }

  finish(woken: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.deadlines.remove(this);
    for (const h of this.handles) h.waiters.finished();
    this.aborts?.finished();
    this.resolve(woken);
  }
}

/** What a drain does to each wait: an append (or a deletion, or close) wakes it; an abort finishes it unwoken. */
const wakeWait = (w: ParkedWait): void => w.wake();
const abortWait = (w: ParkedWait): void => w.finish(false);

function appendResultOf(c: AppendCompletion): AppendResult {
  const r: AppendResult = { errorCode: c.errorCode, baseOffset: c.baseOffset, logAppendTimeMs: c.appendTimeMs, logStartOffset: c.logStartOffset };
  if (c.message.length > 0) r.errorMessage = c.message;
  return r;
}

interface TopicHandle {
  info: TopicInfo;
  partitions: PartitionHandle[];
}

/** Kafka's topic ids are UUIDs: 16 random bytes. */
const TOPIC_ID_BYTES = 16;
const DEFAULT_REQUEST_RING_BYTES = 16 * 1024 * 1024;
const DEFAULT_COMPLETION_RING_BYTES = 32 * 1024 * 1024;
const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300_000; // Kafka's log.retention.check.interval.ms
const DEFAULT_COMPACTION_CHECK_INTERVAL_MS = 15_000; // Kafka's log.cleaner.backoff.ms
/**
 * Opens in flight at once when partitions are opened in the background or all at
 * once (stats, DescribeLogDirs): enough that a shard opens several per wake-up, few
 * enough that a first request's own open waits behind at most this many.
 */
const OPEN_ALL_CONCURRENCY = 8;
/** Background opening starts this long after the engine is up: listeners first. */
const BACKGROUND_OPEN_DELAY_MS = 200;
/** Partitions one recovery task takes at most after an unclean stop (engine.recoverEach; a task per partition left the pool mostly idle). */
const RECOVERY_PARTITIONS_PER_TASK_MAX = 64;

const SHARD_WORKER_URL = new URL('../../workers/shard-worker.js', import.meta.url);
const MAINTENANCE_WORKER_URL = new URL('../../workers/maintenance.js', import.meta.url);

export function defaultShardCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class SamsaEngine implements Engine {
  readonly dataDir: string;
  readonly shardInfos: ShardInfo[] = [];
  private readonly shards: ShardClient[] = [];
  private readonly topics = new Map<string, TopicHandle>();
  private readonly slots = new Map<number, PartitionHandle>();
  private nextSlot = 1;
  private closed = false;
  /** Deadlines of the parked waitForAppend calls: one timer for all of them. */
  private readonly deadlines = new DeadlineQueue();
  private readonly parkedBySignal = new WeakMap<AbortSignal, WaitList<ParkedWait>>();
  private closing: Promise<void> | null = null;
  private readonly defaults: TopicConfig;
  /** Serialises admin operations, so two CreateTopics for one name cannot race. */
  private adminChain: Promise<unknown> = Promise.resolve();
  /**
   * The maintenance pool, created on first use: piscina's ~20 modules were loaded
   * before the shard threads were spawned, on every start, and most starts recover
   * nothing (a clean marker) and delete nothing for a while.
   */
  private pool: Promise<Piscina> | null = null;
  private store!: TopicStore;
  /** Partitions still 'closed' (registered, not open yet; not deleted): the background opener's work. */
  private unopened = 0;
  private backgroundTimer: NodeJS.Timeout | null = null;
  recoveredUncleanly = false;
  readonly scrubTotals: ScrubTotals = { runs: 0, batchesChecked: 0, damagedBatches: 0, lastDamagedBatches: -1 };
  private scrubbing: Promise<ScrubReport> | null = null;
  /** The last finished scrub, for GET /broker/scrub. */
  lastScrub: ScrubReport | null = null;

  private constructor(private readonly options: Required<EngineOptions>) {
    this.dataDir = options.dataDir;
    this.defaults = { ...DEFAULT_TOPIC_CONFIG, ...validateTopicConfig(options.topicDefaults) };
  }

  private maintenancePool(): Promise<Piscina> {
    // Not created once closing began: close() destroys only a pool it can see.
    if (this.pool === null && this.closed) return Promise.reject(new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'the engine is closed'));
    // minThreads 0: no idle maintenance thread (memory) — recovery and deletes are rare.
    this.pool ??= import('piscina').then(({ Piscina: Pool }) => new Pool({ filename: MAINTENANCE_WORKER_URL.href, minThreads: 0, maxThreads: Math.max(1, availableParallelism()), idleTimeout: 2_000 }));
    return this.pool;
  }

  static async start(opts: EngineOptions): Promise<SamsaEngine> {
    const options: Required<EngineOptions> = {
      dataDir: opts.dataDir,
      shards: opts.shards ?? defaultShardCount(),
      topicDefaults: opts.topicDefaults ?? {},
      requestRingBytes: opts.requestRingBytes ?? DEFAULT_REQUEST_RING_BYTES,
      completionRingBytes: opts.completionRingBytes ?? DEFAULT_COMPLETION_RING_BYTES,
      retentionCheckIntervalMs: opts.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS,
      compactionCheckIntervalMs: opts.compactionCheckIntervalMs ?? DEFAULT_COMPACTION_CHECK_INTERVAL_MS,
      pin: opts.pin ?? true,
      backgroundOpen: opts.backgroundOpen ?? process.env.SAMSA_BACKGROUND_OPEN !== '0',
    };
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > SHARDS_MAX) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `shards must be an integer 1..${SHARDS_MAX}, got ${options.shards}`);
    }
    const engine = new SamsaEngine(options);
    try {
      await engine.boot();
    } catch (err) {
      await engine.close().catch(() => undefined);
      throw err;
    }
    return engine;
  }

  private async boot(): Promise<void> {
    const { dataDir } = this.options;
    mkdirSync(join(dataDir, 'meta'), { recursive: true });
    // Taken (read and removed) before anything can be written: a crash from here on is unclean.
    // The summary is only ever read with the marker, so after a kill -9 there is none.
    const { clean, summary } = takeCleanShutdown(dataDir);
    this.store = TopicStore.load(dataDir);
    for (const f of this.store.strayFiles) logger().warn({ file: f }, 'ignored a topic metadata file whose name is not a topic name');
    for (const d of this.store.damaged()) {
      logger().error({ topic: d.name, file: d.file, problem: d.problem }, `topic ${d.name} is offline: its metadata file ${d.file} is damaged (${d.problem}); fix the file and restart`);
    }
    const infos = this.store.list();
    this.recoveredUncleanly = !clean && infos.length > 0;
    const recovered = this.recoveredUncleanly ? await this.recoverAll(infos) : new Map<string, TopicSummary>();

    const cores = availableParallelism();
    for (let i = 0; i < this.options.shards; i++) {
      // Core 0 is left to the main thread (network); shards take the others, wrapping.
      const cpu = this.options.pin ? (cores > 1 ? 1 + (i % (cores - 1)) : 0) : -1;
      const shard = new ShardClient({
        shardId: i,
        workerUrl: SHARD_WORKER_URL,
        requestRingBytes: this.options.requestRingBytes,
        completionRingBytes: this.options.completionRingBytes,
        cpu,
        retentionCheckIntervalMs: this.options.retentionCheckIntervalMs,
        compactionCheckIntervalMs: this.options.compactionCheckIntervalMs,
        dataDir: this.dataDir,
        onAppend: (slot, logStart, next, lso, base, batches) => this.onAppend(slot, logStart, next, lso, base, batches),
        onNotice: (n) => this.onNotice(n),
      });
      this.shards.push(shard);
    }
    const readies = await Promise.all(this.shards.map((s) => s.ready));
    readies.forEach((r, i) => this.shardInfos.push({ shardId: i, cpu: r.cpu, pinned: r.pinned, pinReason: r.pinReason, partitions: 0 }));
    const unpinned = readies.find((r) => r.cpu >= 0 && !r.pinned);
    if (unpinned !== undefined) logger().warn({ reason: unpinned.pinReason }, 'shards run unpinned');

    // After a clean stop, a partition the summary describes is only registered (slot,
    // shard, offsets) and opened on first use; after an unclean one, so is a partition
    // whose recovery showed its offsets (no transaction open at its end). The rest (no
    // summary: the first start of a build without one, a topic whose id does not
    // match, a partition with an open transaction) are opened now.
    const summaries = clean ? decodeOffsetSummary(summary) : recovered;
    for (const info of infos) {
      const s = summaries.get(info.name);
      await this.openTopic(info, s !== undefined && s.topicId === info.topicId ? s.partitions : []);
    }
    if (this.unopened > 0 && this.options.backgroundOpen) {
      this.backgroundTimer = setTimeout(() => {
        this.backgroundTimer = null;
        const t0 = performance.now();
        const before = this.unopened;
        this.openAll().then(
          () => logger().info({ partitions: before - this.unopened, durationMs: Math.round(performance.now() - t0) }, 'opened partitions in the background'),
          (err: unknown) => logger().error({ err }, 'opening partitions in the background failed'),
        );
      }, BACKGROUND_OPEN_DELAY_MS);
      this.backgroundTimer.unref();
    }
    // Recovery checked each active segment's tail; after an unclean stop the sealed
    // ones are re-verified too, in the background (one partition at a time, in the
    // maintenance pool), so start-up time does not grow with data size.
    if (this.recoveredUncleanly) {
      this.scrub('unclean-start').catch((err: unknown) => logger().error({ err }, 'scrub after an unclean stop failed'));
    }
  }

  /**
   * Re-verifies every batch (framing and CRC-32C) of every sealed segment of every
   * online partition, one partition at a time in the maintenance pool, off the shards
   * and the main thread. Damage is logged and counted, not repaired: the batch is still
   * served as stored (a consumer's CRC check rejects it), and intact ones are served as
   * before. A call while one runs shares it.
   */
  scrub(reason = 'request'): Promise<ScrubReport> {
    if (this.scrubbing !== null) return this.scrubbing;
    const run = this.runScrub(reason).finally(() => {
      this.scrubbing = null;
    });
    this.scrubbing = run;
    return run;
  }

  private async runScrub(reason: string): Promise<ScrubReport> {
    const report: ScrubReport = {
      startedAtMs: Date.now(), durationMs: 0, reason, partitions: 0, segments: 0, batches: 0, bytes: 0, damagedCount: 0, damaged: [], complete: false,
    };
    const t0 = performance.now();
    const parts: PartitionHandle[] = [];
    for (const t of this.topics.values()) parts.push(...t.partitions);
    let logged = 0;
    for (const h of parts) {
      if (this.closed) break;
      if (this.handle(h.topic, h.partition) !== h) continue; // deleted since
      const task: ScrubTask = { dir: join(this.dataDir, partitionDirName(h.topic, h.partition)) };
      let r: ScrubResult;
      try {
        r = (await (await this.maintenancePool()).run(task, { name: 'scrub' })) as ScrubResult;
      } catch (err) {
        if (this.closed) break; // the pool is gone (or, closing, never created)
        logger().error({ topic: h.topic, partition: h.partition, err }, 'scrub of a partition failed');
        continue;
      }
      report.partitions++;
      report.segments += r.segments;
      report.batches += r.batches;
      report.bytes += r.bytes;
      report.damagedCount += r.damagedCount;
      this.scrubTotals.batchesChecked += r.batches;
      this.scrubTotals.damagedBatches += r.damagedCount;
      for (const d of r.damaged) {
        if (report.damaged.length < SCRUB_DAMAGE_LISTED_MAX) report.damaged.push({ topic: h.topic, partition: h.partition, ...d });
        if (logged++ < SCRUB_DAMAGE_LOGGED_MAX) {
          logger().error(
            { topic: h.topic, partition: h.partition, file: d.file, position: d.position, baseOffset: d.baseOffset, lastOffset: d.lastOffset },
            `damaged batch in sealed segment ${d.file} at position ${d.position} (offsets ${d.baseOffset}..${d.lastOffset}): ${d.problem}; it is served as stored and consumers will reject it`,
          );
        }
      }
    }
    report.complete = !this.closed;
    report.durationMs = performance.now() - t0;
    this.scrubTotals.runs++;
    this.scrubTotals.lastDamagedBatches = report.damagedCount;
    this.lastScrub = report;
    const summary = { reason, partitions: report.partitions, segments: report.segments, batches: report.batches, damaged: report.damagedCount, durationMs: Math.round(report.durationMs), complete: report.complete };
    if (report.damagedCount > 0) logger().error(summary, `scrub found ${report.damagedCount} damaged batch(es) in sealed segments`);
    else logger().info(summary, 'scrub of sealed segments found no damage');
    return report;
  }

  /** Recovers every partition; returns, per topic, the offsets of those that need not be opened now (RecoveryReport.openOffsets). */
  private async recoverAll(infos: TopicInfo[]): Promise<Map<string, TopicSummary>> {
    // With the addon, each recovery writes without fdatasync and one syncfs(2) below
    // makes all of it durable: per file, the recovery threads waited for the disk three
    // times a partition (~60% of an unclean start with 1,000 partitions). The
    // descriptor is opened before any recovery writes, so the syncfs reports a write
    // error from any of them (Linux ≥ 5.8); a file's own error also stays unseen for
    // the shard's first fdatasync of it. SAMSA_SYNCFS=0: per-file syncs, as before.
    const syncFs = process.env.SAMSA_SYNCFS === '0' ? null : syncFsCall();
    let fsFd = -1;
    if (syncFs !== null) {
      try {
        fsFd = openSync(this.dataDir, 'r');
        // A first flush before any recovery writes: it writes what the stopped process
        // left in the page cache, and it takes in an error from before this start (the
        // file system's error is reported once per such descriptor), so that the check
        // below is about recovery's own writes. The files' own errors are not taken.
        const before = syncFs(fsFd);
        if (before < 0) logger().warn({ errno: -before, dir: this.dataDir }, 'the data directory\'s file system reported a write error from before this start; each partition\'s files report their own at their next sync');
      } catch {
        fsFd = -1;
      }
    }
    try {
      const known = await this.recoverEach(infos, fsFd >= 0);
      if (fsFd >= 0) {
        const r = syncFs!(fsFd);
        if (r < 0) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `recovery could not make its writes durable: syncfs of ${this.dataDir} failed with errno ${-r}`);
      }
      return known;
    } finally {
      if (fsFd >= 0) closeSync(fsFd);
    }
  }

  private async recoverEach(infos: TopicInfo[], skipSync: boolean): Promise<Map<string, TopicSummary>> {
    const all: Array<{ topic: string; partition: number; task: RecoverTask }> = [];
    const known = new Map<string, TopicSummary>();
    for (const info of infos) {
      known.set(info.name, { topicId: info.topicId, partitions: new Array<PartitionSummary | null>(info.partitions).fill(null) });
      const config = toLogConfig(info.config);
      for (let p = 0; p < info.partitions; p++) all.push({ topic: info.name, partition: p, task: { dir: join(this.dataDir, partitionDirName(info.name, p)), config, skipSync } });
    }
    // Several partitions per task (RecoverManyTask says why), but at least two tasks
    // per pool thread while there are enough partitions, so the threads share the work.
    const threads = Math.max(1, availableParallelism());
    const perTask = Math.max(1, Math.min(RECOVERY_PARTITIONS_PER_TASK_MAX, Math.ceil(all.length / (2 * threads))));
    const pool = await this.maintenancePool();
    const runs: Array<Promise<void>> = [];
    for (let from = 0; from < all.length; from += perTask) {
      const chunk = all.slice(from, from + perTask);
      const task: RecoverManyTask = { tasks: chunk.map((c) => c.task) };
      runs.push(
        (pool.run(task, { name: 'recoverMany' }) as Promise<RecoveryReport[]>).then((reports) => {
          reports.forEach((report, i) => {
            const { topic, partition } = chunk[i]!;
            for (const line of report.messages) logger().warn({ topic, partition }, line);
            const o = report.openOffsets;
            if (o !== null) known.get(topic)!.partitions[partition] = { logStartOffset: o.logStartOffset, highWatermark: o.nextOffset, lastStableOffset: o.nextOffset };
          });
        }),
      );
    }
    await Promise.all(runs);
    let registered = 0;
    for (const t of known.values()) for (const p of t.partitions) if (p !== null) registered++;
    logger().info({ partitions: all.length, tasks: runs.length, openedOnFirstUse: registered }, 'recovered partitions after an unclean stop');
    return known;
  }

  private pickShard(): ShardClient {
    let best = 0;
    for (let i = 1; i < this.shardInfos.length; i++) if (this.shardInfos[i]!.partitions < this.shardInfos[best]!.partitions) best = i;
    this.shardInfos[best]!.partitions++;
    return this.shards[best]!;
  }

  /** Gives a partition its slot and shard; opened later (openHandle), with `known` offsets meanwhile if given. */
  private register(info: TopicInfo, partition: number, known: PartitionSummary | null): PartitionHandle {
    const shard = this.pickShard();
    const slot = this.nextSlot++;
    const h: PartitionHandle = {
      topic: info.name, partition, slot, shard, state: 'closed', opening: null, openFailed: false, deleted: false, fromSummary: known !== null,
      logStartOffset: known?.logStartOffset ?? 0, highWatermark: known?.highWatermark ?? 0, lastStableOffset: known?.lastStableOffset ?? 0,
      waiters: new WaitList(), tail: new TailCache(),
    };
    this.slots.set(slot, h);
    this.unopened++;
    return h;
  }

  /**
   * Opens a registered partition on its shard once; every caller until it is open
   * waits for the same open (the callers are requests, bounded by the listeners'
   * in-flight limits), so none sees a half-open log. A failed open is logged and
   * rejects; the next use tries again.
   */
  private openHandle(h: PartitionHandle): Promise<void> {
    if (h.state === 'open') return Promise.resolve();
    if (h.opening !== null) return h.opening;
    const opening = this.sendOpen(h).catch((err: unknown) => {
      h.opening = null;
      // Logged once until it opens: every request to a damaged partition retries the open.
      const quiet = h.openFailed || (err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      h.openFailed = true;
      if (!quiet) logger().error({ topic: h.topic, partition: h.partition, err }, 'opening a partition failed (logged once; each request tries again)');
      throw err;
    });
    h.opening = opening;
    return opening;
  }

  /** openHandle for a request: NONE, or the code to answer with. */
  private async ensureOpen(h: PartitionHandle): Promise<number> {
    try {
      await this.openHandle(h);
      return ErrorCode.NONE;
    } catch (err) {
      return err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
    }
  }

  private async sendOpen(h: PartitionHandle): Promise<void> {
    const t = this.topics.get(h.topic);
    if (h.deleted || t === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${h.topic}-${h.partition}`);
    const dir = join(this.dataDir, partitionDirName(h.topic, h.partition));
    // The config is read now, not at registration: an AlterConfigs before first use applies.
    const r = await h.shard.control({ type: 'open', slot: h.slot, dir, config: t.info.config });
    if (!r.ok) throw new KafkaError(r.errorCode, `open ${h.topic}-${h.partition}: ${r.message}`);
    const logStartOffset = r.logStartOffset ?? 0;
    const highWatermark = r.nextOffset ?? 0;
    const lastStableOffset = r.lastStableOffset ?? highWatermark;
    if (h.fromSummary && (logStartOffset !== h.logStartOffset || highWatermark !== h.highWatermark || lastStableOffset !== h.lastStableOffset)) {
      // The summary was written at the last clean close; the log is the authority.
      logger().warn({ topic: h.topic, partition: h.partition, summary: [h.logStartOffset, h.highWatermark, h.lastStableOffset], log: [logStartOffset, highWatermark, lastStableOffset] }, 'offsets summary differed from the log');
    }
    // Nothing reached this partition's shard before its open, so nothing moved these since.
    h.logStartOffset = logStartOffset;
    h.highWatermark = highWatermark;
    h.lastStableOffset = lastStableOffset;
    if (!h.deleted) this.unopened--;
    h.openFailed = false;
    h.state = 'open';
  }

  /** Opens every registered partition not open yet, OPEN_ALL_CONCURRENCY at a time; stops when the engine closes. */
  private async openAll(): Promise<void> {
    if (this.unopened === 0) return;
    const handles = [...this.slots.values()].filter((h) => h.state !== 'open' && !h.deleted);
    let next = 0;
    const worker = async (): Promise<void> => {
      // Bounded: each pass takes one handle of a fixed list.
      while (next < handles.length && !this.closed) {
        const h = handles[next++]!;
        if (h.state !== 'open' && !h.deleted) await this.ensureOpen(h);
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPEN_ALL_CONCURRENCY, handles.length) }, worker));
  }

  /**
   * Registers a topic's partitions; those with an entry in `known` (the offsets
   * summary) stay closed until first use, the others are opened now.
   */
  private async openTopic(info: TopicInfo, known: ReadonlyArray<PartitionSummary | null> = []): Promise<TopicHandle> {
    const handle: TopicHandle = { info, partitions: [] };
    this.topics.set(info.name, handle);
    for (let p = 0; p < info.partitions; p++) handle.partitions.push(this.register(info, p, known[p] ?? null));
    await this.openNow(handle.partitions.filter((_h, p) => (known[p] ?? null) === null));
    return handle;
  }

  /**
   * Opens partitions with their control requests in flight together (bounded by the
   * shard client's in-flight limit): the shard opens them in one drain instead of
   * sleeping and waking once per partition on both threads. The first failure, in
   * partition order, is thrown.
   */
  private async openNow(handles: PartitionHandle[]): Promise<void> {
    const settled = await Promise.allSettled(handles.map((h) => this.openHandle(h)));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  private admin<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.adminChain.then(fn, fn);
    this.adminChain = next.catch(() => undefined);
    return next;
  }

  private offlineError(d: OfflineTopic): KafkaError {
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, offlineMessage(d));
  }

  /** The error for a topic this engine does not serve: offline (damaged metadata) or unknown. */
  private absent(name: string, unknown: () => KafkaError): KafkaError {
    const d = this.store.damagedTopic(name);
    return d !== undefined ? this.offlineError(d) : unknown();
  }

  private absentCode(topic: string): number {
    return this.store.damagedTopic(topic) !== undefined ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
  }

  private absentMessage(topic: string, partition: number): string {
    const d = this.store.damagedTopic(topic);
    return d !== undefined ? offlineMessage(d) : `unknown topic or partition ${topic}-${partition}`;
  }

  private assertOpen(): void {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'engine is closed');
  }

  defaultTopicConfig(): TopicConfig {
    return { ...this.defaults };
  }

  private checkConfig(config: TopicConfig): void {
    const ringLimit = Math.min(...this.shards.map((s) => Math.min(s.maxAppendBytes(), s.maxReadBytes())));
    if (config['max.message.bytes'] > ringLimit) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `max.message.bytes ${config['max.message.bytes']} is over this broker's limit ${ringLimit} (ring frame size)`);
    }
  }

  createTopic(name: string, partitions: number, config: Partial<TopicConfig> = {}): Promise<TopicInfo> {
    return this.admin(async () => {
      this.assertOpen();
      assertTopicName(name);
      if (!Number.isInteger(partitions) || partitions < 1 || partitions > PARTITIONS_MAX) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `partitions must be an integer 1..${PARTITIONS_MAX}, got ${partitions}`);
      }
      if (this.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
      // Never over a damaged file: that would replace what may be the only record of its partitions and configs.
      const damaged = this.store.damagedTopic(name);
      if (damaged !== undefined) throw this.offlineError(damaged);
      const full: TopicConfig = { ...this.defaults, ...validateTopicConfig(config) };
      this.checkConfig(full);
      const info: TopicInfo = { name, topicId: randomBytes(TOPIC_ID_BYTES).toString('hex'), partitions, config: full };
      this.store.put(info);
      await this.openTopic(info);
      return structuredClone(info);
    });
  }

  deleteTopic(name: string): Promise<void> {
    return this.admin(async () => {
      this.assertOpen();
      const t = this.topics.get(name);
      if (t === undefined) throw this.absent(name, () => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`));
      // Forget it first so no new request reaches a partition being deleted.
      this.topics.delete(name);
      this.store.remove(name);
      for (const h of t.partitions) {
        h.deleted = true;
        if (h.state !== 'open') this.unopened--;
        // With the directory, so a partition never opened (or whose open is still in the ring before this) goes too.
        const r = await h.shard.control({ type: 'delete', slot: h.slot, dir: join(this.dataDir, partitionDirName(h.topic, h.partition)) });
        if (!r.ok) logger().error({ topic: name, partition: h.partition, message: r.message }, 'delete partition failed');
        this.slots.delete(h.slot);
        h.tail.clear();
        const info = this.shardInfos[h.shard.shardId];
        if (info !== undefined) info.partitions--;
        h.waiters.drain(wakeWait);
      }
    });
  }

  createPartitions(name: string, totalPartitions: number): Promise<void> {
    return this.admin(async () => {
      this.assertOpen();
      const t = this.topics.get(name);
      if (t === undefined) throw this.absent(name, () => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`));
      if (!Number.isInteger(totalPartitions) || totalPartitions <= t.info.partitions || totalPartitions > PARTITIONS_MAX) {
        throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `topic '${name}' has ${t.info.partitions} partitions; the new count must be larger (and ≤ ${PARTITIONS_MAX}), got ${totalPartitions}`);
      }
      const info: TopicInfo = { ...t.info, partitions: totalPartitions };
      this.store.put(info);
      // Opened now (they are new and empty); reachable only once open, as before.
      const added: PartitionHandle[] = [];
      for (let p = t.info.partitions; p < totalPartitions; p++) added.push(this.register(info, p, null));
      await this.openNow(added);
      t.partitions.push(...added);
      t.info = info;
    });
  }

  alterTopicConfig(name: string, config: Partial<TopicConfig>): Promise<TopicInfo> {
    return this.admin(async () => {
      this.assertOpen();
      const t = this.topics.get(name);
      if (t === undefined) throw this.absent(name, () => new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${name}' does not exist`));
      const full: TopicConfig = { ...t.info.config, ...validateTopicConfig(config) };
      this.checkConfig(full);
      const info: TopicInfo = { ...t.info, config: full };
      this.store.put(info);
      // Set first: a partition opened from here on (first use) opens with the new config.
      t.info = info;
      for (const h of t.partitions) {
        if (h.state !== 'open' && h.opening === null) continue;
        // An open in flight carried the old config: this one follows it in the ring.
        const r = await h.shard.control({ type: 'config', slot: h.slot, config: full });
        // NOT_OPEN here means that open failed: its next open reads the new config.
        if (!r.ok && !(r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && h.state !== 'open')) throw new KafkaError(r.errorCode, r.message);
      }
      return structuredClone(info);
    });
  }

  listTopics(): TopicInfo[] {
    return [...this.topics.values()].map((t) => structuredClone(t.info));
  }

  describeTopic(name: string): TopicInfo | undefined {
    const t = this.topics.get(name);
    return t === undefined ? undefined : structuredClone(t.info);
  }

  offlineTopics(): OfflineTopic[] {
    return this.store.damaged();
  }

  offlineTopic(name: string): OfflineTopic | undefined {
    return this.store.damagedTopic(name);
  }

  topicLayout(nameOrId: string, byId = false): TopicLayout | undefined {
    // t.info is replaced, never changed in place, so handing it out read-only is safe.
    if (!byId) return this.topics.get(nameOrId)?.info;
    for (const t of this.topics.values()) if (t.info.topicId === nameOrId) return t.info;
    return undefined;
  }

  private handle(topic: string, partition: number): PartitionHandle | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  // Not async: an open partition's append is the shard's promise and one .then, the
  // produce path's most frequent call (an async frame and its promise per record batch).
  append(topic: string, partition: number, batches: Uint8Array, acks: Acks, opts?: AppendOptions): Promise<AppendResult> {
    if (acks !== 0 && acks !== 1 && acks !== -1) {
      return Promise.resolve({ errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: `acks must be -1, 0 or 1, got ${String(acks)}` });
    }
    const h = this.handle(topic, partition);
    if (h === undefined || this.closed) {
      return Promise.resolve({ errorCode: this.absentCode(topic), baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: this.absentMessage(topic, partition) });
    }
    if (h.state !== 'open') return this.appendOnceOpen(h, batches, acks, opts);
    return h.shard.append(h.slot, batches, acks, opts?.markers === true).then(appendResultOf);
  }

  private async appendOnceOpen(h: PartitionHandle, batches: Uint8Array, acks: Acks, opts?: AppendOptions): Promise<AppendResult> {
    const code = await this.ensureOpen(h);
    if (code !== ErrorCode.NONE) return { errorCode: code, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: `partition ${h.topic}-${h.partition} could not be opened` };
    return appendResultOf(await h.shard.append(h.slot, batches, acks, opts?.markers === true));
  }

  async read(topic: string, partition: number, offset: number, maxBytes: number, opts?: ReadOptions): Promise<ReadResult> {
    const h = this.handle(topic, partition);
    if (h === undefined) return { errorCode: this.absentCode(topic), logStartOffset: -1, highWatermark: -1, lastStableOffset: -1, records: new Uint8Array(0) };
    const committed = opts?.isolation === 'read_committed';
    // At the end of the log (read_committed: at the last stable offset) there is nothing to read: answer without a round trip to the shard.
    if (offset === (committed ? h.lastStableOffset : h.highWatermark)) return this.emptyRead(h, ErrorCode.NONE, committed);
    if (!Number.isSafeInteger(offset) || offset < h.logStartOffset || offset > h.highWatermark) return this.emptyRead(h, ErrorCode.OFFSET_OUT_OF_RANGE, committed);
    // A consumer at the tail: the append that woke it is still here, no shard round
    // trip. read_committed only while no transaction is open and the cache holds no
    // transactional batch: then its bytes all lie below the last stable offset and no
    // aborted transaction is among them (the cache knows neither otherwise).
    if (!committed || (h.tail.nonTransactional && h.lastStableOffset === h.highWatermark)) {
      const tail = h.tail.read(offset, Math.max(0, maxBytes));
      if (tail !== null) {
        const r: ReadResult = { errorCode: ErrorCode.NONE, logStartOffset: h.logStartOffset, highWatermark: h.highWatermark, lastStableOffset: h.lastStableOffset, records: tail };
        if (committed) r.abortedTransactions = [];
        return r;
      }
    }
    // The checks above need only the offsets, which an unopened partition has from the summary.
    if (h.state !== 'open') {
      const code = await this.ensureOpen(h);
      if (code !== ErrorCode.NONE) return this.emptyRead(h, code, committed);
    }
    const c = await h.shard.read(h.slot, offset, Math.max(0, maxBytes), committed, opts?.fileRange === true && fileRangesAvailable());
    if (c.errorCode === ErrorCode.NONE) {
      this.advance(h, c.logStartOffset, c.nextOffset, c.lastStableOffset);
      // This reader is at the end now: its next read should find what follows here. (A
      // file range is a read of 64 KiB or more: a reader catching up, not tailing. A
      // read_committed reader stopped by an open transaction could not use the cache.)
      const atEnd = !committed || c.lastStableOffset === c.nextOffset;
      if (atEnd && !(c.records instanceof FileRange) && readsUpTo(c.records, c.nextOffset)) h.tail.want();
    }
    // The log start the shard read at, as Kafka answers with the offsets it read at. A
    // retention notice dispatched with this completion may already have moved h's past
    // these records, and a consumer given records below the log start it is told may
    // skip to that start and drop them.
    const logStartOffset = c.errorCode === ErrorCode.NONE && c.logStartOffset >= 0 ? c.logStartOffset : h.logStartOffset;
    const r: ReadResult = { errorCode: c.errorCode, logStartOffset, highWatermark: h.highWatermark, lastStableOffset: h.lastStableOffset, records: c.records };
    if (committed) r.abortedTransactions = c.aborted ?? [];
    return r;
  }

  private emptyRead(h: PartitionHandle, errorCode: number, committed: boolean): ReadResult {
    const r: ReadResult = { errorCode, logStartOffset: h.logStartOffset, highWatermark: h.highWatermark, lastStableOffset: h.lastStableOffset, records: new Uint8Array(0) };
    if (committed) r.abortedTransactions = [];
    return r;
  }

  waitForAppend(partitions: PartitionRef[], timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      if (signal?.aborted === true || this.closed) return resolve(false);
      const handles: PartitionHandle[] = [];
      for (const ref of partitions) {
        const h = this.handle(ref.topic, ref.partition);
        if (h !== undefined) handles.push(h);
      }
      const aborts = signal === undefined ? null : this.abortSet(signal);
      const w = new ParkedWait(this.deadlines, handles, aborts, resolve);
      aborts?.add(w);
      for (const h of handles) h.waiters.add(w);
      this.deadlines.add(w, timeoutMs);
    });
  }

  /** Partitions registered but not opened on their shard yet (opened on first use, or in the background). */
  get unopenedPartitions(): number {
    return this.unopened;
  }

  /** Long-polls parked now (a test checks none is left behind by a closed connection). */
  get parkedWaits(): number {
    return this.deadlines.size;
  }

  /** Whether the parked waits' one timer keeps the process alive (only while some wait). */
  get parkedTimerActive(): boolean {
    return this.deadlines.timerActive;
  }

  /**
   * The waits parked under `signal`. One abort listener per signal (a Kafka
   * connection's, shared by all its requests), not an add/removeEventListener per wait.
   */
  private abortSet(signal: AbortSignal): WaitList<ParkedWait> {
    let set = this.parkedBySignal.get(signal);
    if (set === undefined) {
      const waits = new WaitList<ParkedWait>();
      set = waits;
      this.parkedBySignal.set(signal, waits);
      signal.addEventListener('abort', () => {
        // Bounded by the waits present: nothing parks under an aborted signal.
        waits.drain(abortWait);
      }, { once: true });
    }
    return set;
  }

  async fetch(topic: string, partition: number, offset: number, maxBytes: number, maxWaitMs: number, minBytes = 1): Promise<ReadResult> {
    const deadline = Date.now() + Math.max(0, maxWaitMs);
    for (let round = 0; ; round++) {
      const r = await this.read(topic, partition, offset, maxBytes);
      const leftMs = deadline - Date.now();
      if (r.errorCode !== ErrorCode.NONE || r.records.byteLength >= minBytes || leftMs <= 0 || this.closed) return r;
      // Bounded: each round waits for an append or the rest of the deadline.
      if (round > 1_000_000) return r;
      const woken = await this.waitForAppend([{ topic, partition }], leftMs);
      if (!woken) return this.read(topic, partition, offset, maxBytes);
    }
  }

  offsets(topic: string, partition: number): PartitionOffsets {
    const h = this.handle(topic, partition);
    if (h === undefined) return { errorCode: this.absentCode(topic), logStartOffset: -1, highWatermark: -1, lastStableOffset: -1 };
    return { errorCode: ErrorCode.NONE, logStartOffset: h.logStartOffset, highWatermark: h.highWatermark, lastStableOffset: h.lastStableOffset };
  }

  async listOffset(topic: string, partition: number, spec: OffsetSpec, opts?: ReadOptions): Promise<ListOffsetResult> {
    const h = this.handle(topic, partition);
    if (h === undefined) return { errorCode: this.absentCode(topic), offset: -1, timestamp: -1 };
    const committed = opts?.isolation === 'read_committed';
    if (spec === 'earliest') return { errorCode: ErrorCode.NONE, offset: h.logStartOffset, timestamp: -1 };
    if (spec === 'latest') return { errorCode: ErrorCode.NONE, offset: committed ? h.lastStableOffset : h.highWatermark, timestamp: -1 };
    if (h.state !== 'open') {
      const code = await this.ensureOpen(h);
      if (code !== ErrorCode.NONE) return { errorCode: code, offset: -1, timestamp: -1 };
    }
    const r = await h.shard.control({ type: 'listOffset', slot: h.slot, spec });
    if (!r.ok) return { errorCode: r.errorCode, offset: -1, timestamp: -1 };
    // Kafka: under read_committed a lookup finds nothing at or past the last stable offset.
    if (committed && (r.offset ?? -1) >= h.lastStableOffset) return { errorCode: ErrorCode.NONE, offset: -1, timestamp: -1 };
    return { errorCode: ErrorCode.NONE, offset: r.offset ?? -1, timestamp: r.timestamp ?? -1 };
  }

  async describeProducers(topic: string, partition: number): Promise<DescribeProducersResult> {
    const h = this.handle(topic, partition);
    if (h === undefined) return { errorCode: this.absentCode(topic), producers: [] };
    if (h.state !== 'open') {
      const code = await this.ensureOpen(h);
      if (code !== ErrorCode.NONE) return { errorCode: code, producers: [] };
    }
    const r = await h.shard.control({ type: 'describeProducers', slot: h.slot });
    if (!r.ok) return { errorCode: r.errorCode, producers: [] };
    return { errorCode: ErrorCode.NONE, producers: r.producers ?? [] };
  }

  async deleteRecords(topic: string, partition: number, offset: number): Promise<DeleteRecordsResult> {
    const h = this.handle(topic, partition);
    if (h === undefined) return { errorCode: this.absentCode(topic), lowWatermark: -1, errorMessage: this.absentMessage(topic, partition) };
    // Kafka checks the policy before the offset: a compact-only topic refuses any DeleteRecords.
    if (this.topics.get(topic)?.info.config['cleanup.policy'] === 'compact') {
      return { errorCode: ErrorCode.POLICY_VIOLATION, lowWatermark: -1, errorMessage: 'records cannot be deleted from a topic with cleanup.policy=compact' };
    }
    const target = offset === -1 ? h.highWatermark : offset;
    if (!Number.isSafeInteger(target) || target < 0 || target > h.highWatermark) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1, errorMessage: `offset ${offset} is outside the log [${h.logStartOffset}, ${h.highWatermark}]` };
    }
    if (h.state !== 'open') {
      const code = await this.ensureOpen(h);
      if (code !== ErrorCode.NONE) return { errorCode: code, lowWatermark: -1, errorMessage: `partition ${topic}-${partition} could not be opened` };
    }
    const r = await h.shard.control({ type: 'deleteRecords', slot: h.slot, offset: target });
    if (!r.ok) return { errorCode: r.errorCode, lowWatermark: -1, errorMessage: r.message };
    const lowWatermark = r.logStartOffset ?? h.logStartOffset;
    this.advance(h, lowWatermark, h.highWatermark, h.lastStableOffset);
    return { errorCode: ErrorCode.NONE, lowWatermark: h.logStartOffset };
  }

  /**
   * Per-shard counters and per-partition sizes, for /metrics and the HTTP admin views.
   * Sizes come from the shards, so partitions not open yet are opened first.
   */
  async stats(): Promise<Array<{ shardId: number; stats: ShardStats; ring: { request: number; completion: number }; ringCapacity: { request: number; completion: number } }>> {
    await this.openAll();
    const out = [];
    for (const s of this.shards) {
      const r = await s.control({ type: 'stats' });
      if (r.ok && r.stats !== undefined) out.push({ shardId: s.shardId, stats: r.stats, ring: s.ringUsedBytes(), ringCapacity: s.ringCapacityBytes() });
    }
    return out;
  }

  /** DescribeLogDirs: the one data directory, statfs of its file system, and each partition's bytes from its shard. */
  async logDir(): Promise<LogDirInfo> {
    let totalBytes = -1;
    let usableBytes = -1;
    try {
      const fs = await statfs(this.dataDir);
      totalBytes = fs.blocks * fs.bsize;
      usableBytes = fs.bavail * fs.bsize;
    } catch {
      // A file system statfs cannot describe: Kafka's "unknown" (-1) for both.
    }
    const partitions: LogDirInfo['partitions'] = [];
    for (const s of await this.stats()) {
      for (const p of s.stats.partitions) {
        const h = this.slots.get(p.slot);
        if (h !== undefined) partitions.push({ topic: h.topic, partition: h.partition, sizeBytes: p.sizeBytes });
      }
    }
    return { path: resolve(this.dataDir), totalBytes, usableBytes, partitions };
  }

  /** The (topic, partition) of a slot, for labelling shard stats. */
  slotName(slot: number): PartitionRef | undefined {
    const h = this.slots.get(slot);
    return h === undefined ? undefined : { topic: h.topic, partition: h.partition };
  }

  /** True while a shard's request ring is full: listeners should pause reading sockets. */
  backpressured(): boolean {
    return this.shards.some((s) => s.backpressured());
  }

  private advance(h: PartitionHandle, logStartOffset: number, nextOffset: number, lastStableOffset: number): void {
    if (logStartOffset > h.logStartOffset) h.logStartOffset = logStartOffset;
    if (nextOffset > h.highWatermark) h.highWatermark = nextOffset;
    // Completions can arrive in any order across requests; the LSO only moves forward.
    if (lastStableOffset > h.lastStableOffset) h.lastStableOffset = lastStableOffset;
    if (h.lastStableOffset < h.logStartOffset) h.lastStableOffset = h.logStartOffset;
  }

  private onAppend(slot: number, logStartOffset: number, nextOffset: number, lastStableOffset: number, baseOffset: number, batches: Uint8Array): void {
    const h = this.slots.get(slot);
    if (h === undefined) return;
    // Kept for the Fetch this append is about to wake (before the waiters run), for a
    // reader that just reached the end, or to keep a cache that consumers read
    // contiguous. LogAppendTime batches are stamped by the shard, so the bytes here are
    // not what it stored.
    if (h.waiters.size > 0 || h.tail.keeping) {
      if (this.topics.get(h.topic)?.info.config['message.timestamp.type'] === 'LogAppendTime') h.tail.clear();
      else h.tail.add(batches, baseOffset);
    }
    const before = h.highWatermark;
    const lsoBefore = h.lastStableOffset;
    this.advance(h, logStartOffset, nextOffset, lastStableOffset);
    // A woken wait re-parks only after its promise settles (a later microtask): the
    // drain is bounded by the waits present now.
    if ((h.highWatermark > before || h.lastStableOffset > lsoBefore) && h.waiters.size > 0) h.waiters.drain(wakeWait);
  }

  private onNotice(n: Notice): void {
    if (n.type === 'log') {
      logger()[n.level](n.msg);
      return;
    }
    if (n.type === 'compact') {
      void this.runCompaction(n);
      return;
    }
    const h = this.slots.get(n.slot);
    if (h !== undefined) this.advance(h, n.logStartOffset, h.highWatermark, h.lastStableOffset);
    if (n.deletedFiles.length > 0) {
      const task: UnlinkTask = { files: n.deletedFiles };
      this.maintenancePool().then((pool) => pool.run(task, { name: 'unlink' })).catch((err: unknown) => logger().error({ err }, 'deleting retained segments failed'));
    }
  }

  /**
   * Cleans a partition in the pool, then hands the cleaned copies to its shard, which
   * swaps them in (or removes them). The shard hears back even on failure, so its
   * one-compaction-in-flight flag is cleared. After close the copies are left for
   * the next open to remove: the shards are gone.
   */
  private async runCompaction(n: Extract<Notice, { type: 'compact' }>): Promise<void> {
    const h = this.slots.get(n.slot);
    if (h === undefined || this.closed) return;
    const task: CompactTask = { dir: n.dir, segments: n.segments, deleteRetentionMs: n.deleteRetentionMs, aborted: n.aborted };
    let swap: ControlRequest;
    try {
      const r = (await (await this.maintenancePool()).run(task, { name: 'compact' })) as CompactTaskResult;
      if (r.mapFull) logger().warn({ dir: n.dir, keys: r.keys, segmentsMapped: r.segmentsMapped }, 'compaction offset map full; later segments wait for another pass');
      swap = { type: 'compactSwap', slot: n.slot, cleaned: r.cleaned.map((c) => ({ baseOffset: c.baseOffset, sizeBytes: c.sizeBytes, path: c.path })) };
    } catch (err) {
      swap = { type: 'compactSwap', slot: n.slot, cleaned: [], error: err instanceof Error ? err.message : String(err) };
    }
    if (this.closed) return;
    const r = await h.shard.control(swap);
    if (!r.ok && r.errorCode !== ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) logger().error({ dir: n.dir, message: r.message }, 'compaction swap failed');
  }

  private offsetSummary(closed: ReadonlyMap<number, ClosedPartition>): string {
    return encodeOffsetSummary(summarise(this.topics.values(), closed));
  }

  /** Stops shards after in-flight appends, syncs and closes logs, writes the clean-shutdown marker (with the offsets summary). */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    if (this.backgroundTimer !== null) clearTimeout(this.backgroundTimer);
    this.closing = (async () => {
      await this.adminChain.catch(() => undefined);
      for (const t of this.topics.values()) for (const h of t.partitions) h.waiters.drain(wakeWait);
      // Waits on no known partition have only their deadline: answered now, not after it.
      this.deadlines.close();
      let allClean = this.shards.length > 0;
      const closed = new Map<number, ClosedPartition>();
      await Promise.all(this.shards.map((s) => s.shutdown().then((list) => {
        for (const c of list) closed.set(c.slot, c);
      }, (err: unknown) => {
        allClean = false;
        logger().error({ err, shard: s.shardId }, 'shard shutdown failed');
      })));
      if (this.pool !== null) await (await this.pool).destroy();
      // An offline topic's partitions were neither recovered nor opened: leaving the
      // marker out makes the start after its file is fixed recover them.
      const offline = this.store?.damaged().length ?? 0;
      if (offline > 0) logger().warn({ offline }, 'shutdown left unclean on purpose: offline topics were not recovered');
      if (allClean && this.store !== undefined && offline === 0) writeCleanShutdownMarker(this.dataDir, this.offsetSummary(closed));
    })();
    return this.closing;
  }
}

/**
 * The offsets summary for the clean-shutdown marker: what each shard reported as it
 * closed a partition, and for a partition never opened in this run the offsets it
 * was registered with (from the previous summary: nothing wrote to its files). That
 * includes one whose open failed: the next start registers it again and its first
 * use fails the same way, rather than the whole start failing on it.
 */
function summarise(topics: Iterable<TopicHandle>, closed: ReadonlyMap<number, ClosedPartition>): Map<string, TopicSummary> {
  const out = new Map<string, TopicSummary>();
  for (const t of topics) {
    const partitions: Array<PartitionSummary | null> = [];
    for (const h of t.partitions) {
      const c = closed.get(h.slot);
      if (c !== undefined) partitions.push({ logStartOffset: c.logStartOffset, highWatermark: c.nextOffset, lastStableOffset: c.lastStableOffset });
      else if (h.state === 'closed' && h.fromSummary && h.opening === null) partitions.push({ logStartOffset: h.logStartOffset, highWatermark: h.highWatermark, lastStableOffset: h.lastStableOffset });
      else partitions.push(null);
    }
    out.set(t.info.name, { topicId: t.info.topicId, partitions });
  }
  return out;
}

function offlineMessage(d: OfflineTopic): string {
  return `topic '${d.name}' is offline: its metadata file ${d.file} is damaged (${d.problem}); fix the file and restart the broker`;
}

export function startEngine(opts: EngineOptions): Promise<SamsaEngine> {
  return SamsaEngine.start(opts);
}
