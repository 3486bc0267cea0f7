// ListGroups (key 16): serves v0-5 (v3 flexible; v4 filters by state; v5 by type,
// `classic` or `consumer` (KIP-848)). Lists groups with members or committed offsets;
// a group known only by its offsets is a classic Empty one, as Kafka lists it.
// Authorization (Kafka's): DESCRIBE on the cluster lists every group; otherwise only
// the groups the principal may DESCRIBE are listed.
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from '../../wire/schemas/16-list-groups.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnCluster } from './authz.js';

export const listGroupsApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: ListGroupsRequestCodec,
  response: ListGroupsResponseCodec,
  async handle(ctx, req) {
    await ctx.groups.offsets.ready();
    const all = new Set([...ctx.groups.coordinator.groupIds(), ...ctx.groups.consumerGroups.groupIds(), ...ctx.groups.offsets.groupIds()]);
    const ids = ctx.security.authorizer === undefined || allowedOnCluster(ctx, Op.DESCRIBE) ? all : [...all].filter((g) => allowed(ctx, Op.DESCRIBE, Resource.GROUP, g, false));
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((s) => s.toLowerCase()));
    const groups = [...ids].map((groupId) => {
      const cg = ctx.groups.consumerGroups.describe(groupId);
      const classicInUse = (ctx.groups.coordinator.describe(groupId)?.members.length ?? 0) > 0;
      if (cg !== undefined && !classicInUse) return { groupId, protocolType: 'consumer', groupState: cg.state, groupType: 'consumer' };
      const g = ctx.groups.coordinator.describe(groupId);
      return { groupId, protocolType: g?.protocolType || 'consumer', groupState: g?.state ?? 'Empty', groupType: 'classic' };
    });
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: groups.filter((g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has(g.groupType))),
    };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
});
