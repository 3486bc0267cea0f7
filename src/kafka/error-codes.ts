// The mapping of anything a handler or the engine threw to a Kafka error code and
// message. Owns: that mapping only; the codes themselves live in src/wire/errors.ts.

import { ErrorCode, KafkaError } from '../wire/errors.js';

/** The Kafka code for anything a handler or the engine threw. */
export function errorCodeOf(err: unknown): number {
  if (err instanceof KafkaError) return err.code;
  return ErrorCode.UNKNOWN_SERVER_ERROR;
}

export function errorMessageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
