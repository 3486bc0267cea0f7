// Partitions opened on first use, against a real `samsa serve` process and Samsa's
// client over TCP: after a clean stop the broker knows every partition's offsets
// from the summary written with the clean-shutdown marker and opens a partition only
// when a request needs its files. Proves that offsets (ListOffsets earliest/latest
// and by timestamp) and records are served exactly after a lazy open, that
// concurrent first requests to one partition (fetches, a produce, a timestamp
// lookup) all see one whole open, that a kill -9 with an unflushed, torn tail is
// recovered before anything is served (each partition then registered with the
// offsets its recovery found, and opened on first use), and that a summary is never
// trusted after an unclean stop. A second test drives the engine's other paths to a partition
// that is not open yet: delete, AlterConfigs, DescribeLogDirs, DescribeProducers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { SamsaEngine } from '../../src/broker/engine.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import type { Message } from '../../src/client/index.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/clean-shutdown.js';
import { collect, text } from '../client/helpers.js';
import { tempDir } from '../helpers/tmp.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const TOPIC = 'lazy';
const PARTITIONS = 24;
/** Records in partition p after the first run: 1..6, so every partition's offsets differ from its neighbour's. */
const recordsIn = (p: number): number => 1 + (p % 6);

interface Serve {
  child: ChildProcess;
  bootstrap: string;
  stderr: () => string;
  /** Everything the process printed (pino's JSON lines, the ready line) so far. */
  output: () => string;
}

