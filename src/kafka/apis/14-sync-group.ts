// SyncGroup (key 14): serves v0-5 (v3 group instance id; v4 flexible; v5 protocol
// type/name). The leader's request carries every assignment; each member waits
// until it arrives.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Owns: translating to GroupCoordinator.sync.

import { SyncGroupRequestCodec, SyncGroupResponseCodec } from '../../wire/schemas/14-sync-group.js';
import { defineApi } from './types.js';
import { Op, requireGroup } from './authz.js';

const EMPTY = new Uint8Array(0);

export const syncGroupApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: SyncGroupRequestCodec,
  response: SyncGroupResponseCodec,
  async handle(ctx, req) {
    requireGroup(ctx, Op.READ, req.groupId);
    const r = await ctx.groups.coordinator.sync(req.groupId, req.generationId, req.memberId, req.assignments);
    return { throttleTimeMs: 0, ...r };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: EMPTY };
  },
});
