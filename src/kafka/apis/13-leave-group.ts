// LeaveGroup (key 13): serves v0-5 (v3 batches members; v4 flexible; v5 reasons).
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Owns: translating to GroupCoordinator.leave.

import { ErrorCode } from '../../wire/errors.js';
import { LeaveGroupRequestCodec, LeaveGroupResponseCodec } from '../../wire/schemas/13-leave-group.js';
import { defineApi } from './types.js';
import { Op, requireGroup } from './authz.js';

export const leaveGroupApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: LeaveGroupRequestCodec,
  response: LeaveGroupResponseCodec,
  async handle(ctx, req, version) {
    requireGroup(ctx, Op.READ, req.groupId);
    const c = ctx.groups.coordinator;
    if (version < 3) return { throttleTimeMs: 0, errorCode: c.leave(req.groupId, req.memberId), members: [] };
    const members = req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: c.leave(req.groupId, m.memberId) }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
});
