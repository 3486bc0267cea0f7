// Stop and restart with many partitions, the broker in its own process: a topic of
// --partitions partitions, --records records written across all of them (Samsa's
// client, acks=1), then
//   clean stop:      SIGTERM until the process ended (every written partition's close:
//                    fdatasyncs, producer snapshot, then the clean-shutdown marker);
//   clean restart:   spawn until GET /healthz answers 200 (the offsets summary: nothing
//                    recovered, partitions opened on first use);
//   unclean restart: the same records written again, kill -9, then spawn until /healthz
//                    200 (every partition recovered in the piscina pool; those with no
//                    open transaction registered from their recovery, the rest opened);
//   clean stop again: the records written a third time, then SIGTERM until the process
//                    ended (as the first, but every partition now has an older snapshot).
// Variants alternate run by run (ABAB…): each --broker-cli, and with --also-env K=V
// each of them once more with that variable set (e.g. SAMSA_SYNCFS=0 for the build's
// own before/after). Prints medians per variant and writes bench/results/restart.json.
// Owns: orchestration and timing only. Must not import the broker.
// Usage: node dist/bench/restart.bench.js [--partitions 1000] [--records 2000] [--runs 3]
//          [--broker-cli PATH ...] [--also-env KEY=VALUE]   (SAMSA_BENCH_QUICK=1: 200 partitions, 1 run)

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin, Producer } from '../src/client/index.js';
import { freePort } from './lib/broker-process.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1000' },
    records: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    'broker-cli': { type: 'string', multiple: true },
    'also-env': { type: 'string' },
  },
});
const quick = process.env.SAMSA_BENCH_QUICK === '1';
const PARTITIONS = quick ? 200 : Number(args.partitions);
const RECORDS = Number(args.records);
const RUNS = quick ? 1 : Number(args.runs);
if (!(Number.isInteger(PARTITIONS) && PARTITIONS > 0 && Number.isInteger(RECORDS) && RECORDS > 0 && Number.isInteger(RUNS) && RUNS > 0)) {
  throw new Error('--partitions, --records and --runs want positive integers');
}
/** A start that is not ready by then is reported as stuck, not waited for. */
const READY_TIMEOUT_MS = 120_000;
const POLL_MS = 5;

// The bundled CLI by default: what `npm start` and the `samsa` bin run.
const CLIS = args['broker-cli'] ?? [new URL('../bundle/src/cli/main.js', import.meta.url).pathname];
interface Variant {
  label: string;
  cli: string;
  env: Record<string, string>;
}
const variants: Variant[] = [];
for (const cli of CLIS) {
  variants.push({ label: CLIS.length > 1 ? cli : 'this build', cli, env: {} });
  if (args['also-env'] !== undefined) {
    const [k, ...v] = args['also-env'].split('=');
    if (k === undefined || k === '' || v.length === 0) throw new Error('--also-env wants KEY=VALUE');
    variants.push({ label: `${CLIS.length > 1 ? cli : 'this build'} with ${args['also-env']}`, cli, env: { [k]: v.join('=') } });
  }
}

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  readyMs: number;
}

