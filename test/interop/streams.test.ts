// Kafka Streams (the real Java library, interop/bin/java-streams) against a real
// Samsa broker: a word-count KTable (repartition + changelog topics, DeleteRecords
// purges) and a stream-table join of orders with customers. Input is written and the
// output read back with Samsa's own client; the test checks every count and every
// joined record exactly. With SAMSA_INTEROP_KAFKA=1 (or =only) the same test code,
// assertions included, also runs against Apache Kafka 4.x from scripts/kafka-peer.sh
// (txn-brokers.ts), so its expectations are checked to be Kafka's behaviour.
// Owns: its brokers, its Streams child process and their temporary directories.
// Must not depend on other interop drivers. Skipped (with the build command named)
// when interop/bin/java-streams is missing, unless SAMSA_INTEROP_REQUIRE=1.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, type Message } from '../../src/client/index.js';
import { startTestBroker } from '../client/helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { type StreamsChild, startStreams, streamsMissing } from './streams-app.js';
import { TARGETS, startKafkaPeer } from './txn-brokers.js';

const required = process.env.SAMSA_INTEROP_REQUIRE === '1';
const missing = streamsMissing;

/** Bound on every wait of this test; a wait that runs out fails the test, it never passes it. */
const WAIT_MS = 180_000;
/** Lines of the Streams app's stderr kept for a failure message. */

// Word count input: fixed lines with mixed case and punctuation, so the \W+ split matters.
const VOCABULARY = ['kafka', 'samsa', 'log', 'stream', 'table', 'join', 'offset', 'broker', 'topic', 'replay', 'x_1', 'v2'];
function makeLines(count: number, firstSeed: number): string[] {
  const lines: string[] = [];
  let seed = firstSeed;
  const next = (n: number) => {
    // Math.imul: seed * 1103515245 in doubles loses the low bits (the product passes
    // 2^53), which left 2 of the 8 words in use; the high bits of an LCG vary the most.
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return (seed >>> 16) % n;
  };
  const punct = [' ', ', ', '. ', ' -- ', '! ', '\t'];
  for (let i = 0; i < count; i++) {
    const words = 3 + next(6);
    let line = next(5) === 0 ? '"' : '';
    for (let w = 0; w < words; w++) {
      const word = VOCABULARY[next(VOCABULARY.length)]!;
      line += (next(3) === 0 ? word.toUpperCase() : word) + punct[next(punct.length)]!;
    }
    lines.push(line);
  }
  return lines;
}
/** The app's tokenizer: Java's toLowerCase(Locale.ROOT).split("\\W+") without empty words. */
const words = (line: string) => line.toLowerCase().split(/[^a-z0-9_]+/).filter((w) => w.length > 0);

interface Event {
  topic: 'customers' | 'orders';
  key: string;
  value: string;
  timestamp: number;
}

function joinInput(base: number): Event[] {
  const ev: Event[] = [];
  const names: Record<string, string> = { c1: 'alice', c2: 'bob', c3: 'carol', c4: 'dave' };
  let t = base;
  for (const [k, v] of Object.entries(names)) ev.push({ topic: 'customers', key: k, value: v, timestamp: t++ });
  const orderKeys = ['c1', 'c2', 'c9', 'c3', 'c2', 'c4', 'c1', 'c2', 'c9', 'c3', 'c4', 'c2'];
  orderKeys.forEach((k, i) => {
    ev.push({ topic: 'orders', key: k, value: `order-${i}`, timestamp: base + 1_000 * (i + 1) });
    // The customer c2 is renamed between two of its orders: the join must use the
    // name valid at each order's timestamp.
    if (i === 5) ev.push({ topic: 'customers', key: 'c2', value: 'bob-renamed', timestamp: base + 1_000 * (i + 1) + 500 });
  });
  return ev;
}
/** Expected join output per key, in order: each order meets the customer as of its timestamp. */
function expectedJoin(ev: Event[]): Map<string, string[]> {
  const table = new Map<string, string>();
  const out = new Map<string, string[]>();
  for (const e of [...ev].sort((a, b) => a.timestamp - b.timestamp)) {
    if (e.topic === 'customers') table.set(e.key, e.value);
    else if (table.has(e.key)) out.set(e.key, [...(out.get(e.key) ?? []), `${e.value}|${table.get(e.key)}`]);
  }
  return out;
}

const text = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('utf8'));
const longValue = (b: Uint8Array | null): number => {
  assert.ok(b !== null && b.length === 8, `a count is an 8-byte long, got ${b === null ? 'null' : `${b.length} bytes`}`);
  return Number(Buffer.from(b).readBigInt64BE(0));
};

