// The consumer: reads assigned partitions from positions it owns (no group, no
// commits: Samsa's consumers own their offsets), by long-poll Fetch, and delivers
// records through an async iterator or a callback loop. Owns: the assignment,
// positions and seeks, the fetch loop with one fetch in flight per broker (one in
// all for a single broker; a cluster's partitions are fetched from their leaders,
// see cluster.ts) and a bounded number of fetched responses waiting to be decoded,
// offset reset on OFFSET_OUT_OF_RANGE, and close. Must not import Node built-ins.
//
// Why decode at delivery: the next fetch offset of a partition is known from batch
// headers alone (scanBatches), so the next Fetch goes out as soon as a response
// arrives, and decoding overlaps the broker's work on it. A seek bumps the
// partition's epoch; fetched data from before the seek is dropped at delivery.
//
// Fetch sessions (KIP-227), per broker, as Kafka's FetchSessionHandler: the first
// Fetch is full and asks for a session (epoch 0); once the broker gives one, each
// Fetch names only partitions that are new or whose offset or bound changed, and
// forgets those no longer fetched; the answer carries only partitions with something
// new. FETCH_SESSION_ID_NOT_FOUND starts over; any other failure closes the session
// with the next full Fetch (same id, epoch 0).

import type { FetchRequest, FetchResponse } from '../wire/schemas/01-fetch.js';
import type { ListOffsetsResponse } from '../wire/schemas/02-list-offsets.js';
import { API_KEYS, type Connection, type ConnectionOptions } from './connection.js';
import { Cluster, UNKNOWN_NODE } from './cluster.js';
import { ClientClosedError, ErrorCode, KafkaError, isRetriableError, kafkaError } from './errors.js';
import { DECOMPRESSED_BYTES_MAX_DEFAULT, type DecodeOptions, type Message, decodeMessages, scanBatches } from '../wire/records.js';

export type { Message, RecordHeader } from '../wire/records.js';

export type OffsetResetPolicy = 'earliest' | 'latest' | 'error';
export type SeekTarget = number | 'earliest' | 'latest' | { timestamp: number };

