// Transactions with Apache Kafka's Java client and confluent-kafka-python (the
// interop drivers interop/bin/java and interop/bin/python: `txn-produce`, and
// `consume` with isolation read_committed) against a `samsa serve` process, and with
// SAMSA_INTEROP_KAFKA=1 the same jobs against Apache Kafka 4.x: commit and abort,
// fencing by a second producer with the same transactional id, a producer that
// crashes mid-transaction (aborted at its transaction.timeout.ms, which unblocks
// read_committed readers), and a broker killed with SIGKILL mid-transaction (the
// producer commits after the restart). Each scenario ends every partition with a
// plain record (END) and reads until it, so "nothing aborted was seen" is checked
// on a complete read, never by waiting. A driver that is not built is skipped
// (scripts/interop-build.sh java|python), failed then with SAMSA_INTEROP_REQUIRE=1.
// The Admin checks (DescribeTransactions, ListTransactions, DescribeProducers) run
// with the Java driver, the only one whose admin op has those steps.
// Owns: its brokers and topics.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { JobHandle, listDrivers, type DriverSpec } from './run.js';
import type { AdminStep, ConsumeParams, ProduceParams, RecordOut, TxnProduceParams } from './protocol.js';
import { type SamsaProcess, type TxnBroker, TARGETS, startTarget } from './txn-brokers.js';

const JOB_MS = 60_000;
const END = '--end--';
const drivers: DriverSpec[] = listDrivers().filter((d) => d.name === 'java' || d.name === 'python');
const java: DriverSpec = drivers.find((d) => d.name === 'java')!;
const skipOf = (d: DriverSpec) => (d.available || process.env.SAMSA_INTEROP_REQUIRE === '1' ? false : (d.missing ?? `${d.name} driver not built`));

async function job<T extends object>(op: 'produce' | 'consume' | 'admin' | 'txn-produce', bootstrap: string, params: T, driver: DriverSpec = java): Promise<{ status: string; error?: string; data?: Record<string, unknown> }> {
  const h = new JobHandle(driver, op, bootstrap, { timeoutMs: JOB_MS, ...params });
  const r = await h.result;
  if (r.status !== 'ok') return { status: r.status, ...(r.error !== undefined ? { error: `${r.error} [stderr: ${h.stderr.slice(-2000)}]` } : {}), ...(r.data !== undefined ? { data: r.data as Record<string, unknown> } : {}) };
  return { status: r.status, ...(r.data !== undefined ? { data: r.data as Record<string, unknown> } : {}) };
}

async function createTopic(bootstrap: string, topic: string, partitions: number, driver: DriverSpec): Promise<void> {
  const r = await job('admin', bootstrap, { steps: [{ do: 'createTopic', topic, partitions }] }, driver);
  assert.equal(r.status, 'ok', r.error);
  const step = (r.data!.results as Array<{ ok: boolean; error?: string }>)[0]!;
  assert.ok(step.ok, step.error);
}

/** A plain (non-transactional) END record in each partition, after all a scenario wrote. */
async function writeEnd(bootstrap: string, topic: string, partitions: number, driver: DriverSpec): Promise<void> {
  const params: ProduceParams = {
    topic, acks: -1, compression: 'none', idempotent: false,
    records: Array.from({ length: partitions }, (_, partition) => ({ key: null, value: END, partition })),
  };
  const r = await job('produce', bootstrap, params, driver);
  assert.equal(r.status, 'ok', r.error);
}

/**
 * Writes END to every partition, then reads from the start with `isolation` until
 * `expected` records plus the ENDs arrived; the values (END left out), sorted. A
 * record beyond what is expected would take an END's place and show in the values.
 */
async function readAll(bootstrap: string, topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted', expected: number, driver: DriverSpec): Promise<string[]> {
  const params: ConsumeParams = { topic, from: 'earliest', count: expected + partitions, isolation };
  const r = await job('consume', bootstrap, params, driver);
  const records = (r.data?.records ?? []) as RecordOut[];
  assert.equal(r.status, 'ok', `${r.error ?? ''}; read ${JSON.stringify(records.map((x) => x.value))}`);
  const ends = records.filter((x) => x.value === END).length;
  assert.equal(ends, partitions, `every END read (${isolation}): ${JSON.stringify(records.map((x) => `${x.partition}:${x.value}`))}`);
  return records.filter((x) => x.value !== END).map((x) => x.value ?? '').sort();
}

