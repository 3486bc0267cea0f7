// Committed consumer-group offsets: kept in memory and persisted as records in the
// internal compacted topic __consumer_offsets (DESIGN: "committed group offsets
// are just records in an internal compacted topic").
// Owns: the record format of that topic, loading it at first use and appending
// commits, and transactional commits (TxnOffsetCommit, KIP-98/447): written as a
// transactional batch of the producer, held pending until the transaction's marker
// reaches this topic (applied on COMMIT, dropped on ABORT; the transaction coordinator
// says which, and a load replays the markers). Must not know group membership
// (coordinator.ts does) nor transaction states (src/txn/ does).
//
// Record format (Samsa's own; Kafka's binary schemas are not needed since only
// Samsa reads this topic): key = UTF-8 JSON [group, topic, partition]; value =
// UTF-8 JSON {offset, leaderEpoch, metadata, commitTimestamp}, or null (tombstone)
// when a group is deleted. The latest record per key wins, so compaction keeps it.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../protocol/record-batch.js';
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../wire/batch-layout.js';
import { CONTROL_TYPE_COMMIT } from '../wire/control-batch.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
/** Bytes read per step while loading. */
const LOAD_READ_BYTES = 1 << 20;
/** Kafka's offset.metadata.max.bytes. */
export const OFFSET_METADATA_MAX_BYTES = 4096;
/** Pending transactional offsets held at most (over all producers); a commit past it is refused. */
export const PENDING_TXN_OFFSETS_MAX = 1_000_000;

export interface CommittedOffset {
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: number;
}

export interface OffsetCommitEntry extends CommittedOffset {
  topic: string;
  partition: number;
}

const textDecoder = new TextDecoder();

function parseValue(bytes: Uint8Array): CommittedOffset | null {
  const v = JSON.parse(textDecoder.decode(bytes)) as Partial<CommittedOffset>;
  if (typeof v.offset !== 'number') return null;
  return { offset: v.offset, leaderEpoch: v.leaderEpoch ?? -1, metadata: v.metadata ?? null, commitTimestamp: v.commitTimestamp ?? -1 };
}

export class OffsetStore {
  private readonly engine: Engine;
  /** group → "topic\0partition" → committed offset. */
  private readonly groups = new Map<string, Map<string, CommittedOffset>>();
  /** Transactional commits not ended yet: producer id → records (key, value) in commit order. */
  private readonly pending = new Map<number, Array<{ key: Uint8Array; value: Uint8Array | null }>>();
  private pendingCount = 0;
  private loading: Promise<void> | null = null;

  constructor(engine: Engine) {
    this.engine = engine;
  }

