// Kafka Streams with processing.guarantee=exactly_once_v2 (the real Java library,
// interop/bin/java-streams) against a `samsa serve` process, and with
// SAMSA_INTEROP_KAFKA=1 (or =only) the same test code, assertions included, against
// Apache Kafka 4.x from scripts/kafka-peer.sh (txn-brokers.ts): the word count is
// killed with SIGKILL while it processes, restarted on the same state directory, and
// finishes; a read_committed reader (kafkajs) then sees every word's count rise one
// update at a time to exactly the number of times the word was written. With
// at-least-once the records processed again after the crash would be counted twice;
// with exactly-once the crashed transaction is aborted (its producer fenced by the
// restarted app, or timed out) and its output never reaches read_committed readers.
// Owns: its brokers, its Streams child processes and their state directory. Skipped
// (with the build command named) when interop/bin/java-streams is missing, unless
// SAMSA_INTEROP_REQUIRE=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, Producer } from '../../src/client/index.js';
import { tempDir } from '../helpers/tmp.js';
import { type StreamsChild, startStreams, streamsMissing } from './streams-app.js';
import { TARGETS, startTarget } from './txn-brokers.js';

const required = process.env.SAMSA_INTEROP_REQUIRE === '1';
const missing = streamsMissing;

/** Bound on every wait; a wait that runs out fails the test. */
const WAIT_MS = 180_000;
const END = '--end--';
const VOCABULARY = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta'];

