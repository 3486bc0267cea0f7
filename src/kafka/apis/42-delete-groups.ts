// DeleteGroups (key 42): serves v0-3 (v2 flexible). Deletes empty groups and their
// committed offsets (tombstones in __consumer_offsets); NON_EMPTY_GROUP while
// members remain, GROUP_ID_NOT_FOUND for unknown groups; classic and KIP-848
// consumer groups alike. v3 adds a message per group: null for the per-group answers
// (Kafka 4.4's group coordinator shard sets only the code, checked against a 4.4
// broker), the failure's own text when deleting the offsets fails (Kafka's
// coordinator-failure path sets ApiError.message()).
// Authorization: DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.
// Owns: translating to GroupCoordinator.delete and OffsetStore.deleteGroup.

import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '../../wire/schemas/42-delete-groups.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed } from './authz.js';

function result(groupId: string, errorCode: number, errorMessage: string | null = null): { groupId: string; errorCode: number; errorMessage: string | null } {
  return { groupId, errorCode, errorMessage };
}

export const deleteGroupsApi = defineApi({
  minVersion: 0,
  maxVersion: 3,
  request: DeleteGroupsRequestCodec,
  response: DeleteGroupsResponseCodec,
  async handle(ctx, req) {
    await ctx.groups.offsets.ready();
    const results = [];
    for (const groupId of req.groupsNames) {
      if (!allowed(ctx, Op.DELETE, Resource.GROUP, groupId)) {
        results.push(result(groupId, ErrorCode.GROUP_AUTHORIZATION_FAILED));
        continue;
      }
      const known = ctx.groups.coordinator.describe(groupId) !== undefined || ctx.groups.consumerGroups.has(groupId) || ctx.groups.offsets.list(groupId).length > 0;
      if (!known) {
        results.push(result(groupId, ErrorCode.GROUP_ID_NOT_FOUND));
        continue;
      }
      let errorCode: number = ctx.groups.consumerGroups.inUse(groupId) ? ErrorCode.NON_EMPTY_GROUP : ctx.groups.coordinator.delete(groupId);
      if (errorCode === ErrorCode.NONE) errorCode = ctx.groups.consumerGroups.delete(groupId);
      if (errorCode !== ErrorCode.NONE) {
        results.push(result(groupId, errorCode));
        continue;
      }
      try {
        await ctx.groups.offsets.deleteGroup(groupId);
        results.push(result(groupId, ErrorCode.NONE));
      } catch (err) {
        results.push(result(groupId, errorCodeOf(err), errorMessageOf(err)));
      }
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode, errorMessage: null })) };
  },
});
