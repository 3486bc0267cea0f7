// Start-up benchmark: time from process start to ready (GET /healthz answers 200,
// or the ready line where no HTTP listener is up) on an empty data dir, the CPU the
// process had used by then (all its threads: the figure a busy machine disturbs
// least), and idle RSS one second later. Several runs; prints percentiles and writes
// bench/results/startup.json.
// Usage: node dist/bench/startup.bench.js [--runs N] [--broker-cli PATH] [--nice=N]
//   [--data-dir DIR: start on this existing data dir, left in place, instead of an empty one]
//   (SAMSA_BENCH_QUICK=1: 5 runs)

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, 'broker-cli': { type: 'string' }, nice: { type: 'string' }, 'data-dir': { type: 'string' } } });
const runs = Number(args.runs ?? (process.env.SAMSA_BENCH_QUICK === '1' ? 5 : 15));
const CLI = args['broker-cli'] ?? new URL('../src/cli/main.js', import.meta.url).pathname;
const CLK_TCK = 100;

function cpuMs(pid: number): number {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return ((Number(r[11]) + Number(r[12])) * 1000) / CLK_TCK;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? NaN : Number(m[1]) / 1024;
}

async function healthy(port: number): Promise<boolean> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/healthz`);
    return r.status === 200;
  } catch {
    return false;
  }
}

async function once(): Promise<{ readyMs: number; via: string; rssMb: number; cpuMs: number }> {
  const dir = args['data-dir'] ?? mkdtempSync(join(tmpdir(), 'samsa-startup-'));
  const t0 = performance.now();
  const argv = [CLI, 'serve', '--data-dir', dir, '--port', '0', '--http-port', '0', '--log-level', 'warn'];
  const child = args.nice === undefined
    ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn('nice', ['-n', args.nice, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl >= 0) resolve(out.slice(0, nl));
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    let readyMs = performance.now() - t0;
    let via = 'ready line';
    const http = /http=[^:]+:(\d+)/.exec(line);
    const port = http === null ? 0 : Number(http[1]);
    if (port > 0) {
      for (let i = 0; i < 1000 && !(await healthy(port)); i++) await new Promise((r) => setTimeout(r, 2));
      readyMs = performance.now() - t0;
      via = 'healthz 200';
    }
    const cpu = cpuMs(child.pid!);
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssMb(child.pid!);
    return { readyMs, via, rssMb: rss, cpuMs: cpu };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    if (args['data-dir'] === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

const results: Array<{ readyMs: number; via: string; rssMb: number; cpuMs: number }> = [];
for (let i = 0; i < runs; i++) results.push(await once());
const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ready = results.map((r) => r.readyMs);
const rss = results.map((r) => r.rssMb);
const cpu = results.map((r) => r.cpuMs);
const summary = {
  cli: CLI,
  dataDir: args['data-dir'] ?? 'empty',
  at: new Date().toISOString(),
  runs,
  readyVia: results[0]?.via,
  readyMs: { p50: Math.round(q(ready, 0.5)), p90: Math.round(q(ready, 0.9)), max: Math.round(Math.max(...ready)) },
  idleRssMb: { p50: Math.round(q(rss, 0.5)), max: Math.round(Math.max(...rss)) },
  cpuMsToReady: { p50: Math.round(q(cpu, 0.5)), max: Math.round(Math.max(...cpu)) },
};
console.log(`start-up to ${summary.readyVia} on ${summary.dataDir === 'empty' ? 'an empty data dir' : summary.dataDir} (${runs} runs): p50 ${summary.readyMs.p50} ms, p90 ${summary.readyMs.p90} ms, max ${summary.readyMs.max} ms`);
console.log(`idle RSS 1 s after ready: p50 ${summary.idleRssMb.p50} MB, max ${summary.idleRssMb.max} MB`);
console.log(`CPU used by ready (all threads): p50 ${summary.cpuMsToReady.p50} ms, max ${summary.cpuMsToReady.max} ms`);
mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../bench/results/startup.json', import.meta.url), JSON.stringify(summary, null, 2) + '\n');
