// The producer: batches records per partition, sends them in Produce requests and
// resolves each send() with the offsets the broker assigned. Owns: partitioning
// (explicit, murmur2 of the key as Kafka's default, sticky for null keys),
// batching (batchSize bytes, lingerMs), the buffer-memory bound, idempotence
// (producer id/epoch, per-partition sequences), retries and flush/close. Must not
// import Node built-ins (compression comes from the codec registry).
//
// Ordering and idempotence: each partition has at most one unit in flight: up to
// UNIT_BATCHES_MAX of its batches. Kafka takes exactly one batch per partition per
// Produce request (v3+; more is INVALID_RECORD), so a unit of several batches goes
// out as that many consecutive requests on the one connection, pipelined: the broker
// appends a connection's requests in order, and while a unit is out new records
// gather in further batches. A unit is sealed once (producer id, epoch and base
// sequences written) and retried byte for byte, every batch of it, on a retriable
// error or a lost connection: the broker answers a repeat of its last batches as a
// duplicate with the original offset, so a retry never writes twice. When a unit fails for good
// the outcome is unknown, so the producer bumps its epoch (InitProducerId with its
// current id, KIP-360) and every partition's sequence restarts at 0. In a cluster
// each partition's units go to its leader (see cluster.ts); a moved leader or a lost
// broker sends the unit again after fresh metadata.

import type { ProduceRequest, ProduceResponse } from '../wire/schemas/00-produce.js';
import type { InitProducerIdResponse } from '../wire/schemas/22-init-producer-id.js';
import { type CompressionType, isCompressionAvailable, isCompressionType } from '../wire/codecs.js';
import { API_KEYS, type Connection, type ConnectionOptions } from './connection.js';
import { Cluster, UNKNOWN_NODE } from './cluster.js';
import { ClientClosedError, ErrorCode, KafkaError, isRetriable, kafkaError } from './errors.js';
import { partitionForKey } from '../wire/partitioner.js';
import { BATCH_HEADER_BYTES, BatchBuilder, type EncodedHeader, toBytes } from '../wire/records.js';
import { assert } from '../wire/assert.js';

export type HeaderValue = Uint8Array | string | null;

export interface ProducerMessage {
  key?: Uint8Array | string | null;
  value: Uint8Array | string | null;
  /** An object (one value per key) or a list (keys may repeat). */
  headers?: Record<string, HeaderValue> | ReadonlyArray<{ key: string; value: HeaderValue }>;
  /** Overrides the partitioner. */
  partition?: number;
  /** CreateTime in ms; default: when send() is called. */
  timestamp?: number;
}

export interface ProducerRecord {
  topic: string;
  messages: readonly ProducerMessage[];
}

/** Where one message was written. offset is -1 with acks=0 (the broker does not answer). */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export type Partitioner = (args: { topic: string; key: Uint8Array | null; numPartitions: number }) => number;

export interface ProducerOptions extends ConnectionOptions {
  /** -1 (all; default), 1 (leader) or 0 (no answer). */
  acks?: -1 | 0 | 1;
  /**
   * Kafka's batch.size: bytes of records per partition batch. Default 16384. A partition
   * that falls behind gathers into larger batches (up to 16× this, 256 KiB at most) while
   * its earlier batches are in flight; see BACKLOG_BATCH_GROWTH.
   */
  batchSize?: number;
  /** Kafka's linger.ms: how long a partial batch waits for more records. Default 5. */
  lingerMs?: number;
  compression?: CompressionType;
  /** Exactly-once writes per partition across retries. Default: on unless acks=0. */
  idempotent?: boolean;
  /** Resends of one unit after retriable errors. Default 10. */
  retries?: number;
  /** First retry backoff; doubles per attempt up to 1 s. Default 100. */
  retryBackoffMs?: number;
  /** A record not acknowledged this long after send() fails. Default 120 s. */
  deliveryTimeoutMs?: number;
  /** Bytes of batches in one Produce request (Kafka's max.request.size). Default 1 MiB. */
  maxRequestBytes?: number;
  /** Bytes buffered before send() waits (Kafka's buffer.memory). Default 32 MiB. */
  bufferMemoryBytes?: number;
  /** Ask the broker to create a topic on first use. Default true. */
  allowAutoTopicCreation?: boolean;
  /** Partition counts are re-read this often. Default 5 min. */
  metadataMaxAgeMs?: number;
  /** Replaces the default partitioner (explicit partition > key murmur2 > sticky). */
  partitioner?: Partitioner;
  /**
   * Continue an earlier idempotent producer instead of asking for a new one: its id
   * and epoch are used as they are (no InitProducerId), and a unit that fails for
   * good does not bump the epoch. Tools that resume a stream across restarts (the
   * mirror) use it with `sequenceStart`, so the broker's sequence checks span both.
   */
  producerIdentity?: { producerId: number; producerEpoch: number };
  /** With producerIdentity: the first sequence number of each partition (default 0). */
  sequenceStart?: (topic: string, partition: number) => number;
}

/** One send() call: the results of its messages and how many are still out. */
interface SendCall {
  results: RecordMetadata[];
  remaining: number;
  settled: boolean;
  resolve: (r: RecordMetadata[]) => void;
  reject: (e: Error) => void;
}

