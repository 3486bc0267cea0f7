// EndTxn (key 26): serves v0-4 (v3+ flexible; v4 TRANSACTION_ABORTABLE). v5, the
// epoch bump per transaction of transaction version 2 (KIP-890 part 2), is not
// served: this broker advertises no transaction.version feature, so clients use v4.
// Commits or aborts the producer's transaction; the answer comes once the markers are
// in every partition of it (src/txn/coordinator.ts).
// Owns: request → coordinator call → response.

import { EndTxnRequestCodec, EndTxnResponseCodec } from '../../wire/schemas/26-end-txn.js';
import { fencedFor } from './txn-common.js';
import { defineApi } from './types.js';

export const endTxnApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: EndTxnRequestCodec,
  response: EndTxnResponseCodec,
  async handle(ctx, req, version) {
    const code = await ctx.txns.coordinator.endTxn(req.transactionalId, req.producerId, req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
