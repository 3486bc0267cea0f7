// InitProducerId (key 22): serves v0-5 (v2+ flexible; v3+ carries the current
// id/epoch, KIP-360; v4 PRODUCER_FENCED; v5 TRANSACTION_ABORTABLE). Without a
// transactional id, as in Kafka, every request gets a fresh id at epoch 0
// (ProducerIdAllocator), whatever id/epoch it carries: ids are never shared between
// idempotent producers. With one, the transaction coordinator answers (a new id, or
// the id's epoch bumped, fencing the producer that had it; src/txn/coordinator.ts).
// Owns: the answer; must not keep producer state.

import { ErrorCode } from '../../wire/errors.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../wire/schemas/22-init-producer-id.js';
import { fencedFor } from './txn-common.js';
import { defineApi } from './types.js';

export const initProducerIdApi = defineApi({
  minVersion: 0,
  maxVersion: 5,
  request: InitProducerIdRequestCodec,
  response: InitProducerIdResponseCodec,
  async handle(ctx, req, version) {
    if (req.transactionalId === null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.producerIds.next(), producerEpoch: 0 };
    }
    const r = await ctx.txns.coordinator.initProducerId(req.transactionalId, req.transactionTimeoutMs, req.producerId, req.producerEpoch);
    return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, version, 4), producerId: r.producerId, producerEpoch: r.producerEpoch };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
