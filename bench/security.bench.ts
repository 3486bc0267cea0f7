// Security costs and quotas, measured with kcat (librdkafka) against one broker
// started here with three listeners — PLAINTEXT, SSL and SASL_SSL (SCRAM-SHA-512) —
// in the same run, so the numbers compare:
//   throughput — `kcat -P` then `kcat -C -e` of N 100-byte records on each listener,
//                in rounds that alternate the listeners (the median per listener is kept);
//   quota      — a client id with producer_byte_rate Q: a first kcat uses up the burst a
//                fresh sensor allows, a second one (same client id) is timed; its rate is
//                reported next to Q (a measurement, not an assertion).
// Writes bench/results/security.json.
// Usage: node dist/bench/security.bench.js [--records N] [--rounds R] [--quota-bytes Q]
//        (SAMSA_BENCH_QUICK=1: 200,000 records, 1 round). Skips when kcat or openssl is absent.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import '../src/client/node.js';
import { Connection } from '../src/client/connection.js';
import { SCRAM_HASHES, saltPassword } from '../src/security/scram.js';
import { startBroker } from '../src/server.js';

const { values: args } = parseArgs({ options: { records: { type: 'string' }, rounds: { type: 'string' }, 'quota-bytes': { type: 'string' } } });
const quick = process.env.SAMSA_BENCH_QUICK === '1';
const records = Number(args.records ?? (quick ? 200_000 : 1_000_000));
const rounds = Number(args.rounds ?? (quick ? 1 : 3));
const quotaBytes = Number(args['quota-bytes'] ?? 2 * 1024 * 1024);
const RECORD_BYTES = 100;
const QUOTA_RECORD_BYTES = 1000;

for (const tool of ['kcat', 'openssl']) {
  if (spawnSync(tool, tool === 'kcat' ? ['-V'] : ['version'], { stdio: 'ignore' }).status !== 0) {
    console.log(`security bench: ${tool} is not installed; skipped`);
    process.exit(0);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-security-bench-'));
const ssl = (...a: string[]): void => void execFileSync('openssl', a, { cwd: dir, stdio: 'ignore' });
ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=bench CA');
ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');

async function writeInput(file: string, n: number, bytes: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(file);
    const line = 'x'.repeat(bytes) + '\n';
    const chunk = line.repeat(1000);
    for (let i = 0; i < Math.floor(n / 1000); i++) out.write(chunk);
    out.write(line.repeat(n % 1000));
    out.end(() => resolve());
    out.on('error', reject);
  });
}
const input = join(dir, 'input.txt');
await writeInput(input, records, RECORD_BYTES);

const broker = await startBroker({
  dataDir: join(dir, 'data'),
  listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
  'ssl.certificate.location': join(dir, 'server.pem'),
  'ssl.key.location': join(dir, 'server.key'),
  'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
});
const [plainPort, sslPort, saslPort] = broker.listeners.map((l) => l.port) as [number, number, number];

const PASSWORD = randomBytes(12).toString('hex');
const admin = await Connection.open({ bootstrap: `127.0.0.1:${plainPort}`, clientId: 'bench-admin' });
const salt = randomBytes(24);
await admin.request(51, { deletions: [], upsertions: [{ name: 'bench', mechanism: SCRAM_HASHES['SCRAM-SHA-512'].code, iterations: 4096, salt, saltedPassword: await saltPassword('SCRAM-SHA-512', PASSWORD, salt, 4096) }] });

const LISTENERS = {
  PLAINTEXT: ['-b', `127.0.0.1:${plainPort}`],
  SSL: ['-b', `127.0.0.1:${sslPort}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${join(dir, 'ca.pem')}`],
  SASL_SSL: ['-b', `127.0.0.1:${saslPort}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${join(dir, 'ca.pem')}`, '-X', 'sasl.mechanisms=SCRAM-SHA-512', '-X', 'sasl.username=bench', '-X', `sasl.password=${PASSWORD}`],
} as const;
type ListenerName = keyof typeof LISTENERS;

