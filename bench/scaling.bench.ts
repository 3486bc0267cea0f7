// Scaling of one `samsa serve` process (issue 14): throughput and broker CPU per
// record as the number of partitions (1, 10, 100, 1,000) and of producer processes
// (1, 10, 100) grows, and broker memory and CPU as the number of idle consumers
// long-polling on it grows (1, 10, 100, 500), with how long a record takes to reach
// all of them. Producers and the partition sweep's consumer are native librdkafka
// load generators (bench/rdkafka/loadgen.c) in their own processes; the idle
// consumers are connections of Samsa's client from this process, each keeping one
// long-poll Fetch (max wait 500 ms) in flight. Broker CPU is utime+stime of its
// process (/proc/<pid>/stat), RSS its VmRSS.
// Prints tables and writes bench/results/scaling.json.
// Owns: this measurement only; the broker process, the loadgens and the /proc readings
// are lib/broker-process.ts's (shared with cross-process.bench.ts). Must not import
// the broker: it measures a separate process (this build's CLI or --broker-cli).
//
// Usage: node dist/bench/scaling.bench.js [--partitions 1,10,100,1000] [--producers 1,10,100]
//          [--consumers 1,10,100,500] [--records N (per produce phase, default 1,000,000)]
//          [--record-bytes 100] [--producer-partitions 8] [--idle-seconds 5] [--wake-rounds 20]
//          [--only partitions,producers,consumers] [--broker-cli PATH] [--nice=-20] [--out FILE]
//        (SAMSA_BENCH_QUICK=1: a quarter of the records, 2 s idle windows)

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import hdr from 'hdr-histogram-js';
import { API_KEYS, Admin, Connection } from '../src/client/index.js';
import { encodeRecordBatch } from '../src/protocol/record-batch.js';
import { type BrokerProcess, CLK_TCK, type PhaseTotals, coreSecPerMRecords, loadgenPath, parseNice, phaseTotals, processCpuTicks, readStats, startLoadgen, startSamsaServe } from './lib/broker-process.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string' },
    producers: { type: 'string' },
    consumers: { type: 'string' },
    records: { type: 'string' },
    'record-bytes': { type: 'string' },
    'producer-partitions': { type: 'string' },
    'idle-seconds': { type: 'string' },
    'wake-rounds': { type: 'string' },
    only: { type: 'string' },
    'broker-cli': { type: 'string' },
    nice: { type: 'string' },
    out: { type: 'string' },
  },
});

function list(value: string | undefined, fallback: number[], name: string): number[] {
  if (value === undefined) return fallback;
  const xs = value.split(',').map((s) => Number(s.trim()));
  for (const x of xs) if (!(Number.isInteger(x) && x > 0)) throw new Error(`--${name} wants positive integers, got '${value}'`);
  return xs;
}
function positive(value: string | undefined, fallback: number, name: string): number {
  const x = value === undefined ? fallback : Number(value);
  if (!(Number.isInteger(x) && x > 0)) throw new Error(`--${name} wants a positive integer, got '${value}'`);
  return x;
}

const QUICK = process.env.SAMSA_BENCH_QUICK === '1';
const partitionCounts = list(args.partitions, [1, 10, 100, 1000], 'partitions');
const producerCounts = list(args.producers, [1, 10, 100], 'producers');
const consumerCounts = list(args.consumers, [1, 10, 100, 500], 'consumers');
const RECORDS = positive(args.records, QUICK ? 250_000 : 1_000_000, 'records');
const RECORD_BYTES = positive(args['record-bytes'], 100, 'record-bytes');
const PRODUCER_PARTITIONS = positive(args['producer-partitions'], 8, 'producer-partitions');
const IDLE_SECONDS = positive(args['idle-seconds'], QUICK ? 2 : 5, 'idle-seconds');
const WAKE_ROUNDS = positive(args['wake-rounds'], 20, 'wake-rounds');
const sections = new Set((args.only ?? 'partitions,producers,consumers').split(',').map((s) => s.trim()));
for (const s of sections) if (!['partitions', 'producers', 'consumers'].includes(s)) throw new Error(`--only: unknown section '${s}'`);
const NICE = parseNice(args.nice);
const PHASE_TIMEOUT_S = 300;
/** The long-poll wait of the idle consumers' Fetches (librdkafka's and Java's default is 500 ms). */
const LONG_POLL_MS = 500;
/** Bounds the consumers' connection set-up: opened this many at a time. */
const OPEN_CONCURRENCY = 50;
/** Pause between wake rounds: every consumer has its next Fetch parked again by then. */
const WAKE_GAP_MS = 200;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ the broker's memory and threads

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Math.round((Number(m[1]) / 1024) * 10) / 10;
}
function threadCount(pid: number): number {
  const m = /Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? 0 : Number(m[1]);
}

