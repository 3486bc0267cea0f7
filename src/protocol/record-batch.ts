// Kafka RecordBatch v2: the broker's and tools' API for encoding records into a
// batch and decoding a batch into records. Owns: the checks at this boundary
// (argument ranges, whole-batch length/magic/CRC-32C, bounded decompression) and
// compaction's rebuild of a batch. The record layout itself — the varint-framed
// records with deltas, keys, values, headers — lives once, in the browser-safe
// src/wire/records.ts (BatchBuilder, decodeRecordSection), which this module
// wraps; importing this module registers the Node codecs and the native CRC-32C
// with that core (src/compression/node-codecs.ts). Must not touch files or sockets, and
// must not change the 61-byte header layout (that is batch-header.ts). The broker's
// hot path never calls this: it stores and serves batches as bytes; this is for
// tools, compaction, the HTTP API, the offsets topic and tests.
//
// Untrusted input: every count and length read from a batch is checked against the
// bytes that remain before anything is allocated from it; failures are
// KafkaError(CORRUPT_MESSAGE) (or UNSUPPORTED_* for a foreign magic/codec), never a crash.
//
// Decoded keys, values and header values are views of the input batch or of its
// decompressed section, not copies: copy them to keep them past the input.

import '../compression/node-codecs.js';
import { BatchBuilder, RecordShape, decodeRecordSection } from '../wire/records.js';
import type { BatchSealOptions, BatchTarget, DecodedRecord, EncodedHeader, RawRecord } from '../wire/records.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_ATTRIBUTES,
  OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  OFF_RECORDS_COUNT,
  RECORD_BATCH_MAGIC,
  computeBatchCrc,
  getBaseOffset,
  getInt64AsNumber,
  readBatchHeader,
} from '../wire/batch-layout.js';
import type { BatchHeader } from '../wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { DECOMPRESSED_BYTES_MAX_DEFAULT, compress, compressionFromCode, decompress } from '../compression/index.js';
import type { CompressionType } from '../compression/index.js';
import { invariantFailed } from '../wire/assert.js';

export type { CompressionType } from '../compression/index.js';
export type { RawRecord, RecordHeader } from '../wire/records.js';

export { RECORD_BATCH_MAGIC };
const INT32_MAX = 0x7fff_ffff;
/** Timestamp deltas are written exactly up to here (zig-zag doubles them below 2^53). */
const TIMESTAMP_DELTA_MAX = 2 ** 52;
/** Compression scratch is kept between calls up to this size; larger batches get a one-off buffer. */
const SCRATCH_BYTES_KEPT_MAX = 4 * 1024 * 1024;

/** A decoded record. `offset` and `timestamp` are absolute (base + delta). */
export type Record = DecodedRecord;

/** A header to encode; strings are written as UTF-8. */
export interface RecordHeaderInput {
  key: string;
  value?: Uint8Array | string | null;
}

/** A record to encode; missing key/value mean null, a missing timestamp means the batch's. */
export interface RecordInput {
  key?: Uint8Array | string | null;
  value?: Uint8Array | string | null;
  headers?: readonly RecordHeaderInput[];
  timestamp?: number;
}

export interface EncodeBatchOptions {
  baseOffset?: number;
  compression?: CompressionType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  partitionLeaderEpoch?: number;
  logAppendTime?: boolean;
  /** Marks a control batch (transaction markers); callers supply the control records. */
  control?: boolean;
  /** Timestamp for records without one; defaults to Date.now() read once per batch. */
  timestamp?: number;
}

export interface DecodeBatchOptions {
  /** Check the CRC-32C (default true). Turn off only for bytes already checked. */
  verifyCrc?: boolean;
  /** Bound on a decompressed records section (default 256 MiB). */
  maxDecompressedBytes?: number;
}

export interface DecodedBatch {
  header: BatchHeader;
  records: Record[];
  /** Bytes the batch occupies (12 + batchLength). */
  size: number;
}

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch: ${why}`);
}

// ---------------------------------------------------------------- encode

const utf8Encoder = new TextEncoder();

/** A nullable field as bytes (strings as UTF-8), checked to be a Uint8Array or string. */
function fieldBytes(v: Uint8Array | string | null | undefined, what: string): Uint8Array | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return utf8Encoder.encode(v);
  throw new TypeError(`${what} must be a Uint8Array, a string or null`);
}

function headerBytes(headers: readonly RecordHeaderInput[] | undefined): EncodedHeader[] | null {
  if (headers === undefined) return null;
  const out = new Array<EncodedHeader>(headers.length);
  for (let h = 0; h < headers.length; h++) {
    const header = headers[h]!;
    if (typeof header.key !== 'string') throw new TypeError('header key must be a string');
    out[h] = { key: utf8Encoder.encode(header.key), value: fieldBytes(header.value, 'header value') };
  }
  return out;
}

function checkInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} ${value} outside [${min}, ${max}]`);
}

