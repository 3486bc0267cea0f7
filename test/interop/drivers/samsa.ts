// Interop driver for Samsa's own client (src/client: Producer, Consumer, Admin).
// Owns: mapping the contract's ops onto that client. Must not reach below the
// client's public surface (src/client/index.ts), so it tests what users get.
//
// Not in this client, by design (Samsa's consumers own their offsets): consumer
// groups (group-member; listGroups, describeGroup, deleteGroup, fetchOffsets), and
// Admin has no AlterConfigs.

import { Admin, Consumer, Producer, type Message, errorName } from '../../../src/client/index.js';
import type { AdminParams, ConsumeParams, GroupMemberParams, ProduceParams, RecordOut } from '../protocol.js';
import { type NodeDriver, type OpContext, type OpResult, RecordCollector, errorLine, headerPairs, runAdminSteps, text, unsupported, waitVisible, withAllKeys } from './common.js';

const CLIENT_ID = 'interop-samsa';
const fail = (err: unknown): string => errorLine(err, errorName);

function toRecord(m: Message): RecordOut {
  return {
    partition: m.partition,
    offset: m.offset,
    key: text(m.key),
    value: text(m.value),
    headers: headerPairs(m.headers.map((h) => [h.key, h.value] as [string, Uint8Array | null])),
    timestamp: m.timestamp,
  };
}

async function produce(ctx: OpContext, p: ProduceParams): Promise<OpResult> {
  const producer = new Producer({ bootstrap: ctx.bootstrap, clientId: CLIENT_ID, acks: p.acks, compression: p.compression, idempotent: p.idempotent, allowAutoTopicCreation: false });
  try {
    // send() without connect(), as the client's README does: send retries a failed
    // InitProducerId (a fresh Kafka answers COORDINATOR_LOAD_IN_PROGRESS for a while),
    // while connect() fails at once on it.
    ctx.waiting(`delivery of ${p.records.length} records`);
    const metas = await producer.send({
      topic: p.topic,
      messages: p.records.map((r) => ({
        key: r.key,
        value: r.value,
        ...(r.headers !== undefined ? { headers: r.headers.map(([key, value]) => ({ key, value })) } : {}),
        ...(r.partition !== undefined ? { partition: r.partition } : {}),
        ...(r.timestamp !== undefined ? { timestamp: r.timestamp } : {}),
      })),
    });
    await producer.flush();
    return { status: 'ok', data: { results: metas.map((m) => ({ partition: m.partition, offset: m.offset })) } };
  } catch (err) {
    return { status: 'error', error: fail(err) };
  } finally {
    await producer.close(1000).catch(() => {});
  }
}

async function consume(ctx: OpContext, p: ConsumeParams): Promise<OpResult> {
  const consumer = new Consumer({ bootstrap: ctx.bootstrap, clientId: CLIENT_ID, autoOffsetReset: 'earliest', maxWaitMs: 200 });
  const got = new RecordCollector(ctx, p.count);
  try {
    ctx.waiting('assign');
    await consumer.assign(p.partitions !== undefined ? p.partitions.map((partition) => ({ topic: p.topic, partition })) : [{ topic: p.topic }]);
    const from = p.from;
    const target = from === 'earliest' || from === 'latest' ? from : 'offset' in from ? from.offset : { timestamp: from.timestamp };
    ctx.waiting('seek');
    // seek() resolves once the position is known, so `ready` means positioned.
    for (const tp of consumer.assignment()) await consumer.seek(tp.topic, tp.partition, target);
    ctx.emit('ready');
    if (p.count > 0) {
      ctx.waiting(`records: 0 of ${p.count} arrived`);
      for await (const m of consumer) if (got.add([toRecord(m)])) break;
    }
    return { status: 'ok', data: { records: got.records } };
  } catch (err) {
    return { status: 'error', error: fail(err), data: { records: got.records } };
  } finally {
    await consumer.close();
  }
}

async function groupMember(_ctx: OpContext, _p: GroupMemberParams): Promise<OpResult> {
  return unsupported("Samsa's client has no consumer groups: its consumers own their offsets (assign + seek)");
}

async function admin(ctx: OpContext, p: AdminParams): Promise<OpResult> {
  const a = new Admin({ bootstrap: ctx.bootstrap, clientId: CLIENT_ID });
  const partitionCount = async (topic: string): Promise<number> => {
    const [t] = await a.describeTopics([topic]);
    return t!.partitions.filter((x) => x.leader >= 0).length;
  };
  try {
    return await runAdminSteps(
      ctx,
      p.steps,
      {
        createTopic: async (s) => {
          await a.createTopics([{ name: s.topic, numPartitions: s.partitions, ...(s.configs !== undefined ? { configs: s.configs } : {}) }]);
          await waitVisible(`topic ${s.topic}`, async () => (await partitionCount(s.topic)) === s.partitions);
        },
        listTopics: async () => ({ topics: await a.listTopics() }),
        describeTopic: async (s) => ({ partitions: (await a.describeTopics([s.topic]))[0]!.partitions.length }),
        deleteTopic: async (s) => {
          await a.deleteTopics([s.topic]);
          await waitVisible(`deletion of ${s.topic}`, async () => !(await a.listTopics()).includes(s.topic));
        },
        describeConfigs: async (s) => {
          const [r] = await a.describeConfigs([{ type: 'topic', name: s.topic, keys: s.keys }]);
          return { configs: withAllKeys(s.keys, Object.fromEntries((r?.configs ?? []).map((c) => [c.name, c.value]))) };
        },
        createPartitions: async (s) => {
          await a.createPartitions([{ topic: s.topic, count: s.count }]);
          await waitVisible(`${s.count} partitions of ${s.topic}`, async () => (await partitionCount(s.topic)) === s.count);
        },
        deleteRecords: async (s) => {
          const [r] = await a.deleteRecords(s.topic, [{ partition: s.partition, offset: s.offset }]);
          return { lowWatermark: r!.lowWatermark };
        },
        listOffsets: async (s) => {
          const [r] = await a.listOffsets(s.topic, s.spec, [s.partition]);
          return { offset: r!.offset };
        },
      },
      (step) =>
        step === 'alterConfigs'
          ? "Samsa's Admin has no alterConfigs (AlterConfigs / IncrementalAlterConfigs)"
          : `Samsa's client has no consumer groups, so its Admin has no ${step}`,
      fail,
    ).catch((err: unknown) => ({ status: 'error' as const, error: fail(err) }));
  } finally {
    await a.close();
  }
}

export const driver: NodeDriver = { produce, consume, groupMember, admin };
