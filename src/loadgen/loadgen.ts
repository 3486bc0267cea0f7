// Load generation against any Kafka-protocol broker with Samsa's client: produce
// throughput, consume throughput and end-to-end latency at a fixed rate, each with
// HDR-histogram percentiles. Shared by `samsa bench` (src/cli/commands/bench.ts)
// and bench/client.bench.ts. Owns: the three load loops, their bounds (records,
// seconds, sends in flight, idle timeout) and their result shapes. Must not print
// (callers get progress through onProgress and print themselves) and must not
// start or stop brokers.
//
// Times are measured with performance.now() (the latency phase: the process-wide
// monotonic clock); latencies are recorded in whole microseconds. Producer and consumer
// of the latency phase live in this process (the producer in a worker thread, for
// precise pacing), so the send time written into each record's value is comparable on
// receipt.
//
// Coordinated omission: the latency phase sends at a fixed rate, so record i is due
// at start + i/rate. Its latency is measured from that intended send time, not from
// when the sender got to it (as wrk2 and the OpenMessaging Benchmark do): a stall of
// the sender, the client or the broker counts against every record it delayed,
// instead of quietly pausing the measurement. The time from the actual send is kept
// too, as service time (when records have room for it: 16 bytes or more).
// Every phase also samples its progress every TIMELINE_MS for a throughput-over-time
// series, and histograms give a percentile distribution for plotting.

import { performance } from 'node:perf_hooks';
// The Int32 histogram alone (the package index also loads its WebAssembly build: ~40 ms).
import Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import { Worker } from 'node:worker_threads';
import { Admin, Consumer, Producer } from '../client/index.js';
import type { CompressionType, ConnectionOptions, ProducerMessage } from '../client/index.js';
import { CONTROL_SLEEP, CONTROL_STOP, CONTROL_WORDS, TIMESTAMP_BYTES, monotonicMs } from './latency-sender.js';
import type { LatencySenderData, MainToSender, SenderToMain } from './latency-sender.js';

/** Latency percentiles in microseconds. */
export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export type ProgressFn = (recordsDone: number) => void;

/** [percentile (0-100), value µs]: a histogram's percentile distribution, for plots. */
export type PercentilePoint = [number, number];
/** [seconds since the phase started, records done by then]. */
export type TimelinePoint = [number, number];

/** Values tracked by a histogram: 1 µs to 10 min, 3 significant digits. */
const HISTOGRAM_US_MAX = 600_000_000;
/** Distinct record values (random lowercase text) a phase cycles through. */
const VALUE_POOL_SIZE = 64;
export const RECORD_BYTES_MIN = TIMESTAMP_BYTES;
export const RECORD_BYTES_MAX = 1024 * 1024;

/** An HDR histogram of microseconds. */
export class LatencyRecorder {
  private readonly h = new Int32HistogramModule.default(1, HISTOGRAM_US_MAX, 3);

  recordMs(ms: number): void {
    this.h.recordValue(Math.min(HISTOGRAM_US_MAX, Math.max(1, Math.round(ms * 1000))));
  }

  /**
   * Percentile distribution in HdrHistogram's plotter spacing: 10 points per decade
   * of 1/(1 − p) (0, 20.6 … 90, … 99, … 99.9 …), up to where the count runs out,
   * then the max (100).
   */
  distribution(): PercentilePoint[] {
    const h = this.h;
    if (h.totalCount === 0) return [];
    const out: PercentilePoint[] = [];
    const max = h.maxValue;
    // 1/(1−p) up to the count: past it a percentile says nothing new. At most 10 × 7 + 1 points.
    const decades = Math.min(7, Math.log10(Math.max(1, h.totalCount)));
    for (let i = 0; i <= Math.floor(decades * 10); i++) {
      const p = 100 * (1 - 10 ** (-i / 10));
      out.push([Math.round(p * 10_000) / 10_000, Math.min(max, h.getValueAtPercentile(p))]);
    }
    out.push([100, max]);
    return out;
  }

