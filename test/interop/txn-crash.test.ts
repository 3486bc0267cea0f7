// Crash test for transactions: a kafkajs transactional producer runs transaction after
// transaction (two records each, one per partition; every fourth one aborted) while the
// `samsa serve` process under it is killed with SIGKILL and restarted three times,
// each kill landing while the producer is in the middle of a transaction or its
// commit. A transaction that fails is given up (the producer is replaced; its
// InitProducerId fences and aborts what the old one left open) and counted as
// "unknown". Then a read_committed reader checks: every transaction the producer saw
// committed is there, exactly once, in both partitions; no aborted one is; an unknown
// one is there whole or not at all; no record appears twice. Kills are triggered by
// the producer's progress, never by time.
// Owns: its broker process and topic.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startSamsaProcess } from './txn-brokers.js';

const TXNS = 40;
const KILL_AFTER_COMMITS = new Set([4, 14, 26]);
const END = '--end--';
const WAIT_MS = 120_000;

test('kill -9 of the broker during transactions: read_committed sees every committed transaction once, no aborted one, unknown ones whole or not at all', { timeout: 4 * WAIT_MS }, async (t) => {
  const broker = await startSamsaProcess();
  const kafka = new Kafka({ clientId: 'samsa-txn-crash', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  const topic = `txn-crash-${Date.now()}`;
  const txnId = `txn-crash-${Date.now()}`;
  const outcome = new Map<number, 'committed' | 'aborted' | 'unknown'>();
  let producer: Producer | null = null;
  let crashes: Promise<void> = Promise.resolve();
  let kills = 0;
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
    await admin.disconnect();

    let committed = 0;
    for (let i = 0; i < TXNS; i++) {
      const abort = i % 4 === 3;
      try {
        if (producer === null) {
          producer = kafka.producer({ transactionalId: txnId, maxInFlightRequests: 1, idempotent: true, transactionTimeout: 30_000 });
          await producer.connect();
        }
        const txn = await producer.transaction();
        await txn.send({ topic, acks: -1, messages: [{ partition: 0, value: `t${i}-a` }, { partition: 1, value: `t${i}-b` }] });
        if (abort) {
          await txn.abort();
          outcome.set(i, 'aborted');
        } else {
          await txn.commit();
          outcome.set(i, 'committed');
          committed++;
          if (KILL_AFTER_COMMITS.has(committed)) {
            // Killed while the next transaction is under way (the loop does not wait for it).
            kills++;
            crashes = crashes.then(async () => {
              await broker.kill9();
              await broker.restart();
            });
          }
        }
      } catch {
        outcome.set(i, abort ? 'aborted' : 'unknown');
        await producer?.disconnect().catch(() => undefined);
        producer = null;
        // The next transaction starts once the broker is back (a kill may be in progress).
        await crashes;
      }
    }
    await crashes;
    await producer?.disconnect().catch(() => undefined);
    producer = null;
    assert.equal(kills, KILL_AFTER_COMMITS.size);

    const plain = kafka.producer();
    await plain.connect();
    await plain.send({ topic, acks: -1, messages: [0, 1].map((partition) => ({ partition, value: END })) });
    await plain.disconnect();

    const seen: Array<{ partition: number; value: string }> = [];
    const ended = new Set<number>();
    const reader = kafka.consumer({ groupId: `${topic}-check`, maxWaitTimeInMs: 100, readUncommitted: false });
    await reader.connect();
    try {
      await reader.subscribe({ topic, fromBeginning: true });
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve, reject) => {
          reader.run({
            eachMessage: async ({ partition, message }) => {
              const value = message.value?.toString() ?? '';
              if (value === END) ended.add(partition);
              else seen.push({ partition, value });
              if (ended.size === 2) resolve();
            },
          }).catch(reject);
        }),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`END not read in both partitions within ${WAIT_MS} ms; seen ${JSON.stringify(seen)}`)), WAIT_MS))),
      ]);
      clearTimeout(timer);
    } finally {
      await reader.disconnect();
    }

    const values = seen.map((s) => s.value);
    assert.equal(new Set(values).size, values.length, `no record twice: ${values.join(' ')}`);
    const present = new Set(values);
    const summary = [...outcome].map(([i, o]) => `${i}:${o}:${present.has(`t${i}-a`) ? 'a' : '-'}${present.has(`t${i}-b`) ? 'b' : '-'}`).join(' ');
    t.diagnostic(`outcomes (index:outcome:partitions read): ${summary}`);
    for (const [i, o] of outcome) {
      const a = present.has(`t${i}-a`);
      const b = present.has(`t${i}-b`);
      if (o === 'committed') assert.ok(a && b, `committed transaction ${i} is read whole; ${summary}`);
      else if (o === 'aborted') assert.ok(!a && !b, `aborted transaction ${i} is never read; ${summary}`);
      else assert.equal(a, b, `transaction ${i} of unknown outcome is whole or absent; ${summary}`);
    }
    for (const s of seen) assert.equal(s.partition, s.value.endsWith('-a') ? 0 : 1);
    assert.ok([...outcome.values()].filter((o) => o === 'committed').length >= TXNS / 2, `most transactions commit despite the kills; ${summary}`);
  } finally {
    await producer?.disconnect().catch(() => undefined);
    await broker.stop();
  }
});