/** The header fields of `opts`, range-checked (the builder writes what it is given). */
function sealOptions(opts: EncodeBatchOptions): BatchSealOptions {
  const sealed: BatchSealOptions = {
    compression: opts.compression ?? 'none',
    baseOffset: opts.baseOffset ?? 0,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
    logAppendTime: opts.logAppendTime === true,
    transactional: opts.transactional === true,
    control: opts.control === true,
  };
  checkInt(sealed.baseOffset!, 0, Number.MAX_SAFE_INTEGER, 'baseOffset');
  checkInt(sealed.partitionLeaderEpoch!, -1, INT32_MAX, 'partitionLeaderEpoch');
  checkInt(sealed.producerId, -1, Number.MAX_SAFE_INTEGER, 'producerId');
  checkInt(sealed.producerEpoch, -1, 0x7fff, 'producerEpoch');
  checkInt(sealed.baseSequence, -1, INT32_MAX, 'baseSequence');
  return sealed;
}

/** Timestamp for records without one: the option's, or Date.now() read once per batch. */
function defaultTimestampOf(records: readonly RecordInput[], opts: EncodeBatchOptions): number {
  checkInt(records.length, 0, INT32_MAX, 'record count');
  const ts = opts.timestamp ?? Date.now();
  checkInt(ts, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'timestamp');
  return ts;
}

/** Record `i`'s timestamp, checked; `baseTimestamp` is record 0's. */
function timestampOf(r: RecordInput, i: number, defaultTimestamp: number, baseTimestamp: number): number {
  const ts = r.timestamp ?? defaultTimestamp;
  checkInt(ts, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'timestamp');
  if (i > 0) checkInt(ts - baseTimestamp, -TIMESTAMP_DELTA_MAX, TIMESTAMP_DELTA_MAX, 'timestamp delta');
  return ts;
}

/** Bytes of the uncompressed batch of `records` (strings are encoded to be measured). */
function batchBytes(records: readonly RecordInput[], defaultTimestamp: number): number {
  let totalBytes = BATCH_HEADER_BYTES;
  let baseTimestamp = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = timestampOf(r, i, defaultTimestamp, baseTimestamp);
    if (i === 0) baseTimestamp = ts;
    totalBytes += BatchBuilder.recordBytes(fieldBytes(r.key, 'key'), fieldBytes(r.value, 'value'), headerBytes(r.headers), ts - baseTimestamp, i);
    if (totalBytes > INT32_MAX) throw new RangeError('batch larger than 2 GiB');
  }
  return totalBytes;
}

/**
 * Writes the batch into `target` in one pass (no per-record sizing beforehand) and
 * seals it; null when it does not fit there (the bytes from target.start on are
 * then overwritten).
 */
function buildBatch(records: readonly RecordInput[], defaultTimestamp: number, sealed: BatchSealOptions, target: BatchTarget): Uint8Array | null {
  const room = Math.min(target.buf.length - target.start, INT32_MAX);
  const builder = new BatchBuilder(room, room, target);
  let baseTimestamp = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = timestampOf(r, i, defaultTimestamp, baseTimestamp);
    if (i === 0) baseTimestamp = ts;
    if (!builder.tryAppend(fieldBytes(r.key, 'key'), fieldBytes(r.value, 'value'), headerBytes(r.headers), ts)) return null;
  }
  return builder.seal(sealed);
}

let scratch = new Uint8Array(64 * 1024);

/**
 * Builds the batch in the module's scratch buffer (grown once to the exact size
 * when the batch does not fit; a batch above SCRATCH_BYTES_KEPT_MAX gets a one-off
 * buffer). The result is a view of the scratch when uncompressed: copy it to keep it.
 */
function buildInScratch(records: readonly RecordInput[], defaultTimestamp: number, sealed: BatchSealOptions): Uint8Array {
  const batch = buildBatch(records, defaultTimestamp, sealed, { buf: scratch, start: 0 });
  if (batch !== null) return batch;
  const totalBytes = batchBytes(records, defaultTimestamp);
  let buf: Uint8Array;
  if (totalBytes > SCRATCH_BYTES_KEPT_MAX) {
    buf = new Uint8Array(totalBytes);
  } else {
    let n = scratch.length;
    while (n < totalBytes) n *= 2;
    scratch = buf = new Uint8Array(n);
  }
  const sized = buildBatch(records, defaultTimestamp, sealed, { buf, start: 0 });
  if (sized === null) invariantFailed(`record batch: measured ${totalBytes} bytes, but the records did not fit`);
  return sized;
}

