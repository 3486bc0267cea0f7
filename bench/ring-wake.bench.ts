// Ring wake-up benchmark: one request/completion round trip at a time between the main
// thread and a worker that sleeps between requests, as a shard does at a low rate
// (every request wakes it, every completion wakes the main thread's event loop). Runs
// the wake paths alternately in the same process (ABAB…) and prints medians: round-trip
// time, CPU per round trip (all threads) and context switches per round trip of the
// main thread and of the worker, from /proc/self/task/*.
//   atomics: the worker sleeps in Atomics.wait, the main thread wakes it with
//            Atomics.notify (V8's futex emulation: a global mutex, a condition variable).
//   futex:   the worker sleeps in the native addon's FUTEX_WAIT on the ring's head and
//            is woken by FUTEX_WAKE (RING_WAKE_DATA_FUTEX, what ShardClient picks when
//            the addon loads). Skipped without the addon.
// The way back is Atomics.notify → Atomics.waitAsync in both.
//   doorbell: futex on the way there; on the way back the worker rings the main
//            thread's doorbell (a libuv async handle in the addon,
//            RING_WAKE_DATA_DOORBELL: what ShardClient picks when the addon loads), and
//            the main thread drains in its callback. Skipped without the addon.
// Also prints how much old space the main thread's heap gained per round trip (V8
// allocates straight into old space for each Atomics.waitAsync, so a broker's
// completion wake-ups alone fill it and bring mark-compacts: docs/benchmarks.md, round
// four) and the mark-compacts that ran.
// This file is also the worker's entry (it spawns itself). Owns nothing but the bench.
// Writes bench/results/ring-wake.json.
// Usage: node dist/bench/ring-wake.bench.js [--round-trips 20000] [--rounds 5]   (SAMSA_BENCH_QUICK=1: 5,000 × 3)

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { getHeapSpaceStatistics } from 'node:v8';
import { RING_WAKE_DATA_DOORBELL, RING_WAKE_DATA_FUTEX, RING_WAKE_SPACE_FUTEX, SpscRing, createRingBuffer } from '../src/ring/spsc-ring.js';
import { doorbellCalls, ringWakeCalls } from '../src/platform/native.js';
import { GcStats } from '../src/metrics/gc-stats.js';

interface EchoData {
  requests: SharedArrayBuffer;
  completions: SharedArrayBuffer;
  /** Int32Array: [0] stop flag, [1] the worker's thread id once it runs. */
  control: SharedArrayBuffer;
}

const RING_BYTES = 1 << 16;
const FRAME_BYTES = 16;
const WAIT_SLICE_MS = 1_000;

/** Worker: answers every request frame with one completion frame, sleeping on the ring when idle. */
function echoMain(): void {
  const data = workerData as EchoData;
  const futex = ringWakeCalls();
  const requests = new SpscRing(data.requests, futex);
  const completions = new SpscRing(data.completions, futex);
  const control = new Int32Array(data.control);
  while (Atomics.load(control, 0) === 0) {
    let n = 0;
    for (let off = requests.read(); off >= 0 && n < 1024; off = requests.read()) {
      n++;
      let at = completions.reserve(FRAME_BYTES);
      while (at < 0) {
        completions.waitForSpace(FRAME_BYTES, WAIT_SLICE_MS);
        at = completions.reserve(FRAME_BYTES);
      }
      completions.bytes[at] = requests.bytes[off]!;
    }
    if (n > 0) {
      requests.release();
      completions.publish();
      continue;
    }
    requests.waitForData(WAIT_SLICE_MS);
  }
}

interface ThreadTimes {
  cpuTicks: number;
  ctxSwitches: number;
}

function threadTimes(): Map<string, ThreadTimes> {
  const out = new Map<string, ThreadTimes>();
  for (const tid of readdirSync('/proc/self/task').slice(0, 256)) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      const num = (key: string): number => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? 0);
      out.set(tid, { cpuTicks: Number(f[11]) + Number(f[12]), ctxSwitches: num('voluntary_ctxt_switches') + num('nonvoluntary_ctxt_switches') });
    } catch {
      // A thread that ended meanwhile: not one of the two measured here.
    }
  }
  return out;
}

