// Transactions with real Kafka clients against a Samsa broker process (and, with
// SAMSA_INTEROP_KAFKA=1, the same code against Apache Kafka 4.x from
// scripts/kafka-peer.sh): kafkajs's transactional producer with read_committed and
// read_uncommitted consumers (commit, abort, offsets sent to the transaction, fencing
// by a second producer with the same transactional id). Every scenario reads back what
// it wrote and checks it exactly; none asserts on time.
// Owns: its brokers (txn-brokers.ts) and topics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Consumer as KjsConsumer } from 'kafkajs';
import { type TxnBroker, TARGETS, startTarget } from './txn-brokers.js';

/** Bound on every wait; a wait that runs out fails its test. */
const WAIT_MS = 60_000;

function kafkaOf(bootstrap: string): Kafka {
  return new Kafka({ clientId: 'samsa-txn-interop', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
}

interface Seen {
  partition: number;
  value: string;
}

/** The value of the end marker record that closes each partition (see consumeAll). */
const END = '--end--';

/** Appends END to each partition (non-transactional, after everything a scenario wrote). */
async function writeEnd(kafka: Kafka, topic: string, partitions: number): Promise<void> {
  const p = kafka.producer();
  await p.connect();
  await p.send({ topic, acks: -1, messages: Array.from({ length: partitions }, (_, partition) => ({ partition, value: END })) });
  await p.disconnect();
}

/**
 * Every record a consumer of `topic` gets, read until END arrived on each of its
 * `partitions` (so nothing the scenario wrote can still be on its way), END left out.
 */
async function consumeAll(kafka: Kafka, topic: string, readUncommitted: boolean, partitions: number): Promise<Seen[]> {
  await writeEnd(kafka, topic, partitions);
  const consumer: KjsConsumer = kafka.consumer({ groupId: `reader-${topic}-${readUncommitted}-${Date.now()}`, readUncommitted, maxWaitTimeInMs: 100 });
  const seen: Seen[] = [];
  const ended = new Set<number>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`END seen on ${ended.size} of ${partitions} partitions of ${topic} in ${WAIT_MS} ms: ${JSON.stringify(seen)}`)), WAIT_MS);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          const value = message.value?.toString() ?? '';
          if (value === END) ended.add(partition);
          else seen.push({ partition, value });
          if (ended.size >= partitions) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

const values = (s: Seen[]) => s.map((x) => x.value).sort();

for (const target of TARGETS) {
  describe(`kafkajs transactions against ${target}`, () => {
    let broker: TxnBroker;
    let kafka: Kafka;
    const run = `${Date.now()}`;

    before(async () => {
      broker = await startTarget(target);
      kafka = kafkaOf(broker.bootstrap);
    });

    after(async () => {
      await broker?.stop();
    });

    test('commit and abort across partitions: read_committed sees the committed records once, read_uncommitted all', async () => {
      const topic = `kjs-txn-${run}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
      await admin.disconnect();
      const producer = kafka.producer({ transactionalId: `kjs-tx-${run}`, maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      try {
        let t = await producer.transaction();
        await t.send({ topic, messages: [{ partition: 0, value: 'c0' }, { partition: 1, value: 'c1' }] });
        await t.commit();
        t = await producer.transaction();
        await t.send({ topic, messages: [{ partition: 0, value: 'a0' }, { partition: 1, value: 'a1' }] });
        await t.abort();
        t = await producer.transaction();
        await t.send({ topic, messages: [{ partition: 1, value: 'c2' }] });
        await t.commit();
      } finally {
        await producer.disconnect();
      }
      const admin2 = kafka.admin();
      await admin2.connect();
      const ends = await admin2.fetchTopicOffsets(topic);
      await admin2.disconnect();
      // Each partition: its records plus one marker per transaction that touched it.
      assert.deepEqual(ends.map((e) => [e.partition, e.high]).sort(), [[0, '4'], [1, '6']]);
      // 3 committed; with read_uncommitted also the 2 aborted.
      assert.deepEqual(values(await consumeAll(kafka, topic, false, 2)), ['c0', 'c1', 'c2']);
      assert.deepEqual(values(await consumeAll(kafka, topic, true, 2)), ['a0', 'a1', 'c0', 'c1', 'c2']);
    });

    test('consume-transform-produce: offsets sent to the transaction commit with it and are dropped when it aborts', async () => {
      const input = `kjs-in-${run}`;
      const output = `kjs-out-${run}`;
      const group = `kjs-ctp-${run}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: input, numPartitions: 1 }, { topic: output, numPartitions: 1 }], waitForLeaders: true });
      const plain = kafka.producer();
      await plain.connect();
      await plain.send({ topic: input, messages: Array.from({ length: 10 }, (_, i) => ({ value: `in-${i}` })) });
      await plain.disconnect();
      const producer = kafka.producer({ transactionalId: `kjs-ctp-${run}`, maxInFlightRequests: 1, idempotent: true });
      await producer.connect();
      try {
        let t = await producer.transaction();
        await t.send({ topic: output, messages: Array.from({ length: 5 }, (_, i) => ({ value: `out-${i}` })) });
        await t.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '5' }] }] });
        await t.commit();
        t = await producer.transaction();
        await t.send({ topic: output, messages: Array.from({ length: 5 }, (_, i) => ({ value: `lost-${i + 5}` })) });
        await t.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: 0, offset: '10' }] }] });
        await t.abort();
      } finally {
        await producer.disconnect();
      }
      const committed = await admin.fetchOffsets({ groupId: group, topics: [input] });
      await admin.disconnect();
      assert.deepEqual(committed[0]!.partitions.map((p) => [p.partition, p.offset]), [[0, '5']]);
      assert.deepEqual(values(await consumeAll(kafka, output, false, 1)), ['out-0', 'out-1', 'out-2', 'out-3', 'out-4']);
    });

    test('a second producer with the same transactional id fences the first: its commit fails, its records are aborted', async () => {
      const topic = `kjs-fence-${run}`;
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      await admin.disconnect();
      const txnId = `kjs-fence-${run}`;
      const zombie = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true });
      await zombie.connect();
      const zt = await zombie.transaction();
      await zt.send({ topic, messages: [{ value: 'zombie' }] });
      const fresh = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true });
      await fresh.connect();
      try {
        // kafkajs asks for its producer id at its first transaction: that fences the zombie.
        const t = await fresh.transaction();
        await assert.rejects(zt.commit(), (err: Error & { type?: string }) => {
          assert.ok(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH'].includes(err.type ?? ''), `fenced, got ${err.type ?? err.message}`);
          return true;
        });
        await t.send({ topic, messages: [{ value: 'fresh' }] });
        await t.commit();
      } finally {
        await zombie.disconnect().catch(() => undefined);
        await fresh.disconnect();
      }
      assert.deepEqual(values(await consumeAll(kafka, topic, false, 1)), ['fresh']);
      assert.deepEqual(values(await consumeAll(kafka, topic, true, 1)), ['fresh', 'zombie']);
    });
  });
}
