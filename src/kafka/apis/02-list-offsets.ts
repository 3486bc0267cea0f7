// ListOffsets (key 2): serves v1-11 (v6+ flexible). Timestamp -1 = latest (high
// watermark), -2 = earliest (log start), -3 = the record with the largest timestamp
// (v7+, KIP-734), -4 (v8+, local log start) = earliest here, since without tiered
// storage the whole log is local; -5 (v9+, last tiered offset) and -6 (v11+, earliest
// offset pending upload) find nothing: offset -1, timestamp -1, epoch -1 and no
// error, which is what Kafka's UnifiedLog answers for a topic without remote storage.
// v10's timeoutMs bounds remote-storage lookups, of which there are none, so it is
// read and ignored. Any other value ≥ 0 = the first offset whose timestamp is at
// least it (-1 when none). A special timestamp older than the request's version
// (-3 below v7, -4 below v8, -5 below v9, -6 below v11) and any other negative value
// get UNSUPPORTED_VERSION, as Kafka 4.4 answers (checked against a 4.4 broker).
// isolation_level=1 (read_committed): latest is the last stable offset, and a
// timestamp lookup finds nothing at or past it (Kafka's rule).
// The engine answers timestamp lookups at batch granularity (storage never decodes
// records); Kafka answers with the exact record, so the batch found is read and
// decoded here to pick the record (admin path: one small read per lookup).
// Authorization: DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED.
// Owns: request → engine.listOffset calls → response.

import type { Engine, ListOffsetResult, OffsetSpec } from '../../broker/engine-api.js';
import { ErrorCode } from '../../wire/errors.js';
import { decodeRecordBatch } from '../../protocol/record-batch.js';
import { errorCodeOf } from '../error-codes.js';
import { type ListOffsetsPartitionResponse, ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '../../wire/schemas/02-list-offsets.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';
import { absentTopicCode } from './absent-topic.js';

/** Timestamps that ask about tiered storage, which this broker does not have. */
const LATEST_TIERED_TIMESTAMP = -5;
const EARLIEST_PENDING_UPLOAD_TIMESTAMP = -6;

/** The first version that may ask for each special timestamp (Kafka answers UNSUPPORTED_VERSION below it). */
const MIN_VERSION_OF_TIMESTAMP: ReadonlyMap<number, number> = new Map([
  [-1, 0],
  [-2, 0],
  [-3, 7],
  [-4, 8],
  [LATEST_TIERED_TIMESTAMP, 9],
  [EARLIEST_PENDING_UPLOAD_TIMESTAMP, 11],
]);

/** Is this timestamp one this version may send? Unknown negative values never are. */
function timestampAllowed(timestamp: number, version: number): boolean {
  if (timestamp >= 0) return true;
  const min = MIN_VERSION_OF_TIMESTAMP.get(timestamp);
  return min !== undefined && version >= min;
}

function specOf(timestamp: number): OffsetSpec | undefined {
  if (timestamp === -1) return 'latest';
  if (timestamp === -2 || timestamp === -4) return 'earliest';
  if (timestamp === -3) return 'max-timestamp';
  if (timestamp >= 0) return timestamp;
  return undefined;
}

/** Bytes read to find a record inside the batch the engine named (the first batch comes whole anyway). */
const REFINE_READ_BYTES = 1;

/** Narrows a batch-granular answer to the exact record, as Kafka does. */
async function refine(engine: Engine, topic: string, partition: number, spec: OffsetSpec, found: ListOffsetResult): Promise<ListOffsetResult> {
  if (typeof spec !== 'number' && spec !== 'max-timestamp') return found;
  if (found.offset < 0) return found;
  try {
    const read = await engine.read(topic, partition, found.offset, REFINE_READ_BYTES);
    if (read.errorCode !== ErrorCode.NONE || read.records.byteLength === 0) return found;
    const batch = decodeRecordBatch(read.records, 0);
    for (const r of batch.records) {
      if (r.offset < found.offset) continue;
      const hit = spec === 'max-timestamp' ? r.timestamp === found.timestamp : r.timestamp >= spec;
      if (hit) return { errorCode: ErrorCode.NONE, offset: r.offset, timestamp: r.timestamp };
    }
  } catch {
    // An unreadable batch: keep the engine's answer.
  }
  return found;
}

function failed(partitionIndex: number, errorCode: number): ListOffsetsPartitionResponse {
  return { partitionIndex, errorCode, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
}

export const listOffsetsApi = defineApi({
  minVersion: 1,
  maxVersion: 11,
  request: ListOffsetsRequestCodec,
  response: ListOffsetsResponseCodec,
  async handle(ctx, req, version) {
    const topics = await Promise.all(
      req.topics.map(async (t) => {
        const info = ctx.engine.describeTopic(t.name);
        const mayDescribe = allowedOnTopic(ctx, Op.DESCRIBE, t.name);
        const partitions = await Promise.all(
          t.partitions.map(async (p): Promise<ListOffsetsPartitionResponse> => {
            if (!mayDescribe) return failed(p.partitionIndex, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (info === undefined) return failed(p.partitionIndex, absentTopicCode(ctx.engine, t.name));
            if (p.partitionIndex < 0 || p.partitionIndex >= info.partitions) {
              return failed(p.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
            }
            if (!timestampAllowed(p.timestamp, version)) return failed(p.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
            if (p.timestamp === LATEST_TIERED_TIMESTAMP || p.timestamp === EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };
            }
            const spec = specOf(p.timestamp);
            if (spec === undefined) return failed(p.partitionIndex, ErrorCode.INVALID_REQUEST);
            try {
              const found = await ctx.engine.listOffset(t.name, p.partitionIndex, spec, req.isolationLevel === 1 ? { isolation: 'read_committed' } : undefined);
              if (found.errorCode !== ErrorCode.NONE) return failed(p.partitionIndex, found.errorCode);
              const r = await refine(ctx.engine, t.name, p.partitionIndex, spec, found);
              return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, oldStyleOffsets: [], timestamp: r.timestamp, offset: r.offset, leaderEpoch: -1 };
            } catch (err) {
              return failed(p.partitionIndex, errorCodeOf(err));
            }
          }),
        );
        return { name: t.name, partitions };
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => failed(p.partitionIndex, errorCode)) })) };
  },
});
