// AlterClientQuotas (key 49): serves v0-1 (v1 flexible). Sets and removes quota values
// on entities of a user and/or a client id (a name, or null for the default):
// producer_byte_rate, consumer_byte_rate (whole bytes per second) and
// request_percentage. Kafka's other keys (controller_mutation_rate, IP connection
// rates) are refused with INVALID_REQUEST naming them: Samsa does not enforce them.
// Every valid entry is applied together, durably, unless validate_only. Needs
// ALTER_CONFIGS on the cluster (CLUSTER_AUTHORIZATION_FAILED for every entry).
// Owns: validating and applying the request.

import { ErrorCode } from '../../wire/errors.js';
import { AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec } from '../../wire/schemas/49-alter-client-quotas.js';
import { ENTITY_CLIENT_ID, ENTITY_USER, type QuotaEntity, QuotaStoreError, isQuotaKey, validateQuotaValue } from '../../security/quotas.js';
import { Op, allowedOnCluster } from './authz.js';
import { defineApi } from './types.js';

/** Kafka quota keys Samsa knows but does not enforce. */
const UNSUPPORTED_KEYS = new Set(['controller_mutation_rate', 'connection_creation_rate']);

type Entity = Array<{ entityType: string; entityName: string | null }>;

function parseEntity(entity: Entity): QuotaEntity | string {
  let user: string | null | undefined;
  let clientId: string | null | undefined;
  for (const e of entity) {
    if (e.entityType === ENTITY_USER && user === undefined) user = e.entityName;
    else if (e.entityType === ENTITY_CLIENT_ID && clientId === undefined) clientId = e.entityName;
    else if (e.entityType === 'ip') return 'IP quotas (connection_creation_rate) are not supported by Samsa';
    else if (e.entityType === ENTITY_USER || e.entityType === ENTITY_CLIENT_ID) return `Duplicate ${e.entityType} in the quota entity`;
    else return `Unhandled client quota entity type: ${e.entityType}`;
  }
  if (user === undefined && clientId === undefined) return 'The quota entity names neither a user nor a client-id';
  if (user === '' || clientId === '') return 'An entity name must not be empty (null means the default)';
  return { ...(user !== undefined ? { user } : {}), ...(clientId !== undefined ? { clientId } : {}) };
}

export const alterClientQuotasApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: AlterClientQuotasRequestCodec,
  response: AlterClientQuotasResponseCodec,
  async handle(ctx, req) {
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage, entity: e.entity })) });
    if (!allowedOnCluster(ctx, Op.ALTER_CONFIGS)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const quotas = ctx.security.quotas;
    if (quotas === undefined) return all(ErrorCode.INVALID_REQUEST, 'this broker keeps no client quotas');
    const results: Array<{ errorCode: number; errorMessage: string | null; entity: Entity }> = [];
    const changes: Array<{ entity: QuotaEntity; values: Record<string, number | null> }> = [];
    const slots: number[] = [];
    for (const e of req.entries) {
      const entity = parseEntity(e.entity);
      let why: string | null = typeof entity === 'string' ? entity : null;
      const values: Record<string, number | null> = {};
      for (const op of e.ops) {
        if (why !== null) break;
        if (UNSUPPORTED_KEYS.has(op.key)) why = `${op.key} is not supported by Samsa`;
        else if (!isQuotaKey(op.key)) why = `Invalid configuration key ${op.key}`;
        else if (op.key in values) why = `Duplicate quota key ${op.key}`;
        else if (op.remove) values[op.key] = null;
        else {
          why = validateQuotaValue(op.key, op.value);
          values[op.key] = op.value;
        }
      }
      results.push(why === null ? { errorCode: ErrorCode.NONE, errorMessage: null, entity: e.entity } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: why, entity: e.entity });
      if (why === null && typeof entity !== 'string') {
        changes.push({ entity, values });
        slots.push(results.length - 1);
      }
    }
    if (changes.length > 0 && !req.validateOnly) {
      try {
        quotas.alter(changes);
      } catch (err) {
        const failed = err instanceof QuotaStoreError ? { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: err.message } : { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'the quotas could not be written' };
        for (const i of slots) results[i] = { ...results[i]!, ...failed };
      }
    }
    return { throttleTimeMs: 0, entries: results };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, entries: req.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })) };
  },
});
