// The byte protocol between the main thread and a shard worker, over the two SPSC rings.
// Owns: op codes and the fixed little-endian frame headers in both directions.
// Must not touch files, sockets or the rings' internals: both sides call these
// encoders/decoders on ring memory they have reserved or read.
//
// Request frame (main → shard):  op u8 | acks i8 | flags u16 | reqId u32 | slot u32 | skip u32 | body…
//   skip: bytes (0..7) between the header and the body, so that an APPEND's body lands at the
//     same address mod 8 as the request bytes it is copied from (see BODY_SKIP_MAX_BYTES)
//   APPEND body:  RecordBatch v2 bytes, one or more batches back to back
//                 (flags: FLAG_FROM_COORDINATOR = transaction markers from the coordinator)
//   READ body:    offset f64 | maxBytes u32 (flags: FLAG_READ_COMMITTED = stop at the last
//                 stable offset; READ_FLAG_FILE_RANGE = a file range may answer)
//   CONTROL body: UTF-8 JSON of a ControlRequest
// Completion frame (shard → main): op u8 | pad u8 | errorCode i16 | reqId u32 | slot u32 | count u32 |
//   baseOffset f64 | logStartOffset f64 | nextOffset f64 | appendTimeMs f64 | lastStableOffset f64 | body…
//   APPEND: no body; READ: the stored bytes, then (read_committed) `count` aborted
//   transactions, each producerId f64 | firstOffset f64; CONTROL: UTF-8 JSON result;
//   NOTICE: JSON (unsolicited)
//   READ_RANGE (answers a READ that allowed it): fd f64 | position f64 | size f64 |
//     offsetsSpanned f64, then the `count` aborted transactions as for READ — a
//     descriptor the shard duplicated for the main thread, which now owns it and must close it
// Offsets travel as f64: exact for every offset below 2^53.

import type { TopicConfig } from '../config/topic-config.js';

/** 'earliest' = log start, 'latest' = high watermark, a number = first offset with timestamp ≥ it. */
export type OffsetSpec = 'earliest' | 'latest' | 'max-timestamp' | number;

export const OP_APPEND = 1;
export const OP_READ = 2;
export const OP_CONTROL = 3;
/** Unsolicited shard → main message (reqId 0), e.g. retention moved a log start offset. */
export const OP_NOTICE = 4;
/** A READ answered with a file range instead of bytes (see the layout above). */
export const OP_READ_RANGE = 5;

/** READ flag (header flags): the reader can send a file range itself (zero-copy), so answer with one when it pays. */
export const READ_FLAG_FILE_RANGE = 1;
/** Reads shorter than this are answered with bytes even when a range is allowed (a dup and a close cost more). */
export const READ_RANGE_MIN_BYTES = 64 * 1024;
export const READ_RANGE_BODY_BYTES = 32;
export const READ_RANGE_OFF_FD = 0;
export const READ_RANGE_OFF_POSITION = 8;
export const READ_RANGE_OFF_SIZE = 16;
export const READ_RANGE_OFF_SPANNED = 24;

export const REQ_HEADER_BYTES = 16;
/**
 * Largest skip before a request body. V8 copies into a SharedArrayBuffer with a
 * relaxed-atomic memmove that goes byte by byte unless source and destination are
 * equally aligned mod 8: a 1 MiB produce request copied at 1.3-2.4 GB/s instead of
 * 4-6 GB/s, 15% of the broker's CPU on 1 KiB produce (perf). Up to 7 bytes of skip
 * put the body on the source's alignment.
 */
export const BODY_SKIP_MAX_BYTES = 7;
/** APPEND flag: the batches are transaction markers written by the transaction coordinator (control batches allowed). */
export const FLAG_FROM_COORDINATOR = 1;
/** READ flag: read_committed — return nothing at or past the last stable offset, and the aborted transactions. */
export const FLAG_READ_COMMITTED = 2;
/** Bytes of one aborted transaction after a read_committed READ's records: producerId f64, firstOffset f64. */
export const ABORTED_TXN_BYTES = 16;
/** READ body: offset (f64) at READ_OFF_OFFSET, max bytes (u32) at READ_OFF_MAX_BYTES. */
export const READ_BODY_BYTES = 12;
export const READ_OFF_OFFSET = 0;
export const READ_OFF_MAX_BYTES = 8;
export const COMPLETION_HEADER_BYTES = 56;

export type ControlRequest =
  | { type: 'open'; slot: number; dir: string; config: TopicConfig }
  | { type: 'close'; slot: number }
  /**
   * Deletes a partition's files. `dir` is for a partition the engine never opened (it
   * opens partitions on first use): the shard then removes that directory itself.
   */
  | { type: 'delete'; slot: number; dir?: string }
  | { type: 'config'; slot: number; config: TopicConfig }
  | { type: 'listOffset'; slot: number; spec: OffsetSpec }
  /** DeleteRecords: move the log start offset up to `offset` (≤ the log end). */
  | { type: 'deleteRecords'; slot: number; offset: number }
  | { type: 'stats' }
  /** The partition's idempotent and transactional producers (DescribeProducers). */
  | { type: 'describeProducers'; slot: number }
  /**
   * Compaction's answer to a 'compact' notice: the cleaned copies the maintenance
   * pool wrote (empty when it failed, `error` says why). Always sent, so the shard
   * knows the partition has no compaction in flight any more.
   */
  | { type: 'compactSwap'; slot: number; cleaned: CleanedSegmentRef[]; error?: string }
  | { type: 'shutdown' };

/** A sealed segment as the shard saw it when it asked for compaction. */
export interface SegmentRef {
  baseOffset: number;
  sizeBytes: number;
}

