// End-to-end latency at a fixed rate with the broker in its own process: starts
// `samsa serve` (this build's, or --broker-cli), measures its idle CPU, then runs
// `samsa bench latency` (this build's client, another process) over TCP and over
// WebSocket, reading the broker's CPU from /proc/<pid>/stat and its Produce/Fetch
// request counts from /metrics around each run (the client decides how many requests
// carry the records, so CPU per request is the comparable figure), and per thread
// (main, the shard: the thread pinned to one CPU, the rest) CPU and context switches
// per request from /proc/<pid>/task/*, and the broker main thread's GCs in each run
// (samsa_gc_pauses_total: mark-compacts, scavenges and the time they paused it).
// Prints one line per transport and writes bench/results/e2e-latency.json.
// Owns: orchestration and the CPU accounting. Must not import the broker.
//
// Usage: node dist/bench/e2e-latency.bench.js [--rate 10000] [--seconds 15] [--acks 1]
//          [--transports tcp,ws] [--idle-seconds 5] [--broker-cli PATH] [--nice=-20] [--out FILE]
//          [--rdkafka PATH]: also run bench/rdkafka's native `loadgen latency` (librdkafka,
//          linger.ms 0) over TCP, a cross-check with a client nobody here wrote
//          [--against-kafka H:P [--kafka-pid PID]]: the same rdkafka row against another
//          broker (Apache Kafka from scripts/kafka-peer.sh), its CPU read from PID

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { get as httpGet } from 'node:http';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '15' },
    acks: { type: 'string', default: '1' },
    transports: { type: 'string', default: 'tcp,ws' },
    'idle-seconds': { type: 'string', default: '5' },
    'broker-cli': { type: 'string' },
    nice: { type: 'string' },
    out: { type: 'string' },
    rdkafka: { type: 'string' },
    'against-kafka': { type: 'string' },
    'kafka-pid': { type: 'string' },
  },
});
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');
const clientCli = new URL('../src/cli/main.js', import.meta.url).pathname;
const brokerCli = args['broker-cli'] ?? clientCli;
const niced = (argv: string[]): [string, string[]] => (args.nice === undefined ? [process.execPath, argv] : ['nice', ['-n', args.nice, process.execPath, ...argv]]);

function cpuTicks(pid: number): number {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(r[11]) + Number(r[12]);
}

type ThreadKind = 'main' | 'shard' | 'other';
interface ThreadTotals { cpuTicks: number; ctxSwitches: number }
type ThreadSnapshot = Map<number, { kind: ThreadKind; cpuTicks: number; ctxSwitches: number }>;

/** Every thread of `pid` now: CPU ticks and context switches (voluntary + not). A thread pinned to one CPU is a shard. */
function threadSnapshot(pid: number): ThreadSnapshot {
  const out: ThreadSnapshot = new Map();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids.slice(0, 1024)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const num = (key: string): number => Number(new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(status)?.[1] ?? 0);
      const cpus = new RegExp('^Cpus_allowed_list:\\s*(\\S+)', 'm').exec(status)?.[1] ?? '';
      const kind: ThreadKind = Number(tid) === pid ? 'main' : /^\d+$/.test(cpus) ? 'shard' : 'other';
      out.set(Number(tid), { kind, cpuTicks: Number(f[11]) + Number(f[12]), ctxSwitches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches') });
    } catch {
      // The thread ended between readdir and read: its share is lost from both snapshots alike.
    }
  }
  return out;
}

/** Per kind of thread, CPU ticks and context switches between two snapshots (threads born in between count from 0). */
function threadDelta(a: ThreadSnapshot, b: ThreadSnapshot): Record<ThreadKind, ThreadTotals> {
  const d: Record<ThreadKind, ThreadTotals> = { main: { cpuTicks: 0, ctxSwitches: 0 }, shard: { cpuTicks: 0, ctxSwitches: 0 }, other: { cpuTicks: 0, ctxSwitches: 0 } };
  for (const [tid, t] of b) {
    const t0 = a.get(tid);
    d[t.kind].cpuTicks += t.cpuTicks - (t0?.cpuTicks ?? 0);
    d[t.kind].ctxSwitches += t.ctxSwitches - (t0?.ctxSwitches ?? 0);
  }
  return d;
}

