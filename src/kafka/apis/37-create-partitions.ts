// CreatePartitions (key 37): serves v0-3 (v2+ flexible). Grows a topic to `count`
// partitions (never shrinks: INVALID_PARTITIONS); manual assignments may only name
// this node. Authorization: ALTER on the topic, else TOPIC_AUTHORIZATION_FAILED.
// Owns: validation and engine.createPartitions calls.

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec, type CreatePartitionsTopicResult } from '../../wire/schemas/37-create-partitions.js';
import { PARTITIONS_MAX } from '../../wire/topic-name.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic } from './authz.js';
import { absentTopicError } from './absent-topic.js';

export const createPartitionsApi = defineApi({
  minVersion: 0,
  maxVersion: 3,
  request: CreatePartitionsRequestCodec,
  response: CreatePartitionsResponseCodec,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results = await Promise.all(
      req.topics.map(async (t): Promise<CreatePartitionsTopicResult> => {
        try {
          if (counts.get(t.name)! > 1) throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once`);
          if (!allowedOnTopic(ctx, Op.ALTER, t.name)) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
          const info = ctx.engine.describeTopic(t.name);
          if (info === undefined) throw absentTopicError(ctx.engine, t.name);
          if (t.count <= info.partitions || t.count > PARTITIONS_MAX) {
            throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `topic ${t.name} has ${info.partitions} partitions; the new count must be larger (and at most ${PARTITIONS_MAX}), got ${t.count}`);
          }
          if (t.assignments !== null) {
            if (t.assignments.length !== t.count - info.partitions) {
              throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'one assignment per new partition is required');
            }
            for (const a of t.assignments) {
              if (a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.options.nodeId) {
                throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `a single-node broker can only assign replicas to node ${ctx.options.nodeId}`);
              }
            }
          }
          if (!req.validateOnly) await ctx.engine.createPartitions(t.name, t.count);
          return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
        } catch (err) {
          return { name: t.name, errorCode: errorCodeOf(err), errorMessage: errorMessageOf(err) };
        }
      }),
    );
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })) };
  },
});
