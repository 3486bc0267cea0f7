// Interop driver for @platformatic/kafka. Owns: mapping the contract's ops onto its
// Producer, Consumer and Admin. Must not judge outcomes (the suite does).
//
// What the library has and lacks, and how each is handled here:
// - Keys and values are passed as Buffers (no serializers), so a null key, an empty
//   key and a header key that repeats (a Map keyed by distinct Buffers) all survive.
// - Partitioner: the library's default hashes murmur2(key) >>> 0, which differs from
//   Java's (murmur2 & 0x7fffffff) for half of all keys; it ships
//   `compatibilityPartitioner` for Java placement, used here (as kcat gets
//   partitioner=murmur2_random). Keyless records go round-robin, as its default does.
// - No manual assignment: its consumer streams only inside a group, so `consume`
//   joins a fresh group whose assignor hands this member exactly the requested
//   partitions, with the stream in MANUAL mode at offsets resolved first.
// - Assignors: only round-robin is built in; `range` is Kafka's RangeAssignor through
//   its public `partitionAssigner` option (protocol name `range`, as Java's);
//   `cooperative-sticky` is unsupported (its classic-protocol consumer is eager).
// - zstd comes from node:zlib, which Node 20 lacks: the library's
//   UnsupportedCompressionError answers `unsupported`.

import {
  Admin,
  Consumer,
  type GroupPartitionsAssigner,
  type Message,
  type MessagesStream,
  Producer,
  compatibilityPartitioner,
} from '@platformatic/kafka';
import type { AdminParams, Compression, ConsumeParams, GroupMemberParams, ProduceParams, RecordOut } from '../protocol.js';
import { type NodeDriver, type OpContext, type OpResult, RecordCollector, deferred, errorLine, headerPairs, rangeAssign, runAdminSteps, text, unsupported, waitVisible, withAllKeys } from './common.js';

const CLIENT_ID = 'interop-platformatic';
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 300;
const REBALANCE_TIMEOUT_MS = 10_000;
/** The consumer protocol's rebalance timeout (the library wants it ≥ its session timeout default). */
const KIP848_REBALANCE_TIMEOUT_MS = 60_000;
const KIP848_ASSIGNMENT_POLL_MS = 100;
const MAX_WAIT_MS = 200;
const TOPIC_RESOURCE = 2;
/** The library turns UNKNOWN_TOPIC_OR_PARTITION (code 3) from Metadata into UserError "Unknown topic X.": name it again. */
const fail = (err: unknown): string => {
  const line = errorLine(err);
  return /^Unknown topic /.test(line) ? `UNKNOWN_TOPIC_OR_PARTITION: ${line}` : line;
};

/** Whether an error (or one it aggregates) is the library's "this codec is not available here". */
function unsupportedCodec(err: unknown, depth = 0): string | null {
  if (depth > 4 || typeof err !== 'object' || err === null) return null;
  const e = err as { code?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (e.code === 'PLT_KFK_UNSUPPORTED_COMPRESSION') return String(e.message);
  for (const x of Array.isArray(e.errors) ? e.errors.slice(0, 16) : []) {
    const found = unsupportedCodec(x, depth + 1);
    if (found !== null) return found;
  }
  return unsupportedCodec(e.cause, depth + 1);
}

type Msg = Message<Buffer, Buffer, Buffer, Buffer>;

function toRecord(m: Msg): RecordOut {
  return {
    partition: m.partition,
    offset: Number(m.offset),
    key: m.key === undefined || m.key === null ? null : text(m.key),
    value: m.value === undefined || m.value === null ? null : text(m.value),
    headers: headerPairs(m.headers),
    timestamp: Number(m.timestamp),
  };
}

function compression(c: Compression): 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd' {
  return c;
}

/** Every member gets nothing but the first, which gets `partitions` of `topic`. */
function soloAssigner(topic: string, partitions: number[]): GroupPartitionsAssigner {
  return (_current, members) =>
    [...members.keys()].map((memberId, i) => ({ memberId, assignments: new Map(i === 0 ? [[topic, { topic, partitions }]] : []) }));
}