  summary(): Percentiles {
    const h = this.h;
    if (h.totalCount === 0) return { count: 0, p50: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    // A percentile is reported at its bucket's upper bound; never above the true max.
    const max = h.maxValue;
    return {
      count: h.totalCount,
      p50: Math.min(max, h.getValueAtPercentile(50)),
      p99: Math.min(max, h.getValueAtPercentile(99)),
      p999: Math.min(max, h.getValueAtPercentile(99.9)),
      max,
      mean: Math.round(h.mean),
    };
  }
}

/** Deterministic pseudo-random lowercase values (xorshift32), so runs compare and compression sees text. */
export function makeValues(recordBytes: number, count = VALUE_POOL_SIZE): Uint8Array[] {
  if (!(Number.isInteger(recordBytes) && recordBytes >= 0 && recordBytes <= RECORD_BYTES_MAX)) throw new RangeError(`recordBytes ${recordBytes}`);
  let x = 0x9e3779b9;
  const out: Uint8Array[] = [];
  for (let v = 0; v < count; v++) {
    const b = new Uint8Array(recordBytes);
    for (let i = 0; i < recordBytes; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      b[i] = 0x61 + ((x >>> 0) % 26);
    }
    out.push(b);
  }
  return out;
}

/** Seconds to the millisecond (JSON stays readable). */
function roundSeconds(s: number): number {
  return Math.round(s * 1000) / 1000;
}

/** Samples between timeline decimations (an hour at 1 s, 10 min at the start's 250 ms). */
const TIMELINE_POINTS_MAX = 2_400;
const TIMELINE_MS = 250;

/** Samples `done()` every TIMELINE_MS from now; stop() gives the series (bounded: past the cap every other point goes and the interval doubles). */
export function startTimeline(done: () => number): { stop(): TimelinePoint[] } {
  const start = performance.now();
  const points: TimelinePoint[] = [[0, done()]];
  let everyMs = TIMELINE_MS;
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    timer = setTimeout(() => {
      points.push([roundSeconds((performance.now() - start) / 1000), done()]);
      if (points.length >= TIMELINE_POINTS_MAX) {
        for (let i = 1, j = 1; i < points.length; i += 2) points[j++] = points[i]!;
        points.length = Math.ceil(points.length / 2);
        everyMs *= 2;
      }
      arm();
    }, everyMs);
    timer.unref();
  };
  arm();
  return {
    stop(): TimelinePoint[] {
      clearTimeout(timer);
      points.push([roundSeconds((performance.now() - start) / 1000), done()]);
      return points;
    },
  };
}

function rate(records: number, seconds: number): number {
  return seconds > 0 ? Math.round(records / seconds) : 0;
}

function mbPerSec(bytes: number, seconds: number): number {
  return seconds > 0 ? Math.round((bytes / seconds / 1e6) * 10) / 10 : 0;
}

// ------------------------------------------------------------------ topics

/** A topic name unique to this run. */
export function benchTopicName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function createTopic(target: ConnectionOptions, name: string, partitions: number): Promise<void> {
  const admin = new Admin(target);
  try {
    await admin.createTopics([{ name, numPartitions: partitions }]);
  } finally {
    await admin.close();
  }
}

/** Deletes topics, ignoring failures (a benchmark's clean-up must not fail its run). */
export async function deleteTopicsQuietly(target: ConnectionOptions, names: readonly string[]): Promise<void> {
  const admin = new Admin(target);
  try {
    await admin.deleteTopics(names);
  } catch {
    // the broker may lack DeleteTopics or the topic may be gone already
  } finally {
    await admin.close();
  }
}

// ------------------------------------------------------------------ produce