/** A batch being filled or waiting to be sent; which call and message each record answers. */
interface Batch {
  builder: BatchBuilder;
  /**
   * Runs of records from one send() call: the call, the index of its first message,
   * and how many consecutive messages follow (one run for a whole call in the
   * common case, instead of an entry per record).
   */
  runCalls: SendCall[];
  runStarts: number[];
  runCounts: number[];
  createdMs: number;
  /** Bytes counted against bufferMemoryBytes. */
  memoryBytes: number;
  /** Its memory and records are no longer counted (acknowledged, failed or aborted). */
  released: boolean;
}

/**
 * Batches of one partition in flight together, sealed once and retried as they are:
 * batch i goes in the i-th of consecutive Produce requests (one batch per partition
 * per request, as Kafka requires).
 */
interface Unit {
  part: PartitionState;
  batches: Batch[];
  sealed: Uint8Array[];
  /** Bytes of all sealed batches. */
  sizeBytes: number;
  attempts: number;
  /** The base offset the broker gave each batch (-1 until answered, or with acks=0). */
  baseOffsets: number[];
  /** Requests of this attempt not answered yet. */
  pending: number;
  /** The first failure among this attempt's requests; the unit settles when none is pending. */
  failure: unknown;
}

interface PartitionState {
  topic: TopicState;
  index: number;
  open: Batch | null;
  /** Closed batches, oldest first. */
  ready: Batch[];
  inFlight: Unit | null;
  retry: Unit | null;
  retryAtMs: number;
  nextSequence: number;
  /** Bytes of the last batch sealed here: the starting buffer size of the next. */
  lastBatchBytes: number;
}

interface TopicState {
  name: string;
  parts: PartitionState[];
  sticky: number;
  refreshedMs: number;
}

const INT32_MAX = 0x7fff_ffff;
/** A batch's buffer starts here and doubles up to batchSize (see BatchBuilder). */
const BATCH_INITIAL_BYTES = 1024;
const RETRY_BACKOFF_MAX_MS = 1000;
/** Bound on the send-time waits for buffer memory. */
const MEMORY_WAITS_MAX = 1_000_000;
/**
 * Batches of one partition in flight at once, as consecutive requests: Kafka's
 * max.in.flight.requests.per.connection with idempotence (5), the most the broker's
 * duplicate detection remembers per producer.
 */
const UNIT_BATCHES_MAX = 5;
/**
 * A partition that is behind (a whole unit's batches already waiting to be sent)
 * gathers its next records into batches of up to this many times batchSize, at most
 * BACKLOG_BATCH_BYTES_MAX: those records wait for the batches ahead of them anyway,
 * and with one batch per partition per request and UNIT_BATCHES_MAX in flight, the
 * batch size is what bounds one partition per round trip (5 × 16 KiB at Kafka's
 * default; an fsync per round trip at acks=-1). librdkafka's batches are 1 MB by
 * default for the same reason. A partition that keeps up never sees a batch above
 * batchSize.
 */