// ------------------------------------------------------------------ load generator phases

interface PhaseResult extends PhaseTotals {
  brokerCpuSec: number;
  brokerCoreSecPerMRecords: number;
  brokerRssMiB: number;
  rttAvgMs: number | null;
  rttP99Ms: number | null;
}

/** Runs loadgen processes that start their measured window together; broker CPU over that window. */
async function runLoadgens(loadgen: string, broker: BrokerProcess, statsDir: string, argvs: string[][]): Promise<PhaseResult> {
  // Many processes need longer to start and fetch metadata before the window opens.
  const startAt = Date.now() + 600 + 40 * argvs.length;
  const files = argvs.map((_, i) => join(statsDir, `${Date.now()}-${i}.json`));
  const procs = argvs.map((a, i) => startLoadgen(loadgen, NICE, [...a, '--start-at', String(startAt), '--timeout-s', String(PHASE_TIMEOUT_S), '--stats-file', files[i]!]));
  await sleep(Math.max(0, startAt - Date.now()));
  const c0 = processCpuTicks(broker.pid);
  // Each result once its process has exited 0 (a failed exit fails the phase).
  const results = await Promise.all(
    procs.map(async (p) => {
      const code = await p.exit;
      const result = await p.line.catch(() => null);
      if (code !== 0 || result === null) throw new Error(`loadgen exited ${code}: ${p.stderr().slice(0, 800)}`);
      return result;
    }),
  );
  // The window closes when the last process printed; exits after it cost the broker little.
  const c1 = processCpuTicks(broker.pid);
  const failed = results.find((r) => r.errors > 0);
  if (failed !== undefined) throw new Error(`loadgen reported errors: ${failed.firstError}`);
  const totals = phaseTotals(results);
  const brokerCpuSec = (c1 - c0) / CLK_TCK;
  // Only the round trips are used here (the request kind picks what requests/bytes count).
  const rtts = files
    .map((f) => readStats(f, 'Produce'))
    .flatMap((r) => (r === null || r.rttSamples === 0 ? [] : [{ rttAvgMs: r.rttAvgUs / 1000, rttP99Ms: r.rttP99Us / 1000 }]));
  for (const f of files) rmSync(f, { force: true });
  return {
    ...totals,
    brokerCpuSec,
    brokerCoreSecPerMRecords: coreSecPerMRecords(brokerCpuSec, totals.records),
    clientCpuSec: Math.round(totals.clientCpuSec * 100) / 100,
    brokerRssMiB: rssMiB(broker.pid),
    rttAvgMs: rtts.length === 0 ? null : Math.round((rtts.reduce((a, r) => a + r.rttAvgMs, 0) / rtts.length) * 100) / 100,
    rttP99Ms: rtts.length === 0 ? null : Math.round(Math.max(...rtts.map((r) => r.rttP99Ms)) * 100) / 100,
  };
}

// ------------------------------------------------------------------ idle consumers

interface ConsumersResult {
  consumers: number;
  brokerRssBeforeMiB: number;
  brokerRssIdleMiB: number;
  rssPerConsumerKiB: number;
  brokerThreads: number;
  idleBrokerCpuPct: number;
  fetchesPerSec: number;
  wakeRounds: number;
  /** From a produce's send to each consumer's Fetch answer carrying it, µs. */
  wakeP50Us: number;
  wakeP99Us: number;
  wakeP999Us: number;
  wakeMaxUs: number;
}

function fetchBody(topic: string, offset: number): object {
  return {
    clusterId: null, replicaId: -1, maxWaitMs: LONG_POLL_MS, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{
      topic, topicId: '00000000000000000000000000000000',
      partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }],
    }],
    forgottenTopicsData: [], rackId: '',
  };
}

interface FetchAnswer {
  responses: Array<{ partitions: Array<{ errorCode: number; highWatermark: bigint | number; records: Uint8Array | null }> }>;
}

