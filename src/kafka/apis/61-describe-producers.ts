// DescribeProducers (key 61): serves v0 (flexible). Per asked partition, the producers
// its shard knows (idempotent and transactional: id, epoch, last sequence, and the
// first offset of a transaction open there, -1 when none), as `kafka-transactions.sh
// describe-producers` and Admin.describeProducers show them. Samsa keeps no last
// timestamp per producer (-1) and has one coordinator epoch (0).
// Authorization (Kafka's): READ on each topic, else TOPIC_AUTHORIZATION_FAILED for
// its partitions.
// Owns: request → engine.describeProducers per partition → response.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeProducersRequestCodec, DescribeProducersResponseCodec } from '../../wire/schemas/61-describe-producers.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';

export const describeProducersApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: DescribeProducersRequestCodec,
  response: DescribeProducersResponseCodec,
  async handle(ctx, req) {
    const topics = await Promise.all(req.topics.map(async (t) => ({
      name: t.name,
      partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex) => {
        // Kafka's: READ on the topic, before its existence.
        if (!allowedOnTopic(ctx, Op.READ, t.name)) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
        const r = await ctx.engine.describeProducers(t.name, partitionIndex);
        return {
          partitionIndex,
          errorCode: r.errorCode,
          errorMessage: null,
          activeProducers: r.errorCode !== ErrorCode.NONE ? [] : r.producers.map((p) => ({
            producerId: p.producerId, producerEpoch: p.epoch, lastSequence: p.lastSequence, lastTimestamp: -1,
            coordinatorEpoch: p.currentTxnStartOffset >= 0 ? 0 : -1, currentTxnStartOffset: p.currentTxnStartOffset,
          })),
        };
      })),
    })));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })) })),
    };
  },
});
