// EndTxn (key 26): serves v0-4 (v3+ flexible; v4 TRANSACTION_ABORTABLE). v5, the
// epoch bump per transaction of transaction version 2 (KIP-890 part 2), is not
// served: this broker advertises no transaction.version feature, so clients use v4.
// Commits or aborts the producer's transaction; the answer comes once the markers are
// in every partition of it (src/txn/coordinator.ts).
// Authorization (Kafka's): WRITE on the transactional id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
// Owns: request → coordinator call → response.

import { ErrorCode } from '../../wire/errors.js';
import { EndTxnRequestCodec, EndTxnResponseCodec } from '../../wire/schemas/26-end-txn.js';
import { fencedFor } from './txn-common.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed } from './authz.js';

export const endTxnApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: EndTxnRequestCodec,
  response: EndTxnResponseCodec,
  async handle(ctx, req, version) {
    if (!allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    const code = await ctx.txns.coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