/** Kafka's RangeAssignor through the library's partitionAssigner option. */
const rangeAssigner: GroupPartitionsAssigner = (_current, members, topics, metadata) => {
  const out = new Map<string, Map<string, { topic: string; partitions: number[] }>>([...members.keys()].map((m) => [m, new Map()]));
  for (const topic of topics) {
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    const subscribed = [...members].filter(([, sub]) => sub.topics === undefined || sub.topics.includes(topic)).map(([id]) => id);
    for (const [memberId, partitions] of rangeAssign(subscribed, count)) out.get(memberId)!.set(topic, { topic, partitions });
  }
  return [...out].map(([memberId, assignments]) => ({ memberId, assignments }));
};

/** MessagesStream.close() returns a promise without a callback, but is typed void. */
async function closeStream(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null): Promise<void> {
  if (stream === null) return;
  await new Promise<void>((resolve) => stream.close(() => resolve()));
}

function base(ctx: OpContext): { clientId: string; bootstrapBrokers: string[]; retries: number; retryDelay: number } {
  return { clientId: CLIENT_ID, bootstrapBrokers: [ctx.bootstrap], retries: 3, retryDelay: 200 };
}

async function produce(ctx: OpContext, p: ProduceParams): Promise<OpResult> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({ ...base(ctx), idempotent: p.idempotent, autocreateTopics: false });
  // Which partition the partitioner picked per message (the library reports base offsets per partition only).
  const chosen = new Map<object, number>();
  let roundRobin = 0;
  try {
    ctx.waiting('metadata');
    const md = await producer.metadata({ topics: [p.topic] });
    const count = md.topics.get(p.topic)?.partitionsCount ?? 1;
    const messages = p.records.map((r) => ({
      topic: p.topic,
      ...(r.key !== null ? { key: Buffer.from(r.key) } : {}),
      value: Buffer.from(r.value),
      ...(r.headers !== undefined ? { headers: new Map(r.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)] as [Buffer, Buffer])) } : {}),
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
      ...(r.timestamp !== undefined ? { timestamp: BigInt(r.timestamp) } : {}),
    }));
    ctx.waiting(`delivery of ${messages.length} records`);
    const res = await producer.send({
      messages,
      acks: p.acks,
      compression: compression(p.compression),
      partitioner: (message, key) => {
        const partition = Buffer.isBuffer(key) ? compatibilityPartitioner(message, key) : roundRobin++;
        chosen.set(message, partition % count);
        return partition;
      },
    });
    const baseOffsets = new Map((res.offsets ?? []).map((o) => [o.partition, Number(o.offset)]));
    const seen = new Map<number, number>();
    const results = messages.map((m) => {
      const partition = m.partition ?? chosen.get(m) ?? -1;
      const i = seen.get(partition) ?? 0;
      seen.set(partition, i + 1);
      const b = baseOffsets.get(partition);
      return { partition, offset: b === undefined || b < 0 || p.acks === 0 ? -1 : b + i };
    });
    return { status: 'ok', data: { results } };
  } catch (err) {
    const codec = unsupportedCodec(err);
    if (codec !== null) return unsupported(`@platformatic/kafka cannot write ${p.compression} here: ${codec}`);
    return { status: 'error', error: fail(err) };
  } finally {
    await producer.close().catch(() => {});
  }
}

