// InitProducerId (key 22): serves v0-4 (v2+ flexible; v3+ carries the current
// id/epoch, KIP-360). Idempotent producers only: a transactional id is refused, as
// Samsa has no transactions. As in Kafka, a request without a transactional id
// always gets a fresh id at epoch 0 (ProducerIdAllocator), whatever id/epoch it
// carries: ids are never shared between producers. Sequence checks live in the engine.
// Authorization (Kafka's, KIP-679): IDEMPOTENT_WRITE on the cluster or WRITE on any
// topic, else CLUSTER_AUTHORIZATION_FAILED.
// Owns: the answer; must not keep producer state.

import { ErrorCode } from '../../wire/errors.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../wire/schemas/22-init-producer-id.js';
import { defineApi } from './types.js';
import { Op, Resource, allowedOnCluster } from './authz.js';

export const initProducerIdApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: InitProducerIdRequestCodec,
  response: InitProducerIdResponseCodec,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    const a = ctx.security.authorizer;
    if (a !== undefined && !a.authorizeAny(ctx.session, Op.WRITE, Resource.TOPIC) && !allowedOnCluster(ctx, Op.IDEMPOTENT_WRITE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.producerIds.next(), producerEpoch: 0 };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
