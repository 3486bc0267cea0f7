// Test helpers for the mirror tests: `samsa mirror` as a child process (to kill it
// with SIGKILL), reading a whole topic back per partition, producing a numbered
// stream in the background, waiting for a condition, and a member of a KIP-848
// consumer-protocol group (@platformatic/kafka) that reads and commits. Owns: test-only code.

import { type ChildProcess, spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { Consumer as PlatformaticConsumer } from '@platformatic/kafka';
import { Admin, Consumer, type Message, Producer } from '../../src/client/index.js';
import { CLI } from '../cli/cli-helpers.js';

export interface MirrorChild {
  child: ChildProcess;
  /** The ready line's fields (name, partitions, metrics URL when --http-port was given). */
  ready: Promise<Record<string, string>>;
  /** Resolves with the exit code (null after a signal) and stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  stderr(): string;
}

/**
 * Starts `samsa mirror ...args`; `ready` resolves on its ready line. The child is
 * killed (SIGKILL) after `timeoutMs`, so a mirror that never finishes fails the
 * test with its stderr instead of hanging it.
 */
export function startMirrorCli(args: readonly string[], timeoutMs = 180_000): MirrorChild {
  const child = spawn(process.execPath, [CLI, 'mirror', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  let stdout = '';
  let stderr = '';
  let onReady: (f: Record<string, string>) => void;
  let onFail: (e: Error) => void;
  const ready = new Promise<Record<string, string>>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    const line = /^samsa mirror ready (.*)$/m.exec(stdout);
    if (line !== null) onReady(Object.fromEntries(line[1]!.split(' ').map((kv) => kv.split('=', 2) as [string, string])));
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      onFail(new Error(`samsa mirror exited (${code ?? signal}) before its ready line; stderr: ${stderr}`));
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, ready, exited, stderr: () => stderr };
}

/** Polls `check` every `everyMs` until it returns true; fails after `timeoutMs` naming `what`. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Sum of a topic's end offsets. */
export async function endTotal(admin: Admin, topic: string): Promise<number> {
  return (await admin.listOffsets(topic, 'latest')).reduce((n, p) => n + p.offset, 0);
}

export interface StoredRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
  headers: Array<[string, string | null]>;
}

const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());

function stored(m: Message): StoredRecord {
  return { offset: m.offset, key: text(m.key), value: text(m.value), timestamp: m.timestamp, headers: m.headers.map((h) => [h.key, text(h.value)]) };
}

/** Every record of every partition of `topic` from `from` (default the log start) up to the end offsets as of the call. */
export async function readAll(bootstrap: string, topic: string, from: Map<number, number> = new Map(), timeoutMs = 60_000): Promise<Map<number, StoredRecord[]>> {
  const admin = new Admin({ bootstrap });
  const ends = await admin.listOffsets(topic, 'latest');
  const starts = await admin.listOffsets(topic, 'earliest');
  await admin.close();
  const out = new Map<number, StoredRecord[]>();
  const consumer = new Consumer({ bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 });
  const want = new Map<number, number>();
  for (const e of ends) {
    out.set(e.partition, []);
    const start = from.get(e.partition) ?? starts.find((s) => s.partition === e.partition)!.offset;
    if (e.offset > start) want.set(e.partition, e.offset);
  }
  if (want.size === 0) return out;
  await consumer.assign([...want.keys()].map((partition) => ({ topic, partition })));
  for (const p of want.keys()) await consumer.seek(topic, p, from.get(p) ?? starts.find((s) => s.partition === p)!.offset);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`reading ${topic} took over ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        for await (const m of consumer) {
          if (m.offset < want.get(m.partition)!) out.get(m.partition)!.push(stored(m));
          if ([...want].every(([p, end]) => consumer.position(topic, p) >= end)) break;
        }
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.close();
  }
  return out;
}

/**
 * Produces numbered records (`n-<i>`, key `k-<i % 97>`, a header, an explicit
 * timestamp an hour back, not "now") in batches until stop() is called, waiting for
 * each batch's acks. Not older: Kafka's time retention (7 days by default) goes by
 * record timestamps and would delete copied records behind the test's back.
 */
export function produceStream(bootstrap: string, topic: string, batch = 200): { stop(): Promise<number>; produced(): number } {
  const producer = new Producer({ bootstrap, lingerMs: 2 });
  let n = 0;
  let stopping = false;
  const baseMs = Date.now() - 3_600_000;
  const loop = (async () => {
    while (!stopping) {
      const messages = Array.from({ length: batch }, (_, j) => {
        const i = n + j;
        return { key: i % 13 === 0 ? null : `k-${i % 97}`, value: `n-${i}`, headers: [{ key: 'seq', value: String(i) }, { key: 'src', value: null }], timestamp: baseMs + i };
      });
      await producer.send({ topic, messages });
      n += batch;
    }
  })();
  return {
    produced: () => n,
    async stop() {
      stopping = true;
      await loop;
      await producer.close();
      return n;
    },
  };
}

/**
 * Reads `count` records as the only member of a consumer-protocol group, then commits
 * the next offset of each of the topic's `partitions` (0 where it read nothing, so no
 * partition falls back to the earliest offset later) and leaves.
 */
export async function consumeWithConsumerProtocol(bootstrap: string, groupId: string, topic: string, partitions: number, count: number): Promise<{ values: string[]; next: Map<number, number> }> {
  const consumer = new PlatformaticConsumer({ clientId: 'mirror-848', bootstrapBrokers: bootstrap.split(','), groupId, groupProtocol: 'consumer', groupRemoteAssignor: 'range', rebalanceTimeout: 60_000 });
  const values: string[] = [];
  const next = new Map<number, number>();
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 200 });
    try {
      for await (const m of stream) {
        values.push(String(m.value));
        next.set(m.partition, Number(m.offset) + 1);
        if (values.length >= count) break;
      }
      // The broker holds a consumer-protocol group (Admin.describeGroup asks ConsumerGroupDescribe at its coordinator).
      const admin = new Admin({ bootstrap });
      try {
        const d = await admin.describeGroup(groupId);
        assert.deepEqual([d.protocolType, d.members], ['consumer', 1], `${groupId} is a consumer-protocol group with one member: ${JSON.stringify(d)}`);
      } finally {
        await admin.close();
      }
      for (let p = 0; p < partitions; p++) if (!next.has(p)) next.set(p, 0);
      await consumer.commit({ offsets: [...next].map(([partition, offset]) => ({ topic, partition, offset: BigInt(offset), leaderEpoch: -1 })) });
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close(true);
  }
  return { values, next };
}
