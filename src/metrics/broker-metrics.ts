// The broker's metrics and their Prometheus exposition (`GET /metrics`).
// Owns: the counters and latency histograms (hdr-histogram-js) kept on the main
// thread, the wrappers that feed them (an Engine wrapper counting records/bytes per
// topic and timing appends/reads; a KafkaHandler wrapper counting requests, errors
// and durations per API from the frame's first two bytes), the main thread's GC
// pauses (gc-stats.ts), and rendering them with the shard statistics the engine reports. Must not change what it wraps: every
// wrapped call is passed through unchanged.
//
// All series are prefixed `samsa_`. Latency summaries are cumulative since start
// (quantiles of every sample recorded), in seconds.

// The Int32 histogram alone: the package's index pulls in its WebAssembly build too,
// which cost ~40 ms of every start-up (import 50 ms → 10 ms).
import Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import type { Histogram } from 'hdr-histogram-js';
import type { Engine, PartitionRef } from '../broker/engine-api.js';
import { FileRange, zeroCopyStats } from '../broker/file-range.js';
import { tailCacheStats } from '../broker/tail-cache.js';
import type { ShardStats } from '../broker/engine.js';
import type { KafkaHandler } from '../kafka/handler.js';
import { APIS } from '../kafka/apis/index.js';
import { BATCH_HEADER_BYTES, BATCH_LOG_OVERHEAD_BYTES, OFF_BATCH_LENGTH, OFF_RECORDS_COUNT } from '../wire/batch-layout.js';
import { ErrorCode } from '../wire/errors.js';
import { PromText } from './prometheus.js';
import { GcStats } from './gc-stats.js';

/** What /metrics asks of the engine beyond the Engine contract (SamsaEngine has it). */
export interface EngineIntrospection {
  /** `ringCapacity`: the rings' sizes, when known (the HTTP shard view shows occupancy against it). */
  stats(): Promise<Array<{ shardId: number; stats: ShardStats; ring: { request: number; completion: number }; ringCapacity?: { request: number; completion: number } }>>;
  slotName(slot: number): PartitionRef | undefined;
  /** Each shard's CPU and whether it is pinned, when known. */
  readonly shardInfos?: ReadonlyArray<{ shardId: number; cpu: number; pinned: boolean }>;
  /** Re-verifies sealed segments (SamsaEngine.scrub); resolves with its report. */
  scrub?(): Promise<object>;
  /** The last finished scrub's report, or null. */
  readonly lastScrub?: object | null;
}

const QUANTILES = [0.5, 0.9, 0.99, 0.999] as const;
/** Latencies are recorded in microseconds, clamped to this (1 hour). */
const LATENCY_US_MAX = 3_600_000_000;
/** Topics tracked for per-topic counters; beyond it new topics share the `_other` series. */
const TOPICS_TRACKED_MAX = 10_000;
const STATS_TIMEOUT_MS = 2_000;

export class LatencyHistogram {
  private readonly h: Histogram;
  private sumUs = 0;

  constructor() {
    this.h = new Int32HistogramModule.default(1, LATENCY_US_MAX, 2);
  }

