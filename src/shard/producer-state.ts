// Idempotent-producer state of one partition: per producer id, its epoch and the
// sequence ranges of its last few batches. Owns: the sequence verdict (next in
// line, duplicate of a recent batch, or out of order). Must not touch files: it is
// in-memory, per shard; after a restart a producer's first batch is accepted at any
// sequence (as Kafka does for an unknown producer whose state has expired).

import { ErrorCode } from '../protocol/errors.js';

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

  record(producerId: number, epoch: number, baseSequence: number, recordCount: number, ref: OffsetRef): void {
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
    p.batches.push({ firstSeq: baseSequence, lastSeq: nextSeq(baseSequence, recordCount - 1), ref });
    if (p.batches.length > RECENT_BATCHES_MAX) p.batches.shift();
  }

  size(): number {
    return this.producers.size;
  }
}