  /** Loads the internal topic once; later calls share the first load. */
  ready(): Promise<void> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = null; // retry on the next request
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `loading ${OFFSETS_TOPIC} failed: ${String(err)}`);
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    // Offline (its metadata file is damaged): loading nothing would answer every group
    // "no committed offset" and reset consumers; refuse until the file is fixed.
    const offline = this.engine.offlineTopic(OFFSETS_TOPIC);
    if (offline !== undefined) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `${OFFSETS_TOPIC} is offline: ${offline.file} is damaged (${offline.problem})`);
    if (this.engine.describeTopic(OFFSETS_TOPIC) === undefined) return;
    const { logStartOffset, highWatermark } = this.engine.offsets(OFFSETS_TOPIC, 0);
    let offset = logStartOffset;
    // Every step advances by at least one record, which bounds the loop.
    for (let step = 0; offset < highWatermark && step <= highWatermark - logStartOffset; step++) {
      const r = await this.engine.read(OFFSETS_TOPIC, 0, offset, LOAD_READ_BYTES);
      if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `reading ${OFFSETS_TOPIC} at ${offset}`);
      const batches = decodeRecordBatches(r.records);
      if (batches.length === 0) break;
      for (const b of batches) {
        const pid = Number(b.header.producerId);
        if ((b.header.attributes & ATTR_CONTROL) !== 0) {
          const key = b.records[0]?.key;
          if (b.records[0] !== undefined && b.records[0].offset >= offset && key !== null && key !== undefined && key.byteLength >= 4) {
            this.endTxn(pid, ((key[2]! << 8) | key[3]!) === CONTROL_TYPE_COMMIT);
          }
          continue;
        }
        const transactional = (b.header.attributes & ATTR_TRANSACTIONAL) !== 0;
        for (const rec of b.records) {
          if (rec.offset < offset || rec.key === null) continue;
          if (transactional) this.addPending(pid, rec.key.slice(), rec.value === null ? null : rec.value.slice());
          else this.apply(rec.key, rec.value);
        }
      }
      const last = batches[batches.length - 1]!;
      offset = last.records.length > 0 ? last.records[last.records.length - 1]!.offset + 1 : offset + 1;
    }
  }

  private addPending(producerId: number, key: Uint8Array, value: Uint8Array | null): void {
    let list = this.pending.get(producerId);
    if (list === undefined) {
      list = [];
      this.pending.set(producerId, list);
    }
    list.push({ key, value });
    this.pendingCount++;
  }

  private static parseKey(keyBytes: Uint8Array): [string, string, number] | null {
    let key: unknown;
    try {
      key = JSON.parse(textDecoder.decode(keyBytes));
    } catch {
      return null;
    }
    if (!Array.isArray(key) || key.length !== 3 || typeof key[0] !== 'string' || typeof key[1] !== 'string' || typeof key[2] !== 'number') return null;
    return key as [string, string, number];
  }

  /**
   * The transaction of `producerId` ended (its marker is in this topic): its pending
   * commits are applied (commit) or dropped (abort).
   */
  endTxn(producerId: number, commit: boolean): void {
    const list = this.pending.get(producerId);
    if (list === undefined) return;
    this.pending.delete(producerId);
    this.pendingCount -= list.length;
    if (commit) for (const r of list) this.apply(r.key, r.value);
  }

  /** True while a transaction holds a commit of (group, topic, partition) that has not ended (OffsetFetch requireStable). */
  hasPending(group: string, topic: string, partition: number): boolean {
    for (const list of this.pending.values()) {
      for (const r of list) {
        const k = OffsetStore.parseKey(r.key);
        if (k !== null && k[0] === group && k[1] === topic && k[2] === partition) return true;
      }
    }
    return false;
  }

  private apply(keyBytes: Uint8Array, value: Uint8Array | null): void {
    const key = OffsetStore.parseKey(keyBytes);
    if (key === null) return;
    const [group, topic, partition] = key;
    const committed = value === null ? null : parseValue(value);
    let offsets = this.groups.get(group);
    if (committed === null) {
      offsets?.delete(`${topic}\0${partition}`);
      if (offsets !== undefined && offsets.size === 0) this.groups.delete(group);
      return;
    }
    if (offsets === undefined) {
      offsets = new Map();
      this.groups.set(group, offsets);
    }
    offsets.set(`${topic}\0${partition}`, committed);
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(`${topic}\0${partition}`);
  }

  /** Every committed (topic, partition) of a group. */
  list(group: string): OffsetCommitEntry[] {
    const out: OffsetCommitEntry[] = [];
    for (const [k, v] of this.groups.get(group) ?? []) {
      const sep = k.lastIndexOf('\0');
      out.push({ topic: k.slice(0, sep), partition: Number(k.slice(sep + 1)), ...v });
    }
    return out;
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Creates the offsets topic if it is missing (also before a transaction adds it). */
  async ensureTopic(): Promise<void> {
    if (this.engine.describeTopic(OFFSETS_TOPIC) !== undefined) return;
    try {
      await this.engine.createTopic(OFFSETS_TOPIC, 1, { 'cleanup.policy': 'compact' });
    } catch (err) {
      if (this.engine.describeTopic(OFFSETS_TOPIC) === undefined) throw err;
    }
  }

  /** Persists commits (acks=-1) and then applies them. Throws KafkaError on failure. */
  async commit(group: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureTopic();
    const records = entries.map((e) => ({
      key: JSON.stringify([group, e.topic, e.partition]),
      value: JSON.stringify({ offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata, commitTimestamp: e.commitTimestamp }),
    }));
    await this.append(records);
    const encoder = new TextEncoder();
    for (const r of records) this.apply(encoder.encode(r.key), encoder.encode(r.value));
  }

  /**
   * A transactional commit (TxnOffsetCommit): written (acks=-1) as a transactional
   * batch of the producer, then held pending until endTxn. The caller checked that
   * the producer's transaction includes this topic.
   */
  async commitTxn(group: string, producerId: number, producerEpoch: number, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.pendingCount + entries.length > PENDING_TXN_OFFSETS_MAX) {
      throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `${this.pendingCount} transactional offset commits are pending (max ${PENDING_TXN_OFFSETS_MAX})`);
    }
    await this.ensureTopic();
    const records = entries.map((e) => ({
      key: JSON.stringify([group, e.topic, e.partition]),
      value: JSON.stringify({ offset: e.offset, leaderEpoch: e.leaderEpoch, metadata: e.metadata, commitTimestamp: e.commitTimestamp }),
    }));
    // No sequence: the broker writes this on the producer's behalf (Kafka's coordinator origin), so only its epoch is checked.
    const batch = encodeRecordBatch(records, { producerId, producerEpoch, baseSequence: -1, transactional: true });
    const r = await this.engine.append(OFFSETS_TOPIC, 0, batch, -1);
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? `append to ${OFFSETS_TOPIC} failed`);
    const encoder = new TextEncoder();
    for (const rec of records) this.addPending(producerId, encoder.encode(rec.key), encoder.encode(rec.value));
  }

  /** Writes tombstones for every offset of a group and forgets them. */
  async deleteGroup(group: string): Promise<void> {
    const entries = this.list(group);
    if (entries.length === 0) return;
    await this.append(entries.map((e) => ({ key: JSON.stringify([group, e.topic, e.partition]), value: null })));
    this.groups.delete(group);
  }

  /**
   * OffsetDelete: writes tombstones for the committed offsets among `partitions` and
   * forgets them; partitions without a committed offset are skipped. Throws KafkaError.
   */
  async deleteOffsets(group: string, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    const committed = this.groups.get(group);
    if (committed === undefined) return;
    const present = partitions.filter((p) => committed.has(`${p.topic}\0${p.partition}`));
    if (present.length === 0) return;
    await this.append(present.map((p) => ({ key: JSON.stringify([group, p.topic, p.partition]), value: null })));
    for (const p of present) committed.delete(`${p.topic}\0${p.partition}`);
    if (committed.size === 0) this.groups.delete(group);
  }

  private async append(records: Array<{ key: string; value: string | null }>): Promise<void> {
    const batch = encodeRecordBatch(records);
    const r = await this.engine.append(OFFSETS_TOPIC, 0, batch, -1);
    if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, r.errorMessage ?? `append to ${OFFSETS_TOPIC} failed`);
  }
}
