// DeleteAcls (key 31): serves v1-3 (v2+ flexible). Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every filter); SECURITY_DISABLED without an
// authorizer. Every binding any filter matches is removed (one durable write) and
// listed under each filter that matched it; a filter with UNKNOWN elements is
// INVALID_REQUEST and removes nothing.
// Owns: translating filters to the authorizer's remove.

import { ErrorCode } from '../../wire/errors.js';
import { DeleteAclsRequestCodec, DeleteAclsResponseCodec } from '../../wire/schemas/31-delete-acls.js';
import { type AclFilter, validateFilter } from '../../security/acl.js';
import { Op, allowedOnCluster } from './authz.js';
import { defineApi } from './types.js';

export const deleteAclsApi = defineApi({
  minVersion: 1,
  maxVersion: 3,
  request: DeleteAclsRequestCodec,
  response: DeleteAclsResponseCodec,
  async handle(ctx, req) {
    const authorizer = ctx.security.authorizer;
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!allowedOnCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const filters: AclFilter[] = req.filters.map((f) => ({
      resourceType: f.resourceTypeFilter,
      resourceName: f.resourceNameFilter,
      patternType: f.patternTypeFilter,
      principal: f.principalFilter,
      host: f.hostFilter,
      operation: f.operation,
      permissionType: f.permissionType,
    }));
    const problems = filters.map(validateFilter);
    const usable = filters.filter((_f, i) => problems[i] === null);
    const matched = authorizer.remove(usable);
    let next = 0;
    return {
      throttleTimeMs: 0,
      filterResults: problems.map((why) => {
        if (why !== null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why, matchingAcls: [] };
        const acls = matched[next++] ?? [];
        return {
          errorCode: ErrorCode.NONE,
          errorMessage: null,
          matchingAcls: acls.map((b) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...b })),
        };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, filterResults: req.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) };
  },
});
