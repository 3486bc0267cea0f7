// The open transactions of one partition and its last stable offset (LSO), as Kafka's
// ProducerStateManager keeps them: per producer with a transaction in progress here,
// the offset of its first transactional batch. The LSO is the first offset of the
// oldest open transaction, or the log end when none is open: read_committed consumers
// read below it only. A transaction ends with a marker (a control batch the
// coordinator writes); an ABORT marker makes an aborted-transaction entry
// (storage/txn-index.ts) that read_committed fetches return.
// Owns: that bookkeeping, staged in step with the shard's appends (offsets are known
// only once a drain is written, so entries hold references that the write fills in),
// rolled back when a write fails, and replayed from stored batch headers at open.
// Must not touch files (the shard appends the entries it is given to the log's index).

import { ErrorCode } from '../wire/errors.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../wire/batch-layout.js';
import { CONTROL_TYPE_ABORT, CONTROL_TYPE_NONE } from '../wire/control-batch.js';
import type { AbortedTxn } from '../storage/txn-index.js';
import type { ProducerBatchHeader, SnapshotTxn } from '../storage/producer-snapshot.js';

/** Anything whose baseOffset is filled in once its batch is written (-1 until then). */
export interface OffsetRef {
  baseOffset: number;
}

/** Open transactions per partition at most (the coordinator bounds them far lower; this guards the shard). */
export const OPEN_TXNS_MAX = 100_000;

interface Completion {
  producerId: number;
  first: OffsetRef;
  marker: OffsetRef;
  abort: boolean;
  /** The oldest transaction still open when this one ended (its first offset is the LSO then), or null. */
  nextOpen: OffsetRef | null;
}

export class TxnState {
  /** producerId → first batch of its open transaction; Map order is first-offset order (staging order). */
  private ongoing = new Map<number, OffsetRef>();
  /** Transactions ended by markers staged in the current drain, resolved after the write. */
  private readonly ended: Completion[] = [];
  /** The open transactions before the current drain changed them (to roll back a failed write); null when unchanged. */
  private before: Map<number, OffsetRef> | null = null;
  /** Producers whose transaction the current drain opened (their refs point into the drain's requests). */
  private readonly opened: number[] = [];

  get openCount(): number {
    return this.ongoing.size;
  }

  isOpen(producerId: number): boolean {
    return this.ongoing.has(producerId);
  }

  /** First offset of the producer's open transaction, -1 when none (or not written yet). */
  firstOffsetOf(producerId: number): number {
    return this.ongoing.get(producerId)?.baseOffset ?? -1;
  }

  /** The last stable offset of a log that ends at `logEndOffset`. */
  lastStableOffset(logEndOffset: number): number {
    for (const first of this.ongoing.values()) {
      // A transaction staged but not written yet has no offset: it does not hold anything back yet.
      if (first.baseOffset >= 0) return first.baseOffset;
    }
    return logEndOffset;
  }

  private remember(): void {
    this.before ??= new Map(this.ongoing);
  }

  /**
   * A transactional batch of `producerId` is staged at `ref`: it opens a transaction
   * unless one is open. Returns an error code when the partition holds too many.
   */
  begin(producerId: number, ref: OffsetRef): number {
    if (this.ongoing.has(producerId)) return ErrorCode.NONE;
    if (this.ongoing.size >= OPEN_TXNS_MAX) return ErrorCode.INVALID_TXN_STATE;
    this.remember();
    this.ongoing.set(producerId, ref);
    this.opened.push(producerId);
    return ErrorCode.NONE;
  }

  /** A marker ending `producerId`'s transaction is staged at `marker` (a marker with nothing open is a no-op here). */
  end(producerId: number, marker: OffsetRef, abort: boolean): void {
    const first = this.ongoing.get(producerId);
    if (first === undefined) return;
    this.remember();
    this.ongoing.delete(producerId);
    const next = this.ongoing.values().next();
    this.ended.push({ producerId, first, marker, abort, nextOpen: next.done === true ? null : next.value });
  }

  /**
   * After the drain's write succeeded: the aborted transactions it ended, as index
   * entries (offsets now known), in marker order. Forgets the rollback point.
   */
  takeAborted(): AbortedTxn[] {
    if (this.before === null) return NO_ABORTS;
    const out: AbortedTxn[] = [];
    for (const c of this.ended) {
      if (!c.abort || c.first.baseOffset < 0 || c.marker.baseOffset < 0) continue;
      const lso = c.nextOpen !== null && c.nextOpen.baseOffset >= 0 ? c.nextOpen.baseOffset : c.marker.baseOffset + 1;
      out.push({ producerId: c.producerId, firstOffset: c.first.baseOffset, lastOffset: c.marker.baseOffset, lastStableOffset: lso });
    }
    this.ended.length = 0;
    this.before = null;
    // Entries were references into the drain's requests: keep plain offsets instead.
    for (const pid of this.opened) {
      const ref = this.ongoing.get(pid);
      if (ref !== undefined) this.ongoing.set(pid, { baseOffset: ref.baseOffset });
    }
    this.opened.length = 0;
    return out;
  }

  /** After the drain's write failed: the open transactions are what they were before it. */
  rollback(): void {
    if (this.before !== null) this.ongoing = this.before;
    this.before = null;
    this.ended.length = 0;
    this.opened.length = 0;
  }

  /**
   * Applies one stored batch header in log order (a rebuild at open). Returns the
   * aborted-transaction entry an ABORT marker makes, or null.
   */
  replay(h: ProducerBatchHeader): AbortedTxn | null {
    if (h.producerId < 0 || (h.attributes & ATTR_TRANSACTIONAL) === 0) return null;
    if ((h.attributes & ATTR_CONTROL) === 0) {
      if (!this.ongoing.has(h.producerId) && this.ongoing.size < OPEN_TXNS_MAX) this.ongoing.set(h.producerId, { baseOffset: h.baseOffset });
      return null;
    }
    if (h.controlType === CONTROL_TYPE_NONE) return null;
    const first = this.ongoing.get(h.producerId);
    if (first === undefined) return null;
    this.ongoing.delete(h.producerId);
    if (h.controlType !== CONTROL_TYPE_ABORT) return null;
    const next = this.ongoing.values().next();
    const lso = next.done === true ? h.baseOffset + 1 : next.value.baseOffset;
    return { producerId: h.producerId, firstOffset: first.baseOffset, lastOffset: h.baseOffset, lastStableOffset: lso };
  }

  /** The open transactions for a snapshot, first offset ascending (only written ones). */
  toSnapshot(): SnapshotTxn[] {
    const out: SnapshotTxn[] = [];
    for (const [producerId, ref] of this.ongoing) if (ref.baseOffset >= 0) out.push({ producerId, firstOffset: ref.baseOffset });
    return out.sort((a, b) => a.firstOffset - b.firstOffset);
  }

  static fromSnapshot(txns: readonly SnapshotTxn[]): TxnState {
    const t = new TxnState();
    for (const x of [...txns].sort((a, b) => a.firstOffset - b.firstOffset).slice(0, OPEN_TXNS_MAX)) t.ongoing.set(x.producerId, { baseOffset: x.firstOffset });
    return t;
  }

  /** Open transactions as (producer, first offset) pairs, oldest first (DescribeProducers). */
  open(): Array<{ producerId: number; firstOffset: number }> {
    return [...this.ongoing].map(([producerId, ref]) => ({ producerId, firstOffset: ref.baseOffset }));
  }
}

const NO_ABORTS: AbortedTxn[] = [];