function makeLines(count: number, seed0: number): string[] {
  let seed = seed0;
  const next = (n: number) => {
    // Math.imul: seed * 1103515245 in doubles loses the low bits (the product passes
    // 2^53), which left 2 of the 8 words in use; the high bits of an LCG vary the most.
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
  return Array.from({ length: count }, () => Array.from({ length: 2 + next(5) }, () => VOCABULARY[next(VOCABULARY.length)]!).join(' '));
}

const longOf = (b: Uint8Array | Buffer | null): number => {
  assert.ok(b !== null && b.length === 8, 'a count is an 8-byte long');
  return Number(Buffer.from(b).readBigInt64BE(0));
};

async function bounded<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}`)), WAIT_MS)))]);
  } finally {
    clearTimeout(timer);
  }
}

for (const target of TARGETS) {
  test(`Kafka Streams exactly_once_v2 against ${target}: a word count killed mid-processing and restarted counts every word exactly once for read_committed readers`, { skip: missing !== null && !required ? missing : false, timeout: 4 * WAIT_MS }, async (t) => {
    assert.equal(missing, null, `${missing} (SAMSA_INTEROP_REQUIRE=1)`);
    const broker = await startTarget(target);
    const state = tempDir('samsa-streams-eos-');
    const producer = new Producer({ bootstrap: broker.bootstrap, allowAutoTopicCreation: false });
    const kafka = new Kafka({ clientId: 'samsa-eos-check', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const appId = `eos-${process.pid}-${Date.now()}`;
    const topics = { lines: `${appId}-lines`, counts: `${appId}-counts`, orders: `${appId}-orders`, customers: `${appId}-customers`, enriched: `${appId}-enriched` };
    const args = [
      '--bootstrap', broker.bootstrap, '--application-id', appId, '--state-dir', state.dir,
      '--lines', topics.lines, '--counts', topics.counts, '--orders', topics.orders, '--customers', topics.customers, '--enriched', topics.enriched,
      '--config', 'processing.guarantee=exactly_once_v2',
      // A killed member must not hold the restarted one's rebalance for Streams' default 45 s.
      '--config', 'session.timeout.ms=6000', '--config', 'heartbeat.interval.ms=500',
    ];
    let child: StreamsChild | undefined;
    const context = () => (child ? `\nstates: ${child.states.join(' > ')}\nstderr: ${child.stderrTail.slice(-40).join('\n')}\nbroker: ${broker.logTail().slice(-3000)}` : '');
    try {
      const admin = kafka.admin();
      await admin.connect();
      await admin.createTopics({ topics: Object.values(topics).map((topic) => ({ topic, numPartitions: 2 })), waitForLeaders: true });
      await admin.disconnect();

      const expected = new Map<string, number>();
      const write = async (lines: string[]) => {
        for (const l of lines) for (const w of l.split(' ')) expected.set(w, (expected.get(w) ?? 0) + 1);
        for (let i = 0; i < lines.length; i += 500) await producer.send({ topic: topics.lines, messages: lines.slice(i, i + 500).map((value) => ({ key: null, value })) });
      };

      // Run 1: killed with SIGKILL as soon as its first output shows (read uncommitted: mid-transaction).
      await write(makeLines(4000, 3));
      child = startStreams(args);
      const first = child;
      const watcher = new Consumer({ bootstrap: broker.bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 });
      await watcher.assign([{ topic: topics.counts }]);
      try {
        await bounded(`the first output of run 1${context()}`, (async () => {
          for await (const _m of watcher) return;
        })());
      } finally {
        await watcher.close();
      }
      first.proc.kill('SIGKILL');
      await first.exited;

      // Run 2 on the same state directory, with more input, until every count is final; then a clean stop.
      await write(makeLines(500, 5));
      child = startStreams(args);
      const second = child;
      const latest = new Map<string, number>();
      const watcher2 = new Consumer({ bootstrap: broker.bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 });
      await watcher2.assign([{ topic: topics.counts }]);
      try {
        await bounded(`the final counts in run 2${context()}`, Promise.race([
          (async () => {
            for await (const m of watcher2) {
              latest.set(Buffer.from(m.key!).toString(), longOf(m.value));
              if ([...expected].every(([w, n]) => latest.get(w) === n)) return;
            }
          })(),
          second.exited.then((code) => {
            throw new Error(`the Streams app exited (${code}) before its output was final`);
          }),
        ]));
      } finally {
        await watcher2.close();
      }
      second.proc.stdin!.end();
      assert.equal(await bounded('the Streams app to exit after EOF', second.exited), 0, context());

      // read_committed: every count record, up to an END written in each partition after the app stopped.
      await producer.send({ topic: topics.counts, messages: [0, 1].map((partition) => ({ key: END, value: END, partition })) });
      const history = new Map<string, number[]>();
      const ended = new Set<number>();
      const reader = kafka.consumer({ groupId: `${appId}-check`, maxWaitTimeInMs: 100 });
      await reader.connect();
      try {
        await reader.subscribe({ topic: topics.counts, fromBeginning: true });
        await bounded('END in both partitions of the counts topic', new Promise<void>((resolve, reject) => {
          reader.run({
            eachMessage: async ({ partition, message }) => {
              const key = message.key?.toString() ?? '';
              if (key === END) ended.add(partition);
              else history.set(key, [...(history.get(key) ?? []), longOf(message.value)]);
              if (ended.size === 2) resolve();
            },
          }).catch(reject);
        }));
      } finally {
        await reader.disconnect();
      }
      // What each broker led to, for comparing runs against Samsa and Kafka (not asserted: it depends on timing).
      t.diagnostic(`${target}: ${[...history.values()].reduce((n, v) => n + v.length, 0)} committed count updates for ${expected.size} words; run 1 states: ${first.states.join(' > ')}; run 2: ${second.states.join(' > ')}`);
      assert.deepEqual([...history.keys()].sort(), [...expected.keys()].sort());
      for (const [w, values] of history) {
        assert.equal(values.at(-1), expected.get(w), `final count of ${w}: ${values.slice(-5).join(',')}`);
        for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `committed counts of ${w} only rise (nothing counted twice): …${values.slice(Math.max(0, i - 3), i + 2).join(',')}`);
      }
    } finally {
      if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      await producer.close();
      await broker.stop();
      state.cleanup();
    }
  });
}