async function consume(ctx: OpContext, p: ConsumeParams): Promise<OpResult> {
  const groupId = `interop-platformatic-consume-${process.pid}-${Date.now()}`;
  const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({ ...base(ctx), groupId, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: HEARTBEAT_INTERVAL_MS, rebalanceTimeout: REBALANCE_TIMEOUT_MS });
  const admin = new Admin(base(ctx));
  const got = new RecordCollector(ctx, p.count);
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  try {
    ctx.waiting('metadata');
    const md = await consumer.metadata({ topics: [p.topic] });
    const count = md.topics.get(p.topic)?.partitionsCount ?? 0;
    const partitions = p.partitions ?? Array.from({ length: count }, (_, i) => i);
    const from = p.from;
    const offsets: bigint[] = [];
    ctx.waiting('list offsets');
    if (typeof from === 'object' && 'offset' in from) for (const _ of partitions) offsets.push(BigInt(from.offset));
    else {
      const listed = await consumer.listOffsets({
        topics: [p.topic],
        partitions: { [p.topic]: partitions },
        ...(from === 'earliest' ? { timestamp: -2n } : from === 'latest' ? { timestamp: -1n } : { timestamp: BigInt(from.timestamp) }),
      });
      const byPartition = listed.get(p.topic) ?? [];
      // No record at or after the time: -1, and Kafka's consumers then go to the end.
      const ends = typeof from === 'object' ? ((await consumer.listOffsets({ topics: [p.topic], partitions: { [p.topic]: partitions }, timestamp: -1n })).get(p.topic) ?? []) : [];
      for (const partition of partitions) {
        const o = byPartition[partition] ?? -1n;
        offsets.push(o >= 0n ? o : (ends[partition] ?? -1n));
      }
    }
    ctx.waiting('join');
    stream = await consumer.consume({
      topics: [p.topic],
      mode: 'manual',
      offsets: partitions.map((partition, i) => ({ topic: p.topic, partition, offset: offsets[i]! })),
      autocommit: false,
      maxWaitTime: MAX_WAIT_MS,
      partitionAssigner: soloAssigner(p.topic, partitions),
    });
    ctx.emit('ready');
    if (p.count > 0) {
      ctx.waiting(`records: 0 of ${p.count} arrived`);
      for await (const m of stream as AsyncIterable<Msg>) if (got.add([toRecord(m)])) break;
    }
    return { status: 'ok', data: { records: got.records } };
  } catch (err) {
    const codec = unsupportedCodec(err);
    if (codec !== null) return unsupported(`@platformatic/kafka cannot read these batches here: ${codec}`);
    return { status: 'error', error: fail(err), data: { records: got.records } };
  } finally {
    await closeStream(stream);
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    await admin.deleteGroups({ groups: [groupId] }).catch(() => {});
    await admin.close().catch(() => {});
  }
}

