// DescribeClientQuotas (key 48): serves v0-1 (v1 flexible). Lists quota entities
// (user and/or client-id, a name or the default) and their values, filtered as
// Kafka filters: each component matches a name exactly, the default, or any name;
// `strict` leaves out entities with parts the filter does not name. Needs
// DESCRIBE_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED).
// Owns: the filter and the answer.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec, QuotaMatchType } from '../../wire/schemas/48-describe-client-quotas.js';
import { ENTITY_CLIENT_ID, ENTITY_USER, type QuotaEntity } from '../../security/quotas.js';
import { Op, allowedOnCluster } from './authz.js';
import { defineApi } from './types.js';

const ENTITY_TYPES = [ENTITY_USER, ENTITY_CLIENT_ID, 'ip'];

function part(e: QuotaEntity, type: string): string | null | undefined {
  if (type === ENTITY_USER) return e.user;
  if (type === ENTITY_CLIENT_ID) return e.clientId;
  return undefined;
}

export const describeClientQuotasApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: DescribeClientQuotasRequestCodec,
  response: DescribeClientQuotasResponseCodec,
  async handle(ctx, req) {
    const fail = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    if (!allowedOnCluster(ctx, Op.DESCRIBE_CONFIGS)) return fail(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const types = new Set<string>();
    for (const c of req.components) {
      if (!ENTITY_TYPES.includes(c.entityType)) return fail(ErrorCode.INVALID_REQUEST, `Unknown entity type: ${c.entityType}`);
      if (types.has(c.entityType)) return fail(ErrorCode.INVALID_REQUEST, `Duplicate filter component entity type: ${c.entityType}`);
      types.add(c.entityType);
      if (c.matchType === QuotaMatchType.EXACT ? c.match === null : c.matchType !== QuotaMatchType.DEFAULT && c.matchType !== QuotaMatchType.SPECIFIED) {
        return fail(ErrorCode.INVALID_REQUEST, `Invalid match type ${c.matchType} for entity type ${c.entityType}`);
      }
    }
    const entries = (ctx.security.quotas?.all() ?? []).filter((q) => {
      for (const c of req.components) {
        const v = part(q.entity, c.entityType);
        if (v === undefined) return false;
        if (c.matchType === QuotaMatchType.EXACT && v !== c.match) return false;
        if (c.matchType === QuotaMatchType.DEFAULT && v !== null) return false;
        if (c.matchType === QuotaMatchType.SPECIFIED && v === null) return false;
      }
      if (req.strict) {
        if (q.entity.user !== undefined && !types.has(ENTITY_USER)) return false;
        if (q.entity.clientId !== undefined && !types.has(ENTITY_CLIENT_ID)) return false;
      }
      return true;
    });
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      entries: entries.map((q) => ({
        entity: [
          ...(q.entity.user !== undefined ? [{ entityType: ENTITY_USER, entityName: q.entity.user }] : []),
          ...(q.entity.clientId !== undefined ? [{ entityType: ENTITY_CLIENT_ID, entityName: q.entity.clientId }] : []),
        ],
        values: Object.entries(q.values).map(([key, value]) => ({ key, value: value! })),
      })),
    };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, entries: null };
  },
});