/** Reads every record of `topic` from the start up to its current end offsets. */
async function readAll(bootstrap: string, admin: Admin, topic: string): Promise<Message[]> {
  const ends = await admin.listOffsets(topic, 'latest');
  const total = ends.reduce((n, e) => n + e.offset, 0);
  const consumer = new Consumer({ bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 200 });
  const out: Message[] = [];
  try {
    await consumer.assign([{ topic }]);
    if (total === 0) return out;
    await withDeadline(`reading ${total} records of ${topic}`, async () => {
      for await (const m of consumer) {
        out.push(m);
        if (out.length >= total) break;
      }
    });
  } finally {
    await consumer.close();
  }
  return out.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

async function withDeadline<T>(what: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${WAIT_MS} ms for ${what}`)), WAIT_MS);
  });
  try {
    return await Promise.race([run(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true, bounded by WAIT_MS; `describe` says what was last seen. */
async function until(what: string, check: () => Promise<boolean>, describe: () => string): Promise<void> {
  const startedMs = Date.now();
  while (!(await check())) {
    if (Date.now() - startedMs > WAIT_MS) throw new Error(`waited ${WAIT_MS} ms for ${what}; last seen: ${describe()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** EOF on stdin asks the app to close cleanly (commit, purge, leave); SIGKILL only past the bound. */
async function stopStreams(child: StreamsChild): Promise<number | null> {
  child.proc.stdin!.end();
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 60_000);
  });
  const r = await Promise.race([child.exited, killed]);
  clearTimeout(timer);
  if (r === 'timeout') {
    child.proc.kill('SIGKILL');
    await child.exited;
    throw new Error(`the Streams app did not exit within 60 s of EOF; states: ${child.states.join(' > ')}`);
  }
  return r;
}

