// Kafka RecordBatch v2: encoding records into a batch and decoding a batch into records.
// Owns: the record layout inside a batch (varint-framed records with deltas, keys,
// values, headers), computing and checking the batch's derived fields (attributes,
// lastOffsetDelta, maxTimestamp, CRC-32C), and compressing/decompressing the records
// section. Must not touch files or sockets, and must not change the 61-byte header
// layout (that is batch-header.ts). The broker's hot path never calls this: it stores
// and serves batches as bytes; this is for clients, tools, compaction and tests.
//
// Record layout (Kafka protocol guide, "Record"):
//   length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
//   keyLength varint | key | valueLength varint | value |
//   headerCount varint | [headerKeyLength varint | headerKey | headerValueLength varint | headerValue]
// Lengths of -1 mean null (keys, values, header values; never header keys).
//
// Untrusted input: every count and length read from a batch is checked against the
// bytes that remain before anything is allocated from it; failures are
// KafkaError(CORRUPT_MESSAGE) (or UNSUPPORTED_* for a foreign magic/codec), never a crash.
//
// Decoded keys, values and header values are views (subarray) of the input batch or
// of its decompressed section, not copies: copy them to keep them past the input.

import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_ATTRIBUTES,
  OFF_BASE_SEQUENCE,
  OFF_BASE_TIMESTAMP,
  OFF_BATCH_LENGTH,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAGIC,
  OFF_MAX_TIMESTAMP,
  OFF_PARTITION_LEADER_EPOCH,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  OFF_RECORDS_COUNT,
  computeBatchCrc,
  getBaseOffset,
  getInt64AsNumber,
  readBatchHeader,
  setBaseOffset,
} from './batch-header.js';
import type { BatchHeader } from './batch-header.js';
import { ErrorCode, KafkaError } from './errors.js';
import {
  sizeOfVarint,
  sizeOfVarlong,
  takeVarint,
  takeVarlong,
  writeVarint,
  writeVarlong,
} from './varint.js';
import type { ByteCursor } from './varint.js';
import {
  DECOMPRESSED_BYTES_MAX_DEFAULT,
  compress,
  compressionCode,
  compressionFromCode,
  decompress,
} from '../compression/index.js';
import type { CompressionType } from '../compression/index.js';

export type { CompressionType } from '../compression/index.js';

export const RECORD_BATCH_MAGIC = 2;
/** Smallest record body: attributes, timestampDelta, offsetDelta, keyLength, valueLength, headerCount. */
const RECORD_BODY_BYTES_MIN = 6;
/** Smallest record on the wire: a 1-byte length varint plus the smallest body. */
const RECORD_BYTES_MIN = 1 + RECORD_BODY_BYTES_MIN;
/** Smallest header: keyLength varint and valueLength varint. */
const HEADER_BYTES_MIN = 2;
const INT32_MAX = 0x7fff_ffff;
const TWO_POW_32 = 0x1_0000_0000;
/** Compression scratch is kept between calls up to this size; larger batches get a one-off buffer. */
const SCRATCH_BYTES_KEPT_MAX = 4 * 1024 * 1024;

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A decoded record. `offset` and `timestamp` are absolute (base + delta). */
export interface Record {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

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

// ---------------------------------------------------------------- UTF-8 helpers

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');
const ASCII_DECODE_MAX = 32;

/** Bytes TextEncoder produces for `s` (lone surrogates become U+FFFD, 3 bytes). */
function utf8Length(s: string): number {
  let bytes = 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    } else bytes += 3;
  }
  return bytes;
}

function writeUtf8(out: Uint8Array, pos: number, s: string, byteLength: number): void {
  if (byteLength === s.length) {
    for (let i = 0; i < byteLength; i++) out[pos + i] = s.charCodeAt(i);
    return;
  }
  utf8Encoder.encodeInto(s, out.subarray(pos, pos + byteLength));
}

function readUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= ASCII_DECODE_MAX) {
    let s = '';
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(b);
    }
    return s;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

// ---------------------------------------------------------------- encode

/** Byte length of a nullable field (-1 for null), checked to be a Uint8Array or string. */
function fieldLength(v: Uint8Array | string | null | undefined, what: string): number {
  if (v === null || v === undefined) return -1;
  if (v instanceof Uint8Array) return v.length;
  if (typeof v === 'string') return utf8Length(v);
  throw new TypeError(`${what} must be a Uint8Array, a string or null`);
}

function writeField(out: Uint8Array, pos: number, v: Uint8Array | string | null | undefined, length: number): number {
  pos = writeVarint(out, pos, length);
  if (length <= 0) return pos;
  if (v instanceof Uint8Array) out.set(v, pos);
  else writeUtf8(out, pos, v as string, length);
  return pos + length;
}

function writeInt64(dv: DataView, pos: number, value: number): void {
  const hi = Math.floor(value / TWO_POW_32);
  dv.setInt32(pos, hi);
  dv.setUint32(pos + 4, value - hi * TWO_POW_32);
}

function checkInt(value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${what} ${value} outside [${min}, ${max}]`);
}

/** Per-record body sizes of the batch being encoded; reused across calls, grown on demand. */
let bodySizes = new Int32Array(1024);
let scratch = new Uint8Array(64 * 1024);

interface Plan {
  count: number;
  baseTimestamp: number;
  maxTimestamp: number;
  defaultTimestamp: number;
  /** Bytes of the uncompressed records section. */
  sectionBytes: number;
}

function planBatch(records: readonly RecordInput[], opts: EncodeBatchOptions): Plan {
  const count = records.length;
  checkInt(count, 0, INT32_MAX, 'record count');
  if (bodySizes.length < count) bodySizes = new Int32Array(Math.max(count, bodySizes.length * 2));
  const defaultTimestamp = opts.timestamp ?? Date.now();
  checkInt(defaultTimestamp, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'timestamp');
  // Kafka's NO_TIMESTAMP (-1) for the base and max of an empty batch.
  const baseTimestamp = count > 0 ? (records[0]!.timestamp ?? defaultTimestamp) : -1;
  let maxTimestamp = count > 0 ? baseTimestamp : -1;
  let sectionBytes = 0;
  for (let i = 0; i < count; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? defaultTimestamp;
    checkInt(ts, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'timestamp');
    if (ts > maxTimestamp) maxTimestamp = ts;
    const keyLen = fieldLength(r.key, 'key');
    const valueLen = fieldLength(r.value, 'value');
    let body =
      1 + // attributes (unused in v2, always 0)
      sizeOfVarlong(ts - baseTimestamp) +
      sizeOfVarint(i) +
      sizeOfVarint(keyLen) +
      Math.max(0, keyLen) +
      sizeOfVarint(valueLen) +
      Math.max(0, valueLen);
    const headers = r.headers;
    const headerCount = headers === undefined ? 0 : headers.length;
    body += sizeOfVarint(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      if (typeof header.key !== 'string') throw new TypeError('header key must be a string');
      const hk = utf8Length(header.key);
      const hv = fieldLength(header.value, 'header value');
      body += sizeOfVarint(hk) + hk + sizeOfVarint(hv) + Math.max(0, hv);
    }
    if (body > INT32_MAX) throw new RangeError('record larger than 2 GiB');
    bodySizes[i] = body;
    sectionBytes += sizeOfVarint(body) + body;
  }
  if (sectionBytes > INT32_MAX - BATCH_HEADER_BYTES) throw new RangeError('batch larger than 2 GiB');
  return { count, baseTimestamp, maxTimestamp, defaultTimestamp, sectionBytes };
}

/** Writes the records section at `pos` of `out`; returns the position after it. */
function writeRecords(out: Uint8Array, pos: number, records: readonly RecordInput[], plan: Plan): number {
  for (let i = 0; i < plan.count; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? plan.defaultTimestamp;
    pos = writeVarint(out, pos, bodySizes[i]!);
    out[pos++] = 0;
    pos = writeVarlong(out, pos, ts - plan.baseTimestamp);
    pos = writeVarint(out, pos, i);
    pos = writeField(out, pos, r.key, fieldLength(r.key, 'key'));
    pos = writeField(out, pos, r.value, fieldLength(r.value, 'value'));
    const headers = r.headers;
    const headerCount = headers === undefined ? 0 : headers.length;
    pos = writeVarint(out, pos, headerCount);
    for (let h = 0; h < headerCount; h++) {
      const header = headers![h]!;
      pos = writeField(out, pos, header.key, utf8Length(header.key));
      pos = writeField(out, pos, header.value, fieldLength(header.value, 'header value'));
    }
  }
  return pos;
}

function attributesOf(opts: EncodeBatchOptions, compression: CompressionType): number {
  let attributes = compressionCode(compression);
  if (opts.logAppendTime === true) attributes |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
  if (opts.transactional === true) attributes |= ATTR_TRANSACTIONAL;
  if (opts.control === true) attributes |= ATTR_CONTROL;
  return attributes;
}

/** Writes the 61-byte header at `pos` (CRC last, over attributes..end). */
function writeHeaderAndCrc(
  out: Uint8Array,
  pos: number,
  totalBytes: number,
  plan: Plan,
  opts: EncodeBatchOptions,
  attributes: number,
): void {
  const baseOffset = opts.baseOffset ?? 0;
  const partitionLeaderEpoch = opts.partitionLeaderEpoch ?? -1;
  const producerId = opts.producerId ?? -1;
  const producerEpoch = opts.producerEpoch ?? -1;
  const baseSequence = opts.baseSequence ?? -1;
  checkInt(baseOffset, 0, Number.MAX_SAFE_INTEGER, 'baseOffset');
  checkInt(partitionLeaderEpoch, -1, INT32_MAX, 'partitionLeaderEpoch');
  checkInt(producerId, -1, Number.MAX_SAFE_INTEGER, 'producerId');
  checkInt(producerEpoch, -1, 0x7fff, 'producerEpoch');
  checkInt(baseSequence, -1, INT32_MAX, 'baseSequence');
  const dv = new DataView(out.buffer, out.byteOffset + pos, totalBytes);
  setBaseOffset(out, baseOffset, pos);
  dv.setInt32(OFF_BATCH_LENGTH, totalBytes - BATCH_LOG_OVERHEAD_BYTES);
  dv.setInt32(OFF_PARTITION_LEADER_EPOCH, partitionLeaderEpoch);
  dv.setInt8(OFF_MAGIC, RECORD_BATCH_MAGIC);
  dv.setInt16(OFF_ATTRIBUTES, attributes);
  // An empty batch keeps lastOffsetDelta 0 so that checkBatch (which rejects < 0) accepts it.
  dv.setInt32(OFF_LAST_OFFSET_DELTA, Math.max(0, plan.count - 1));
  writeInt64(dv, OFF_BASE_TIMESTAMP, plan.baseTimestamp);
  writeInt64(dv, OFF_MAX_TIMESTAMP, plan.maxTimestamp);
  writeInt64(dv, OFF_PRODUCER_ID, producerId);
  dv.setInt16(OFF_PRODUCER_EPOCH, producerEpoch);
  dv.setInt32(OFF_BASE_SEQUENCE, baseSequence);
  dv.setInt32(OFF_RECORDS_COUNT, plan.count);
  dv.setUint32(OFF_CRC, computeBatchCrc(out.subarray(pos, pos + totalBytes)));
}

function compressSection(records: readonly RecordInput[], plan: Plan, compression: CompressionType): Uint8Array {
  let buf = scratch;
  if (buf.length < plan.sectionBytes) {
    if (plan.sectionBytes <= SCRATCH_BYTES_KEPT_MAX) {
      let n = buf.length;
      while (n < plan.sectionBytes) n *= 2;
      scratch = buf = new Uint8Array(n);
    } else {
      buf = new Uint8Array(plan.sectionBytes);
    }
  }
  const end = writeRecords(buf, 0, records, plan);
  if (end !== plan.sectionBytes) throw new Error(`record batch: planned ${plan.sectionBytes} bytes, wrote ${end}`);
  const compressed = compress(compression, buf.subarray(0, end));
  if (compressed.length > INT32_MAX - BATCH_HEADER_BYTES) throw new RangeError('compressed batch larger than 2 GiB');
  return compressed;
}

/** Exact size of the uncompressed batch `records` would encode to. */
export function recordBatchSize(records: readonly RecordInput[], opts: EncodeBatchOptions = {}): number {
  return BATCH_HEADER_BYTES + planBatch(records, opts).sectionBytes;
}

/**
 * Encodes `records` as one batch into `out` at `pos`, without allocating for an
 * uncompressed batch; returns the bytes written. RangeError if `out` is too small
 * (size it with recordBatchSize for an uncompressed batch).
 */
export function encodeRecordBatchInto(
  out: Uint8Array,
  pos: number,
  records: readonly RecordInput[],
  opts: EncodeBatchOptions = {},
): number {
  const compression = opts.compression ?? 'none';
  const attributes = attributesOf(opts, compression);
  const plan = planBatch(records, opts);
  if (compression === 'none') {
    const totalBytes = BATCH_HEADER_BYTES + plan.sectionBytes;
    if (pos < 0 || out.length - pos < totalBytes) throw new RangeError(`batch needs ${totalBytes} bytes at ${pos} of ${out.length}`);
    const end = writeRecords(out, pos + BATCH_HEADER_BYTES, records, plan);
    if (end !== pos + totalBytes) throw new Error(`record batch: planned ${totalBytes} bytes, wrote ${end - pos}`);
    writeHeaderAndCrc(out, pos, totalBytes, plan, opts, attributes);
    return totalBytes;
  }
  const section = compressSection(records, plan, compression);
  const totalBytes = BATCH_HEADER_BYTES + section.length;
  if (pos < 0 || out.length - pos < totalBytes) throw new RangeError(`batch needs ${totalBytes} bytes at ${pos} of ${out.length}`);
  out.set(section, pos + BATCH_HEADER_BYTES);
  writeHeaderAndCrc(out, pos, totalBytes, plan, opts, attributes);
  return totalBytes;
}

/**
 * Encodes `records` as one RecordBatch v2 (offset deltas 0..n-1, timestamp deltas
 * from the first record), compressing the records section when asked.
 */
export function encodeRecordBatch(records: readonly RecordInput[], opts: EncodeBatchOptions = {}): Uint8Array {
  const compression = opts.compression ?? 'none';
  const attributes = attributesOf(opts, compression);
  const plan = planBatch(records, opts);
  if (compression === 'none') {
    const totalBytes = BATCH_HEADER_BYTES + plan.sectionBytes;
    const out = new Uint8Array(totalBytes);
    const end = writeRecords(out, BATCH_HEADER_BYTES, records, plan);
    if (end !== totalBytes) throw new Error(`record batch: planned ${totalBytes} bytes, wrote ${end}`);
    writeHeaderAndCrc(out, 0, totalBytes, plan, opts, attributes);
    return out;
  }
  const section = compressSection(records, plan, compression);
  const out = new Uint8Array(BATCH_HEADER_BYTES + section.length);
  out.set(section, BATCH_HEADER_BYTES);
  writeHeaderAndCrc(out, 0, out.length, plan, opts, attributes);
  return out;
}

// ---------------------------------------------------------------- decode

/** The compression codec named by a batch's attributes. */
export function batchCompression(attributes: number): CompressionType {
  return compressionFromCode(attributes & ATTR_COMPRESSION_MASK);
}

/** Reads a nullable byte field within [cur.pos, end): null for -1, a view otherwise. */
function takeBytes(buf: Uint8Array, cur: ByteCursor, end: number, what: string): Uint8Array | null {
  const length = takeVarint(buf, cur);
  if (length === -1) return null;
  if (length < -1 || length > end - cur.pos) throw corrupt(`${what} length ${length} with ${end - cur.pos} bytes left in the record`);
  const start = cur.pos;
  cur.pos = start + length;
  return buf.subarray(start, start + length);
}

function decodeRecords(
  section: Uint8Array,
  count: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTimestamp: number | null,
): Record[] {
  // Bound the count by the bytes before trusting it for anything.
  if (count > Math.floor(section.length / RECORD_BYTES_MIN)) {
    throw corrupt(`${count} records cannot fit in ${section.length} bytes`);
  }
  const records: Record[] = new Array<Record>(count);
  const cur: ByteCursor = { pos: 0 };
  for (let i = 0; i < count; i++) {
    const length = takeVarint(section, cur);
    if (length < RECORD_BODY_BYTES_MIN || length > section.length - cur.pos) {
      throw corrupt(`record ${i} length ${length} with ${section.length - cur.pos} bytes left`);
    }
    const end = cur.pos + length;
    cur.pos += 1; // attributes: unused in v2
    const timestampDelta = takeVarlong(section, cur);
    const offsetDelta = takeVarint(section, cur);
    const key = takeBytes(section, cur, end, 'key');
    const value = takeBytes(section, cur, end, 'value');
    const headerCount = takeVarint(section, cur);
    if (headerCount < 0 || headerCount > Math.floor((end - cur.pos) / HEADER_BYTES_MIN)) {
      throw corrupt(`record ${i} header count ${headerCount} with ${end - cur.pos} bytes left`);
    }
    const headers: RecordHeader[] = new Array<RecordHeader>(headerCount);
    for (let h = 0; h < headerCount; h++) {
      const keyLength = takeVarint(section, cur);
      if (keyLength < 0 || keyLength > end - cur.pos) throw corrupt(`header key length ${keyLength} in record ${i}`);
      const headerKey = readUtf8(section, cur.pos, cur.pos + keyLength);
      cur.pos += keyLength;
      headers[h] = { key: headerKey, value: takeBytes(section, cur, end, 'header value') };
    }
    if (cur.pos !== end) throw corrupt(`record ${i} declares ${length} bytes but its fields take ${cur.pos - end + length}`);
    records[i] = {
      offset: baseOffset + offsetDelta,
      timestamp: logAppendTimestamp ?? baseTimestamp + timestampDelta,
      key,
      value,
      headers,
    };
  }
  if (cur.pos !== section.length) throw corrupt(`${section.length - cur.pos} bytes remain after ${count} records`);
  return records;
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
  const magic = dv.getInt8(OFF_MAGIC);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch: magic ${magic}, only 2 is supported`);
  }
  const batch = bytes.subarray(pos, pos + size);
  if (opts.verifyCrc !== false) {
    const crc = computeBatchCrc(batch);
    if (crc !== dv.getUint32(OFF_CRC)) throw corrupt(`CRC-32C mismatch (stored ${dv.getUint32(OFF_CRC)}, computed ${crc})`);
  }
  const header = readBatchHeader(batch);
  if (header.recordsCount < 0) throw corrupt(`negative record count ${header.recordsCount}`);
  if (header.lastOffsetDelta < 0) throw corrupt(`negative lastOffsetDelta ${header.lastOffsetDelta}`);
  const compression = batchCompression(header.attributes);
  let section = batch.subarray(BATCH_HEADER_BYTES);
  if (compression !== 'none') {
    section = decompress(compression, section, opts.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
  }
  const baseOffset = getBaseOffset(batch);
  const baseTimestamp = getInt64AsNumber(batch, OFF_BASE_TIMESTAMP);
  const logAppendTimestamp =
    (header.attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? getInt64AsNumber(batch, OFF_MAX_TIMESTAMP) : null;
  let records: Record[];
  try {
    records = decodeRecords(section, header.recordsCount, baseOffset, baseTimestamp, logAppendTimestamp);
  } catch (err) {
    // Varints that run off the section or overflow surface as RangeError.
    if (err instanceof RangeError) throw corrupt(err.message);
    throw err;
  }
  return { header, records, size };
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
 * One record of a stored batch as it is on disk: the fields log compaction needs
 * and the record's whole bytes (length varint first), so that a rewritten batch
 * carries it unchanged — same offset delta, timestamp delta, key, value, headers.
 */
export interface RawRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** A view of the batch (or of its decompressed section): copy to keep it. */
  bytes: Uint8Array;
}

/**
 * Splits one whole batch (exactly `batch`, 12 + batchLength bytes) into its raw
 * records, decompressing the records section if needed. Checks the CRC unless
 * told not to. Header fields are read with readBatchHeader by the caller.
 */
export function decodeRawRecords(batch: Uint8Array, opts: DecodeBatchOptions = {}): RawRecord[] {
  if (batch.length < BATCH_HEADER_BYTES) throw corrupt(`${batch.length} bytes is shorter than a batch header`);
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  if (dv.getInt32(OFF_BATCH_LENGTH) + BATCH_LOG_OVERHEAD_BYTES !== batch.length) throw corrupt('batchLength does not match the bytes given');
  const magic = dv.getInt8(OFF_MAGIC);
  if (magic !== RECORD_BATCH_MAGIC) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch: magic ${magic}, only 2 is supported`);
  if (opts.verifyCrc !== false && computeBatchCrc(batch) !== dv.getUint32(OFF_CRC)) throw corrupt('CRC-32C mismatch');
  const count = dv.getInt32(OFF_RECORDS_COUNT);
  let section = batch.subarray(BATCH_HEADER_BYTES);
  const compression = batchCompression(dv.getInt16(OFF_ATTRIBUTES));
  if (compression !== 'none') section = decompress(compression, section, opts.maxDecompressedBytes ?? DECOMPRESSED_BYTES_MAX_DEFAULT);
  if (count < 0 || count > Math.floor(section.length / RECORD_BYTES_MIN)) throw corrupt(`${count} records cannot fit in ${section.length} bytes`);
  const out: RawRecord[] = new Array<RawRecord>(count);
  const cur: ByteCursor = { pos: 0 };
  try {
    for (let i = 0; i < count; i++) {
      const start = cur.pos;
      const length = takeVarint(section, cur);
      if (length < RECORD_BODY_BYTES_MIN || length > section.length - cur.pos) throw corrupt(`record ${i} length ${length} with ${section.length - cur.pos} bytes left`);
      const end = cur.pos + length;
      cur.pos += 1; // attributes: unused in v2
      const timestampDelta = takeVarlong(section, cur);
      const offsetDelta = takeVarint(section, cur);
      const key = takeBytes(section, cur, end, 'key');
      const value = takeBytes(section, cur, end, 'value');
      if (cur.pos > end) throw corrupt(`record ${i} fields overrun its ${length} bytes`);
      cur.pos = end; // headers travel inside `bytes` untouched
      out[i] = { offsetDelta, timestampDelta, key, value, bytes: section.subarray(start, end) };
    }
  } catch (err) {
    if (err instanceof RangeError) throw corrupt(err.message);
    throw err;
  }
  if (cur.pos !== section.length) throw corrupt(`${section.length - cur.pos} bytes remain after ${count} records`);
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