async function idleConsumers(broker: BrokerProcess, admin: Admin, n: number): Promise<ConsumersResult> {
  const topic = `scaling-idle-${n}-${Date.now()}`;
  await admin.createTopics([{ name: topic, numPartitions: 1, replicationFactor: 1 }]);
  await sleep(300);
  const rssBefore = rssMiB(broker.pid);
  const conns: Connection[] = [];
  for (let i = 0; i < n; i += OPEN_CONCURRENCY) {
    const batch = await Promise.all(Array.from({ length: Math.min(OPEN_CONCURRENCY, n - i) }, () => Connection.open({ bootstrap: broker.bootstrap, clientId: 'scaling-idle' })));
    conns.push(...batch);
  }
  let fetches = 0;
  let stopping = false;
  /** Set by a wake round: when the record was sent, and which consumers have not seen it yet. */
  let wake: { t0: bigint; offset: number; waiting: Set<number> } | null = null;
  const hist = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const loops = conns.map(async (conn, i) => {
    let offset = 0;
    // Bounded by `stopping` (set after the measurement) and by each Fetch's long-poll wait.
    while (!stopping) {
      const res = await conn.request<FetchAnswer>(API_KEYS.Fetch, fetchBody(topic, offset), { extraTimeoutMs: LONG_POLL_MS });
      fetches++;
      const p = res.responses[0]?.partitions[0];
      if (p === undefined || p.errorCode !== 0) throw new Error(`idle consumer Fetch failed: error ${p?.errorCode}`);
      const hw = Number(p.highWatermark);
      if (p.records !== null && p.records.byteLength > 0 && wake !== null && hw > wake.offset && wake.waiting.delete(i)) {
        hist.recordValue(Math.max(1, Number((process.hrtime.bigint() - wake.t0) / 1000n)));
      }
      offset = hw;
    }
  });
  const loopsDone = Promise.all(loops);
  loopsDone.catch(() => undefined);
  await sleep(1000); // every consumer has its first long-poll parked
  const f0 = fetches;
  const c0 = processCpuTicks(broker.pid);
  const t0 = Date.now();
  await sleep(IDLE_SECONDS * 1000);
  const idleCpuPct = Math.round(((processCpuTicks(broker.pid) - c0) / CLK_TCK / ((Date.now() - t0) / 1000)) * 1000) / 10;
  const fetchesPerSec = Math.round((fetches - f0) / ((Date.now() - t0) / 1000));
  const rssIdle = rssMiB(broker.pid);
  const threads = threadCount(broker.pid);

  // Wake latency: one record produced at a time; each parked Fetch should answer with it.
  const producer = await Connection.open({ bootstrap: broker.bootstrap, clientId: 'scaling-wake' });
  const value = new Uint8Array(RECORD_BYTES).fill(120);
  for (let r = 0; r < WAKE_ROUNDS; r++) {
    wake = { t0: process.hrtime.bigint(), offset: r, waiting: new Set(conns.map((_, i) => i)) };
    await producer.request(API_KEYS.Produce, {
      transactionalId: null, acks: 1, timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: [{ index: 0, records: encodeRecordBatch([{ value }]) }] }],
    });
    await sleep(WAKE_GAP_MS);
  }
  stopping = true;
  producer.close();
  // Closing fails the parked Fetches: the loops end through their rejections.
  for (const c of conns) c.close();
  await loopsDone.catch(() => undefined);
  await admin.deleteTopics([topic]).catch(() => undefined);
  const q = (p: number): number => Math.round(hist.getValueAtPercentile(p));
  const result: ConsumersResult = {
    consumers: n,
    brokerRssBeforeMiB: rssBefore,
    brokerRssIdleMiB: rssIdle,
    rssPerConsumerKiB: Math.round(((rssIdle - rssBefore) * 1024) / n),
    brokerThreads: threads,
    idleBrokerCpuPct: idleCpuPct,
    fetchesPerSec,
    wakeRounds: WAKE_ROUNDS,
    wakeP50Us: q(50),
    wakeP99Us: q(99),
    wakeP999Us: q(99.9),
    wakeMaxUs: Math.round(hist.maxValue),
  };
  return result;
}

// ------------------------------------------------------------------ main

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const loadgen = loadgenPath('scaling bench');
const broker = await startSamsaServe({ cli: args['broker-cli'], dataDirPrefix: 'samsa-scaling-', nice: NICE });
const statsDir = mkdtempSync(join(tmpdir(), 'samsa-scaling-stats-'));
const admin = new Admin({ bootstrap: broker.bootstrap });
const loadAverageAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
console.log(`scaling bench: broker pid ${broker.pid} at ${broker.bootstrap}, ${cpus().length} cores${NICE === null ? '' : `, nice ${NICE}`}, load average ${loadAverageAtStart.join(' ')}`);
console.log(`${fmt(RECORDS)} × ${RECORD_BYTES} B per produce phase, acks=1; brk s/M = broker core-seconds per million records; rtt = librdkafka's request round trip (mean / worst p99)`);