/** µs of CPU and context switches per request, per kind of thread. */
function perRequestThreads(d: Record<ThreadKind, ThreadTotals>, requests: number): Record<ThreadKind, { cpuUs: number; ctxSwitches: number }> {
  const one = (t: ThreadTotals): { cpuUs: number; ctxSwitches: number } => ({
    cpuUs: requests > 0 ? Math.round((t.cpuTicks / CLK_TCK) * 1e6 / requests) : 0,
    ctxSwitches: requests > 0 ? Number((t.ctxSwitches / requests).toFixed(2)) : 0,
  });
  return { main: one(d.main), shard: one(d.shard), other: one(d.other) };
}

function threadsLine(t: Record<ThreadKind, { cpuUs: number; ctxSwitches: number }>): string {
  return `  per request: main ${t.main.cpuUs} µs ${t.main.ctxSwitches} cs, shard ${t.shard.cpuUs} µs ${t.shard.ctxSwitches} cs, other ${t.other.cpuUs} µs ${t.other.ctxSwitches} cs`;
}

interface PercentilesJson { p50: number; p99: number; p999: number; max: number; count: number }
interface LatencyJson { latencyUs: PercentilesJson; serviceLatencyUs: PercentilesJson | null; clientCpuPctOfCore: number; sendsLateUsP50: number }

/** Produce and Fetch requests the broker has received so far (its /metrics counters). */
interface BrokerCounts { produce: number; fetch: number; gcMinor: number; gcMajor: number; gcPauseMs: number }

