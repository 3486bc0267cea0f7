// Fetch (key 1): serves v4-13 (v4 = first with RecordBatch v2; v12+ flexible; v13
// names topics by id). Serves the engine's stored bytes as they are. Honours
// max_wait_ms/min_bytes as one long-poll across all requested partitions
// (engine.waitForAppend), partition_max_bytes and the response max_bytes (the first
// non-empty partition may return one batch larger than both: Kafka's rule, so a
// consumer always makes progress), and answers OFFSET_OUT_OF_RANGE outside
// [log start, high watermark]. isolation_level=1 (read_committed) reads below the
// last stable offset only and lists the aborted transactions among what it returns
// (the consumer drops their records). Fetch sessions (KIP-227) are not kept: every
// response has session id 0, which tells clients to send full requests.
// Owns: the fetch loop. Must not decode, copy or re-encode records.

import type { AbortedTransaction, ReadOptions, TopicInfo } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { type FetchPartitionData, FetchRequestCodec, FetchResponseCodec } from '../../wire/schemas/01-fetch.js';
import { type RequestContext, defineApi } from './types.js';

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
const READ_COMMITTED: ReadOptions = { isolation: 'read_committed' };

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

/** Reads every slot once, in request order, within the response byte budget. */
async function readPass(ctx: RequestContext, slots: readonly Slot[], maxBytes: number, readCommitted: boolean): Promise<Pass> {
  const data: FetchPartitionData[] = [];
  let bytes = 0;
  let anyError = false;
  for (const s of slots) {
    if (s.error !== ErrorCode.NONE) {
      anyError = true;
      data.push(partitionData(s.partition, s.error, -1, -1, EMPTY, readCommitted));
      continue;
    }
    let offsets;
    try {
      offsets = ctx.engine.offsets(s.topic, s.partition);
    } catch (err) {
      anyError = true;
      data.push(partitionData(s.partition, errorCodeOf(err), -1, -1, EMPTY, readCommitted));
      continue;
    }
    const { highWatermark, logStartOffset, lastStableOffset } = offsets;
    if (offsets.errorCode !== ErrorCode.NONE) {
      anyError = true;
      data.push(partitionData(s.partition, offsets.errorCode, highWatermark, logStartOffset, EMPTY, readCommitted));
      continue;
    }
    if (s.fetchOffset < logStartOffset || s.fetchOffset > highWatermark) {
      anyError = true;
      data.push(partitionData(s.partition, ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, EMPTY, readCommitted, lastStableOffset));
      continue;
    }
    const budget = Math.min(s.partitionMaxBytes, maxBytes - bytes);
    // read_committed reads nothing at or past the last stable offset.
    if (s.fetchOffset >= (readCommitted ? lastStableOffset : highWatermark) || (bytes > 0 && budget <= 0)) {
      data.push(partitionData(s.partition, ErrorCode.NONE, highWatermark, logStartOffset, EMPTY, readCommitted, lastStableOffset));
      continue;
    }
    try {
      const r = await ctx.engine.read(s.topic, s.partition, s.fetchOffset, Math.max(0, budget), readCommitted ? READ_COMMITTED : undefined);
      let records = r.records;
      let aborted = r.abortedTransactions ?? NO_ABORTED;
      // Only the first non-empty partition may exceed the budget (one whole batch).
      if (bytes > 0 && records.byteLength > budget) {
        records = EMPTY;
        aborted = NO_ABORTED;
      }
      if (r.errorCode !== ErrorCode.NONE) {
        anyError = true;
        records = EMPTY;
      }
      bytes += records.byteLength;
      data.push(partitionData(s.partition, r.errorCode, r.highWatermark, r.logStartOffset, records, readCommitted, r.lastStableOffset, aborted));
    } catch (err) {
      anyError = true;
      data.push(partitionData(s.partition, errorCodeOf(err), highWatermark, logStartOffset, EMPTY, readCommitted));
    }
  }
  return { data, bytes, anyError };
}

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
    const byTopicId = version >= 13 ? new Map<string, TopicInfo>(ctx.engine.listTopics().map((t) => [t.topicId, t])) : undefined;
    const slots: Slot[] = [];
    req.topics.forEach((t, topicIndex) => {
      const info = byTopicId !== undefined ? byTopicId.get(t.topicId) : ctx.engine.describeTopic(t.topic);
      const missing = byTopicId !== undefined ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      for (const p of t.partitions) {
        let error: number = ErrorCode.NONE;
        if (info === undefined) error = missing;
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
    let pass = await readPass(ctx, slots, maxBytes, readCommitted);
    const refs = slots.filter((s) => s.error === ErrorCode.NONE).map((s) => ({ topic: s.topic, partition: s.partition }));
    for (let i = 0; i < MAX_WAKEUPS; i++) {
      if (pass.anyError || pass.bytes >= req.minBytes || refs.length === 0) break;
      if (ctx.signal.aborted) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'connection closed during fetch');
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) break;
      // An append may have landed after the read: look (synchronously, so no
      // append can slip between this check and the wait's registration).
      if (!movedSince(ctx, slots, pass)) {
        const woke = await ctx.engine.waitForAppend(refs, remainingMs, ctx.signal);
        if (!woke) break;
      }
      pass = await readPass(ctx, slots, maxBytes, readCommitted);
    }

    const responses = req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: [] as FetchPartitionData[] }));
    slots.forEach((s, i) => responses[s.topicIndex]!.partitions.push(pass.data[i]!));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
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
