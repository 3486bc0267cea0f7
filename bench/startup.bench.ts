// Start-up benchmark: time from process start to ready (GET /healthz answers 200,
// or the ready line where no HTTP listener is up) on an empty data dir, the CPU the
// process had used by then (all its threads: the figure a busy machine disturbs
// least), and idle RSS one second later. Several runs; prints percentiles and writes
// bench/results/startup.json.
// Usage: node dist/bench/startup.bench.js [--runs N] [--broker-cli PATH ...] [--nice=N]
//   (--broker-cli twice or more: those builds alternate run by run, each gets its own summary)
//   [--data-dir DIR: start on this existing data dir, left in place, instead of an empty one;
//    given once per --broker-cli, each build starts on its own (a build's clean stop
//    writes what its next start reads, so A/B builds must not share one)]
//   (SAMSA_BENCH_QUICK=1: 5 runs)

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string' }, 'broker-cli': { type: 'string', multiple: true }, nice: { type: 'string' }, 'data-dir': { type: 'string', multiple: true } } });
const runs = Number(args.runs ?? (process.env.SAMSA_BENCH_QUICK === '1' ? 5 : 15));
// The bundled CLI by default: what `npm start` and the `samsa` bin run (scripts/bundle.mjs);
// --broker-cli dist/src/cli/main.js measures tsc's unbundled output.
// Given more than once: the CLIs run alternately (A/B of builds in one session).
const CLIS = args['broker-cli'] ?? [new URL('../bundle/src/cli/main.js', import.meta.url).pathname];
const CLK_TCK = 100;

/** utime+stime of a /proc stat file (a process's: all its threads; a task's: one thread). */
function cpuMs(statFile: string): number {
  const t = readFileSync(statFile, 'utf8');
  const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return ((Number(r[11]) + Number(r[12])) * 1000) / CLK_TCK;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m === null ? NaN : Number(m[1]) / 1024;
}

/**
 * GET /healthz over a plain socket: the first `fetch()` in a process loads undici (tens of
 * ms of this process's CPU), which on a 2-core machine delayed the probe and was counted
 * as the broker's start-up.
 */
function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let head = '';
    s.setEncoding('latin1');
    s.on('connect', () => s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    s.on('data', (d: string) => {
      head += d;
      if (head.includes('\r\n')) {
        s.destroy();
        resolve(/^HTTP\/1\.[01] 200 /.test(head));
      }
    });
    s.on('error', () => resolve(false));
    s.on('close', () => resolve(false));
  });
}

interface Run { readyMs: number; lineMs: number; via: string; rssMb: number; cpuMs: number; mainCpuMs: number; stopMs: number }

const dataDirs = args['data-dir'] ?? [];
if (dataDirs.length > 1 && dataDirs.length !== CLIS.length) throw new Error('--data-dir: once, or once per --broker-cli');
const dataDirOf = (cli: string): string | undefined => dataDirs.length > 1 ? dataDirs[CLIS.indexOf(cli)] : dataDirs[0];

async function once(cli: string): Promise<Run> {
  const given = dataDirOf(cli);
  const dir = given ?? mkdtempSync(join(tmpdir(), 'samsa-startup-'));
  const t0 = performance.now();
  const argv = [cli, 'serve', '--data-dir', dir, '--port', '0', '--http-port', '0', '--log-level', 'warn'];
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
    const lineMs = performance.now() - t0;
    let readyMs = lineMs;
    let via = 'ready line';
    const http = /http=[^:]+:(\d+)/.exec(line);
    const port = http === null ? 0 : Number(http[1]);
    if (port > 0) {
      for (let i = 0; i < 1000 && !(await healthy(port)); i++) await new Promise((r) => setTimeout(r, 2));
      readyMs = performance.now() - t0;
      via = 'healthz 200';
    }
    const cpu = cpuMs(`/proc/${child.pid!}/stat`);
    const mainCpu = cpuMs(`/proc/${child.pid!}/task/${child.pid!}/stat`);
    await new Promise((r) => setTimeout(r, 1000));
    const rss = rssMb(child.pid!);
    // A clean stop: SIGTERM to exit (the shards close their logs, the marker is written).
    const t1 = performance.now();
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    return { readyMs, lineMs, via, rssMb: rss, cpuMs: cpu, mainCpuMs: mainCpu, stopMs: performance.now() - t1 };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (given === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
  // Node 20 reads and parses that file while it boots, before any of Samsa's code runs
  // (~45 ms of CPU for Debian's bundle on this machine): say so, since it is in the figures.
  console.log(`note: NODE_EXTRA_CA_CERTS is set (${process.env.NODE_EXTRA_CA_CERTS}); every Node process parses it at boot. Unset it to measure without.`);
}
const q = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const byCli = new Map<string, Run[]>(CLIS.map((c) => [c, []]));
// Several CLIs run alternately, one run each in turn, so a busy spell of the machine falls on all of them alike.
for (let i = 0; i < runs; i++) for (const cli of CLIS) byCli.get(cli)!.push(await once(cli));
const summaries = [];
for (const [cli, results] of byCli) {
  const pick = (f: (r: Run) => number) => results.map(f);
  const ready = pick((r) => r.readyMs);
  const rss = pick((r) => r.rssMb);
  const cpu = pick((r) => r.cpuMs);
  const mainCpu = pick((r) => r.mainCpuMs);
  const line = pick((r) => r.lineMs);
  const summary = {
    cli,
    dataDir: dataDirOf(cli) ?? 'empty',
    at: new Date().toISOString(),
    runs,
    nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ?? null,
    readyVia: results[0]?.via,
    readyMs: { p50: Math.round(q(ready, 0.5)), p90: Math.round(q(ready, 0.9)), max: Math.round(Math.max(...ready)) },
    readyLineMs: { p50: Math.round(q(line, 0.5)) },
    idleRssMb: { p50: Math.round(q(rss, 0.5)), max: Math.round(Math.max(...rss)) },
    cpuMsToReady: { p50: Math.round(q(cpu, 0.5)), max: Math.round(Math.max(...cpu)) },
    mainThreadCpuMsToReady: { p50: Math.round(q(mainCpu, 0.5)) },
    stopMs: { p50: Math.round(q(pick((r) => r.stopMs), 0.5)), max: Math.round(Math.max(...pick((r) => r.stopMs))) },
  };
  summaries.push(summary);
  if (CLIS.length > 1) console.log(cli);
  console.log(`start-up to ${summary.readyVia} on ${summary.dataDir === 'empty' ? 'an empty data dir' : summary.dataDir} (${runs} runs): p50 ${summary.readyMs.p50} ms, p90 ${summary.readyMs.p90} ms, max ${summary.readyMs.max} ms (ready line p50 ${summary.readyLineMs.p50} ms)`);
  console.log(`idle RSS 1 s after ready: p50 ${summary.idleRssMb.p50} MB, max ${summary.idleRssMb.max} MB`);
  console.log(`CPU used by ready (all threads): p50 ${summary.cpuMsToReady.p50} ms, max ${summary.cpuMsToReady.max} ms; main thread p50 ${summary.mainThreadCpuMsToReady.p50} ms`);
  console.log(`clean stop (SIGTERM to exit): p50 ${summary.stopMs.p50} ms, max ${summary.stopMs.max} ms`);
}
mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
writeFileSync(new URL('../../bench/results/startup.json', import.meta.url), JSON.stringify(summaries.length === 1 ? summaries[0] : summaries, null, 2) + '\n');