/** Spawns `serve` on fixed ports and polls /healthz from the spawn until it answers 200. */
async function serve(v: Variant, dataDir: string, kafkaPort: number, httpPort: number): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [v.cli, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(kafkaPort), '--http-port', String(httpPort), '--log-level', 'warn'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...v.env },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`${v.label}: serve exited before it was ready`);
    if (performance.now() - t0 > READY_TIMEOUT_MS) {
      child.kill('SIGKILL');
      throw new Error(`${v.label}: not ready after ${READY_TIMEOUT_MS} ms`);
    }
    try {
      const r = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
      if (r.status === 200) return { child, exited, readyMs: performance.now() - t0 };
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** RECORDS records of 100 B spread over every partition, acks=1. */
async function write(bootstrap: string, topic: string, round: number): Promise<void> {
  const producer = new Producer({ bootstrap, acks: 1, lingerMs: 5 });
  const value = 'x'.repeat(100);
  const sends: Array<Promise<unknown>> = [];
  for (let i = 0; i < RECORDS; i++) sends.push(producer.send({ topic, messages: [{ key: `r${round}-${i}`, value, partition: i % PARTITIONS }] }));
  await Promise.all(sends);
  await producer.close();
}

interface Run {
  cleanStopMs: number;
  cleanReadyMs: number;
  uncleanReadyMs: number;
  cleanStopAgainMs: number;
}

async function once(v: Variant): Promise<Run> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-restart-'));
  try {
    const kafkaPort = await freePort();
    const httpPort = await freePort();
    const bootstrap = `127.0.0.1:${kafkaPort}`;
    let b = await serve(v, dataDir, kafkaPort, httpPort);
    const admin = new Admin({ bootstrap });
    await admin.createTopics([{ name: 'many', numPartitions: PARTITIONS }]);
    await admin.close();
    await write(bootstrap, 'many', 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t0 = performance.now();
    b.child.kill('SIGTERM');
    const code = await b.exited;
    const cleanStopMs = performance.now() - t0;
    if (code !== 0) throw new Error(`${v.label}: clean stop exited with ${code}`);
    b = await serve(v, dataDir, kafkaPort, httpPort);
    const cleanReadyMs = b.readyMs;
    await write(bootstrap, 'many', 1);
    b.child.kill('SIGKILL');
    await b.exited;
    b = await serve(v, dataDir, kafkaPort, httpPort);
    const uncleanReadyMs = b.readyMs;
    await write(bootstrap, 'many', 2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const t1 = performance.now();
    b.child.kill('SIGTERM');
    const again = await b.exited;
    const cleanStopAgainMs = performance.now() - t1;
    if (again !== 0) throw new Error(`${v.label}: the second clean stop exited with ${again}`);
    return { cleanStopMs, cleanReadyMs, uncleanReadyMs, cleanStopAgainMs };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  // Node parses that bundle at every boot (~50 ms here): it is in every restart figure below.
  console.log(`note: NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}); every Node process parses it at boot. Unset it to measure without.`);
}
const results = new Map<string, Run[]>(variants.map((v) => [v.label, []]));
for (let r = 0; r < RUNS; r++) {
  for (const v of variants) {
    const run = await once(v);
    results.get(v.label)!.push(run);
    console.log(`run ${r + 1} ${v.label}: clean stop ${run.cleanStopMs.toFixed(0)} ms, clean restart ${run.cleanReadyMs.toFixed(0)} ms, restart after kill -9 ${run.uncleanReadyMs.toFixed(0)} ms, clean stop again ${run.cleanStopAgainMs.toFixed(0)} ms`);
  }
}
const load = readFileSync('/proc/loadavg', 'utf8').trim();
console.log(`restart: ${PARTITIONS} partitions, ${RECORDS} records of 100 B per write, ${RUNS} runs per variant, medians; load ${load}`);
const summary: Record<string, Run> = {};
for (const v of variants) {
  const rs = results.get(v.label)!;
  const s: Run = {
    cleanStopMs: Math.round(median(rs.map((x) => x.cleanStopMs))),
    cleanReadyMs: Math.round(median(rs.map((x) => x.cleanReadyMs))),
    uncleanReadyMs: Math.round(median(rs.map((x) => x.uncleanReadyMs))),
    cleanStopAgainMs: Math.round(median(rs.map((x) => x.cleanStopAgainMs))),
  };
  summary[v.label] = s;
  console.log(`${v.label}: clean stop ${s.cleanStopMs} ms, clean restart to healthz ${s.cleanReadyMs} ms, restart after kill -9 to healthz ${s.uncleanReadyMs} ms, clean stop again ${s.cleanStopAgainMs} ms`);
}
const outDir = new URL('../../bench/results/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
writeFileSync(
  join(outDir, 'restart.json'),
  JSON.stringify({ at: new Date().toISOString(), partitions: PARTITIONS, records: RECORDS, runs: RUNS, load, nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null, results: Object.fromEntries(results), medians: summary }, null, 2) + '\n',
);
