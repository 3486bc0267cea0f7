// Interop driver for kafkajs 2.x. Owns: mapping the contract's ops onto kafkajs's
// Producer, Consumer and Admin, and the codec adapters kafkajs needs (it ships only
// gzip). Must not judge outcomes (the suite does).
//
// What kafkajs has and lacks, and how each is handled here:
// - snappy, lz4, zstd: not built in; registered from packages already installed
//   (snappy, lz4-napi, zstd-napi) the way kafkajs-snappy / kafkajs-lz4 /
//   @kafkajs/zstd do it (raw snappy out, xerial or raw in; LZ4 frames; zstd frames).
//   A codec whose package does not load answers `unsupported`.
// - Partitioner: Partitioners.DefaultPartitioner (Java-compatible murmur2).
// - No manual assignment: `consume` joins a fresh group whose assignor hands this
//   member exactly the requested partitions, and seeks each to its start offset
//   (resolved first with the admin client) when it joins, before the first fetch.
// - Assignors: only round-robin is built in; `range` is Kafka's RangeAssignor through
//   kafkajs's public custom-assigner API; `cooperative-sticky` is unsupported
//   (kafkajs speaks only the eager rebalance protocol).
// - alterConfigs: kafkajs has only AlterConfigs (whole-set), so the step first
//   describes the topic's dynamic configs and sends them with the new ones, which
//   is what a kafkajs user does to change one key.

import { createRequire } from 'node:module';
import kafkajs from 'kafkajs';
import type { Admin, Consumer, EachBatchPayload, IHeaders, KafkaMessage, PartitionAssigner, ProducerRecord } from 'kafkajs';
import type { AdminParams, Compression, ConsumeParams, GroupMemberParams, Header, ProduceParams, RecordOut } from '../protocol.js';
import { type NodeDriver, type OpContext, type OpResult, RecordCollector, deferred, errorLine, rangeAssign, runAdminSteps, text, unsupported, waitVisible, withAllKeys } from './common.js';

// kafkajs is CommonJS: its named exports come through the default export.
const { AssignerProtocol, CompressionCodecs, CompressionTypes, Kafka, Partitioners, logLevel } = kafkajs;
type Kafka = InstanceType<typeof Kafka>;
const require = createRequire(import.meta.url);
const CLIENT_ID = 'interop-kafkajs';
/** Group timings short enough that a rebalance takes well under a second (Kafka's minimum session is 6 s). */
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 300;
const REBALANCE_TIMEOUT_MS = 10_000;
const MAX_WAIT_MS = 200;

// ------------------------------------------------------------------ codecs

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** Bound on xerial blocks in one batch (a batch is at most a few MiB). */
const XERIAL_BLOCKS_MAX = 100_000;

function loadCodecs(): Map<Compression, string> {
  const missing = new Map<Compression, string>();
  const codecs = CompressionCodecs as unknown as Record<number, () => KafkajsCodec>;
  try {
    const snappy = require('snappy') as { compressSync(b: Buffer): Buffer; uncompressSync(b: Buffer, o: { asBuffer: true }): Buffer };
    const codec: KafkajsCodec = {
      compress: async (encoder) => snappy.compressSync(encoder.buffer),
      decompress: async (buffer) => {
        if (buffer.length < XERIAL_HEADER_BYTES || !buffer.subarray(0, 8).equals(XERIAL_MAGIC)) return snappy.uncompressSync(buffer, { asBuffer: true });
        const parts: Buffer[] = [];
        let pos = XERIAL_HEADER_BYTES;
        for (let i = 0; pos < buffer.length && i < XERIAL_BLOCKS_MAX; i++) {
          const size = buffer.readUInt32BE(pos);
          parts.push(snappy.uncompressSync(buffer.subarray(pos + 4, pos + 4 + size), { asBuffer: true }));
          pos += 4 + size;
        }
        return Buffer.concat(parts);
      },
    };
    codecs[CompressionTypes.Snappy] = () => codec;
  } catch (err) {
    missing.set('snappy', `the snappy package does not load here: ${String(err)}`);
  }
  try {
    const lz4 = require('lz4-napi') as { compressFrameSync(b: Buffer): Buffer; decompressFrameSync(b: Buffer): Buffer };
    const codec: KafkajsCodec = {
      compress: async (encoder) => lz4.compressFrameSync(encoder.buffer),
      decompress: async (buffer) => lz4.decompressFrameSync(buffer),
    };
    codecs[CompressionTypes.LZ4] = () => codec;
  } catch (err) {
    missing.set('lz4', `the lz4-napi package does not load here: ${String(err)}`);
  }
  try {
    const zstd = require('zstd-napi') as { compress(b: Buffer): Buffer; decompress(b: Buffer): Buffer };
    const codec: KafkajsCodec = {
      compress: async (encoder) => zstd.compress(encoder.buffer),
      decompress: async (buffer) => zstd.decompress(buffer),
    };
    codecs[CompressionTypes.ZSTD] = () => codec;
  } catch (err) {
    missing.set('zstd', `the zstd-napi package does not load here: ${String(err)}`);
  }
  return missing;
}