/** Exact size of the uncompressed batch `records` would encode to. */
export function recordBatchSize(records: readonly RecordInput[], opts: EncodeBatchOptions = {}): number {
  return batchBytes(records, defaultTimestampOf(records, opts));
}

/**
 * Encodes `records` as one batch into `out` at `pos`; returns the bytes written.
 * An uncompressed batch is written straight into `out` (no buffer allocated; only
 * string fields and headers are turned into bytes first). RangeError if `out` is
 * too small (size it with recordBatchSize for an uncompressed batch); `out` past
 * `pos` may have been written to by then.
 */
export function encodeRecordBatchInto(
  out: Uint8Array,
  pos: number,
  records: readonly RecordInput[],
  opts: EncodeBatchOptions = {},
): number {
  const sealed = sealOptions(opts);
  const defaultTimestamp = defaultTimestampOf(records, opts);
  if (!Number.isInteger(pos) || pos < 0 || pos > out.length) throw new RangeError(`position ${pos} outside the output of ${out.length}`);
  if (sealed.compression === 'none') {
    const batch = buildBatch(records, defaultTimestamp, sealed, { buf: out, start: pos });
    if (batch === null) throw new RangeError(`batch does not fit in the ${out.length - pos} bytes at ${pos}`);
    return batch.length;
  }
  const batch = buildInScratch(records, defaultTimestamp, sealed);
  if (out.length - pos < batch.length) throw new RangeError(`batch needs ${batch.length} bytes at ${pos} of ${out.length}`);
  out.set(batch, pos);
  return batch.length;
}

/**
 * Encodes `records` as one RecordBatch v2 (offset deltas 0..n-1, timestamp deltas
 * from the first record), compressing the records section when asked.
 */
export function encodeRecordBatch(records: readonly RecordInput[], opts: EncodeBatchOptions = {}): Uint8Array {
  const sealed = sealOptions(opts);
  const batch = buildInScratch(records, defaultTimestampOf(records, opts), sealed);
  // Compressed (or a one-off buffer): already the caller's; uncompressed: a view of the scratch.
  return batch.buffer === scratch.buffer ? batch.slice() : batch;
}

// ---------------------------------------------------------------- decode

/** The compression codec named by a batch's attributes. */
export function batchCompression(attributes: number): CompressionType {
  return compressionFromCode(attributes & ATTR_COMPRESSION_MASK);
}

/**
 * Decodes the batch at `pos` of `bytes`: checks length, magic and CRC-32C,
 * decompresses the records section if needed, and returns the header, the records
 * (absolute offsets and timestamps; LOG_APPEND_TIME batches give every record the
 * batch's maxTimestamp, as Kafka does) and the bytes the batch occupies.
 */
export function decodeRecordBatch(bytes: Uint8Array, pos = 0, opts: DecodeBatchOptions = {}): DecodedBatch {
  if (!Number.isInteger(pos) || pos < 0 || pos > bytes.length) throw new RangeError(`position ${pos} outside the input`);
  const remaining = bytes.length - pos;
  if (remaining < BATCH_HEADER_BYTES) throw corrupt(`${remaining} bytes is shorter than a batch header`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset + pos, remaining);
  const batchLength = dv.getInt32(OFF_BATCH_LENGTH);
  if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) throw corrupt(`batchLength ${batchLength} is too small`);
  if (batchLength > remaining - BATCH_LOG_OVERHEAD_BYTES) throw corrupt(`batchLength ${batchLength} overruns the ${remaining} bytes left`);
  const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
  const batch = bytes.subarray(pos, pos + size);
  const section = checkedSection(batch, opts);
  const header = readBatchHeader(batch);
  if (header.lastOffsetDelta < 0) throw corrupt(`negative lastOffsetDelta ${header.lastOffsetDelta}`);
  const baseOffset = getBaseOffset(batch);
  const baseTimestamp = getInt64AsNumber(batch, OFF_BASE_TIMESTAMP);
  const logAppendTimestamp =
    (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? getInt64AsNumber(batch, OFF_MAX_TIMESTAMP) : null;
  const records: Record[] = [];
  decodeRecordSection(section, header.recordsCount, RecordShape.record, '', 0, baseOffset, baseTimestamp, logAppendTimestamp, -Infinity, records);
  return { header, records, size };
}

/**
 * Checks the magic and (unless told not to) the CRC-32C of one whole batch and
 * returns its records section, decompressed when the batch is compressed.
 */
