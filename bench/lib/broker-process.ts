// What the cross-process benches (cross-process, scaling, versus-kafka, restart) share: a
// free port to start a broker on, a `samsa serve` child process found by its ready line, the native librdkafka load
// generator (bench/rdkafka/loadgen.c: built on demand, spawned, its JSON result line
// and its --stats-file read back), and CPU accounting from /proc (a process's
// utime+stime, per thread, and the whole machine's from /proc/stat).
// Owns: those processes and readings only. Must not import the broker (the benches
// measure a separate process) and must not decide what a bench measures or prints.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Clock ticks per second of /proc's CPU times. */
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || '100');

/** Parses a --nice value: null when not given, else -20..19. */
export function parseNice(value: string | undefined): number | null {
  if (value === undefined) return null;
  const nice = Number(value);
  if (!(Number.isInteger(nice) && nice >= -20 && nice <= 19)) throw new Error(`--nice wants -20..19, got ${value}`);
  return nice;
}

/** Spawns cmd (at `nice` when set: `nice` execs it, so the pid stays the command's). */
export function spawnNiced(nice: number | null, cmd: string, argv: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return nice === null ? spawn(cmd, argv, options) : spawn('nice', ['-n', String(nice), cmd, ...argv], options);
}

/** A TCP port on 127.0.0.1 free a moment ago (for a process started with fixed ports). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

// ------------------------------------------------------------------ CPU accounting

/** utime+stime ticks of one /proc/<pid>/stat or /proc/<pid>/task/<tid>/stat text. */
function statTicks(text: string): number {
  // Fields after the command (which may hold spaces) start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime (field 14), stime (field 15)
}

/** CPU ticks (utime+stime, every thread) the process has used so far. */
export function processCpuTicks(pid: number): number {
  return statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

export interface ProcessCpu {
  totalTicks: number;
  /** Per thread id: utime+stime ticks. */
  threads: Map<number, number>;
}

/** The process's CPU ticks in total and per thread. */
export function readProcessCpu(pid: number): ProcessCpu {
  const threads = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      threads.set(Number(tid), statTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')));
    } catch {
      // A thread that ended between readdir and read: its time is in the process total.
    }
  }
  return { totalTicks: processCpuTicks(pid), threads };
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** Busy and total ticks of all cores together (/proc/stat's first line). */
export function readMachineCpu(): MachineCpu {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // guest time is already in user
  const idle = f[3]! + f[4]!;
  return { busy: total - idle, total };
}

// ------------------------------------------------------------------ the broker

export interface BrokerProcess {
  bootstrap: string;
  pid: number;
  stop: () => Promise<void>;
}

export interface SamsaServeOptions {
  /** The CLI to serve with (another build's dist/src/cli/main.js for A/B runs); default this build's. */
  cli?: string;
  /** Prefix of the temporary data directory's name. */
  dataDirPrefix: string;
  nice: number | null;
  /** Flags for node before the CLI (e.g. --cpu-prof). */
  nodeArgs?: string[];
}

/**
 * `samsa serve` with its default config on free ports and a fresh temporary data
 * directory; resolves once its ready line names the Kafka port. stop() ends it with
 * SIGTERM and removes the data directory.
 */
export async function startSamsaServe(opts: SamsaServeOptions): Promise<BrokerProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), opts.dataDirPrefix));
  const cli = opts.cli ?? new URL('../../src/cli/main.js', import.meta.url).pathname;
  const child = spawnNiced(opts.nice, process.execPath, [...(opts.nodeArgs ?? []), cli, 'serve', '--data-dir', dataDir, '--port', '0', '--http-port', '0', '--log-level', 'warn'], {
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
      }
      if (out.length > 1 << 20) out = '';
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

// ------------------------------------------------------------------ the load generator

/**
 * The librdkafka load generator, built (bench/rdkafka/build.sh) if needed. Without
 * librdkafka the bench cannot run: it says so, prefixed with `bench`, and exits 0.
 */
export function loadgenPath(bench: string, override?: string): string {
  if (override !== undefined) return override;
  const built = new URL('../../../bench/rdkafka/build/loadgen', import.meta.url).pathname;
  const script = new URL('../../../bench/rdkafka/build.sh', import.meta.url).pathname;
  const r = spawnSync('bash', [script], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(built)) {
    console.log(`${bench}: cannot build the librdkafka load generator (apt-get install -y librdkafka-dev): ${r.stderr.trim()}; skipped`);
    process.exit(0);
  }
  return built;
}

/** The JSON line a loadgen prints when its window closed. */
export interface LoadgenResult {
  mode: string;
  records: number;
  bytes: number;
  elapsedSec: number;
  cpuSec: number;
  startMs: number;
  endMs: number;
  errors: number;
  firstError: string;
  /** CPU seconds per thread name over the window (loadgen.c: rdk:broker0 receives and parses Fetch responses, app is the application thread); absent from older builds. */
  threadCpuSec?: Record<string, number>;
}

export interface LoadgenProc {
  child: ChildProcess;
  /** Resolves with the JSON line as soon as it is printed (before the process tears down). */
  line: Promise<LoadgenResult>;
  exit: Promise<number>;
  stderr: () => string;
}

/** Bound on the stderr kept per loadgen, for error messages. */
const STDERR_KEPT_CHARS = 64 * 1024;

export function startLoadgen(loadgen: string, nice: number | null, argv: string[]): LoadgenProc {
  const child = spawnNiced(nice, loadgen, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    if (err.length < STDERR_KEPT_CHARS) err += d.toString();
  });
  const exit = new Promise<number>((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  let done = false;
  const line = new Promise<LoadgenResult>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      if (done) return; // only the first line is the result; drain the rest
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        done = true;
        resolve(JSON.parse(out.slice(0, nl)) as LoadgenResult);
      }
    });
    void exit.then((code) => reject(new Error(`loadgen ${argv[0]} exited ${code} without a result: ${err.slice(0, 800)}`)));
  });
  line.catch(() => undefined);
  return { child, line, exit, stderr: () => err };
}