for (const target of TARGETS) {
  test(`Kafka Streams: word count and a stream-table join against ${target}`, { skip: missing !== null && !required ? missing : false, timeout: 4 * WAIT_MS }, async (t) => {
    assert.equal(missing, null, `${missing} (SAMSA_INTEROP_REQUIRE=1)`);
    // Samsa in this process (the fastest start, for npm test); Kafka as the peer's JVM.
    const tb = target === 'samsa' ? await startTestBroker() : await startKafkaPeer().then((k) => ({ bootstrap: k.bootstrap, close: () => k.stop() }));
    const state = tempDir('samsa-streams-state-');
    const admin = new Admin({ bootstrap: tb.bootstrap });
    const producer = new Producer({ bootstrap: tb.bootstrap, allowAutoTopicCreation: false });
    const appId = `streams-${process.pid}-${Date.now()}`;
    const topics = {
      lines: `${appId}-lines`,
      counts: `${appId}-counts`,
      orders: `${appId}-orders`,
      customers: `${appId}-customers`,
      enriched: `${appId}-enriched`,
    };
    let child: StreamsChild | undefined;
    const failureContext = () => (child ? `\nStreams states: ${child.states.join(' > ')}\nStreams stderr (last lines):\n${child.stderrTail.slice(-60).join('\n')}` : '');
    try {
      await admin.createTopics([
        { name: topics.lines, numPartitions: 2 },
        { name: topics.counts, numPartitions: 2 },
        // A stream-table join needs co-partitioned inputs: the same partition count, keyed alike.
        { name: topics.orders, numPartitions: 3 },
        { name: topics.customers, numPartitions: 3 },
        { name: topics.enriched, numPartitions: 3 },
      ]);

      const expectedCounts = new Map<string, number>();
      const writeLines = async (lines: string[]) => {
        for (const l of lines) for (const w of words(l)) expectedCounts.set(w, (expectedCounts.get(w) ?? 0) + 1);
        await producer.send({ topic: topics.lines, messages: lines.map((value) => ({ key: null, value })) });
      };
      const base = Date.now() - 600_000;
      const events = joinInput(base);
      const writeEvents = async (list: Event[]) => {
        for (const e of list) await producer.send({ topic: topics[e.topic], messages: [{ key: e.key, value: e.value, timestamp: e.timestamp }] });
      };
      const expectedEnrichedCount = () => [...expectedJoin(events).values()].reduce((n, v) => n + v.length, 0);
      const repartition = `${appId}-words-repartition`;

      /** Runs the app on `stateDir` until the output holds everything expected so far, then stops it by EOF. */
      const runUntilComplete = async (stateDir: string, label: string) => {
        child = startStreams([
          '--bootstrap', tb.bootstrap,
          '--application-id', appId,
          '--state-dir', stateDir,
          '--lines', topics.lines,
          '--counts', topics.counts,
          '--orders', topics.orders,
          '--customers', topics.customers,
          '--enriched', topics.enriched,
          // Purge consumed repartition records promptly (default every 30 s), so the test sees DeleteRecords.
          '--config', 'repartition.purge.interval.ms=100',
        ]);
        const running = child;
        // The output topics from the start: every word's latest count and the number of joined records.
        const latestCount = new Map<string, number>();
        let enrichedSeen = 0;
        const wantEnriched = expectedEnrichedCount();
        const watcher = new Consumer({ bootstrap: tb.bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 200 });
        await watcher.assign([{ topic: topics.counts }, { topic: topics.enriched }]);
        const complete = () => enrichedSeen >= wantEnriched && [...expectedCounts].every(([w, n]) => latestCount.get(w) === n);
        try {
          await withDeadline(`the complete Streams output (${label})`, async () => {
            const appDied = running.exited.then((code) => {
              throw new Error(`the Streams app exited (code ${code}) before its output was complete`);
            });
            const read = (async () => {
              for await (const m of watcher) {
                if (m.topic === topics.counts) latestCount.set(text(m.key)!, longValue(m.value));
                else enrichedSeen++;
                if (complete()) return;
              }
            })();
            await Promise.race([read, appDied]);
          });
        } catch (e) {
          throw new Error(
            `${label}: ${(e as Error).message}; counts final for ${[...expectedCounts].filter(([w, n]) => latestCount.get(w) === n).length} of ${expectedCounts.size} words, ` +
              `${enrichedSeen} of ${wantEnriched} joined records${failureContext()}`,
          );
        } finally {
          await watcher.close();
        }

        // Streams purges what it has consumed from its repartition topic (DeleteRecords).
        let seen = '';
        await until(
          `DeleteRecords purging ${repartition} (${label})`,
          async () => {
            const [earliest, latest] = [await admin.listOffsets(repartition, 'earliest'), await admin.listOffsets(repartition, 'latest')];
            seen = JSON.stringify({ earliest, latest });
            return latest.some((p) => p.offset > 0) && latest.every((p, i) => earliest[i]!.offset === p.offset);
          },
          () => seen + failureContext(),
        );

        const code = await stopStreams(running);
        assert.equal(code, 0, `${label}: the Streams app exits 0 after EOF${failureContext()}`);
        assert.deepEqual(running.states.slice(-2), ['PENDING_SHUTDOWN', 'NOT_RUNNING'], failureContext());
        assert.ok(!running.states.some((s) => s.startsWith('error')), failureContext());
      };

      // Run 1: all input is in place before the app starts, so a join task sees both
      // sides and processes them in timestamp order (customers first, the rename between orders).
      await writeLines(makeLines(60, 7));
      await writeEvents(events);
      await runUntilComplete(state.dir, 'first run');

      // Run 2, on an empty state directory: the app must restore both stores from their
      // changelogs and resume at its committed offsets, or the counts and joins go wrong.
      await writeLines(makeLines(20, 11));
      const more: Event[] = [
        { topic: 'orders', key: 'c2', value: 'order-late-1', timestamp: base + 100_000 },
        { topic: 'orders', key: 'c4', value: 'order-late-2', timestamp: base + 101_000 },
        { topic: 'orders', key: 'c9', value: 'order-late-3', timestamp: base + 102_000 },
      ];
      events.push(...more);
      await writeEvents(more);
      const state2 = tempDir('samsa-streams-state-');
      try {
        await runUntilComplete(state2.dir, 'second run, empty state');
      } finally {
        state2.cleanup();
      }

      // The whole output, read after the app closed: exact counts, each word's updates
      // rising to its final count (no record counted twice across the restart), nothing
      // for words never written, and every join exactly once.
      const counts = await readAll(tb.bootstrap, admin, topics.counts);
      t.diagnostic(`${target}: ${counts.length} count updates for ${expectedCounts.size} words`);
      const history = new Map<string, number[]>();
      for (const m of counts) history.set(text(m.key)!, [...(history.get(text(m.key)!) ?? []), longValue(m.value)]);
      assert.deepEqual([...history.keys()].sort(), [...expectedCounts.keys()].sort());
      for (const [w, values] of history) {
        assert.equal(values.at(-1), expectedCounts.get(w), `final count of ${w}: ${values.join(',')}`);
        for (let i = 1; i < values.length; i++) assert.ok(values[i]! > values[i - 1]!, `counts of ${w} only rise: ${values.join(',')}`);
      }

      const enriched = await readAll(tb.bootstrap, admin, topics.enriched);
      const joined = new Map<string, string[]>();
      for (const m of enriched) joined.set(text(m.key)!, [...(joined.get(text(m.key)!) ?? []), text(m.value)!]);
      assert.deepEqual(
        Object.fromEntries([...joined].sort(([a], [b]) => a.localeCompare(b))),
        Object.fromEntries([...expectedJoin(events)].sort(([a], [b]) => a.localeCompare(b))),
      );

      // The internal topics Streams created through CreateTopics, with the configs it asked for.
      const [changelog, repart] = await admin.describeConfigs([
        { type: 'topic', name: `${appId}-word-counts-changelog`, keys: ['cleanup.policy'] },
        { type: 'topic', name: repartition, keys: ['cleanup.policy', 'retention.ms'] },
      ]);
      assert.equal(changelog!.configs.find((c) => c.name === 'cleanup.policy')?.value, 'compact');
      assert.equal(repart!.configs.find((c) => c.name === 'cleanup.policy')?.value, 'delete');
      assert.equal(repart!.configs.find((c) => c.name === 'retention.ms')?.value, '-1');
    } finally {
      if (child && child.proc.exitCode === null && child.proc.signalCode === null) {
        child.proc.kill('SIGKILL');
        await child.exited;
      }
      await producer.close();
      await admin.close();
      await tb.close();
      state.cleanup();
    }
  });
}