const MISSING_CODECS = loadCodecs();

const COMPRESSION: Record<Compression, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

// ------------------------------------------------------------------ helpers

function client(ctx: OpContext): Kafka {
  return new Kafka({
    clientId: CLIENT_ID,
    brokers: [ctx.bootstrap],
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: process.env.SAMSA_INTEROP_DEBUG === "1" ? logLevel.DEBUG : logLevel.WARN,
    logCreator: () => (entry) => ctx.log(`${entry.namespace} ${entry.log.message} ${JSON.stringify({ ...entry.log, message: undefined, timestamp: undefined, logger: undefined })}`),
  });
}

function headersOut(h: IHeaders | undefined): Header[] {
  const out: Header[] = [];
  for (const [k, v] of Object.entries(h ?? {})) {
    for (const one of Array.isArray(v) ? v : [v]) out.push([k, text(one as Buffer | string | undefined) ?? '']);
  }
  return out;
}

function headersIn(h: Header[] | undefined): IHeaders | undefined {
  if (h === undefined || h.length === 0) return undefined;
  // kafkajs takes an object: a key that repeats becomes an array (adjacent order kept).
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of h) {
    const cur = out[k];
    if (cur === undefined) out[k] = v;
    else out[k] = Array.isArray(cur) ? [...cur, v] : [cur, v];
  }
  return out;
}

function toRecord(partition: number, m: KafkaMessage): RecordOut {
  return { partition, offset: Number(m.offset), key: text(m.key), value: text(m.value), headers: headersOut(m.headers), timestamp: Number(m.timestamp) };
}

const fail = (err: unknown): string => errorLine(err);

/** An assignor that gives the first (only) member exactly `partitions` of `topic`. */
function soloAssigner(topic: string, partitions: number[]): PartitionAssigner {
  return () => ({
    name: 'interop-solo',
    version: 0,
    async assign({ members }) {
      return members.map((m, i) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: i === 0 ? { [topic]: partitions } : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: 'interop-solo', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
  });
}

/** Kafka's RangeAssignor through kafkajs's custom-assigner API (protocol name `range`, as Java's). */
const rangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const byMember = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
    for (const topic of topics) {
      const count = cluster.findTopicPartitionMetadata(topic).length;
      const subscribed = members.filter((m) => AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics.includes(topic)).map((m) => m.memberId);
      for (const [memberId, parts] of rangeAssign(subscribed, count)) byMember.get(memberId)![topic] = parts;
    }
    return [...byMember].map(([memberId, assignment]) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    }));
  },
  protocol({ topics }) {
    return { name: 'range', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
});

async function configsOf(admin: Admin, topic: string, keys: string[]): Promise<Record<string, string | null>> {
  const res = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: keys }] });
  const r = res.resources[0]!;
  if (r.errorCode !== 0) throw new Error(`${r.errorMessage ?? ''} (error code ${r.errorCode})`);
  return Object.fromEntries(r.configEntries.map((c) => [c.configName, c.configValue]));
}

async function partitionsOf(admin: Admin, topic: string): Promise<number[]> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
}

// ------------------------------------------------------------------ ops

