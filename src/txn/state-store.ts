// The transaction coordinator's durable state: one record per transactional id in the
// internal compacted topic __transaction_state (as Kafka keeps it), the latest record
// per key winning, a tombstone when an id expires.
// Owns: the record format of that topic, loading it, and appending states (acks=-1:
// a state is durable before the coordinator acts on it). Must not decide transitions
// (coordinator.ts does).
//
// Record format (Samsa's own, JSON like the offsets topic; only Samsa reads it):
// key = UTF-8 transactional id; value = UTF-8 JSON of a TxnRecord, or null.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/record-batch.js';

export const TXN_STATE_TOPIC = '__transaction_state';
/** Bytes read per step while loading. */
const LOAD_READ_BYTES = 1 << 20;

export type TxnStateName = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort';

export const TXN_STATE_NAMES: readonly TxnStateName[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort'];

/** What is stored per transactional id. */
export interface TxnRecord {
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  /** Partitions of the transaction in progress (Ongoing, Prepare*), as [topic, partition]. */
  partitions: Array<[string, number]>;
  /** When the transaction in progress began (its first AddPartitions), -1 when none. */
  startMs: number;
  updateMs: number;
}

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

function isRecord(v: unknown): v is TxnRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Partial<TxnRecord>;
  return (
    Number.isSafeInteger(r.producerId) && Number.isInteger(r.producerEpoch) && Number.isInteger(r.timeoutMs)
    && typeof r.state === 'string' && TXN_STATE_NAMES.includes(r.state) && Array.isArray(r.partitions)
    && r.partitions.every((p) => Array.isArray(p) && typeof p[0] === 'string' && Number.isInteger(p[1]))
    && typeof r.startMs === 'number' && typeof r.updateMs === 'number'
  );
}

export class TxnStateStore {
  constructor(private readonly engine: Engine) {}

  /** Every stored transactional id with its latest state (tombstoned and malformed records left out). */
  async load(): Promise<Map<string, TxnRecord>> {
    const out = new Map<string, TxnRecord>();
    if (this.engine.describeTopic(TXN_STATE_TOPIC) === undefined) return out;
    const { logStartOffset, highWatermark } = this.engine.offsets(TXN_STATE_TOPIC, 0);
    let offset = logStartOffset;
    // Every step advances by at least one record, which bounds the loop.
    for (let step = 0; offset < highWatermark && step <= highWatermark - logStartOffset; step++) {
      const r = await this.engine.read(TXN_STATE_TOPIC, 0, offset, LOAD_READ_BYTES);
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `reading ${TXN_STATE_TOPIC} at ${offset}`);
      const batches = decodeRecordBatches(r.records);
      if (batches.length === 0) break;
      for (const b of batches) {
        for (const rec of b.records) {
          if (rec.offset < offset || rec.key === null) continue;
          const id = textDecoder.decode(rec.key);
          if (rec.value === null) {
            out.delete(id);
            continue;
          }
          let v: unknown;
          try {
            v = JSON.parse(textDecoder.decode(rec.value));
          } catch {
            continue;
          }
          if (isRecord(v)) out.set(id, v);
        }
      }
      const last = batches[batches.length - 1]!;
      offset = last.records.length > 0 ? last.records[last.records.length - 1]!.offset + 1 : offset + 1;
    }
    return out;
  }

  private async ensureTopic(): Promise<void> {
    if (this.engine.describeTopic(TXN_STATE_TOPIC) !== undefined) return;
    try {
      await this.engine.createTopic(TXN_STATE_TOPIC, 1, { 'cleanup.policy': 'compact' });
    } catch (err) {
      if (this.engine.describeTopic(TXN_STATE_TOPIC) === undefined) throw err;
    }
  }

  /** Makes `record` the durable state of `id` (null: forget it). Throws KafkaError when the write fails. */
  async put(id: string, record: TxnRecord | null): Promise<void> {
    await this.ensureTopic();
    const batch = encodeRecordBatch([{ key: textEncoder.encode(id), value: record === null ? null : JSON.stringify(record) }]);
    const r = await this.engine.append(TXN_STATE_TOPIC, 0, batch, -1);
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? `append to ${TXN_STATE_TOPIC} failed`);
  }
}