  recordMs(ms: number): void {
    const us = Math.min(LATENCY_US_MAX, Math.max(1, Math.round(ms * 1000)));
    this.h.recordValue(us);
    this.sumUs += us;
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** [quantile, seconds] pairs, sum (s) and count. */
  snapshot(): { quantiles: Array<[number, number]>; sumSeconds: number; count: number } {
    const count = this.h.totalCount;
    const quantiles: Array<[number, number]> = QUANTILES.map((q) => [q, count === 0 ? NaN : this.h.getValueAtPercentile(q * 100) / 1e6]);
    return { quantiles, sumSeconds: this.sumUs / 1e6, count };
  }
}

interface TopicCounters {
  recordsIn: number;
  bytesIn: number;
  recordsOut: number;
  bytesOut: number;
}

interface ApiCounters {
  name: string;
  requests: number;
  errors: number;
  latency: LatencyHistogram;
}

/** Records in a run of batches (headers only; a trailing partial batch is ignored). */
export function countRecords(batches: Uint8Array): number {
  const dv = new DataView(batches.buffer, batches.byteOffset, batches.byteLength);
  let pos = 0;
  let records = 0;
  // Each step advances ≥ BATCH_HEADER_BYTES: bounded by the input size.
  for (let i = 0; i <= batches.byteLength / BATCH_HEADER_BYTES; i++) {
    if (batches.byteLength - pos < BATCH_HEADER_BYTES) break;
    const batchLength = dv.getInt32(pos + OFF_BATCH_LENGTH);
    const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES || size > batches.byteLength - pos) break;
    records += Math.max(0, dv.getInt32(pos + OFF_RECORDS_COUNT));
    pos += size;
  }
  return records;
}

function nowMs(): number {
  return performance.now();
}

export class BrokerMetrics {
  private readonly topics = new Map<string, TopicCounters>();
  private readonly apis = new Map<number, ApiCounters>();
  private readonly unknownApi: ApiCounters = { name: 'unknown', requests: 0, errors: 0, latency: new LatencyHistogram() };
  readonly produceLatency = new LatencyHistogram();
  readonly fetchLatency = new LatencyHistogram();
  private readonly connectionSources = new Map<string, () => number>();
  private readonly gaugeSources = new Map<string, { help: string; type: 'gauge' | 'counter'; read: () => number }>();
  /** Whole metric families rendered by another part of the process (the in-broker mirror). */
  private readonly textSources = new Map<string, () => string>();
  private readonly startedAtMs = Date.now();
  /** The main thread's GC pauses (this process's main thread: where the broker's metrics live). */
  private readonly gc = new GcStats();

  constructor() {
    for (const api of APIS) this.apis.set(api.apiKey, { name: api.name, requests: 0, errors: 0, latency: new LatencyHistogram() });
    this.gc.start();
  }

  /** Stops what observes the process (the GC counters keep their last values). */
  close(): void {
    this.gc.stop();
  }

  /** Reports live connections of a listener (`kafka_tcp`, `kafka_ws`, `ws_produce` …). */
  addConnectionSource(listener: string, count: () => number): void {
    this.connectionSources.set(listener, count);
  }

  /** An extra series `samsa_<name>` read at scrape time. */
  addGauge(name: string, help: string, read: () => number, type: 'gauge' | 'counter' = 'gauge'): void {
    this.gaugeSources.set(name, { help, type, read });
  }

  /**
   * Families rendered elsewhere, appended as they are (Prometheus text, each family
   * with its HELP and TYPE lines; names must not clash with this file's).
   */
  addTextSource(name: string, render: () => string): void {
    this.textSources.set(name, render);
  }

  private topic(name: string): TopicCounters {
    let t = this.topics.get(name);
    if (t === undefined) {
      if (this.topics.size >= TOPICS_TRACKED_MAX) name = '_other';
      t = this.topics.get(name);
      if (t === undefined) this.topics.set(name, (t = { recordsIn: 0, bytesIn: 0, recordsOut: 0, bytesOut: 0 }));
    }
    return t;
  }

  countIn(topic: string, batches: Uint8Array): void {
    const t = this.topic(topic);
    t.recordsIn += countRecords(batches);
    t.bytesIn += batches.byteLength;
  }

  countOut(topic: string, batches: Uint8Array): void {
    if (batches.byteLength === 0) return;
    const t = this.topic(topic);
    // A file range's bytes are not in memory: count the offsets it spans instead.
    t.recordsOut += batches instanceof FileRange ? batches.offsetsSpanned : countRecords(batches);
    t.bytesOut += batches.byteLength;
  }