function run(argv: string[], countLines: boolean): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('kcat', argv, { stdio: ['ignore', countLines ? 'pipe' : 'ignore', 'pipe'] });
    let lines = 0;
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.once('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, lines }) : reject(new Error(`kcat exited ${code}: ${err}`))));
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const produce: Record<ListenerName, number[]> = { PLAINTEXT: [], SSL: [], SASL_SSL: [] };
  const consume: Record<ListenerName, number[]> = { PLAINTEXT: [], SSL: [], SASL_SSL: [] };
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no listener always runs first (warm-up, neighbours).
    const order = (Object.keys(LISTENERS) as ListenerName[]).map((_, i, a) => a[(i + r) % a.length]!);
    for (const name of order) {
      const topic = `sec-bench-${name.toLowerCase()}-${r}`;
      const common = [...LISTENERS[name], '-t', topic];
      const p = await run(['-P', ...common, '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'acks=1', '-l', input], false);
      const c = await run(['-C', ...common, '-o', 'beginning', '-e', '-q', '-X', 'fetch.max.bytes=52428800'], true);
      if (c.lines !== records) throw new Error(`${name}: consumed ${c.lines} of ${records}`);
      produce[name].push(records / p.seconds);
      consume[name].push(records / c.seconds);
      console.log(`round ${r + 1} ${name.padEnd(9)} produce ${Math.round(records / p.seconds).toLocaleString('en-US')} msg/s, consume ${Math.round(records / c.seconds).toLocaleString('en-US')} msg/s`);
    }
  }
  const throughput = Object.fromEntries(
    (Object.keys(LISTENERS) as ListenerName[]).map((n) => [n, { produceMsgPerSec: Math.round(median(produce[n])), consumeMsgPerSec: Math.round(median(consume[n])) }]),
  );

  // Quota: producer_byte_rate on one client id; the second kcat is the measured one.
  await admin.request(49, { entries: [{ entity: [{ entityType: 'client-id', entityName: 'quota-bench' }], ops: [{ key: 'producer_byte_rate', value: quotaBytes, remove: false }] }], validateOnly: false });
  // A fresh sensor lets (window.num − 1) windows' worth through at once: the first run
  // (12 s of quota) spends that allowance, the second (10 s of quota) is the measured one.
  const burstRecords = Math.ceil((quotaBytes * 12) / QUOTA_RECORD_BYTES);
  const timedRecords = Math.ceil((quotaBytes * 10) / QUOTA_RECORD_BYTES);
  const burstInput = join(dir, 'quota-burst.txt');
  const timedInput = join(dir, 'quota-timed.txt');
  await writeInput(burstInput, burstRecords, QUOTA_RECORD_BYTES);
  await writeInput(timedInput, timedRecords, QUOTA_RECORD_BYTES);
  const quotaArgs = [...LISTENERS.PLAINTEXT, '-t', 'sec-bench-quota', '-X', 'client.id=quota-bench', '-X', 'acks=1', '-X', 'linger.ms=5'];
  const burst = await run(['-P', ...quotaArgs, '-l', burstInput], false);
  const timed = await run(['-P', ...quotaArgs, '-l', timedInput], false);
  const quota = {
    quotaBytesPerSec: quotaBytes,
    burstPhaseBytesPerSec: Math.round((burstRecords * (QUOTA_RECORD_BYTES + 1)) / burst.seconds),
    throttledPhaseBytesPerSec: Math.round((timedRecords * (QUOTA_RECORD_BYTES + 1)) / timed.seconds),
    recordsWritten: broker.engine.offsets('sec-bench-quota', 0).highWatermark,
    recordsSent: burstRecords + timedRecords,
  };
  admin.close();
  const result = { at: new Date().toISOString(), records, recordBytes: RECORD_BYTES, rounds, throughput, quota, note: 'kcat whole-process times; medians over rounds; quota: second of two kcat runs with one client id' };
  console.log(JSON.stringify({ throughput, quota }, null, 2));
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../../bench/results/security.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
}