async function requestCounts(http: string): Promise<BrokerCounts> {
  // A fresh connection each time (no keep-alive): the broker closes idle ones between runs.
  const text = await new Promise<string>((resolve, reject) => {
    httpGet(`http://${http}/metrics`, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    }).on('error', reject);
  });
  const count = (api: string): number => Number(new RegExp(`^samsa_kafka_requests_total\\{api="${api}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  const gc = (family: string, kind: string): number => Number(new RegExp(`^${family}\\{kind="${kind}"\\} (\\S+)`, 'm').exec(text)?.[1] ?? NaN);
  let gcPauseMs = 0;
  for (const kind of ['minor', 'major', 'incremental', 'weakcb', 'other']) gcPauseMs += 1000 * gc('samsa_gc_pause_seconds_total', kind);
  return { produce: count('Produce'), fetch: count('Fetch'), gcMinor: gc('samsa_gc_pauses_total', 'minor'), gcMajor: gc('samsa_gc_pauses_total', 'major'), gcPauseMs };
}

/** The broker main thread's GCs between two scrapes (NaN against a build without the series). */
function gcDelta(a: BrokerCounts, b: BrokerCounts): { minor: number; major: number; pauseMs: number } {
  return { minor: b.gcMinor - a.gcMinor, major: b.gcMajor - a.gcMajor, pauseMs: Number((b.gcPauseMs - a.gcPauseMs).toFixed(1)) };
}

function gcLine(g: { minor: number; major: number; pauseMs: number } | null): string {
  return g === null || Number.isNaN(g.minor) ? '' : `  broker GC ${g.major} major ${g.minor} minor ${g.pauseMs} ms paused`;
}

/** Requests per second and broker CPU per request over a run: the client decides how many requests carry the records. */
function perRequest(r0: { produce: number; fetch: number }, r1: { produce: number; fetch: number }, cpuSec: number, wallSec: number): { producePerSec: number; fetchPerSec: number; brokerUsPerRequest: number; requests: number } {
  const produce = r1.produce - r0.produce;
  const fetches = r1.fetch - r0.fetch;
  return {
    producePerSec: Math.round(produce / wallSec),
    fetchPerSec: Math.round(fetches / wallSec),
    brokerUsPerRequest: produce + fetches > 0 ? Math.round((cpuSec * 1e6) / (produce + fetches)) : 0,
    requests: produce + fetches,
  };
}

/**
 * bench/rdkafka's `loadgen latency` (librdkafka, linger.ms 0) at `bootstrap`, one row.
 * `pid`: the broker's process for its CPU (null: not measured); `http`: Samsa's HTTP
 * address for its request counts (null: another broker, none).
 */
async function rdkafkaRow(loadgen: string, label: string, bootstrap: string, pid: number | null, http: string | null, idleCpuPct: number | null): Promise<void> {
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  // The same warm-up as samsa bench latency's default (2 s), not recorded.
  const warmupRecords = 2 * rate;
  const topic = `e2e-rdkafka-${Date.now().toString(36)}`;
  const created = spawnSync(process.execPath, [clientCli, 'topics', 'create', topic, '-p', '1', '-b', bootstrap], { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`topics create failed: ${created.stderr.slice(0, 400)}`);
  const q0 = http === null ? null : await requestCounts(http);
  const th0 = pid === null ? null : threadSnapshot(pid);
  const t0 = pid === null ? 0 : cpuTicks(pid);
  const s0 = performance.now();
  const [ccmd, cargv] = args.nice === undefined ? [loadgen, []] : ['nice', ['-n', args.nice, loadgen]];
  const r = spawnSync(ccmd, [...cargv, 'latency', '--bootstrap', bootstrap, '--topic', topic, '--acks', args.acks, '--rate', String(rate), '--records', String(Math.ceil(rate * (seconds + 2))), '--warmup-records', String(warmupRecords)], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const cpuSec = pid === null ? null : (cpuTicks(pid) - t0) / CLK_TCK;
  const th1 = pid === null ? null : threadSnapshot(pid);
  const wallSec = (performance.now() - s0) / 1000;
  const q1 = http === null ? null : await requestCounts(http);
  const req = q0 === null || q1 === null || cpuSec === null ? null : perRequest(q0, q1, cpuSec, wallSec);
  const gcRow = q0 === null || q1 === null ? null : gcDelta(q0, q1);
  if (r.status !== 0) throw new Error(`rdkafka loadgen latency (${label}) failed: ${r.stderr.slice(0, 800)} ${r.stdout.slice(0, 400)}`);
  const j = JSON.parse(r.stdout) as { latencyUs: PercentilesJson; serviceUs: PercentilesJson; sendsLateUsP50: number; common: { cpuSec: number; elapsedSec: number } };
  const l = j.latencyUs;
  const sv = j.serviceUs;
  const clientPct = Number(((100 * j.common.cpuSec) / j.common.elapsedSec).toFixed(1));
  const brokerPct = cpuSec === null ? null : Number(((100 * cpuSec) / wallSec).toFixed(1));
  const threads = th0 === null || th1 === null || req === null ? null : perRequestThreads(threadDelta(th0, th1), req.requests);
  const row = {
    transport: label === 'rdkafka' ? 'tcp-rdkafka' : `tcp-rdkafka-${label}`, against: bootstrap, rate, acks: Number(args.acks), ...l, service: sv,
    brokerCpuPctOfCore: brokerPct, idleCpuPct: idleCpuPct === null ? null : Number(idleCpuPct.toFixed(2)),
    clientCpuPctOfCore: clientPct, sendsLateUsP50: j.sendsLateUsP50, ...(req ?? {}), threads, brokerGc: gcRow,
  };
  rows.push(row);
  const ms = (us: number): string => (us / 1000).toFixed(2);
  console.log(`${label.padEnd(7)} p50 ${ms(l.p50)} ms  p99 ${ms(l.p99)} ms  p99.9 ${ms(l.p999)} ms  max ${ms(l.max)} ms  broker ${brokerPct ?? '?'}% of a core  client ${clientPct}%` +
    `  (service p50 ${ms(sv.p50)} p99 ${ms(sv.p99)} p99.9 ${ms(sv.p999)} ms; sends late p50 ${j.sendsLateUsP50} µs)` +
    (req === null ? '' : `  ${req.producePerSec} produce/s ${req.fetchPerSec} fetch/s, broker ${req.brokerUsPerRequest} µs/request`) + gcLine(gcRow) + (threads === null ? '' : threadsLine(threads)));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const dir = mkdtempSync(join(tmpdir(), 'samsa-e2e-'));
const [cmd, argv] = niced([brokerCli, 'serve', '--data-dir', join(dir, 'data'), '--port', '0', '--http-port', '0', '--log-level', 'warn']);
const broker = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
const rows: Array<Record<string, unknown>> = [];
try {
  const ready = await new Promise<string>((resolve, reject) => {
    let out = '';
    broker.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('samsa ready'));
      if (line !== undefined) resolve(line);
    });
    broker.once('exit', (code) => reject(new Error(`samsa serve exited with ${code}`)));
  });
  const kafka = /kafka=([^ ]+)/.exec(ready)![1]!;
  const http = /http=([^ ]+)/.exec(ready)![1]!;
  const pid = broker.pid!;
  await sleep(2000);
  const idleSeconds = Number(args['idle-seconds']);
  const i0 = cpuTicks(pid);
  await sleep(idleSeconds * 1000);
  const idleCpuPct = (100 * (cpuTicks(pid) - i0)) / CLK_TCK / idleSeconds;
  console.log(`broker ${brokerCli} pid ${pid}; idle CPU ${idleCpuPct.toFixed(2)}% of a core over ${idleSeconds} s`);
  for (const transport of args.transports.split(',')) {
    const against = transport === 'ws' ? `ws://${http}/kafka` : kafka;
    const q0 = await requestCounts(http);
    const th0 = threadSnapshot(pid);
    const t0 = cpuTicks(pid);
    const s0 = performance.now();
    const [ccmd, cargv] = niced([clientCli, 'bench', 'latency', '--against', against, '--transport', transport, '--acks', args.acks, '--rate', args.rate, '--seconds', args.seconds, '--json']);
    const r = spawnSync(ccmd, cargv, { encoding: 'utf8', maxBuffer: 16 << 20 });
    const cpuSec = (cpuTicks(pid) - t0) / CLK_TCK;
    const th1 = threadSnapshot(pid);
    const wallSec = (performance.now() - s0) / 1000;
    if (r.status !== 0) throw new Error(`samsa bench latency (${transport}) failed: ${r.stderr.slice(0, 800)}`);
    const q1 = await requestCounts(http);
    const req = perRequest(q0, q1, cpuSec, wallSec);
    const gcRow = gcDelta(q0, q1);
    const lat = (JSON.parse(r.stdout) as { latency: LatencyJson }).latency;
    const l = lat.latencyUs;
    const sv = lat.serviceLatencyUs;
    // The client's run includes topic set-up and its warm-up: the CPU share is over all of it.
    const row = {
      transport, rate: Number(args.rate), acks: Number(args.acks), ...l,
      service: sv === null ? null : { p50: sv.p50, p99: sv.p99, p999: sv.p999, max: sv.max },
      brokerCpuPctOfCore: Number(((100 * cpuSec) / wallSec).toFixed(1)), idleCpuPct: Number(idleCpuPct.toFixed(2)),
      clientCpuPctOfCore: lat.clientCpuPctOfCore, sendsLateUsP50: lat.sendsLateUsP50, ...req,
      threads: perRequestThreads(threadDelta(th0, th1), req.requests), brokerGc: gcRow,
    };
    rows.push(row);
    const ms = (us: number): string => (us / 1000).toFixed(2);
    console.log(`${transport.padEnd(4)} p50 ${ms(l.p50)} ms  p99 ${ms(l.p99)} ms  p99.9 ${ms(l.p999)} ms  max ${ms(l.max)} ms  broker ${row.brokerCpuPctOfCore}% of a core  client ${lat.clientCpuPctOfCore}%` +
      (sv === null ? '' : `  (service p50 ${ms(sv.p50)} p99 ${ms(sv.p99)} p99.9 ${ms(sv.p999)} ms; sends late p50 ${lat.sendsLateUsP50} µs)`) +
      `  ${req.producePerSec} produce/s ${req.fetchPerSec} fetch/s, broker ${req.brokerUsPerRequest} µs/request` + gcLine(gcRow) + threadsLine(row.threads));
  }
  if (args.rdkafka !== undefined) {
    await rdkafkaRow(args.rdkafka, 'rdkafka', kafka, pid, http, idleCpuPct);
    // The same client, rate and settings against another broker (e.g. Apache Kafka from
    // scripts/kafka-peer.sh): its CPU from /proc (all threads), no request counts.
    if (args['against-kafka'] !== undefined) await rdkafkaRow(args.rdkafka, 'kafka', args['against-kafka'], args['kafka-pid'] === undefined ? null : Number(args['kafka-pid']), null, null);
  }
} finally {
  broker.kill('SIGTERM');
  await new Promise((r) => broker.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
const outFile = args.out ?? new URL('../../bench/results/e2e-latency.json', import.meta.url).pathname;
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, JSON.stringify({ at: new Date().toISOString(), brokerCli, rows }, null, 2) + '\n');
