// The mirror's checkpoints: records in a compacted topic on the target (as MirrorMaker
// 2 keeps its offset-syncs there), one key per fact, so the latest value of each key
// is the state. Owns: the topic's name and configs, the key and value formats, and
// reading the whole state back. Must not decide what to write (mirror.ts does) and
// must not hold connections of its own beyond one read.
//
// Keys (UTF-8), for a mirror named N (topic names cannot contain '|'):
//   N|id                      {"v":1,"producerId":…,"producerEpoch":…}   the target producer
//   N|pos|TOPIC|P             {"v":1,"s":…,"t":…,"q":…,"s0":…,"t0":…,"a":…} position, origin, newest anchor
//   N|anchor|TOPIC|P|SLOT     {"v":1,"i":…,"s":…,"t":…}                 anchor i in slot i % 64
// Values are JSON; a value that does not parse, or has another "v", is ignored (a
// newer mirror's record), never trusted.

import type { Admin } from '../client/admin.js';
import { Consumer, type ConsumerOptions } from '../client/consumer.js';
import { ErrorCode, KafkaError } from '../client/errors.js';
import type { ProducerMessage } from '../client/producer.js';
import { ANCHORS_KEPT, type Anchor, type Position } from './offset-map.js';

export const CHECKPOINT_VERSION = 1;

/** The checkpoints topic on the target. */
export function checkpointTopic(name: string): string {
  return `samsa-mirror.${name}.checkpoints.internal`;
}

/** Topics a mirror never copies: internal ones (`__…`) and any mirror's or MirrorMaker's bookkeeping. */
export function isMirrorInternalTopic(topic: string): boolean {
  return topic.startsWith('__') || /^samsa-mirror\..*\.internal$/.test(topic) || /^mm2-.*\.internal$/.test(topic) || /\.checkpoints\.internal$/.test(topic);
}

/** A compacted, single-partition topic; small segments so compaction keeps the state small. */
export const CHECKPOINT_TOPIC_CONFIGS: Readonly<Record<string, string>> = {
  'cleanup.policy': 'compact',
  'segment.bytes': String(16 * 1024 * 1024),
  'segment.ms': String(10 * 60 * 1000),
};

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

export interface PartitionCheckpoint {
  position: Position;
  origin: { s: number; t: number };
  /** A contiguous run of anchors ending at the newest one (may be empty: then none is known). */
  anchors: Anchor[];
  /** Index for the next anchor. */
  nextAnchorIndex: number;
}

export interface CheckpointState {
  identity: ProducerIdentity | null;
  /** By "topic|partition": partitions with a position record (anchors of others are dropped). */
  partitions: Map<string, PartitionCheckpoint>;
}

/** What reading the topic accumulates, key by key, before it becomes a CheckpointState. */
export interface CheckpointReader {
  identity: ProducerIdentity | null;
  positions: Map<string, { position: Position; origin: { s: number; t: number }; lastAnchor: number }>;
  /** By "topic|partition", then by ring slot. */
  anchors: Map<string, Map<number, Anchor>>;
}

