// Cross-process broker benchmark: Samsa runs as its own process (`samsa serve`,
// default config, temp data dir, free ports) and native librdkafka load generators
// (bench/rdkafka/loadgen.c) run as other processes, so what is measured is the
// broker, with the CPU of each side counted separately: broker CPU from
// /proc/<pid>/stat (utime+stime, every thread), client CPU from each loadgen's own
// getrusage, machine CPU from /proc/stat, all over the same window. Every produce
// phase writes a fresh topic; consume phases read it back from the beginning.
// Prints a table and writes bench/results/cross-process.json.
// Owns: the phase matrix, process orchestration and CPU accounting. Must not import
// the broker (it measures a separate process, Samsa or any other).
//
// Usage: node dist/bench/cross-process.bench.js [--full] [--acks=1,-1] [--sizes 100,1024,16384]
//          [--partitions 1,8] [--procs 1,2] [--fetch-bytes 1048576,8388608] [--scale F]
//          [--records-100 N --records-1024 N --records-16384 N] [--no-consume]
//          [--against HOST:PORT --broker-pid PID] [--cpu-prof DIR] [--loadgen PATH] [--out FILE]
//          [--repeat N]: the whole matrix N times; the summary is the median of each row
//          [--broker-cli PATH]: serve with another build's dist/src/cli/main.js (A/B runs)
//          [--nice=N]: run the broker and the loadgens at this nice value (e.g. -10, as
//          root) so other work on a shared machine takes less of the measurement's CPU
//        (SAMSA_BENCH_QUICK=1: a quarter of the default volume)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../src/client/index.js';

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    acks: { type: 'string' },
    sizes: { type: 'string' },
    partitions: { type: 'string' },
    procs: { type: 'string' },
    'fetch-bytes': { type: 'string' },
    scale: { type: 'string' },
    'records-100': { type: 'string' },
    'records-1024': { type: 'string' },
    'records-16384': { type: 'string' },
    'no-consume': { type: 'boolean', default: false },
    against: { type: 'string' },
    'broker-pid': { type: 'string' },
    'cpu-prof': { type: 'string' },
    loadgen: { type: 'string' },
    nice: { type: 'string' },
    'broker-cli': { type: 'string' },
    repeat: { type: 'string' },
    out: { type: 'string' },
  },
});

function list(value: string | undefined, fallback: number[], name: string): number[] {
  if (value === undefined) return fallback;
  const xs = value.split(',').map((s) => Number(s.trim()));
  for (const x of xs) if (!Number.isInteger(x)) throw new Error(`--${name} wants integers, got '${value}'`);
  return xs;
}

const full = args.full === true;
const acksList = list(args.acks, [1, -1], 'acks');
const sizes = list(args.sizes, full ? [100, 1024, 16384] : [100, 16384], 'sizes');
const partitionCounts = list(args.partitions, [1, 8], 'partitions');
const procCounts = list(args.procs, [1, 2], 'procs');
// librdkafka's default max.partition.fetch.bytes (1 MiB) is what users get; 8 MiB shows
// how much of consume is fetch round trips rather than CPU.
const fetchBytesList = list(args['fetch-bytes'], [1 << 20, 8 << 20], 'fetch-bytes');
const scale = Number(args.scale ?? (process.env.SAMSA_BENCH_QUICK === '1' ? 0.25 : 1)) * (full ? 3 : 1);
/** Records per produce phase (all producer processes together), by record size: ~150-200 MB each by default. */
const BASE_RECORDS: Record<number, number> = { 100: 1_500_000, 1024: 200_000, 16384: 12_000 };
function recordsFor(size: number): number {
  const explicit = args[`records-${size}` as 'records-100'];
  if (explicit !== undefined) return Number(explicit);
  const base = BASE_RECORDS[size] ?? Math.max(1000, Math.round(150_000_000 / Math.max(1, size)));
  return Math.max(1000, Math.round(base * scale));
}
/** Loadgen processes get this long to start and fetch metadata before the measured window opens. */
const START_DELAY_MS = 600;
const PHASE_TIMEOUT_S = 120;
const repeat = Number(args.repeat ?? 1);
if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= 100)) throw new Error(`--repeat wants 1..100, got ${args.repeat}`);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');
const CORES = cpus().length;
const NICE = args.nice === undefined ? null : Number(args.nice);
if (NICE !== null && !(Number.isInteger(NICE) && NICE >= -20 && NICE <= 19)) throw new Error(`--nice wants -20..19, got ${args.nice}`);
/** Spawns cmd (at NICE when set: `nice` execs it, so the pid stays the command's). */
function spawnNiced(cmd: string, argv: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return NICE === null ? spawn(cmd, argv, options) : spawn('nice', ['-n', String(NICE), cmd, ...argv], options);
}