  /** An Engine that counts and times what passes through, delegating everything. */
  instrumentEngine(engine: Engine): Engine {
    const m = this;
    return {
      createTopic: (name, partitions, config) => engine.createTopic(name, partitions, config),
      deleteTopic: async (name) => {
        await engine.deleteTopic(name);
        m.topics.delete(name);
      },
      createPartitions: (name, total) => engine.createPartitions(name, total),
      alterTopicConfig: (name, config) => engine.alterTopicConfig(name, config),
      listTopics: () => engine.listTopics(),
      describeTopic: (name) => engine.describeTopic(name),
      offlineTopics: () => engine.offlineTopics(),
      offlineTopic: (name) => engine.offlineTopic(name),
      topicLayout: (nameOrId, byId) => engine.topicLayout(nameOrId, byId),
      defaultTopicConfig: () => engine.defaultTopicConfig(),
      async append(topic, partition, batches, acks, opts) {
        const t0 = nowMs();
        const r = await engine.append(topic, partition, batches, acks, opts);
        m.produceLatency.recordMs(nowMs() - t0);
        if (r.errorCode === ErrorCode.NONE && opts?.markers !== true) m.countIn(topic, batches);
        return r;
      },
      async read(topic, partition, offset, maxBytes, opts) {
        const t0 = nowMs();
        const r = await engine.read(topic, partition, offset, maxBytes, opts);
        m.fetchLatency.recordMs(nowMs() - t0);
        if (r.errorCode === ErrorCode.NONE) m.countOut(topic, r.records);
        return r;
      },
      waitForAppend: (partitions, timeoutMs, signal) => engine.waitForAppend(partitions, timeoutMs, signal),
      async fetch(topic, partition, offset, maxBytes, maxWaitMs, minBytes) {
        const r = await engine.fetch(topic, partition, offset, maxBytes, maxWaitMs, minBytes);
        if (r.errorCode === ErrorCode.NONE) m.countOut(topic, r.records);
        return r;
      },
      offsets: (topic, partition) => engine.offsets(topic, partition),
      listOffset: (topic, partition, spec, opts) => engine.listOffset(topic, partition, spec, opts),
      describeProducers: (topic, partition) => engine.describeProducers(topic, partition),
      deleteRecords: (topic, partition, offset) => engine.deleteRecords(topic, partition, offset),
      logDir: () => engine.logDir(),
      close: () => engine.close(),
    };
  }

  /** A KafkaHandler that counts requests, failures (connection-closing rejections) and durations per API key. */
  instrumentKafkaHandler(handler: KafkaHandler): KafkaHandler {
    const m = this;
    function track<T>(frame: Uint8Array, run: () => Promise<T>): Promise<T> {
      const key = frame.byteLength >= 2 ? ((frame[0]! << 24) >> 16) | frame[1]! : -1;
      const api = m.apis.get(key) ?? m.unknownApi;
      api.requests++;
      const t0 = nowMs();
      return run().then(
        (r) => {
          api.latency.recordMs(nowMs() - t0);
          return r;
        },
        (err: unknown) => {
          api.errors++;
          throw err;
        },
      );
    }
    return {
      get options() {
        return handler.options;
      },
      get apiVersions() {
        return handler.apiVersions;
      },
      setAdvertisedListener: (host, port) => handler.setAdvertisedListener(host, port),
      close: () => handler.close?.(),
      handle: (frame, conn) => track(frame, () => handler.handle(frame, conn)),
      handleChunks: (frame, conn) => track(frame, () => handler.handleChunks(frame, conn)),
    };
  }

