// `samsa bench produce|consume|latency|all`: run src/loadgen's loads at an
// in-process broker (started here on free ports with a temporary data dir) or, with
// --against (repeatable), at any Kafka-protocol broker, --runs times each; show
// progress on stderr, print a table per run and one comparing them, one JSON object
// per run on stdout with --json, and with --report a self-contained HTML report
// (bench-report.ts) of these runs and any --include'd earlier ones. Owns: the
// arguments, the broker's lifetime, the phase order and the output. Must not
// implement load loops (src/loadgen does) nor assert speed.

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type Command, Argument, Option } from 'commander';
import { pino } from 'pino';
import { Admin, type CompressionType, type ConnectionOptions } from '../../client/index.js';
import {
  type Percentiles,
  RECORD_BYTES_MAX,
  RECORD_BYTES_MIN,
  benchTopicName,
  createTopic,
  deleteTopicsQuietly,
  runConsumeLoad,
  runLatencyLoad,
  runProduceLoad,
} from '../../loadgen/index.js';
import { type Broker, startBroker } from '../../server.js';
import { setLogger } from '../../util/logger.js';
import { CONNECT_TIMEOUT_MS, UsageError, cliSecurityOptions, checkBootstrap, collect, connectFailure, finish, jsonLine, parseAcks, parseIntArg, parseNumberArg, parsePositiveNumberArg, writeOut } from '../common.js';
import { type BenchPhase, type BenchReport, renderBenchReport } from '../bench-report.js';

export type { BenchPhase, BenchReport } from '../bench-report.js';
import { startProgress } from '../progress.js';


const RECORDS_DEFAULT = 1_000_000;
const RECORDS_MAX = 1_000_000_000;
/** Measured latency seconds, after the warm-up. */
const LATENCY_SECONDS_DEFAULT = 10;
const SECONDS_MAX = 3600;
const RATE_MAX = 1_000_000;
const PARTITIONS_MAX = 1000;
/** A --records-bound latency run keeps its warm-up only if this many seconds are left to measure. */
const WARMUP_MIN_RUN_SECONDS = 2;
/**
 * Latency warm-up, discarded. Why 3 s: on a 2-core machine V8's background compile and
 * GC threads keep pre-empting the client's and broker's main threads for the first
 * 2–3 s (seen with `perf sched`), which tripled p99 when only 0.5 s was discarded.
 */
const WARMUP_SECONDS_DEFAULT = 3;
const WARMUP_SECONDS_MAX = 600;

interface BenchOpts {
  records?: string;
  recordBytes: string;
  seconds?: string;
  warmup: string;
  rate: string;
  acks: string;
  compression: CompressionType;
  partitions: string;
  json?: boolean;
  against: string[];
  runs: string;
  report?: string;
  include: string[];
  transport: 'tcp' | 'ws';
}

/** `--against in-process`: the broker this command starts (the default without --against). */
const IN_PROCESS = 'in-process';
const RUNS_MAX = 100;
const INCLUDE_BYTES_MAX = 64 * 1024 * 1024;

function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function tableRow(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(8) : c.padStart(i === cells.length - 1 ? 0 : 11))).join(' ');
}

function percentileCells(p: Percentiles | null | undefined): string[] {
  if (p === undefined || p === null || p.count === 0) return ['-', '-', '-', '-'];
  return [num(p.p50), num(p.p99), num(p.p999), num(p.max)];
}

export function reportTable(r: BenchReport): string {
  const lines = [
    `samsa bench ${r.phase}: broker ${r.broker} over ${r.transport}, topic ${r.topic} (${r.partitions} partition${r.partitions === 1 ? '' : 's'}), ${r.recordBytes}-byte records, acks=${r.acks}, compression ${r.compression}`,
    tableRow(['phase', 'records', 'seconds', 'records/s', 'MB/s', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'latency of']),
  ];
  if (r.produce !== undefined) {
    const p = r.produce;
    lines.push(tableRow(['produce', num(p.records), num(p.seconds, 2), num(p.recordsPerSec), num(p.mbPerSec, 1), ...percentileCells(p.sendLatencyUs), 'send→ack of each send() call']));
  }
  if (r.consume !== undefined) {
    const c = r.consume;
    lines.push(tableRow(['consume', num(c.records), num(c.seconds, 2), num(c.recordsPerSec), num(c.mbPerSec, 1), '-', '-', '-', '-', c.complete ? '' : '(incomplete)']));
  }
  if (r.latency !== undefined) {
    const l = r.latency;
    const rps = l.seconds > 0 ? Math.round(l.records / l.seconds) : 0;
    const mb = l.seconds > 0 ? (l.records * r.recordBytes) / l.seconds / 1e6 : 0;
    lines.push(tableRow(['latency', num(l.records), num(l.seconds, 2), num(rps), num(mb, 1), ...percentileCells(l.latencyUs), `intended send→receive at ${num(l.ratePerSec)}/s`]));
    if (l.serviceLatencyUs !== null && l.serviceLatencyUs !== undefined) lines.push(tableRow(['', '', '', '', '', ...percentileCells(l.serviceLatencyUs), 'actual send→receive (service time)']));
    // Older saved reports lack these.
    if (typeof l.clientCpuPctOfCore === 'number') lines.push(`client CPU ${l.clientCpuPctOfCore}% of a core (all its threads); sends late against their due time p50 ${l.sendsLateUsP50} µs (per-record pacing)`);
    lines.push('latency is corrected for coordinated omission: measured from each record\'s intended send time at the fixed rate (as wrk2 and the OpenMessaging Benchmark do)');
  }
  return `${lines.join('\n')}\n`;
}

