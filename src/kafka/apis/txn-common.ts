// Helpers shared by the transaction API files (22, 24, 25, 26, 28).
// Owns: mapping the coordinator's codes to what each request version may carry.
// Must not keep state.

import { ErrorCode } from '../../wire/errors.js';

/**
 * PRODUCER_FENCED exists from some version of each API on (InitProducerId v4,
 * AddPartitionsToTxn/AddOffsetsToTxn/EndTxn v2, KIP-588); older clients get
 * INVALID_PRODUCER_EPOCH, as Kafka answers them.
 */
export function fencedFor(code: number, version: number, firstVersionWithProducerFenced: number): number {
  return code === ErrorCode.PRODUCER_FENCED && version < firstVersionWithProducerFenced ? ErrorCode.INVALID_PRODUCER_EPOCH : code;
}
