// DescribeGroups (key 15): serves v0-5 (v3 authorized operations, not computed;
// v4 group instance ids; v5 flexible). An unknown group is reported as Dead, as
// Kafka does before v6. Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { type DescribeGroupsRequest, DescribeGroupsRequestCodec, type DescribeGroupsResponse, DescribeGroupsResponseCodec } from '../../wire/schemas/15-describe-groups.js';
import { defineApi } from './types.js';

export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  minVersion: 0,
  maxVersion: 5,
  request: DescribeGroupsRequestCodec,
  response: DescribeGroupsResponseCodec,
  async handle(ctx, req) {
    await ctx.groups.offsets.ready();
    return {
      throttleTimeMs: 0,
      groups: req.groups.map((groupId) => {
        const g = ctx.groups.coordinator.describe(groupId);
        const hasOffsets = ctx.groups.offsets.list(groupId).length > 0;
        if (g === undefined) {
          return { errorCode: ErrorCode.NONE, groupId, groupState: hasOffsets ? 'Empty' : 'Dead', protocolType: hasOffsets ? 'consumer' : '', protocolData: '', members: [], authorizedOperations: -2147483648 };
        }
        return {
          errorCode: ErrorCode.NONE,
          groupId,
          groupState: g.state,
          protocolType: g.protocolType,
          protocolData: g.protocolName,
          members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: m.metadata, memberAssignment: m.assignment })),
          authorizedOperations: -2147483648,
        };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })) };
  },
});
