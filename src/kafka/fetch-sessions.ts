// Fetch sessions (KIP-227): the broker-wide cache of incremental fetch sessions, after
// Kafka's FetchSession.scala (FetchSessionCacheShard, CachedPartition). A session
// remembers, per partition, what its fetcher last asked (fetch offset, max bytes) and
// what it was last told (high watermark, last stable offset, log start offset), so an
// incremental Fetch names only the partitions whose request changed and is answered
// only with the partitions that have something new.
// Bounds: at most `slots` sessions (max.incremental.fetch.session.cache.slots) and at
// most `maxCachedPartitions` partitions over all of them. Eviction is Kafka's rule for
// consumers (every Samsa fetcher is one; followers' privileged sessions do not exist on
// a single node): a new session may take the slot of the least recently used session
// when that one is stale (unused longer than evictionMs), else of the smallest session
// older than evictionMs if the new one has more partitions. Stale sessions are also
// dropped whenever the cache is used (Kafka leaves them until a slot is wanted), so a
// fetcher that went quiet holds no memory for long.
// Owns: sessions, their ids, epochs, cached partitions and the counters /metrics shows.
// Must not read the log or know the wire format (01-fetch.ts does).

import { invariantFailed } from '../wire/assert.js';
import { LinkedMap } from './linked-map.js';

/** Kafka's FetchMetadata constants. */
export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;

/** Kafka's max.incremental.fetch.session.cache.slots default. */
export const DEFAULT_FETCH_SESSION_SLOTS = 1000;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: a session unused this long is stale. */
export const DEFAULT_FETCH_SESSION_EVICTION_MS = 120_000;
/**
 * Partitions cached over all sessions (Kafka has no such bound): a cached partition
 * costs a couple of hundred bytes, so this keeps the cache under ~100 MB whatever
 * clients send. A session that would pass it is not created (the fetch is answered
 * sessionless) or, when an incremental request grows it past, is closed.
 */
export const DEFAULT_MAX_CACHED_PARTITIONS = 500_000;

/** Kafka's FetchMetadata.nextEpoch. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/** One partition of a session: the fetcher's last request and what it was last answered. */
export interface CachedPartition {
  /** Topic name (sessions by name), or '' until resolved (sessions by topic id). */
  readonly topic: string;
  /** Topic id, hex (sessions by id; the zero id otherwise). */
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: number;
  maxBytes: number;
  /** -1 until answered, and after an error (so the partition is answered when it clears). */
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
}

