// Records as JSON, in the Confluent REST Proxy v2 / Redpanda HTTP Proxy shapes.
// Owns: the embedded formats (json: keys/values are JSON values; binary: base64),
// choosing one from Content-Type/Accept, validating a produce body into records,
// and rendering stored records as JSON objects. Must not touch the engine.
//
// Produce record: {"key"?, "value"?, "partition"?, "headers"?, "timestamp"?}
//   json format: key/value any JSON value, stored as its JSON text in UTF-8
//   (null/absent = a null key/value); binary format: base64 strings or null.
//   headers: [{"key": string, "value": ...}] or {"name": value}; a header value is
//   a string (json: stored as UTF-8; binary: base64) or null.
// Consumed record: {"topic","key","value","partition","offset","timestamp","headers"}
//   json format: bytes that parse as JSON are returned as that value; other bytes
//   as a UTF-8 string (so topics written by plain-text producers stay readable);
//   binary format: base64.

import type { Record as KafkaRecord, RecordHeaderInput } from '../protocol/record-batch.js';
import { decodeBase64, encodeBase64, fromUtf8, fromUtf8Strict, toUtf8 } from './bytes.js';
import { invalidBody, invalidOffsetOrPartition, HttpError, HttpErrorCode } from './errors.js';

export type EmbeddedFormat = 'json' | 'binary';

/** Records in one produce request (bounded by the body size anyway). */
export const RECORDS_PER_REQUEST_MAX = 100_000;
const HEADERS_PER_RECORD_MAX = 1_000;
const INT32_MAX = 0x7fff_ffff;

export interface ProduceRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** As given in the record; undefined = let the broker choose. */
  partition: number | undefined;
  headers: RecordHeaderInput[];
  timestamp: number | undefined;
}

/** Embedded format of a produce body from its Content-Type; throws 415 for others. */
export function formatFromContentType(contentType: string): EmbeddedFormat {
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct === '' || ct === 'application/json' || ct === 'application/vnd.kafka.json.v2+json' || ct === 'application/vnd.kafka.v2+json') return 'json';
  if (ct === 'application/vnd.kafka.binary.v2+json') return 'binary';
  throw new HttpError(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, `unsupported Content-Type '${ct}': use application/vnd.kafka.json.v2+json, application/vnd.kafka.binary.v2+json or application/json`);
}

/** Embedded format for a records response from the Accept header; throws 406 when none fits. */
export function formatFromAccept(accept: string): EmbeddedFormat {
  if (accept.trim() === '') return 'json';
  let sawAny = false;
  for (const part of accept.split(',')) {
    const t = part.split(';')[0]!.trim().toLowerCase();
    if (t === 'application/vnd.kafka.binary.v2+json') return 'binary';
    if (t === 'application/vnd.kafka.json.v2+json' || t === 'application/json' || t === 'application/vnd.kafka.v2+json') return 'json';
    if (t === '*/*' || t === 'application/*') sawAny = true;
  }
  if (sawAny) return 'json';
  throw new HttpError(406, HttpErrorCode.NOT_ACCEPTABLE, `cannot answer with '${accept}': accept application/vnd.kafka.json.v2+json or application/vnd.kafka.binary.v2+json`);
}

/** A `format` query/stream parameter: json (default) or binary. */
export function formatFromParam(v: string | null): EmbeddedFormat {
  if (v === null || v === '' || v === 'json') return 'json';
  if (v === 'binary') return 'binary';
  throw invalidBody(`format must be json or binary, got ${JSON.stringify(v)}`);
}

export function contentTypeOf(format: EmbeddedFormat): string {
  return format === 'binary' ? 'application/vnd.kafka.binary.v2+json' : 'application/vnd.kafka.json.v2+json';
}

/** Parses JSON text; 42201 naming the problem when it is not JSON. */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw invalidBody(`${what} is not valid JSON: ${(err as Error).message}`);
  }
}

