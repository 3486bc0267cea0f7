// Fetch (key 1): serves v4-13 (v4 = first with RecordBatch v2; v12+ flexible; v13
// names topics by id). Serves the engine's stored bytes as they are. Honours
// max_wait_ms/min_bytes as one long-poll across all requested partitions
// (engine.waitForAppend), partition_max_bytes and the response max_bytes (the first
// non-empty partition may return one batch larger than both: Kafka's rule, so a
// consumer always makes progress), and answers OFFSET_OUT_OF_RANGE outside
// [log start, high watermark]. Fetch sessions (KIP-227) are not kept: every
// response has session id 0, which tells clients to send full requests.
// Quotas: the record bytes served count against consumer_byte_rate; a fetch that
// goes over it is answered without records (offsets and watermarks as usual) and
// with the throttle, and its bytes are not counted — as Kafka does; the consumer
// fetches the same offsets again after the throttle, so nothing is lost.
// Authorization (Kafka's consumer fetch): READ on each topic, else
// TOPIC_AUTHORIZATION_FAILED for its partitions.
// Owns: the fetch loop. Must not decode, copy or re-encode records.

import type { TopicInfo } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { type FetchPartitionData, FetchRequestCodec, FetchResponseCodec } from '../../wire/schemas/01-fetch.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';
import { appliedQuota, recordBytes } from './quota.js';

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

function partitionData(partition: number, errorCode: number, highWatermark: number, logStartOffset: number, records: Uint8Array, readCommitted: boolean): FetchPartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark,
    lastStableOffset: highWatermark,
    logStartOffset,
    abortedTransactions: readCommitted ? [] : null,
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
    const { highWatermark, logStartOffset } = offsets;
    if (offsets.errorCode !== ErrorCode.NONE) {
      anyError = true;
      data.push(partitionData(s.partition, offsets.errorCode, highWatermark, logStartOffset, EMPTY, readCommitted));
      continue;
    }
    if (s.fetchOffset < logStartOffset || s.fetchOffset > highWatermark) {
      anyError = true;
      data.push(partitionData(s.partition, ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, EMPTY, readCommitted));
      continue;
    }
    const budget = Math.min(s.partitionMaxBytes, maxBytes - bytes);
    if (s.fetchOffset === highWatermark || (bytes > 0 && budget <= 0)) {
      data.push(partitionData(s.partition, ErrorCode.NONE, highWatermark, logStartOffset, EMPTY, readCommitted));
      continue;
    }
    try {
      const r = await ctx.engine.read(s.topic, s.partition, s.fetchOffset, Math.max(0, budget));
      let records = r.records;
      // Only the first non-empty partition may exceed the budget (one whole batch).
      if (bytes > 0 && records.byteLength > budget) records = EMPTY;
      if (r.errorCode !== ErrorCode.NONE) {
        anyError = true;
        records = EMPTY;
      }
      bytes += records.byteLength;
      data.push(partitionData(s.partition, r.errorCode, r.highWatermark, r.logStartOffset, records, readCommitted));
    } catch (err) {
      anyError = true;
      data.push(partitionData(s.partition, errorCodeOf(err), highWatermark, logStartOffset, EMPTY, readCommitted));
    }
  }
  return { data, bytes, anyError };
}

/** True when some partition's high watermark moved past what the pass saw. */
function movedSince(ctx: RequestContext, slots: readonly Slot[], pass: Pass): boolean {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.error !== ErrorCode.NONE) continue;
    try {
      if (ctx.engine.offsets(s.topic, s.partition).highWatermark !== pass.data[i]!.highWatermark) return true;
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
      // By name the check comes first (existence does not leak); an unknown id names nothing to check.
      const mayRead = info === undefined && byTopicId !== undefined ? true : allowedOnTopic(ctx, Op.READ, info?.name ?? t.topic);
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
      responses[s.topicIndex]!.partitions.push(throttled && d.records !== null && d.records.byteLength > 0 ? { ...d, records: EMPTY } : d);
    });
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
