// `samsa produce` and `samsa consume` as child processes against a broker started
// in this process: keys (-K) and headers (-H) from stdin, read back with -e and a
// format string (exact output); from an offset, the last N, a timestamp (s@);
// -c; --json; a file; follow mode ended by SIGINT (output flushed, exit 0); bad
// usage → 2; unreachable broker → 1.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import { tempDir } from '../helpers/tmp.js';
import { CLI, isOneErrorLine, runCli } from './cli-helpers.js';

let broker: Broker;
let b: string[];

before(async () => {
  broker = await startBroker({ port: 0, 'http.port': 0 });
  b = ['-b', `127.0.0.1:${broker.kafkaPort}`];
});

after(async () => {
  await broker.close();
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('produce keys and headers from stdin, then consume -e with a format string', async () => {
  const c = await runCli(['topics', 'create', 'cli-kv', '-p', '1', ...b]);
  assert.equal(c.code, 0, c.stderr);
  const p = await runCli(['produce', 'cli-kv', '-K', ':', '-H', 'source=cli', '-H', 'n=1', ...b], { input: 'k1:hello\nk2:wor:ld\nnokey\n\nk3:\n' });
  assert.equal(p.code, 0, p.stderr);
  assert.equal(p.stdout, '');
  assert.equal(p.stderr, 'produced 4 records to cli-kv: partition 0 offsets 0-3\n');

  const r = await runCli(['consume', 'cli-kv', '-e', '-f', '%t|%p|%o|%k|%s|%h|%K|%S\\n', ...b]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(
    r.stdout,
    ['cli-kv|0|0|k1|hello|source=cli,n=1|2|5', 'cli-kv|0|1|k2|wor:ld|source=cli,n=1|2|6', 'cli-kv|0|2||nokey|source=cli,n=1|-1|5', 'cli-kv|0|3|k3||source=cli,n=1|2|0', ''].join('\n'),
  );

  // Default format: the value and a newline. %T is a plausible CreateTime.
  const plain = await runCli(['consume', 'cli-kv', '-e', ...b]);
  assert.equal(plain.stdout, 'hello\nwor:ld\nnokey\n\n');
  const ts = await runCli(['consume', 'cli-kv', '-e', '-c', '1', '-f', '%T', ...b]);
  assert.ok(Math.abs(Number(ts.stdout) - Date.now()) < 60_000, ts.stdout);
});

test('keys pick partitions like Kafka (murmur2); -p forces one; consume one partition', async () => {
  const c = await runCli(['topics', 'create', 'cli-parts', '-p', '3', ...b]);
  assert.equal(c.code, 0, c.stderr);
  const lines = Array.from({ length: 30 }, (_, i) => `key${i}\tv${i}`).join('\n');
  const p = await runCli(['produce', 'cli-parts', '-K', '\\t', ...b], { input: `${lines}\n` });
  assert.equal(p.code, 0, p.stderr);
  assert.match(p.stderr, /^produced 30 records to cli-parts: partition 0 offsets 0-\d+, partition 1 offsets 0-\d+, partition 2 offsets 0-\d+\n$/);
  const all = await runCli(['consume', 'cli-parts', '-e', '-f', '%p %k %s\\n', ...b]);
  assert.equal(all.code, 0, all.stderr);
  const got = all.stdout.trim().split('\n');
  assert.equal(got.length, 30);
  // The same key always lands on the same partition.
  for (const line of got) {
    const [part, key, value] = line.split(' ');
    assert.equal(value, `v${key!.slice(3)}`);
    assert.match(part!, /^[012]$/);
  }
  const forced = await runCli(['produce', 'cli-parts', '-p', '2', ...b], { input: 'x\ny\n' });
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /^produced 2 records to cli-parts: partition 2 offsets (\d+)-(\d+)\n$/);
  const p2 = await runCli(['consume', 'cli-parts', '-p', '2', '-o', '-2', '-e', ...b]);
  assert.equal(p2.stdout, 'x\ny\n');
  const bad = await runCli(['consume', 'cli-parts', '-p', '9', '-e', ...b]);
  assert.equal(bad.code, 1);
  assert.ok(isOneErrorLine(bad.stderr), bad.stderr);
});

test('consume from an offset, the last N, a timestamp (s@), the end; -c; --json; offsets', async () => {
  const c = await runCli(['topics', 'create', 'cli-seek', ...b]);
  assert.equal(c.code, 0, c.stderr);
  const first = await runCli(['produce', 'cli-seek', ...b], { input: 'a\nb\nc\n' });
  assert.equal(first.code, 0, first.stderr);
  await sleep(30);
  const middle = Date.now();
  await sleep(30);
  const second = await runCli(['produce', 'cli-seek', '--acks', '1', '-z', 'gzip', ...b], { input: 'd\ne' });
  assert.equal(second.code, 0, second.stderr);
  assert.equal(second.stderr, 'produced 2 records to cli-seek: partition 0 offsets 3-4\n');

  const [fromOffset, tail, byTime, atEnd, counted, json] = await Promise.all([
    runCli(['consume', 'cli-seek', '-e', '-o', '2', '-f', '%o:%s\\n', ...b]),
    runCli(['consume', 'cli-seek', '-e', '-o', '-3', '-f', '%o:%s\\n', ...b]),
    runCli(['consume', 'cli-seek', '-e', '-o', `s@${middle}`, '-f', '%o:%s\\n', ...b]),
    runCli(['consume', 'cli-seek', '-e', '-o', 'end', ...b]),
    runCli(['consume', 'cli-seek', '-c', '2', ...b]),
    runCli(['consume', 'cli-seek', '-e', '-o', '4', '--json', ...b]),
  ]);
  assert.equal(fromOffset.stdout, '2:c\n3:d\n4:e\n');
  assert.equal(tail.stdout, '2:c\n3:d\n4:e\n');
  assert.equal(byTime.stdout, '3:d\n4:e\n');
  assert.equal(atEnd.code, 0, atEnd.stderr);
  assert.equal(atEnd.stdout, '');
  assert.equal(counted.code, 0, counted.stderr);
  assert.equal(counted.stdout, 'a\nb\n');
  const rec = JSON.parse(json.stdout) as Record<string, unknown>;
  assert.deepEqual({ ...rec, timestamp: 0 }, { topic: 'cli-seek', partition: 0, offset: 4, timestamp: 0, key: null, value: 'e', headers: [] });

  const [latest, earliest, atTime, asJson, none] = await Promise.all([
    runCli(['offsets', 'cli-seek', ...b]),
    runCli(['offsets', 'cli-seek', '--time', 'earliest', ...b]),
    runCli(['offsets', 'cli-seek', '--time', String(middle), '-p', '0', ...b]),
    runCli(['offsets', 'cli-seek', '--json', ...b]),
    runCli(['offsets', 'cli-seek', '--time', String(Date.now() + 3_600_000), ...b]),
  ]);
  assert.equal(latest.stdout, '0\t5\n');
  assert.equal(earliest.stdout, '0\t0\n');
  assert.equal(atTime.stdout, '0\t3\n');
  assert.deepEqual(JSON.parse(asJson.stdout), { topic: 'cli-seek', time: 'latest', partitions: [{ partition: 0, offset: 5 }] });
  assert.equal(none.stdout, '0\t-1\n');
  const noPart = await runCli(['offsets', 'cli-seek', '-p', '3', ...b]);
  assert.equal(noPart.code, 1);
  assert.ok(isOneErrorLine(noPart.stderr), noPart.stderr);
});

test('produce from a file (-f), streamed in many chunks, and read back whole', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const file = join(dir, 'lines.txt');
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => `line-${i}-${'x'.repeat(i % 50)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const c = await runCli(['topics', 'create', 'cli-file', ...b]);
    assert.equal(c.code, 0, c.stderr);
    const p = await runCli(['produce', 'cli-file', '-f', file, '--acks', '1', '-z', 'lz4', ...b], { timeoutMs: 30_000 });
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stderr, `produced ${n} records to cli-file: partition 0 offsets 0-${n - 1}\n`);
    const r = await runCli(['consume', 'cli-file', '-e', ...b], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${lines.join('\n')}\n`);
  } finally {
    cleanup();
  }
});

