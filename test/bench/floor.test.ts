// bench/floor: the C load and relays behind floor.bench.ts deliver every message, and
// floor.c's Kafka client (Produce v7, Fetch v11, written by hand) round-trips records
// through a real broker. Nothing here asserts on time: the latencies are the bench's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { startBroker } from '../../src/index.js';

const sourceRoot = new URL('../../../', import.meta.url).pathname;
const built = spawnSync('bash', [`${sourceRoot}bench/floor/build.sh`], { encoding: 'utf8' });
const floor = built.stdout.trim();
const RATE = 2000;
const RECORDS = 600;

interface FloorJson { received: number; sent: number; latencyUs: { count: number; p50: number } }

/** Runs floor.c without blocking this process's event loop (it may host the broker). */
function runFloorRaw(argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(floor, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    }),
  );
}

async function runFloor(argv: string[]): Promise<FloorJson> {
  const r = await runFloorRaw(argv);
  assert.equal(r.status, 0, `floor ${argv.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as FloorJson;
}

async function withRelay(cmd: string, argv: string[], body: (port: number) => Promise<void>): Promise<void> {
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening port=(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code}`)));
    });
    await body(port);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

test('floor.c builds with gcc', () => {
  assert.equal(built.status, 0, built.stderr);
});

for (const [name, cmd, argv] of [
  ['the C relay', floor, ['relay', '--port', '0']],
  ['the Node relay', process.execPath, [new URL('../../bench/floor/relay.js', import.meta.url).pathname]],
] as const) {
  test(`floor latency through ${name} receives every message once`, async () => {
    await withRelay(cmd, [...argv], async (port) => {
      const j = await runFloor(['latency', '--connect', `127.0.0.1:${port}`, '--rate', String(RATE), '--records', String(RECORDS), '--warmup-records', '100']);
      assert.equal(j.sent, RECORDS);
      assert.equal(j.received, RECORDS);
      assert.equal(j.latencyUs.count, RECORDS - 100);
    });
  });
}

test('floor kafka produces and fetches every record through a broker, and the log holds them', async () => {
  const broker = await startBroker({ shards: 1 });
  try {
    await broker.engine.createTopic('floor', 1);
    const j = await runFloor(['kafka', '--bootstrap', `127.0.0.1:${broker.kafkaPort}`, '--topic', 'floor', '--rate', String(RATE), '--records', String(RECORDS), '--warmup-records', '100']);
    assert.equal(j.received, RECORDS);
    assert.equal(j.latencyUs.count, RECORDS - 100);
    // One record per Produce: the high watermark counts them.
    assert.equal(broker.engine.offsets('floor', 0).highWatermark, RECORDS);
  } finally {
    await broker.close();
  }
});

test('floor kafka exits non-zero when the broker refuses its records (a batch over max.message.bytes)', async () => {
  const broker = await startBroker({ shards: 1 });
  try {
    await broker.engine.createTopic('small', 1, { 'max.message.bytes': 64 });
    const r = await runFloorRaw(['kafka', '--bootstrap', `127.0.0.1:${broker.kafkaPort}`, '--topic', 'small', '--rate', '100', '--records', '10']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /produce error code 10\b/); // MESSAGE_TOO_LARGE
  } finally {
    await broker.close();
  }
});
