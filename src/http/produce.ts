// Producing JSON records: the path shared by `POST /topics/{t}[/partitions/{p}]`
// and the `/topics/{t}/produce` WebSocket stream. Owns: choosing each record's
// partition (given, murmur2 of the key like Kafka's default partitioner, or one
// partition per request for unkeyed records — Kafka's sticky partitioning), grouping
// records into one RecordBatch v2 per partition, and the offsets answer.
// Must not read the body or touch sockets.
//
// All-or-nothing validation: an unknown topic/partition or an oversized batch fails
// the whole request (4xx) before anything is appended. The appends are started
// synchronously, before the first await, so two requests from one socket reach each
// partition in the order they arrived.

import type { Engine } from '../broker/engine-api.js';
import { partitionForKey } from '../wire/partitioner.js';
import { ErrorCode, errorName } from '../wire/errors.js';
import { encodeRecordBatch, type RecordInput } from '../protocol/record-batch.js';
import { absentTopic, bodyTooLarge, invalidOffsetOrPartition, partitionNotFound } from './errors.js';
import type { ProduceRecord } from './records-json.js';
import { logger } from '../util/logger.js';

export interface ProduceOffset {
  partition: number;
  /** Offset of the record; null when its partition's append failed. */
  offset: number | null;
  /** Kafka error code of a failed append; null on success. */
  error_code: number | null;
  error: string | null;
}

/** Bound on the per-topic round-robin map (it only holds live topic names). */
const STICKY_TOPICS_MAX = 100_000;

export class JsonProducer {
  private readonly nextUnkeyed = new Map<string, number>();

  constructor(private readonly engine: Engine) {}

  /** Limit for a produce body or WebSocket message to `topic` (its max.message.bytes); undefined if no such topic. */
  maxMessageBytes(topic: string): number | undefined {
    return this.engine.describeTopic(topic)?.config['max.message.bytes'];
  }

  produce(topic: string, records: readonly ProduceRecord[], fixedPartition?: number): Promise<ProduceOffset[]> {
    const info = this.engine.describeTopic(topic);
    if (info === undefined) throw absentTopic(this.engine, topic);
    const n = info.partitions;
    if (fixedPartition !== undefined && fixedPartition >= n) throw partitionNotFound(topic, fixedPartition, n);

    // One partition for all unkeyed records of this request (sticky), rotating per request.
    let unkeyed = -1;
    const partitions = new Array<number>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      let p: number;
      if (fixedPartition !== undefined) {
        if (r.partition !== undefined && r.partition !== fixedPartition) {
          throw invalidOffsetOrPartition(`records[${i}].partition is ${r.partition} but the URL names partition ${fixedPartition}`);
        }
        p = fixedPartition;
      } else if (r.partition !== undefined) {
        if (r.partition >= n) throw partitionNotFound(topic, r.partition, n);
        p = r.partition;
      } else if (r.key !== null) {
        p = partitionForKey(r.key, n);
      } else {
        if (unkeyed < 0) unkeyed = this.takeUnkeyedPartition(topic, n);
        p = unkeyed;
      }
      partitions[i] = p;
    }

    const groups = new Map<number, number[]>();
    for (let i = 0; i < records.length; i++) {
      const p = partitions[i]!;
      let g = groups.get(p);
      if (g === undefined) groups.set(p, (g = []));
      g.push(i);
    }
    const limit = info.config['max.message.bytes'];
    const batches: Array<{ partition: number; indices: number[]; batch: Uint8Array }> = [];
    for (const [partition, indices] of groups) {
      const inputs: RecordInput[] = indices.map((i) => {
        const r = records[i]!;
        const input: RecordInput = { key: r.key, value: r.value, headers: r.headers };
        if (r.timestamp !== undefined) input.timestamp = r.timestamp;
        return input;
      });
      const batch = encodeRecordBatch(inputs);
      if (batch.byteLength > limit) throw bodyTooLarge(limit, `the record batch for partition ${partition} (${batch.byteLength} bytes)`);
      batches.push({ partition, indices, batch });
    }

    // Started here, synchronously and in request order.
    const appends = batches.map((b) =>
      this.engine.append(topic, b.partition, b.batch, -1).catch((err: unknown) => {
        logger().error({ err, topic, partition: b.partition }, 'http produce append failed');
        return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, errorMessage: 'append failed (logged)' };
      }),
    );
    return Promise.all(appends).then((results) => {
      const out = new Array<ProduceOffset>(records.length);
      results.forEach((res, k) => {
        const { partition, indices } = batches[k]!;
        indices.forEach((recordIndex, j) => {
          out[recordIndex] =
            res.errorCode === ErrorCode.NONE
              ? { partition, offset: res.baseOffset + j, error_code: null, error: null }
              : { partition, offset: null, error_code: res.errorCode, error: res.errorMessage ?? errorName(res.errorCode) };
        });
      });
      return out;
    });
  }

  private takeUnkeyedPartition(topic: string, n: number): number {
    const next = this.nextUnkeyed.get(topic) ?? 0;
    if (this.nextUnkeyed.size >= STICKY_TOPICS_MAX) this.nextUnkeyed.clear();
    this.nextUnkeyed.set(topic, (next + 1) % n);
    return next % n;
  }
}