export function newCheckpointReader(): CheckpointReader {
  return { identity: null, positions: new Map(), anchors: new Map() };
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}|${partition}`;
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const utf8 = new TextDecoder();

function parse(value: Uint8Array | null): Record<string, unknown> | null {
  if (value === null) return null;
  try {
    const v: unknown = JSON.parse(utf8.decode(value));
    if (v === null || typeof v !== 'object' || (v as Record<string, unknown>).v !== CHECKPOINT_VERSION) return null;
    return v as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** Applies one checkpoint record (in log order); records of other mirrors, and values that do not parse, are ignored. */
export function applyCheckpointRecord(r: CheckpointReader, name: string, key: Uint8Array | null, value: Uint8Array | null): void {
  if (key === null) return;
  const parts = utf8.decode(key).split('|');
  if (parts[0] !== name) return;
  const v = parse(value);
  if (v === null) return;
  if (parts[1] === 'id' && parts.length === 2) {
    if (isInt(v.producerId) && isInt(v.producerEpoch) && v.producerEpoch <= 0x7fff) r.identity = { producerId: v.producerId, producerEpoch: v.producerEpoch };
    return;
  }
  const topic = parts[2];
  const partition = Number(parts[3]);
  if (topic === undefined || !Number.isInteger(partition) || partition < 0) return;
  const k = partitionKey(topic, partition);
  if (parts[1] === 'pos' && parts.length === 4) {
    if (isInt(v.s) && isInt(v.t) && isInt(v.q) && isInt(v.s0) && isInt(v.t0) && isInt(v.a)) r.positions.set(k, { position: { s: v.s, t: v.t, q: v.q }, origin: { s: v.s0, t: v.t0 }, lastAnchor: v.a });
  } else if (parts[1] === 'anchor' && parts.length === 5) {
    if (!isInt(v.i) || !isInt(v.s) || !isInt(v.t)) return;
    let ring = r.anchors.get(k);
    if (ring === undefined) r.anchors.set(k, (ring = new Map()));
    ring.set(v.i % ANCHORS_KEPT, { index: v.i, s: v.s, t: v.t });
  }
}

export function checkpointState(r: CheckpointReader): CheckpointState {
  const partitions = new Map<string, PartitionCheckpoint>();
  for (const [k, p] of r.positions) {
    // The anchors this position counts on: indices lastAnchor, lastAnchor - 1, … as long as
    // each is there. A ring slot may hold a newer anchor of a session that died before its
    // next position record; that one, and everything older than a missing index, is left out.
    const ring = r.anchors.get(k);
    const anchors: Anchor[] = [];
    for (let i = p.lastAnchor; i >= 0 && i > p.lastAnchor - ANCHORS_KEPT; i--) {
      const a = ring?.get(i % ANCHORS_KEPT);
      if (a === undefined || a.index !== i) break;
      anchors.unshift(a);
    }
    partitions.set(k, { position: p.position, origin: p.origin, anchors, nextAnchorIndex: p.lastAnchor + 1 });
  }
  return { identity: r.identity, partitions };
}

export function identityRecord(name: string, id: ProducerIdentity): ProducerMessage {
  return { key: `${name}|id`, value: JSON.stringify({ v: CHECKPOINT_VERSION, producerId: id.producerId, producerEpoch: id.producerEpoch }), partition: 0 };
}

export function positionRecord(name: string, topic: string, partition: number, pos: Position, origin: { s: number; t: number }, lastAnchor: number): ProducerMessage {
  return {
    key: `${name}|pos|${topic}|${partition}`,
    value: JSON.stringify({ v: CHECKPOINT_VERSION, s: pos.s, t: pos.t, q: pos.q, s0: origin.s, t0: origin.t, a: lastAnchor }),
    partition: 0,
  };
}

export function anchorRecord(name: string, topic: string, partition: number, a: Anchor): ProducerMessage {
  return { key: `${name}|anchor|${topic}|${partition}|${a.index % ANCHORS_KEPT}`, value: JSON.stringify({ v: CHECKPOINT_VERSION, i: a.index, s: a.s, t: a.t }), partition: 0 };
}

/** Bound on the records read back (a compacted topic holds a few per partition; this is far above). */
const CHECKPOINT_RECORDS_MAX = 50_000_000;

/**
 * Reads the checkpoints topic from its start to its end (as of the call) and
 * returns this mirror's state. The topic must exist. The last record of a
 * compacted log is never removed (nothing supersedes it), so reading stops when
 * the record before the end has been read.
 */
export async function loadCheckpoints(admin: Admin, consumerOptions: ConsumerOptions, name: string, timeoutMs: number): Promise<CheckpointState> {
  const topic = checkpointTopic(name);
  const reader = newCheckpointReader();
  const [start] = await admin.listOffsets(topic, 'earliest', [0]);
  const [end] = await admin.listOffsets(topic, 'latest', [0]);
  if (start === undefined || end === undefined || end.offset <= start.offset) return checkpointState(reader);
  const consumer = new Consumer({ ...consumerOptions, autoOffsetReset: 'earliest', maxWaitMs: 200 });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await consumer.assign([{ topic, partition: 0 }]);
    await consumer.seek(topic, 0, start.offset);
    const it = consumer[Symbol.asyncIterator]();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `reading ${topic} up to offset ${end.offset} took over ${timeoutMs} ms`)), timeoutMs);
    });
    for (let read = 0; consumer.position(topic, 0) < end.offset && read < CHECKPOINT_RECORDS_MAX; read++) {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done === true) break;
      applyCheckpointRecord(reader, name, r.value.key, r.value.value);
    }
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  return checkpointState(reader);
}