export interface ProduceLoadOptions {
  target: ConnectionOptions;
  topic: string;
  /** Stop after this many records (null: the time bound alone). */
  records: number | null;
  /** Stop sending after this long (null: the record bound alone). */
  seconds: number | null;
  recordBytes: number;
  acks: -1 | 0 | 1;
  compression?: CompressionType;
  /** Producer batch.size. Default 16 KiB. */
  batchSize?: number;
  /** Producer linger.ms. Default 1. */
  lingerMs?: number;
  /** Records per send() call. Default 1000. */
  messagesPerSend?: number;
  /** send() calls unacknowledged at most. Default 64. */
  sendsInFlightMax?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface ProduceLoadResult {
  acks: number;
  compression: CompressionType;
  records: number;
  bytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** send() → acknowledgement, per call of messagesPerSend records (queueing included). */
  sendLatencyUs: Percentiles;
  sendLatencyDistribution: PercentilePoint[];
  /** Records acknowledged over time. */
  timeline: TimelinePoint[];
}

/** Sends records as fast as the window allows until the record or time bound. */
export async function runProduceLoad(o: ProduceLoadOptions): Promise<ProduceLoadResult> {
  if (o.records === null && o.seconds === null) throw new RangeError('runProduceLoad needs records or seconds');
  if (o.records !== null && !(Number.isSafeInteger(o.records) && o.records > 0)) throw new RangeError(`records ${o.records}`);
  const perSend = o.messagesPerSend ?? 1000;
  const windowMax = o.sendsInFlightMax ?? 64;
  const compression = o.compression ?? 'none';
  const producer = new Producer({ ...o.target, acks: o.acks, compression, batchSize: o.batchSize ?? 16 * 1024, lingerMs: o.lingerMs ?? 1 });
  const values = makeValues(o.recordBytes);
  const full: ProducerMessage[] = Array.from({ length: perSend }, (_, i) => ({ value: values[i % values.length]! }));
  const hist = new LatencyRecorder();
  const window: Array<Promise<void>> = [];
  let failure: unknown = null;
  let queued = 0;
  let acked = 0;
  let start = 0;
  let timeline: TimelinePoint[] = [];
  try {
    await producer.connect();
    start = performance.now();
    const sampler = startTimeline(() => acked);
    const endAt = o.seconds === null ? Infinity : start + o.seconds * 1000;
    // Bounded by the record count or the deadline; the window bounds what is outstanding.
    for (;;) {
      if (o.records !== null && queued >= o.records) break;
      if (failure !== null || o.signal?.aborted === true || performance.now() >= endAt) break;
      const n = o.records === null ? perSend : Math.min(perSend, o.records - queued);
      const t0 = performance.now();
      window.push(
        producer.send({ topic: o.topic, messages: n === perSend ? full : full.slice(0, n) }).then(
          (r) => {
            acked += r.length;
            hist.recordMs(performance.now() - t0);
            o.onProgress?.(acked);
          },
          (err: unknown) => void (failure ??= err),
        ),
      );
      queued += n;
      if (window.length >= windowMax) await window.shift();
    }
    await Promise.all(window.splice(0));
    timeline = sampler.stop();
  } finally {
    await producer.close().catch(() => {});
  }
  if (failure !== null) throw failure;
  const seconds = (performance.now() - start) / 1000;
  const bytes = acked * o.recordBytes;
  return {
    acks: o.acks,
    compression,
    records: acked,
    bytes,
    seconds: roundSeconds(seconds),
    recordsPerSec: rate(acked, seconds),
    mbPerSec: mbPerSec(bytes, seconds),
    sendLatencyUs: hist.summary(),
    sendLatencyDistribution: hist.distribution(),
    timeline,
  };
}

// ------------------------------------------------------------------ consume

export interface ConsumeLoadOptions {
  target: ConnectionOptions;
  topic: string;
  /** Records to read (from the earliest offset of every partition). */
  records: number;
  /** Stop when nothing arrives for this long. Default 10 s. */
  idleTimeoutMs?: number;
  maxWaitMs?: number;
  maxPartitionBytes?: number;
  maxBytes?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface ConsumeLoadResult {
  records: number;
  bytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** False when the idle timeout or an abort ended the phase before `records`. */
  complete: boolean;
  /** Records read over time. */
  timeline: TimelinePoint[];
}

const PROGRESS_EVERY_RECORDS = 4096;
const IDLE_CHECK_MS = 250;

/** Reads `records` records from the earliest offsets, delivered one by one (eachMessage). */
export async function runConsumeLoad(o: ConsumeLoadOptions): Promise<ConsumeLoadResult> {
  if (!(Number.isSafeInteger(o.records) && o.records >= 0)) throw new RangeError(`records ${o.records}`);
  const consumer = new Consumer({
    ...o.target,
    autoOffsetReset: 'earliest',
    maxWaitMs: o.maxWaitMs ?? 500,
    maxPartitionBytes: o.maxPartitionBytes ?? 8 * 1024 * 1024,
    maxBytes: o.maxBytes ?? 64 * 1024 * 1024,
  });
  const idleTimeoutMs = o.idleTimeoutMs ?? 10_000;
  let count = 0;
  let bytes = 0;
  let complete = o.records === 0;
  let start = performance.now();
  let idle: ReturnType<typeof setInterval> | null = null;
  let sampler: { stop(): TimelinePoint[] } | null = null;
  let timeline: TimelinePoint[] = [];
  try {
    await consumer.assign([{ topic: o.topic }]);
    if (o.records === 0) return { records: 0, bytes: 0, seconds: 0, recordsPerSec: 0, mbPerSec: 0, complete: true, timeline: [] };
    start = performance.now();
    sampler = startTimeline(() => count);
    let lastCount = 0;
    let lastChangeMs = start;
    idle = setInterval(() => {
      const now = performance.now();
      if (count !== lastCount) {
        lastCount = count;
        lastChangeMs = now;
      } else if (now - lastChangeMs > idleTimeoutMs || o.signal?.aborted === true) void consumer.close();
    }, IDLE_CHECK_MS);
    await consumer.run({
      eachMessage: (m) => {
        bytes += m.value === null ? 0 : m.value.length;
        count++;
        if (count % PROGRESS_EVERY_RECORDS === 0) o.onProgress?.(count);
        if (count >= o.records) {
          complete = true;
          void consumer.close();
        }
      },
    });
  } finally {
    if (idle !== null) clearInterval(idle);
    if (sampler !== null) timeline = sampler.stop();
    await consumer.close();
  }
  o.onProgress?.(count);
  const seconds = (performance.now() - start) / 1000;
  return { records: count, bytes, seconds: roundSeconds(seconds), recordsPerSec: rate(count, seconds), mbPerSec: mbPerSec(bytes, seconds), complete, timeline };
}

// ------------------------------------------------------------------ latency

export interface LatencyLoadOptions {
  target: ConnectionOptions;
  topic: string;
  /** Partition written and read. Default 0. */
  partition?: number;
  ratePerSec: number;
  /** At most this many records (null: rate × seconds). */
  records: number | null;
  seconds: number;
  /** Records sent in this first part of the run are not recorded. Default 0. */
  warmupMs?: number;
  recordBytes: number;
  acks: -1 | 0 | 1;
  compression?: CompressionType;
  batchSize?: number;
  /** Consumer long-poll wait. Default 100. */
  maxWaitMs?: number;
  /** How long to wait for the last records after sending stops. Default 2000. */
  drainMs?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface LatencyLoadResult {
  ratePerSec: number;
  sent: number;
  /** Records received back. */
  records: number;
  seconds: number;
  /** This process's CPU (sender, consumer, GC: every thread) over the run, % of one core: is the client the limit? */
  clientCpuPctOfCore: number;
  /** Median of how late the sender got each record out against its due time, µs (10 µs steps): the pacing's error. */
  sendsLateUsP50: number;
  /**
   * Intended send time → delivery to the consumer's eachMessage, after the warm-up:
   * corrected for coordinated omission (record i is due at start + i/rate).
   */
  latencyUs: Percentiles;
  latencyDistribution: PercentilePoint[];
  /** What latencyUs is measured from: always the intended send time. */
  latencyFrom: 'intended-send-time';
  /** Actual send → delivery (service time, not corrected); null when records are under 16 bytes. */
  serviceLatencyUs: Percentiles | null;
  serviceLatencyDistribution: PercentilePoint[] | null;
  /** Records received over time. */
  timeline: TimelinePoint[];
}

/** A value of this many bytes carries the actual send time too (after the intended one). */
const SERVICE_TIME_BYTES = 2 * TIMESTAMP_BYTES;
const DRAIN_POLL_MS = 10;
/** The sender thread's entry; the bundle maps this URL onto its own copy (scripts/bundle.mjs). */
const SENDER_URL = new URL('../../workers/latency-sender.js', import.meta.url);

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Values back to back in one buffer (the sender gets it transferred, not copied). */
function concatValues(values: Uint8Array[], recordBytes: number): { bytes: Uint8Array; buffer: ArrayBuffer } {
  const buffer = new ArrayBuffer(values.length * recordBytes);
  const bytes = new Uint8Array(buffer);
  values.forEach((v, i) => bytes.set(v, i * recordBytes));
  return { bytes, buffer };
}

/** The next message of the given type from the sender, or its failure. */
function senderMessage<T extends SenderToMain['type']>(worker: Worker, type: T): Promise<Extract<SenderToMain, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: SenderToMain): void => {
      if (m.type === type) done(() => resolve(m as Extract<SenderToMain, { type: T }>));
      else if (m.type === 'done') done(() => reject(new Error(`latency sender: ${m.error ?? 'ended early'}`)));
    };
    const onError = (err: Error): void => done(() => reject(err));
    const onExit = (code: number): void => done(() => reject(new Error(`latency sender exited with ${code}`)));
    const done = (settle: () => void): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      settle();
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}

/**
 * End-to-end latency: records sent at a fixed rate, each carrying its send time, timed
 * on receipt. The sender runs in a worker thread (src/loadgen/latency-sender.ts: precise
 * per-record pacing); the consumer runs here, so its receipt times are not held up by
 * the sender's sleeps. Both read the process-wide monotonic clock.
 */
export async function runLatencyLoad(o: LatencyLoadOptions): Promise<LatencyLoadResult> {
  if (o.recordBytes < TIMESTAMP_BYTES) throw new RangeError(`latency records need at least ${TIMESTAMP_BYTES} bytes, got ${o.recordBytes}`);
  if (!(o.ratePerSec > 0 && o.seconds > 0)) throw new RangeError('latency needs a positive rate and duration');
  if (o.target.transport !== undefined) throw new RangeError('the latency phase cannot use a custom transport (its sender runs in another thread)');
  const partition = o.partition ?? 0;
  const total = Math.min(o.records ?? Infinity, Math.ceil(o.ratePerSec * o.seconds));
  const hist = new LatencyRecorder();
  const withService = o.recordBytes >= SERVICE_TIME_BYTES;
  const service = withService ? new LatencyRecorder() : null;
  const consumer = new Consumer({ ...o.target, autoOffsetReset: 'latest', maxWaitMs: o.maxWaitMs ?? 100, minBytes: 1 });
  const control = new SharedArrayBuffer(CONTROL_WORDS * 4);
  const values = concatValues(makeValues(o.recordBytes), o.recordBytes);
  const senderData: LatencySenderData = {
    kind: 'samsa-latency-sender',
    target: o.target,
    topic: o.topic,
    partition,
    ratePerSec: o.ratePerSec,
    total,
    seconds: o.seconds,
    recordBytes: o.recordBytes,
    acks: o.acks,
    compression: o.compression ?? 'none',
    batchSize: o.batchSize ?? 16 * 1024,
    control,
    values: values.bytes,
  };
  let received = 0;
  let sent = 0;
  let sendsLateUsP50 = 0;
  let warmupUntil = Infinity;
  let failure: unknown = null;
  let running: Promise<void> | null = null;
  let sampler: { stop(): TimelinePoint[] } | null = null;
  let timeline: TimelinePoint[] = [];
  let worker: Worker | null = null;
  let start = monotonicMs();
  let cpu0 = process.cpuUsage();
  const stopSender = (): void => {
    Atomics.store(new Int32Array(control), CONTROL_STOP, 1);
    Atomics.notify(new Int32Array(control), CONTROL_SLEEP);
  };
  o.signal?.addEventListener('abort', stopSender, { once: true });
  try {
    await consumer.assign([{ topic: o.topic, partition }]);
    await consumer.seek(o.topic, partition, 'latest');
    running = consumer.run({
      eachMessage: (m) => {
        const now = monotonicMs();
        const v = m.value;
        if (v === null || v.length < TIMESTAMP_BYTES) return;
        const dv = new DataView(v.buffer, v.byteOffset, v.length);
        const intendedAt = dv.getFloat64(0);
        received++;
        if (intendedAt >= warmupUntil) {
          hist.recordMs(now - intendedAt);
          if (service !== null && v.length >= SERVICE_TIME_BYTES) service.recordMs(now - dv.getFloat64(TIMESTAMP_BYTES));
        }
        if (received % 1024 === 0) o.onProgress?.(received);
      },
    }).catch((err: unknown) => {
      failure ??= err; // handled now: never an unhandled rejection
      stopSender();
    });
    worker = new Worker(SENDER_URL, { workerData: senderData, transferList: [values.buffer], name: 'samsa-latency-sender' });
    await senderMessage(worker, 'connected');
    const finished = senderMessage(worker, 'done');
    finished.catch(() => {}); // awaited below; a failure before then must not go unhandled
    cpu0 = process.cpuUsage();
    start = monotonicMs();
    sampler = startTimeline(() => received);
    warmupUntil = start + (o.warmupMs ?? 0);
    worker.postMessage({ type: 'go', startMs: start } satisfies MainToSender);
    const done = await finished;
    sent = done.sent;
    sendsLateUsP50 = done.sendsLateUsP50;
    if (done.error !== null) failure ??= new Error(done.error);
    if (failure !== null) throw failure;
    const drainPolls = Math.ceil((o.drainMs ?? 2000) / DRAIN_POLL_MS);
    for (let i = 0; i < drainPolls && received < sent && o.signal?.aborted !== true; i++) await sleep(DRAIN_POLL_MS);
  } finally {
    o.signal?.removeEventListener('abort', stopSender);
    stopSender();
    if (worker !== null) await worker.terminate();
    if (sampler !== null) timeline = sampler.stop();
    await consumer.close();
    if (running !== null) await running;
  }
  if (failure !== null) throw failure;
  o.onProgress?.(received);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (monotonicMs() - start) / 1000;
  return {
    ratePerSec: o.ratePerSec,
    sent,
    records: received,
    seconds: roundSeconds(seconds),
    clientCpuPctOfCore: seconds > 0 ? Math.round((cpu.user + cpu.system) / 1e4 / seconds * 10) / 10 : 0,
    sendsLateUsP50,
    latencyUs: hist.summary(),
    latencyDistribution: hist.distribution(),
    latencyFrom: 'intended-send-time',
    serviceLatencyUs: service?.summary() ?? null,
    serviceLatencyDistribution: service?.distribution() ?? null,
    timeline,
  };
}
