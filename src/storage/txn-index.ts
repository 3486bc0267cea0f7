// The aborted-transaction index of one segment: `<20-digit baseOffset>.txnindex`, in
// Kafka's format (TransactionIndex), so a log directory reads the same with Kafka's
// tools. One entry per transaction that was ABORTED by a marker in this segment:
//   version i16 (0) | producerId i64 | firstOffset i64 | lastOffset i64 | lastStableOffset i64
// (34 bytes, big-endian). firstOffset is the transaction's first batch (possibly in an
// earlier segment), lastOffset its ABORT marker, lastStableOffset the partition's last
// stable offset once the marker was written (entries are in marker order, so a reader
// can stop at the first one whose lastStableOffset passes what it needs).
// Owns: the file (created at the first entry, so a segment without aborts has none),
// its entries in memory (loaded at first use, released with the segment), appending,
// truncation, and the read_committed lookup (collect). Must not decide what was
// aborted (src/shard/txn-state.ts does) nor decode batches.
//
// Durability: the entries of the active segment are rebuilt at open from the batches
// written after the last producer snapshot (src/shard/producer-state.ts), so appends
// are not synced one by one; the file is synced when the segment is sealed and at a
// clean close, when the snapshot that makes a rebuild unnecessary is written.

import fs from 'node:fs';
import { ErrorCode, KafkaError } from '../wire/errors.js';

/** Read-write, created (empty) when missing, never truncated: one open instead of existsSync and one. */
const OPEN_OR_CREATE_RW = fs.constants.O_RDWR | fs.constants.O_CREAT;

export const TXN_INDEX_ENTRY_BYTES = 34;
const VERSION = 0;
const TWO_POW_32 = 0x1_0000_0000;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

function getI64(dv: DataView, pos: number): number {
  return dv.getInt32(pos) * TWO_POW_32 + dv.getUint32(pos + 4);
}

function setI64(dv: DataView, pos: number, n: number): void {
  dv.setInt32(pos, Math.floor(n / TWO_POW_32));
  dv.setUint32(pos + 4, n >>> 0);
}

export function encodeAbortedTxn(e: AbortedTxn, out: Uint8Array, pos: number): void {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setInt16(pos, VERSION);
  setI64(dv, pos + 2, e.producerId);
  setI64(dv, pos + 10, e.firstOffset);
  setI64(dv, pos + 18, e.lastOffset);
  setI64(dv, pos + 26, e.lastStableOffset);
}

/**
 * The entries in a file's bytes. A trailing partial entry (a torn append) is left
 * out; so is everything from the first entry that is not version 0 or whose offsets
 * do not make sense (firstOffset ≤ lastOffset, in increasing lastOffset order).
 * Returns the entries and how many bytes of the file they cover.
 */
export function decodeTxnIndex(buf: Uint8Array): { entries: AbortedTxn[]; validBytes: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries: AbortedTxn[] = [];
  let pos = 0;
  let lastOffset = -1;
  for (; pos + TXN_INDEX_ENTRY_BYTES <= buf.byteLength; pos += TXN_INDEX_ENTRY_BYTES) {
    if (dv.getInt16(pos) !== VERSION) break;
    const e = { producerId: getI64(dv, pos + 2), firstOffset: getI64(dv, pos + 10), lastOffset: getI64(dv, pos + 18), lastStableOffset: getI64(dv, pos + 26) };
    if (e.firstOffset < 0 || e.firstOffset > e.lastOffset || e.lastOffset <= lastOffset || !Number.isSafeInteger(e.lastStableOffset)) break;
    lastOffset = e.lastOffset;
    entries.push(e);
  }
  return { entries, validBytes: pos };
}

export class TxnIndex {
  readonly path: string;
  private entries: AbortedTxn[] | null = null;
  private fd = -1;
  private dirty = false;

  constructor(path: string) {
    this.path = path;
  }

  /** The entries (loaded from the file at first use; a damaged tail is cut off the file). */
  all(): readonly AbortedTxn[] {
    return this.load();
  }

  private load(): AbortedTxn[] {
    if (this.entries !== null) return this.entries;
    // Most segments never saw an aborted transaction: ask first, since a failed read throws
    // an Error whose stack and message cost ~0.1 ms (every partition's open loads its active segment's).
    if (!fs.existsSync(this.path)) {
      this.entries = [];
      return this.entries;
    }
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `cannot read ${this.path}: ${(err as Error).message}`);
      this.entries = [];
      return this.entries;
    }
    const decoded = decodeTxnIndex(bytes);
    if (decoded.validBytes !== bytes.byteLength) fs.truncateSync(this.path, decoded.validBytes);
    this.entries = decoded.entries;
    return this.entries;
  }

  get count(): number {
    return this.load().length;
  }

  /** lastOffset of the newest entry, -1 when there is none. */
  lastOffset(): number {
    const e = this.load();
    return e.length === 0 ? -1 : e[e.length - 1]!.lastOffset;
  }

  /** Appends an entry (its marker must be past every entry's). Not synced: see the module comment. */
  append(e: AbortedTxn): void {
    const entries = this.load();
    if (e.lastOffset <= this.lastOffset()) {
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.path}: aborted transaction ending at ${e.lastOffset} is not after ${this.lastOffset()}`);
    }
    const buf = Buffer.allocUnsafe(TXN_INDEX_ENTRY_BYTES);
    encodeAbortedTxn(e, buf, 0);
    if (this.fd < 0) this.fd = fs.openSync(this.path, OPEN_OR_CREATE_RW);
    const at = entries.length * TXN_INDEX_ENTRY_BYTES;
    let done = 0;
    for (let pass = 0; done < buf.byteLength && pass < TXN_INDEX_ENTRY_BYTES; pass++) done += fs.writeSync(this.fd, buf, done, buf.byteLength - done, at + done);
    if (done !== buf.byteLength) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${this.path}: short write`);
    entries.push({ ...e });
    this.dirty = true;
  }

  /** Drops the entries whose marker is at or after `offset` (the log was cut there). */
  truncateTo(offset: number): void {
    const entries = this.load();
    let keep = entries.length;
    while (keep > 0 && entries[keep - 1]!.lastOffset >= offset) keep--;
    if (keep === entries.length) return;
    entries.length = keep;
    if (keep === 0 && this.fd < 0) {
      fs.rmSync(this.path, { force: true });
      return;
    }
    if (this.fd < 0) this.fd = fs.openSync(this.path, 'r+');
    fs.ftruncateSync(this.fd, keep * TXN_INDEX_ENTRY_BYTES);
    this.dirty = true;
  }

  /**
   * Kafka's collectAbortedTxns: adds to `out` every entry of a transaction that
   * overlaps [fetchOffset, upperBoundOffset) (its marker at or after fetchOffset, its
   * first batch before upperBoundOffset). Returns true when an entry's
   * lastStableOffset reaches upperBoundOffset: no later segment can add one.
   */
  collect(fetchOffset: number, upperBoundOffset: number, out: AbortedTxn[]): boolean {
    for (const e of this.load()) {
      if (e.lastOffset >= fetchOffset && e.firstOffset < upperBoundOffset) out.push(e);
      if (e.lastStableOffset >= upperBoundOffset) return true;
    }
    return false;
  }

  /** fdatasync of what was appended (at seal and clean close). */
  sync(): void {
    if (this.fd >= 0 && this.dirty) fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  /** Closes the file and forgets the entries (reloaded at the next use). */
  release(): void {
    this.close();
    this.entries = null;
  }

  close(): void {
    if (this.fd >= 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Best effort: the fd is gone either way.
      }
    }
    this.fd = -1;
  }
}
