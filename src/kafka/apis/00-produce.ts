// Produce (key 0): serves v3-11 (v3 = first with RecordBatch v2; v9+ flexible; v11 is
// v10 with TRANSACTION_ABORTABLE allowed, an error Kafka gives only when the
// transaction coordinator cannot be reached to verify a transactional write — in
// process here, so v10 and v11 answer alike). Not v12: Kafka treats a v12
// transactional produce as adding its partition to the transaction (transaction
// version 2), which Samsa's coordinator does not do, so a v12 client would be refused
// with INVALID_TXN_STATE where Kafka succeeds. Java producers send v12 only when the
// broker finalizes transaction.version 2, which Samsa never does; they use v11.
// acks 0/1/-1 are passed to the engine; acks=0 gets no response (after the appends
// complete, so the connection still applies backpressure). All of a partition's
// batches go to engine.append as one buffer, as they arrived (no re-encoding).
// Per-partition errors come from the engine (sequence checks for idempotent
// producers live in its shards) or from the cheap framing check done here. A
// transactional produce (a transactional id) is first checked with the transaction
// coordinator (KIP-890 part 1: the partition was added to the producer's transaction
// at its epoch), so a late write of an aborted or fenced transaction cannot leave a
// transaction open in a partition.
// Quotas: the record-batch bytes count against producer_byte_rate; over it, the
// batches are still appended (never dropped) and the answer carries the throttle.
// Authorization (Kafka's): WRITE on the transactional id if there is one, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every partition; WRITE on each topic,
// else TOPIC_AUTHORIZATION_FAILED for its partitions (checked before existence, so
// existence does not leak).
// Owns: request → engine.append calls → response. Must not decode records.

import type { Acks } from '../../broker/engine-api.js';
import { BATCH_HEADER_BYTES, OFF_MAGIC, OFF_PRODUCER_EPOCH, OFF_PRODUCER_ID, RECORD_BATCH_MAGIC, batchSizeAt, getInt64AsNumber } from '../../wire/batch-layout.js';
import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { type ProducePartitionResponse, ProduceRequestCodec, ProduceResponseCodec } from '../../wire/schemas/00-produce.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnTopic } from './authz.js';
import { appliedQuota, recordBytes } from './quota.js';
import { absentTopicCode, absentTopicMessage } from './absent-topic.js';

/**
 * Checks that `records` is exactly one whole RecordBatch v2 frame, as Kafka requires
 * of Produce v3+ (more than one batch for a partition is INVALID_RECORD there, so a
 * client that sends more would work here and break on Kafka). Cheap (header fields
 * only); CRCs and limits are checked by the engine. Returns an error code.
 */
export function checkBatchFraming(records: Uint8Array): number {
  if (records.byteLength === 0) return ErrorCode.CORRUPT_MESSAGE;
  let pos = 0;
  // Each batch is at least BATCH_HEADER_BYTES, which bounds the loop.
  const maxBatches = Math.ceil(records.byteLength / BATCH_HEADER_BYTES);
  for (let i = 0; i < maxBatches && pos < records.byteLength; i++) {
    const size = batchSizeAt(records, pos);
    if (size < BATCH_HEADER_BYTES || size > records.byteLength - pos) {
      // Old message formats (magic 0/1) are shorter than a v2 header; say so when we can.
      if (records.byteLength - pos > OFF_MAGIC && records[pos + OFF_MAGIC] !== RECORD_BATCH_MAGIC) return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
      return ErrorCode.CORRUPT_MESSAGE;
    }
    if (records[pos + OFF_MAGIC] !== RECORD_BATCH_MAGIC) return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
    pos += size;
  }
  if (pos !== records.byteLength) return ErrorCode.CORRUPT_MESSAGE;
  return batchSizeAt(records, 0) === records.byteLength ? ErrorCode.NONE : ErrorCode.INVALID_RECORD;
}

/** Kafka's wording for the framing errors above. */
function framingMessage(code: number): string {
  return code === ErrorCode.INVALID_RECORD
    ? 'Produce requests with version 3 and above are only allowed to contain exactly one record batch per partition'
    : 'records are not whole RecordBatch v2 frames';
}