function checkedSection(batch: Uint8Array, opts: DecodeBatchOptions): Uint8Array {
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  const magic = dv.getInt8(OFF_MAGIC);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch: magic ${magic}, only 2 is supported`);
  }
  if (opts.verifyCrc !== false) {
    const crc = computeBatchCrc(batch);
    if (crc !== dv.getUint32(OFF_CRC)) throw corrupt(`CRC-32C mismatch (stored ${dv.getUint32(OFF_CRC)}, computed ${crc})`);
  }
  const section = batch.subarray(BATCH_HEADER_BYTES);
  const compression = batchCompression(dv.getInt16(OFF_ATTRIBUTES));
  if (compression === 'none') return section;
  return decompress(compression, section, opts.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
}

/**
 * Decodes batches laid back to back (a log segment slice or a fetch response's
 * records). A trailing partial batch — which a fetch response may end with — is
 * ignored; any other malformation throws.
 */
export function decodeRecordBatches(bytes: Uint8Array, opts: DecodeBatchOptions = {}): DecodedBatch[] {
  const batches: DecodedBatch[] = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  // Each decoded batch advances by at least BATCH_HEADER_BYTES, bounding the loop.
  const iterationsMax = Math.floor(bytes.length / BATCH_HEADER_BYTES) + 1;
  for (let i = 0; i < iterationsMax; i++) {
    const remaining = bytes.length - pos;
    if (remaining < BATCH_LOG_OVERHEAD_BYTES) break;
    const batchLength = dv.getInt32(pos + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) throw corrupt(`batchLength ${batchLength} is too small`);
    if (batchLength > remaining - BATCH_LOG_OVERHEAD_BYTES) break; // trailing partial batch
    const batch = decodeRecordBatch(bytes, pos, opts);
    batches.push(batch);
    pos += batch.size;
  }
  return batches;
}

// ---------------------------------------------------------------- raw records (compaction)

/**
 * Splits one whole batch (exactly `batch`, 12 + batchLength bytes) into its raw
 * records, decompressing the records section if needed. Checks the CRC unless
 * told not to. Header fields are read with readBatchHeader by the caller.
 */
export function decodeRawRecords(batch: Uint8Array, opts: DecodeBatchOptions = {}): RawRecord[] {
  if (batch.length < BATCH_HEADER_BYTES) throw corrupt(`${batch.length} bytes is shorter than a batch header`);
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (dv.getInt32(OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES !== batch.length) throw corrupt('batchLength does not match the bytes given');
  const section = checkedSection(batch, opts);
  const out: RawRecord[] = [];
  decodeRecordSection(section, dv.getInt32(OFF_RECORDS_COUNT), RecordShape.raw, '', 0, 0, 0, null, -Infinity, out);
  return out;
}

/**
 * A copy of `original` holding only `kept` (raw records taken from it, in order):
 * the same header — baseOffset, lastOffsetDelta, attributes (codec, timestamp type,
 * transactional/control), base and max timestamps, producer id/epoch/sequence — with
 * the records count, batch length and CRC-32C recomputed, and the records section
 * compressed again with the batch's own codec. Kafka's cleaner keeps lastOffsetDelta
 * the same way, so the batch still ends at the offset it ended at.
 */
export function rebuildRecordBatch(original: Uint8Array, kept: readonly RawRecord[]): Uint8Array {
  if (original.length < BATCH_HEADER_BYTES) throw corrupt(`${original.length} bytes is shorter than a batch header`);
  const attributes = new DataView(original.buffer, original.byteOffset, original.byteLength).getInt16(OFF_ATTRIBUTES);
  let sectionBytes = 0;
  for (const r of kept) sectionBytes += r.bytes.length;
  if (sectionBytes > INT32_MAX - BATCH_HEADER_BYTES) throw new RangeError('batch larger than 2 GiB');
  let section: Uint8Array = new Uint8Array(sectionBytes);
  let pos = 0;
  for (const r of kept) {
    section.set(r.bytes, pos);
    pos += r.bytes.length;
  }
  const compression = batchCompression(attributes);
  if (compression !== 'none') section = compress(compression, section);
  const out = new Uint8Array(BATCH_HEADER_BYTES + section.length);
  out.set(original.subarray(0, BATCH_HEADER_BYTES), 0);
  out.set(section, BATCH_HEADER_BYTES);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setInt32(OFF_BATCH_LENGTH, out.length - BATCH_LOG_OVERHEAD_BYTES);
  dv.setInt32(OFF_RECORDS_COUNT, kept.length);
  dv.setUint32(OFF_CRC, computeBatchCrc(out));
  return out;
}
