// DeleteGroups (key 42): serves v0-2 (v2 flexible). Deletes empty groups and their
// committed offsets (tombstones in __consumer_offsets); NON_EMPTY_GROUP while
// members remain, GROUP_ID_NOT_FOUND for unknown groups; classic and KIP-848
// consumer groups alike.
// Authorization: DELETE on each group, else GROUP_AUTHORIZATION_FAILED for it.
// Owns: translating to GroupCoordinator.delete and OffsetStore.deleteGroup.

import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { DeleteGroupsRequestCodec, DeleteGroupsResponseCodec } from '../../wire/schemas/42-delete-groups.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed } from './authz.js';

export const deleteGroupsApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: DeleteGroupsRequestCodec,
  response: DeleteGroupsResponseCodec,
  async handle(ctx, req) {
    await ctx.groups.offsets.ready();
    const results = [];
    for (const groupId of req.groupsNames) {
      if (!allowed(ctx, Op.DELETE, Resource.GROUP, groupId)) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
        continue;
      }
      const known = ctx.groups.coordinator.describe(groupId) !== undefined || ctx.groups.consumerGroups.has(groupId) || ctx.groups.offsets.list(groupId).length > 0;
      if (!known) {
        results.push({ groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
        continue;
      }
      let errorCode: number = ctx.groups.consumerGroups.inUse(groupId) ? ErrorCode.NON_EMPTY_GROUP : ctx.groups.coordinator.delete(groupId);
      if (errorCode === ErrorCode.NONE) errorCode = ctx.groups.consumerGroups.delete(groupId);
      if (errorCode === ErrorCode.NONE) {
        try {
          await ctx.groups.offsets.deleteGroup(groupId);
        } catch (err) {
          errorCode = errorCodeOf(err);
        }
      }
      results.push({ groupId, errorCode });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
