// Samsa side by side with Apache Kafka 4.x, one run, same machine (run it with
// `bench/versus-kafka`). Three brokers, each its own process started here and stopped
// after its rows: Samsa with its defaults; Kafka with its shipped defaults and 1 GiB
// heap (scripts/kafka-peer.sh); Kafka with `log.flush.interval.messages=1` (every
// append fsynced before the ack: the only setting of a single Kafka node as durable as
// Samsa's acks=-1, which fdatasyncs before it acknowledges).
// For each record size: Kafka's own kafka-producer-perf-test / kafka-consumer-perf-test
// and `samsa bench all --against` (Samsa's client: produce, consume, then end-to-end
// latency at a fixed rate); start-up time to the first Metadata answered (from the
// broker process's own start time in /proc); RSS idle and peak under load; broker CPU
// over each row (utime+stime from /proc) and the client's CPU (its rusage, from the
// shell's `times`), so a row says which side was the limit.
// Writes bench/results/versus-kafka.json and prints the table docs/benchmarks.md holds.
// Owns: the matrix, the process orchestration and the accounting. Must not import the
// broker: both brokers are measured as separate processes, through their wire protocol.
//
// Usage: node dist/bench/versus-kafka.bench.js [--sizes 100,1024] [--records-100 N]
//          [--records-1024 N] [--latency-rate N] [--latency-s S] [--quick] [--out FILE]

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../src/client/index.js';
import { freePort } from './lib/broker-process.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100,1024' },
    'records-100': { type: 'string' },
    'records-1024': { type: 'string' },
    'latency-rate': { type: 'string', default: '10000' },
    'latency-s': { type: 'string', default: '10' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const REPO = new URL('../..', import.meta.url).pathname;
const KAFKA_PEER = join(REPO, 'scripts/kafka-peer.sh');
const SAMSA_CLI = new URL('../src/cli/main.js', import.meta.url).pathname;
const QUICK = args.quick === true;
const SIZES = args.sizes!.split(',').map((s) => Number(s));
const LATENCY_RATE = Number(args['latency-rate']);
const LATENCY_S = Number(args['latency-s']);
const CLK_TCK = 100;
/** How often RSS is sampled while a row runs (peak under load). */
const RSS_SAMPLE_MS = 200;
/** Each start-up probe attempt: connect + Metadata, then the next one. */
const PROBE_INTERVAL_MS = 5;
const STARTUP_TIMEOUT_MS = 180_000;
/** The idle RSS is read this long after the first Metadata answer (start-up work settles). */
const IDLE_SETTLE_MS = 3000;

for (const s of SIZES) if (!Number.isSafeInteger(s) || s < 8) throw new Error(`--sizes: ${s}`);

function recordsFor(size: number): number {
  const given = args[`records-${size}` as 'records-100'];
  if (given !== undefined) return Number(given);
  // About 200 MB for 100 B and 500 MB for 1 KiB: a few seconds a row at the rates measured here.
  const full = size <= 100 ? 2_000_000 : size <= 1024 ? 500_000 : Math.ceil(500_000_000 / size);
  return QUICK ? Math.ceil(full / 10) : full;
}

// ------------------------------------------------------------------ /proc

function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command (which may hold spaces) start after the last ')': rest[0] is field 3.
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

function cpuSec(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

function bootTimeMs(): number {
  const m = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  if (m === null) throw new Error('no btime in /proc/stat');
  return Number(m[1]) * 1000;
}

/** Wall-clock time the process started (10 ms resolution). */
function processStartMs(pid: number): number {
  return bootTimeMs() + (Number(statFields(pid)[19]) / CLK_TCK) * 1000;
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]) / 1024;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ------------------------------------------------------------------ brokers

interface Broker {
  name: 'samsa' | 'kafka' | 'kafka-flush1';
  bootstrap: string;
  pid: number;
  startupMs: number;
  idleRssMiB: number;
  peakRssMiB: number;
  stop: () => Promise<void>;
}

/** Polls Metadata until the broker answers with itself listed; returns when it did. */
async function firstMetadataMs(bootstrap: string, alive: () => boolean): Promise<number> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (!alive()) throw new Error(`the broker at ${bootstrap} exited during start-up`);
    if (Date.now() > deadline) throw new Error(`no Metadata from ${bootstrap} in ${STARTUP_TIMEOUT_MS} ms`);
    const admin = new Admin({ bootstrap, connectTimeoutMs: 1000, requestTimeoutMs: 2000 });
    try {
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0) return Date.now();
    } catch {
      // Not listening yet, or not ready to answer: try again.
    } finally {
      await admin.close().catch(() => undefined);
    }
    await sleep(PROBE_INTERVAL_MS);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
}

