// DescribeAcls (key 29): serves v1-3 (v2+ flexible; v0, without pattern types, was
// removed in Kafka 4). Needs DESCRIBE on the cluster (CLUSTER_AUTHORIZATION_FAILED);
// SECURITY_DISABLED when no authorizer is configured, as Kafka answers; a filter with
// UNKNOWN elements is INVALID_REQUEST. Matching bindings are grouped by resource pattern.
// Owns: the answer from the authorizer's bindings.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeAclsRequestCodec, DescribeAclsResponseCodec } from '../../wire/schemas/29-describe-acls.js';
import { filterMatches, validateFilter } from '../../security/acl.js';
import { Op, requireCluster } from './authz.js';
import { defineApi } from './types.js';

export const describeAclsApi = defineApi({
  minVersion: 1,
  maxVersion: 3,
  request: DescribeAclsRequestCodec,
  response: DescribeAclsResponseCodec,
  async handle(ctx, req) {
    const authorizer = ctx.security.authorizer;
    if (authorizer === undefined) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.', resources: [] };
    requireCluster(ctx, Op.DESCRIBE);
    const filter = {
      resourceType: req.resourceTypeFilter,
      resourceName: req.resourceNameFilter,
      patternType: req.patternTypeFilter,
      principal: req.principalFilter,
      host: req.hostFilter,
      operation: req.operation,
      permissionType: req.permissionType,
    };
    const why = validateFilter(filter);
    if (why !== null) return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why, resources: [] };
    const groups = new Map<string, { resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }>();
    for (const b of authorizer.all()) {
      if (!filterMatches(filter, b)) continue;
      const key = `${b.resourceType}\0${b.patternType}\0${b.resourceName}`;
      let g = groups.get(key);
      if (g === undefined) {
        g = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] };
        groups.set(key, g);
      }
      g.acls.push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permissionType });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...groups.values()] };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: errorCode === ErrorCode.CLUSTER_AUTHORIZATION_FAILED ? 'Cluster authorization failed.' : null, resources: [] };
  },
});
