// Fetch (key 1): serves v4-18 (v4 = first with RecordBatch v2; v12+ flexible; v13+
// names topics by id; v14-18 add only what a single node never sends or ignores:
// tiered-storage errors, the follower's ReplicaState, directory id and high
// watermark, and the NodeEndpoints that come with NOT_LEADER_OR_FOLLOWER). Serves the engine's stored
// bytes as they are. Honours max_wait_ms/min_bytes as one long-poll across all
// requested partitions (engine.waitForAppend), partition_max_bytes and the response max_bytes (the first
// non-empty partition may return one batch larger than both: Kafka's rule, so a
// consumer always makes progress), and answers OFFSET_OUT_OF_RANGE outside
// [log start, high watermark]. isolation_level=1 (read_committed) reads below the
// last stable offset only and lists the aborted transactions among what it returns
// (the consumer drops their records). When the partitions' budgets fit the
// response's, all of a request's partitions are read at once (see readPass). While
// the broker-wide queued.max.response.bytes is spent (output-budget.ts), partitions
// are not read and answer empty: the consumer fetches again after its max wait, as
// when there is no data. What a Fetch read (bytes or file ranges alike: a range holds
// a descriptor and is sent from the connection's queue) is counted in that budget
// until its response is handed back; the connection counts it from there until the
// socket took it. A topic that is offline (damaged metadata) answers
// KAFKA_STORAGE_ERROR, not UNKNOWN_TOPIC_OR_PARTITION (absent-topic.ts).
// Fetch sessions (KIP-227, the cache is fetch-sessions.ts) as Kafka's FetchManager:
// epoch 0 asks for a session (created when the answer is ready, if the cache has
// room: session id 0 otherwise), epoch -1 fetches without one, a full request closes
// the session it names; an incremental request (id, epoch ≥ 1) names only partitions
// added or changed plus those to forget, is read over all the session's partitions,
// and is answered with only those that have records, a new high watermark, last
// stable offset or log start offset, or an error. Unknown id: FETCH_SESSION_ID_NOT_FOUND;
// wrong epoch: INVALID_FETCH_SESSION_EPOCH; a session by topic ids continued by name
// (or the reverse): FETCH_SESSION_TOPIC_ID_ERROR. Everything else (long-poll, byte
// budgets, read_committed, quotas, ACLs, zero-copy) is the same for every partition
// whichever way it was named.
// Quotas: the record bytes served count against consumer_byte_rate; a fetch that
// goes over it is answered without records (offsets and watermarks as usual) and
// with the throttle, and its bytes are not counted — as Kafka does; the consumer
// fetches the same offsets again after the throttle, so nothing is lost.
// Authorization (Kafka's consumer fetch): READ on each topic, else
// TOPIC_AUTHORIZATION_FAILED for its partitions.
// On a connection that sends file ranges itself (ctx.fileRanges: plain TCP with the
// native addon), large reads come back as FileRanges and reach the socket by sendfile.
// Owns: the fetch loop. Must not decode, copy or re-encode records.

import type { AbortedTransaction, IsolationLevel } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { type FetchPartitionData, type FetchRequest, type FetchResponse, FetchRequestCodec, FetchResponseCodec } from '../../wire/schemas/01-fetch.js';
import { type CachedPartition, type FetchSession, FINAL_EPOCH, INITIAL_EPOCH, INVALID_SESSION_ID, nextEpoch, partitionKey } from '../fetch-sessions.js';
import { ZERO_UUID } from './common.js';
import { LinkedMap } from '../linked-map.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';
import { appliedQuota, recordBytes } from './quota.js';
import { absentTopicCode } from './absent-topic.js';
import { batchSizeAt } from '../../wire/batch-layout.js';
import { bufferPool } from '../../broker/buffer-pool.js';
import { FileRange } from '../../broker/file-range.js';

const EMPTY = new Uint8Array(0);
/** Bound on wake-ups of one long-poll (each wake-up re-reads; appends may be frequent). */
const MAX_WAKEUPS = 10_000;

interface Slot {
  /** The topic's name (resolved from its id at v13+; as asked when unknown). */
  readonly topic: string;
  /** As the request names it at v13+; the zero id before. */
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly partitionMaxBytes: number;
  /** Set when the partition cannot be read at all (unknown topic/partition). */
  readonly error: number;
}

