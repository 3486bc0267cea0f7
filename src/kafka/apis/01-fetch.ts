// Fetch (key 1): serves v4-13 (v4 = first with RecordBatch v2; v12+ flexible; v13
// names topics by id). Serves the engine's stored bytes as they are. Honours
// max_wait_ms/min_bytes as one long-poll across all requested partitions
// (engine.waitForAppend), partition_max_bytes and the response max_bytes (the first
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
// Fetch sessions (KIP-227) are not kept: every
// response has session id 0, which tells clients to send full requests.
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
import { type FetchPartitionData, FetchRequestCodec, FetchResponseCodec } from '../../wire/schemas/01-fetch.js';
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
  readonly topicIndex: number;
  readonly topic: string;
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

export const fetchApi = defineApi({
  minVersion: 4,
  maxVersion: 13,
  request: FetchRequestCodec,
  response: FetchResponseCodec,
  async handle(ctx, req, version) {
    if (req.sessionId !== 0) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const readCommitted = req.isolationLevel === 1;
    const byTopicId = version >= 13;
    const slots: Slot[] = [];
    req.topics.forEach((t, topicIndex) => {
      const info = byTopicId ? ctx.engine.topicLayout(t.topicId, true) : ctx.engine.topicLayout(t.topic);
      const missing = byTopicId ? ErrorCode.UNKNOWN_TOPIC_ID : absentTopicCode(ctx.engine, t.topic);
      // By name the check comes first (existence does not leak); an unknown id names nothing to check.
      const mayRead = info === undefined && byTopicId ? true : allowedOnTopic(ctx, Op.READ, info?.name ?? t.topic);
      for (const p of t.partitions) {
        let error: number = ErrorCode.NONE;
        if (!mayRead) error = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (info === undefined) error = missing;
        else if (p.partition < 0 || p.partition >= info.partitions) error = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        slots.push({
          topicIndex,
          topic: info?.name ?? t.topic,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: p.partitionMaxBytes,
          error,
        });
      }
    });

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
      const responses = req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: [] as FetchPartitionData[] }));
      slots.forEach((s, i) => {
        const d = pass.data[i]!;
        if (throttled && d.records !== null && d.records.byteLength > 0) {
          // Not sent: its pooled buffer or file range goes back now.
          release(d.records);
          responses[s.topicIndex]!.partitions.push({ ...d, records: EMPTY });
        } else {
          responses[s.topicIndex]!.partitions.push(d);
        }
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
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
