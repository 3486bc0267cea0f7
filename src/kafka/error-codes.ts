// Kafka error codes the wire layer needs beyond src/protocol/errors.ts, and the
// mapping of thrown errors to codes. Owns: these extra codes only (numbers from
// org.apache.kafka.common.protocol.Errors). Must not duplicate codes already in
// src/protocol/errors.ts.

import { ErrorCode, KafkaError } from '../protocol/errors.js';

export const WireErrorCode = {
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  INVALID_REPLICA_ASSIGNMENT: 39,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  INVALID_FETCH_SESSION_EPOCH: 71,
  UNKNOWN_LEADER_EPOCH: 75,
  FENCED_LEADER_EPOCH: 74,
} as const;

/** The Kafka code for anything a handler or the engine threw. */
export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
