// Kafka RecordBatch v2 header: fixed field offsets, reading and patching in place.
// Owns: the 61-byte header layout (the one set of OFF_*/ATTR_* constants in Samsa)
// and the checks a batch must pass before it is stored. Must not decode records
// (that is records.ts), touch files, or import Node built-ins: the browser client
// shares it. The CRC-32C comes from the codec registry (codecs.ts): plain JS unless
// the Node fill (src/compression/node-codecs.ts) registered the native one, which
// every server module that checks batches on a hot path imports.
//
// Layout (big-endian), from the Kafka protocol guide "Record Batch":
//   baseOffset i64 | batchLength i32 | partitionLeaderEpoch i32 | magic i8 | crc u32 |
//   attributes i16 | lastOffsetDelta i32 | baseTimestamp i64 | maxTimestamp i64 |
//   producerId i64 | producerEpoch i16 | baseSequence i32 | recordsCount i32 | records…
// batchLength counts the bytes after the batchLength field; the CRC-32C covers
// attributes..end of batch, so baseOffset and partitionLeaderEpoch can be patched
// without recomputing it.

import { crc32c } from './codecs.js';
import { ErrorCode, KafkaError } from './errors.js';

export const OFF_BASE_OFFSET = 0;
export const OFF_BATCH_LENGTH = 8;
export const OFF_PARTITION_LEADER_EPOCH = 12;
export const OFF_MAGIC = 16;
export const OFF_CRC = 17;
export const OFF_ATTRIBUTES = 21;
export const OFF_LAST_OFFSET_DELTA = 23;
export const OFF_BASE_TIMESTAMP = 27;
export const OFF_MAX_TIMESTAMP = 35;
export const OFF_PRODUCER_ID = 43;
export const OFF_PRODUCER_EPOCH = 51;
export const OFF_BASE_SEQUENCE = 53;
export const OFF_RECORDS_COUNT = 57;
/** Size of the header; the first record starts here. */
export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: bytes before what batchLength counts. */
export const BATCH_LOG_OVERHEAD_BYTES = 12;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE_LOG_APPEND = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;

/** The only RecordBatch format Samsa stores and serves. */
export const RECORD_BATCH_MAGIC = 2;
const TWO_POW_32 = 0x1_0000_0000;

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

function view(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads the header of the batch starting at `pos`. Caller must ensure 61 bytes are there. */
export function readBatchHeader(buf: Uint8Array, pos = 0): BatchHeader {
  const dv = view(buf);
  return {
    baseOffset: dv.getBigInt64(pos + OFF_BASE_OFFSET),
    batchLength: dv.getInt32(pos + OFF_BATCH_LENGTH),
    partitionLeaderEpoch: dv.getInt32(pos + OFF_PARTITION_LEADER_EPOCH),
    magic: dv.getInt8(pos + OFF_MAGIC),
    crc: dv.getUint32(pos + OFF_CRC),
    attributes: dv.getInt16(pos + OFF_ATTRIBUTES),
    lastOffsetDelta: dv.getInt32(pos + OFF_LAST_OFFSET_DELTA),
    baseTimestamp: dv.getBigInt64(pos + OFF_BASE_TIMESTAMP),
    maxTimestamp: dv.getBigInt64(pos + OFF_MAX_TIMESTAMP),
    producerId: dv.getBigInt64(pos + OFF_PRODUCER_ID),
    producerEpoch: dv.getInt16(pos + OFF_PRODUCER_EPOCH),
    baseSequence: dv.getInt32(pos + OFF_BASE_SEQUENCE),
    recordsCount: dv.getInt32(pos + OFF_RECORDS_COUNT),
  };
}

/** Total size on disk of the batch at `pos` (12 + batchLength), or -1 if fewer than 12 bytes remain. */
export function batchSizeAt(buf: Uint8Array, pos: number): number {
  if (buf.byteLength - pos < BATCH_LOG_OVERHEAD_BYTES) return -1;
  return BATCH_LOG_OVERHEAD_BYTES + view(buf).getInt32(pos + OFF_BATCH_LENGTH);
}

/** CRC-32C as Kafka computes it: from attributes to the end of the batch. */
export function computeBatchCrc(batch: Uint8Array): number {
  return crc32c(batch.subarray(OFF_ATTRIBUTES));
}

/**
 * Checks one batch that arrives from outside (a produce request or a file at recovery).
 * Returns ErrorCode.NONE or the Kafka code that names the problem. Never throws.
 */
export function checkBatch(batch: Uint8Array, maxMessageBytes: number): number {
  if (batch.byteLength < BATCH_HEADER_BYTES) return ErrorCode.CORRUPT_MESSAGE;
  const dv = view(batch);
  const batchLength = dv.getInt32(OFF_BATCH_LENGTH);
  if (batchLength + BATCH_LOG_OVERHEAD_BYTES !== batch.byteLength) return ErrorCode.CORRUPT_MESSAGE;
  if (dv.getInt8(OFF_MAGIC) !== RECORD_BATCH_MAGIC) return ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT;
  if (batch.byteLength > maxMessageBytes) return ErrorCode.MESSAGE_TOO_LARGE;
  if (dv.getInt32(OFF_RECORDS_COUNT) < 0 || dv.getInt32(OFF_LAST_OFFSET_DELTA) < 0) return ErrorCode.CORRUPT_MESSAGE;
  if (computeBatchCrc(batch) !== dv.getUint32(OFF_CRC)) return ErrorCode.CORRUPT_MESSAGE;
  return ErrorCode.NONE;
}

/** Asserting variant of checkBatch for boundaries that must not continue on bad input. */
export function assertBatch(batch: Uint8Array, maxMessageBytes: number): void {
  const code = checkBatch(batch, maxMessageBytes);
  if (code !== ErrorCode.NONE) throw new KafkaError(code, `record batch rejected (code ${code})`);
}

/**
 * Patches baseOffset in place (outside the CRC, so the CRC stays valid).
 * Offsets are JS numbers inside Samsa: 2^53 offsets outlast any single node.
 */
export function setBaseOffset(batch: Uint8Array, baseOffset: number, pos = 0): void {
  const dv = view(batch);
  dv.setUint32(pos + OFF_BASE_OFFSET, Math.floor(baseOffset / TWO_POW_32));
  dv.setUint32(pos + OFF_BASE_OFFSET + 4, baseOffset >>> 0);
}

/** baseOffset as a number (see setBaseOffset). */
export function getBaseOffset(batch: Uint8Array, pos = 0): number {
  const dv = view(batch);
  return dv.getInt32(pos + OFF_BASE_OFFSET) * TWO_POW_32 + dv.getUint32(pos + OFF_BASE_OFFSET + 4);
}

/** An i64 field (timestamps, producer id) as a number; exact for |v| < 2^53. */
export function getInt64AsNumber(batch: Uint8Array, fieldPos: number): number {
  const dv = view(batch);
  return dv.getInt32(fieldPos) * TWO_POW_32 + dv.getUint32(fieldPos + 4);
}

/** Patches partitionLeaderEpoch in place (outside the CRC). */
export function setPartitionLeaderEpoch(batch: Uint8Array, epoch: number, pos = 0): void {
  view(batch).setInt32(pos + OFF_PARTITION_LEADER_EPOCH, epoch);
}
