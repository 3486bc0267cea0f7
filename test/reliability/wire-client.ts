// Produce and fetch over the Kafka protocol for the reliability tests: one batch per
// Produce request, and every stored batch of a partition read back by Fetch.
// Owns: nothing but the request shapes. Must not read the broker's files.
import { createHash } from 'node:crypto';
import { batchSizeAt, getBaseOffset } from '../../src/wire/batch-layout.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../src/wire/schemas/19-create-topics.js';
import type { RawClient } from '../kafka/harness.js';

const FETCH_ROUNDS_MAX = 100_000;

export async function createTopic(c: RawClient, name: string, partitions: number, configs: Record<string, string> = {}): Promise<number> {
  const r = await c.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([k, value]) => ({ name: k, value })) }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  return r.topics[0]?.errorCode ?? -1;
}

export async function produce(c: RawClient, topic: string, partition: number, batch: Uint8Array, acks = -1): Promise<{ errorCode: number; baseOffset: number; errorMessage: string | null }> {
  const r = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
    transactionalId: null, acks, timeoutMs: 30_000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records: batch }] }],
  });
  const pr = r.responses[0]?.partitionResponses[0];
  if (pr === undefined) throw new Error('empty produce response');
  return { errorCode: pr.errorCode, baseOffset: Number(pr.baseOffset), errorMessage: pr.errorMessage ?? null };
}

/** What identifies a stored batch's content: everything but baseOffset (0-7) and partitionLeaderEpoch (12-15). */
export function contentHash(batch: Uint8Array): string {
  return createHash('sha256').update(batch.subarray(8, 12)).update(batch.subarray(16)).digest('hex');
}

/** Every batch from the log start to the high watermark, by base offset (content hashes), or the fetch's error code. */
export async function fetchAll(c: RawClient, topic: string, partition: number): Promise<{ errorCode: number; batches: Map<number, string>; highWatermark: number }> {
  const batches = new Map<number, string>();
  let offset = 0;
  let highWatermark = -1;
  for (let round = 0; round < FETCH_ROUNDS_MAX; round++) {
    const r = await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 4 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const pr = r.responses[0]?.partitions[0];
    if (pr === undefined) throw new Error('empty fetch response');
    if (pr.errorCode !== 0) return { errorCode: pr.errorCode, batches, highWatermark };
    highWatermark = Number(pr.highWatermark);
    if (offset < Number(pr.logStartOffset)) offset = Number(pr.logStartOffset);
    if (offset >= highWatermark) break;
    const bytes = pr.records ?? new Uint8Array(0);
    let pos = 0;
    const before = offset;
    while (pos + 61 <= bytes.byteLength) {
      const size = batchSizeAt(bytes, pos);
      if (size < 61 || pos + size > bytes.byteLength) break;
      const b = bytes.subarray(pos, pos + size);
      batches.set(getBaseOffset(b), contentHash(b));
      offset = getBaseOffset(b) + new DataView(b.buffer, b.byteOffset).getInt32(23) + 1;
      pos += size;
    }
    if (offset === before) throw new Error(`fetch ${topic}-${partition} at ${offset}: no progress`);
  }
  return { errorCode: 0, batches, highWatermark };
}
