// Errors of Samsa's client: Kafka error codes as KafkaError, plus which of them a
// client may retry. Owns: the retriable set and the helpers that name a code in a
// message. Must not import Node built-ins (the browser client shares it).

import { ErrorCode, KafkaError, errorName } from '../wire/errors.js';

export { ErrorCode, KafkaError, errorName };

/** Codes Kafka marks retriable (RetriableException subclasses) that can reach a client here. */
const RETRIABLE_CODES: ReadonlySet<number> = new Set<number>([
  ErrorCode.CORRUPT_MESSAGE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  20, // NOT_ENOUGH_REPLICAS_AFTER_APPEND
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

export function isRetriable(code: number): boolean {
  return RETRIABLE_CODES.has(code);
}

/** A KafkaError whose message names the code, e.g. "produce t-0: UNKNOWN_TOPIC_OR_PARTITION (3)". */
export function kafkaError(code: number, context: string, detail?: string | null): KafkaError {
  const suffix = detail !== undefined && detail !== null && detail !== '' ? `: ${detail}` : '';
  return new KafkaError(code, `${context}: ${errorName(code)} (${code})${suffix}`);
}

/** The connection failed or closed: every request on it fails with this (retriable). */
export class ConnectionError extends KafkaError {
  constructor(message: string, code: number = ErrorCode.NETWORK_EXCEPTION) {
    super(code, message);
    this.name = 'ConnectionError';
  }
}

/** The client was closed by its owner; nothing more will be sent. */
export class ClientClosedError extends KafkaError {
  constructor(what: string) {
    super(ErrorCode.NETWORK_EXCEPTION, `${what} is closed`);
    this.name = 'ClientClosedError';
  }
}

/** Retriable: a KafkaError with a retriable code (ConnectionError included). */
export function isRetriableError(err: unknown): boolean {
  return err instanceof KafkaError && !(err instanceof ClientClosedError) && isRetriable(err.code);
}

/**
 * SASL failed: the broker refused the mechanism or the credentials, or could not prove
 * it knows them (SCRAM's server signature). Not retriable. The message names the
 * mechanism, the user and the broker's reason, never the password.
 */
export class AuthenticationError extends KafkaError {
  constructor(message: string, code: number = ErrorCode.SASL_AUTHENTICATION_FAILED) {
    super(code, message);
    this.name = 'AuthenticationError';
  }
}
