// DeleteRecords (key 21): serves v0-2 (v2 flexible). Moves each named partition's log
// start offset (its low watermark) up to the given offset; -1 means the high
// watermark, i.e. everything now in the partition. Owns: request → engine.deleteRecords
// calls → response. Per-partition errors, as Kafka answers them: an unknown topic or
// partition, an offset past the high watermark (OFFSET_OUT_OF_RANGE), a compact-only
// topic (POLICY_VIOLATION). An offset below the current start changes nothing.
// Authorization: DELETE on each topic, else TOPIC_AUTHORIZATION_FAILED.

import { errorCodeOf } from '../error-codes.js';
import { type DeleteRecordsPartitionResult, DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from '../../wire/schemas/21-delete-records.js';
import { defineApi } from './types.js';
import { ErrorCode } from '../../wire/errors.js';
import { Op, allowedOnTopic } from './authz.js';

export const deleteRecordsApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: DeleteRecordsRequestCodec,
  response: DeleteRecordsResponseCodec,
  async handle(ctx, req) {
    const topics = await Promise.all(
      req.topics.map(async (t) => {
        const mayDelete = allowedOnTopic(ctx, Op.DELETE, t.name);
        return {
        name: t.name,
        partitions: await Promise.all(
          t.partitions.map(async (p): Promise<DeleteRecordsPartitionResult> => {
            if (!mayDelete) return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
            try {
              const r = await ctx.engine.deleteRecords(t.name, p.partitionIndex, p.offset);
              return { partitionIndex: p.partitionIndex, lowWatermark: r.lowWatermark, errorCode: r.errorCode };
            } catch (err) {
              return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorCodeOf(err) };
            }
          }),
        ),
        };
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode })) })),
    };
  },
});
