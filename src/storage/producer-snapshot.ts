// Producer-state snapshots of one partition: `<partition-dir>/<20-digit log end offset>.snapshot`,
// and the walk of stored batch headers that rebuilds producer state from the log.
// Owns: the snapshot file format (encode, decode, CRC-32C), writing it crash-safely
// (tmp + fsync + rename + directory fsync), choosing which snapshot to load at open
// (and removing the ones that cannot be trusted), and reading the idempotence fields
// of batch headers from a segment file. Must not decide sequence verdicts (that is
// src/shard/producer-state.ts), decode records, or write segment files.
//
// File layout (big-endian), modelled on Kafka's ProducerStateManager snapshot:
//   version u16 | crc u32 (CRC-32C of every byte after it) | logEndOffset i64 | producerCount u32 |
//   per producer: producerId i64 | epoch i16 | batchCount u8 |
//     per batch (oldest first): firstSeq i32 | lastSeq i32 | baseOffset i64
//   version 2 adds: txnCount u32 | per open transaction (first offset ascending):
//     producerId i64 | firstOffset i64
// A snapshot describes the producers as they were when the log ended at logEndOffset:
// the state after every batch below that offset was applied. Version 1 files (no
// transactions) are still read.

import fs from 'node:fs';
import path from 'node:path';
import { nativeCrc32c as crc32c } from '../compression/native-crc32c.js';
import {
  ATTR_CONTROL,
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD_BYTES,
  OFF_ATTRIBUTES,
  OFF_BATCH_LENGTH,
  OFF_BASE_SEQUENCE,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAGIC,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
} from '../wire/batch-layout.js';
import { CONTROL_TYPE_NONE, controlTypeAt } from '../wire/control-batch.js';
import { syncDir, writeFileDurably } from './durable-file.js';
import { readFully } from './log-scanner.js';
import { segmentFileName } from './segment.js';

export const SNAPSHOT_SUFFIX = '.snapshot';
const TMP_SUFFIX = '.tmp';
export const SNAPSHOT_VERSION = 2;
const SNAPSHOT_VERSION_NO_TXNS = 1;
/** Producers one snapshot may hold (the table keeps 10 000; this only bounds what a read allocates). */
export const SNAPSHOT_PRODUCERS_MAX = 100_000;
/** Batches per producer in a snapshot (the table keeps 5; u8 in the file). */
export const SNAPSHOT_BATCHES_MAX = 255;
/** Open transactions one snapshot may hold (bounds what a read allocates). */
export const SNAPSHOT_TXNS_MAX = 1_000_000;
/**
 * Log bytes read at open to rebuild producer state when there is no usable snapshot
 * (or the replay after one would be longer). Kafka replays everything after its
 * snapshot; Samsa bounds start-up time instead. 16 MiB holds the last 5 batches of
 * every producer that wrote recently; an older producer is unknown after a restart
 * and accepted at any sequence, Kafka's rule for an unknown producer id.
 */
export const PRODUCER_SCAN_BYTES_DEFAULT = 16 * 1024 * 1024;

const HEADER_BYTES = 2 + 4 + 8 + 4;
const PRODUCER_BYTES = 8 + 2 + 1;
const BATCH_BYTES = 4 + 4 + 8;
const TXN_BYTES = 8 + 8;
const CRC_END = 6;
const TWO_POW_32 = 0x1_0000_0000;
const NAME_RE = /^(\d{20})\.snapshot$/;

export interface SnapshotBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

export interface SnapshotProducer {
  producerId: number;
  epoch: number;
  /** Oldest first. */
  batches: SnapshotBatch[];
}

/** A transaction open at the snapshot's log end: its producer and first offset. */
export interface SnapshotTxn {
  producerId: number;
  firstOffset: number;
}

export interface ProducerSnapshot {
  logEndOffset: number;
  producers: SnapshotProducer[];
  /** Open transactions, first offset ascending (empty in a version 1 file). */
  txns: SnapshotTxn[];
}

export function snapshotFileName(logEndOffset: number): string {
  return segmentFileName(logEndOffset, SNAPSHOT_SUFFIX);
}