async function produce(ctx: OpContext, p: ProduceParams): Promise<OpResult> {
  const missing = MISSING_CODECS.get(p.compression);
  if (missing !== undefined) return unsupported(`kafkajs has no ${p.compression} codec built in, and ${missing}`);
  const kafka = client(ctx);
  // Which partition kafkajs's own partitioner picked for each message (it does not say).
  const chosen = new Map<object, number>();
  const producer = kafka.producer({
    createPartitioner: () => {
      const inner = Partitioners.DefaultPartitioner();
      return (args) => {
        const partition = inner(args);
        chosen.set(args.message, partition);
        return partition;
      };
    },
    idempotent: p.idempotent,
    ...(p.idempotent ? { maxInFlightRequests: 1 } : {}),
    allowAutoTopicCreation: false,
  });
  try {
    ctx.waiting('connect');
    await producer.connect();
    const messages: ProducerRecord['messages'] = p.records.map((r) => {
      const headers = headersIn(r.headers);
      return {
        key: r.key,
        value: r.value,
        ...(headers !== undefined ? { headers } : {}),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        ...(r.timestamp !== undefined ? { timestamp: String(r.timestamp) } : {}),
      };
    });
    ctx.waiting(`delivery of ${messages.length} records`);
    const res = await producer.send({ topic: p.topic, acks: p.acks, compression: COMPRESSION[p.compression], messages });
    // One answer per partition with its base offset; records of a partition are in send order.
    const base = new Map(res.map((r) => [r.partition, Number(r.baseOffset)]));
    const seen = new Map<number, number>();
    const results = messages.map((m) => {
      const partition = chosen.get(m) ?? -1;
      const i = seen.get(partition) ?? 0;
      seen.set(partition, i + 1);
      const b = base.get(partition);
      return { partition, offset: b === undefined || b < 0 || p.acks === 0 ? -1 : b + i };
    });
    return { status: 'ok', data: { results } };
  } catch (err) {
    return { status: 'error', error: fail(err) };
  } finally {
    await producer.disconnect().catch(() => {});
  }
}

async function consume(ctx: OpContext, p: ConsumeParams): Promise<OpResult> {
  const kafka = client(ctx);
  const admin = kafka.admin();
  const got = new RecordCollector(ctx, p.count);
  const groupId = `interop-kafkajs-consume-${process.pid}-${Date.now()}`;
  let consumer: Consumer | null = null;
  try {
    ctx.waiting('admin connect');
    await admin.connect();
    const partitions = p.partitions ?? (await partitionsOf(admin, p.topic));
    const from = p.from;
    // Start offsets resolved first (explicit, so positioning cannot race the first fetch).
    let offsets: Array<{ partition: number; offset: string }> = [];
    if (from === 'latest') offsets = (await admin.fetchTopicOffsets(p.topic)).map((o) => ({ partition: o.partition, offset: o.high }));
    else if (from !== 'earliest' && 'offset' in from) offsets = partitions.map((partition) => ({ partition, offset: String(from.offset) }));
    else if (from !== 'earliest') offsets = await admin.fetchTopicOffsetsByTimestamp(p.topic, from.timestamp);
    offsets = offsets.filter((o) => partitions.includes(o.partition));
    const c = kafka.consumer({
      groupId,
      partitionAssigners: [soloAssigner(p.topic, partitions)],
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      rebalanceTimeout: REBALANCE_TIMEOUT_MS,
      maxWaitTimeInMs: MAX_WAIT_MS,
      allowAutoTopicCreation: false,
      retry: { retries: 3 },
    });
    consumer = c;
    const done = deferred<void>();
    // kafkajs applies a seek before its next fetch; seeking on the join (before the
    // first fetch) positions every partition. (admin.setOffsets would too, but runs
    // a whole extra consumer and costs seconds.)
    c.on(c.events.GROUP_JOIN, () => {
      for (const o of offsets) c.seek({ topic: p.topic, partition: o.partition, offset: o.offset });
      ctx.emit('ready');
    });
    c.on(c.events.CRASH, (e) => done.reject(e.payload.error));
    ctx.waiting('join');
    await c.connect();
    await c.subscribe({ topics: [p.topic], fromBeginning: true });
    if (p.count === 0) done.resolve();
    await c.run({
      autoCommit: false,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        if (got.add(batch.messages.map((m) => toRecord(batch.partition, m)))) done.resolve();
      },
    });
    await done.promise;
    return { status: 'ok', data: { records: got.records } };
  } catch (err) {
    return { status: 'error', error: fail(err), data: { records: got.records } };
  } finally {
    await consumer?.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}

