// HTTP API errors: the `{"error_code": N, "message": "..."}` body and the codes.
// Owns: the code table (documented in docs/http.md) and mapping Kafka errors from the
// engine to it. Must not touch sockets or the engine.
//
// Codes: Confluent REST Proxy's numbers where it has one (40401, 40402, 40403,
// 40601, 40902, 40903, 42201, 42202, 42204, 50002), the bare HTTP status for generic protocol errors (404 no such
// endpoint, 405, 406, 415, as REST Proxy's web layer answers them), and otherwise
// HTTP status × 100 + the Kafka error code (42217 = 422 + INVALID_TOPIC_EXCEPTION).

import { ErrorCode, KafkaError } from '../wire/errors.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
    /** Extra response headers (e.g. Allow on 405). */
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toJson(): string {
    return JSON.stringify({ error_code: this.errorCode, message: this.message });
  }
}

export const HttpErrorCode = {
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  NOT_ACCEPTABLE: 406,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOPIC_NOT_FOUND: 40401,
  PARTITION_NOT_FOUND: 40402,
  CONSUMER_INSTANCE_NOT_FOUND: 40403,
  TABLE_KEY_NOT_FOUND: 40410,
  GROUP_NOT_FOUND: 40469,
  CONSUMER_FORMAT_MISMATCH: 40601,
  CONSUMER_ALREADY_EXISTS: 40902,
  ILLEGAL_STATE: 40903,
  TOPIC_ALREADY_EXISTS: 40936,
  GROUP_NOT_EMPTY: 40968,
  BODY_TOO_LARGE: 41310,
  INVALID_BODY: 42201,
  INVALID_OFFSET_OR_PARTITION: 42202,
  INVALID_CONSUMER_CONFIG: 42204,
  INVALID_TOPIC_NAME: 42217,
  INVALID_GROUP_ID: 42224,
  INVALID_PARTITIONS: 42237,
  INVALID_CONFIG: 42240,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  KAFKA_ERROR: 50002,
  UNAVAILABLE: 50356,
  TOPIC_OFFLINE: 50357,
} as const;

export const topicNotFound = (topic: string): HttpError => new HttpError(404, HttpErrorCode.TOPIC_NOT_FOUND, `topic '${topic}' not found`);

/** 404 for a topic that does not exist; 503 for one that is offline (damaged metadata). */
export function absentTopic(engine: { offlineTopic(name: string): { problem: string } | undefined }, topic: string): HttpError {
  const d = engine.offlineTopic(topic);
  return d !== undefined ? topicOffline(topic, d.problem) : topicNotFound(topic);
}

/** A topic whose metadata file is damaged: it exists, but is not served until the file is fixed. */
export const topicOffline = (topic: string, problem: string): HttpError =>
  new HttpError(503, HttpErrorCode.TOPIC_OFFLINE, `topic '${topic}' is offline: its metadata file is damaged (${problem}); fix the file and restart the broker`);

export const partitionNotFound = (topic: string, partition: number, partitions: number): HttpError =>
  new HttpError(404, HttpErrorCode.PARTITION_NOT_FOUND, `partition ${partition} of topic '${topic}' not found (it has partitions 0..${partitions - 1})`);

export const invalidBody = (message: string): HttpError => new HttpError(422, HttpErrorCode.INVALID_BODY, message);

export const invalidOffsetOrPartition = (message: string): HttpError => new HttpError(422, HttpErrorCode.INVALID_OFFSET_OR_PARTITION, message);

export const bodyTooLarge = (maxBytes: number, what: string): HttpError =>
  new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, `${what} is larger than ${maxBytes} bytes (max.message.bytes)`);

/** An error the engine threw (KafkaError) as an HttpError; anything else is a 500. */
export function fromEngineError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (!(err instanceof KafkaError)) return new HttpError(500, HttpErrorCode.INTERNAL, 'internal error (logged)');
  switch (err.code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
      return new HttpError(404, HttpErrorCode.TOPIC_NOT_FOUND, err.message);
    case ErrorCode.INVALID_TOPIC_EXCEPTION:
      return new HttpError(422, HttpErrorCode.INVALID_TOPIC_NAME, err.message);
    case ErrorCode.TOPIC_ALREADY_EXISTS:
      return new HttpError(409, HttpErrorCode.TOPIC_ALREADY_EXISTS, err.message);
    case ErrorCode.INVALID_PARTITIONS:
      return new HttpError(422, HttpErrorCode.INVALID_PARTITIONS, err.message);
    case ErrorCode.INVALID_CONFIG:
      return new HttpError(422, HttpErrorCode.INVALID_CONFIG, err.message);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, err.message);
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new HttpError(503, HttpErrorCode.UNAVAILABLE, err.message);
    default:
      return new HttpError(500, HttpErrorCode.KAFKA_ERROR, err.message);
  }
}

/** True for errors that are the server's fault (logged; 5xx). */
export function isServerFault(err: HttpError): boolean {
  return err.status >= 500;
}