const NO_ABORTED: AbortedTransaction[] = [];

function partitionData(
  partition: number, errorCode: number, highWatermark: number, logStartOffset: number, records: Uint8Array, readCommitted: boolean,
  lastStableOffset = highWatermark, aborted: AbortedTransaction[] = NO_ABORTED,
): FetchPartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark,
    lastStableOffset,
    logStartOffset,
    abortedTransactions: readCommitted ? aborted : null,
    preferredReadReplica: -1,
    records,
  };
}

interface Pass {
  readonly data: FetchPartitionData[];
  readonly bytes: number;
  readonly anyError: boolean;
}

/**
 * What a slot yields before any read: a finished answer (an error, or nothing to
 * read), or null when the partition has records at the fetch offset.
 */
function answerWithoutRead(ctx: RequestContext, s: Slot, readCommitted: boolean): { data: FetchPartitionData; error: boolean } | null {
  if (s.error !== ErrorCode.NONE) return { data: partitionData(s.partition, s.error, -1, -1, EMPTY, readCommitted), error: true };
  let offsets;
  try {
    offsets = ctx.engine.offsets(s.topic, s.partition);
  } catch (err) {
    return { data: partitionData(s.partition, errorCodeOf(err), -1, -1, EMPTY, readCommitted), error: true };
  }
  const { highWatermark, logStartOffset, lastStableOffset } = offsets;
  if (offsets.errorCode !== ErrorCode.NONE) return { data: partitionData(s.partition, offsets.errorCode, highWatermark, logStartOffset, EMPTY, readCommitted), error: true };
  if (s.fetchOffset < logStartOffset || s.fetchOffset > highWatermark) {
    return { data: partitionData(s.partition, ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, EMPTY, readCommitted, lastStableOffset), error: true };
  }
  // read_committed reads nothing at or past the last stable offset.
  if (s.fetchOffset >= (readCommitted ? lastStableOffset : highWatermark)) {
    return { data: partitionData(s.partition, ErrorCode.NONE, highWatermark, logStartOffset, EMPTY, readCommitted, lastStableOffset), error: false };
  }
  // Records are there, but the broker's response bytes are spent: answered as if there were none.
  const held = ctx.options.outputBudget;
  if (held?.exhausted() === true) {
    held.skips++;
    return { data: partitionData(s.partition, ErrorCode.NONE, highWatermark, logStartOffset, EMPTY, readCommitted, lastStableOffset), error: false };
  }
  return null;
}

/** One engine read of a slot; an exception becomes the partition's error. */
async function readSlot(ctx: RequestContext, s: Slot, budget: number, readCommitted: boolean, fileRange = ctx.fileRanges): Promise<{ data: FetchPartitionData; error: boolean }> {
  try {
    const isolation: IsolationLevel = readCommitted ? 'read_committed' : 'read_uncommitted';
    const r = await ctx.engine.read(s.topic, s.partition, s.fetchOffset, Math.max(0, budget), { fileRange, isolation });
    const error = r.errorCode !== ErrorCode.NONE;
    if (error) release(r.records);
    const aborted = error ? NO_ABORTED : r.abortedTransactions ?? NO_ABORTED;
    return { data: partitionData(s.partition, r.errorCode, r.highWatermark, r.logStartOffset, error ? EMPTY : r.records, readCommitted, r.lastStableOffset, aborted), error };
  } catch (err) {
    return { data: partitionData(s.partition, errorCodeOf(err), -1, -1, EMPTY, readCommitted), error: true };
  }
}

/** Records that will not be sent: a file range's descriptor closed, a pooled buffer given back. */
function release(records: Uint8Array | null): void {
  if (records === null || records.byteLength === 0) return;
  if (records instanceof FileRange) records.close();
  else bufferPool.give(records);
}

/** Releases every partition's records of a pass that will not be sent. */
function releasePass(pass: Pass): void {
  for (const d of pass.data) release(d.records);
}

