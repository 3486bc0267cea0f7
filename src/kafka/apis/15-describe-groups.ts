// DescribeGroups (key 15): serves v0-6 (v3 authorized operations, not computed;
// v4 group instance ids; v5 flexible; v6 GROUP_ID_NOT_FOUND). An unknown group is
// reported as Dead before v6 and as GROUP_ID_NOT_FOUND from v6, as Kafka does (a
// group known only by its committed offsets is Empty). A KIP-848 consumer group is
// not a classic group: Dead before v6, GROUP_ID_NOT_FOUND from v6, as Kafka answers
// (ConsumerGroupDescribe describes it).
// Authorization: DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED for it; the
// authorized operations are computed when asked (v3+) and an authorizer is set.
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeGroupsRequestCodec, DescribeGroupsResponseCodec } from '../../wire/schemas/15-describe-groups.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, authorizedOperations } from './authz.js';

/** KIP-1043: from v6 an unknown group is an error rather than a Dead group. */
const GROUP_ID_NOT_FOUND_FROM_VERSION = 6;
/** Kafka's "not computed" value of authorized operations (Integer.MIN_VALUE). */
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export const describeGroupsApi = defineApi({
  minVersion: 0,
  maxVersion: 6,
  request: DescribeGroupsRequestCodec,
  response: DescribeGroupsResponseCodec,
  async handle(ctx, req, version) {
    await ctx.groups.offsets.ready();
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        if (!allowed(ctx, Op.DESCRIBE, Resource.GROUP, groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        const ops = authorizedOperations(ctx, req.includeAuthorizedOperations, Resource.GROUP, groupId);
        if (ctx.groups.consumerGroups.describe(groupId) !== undefined && (ctx.groups.coordinator.describe(groupId)?.members.length ?? 0) === 0) {
          return version >= GROUP_ID_NOT_FOUND_FROM_VERSION
            ? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a classic group.`, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED }
            : { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
        }
        const g = ctx.groups.coordinator.describe(groupId);
        const hasOffsets = ctx.groups.offsets.list(groupId).length > 0;
        if (g === undefined) {
          if (!hasOffsets && version >= GROUP_ID_NOT_FOUND_FROM_VERSION) {
            return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED };
          }
          return { errorCode: ErrorCode.NONE, groupId, groupState: hasOffsets ? 'Empty' : 'Dead', protocolType: hasOffsets ? 'consumer' : '', protocolData: '', members: [], authorizedOperations: ops };
        }
        return {
          errorCode: ErrorCode.NONE,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolName,
          members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
          authorizedOperations: ops,
        };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED })) };
  },
});