export interface ConsumerOptions extends ConnectionOptions {
  /** Long-poll: how long the broker may hold a Fetch waiting for minBytes. Default 500. */
  maxWaitMs?: number;
  /** Default 1. */
  minBytes?: number;
  /** Bytes per Fetch response (the first batch may exceed it: Kafka's rule). Default 50 MiB. */
  maxBytes?: number;
  /** Bytes per partition per Fetch. Default 1 MiB. */
  maxPartitionBytes?: number;
  /** Where a partition without a position starts, and what OFFSET_OUT_OF_RANGE does. Default 'latest'. */
  autoOffsetReset?: OffsetResetPolicy;
  /** Check batch CRC-32Cs (Kafka's check.crcs). Default true. */
  checkCrcs?: boolean;
  /** Fetched responses waiting for delivery, at most. Default 2. */
  maxBufferedFetches?: number;
  /** Backoff after a failed fetch. Default 100 ms. */
  retryBackoffMs?: number;
  /** Bound on one decompressed batch. Default 256 MiB. */
  maxDecompressedBytes?: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** An assignment entry: one partition, or every partition of a topic when `partition` is absent. */
export interface AssignEntry {
  topic: string;
  partition?: number;
}

export interface EachBatchPayload {
  topic: string;
  partition: number;
  messages: Message[];
  /** High watermark seen by the fetch that returned these messages. */
  highWatermark: number;
}

export interface RunOptions {
  eachMessage?: (message: Message) => void | Promise<void>;
  eachBatch?: (batch: EachBatchPayload) => void | Promise<void>;
}

interface PartitionState {
  topic: string;
  partition: number;
  /** Next offset to fetch; -1 = to be resolved from `reset`. */
  fetchOffset: number;
  /** Next offset to deliver. */
  position: number;
  /** Where to go when fetchOffset is -1. */
  reset: 'earliest' | 'latest' | { timestamp: number } | null;
  epoch: number;
  highWatermark: number;
  backoffUntilMs: number;
  partitionMaxBytes: number;
  /** A Fetch naming this partition is out (at most one at a time, so data arrives in order). */
  inFlight: boolean;
}

/** One partition's bytes from one Fetch, not yet decoded. */
interface Fetched {
  part: PartitionState;
  epoch: number;
  fromOffset: number;
  nextOffset: number;
  highWatermark: number;
  records: Uint8Array;
  /** Byte position in `records` of the next batch to decode. */
  pos: number;
}

/**
 * One broker's fetch session as this consumer last left it (Kafka's
 * FetchSessionHandler): id 0 = none; epoch 0 = the next Fetch is full (and asks for a
 * session); otherwise the next incremental Fetch's epoch, and `partitions` holds what
 * the broker's session holds (offset and bound as last sent).
 */
interface FetchSessionState {
  id: number;
  epoch: number;
  partitions: Map<string, { topic: string; partition: number; fetchOffset: number; maxBytes: number }>;
}

/** A Fetch about to go out and what its session becomes if the answer is good. */
interface PlannedFetch {
  request: FetchRequest;
  full: boolean;
  next: FetchSessionState['partitions'];
}

const SIZE_GROWTH_MAX = 8;
/** Messages decoded at a time (about ten 16 KiB batches of 100-byte records). */
const DECODE_CHUNK_MESSAGES = 1024;
const EARLIEST = -2;
const LATEST = -1;

const ZERO_TOPIC_ID = '00000000000000000000000000000000';

function isSessionError(code: number): boolean {
  return code === ErrorCode.FETCH_SESSION_ID_NOT_FOUND || code === ErrorCode.INVALID_FETCH_SESSION_EPOCH || code === ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR;
}

/** Kafka's FetchMetadata.nextEpoch (wraps to 1, never to 0, the epoch that asks for a new session). */
function nextSessionEpoch(epoch: number): number {
  return epoch >= 0x7fffffff ? 1 : epoch + 1;
}

function positive(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

export class Consumer implements AsyncIterable<Message> {
  private readonly cluster: Cluster;
  private readonly maxWaitMs: number;
  private readonly minBytes: number;
  private readonly maxBytes: number;
  private readonly maxPartitionBytes: number;
  private readonly resetPolicy: OffsetResetPolicy;
  private readonly decodeOptions: DecodeOptions;
  private readonly maxBufferedFetches: number;
  private readonly retryBackoffMs: number;

  private readonly parts = new Map<string, PartitionState>();
  /** Fetched partitions waiting for delivery (bounded by maxBufferedFetches responses). */
  private readonly fetched: Fetched[][] = [];
  /** Decoded messages being delivered, and the next index. */
  private current: Message[] = [];
  private currentIndex = 0;
  private currentBatch: { part: PartitionState; epoch: number; highWatermark: number } | null = null;
  private loopRunning = false;
  private wakeDelivery: (() => void) | null = null;
  private wakeLoop: (() => void) | null = null;
  private wakeRequested = false;
  private failure: Error | null = null;
  /** A fetch response handler failed for good: the loop throws it. */
  private loopFailure: Error | null = null;
  /** Fetch requests out, at most one per broker. */
  private readonly fetchingNodes = new Set<number>();
  /** Fetch sessions (KIP-227), per broker: incremental Fetches name only what changed. */
  private readonly sessions = new Map<number, FetchSessionState>();
  private closed = false;
  private running = false;

  constructor(options: ConsumerOptions) {
    this.cluster = new Cluster(options);
    this.maxWaitMs = positive('maxWaitMs', options.maxWaitMs ?? 500, 0);
    this.minBytes = positive('minBytes', options.minBytes ?? 1, 0);
    this.maxBytes = positive('maxBytes', options.maxBytes ?? 50 * 1024 * 1024);
    this.maxPartitionBytes = positive('maxPartitionBytes', options.maxPartitionBytes ?? 1024 * 1024);
    this.resetPolicy = options.autoOffsetReset ?? 'latest';
    if (!['earliest', 'latest', 'error'].includes(this.resetPolicy)) throw new RangeError(`autoOffsetReset must be earliest, latest or error`);
    this.decodeOptions = {
      verifyCrc: options.checkCrcs ?? true,
      maxDecompressedBytes: positive('maxDecompressedBytes', options.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT),
    };
    this.maxBufferedFetches = positive('maxBufferedFetches', options.maxBufferedFetches ?? 2);
    this.retryBackoffMs = positive('retryBackoffMs', options.retryBackoffMs ?? 100, 0);
  }

  private static keyOf(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /**
   * Replaces the assignment. An entry without `partition` takes every partition the
   * topic has now. Partitions already assigned keep their positions; new ones start
   * at `autoOffsetReset` unless seek() says otherwise.
   */
  async assign(entries: readonly AssignEntry[]): Promise<void> {
    if (this.closed) throw new ClientClosedError('consumer');
    const wanted: TopicPartition[] = [];
    const whole = entries.filter((e) => e.partition === undefined).map((e) => e.topic);
    if (whole.length > 0) {
      const md = await this.cluster.metadata(whole, false);
      for (const name of whole) {
        const t = md.topics.find((x) => x.name === name);
        if (t === undefined || t.errorCode !== ErrorCode.NONE) {
          throw kafkaError(t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `assign ${name}`);
        }
        for (const p of t.partitions) wanted.push({ topic: name, partition: p.partition });
      }
    }
    for (const e of entries) {
      if (e.partition === undefined) continue;
      if (typeof e.topic !== 'string' || !Number.isInteger(e.partition) || e.partition < 0) throw new TypeError(`bad assignment ${JSON.stringify(e)}`);
      wanted.push({ topic: e.topic, partition: e.partition });
    }
    const keep = new Set(wanted.map((tp) => Consumer.keyOf(tp.topic, tp.partition)));
    for (const [k, st] of this.parts) {
      if (!keep.has(k)) {
        st.epoch++; // drops its fetched data at delivery
        this.parts.delete(k);
      }
    }
    for (const tp of wanted) {
      const k = Consumer.keyOf(tp.topic, tp.partition);
      if (this.parts.has(k)) continue;
      this.parts.set(k, {
        topic: tp.topic,
        partition: tp.partition,
        fetchOffset: -1,
        position: -1,
        reset: this.resetPolicy === 'earliest' ? 'earliest' : 'latest',
        epoch: 0,
        highWatermark: -1,
        backoffUntilMs: 0,
        partitionMaxBytes: this.maxPartitionBytes,
        inFlight: false,
      });
    }
    this.wake();
  }

  /** The current assignment. */
  assignment(): TopicPartition[] {
    return [...this.parts.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  }

  /**
   * Moves a partition's position: an offset, 'earliest', 'latest', or the first
   * offset whose timestamp is at least `timestamp` (the end when there is none).
   * Records fetched before the seek are not delivered. Resolves once the position
   * is known.
   */
  async seek(topic: string, partition: number, target: SeekTarget): Promise<void> {
    if (this.closed) throw new ClientClosedError('consumer');
    const st = this.parts.get(Consumer.keyOf(topic, partition));
    if (st === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `seek ${topic}-${partition}`, 'not assigned');
    let offset: number;
    if (typeof target === 'number') {
      if (!Number.isSafeInteger(target) || target < 0) throw new RangeError(`seek offset ${target}`);
      offset = target;
    } else {
      if (typeof target === 'object' && !(Number.isSafeInteger(target.timestamp) && target.timestamp >= 0)) {
        throw new RangeError(`seek timestamp ${String(target.timestamp)}`);
      }
      offset = await this.lookupOffset(st, target);
    }
    st.epoch++;
    st.fetchOffset = offset;
    st.position = offset;
    st.reset = null;
    st.backoffUntilMs = 0;
    this.wake();
  }

  /** Next offset to be delivered for a partition (-1 while unresolved). */
  position(topic: string, partition: number): number {
    return this.parts.get(Consumer.keyOf(topic, partition))?.position ?? -1;
  }

  /** A connection to a partition's leader (reading metadata first when it is not known). */
  private async leaderConnection(topic: string, partition: number): Promise<Connection> {
    let node = this.cluster.leaderNode(topic, partition);
    if (node === UNKNOWN_NODE) {
      await this.cluster.metadata([topic], false);
      node = this.cluster.leaderNode(topic, partition);
      if (node === UNKNOWN_NODE) throw kafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `leader of ${topic}-${partition}`);
    }
    return this.cluster.node(node);
  }

  private async lookupOffset(st: PartitionState, target: 'earliest' | 'latest' | { timestamp: number }): Promise<number> {
    const conn = await this.leaderConnection(st.topic, st.partition);
    const timestamp = target === 'earliest' ? EARLIEST : target === 'latest' ? LATEST : target.timestamp;
    const res = await conn.request<ListOffsetsResponse>(API_KEYS.ListOffsets, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: st.topic, partitions: [{ partitionIndex: st.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
    });
    const p = res.topics.find((t) => t.name === st.topic)?.partitions.find((x) => x.partitionIndex === st.partition);
    if (p === undefined) throw kafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `list offsets ${st.topic}-${st.partition}`);
    if (p.errorCode !== ErrorCode.NONE) {
      if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.cluster.forgetLeader(st.topic, st.partition);
      throw kafkaError(p.errorCode, `list offsets ${st.topic}-${st.partition}`);
    }
    const offset = conn.version(API_KEYS.ListOffsets) === 0 ? (p.oldStyleOffsets[0] ?? -1) : p.offset;
    // No record at or after the timestamp: Kafka's consumer then goes to the end.
    if (offset < 0) return typeof target === 'object' ? this.lookupOffset(st, 'latest') : 0;
    return offset;
  }

  // ------------------------------------------------------------------ delivery

  [Symbol.asyncIterator](): AsyncIterator<Message> {
    this.startLoop();
    return {
      next: () => this.nextMessage(),
      // Leaving a for-await loop early does not close the consumer: it may seek and
      // iterate again; close() ends every iteration.
      return: () => Promise.resolve({ done: true, value: undefined }),
    };
  }

  private nextMessage(): Promise<IteratorResult<Message>> {
    const m = this.takeMessage();
    if (m !== null) return Promise.resolve({ done: false, value: m });
    return this.nextMessageSlow();
  }

  private async nextMessageSlow(): Promise<IteratorResult<Message>> {
    for (;;) {
      const m = this.takeMessage();
      if (m !== null) return { done: false, value: m };
      if (this.closed) return { done: true, value: undefined };
      await this.waitForData();
    }
  }

  /** The next message from decoded data, decoding the next fetched partition when needed; null when none is ready. */
  private takeMessage(): Message | null {
    for (;;) {
      if (this.failure !== null) {
        const f = this.failure;
        this.failure = null;
        throw f;
      }
      const b = this.currentBatch;
      if (b !== null && this.currentIndex < this.current.length) {
        if (b.epoch !== b.part.epoch) {
          this.current = [];
          continue;
        }
        const m = this.current[this.currentIndex++]!;
        b.part.position = m.offset + 1;
        return m;
      }
      if (!this.decodeNext()) return null;
    }
  }

  /**
   * Decodes the next few batches of the oldest fetched partition into `current`
   * (DECODE_CHUNK_MESSAGES at a time, so decoded messages die young); false when
   * nothing waits.
   */
  private decodeNext(): boolean {
    // Each pass consumes a fetched partition or some of its batches: bounded by the fetched bytes.
    for (;;) {
      const response = this.fetched[0];
      if (response === undefined) return false;
      const f = response[0];
      if (f === undefined || f.epoch !== f.part.epoch || !this.parts.has(Consumer.keyOf(f.part.topic, f.part.partition))) {
        this.dropFetched(response);
        continue;
      }
      const out: Message[] = [];
      f.pos = decodeMessages(f.records, f.part.topic, f.part.partition, f.fromOffset, this.decodeOptions, out, f.pos, DECODE_CHUNK_MESSAGES);
      if (f.pos >= f.records.length) this.dropFetched(response);
      if (out.length === 0) {
        // Nothing to deliver (control batches only): the position still moves past them.
        if (f.pos >= f.records.length && f.part.position < f.nextOffset) f.part.position = f.nextOffset;
        continue;
      }
      this.current = out;
      this.currentIndex = 0;
      this.currentBatch = { part: f.part, epoch: f.epoch, highWatermark: f.highWatermark };
      return true;
    }
  }

  /** Removes the first fetched partition of `response` (and the response when it is empty). */
  private dropFetched(response: Fetched[]): void {
    response.shift();
    if (response.length === 0) {
      this.fetched.shift();
      this.wake(); // room for another fetch
    }
  }

  private waitForData(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wakeDelivery = resolve;
    });
  }

  private notifyDelivery(): void {
    const w = this.wakeDelivery;
    this.wakeDelivery = null;
    w?.();
  }

  /**
   * Calls eachMessage (or eachBatch) for every record until close(); awaits the
   * callback only when it returns a promise. Rejects on a fetch error that cannot be
   * retried (e.g. OFFSET_OUT_OF_RANGE with autoOffsetReset 'error') or a throwing callback.
   */
  async run(opts: RunOptions): Promise<void> {
    if (opts.eachMessage === undefined && opts.eachBatch === undefined) throw new TypeError('run needs eachMessage or eachBatch');
    if (this.running) throw new Error('consumer is already running');
    this.running = true;
    this.startLoop();
    try {
      for (;;) {
        if (this.failure !== null) {
          const f = this.failure;
          this.failure = null;
          throw f;
        }
        if (this.closed) return;
        if (this.currentIndex >= this.current.length && !this.decodeNext()) {
          await this.waitForData();
          continue;
        }
        const b = this.currentBatch!;
        if (b.epoch !== b.part.epoch) {
          this.current = [];
          continue;
        }
        if (opts.eachBatch !== undefined) {
          const messages = this.currentIndex === 0 ? this.current : this.current.slice(this.currentIndex);
          this.currentIndex = this.current.length;
          const r = opts.eachBatch({ topic: b.part.topic, partition: b.part.partition, messages, highWatermark: b.highWatermark });
          if (r !== undefined) await r;
          if (b.epoch === b.part.epoch && messages.length > 0) b.part.position = messages[messages.length - 1]!.offset + 1;
          continue;
        }
        const each = opts.eachMessage!;
        const msgs = this.current;
        const part = b.part;
        // Deliver the decoded run; a seek (epoch change) inside a callback stops it.
        while (this.currentIndex < msgs.length && b.epoch === part.epoch && !this.closed) {
          const m = msgs[this.currentIndex++]!;
          part.position = m.offset + 1;
          const r = each(m);
          if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** Stops fetching, ends the iterator and run(), and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cluster.close();
    this.wake();
    this.notifyDelivery();
  }

  // ------------------------------------------------------------------ fetch loop

  private startLoop(): void {
    if (this.loopRunning || this.closed) return;
    this.loopRunning = true;
    this.fetchLoop()
      .catch((err: unknown) => {
        this.failure = err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.loopRunning = false;
        this.notifyDelivery();
      });
  }

  /** Wakes the fetch loop now, or makes its next sleep return at once (a wake while it was busy is not lost). */
  private wake(): void {
    if (this.wakeLoop !== null) this.wakeLoop();
    else this.wakeRequested = true;
  }

  private sleepLoop(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wakeLoop = null;
        resolve();
      }, ms);
      this.wakeLoop = () => {
        clearTimeout(t);
        this.wakeLoop = null;
        resolve();
      };
    });
  }


