// Kafka RecordBatch v2 records, for the client and the broker alike: a builder that
// writes records straight into a batch as they arrive, and the decoder of a batch's
// records section. Owns: the record layout (the only copy of its varint encoding and
// decoding in Samsa) and its bounds, and the batch header fields the builder writes.
// Must not import Node built-ins or native packages (compression and CRC come from
// the registry in codecs.ts), so the browser client can use it; the broker's
// reference API (src/protocol/record-batch.ts) wraps this file and registers the
// Node codecs.
//
// Layout (Kafka protocol guide): the 61-byte header (see batch-header.ts), then per
// record: length varint | attributes i8 | timestampDelta varlong | offsetDelta varint |
// keyLength varint | key | valueLength varint | value | headerCount varint |
// [headerKeyLength varint | headerKey | headerValueLength varint | headerValue].
// Lengths of -1 mean null (keys, values, header values; never header keys).

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
  RECORD_BATCH_MAGIC,
} from './batch-layout.js';
import { COMPRESSION_CODES, type CompressionType, codecForCode, crc32c } from './codecs.js';
import { ErrorCode, KafkaError } from './errors.js';
import { type ByteCursor, putZigZag, sizeOfZigZag, takeVarintUnbounded, takeVarlong } from './varint.js';

export { BATCH_HEADER_BYTES };
const TWO_POW_32 = 0x1_0000_0000;
const INT32_MAX = 0x7fff_ffff;
/** Smallest record on the wire: length varint + 6 one-byte fields. */
const RECORD_BYTES_MIN = 7;
/** Bound on a decompressed records section (Kafka batches are far smaller). */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

export interface RecordHeader {
  key: string;
  value: Uint8Array | null;
}

/** A header ready to write: key already UTF-8. */
export interface EncodedHeader {
  key: Uint8Array;
  value: Uint8Array | null;
}

// ---------------------------------------------------------------- encode

export interface BatchSealOptions {
  compression: CompressionType;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Defaults to 0: a producer's batch gets its offsets from the broker. */
  baseOffset?: number;
  /** Defaults to -1 (no leader epoch). */
  partitionLeaderEpoch?: number;
  /** Attribute bits the broker's tools set: LogAppendTime, transactional, control batch. */
  logAppendTime?: boolean;
  transactional?: boolean;
  control?: boolean;
}

/** Where a builder writes instead of a buffer of its own: `buf` from `start` on, never grown. */
export interface BatchTarget {
  buf: Uint8Array;
  start: number;
}

/**
 * One open batch: records are written into `buf` after a reserved header as they
 * arrive; `seal` fills the header (and compresses) when the batch closes. The
 * batch never grows past its capacity: `tryAppend` answers false instead, and the
 * producer opens a new batch (a record larger than a batch gets a batch of its own).
 * Offset deltas are 0..count-1 and timestamp deltas count from the first record.
 */
export class BatchBuilder {
  private buf: Uint8Array;
  /** Where the batch starts in `buf` (0 unless writing into a caller's buffer). */
  private readonly start: number;
  private pos: number;
  private readonly capacityBytes: number;
  count = 0;
  baseTimestamp = -1;
  maxTimestamp = -1;

  /**
   * `capacityBytes` bounds the batch; the buffer starts at `initialBytes` and
   * doubles up to the bound as records arrive, so a batch that a short linger
   * closes after a few records does not cost a whole batch.size of garbage.
   * With `target`, the batch is written into `target.buf` at `target.start`
   * (capacity: the bytes there, at most `capacityBytes`) and no buffer is allocated.
   */
  constructor(capacityBytes: number, initialBytes = capacityBytes, target: BatchTarget | null = null) {
    if (!Number.isInteger(capacityBytes) || capacityBytes < BATCH_HEADER_BYTES) throw new RangeError(`batch capacity ${capacityBytes}`);
    if (target === null) {
      this.buf = new Uint8Array(Math.min(capacityBytes, Math.max(BATCH_HEADER_BYTES, initialBytes)));
      this.start = 0;
      this.capacityBytes = capacityBytes;
    } else {
      const room = target.buf.length - target.start;
      if (!Number.isInteger(target.start) || target.start < 0 || room < BATCH_HEADER_BYTES) {
        throw new RangeError(`a batch needs ${BATCH_HEADER_BYTES} bytes at ${target.start} of ${target.buf.length}`);
      }
      this.buf = target.buf;
      this.start = target.start;
      this.capacityBytes = Math.min(capacityBytes, room);
    }
    this.pos = this.start + BATCH_HEADER_BYTES;
  }