export function partitionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}\u0000${partition}`;
}

export class FetchSession {
  epoch: number;
  lastUsedMs: number;
  /** Partitions in fetch order: one answered with records moves to the end (Kafka's fairness). */
  readonly partitions: LinkedMap<string, CachedPartition>;
  /** Size counted in the cache's total (kept in step by the cache). */
  countedSize = 0;

  constructor(
    readonly id: number,
    readonly usesTopicIds: boolean,
    readonly createdMs: number,
    partitions: LinkedMap<string, CachedPartition>,
  ) {
    this.epoch = nextEpoch(INITIAL_EPOCH);
    this.lastUsedMs = createdMs;
    this.partitions = partitions;
  }
}

export interface FetchSessionCacheOptions {
  /** max.incremental.fetch.session.cache.slots (0: no sessions). */
  slots?: number;
  evictionMs?: number;
  maxCachedPartitions?: number;
  /** Clock (tests pass their own to age sessions without waiting). */
  nowMs?: () => number;
}

export class FetchSessionCache {
  readonly slots: number;
  readonly evictionMs: number;
  readonly maxCachedPartitions: number;
  private readonly now: () => number;
  /** By id, in least-recently-used order (a use moves a session to the end). */
  private readonly sessions = new LinkedMap<number, FetchSession>();
  private cachedPartitionsNow = 0;

  /** Counters for /metrics. */
  readonly totals = {
    /** Fetches answered within an existing session. */
    incrementalFetches: 0,
    /** Full fetches (epoch 0) that created a session. */
    sessionsCreated: 0,
    /** Full fetches (epoch 0) that found no room for a session and were answered sessionless. */
    sessionsRefused: 0,
    /** Sessions removed to make room (stale or smaller ones) or because they went quiet. */
    evictions: 0,
    /** Fetches answered FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH or FETCH_SESSION_TOPIC_ID_ERROR. */
    sessionErrors: 0,
  };

  constructor(opts: FetchSessionCacheOptions = {}) {
    this.slots = opts.slots ?? DEFAULT_FETCH_SESSION_SLOTS;
    this.evictionMs = opts.evictionMs ?? DEFAULT_FETCH_SESSION_EVICTION_MS;
    this.maxCachedPartitions = opts.maxCachedPartitions ?? DEFAULT_MAX_CACHED_PARTITIONS;
    this.now = opts.nowMs ?? Date.now;
    if (!Number.isInteger(this.slots) || this.slots < 0) throw new RangeError(`fetch session slots must be an integer ≥ 0, got ${this.slots}`);
  }

  get size(): number {
    return this.sessions.size;
  }

  get cachedPartitions(): number {
    return this.cachedPartitionsNow;
  }

  get(id: number): FetchSession | undefined {
    this.dropStale();
    return this.sessions.get(id);
  }

  remove(id: number): boolean {
    const s = this.sessions.get(id);
    if (s === undefined) return false;
    this.sessions.delete(id);
    this.cachedPartitionsNow -= s.countedSize;
    s.countedSize = 0;
    return true;
  }

  /**
   * Marks a session used now (it moves to the most recently used end) and brings its
   * size into the total. False when the session no longer fits maxCachedPartitions:
   * it has been removed then.
   */
  touch(s: FetchSession): boolean {
    if (this.sessions.get(s.id) !== s) return false;
    const grown = s.partitions.size - s.countedSize;
    if (this.cachedPartitionsNow + grown > this.maxCachedPartitions) {
      this.remove(s.id);
      return false;
    }
    this.cachedPartitionsNow += grown;
    s.countedSize = s.partitions.size;
    s.lastUsedMs = this.now();
    this.sessions.moveToEnd(s.id);
    return true;
  }

  /**
   * Creates a session of `size` partitions (built by `build`) when there is a free
   * slot, or one can be freed by Kafka's rule; null otherwise.
   */
  maybeCreate(size: number, usesTopicIds: boolean, build: () => LinkedMap<string, CachedPartition>): FetchSession | null {
    this.dropStale();
    const now = this.now();
    const fits = this.slots > 0 && size <= this.maxCachedPartitions && (this.sessions.size < this.slots || this.tryEvict(size, now));
    if (!fits || this.cachedPartitionsNow + size > this.maxCachedPartitions) {
      this.totals.sessionsRefused++;
      return null;
    }
    const s = new FetchSession(this.newId(), usesTopicIds, now, build());
    this.sessions.set(s.id, s);
    s.countedSize = s.partitions.size;
    this.cachedPartitionsNow += s.countedSize;
    this.totals.sessionsCreated++;
    return s;
  }

  /** Removes sessions unused for longer than evictionMs (from the least recently used end). */
  private dropStale(): void {
    const now = this.now();
    // Each step removes one session: bounded by the number of sessions.
    for (const s of this.sessions.values()) {
      if (now - s.lastUsedMs <= this.evictionMs) break;
      this.remove(s.id);
      this.totals.evictions++;
    }
  }

  /**
   * Kafka's tryEvict for an unprivileged session: the smallest session created more
   * than evictionMs ago (ties: the lowest id) goes if the new one is larger.
   */
  private tryEvict(size: number, now: number): boolean {
    let victim: FetchSession | null = null;
    for (const s of this.sessions.values()) {
      if (now - s.createdMs <= this.evictionMs) continue;
      if (victim === null || s.partitions.size < victim.partitions.size || (s.partitions.size === victim.partitions.size && s.id < victim.id)) victim = s;
    }
    // Kafka compares (size, id) with the new session's id as 0: an equal size never wins.
    if (victim === null || size <= victim.partitions.size) return false;
    this.remove(victim.id);
    this.totals.evictions++;
    return true;
  }

  /** A random positive id not in use (Kafka's newSessionId). */
  private newId(): number {
    // The cache holds at most `slots` ids of 2^31 - 1: a free one is found at once almost always.
    for (let i = 0; i < 1000; i++) {
      const id = 1 + Math.floor(Math.random() * 0x7ffffffe);
      if (!this.sessions.has(id)) return id;
    }
    return invariantFailed('no free fetch session id in 1000 draws');
  }
}