function isOffset(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function isInt32NonNegative(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 0x7fffffff;
}

function setU64(dv: DataView, pos: number, n: number): void {
  dv.setUint32(pos, Math.floor(n / TWO_POW_32));
  dv.setUint32(pos + 4, n >>> 0);
}

function getI64(dv: DataView, pos: number): number {
  return dv.getInt32(pos) * TWO_POW_32 + dv.getUint32(pos + 4);
}

/** The file's bytes. Throws RangeError on a value the format cannot hold (a caller bug). */
export function encodeProducerSnapshot(s: ProducerSnapshot): Buffer {
  if (!isOffset(s.logEndOffset)) throw new RangeError(`snapshot: bad log end offset ${s.logEndOffset}`);
  if (s.producers.length > SNAPSHOT_PRODUCERS_MAX) throw new RangeError(`snapshot: ${s.producers.length} producers (max ${SNAPSHOT_PRODUCERS_MAX})`);
  if (s.txns.length > SNAPSHOT_TXNS_MAX) throw new RangeError(`snapshot: ${s.txns.length} open transactions (max ${SNAPSHOT_TXNS_MAX})`);
  let size = HEADER_BYTES + 4 + s.txns.length * TXN_BYTES;
  for (const p of s.producers) size += PRODUCER_BYTES + p.batches.length * BATCH_BYTES;
  const buf = Buffer.alloc(size);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  dv.setUint16(0, SNAPSHOT_VERSION);
  setU64(dv, CRC_END, s.logEndOffset);
  dv.setUint32(CRC_END + 8, s.producers.length);
  let pos = HEADER_BYTES;
  for (const p of s.producers) {
    if (!isOffset(p.producerId) || !Number.isInteger(p.epoch) || p.epoch < 0 || p.epoch > 0x7fff) {
      throw new RangeError(`snapshot: bad producer ${p.producerId} epoch ${p.epoch}`);
    }
    if (p.batches.length > SNAPSHOT_BATCHES_MAX) throw new RangeError(`snapshot: producer ${p.producerId} has ${p.batches.length} batches`);
    setU64(dv, pos, p.producerId);
    dv.setInt16(pos + 8, p.epoch);
    dv.setUint8(pos + 10, p.batches.length);
    pos += PRODUCER_BYTES;
    for (const b of p.batches) {
      if (!isInt32NonNegative(b.firstSeq) || !isInt32NonNegative(b.lastSeq) || !isOffset(b.baseOffset)) {
        throw new RangeError(`snapshot: producer ${p.producerId}: bad batch ${b.firstSeq}..${b.lastSeq} at ${b.baseOffset}`);
      }
      dv.setInt32(pos, b.firstSeq);
      dv.setInt32(pos + 4, b.lastSeq);
      setU64(dv, pos + 8, b.baseOffset);
      pos += BATCH_BYTES;
    }
  }
  dv.setUint32(pos, s.txns.length);
  pos += 4;
  let prevFirst = -1;
  for (const t of s.txns) {
    if (!isOffset(t.producerId) || !isOffset(t.firstOffset) || t.firstOffset >= s.logEndOffset || t.firstOffset <= prevFirst) {
      throw new RangeError(`snapshot: bad open transaction of producer ${t.producerId} at ${t.firstOffset}`);
    }
    prevFirst = t.firstOffset;
    setU64(dv, pos, t.producerId);
    setU64(dv, pos + 8, t.firstOffset);
    pos += TXN_BYTES;
  }
  dv.setUint32(2, crc32c(buf.subarray(CRC_END)) >>> 0);
  return buf;
}

/** Parses a snapshot file's bytes; a string names the first problem (the file is then not to be trusted). */
export function decodeProducerSnapshot(buf: Uint8Array): ProducerSnapshot | string {
  if (buf.byteLength < HEADER_BYTES) return `${buf.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = dv.getUint16(0);
  if (version !== SNAPSHOT_VERSION && version !== SNAPSHOT_VERSION_NO_TXNS) return `version ${version}, not ${SNAPSHOT_VERSION}`;
  if ((crc32c(buf.subarray(CRC_END)) >>> 0) !== dv.getUint32(2)) return 'CRC-32C mismatch';
  const logEndOffset = getI64(dv, CRC_END);
  if (!isOffset(logEndOffset)) return `log end offset ${logEndOffset} is invalid`;
  const count = dv.getUint32(CRC_END + 8);
  if (count > SNAPSHOT_PRODUCERS_MAX) return `${count} producers (max ${SNAPSHOT_PRODUCERS_MAX})`;
  const producers: SnapshotProducer[] = [];
  let pos = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (pos + PRODUCER_BYTES > buf.byteLength) return `producer ${i} runs past the end`;
    const producerId = getI64(dv, pos);
    const epoch = dv.getInt16(pos + 8);
    const n = dv.getUint8(pos + 10);
    pos += PRODUCER_BYTES;
    if (!isOffset(producerId) || epoch < 0) return `producer ${i}: id ${producerId} / epoch ${epoch} invalid`;
    if (pos + n * BATCH_BYTES > buf.byteLength) return `producer ${producerId}: batches run past the end`;
    const batches: SnapshotBatch[] = [];
    for (let j = 0; j < n; j++) {
      const b = { firstSeq: dv.getInt32(pos), lastSeq: dv.getInt32(pos + 4), baseOffset: getI64(dv, pos + 8) };
      pos += BATCH_BYTES;
      if (b.firstSeq < 0 || b.lastSeq < 0 || !isOffset(b.baseOffset) || b.baseOffset >= logEndOffset) {
        return `producer ${producerId}: batch ${b.firstSeq}..${b.lastSeq} at offset ${b.baseOffset} invalid`;
      }
      batches.push(b);
    }
    producers.push({ producerId, epoch, batches });
  }
  const txns: SnapshotTxn[] = [];
  if (version !== SNAPSHOT_VERSION_NO_TXNS) {
    if (pos + 4 > buf.byteLength) return 'open transaction count runs past the end';
    const n = dv.getUint32(pos);
    pos += 4;
    if (n > SNAPSHOT_TXNS_MAX || pos + n * TXN_BYTES > buf.byteLength) return `${n} open transactions do not fit`;
    let prevFirst = -1;
    for (let i = 0; i < n; i++) {
      const t = { producerId: getI64(dv, pos), firstOffset: getI64(dv, pos + 8) };
      pos += TXN_BYTES;
      if (!isOffset(t.producerId) || !isOffset(t.firstOffset) || t.firstOffset >= logEndOffset || t.firstOffset <= prevFirst) {
        return `open transaction of producer ${t.producerId} at ${t.firstOffset} invalid`;
      }
      prevFirst = t.firstOffset;
      txns.push(t);
    }
  }
  if (pos !== buf.byteLength) return `${buf.byteLength - pos} bytes after the last producer`;
  return { logEndOffset, producers, txns };
}

/** Log end offsets of the snapshot files in `dir` (or among `names`, its listing when the caller has one), ascending. */
export function listProducerSnapshots(dir: string, names: readonly string[] = fs.readdirSync(dir)): number[] {
  const out: number[] = [];
  for (const name of names) {
    const m = NAME_RE.exec(name);
    if (m === null) continue;
    const offset = Number(m[1]);
    if (Number.isSafeInteger(offset)) out.push(offset);
  }
  return out.sort((a, b) => a - b);
}

/**
 * Writes `<dir>/<logEndOffset>.snapshot` durably (tmp + fsync + rename + directory
 * fsync), then removes every other snapshot but the `keepOlder` newest older ones.
 * At a clean close none is kept: the new one describes the whole (synced) log. At a
 * segment roll one is kept: the log's tail was not synced yet, so a crash may cut the
 * log below the new snapshot, and the one before it is then the starting point.
 * Snapshots past `logEndOffset` (of a log that was cut since) go too. Returns the path.
 */
export function writeProducerSnapshot(dir: string, s: ProducerSnapshot, keepOlder = 0): string {
  const bytes = encodeProducerSnapshot(s);
  const file = path.join(dir, snapshotFileName(s.logEndOffset));
  writeFileDurably(file, dir, bytes);
  removeOtherSnapshots(dir, s.logEndOffset, keepOlder);
  syncDir(dir);
  return file;
}

/** Removes every snapshot in `dir` but the one at `logEndOffset` and the `keepOlder` newest older ones. */
function removeOtherSnapshots(dir: string, logEndOffset: number, keepOlder: number): void {
  const offsets = listProducerSnapshots(dir);
  const older = offsets.filter((o) => o < logEndOffset);
  const keep = new Set(keepOlder > 0 ? older.slice(-keepOlder) : []);
  for (const offset of offsets) {
    if (offset !== logEndOffset && !keep.has(offset)) fs.rmSync(path.join(dir, snapshotFileName(offset)), { force: true });
  }
}

/** A snapshot written by writeProducerSnapshotUnsynced, not yet durable. */
export interface UnsyncedSnapshot {
  readonly dir: string;
  readonly file: string;
  readonly logEndOffset: number;
}

/**
 * The first half of a clean close's snapshot when a shard closes many partitions at
 * once (its shutdown): `<dir>/<logEndOffset>.snapshot` written and in place, nothing
 * synced, the other snapshots still there. The caller flushes the file system once
 * for all of them, then calls syncProducerSnapshot on each, where the per-file syncs
 * find nothing left to write. Until then a crash may leave this file torn: its CRC
 * then fails and the next open removes it and rebuilds from the log (the stop was
 * not clean then either: the clean-shutdown marker is written after these syncs).
 */
export function writeProducerSnapshotUnsynced(dir: string, s: ProducerSnapshot): UnsyncedSnapshot {
  const file = path.join(dir, snapshotFileName(s.logEndOffset));
  if (fs.existsSync(file)) {
    // Never replace a durable snapshot with an unsynced one of the same name: a crash
    // before the flush would leave neither. The rare case (a snapshot already at this
    // log end, e.g. from a roll) pays the durable write.
    writeFileDurably(file, dir, encodeProducerSnapshot(s));
    return { dir, file, logEndOffset: s.logEndOffset };
  }
  const tmp = `${file}${TMP_SUFFIX}`;
  fs.writeFileSync(tmp, encodeProducerSnapshot(s));
  fs.renameSync(tmp, file);
  return { dir, file, logEndOffset: s.logEndOffset };
}

/**
 * The second half: fdatasync of the file and fsync of its directory (the new entry is
 * durable); `alreadyDurable`, a trusted file-system sync after the write
 * (file-system-sync.ts) made both durable, and nothing is left to do. The older
 * snapshots stay until the partition's next open (loadProducerSnapshot removes them):
 * an unlink costs ~0.2 ms on ext4, a fifth of a shutdown with 1,000 written
 * partitions, and the newest usable snapshot is the one an open picks anyway. Throws
 * when a sync fails (the caller removes the file).
 */
export function syncProducerSnapshot(p: UnsyncedSnapshot, alreadyDurable = false): void {
  if (alreadyDurable) return;
  const fd = fs.openSync(p.file, 'r');
  try {
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  syncDir(p.dir);
}

/** Removes every snapshot (and leftover .tmp) in `dir`; the directory itself is not synced. */
export function removeProducerSnapshots(dir: string): void {
  for (const name of fs.readdirSync(dir)) {
    if (NAME_RE.test(name) || (name.endsWith(SNAPSHOT_SUFFIX + TMP_SUFFIX) && NAME_RE.test(name.slice(0, -TMP_SUFFIX.length)))) {
      fs.rmSync(path.join(dir, name), { force: true });
    }
  }
}

/**
 * The snapshot to start from when the log ends at `logEndOffset`: the newest one that
 * decodes and is not past the log end. A snapshot past the end (the log was cut
 * short by recovery) or one that does not decode is removed, with a message through
 * `say`; so is a leftover `.tmp` (an interrupted write). The ones older than the
 * snapshot loaded are removed too (a shutdown leaves them, syncProducerSnapshot says
 * why): the log up to its end is durable when a partition opens (recovery, if any,
 * came first), so a later crash never cuts it below the loaded one. Their removal is
 * not synced: one that reappears is older and loses to it again. Null when none is
 * usable. Never throws for a bad file: at worst the caller rebuilds from the log.
 */
export function loadProducerSnapshot(dir: string, logEndOffset: number, say: (msg: string) => void): ProducerSnapshot | null {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    say(`${dir}: cannot list producer snapshots (${(err as Error).message})`);
    return null;
  }
  for (const name of names) {
    if (name.endsWith(SNAPSHOT_SUFFIX + TMP_SUFFIX)) fs.rmSync(path.join(dir, name), { force: true });
  }
  // The listing above serves (a .tmp removed from it never matches a snapshot's name):
  // one readdir per partition fewer at start.
  const offsets = listProducerSnapshots(dir, names);
  // Newest first.
  for (let i = offsets.length - 1; i >= 0; i--) {
    const file = path.join(dir, snapshotFileName(offsets[i]!));
    const judged = readSnapshotFile(file, offsets[i]!, logEndOffset);
    if (typeof judged !== 'string') {
      for (let j = 0; j < i; j++) {
        try {
          fs.unlinkSync(path.join(dir, snapshotFileName(offsets[j]!)));
        } catch {
          // Already gone, or left for the next open: an older snapshot is never picked over this one.
        }
      }
      return judged;
    }
    say(`${file}: producer snapshot ignored and removed: ${judged}; producer state is rebuilt from the log`);
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // Left in place: the next open judges it again.
    }
  }
  return null;
}

function readSnapshotFile(file: string, nameOffset: number, logEndOffset: number): ProducerSnapshot | string {
  if (nameOffset > logEndOffset) return `its offset is past the log end ${logEndOffset} (the log was cut short)`;
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    return `unreadable (${(err as Error).message})`;
  }
  const decoded = decodeProducerSnapshot(bytes);
  if (typeof decoded === 'string') return decoded;
  if (decoded.logEndOffset !== nameOffset) return `it says log end ${decoded.logEndOffset}, its name ${nameOffset}`;
  return decoded;
}

/** The idempotence fields of one stored batch header. Reused as an out-parameter. */
export interface ProducerBatchHeader {
  baseOffset: number;
  lastOffsetDelta: number;
  attributes: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** Of a control batch: CONTROL_TYPE_COMMIT or _ABORT (wire/control-batch.ts); else CONTROL_TYPE_NONE. */
  controlType: number;
}

export function newProducerBatchHeader(): ProducerBatchHeader {
  return { baseOffset: -1, lastOffsetDelta: 0, attributes: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, controlType: CONTROL_TYPE_NONE };
}

/** Read buffer of the header walk: one per thread, allocated at first use (walks never nest). */
const WALK_CHUNK_BYTES = 256 * 1024;
let walkBuf: Buffer | null = null;

/**
 * Reads the header of every batch in `fd` from `startPos` (a batch boundary) to
 * `endPos`, filling `out` and calling `visit` for each, in file order. Only headers
 * are needed: records, compressed or not, are skipped by their length, and a batch
 * much bigger than the read chunk costs one 61-byte read. Returns the batches
 * visited and, if a frame is malformed or cut short, what was wrong ('' otherwise);
 * the walk stops there.
 */
export function walkBatchHeaders(
  fd: number,
  startPos: number,
  endPos: number,
  out: ProducerBatchHeader,
  visit: (h: ProducerBatchHeader) => void,
): { batches: number; problem: string } {
  walkBuf ??= Buffer.allocUnsafe(WALK_CHUNK_BYTES);
  const buf = walkBuf;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let bufStart = 0;
  let bufLen = 0;
  let lastSize = 0;
  let pos = startPos;
  let batches = 0;
  // Each pass moves ≥ 61 bytes forward or returns.
  const passesMax = Math.ceil((endPos - startPos) / BATCH_HEADER_BYTES) + 1;
  for (let pass = 0; pos < endPos && pass < passesMax; pass++) {
    if (pos < bufStart || pos + BATCH_HEADER_BYTES > bufStart + bufLen) {
      if (endPos - pos < BATCH_HEADER_BYTES) return { batches, problem: `${endPos - pos} bytes at position ${pos} are shorter than a batch header` };
      // After a batch bigger than the chunk, the next one is likely big too: read its header only.
      const want = lastSize >= WALK_CHUNK_BYTES ? BATCH_HEADER_BYTES : Math.min(WALK_CHUNK_BYTES, endPos - pos);
      bufStart = pos;
      bufLen = readFully(fd, buf, 0, want, pos);
      if (bufLen < BATCH_HEADER_BYTES) return { batches, problem: `short read at position ${pos}` };
    }
    const o = pos - bufStart;
    const size = BATCH_LOG_OVERHEAD_BYTES + dv.getInt32(o + OFF_BATCH_LENGTH);
    if (size < BATCH_HEADER_BYTES || pos + size > endPos) return { batches, problem: `batch of ${size} bytes at position ${pos} does not fit` };
    if (dv.getInt8(o + OFF_MAGIC) !== 2) return { batches, problem: `magic ${dv.getInt8(o + OFF_MAGIC)} at position ${pos}` };
    out.baseOffset = getI64(dv, o);
    out.lastOffsetDelta = dv.getInt32(o + OFF_LAST_OFFSET_DELTA);
    out.attributes = dv.getInt16(o + OFF_ATTRIBUTES);
    out.producerId = getI64(dv, o + OFF_PRODUCER_ID);
    out.producerEpoch = dv.getInt16(o + OFF_PRODUCER_EPOCH);
    out.baseSequence = dv.getInt32(o + OFF_BASE_SEQUENCE);
    out.controlType = CONTROL_TYPE_NONE;
    if ((out.attributes & ATTR_CONTROL) !== 0 && size <= WALK_CHUNK_BYTES) {
      // A marker's type is in its one record: have the whole (small) batch in the buffer.
      let at = o;
      if (pos + size > bufStart + bufLen) {
        bufStart = pos;
        bufLen = readFully(fd, buf, 0, Math.min(WALK_CHUNK_BYTES, endPos - pos), pos);
        at = 0;
      }
      if (at + size <= bufLen) out.controlType = controlTypeAt(buf, at, size);
    }
    if (!isOffset(out.baseOffset) || out.lastOffsetDelta < 0) return { batches, problem: `offsets ${out.baseOffset}+${out.lastOffsetDelta} at position ${pos}` };
    visit(out);
    batches++;
    lastSize = size;
    pos += size;
  }
  return { batches, problem: '' };
}