  /** The Prometheus text exposition. `engine` adds shard, ring and partition series. */
  async render(engine?: EngineIntrospection): Promise<string> {
    const p = new PromText();
    p.family('samsa_uptime_seconds', 'gauge', 'Seconds since this broker started');
    p.sample('samsa_uptime_seconds', undefined, (Date.now() - this.startedAtMs) / 1000);
    const mem = process.memoryUsage();
    p.family('samsa_process_resident_memory_bytes', 'gauge', 'Resident set size of the broker process');
    p.sample('samsa_process_resident_memory_bytes', undefined, mem.rss);

    p.family('samsa_topic_records_in_total', 'counter', 'Records appended, per topic');
    p.family('samsa_topic_bytes_in_total', 'counter', 'Record batch bytes appended, per topic');
    p.family('samsa_topic_records_out_total', 'counter', 'Records read from the log (fetches and lookups), per topic');
    p.family('samsa_topic_bytes_out_total', 'counter', 'Record batch bytes read from the log, per topic');
    for (const [topic, t] of this.topics) {
      p.sample('samsa_topic_records_in_total', { topic }, t.recordsIn);
      p.sample('samsa_topic_bytes_in_total', { topic }, t.bytesIn);
      p.sample('samsa_topic_records_out_total', { topic }, t.recordsOut);
      p.sample('samsa_topic_bytes_out_total', { topic }, t.bytesOut);
    }

    p.family('samsa_gc_pauses_total', 'counter', 'Garbage collections that paused the main thread, per kind (minor: scavenge, major: mark-compact, incremental: marking steps, weakcb: weak callbacks)');
    p.family('samsa_gc_pause_seconds_total', 'counter', 'Main-thread time those collections paused it, per kind');
    p.family('samsa_gc_pause_max_seconds', 'gauge', 'Longest single main-thread pause since start, per kind');
    for (const [kind, t] of this.gc.totals()) {
      p.sample('samsa_gc_pauses_total', { kind }, t.pauses);
      p.sample('samsa_gc_pause_seconds_total', { kind }, t.pauseSeconds);
      p.sample('samsa_gc_pause_max_seconds', { kind }, t.maxPauseSeconds);
    }

    p.family('samsa_kafka_requests_total', 'counter', 'Kafka protocol requests received, per API');
    p.family('samsa_kafka_request_errors_total', 'counter', 'Kafka protocol requests that closed their connection (malformed, unknown or unsupported), per API');
    p.family('samsa_kafka_request_duration_seconds', 'summary', 'Kafka request handling time per API, including Fetch long-polls');
    for (const api of [...this.apis.values(), this.unknownApi]) {
      p.sample('samsa_kafka_requests_total', { api: api.name }, api.requests);
      p.sample('samsa_kafka_request_errors_total', { api: api.name }, api.errors);
      const s = api.latency.snapshot();
      p.summary('samsa_kafka_request_duration_seconds', { api: api.name }, s.quantiles, s.sumSeconds, s.count);
    }

    p.family('samsa_produce_latency_seconds', 'summary', 'Time for an append to be written (and fsynced for acks=-1) by its shard');
    const pl = this.produceLatency.snapshot();
    p.summary('samsa_produce_latency_seconds', undefined, pl.quantiles, pl.sumSeconds, pl.count);
    p.family('samsa_fetch_latency_seconds', 'summary', 'Time for a log read by its shard (without long-poll waiting)');
    const fl = this.fetchLatency.snapshot();
    p.summary('samsa_fetch_latency_seconds', undefined, fl.quantiles, fl.sumSeconds, fl.count);

    p.family('samsa_zero_copy_responses_total', 'counter', 'Fetch responses whose records went from the segment file to the socket by sendfile');
    p.sample('samsa_zero_copy_responses_total', undefined, zeroCopyStats.responses);
    p.family('samsa_zero_copy_sent_bytes_total', 'counter', 'Bytes those responses put on the socket directly (header bytes and sendfile)');
    p.sample('samsa_zero_copy_sent_bytes_total', undefined, zeroCopyStats.sentBytes);
    p.family('samsa_zero_copy_partial_sends_total', 'counter', 'Zero-copy responses the socket did not take at once (the rest went as bytes through the write queue)');
    p.sample('samsa_zero_copy_partial_sends_total', undefined, zeroCopyStats.partialSends);
    p.family('samsa_zero_copy_off_thread_sends_total', 'counter', 'Sends of large zero-copy responses run on a libuv pool thread (it waits there while the socket is full) instead of the event loop');
    p.sample('samsa_zero_copy_off_thread_sends_total', undefined, zeroCopyStats.offThreadSends);
    p.family('samsa_zero_copy_fallback_bytes_total', 'counter', 'Bytes of those responses read into memory and written as bytes');
    p.sample('samsa_zero_copy_fallback_bytes_total', undefined, zeroCopyStats.fallbackBytes);

    p.family('samsa_tail_cache_hits_total', 'counter', 'Reads answered from the main thread\'s copy of the newest appends (no shard round trip)');
    p.sample('samsa_tail_cache_hits_total', undefined, tailCacheStats.hits);

    p.family('samsa_connections', 'gauge', 'Open client connections, per listener');
    for (const [listener, count] of this.connectionSources) p.sample('samsa_connections', { listener }, count());
    for (const [name, g] of this.gaugeSources) {
      p.family(`samsa_${name}`, g.type, g.help);
      p.sample(`samsa_${name}`, undefined, g.read());
    }

    if (engine !== undefined) await this.renderShards(p, engine);
    let text = p.toString();
    for (const render of this.textSources.values()) {
      const more = render();
      if (more.length > 0) text += more.endsWith('\n') ? more : `${more}\n`;
    }
    return text;
  }