interface ThroughputRow extends PhaseResult {
  sweep: 'partitions' | 'producers';
  phase: 'produce' | 'consume';
  partitions: number;
  producers: number;
}
const throughput: ThroughputRow[] = [];
const consumers: ConsumersResult[] = [];
const rowLine = (r: ThroughputRow): string =>
  [
    r.phase.padEnd(8), String(r.partitions).padStart(5), String(r.producers).padStart(5), fmt(r.recordsPerSec).padStart(11), r.mbPerSec.toFixed(0).padStart(5),
    r.brokerCpuSec.toFixed(2).padStart(7), r.brokerCoreSecPerMRecords.toFixed(3).padStart(8), r.clientCpuSec.toFixed(2).padStart(7), r.brokerRssMiB.toFixed(0).padStart(6),
    r.rttAvgMs === null ? '' : `${r.rttAvgMs.toFixed(1)} / ${(r.rttP99Ms ?? 0).toFixed(1)} ms`,
  ].join(' ');
const THROUGHPUT_HEADER = 'phase    parts procs   records/s  MB/s brk cpu brk s/M cli cpu RSS MiB rtt avg / p99';

try {
  if (sections.has('partitions')) {
    console.log('\npartitions (1 producer, then 1 consumer reading every partition, 1 MiB per partition per fetch)');
    console.log(THROUGHPUT_HEADER);
    for (const partitions of partitionCounts) {
      const topic = `scaling-p${partitions}-${Date.now()}`;
      await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: 1 }]);
      const common = ['--bootstrap', broker.bootstrap, '--topic', topic, '--records', String(RECORDS)];
      const produce = await runLoadgens(loadgen, broker, statsDir, [['produce', ...common, '--record-bytes', String(RECORD_BYTES), '--acks', '1']]);
      throughput.push({ sweep: 'partitions', phase: 'produce', partitions, producers: 1, ...produce });
      console.log(rowLine(throughput.at(-1)!));
      const consume = await runLoadgens(loadgen, broker, statsDir, [['consume', ...common]]);
      throughput.push({ sweep: 'partitions', phase: 'consume', partitions, producers: 1, ...consume });
      console.log(rowLine(throughput.at(-1)!));
      await admin.deleteTopics([topic]).catch(() => undefined);
    }
  }
  if (sections.has('producers')) {
    console.log(`\nproducers (that many loadgen processes, ${PRODUCER_PARTITIONS} partitions, the records split among them)`);
    console.log(THROUGHPUT_HEADER);
    for (const producers of producerCounts) {
      const topic = `scaling-n${producers}-${Date.now()}`;
      await admin.createTopics([{ name: topic, numPartitions: PRODUCER_PARTITIONS, replicationFactor: 1 }]);
      const per = Math.ceil(RECORDS / producers);
      const argvs = Array.from({ length: producers }, () => ['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--records', String(per), '--record-bytes', String(RECORD_BYTES), '--acks', '1']);
      const produce = await runLoadgens(loadgen, broker, statsDir, argvs);
      throughput.push({ sweep: 'producers', phase: 'produce', partitions: PRODUCER_PARTITIONS, producers, ...produce });
      console.log(rowLine(throughput.at(-1)!));
      await admin.deleteTopics([topic]).catch(() => undefined);
    }
  }
  if (sections.has('consumers')) {
    console.log(`\nidle consumers (connections each keeping one ${LONG_POLL_MS} ms long-poll Fetch parked on an empty partition for ${IDLE_SECONDS} s; then ${WAKE_ROUNDS} single records, each answered to all of them)`);
    console.log('consumers RSS before  RSS idle  KiB/consumer threads idle CPU fetches/s   wake p50 / p99 / p99.9 / max (µs, send → each consumer)');
    for (const n of consumerCounts) {
      const r = await idleConsumers(broker, admin, n);
      consumers.push(r);
      console.log([
        String(n).padStart(9), r.brokerRssBeforeMiB.toFixed(1).padStart(10), r.brokerRssIdleMiB.toFixed(1).padStart(9), String(r.rssPerConsumerKiB).padStart(13),
        String(r.brokerThreads).padStart(7), `${r.idleBrokerCpuPct.toFixed(1)}%`.padStart(9), fmt(r.fetchesPerSec).padStart(9),
        `   ${fmt(r.wakeP50Us)} / ${fmt(r.wakeP99Us)} / ${fmt(r.wakeP999Us)} / ${fmt(r.wakeMaxUs)}`,
      ].join(' '));
    }
  }
} finally {
  await admin.close();
  await broker.stop();
  rmSync(statsDir, { recursive: true, force: true });
}

const out = args.out ?? new URL('../../bench/results/scaling.json', import.meta.url).pathname;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({
  at: new Date().toISOString(), loadAverageAtStart, loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100), cores: cpus().length,
  node: process.version, brokerCli: args['broker-cli'] ?? null, nice: NICE, records: RECORDS, recordBytes: RECORD_BYTES, throughput, consumers,
}, null, 1));
console.log(`wrote ${out}`);
