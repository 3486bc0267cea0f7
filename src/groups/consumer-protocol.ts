// Kafka's consumer protocol inside a classic group (protocol type "consumer"): the
// subscription each member sends in JoinGroup, the assignment the leader hands out in
// SyncGroup, and the leader's assignors. Owns: those byte layouts and the range and
// round-robin assignments, computed the way a Java client's leader computes them, so
// an in-process member (member.ts) can lead a group of kafkajs, librdkafka or Java
// consumers, or follow one of them. Must not touch the coordinator's state or sockets.
//
// Layouts (Kafka's ConsumerProtocolSubscription / ConsumerProtocolAssignment, every
// version starts the same way; later fields are ignored when reading):
//   subscription: int16 version, [string topic], bytes userData, (v1+ owned partitions …)
//   assignment:   int16 version, [string topic, [int32 partition]], bytes userData
// We write version 0 with empty (not null) user data: every client decodes that.

import { Reader } from '../wire/codec/reader.js';
import { Writer } from '../wire/codec/writer.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Topics or partitions decoded from client bytes at most (a bound on untrusted input). */
const TOPICS_MAX = 10_000;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/**
 * The assignors an in-process member offers, in its order of preference: Java's
 * "range" and "roundrobin", and kafkajs's "RoundRobinAssigner" (kafkajs offers only
 * that one by default, so without it a kafkajs consumer could not share a group).
 * librdkafka offers range and roundrobin by default; Java 3.x range first.
 */
export const ASSIGNORS = ['range', 'roundrobin', 'RoundRobinAssigner'] as const;
export type AssignorName = (typeof ASSIGNORS)[number];

export function isAssignor(name: string | null): name is AssignorName {
  return name !== null && (ASSIGNORS as readonly string[]).includes(name);
}

function writeString(w: Writer, s: string): void {
  w.stringWith(s, (n) => w.int16(n));
}

export function encodeSubscription(topics: readonly string[]): Uint8Array {
  const w = new Writer(64);
  w.int16(0);
  w.int32(topics.length);
  for (const t of topics) writeString(w, t);
  w.int32(0); // user data: empty
  return w.finish();
}

export function encodeAssignment(assignment: readonly TopicPartitions[]): Uint8Array {
  const w = new Writer(64);
  w.int16(0);
  w.int32(assignment.length);
  for (const a of assignment) {
    writeString(w, a.topic);
    w.int32(a.partitions.length);
    for (const p of a.partitions) w.int32(p);
  }
  w.int32(0);
  return w.finish();
}

/** The topic list of a subscription; null when the bytes do not parse. */
export function decodeSubscription(bytes: Uint8Array): string[] | null {
  if (bytes.byteLength < 6) return null;
  try {
    const r = new Reader(bytes);
    if (r.int16() < 0) return null;
    const n = r.int32();
    if (n < 0 || n > TOPICS_MAX) return null;
    r.checkCount(n, 2);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.stringLength();
      if (len < 0) return null;
      out.push(r.utf8(len));
    }
    return out;
  } catch {
    return null;
  }
}

/** Topic → partitions of an assignment; [] for empty bytes, null when they do not parse. */
export function decodeAssignment(bytes: Uint8Array): TopicPartitions[] | null {
  if (bytes.byteLength < 6) return bytes.byteLength === 0 ? [] : null;
  try {
    const r = new Reader(bytes);
    if (r.int16() < 0) return null;
    const n = r.int32();
    if (n < 0 || n > TOPICS_MAX) return null;
    r.checkCount(n, 6);
    const out: TopicPartitions[] = [];
    for (let i = 0; i < n; i++) {
      const len = r.stringLength();
      if (len < 0) return null;
      const topic = r.utf8(len);
      const m = r.int32();
      if (m < 0) return null;
      r.checkCount(m, 4);
      const partitions: number[] = [];
      for (let j = 0; j < m; j++) partitions.push(r.int32());
      out.push({ topic, partitions });
    }
    return out;
  } catch {
    return null;
  }
}

export interface AssignorMember {
  memberId: string;
  /** Subscribed topics (from its subscription bytes). */
  topics: readonly string[];
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The leader's assignment: member id → its partitions (every member appears, maybe
 * with none). `partitionsOf` gives a topic's partition count (undefined: the topic
 * does not exist, so nobody gets it).
 *
 * range (Java's RangeAssignor): per topic, its subscribers sorted by member id each
 * take a contiguous range; the first (partitions mod subscribers) take one extra.
 * roundrobin (Java's RoundRobinAssignor; kafkajs's RoundRobinAssigner is the same
 * idea): every (topic, partition) in sorted order goes to the next member, in
 * member-id order, that subscribes to its topic.
 */
export function assign(assignor: AssignorName, members: readonly AssignorMember[], partitionsOf: (topic: string) => number | undefined): Map<string, TopicPartitions[]> {
  const sorted = [...members].sort((a, b) => byString(a.memberId, b.memberId));
  const out = new Map<string, Map<string, number[]>>();
  for (const m of sorted) out.set(m.memberId, new Map());
  const give = (memberId: string, topic: string, partition: number): void => {
    const byTopic = out.get(memberId)!;
    let ps = byTopic.get(topic);
    if (ps === undefined) {
      ps = [];
      byTopic.set(topic, ps);
    }
    ps.push(partition);
  };
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].sort(byString);
  if (assignor === 'range') {
    for (const topic of topics) {
      const n = partitionsOf(topic);
      if (n === undefined || n <= 0) continue;
      const subscribers = sorted.filter((m) => m.topics.includes(topic));
      const per = Math.floor(n / subscribers.length);
      const extra = n % subscribers.length;
      let p = 0;
      subscribers.forEach((m, i) => {
        const count = per + (i < extra ? 1 : 0);
        for (let k = 0; k < count; k++) give(m.memberId, topic, p++);
      });
    }
  } else {
    let next = 0;
    for (const topic of topics) {
      const n = partitionsOf(topic);
      if (n === undefined || n <= 0) continue;
      for (let p = 0; p < n; p++) {
        // Some member subscribes to this topic (it came from a subscription), so the scan ends within one lap.
        for (let step = 0; step < sorted.length; step++) {
          const m = sorted[(next + step) % sorted.length]!;
          if (!m.topics.includes(topic)) continue;
          give(m.memberId, topic, p);
          next = (next + step + 1) % sorted.length;
          break;
        }
      }
    }
  }
  const result = new Map<string, TopicPartitions[]>();
  for (const [memberId, byTopic] of out) result.set(memberId, [...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
  return result;
}
