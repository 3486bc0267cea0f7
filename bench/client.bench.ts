// Client benchmark: Samsa's TypeScript client against a broker it starts in this
// process (or --against HOST:PORT), over TCP and over WebSocket when a Kafka
// WebSocket listener answers. Measures, with 100-byte records:
//   produce  — 1 producer, batchSize 16 KiB, lingerMs 1, acks=1 and acks=-1 (records/s acknowledged)
//   consume  — 1 consumer reading the acks=1 topic from earliest (records/s delivered to eachMessage)
//   latency  — end to end (send → eachMessage) at a fixed 10,000 msg/s, the send time in the value,
//              hdr-histogram p50/p99/p99.9/max
// Prints a table and writes bench/results/client.json.
// Usage: node dist/bench/client.bench.js [--seconds N] [--partitions N] [--against HOST:PORT] [--ws-url URL]
//        SAMSA_BENCH_QUICK=1 for a ~10 s run.
// Note: with the in-process broker, the broker's network thread is this process's
// event loop too, so the numbers include its work (the shards run on worker threads).

import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Admin } from '../src/client/index.js';
import { runConsumeLoad, runLatencyLoad, runProduceLoad } from '../src/loadgen/index.js';
import { type Broker, startBroker } from '../src/server.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    partitions: { type: 'string' },
    against: { type: 'string' },
    'ws-url': { type: 'string' },
    only: { type: 'string' },
  },
});
const quick = process.env.SAMSA_BENCH_QUICK === '1';
const seconds = Number(args.seconds ?? (quick ? 1.5 : 5));
// Latency: a warm-up that is sent but not recorded, then the measured seconds. Why 3 s:
// V8's background compile/GC threads pre-empt the main threads for the first 2–3 s on
// 2 cores (seen with `perf sched`); with 0.5 s of warm-up p99 was 3–4 ms, with 3 s ~1.2 ms.
const LATENCY_WARMUP_MS = quick ? 500 : 3000;
const latencySeconds = (quick ? 2 : Math.max(10, seconds)) + LATENCY_WARMUP_MS / 1000;
const partitions = Number(args.partitions ?? 1);
const RECORD_BYTES = 100;
const BATCH_SIZE = 16 * 1024;
const LINGER_MS = 1;
const LATENCY_RATE = 10_000;
const MESSAGES_PER_SEND = 1000;
const SENDS_IN_FLIGHT_MAX = 64;

interface Target {
  transport: 'tcp' | 'websocket';
  options: { bootstrap: string } | { url: string };
}

