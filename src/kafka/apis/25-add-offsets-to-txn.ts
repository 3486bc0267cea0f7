// AddOffsetsToTxn (key 25): serves v0-4 (v3+ flexible). The offsets topic's
// partition joins the producer's transaction, so a TxnOffsetCommit for the group may
// follow and is committed or aborted with it (src/txn/coordinator.ts).
// Authorization (Kafka's): WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED), then READ on the group (else
// GROUP_AUTHORIZATION_FAILED).
// Owns: request → coordinator call → response.

import { ErrorCode } from '../../wire/errors.js';
import { AddOffsetsToTxnRequestCodec, AddOffsetsToTxnResponseCodec } from '../../wire/schemas/25-add-offsets-to-txn.js';
import { fencedFor } from './txn-common.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed } from './authz.js';

export const addOffsetsToTxnApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: AddOffsetsToTxnRequestCodec,
  response: AddOffsetsToTxnResponseCodec,
  async handle(ctx, req, version) {
    // Kafka's order: WRITE on the transactional id, then READ on the group.
    if (!allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!allowed(ctx, Op.READ, Resource.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    if (req.groupId === '') return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
    const code = await ctx.txns.coordinator.addOffsets(req.transactionalId, req.producerId, req.producerEpoch);
    return { throttleTimeMs: 0, errorCode: fencedFor(code, version, 2) };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