/** The longest prefix of whole batches in `records` that fits `budget` bytes. */
function wholeBatchesWithin(records: Uint8Array, budget: number): Uint8Array {
  let pos = 0;
  // Each step moves past one whole batch (≥ 61 bytes): bounded by the length.
  while (pos < records.byteLength) {
    const size = batchSizeAt(records, pos);
    if (size <= 0 || pos + size > budget || pos + size > records.byteLength) break;
    pos += size;
  }
  return pos === 0 ? EMPTY : records.subarray(0, pos);
}

/**
 * Reads every slot once within the response byte budget. When the partitions'
 * budgets add up to no more than the response's, every read is issued at once (one
 * shard wake-up for all of them instead of a round trip per partition) and the
 * results are assembled in request order under the same rules as the serial pass;
 * otherwise each partition's budget depends on what the earlier ones returned, and
 * they are read one after another.
 */
async function readPass(ctx: RequestContext, slots: readonly Slot[], maxBytes: number, readCommitted: boolean): Promise<Pass> {
  let plannedBytes = 0;
  for (const s of slots) if (s.error === ErrorCode.NONE) plannedBytes += Math.max(0, s.partitionMaxBytes);
  if (plannedBytes > maxBytes) return readPassSerial(ctx, slots, maxBytes, readCommitted);

  const outcomes = await Promise.all(slots.map((s) => answerWithoutRead(ctx, s, readCommitted) ?? readSlot(ctx, s, s.partitionMaxBytes, readCommitted)));
  const data: FetchPartitionData[] = [];
  let bytes = 0;
  let anyError = false;
  for (let i = 0; i < slots.length; i++) {
    const o = outcomes[i]!;
    if (o.error) anyError = true;
    const records = o.data.records ?? EMPTY;
    // The same rule as the serial pass: only the first non-empty partition may
    // exceed its budget (one whole batch); later ones get the whole batches that fit
    // what is left (the serial pass would have asked for exactly that much).
    const budget = Math.min(slots[i]!.partitionMaxBytes, maxBytes - bytes);
    if (bytes > 0 && records.byteLength > budget) {
      if (records instanceof FileRange) {
        // Its batch boundaries are in the file: read again, as bytes, within the budget
        // (rare: only after an oversized first batch of an earlier partition).
        records.close();
        const again = budget > 0 ? await readSlot(ctx, slots[i]!, budget, readCommitted, false) : null;
        const kept = again === null || again.error ? EMPTY : wholeBatchesWithin(again.data.records ?? EMPTY, budget);
        if (again !== null && kept !== again.data.records) release(again.data.records);
        o.data.records = kept;
      } else {
        o.data.records = wholeBatchesWithin(records, Math.max(0, budget));
      }
      // Aborted transactions listed past the kept batches are harmless (a consumer
      // only applies them to records it gets); none are needed without records.
      if ((o.data.records?.byteLength ?? 0) === 0 && readCommitted) o.data.abortedTransactions = NO_ABORTED;
    }
    bytes += o.data.records?.byteLength ?? 0;
    data.push(o.data);
  }
  // Given back by the handler once the response is handed back (see handle).
  ctx.options.outputBudget?.adjust(bytes);
  return { data, bytes, anyError };
}

/** Reads every slot once, in request order, each within what the earlier ones left of the budget. */
async function readPassSerial(ctx: RequestContext, slots: readonly Slot[], maxBytes: number, readCommitted: boolean): Promise<Pass> {
  const data: FetchPartitionData[] = [];
  let bytes = 0;
  let anyError = false;
  for (const s of slots) {
    const answered = answerWithoutRead(ctx, s, readCommitted);
    if (answered !== null) {
      if (answered.error) anyError = true;
      data.push(answered.data);
      continue;
    }
    const budget = Math.min(s.partitionMaxBytes, maxBytes - bytes);
    if (bytes > 0 && budget <= 0) {
      const o = ctx.engine.offsets(s.topic, s.partition);
      data.push(partitionData(s.partition, ErrorCode.NONE, o.highWatermark, o.logStartOffset, EMPTY, readCommitted, o.lastStableOffset));
      continue;
    }
    const o = await readSlot(ctx, s, budget, readCommitted);
    if (o.error) anyError = true;
    // Only the first non-empty partition may exceed the budget (one whole batch).
    if (bytes > 0 && (o.data.records?.byteLength ?? 0) > budget) {
      release(o.data.records);
      o.data.records = EMPTY;
      if (readCommitted) o.data.abortedTransactions = NO_ABORTED;
    }
    const kept = o.data.records?.byteLength ?? 0;
    bytes += kept;
    // Counted as each read lands, so the next partition's read sees it (answerWithoutRead).
    ctx.options.outputBudget?.adjust(kept);
    data.push(o.data);
  }
  return { data, bytes, anyError };
}