// ------------------------------------------------------------------ the load generator

function loadgenPath(): string {
  if (args.loadgen !== undefined) return args.loadgen;
  const built = new URL('../../bench/rdkafka/build/loadgen', import.meta.url).pathname;
  const script = new URL('../../bench/rdkafka/build.sh', import.meta.url).pathname;
  const r = spawnSync('bash', [script], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(built)) {
    console.log(`cross-process bench: cannot build the librdkafka load generator (apt-get install -y librdkafka-dev): ${r.stderr.trim()}; skipped`);
    process.exit(0);
  }
  return built;
}
const LOADGEN = loadgenPath();

interface LoadgenResult {
  mode: string;
  records: number;
  bytes: number;
  elapsedSec: number;
  cpuSec: number;
  startMs: number;
  endMs: number;
  errors: number;
  firstError: string;
}

interface Proc {
  child: ChildProcess;
  /** Resolves with the JSON line as soon as it is printed (before the process tears down). */
  line: Promise<LoadgenResult>;
  exit: Promise<number>;
  stderr: () => string;
}

function startLoadgen(argv: string[]): Proc {
  const child = spawnNiced(LOADGEN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < 64 * 1024) err += d.toString();
  });
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  const line = new Promise<LoadgenResult>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)) as LoadgenResult);
    });
    void exit.then((code) => reject(new Error(`loadgen ${argv[0]} exited ${code} without a result: ${err.slice(0, 800)}`)));
  });
  line.catch(() => undefined);
  return { child, line, exit, stderr: () => err };
}

// ------------------------------------------------------------------ CPU accounting

interface BrokerCpu {
  totalTicks: number;
  /** Per thread id: utime+stime ticks. */
  threads: Map<number, number>;
}

function readBrokerCpu(pid: number): BrokerCpu {
  const parse = (text: string): number => {
    // Fields after the command (which may hold spaces) start after the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]); // utime (field 14), stime (field 15)
  };
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), parse(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // A thread that ended between readdir and read: its time is in the process total.
    }
  }
  return { totalTicks: parse(readFileSync(`/proc/${pid}/stat`, 'utf8')), threads };
}

interface MachineCpu {
  busy: number;
  total: number;
}

function readMachineCpu(): MachineCpu {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  const idle = f[3]! + f[4]!;
  return { busy: total - idle, total };
}

// ------------------------------------------------------------------ the broker

interface Broker {
  bootstrap: string;
  pid: number;
  stop: () => Promise<void>;
}