/** DescribeTransactions, ListTransactions and DescribeProducers through the Java Admin client, on `txnId`'s open transaction in `topic`-0. */
async function checkAdmin(bootstrap: string, txnId: string, topic: string): Promise<void> {
  const steps: AdminStep[] = [{ do: 'describeTransaction', transactionalId: txnId }, { do: 'listTransactions' }, { do: 'describeProducers', topic, partition: 0 }];
  const a = await job('admin', bootstrap, { steps });
  assert.equal(a.status, 'ok', a.error);
  const [desc, list, producers] = a.data!.results as Array<Record<string, unknown> & { ok: boolean; error?: string }>;
  assert.ok(desc!.ok && list!.ok && producers!.ok, JSON.stringify(a.data));
  const norm = (s: unknown) => String(s).toLowerCase().replace(/_/g, '');
  assert.deepEqual([norm(desc!.state), desc!.partitions], ['ongoing', [`${topic}-0`]]);
  const listed = (list!.transactions as Array<{ transactionalId: string; state: string }>).find((t) => t.transactionalId === txnId);
  assert.equal(norm(listed?.state), 'ongoing');
  const mine = (producers!.producers as Array<{ producerId: number; currentTransactionStartOffset: number }>).find((x) => x.producerId === desc!.producerId);
  assert.equal(mine?.currentTransactionStartOffset, 0, JSON.stringify(producers));
}

const rec = (value: string, partition: number) => ({ key: null, value, partition });

