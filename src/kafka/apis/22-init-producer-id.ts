// InitProducerId (key 22): serves v0-5 (v2+ flexible; v3+ carries the current
// id/epoch, KIP-360; v4 PRODUCER_FENCED; v5 TRANSACTION_ABORTABLE). Without a
// transactional id, as in Kafka, every request gets a fresh id at epoch 0
// (ProducerIdAllocator), whatever id/epoch it carries: ids are never shared between
// idempotent producers. With one, the transaction coordinator answers (a new id, or
// the id's epoch bumped, fencing the producer that had it; src/txn/coordinator.ts).
// Authorization (Kafka's): with a transactional id, WRITE on it, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED; without one (KIP-679), IDEMPOTENT_WRITE on
// the cluster or WRITE on any topic, else CLUSTER_AUTHORIZATION_FAILED.
// Owns: the answer; must not keep producer state.

import { ErrorCode } from '../../wire/errors.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../wire/schemas/22-init-producer-id.js';
import { fencedFor } from './txn-common.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnCluster } from './authz.js';

export const initProducerIdApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequestCodec,
  response: InitProducerIdResponseCodec,
  async handle(ctx, req, version) {
    if (req.transactionalId === null) {
      const a = ctx.security.authorizer;
      if (a !== undefined && !a.authorizeAny(ctx.session, Op.WRITE, Resource.TOPIC) && !allowedOnCluster(ctx, Op.IDEMPOTENT_WRITE)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.producerIds.next(), producerEpoch: 0 };
    }
    if (!allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    const r = await ctx.txns.coordinator.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch);
    return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, version, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
