// InitProducerId (key 22): serves v0-4 (v2+ flexible; v3+ may carry the current
// id/epoch to bump the epoch, KIP-360). Idempotent producers only: a transactional
// id is refused, as Samsa has no transactions. New ids come from
// ProducerIdAllocator with epoch 0; a bump keeps the id and adds one to the epoch
// (a new id once the epoch would overflow). Sequence checks live in the engine.
// Owns: the answer; must not keep producer state.

import { ErrorCode } from '../../protocol/errors.js';
import { WireErrorCode } from '../error-codes.js';
import {
  type InitProducerIdRequest,
  InitProducerIdRequestCodec,
  type InitProducerIdResponse,
  InitProducerIdResponseCodec,
} from '../schemas/producer-ids.js';
import { defineApi } from './types.js';

const MAX_EPOCH = 32767;

export const initProducerIdApi = defineApi<InitProducerIdRequest, InitProducerIdResponse>({
  apiKey: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: 2,
  request: InitProducerIdRequestCodec,
  response: InitProducerIdResponseCodec,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: WireErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1, producerEpoch: -1 };
    }
    if (req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH - 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: req.producerId, producerEpoch: req.producerEpoch + 1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: ctx.producerIds.next(), producerEpoch: 0 };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 };
  },
});
