// CreateTopics (key 19): serves v0-7 (v1 validate_only; -1 = broker defaults;
// v5+ flexible and returns the topic's configs; v7 topic ids). On one node the
// replication factor must be 1 (or -1 = default) and manual assignments may only
// name this node. Configs are Kafka's topic-level names (src/config/topic-config.ts).
// Authorization (Kafka's): CREATE on the cluster or on the topic, else
// TOPIC_AUTHORIZATION_FAILED; the created topic's configs are returned only with
// DESCRIBE_CONFIGS on it (else topic_config_error_code says why they are missing).
// Owns: validation and engine.createTopic calls.

import type { TopicConfig, TopicInfo } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { ConfigSource } from '../../wire/schemas/32-describe-configs.js';
import { type CreatableTopic, type CreatableTopicResult, CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../wire/schemas/19-create-topics.js';
import { parseTopicConfigEntries, topicConfigEntries } from '../../config/topic-config.js';
import { PARTITIONS_MAX } from '../../wire/topic-name.js';
import { ZERO_UUID, isValidTopicName } from './common.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, allowedOnTopic, mayCreateTopic } from './authz.js';

/** Largest partition count accepted in one request (bounds engine work per request). */

interface Plan {
  partitions: number;
  config: Partial<TopicConfig>;
}

/** Validates one topic; throws KafkaError naming the problem. */
function plan(ctx: RequestContext, t: CreatableTopic): Plan {
  if (!isValidTopicName(t.name)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${JSON.stringify(t.name)}`);
  let partitions = t.numPartitions;
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'with replica assignments, numPartitions and replicationFactor must be -1');
    }
    const seen = new Set<number>();
    for (const a of t.assignments) {
      if (a.partitionIndex < 0 || a.partitionIndex >= t.assignments.length || seen.has(a.partitionIndex)) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'partitions must be numbered 0..n-1 without gaps');
      }
      seen.add(a.partitionIndex);
      if (a.brokerIds.length !== 1 || a.brokerIds[0] !== ctx.options.nodeId) {
        throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `a single-node broker can only assign replicas to node ${ctx.options.nodeId}`);
      }
    }
    partitions = t.assignments.length;
  } else {
    // -1 = broker default. Kafka added it in v4 (KIP-464) but applies it at every
    // version, and kafkajs sends -1 with v3, so do the same.
    if (partitions === -1) partitions = ctx.options.numPartitions;
    if (partitions < 1 || partitions > PARTITIONS_MAX) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `number of partitions must be in [1, ${PARTITIONS_MAX}], got ${t.numPartitions}`);
    }
    const rf = t.replicationFactor;
    if (rf !== 1 && rf !== -1) {
      throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor must be 1 on a single node, got ${rf}`);
    }
  }
  return { partitions, config: parseTopicConfigEntries(t.configs) };
}

function result(t: CreatableTopic, errorCode: number, errorMessage: string | null): CreatableTopicResult {
  return {
    name: t.name,
    topicId: ZERO_UUID,
    errorCode,
    errorMessage,
    topicConfigErrorCode: 0,
    numPartitions: -1,
    replicationFactor: -1,
    configs: null,
  };
}

function success(ctx: RequestContext, t: CreatableTopic, info: TopicInfo | undefined, p: Plan): CreatableTopicResult {
  const defaults = ctx.engine.defaultTopicConfig();
  const config: TopicConfig = info?.config ?? { ...defaults, ...p.config };
  if (!allowedOnTopic(ctx, Op.DESCRIBE_CONFIGS, t.name, false)) {
    return { ...result(t, ErrorCode.NONE, null), topicId: info?.topicId ?? ZERO_UUID, numPartitions: info?.partitions ?? p.partitions, replicationFactor: 1, topicConfigErrorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
  }
  return {
    name: t.name,
    topicId: info?.topicId ?? ZERO_UUID,
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topicConfigErrorCode: 0,
    numPartitions: info?.partitions ?? p.partitions,
    replicationFactor: 1,
    configs: topicConfigEntries(config, defaults, null).map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: false,
      configSource: e.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG,
      isSensitive: false,
    })),
  };
}

export const createTopicsApi = defineApi({
  minVersion: 0,
  maxVersion: 7,
  request: CreateTopicsRequestCodec,
  response: CreateTopicsResponseCodec,
  async handle(ctx, req) {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics = await Promise.all(
      req.topics.map(async (t): Promise<CreatableTopicResult> => {
        if (counts.get(t.name)! > 1) return result(t, ErrorCode.INVALID_REQUEST, `topic ${t.name} appears more than once in the request`);
        if (!mayCreateTopic(ctx, t.name)) return result(t, ErrorCode.TOPIC_AUTHORIZATION_FAILED, 'Authorization failed.');
        try {
          const p = plan(ctx, t);
          if (ctx.engine.describeTopic(t.name) !== undefined) {
            return result(t, ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
          }
          if (req.validateOnly) return success(ctx, t, undefined, p);
          const info = await ctx.engine.createTopic(t.name, p.partitions, p.config);
          return success(ctx, t, info, p);
        } catch (err) {
          return result(t, errorCodeOf(err), errorMessageOf(err));
        }
      }),
    );
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => result(t, errorCode, null)) };
  },
});