async function startSamsa(): Promise<Broker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-xproc-'));
  const cli = args['broker-cli'] ?? new URL('../src/cli/main.js', import.meta.url).pathname;
  const nodeArgs: string[] = [];
  if (args['cpu-prof'] !== undefined) {
    mkdirSync(args['cpu-prof'], { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', args['cpu-prof']);
  }
  const child = spawnNiced(process.execPath, [...nodeArgs, cli, 'serve', '--data-dir', dataDir, '--port', '0', '--http-port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // stdout also carries log lines (pino): look for the ready line, keep draining after it.
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let found = false;
    child.stdout!.on('data', (d: Buffer) => {
      if (found) return;
      out += d.toString();
      for (let nl = out.indexOf('\n'); nl >= 0; nl = out.indexOf('\n')) {
        const l = out.slice(0, nl);
        out = out.slice(nl + 1);
        if (l.startsWith('samsa ready')) {
          found = true;
          return resolve(l);
        }
        if (out.length > 1 << 20) out = '';
      }
    });
    child.once('exit', (code) => reject(new Error(`samsa serve exited with ${code} before its ready line`)));
  });
  const m = /kafka=([^ ]+):(\d+)/.exec(line);
  if (m === null) throw new Error(`no kafka port in the ready line: ${line}`);
  console.log(line);
  return {
    bootstrap: `127.0.0.1:${m[2]}`,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ phases

interface Row {
  /** Which pass over the matrix (--repeat). */
  run: number;
  phase: 'produce' | 'consume';
  acks: number;
  recordBytes: number;
  partitions: number;
  procs: number;
  /** consume: max.partition.fetch.bytes; consume split = each process reads its own partitions, fanout = every process reads all. */
  fetchBytes: number | null;
  consumeMode: 'split' | 'fanout' | null;
  records: number;
  bytes: number;
  wallSec: number;
  recordsPerSec: number;
  mbPerSec: number;
  brokerCpuSec: number;
  brokerMainThreadCpuSec: number;
  brokerOtherThreadsCpuSec: number;
  clientCpuSec: number;
  brokerCoreSecPerMRecords: number;
  clientCoreSecPerMRecords: number;
  brokerCoreSecPerGB: number;
  machineCpuPct: number;
  /** Machine CPU not accounted to the broker or the load generators (other work on the box), % of all cores. */
  otherCpuPct: number;
  librdkafka: { requests: number; avgRequestBytes: number; rttAvgMs: number; rttP99Ms: number } | null;
}

interface StatsSummary {
  requests: number;
  bytes: number;
  rttAvgUs: number;
  rttP99Us: number;
}

interface BrokerStats {
  nodeid: number;
  req?: Record<string, number>;
  rxbytes: number;
  txbytes: number;
  rtt: { sum: number; cnt: number; p99: number };
}

/**
 * Sums one loadgen's librdkafka statistics (one JSON document per line, one per
 * interval) over the real brokers: request counts and bytes from the last line
 * (cumulative), round-trip time from every line (each covers its own interval).
 */
function readStats(file: string, request: 'Fetch' | 'Produce'): StatsSummary | null {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim().length > 0);
    if (lines.length === 0) return null;
    let rttSumUs = 0;
    let rttCnt = 0;
    let rttP99Us = 0;
    let last: BrokerStats[] = [];
    for (const line of lines) {
      const s = JSON.parse(line) as { brokers?: Record<string, BrokerStats> };
      last = Object.values(s.brokers ?? {}).filter((b) => b.nodeid >= 0); // not the bootstrap entry
      for (const b of last) {
        rttSumUs += b.rtt.sum;
        rttCnt += b.rtt.cnt;
        if (b.rtt.cnt > 0) rttP99Us = Math.max(rttP99Us, b.rtt.p99);
      }
    }
    let requests = 0;
    let bytes = 0;
    for (const b of last) {
      requests += b.req?.[request] ?? 0;
      bytes += request === 'Fetch' ? b.rxbytes : b.txbytes;
    }
    return { requests, bytes, rttAvgUs: rttCnt > 0 ? rttSumUs / rttCnt : 0, rttP99Us };
  } catch {
    return null;
  }
}

async function runPhase(
  broker: Broker,
  statsDir: string,
  argvs: string[][],
  base: Omit<Row, 'records' | 'bytes' | 'wallSec' | 'recordsPerSec' | 'mbPerSec' | 'brokerCpuSec' | 'brokerMainThreadCpuSec' | 'brokerOtherThreadsCpuSec' | 'clientCpuSec' | 'brokerCoreSecPerMRecords' | 'clientCoreSecPerMRecords' | 'brokerCoreSecPerGB' | 'machineCpuPct' | 'otherCpuPct' | 'librdkafka'>,
): Promise<Row> {
  const startAt = Date.now() + START_DELAY_MS;
  const statsFiles = argvs.map((_, i) => join(statsDir, `${base.phase}-${i}.json`));
  const procs = argvs.map((a, i) => startLoadgen([...a, '--start-at', String(startAt), '--timeout-s', String(PHASE_TIMEOUT_S), '--stats-file', statsFiles[i]!]));
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const b0 = readBrokerCpu(broker.pid);
  const m0 = readMachineCpu();
  let results: LoadgenResult[];
  try {
    results = await Promise.all(procs.map((p) => p.line));
  } catch (err) {
    for (const p of procs) p.child.kill('SIGKILL');
    throw err;
  }
  const b1 = readBrokerCpu(broker.pid);
  const m1 = readMachineCpu();
  const codes = await Promise.all(procs.map((p) => p.exit));
  const failed = results.find((r) => r.errors > 0);
  if (failed !== undefined || codes.some((c) => c !== 0)) {
    throw new Error(`${base.phase} failed: ${failed?.firstError ?? ''} ${procs.map((p) => p.stderr()).join(' ').slice(0, 800)}`);
  }
  const records = results.reduce((a, r) => a + r.records, 0);
  const bytes = results.reduce((a, r) => a + r.bytes, 0);
  const wallSec = (Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs))) / 1000;
  const brokerCpuSec = (b1.totalTicks - b0.totalTicks) / CLK_TCK;
  const mainTicks = (b1.threads.get(broker.pid) ?? 0) - (b0.threads.get(broker.pid) ?? 0);
  const clientCpuSec = results.reduce((a, r) => a + r.cpuSec, 0);
  const windowTicks = m1.total - m0.total;
  const machineBusyPct = windowTicks > 0 ? (100 * (m1.busy - m0.busy)) / windowTicks : 0;
  // /proc/stat's total counts every core: CPU seconds over it are in core units already.
  const windowCoreSec = windowTicks / CLK_TCK;
  const otherPct = windowCoreSec > 0 ? Math.max(0, machineBusyPct - (100 * (brokerCpuSec + clientCpuSec)) / windowCoreSec) : 0;
  const stats = statsFiles.map((f) => readStats(f, base.phase === 'consume' ? 'Fetch' : 'Produce'));
  let librdkafka: Row['librdkafka'] = null;
  if (stats.every((s) => s !== null)) {
    const ss = stats as StatsSummary[];
    const requests = ss.reduce((a, s) => a + s.requests, 0);
    librdkafka = {
      requests,
      avgRequestBytes: requests > 0 ? Math.round(ss.reduce((a, s) => a + s.bytes, 0) / requests) : 0,
      rttAvgMs: Math.max(...ss.map((s) => s.rttAvgUs)) / 1000,
      rttP99Ms: Math.max(...ss.map((s) => s.rttP99Us)) / 1000,
    };
  }
  return {
    ...base,
    records,
    bytes,
    wallSec,
    recordsPerSec: Math.round(records / wallSec),
    mbPerSec: Math.round((bytes / 1e6 / wallSec) * 10) / 10,
    brokerCpuSec,
    brokerMainThreadCpuSec: mainTicks / CLK_TCK,
    brokerOtherThreadsCpuSec: brokerCpuSec - mainTicks / CLK_TCK,
    clientCpuSec: Math.round(clientCpuSec * 100) / 100,
    brokerCoreSecPerMRecords: Math.round((brokerCpuSec / (records / 1e6)) * 1000) / 1000,
    clientCoreSecPerMRecords: Math.round((clientCpuSec / (records / 1e6)) * 1000) / 1000,
    brokerCoreSecPerGB: Math.round((brokerCpuSec / (bytes / 1e9)) * 1000) / 1000,
    machineCpuPct: Math.round(machineBusyPct),
    otherCpuPct: Math.round(otherPct),
    librdkafka,
  };
}

