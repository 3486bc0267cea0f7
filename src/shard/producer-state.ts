// Idempotent-producer state of one partition: per producer id, its epoch and the
// sequence ranges of its last few batches. Owns: the sequence verdict (next in
// line, duplicate of a recent batch, or out of order), and turning the state into a
// snapshot and back, or rebuilding it from stored batch headers. Must not touch
// files itself: storage (src/storage/producer-snapshot.ts, PartitionLog) reads and
// writes them.
//
// The state survives a restart, as in Kafka: a clean close writes a snapshot at the
// log end; an open loads the newest usable snapshot and replays the batch headers
// stored after it, or, without one, replays the last PRODUCER_SCAN_BYTES_DEFAULT of
// the log. A producer not seen there is unknown, and an unknown producer's first
// batch is accepted at any sequence (Kafka's rule for an unknown producer id).
// Compaction may drop whole batches of a producer: their sequences are then unknown
// to a rebuild, which is acceptable (the batches after them still set the state).

import { rmSync } from 'node:fs';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../wire/batch-layout.js';
import { ErrorCode } from '../wire/errors.js';
import type { PartitionLog } from '../storage/partition-log.js';
import { PRODUCER_SCAN_BYTES_DEFAULT, loadProducerSnapshot, newProducerBatchHeader, syncProducerSnapshot, writeProducerSnapshot, writeProducerSnapshotUnsynced } from '../storage/producer-snapshot.js';
import type { ProducerBatchHeader, ProducerSnapshot, SnapshotProducer, UnsyncedSnapshot } from '../storage/producer-snapshot.js';
import type { AbortedTxn } from '../storage/txn-index.js';
import { TxnState } from './txn-state.js';

/** Kafka keeps the last 5 batches per producer (max.in.flight.requests.per.connection ≤ 5). */
const RECENT_BATCHES_MAX = 5;
/** Producers tracked per partition at most; the least recently used is forgotten past it. */
const PRODUCERS_MAX = 10_000;

/** Anything whose baseOffset is filled in once the batch is written. */
export interface OffsetRef {
  baseOffset: number;
}

interface BatchEntry {
  firstSeq: number;
  lastSeq: number;
  ref: OffsetRef;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchEntry[];
}

export type SequenceVerdict =
  | { kind: 'ok' }
  | { kind: 'duplicate'; entry: OffsetRef }
  | { kind: 'error'; errorCode: number; message: string };

const OK: SequenceVerdict = { kind: 'ok' };
const INT32_MAX = 0x7fffffff;