/** Several runs side by side: one row per run. */
export function comparisonTable(reports: readonly BenchReport[]): string {
  const width = Math.max(3, ...reports.map((r) => (r.label ?? r.broker).length));
  const row = (cells: readonly string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(width) : c.padStart(12))).join(' ');
  const lines = [row(['run', 'produce r/s', 'consume r/s', 'lat p50 µs', 'lat p99 µs', 'lat p99.9 µs', 'lat max µs'])];
  for (const r of reports) {
    lines.push(row([r.label ?? r.broker, r.produce === undefined ? '-' : num(r.produce.recordsPerSec), r.consume === undefined ? '-' : num(r.consume.recordsPerSec), ...percentileCells(r.latency?.latencyUs)]));
  }
  return `${lines.join('\n')}\n`;
}

/** Client target for the chosen transport. */
function targetFor(transport: 'tcp' | 'ws', address: string, httpPort: number | null): ConnectionOptions {
  if (transport === 'tcp') return { bootstrap: address, clientId: 'samsa-bench', connectTimeoutMs: CONNECT_TIMEOUT_MS, ...cliSecurityOptions() };
  let url: string;
  if (/^wss?:\/\//.test(address)) url = address;
  else if (httpPort !== null) {
    if (httpPort <= 0) throw new Error('the in-process broker serves no HTTP/WebSocket listener');
    url = `ws://127.0.0.1:${httpPort}/kafka`;
  } else url = `ws://${address}/kafka`;
  return { url, clientId: 'samsa-bench', connectTimeoutMs: CONNECT_TIMEOUT_MS };
}

/** One Metadata round trip, so an unreachable broker fails first with one clear line. */
async function checkReachable(target: ConnectionOptions): Promise<void> {
  const admin = new Admin(target);
  try {
    await admin.describeCluster();
  } catch (err) {
    throw connectFailure(target.bootstrap ?? target.url ?? '?', err);
  } finally {
    await admin.close();
  }
}

/**
 * The JSON values of a text that holds several back to back (`--json` prints one
 * pretty object per run): split where the nesting depth, outside strings, returns to 0.
 */
export function splitJsonValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
      if (depth < 0) throw new SyntaxError(`unbalanced ${c} at ${i}`);
    } else if (depth === 0 && !/\s/.test(c)) throw new SyntaxError(`unexpected ${JSON.stringify(c)} at ${i}`);
  }
  if (depth !== 0) throw new SyntaxError('unterminated JSON value');
  return out;
}

/** Runs saved with `--json` (one object per run; a JSON array of them works too), to show next to this run's. */
function readIncluded(path: string): BenchReport[] {
  let text: string;
  try {
    if (statSync(path).size > INCLUDE_BYTES_MAX) throw new UsageError(`--include ${path}: larger than ${INCLUDE_BYTES_MAX} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--include ${path}: ${(err as Error).message}`);
  }
  const values: unknown[] = [];
  try {
    for (const part of splitJsonValues(text)) {
      const v = JSON.parse(part) as unknown;
      if (Array.isArray(v)) values.push(...(v as unknown[]));
      else values.push(v);
    }
  } catch (err) {
    throw new UsageError(`--include ${path}: not the output of samsa bench --json (${(err as Error).message})`);
  }
  if (values.length === 0) throw new UsageError(`--include ${path}: no runs in it`);
  return values.map((v, i) => {
    const o = v as Partial<BenchReport>;
    if (typeof v !== 'object' || v === null || typeof o.phase !== 'string' || typeof o.broker !== 'string') throw new UsageError(`--include ${path}: value ${i + 1} is not a run of samsa bench --json`);
    return { ...(v as BenchReport), label: `${o.label ?? o.broker} (${basename(path)})` };
  });
}

