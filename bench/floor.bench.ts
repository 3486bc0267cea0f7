// The floor under end-to-end latency at a fixed rate on this machine, and how far above
// it the broker is. Each round runs the same paced load (bench/floor/floor.c: 100-byte
// messages to absolute due times, latency counted from the due time) through:
//   c-relay     floor.c's relay: one C thread on epoll, the least a process in the
//               middle can cost (two loopback hops and its wake-ups);
//   node-relay  bench/floor/relay.ts: the same relay on Node's event loop and `net`;
//   samsa       `samsa serve` with floor.c's Kafka client: one Produce v7 per record,
//               pipelined, and one Fetch v11 in flight; a client that adds nothing;
//   rdkafka     (--rdkafka PATH) bench/rdkafka's `loadgen latency` against the same
//               broker: what librdkafka adds on top;
//   kafka       (--against-kafka H:P [--kafka-pid PID]) floor.c's Kafka client against
//               another broker (Apache Kafka from scripts/kafka-peer.sh).
// Rows alternate within a round, rounds repeat (--rounds), and the summary gives each
// row's median over rounds: this machine's neighbours move single runs by several times.
// Prints one line per row and round and writes bench/results/floor.json.
// Owns: orchestration and the CPU readings. Must not import the broker.
//
// Usage: node dist/bench/floor.bench.js [--rate 10000] [--seconds 10] [--rounds 3]
//          [--broker-cli PATH] [--rdkafka PATH] [--against-kafka H:P [--kafka-pid PID]]
//          [--nice=-20] [--out FILE]   (SAMSA_BENCH_QUICK=1: 1 round of 3 s unless given)

import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLK_TCK, parseNice, processCpuTicks, spawnNiced, startSamsaServe } from './lib/broker-process.js';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    'broker-cli': { type: 'string' },
    rdkafka: { type: 'string' },
    'against-kafka': { type: 'string' },
    'kafka-pid': { type: 'string' },
    nice: { type: 'string' },
    out: { type: 'string' },
  },
});
const rate = Number(args.rate);
const quick = process.env.SAMSA_BENCH_QUICK === '1';
const seconds = Number(args.seconds ?? (quick ? '3' : '10'));
const rounds = Number(args.rounds ?? (quick ? '1' : '3'));
if (!(rate > 0 && seconds > 0 && Number.isInteger(rounds) && rounds > 0)) throw new Error('--rate, --seconds and --rounds must be positive');
const nice = parseNice(args.nice);
// The first 2 s of each row warm the path up and are not recorded.
const warmupRecords = 2 * rate;
const records = Math.ceil(rate * (seconds + 2));

const here = new URL('.', import.meta.url).pathname;
const sourceRoot = new URL('../../', import.meta.url).pathname;
const clientCli = join(here, '../src/cli/main.js');
const built = spawnSync('bash', [join(sourceRoot, 'bench/floor/build.sh')], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(`bench/floor/build.sh failed: ${built.stderr}`);
const floorBin = built.stdout.trim();

interface Percentiles { p50: number; p99: number; p999: number; max: number; count: number }
interface FloorJson { latencyUs: Percentiles; serviceUs: Percentiles; sendsLateUsP50: number; received: number; sent: number; common: { cpuSec: number; elapsedSec: number } }
interface Row {
  row: string;
  round: number;
  latencyUs: Percentiles;
  serviceUs: Percentiles;
  sendsLateUsP50: number;
  clientCpuPctOfCore: number;
  /** The process in the middle (relay or broker), null when not measured. */
  serverCpuPctOfCore: number | null;
}
const rows: Row[] = [];

/** Runs one load command; the server's CPU is read from `serverPid` over it. */
function measure(row: string, round: number, cmd: string, argv: string[], serverPid: number | null): void {
  const t0 = serverPid === null ? 0 : processCpuTicks(serverPid);
  const s0 = performance.now();
  const [c, a] = nice === null ? [cmd, argv] : ['nice', ['-n', String(nice), cmd, ...argv]];
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 16 << 20 });
  const wallSec = (performance.now() - s0) / 1000;
  const serverPct = serverPid === null ? null : Number(((100 * (processCpuTicks(serverPid) - t0)) / CLK_TCK / wallSec).toFixed(1));
  if (r.status !== 0) throw new Error(`${row}: ${cmd} ${argv.join(' ')} failed (${r.status}): ${r.stderr.slice(0, 800)}`);
  // floor.c prints one line; the librdkafka loadgen's object may span several.
  const j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as FloorJson;
  const out: Row = {
    row, round, latencyUs: j.latencyUs, serviceUs: j.serviceUs, sendsLateUsP50: j.sendsLateUsP50,
    clientCpuPctOfCore: Number(((100 * j.common.cpuSec) / j.common.elapsedSec).toFixed(1)), serverCpuPctOfCore: serverPct,
  };
  rows.push(out);
  const ms = (us: number): string => (us / 1000).toFixed(3);
  console.log(`round ${round} ${row.padEnd(10)} p50 ${ms(j.latencyUs.p50)} ms  p99 ${ms(j.latencyUs.p99)} ms  p99.9 ${ms(j.latencyUs.p999)} ms  max ${ms(j.latencyUs.max)} ms` +
    `  (service p50 ${ms(j.serviceUs.p50)} ms; sends late p50 ${j.sendsLateUsP50} µs)  client ${out.clientCpuPctOfCore}%  server ${serverPct ?? '?'}% of a core`);
}