interface Result {
  rttUs: number;
  cpuUsPerRoundTrip: number;
  mainCtxSwitches: number;
  workerCtxSwitches: number;
  /** Old-space bytes the main thread's heap gained per round trip (NaN when a mark-compact ran meanwhile). */
  oldSpaceBytesPerRoundTrip: number;
  markCompacts: number;
}

function oldSpaceUsedBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? NaN;
}

/** This thread's GCs, the broker's own counters (src/metrics/gc-stats.ts). */
const gc = new GcStats();
const markCompacts = (): number => gc.totals().get('major')!.pauses;

type Mode = 'atomics' | 'futex' | 'doorbell';

async function measure(mode: Mode, roundTrips: number): Promise<Result> {
  const futex = mode !== 'atomics' ? ringWakeCalls() : null;
  const bells = mode === 'doorbell' ? doorbellCalls() : null;
  // The doorbell's callback, set by each doorbell round trip.
  let onBell = (): void => {};
  const bellId = bells !== null ? bells.open(() => onBell()) : 0;
  if (bellId < 0) throw new Error(`doorbellOpen failed: errno ${-bellId}`);
  const requestsSab = createRingBuffer(RING_BYTES, futex !== null ? RING_WAKE_DATA_FUTEX : 0);
  const completionsSab = createRingBuffer(RING_BYTES, (futex !== null ? RING_WAKE_SPACE_FUTEX : 0) | (bellId > 0 ? RING_WAKE_DATA_DOORBELL : 0), bellId);
  const control = new Int32Array(new SharedArrayBuffer(8));
  const data: EchoData = { requests: requestsSab, completions: completionsSab, control: control.buffer as SharedArrayBuffer };
  const worker = new Worker(new URL(import.meta.url), { workerData: data, name: 'ring-wake-echo' });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const requests = new SpscRing(requestsSab, futex);
  const completions = new SpscRing(completionsSab, futex);
  const payload = new Uint8Array(FRAME_BYTES);
  // Keeps the loop alive while it awaits waitAsync (which alone does not).
  const keepAlive = setInterval(() => completions.wakeConsumer(), 1_000);
  const roundTripWaitAsync = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      while (!requests.tryWrite(payload)) await requests.waitForSpaceAsync(FRAME_BYTES, 50);
      for (;;) {
        if (completions.read() >= 0) {
          completions.release();
          break;
        }
        await completions.waitForDataAsync(Infinity);
      }
    }
  };
  // As ShardClient does: drain in the doorbell's callback, arm it, return to the loop.
  const roundTripDoorbell = (n: number): Promise<void> =>
    new Promise<void>((resolve) => {
      let done = 0;
      onBell = (): void => {
        completions.disarmDoorbell();
        for (;;) {
          while (done < n && completions.read() >= 0) {
            completions.release();
            if (++done === n) return resolve();
            if (!requests.tryWrite(payload)) throw new Error('request ring full with one request in flight');
          }
          if (!completions.armDoorbell()) return;
        }
      };
      if (!requests.tryWrite(payload)) throw new Error('request ring full with nothing in flight');
      onBell();
    });
  const roundTrip = bellId > 0 ? roundTripDoorbell : roundTripWaitAsync;
  try {
    await roundTrip(Math.min(2_000, roundTrips)); // warm-up: JIT, the worker's start
    const mainTid = String(process.pid);
    const t0 = threadTimes();
    const c0 = process.cpuUsage();
    const m0 = markCompacts();
    const o0 = oldSpaceUsedBytes();
    const w0 = performance.now();
    await roundTrip(roundTrips);
    const wallMs = performance.now() - w0;
    const oldBytes = oldSpaceUsedBytes() - o0;
    const c = process.cpuUsage(c0);
    const t1 = threadTimes();
    // GC entries arrive asynchronously: let a mark-compact that just ran be counted.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const mcs = markCompacts() - m0;
    // The worker: the thread whose context switches grew most besides main (it sleeps every round trip).
    let workerCs = 0;
    for (const [tid, t] of t1) {
      if (tid === mainTid) continue;
      workerCs = Math.max(workerCs, t.ctxSwitches - (t0.get(tid)?.ctxSwitches ?? 0));
    }
    const mainCs = (t1.get(mainTid)?.ctxSwitches ?? 0) - (t0.get(mainTid)?.ctxSwitches ?? 0);
    return {
      rttUs: (wallMs * 1000) / roundTrips,
      cpuUsPerRoundTrip: (c.user + c.system) / roundTrips,
      mainCtxSwitches: mainCs / roundTrips,
      workerCtxSwitches: workerCs / roundTrips,
      oldSpaceBytesPerRoundTrip: mcs > 0 ? NaN : oldBytes / roundTrips,
      markCompacts: mcs,
    };
  } finally {
    clearInterval(keepAlive);
    if (bellId > 0) bells!.close(bellId);
    Atomics.store(control, 0, 1);
    requests.wakeConsumer();
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { 'round-trips': { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } } });
  const quick = process.env.SAMSA_BENCH_QUICK === '1';
  const roundTrips = Math.max(1, quick ? 5_000 : Number(values['round-trips']));
  const rounds = Math.max(1, quick ? 3 : Number(values.rounds));
  const modes: Mode[] = ['atomics'];
  if (ringWakeCalls() !== null && doorbellCalls() !== null) modes.push('futex', 'doorbell');
  else console.log('futex, doorbell: skipped (native addon not built, or without futexWait and doorbellOpen)');
  gc.start();
  const results = new Map<string, Result[]>(modes.map((m) => [m, []]));
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) results.get(m)!.push(await measure(m, roundTrips));
  }
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  console.log(`ring wake round trips: ${roundTrips} per run, ${rounds} rounds ABAB, medians; load ${load}`);
  const summary: Record<string, Result> = {};
  for (const m of modes) {
    const rs = results.get(m)!;
    summary[m] = {
      rttUs: median(rs.map((x) => x.rttUs)),
      cpuUsPerRoundTrip: median(rs.map((x) => x.cpuUsPerRoundTrip)),
      mainCtxSwitches: median(rs.map((x) => x.mainCtxSwitches)),
      workerCtxSwitches: median(rs.map((x) => x.workerCtxSwitches)),
      oldSpaceBytesPerRoundTrip: median(rs.map((x) => x.oldSpaceBytesPerRoundTrip).filter((x) => !Number.isNaN(x))),
      markCompacts: rs.reduce((n, x) => n + x.markCompacts, 0),
    };
    console.log(
      `${m.padEnd(8)} rtt ${median(rs.map((x) => x.rttUs)).toFixed(1)} µs  cpu ${median(rs.map((x) => x.cpuUsPerRoundTrip)).toFixed(1)} µs/round trip` +
        `  context switches per round trip: main ${median(rs.map((x) => x.mainCtxSwitches)).toFixed(2)}, worker ${median(rs.map((x) => x.workerCtxSwitches)).toFixed(2)}` +
        `  old space +${summary[m]!.oldSpaceBytesPerRoundTrip.toFixed(0)} B/round trip (runs without a mark-compact), ${summary[m]!.markCompacts} mark-compacts in all`,
    );
  }
  gc.stop();
  const outFile = new URL('../../bench/results/ring-wake.json', import.meta.url).pathname;
  mkdirSync(new URL('../../bench/results/', import.meta.url).pathname, { recursive: true });
  writeFileSync(outFile, JSON.stringify({ at: new Date().toISOString(), roundTrips, rounds, load, medians: summary }, null, 2) + '\n');
}

if (isMainThread) await main();
else echoMain();