const BACKLOG_BATCH_GROWTH = 16;
const BACKLOG_BATCH_BYTES_MAX = 256 * 1024;
/** InitProducerId answers that mean "ask again shortly". */
const COORDINATOR_LOADING: ReadonlySet<number> = new Set([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);
const INIT_PRODUCER_ID_ATTEMPTS_MAX = 100;

function positiveInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

function headerValue(v: unknown): Uint8Array | null {
  if (v === null || v === undefined) return null;
  const b = bytesOf(v);
  if (b === undefined) throw new TypeError('header values must be a Uint8Array, a string or null');
  return b;
}

function encodeHeaders(h: ProducerMessage['headers']): EncodedHeader[] | null {
  if (h === undefined || h === null) return null;
  const out: EncodedHeader[] = [];
  if (Array.isArray(h)) {
    for (const e of h as ReadonlyArray<{ key: string; value: HeaderValue }>) {
      if (e === null || typeof e !== 'object' || typeof e.key !== 'string') throw new TypeError('headers must be { key: string, value } entries');
      out.push({ key: toBytes(e.key), value: headerValue(e.value) });
    }
  } else if (typeof h === 'object') {
    for (const k of Object.keys(h)) out.push({ key: toBytes(k), value: headerValue((h as Record<string, HeaderValue>)[k]) });
  } else throw new TypeError('headers must be an object or an array');
  return out.length === 0 ? null : out;
}

/** Bytes of a key or value; undefined when it is neither bytes nor a string. */
function bytesOf(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return toBytes(v);
  return undefined;
}

function nextSeq(seq: number, count: number): number {
  return seq > INT32_MAX - count ? count - (INT32_MAX - seq) - 1 : seq + count;
}

export class Producer {
  private readonly cluster: Cluster;
  private readonly acks: -1 | 0 | 1;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly compression: CompressionType;
  private readonly idempotent: boolean;
  private readonly retries: number;
  private readonly retryBackoffMs: number;
  private readonly deliveryTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxRequestBytes: number;
  private readonly maxInFlightRequests: number;
  private readonly bufferMemoryBytes: number;
  private readonly allowAutoTopicCreation: boolean;
  private readonly metadataMaxAgeMs: number;
  private readonly partitioner: Partitioner | undefined;
  /** Set by producerIdentity: the id and epoch never change. */
  private readonly fixedIdentity: boolean;
  private readonly sequenceStart: ((topic: string, partition: number) => number) | undefined;
  /** Nodes a connection is being opened to (multi-broker routing). */
  private readonly openingNodes = new Set<number>();
  private leadersRefreshing = false;

  private readonly topics = new Map<string, TopicState>();
  private readonly topicLoads = new Map<string, Promise<TopicState>>();
  /** Partitions with an open, ready or retry batch. */
  private readonly dirty = new Set<PartitionState>();
  private producerId = -1;
  private producerEpoch = -1;
  private producerIdLoad: Promise<void> | null = null;
  private bumpEpoch = false;
  private memoryBytes = 0;
  private pendingRecords = 0;
  private memoryWaiters: Array<() => void> = [];
  /** Resolves when the last queued send has been appended (see sendQueued). */
  private admission: Promise<void> = Promise.resolve();
  private admissionsPending = 0;
  private flushWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  private drainScheduled = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private timerDueMs = Infinity;
  private connecting = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private lastError: Error | null = null;

  constructor(options: ProducerOptions) {
    this.cluster = new Cluster(options);
    this.acks = options.acks ?? -1;
    if (this.acks !== -1 && this.acks !== 0 && this.acks !== 1) throw new RangeError(`acks must be -1, 0 or 1, got ${String(this.acks)}`);
    this.batchSize = positiveInt('batchSize', options.batchSize ?? 16384, BATCH_HEADER_BYTES + 1);
    this.lingerMs = positiveInt('lingerMs', options.lingerMs ?? 5, 0);
    this.compression = options.compression ?? 'none';
    if (!isCompressionType(this.compression)) throw new TypeError(`unknown compression ${String(this.compression)}`);
    if (!isCompressionAvailable(this.compression)) {
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `compression ${this.compression} is not available in this client`);
    }
    this.idempotent = options.idempotent ?? this.acks !== 0;
    if (this.idempotent && this.acks === 0) throw new RangeError('an idempotent producer needs acks -1 or 1');
    this.retries = positiveInt('retries', options.retries ?? 10, 0);
    this.retryBackoffMs = positiveInt('retryBackoffMs', options.retryBackoffMs ?? 100, 0);
    this.deliveryTimeoutMs = positiveInt('deliveryTimeoutMs', options.deliveryTimeoutMs ?? 120_000);
    this.requestTimeoutMs = positiveInt('requestTimeoutMs', options.requestTimeoutMs ?? 30_000);
    this.maxRequestBytes = positiveInt('maxRequestBytes', options.maxRequestBytes ?? 1024 * 1024);
    this.maxInFlightRequests = positiveInt('maxInFlightRequests', options.maxInFlightRequests ?? 16);
    this.bufferMemoryBytes = positiveInt('bufferMemoryBytes', options.bufferMemoryBytes ?? 32 * 1024 * 1024);
    this.allowAutoTopicCreation = options.allowAutoTopicCreation ?? true;
    this.metadataMaxAgeMs = positiveInt('metadataMaxAgeMs', options.metadataMaxAgeMs ?? 300_000);
    this.partitioner = options.partitioner;
    this.fixedIdentity = options.producerIdentity !== undefined;
    this.sequenceStart = options.sequenceStart;
    if (options.producerIdentity !== undefined) {
      const { producerId, producerEpoch } = options.producerIdentity;
      if (!this.idempotent) throw new RangeError('producerIdentity needs an idempotent producer');
      if (!Number.isSafeInteger(producerId) || producerId < 0) throw new RangeError(`producerId must be an integer ≥ 0, got ${producerId}`);
      if (!Number.isInteger(producerEpoch) || producerEpoch < 0 || producerEpoch > 0x7fff) throw new RangeError(`producerEpoch must be in [0, 32767], got ${producerEpoch}`);
      this.producerId = producerId;
      this.producerEpoch = producerEpoch;
    } else if (options.sequenceStart !== undefined) throw new RangeError('sequenceStart needs producerIdentity');
  }

  /** Connects (and gets a producer id) now, so that errors show before the first send. */
  async connect(): Promise<void> {
    const conn = await this.cluster.any();
    if (this.idempotent) await this.ensureProducerId(conn);
  }

  /** The producer id and epoch in use (-1 before the first request of an idempotent producer). */
  get producerIdentity(): { producerId: number; producerEpoch: number } {
    return { producerId: this.producerId, producerEpoch: this.producerEpoch };
  }

  /**
   * Buffers `record.messages` and resolves, once every one is acknowledged, with
   * where each was written (in message order). Rejects if any message fails.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    if (this.closed) return Promise.reject(new ClientClosedError('producer'));
    if (record === null || typeof record !== 'object' || typeof record.topic !== 'string' || record.topic.length === 0) {
      return Promise.reject(new TypeError('send needs a topic name'));
    }
    const messages = record.messages;
    if (!Array.isArray(messages)) return Promise.reject(new TypeError('send needs a messages array'));
    if (messages.length === 0) return Promise.resolve([]);
    // Fast path: nothing queued ahead, memory to spare, partitions known.
    if (this.admissionsPending === 0 && this.memoryBytes < this.bufferMemoryBytes) {
      const topic = this.topics.get(record.topic);
      if (topic !== undefined) {
        if (Date.now() - topic.refreshedMs > this.metadataMaxAgeMs) this.loadTopic(record.topic).catch(() => {});
        return new Promise<RecordMetadata[]>((resolve, reject) => this.append(topic, messages, true, resolve, reject));
      }
    }
    return new Promise<RecordMetadata[]>((resolve, reject) => this.sendQueued(record.topic, messages, false, resolve, reject));
  }

  /**
   * A send that must wait (for buffer memory or a topic's metadata). Sends are
   * admitted in call order: while one waits, later ones queue behind it, so records
   * of one partition keep the order of the send() calls. The caller's own
   * resolve/reject are handed down to the batch, never wrapped in another promise:
   * an extra promise here would settle a few microtasks after a fast-path send of a
   * later call, and send() promises of one partition must settle in call order.
   */
  private sendQueued(name: string, messages: readonly ProducerMessage[], refresh: boolean, resolve: (r: RecordMetadata[]) => void, reject: (e: unknown) => void): void {
    this.admissionsPending++;
    const previous = this.admission;
    let admitted!: () => void;
    this.admission = new Promise<void>((r) => (admitted = r));
    void (async () => {
      let counted = true;
      try {
        await previous;
        for (let i = 0; i < MEMORY_WAITS_MAX && this.memoryBytes >= this.bufferMemoryBytes && !this.closed; i++) {
          await new Promise<void>((r) => this.memoryWaiters.push(r));
        }
        const known = refresh ? undefined : this.topics.get(name);
        const topic = known ?? (await this.loadTopic(name));
        if (this.closed) throw new ClientClosedError('producer');
        this.admissionsPending--;
        counted = false;
        this.append(topic, messages, !refresh, resolve, reject);
      } catch (err) {
        reject(err);
      } finally {
        if (counted) this.admissionsPending--;
        admitted();
      }
    })();
  }

  /** Places and buffers the messages of one send(); settles through `resolve`/`reject` when all are acknowledged (or one fails). */
  private append(
    topic: TopicState,
    messages: readonly ProducerMessage[],
    mayRefresh: boolean,
    resolve: (r: RecordMetadata[]) => void,
    reject: (e: unknown) => void,
  ): void {
    const numPartitions = topic.parts.length;
    const n = messages.length;
    // Normalise and place every message before buffering any: a bad message fails the call alone.
    const keys = new Array<Uint8Array | null>(n);
    const values = new Array<Uint8Array | null>(n);
    const headers = new Array<EncodedHeader[] | null>(n);
    const partitions = new Array<number>(n);
    const nowMs = Date.now();
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      if (m === null || typeof m !== 'object') return reject(new TypeError(`message ${i} is not an object`));
      const key = m.key === undefined || m.key === null ? null : bytesOf(m.key);
      const value = m.value === undefined || m.value === null ? null : bytesOf(m.value);
      if (key === undefined || value === undefined) return reject(new TypeError(`message ${i}: key and value must be a Uint8Array, a string or null`));
      let encodedHeaders: EncodedHeader[] | null;
      try {
        encodedHeaders = encodeHeaders(m.headers);
      } catch (err) {
        return reject(err);
      }
      keys[i] = key;
      values[i] = value;
      headers[i] = encodedHeaders;
      let p: number;
      if (m.partition !== undefined) p = m.partition;
      else if (this.partitioner !== undefined) p = this.partitioner({ topic: topic.name, key, numPartitions });
      else if (key !== null) p = partitionForKey(key, numPartitions);
      else p = -1; // sticky, chosen while appending
      if (p !== -1 && !(Number.isInteger(p) && p >= 0 && p < numPartitions)) {
        // The topic may have grown since its metadata was read: read it again, once.
        if (mayRefresh && Number.isInteger(p) && p >= numPartitions) return this.sendQueued(topic.name, messages, true, resolve, reject);
        return reject(kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `send to ${topic.name}`, `partition ${p} of ${numPartitions}`));
      }
      if (m.timestamp !== undefined && !Number.isSafeInteger(m.timestamp)) return reject(new TypeError(`timestamp ${m.timestamp} is not an integer`));
      partitions[i] = p;
    }
    const call: SendCall = { results: new Array<RecordMetadata>(n), remaining: n, settled: false, resolve, reject };
    for (let i = 0; i < n; i++) {
      let p = partitions[i]!;
      if (p === -1) p = topic.sticky;
      const ts = messages[i]!.timestamp ?? nowMs;
      this.appendOne(topic.parts[p]!, keys[i]!, values[i]!, headers[i]!, ts, call, i, nowMs);
    }
    this.pendingRecords += n;
  }

  private appendOne(
    part: PartitionState,
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: EncodedHeader[] | null,
    timestamp: number,
    call: SendCall,
    index: number,
    nowMs: number,
  ): void {
    let batch = part.open;
    if (batch !== null && !batch.builder.tryAppend(key, value, headers, timestamp)) {
      this.moveOpenToReady(part);
      this.scheduleDrain();
      batch = null;
    }
    if (batch === null) {
      const need = BATCH_HEADER_BYTES + BatchBuilder.recordBytes(key, value, headers, 0, 0);
      const behind = part.ready.length >= UNIT_BATCHES_MAX;
      const batchBytes = behind ? Math.max(this.batchSize, Math.min(this.batchSize * BACKLOG_BATCH_GROWTH, BACKLOG_BATCH_BYTES_MAX)) : this.batchSize;
      const capacity = Math.max(batchBytes, need);
      // Start the buffer at the size this partition's last batch reached (a steady
      // stream refills whole batches; a trickle stays small), and grow from there.
      const initial = Math.max(need, BATCH_INITIAL_BYTES, part.lastBatchBytes);
      batch = { builder: new BatchBuilder(capacity, initial), runCalls: [], runStarts: [], runCounts: [], createdMs: nowMs, memoryBytes: capacity, released: false };
      this.memoryBytes += capacity;
      assert(batch.builder.tryAppend(key, value, headers, timestamp), 'a record does not fit a batch sized for it');
      part.open = batch;
      if (!this.dirty.has(part)) this.dirty.add(part);
      if (this.lingerMs === 0) this.scheduleDrain();
      else this.scheduleTimer(nowMs + this.lingerMs);
    }
    const last = batch.runCalls.length - 1;
    if (last >= 0 && batch.runCalls[last] === call && batch.runStarts[last]! + batch.runCounts[last]! === index) {
      batch.runCounts[last]!++;
    } else {
      batch.runCalls.push(call);
      batch.runStarts.push(index);
      batch.runCounts.push(1);
    }
  }

  /** Moves the open batch of a partition to its ready queue (it is full, or its linger is up). */
  private moveOpenToReady(part: PartitionState): void {
    const batch = part.open;
    if (batch === null) return;
    part.open = null;
    part.ready.push(batch);
    const topic = part.topic;
    if (topic.sticky === part.index && topic.parts.length > 1) {
      // Kafka's sticky partitioner: the next batch of unkeyed records goes to another partition.
      const r = Math.floor(Math.random() * (topic.parts.length - 1));
      topic.sticky = r >= part.index ? r + 1 : r;
    }
  }

  /** Resolves once every buffered record is acknowledged (or failed). */
  async flush(): Promise<void> {
    // Sends still waiting for admission (memory, metadata) come first.
    if (this.admissionsPending > 0) await this.admission;
    if (this.pendingRecords === 0) return;
    return new Promise<void>((resolve, reject) => {
      this.flushWaiters.push({ resolve, reject });
      this.scheduleDrain();
    });
  }

  /**
   * Flushes (for at most `timeoutMs`, default deliveryTimeoutMs), then closes the
   * connection. Records still unacknowledged at the deadline fail with
   * ClientClosedError. Sends after close() reject.
   */
  close(timeoutMs: number = this.deliveryTimeoutMs): Promise<void> {
    this.closing ??= (async () => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs))));
      const flushed = await Promise.race([this.flush().then(() => true), deadline]);
      clearTimeout(timer);
      this.closed = true;
      if (!flushed) this.abortAll(new ClientClosedError('producer'));
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      for (const w of this.memoryWaiters.splice(0)) w();
      this.cluster.close();
    })();
    return this.closing;
  }

  /** Fails every record not yet acknowledged (close after its deadline). */
  private abortAll(err: Error): void {
    for (const t of this.topics.values()) {
      for (const part of t.parts) {
        if (part.open !== null) this.failBatch(part.open, err);
        for (const b of part.ready) this.failBatch(b, err);
        for (const u of [part.retry, part.inFlight]) if (u !== null) for (const b of u.batches) this.failBatch(b, err);
        part.open = null;
        part.ready = [];
        part.retry = null;
      }
    }
    this.dirty.clear();
  }

  // ------------------------------------------------------------------ metadata

  private loadTopic(name: string): Promise<TopicState> {
    let p = this.topicLoads.get(name);
    if (p !== undefined) return p;
    p = (async () => {
      try {
        const md = await this.cluster.topic(name, this.allowAutoTopicCreation);
        return this.updateTopic(name, md.partitions.length);
      } finally {
        this.topicLoads.delete(name);
      }
    })();
    this.topicLoads.set(name, p);
    return p;
  }

  private updateTopic(name: string, count: number): TopicState {
    let t = this.topics.get(name);
    if (t === undefined) {
      t = { name, parts: [], sticky: Math.floor(Math.random() * count), refreshedMs: 0 };
      this.topics.set(name, t);
    }
    // Partitions only grow (CreatePartitions); a smaller answer is ignored.
    for (let i = t.parts.length; i < count; i++) {
      const nextSequence = this.sequenceStart?.(name, i) ?? 0;
      if (!Number.isInteger(nextSequence) || nextSequence < 0 || nextSequence > INT32_MAX) throw new RangeError(`sequenceStart of ${name}-${i}: ${nextSequence}`);
      t.parts.push({ topic: t, index: i, open: null, ready: [], inFlight: null, retry: null, retryAtMs: 0, nextSequence, lastBatchBytes: 0 });
    }
    t.refreshedMs = Date.now();
    return t;
  }

  private async ensureProducerId(conn: Connection): Promise<void> {
    if (this.fixedIdentity || (this.producerId >= 0 && !this.bumpEpoch)) return;
    this.producerIdLoad ??= (async () => {
      try {
        const bump = this.bumpEpoch && this.producerId >= 0 && conn.version(API_KEYS.InitProducerId) >= 3;
        let res: InitProducerIdResponse;
        // A cluster's transaction coordinator may still be loading (a fresh Kafka answers
        // COORDINATOR_LOAD_IN_PROGRESS for a while): asked again within requestTimeoutMs.
        const deadlineMs = Date.now() + this.requestTimeoutMs;
        for (let attempt = 0; ; attempt++) {
          res = await conn.request<InitProducerIdResponse>(API_KEYS.InitProducerId, {
            transactionalId: null,
            transactionTimeoutMs: INT32_MAX,
            producerId: bump ? this.producerId : -1,
            producerEpoch: bump ? this.producerEpoch : -1,
          });
          if (!COORDINATOR_LOADING.has(res.errorCode) || Date.now() > deadlineMs || attempt >= INIT_PRODUCER_ID_ATTEMPTS_MAX) break;
          await new Promise((r) => setTimeout(r, Math.min(RETRY_BACKOFF_MAX_MS, this.retryBackoffMs * 2 ** Math.min(attempt, 10))));
        }
        if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, 'InitProducerId');
        this.producerId = res.producerId;
        this.producerEpoch = res.producerEpoch;
        this.bumpEpoch = false;
        // A new id or epoch starts every partition's sequence at 0 (units already
        // sealed keep their old stamps and are retried as they are).
        for (const t of this.topics.values()) for (const p of t.parts) p.nextSequence = 0;
      } finally {
        this.producerIdLoad = null;
      }
    })();
    return this.producerIdLoad;
  }

  // ------------------------------------------------------------------ draining

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    queueMicrotask(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private scheduleTimer(dueMs: number): void {
    if (this.closed || dueMs >= this.timerDueMs) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timerDueMs = dueMs;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDueMs = Infinity;
      this.drain();
    }, Math.max(0, dueMs - Date.now()));
  }

  /** Connects (or re-connects) and gets a producer id when needed, then drains again. */
  private prepareThenDrain(): void {
    if (this.connecting) return;
    this.connecting = true;
    (async () => {
      const conn = await this.cluster.any();
      if (this.idempotent) await this.ensureProducerId(conn);
    })().then(
      () => {
        this.connecting = false;
        this.lastError = null;
        this.drain();
      },
      (err: unknown) => {
        this.connecting = false;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.expireBatches(Date.now());
        if (this.pendingRecords > 0) this.scheduleTimer(Date.now() + this.retryBackoffMs);
      },
    );
  }

  /** Sends what is ready, as long as the connections have room for requests. */
  private drain(): void {
    if (this.dirty.size === 0) return;
    if (this.idempotent && (this.producerId < 0 || this.bumpEpoch)) {
      this.prepareThenDrain();
      return;
    }
    const nowMs = Date.now();
    const flushing = this.flushWaiters.length > 0 || this.closed;
    let nextDueMs = Infinity;
    if (!this.cluster.multiBroker) {
      const conn = this.cluster.peekAny();
      if (conn === null) {
        this.prepareThenDrain();
        return;
      }
      nextDueMs = this.drainTo(conn, this.dirty, nowMs, flushing);
    } else {
      // A cluster: each partition's batches go to its leader, one request stream per broker.
      const byNode = new Map<number, PartitionState[]>();
      for (const part of this.dirty) {
        if (part.inFlight !== null) continue;
        const node = this.cluster.leaderNode(part.topic.name, part.index);
        if (node === UNKNOWN_NODE) {
          this.refreshLeaders();
          continue;
        }
        let list = byNode.get(node);
        if (list === undefined) byNode.set(node, (list = []));
        list.push(part);
      }
      for (const [node, parts] of byNode) {
        const conn = this.cluster.peekNode(node);
        if (conn === null) {
          this.openNode(node);
          continue;
        }
        nextDueMs = Math.min(nextDueMs, this.drainTo(conn, parts, nowMs, flushing));
      }
    }
    if (nextDueMs !== Infinity) this.scheduleTimer(nextDueMs);
  }

  /** Re-reads the leaders of every topic this producer writes (one refresh at a time), then drains. */
  private refreshLeaders(): void {
    if (this.leadersRefreshing || this.closedForGood()) return;
    this.leadersRefreshing = true;
    this.cluster.metadata([...this.topics.keys()], false).then(
      () => {
        this.leadersRefreshing = false;
        this.drain();
      },
      (err: unknown) => {
        this.leadersRefreshing = false;
        this.lastError = err instanceof Error ? err : new Error(String(err));
        this.expireBatches(Date.now());
        if (this.pendingRecords > 0) this.scheduleTimer(Date.now() + this.retryBackoffMs);
      },
    );
  }

  /** Opens a connection to a broker that leads partitions with batches to send, then drains. */
  private openNode(node: number): void {
    if (this.openingNodes.has(node) || this.closedForGood()) return;
    this.openingNodes.add(node);
    this.cluster.node(node).then(
      () => {
        this.openingNodes.delete(node);
        this.drain();
      },
      (err: unknown) => {
        this.openingNodes.delete(node);
        this.lastError = err instanceof Error ? err : new Error(String(err));
        // The broker may be gone: its partitions get new leaders, which Metadata tells.
        for (const t of this.topics.values()) for (const p of t.parts) if (this.cluster.leaderNode(t.name, p.index) === node) this.cluster.forgetLeader(t.name, p.index);
        this.expireBatches(Date.now());
        if (this.pendingRecords > 0) this.scheduleTimer(Date.now() + this.retryBackoffMs);
      },
    );
  }

  /** Builds requests for `parts` on one connection while it has room; the earliest time something is due. */
  private drainTo(conn: Connection, parts: Iterable<PartitionState>, nowMs: number, flushing: boolean): number {
    let nextDueMs = Infinity;
    // Each round builds one request from distinct partitions; a partition joins at most once per round.
    for (let round = 0; round < this.maxInFlightRequests; round++) {
      if (this.acks !== 0 && conn.outstanding() >= this.maxInFlightRequests) break;
      if (this.acks === 0 && conn.bufferedBytes() > this.maxRequestBytes * this.maxInFlightRequests) {
        nextDueMs = Math.min(nextDueMs, nowMs + 1);
        break;
      }
      const units: Unit[] = [];
      let requestBytes = 0;
      for (const part of parts) {
        if (part.inFlight !== null) continue;
        if (part.open === null && part.ready.length === 0 && part.retry === null) {
          this.dirty.delete(part); // nothing left here (e.g. its batches expired)
          continue;
        }
        let unit: Unit | null = null;
        if (part.retry !== null) {
          if (part.retryAtMs > nowMs) {
            nextDueMs = Math.min(nextDueMs, part.retryAtMs);
            continue;
          }
          unit = part.retry;
          part.retry = null;
        } else {
          const open = part.open;
          if (open !== null) {
            const dueMs = open.createdMs + this.lingerMs;
            if (flushing || dueMs <= nowMs) this.moveOpenToReady(part);
            else nextDueMs = Math.min(nextDueMs, dueMs);
          }
          if (part.ready.length === 0) continue;
          unit = this.sealUnit(part, this.maxRequestBytes - requestBytes);
          if (unit === null) continue;
        }
        units.push(unit);
        part.inFlight = unit;
        requestBytes += unit.sizeBytes;
        if (requestBytes >= this.maxRequestBytes) break;
      }
      for (const u of units) if (u.part.open === null && u.part.ready.length === 0 && u.part.retry === null) this.dirty.delete(u.part);
      if (units.length === 0) break;
      this.sendUnits(conn, units);
    }
    return nextDueMs;
  }

  /** Seals the partition's oldest ready batches (at least one) into a unit within `budgetBytes`. */
  private sealUnit(part: PartitionState, budgetBytes: number): Unit | null {
    const batches: Batch[] = [];
    const sealed: Uint8Array[] = [];
    let bytes = 0;
    let taken = 0;
    for (; taken < part.ready.length && batches.length < UNIT_BATCHES_MAX; taken++) {
      const b = part.ready[taken]!;
      if (taken > 0 && bytes + b.builder.sizeBytes > budgetBytes) break;
      let bytesOut: Uint8Array;
      const count = b.builder.count;
      const baseSequence = this.idempotent ? part.nextSequence : -1;
      try {
        bytesOut = b.builder.seal({
          compression: this.compression,
          producerId: this.idempotent ? this.producerId : -1,
          producerEpoch: this.idempotent ? this.producerEpoch : -1,
          baseSequence,
        });
      } catch (err) {
        // A codec failure fails this batch only.
        part.ready.splice(taken, 1);
        taken--;
        this.failBatch(b, err instanceof Error ? err : new Error(String(err)));
        continue;
      }
      if (this.idempotent) part.nextSequence = nextSeq(part.nextSequence, count);
      part.lastBatchBytes = b.builder.sizeBytes;
      batches.push(b);
      sealed.push(bytesOut);
      bytes += bytesOut.length;
    }
    part.ready.splice(0, taken);
    if (batches.length === 0) return null;
    return { part, batches, sealed, sizeBytes: bytes, attempts: 0, baseOffsets: batches.map(() => -1), pending: 0, failure: null };
  }

  /**
   * Sends the units' batches as consecutive Produce requests: request i carries the
   * i-th batch of every unit that has one, so no request holds two batches of one
   * partition. The connection keeps them in order; each unit settles once all of its
   * requests are answered.
   */
  private sendUnits(conn: Connection, units: Unit[]): void {
    let rounds = 0;
    for (const u of units) {
      u.pending = u.sealed.length;
      u.failure = null;
      rounds = Math.max(rounds, u.sealed.length);
    }
    for (let i = 0; i < rounds; i++) {
      const inRequest: Unit[] = [];
      const byTopic = new Map<string, ProduceRequest['topicData'][number]>();
      for (const u of units) {
        const records = u.sealed[i];
        if (records === undefined) continue;
        inRequest.push(u);
        const name = u.part.topic.name;
        let td = byTopic.get(name);
        if (td === undefined) {
          td = { name, partitionData: [] };
          byTopic.set(name, td);
        }
        td.partitionData.push({ index: u.part.index, records });
      }
      const body: ProduceRequest = { transactionalId: null, acks: this.acks, timeoutMs: this.requestTimeoutMs, topicData: [...byTopic.values()] };
      if (this.acks === 0) {
        let failure: unknown = null;
        try {
          conn.sendOneWay(API_KEYS.Produce, body);
        } catch (err) {
          failure = err;
        }
        for (const u of inRequest) this.requestSettled(u, i, -1, failure);
        continue;
      }
      const batchIndex = i;
      conn.request<ProduceResponse>(API_KEYS.Produce, body).then(
        (res) => this.onProduceResponse(inRequest, batchIndex, res),
        (err: unknown) => {
          for (const u of inRequest) this.requestSettled(u, batchIndex, -1, err);
          this.drain();
        },
      );
    }
  }

  private onProduceResponse(units: Unit[], batchIndex: number, res: ProduceResponse): void {
    for (const u of units) {
      const t = res.responses.find((r) => r.name === u.part.topic.name);
      const p = t?.partitionResponses.find((r) => r.index === u.part.index);
      if (p === undefined) {
        this.requestSettled(u, batchIndex, -1, kafkaError(ErrorCode.NETWORK_EXCEPTION, `produce ${u.part.topic.name}-${u.part.index}`, 'no answer for the partition'));
      } else if (p.errorCode === ErrorCode.NONE || p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER) {
        this.requestSettled(u, batchIndex, p.baseOffset, null);
      } else {
        this.requestSettled(u, batchIndex, -1, kafkaError(p.errorCode, `produce ${u.part.topic.name}-${u.part.index}`, p.errorMessage));
      }
    }
    this.drain();
  }

  /** One request's answer for one unit; the unit is done (or retried/failed as a whole) when its last request is answered. */
  private requestSettled(u: Unit, batchIndex: number, baseOffset: number, failure: unknown): void {
    if (failure !== null && u.failure === null) u.failure = failure;
    u.baseOffsets[batchIndex] = baseOffset;
    if (--u.pending > 0) return;
    if (u.failure !== null) this.unitFailed(u, u.failure);
    else this.unitDone(u);
  }

  private unitDone(u: Unit): void {
    const part = u.part;
    if (part.inFlight === u) part.inFlight = null;
    const topic = part.topic.name;
    for (let bi = 0; bi < u.batches.length; bi++) {
      const b = u.batches[bi]!;
      // Each batch has its own base offset: another producer's batch may sit between two requests.
      const baseOffset = u.baseOffsets[bi]!;
      let offset = baseOffset;
      for (let r = 0; r < b.runCalls.length; r++) {
        const call = b.runCalls[r]!;
        const start = b.runStarts[r]!;
        const count = b.runCounts[r]!;
        if (!call.settled) {
          const results = call.results;
          for (let i = 0; i < count; i++) results[start + i] = { topic, partition: part.index, offset: baseOffset < 0 ? -1 : offset + i };
          call.remaining -= count;
          if (call.remaining === 0) {
            call.settled = true;
            call.resolve(results);
          }
        }
        offset += count;
      }
      this.release(b);
    }
    if (part.open !== null || part.ready.length > 0) this.dirty.add(part);
  }

  private unitFailed(u: Unit, err: unknown): void {
    const part = u.part;
    if (part.inFlight === u) part.inFlight = null;
    const error = err instanceof Error ? err : new Error(String(err));
    const code = error instanceof KafkaError ? error.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    u.attempts++;
    const oldestMs = u.batches[0]!.createdMs;
    const nowMs = Date.now();
    if (isRetriable(code) && !this.closedForGood() && u.attempts <= this.retries && nowMs - oldestMs < this.deliveryTimeoutMs) {
      part.retry = u;
      part.retryAtMs = nowMs + Math.min(RETRY_BACKOFF_MAX_MS, this.retryBackoffMs * 2 ** (u.attempts - 1));
      this.dirty.add(part);
      const leaderMoved = code === ErrorCode.NOT_LEADER_OR_FOLLOWER || code === ErrorCode.LEADER_NOT_AVAILABLE;
      const connectionLost = code === ErrorCode.NETWORK_EXCEPTION || code === ErrorCode.REQUEST_TIMED_OUT;
      if (this.cluster.multiBroker && (leaderMoved || connectionLost)) this.cluster.forgetLeader(part.topic.name, part.index);
      if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || leaderMoved || (connectionLost && this.cluster.multiBroker)) {
        this.loadTopic(part.topic.name).catch(() => {});
      }
      this.scheduleTimer(part.retryAtMs);
      return;
    }
    // The outcome of this unit is unknown or refused: a new epoch keeps later sequences
    // valid. A fixed identity keeps its epoch: its owner decides how to go on.
    if (this.idempotent && !this.fixedIdentity) this.bumpEpoch = true;
    for (const b of u.batches) this.failBatch(b, error);
    if (part.open !== null || part.ready.length > 0) this.dirty.add(part);
  }

  private closedForGood(): boolean {
    return this.closed && this.flushWaiters.length === 0;
  }

  private failBatch(b: Batch, err: Error): void {
    for (const call of b.runCalls) {
      if (call.settled) continue;
      call.settled = true;
      call.reject(err);
    }
    this.release(b);
  }

  /** Fails batches that waited past deliveryTimeoutMs without being sent (e.g. no connection). */
  private expireBatches(nowMs: number): void {
    const err = this.lastError ?? new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'delivery timed out');
    for (const part of this.dirty) {
      if (part.inFlight !== null || part.retry !== null) continue;
      let expired = 0;
      while (expired < part.ready.length && nowMs - part.ready[expired]!.createdMs >= this.deliveryTimeoutMs) expired++;
      for (const b of part.ready.splice(0, expired)) this.failBatch(b, err);
      if (part.ready.length === 0 && part.open !== null && nowMs - part.open.createdMs >= this.deliveryTimeoutMs) {
        const b = part.open;
        part.open = null;
        this.failBatch(b, err);
      }
      if (part.open === null && part.ready.length === 0) this.dirty.delete(part);
    }
  }

  private release(b: Batch): void {
    if (b.released) return;
    b.released = true;
    this.memoryBytes -= b.memoryBytes;
    this.pendingRecords -= b.builder.count;
    if (this.memoryBytes < this.bufferMemoryBytes && this.memoryWaiters.length > 0) for (const w of this.memoryWaiters.splice(0)) w();
    if (this.pendingRecords === 0 && this.flushWaiters.length > 0) {
      for (const w of this.flushWaiters.splice(0)) w.resolve();
    }
  }
}