/** Starts a relay process and resolves with it and its port once it says `listening port=N`. */
function startRelay(cmd: string, argv: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawnNiced(nice, cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening port=(\d+)/.exec(out);
      if (m !== null) resolve({ child, port: Number(m[1]) });
    });
    child.once('exit', (code) => reject(new Error(`${cmd} exited with ${code} before listening`)));
  });
}

async function relayRow(row: string, round: number, cmd: string, argv: string[]): Promise<void> {
  const { child, port } = await startRelay(cmd, argv);
  try {
    measure(row, round, floorBin, ['latency', '--connect', `127.0.0.1:${port}`, '--rate', String(rate), '--records', String(records), '--warmup-records', String(warmupRecords)], child.pid!);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

function createTopic(bootstrap: string, topic: string): void {
  const r = spawnSync(process.execPath, [clientCli, 'topics', 'create', topic, '-p', '1', '-b', bootstrap], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`topics create ${topic} at ${bootstrap} failed: ${r.stderr.slice(0, 400)}`);
}

const kafkaArgs = (bootstrap: string, topic: string): string[] =>
  ['kafka', '--bootstrap', bootstrap, '--topic', topic, '--rate', String(rate), '--records', String(records), '--warmup-records', String(warmupRecords)];

for (let round = 1; round <= rounds; round++) {
  await relayRow('c-relay', round, floorBin, ['relay', '--port', '0']);
  await relayRow('node-relay', round, process.execPath, [join(here, 'floor/relay.js')]);
  const broker = await startSamsaServe({ cli: args['broker-cli'], dataDirPrefix: 'samsa-floor-', nice });
  try {
    const topic = `floor-${round}`;
    createTopic(broker.bootstrap, topic);
    measure('samsa', round, floorBin, kafkaArgs(broker.bootstrap, topic), broker.pid);
    if (args.rdkafka !== undefined) {
      const t = `floor-rdkafka-${round}`;
      createTopic(broker.bootstrap, t);
      measure('rdkafka', round, args.rdkafka, ['latency', '--bootstrap', broker.bootstrap, '--topic', t, '--acks', '1', '--rate', String(rate), '--records', String(records), '--warmup-records', String(warmupRecords)], broker.pid);
    }
  } finally {
    await broker.stop();
  }
  if (args['against-kafka'] !== undefined) {
    const t = `floor-${Date.now().toString(36)}`;
    createTopic(args['against-kafka'], t);
    measure('kafka', round, floorBin, kafkaArgs(args['against-kafka'], t), args['kafka-pid'] === undefined ? null : Number(args['kafka-pid']));
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const summary = [...new Set(rows.map((r) => r.row))].map((name) => {
  const of = rows.filter((r) => r.row === name);
  const server = of.map((r) => r.serverCpuPctOfCore).filter((x): x is number => x !== null);
  return {
    row: name, rounds: of.length,
    p50Us: median(of.map((r) => r.latencyUs.p50)), p99Us: median(of.map((r) => r.latencyUs.p99)), p999Us: median(of.map((r) => r.latencyUs.p999)),
    serviceP50Us: median(of.map((r) => r.serviceUs.p50)), clientCpuPctOfCore: median(of.map((r) => r.clientCpuPctOfCore)),
    serverCpuPctOfCore: server.length === 0 ? null : median(server),
  };
});
console.log(`\nmedians over ${rounds} round(s), ${rate} msg/s of 100 B, ${seconds} s each after a 2 s warm-up:`);
for (const s of summary) {
  console.log(`${s.row.padEnd(10)} p50 ${(s.p50Us / 1000).toFixed(3)} ms  p99 ${(s.p99Us / 1000).toFixed(3)} ms  p99.9 ${(s.p999Us / 1000).toFixed(3)} ms  service p50 ${(s.serviceP50Us / 1000).toFixed(3)} ms  client ${s.clientCpuPctOfCore}%  server ${s.serverCpuPctOfCore ?? '?'}% of a core`);
}
const outFile = args.out ?? join(sourceRoot, 'bench/results/floor.json');
mkdirSync(join(outFile, '..'), { recursive: true });
writeFileSync(outFile, JSON.stringify({ bench: 'floor', rate, seconds, rounds, nice, at: new Date().toISOString(), summary, rows }, null, 2) + '\n');
console.log(`wrote ${outFile}`);