/** A cleaned copy `<dir>/<base>.log.cleaned` of the segment that had `sizeBytes`. */
export interface CleanedSegmentRef extends SegmentRef {
  path: string;
}

export type ControlResult =
  | {
    ok: true; logStartOffset?: number; nextOffset?: number; lastStableOffset?: number; offset?: number; timestamp?: number;
    stats?: ShardStats; swapped?: number; producers?: ProducerInfo[];
    /** shutdown: each partition's offsets as it was closed (the engine's offsets summary). */
    closed?: ClosedPartition[];
  }
  | { ok: false; errorCode: number; message: string };

/** One producer of a partition as DescribeProducers reports it. */
export interface ProducerInfo {
  producerId: number;
  epoch: number;
  lastSequence: number;
  /** First offset of its open transaction here, -1 when none. */
  currentTxnStartOffset: number;
}

export interface ClosedPartition {
  slot: number;
  logStartOffset: number;
  nextOffset: number;
  lastStableOffset: number;
}

export interface PartitionStats {
  slot: number;
  segments: number;
  sizeBytes: number;
  logStartOffset: number;
  nextOffset: number;
}

export interface ShardStats {
  partitions: PartitionStats[];
  fsyncCount: number;
  fsyncTotalMs: number;
  drains: number;
  appendFrames: number;
  /** Sealed segments replaced by their compacted copies, and the bytes that removed. */
  compactedSegments: number;
  compactionBytesRemoved: number;
}

export type Notice =
  | { type: 'logStart'; slot: number; logStartOffset: number; deletedFiles: string[] }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string }
  /** A compacted partition's sealed segments grew: clean them (maintenance pool), then answer with 'compactSwap'. */
  | { type: 'compact'; slot: number; dir: string; segments: SegmentRef[]; deleteRetentionMs: number; aborted: AbortedTxnRange[] };

/** An aborted transaction, for compaction: its producer's transactional batches in [firstOffset, lastOffset]. */
export interface AbortedTxnRange {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
}

export interface RequestHeader {
  op: number;
  acks: number;
  flags: number;
  reqId: number;
  slot: number;
  /** Bytes between the header and the body (0..BODY_SKIP_MAX_BYTES). */
  skip: number;
}

export function writeRequestHeader(dv: DataView, pos: number, op: number, acks: number, reqId: number, slot: number, flags = 0, skip = 0): void {
  dv.setUint8(pos, op);
  dv.setInt8(pos + 1, acks);
  dv.setUint16(pos + 2, flags, true);
  dv.setUint32(pos + 4, reqId, true);
  dv.setUint32(pos + 8, slot, true);
  dv.setUint32(pos + 12, skip, true);
}

export function readRequestHeader(dv: DataView, pos: number): RequestHeader {
  return {
    op: dv.getUint8(pos),
    acks: dv.getInt8(pos + 1),
    flags: dv.getUint16(pos + 2, true),
    reqId: dv.getUint32(pos + 4, true),
    slot: dv.getUint32(pos + 8, true),
    skip: dv.getUint32(pos + 12, true),
  };
}

export interface Completion {
  op: number;
  errorCode: number;
  reqId: number;
  slot: number;
  baseOffset: number;
  logStartOffset: number;
  nextOffset: number;
  appendTimeMs: number;
  /** The partition's last stable offset after this request (-1 when not known). */
  lastStableOffset: number;
  /** READ with FLAG_READ_COMMITTED: aborted transactions after the records; else 0. */
  count: number;
}

export function writeCompletionHeader(dv: DataView, pos: number, c: Completion): void {
  dv.setUint8(pos, c.op);
  dv.setUint8(pos + 1, 0);
  dv.setInt16(pos + 2, c.errorCode, true);
  dv.setUint32(pos + 4, c.reqId, true);
  dv.setUint32(pos + 8, c.slot, true);
  dv.setUint32(pos + 12, c.count, true);
  dv.setFloat64(pos + 16, c.baseOffset, true);
  dv.setFloat64(pos + 24, c.logStartOffset, true);
  dv.setFloat64(pos + 32, c.nextOffset, true);
  dv.setFloat64(pos + 40, c.appendTimeMs, true);
  dv.setFloat64(pos + 48, c.lastStableOffset, true);
}

export function readCompletionHeader(dv: DataView, pos: number): Completion {
  return {
    op: dv.getUint8(pos),
    errorCode: dv.getInt16(pos + 2, true),
    reqId: dv.getUint32(pos + 4, true),
    slot: dv.getUint32(pos + 8, true),
    baseOffset: dv.getFloat64(pos + 16, true),
    logStartOffset: dv.getFloat64(pos + 24, true),
    nextOffset: dv.getFloat64(pos + 32, true),
    appendTimeMs: dv.getFloat64(pos + 40, true),
    lastStableOffset: dv.getFloat64(pos + 48, true),
    count: dv.getUint32(pos + 12, true),
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeJson<T>(bytes: Uint8Array): T {
  // Copy first: TextDecoder refuses views on a SharedArrayBuffer.
  return JSON.parse(decoder.decode(bytes.slice())) as T;
}

/** Options the main thread hands a shard worker through workerData. */
export interface ShardWorkerData {
  shardId: number;
  requestRing: SharedArrayBuffer;
  completionRing: SharedArrayBuffer;
  /** CPU to pin to, or -1 for none. */
  cpu: number;
  retentionCheckIntervalMs: number;
  compactionCheckIntervalMs: number;
  /** The data directory (log.dirs): the shard holds its file system for the shutdown's syncfs. */
  dataDir: string;
}
