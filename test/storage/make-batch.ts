// Test helper: builds valid RecordBatch v2 frames without a record codec.
// Owns: nothing in production. Storage never decodes records, so the records part
// is opaque filler bytes; the header (lengths, counts, timestamps, CRC) is real.

import {
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
} from '../../src/wire/batch-layout.js';

export interface MakeBatchOptions {
  /** Records in the batch (lastOffsetDelta = records - 1). Default 1. */
  records?: number;
  /** Bytes of opaque record data after the 61-byte header. Default 16. */
  recordBytes?: number;
  /** baseTimestamp; default 1_700_000_000_000. */
  baseTimestamp?: number;
  /** maxTimestamp; default baseTimestamp + records - 1. */
  maxTimestamp?: number;
  /** Filler byte value (or derived from the seed). */
  fill?: number;
  /** baseOffset written in the header (storage overwrites it on append). */
  baseOffset?: number;
  /** Backing store: e.g. a SharedArrayBuffer to test zero-copy paths. */
  into?: { buffer: ArrayBufferLike; byteOffset: number };
}

/** A whole, CRC-valid RecordBatch v2 frame. */
export function makeBatch(opts: MakeBatchOptions = {}): Uint8Array {
  const records = opts.records ?? 1;
  const recordBytes = opts.recordBytes ?? 16;
  const baseTimestamp = opts.baseTimestamp ?? 1_700_000_000_000;
  const maxTimestamp = opts.maxTimestamp ?? baseTimestamp + records - 1;
  const size = BATCH_HEADER_BYTES + recordBytes;
  const b = opts.into ? new Uint8Array(opts.into.buffer, opts.into.byteOffset, size) : new Uint8Array(size);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  dv.setBigInt64(0, BigInt(opts.baseOffset ?? 0));
  dv.setInt32(OFF_BATCH_LENGTH, size - BATCH_LOG_OVERHEAD_BYTES);
  dv.setInt32(OFF_PARTITION_LEADER_EPOCH, 0);
  dv.setInt8(OFF_MAGIC, 2);
  dv.setInt16(OFF_ATTRIBUTES, 0);
  dv.setInt32(OFF_LAST_OFFSET_DELTA, records - 1);
  dv.setBigInt64(OFF_BASE_TIMESTAMP, BigInt(baseTimestamp));
  dv.setBigInt64(OFF_MAX_TIMESTAMP, BigInt(maxTimestamp));
  dv.setBigInt64(OFF_PRODUCER_ID, -1n);
  dv.setInt16(OFF_PRODUCER_EPOCH, -1);
  dv.setInt32(OFF_BASE_SEQUENCE, -1);
  dv.setInt32(OFF_RECORDS_COUNT, records);
  const fill = opts.fill ?? 0xab;
  for (let i = BATCH_HEADER_BYTES; i < size; i++) b[i] = (fill + i) & 0xff;
  dv.setUint32(OFF_CRC, computeBatchCrc(b));
  return b;
}

/** Splits bytes read from a log into frames: [baseOffset, lastOffset, size][]. */
export function frames(bytes: Uint8Array): Array<{ baseOffset: number; lastOffset: number; size: number; maxTimestamp: number }> {
  const out: Array<{ baseOffset: number; lastOffset: number; size: number; maxTimestamp: number }> = [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos < bytes.byteLength) {
    if (bytes.byteLength - pos < BATCH_HEADER_BYTES) throw new Error(`partial frame at ${pos}`);
    const size = BATCH_LOG_OVERHEAD_BYTES + dv.getInt32(pos + OFF_BATCH_LENGTH);
    if (pos + size > bytes.byteLength) throw new Error(`partial frame at ${pos}`);
    const baseOffset = Number(dv.getBigInt64(pos));
    out.push({
      baseOffset,
      lastOffset: baseOffset + dv.getInt32(pos + OFF_LAST_OFFSET_DELTA),
      size,
      maxTimestamp: Number(dv.getBigInt64(pos + OFF_MAX_TIMESTAMP)),
    });
    pos += size;
  }
  return out;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh temporary directory; remove it with `rmTmp`. */
export function makeTmpDir(prefix = 'samsa-storage-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function rmTmp(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}