/** Which partitions consumer process i of n reads: its share when there are enough, else all (fan-out). */
function consumerPartitions(partitions: number, procs: number, i: number): number[] {
  const all = Array.from({ length: partitions }, (_, p) => p);
  if (partitions < procs) return all;
  return all.filter((p) => p % procs === i);
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const rowLine = (r: Row): string =>
  [
    r.phase.padEnd(7),
    String(r.acks).padStart(4),
    String(r.recordBytes).padStart(6),
    String(r.partitions).padStart(3),
    String(r.procs).padStart(3),
    (r.fetchBytes === null ? '' : `${r.fetchBytes >> 20}M${r.consumeMode === 'fanout' ? '*' : ''}`).padStart(4),
    fmt(r.recordsPerSec).padStart(11),
    r.mbPerSec.toFixed(0).padStart(6),
    r.brokerCpuSec.toFixed(2).padStart(7),
    r.clientCpuSec.toFixed(2).padStart(7),
    r.brokerCoreSecPerMRecords.toFixed(3).padStart(8),
    r.brokerCoreSecPerGB.toFixed(2).padStart(6),
    `${r.machineCpuPct}%`.padStart(5),
    `${r.otherCpuPct}%`.padStart(6),
    r.librdkafka === null ? '' : `${fmt(r.librdkafka.requests)} × ${fmt(r.librdkafka.avgRequestBytes / 1024)} KiB, rtt ${r.librdkafka.rttAvgMs.toFixed(1)} ms`,
  ].join(' ');
const HEADER =
  'phase   acks  bytes  pt  np fetch   records/s   MB/s brk cpu cli cpu brk s/M  s/GB  mach%  other  librdkafka requests × avg size, rtt avg';

// ------------------------------------------------------------------ main

let broker: Broker;
if (args.against !== undefined) {
  if (args['broker-pid'] === undefined) throw new Error('--against needs --broker-pid (its CPU is what is measured)');
  broker = { bootstrap: args.against, pid: Number(args['broker-pid']), stop: async () => undefined };
  readBrokerCpu(broker.pid); // fails early on a wrong pid
} else {
  broker = await startSamsa();
}
const statsDir = mkdtempSync(join(tmpdir(), 'samsa-xproc-stats-'));
const admin = new Admin({ bootstrap: broker.bootstrap });
const rows: Row[] = [];
const t0 = Date.now();
const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`cross-process bench against ${args.against ?? 'samsa serve (default config)'} at ${broker.bootstrap}, broker pid ${broker.pid}, ${CORES} cores${NICE === null ? '' : `, nice ${NICE}`}, load average ${loadAverageAtStart.join(' ')}`);
console.log('brk cpu / cli cpu: CPU seconds of the broker / of all loadgen processes; brk s/M, s/GB: broker core-seconds per million records, per GB;');
console.log('mach%: machine CPU over the phase; other: machine CPU used by neither (other work on the box); fetch * = every consumer reads all partitions');
console.log(HEADER);
try {
  let n = 0;
  for (let run = 0; run < repeat; run++) {
    for (const size of sizes) {
      for (const acks of acksList) {
        for (const partitions of partitionCounts) {
          for (const procs of procCounts) {
            const topic = `xproc-${Date.now()}-${n++}`;
            await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: 1 }]);
            const total = recordsFor(size);
            const perProc = Math.ceil(total / procs);
            const common = ['--bootstrap', broker.bootstrap, '--topic', topic];
            const produce = await runPhase(
              broker,
              statsDir,
              Array.from({ length: procs }, (_, i) => ['produce', ...common, '--records', String(perProc), '--record-bytes', String(size), '--acks', String(acks), '--label', `p${i}`]),
              { run, phase: 'produce', acks, recordBytes: size, partitions, procs, fetchBytes: null, consumeMode: null },
            );
            rows.push(produce);
            console.log(rowLine(produce));
            if (args['no-consume'] !== true) {
              const ends = await admin.listOffsets(topic, 'latest');
              for (const fetchBytes of fetchBytesList) {
                const argvs = Array.from({ length: procs }, (_, i) => {
                  const mine = consumerPartitions(partitions, procs, i);
                  const records = ends.filter((e) => mine.includes(e.partition)).reduce((a, e) => a + e.offset, 0);
                  return [
                    'consume', ...common, '--records', String(records), '--partitions', mine.join(','),
                    '--partition-fetch-bytes', String(fetchBytes), '--fetch-max-bytes', String(Math.max(fetchBytes, 52_428_800)), '--label', `c${i}`,
                  ];
                });
                const consume = await runPhase(broker, statsDir, argvs, {
                  run, phase: 'consume', acks, recordBytes: size, partitions, procs, fetchBytes, consumeMode: partitions < procs && procs > 1 ? 'fanout' : 'split',
                });
                rows.push(consume);
                console.log(rowLine(consume));
              }
            }
            await admin.deleteTopics([topic]);
          }
        }
      }
    }
  }
} finally {
  await admin.close();
  await broker.stop();
  rmSync(statsDir, { recursive: true, force: true });
}

