// ConsumerGroupHeartbeat (key 68): serves v0-1 (v0 lets the coordinator pick the
// member id; v1 adds the subscribed topic regex and has the client pick it). The
// KIP-848 consumer's join, heartbeat, acknowledgement of revocations and leave, in
// one request (src/groups/consumer-group.ts does the work).
// Authorization (Kafka's): READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Owns: translating to/from ConsumerGroupCoordinator.heartbeat.

import { ConsumerGroupHeartbeatRequestCodec, ConsumerGroupHeartbeatResponseCodec } from '../../wire/schemas/68-consumer-group-heartbeat.js';
import { defineApi } from './types.js';
import { Op, requireGroup } from './authz.js';

export const consumerGroupHeartbeatApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: ConsumerGroupHeartbeatRequestCodec,
  response: ConsumerGroupHeartbeatResponseCodec,
  async handle(ctx, req, version) {
    requireGroup(ctx, Op.READ, req.groupId);
    await ctx.groups.offsets.ready();
    const r = ctx.groups.consumerGroups.heartbeat({
      groupId: req.groupId,
      memberId: req.memberId,
      memberEpoch: req.memberEpoch,
      instanceId: req.instanceId,
      rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: version >= 1 ? req.subscribedTopicRegex : null,
      serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
      version,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      memberId: r.memberId,
      memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs,
      assignment: r.assignment === null ? null : { topicPartitions: r.assignment },
    };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null };
  },
});