  /** Bytes written so far (header included). */
  get sizeBytes(): number {
    return this.pos - this.start;
  }

  /** Bytes allocated for the batch now. */
  get allocatedBytes(): number {
    return this.buf.length;
  }

  /** Bytes a record adds to a batch (length prefix included); `timestampDelta`/`offsetDelta` from the batch. */
  static recordBytes(
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: readonly EncodedHeader[] | null,
    timestampDelta: number,
    offsetDelta: number,
  ): number {
    const body = BatchBuilder.bodyBytes(key, value, headers, timestampDelta, offsetDelta);
    return sizeOfZigZag(body) + body;
  }

  private static bodyBytes(
    key: Uint8Array | null,
    value: Uint8Array | null,
    headers: readonly EncodedHeader[] | null,
    timestampDelta: number,
    offsetDelta: number,
  ): number {
    let body = 1 + sizeOfZigZag(timestampDelta) + sizeOfZigZag(offsetDelta);
    body += key === null ? 1 : sizeOfZigZag(key.length) + key.length;
    body += value === null ? 1 : sizeOfZigZag(value.length) + value.length;
    if (headers === null) return body + 1;
    body += sizeOfZigZag(headers.length);
    for (let h = 0; h < headers.length; h++) {
      const hd = headers[h]!;
      body += sizeOfZigZag(hd.key.length) + hd.key.length;
      body += hd.value === null ? 1 : sizeOfZigZag(hd.value.length) + hd.value.length;
    }
    return body;
  }

  /** Appends one record; false (nothing written) when it does not fit. */
  tryAppend(key: Uint8Array | null, value: Uint8Array | null, headers: readonly EncodedHeader[] | null, timestamp: number): boolean {
    const first = this.count === 0;
    const timestampDelta = first ? 0 : timestamp - this.baseTimestamp;
    const offsetDelta = this.count;
    const body = BatchBuilder.bodyBytes(key, value, headers, timestampDelta, offsetDelta);
    const total = sizeOfZigZag(body) + body;
    if (this.pos + total > this.buf.length) {
      // A caller's buffer (start > 0 or capacity = its room) never gets here unless full.
      if (this.pos + total > this.start + this.capacityBytes) return false;
      let size = this.buf.length * 2;
      while (size < this.pos + total) size *= 2;
      const grown = new Uint8Array(Math.min(size, this.capacityBytes));
      grown.set(this.buf.subarray(0, this.pos));
      this.buf = grown;
    }
    const buf = this.buf;
    if (first) {
      this.baseTimestamp = timestamp;
      this.maxTimestamp = timestamp;
    } else if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    let p = putZigZag(buf, this.pos, body);
    buf[p++] = 0; // record attributes: unused in v2
    p = putZigZag(buf, p, timestampDelta);
    p = putZigZag(buf, p, offsetDelta);
    if (key === null) buf[p++] = 1; // zig-zag -1
    else {
      p = putZigZag(buf, p, key.length);
      buf.set(key, p);
      p += key.length;
    }
    if (value === null) buf[p++] = 1;
    else {
      p = putZigZag(buf, p, value.length);
      if (value.length < 64) for (let i = 0; i < value.length; i++) buf[p + i] = value[i]!;
      else buf.set(value, p);
      p += value.length;
    }
    if (headers === null) buf[p++] = 0;
    else {
      p = putZigZag(buf, p, headers.length);
      for (let h = 0; h < headers.length; h++) {
        const hd = headers[h]!;
        p = putZigZag(buf, p, hd.key.length);
        buf.set(hd.key, p);
        p += hd.key.length;
        if (hd.value === null) buf[p++] = 1;
        else {
          p = putZigZag(buf, p, hd.value.length);
          buf.set(hd.value, p);
          p += hd.value.length;
        }
      }
    }
    this.pos = p;
    this.count++;
    return true;
  }

