// Transaction markers: the control batches (COMMIT/ABORT) a transaction coordinator
// writes into each partition of a transaction, in the RecordBatch v2 layout Kafka's
// brokers write (EndTransactionMarker), so a log holding them reads the same with
// Kafka's own tools. Owns: building a marker batch and reading a control batch's
// type back. Must not import Node built-ins (the browser client shares wire/).
//
// A marker is one control record: key = version i16 (0) | type i16 (0 ABORT, 1 COMMIT),
// value = version i16 (0) | coordinatorEpoch i32. The batch is transactional and
// control, carries the producer id and epoch it ends, baseSequence -1.

import {
  ATTR_CONTROL,
  ATTR_TRANSACTIONAL,
  BATCH_HEADER_BYTES,
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
  computeBatchCrc,
} from './batch-layout.js';
import { uvarintAt } from './varint.js';

export const CONTROL_TYPE_ABORT = 0;
export const CONTROL_TYPE_COMMIT = 1;
/** Not a control batch, or one whose first record cannot be read. */
export const CONTROL_TYPE_NONE = -1;

/** The one record of a marker: length 16, then attributes..headers (see the module comment). */
const MARKER_RECORD_BYTES = 17;
export const MARKER_BATCH_BYTES = BATCH_HEADER_BYTES + MARKER_RECORD_BYTES;
const TWO_POW_32 = 0x1_0000_0000;

function setI64(dv: DataView, pos: number, n: number): void {
  dv.setInt32(pos, Math.floor(n / TWO_POW_32));
  dv.setUint32(pos + 4, n >>> 0);
}

/** A COMMIT (commit = true) or ABORT marker batch for one producer, with baseOffset 0 (the log assigns it). */
export function encodeMarkerBatch(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch: number, timestampMs: number): Uint8Array {
  const b = new Uint8Array(MARKER_BATCH_BYTES);
  const dv = new DataView(b.buffer);
  setI64(dv, 0, 0);
  dv.setInt32(OFF_BATCH_LENGTH, MARKER_BATCH_BYTES - 12);
  dv.setInt32(OFF_PARTITION_LEADER_EPOCH, -1);
  dv.setInt8(OFF_MAGIC, RECORD_BATCH_MAGIC);
  dv.setInt16(OFF_ATTRIBUTES, ATTR_TRANSACTIONAL | ATTR_CONTROL);
  dv.setInt32(OFF_LAST_OFFSET_DELTA, 0);
  setI64(dv, OFF_BASE_TIMESTAMP, timestampMs);
  setI64(dv, OFF_MAX_TIMESTAMP, timestampMs);
  setI64(dv, OFF_PRODUCER_ID, producerId);
  dv.setInt16(OFF_PRODUCER_EPOCH, producerEpoch);
  dv.setInt32(OFF_BASE_SEQUENCE, -1);
  dv.setInt32(OFF_RECORDS_COUNT, 1);
  let p = BATCH_HEADER_BYTES;
  b[p++] = 16 << 1; // record length 16 (zig-zag)
  b[p++] = 0; // attributes
  b[p++] = 0; // timestamp delta
  b[p++] = 0; // offset delta
  b[p++] = 4 << 1; // key length 4
  dv.setInt16(p, 0); // key version
  dv.setInt16(p + 2, commit ? CONTROL_TYPE_COMMIT : CONTROL_TYPE_ABORT);
  p += 4;
  b[p++] = 6 << 1; // value length 6
  dv.setInt16(p, 0); // value version
  dv.setInt32(p + 2, coordinatorEpoch);
  p += 6;
  b[p++] = 0; // headers count
  dv.setUint32(OFF_CRC, computeBatchCrc(b));
  return b;
}

/**
 * The control type (CONTROL_TYPE_ABORT or _COMMIT) of the control batch whose bytes
 * start at `pos` (at least `size` of them present), read from its first record's
 * key; CONTROL_TYPE_NONE when it is not a control batch or the record does not parse
 * (a control batch is never compressed: Kafka writes markers uncompressed).
 */
export function controlTypeAt(buf: Uint8Array, pos: number, size: number): number {
  if (size < BATCH_HEADER_BYTES + 6 || pos + size > buf.byteLength) return CONTROL_TYPE_NONE;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const attributes = dv.getInt16(pos + OFF_ATTRIBUTES);
  if ((attributes & ATTR_CONTROL) === 0 || (attributes & 0x07) !== 0) return CONTROL_TYPE_NONE;
  const end = pos + size;
  const cur = { pos: pos + BATCH_HEADER_BYTES };
  // record length, attributes (1 byte), timestamp delta, offset delta, key length
  if (uvarintAt(buf, cur, end) < 0) return CONTROL_TYPE_NONE;
  cur.pos++;
  for (let i = 0; i < 2; i++) if (uvarintAt(buf, cur, end) < 0) return CONTROL_TYPE_NONE;
  const keyLenRaw = uvarintAt(buf, cur, end);
  if (keyLenRaw < 0) return CONTROL_TYPE_NONE;
  const keyLen = (keyLenRaw >>> 1) ^ -(keyLenRaw & 1);
  if (keyLen < 4 || cur.pos + 4 > end) return CONTROL_TYPE_NONE;
  const type = dv.getInt16(cur.pos + 2);
  return type === CONTROL_TYPE_ABORT || type === CONTROL_TYPE_COMMIT ? type : CONTROL_TYPE_NONE;
}

/** The control type of a whole control batch (see controlTypeAt). */
export function controlType(batch: Uint8Array): number {
  return controlTypeAt(batch, 0, batch.byteLength);
}
