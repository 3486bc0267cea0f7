// DescribeTopicPartitions (key 75): serves v0 (flexible), as Kafka 4.x does. The Kafka 4
// Admin client's describeTopics (kafka-topics --describe) uses it instead of Metadata,
// page by page: at most response_partition_limit partitions per answer (capped at
// Kafka's max.request.partition.size.limit, 2000; at least 1), topics in name order
// from the cursor on, and next_cursor naming where the next page starts — within a
// topic cut short, or at the next topic (which need not exist) when the limit was
// reached exactly (Kafka's DescribeTopicPartitionsRequestHandler and
// KRaftMetadataCache.getTopicMetadataForDescribeTopicResponse, followed step by step).
// No topics named: every topic (unknown ones cannot appear); named topics: an unknown
// one is UNKNOWN_TOPIC_OR_PARTITION (INVALID_TOPIC_EXCEPTION for an invalid name). A
// cursor whose topic is not among the named ones, or with a negative partition, is
// INVALID_REQUEST for every named topic. Partitions: this broker leads each, the only
// replica and in-sync replica, leader epoch -1 as in Metadata, no eligible leader
// replicas (ELR is a KRaft feature): empty lists, as Kafka sends — never null, which
// the Java Admin (4.4) dereferences (kafka-topics --describe failed with a NullPointerException).
// Authorization (Kafka's): DESCRIBE on each topic. Listing all topics leaves out the
// ones the principal may not describe; a named one gets TOPIC_AUTHORIZATION_FAILED
// (zero topic id, listed after the others), whether it exists or not.
// Owns: paging and the answer; the topics are the engine's.

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import {
  DescribeTopicPartitionsRequestCodec,
  type DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsResponseCodec,
} from '../../wire/schemas/75-describe-topic-partitions.js';
import { isValidTopicName, singleNodePartition, ZERO_UUID } from './common.js';
import { defineApi } from './types.js';
import { OPERATIONS_NOT_REQUESTED, Op, Resource, allowedOnTopic, authorizedOperations } from './authz.js';

/** Kafka's max.request.partition.size.limit default: the most partitions one answer carries. */
export const DESCRIBE_TOPIC_PARTITIONS_LIMIT_MAX = 2000;

type ResponseTopic = DescribeTopicPartitionsResponse['topics'][number];

function topicError(name: string, errorCode: number): ResponseTopic {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}

export const describeTopicPartitionsApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: DescribeTopicPartitionsRequestCodec,
  response: DescribeTopicPartitionsResponseCodec,
  async handle(ctx, req) {
    const nodeId = ctx.options.nodeId;
    const all = req.topics.length === 0;
    const cursor = req.cursor;
    const from = cursor?.topicName ?? '';
    const names = new Set<string>();
    if (all) {
      for (const t of ctx.engine.listTopics()) if (t.name >= from) names.add(t.name);
    } else {
      for (const t of req.topics) if (t.name >= from) names.add(t.name);
      if (cursor !== null && !names.has(cursor.topicName)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest topic list should contain the cursor topic: ${cursor.topicName}`);
      }
    }
    if (cursor !== null && cursor.partitionIndex < 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `DescribeTopicPartitionsRequest cursor partition must be valid: ${cursor.partitionIndex}`);

    const unauthorized: ResponseTopic[] = [];
    const sorted = [...names].sort().filter((name) => {
      const ok = allowedOnTopic(ctx, Op.DESCRIBE, name, !all);
      if (!ok && !all) unauthorized.push(topicError(name, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
      return ok;
    });
    const limit = Math.max(Math.min(DESCRIBE_TOPIC_PARTITIONS_LIMIT_MAX, req.responsePartitionLimit), 1);
    let remaining = limit;
    const topics: ResponseTopic[] = [];
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of sorted) {
      if (remaining === 0) {
        // The limit was reached exactly at a topic's end: the next page starts at this one.
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const info = ctx.engine.describeTopic(name);
      if (info === undefined) {
        if (!all) topics.push(topicError(name, isValidTopicName(name) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.INVALID_TOPIC_EXCEPTION));
        continue;
      }
      const start = name === from && cursor !== null ? cursor.partitionIndex : 0;
      const upper = Math.min(info.partitions, start + remaining);
      const partitions = [];
      for (let p = start; p < upper; p++) {
        // Empty ELR lists, not null: Kafka 4.4's kafka-topics --describe dereferences them.
        partitions.push({ ...singleNodePartition(p, nodeId), eligibleLeaderReplicas: [], lastKnownElr: [] });
      }
      topics.push({
        errorCode: ErrorCode.NONE,
        name,
        topicId: info.topicId,
        isInternal: name.startsWith('__'),
        partitions,
        topicAuthorizedOperations: authorizedOperations(ctx, true, Resource.TOPIC, name),
      });
      if (upper < info.partitions) {
        nextCursor = { topicName: name, partitionIndex: upper };
        break;
      }
      remaining -= partitions.length;
    }
    topics.push(...unauthorized);
    return { throttleTimeMs: 0, topics, nextCursor };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => topicError(t.name, errorCode)), nextCursor: null };
  },
});