/** One row per matrix cell: the median of the repeats' figures (each figure on its own). */
function medians(all: Row[]): Row[] {
  const key = (r: Row): string => [r.phase, r.acks, r.recordBytes, r.partitions, r.procs, r.fetchBytes].join('/');
  const groups = new Map<string, Row[]>();
  for (const r of all) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  return [...groups.values()].map((g) => {
    const m = { ...g[0]!, run: -1 };
    for (const k of ['recordsPerSec', 'mbPerSec', 'brokerCpuSec', 'clientCpuSec', 'brokerCoreSecPerMRecords', 'clientCoreSecPerMRecords', 'brokerCoreSecPerGB', 'machineCpuPct', 'otherCpuPct', 'wallSec'] as const) {
      m[k] = med(g.map((r) => r[k]));
    }
    return m;
  });
}
const summary = repeat > 1 ? medians(rows) : rows;
if (repeat > 1) {
  console.log(`\nmedian of ${repeat} runs:`);
  console.log(HEADER);
  for (const r of summary) console.log(rowLine(r));
}

const result = {
  at: new Date().toISOString(),
  loadAverageAtStart,
  against: args.against ?? 'samsa',
  brokerCli: args['broker-cli'] ?? null,
  cores: CORES,
  cpuModel: cpus()[0]?.model ?? '',
  node: process.version,
  full,
  nice: NICE,
  runSec: Math.round((Date.now() - t0) / 1000),
  loadgen: 'bench/rdkafka/loadgen.c (librdkafka, linger.ms 5, batch.size 1,000,000, compression none)',
  repeat,
  summary,
  rows,
};
console.log(`done in ${result.runSec} s`);
const outFile = args.out ?? new URL('../../bench/results/cross-process.json', import.meta.url).pathname;
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
console.log(`wrote ${outFile}`);
