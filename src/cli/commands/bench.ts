// `samsa bench produce|consume|latency|all`: run src/loadgen's loads at an
// in-process broker (started here on free ports with a temporary data dir) or, with
// --against, at any Kafka-protocol broker; show progress on stderr, print a table,
// or one JSON object on stdout with --json. Owns: the arguments, the broker's
// lifetime, the phase order and the output. Must not implement load loops
// (src/loadgen does) nor assert speed.

import { type Command, Argument, Option } from 'commander';
import { pino } from 'pino';
import { Admin, type CompressionType, type ConnectionOptions } from '../../client/index.js';
import {
  type ConsumeLoadResult,
  type LatencyLoadResult,
  type Percentiles,
  type ProduceLoadResult,
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
import { CONNECT_TIMEOUT_MS, UsageError, checkBootstrap, connectFailure, finish, jsonLine, parseAcks, parseIntArg, parseNumberArg, parsePositiveNumberArg, writeOut } from '../common.js';
import { startProgress } from '../progress.js';

export type BenchPhase = 'produce' | 'consume' | 'latency' | 'all';

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
  against?: string;
  transport: 'tcp' | 'ws';
}

/** The one JSON object `samsa bench --json` prints. */
export interface BenchReport {
  phase: BenchPhase;
  broker: string;
  transport: 'tcp' | 'ws';
  topic: string;
  partitions: number;
  recordBytes: number;
  acks: number;
  compression: CompressionType;
  produce?: ProduceLoadResult;
  consume?: ConsumeLoadResult;
  latency?: LatencyLoadResult;
}

function num(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function tableRow(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(8) : c.padStart(i === cells.length - 1 ? 0 : 11))).join(' ');
}

function percentileCells(p: Percentiles | undefined): string[] {
  if (p === undefined || p.count === 0) return ['-', '-', '-', '-'];
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
    lines.push(tableRow(['latency', num(l.records), num(l.seconds, 2), num(rps), num(mb, 1), ...percentileCells(l.latencyUs), `send→receive at ${num(l.ratePerSec)}/s`]));
  }
  return `${lines.join('\n')}\n`;
}

/** Client target for the chosen transport. */
function targetFor(transport: 'tcp' | 'ws', address: string, httpPort: number | null): ConnectionOptions {
  if (transport === 'tcp') return { bootstrap: address, clientId: 'samsa-bench', connectTimeoutMs: CONNECT_TIMEOUT_MS };
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
  const wants = (p: Exclude<BenchPhase, 'all'>): boolean => phase === 'all' || phase === p;
  if (wants('latency') && recordBytes < RECORD_BYTES_MIN) throw new UsageError(`--record-bytes must be at least ${RECORD_BYTES_MIN} for latency (the send time is in the value)`);
  let transport = o.transport;
  if (o.against !== undefined) {
    if (/^wss?:\/\//.test(o.against)) transport = 'ws';
    else checkBootstrap(o.against);
  }
  // Throughput phases: --records, else (with only --seconds) the time bound alone.
  const throughputRecords = records ?? (seconds === null ? RECORDS_DEFAULT : null);

  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let broker: Broker | null = null;
  let brokerName: string;
  let target: ConnectionOptions;
  if (o.against === undefined) {
    // The broker's logs go to stderr: stdout carries the results (--json).
    setLogger(pino({ name: 'samsa', level: 'warn' }, pino.destination(2)));
    broker = await startBroker({ port: 0, 'http.port': 0, host: '127.0.0.1' });
    brokerName = `in-process 127.0.0.1:${broker.kafkaPort}`;
    target = targetFor(transport, `127.0.0.1:${broker.kafkaPort}`, broker.httpPort);
  } else {
    brokerName = o.against;
    target = targetFor(transport, o.against, null);
  }

  const topic = benchTopicName('samsa-bench');
  const latencyTopic = `${topic}-latency`;
  const created: string[] = [];
  const report: BenchReport = { phase, broker: brokerName, transport, topic, partitions, recordBytes, acks, compression: o.compression };
  let failure: Error | null = null;
  try {
    await checkReachable(target);
    if (wants('produce') || wants('consume')) {
      await createTopic(target, topic, partitions);
      created.push(topic);
    }
    if (wants('latency')) {
      await createTopic(target, latencyTopic, 1);
      created.push(latencyTopic);
    }
    const common = { target, topic, recordBytes, compression: o.compression, signal: abort.signal };
    let produced = 0;
    if (wants('produce')) {
      const bar = startProgress('produce', throughputRecords ?? 0);
      try {
        report.produce = await runProduceLoad({ ...common, records: throughputRecords, seconds, acks, onProgress: (n) => bar.update(n) });
      } finally {
        bar.stop();
      }
      produced = report.produce.records;
    } else if (wants('consume')) {
      // Consume alone: fill the topic first (not measured).
      const bar = startProgress('fill', throughputRecords ?? 0);
      try {
        produced = (await runProduceLoad({ ...common, records: throughputRecords, seconds, acks: 1, onProgress: (n) => bar.update(n) })).records;
      } finally {
        bar.stop();
      }
    }
    if (wants('consume') && !abort.signal.aborted) {
      const bar = startProgress('consume', produced);
      try {
        report.consume = await runConsumeLoad({ target, topic, records: produced, signal: abort.signal, onProgress: (n) => bar.update(n) });
      } finally {
        bar.stop();
      }
      if (!report.consume.complete && !abort.signal.aborted) {
        failure = new Error(`consume read ${report.consume.records} of ${produced} records before it went idle`);
      }
    }
    if (wants('latency') && !abort.signal.aborted) {
      const measuredSeconds = seconds ?? LATENCY_SECONDS_DEFAULT;
      // A run bounded by --records keeps its warm-up only if enough is left to measure.
      const warmed = records === null || records / ratePerSec >= warmupSeconds + WARMUP_MIN_RUN_SECONDS;
      const latencySeconds = measuredSeconds + (warmed ? warmupSeconds : 0);
      const expected = Math.min(records ?? Infinity, Math.ceil(ratePerSec * latencySeconds));
      const bar = startProgress('latency', expected);
      try {
        report.latency = await runLatencyLoad({
          ...common,
          topic: latencyTopic,
          ratePerSec,
          records,
          seconds: latencySeconds,
          warmupMs: warmed ? warmupSeconds * 1000 : 0,
          acks,
          onProgress: (n) => bar.update(n),
        });
      } finally {
        bar.stop();
      }
    }
  } finally {
    if (created.length > 0) await deleteTopicsQuietly(target, created);
    if (broker !== null) await broker.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (o.json === true) {
    await writeOut(jsonLine(report));
    process.stderr.write(reportTable(report));
  } else {
    await writeOut(reportTable(report));
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
    .option('--json', 'print one JSON object on stdout (the table goes to stderr)')
    .option('--against <host:port>', 'run at this broker instead of an in-process one (ws://… URL for WebSocket)')
    .addOption(new Option('--transport <t>', 'Kafka protocol over TCP or WebSocket (/kafka on the HTTP port)').choices(['tcp', 'ws']).default('tcp'))
    .action(async (phase: BenchPhase, o: BenchOpts) => {
      await bench(phase, o);
      await finish();
    });
}