interface RunSettings {
  phase: BenchPhase;
  records: number | null;
  throughputRecords: number | null;
  recordBytes: number;
  seconds: number | null;
  warmupSeconds: number;
  ratePerSec: number;
  acks: -1 | 0 | 1;
  partitions: number;
  compression: CompressionType;
  transport: 'tcp' | 'ws';
}

/** One run of the chosen phases at one target (the in-process broker is started and stopped here). */
async function runOnce(s: RunSettings, against: string, label: string, signal: AbortSignal): Promise<{ report: BenchReport; failure: Error | null }> {
  const wants = (p: Exclude<BenchPhase, 'all'>): boolean => s.phase === 'all' || s.phase === p;
  let transport = s.transport;
  if (/^wss?:\/\//.test(against)) transport = 'ws';
  let broker: Broker | null = null;
  let brokerName: string;
  let target: ConnectionOptions;
  if (against === IN_PROCESS) {
    // The broker's logs go to stderr: stdout carries the results (--json).
    setLogger(pino({ name: 'samsa', level: 'warn' }, pino.destination(2)));
    broker = await startBroker({ port: 0, 'http.port': 0, host: '127.0.0.1' });
    brokerName = `in-process 127.0.0.1:${broker.kafkaPort}`;
    target = targetFor(transport, `127.0.0.1:${broker.kafkaPort}`, broker.httpPort);
  } else {
    brokerName = against;
    target = targetFor(transport, against, null);
  }

  const topic = benchTopicName('samsa-bench');
  const latencyTopic = `${topic}-latency`;
  const created: string[] = [];
  const report: BenchReport = { phase: s.phase, broker: brokerName, label, startedAt: new Date().toISOString(), transport, topic, partitions: s.partitions, recordBytes: s.recordBytes, acks: s.acks, compression: s.compression };
  let failure: Error | null = null;
  try {
    await checkReachable(target);
    if (wants('produce') || wants('consume')) {
      await createTopic(target, topic, s.partitions);
      created.push(topic);
    }
    if (wants('latency')) {
      await createTopic(target, latencyTopic, 1);
      created.push(latencyTopic);
    }
    const common = { target, topic, recordBytes: s.recordBytes, compression: s.compression, signal };
    let produced = 0;
    if (wants('produce')) {
      const bar = startProgress('produce', s.throughputRecords ?? 0);
      try {
        report.produce = await runProduceLoad({ ...common, records: s.throughputRecords, seconds: s.seconds, acks: s.acks, onProgress: (n) => bar.update(n) });
      } finally {
        bar.stop();
      }
      produced = report.produce.records;
    } else if (wants('consume')) {
      // Consume alone: fill the topic first (not measured).
      const bar = startProgress('fill', s.throughputRecords ?? 0);
      try {
        produced = (await runProduceLoad({ ...common, records: s.throughputRecords, seconds: s.seconds, acks: 1, onProgress: (n) => bar.update(n) })).records;
      } finally {
        bar.stop();
      }
    }
    if (wants('consume') && !signal.aborted) {
      const bar = startProgress('consume', produced);
      try {
        report.consume = await runConsumeLoad({ target, topic, records: produced, signal, onProgress: (n) => bar.update(n) });
      } finally {
        bar.stop();
      }
      if (!report.consume.complete && !signal.aborted) {
        failure = new Error(`consume read ${report.consume.records} of ${produced} records before it went idle`);
      }
    }
    if (wants('latency') && !signal.aborted) {
      const measuredSeconds = s.seconds ?? LATENCY_SECONDS_DEFAULT;
      // A run bounded by --records keeps its warm-up only if enough is left to measure.
      const warmed = s.records === null || s.records / s.ratePerSec >= s.warmupSeconds + WARMUP_MIN_RUN_SECONDS;
      const latencySeconds = measuredSeconds + (warmed ? s.warmupSeconds : 0);
      const expected = Math.min(s.records ?? Infinity, Math.ceil(s.ratePerSec * latencySeconds));
      const bar = startProgress('latency', expected);
      try {
        report.latency = await runLatencyLoad({
          ...common,
          topic: latencyTopic,
          ratePerSec: s.ratePerSec,
          records: s.records,
          seconds: latencySeconds,
          warmupMs: warmed ? s.warmupSeconds * 1000 : 0,
          acks: s.acks,
          onProgress: (n) => bar.update(n),
        });
      } finally {
        bar.stop();
      }
    }
  } finally {
    if (created.length > 0) await deleteTopicsQuietly(target, created);
    if (broker !== null) await broker.close();
  }
  return { report, failure };
}

async function bench(phase: BenchPhase, o: BenchOpts): Promise<void> {
  // Arguments first: nothing starts on bad usage.
  const recordsGiven = o.records !== undefined;
  const records = recordsGiven ? parseIntArg('--records', o.records!, 1, RECORDS_MAX) : null;
  const recordBytes = parseIntArg('--record-bytes', o.recordBytes, 1, RECORD_BYTES_MAX);
  const seconds = o.seconds === undefined ? null : parsePositiveNumberArg('--seconds', o.seconds, SECONDS_MAX);
  const warmupSeconds = parseNumberArg('--warmup', o.warmup, 0, WARMUP_SECONDS_MAX);
  const ratePerSec = parseIntArg('--rate', o.rate, 1, RATE_MAX);
  const acks = parseAcks(o.acks);
  const partitions = parseIntArg('--partitions', o.partitions, 1, PARTITIONS_MAX);
  const runs = parseIntArg('--runs', o.runs, 1, RUNS_MAX);
  const wants = (p: Exclude<BenchPhase, 'all'>): boolean => phase === 'all' || phase === p;
  if (wants('latency') && recordBytes < RECORD_BYTES_MIN) throw new UsageError(`--record-bytes must be at least ${RECORD_BYTES_MIN} for latency (the send time is in the value)`);
  const targets = o.against.length === 0 ? [IN_PROCESS] : o.against;
  for (const t of targets) if (t !== IN_PROCESS && !/^wss?:\/\//.test(t)) checkBootstrap(t);
  if (o.report !== undefined && o.report.trim() === '') throw new UsageError('--report needs a file name');
  const included = o.include.flatMap(readIncluded);
  const settings: RunSettings = {
    phase,
    records,
    // Throughput phases: --records, else (with only --seconds) the time bound alone.
    throughputRecords: records ?? (seconds === null ? RECORDS_DEFAULT : null),
    recordBytes,
    seconds,
    warmupSeconds,
    ratePerSec,
    acks,
    partitions,
    compression: o.compression,
    transport: o.transport,
  };

  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const reports: BenchReport[] = [];
  let failure: Error | null = null;
  try {
    for (const against of targets) {
      for (let i = 1; i <= runs && !abort.signal.aborted && failure === null; i++) {
        const label = `${against}${runs > 1 ? ` #${i}` : ''}`;
        const r = await runOnce(settings, against, label, abort.signal);
        reports.push(r.report);
        failure = r.failure;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const tables = reports.map(reportTable).join('\n') + (reports.length + included.length > 1 ? `\n${comparisonTable([...included, ...reports])}` : '');
  if (o.json === true) {
    await writeOut(reports.map(jsonLine).join(''));
    process.stderr.write(tables);
  } else {
    await writeOut(tables);
  }
  if (o.report !== undefined) {
    writeFileSync(o.report, renderBenchReport([...included, ...reports]));
    process.stderr.write(`report: ${o.report}\n`);
  }
  if (failure !== null) throw failure;
  if (abort.signal.aborted) await finish(130);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('load test: produce throughput, consume throughput, end-to-end latency (in-process broker, or --against)')
    .addArgument(new Argument('<phase>', 'what to measure').choices(['produce', 'consume', 'latency', 'all']))
    .option('--records <n>', `records per throughput phase (default ${RECORDS_DEFAULT.toLocaleString('en-US')}; latency: at most this many)`)
    .option('--record-bytes <n>', 'value size of each record', '100')
    .option('--seconds <s>', `time bound of each phase (latency: measured seconds after the warm-up, default ${LATENCY_SECONDS_DEFAULT})`)
    .option('--warmup <s>', 'latency: seconds sent first and not recorded (JIT and GC settle)', String(WARMUP_SECONDS_DEFAULT))
    .option('--rate <n>', 'records per second sent in the latency phase', '10000')
    .addOption(new Option('--acks <acks>', 'producer acks').choices(['-1', '0', '1', 'all']).default('-1'))
    .addOption(new Option('-z, --compression <codec>', 'batch compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('--partitions <n>', 'partitions of the throughput topic', '1')
    .option('--json', 'print one JSON object per run on stdout (the tables go to stderr)')
    .option('--against <host:port>', `run at this broker instead of an in-process one (ws://… URL for WebSocket; '${IN_PROCESS}' for this command's own); repeat to compare brokers`, collect, [])
    .option('--runs <n>', 'run each target this many times', '1')
    .option('--report <file.html>', 'write a self-contained HTML report: summary, throughput over time, latency percentile plots, every run side by side')
    .option('--include <file.json>', 'add runs saved with --json to the tables and the report (repeatable)', collect, [])
    .addOption(new Option('--transport <t>', 'Kafka protocol over TCP or WebSocket (/kafka on the HTTP port)').choices(['tcp', 'ws']).default('tcp'))
    .action(async (phase: BenchPhase, o: BenchOpts) => {
      await bench(phase, o);
      await finish();
    });
}