/** What the loadgens of one phase did together over its window (first start to last end). */
export interface PhaseTotals {
  records: number;
  bytes: number;
  wallSec: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** CPU seconds of all the loadgen processes, unrounded. */
  clientCpuSec: number;
  /** The same by thread name, summed over the processes (which of librdkafka's threads was busy). */
  clientThreadCpuSec: Record<string, number>;
}

export function phaseTotals(results: readonly LoadgenResult[]): PhaseTotals {
  const records = results.reduce((a, r) => a + r.records, 0);
  const bytes = results.reduce((a, r) => a + r.bytes, 0);
  const wallSec = (Math.max(...results.map((r) => r.endMs)) - Math.min(...results.map((r) => r.startMs))) / 1000;
  return {
    records,
    bytes,
    wallSec,
    recordsPerSec: Math.round(records / wallSec),
    mbPerSec: Math.round((bytes / 1e6 / wallSec) * 10) / 10,
    clientCpuSec: results.reduce((a, r) => a + r.cpuSec, 0),
    clientThreadCpuSec: threadTotals(results),
  };
}

function threadTotals(results: readonly LoadgenResult[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of results) {
    for (const [name, sec] of Object.entries(r.threadCpuSec ?? {})) out[name] = Math.round(((out[name] ?? 0) + sec) * 100) / 100;
  }
  return out;
}

/** Core-seconds per million records, to 3 decimals. */
export const coreSecPerMRecords = (cpuSec: number, records: number): number => Math.round((cpuSec / (records / 1e6)) * 1000) / 1000;

export interface StatsSummary {
  /** Requests of the kind asked for, and the bytes they carried (sent for Produce, received for Fetch). */
  requests: number;
  bytes: number;
  /** librdkafka's request round trip: mean over its intervals, worst interval p99; rttSamples 0 when it measured none. */
  rttAvgUs: number;
  rttP99Us: number;
  rttSamples: number;
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
 * Null when the file is missing, empty or unreadable.
 */
export function readStats(file: string, request: 'Fetch' | 'Produce'): StatsSummary | null {
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
    return { requests, bytes, rttAvgUs: rttCnt > 0 ? rttSumUs / rttCnt : 0, rttP99Us, rttSamples: rttCnt };
  } catch {
    return null;
  }
}