function nextSeq(seq: number, count: number): number {
  // Sequences wrap at Int32 max to 0, like Kafka's DefaultRecordBatch.incrementSequence.
  return seq > INT32_MAX - count ? count - (INT32_MAX - seq) - 1 : seq + count;
}

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  check(producerId: number, epoch: number, baseSequence: number, recordCount: number): SequenceVerdict {
    const p = this.producers.get(producerId);
    if (p === undefined) return OK;
    if (epoch < p.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${producerId} epoch ${epoch} is older than ${p.epoch}` };
    }
    if (epoch > p.epoch) {
      if (baseSequence === 0) return OK;
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${epoch} must start at sequence 0, not ${baseSequence}` };
    }
    const lastSeqOfThis = nextSeq(baseSequence, recordCount - 1);
    for (const b of p.batches) {
      if (b.firstSeq === baseSequence && b.lastSeq === lastSeqOfThis) return { kind: 'duplicate', entry: b.ref };
    }
    const last = p.batches[p.batches.length - 1];
    if (last === undefined) return OK;
    const expected = nextSeq(last.lastSeq, 1);
    if (baseSequence !== expected) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${producerId}: expected sequence ${expected}, got ${baseSequence}`,
      };
    }
    return OK;
  }

  /**
   * A transaction marker of `producerId` at `epoch` (written by the coordinator):
   * an epoch older than the producer's is INVALID_PRODUCER_EPOCH; a newer one
   * becomes the producer's (its sequences start again), fencing writes of older epochs.
   */
  checkMarker(producerId: number, epoch: number): number {
    const p = this.producers.get(producerId);
    return p !== undefined && epoch < p.epoch ? ErrorCode.INVALID_PRODUCER_EPOCH : ErrorCode.NONE;
  }

  /** Applies a marker that passed checkMarker (see there). */
  recordMarker(producerId: number, epoch: number): void {
    let p = this.producers.get(producerId);
    if (p !== undefined && epoch <= p.epoch) return;
    if (p === undefined && this.producers.size >= PRODUCERS_MAX) {
      const oldest = this.producers.keys().next();
      if (oldest.done !== true) this.producers.delete(oldest.value);
    }
    p = { epoch, batches: [] };
    this.producers.delete(producerId);
    this.producers.set(producerId, p);
  }

  /** The producer's epoch and last sequence, or undefined when unknown (DescribeProducers). */
  describe(producerId: number): { epoch: number; lastSequence: number } | undefined {
    const p = this.producers.get(producerId);
    if (p === undefined) return undefined;
    return { epoch: p.epoch, lastSequence: p.batches[p.batches.length - 1]?.lastSeq ?? -1 };
  }

  /** Every known producer id, least recently used first. */
  ids(): number[] {
    return [...this.producers.keys()];
  }

  record(producerId: number, epoch: number, baseSequence: number, recordCount: number, ref: OffsetRef): void {
    this.add(producerId, epoch, baseSequence, nextSeq(baseSequence, recordCount - 1), ref);
  }

  private add(producerId: number, epoch: number, firstSeq: number, lastSeq: number, ref: OffsetRef): void {
    let p = this.producers.get(producerId);
    if (p === undefined || epoch > p.epoch) {
      if (p === undefined && this.producers.size >= PRODUCERS_MAX) {
        const oldest = this.producers.keys().next();
        if (oldest.done !== true) this.producers.delete(oldest.value);
      }
      p = { epoch, batches: [] };
    }
    // Re-insert so Map order is least-recently-used first.
    this.producers.delete(producerId);
    this.producers.set(producerId, p);
    p.batches.push({ firstSeq, lastSeq, ref });
    if (p.batches.length > RECENT_BATCHES_MAX) p.batches.shift();
  }

  /**
   * Applies one stored batch, in log order, as if it had just been appended: what a
   * rebuild after a restart does. Skipped: non-idempotent batches (producerId < 0 or
   * no sequence), control batches (transaction markers carry no sequence), and a
   * batch of an epoch older than the producer's (fenced; the log should not hold one
   * after a newer epoch). lastSeq is baseSequence + lastOffsetDelta with the Int32 wrap.
   */
  replay(h: ProducerBatchHeader): void {
    if (h.producerId >= 0 && (h.attributes & ATTR_CONTROL) !== 0) {
      if (h.producerEpoch >= 0) this.recordMarker(h.producerId, h.producerEpoch);
      return;
    }
    if (h.producerId < 0 || h.baseSequence < 0 || h.lastOffsetDelta < 0) return;
    const p = this.producers.get(h.producerId);
    if (p !== undefined && h.producerEpoch < p.epoch) return;
    this.add(h.producerId, h.producerEpoch, h.baseSequence, nextSeq(h.baseSequence, h.lastOffsetDelta), { baseOffset: h.baseOffset });
  }

  /**
   * The state as a snapshot's producers, least recently used first (so loading keeps
   * the order). Batches not written yet (baseOffset < 0) are left out; a producer
   * with no batch left is too, unless it never had one (known from a marker).
   */
  toSnapshot(): SnapshotProducer[] {
    const out: SnapshotProducer[] = [];
    for (const [producerId, p] of this.producers) {
      // A client may send odd values (a negative epoch or sequence); they are not worth keeping across a restart.
      if (p.epoch < 0 || p.epoch > 0x7fff) continue;
      const batches = p.batches.filter((b) => b.ref.baseOffset >= 0 && b.firstSeq >= 0 && b.lastSeq >= 0).map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: b.ref.baseOffset }));
      // A producer known only from a transaction marker keeps its epoch (it fences older ones).
      if (batches.length > 0 || p.batches.length === 0) out.push({ producerId, epoch: p.epoch, batches });
    }
    return out;
  }

  /** A table holding what a snapshot holds (at most PRODUCERS_MAX producers, RECENT_BATCHES_MAX batches each). */
  static fromSnapshot(producers: readonly SnapshotProducer[]): ProducerStateTable {
    const t = new ProducerStateTable();
    for (const p of producers.slice(-PRODUCERS_MAX)) {
      t.producers.delete(p.producerId);
      t.producers.set(p.producerId, {
        epoch: p.epoch,
        batches: p.batches.slice(-RECENT_BATCHES_MAX).map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, ref: { baseOffset: b.baseOffset } })),
      });
    }
    return t;
  }

  size(): number {
    return this.producers.size;
  }
}

/** How a partition's producer state was rebuilt at open (for logs and tests). */
export interface ProducerStateLoad {
  table: ProducerStateTable;
  /** Open transactions (and so the last stable offset). */
  txn: TxnState;
  /**
   * 'snapshot': loaded, nothing scanned; 'snapshot+replay': loaded, then the batches
   * after it; 'scan': the log tail only; 'full': the whole log (a transaction was seen
   * and no snapshot says where it began); 'none': failed, empty.
   */
  source: 'snapshot' | 'snapshot+replay' | 'scan' | 'full' | 'none';
  batchesReplayed: number;
}

interface Replay {
  table: ProducerStateTable;
  txn: TxnState;
  aborted: AbortedTxn[];
  sawTxnData: boolean;
  batches: number;
}

/** Replays the batch headers from `fromOffset` (see PartitionLog.visitBatchHeaders) onto a snapshot's state or an empty one. */
function replayLog(log: PartitionLog, snapshot: ProducerSnapshot | null, fromOffset: number, budgetBytes: number): Replay | null {
  const table = snapshot === null ? new ProducerStateTable() : ProducerStateTable.fromSnapshot(snapshot.producers);
  const txn = snapshot === null ? new TxnState() : TxnState.fromSnapshot(snapshot.txns);
  const r: Replay = { table, txn, aborted: [], sawTxnData: false, batches: 0 };
  const visited = log.visitBatchHeaders(fromOffset, budgetBytes, newProducerBatchHeader(), (h) => {
    table.replay(h);
    if ((h.attributes & ATTR_TRANSACTIONAL) !== 0 && (h.attributes & ATTR_CONTROL) === 0 && h.producerId >= 0) r.sawTxnData = true;
    const aborted = txn.replay(h);
    if (aborted !== null) r.aborted.push(aborted);
  });
  if (visited === null) return null;
  r.batches = visited.batches;
  return r;
}

/**
 * Rebuilds a partition's producer state when it opens (see the module comment).
 * Never throws: a bad snapshot or an unreadable log tail is reported through `say`
 * and leaves an empty table (every producer unknown), so a partition always opens.
 *
 * Transactions need more than sequences: where an open transaction began. A replay
 * from a snapshot knows (the snapshot lists them); the bounded tail scan does not,
 * so when a replay that did not start from a snapshot (or the tail scan taken
 * instead of a long replay) meets a transactional batch, the replay is redone whole:
 * from the snapshot, or without one from the log start. The shard writes a snapshot
 * at every segment roll of a partition with transactions, which bounds that replay.
 * The aborted transactions the replay meets are put back into the log's
 * .txnindex where a crash lost them.
 */
export function loadProducerState(log: PartitionLog, say: (msg: string) => void, scanBytesMax = PRODUCER_SCAN_BYTES_DEFAULT): ProducerStateLoad {
  try {
    const snapshot = loadProducerSnapshot(log.dir, log.nextOffset, say);
    let source: ProducerStateLoad['source'];
    let r: Replay | null = null;
    if (snapshot !== null && snapshot.logEndOffset === log.nextOffset) {
      return { table: ProducerStateTable.fromSnapshot(snapshot.producers), txn: TxnState.fromSnapshot(snapshot.txns), source: 'snapshot', batchesReplayed: 0 };
    }
    if (snapshot !== null) {
      // Written at a clean close or a roll, then more was appended before an unclean stop: replay the rest.
      r = replayLog(log, snapshot, snapshot.logEndOffset, scanBytesMax);
      source = 'snapshot+replay';
    }
    if (r === null) {
      // No snapshot, or more than the bound lies after it: the tail alone is cheaper and still consistent for sequences.
      r = replayLog(log, null, -1, scanBytesMax)!;
      source = 'scan';
      if (r.sawTxnData) {
        r = snapshot !== null ? replayLog(log, snapshot, snapshot.logEndOffset, Number.POSITIVE_INFINITY)! : replayLog(log, null, log.logStartOffset, Number.POSITIVE_INFINITY)!;
        source = snapshot !== null ? 'snapshot+replay' : 'full';
      }
    }
    for (const e of r.aborted) log.addAbortedTxn(e);
    return { table: r.table, txn: r.txn, source: source!, batchesReplayed: r.batches };
  } catch (err) {
    say(`${log.dir}: producer state not rebuilt (${err instanceof Error ? err.message : String(err)}); every producer is unknown until it writes again`);
    return { table: new ProducerStateTable(), txn: new TxnState(), source: 'none', batchesReplayed: 0 };
  }
}

/**
 * Writes the state as a snapshot at the log end. Call after the log closed cleanly
 * (its data synced), or after a segment roll (the snapshot may then end past what a
 * crash keeps; the one before it stays for that case). Never throws: without a
 * snapshot the next open rebuilds from the log.
 */
export function saveProducerState(log: PartitionLog, table: ProducerStateTable, say: (msg: string) => void, txn: TxnState = new TxnState(), atRoll = false): void {
  try {
    writeProducerSnapshot(log.dir, { logEndOffset: log.nextOffset, producers: table.toSnapshot(), txns: txn.toSnapshot() }, atRoll ? 1 : 0);
  } catch (err) {
    say(`${log.dir}: producer snapshot not written (${err instanceof Error ? err.message : String(err)}); the next open rebuilds from the log`);
  }
}

/**
 * saveProducerState at a clean close, in two halves for a shutdown that closes many
 * partitions and flushes the file system once between them (see
 * writeProducerSnapshotUnsynced). Null when the snapshot could not be written (said
 * through `say`, as saveProducerState does).
 */
export function saveProducerStateUnsynced(log: PartitionLog, table: ProducerStateTable, say: (msg: string) => void, txn: TxnState): UnsyncedSnapshot | null {
  try {
    return writeProducerSnapshotUnsynced(log.dir, { logEndOffset: log.nextOffset, producers: table.toSnapshot(), txns: txn.toSnapshot() });
  } catch (err) {
    say(`${log.dir}: producer snapshot not written (${err instanceof Error ? err.message : String(err)}); the next open rebuilds from the log`);
    return null;
  }
}

/**
 * The second half: makes the snapshot durable (`alreadyDurable`: a trusted file-system
 * sync did), or removes it when that fails (the next open rebuilds from the log).
 */
export function finishProducerState(p: UnsyncedSnapshot, say: (msg: string) => void, alreadyDurable = false): void {
  try {
    syncProducerSnapshot(p, alreadyDurable);
  } catch (err) {
    say(`${p.dir}: producer snapshot not synced (${err instanceof Error ? err.message : String(err)}); removed, the next open rebuilds from the log`);
    try {
      rmSync(p.file, { force: true });
    } catch {
      // Left in place: a torn file fails its CRC at the next open and is removed then.
    }
  }
}