  /**
   * Keeps one Fetch out per broker that leads assigned partitions (one broker: one
   * Fetch), as long as fewer than maxBufferedFetches responses wait for delivery.
   */
  private async fetchLoop(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (this.loopFailure !== null) throw this.loopFailure;
      if (this.fetched.length >= this.maxBufferedFetches) {
        await this.sleepLoop(this.maxWaitMs + 1000);
        continue;
      }
      try {
        await this.cluster.any();
        await this.resolvePositions();
      } catch (err) {
        if (this.closed) return;
        if (!isRetriableError(err)) throw err;
        await this.sleepLoop(this.retryBackoffMs);
        continue;
      }
      const nowMs = Date.now();
      const byNode = new Map<number, PartitionState[]>();
      let soonestMs = Infinity;
      let unknownLeaders: string[] = [];
      for (const st of this.parts.values()) {
        if (st.fetchOffset < 0 || st.inFlight) continue;
        if (st.backoffUntilMs > nowMs) {
          soonestMs = Math.min(soonestMs, st.backoffUntilMs);
          continue;
        }
        const node = this.cluster.leaderNode(st.topic, st.partition);
        if (node === UNKNOWN_NODE) {
          unknownLeaders.push(st.topic);
          continue;
        }
        if (this.fetchingNodes.has(node)) continue;
        let list = byNode.get(node);
        if (list === undefined) byNode.set(node, (list = []));
        list.push(st);
      }
      if (unknownLeaders.length > 0) {
        unknownLeaders = [...new Set(unknownLeaders)];
        try {
          await this.cluster.metadata(unknownLeaders, false);
        } catch (err) {
          if (this.closed) return;
          if (!isRetriableError(err)) throw err;
          await this.sleepLoop(this.retryBackoffMs);
        }
        continue;
      }
      for (const [node, slots] of byNode) {
        const conn = this.cluster.peekNode(node);
        if (conn === null) {
          try {
            await this.cluster.node(node);
          } catch (err) {
            if (this.closed) return;
            if (!isRetriableError(err)) throw err;
            // The broker may be gone: back off its partitions and learn their new leaders.
            for (const st of slots) {
              st.backoffUntilMs = Date.now() + this.retryBackoffMs;
              this.cluster.forgetLeader(st.topic, st.partition);
            }
          }
          continue;
        }
        this.startFetch(node, conn, slots);
      }
      if (this.fetchingNodes.size === 0 && byNode.size === 0) {
        await this.sleepLoop(soonestMs === Infinity ? 1000 : Math.max(1, soonestMs - nowMs));
        continue;
      }
      // Woken by a response, a seek, an assignment or close.
      if (this.fetchingNodes.size > 0) await this.sleepLoop(this.maxWaitMs + 1000);
    }
  }

  /** Sends one Fetch to a broker for `slots`; its answer is queued for delivery and wakes the loop. */
  private startFetch(node: number, conn: Connection, slots: PartitionState[]): void {
    const epochs = slots.map((s) => s.epoch);
    const offsets = slots.map((s) => s.fetchOffset);
    const plan = this.planFetch(node, slots);
    this.fetchingNodes.add(node);
    for (const st of slots) st.inFlight = true;
    conn
      .request<FetchResponse>(API_KEYS.Fetch, plan.request, { extraTimeoutMs: this.maxWaitMs })
      .then(
        (res) => {
          if (this.closed) return;
          if (res.errorCode !== ErrorCode.NONE) {
            this.sessionFailed(node, res.errorCode);
            if (isSessionError(res.errorCode)) return; // the next Fetch is a full one
            if (!isRetriableError(new KafkaError(res.errorCode, ''))) throw kafkaError(res.errorCode, 'fetch');
            this.backOff(slots);
            return;
          }
          this.sessionAnswered(node, plan, res.sessionId);
          this.onFetchResponse(res, slots, epochs, offsets);
        },
        (err: unknown) => {
          if (this.closed) return;
          this.sessionFailed(node, ErrorCode.NETWORK_EXCEPTION);
          if (!isRetriableError(err)) throw err;
          this.backOff(slots);
          if (this.cluster.multiBroker) for (const st of slots) this.cluster.forgetLeader(st.topic, st.partition);
        },
      )
      .catch((err: unknown) => {
        this.loopFailure ??= err instanceof Error ? err : new Error(String(err));
      })
      .finally(() => {
        this.fetchingNodes.delete(node);
        for (const st of slots) st.inFlight = false;
        this.wake();
      });
  }

  /**
   * The Fetch for `slots` within the broker's session: a full one (epoch 0, asking for
   * a session) when there is none, else an incremental one naming the partitions that
   * are new or whose offset or bound changed, and forgetting those no longer fetched.
   */
  private planFetch(node: number, slots: readonly PartitionState[]): PlannedFetch {
    const session = this.sessions.get(node) ?? { id: 0, epoch: 0, partitions: new Map() };
    const full = session.id === 0 || session.epoch === 0;
    const next: FetchSessionState['partitions'] = new Map();
    const send: PartitionState[] = [];
    for (const st of slots) {
      const key = Consumer.keyOf(st.topic, st.partition);
      next.set(key, { topic: st.topic, partition: st.partition, fetchOffset: st.fetchOffset, maxBytes: st.partitionMaxBytes });
      const had = session.partitions.get(key);
      if (full || had === undefined || had.fetchOffset !== st.fetchOffset || had.maxBytes !== st.partitionMaxBytes) send.push(st);
    }
    const forgotten = new Map<string, number[]>();
    if (!full) {
      for (const [key, p] of session.partitions) {
        if (next.has(key)) continue;
        let list = forgotten.get(p.topic);
        if (list === undefined) forgotten.set(p.topic, (list = []));
        list.push(p.partition);
      }
    }
    const request = this.fetchRequest(send, session.id, full ? 0 : session.epoch);
    request.forgottenTopicsData = [...forgotten].map(([topic, partitions]) => ({ topic, topicId: ZERO_TOPIC_ID, partitions }));
    return { request, full, next };
  }

  /** A good answer: the session is created, goes on, or was closed by the broker (id 0). */
  private sessionAnswered(node: number, plan: PlannedFetch, sessionId: number): void {
    if (sessionId === 0) {
      // No room for a session (or the broker closed it): full Fetches asking for one again.
      this.sessions.delete(node);
      return;
    }
    const epoch = plan.full ? 1 : nextSessionEpoch(plan.request.sessionEpoch);
    this.sessions.set(node, { id: sessionId, epoch, partitions: plan.next });
  }

  /** As Kafka's client: an unknown session starts over; any other failure closes the session with the next full Fetch. */
  private sessionFailed(node: number, errorCode: number): void {
    const session = this.sessions.get(node);
    if (session === undefined) return;
    if (errorCode === ErrorCode.FETCH_SESSION_ID_NOT_FOUND) this.sessions.delete(node);
    else this.sessions.set(node, { id: session.id, epoch: 0, partitions: new Map() });
  }

  private backOff(slots: readonly PartitionState[]): void {
    const until = Date.now() + this.retryBackoffMs;
    for (const st of slots) st.backoffUntilMs = until;
  }

  private fetchRequest(slots: readonly PartitionState[], sessionId: number, sessionEpoch: number): FetchRequest {
    const topics = new Map<string, FetchRequest['topics'][number]>();
    for (const st of slots) {
      let t = topics.get(st.topic);
      if (t === undefined) {
        t = { topic: st.topic, topicId: ZERO_TOPIC_ID, partitions: [] };
        topics.set(st.topic, t);
      }
      t.partitions.push({
        partition: st.partition,
        currentLeaderEpoch: -1,
        fetchOffset: st.fetchOffset,
        lastFetchedEpoch: -1,
        logStartOffset: -1,
        partitionMaxBytes: st.partitionMaxBytes,
      });
    }
    return {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: this.maxWaitMs,
      minBytes: this.minBytes,
      maxBytes: this.maxBytes,
      isolationLevel: 0,
      sessionId,
      sessionEpoch,
      topics: [...topics.values()],
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private onFetchResponse(res: FetchResponse, slots: PartitionState[], epochs: number[], offsets: number[]): void {
    const out: Fetched[] = [];
    const nowMs = Date.now();
    const slotIndex = new Map<string, number>();
    slots.forEach((st, i) => slotIndex.set(Consumer.keyOf(st.topic, st.partition), i));
    for (const t of res.responses) {
      for (const p of t.partitions) {
        const i = slotIndex.get(Consumer.keyOf(t.topic, p.partitionIndex));
        if (i === undefined) continue;
        const st = slots[i]!;
        if (st.epoch !== epochs[i] || st.fetchOffset !== offsets[i]) continue; // seeked meanwhile
        if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          if (this.resetPolicy === 'error') {
            throw kafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `fetch ${st.topic}-${st.partition} at ${st.fetchOffset}`, `log is [${p.logStartOffset}, ${p.highWatermark})`);
          }
          st.epoch++;
          st.fetchOffset = -1;
          st.reset = this.resetPolicy;
          continue;
        }
        if (p.errorCode !== ErrorCode.NONE) {
          if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || p.errorCode === ErrorCode.FENCED_LEADER_EPOCH || p.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
            this.cluster.forgetLeader(st.topic, st.partition);
          }
          if (!isRetriableError(new KafkaError(p.errorCode, '')) && p.errorCode !== ErrorCode.FENCED_LEADER_EPOCH) throw kafkaError(p.errorCode, `fetch ${st.topic}-${st.partition}`);
          st.backoffUntilMs = nowMs + this.retryBackoffMs;
          continue;
        }
        st.highWatermark = p.highWatermark;
        const records = p.records;
        if (records === null || records.length === 0) continue;
        const scan = scanBatches(records);
        if (scan.batches === 0) {
          // Only a partial batch: the broker cut a batch larger than our partition bound.
          // Ask for more next time (bounded growth), as Kafka's consumer does.
          if (st.partitionMaxBytes >= this.maxPartitionBytes * SIZE_GROWTH_MAX) {
            throw kafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, `fetch ${st.topic}-${st.partition} at ${st.fetchOffset}`, 'a batch is larger than maxPartitionBytes allows');
          }
          st.partitionMaxBytes = Math.min(0x7fffffff, st.partitionMaxBytes * 2);
          continue;
        }
        st.partitionMaxBytes = this.maxPartitionBytes;
        if (scan.nextOffset <= st.fetchOffset) continue;
        out.push({ part: st, epoch: st.epoch, fromOffset: st.fetchOffset, nextOffset: scan.nextOffset, highWatermark: p.highWatermark, records, pos: 0 });
        st.fetchOffset = scan.nextOffset;
      }
    }
    if (out.length > 0) {
      this.fetched.push(out);
      this.notifyDelivery();
    }
  }

  /** Resolves partitions without a fetch offset (new, or reset after OFFSET_OUT_OF_RANGE). */
  private async resolvePositions(): Promise<void> {
    for (const st of this.parts.values()) {
      if (st.fetchOffset >= 0 || st.reset === null) continue;
      const epoch = st.epoch;
      const offset = await this.lookupOffset(st, st.reset);
      if (st.epoch !== epoch || st.fetchOffset >= 0) continue; // a seek won meanwhile
      st.fetchOffset = offset;
      st.position = offset;
      st.reset = null;
    }
  }
}
