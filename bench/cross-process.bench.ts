// Cross-process broker benchmark: Samsa runs as its own process (`samsa serve`,
// default config, temp data dir, free ports) and native librdkafka load generators
// (bench/rdkafka/loadgen.c) run as other processes, so what is measured is the
// broker, with the CPU of each side counted separately: broker CPU from
// /proc/<pid>/stat (utime+stime, every thread), client CPU from each loadgen's own
// getrusage, machine CPU from /proc/stat, all over the same window. Every produce
// phase writes a fresh topic; consume phases read it back from the beginning.
// Prints a table and writes bench/results/cross-process.json.
// Owns: the phase matrix and the figures of each phase. The broker process, the
// loadgens and the /proc readings are lib/broker-process.ts's (shared with
// scaling.bench.ts). Must not import the broker (it measures a separate process,
// Samsa or any other).
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

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin } from '../src/client/index.js';
import {
  type BrokerProcess, CLK_TCK, type LoadgenResult, type PhaseTotals, coreSecPerMRecords, phaseTotals, type StatsSummary, loadgenPath, parseNice, readMachineCpu, readProcessCpu, readStats, startLoadgen, startSamsaServe,
} from './lib/broker-process.js';

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
const CORES = cpus().length;
const NICE = parseNice(args.nice);

const LOADGEN = loadgenPath('cross-process bench', args.loadgen);

async function startSamsa(): Promise<BrokerProcess> {
  const nodeArgs: string[] = [];
  if (args['cpu-prof'] !== undefined) {
    mkdirSync(args['cpu-prof'], { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', args['cpu-prof']);
  }
  return startSamsaServe({ cli: args['broker-cli'], dataDirPrefix: 'samsa-xproc-', nice: NICE, nodeArgs });
}

// ------------------------------------------------------------------ phases

interface Row extends PhaseTotals {
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
  brokerCpuSec: number;
  brokerMainThreadCpuSec: number;
  brokerOtherThreadsCpuSec: number;
  brokerCoreSecPerMRecords: number;
  clientCoreSecPerMRecords: number;
  brokerCoreSecPerGB: number;
  machineCpuPct: number;
  /** Machine CPU not accounted to the broker or the load generators (other work on the box), % of all cores. */
  otherCpuPct: number;
  librdkafka: { requests: number; avgRequestBytes: number; rttAvgMs: number; rttP99Ms: number } | null;
}

async function runPhase(
  broker: BrokerProcess,
  statsDir: string,
  argvs: string[][],
  base: Omit<Row, 'records' | 'bytes' | 'wallSec' | 'recordsPerSec' | 'mbPerSec' | 'clientThreadCpuSec' | 'brokerCpuSec' | 'brokerMainThreadCpuSec' | 'brokerOtherThreadsCpuSec' | 'clientCpuSec' | 'brokerCoreSecPerMRecords' | 'clientCoreSecPerMRecords' | 'brokerCoreSecPerGB' | 'machineCpuPct' | 'otherCpuPct' | 'librdkafka'>,
): Promise<Row> {
  const startAt = Date.now() + START_DELAY_MS;
  const statsFiles = argvs.map((_, i) => join(statsDir, `${base.phase}-${i}.json`));
  const procs = argvs.map((a, i) => startLoadgen(LOADGEN, NICE, [...a, '--start-at', String(startAt), '--timeout-s', String(PHASE_TIMEOUT_S), '--stats-file', statsFiles[i]!]));
  await new Promise((r) => setTimeout(r, Math.max(0, startAt - Date.now())));
  const b0 = readProcessCpu(broker.pid);
  const m0 = readMachineCpu();
  let results: LoadgenResult[];
  try {
    results = await Promise.all(procs.map((p) => p.line));
  } catch (err) {
    for (const p of procs) p.child.kill('SIGKILL');
    throw err;
  }
  const b1 = readProcessCpu(broker.pid);
  const m1 = readMachineCpu();
  const codes = await Promise.all(procs.map((p) => p.exit));
  const failed = results.find((r) => r.errors > 0);
  if (failed !== undefined || codes.some((c) => c !== 0)) {
    throw new Error(`${base.phase} failed: ${failed?.firstError ?? ''} ${procs.map((p) => p.stderr()).join(' ').slice(0, 800)}`);
  }
  const totals = phaseTotals(results);
  const { records, bytes, clientCpuSec } = totals;
  const brokerCpuSec = (b1.totalTicks - b0.totalTicks) / CLK_TCK;
  const mainTicks = (b1.threads.get(broker.pid) ?? 0) - (b0.threads.get(broker.pid) ?? 0);
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
    ...totals,
    brokerCpuSec,
    brokerMainThreadCpuSec: mainTicks / CLK_TCK,
    brokerOtherThreadsCpuSec: brokerCpuSec - mainTicks / CLK_TCK,
    clientCpuSec: Math.round(clientCpuSec * 100) / 100,
    brokerCoreSecPerMRecords: coreSecPerMRecords(brokerCpuSec, records),
    clientCoreSecPerMRecords: coreSecPerMRecords(clientCpuSec, records),
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
    clientThreads(r),
  ].join(' ');
/** The loadgens' busy threads: librdkafka's broker threads (send, receive, parse) and the application thread. */
function clientThreads(r: Row): string {
  const t = r.clientThreadCpuSec;
  const names = Object.keys(t);
  if (names.length === 0) return '';
  const sum = (pick: (n: string) => boolean): number => names.filter(pick).reduce((a, n) => a + t[n]!, 0);
  return `| cli rdk:broker ${sum((n) => n.startsWith('rdk:broker')).toFixed(2)} s, app ${sum((n) => n === 'app').toFixed(2)} s`;
}
const HEADER =
  'phase   acks  bytes  pt  np fetch   records/s   MB/s brk cpu cli cpu brk s/M  s/GB  mach%  other  librdkafka requests × avg size, rtt avg';

// ------------------------------------------------------------------ main

let broker: BrokerProcess;
if (args.against !== undefined) {
  if (args['broker-pid'] === undefined) throw new Error('--against needs --broker-pid (its CPU is what is measured)');
  broker = { bootstrap: args.against, pid: Number(args['broker-pid']), stop: async () => undefined };
  readProcessCpu(broker.pid); // fails early on a wrong pid
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