interface ProduceResult {
  acks: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

interface ConsumeResult {
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

interface LatencyResult {
  ratePerSec: number;
  records: number;
  /** From each record's intended send time (corrected for coordinated omission, as src/loadgen measures). */
  latencyFrom: 'intended-send-time';
  latencyUs: { p50: number; p99: number; p999: number; max: number };
  /** From the actual send (service time), for comparison with results before the correction. */
  serviceLatencyUs: { p50: number; p99: number; p999: number; max: number } | null;
}

// The loads themselves are src/loadgen's (shared with `samsa bench`); this file
// keeps its own phases, table and JSON file.

async function produce(target: Target, topic: string, acks: -1 | 1): Promise<ProduceResult> {
  const r = await runProduceLoad({
    target: target.options,
    topic,
    records: null,
    seconds,
    recordBytes: RECORD_BYTES,
    acks,
    batchSize: BATCH_SIZE,
    lingerMs: LINGER_MS,
    messagesPerSend: MESSAGES_PER_SEND,
    sendsInFlightMax: SENDS_IN_FLIGHT_MAX,
  });
  return { acks, records: r.records, seconds: r.seconds, recordsPerSec: r.recordsPerSec, mbPerSec: Math.round(r.bytes / r.seconds / 1e6) };
}

async function consume(target: Target, topic: string, total: number): Promise<ConsumeResult> {
  const r = await runConsumeLoad({ target: target.options, topic, records: total, maxWaitMs: 500, maxPartitionBytes: 8 * 1024 * 1024, maxBytes: 64 * 1024 * 1024 });
  return { records: r.records, seconds: r.seconds, recordsPerSec: r.recordsPerSec, mbPerSec: Math.round(r.bytes / r.seconds / 1e6) };
}

async function latency(target: Target, topic: string): Promise<LatencyResult> {
  const r = await runLatencyLoad({
    target: target.options,
    topic,
    ratePerSec: LATENCY_RATE,
    records: null,
    seconds: latencySeconds,
    warmupMs: LATENCY_WARMUP_MS,
    recordBytes: RECORD_BYTES,
    acks: 1,
    batchSize: BATCH_SIZE,
    maxWaitMs: 100,
  });
  const pick = (p: { p50: number; p99: number; p999: number; max: number }) => ({ p50: p.p50, p99: p.p99, p999: p.p999, max: p.max });
  return { ratePerSec: r.ratePerSec, records: r.records, latencyFrom: r.latencyFrom, latencyUs: pick(r.latencyUs), serviceLatencyUs: r.serviceLatencyUs === null ? null : pick(r.serviceLatencyUs) };
}

interface TransportResults {
  transport: string;
  produceAcks1?: ProduceResult;
  produceAcksAll?: ProduceResult;
  consume?: ConsumeResult;
  latency?: LatencyResult;
  unavailable?: string;
}

async function runTarget(target: Target, only: string | undefined): Promise<TransportResults> {
  const admin = new Admin(target.options);
  const suffix = `${target.transport}-${Date.now()}`;
  const out: TransportResults = { transport: target.transport };
  const want = (what: string): boolean => only === undefined || only.split(',').includes(what);
  try {
    const t1 = `bench-acks1-${suffix}`;
    const tAll = `bench-acksall-${suffix}`;
    const tLat = `bench-latency-${suffix}`;
    await admin.createTopics([
      { name: t1, numPartitions: partitions },
      { name: tAll, numPartitions: partitions },
      { name: tLat, numPartitions: 1 },
    ]);
    if (want('produce') || want('consume')) {
      out.produceAcks1 = await produce(target, t1, 1);
      console.log(`  ${target.transport} produce acks=1: ${out.produceAcks1.recordsPerSec.toLocaleString()} msg/s`);
    }
    if (want('produce')) {
      out.produceAcksAll = await produce(target, tAll, -1);
      console.log(`  ${target.transport} produce acks=-1: ${out.produceAcksAll.recordsPerSec.toLocaleString()} msg/s`);
    }
    if (want('consume')) {
      out.consume = await consume(target, t1, out.produceAcks1!.records);
      console.log(`  ${target.transport} consume: ${out.consume.recordsPerSec.toLocaleString()} msg/s`);
    }
    if (want('latency')) {
      out.latency = await latency(target, tLat);
      console.log(`  ${target.transport} latency p99: ${out.latency.latencyUs.p99} µs (from intended send time; service time p99 ${out.latency.serviceLatencyUs?.p99 ?? '-'} µs)`);
    }
    await admin.deleteTopics([t1, tAll, tLat]).catch(() => {});
  } finally {
    await admin.close();
  }
  return out;
}

async function webSocketAnswers(url: string): Promise<string | null> {
  const probe = new Admin({ url, connectTimeoutMs: 2000, requestTimeoutMs: 5000 });
  try {
    await probe.listTopics();
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await probe.close();
  }
}

function row(cells: Array<string | number>): string {
  return cells.map((c, i) => String(c).padStart(i === 0 ? 10 : 16)).join(' ');
}

async function main(): Promise<void> {
  let broker: Broker | null = null;
  let bootstrap: string;
  let wsUrl: string | undefined = args['ws-url'];
  if (args.against !== undefined) {
    bootstrap = args.against;
  } else {
    broker = await startBroker({ port: 0, 'http.port': 0, host: '127.0.0.1' });
    bootstrap = `127.0.0.1:${broker.kafkaPort}`;
    if (wsUrl === undefined && broker.httpPort > 0) wsUrl = `ws://127.0.0.1:${broker.httpPort}/kafka`;
  }
  console.log(`client bench: ${quick ? 'quick, ' : ''}${seconds} s per throughput phase, ${latencySeconds} s latency, ${partitions} partition(s), broker ${args.against ?? 'in-process'}`);
  const results: TransportResults[] = [];
  try {
    results.push(await runTarget({ transport: 'tcp', options: { bootstrap } }, args.only));
    if (wsUrl === undefined) {
      results.push({ transport: 'websocket', unavailable: 'no WebSocket listener (startBroker serves none yet; pass --ws-url)' });
    } else {
      const why = await webSocketAnswers(wsUrl);
      if (why === null) results.push(await runTarget({ transport: 'websocket', options: { url: wsUrl } }, args.only));
      else results.push({ transport: 'websocket', unavailable: `${wsUrl}: ${why}` });
    }
  } finally {
    if (broker !== null) {
      await broker.close();
      rmSync(broker.dataDir, { recursive: true, force: true });
    }
  }

  console.log();
  console.log(row(['transport', 'produce acks=1', 'produce acks=-1', 'consume', 'e2e p50 µs', 'p99 µs', 'p99.9 µs', 'max µs']));
  for (const r of results) {
    if (r.unavailable !== undefined) {
      console.log(`${r.transport.padStart(10)}  unavailable: ${r.unavailable}`);
      continue;
    }
    const l = r.latency?.latencyUs;
    console.log(
      row([
        r.transport,
        r.produceAcks1 ? `${r.produceAcks1.recordsPerSec.toLocaleString()}/s` : '-',
        r.produceAcksAll ? `${r.produceAcksAll.recordsPerSec.toLocaleString()}/s` : '-',
        r.consume ? `${r.consume.recordsPerSec.toLocaleString()}/s` : '-',
        l?.p50 ?? '-',
        l?.p99 ?? '-',
        l?.p999 ?? '-',
        l?.max ?? '-',
      ]),
    );
  }
  console.log('e2e latency is measured from each record\'s intended send time at the fixed rate (corrected for coordinated omission, as wrk2 and OMB do)');
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  const file = new URL('../../bench/results/client.json', import.meta.url);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        at: new Date().toISOString(),
        quick,
        broker: args.against ?? 'in-process',
        recordBytes: RECORD_BYTES,
        batchSize: BATCH_SIZE,
        lingerMs: LINGER_MS,
        partitions,
        messagesPerSend: MESSAGES_PER_SEND,
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${file.pathname}`);
}

await main();