for (const [driver, target] of drivers.flatMap((d) => TARGETS.map((t) => [d, t] as const))) {
  const name = driver.name === 'java' ? 'Java' : 'confluent-kafka-python';
  describe(`${name} transactional producer and read_committed consumer against ${target}`, { skip: skipOf(driver) }, () => {
    let broker: TxnBroker;
    const run = `${driver.name}-${Date.now()}`;

    before(async () => {
      broker = await startTarget(target);
    });

    after(async () => {
      await broker?.stop();
    });

    test('commit, abort, commit across two partitions: read_committed sees the committed records once, read_uncommitted all', async () => {
      const topic = `txn-${run}`;
      await createTopic(broker.bootstrap, topic, 2, driver);
      const params: TxnProduceParams = {
        topic, transactionalId: `txn-${run}`,
        transactions: [
          { records: [rec('a0', 0), rec('a1', 0), rec('b', 1)] },
          { records: [rec('x', 0), rec('y', 1)], end: 'abort' },
          { records: [rec('c', 0), rec('d', 1)] },
        ],
      };
      const r = await job('txn-produce', broker.bootstrap, params, driver);
      assert.equal(r.status, 'ok', r.error);
      assert.deepEqual((r.data!.transactions as Array<{ ended: string }>).map((t) => t.ended), ['commit', 'abort', 'commit']);
      await writeEnd(broker.bootstrap, topic, 2, driver);
      assert.deepEqual(await readAll(broker.bootstrap, topic, 2, 'read_committed', 5, driver), ['a0', 'a1', 'b', 'c', 'd']);
      assert.deepEqual(await readAll(broker.bootstrap, topic, 2, 'read_uncommitted', 7, driver), ['a0', 'a1', 'b', 'c', 'd', 'x', 'y']);
    });

    test('an open transaction as Admin describes it; a second producer with the same transactional id fences the first: its commit fails and its records stay aborted', async () => {
      const topic = `fence-${run}`;
      await createTopic(broker.bootstrap, topic, 1, driver);
      const txnId = `fence-${run}`;
      const zombieParams: TxnProduceParams = { topic, transactionalId: txnId, hold: true, transactions: [{ records: [rec('zombie', 0)] }] };
      const zombie = new JobHandle(driver, 'txn-produce', broker.bootstrap, { timeoutMs: JOB_MS, ...zombieParams });
      try {
        await zombie.waitEvent(0, (e) => e.event === 'open', JOB_MS, 'the zombie transaction open');
        // The open transaction as the Java Admin client sees it (DescribeTransactions, ListTransactions, DescribeProducers).
        if (java.available) await checkAdmin(broker.bootstrap, txnId, topic);
        const fresh = await job('txn-produce', broker.bootstrap, { topic, transactionalId: txnId, transactions: [{ records: [rec('fresh', 0)] }] } satisfies TxnProduceParams, driver);
        assert.equal(fresh.status, 'ok', fresh.error);
        zombie.send({ cmd: 'commit' });
        const zr = await zombie.result;
        assert.equal(zr.status, 'error', 'the fenced producer cannot commit');
        assert.match(zr.error ?? '', /ProducerFenced|PRODUCER_FENCED|InvalidProducerEpoch|INVALID_PRODUCER_EPOCH|_FENCED/, zr.error);
      } finally {
        zombie.kill();
      }
      await writeEnd(broker.bootstrap, topic, 1, driver);
      assert.deepEqual(await readAll(broker.bootstrap, topic, 1, 'read_committed', 1, driver), ['fresh']);
      assert.deepEqual(await readAll(broker.bootstrap, topic, 1, 'read_uncommitted', 2, driver), ['fresh', 'zombie']);
    });

    test('a producer that crashes mid-transaction: its transaction.timeout.ms aborts it, read_committed readers get past it and never see its records', async () => {
      const topic = `crash-producer-${run}`;
      await createTopic(broker.bootstrap, topic, 1, driver);
      const params: TxnProduceParams = {
        topic, transactionalId: `crash-producer-${run}`, hold: true, transactionTimeoutMs: 3000,
        transactions: [{ records: [rec('lost', 0)] }],
      };
      const h = new JobHandle(driver, 'txn-produce', broker.bootstrap, { timeoutMs: JOB_MS, ...params });
      await h.waitEvent(0, (e) => e.event === 'open', JOB_MS, 'the transaction open');
      // EOF ends the driver process without ending the transaction (a crashed producer).
      await h.stop();
      await writeEnd(broker.bootstrap, topic, 1, driver);
      // END is past the open transaction: read_committed reaches it only once the coordinator aborted it.
      assert.deepEqual(await readAll(broker.bootstrap, topic, 1, 'read_committed', 0, driver), []);
      assert.deepEqual(await readAll(broker.bootstrap, topic, 1, 'read_uncommitted', 1, driver), ['lost']);
    });

    test('the broker killed (SIGKILL) mid-transaction: after the restart the producer commits and read_committed sees its records once', { skip: target !== 'samsa' ? 'kill -9 of the broker is Samsa-only here' : false }, async () => {
      const samsa = broker as SamsaProcess;
      const topic = `crash-broker-${run}`;
      await createTopic(samsa.bootstrap, topic, 2, driver);
      const params: TxnProduceParams = {
        topic, transactionalId: `crash-broker-${run}`, hold: true,
        transactions: [{ records: [rec('before-0', 0), rec('before-1', 1)] }, { records: [rec('held-0', 0), rec('held-1', 1)] }],
      };
      const h = new JobHandle(driver, 'txn-produce', samsa.bootstrap, { timeoutMs: JOB_MS, ...params });
      try {
        await h.waitEvent(0, (e) => e.event === 'open', JOB_MS, 'the second transaction open');
        await samsa.kill9();
        await samsa.restart();
        h.send({ cmd: 'commit' });
        const r = await h.result;
        assert.equal(r.status, 'ok', `${r.error ?? ''} [broker log: ${samsa.logTail()}] [driver: ${h.stderr.slice(-2000)}]`);
      } finally {
        h.kill();
      }
      await writeEnd(samsa.bootstrap, topic, 2, driver);
      assert.deepEqual(await readAll(samsa.bootstrap, topic, 2, 'read_committed', 4, driver), ['before-0', 'before-1', 'held-0', 'held-1']);
    });
  });
}
