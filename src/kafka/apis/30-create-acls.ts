// CreateAcls (key 30): serves v1-3 (v2+ flexible). Needs ALTER on the cluster
// (CLUSTER_AUTHORIZATION_FAILED for every creation); SECURITY_DISABLED without an
// authorizer. Each creation is validated (INVALID_REQUEST with Kafka's reason); the
// valid ones are written durably together before the answer.
// Owns: validating and adding the bindings.

import { ErrorCode } from '../../wire/errors.js';
import { CreateAclsRequestCodec, CreateAclsResponseCodec } from '../../wire/schemas/30-create-acls.js';
import { type AclBinding, AclStoreError, validateBinding } from '../../security/acl.js';
import { Op, allowedOnCluster } from './authz.js';
import { defineApi } from './types.js';

export const createAclsApi = defineApi({
  minVersion: 1,
  maxVersion: 3,
  request: CreateAclsRequestCodec,
  response: CreateAclsResponseCodec,
  async handle(ctx, req) {
    const authorizer = ctx.security.authorizer;
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage })) });
    if (authorizer === undefined) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (!allowedOnCluster(ctx, Op.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const results: Array<{ errorCode: number; errorMessage: string | null }> = [];
    const valid: AclBinding[] = [];
    const slots: number[] = [];
    for (const c of req.creations) {
      const b: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permissionType: c.permissionType,
      };
      const why = validateBinding(b);
      results.push(why === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why });
      if (why === null) {
        valid.push(b);
        slots.push(results.length - 1);
      }
    }
    if (valid.length > 0) {
      try {
        authorizer.add(valid);
      } catch (err) {
        const failed = err instanceof AclStoreError ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: err.message } : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the ACLs could not be written' };
        for (const i of slots) results[i] = failed;
      }
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, results: req.creations.map(() => ({ errorCode, errorMessage: null })) };
  },
});