function isObject(v: unknown): v is { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function embedded(v: unknown, format: EmbeddedFormat, where: string): Uint8Array | null {
  if (v === undefined || v === null) return null;
  if (format === 'json') return toUtf8(JSON.stringify(v));
  if (typeof v !== 'string') throw invalidBody(`${where} must be a base64 string or null in the binary format`);
  const b = decodeBase64(v);
  if (b === null) throw invalidBody(`${where} is not valid base64`);
  return b;
}

function headerValue(v: unknown, format: EmbeddedFormat, where: string): Uint8Array | null {
  if (v === undefined || v === null) return null;
  if (format === 'binary') return embedded(v, format, where);
  if (typeof v === 'string') return toUtf8(v);
  return toUtf8(JSON.stringify(v));
}

function parseHeaders(v: unknown, format: EmbeddedFormat, where: string): RecordHeaderInput[] {
  if (v === undefined || v === null) return [];
  const out: RecordHeaderInput[] = [];
  if (Array.isArray(v)) {
    if (v.length > HEADERS_PER_RECORD_MAX) throw invalidBody(`${where} has more than ${HEADERS_PER_RECORD_MAX} headers`);
    v.forEach((h, i) => {
      if (!isObject(h) || typeof h.key !== 'string') throw invalidBody(`${where}[${i}] must be an object with a string "key"`);
      out.push({ key: h.key, value: headerValue(h.value, format, `${where}[${i}].value`) });
    });
    return out;
  }
  if (isObject(v)) {
    const entries = Object.entries(v);
    if (entries.length > HEADERS_PER_RECORD_MAX) throw invalidBody(`${where} has more than ${HEADERS_PER_RECORD_MAX} headers`);
    for (const [k, hv] of entries) out.push({ key: k, value: headerValue(hv, format, `${where}.${k}`) });
    return out;
  }
  throw invalidBody(`${where} must be an array of {"key","value"} or an object`);
}

/** One record object of a produce body (or a WebSocket produce message). */
export function parseRecord(v: unknown, format: EmbeddedFormat, where: string): ProduceRecord {
  if (!isObject(v)) throw invalidBody(`${where} must be an object with "value" (and optional "key", "partition", "headers")`);
  let partition: number | undefined;
  if (v.partition !== undefined && v.partition !== null) {
    if (typeof v.partition !== 'number' || !Number.isInteger(v.partition) || v.partition < 0 || v.partition > INT32_MAX) {
      throw invalidOffsetOrPartition(`${where}.partition must be a non-negative integer, got ${JSON.stringify(v.partition)}`);
    }
    partition = v.partition;
  }
  let timestamp: number | undefined;
  if (v.timestamp !== undefined && v.timestamp !== null) {
    if (typeof v.timestamp !== 'number' || !Number.isSafeInteger(v.timestamp) || v.timestamp < 0) {
      throw invalidBody(`${where}.timestamp must be milliseconds since the epoch, got ${JSON.stringify(v.timestamp)}`);
    }
    timestamp = v.timestamp;
  }
  return {
    key: embedded(v.key, format, `${where}.key`),
    value: embedded(v.value, format, `${where}.value`),
    partition,
    headers: parseHeaders(v.headers, format, `${where}.headers`),
    timestamp,
  };
}

/** A produce body `{"records": [...]}` → records; 42201 naming what is wrong. */
export function parseProduceBody(body: unknown, format: EmbeddedFormat): ProduceRecord[] {
  if (!isObject(body)) throw invalidBody('body must be a JSON object {"records": [...]}');
  if (!('records' in body)) throw invalidBody('body has no "records" array');
  const records = body.records;
  if (!Array.isArray(records)) throw invalidBody('"records" must be an array');
  return parseRecordList(records, format, 'records');
}

export function parseRecordList(records: unknown[], format: EmbeddedFormat, where: string): ProduceRecord[] {
  if (records.length === 0) throw invalidBody(`"${where}" is empty`);
  if (records.length > RECORDS_PER_REQUEST_MAX) throw invalidBody(`more than ${RECORDS_PER_REQUEST_MAX} records in one request`);
  return records.map((r, i) => parseRecord(r, format, `${where}[${i}]`));
}

function renderEmbedded(b: Uint8Array | null, format: EmbeddedFormat): unknown {
  if (b === null) return null;
  if (format === 'binary') return encodeBase64(b);
  const text = fromUtf8Strict(b);
  if (text === null) return fromUtf8(b);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface JsonRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
  headers: Array<{ key: string; value: string | null }>;
}

export function renderRecord(topic: string, partition: number, r: KafkaRecord, format: EmbeddedFormat): JsonRecord {
  return {
    topic,
    key: renderEmbedded(r.key, format),
    value: renderEmbedded(r.value, format),
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : format === 'binary' ? encodeBase64(h.value) : fromUtf8(h.value) })),
  };
}
