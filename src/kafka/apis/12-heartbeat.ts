// Heartbeat (key 12): serves v0-4 (v3 group instance id; v4 flexible). Keeps a
// member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Owns: translating to GroupCoordinator.heartbeat.

import { HeartbeatRequestCodec, HeartbeatResponseCodec } from '../../wire/schemas/12-heartbeat.js';
import { defineApi } from './types.js';
import { Op, requireGroup } from './authz.js';

export const heartbeatApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: HeartbeatRequestCodec,
  response: HeartbeatResponseCodec,
  async handle(ctx, req) {
    requireGroup(ctx, Op.READ, req.groupId);
    return { throttleTimeMs: 0, errorCode: ctx.groups.coordinator.heartbeat(req.groupId, req.generationId, req.memberId) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