function failed(index: number, errorCode: number, errorMessage: string | null): ProducePartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors: [], errorMessage };
}

export const produceApi = defineApi({
  minVersion: 3,
  maxVersion: 11,
  request: ProduceRequestCodec,
  response: ProduceResponseCodec,
  async handle(ctx, req) {
    const acks = req.acks;
    const acksValid = acks === -1 || acks === 0 || acks === 1;
    const txnId = req.transactionalId;
    const coordinator = ctx.txns.coordinator;
    const mayWriteTxn = txnId === null || allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, txnId);
    // Only until the state is loaded once (start-up): later requests keep their synchronous start.
    if (txnId !== null && !coordinator.loaded) await coordinator.ready();
    // Every append starts in this first synchronous pass, in request order: the
    // engine sees this connection's appends in the order the client sent them,
    // which idempotent producers with several requests in flight rely on.
    const pending: Array<Array<Promise<ProducePartitionResponse>>> = req.topicData.map((topic) => {
      const info = ctx.engine.topicLayout(topic.name);
      const mayWrite = allowedOnTopic(ctx, Op.WRITE, topic.name);
      return topic.partitionData.map((p): Promise<ProducePartitionResponse> => {
        if (!acksValid) return Promise.resolve(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be -1, 0 or 1, got ${acks}`));
        if (!mayWriteTxn) return Promise.resolve(failed(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, null));
        if (!mayWrite) return Promise.resolve(failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED, null));
        if (info === undefined) return Promise.resolve(failed(p.index, absentTopicCode(ctx.engine, topic.name), absentTopicMessage(ctx.engine, topic.name)));
        if (p.index < 0 || p.index >= info.partitions) {
          return Promise.resolve(failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null));
        }
        const records = p.records;
        const framing = records === null ? ErrorCode.CORRUPT_MESSAGE : checkBatchFraming(records);
        if (records === null || framing !== ErrorCode.NONE) return Promise.resolve(failed(p.index, framing, framingMessage(framing)));
        if (txnId !== null) {
          const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
          const code = coordinator.verify(txnId, getInt64AsNumber(records, OFF_PRODUCER_ID), dv.getInt16(OFF_PRODUCER_EPOCH), topic.name, p.index);
          if (code !== ErrorCode.NONE) return Promise.resolve(failed(p.index, code, `partition ${topic.name}-${p.index} is not in an ongoing transaction of ${txnId} at this producer epoch`));
        }
        let appended;
        try {
          appended = ctx.engine.append(topic.name, p.index, records, acks as Acks);
        } catch (err) {
          return Promise.resolve(failed(p.index, errorCodeOf(err), errorMessageOf(err)));
        }
        return appended.then(
          (r): ProducePartitionResponse => ({
            index: p.index,
            errorCode: r.errorCode,
            baseOffset: r.baseOffset,
            logAppendTimeMs: r.logAppendTimeMs,
            logStartOffset: r.logStartOffset,
            recordErrors: [],
            errorMessage: r.errorCode === ErrorCode.NONE ? null : (r.errorMessage ?? null),
          }),
          (err: unknown) => failed(p.index, errorCodeOf(err), errorMessageOf(err)),
        );
      });
    });
    // Most requests carry one partition: no Promise.all (two of them and an async map per request).
    const responses =
      pending.length === 1 && pending[0]!.length === 1
        ? [{ name: req.topicData[0]!.name, partitionResponses: [await pending[0]![0]!] }]
        : await Promise.all(req.topicData.map(async (topic, i) => ({ name: topic.name, partitionResponses: await Promise.all(pending[i]!) })));
    const quota = appliedQuota(ctx, 'producer_byte_rate');
    if (quota !== null) {
      let bytes = 0;
      for (const t of req.topicData) for (const p of t.partitionData) bytes += p.records?.byteLength ?? 0;
      recordBytes(ctx, quota, bytes, Date.now());
    }
    if (acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
  errorResponse(req, _version, errorCode) {
    if (req.acks === 0) return null;
    return {
      responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((p) => failed(p.index, errorCode, null)) })),
      throttleTimeMs: 0,
    };
  },
});
