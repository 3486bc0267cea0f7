// Fuzz targets: each takes arbitrary bytes and runs one decoder the broker (or the
// client) applies to input from outside, exactly as the boundary that owns that input
// calls it. A target returns normally or throws; the error kinds its boundary turns
// into a protocol answer are "expected" (docs/architecture.md, "Errors"), anything else
// (a TypeError, a RangeError, an InvariantError, a wrong round trip) is a finding.
// Shared by the coverage-guided fuzzer (fuzz.ts) and the regression test that replays
// the corpus and every finding (regressions.test.ts). Must not write files or open sockets.
import '../../src/compression/node-codecs.js';
import { isDeepStrictEqual } from 'node:util';
import { APIS } from '../../src/kafka/apis/index.js';
import type { AnyApiDefinition } from '../../src/kafka/apis/types.js';
import { DecodeError } from '../../src/wire/codec/errors.js';
import { Reader } from '../../src/wire/codec/reader.js';
import { Writer } from '../../src/wire/codec/writer.js';
import { KafkaError } from '../../src/wire/errors.js';
import { checkBatch } from '../../src/wire/batch-layout.js';
import { decodeRecordBatches } from '../../src/protocol/record-batch.js';
import {
  REQUEST_HEADER_FIXED_BYTES,
  RequestHeaderCodec,
  ResponseHeaderCodec,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../../src/wire/schemas/headers.js';
import { HttpError } from '../../src/http/errors.js';
import { fromUtf8Strict } from '../../src/http/bytes.js';
import { parseJson, parseProduceBody, parseRecord, parseRecordList } from '../../src/http/records-json.js';
import type { EmbeddedFormat } from '../../src/http/records-json.js';

export interface FuzzTarget {
  /** What it covers, for the report. */
  readonly what: string;
  /** Longest input the fuzzer makes. */
  readonly maxLen: number;
  run(input: Uint8Array): void;
  /** True for an error the owning boundary answers cleanly. */
  expected(err: unknown): boolean;
}

/** An oracle failure: the decoder accepted the input but broke a property it must keep. */
export class OracleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OracleError';
  }
}

const apis = new Map<number, AnyApiDefinition>(APIS.map((a) => [a.apiKey, a]));

/**
 * The broker's request decoding (kafka/handler.ts, before a request is handled): the
 * fixed header, the API and version served, the header by version, the body. A body
 * that decodes must also encode again and decode to the same value (the codec's two
 * halves agree), since the client encodes with the same schemas.
 */
function runRequest(frame: Uint8Array): void {
  if (frame.byteLength < REQUEST_HEADER_FIXED_BYTES) return;
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const api = apis.get(dv.getInt16(0));
  if (api === undefined) return;
  const version = dv.getInt16(2);
  if (version < api.minVersion || version > api.maxVersion) return;
  const flexible = version >= api.flexibleFrom;
  const r = new Reader(frame);
  RequestHeaderCodec.decode(r, requestHeaderVersion(flexible));
  const request = api.request.decode(r, version);
  roundTrip(api.request, request, version, `${api.name} v${version} request`);
}

/**
 * The client's response decoding (client/connection.ts): a hostile or broken broker
 * must not crash a client. The first two bytes pick the API, the next two the version;
 * the rest is the response frame.
 */
function runResponse(input: Uint8Array): void {
  if (input.byteLength < 4) return;
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const api = APIS[dv.getUint16(0) % APIS.length]!;
  const version = api.minVersion + (dv.getUint16(2) % (api.maxVersion - api.minVersion + 1));
  const r = new Reader(input.subarray(4));
  ResponseHeaderCodec.decode(r, responseHeaderVersion(api.apiKey, version >= api.flexibleFrom));
  const response = api.response.decode(r, version);
  roundTrip(api.response, response, version, `${api.name} v${version} response`);
}

function roundTrip(codec: AnyApiDefinition['request'], value: object, version: number, what: string): void {
  const w = new Writer();
  try {
    codec.encode(w, value, version);
  } catch (err) {
    throw new OracleError(`${what}: decoded, but does not encode again: ${err instanceof Error ? err.message : String(err)}`);
  }
  const again = codec.decode(new Reader(w.finish()), version);
  if (!isDeepStrictEqual(again, value)) throw new OracleError(`${what}: encode then decode gives a different value`);
}

/**
 * Record batches as the broker meets them: the shard's validation of produced bytes
 * (checkBatch) and decoding with every codec (HTTP consume, compaction, the client),
 * with the CRC check off so mutations reach the compressed payloads.
 */
function runRecordBatch(input: Uint8Array): void {
  checkBatch(input, 1 << 20);
  decodeRecordBatches(input, { verifyCrc: false, maxDecompressedBytes: 1 << 20 });
}

const FORMATS: EmbeddedFormat[] = ['json', 'binary'];

/** The HTTP produce body (POST /topics/:t) and a JSON WebSocket produce message, in both embedded formats. */
function runHttpJson(input: Uint8Array): void {
  const text = fromUtf8Strict(input);
  if (text === null) return;
  let firstError: unknown = null;
  for (const format of FORMATS) {
    try {
      parseProduceBody(parseJson(text, 'body'), format);
    } catch (err) {
      firstError ??= err;
    }
    try {
      // streams.ts ProduceStreamSession.parse: a list, {"records": [...]}, or one record.
      const v = parseJson(text, 'message');
      if (Array.isArray(v)) parseRecordList(v, format, 'message');
      else if (typeof v === 'object' && v !== null && 'records' in v && Array.isArray((v as { records: unknown }).records)) parseRecordList((v as { records: unknown[] }).records, format, 'records');
      else parseRecord(v, format, 'message');
    } catch (err) {
      firstError ??= err;
    }
  }
  if (firstError !== null) throw firstError;
}

export const TARGETS: Readonly<Record<string, FuzzTarget>> = {
  requests: {
    what: `request decoders, every API key and version served (${APIS.length} APIs, ${APIS.reduce((n, a) => n + a.maxVersion - a.minVersion + 1, 0)} versions), with an encode/decode round trip`,
    maxLen: 4096,
    run: runRequest,
    expected: (err) => err instanceof DecodeError,
  },
  responses: {
    what: 'response decoders (the client), every API key and version, with a round trip',
    maxLen: 4096,
    run: runResponse,
    expected: (err) => err instanceof DecodeError,
  },
  'record-batch': {
    what: 'RecordBatch validation (checkBatch) and decoding with every codec (none, gzip, snappy, lz4, zstd)',
    maxLen: 16384,
    run: runRecordBatch,
    expected: (err) => err instanceof KafkaError,
  },
  'http-json': {
    what: 'HTTP JSON produce bodies and JSON WebSocket produce messages, json and binary formats',
    maxLen: 4096,
    run: runHttpJson,
    expected: (err) => err instanceof HttpError,
  },
};