async function groupMember(ctx: OpContext, p: GroupMemberParams): Promise<OpResult> {
  const kip848 = p.groupProtocol === 'consumer';
  if (kip848 && p.assignor !== 'range' && p.assignor !== 'uniform') return { status: 'error', error: `assignor must be range or uniform with groupProtocol consumer, got ${p.assignor}` };
  if (!kip848 && p.assignor !== 'range') return unsupported("@platformatic/kafka has no cooperative-sticky assignor: its classic-protocol consumer rebalances eagerly");
  const consumer = kip848
    ? // KIP-848: the broker assigns (group.remote.assignor); heartbeats and sessions are the broker's settings.
      new Consumer<Buffer, Buffer, Buffer, Buffer>({ ...base(ctx), groupId: p.groupId, groupProtocol: 'consumer', groupRemoteAssignor: p.assignor, rebalanceTimeout: KIP848_REBALANCE_TIMEOUT_MS })
    : new Consumer<Buffer, Buffer, Buffer, Buffer>({
        ...base(ctx),
        groupId: p.groupId,
        sessionTimeout: SESSION_TIMEOUT_MS,
        heartbeatInterval: HEARTBEAT_INTERVAL_MS,
        rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      });
  const positions = new Map<number, bigint>();
  let assigned = new Set<number>();
  let consumed = 0;
  let reported = '';
  const report = (topics: ReadonlyArray<{ topic: string; partitions: number[] }>): void => {
    const mine = topics.find((a) => a.topic === p.topic);
    const parts = [...(mine?.partitions ?? [])].sort((a, b) => a - b);
    assigned = new Set(parts);
    for (const k of [...positions.keys()]) if (!assigned.has(k)) positions.delete(k);
    reported = JSON.stringify(parts);
    ctx.deadlineMet();
    ctx.emit('assigned', { partitions: parts });
  };
  consumer.on('consumer:group:join', (e) => {
    if (!kip848) report(e.assignments ?? []);
  });
  // With the consumer protocol the library emits no event when heartbeats change the
  // assignment: it is read from `consumer.assignments` (bounded polling, stopped at the end).
  const watch = kip848
    ? setInterval(() => {
        const now = consumer.assignments;
        if (now === null) return;
        const parts = [...(now.find((a) => a.topic === p.topic)?.partitions ?? [])].sort((a, b) => a - b);
        if (JSON.stringify(parts) !== reported) report(now);
      }, KIP848_ASSIGNMENT_POLL_MS)
    : null;
  /** What the last successful commit committed, per partition. */
  const committed = new Map<number, bigint>();
  const commit = async (): Promise<void> => {
    const due = [...positions].filter(([partition, next]) => assigned.has(partition) && committed.get(partition) !== next);
    if (due.length === 0) return;
    await consumer.commit({ offsets: due.map(([partition, offset]) => ({ topic: p.topic, partition, offset, leaderEpoch: -1 })) });
    for (const [partition, next] of due) committed.set(partition, next);
  };
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  try {
    ctx.waiting('the first assignment');
    stream = await consumer.consume({
      topics: [p.topic],
      mode: 'committed',
      fallbackMode: p.autoOffsetReset,
      autocommit: false,
      maxWaitTime: MAX_WAIT_MS,
      ...(kip848 ? {} : { protocols: [{ name: 'range', version: 1 }], partitionAssigner: rangeAssigner }),
    });
    const streamFailed = deferred<never>();
    streamFailed.promise.catch(() => {});
    stream.on('error', (err: unknown) => streamFailed.reject(err));
    // One `records` event per burst of messages that arrive together.
    let pending: RecordOut[] = [];
    let flushScheduled = false;
    const flush = (): void => {
      flushScheduled = false;
      if (pending.length === 0) return;
      const records = pending;
      pending = [];
      ctx.emit('records', { records });
    };
    stream.on('data', (m: Msg) => {
      const r = toRecord(m);
      consumed++;
      if (assigned.has(r.partition)) positions.set(r.partition, m.offset + 1n);
      pending.push(r);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
    for (;;) {
      const c = await Promise.race([ctx.nextCommand(), streamFailed.promise]);
      if (c.cmd === 'stop') break;
      try {
        flush();
        await commit();
        ctx.emit('committed');
      } catch (err) {
        ctx.emit('committed', { error: fail(err) });
      }
    }
    flush();
    await commit();
    if (watch !== null) clearInterval(watch);
    await closeStream(stream);
    await consumer.close();
    return { status: 'ok', data: { consumed } };
  } catch (err) {
    if (watch !== null) clearInterval(watch);
    await closeStream(stream);
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    return { status: 'error', error: fail(err), data: { consumed } };
  }
}

async function admin(ctx: OpContext, p: AdminParams): Promise<OpResult> {
  const a = new Admin(base(ctx));
  const partitionCount = async (topic: string): Promise<number> => {
    const md = await a.metadata({ topics: [topic], forceUpdate: true });
    const t = md.topics.get(topic);
    if (t === undefined) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION: ${topic} is not in the metadata`);
    return t.partitionsCount;
  };
  const configsOf = async (topic: string, keys: string[]): Promise<Record<string, string | null>> => {
    const [r] = await a.describeConfigs({ resources: [{ resourceType: TOPIC_RESOURCE, resourceName: topic, configurationKeys: keys }] });
    return Object.fromEntries((r?.configs ?? []).map((c) => [c.name, c.value ?? null]));
  };
  try {
    return await runAdminSteps(
      ctx,
      p.steps,
      {
        createTopic: async (s) => {
          await a.createTopics({ topics: [s.topic], partitions: s.partitions, configs: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })) });
          await waitVisible(`topic ${s.topic}`, async () => (await partitionCount(s.topic)) === s.partitions);
        },
        listTopics: async () => ({ topics: (await a.listTopics({ includeInternals: false })).sort() }),
        describeTopic: async (s) => ({ partitions: await partitionCount(s.topic) }),
        deleteTopic: async (s) => {
          await a.deleteTopics({ topics: [s.topic] });
          await waitVisible(`deletion of ${s.topic}`, async () => !(await a.listTopics({ includeInternals: false })).includes(s.topic));
        },
        describeConfigs: async (s) => ({ configs: withAllKeys(s.keys, await configsOf(s.topic, s.keys)) }),
        alterConfigs: async (s) => {
          await a.incrementalAlterConfigs({
            resources: [{ resourceType: TOPIC_RESOURCE, resourceName: s.topic, configs: Object.entries(s.set).map(([name, value]) => ({ name, configOperation: 0, value })) }],
          });
          await waitVisible(`configs of ${s.topic}`, async () => {
            const now = await configsOf(s.topic, Object.keys(s.set));
            return Object.entries(s.set).every(([k, v]) => now[k] === v);
          });
        },
        createPartitions: async (s) => {
          await a.createPartitions({ topics: [{ name: s.topic, count: s.count }] });
          await waitVisible(`${s.count} partitions of ${s.topic}`, async () => (await partitionCount(s.topic)) === s.count);
        },
        deleteRecords: async (s) => {
          const res = await a.deleteRecords({ topics: [{ name: s.topic, partitions: [{ partition: s.partition, offset: BigInt(s.offset) }] }] });
          const part = res.find((t) => t.name === s.topic)?.partitions.find((x) => x.partition === s.partition);
          return { lowWatermark: Number(part?.lowWatermark ?? -1) };
        },
        listOffsets: async (s) => {
          const timestamp = s.spec === 'earliest' ? -2n : s.spec === 'latest' ? -1n : BigInt(s.spec.timestamp);
          const res = await a.listOffsets({ topics: [{ name: s.topic, partitions: [{ partitionIndex: s.partition, timestamp }] }] });
          const part = res.find((t) => t.name === s.topic)?.partitions.find((x) => x.partitionIndex === s.partition);
          if (part === undefined) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION: no answer for ${s.topic}-${s.partition}`);
          return { offset: Number(part.offset) };
        },
        listGroups: async () => ({ groups: [...(await a.listGroups()).keys()].sort() }),
        describeGroup: async (s) => {
          const g = (await a.describeGroups({ groups: [s.groupId] })).get(s.groupId);
          if (g === undefined) throw new Error(`no description of ${s.groupId} in the answer`);
          return { state: g.state, members: g.members.size };
        },
        deleteGroup: async (s) => {
          await a.deleteGroups({ groups: [s.groupId] });
        },
        fetchOffsets: async (s) => {
          const md = await a.metadata({ topics: [s.topic] });
          const count = md.topics.get(s.topic)?.partitionsCount ?? 0;
          const res = await a.listConsumerGroupOffsets({ groups: [{ groupId: s.groupId, topics: [{ name: s.topic, partitionIndexes: Array.from({ length: count }, (_, i) => i) }] }] });
          const t = res[0]?.topics.find((x) => x.name === s.topic);
          return { offsets: Object.fromEntries((t?.partitions ?? []).map((x) => [String(x.partitionIndex), Number(x.committedOffset)])) };
        },
      },
      () => 'not in @platformatic/kafka',
      fail,
    );
  } catch (err) {
    return { status: 'error', error: fail(err) };
  } finally {
    await a.close().catch(() => {});
  }
}

export const driver: NodeDriver = { produce, consume, groupMember, admin };