async function settle(b: Omit<Broker, 'idleRssMiB' | 'peakRssMiB'>): Promise<Broker> {
  await sleep(IDLE_SETTLE_MS);
  const idle = rssMiB(b.pid);
  console.log(`${b.name}: first Metadata ${b.startupMs} ms after its process started, idle RSS ${idle.toFixed(0)} MiB`);
  return { ...b, idleRssMiB: idle, peakRssMiB: idle };
}

async function startSamsa(): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-vs-'));
  const port = await freePort();
  const child = spawn(process.execPath, [SAMSA_CLI, 'serve', '--data-dir', dataDir, '--port', String(port), '--http-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const pid = child.pid!;
  const startedMs = processStartMs(pid);
  const bootstrap = `127.0.0.1:${port}`;
  const readyMs = await firstMetadataMs(bootstrap, () => child.exitCode === null);
  return settle({
    name: 'samsa',
    bootstrap,
    pid,
    startupMs: readyMs - startedMs,
    stop: async () => {
      child.kill('SIGTERM');
      await exited(child);
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

function runPeer(argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [KAFKA_PEER, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kafka-peer.sh ${argv[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function startKafka(name: 'kafka' | 'kafka-flush1', overrides: string[]): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), `samsa-vs-${name}-`));
  const started = runPeer(['start', '--dir', dir, ...overrides.flatMap((o) => ['--config-override', o])]);
  // kafka-peer.sh formats the storage (a JVM of its own), then starts the broker JVM and
  // writes its pid: start-up is timed from that JVM's start, as Samsa's from its node's.
  const pidFile = join(dir, 'node-1', 'pid');
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') {
    if (Date.now() > deadline) throw new Error(`${name}: no broker pid in ${STARTUP_TIMEOUT_MS} ms`);
    await sleep(PROBE_INTERVAL_MS);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const startedMs = processStartMs(pid);
  const props = readFileSync(join(dir, 'node-1', 'server.properties'), 'utf8');
  const m = /^listeners=PLAINTEXT:\/\/([^:]+):(\d+)/m.exec(props);
  if (m === null) throw new Error(`${name}: no PLAINTEXT listener in ${dir}/node-1/server.properties`);
  const bootstrap = `${m[1]}:${m[2]}`;
  const readyMs = await firstMetadataMs(bootstrap, () => existsSync(`/proc/${pid}`));
  await started;
  return settle({
    name,
    bootstrap,
    pid,
    startupMs: readyMs - startedMs,
    stop: async () => {
      await runPeer(['stop', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

// ------------------------------------------------------------------ clients

interface ClientRun {
  stdout: string;
  clientCpuSec: number;
  brokerCpuSec: number;
  wallSec: number;
}

/**
 * Runs one client to completion, with the broker's CPU over the same window, the
 * client's own CPU (bash's `times` prints its children's user and system time) and the
 * broker's RSS sampled for the peak.
 */
async function runClient(broker: Broker, cmd: string, argv: string[]): Promise<ClientRun> {
  const cpu0 = cpuSec(broker.pid);
  const t0 = performance.now();
  const sampler = setInterval(() => {
    try {
      broker.peakRssMiB = Math.max(broker.peakRssMiB, rssMiB(broker.pid));
    } catch {
      // The broker is gone: the client will fail and say so.
    }
  }, RSS_SAMPLE_MS);
  try {
    const out = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'client', cmd, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.length > 1 << 20) stderr = stderr.slice(-(1 << 16));
      });
      child.once('exit', (code) =>
        code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} ${argv.join(' ')} exited ${code}: ${stderr.slice(-3000)}`)),
      );
    });
    // `times`: the shell's own line, then its children's: "0m1.234s 0m0.056s".
    const lines = out.stderr.trim().split('\n');
    const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1]!.trim());
    const clientCpuSec = m === null ? NaN : Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
    return { stdout: out.stdout, clientCpuSec, brokerCpuSec: cpuSec(broker.pid) - cpu0, wallSec: (performance.now() - t0) / 1000 };
  } finally {
    clearInterval(sampler);
  }
}

interface Row {
  broker: Broker['name'];
  client: 'kafka-perf-test' | 'samsa-client';
  phase: 'produce' | 'consume' | 'latency';
  acks: number | null;
  recordBytes: number;
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** produce: ack latency (kafka-producer-perf-test, flat out); latency: end to end at a fixed rate. */
  latencyMs: { p50: number; p99: number; p999: number; max: number } | null;
  brokerCpuSec: number;
  clientCpuSec: number;
  wallSec: number;
}

const rows: Row[] = [];

async function createTopic(broker: Broker, topic: string): Promise<void> {
  const admin = new Admin({ bootstrap: broker.bootstrap });
  try {
    await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
  } finally {
    await admin.close();
  }
}

let topicSeq = 0;

async function kafkaProducerPerf(broker: Broker, size: number, acks: number): Promise<string> {
  const topic = `vs-perf-${size}-${acks === -1 ? 'all' : acks}-${++topicSeq}`;
  await createTopic(broker, topic);
  const records = recordsFor(size);
  const r = await runClient(broker, 'bash', [
    KAFKA_PEER, 'tool', 'producer-perf-test', '--topic', topic, '--num-records', String(records), '--record-size', String(size),
    '--throughput', '-1', '--producer-props', `bootstrap.servers=${broker.bootstrap}`, `acks=${acks}`,
  ]);
  // "N records sent, X records/sec (Y MB/sec), A ms avg latency, M ms max latency, P50 ms 50th, P95 ms 95th, P99 ms 99th, P999 ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), [\d.]+ ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, \d+ ms 95th, (\d+) ms 99th, (\d+) ms 99.9th/.exec(r.stdout);
  if (m === null) throw new Error(`unexpected producer-perf-test output: ${r.stdout.slice(-1000)}`);
  rows.push({
    broker: broker.name, client: 'kafka-perf-test', phase: 'produce', acks, recordBytes: size, records: Number(m[1]),
    recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]) * 1.048576, // its "MB" is MiB
    latencyMs: { p50: Number(m[5]), p99: Number(m[6]), p999: Number(m[7]), max: Number(m[4]) },
    brokerCpuSec: r.brokerCpuSec, clientCpuSec: r.clientCpuSec, wallSec: r.wallSec,
  });
  report(rows[rows.length - 1]!);
  return topic;
}

async function kafkaConsumerPerf(broker: Broker, size: number, topic: string): Promise<void> {
  const records = recordsFor(size);
  const r = await runClient(broker, 'bash', [
    KAFKA_PEER, 'tool', 'consumer-perf-test', '--bootstrap-server', broker.bootstrap, '--topic', topic, '--messages', String(records),
    '--timeout', '60000',
  ]);
  // Header then one line: start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec,
  // rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec. The fetch.* figures leave out
  // the group join (both brokers wait group.initial.rebalance.delay.ms, 3 s, for more members).
  const line = r.stdout.trim().split('\n').filter((l) => /^\d{4}-/.test(l)).pop();
  if (line === undefined) throw new Error(`unexpected consumer-perf-test output: ${r.stdout.slice(-1000)}`);
  const f = line.split(',').map((s) => s.trim());
  rows.push({
    broker: broker.name, client: 'kafka-perf-test', phase: 'consume', acks: null, recordBytes: size, records: Number(f[4]),
    recordsPerSec: Number(f[9]), mbPerSec: Number(f[8]) * 1.048576, latencyMs: null,
    brokerCpuSec: r.brokerCpuSec, clientCpuSec: r.clientCpuSec, wallSec: r.wallSec,
  });
  report(rows[rows.length - 1]!);
}

interface SamsaBenchReport {
  produce?: { records: number; recordsPerSec: number; mbPerSec: number };
  consume?: { records: number; recordsPerSec: number; mbPerSec: number; complete: boolean };
  latency?: { records: number; latencyUs: { p50: number; p99: number; p999: number; max: number } };
}

/** `samsa bench all`: produce, consume it back, then end-to-end latency at a fixed rate; one client process. */
async function samsaBench(broker: Broker, size: number, acks: number): Promise<void> {
  const records = recordsFor(size);
  const r = await runClient(broker, process.execPath, [
    SAMSA_CLI, 'bench', 'all', '--against', broker.bootstrap, '--records', String(records), '--record-bytes', String(size),
    '--acks', String(acks), '--rate', String(LATENCY_RATE), '--seconds', String(QUICK ? 3 : LATENCY_S), '--warmup', QUICK ? '1' : '3', '--json',
  ]);
  // --json prints one (indented) JSON object on stdout; nothing else goes there.
  const rep = JSON.parse(r.stdout.slice(r.stdout.search(/^\{/m))) as SamsaBenchReport;
  const base = { broker: broker.name, client: 'samsa-client' as const, recordBytes: size, brokerCpuSec: r.brokerCpuSec, clientCpuSec: r.clientCpuSec, wallSec: r.wallSec };
  // One process ran all three phases: its CPU and the broker's are for the three together.
  if (rep.produce) rows.push({ ...base, phase: 'produce', acks, records: rep.produce.records, recordsPerSec: rep.produce.recordsPerSec, mbPerSec: rep.produce.mbPerSec, latencyMs: null });
  // The read-back after the acks=-1 run reads the same kind of log as after acks=1: one consume row per size.
  if (rep.consume && acks === 1) rows.push({ ...base, phase: 'consume', acks: null, records: rep.consume.records, recordsPerSec: rep.consume.recordsPerSec, mbPerSec: rep.consume.mbPerSec, latencyMs: null });
  if (rep.latency) {
    const l = rep.latency.latencyUs;
    rows.push({
      ...base, phase: 'latency', acks, records: rep.latency.records, recordsPerSec: LATENCY_RATE, mbPerSec: (LATENCY_RATE * size) / 1e6,
      latencyMs: { p50: l.p50 / 1000, p99: l.p99 / 1000, p999: l.p999 / 1000, max: l.max / 1000 },
    });
  }
  for (const row of rows.slice(-3)) if (row.broker === broker.name && row.client === 'samsa-client' && row.acks !== undefined && row.wallSec === r.wallSec) report(row);
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function report(r: Row): void {
  const lat = r.latencyMs ? ` p50/p99/p99.9/max ${fmt(r.latencyMs.p50, 1)}/${fmt(r.latencyMs.p99, 1)}/${fmt(r.latencyMs.p999, 1)}/${fmt(r.latencyMs.max, 1)} ms` : '';
  console.log(
    `  ${r.broker.padEnd(12)} ${r.client.padEnd(15)} ${r.phase.padEnd(7)} acks=${String(r.acks ?? '-').padEnd(2)} ${r.recordBytes} B: ` +
      `${fmt(r.recordsPerSec)} rec/s ${fmt(r.mbPerSec, 1)} MB/s${lat}; broker ${fmt(r.brokerCpuSec, 2)} cpu-s, client ${fmt(r.clientCpuSec, 2)} cpu-s`,
  );
}

// ------------------------------------------------------------------ the run

/** The rows one broker serves: acks=1 and acks=-1 rows on the default brokers, acks=-1 only on the fsyncing Kafka. */
async function runBroker(broker: Broker): Promise<void> {
  for (const size of SIZES) {
    const ackSet = broker.name === 'kafka-flush1' ? [-1] : [1, -1];
    for (const acks of ackSet) {
      const topic = await kafkaProducerPerf(broker, size, acks);
      if (acks === 1) await kafkaConsumerPerf(broker, size, topic);
      await samsaBench(broker, size, acks);
    }
  }
}

const brokers: Array<Omit<Broker, 'stop'>> = [];
const machine = { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', loadavgStart: loadavg() };

const starters: Array<() => Promise<Broker>> = [
  () => startSamsa(),
  () => startKafka('kafka', []),
  () => startKafka('kafka-flush1', ['log.flush.interval.messages=1']),
];
for (const start of starters) {
  const broker = await start();
  try {
    await runBroker(broker);
  } finally {
    await broker.stop();
  }
  const { stop: _stop, ...kept } = broker;
  brokers.push(kept);
}

// ------------------------------------------------------------------ summary

type Key = Pick<Row, 'client' | 'phase' | 'acks' | 'recordBytes'>;
const find = (b: Broker['name'], k: Key): Row | undefined =>
  rows.find((r) => r.broker === b && r.client === k.client && r.phase === k.phase && r.acks === k.acks && r.recordBytes === k.recordBytes);

interface Comparison {
  row: string;
  durability: string;
  samsa: Row;
  kafka: Row;
  /** Samsa / Kafka records per second (throughput rows) or Kafka p99 / Samsa p99 (latency rows: > 1 is Samsa better). */
  ratio: number;
}

const comparisons: Comparison[] = [];
for (const r of rows.filter((x) => x.broker === 'samsa')) {
  const label = `${r.client} ${r.phase}${r.acks === null ? '' : ` acks=${r.acks}`} ${r.recordBytes} B`;
  const against: Array<[Broker['name'], string]> =
    r.acks === -1 ? [['kafka-flush1', 'equivalent: fsync before ack on both'], ['kafka', 'NOT equivalent: Kafka acks=-1 without fsync']] : [['kafka', r.acks === 1 ? 'equivalent: acks=1, no fsync' : 'reads']];
  for (const [kb, durability] of against) {
    const k = find(kb, r);
    if (k === undefined) continue;
    const ratio = r.phase === 'latency' ? k.latencyMs!.p99 / r.latencyMs!.p99 : r.recordsPerSec / k.recordsPerSec;
    comparisons.push({ row: `${label} vs ${kb}`, durability, samsa: r, kafka: k, ratio });
  }
}

console.log('\nSamsa / Kafka (throughput: records/s ratio; latency: Kafka p99 / Samsa p99, > 1 means Samsa is faster)');
for (const c of comparisons) console.log(`  ${c.row.padEnd(54)} ${fmt(c.ratio, 2).padStart(6)}×  ${c.durability}`);
const samsaB = brokers.find((b) => b.name === 'samsa')!;
for (const b of brokers) {
  console.log(`  ${b.name.padEnd(12)} start-up to first Metadata ${fmt(b.startupMs)} ms, RSS idle ${fmt(b.idleRssMiB)} MiB, peak under load ${fmt(b.peakRssMiB)} MiB`);
}
for (const b of brokers.filter((x) => x.name !== 'samsa')) {
  console.log(`  ${b.name}/samsa: start-up ${fmt(b.startupMs / samsaB.startupMs, 1)}×, idle RSS ${fmt(b.idleRssMiB / samsaB.idleRssMiB, 1)}×, peak RSS ${fmt(b.peakRssMiB / samsaB.peakRssMiB, 1)}×`);
}

const kafkaVersion = (await runPeer(['version'])).trim();
const out = args.out ?? join(REPO, 'bench/results/versus-kafka.json');
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify({ bench: 'versus-kafka', date: new Date().toISOString(), kafkaVersion, quick: QUICK, machine: { ...machine, loadavgEnd: loadavg() }, brokers, rows, comparisons: comparisons.map((c) => ({ row: c.row, durability: c.durability, ratio: c.ratio })) }, null, 2)}\n`,
);
console.log(`\nwrote ${out}`);
