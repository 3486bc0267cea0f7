// OffsetDelete (key 47): serves v0 (never flexible), as Kafka 4.x does. Deletes a
// group's committed offsets for some partitions (kafka-consumer-groups --delete-offsets,
// Admin.deleteConsumerGroupOffsets), with Kafka's rules (GroupMetadataManager /
// ClassicGroup.validateDeleteOffsets):
// - no such group (neither members nor committed offsets), or a Dead one: GROUP_ID_NOT_FOUND;
// - a group of the consumer protocol (classic members of protocol type "consumer", or a
//   KIP-848 group of ConsumerGroupHeartbeat members): partitions of a topic some member subscribes to
//   get GROUP_SUBSCRIBED_TO_TOPIC (an Empty group subscribes to nothing; a member whose
//   subscription does not decode counts as subscribed to everything, as Kafka's
//   unknown subscription does); the others are deleted;
// - any other protocol type: deleted when the group is Empty, else NON_EMPTY_GROUP for
//   the whole request;
// - a partition of a topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION; a
//   partition without a committed offset: NONE (nothing to delete).
// A top-level error leaves the topic list empty, as Kafka does.
// Authorization (Kafka's): DELETE on the group, else GROUP_AUTHORIZATION_FAILED; READ on
// each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions.
// Owns: the rules above; the tombstones are OffsetStore.deleteOffsets'.

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { OffsetDeleteRequestCodec, OffsetDeleteResponseCodec } from '../../wire/schemas/47-offset-delete.js';
import { CONSUMER_PROTOCOL_TYPE, decodeSubscription } from '../../groups/consumer-protocol.js';
import type { GroupSummary } from '../../groups/coordinator.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic, requireGroup } from './authz.js';

/** Topics the group's members subscribe to; null: unknown (treat every topic as subscribed). */
function subscribedTopics(group: GroupSummary): Set<string> | null {
  const topics = new Set<string>();
  for (const m of group.members) {
    const subscribed = decodeSubscription(m.metadata);
    if (subscribed === null) return null;
    for (const t of subscribed) topics.add(t);
  }
  return topics;
}

export const offsetDeleteApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: OffsetDeleteRequestCodec,
  response: OffsetDeleteResponseCodec,
  async handle(ctx, req) {
    requireGroup(ctx, Op.DELETE, req.groupId);
    await ctx.groups.offsets.ready();
    const group = ctx.groups.coordinator.describe(req.groupId);
    const hasOffsets = ctx.groups.offsets.list(req.groupId).length > 0;
    if ((group === undefined && !hasOffsets && !ctx.groups.consumerGroups.has(req.groupId)) || group?.state === 'Dead') throw new KafkaError(ErrorCode.GROUP_ID_NOT_FOUND, `group ${req.groupId} does not exist`);
    let subscribed: Set<string> | null = new Set();
    // A KIP-848 group (ConsumerGroupHeartbeat) lives in its own manager; its members'
    // subscriptions (names and regex matches) are the topics whose offsets must stay.
    const consumerGroupTopics = ctx.groups.consumerGroups.subscribedTopicNames(req.groupId);
    if (consumerGroupTopics !== undefined) subscribed = consumerGroupTopics;
    else if (group !== undefined && group.protocolType === CONSUMER_PROTOCOL_TYPE) subscribed = subscribedTopics(group);
    else if (group !== undefined && group.state !== 'Empty' && group.members.length > 0) throw new KafkaError(ErrorCode.NON_EMPTY_GROUP, `group ${req.groupId} is not empty`);

    const toDelete: Array<{ topic: string; partition: number }> = [];
    const topics = req.topics.map((t) => {
      const mayRead = allowedOnTopic(ctx, Op.READ, t.name);
      const layout = mayRead ? ctx.engine.topicLayout(t.name) : undefined;
      const isSubscribed = subscribed === null || subscribed.has(t.name);
      const partitions = t.partitions.map(({ partitionIndex }) => {
        let errorCode: number = ErrorCode.NONE;
        if (!mayRead) errorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        else if (layout === undefined || partitionIndex < 0 || partitionIndex >= layout.partitions) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (isSubscribed) errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else toDelete.push({ topic: t.name, partition: partitionIndex });
        return { partitionIndex, errorCode };
      });
      return { name: t.name, partitions };
    });
    try {
      await ctx.groups.offsets.deleteOffsets(req.groupId, toDelete);
    } catch (err) {
      const errorCode = errorCodeOf(err);
      for (const t of topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.NONE) p.errorCode = errorCode;
    }
    return { errorCode: ErrorCode.NONE, throttleTimeMs: 0, topics };
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});