async function groupMember(ctx: OpContext, p: GroupMemberParams): Promise<OpResult> {
  if (p.groupProtocol === 'consumer') return unsupported('kafkajs 2.x speaks only the classic group protocol');
  if (p.assignor !== 'range') return unsupported('kafkajs has no cooperative-sticky assignor: it speaks only the eager rebalance protocol');
  const kafka = client(ctx);
  const consumer = kafka.consumer({
    groupId: p.groupId,
    partitionAssigners: [rangeAssigner],
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    rebalanceTimeout: REBALANCE_TIMEOUT_MS,
    maxWaitTimeInMs: MAX_WAIT_MS,
    allowAutoTopicCreation: false,
  });
  /** Next offset to commit, per currently assigned partition. */
  const positions = new Map<number, number>();
  let assigned = new Set<number>();
  let consumed = 0;
  const crashed = deferred<never>();
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const parts = [...(e.payload.memberAssignment[p.topic] ?? [])].sort((a, b) => a - b);
    assigned = new Set(parts);
    for (const k of [...positions.keys()]) if (!assigned.has(k)) positions.delete(k);
    ctx.deadlineMet();
    ctx.emit('assigned', { partitions: parts });
  });
  consumer.on(consumer.events.CRASH, (e) => crashed.reject(e.payload.error));
  crashed.promise.catch(() => {});
  /** What the last successful commit committed, per partition. */
  const committed = new Map<number, number>();
  const commit = async (): Promise<void> => {
    const due = [...positions].filter(([partition, next]) => assigned.has(partition) && committed.get(partition) !== next);
    if (due.length === 0) return;
    await consumer.commitOffsets(due.map(([partition, next]) => ({ topic: p.topic, partition, offset: String(next) })));
    for (const [partition, next] of due) committed.set(partition, next);
  };
  try {
    ctx.waiting('the first assignment');
    await consumer.connect();
    await consumer.subscribe({ topics: [p.topic], fromBeginning: p.autoOffsetReset === 'earliest' });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }: EachBatchPayload) => {
        if (batch.messages.length === 0) return;
        const records = batch.messages.map((m) => toRecord(batch.partition, m));
        consumed += records.length;
        if (assigned.has(batch.partition)) positions.set(batch.partition, records[records.length - 1]!.offset + 1);
        ctx.emit('records', { records });
      },
    });
    for (;;) {
      const c = await Promise.race([ctx.nextCommand(), crashed.promise]);
      if (c.cmd === 'stop') break;
      try {
        await commit();
        ctx.emit('committed');
      } catch (err) {
        ctx.emit('committed', { error: fail(err) });
      }
    }
    await commit();
    await consumer.disconnect();
    return { status: 'ok', data: { consumed } };
  } catch (err) {
    await consumer.disconnect().catch(() => {});
    return { status: 'error', error: fail(err), data: { consumed } };
  }
}