test('consume follows new records until SIGINT, then flushes and exits 0', async () => {
  const c = await runCli(['topics', 'create', 'cli-follow', ...b]);
  assert.equal(c.code, 0, c.stderr);
  const child = spawn(process.execPath, [CLI, 'consume', 'cli-follow', '-o', 'end', '-f', '%o=%s\\n', ...b], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  try {
    // Produce until the follower has printed both records (it may start after the first produce).
    for (let i = 0; i < 100 && !out.includes('=live2\n'); i++) {
      if (i % 20 === 0) {
        const p = await runCli(['produce', 'cli-follow', ...b], { input: 'live1\nlive2\n' });
        assert.equal(p.code, 0, p.stderr);
      }
      await sleep(100);
    }
    assert.match(out, /^\d+=live1\n\d+=live2\n/);
    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    assert.equal(err, '');
  } finally {
    child.kill('SIGKILL');
  }
});

test('produce/consume: bad usage exits 2, an unreachable broker exits 1, each with one line', async () => {
  const usage = await Promise.all([
    runCli(['produce', ...b]),
    runCli(['produce', 't', '--acks', '2', ...b]),
    runCli(['produce', 't', '-z', 'brotli', ...b]),
    runCli(['produce', 't', '-H', 'novalue', ...b]),
    runCli(['produce', 't', '-f', '/no/such/file', ...b]),
    runCli(['consume', 't', '-o', 'yesterday', ...b]),
    runCli(['consume', 't', '-f', '%q', ...b]),
    runCli(['consume', 't', '-c', '0', ...b]),
    runCli(['offsets', ...b]),
  ]);
  for (const r of usage) {
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneErrorLine(r.stderr), JSON.stringify(r.stderr));
  }
  const down = await Promise.all([
    runCli(['produce', 't', '-b', '127.0.0.1:1'], { input: 'x\n' }),
    runCli(['consume', 't', '-b', '127.0.0.1:1']),
    runCli(['offsets', 't', '-b', '127.0.0.1:1']),
  ]);
  for (const r of down) {
    assert.equal(r.code, 1, r.stderr);
    assert.ok(isOneErrorLine(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /^samsa: cannot connect to 127\.0\.0\.1:1: /);
  }
  const unknown = await runCli(['consume', 'cli-no-such-topic', '-e', ...b]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
});
