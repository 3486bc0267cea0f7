// ConsumerGroupDescribe (key 69): serves v0-1 (v1 member type, KIP-1099). Describes
// KIP-848 consumer groups: epochs, assignor, each member's current and target
// assignment. A classic group, or an unknown one, is GROUP_ID_NOT_FOUND, as Kafka
// answers (its admin client then asks DescribeGroups).
// Authorization (Kafka's): DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED
// for it; authorized operations computed when asked and an authorizer is set.
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import type { Assignment } from '../../groups/consumer-group.js';
import { ConsumerGroupDescribeRequestCodec, ConsumerGroupDescribeResponseCodec } from '../../wire/schemas/69-consumer-group-describe.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, Resource, allowed, authorizedOperations } from './authz.js';

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** KIP-1099's member type of a member that speaks the consumer protocol. */
const MEMBER_TYPE_CONSUMER = 1;

function describeAssignment(ctx: RequestContext, a: Assignment) {
  return {
    topicPartitions: [...a.entries()]
      .filter(([, ps]) => ps.length > 0)
      .map(([topicId, partitions]) => ({ topicId, topicName: ctx.groups.consumerGroups.topicName(topicId), partitions })),
  };
}

export const consumerGroupDescribeApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: ConsumerGroupDescribeRequestCodec,
  response: ConsumerGroupDescribeResponseCodec,
  async handle(ctx, req) {
    await ctx.groups.offsets.ready();
    const empty = { groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => {
        if (!allowed(ctx, Op.DESCRIBE, Resource.GROUP, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, ...empty };
        if (groupId === '') return { errorCode: ErrorCode.INVALID_GROUP_ID, errorMessage: 'Group id must not be empty.', groupId, ...empty };
        const g = ctx.groups.consumerGroups.describe(groupId);
        if (g === undefined) {
          const classic = ctx.groups.coordinator.describe(groupId) !== undefined || ctx.groups.offsets.list(groupId).length > 0;
          return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: classic ? `Group ${groupId} is not a consumer group.` : `Group ${groupId} not found.`, groupId, ...empty };
        }
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          groupId,
          groupState: g.state,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          assignorName: g.assignorName,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            instanceId: m.instanceId,
            rackId: m.rackId,
            memberEpoch: m.memberEpoch,
            clientId: m.clientId,
            clientHost: m.clientHost,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: describeAssignment(ctx, m.assignment),
            targetAssignment: describeAssignment(ctx, m.targetAssignment),
            memberType: MEMBER_TYPE_CONSUMER,
          })),
          authorizedOperations: authorizedOperations(ctx, req.includeAuthorizedOperations, Resource.GROUP, groupId),
        };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: req.groupIds.map((groupId) => ({ errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })),
    };
  },
});