async function admin(ctx: OpContext, p: AdminParams): Promise<OpResult> {
  const kafka = client(ctx);
  const a = kafka.admin();
  try {
    ctx.waiting('admin connect');
    await a.connect();
    return await runAdminSteps(
      ctx,
      p.steps,
      {
        createTopic: async (s) => {
          const created = await a.createTopics({
            waitForLeaders: true,
            topics: [{ topic: s.topic, numPartitions: s.partitions, configEntries: Object.entries(s.configs ?? {}).map(([name, value]) => ({ name, value })) }],
          });
          // kafkajs answers false (no error) when the topic exists.
          if (!created) throw new Error('TOPIC_ALREADY_EXISTS: createTopics returned false (the topic exists)');
          await waitVisible(`topic ${s.topic}`, async () => (await partitionsOf(a, s.topic)).length === s.partitions);
        },
        listTopics: async () => ({ topics: (await a.listTopics()).filter((t) => !t.startsWith('__')).sort() }),
        describeTopic: async (s) => ({ partitions: (await partitionsOf(a, s.topic)).length }),
        deleteTopic: async (s) => {
          await a.deleteTopics({ topics: [s.topic] });
          await waitVisible(`deletion of ${s.topic}`, async () => !(await a.listTopics()).includes(s.topic));
        },
        describeConfigs: async (s) => ({ configs: withAllKeys(s.keys, await configsOf(a, s.topic, s.keys)) }),
        alterConfigs: async (s) => {
          const now = await a.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: s.topic }] });
          const cur = now.resources[0]!;
          // configSource 1 = DYNAMIC_TOPIC_CONFIG: what AlterConfigs would otherwise drop.
          const keep = cur.configEntries.filter((c) => (c as { configSource?: number }).configSource === 1 && !(c.configName in s.set));
          await a.alterConfigs({
            validateOnly: false,
            resources: [{ type: 2, name: s.topic, configEntries: [...keep.map((c) => ({ name: c.configName, value: c.configValue })), ...Object.entries(s.set).map(([name, value]) => ({ name, value }))] }],
          });
          await waitVisible(`configs of ${s.topic}`, async () => {
            const now2 = await configsOf(a, s.topic, Object.keys(s.set));
            return Object.entries(s.set).every(([k, v]) => now2[k] === v);
          });
        },
        createPartitions: async (s) => {
          await a.createPartitions({ topicPartitions: [{ topic: s.topic, count: s.count }] });
          await waitVisible(`${s.count} partitions of ${s.topic}`, async () => (await partitionsOf(a, s.topic)).length === s.count);
        },
        deleteRecords: async (s) => {
          // deleteTopicRecords needs the topic's metadata loaded ("Topic metadata not
          // loaded" otherwise); fetchTopicOffsets loads it, as kafkajs users do.
          await a.fetchTopicOffsets(s.topic);
          await a.deleteTopicRecords({ topic: s.topic, partitions: [{ partition: s.partition, offset: String(s.offset) }] });
          const low = (await a.fetchTopicOffsets(s.topic)).find((o) => o.partition === s.partition);
          return { lowWatermark: Number(low?.low ?? -1) };
        },
        listOffsets: async (s) => {
          if (s.spec === 'earliest' || s.spec === 'latest') {
            const o = (await a.fetchTopicOffsets(s.topic)).find((x) => x.partition === s.partition);
            if (o === undefined) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION: no partition ${s.partition}`);
            return { offset: Number(s.spec === 'earliest' ? o.low : o.high) };
          }
          // kafkajs answers the high watermark where no record is at or after the time.
          const o = (await a.fetchTopicOffsetsByTimestamp(s.topic, s.spec.timestamp)).find((x) => x.partition === s.partition);
          if (o === undefined) throw new Error(`UNKNOWN_TOPIC_OR_PARTITION: no partition ${s.partition}`);
          return { offset: Number(o.offset) };
        },
        listGroups: async () => ({ groups: (await a.listGroups()).groups.map((g) => g.groupId).sort() }),
        describeGroup: async (s) => {
          const g = (await a.describeGroups([s.groupId])).groups[0]!;
          const err = (g as { errorCode?: number }).errorCode;
          if (err !== undefined && err !== 0) throw new Error(`describeGroups error code ${err}`);
          return { state: g.state, members: g.members.length };
        },
        deleteGroup: async (s) => {
          await a.deleteGroups([s.groupId]);
        },
        fetchOffsets: async (s) => {
          const res = await a.fetchOffsets({ groupId: s.groupId, topics: [s.topic] });
          const t = res.find((x) => x.topic === s.topic);
          return { offsets: Object.fromEntries((t?.partitions ?? []).map((x) => [String(x.partition), Number(x.offset)])) };
        },
      },
      () => 'not in kafkajs',
      fail,
    );
  } catch (err) {
    return { status: 'error', error: fail(err) };
  } finally {
    await a.disconnect().catch(() => {});
  }
}

export const driver: NodeDriver = { produce, consume, groupMember, admin };
