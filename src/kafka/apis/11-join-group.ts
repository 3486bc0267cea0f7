// JoinGroup (key 11): serves v0-9 (v1 rebalance timeout; v5 group instance ids; v6+
// flexible; v7 protocol type in the answer; v8 reason; v9 skip-assignment, always
// false here). Waits in the coordinator until the rebalance completes.
// Authorization: READ on the group, else GROUP_AUTHORIZATION_FAILED.
// Owns: translating to/from GroupCoordinator.join.

import { JoinGroupRequestCodec, JoinGroupResponseCodec } from '../../wire/schemas/11-join-group.js';
import { defineApi } from './types.js';
import { Op, requireGroup } from './authz.js';

export const joinGroupApi = defineApi({
  minVersion: 0,
  maxVersion: 9,
  request: JoinGroupRequestCodec,
  response: JoinGroupResponseCodec,
  async handle(ctx, req, version) {
    requireGroup(ctx, Op.READ, req.groupId);
    await ctx.groups.offsets.ready();
    const r = await ctx.groups.coordinator.join({
      groupId: req.groupId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId ?? '',
      clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeoutMs: version >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      generationId: r.generationId,
      protocolType: r.protocolType,
      protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
      leader: r.leader,
      skipAssignment: false,
      memberId: r.memberId,
      members: r.members,
    };
  },
  errorResponse(req, version, errorCode) {
    return { throttleTimeMs: 0, errorCode, generationId: -1, protocolType: null, protocolName: version >= 7 ? null : '', leader: '', skipAssignment: false, memberId: req.memberId, members: [] };
  },
});