  /**
   * Closes the batch: compresses the records section if asked and writes the
   * header and CRC. Returns the batch bytes (a view of this builder's buffer when
   * uncompressed; a new array when compressed). The builder must not be used after.
   * An empty batch (Kafka keeps them after compaction) has lastOffsetDelta 0 and
   * timestamps -1.
   */
  seal(opts: BatchSealOptions): Uint8Array {
    let out: Uint8Array;
    const code = Object.hasOwn(COMPRESSION_CODES, opts.compression) ? COMPRESSION_CODES[opts.compression] : undefined;
    if (code === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression ${String(opts.compression)}`);
    if (code === 0) {
      out = this.buf.subarray(this.start, this.pos);
    } else {
      const section = codecForCode(code).compress(this.buf.subarray(this.start + BATCH_HEADER_BYTES, this.pos));
      if (section.length > INT32_MAX - BATCH_HEADER_BYTES) throw new RangeError('compressed batch larger than 2 GiB');
      out = new Uint8Array(BATCH_HEADER_BYTES + section.length);
      out.set(section, BATCH_HEADER_BYTES);
    }
    let attributes = code;
    if (opts.logAppendTime === true) attributes |= ATTR_TIMESTAMP_TYPE_LOG_APPEND;
    if (opts.transactional === true) attributes |= ATTR_TRANSACTIONAL;
    if (opts.control === true) attributes |= ATTR_CONTROL;
    writeBatchHeader(out, this.count, this.baseTimestamp, this.maxTimestamp, attributes, opts);
    return out;
  }
}

function setInt64(dv: DataView, at: number, v: number): void {
  const hi = Math.floor(v / TWO_POW_32);
  dv.setInt32(at, hi);
  dv.setUint32(at + 4, v - hi * TWO_POW_32);
}

function writeBatchHeader(
  out: Uint8Array,
  count: number,
  baseTimestamp: number,
  maxTimestamp: number,
  attributes: number,
  opts: BatchSealOptions,
): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  setInt64(dv, 0, opts.baseOffset ?? 0); // a producer's batch: the broker assigns it
  dv.setInt32(OFF_BATCH_LENGTH, out.length - BATCH_LOG_OVERHEAD_BYTES);
  dv.setInt32(OFF_PARTITION_LEADER_EPOCH, opts.partitionLeaderEpoch ?? -1);
  dv.setInt8(OFF_MAGIC, RECORD_BATCH_MAGIC);
  dv.setInt16(OFF_ATTRIBUTES, attributes);
  // An empty batch keeps lastOffsetDelta 0 so that checkBatch (which rejects < 0) accepts it.
  dv.setInt32(OFF_LAST_OFFSET_DELTA, Math.max(0, count - 1));
  setInt64(dv, OFF_BASE_TIMESTAMP, baseTimestamp);
  setInt64(dv, OFF_MAX_TIMESTAMP, maxTimestamp);
  setInt64(dv, OFF_PRODUCER_ID, opts.producerId);
  dv.setInt16(OFF_PRODUCER_EPOCH, opts.producerEpoch);
  dv.setInt32(OFF_BASE_SEQUENCE, opts.baseSequence);
  dv.setInt32(OFF_RECORDS_COUNT, count);
  dv.setUint32(OFF_CRC, crc32c(out.subarray(OFF_ATTRIBUTES)));
}

/**
 * Rewrites producer id, epoch and base sequence of a sealed batch (and its CRC).
 * Used when a batch is sent under a new producer epoch; the records are untouched.
 */
export function restampBatch(batch: Uint8Array, producerId: number, producerEpoch: number, baseSequence: number): void {
  const dv = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  setInt64(dv, OFF_PRODUCER_ID, producerId);
  dv.setInt16(OFF_PRODUCER_EPOCH, producerEpoch);
  dv.setInt32(OFF_BASE_SEQUENCE, baseSequence);
  dv.setUint32(OFF_CRC, crc32c(batch.subarray(OFF_ATTRIBUTES)));
}

/** Record count of a sealed batch. */
export function batchRecordCount(batch: Uint8Array): number {
  return new DataView(batch.buffer, batch.byteOffset, batch.byteLength).getInt32(OFF_RECORDS_COUNT);
}

/** UTF-8 bytes of a string (or the bytes themselves). */
export function toBytes(v: Uint8Array | string): Uint8Array {
  return typeof v === 'string' ? utf8Encoder.encode(v) : v;
}

// ---------------------------------------------------------------- decode

/**
 * A decoded record: `offset` and `timestamp` are absolute (base + delta; a
 * LOG_APPEND_TIME batch gives every record the batch's maxTimestamp, as Kafka does).
 * key/value/header values are views of the decoded bytes, not copies.
 */
export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

/** A record delivered to a consumer. key/value/header values are views of the fetched bytes. */
export interface Message extends DecodedRecord {
  topic: string;
  partition: number;
}

/**
 * One record as it is in its batch: the fields log compaction needs and the
 * record's whole bytes (length varint first), so that a rewritten batch carries it
 * unchanged — same offset delta, timestamp delta, key, value, headers.
 */
export interface RawRecord {
  offsetDelta: number;
  timestampDelta: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  /** A view of the batch (or of its decompressed section): copy to keep it. */
  bytes: Uint8Array;
}

/** What decodeRecordSection makes of each record. */
export const RecordShape = {
  /** Message: a consumer's record, with topic and partition. */
  message: 0,
  /** DecodedRecord: offset, timestamp, key, value, headers. */
  record: 1,
  /** RawRecord: deltas, key, value and the record's bytes; headers are not parsed. */
  raw: 2,
} as const;
export type RecordShape = (typeof RecordShape)[keyof typeof RecordShape];

export interface DecodeOptions {
  /** Check each batch's CRC-32C (Kafka's check.crcs; default true). */
  verifyCrc: boolean;
  maxDecompressedBytes: number;
}

export interface BatchesScan {
  /** Offset after the last whole batch, or -1 when there is none. */
  nextOffset: number;
  /** Whole batches found. */
  batches: number;
  /** Bytes of whole batches. */
  bytes: number;
  /** Bytes after the last whole batch (a trailing partial batch). */
  trailingBytes: number;
}

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `record batch: ${why}`);
}

function int64At(dv: DataView, at: number): number {
  return dv.getInt32(at) * TWO_POW_32 + dv.getUint32(at + 4);
}

/**
 * Walks the batch headers of fetched bytes without decoding records: where the next
 * fetch starts (after the last whole batch) and how much is a trailing partial
 * batch. Throws CORRUPT_MESSAGE on an impossible batch length.
 */
export function scanBatches(bytes: Uint8Array): BatchesScan {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let batches = 0;
  let nextOffset = -1;
  // Each whole batch advances by at least BATCH_HEADER_BYTES, bounding the loop.
  const iterationsMax = Math.floor(bytes.length / BATCH_HEADER_BYTES) + 1;
  for (let i = 0; i < iterationsMax; i++) {
    const remaining = bytes.length - pos;
    if (remaining < BATCH_HEADER_BYTES) break;
    const batchLength = dv.getInt32(pos + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) throw corrupt(`batchLength ${batchLength} is too small`);
    if (batchLength > remaining - BATCH_LOG_OVERHEAD_BYTES) break;
    nextOffset = int64At(dv, pos) + dv.getInt32(pos + OFF_LAST_OFFSET_DELTA) + 1;
    pos += BATCH_LOG_OVERHEAD_BYTES + batchLength;
    batches++;
  }
  return { nextOffset, batches, bytes: pos, trailingBytes: bytes.length - pos };
}

// Decoder cursor: module state, so the per-record varint reads allocate nothing.
let cur = 0;
const CURSOR: ByteCursor = { pos: 0 };

/** Zig-zag varint (i32) at `cur`, through the one varint decoder (wire/varint.ts). */
function readVarint(buf: Uint8Array): number {
  CURSOR.pos = cur;
  const v = takeVarintUnbounded(buf, CURSOR);
  if (v !== v) throw corrupt('varint longer than 5 bytes');
  cur = CURSOR.pos;
  return v;
}

/** Zig-zag varlong at `cur`, exact below 2^53 (timestamp deltas). */
function readVarlong(buf: Uint8Array): number {
  CURSOR.pos = cur;
  try {
    const v = takeVarlong(buf, CURSOR);
    cur = CURSOR.pos;
    return v;
  } catch (err) {
    throw err instanceof RangeError ? corrupt(err.message) : err;
  }
}

const EMPTY_HEADERS: RecordHeader[] = [];
Object.freeze(EMPTY_HEADERS);

function readUtf8(buf: Uint8Array, start: number, end: number): string {
  if (end - start <= 32) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i]!;
      if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8Decoder.decode(buf.subarray(start, end));
}

/**
 * Decodes the `count` records of a (decompressed) records section into `out`, in
 * the shape asked for; records whose absolute offset is below `fromOffset` are
 * skipped (pass -Infinity to keep all). `topic`/`partition` are used only for
 * messages. Every count and length is checked against the bytes that remain before
 * anything is made from it: KafkaError(CORRUPT_MESSAGE), never a crash.
 */
export function decodeRecordSection(
  section: Uint8Array,
  count: number,
  shape: RecordShape,
  topic: string,
  partition: number,
  baseOffset: number,
  baseTimestamp: number,
  logAppendTimestamp: number | null,
  fromOffset: number,
  out: Array<Message | DecodedRecord | RawRecord>,
): void {
  // Bound the count by the bytes before trusting it for anything.
  if (!Number.isInteger(count) || count < 0 || count > Math.floor(section.length / RECORD_BYTES_MIN)) {
    throw corrupt(`${count} records cannot fit in ${section.length} bytes`);
  }
  const n = section.length;
  // Views are made with the constructor: about twice as fast as subarray (no species lookup).
  const ab = section.buffer;
  const base = section.byteOffset;
  // The cursor lives in a local; one-byte varints (most fields) are read inline, longer
  // ones through readVarint/readVarlong with the module cursor.
  let c = 0;
  let b = 0;
  for (let i = 0; i < count; i++) {
    const recordStart = c;
    let length: number;
    b = section[c]!;
    if (b < 0x80) {
      length = (b >>> 1) ^ -(b & 1);
      c++;
    } else {
      cur = c;
      length = readVarint(section);
      c = cur;
    }
    if (length < RECORD_BYTES_MIN - 1 || length > n - c) throw corrupt(`record ${i} length ${length} with ${n - c} bytes left`);
    const end = c + length;
    c++; // attributes
    let timestampDelta: number;
    b = section[c]!;
    if (b < 0x80) {
      timestampDelta = (b >>> 1) ^ -(b & 1);
      c++;
    } else {
      cur = c;
      timestampDelta = readVarlong(section);
      c = cur;
    }
    let offsetDelta: number;
    b = section[c]!;
    if (b < 0x80) {
      offsetDelta = (b >>> 1) ^ -(b & 1);
      c++;
    } else {
      cur = c;
      offsetDelta = readVarint(section);
      c = cur;
    }
    let keyLength: number;
    b = section[c]!;
    if (b < 0x80) {
      keyLength = (b >>> 1) ^ -(b & 1);
      c++;
    } else {
      cur = c;
      keyLength = readVarint(section);
      c = cur;
    }
    let key: Uint8Array | null = null;
    if (keyLength >= 0) {
      if (keyLength > end - c) throw corrupt(`key length ${keyLength} in record ${i}`);
      key = new Uint8Array(ab, base + c, keyLength);
      c += keyLength;
    } else if (keyLength !== -1) throw corrupt(`key length ${keyLength} in record ${i}`);
    let valueLength: number;
    b = section[c]!;
    if (b < 0x80) {
      valueLength = (b >>> 1) ^ -(b & 1);
      c++;
    } else {
      cur = c;
      valueLength = readVarint(section);
      c = cur;
    }
    let value: Uint8Array | null = null;
    if (valueLength >= 0) {
      if (valueLength > end - c) throw corrupt(`value length ${valueLength} in record ${i}`);
      value = new Uint8Array(ab, base + c, valueLength);
      c += valueLength;
    } else if (valueLength !== -1) throw corrupt(`value length ${valueLength} in record ${i}`);
    if (shape === RecordShape.raw) {
      // Headers travel inside `bytes` untouched: compaction never reads them.
      out.push({ offsetDelta, timestampDelta, key, value, bytes: new Uint8Array(ab, base + recordStart, end - recordStart) });
      c = end;
      continue;
    }
    let headers = EMPTY_HEADERS;
    b = section[c]!;
    if (b !== 0) {
      cur = c;
      const headerCount = readVarint(section);
      c = cur;
      if (headerCount < 0 || headerCount > (end - c) >> 1) throw corrupt(`header count ${headerCount} in record ${i}`);
      headers = new Array<RecordHeader>(headerCount);
      for (let h = 0; h < headerCount; h++) {
        cur = c;
        const hkLength = readVarint(section);
        if (hkLength < 0 || hkLength > end - cur) throw corrupt(`header key length ${hkLength} in record ${i}`);
        const hk = readUtf8(section, cur, cur + hkLength);
        cur += hkLength;
        const hvLength = readVarint(section);
        let hv: Uint8Array | null = null;
        if (hvLength >= 0) {
          if (hvLength > end - cur) throw corrupt(`header value length ${hvLength} in record ${i}`);
          hv = new Uint8Array(ab, base + cur, hvLength);
          cur += hvLength;
        } else if (hvLength !== -1) throw corrupt(`header value length ${hvLength} in record ${i}`);
        c = cur;
        headers[h] = { key: hk, value: hv };
      }
    } else c++;
    if (c !== end) throw corrupt(`record ${i} declares ${length} bytes but its fields end elsewhere`);
    const offset = baseOffset + offsetDelta;
    if (offset < fromOffset) continue;
    const timestamp = logAppendTimestamp ?? baseTimestamp + timestampDelta;
    if (shape === RecordShape.message) out.push({ topic, partition, offset, timestamp, key, value, headers });
    else out.push({ offset, timestamp, key, value, headers });
  }
  cur = c;
  if (cur !== n) throw corrupt(`${n - cur} bytes remain after ${count} records`);
}

/**
 * Decodes the whole batches of fetched `bytes` into `out`, from byte `startPos`,
 * skipping control batches and records below `fromOffset` (a fetch returns whole
 * batches, which may start before the requested offset). Stops after the batch
 * that brings `out` to `softMaxMessages` or more, and returns the byte position
 * after the last batch it read: `bytes.length` (or the start of a trailing partial
 * batch, which is ignored) when everything is read. Decoding a large fetch a few
 * batches at a time keeps the messages alive at once few, so they die young.
 * Throws KafkaError(CORRUPT_MESSAGE) on a malformed batch.
 */
export function decodeMessages(
  bytes: Uint8Array,
  topic: string,
  partition: number,
  fromOffset: number,
  opts: DecodeOptions,
  out: Message[],
  startPos = 0,
  softMaxMessages = Infinity,
): number {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = startPos;
  const iterationsMax = Math.floor((bytes.length - startPos) / BATCH_HEADER_BYTES) + 1;
  for (let i = 0; i < iterationsMax; i++) {
    if (out.length >= softMaxMessages) return pos;
    const remaining = bytes.length - pos;
    if (remaining < BATCH_HEADER_BYTES) return bytes.length;
    const batchLength = dv.getInt32(pos + OFF_BATCH_LENGTH);
    if (batchLength < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD_BYTES) throw corrupt(`batchLength ${batchLength} is too small`);
    if (batchLength > remaining - BATCH_LOG_OVERHEAD_BYTES) return bytes.length; // trailing partial batch
    const size = BATCH_LOG_OVERHEAD_BYTES + batchLength;
    const batch = bytes.subarray(pos, pos + size);
    pos += size;
    const magic = dv.getInt8(pos - size + OFF_MAGIC);
    if (magic !== RECORD_BATCH_MAGIC) throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch: magic ${magic}, only 2 is supported`);
    const start = pos - size;
    if (opts.verifyCrc) {
      const crc = crc32c(batch.subarray(OFF_ATTRIBUTES));
      if (crc !== dv.getUint32(start + OFF_CRC)) throw corrupt(`CRC-32C mismatch at offset ${int64At(dv, start)}`);
    }
    const attributes = dv.getInt16(start + OFF_ATTRIBUTES);
    const baseOffset = int64At(dv, start);
    const lastOffsetDelta = dv.getInt32(start + OFF_LAST_OFFSET_DELTA);
    if ((attributes & ATTR_CONTROL) !== 0) continue; // transaction markers: not user records
    if (baseOffset + lastOffsetDelta < fromOffset) continue; // wholly below the requested offset
    const count = dv.getInt32(start + OFF_RECORDS_COUNT);
    const code = attributes & ATTR_COMPRESSION_MASK;
    let section = batch.subarray(BATCH_HEADER_BYTES);
    if (code !== 0) section = codecForCode(code).decompress(section, opts.maxDecompressedBytes);
    const logAppend = (attributes & ATTR_TIMESTAMP_TYPE_LOG_APPEND) !== 0 ? int64At(dv, start + OFF_MAX_TIMESTAMP) : null;
    const baseTimestamp = int64At(dv, start + OFF_BASE_TIMESTAMP);
    decodeRecordSection(section, count, RecordShape.message, topic, partition, baseOffset, baseTimestamp, logAppend, fromOffset, out);
  }
  return pos;
}
