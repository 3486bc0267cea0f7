// kcat (librdkafka) as a native load generator against Samsa: produce N 100-byte
// records from a file with `kcat -P`, then consume them all with `kcat -C -e`, and
// print msg/s for each. Writes bench/results/kcat.json.
// Usage: node dist/bench/kcat.bench.js [--records N] [--against HOST:PORT]
//        (SAMSA_BENCH_QUICK=1: 200,000 records). Skips with a message if kcat is absent.

import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBroker } from '../src/server.js';

const { values: args } = parseArgs({ options: { records: { type: 'string' }, against: { type: 'string' } } });
const records = Number(args.records ?? (process.env.SAMSA_BENCH_QUICK === '1' ? 200_000 : 2_000_000));
const RECORD_BYTES = 100;

if (spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0) {
  console.log('kcat bench: kcat is not installed (apt-get install kcat); skipped');
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-kcat-'));
const input = join(dir, 'input.txt');
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(input);
  const line = 'x'.repeat(RECORD_BYTES) + '\n';
  const chunk = line.repeat(10_000);
  for (let i = 0; i < Math.floor(records / 10_000); i++) out.write(chunk);
  out.write(line.repeat(records % 10_000));
  out.end(() => resolve());
  out.on('error', reject);
});

const broker = args.against === undefined ? await startBroker() : null;
const bootstrap = args.against ?? `127.0.0.1:${broker!.kafkaPort}`;
const topic = `kcat-bench-${Date.now()}`;

function run(cmd: string, argv: string[], countLines: boolean): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, argv, { stdio: ['ignore', countLines ? 'pipe' : 'ignore', 'pipe'] });
    let lines = 0;
    let err = '';
    child.stdout?.on('data', (d: Buffer) => {
      for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) lines++;
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, lines }) : reject(new Error(`${cmd} exited ${code}: ${err.slice(0, 500)}`))));
  });
}

try {
  const common = ['-b', bootstrap, '-t', topic, '-X', 'api.version.request=true'];
  const produce = await run('kcat', ['-P', ...common, '-X', 'linger.ms=5', '-X', 'batch.size=1000000', '-X', 'acks=1', '-l', input], false);
  const consume = await run('kcat', ['-C', ...common, '-o', 'beginning', '-e', '-q', '-X', 'fetch.max.bytes=52428800'], true);
  if (consume.lines !== records) throw new Error(`consumed ${consume.lines} of ${records} records`);
  const result = {
    at: new Date().toISOString(),
    records,
    recordBytes: RECORD_BYTES,
    produceMsgPerSec: Math.round(records / produce.seconds),
    consumeMsgPerSec: Math.round(records / consume.seconds),
    note: 'whole-process times (kcat start-up and metadata included), acks=1',
  };
  console.log(`kcat -P: ${records.toLocaleString('en-US')} × ${RECORD_BYTES} B in ${produce.seconds.toFixed(2)} s = ${result.produceMsgPerSec.toLocaleString('en-US')} msg/s (acks=1)`);
  console.log(`kcat -C: ${records.toLocaleString('en-US')} in ${consume.seconds.toFixed(2)} s = ${result.consumeMsgPerSec.toLocaleString('en-US')} msg/s`);
  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('../../bench/results/kcat.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
} finally {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
}