const NOTHING_READ: Pass = { data: [], bytes: 0, anyError: false };

/** True when some partition's high watermark (or last stable offset) moved past what the pass saw. */
function movedSince(ctx: RequestContext, slots: readonly Slot[], pass: Pass): boolean {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.error !== ErrorCode.NONE) continue;
    try {
      const o = ctx.engine.offsets(s.topic, s.partition);
      if (o.highWatermark !== pass.data[i]!.highWatermark || o.lastStableOffset !== pass.data[i]!.lastStableOffset) return true;
    } catch {
      return true;
    }
  }
  return false;
}

/** One requested partition, as the request names it. */
interface Wanted {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

/**
 * The request's partitions, one entry each, in request order (a repeated partition
 * keeps its first place and takes the last values: Kafka reads them into a map).
 */
function requested(req: FetchRequest, byTopicId: boolean): Map<string, Wanted> {
  const out = new Map<string, Wanted>();
  for (const t of req.topics) {
    const topic = byTopicId ? '' : t.topic;
    const topicId = byTopicId ? t.topicId : ZERO_UUID;
    for (const p of t.partitions) {
      out.set(partitionKey(byTopicId, topic, topicId, p.partition), { topic, topicId, partition: p.partition, fetchOffset: p.fetchOffset, maxBytes: p.partitionMaxBytes });
    }
  }
  return out;
}

/** Resolves each partition's topic (once per topic) and checks READ on it. */
function slotsFor(ctx: RequestContext, entries: Iterable<Wanted | CachedPartition>, byTopicId: boolean): Slot[] {
  const topics = new Map<string, { name: string; partitions: number; error: number }>();
  const slots: Slot[] = [];
  for (const e of entries) {
    const topicKey = byTopicId ? e.topicId : e.topic;
    let t = topics.get(topicKey);
    if (t === undefined) {
      const info = byTopicId ? ctx.engine.topicLayout(e.topicId, true) : ctx.engine.topicLayout(e.topic);
      const missing = byTopicId ? ErrorCode.UNKNOWN_TOPIC_ID : absentTopicCode(ctx.engine, e.topic);
      // By name the check comes first (existence does not leak); an unknown id names nothing to check.
      const mayRead = info === undefined && byTopicId ? true : allowedOnTopic(ctx, Op.READ, info?.name ?? e.topic);
      let error: number = ErrorCode.NONE;
      if (!mayRead) error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
      else if (info === undefined) error = missing;
      t = { name: info?.name ?? e.topic, partitions: info?.partitions ?? 0, error };
      topics.set(topicKey, t);
    }
    let error = t.error;
    if (error === ErrorCode.NONE && (e.partition < 0 || e.partition >= t.partitions)) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    const maxBytes = 'maxBytes' in e ? e.maxBytes : 0;
    slots.push({ topic: t.name, topicId: e.topicId, partition: e.partition, fetchOffset: e.fetchOffset, partitionMaxBytes: maxBytes, error });
  }
  return slots;
}

/**
 * Kafka's CachedPartition.maybeUpdateResponseData: whether an incremental response
 * must carry the partition (records, a changed high watermark or log start offset, an
 * error), updating what the session remembers the fetcher was told. Samsa also
 * answers a changed last stable offset (read_committed consumers read their lag from
 * it; it moves with the high watermark in practice, so Kafka never needs to).
 */
function mustRespond(c: CachedPartition, d: FetchPartitionData): boolean {
  let must = (d.records?.byteLength ?? 0) > 0;
  if (c.highWatermark !== d.highWatermark) {
    must = true;
    c.highWatermark = d.highWatermark;
  }
  if (c.logStartOffset !== d.logStartOffset) {
    must = true;
    c.logStartOffset = d.logStartOffset;
  }
  if (c.lastStableOffset !== d.lastStableOffset) {
    must = true;
    c.lastStableOffset = d.lastStableOffset;
  }
  if (d.errorCode !== ErrorCode.NONE) {
    // Remembered as unknown, so the partition is answered again once the error clears.
    c.highWatermark = -1;
    must = true;
  }
  return must;
}

type TopicResponse = FetchResponse['responses'][number];

/** Partitions grouped into topics as Kafka does: consecutive partitions of one topic share an entry. */
function byTopic(slots: readonly Slot[], data: readonly FetchPartitionData[], keep: (i: number) => boolean): TopicResponse[] {
  const out: TopicResponse[] = [];
  let last: TopicResponse | null = null;
  let lastSlot: Slot | null = null;
  for (let i = 0; i < slots.length; i++) {
    if (!keep(i)) continue;
    const s = slots[i]!;
    if (last === null || lastSlot!.topic !== s.topic || lastSlot!.topicId !== s.topicId) {
      last = { topic: s.topic, topicId: s.topicId, partitions: [] };
      out.push(last);
    }
    last.partitions.push(data[i]!);
    lastSlot = s;
  }
  return out;
}

const ALL = (): boolean => true;

function sessionError(ctx: RequestContext, errorCode: number): FetchResponse {
  const cache = ctx.options.fetchSessions;
  if (cache !== undefined) cache.totals.sessionErrors++;
  return { throttleTimeMs: 0, errorCode, sessionId: INVALID_SESSION_ID, responses: [] };
}

export const fetchApi = defineApi({
  minVersion: 4,
  maxVersion: 18,
  request: FetchRequestCodec,
  response: FetchResponseCodec,
  async handle(ctx, req, version) {
    const readCommitted = req.isolationLevel === 1;
    const byTopicId = version >= 13;
    const cache = ctx.options.fetchSessions;
    // Kafka's FetchManager.newContext: epoch 0 or -1 is a full request (closing the
    // session it names); epoch 0 asks for a new session; any other epoch continues one.
    let session: FetchSession | null = null;
    let createSession = false;
    let entries: Iterable<Wanted | CachedPartition>;
    if (req.sessionEpoch === INITIAL_EPOCH || req.sessionEpoch === FINAL_EPOCH) {
      if (req.sessionId !== INVALID_SESSION_ID) cache?.remove(req.sessionId);
      entries = requested(req, byTopicId).values();
      createSession = req.sessionEpoch === INITIAL_EPOCH && cache !== undefined;
    } else {
      const s = cache?.get(req.sessionId);
      if (s === undefined) return sessionError(ctx, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      if (s.epoch !== req.sessionEpoch) return sessionError(ctx, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
      // A session keyed by topic ids cannot go on at a version that names topics, nor the reverse.
      if (s.usesTopicIds !== byTopicId) return sessionError(ctx, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
      const wanted = requested(req, byTopicId);
      for (const [key, w] of wanted) {
        const c = s.partitions.get(key);
        if (c !== undefined) {
          c.fetchOffset = w.fetchOffset;
          c.maxBytes = w.maxBytes;
        } else {
          s.partitions.set(key, { topic: w.topic, topicId: w.topicId, partition: w.partition, fetchOffset: w.fetchOffset, maxBytes: w.maxBytes, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1 });
        }
      }
      for (const f of req.forgottenTopicsData) {
        for (const p of f.partitions) s.partitions.delete(partitionKey(byTopicId, byTopicId ? '' : f.topic, byTopicId ? f.topicId : ZERO_UUID, p));
      }
      if (s.partitions.size === 0) {
        // Nothing left to fetch: the session closes and the request is answered as a sessionless one.
        cache!.remove(s.id);
        entries = wanted.values();
      } else if (!cache!.touch(s)) {
        // Grown past the cache's bound on cached partitions: closed (the client starts over with a full fetch).
        return sessionError(ctx, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      } else {
        s.epoch = nextEpoch(s.epoch);
        session = s;
        cache!.totals.incrementalFetches++;
        // A snapshot: the session's order may change while this request waits.
        entries = [...s.partitions.values()];
      }
    }
    const expectedEpoch = session?.epoch ?? 0;
    const slots = slotsFor(ctx, entries, byTopicId);

    const maxBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
    const maxWaitMs = Math.min(Math.max(0, req.maxWaitMs), ctx.options.fetchMaxWaitMsCap);
    const deadline = Date.now() + maxWaitMs;
    const held = ctx.options.outputBudget;
    let pass = await readPass(ctx, slots, maxBytes, readCommitted);
    try {
      const refs = slots.filter((s) => s.error === ErrorCode.NONE).map((s) => ({ topic: s.topic, partition: s.partition }));
      for (let i = 0; i < MAX_WAKEUPS; i++) {
        if (pass.anyError || pass.bytes >= req.minBytes || refs.length === 0) break;
        if (ctx.signal.aborted) {
          releasePass(pass);
          throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'connection closed during fetch');
        }
        const remainingMs = deadline - Date.now();
        if (remainingMs <= 0) break;
        // An append may have landed after the read: look (synchronously, so no
        // append can slip between this check and the wait's registration).
        if (!movedSince(ctx, slots, pass)) {
          const woke = await ctx.engine.waitForAppend(refs, remainingMs, ctx.signal);
          if (!woke) break;
        }
        releasePass(pass);
        held?.adjust(-pass.bytes); // that pass is dropped for the new one
        pass = NOTHING_READ;
        pass = await readPass(ctx, slots, maxBytes, readCommitted);
      }

      const quota = pass.bytes > 0 ? appliedQuota(ctx, 'consumer_byte_rate') : null;
      let throttled = false;
      if (quota !== null) {
        const now = Date.now();
        if (recordBytes(ctx, quota, pass.bytes, now) > 0) {
          ctx.security.quotas!.unrecord(quota, pass.bytes, now);
          throttled = true;
        }
      }
      const data = pass.data.map((d) => {
        if (!throttled || d.records === null || d.records.byteLength === 0) return d;
        // Not sent: its pooled buffer or file range goes back now.
        release(d.records);
        return { ...d, records: EMPTY };
      });

      if (session !== null) {
        if (session.epoch !== expectedEpoch) {
          // Another request of this session was accepted meanwhile (Kafka: "possible duplicate request").
          for (const d of data) release(d.records);
          return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: session.id, responses: [] };
        }
        const s = session;
        const respond = slots.map((slot, i) => {
          const key = partitionKey(byTopicId, byTopicId ? '' : slot.topic, slot.topicId, slot.partition);
          const c = s.partitions.get(key);
          if (c === undefined) return true; // forgotten meanwhile cannot happen at this epoch; answered anyway
          const must = mustRespond(c, data[i]!);
          if ((data[i]!.records?.byteLength ?? 0) > 0) {
            // Answered with records: to the back of the line, so the others are read first next time.
            s.partitions.moveToEnd(key);
          }
          return must;
        });
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: s.id, responses: byTopic(slots, data, (i) => respond[i]!) };
      }

      let sessionId = INVALID_SESSION_ID;
      if (createSession) {
        const created = cache!.maybeCreate(slots.length, byTopicId, () => {
          const m = new LinkedMap<string, CachedPartition>();
          slots.forEach((slot, i) => {
            const d = data[i]!;
            const topic = byTopicId ? '' : slot.topic;
            m.set(partitionKey(byTopicId, topic, slot.topicId, slot.partition), {
              topic,
              topicId: slot.topicId,
              partition: slot.partition,
              fetchOffset: slot.fetchOffset,
              maxBytes: slot.partitionMaxBytes,
              highWatermark: d.errorCode === ErrorCode.NONE ? d.highWatermark : -1,
              lastStableOffset: d.lastStableOffset,
              logStartOffset: d.logStartOffset,
            });
          });
          return m;
        });
        if (created !== null) sessionId = created.id;
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses: byTopic(slots, data, ALL) };
    } finally {
      // Handed back for encoding and writing; from here the connection counts what its
      // socket has not taken (connection.ts reports its backlog to the same budget).
      held?.adjust(-pass.bytes);
    }
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: req.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => partitionData(p.partition, errorCode, -1, -1, EMPTY, false)),
      })),
    };
  },
});