  private async renderShards(p: PromText, engine: EngineIntrospection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), STATS_TIMEOUT_MS);
    });
    const shards = await Promise.race([engine.stats().catch(() => null), timeout]);
    clearTimeout(timer);
    p.family('samsa_shard_stats_up', 'gauge', '1 when every shard answered the stats request in time');
    p.sample('samsa_shard_stats_up', undefined, shards === null ? 0 : 1);
    if (shards === null) return;
    p.family('samsa_fsync_duration_seconds', 'summary', 'fdatasync calls by each shard and the time they took');
    p.family('samsa_shard_drains_total', 'counter', 'Request-ring drains (group commits) per shard');
    p.family('samsa_shard_append_frames_total', 'counter', 'Append requests taken from the ring per shard');
    p.family('samsa_compacted_segments_total', 'counter', 'Sealed segments replaced by their compacted copies, per shard');
    p.family('samsa_compaction_removed_bytes_total', 'counter', 'Bytes compaction removed from the log, per shard');
    p.family('samsa_ring_used_bytes', 'gauge', 'Bytes queued in each shard ring');
    p.family('samsa_log_segments', 'gauge', 'Segments per partition');
    p.family('samsa_log_size_bytes', 'gauge', 'Bytes on disk per partition');
    p.family('samsa_log_start_offset', 'gauge', 'First offset kept per partition');
    p.family('samsa_log_end_offset', 'gauge', 'Next offset to be written per partition');
    for (const { shardId, stats, ring } of shards) {
      const shard = String(shardId);
      p.summary('samsa_fsync_duration_seconds', { shard }, [], stats.fsyncTotalMs / 1000, stats.fsyncCount);
      p.sample('samsa_shard_drains_total', { shard }, stats.drains);
      p.sample('samsa_shard_append_frames_total', { shard }, stats.appendFrames);
      p.sample('samsa_compacted_segments_total', { shard }, stats.compactedSegments);
      p.sample('samsa_compaction_removed_bytes_total', { shard }, stats.compactionBytesRemoved);
      p.sample('samsa_ring_used_bytes', { shard, ring: 'request' }, ring.request);
      p.sample('samsa_ring_used_bytes', { shard, ring: 'completion' }, ring.completion);
      for (const part of stats.partitions) {
        const ref = engine.slotName(part.slot);
        if (ref === undefined) continue; // deleted since
        const labels = { topic: ref.topic, partition: String(ref.partition) };
        p.sample('samsa_log_segments', labels, part.segments);
        p.sample('samsa_log_size_bytes', labels, part.sizeBytes);
        p.sample('samsa_log_start_offset', labels, part.logStartOffset);
        p.sample('samsa_log_end_offset', labels, part.nextOffset);
      }
    }
  }
}