async function serve(dataDir: string, env: Record<string, string> = {}): Promise<Serve> {
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dataDir, '--port', '0', '--http-port', '0', '--shards', '1', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('samsa ready '));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before ready: ${err}`)));
  });
  const m = /kafka=(\S+)/.exec(ready)!;
  return { child, bootstrap: m[1]!, stderr: () => err, output: () => out + err };
}

async function stop(s: Serve, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
  s.child.kill(signal);
  return exited;
}

function value(p: number, i: number): string {
  return `p${p}-r${i}`;
}

/** Every record of every partition from the log start, checked against `want(p)` values in order. */
async function checkAll(bootstrap: string, want: (p: number) => string[]): Promise<void> {
  const total = Array.from({ length: PARTITIONS }, (_, p) => want(p).length).reduce((a, b) => a + b, 0);
  const consumer = new Consumer({ bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 });
  try {
    await consumer.assign([{ topic: TOPIC }]);
    const got = await collect(consumer, total, 30_000);
    const byPartition = new Map<number, Message[]>();
    for (const m of got) {
      const list = byPartition.get(m.partition) ?? [];
      list.push(m);
      byPartition.set(m.partition, list);
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const list = byPartition.get(p) ?? [];
      assert.deepEqual(list.map((m) => text(m.value)), want(p), `partition ${p} records`);
      assert.deepEqual(list.map((m) => m.offset), want(p).map((_, i) => i), `partition ${p} offsets`);
    }
  } finally {
    await consumer.close();
  }
}

async function checkOffsets(admin: Admin, want: (p: number) => number): Promise<void> {
  const latest = await admin.listOffsets(TOPIC, 'latest');
  const earliest = await admin.listOffsets(TOPIC, 'earliest');
  for (let p = 0; p < PARTITIONS; p++) {
    assert.equal(latest.find((o) => o.partition === p)?.offset, want(p), `partition ${p} high watermark`);
    assert.equal(earliest.find((o) => o.partition === p)?.offset, 0, `partition ${p} log start`);
  }
}

/** The partition's active (newest) segment file. */
function activeLog(dataDir: string, p: number): string {
  const dir = join(dataDir, `${TOPIC}-${p}`);
  const logs = readdirSync(dir).filter((f) => f.endsWith('.log')).sort();
  return join(dir, logs[logs.length - 1]!);
}

test('partitions opened on first use serve exact offsets and records, also after a kill -9 with a torn tail', async () => {
  const { dir, cleanup } = tempDir('samsa-lazy-');
  let s: Serve | null = null;
  try {
    // Run 1: write a different number of records to each partition, stop cleanly.
    s = await serve(dir);
    let admin = new Admin({ bootstrap: s.bootstrap });
    await admin.createTopics([{ name: TOPIC, numPartitions: PARTITIONS }]);
    let producer = new Producer({ bootstrap: s.bootstrap, acks: -1, lingerMs: 1 });
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: recordsIn(p) }, (_, i) => ({ value: value(p, i), partition: p })) });
    }
    await producer.close();
    await admin.close();
    assert.equal(await stop(s, 'SIGTERM'), 0);
    s = null;
    const marker = readFileSync(join(dir, CLEAN_SHUTDOWN_FILE), 'utf8');
    assert.ok(marker.includes(`"${TOPIC}"`), 'the clean-shutdown marker carries the offsets summary');

    // Run 2, nothing opened in the background: offsets come from the summary; then
    // concurrent first requests to one partition: three fetches, a produce and a
    // timestamp lookup, all sent before any of them is answered.
    s = await serve(dir, { SAMSA_BACKGROUND_OPEN: '0' });
    admin = new Admin({ bootstrap: s.bootstrap });
    await checkOffsets(admin, recordsIn);
    const hot = 5;
    const before = recordsIn(hot);
    const consumers = Array.from({ length: 3 }, () => new Consumer({ bootstrap: s!.bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 }));
    await Promise.all(consumers.map((c) => c.assign([{ topic: TOPIC, partition: hot }])));
    producer = new Producer({ bootstrap: s.bootstrap, acks: -1, lingerMs: 1 });
    const [sent, byTime, ...seen] = await Promise.all([
      producer.send({ topic: TOPIC, messages: [{ value: value(hot, before), partition: hot }] }),
      admin.listOffsets(TOPIC, { timestamp: 0 }, [hot]),
      ...consumers.map((c) => collect(c, before + 1, 30_000)),
    ]);
    assert.equal(sent[0]!.offset, before, 'the produce continued at the high watermark the summary gave');
    assert.equal(byTime[0]!.offset, 0, 'a timestamp lookup opened the partition and found its first record');
    for (const got of seen) {
      assert.deepEqual(got.map((m) => text(m.value)), Array.from({ length: before + 1 }, (_, i) => value(hot, i)));
      assert.deepEqual(got.map((m) => m.offset), Array.from({ length: before + 1 }, (_, i) => i));
    }
    await Promise.all(consumers.map((c) => c.close()));
    const afterHot = (p: number): number => recordsIn(p) + (p === hot ? 1 : 0);
    await checkAll(s.bootstrap, (p) => Array.from({ length: afterHot(p) }, (_, i) => value(p, i)));
    await checkOffsets(admin, afterHot);

    // Then an unflushed tail (acks=1: written, never fdatasynced) on every partition, and kill -9.
    await producer.close();
    producer = new Producer({ bootstrap: s.bootstrap, acks: 1, lingerMs: 1 });
    for (let p = 0; p < PARTITIONS; p++) {
      await producer.send({ topic: TOPIC, messages: [{ value: value(p, afterHot(p)), partition: p }] });
    }
    await producer.close();
    await admin.close();
    await stop(s, 'SIGKILL');
    s = null;
    assert.equal(existsSync(join(dir, CLEAN_SHUTDOWN_FILE)), false, 'no marker, so no summary, after kill -9');
    // A torn write at the end of two partitions' active segments: recovery must cut it.
    for (const p of [0, hot]) appendFileSync(activeLog(dir, p), Buffer.from('torn write, not a record batch'));

    // Run 3, unclean: every partition is recovered before anything is served.
    const afterKill = (p: number): number => afterHot(p) + 1;
    s = await serve(dir, { SAMSA_BACKGROUND_OPEN: '0' });
    // Recovery runs several partitions per pool task: each cut is still reported under its own partition.
    const cuts = s.output().split('\n').flatMap((l) => {
      try {
        const j = JSON.parse(l) as { partition?: number; msg?: string };
        return j.msg?.includes('truncated at position') === true ? [j] : [];
      } catch {
        return [];
      }
    });
    assert.deepEqual(cuts.map((c) => c.partition).sort((a, b) => a! - b!), [0, hot], 'one cut reported per torn partition');
    for (const c of cuts) assert.ok(c.msg!.includes(`/${basename(dirname(activeLog(dir, c.partition!)))}/`), `the cut of partition ${c.partition} names its own directory`);
    admin = new Admin({ bootstrap: s.bootstrap });
    await checkOffsets(admin, afterKill);
    await checkAll(s.bootstrap, (p) => Array.from({ length: afterKill(p) }, (_, i) => value(p, i)));
    producer = new Producer({ bootstrap: s.bootstrap, acks: -1, lingerMs: 1 });
    const [appended] = await producer.send({ topic: TOPIC, messages: [{ value: value(0, afterKill(0)), partition: 0 }] });
    assert.equal(appended!.offset, afterKill(0), 'partition 0 appends after its recovered tail');
    // Recovery showed each partition's offsets (no transactions here), so each was
    // registered with them and opened on first use: the open found the same.
    assert.equal(s.output().includes('offsets summary differed from the log'), false, 'recovered offsets matched the opened logs');
    await producer.close();
    await admin.close();
    assert.equal(await stop(s, 'SIGTERM'), 0);
    s = null;

    // Run 4, clean again, partitions opened in the background too: the same answers.
    const final = (p: number): number => afterKill(p) + (p === 0 ? 1 : 0);
    s = await serve(dir);
    admin = new Admin({ bootstrap: s.bootstrap });
    await checkOffsets(admin, final);
    await checkAll(s.bootstrap, (p) => Array.from({ length: final(p) }, (_, i) => value(p, i)));
    await admin.close();
    assert.equal(await stop(s, 'SIGTERM'), 0);
    s = null;
  } finally {
    if (s !== null) await stop(s, 'SIGKILL');
    cleanup();
  }
});

test('delete, AlterConfigs, DescribeLogDirs and DescribeProducers reach partitions not opened yet', async () => {
  const { dir, cleanup } = tempDir('samsa-lazy-');
  const opts = { dataDir: dir, shards: 1, pin: false, backgroundOpen: false };
  let engine = await SamsaEngine.start(opts);
  try {
    for (const t of ['gone', 'cfg', 'sized']) {
      await engine.createTopic(t, 2);
      for (let p = 0; p < 2; p++) assert.equal((await engine.append(t, p, encodeRecordBatch([{ value: `${t}-${p}` }]), -1)).errorCode, ErrorCode.NONE);
    }
    await engine.close();

    engine = await SamsaEngine.start(opts);
    // Offsets known without opening.
    assert.deepEqual(engine.offsets('sized', 1), { errorCode: 0, logStartOffset: 0, highWatermark: 1, lastStableOffset: 1 });
    // Delete a topic none of whose partitions was opened: its directories go.
    await engine.deleteTopic('gone');
    assert.equal(existsSync(join(dir, 'gone-0')) || existsSync(join(dir, 'gone-1')), false, 'partition directories removed');
    // AlterConfigs before first use: the open applies it (segments roll at 1 KiB).
    await engine.alterTopicConfig('cfg', { 'segment.bytes': 1024 });
    for (let i = 0; i < 8; i++) assert.equal((await engine.append('cfg', 0, encodeRecordBatch([{ value: 'x'.repeat(300) }]), 1)).errorCode, ErrorCode.NONE);
    assert.ok(readdirSync(join(dir, 'cfg-0')).filter((f) => f.endsWith('.log')).length > 1, 'the new segment.bytes applied');
    // DescribeProducers and a timestamp lookup on a partition not open yet.
    assert.equal((await engine.describeProducers('sized', 0)).errorCode, ErrorCode.NONE);
    assert.equal((await engine.listOffset('sized', 1, 0)).offset, 0);
    // DescribeLogDirs sizes every partition, opened or not.
    const sizes = (await engine.logDir()).partitions;
    for (const t of ['cfg', 'sized']) {
      for (let p = 0; p < 2; p++) assert.ok((sizes.find((s) => s.topic === t && s.partition === p)?.sizeBytes ?? 0) > 0, `${t}-${p} sized`);
    }
    assert.equal(sizes.some((s) => s.topic === 'gone'), false);
    await engine.close();

    engine = await SamsaEngine.start(opts);
    assert.equal(engine.describeTopic('gone'), undefined);
    assert.deepEqual(engine.offsets('cfg', 0), { errorCode: 0, logStartOffset: 0, highWatermark: 9, lastStableOffset: 9 });
    assert.equal((await engine.read('cfg', 0, 0, 1 << 20)).errorCode, ErrorCode.NONE);
    await engine.close();

    // A partition that cannot be opened (its directory replaced by a file) fails its
    // own requests, not the start, and again after the next clean stop.
    rmSync(join(dir, 'sized-1'), { recursive: true });
    writeFileSync(join(dir, 'sized-1'), 'not a directory');
    for (let run = 0; run < 2; run++) {
      engine = await SamsaEngine.start(opts);
      assert.notEqual((await engine.append('sized', 1, encodeRecordBatch([{ value: 'x' }]), 1)).errorCode, ErrorCode.NONE);
      assert.equal((await engine.append('sized', 0, encodeRecordBatch([{ value: 'x' }]), 1)).baseOffset, 1 + run);
      await engine.close();
    }
    engine = await SamsaEngine.start(opts);
  } finally {
    await engine.close();
    cleanup();
  }
});
