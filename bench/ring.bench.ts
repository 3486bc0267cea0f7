// Ring benchmark: frames/s and GB/s for 1 KiB and 64 KiB frames through an SPSC ring
// from the main thread (producer: copy in, publish per batch, waitForSpaceAsync when
// full, as ShardClient does) to a real consumer worker (read many, touch each payload,
// one release per drain, waitForData when empty, as a shard does), timed with
// process.hrtime; plus mitata for the single-thread cost of reserve/publish/read/release.
// This file is also the consumer worker's entry (it spawns itself), so the bench needs
// no helper module. Writes bench/results/ring.json.
// Usage: node dist/bench/ring.bench.js [--seconds N] [--ring-mib N]   (SAMSA_BENCH_QUICK=1: ~5 s run)

import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';
import { bench, run, summary, do_not_optimize } from 'mitata';
import { SpscRing, createRingBuffer } from '../src/ring/spsc-ring.js';

interface ConsumerData {
  ring: SharedArrayBuffer;
  runMsMax: number;
}

interface ConsumerReport {
  frames: number;
  bytes: number;
  /** process.hrtime.bigint() when the end-of-run frame was read, as a string (bigint does not clone cheaply into JSON). */
  endNs: string;
  sleeps: number;
  checksum: number;
}

const WAIT_SLICE_MS = 100;
/** Frames written between publishes (group commit on the producer side). */
const PUBLISH_EVERY_FRAMES = 16;

/**
 * Consumer worker: drains frames, folds a few bytes of each into a checksum so the
 * reads cannot be optimised away, and stops at the first empty frame (the bench only
 * sends non-empty payloads otherwise).
 */
function consumerMain(): void {
  const data = workerData as ConsumerData;
  const ring = new SpscRing(data.ring);
  const deadlineMs = Date.now() + data.runMsMax;
  let frames = 0;
  let bytes = 0;
  let sleeps = 0;
  let checksum = 0;
  parentPort!.postMessage('ready');
  while (Date.now() < deadlineMs) {
    let drained = 0;
    for (let at = ring.read(); at >= 0; at = ring.read()) {
      const length = ring.frameLength;
      if (length === 0) {
        ring.release();
        const report: ConsumerReport = { frames, bytes, endNs: process.hrtime.bigint().toString(), sleeps, checksum };
        parentPort!.postMessage(report);
        return;
      }
      checksum = (checksum + ring.bytes[at]! + ring.bytes[at + (length >>> 1)]! + ring.bytes[at + length - 1]!) | 0;
      frames++;
      bytes += length;
      drained++;
    }
    if (drained > 0) {
      ring.release();
      continue;
    }
    sleeps++;
    ring.waitForData(WAIT_SLICE_MS);
  }
  throw new Error('ring bench consumer ran past its deadline');
}

interface CrossThreadResult {
  frameBytes: number;
  ringBytes: number;
  seconds: number;
  frames: number;
  bytes: number;
  framesPerSec: number;
  gbPerSec: number;
  producerWaits: number;
  consumerSleeps: number;
}

async function crossThread(frameBytes: number, ringBytes: number, seconds: number): Promise<CrossThreadResult> {
  const sab = createRingBuffer(ringBytes);
  const ring = new SpscRing(sab);
  if (frameBytes > ring.maxFrameBytes) throw new RangeError(`frame ${frameBytes} B is over the ring's max ${ring.maxFrameBytes} B`);
  const data: ConsumerData = { ring: sab, runMsMax: seconds * 1000 + 60_000 };
  const worker = new Worker(new URL(import.meta.url), { workerData: data, name: 'ring-bench-consumer' });
  const report = new Promise<ConsumerReport>((resolve, reject) => {
    worker.on('message', (m: ConsumerReport | 'ready') => {
      if (m !== 'ready') resolve(m);
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`consumer exited with code ${code} before reporting`)));
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve()));

  const payload = new Uint8Array(frameBytes);
  for (let i = 0; i < frameBytes; i++) payload[i] = (i * 31 + 7) & 0xff;
  const runNs = BigInt(Math.round(seconds * 1e9));
  const startNs = process.hrtime.bigint();
  let sent = 0;
  let producerWaits = 0;
  for (;;) {
    // Check the clock once per 64 frames: hrtime costs about as much as a 1 KiB frame.
    if ((sent & 63) === 0 && process.hrtime.bigint() - startNs >= runNs) break;
    const at = ring.reserve(frameBytes);
    if (at < 0) {
      producerWaits++;
      await ring.waitForSpaceAsync(frameBytes, WAIT_SLICE_MS); // publishes first
      continue;
    }
    ring.bytes.set(payload, at);
    sent++;
    if (sent % PUBLISH_EVERY_FRAMES === 0) ring.publish();
  }
  while (ring.reserve(0) < 0) await ring.waitForSpaceAsync(0, WAIT_SLICE_MS);
  ring.publish();
  const r = await report;
  await worker.terminate();
  if (r.frames !== sent) throw new Error(`consumer saw ${r.frames} frames, producer sent ${sent}`);
  const elapsedNs = Number(BigInt(r.endNs) - startNs);
  return {
    frameBytes,
    ringBytes,
    seconds: elapsedNs / 1e9,
    frames: r.frames,
    bytes: r.bytes,
    framesPerSec: r.frames / (elapsedNs / 1e9),
    gbPerSec: r.bytes / elapsedNs, // bytes per ns = GB/s (10^9 bytes)
    producerWaits,
    consumerSleeps: r.sleeps,
  };
}

interface SingleThreadResult {
  name: string;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
}

async function singleThread(quick: boolean): Promise<SingleThreadResult[]> {
  const ring = new SpscRing(createRingBuffer(1 << 20));
  const kib = new Uint8Array(1024).fill(1);
  const kib64 = new Uint8Array(64 * 1024).fill(2);
  summary(() => {
    bench('reserve+publish+read+release, 1 KiB, no copy', () => {
      ring.reserve(1024);
      ring.publish();
      do_not_optimize(ring.read());
      ring.release();
    });
    bench('tryWrite+read+release, 1 KiB (copy in)', () => {
      ring.tryWrite(kib);
      do_not_optimize(ring.read());
      ring.release();
    });
    bench('tryWrite+read+release, 64 KiB (copy in)', () => {
      ring.tryWrite(kib64);
      do_not_optimize(ring.read());
      ring.release();
    });
    bench('16 x reserve 1 KiB, 1 publish, 16 x read, 1 release', () => {
      for (let i = 0; i < 16; i++) ring.reserve(1024);
      ring.publish();
      for (let i = 0; i < 16; i++) do_not_optimize(ring.read());
      ring.release();
    });
  });
  // mitata gives each bench ~0.6 s of CPU at least (more with heap tracking); a quick run keeps the two cheapest.
  const { benchmarks } = await run(quick ? { filter: /no copy|16 x/ } : {});
  const out: SingleThreadResult[] = [];
  for (const trial of benchmarks) {
    for (const r of trial.runs) {
      if (r.stats === undefined) throw new Error(`mitata: ${r.name} failed`);
      out.push({ name: r.name, avgNs: r.stats.avg, p50Ns: r.stats.p50, p99Ns: r.stats.p99 });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { seconds: { type: 'string' }, 'ring-mib': { type: 'string' } } });
  const quick = process.env.SAMSA_BENCH_QUICK === '1';
  const seconds = Number(args.seconds ?? (quick ? 0.5 : 3));
  const ringBytes = Number(args['ring-mib'] ?? 16) * 1024 * 1024;
  if (!(seconds > 0 && seconds <= 600)) throw new RangeError(`--seconds must be in (0, 600], got ${args.seconds}`);

  const cross: CrossThreadResult[] = [];
  for (const frameBytes of [1024, 64 * 1024]) {
    const r = await crossThread(frameBytes, ringBytes, seconds);
    cross.push(r);
    console.log(
      `main → worker, ${frameBytes / 1024} KiB frames, ${ringBytes / 1024 / 1024} MiB ring: ` +
        `${(r.framesPerSec / 1e6).toFixed(3)} M frames/s, ${r.gbPerSec.toFixed(2)} GB/s ` +
        `(${r.frames} frames in ${r.seconds.toFixed(2)} s; producer waits ${r.producerWaits}, consumer sleeps ${r.consumerSleeps})`,
    );
  }
  const single = await singleThread(quick);

  mkdirSync(new URL('../../bench/results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../../bench/results/ring.json', import.meta.url),
    JSON.stringify({ date: new Date().toISOString(), node: process.version, quick, crossThread: cross, singleThread: single }, null, 2) + '\n',
  );
  console.log('wrote bench/results/ring.json');
}

if (isMainThread) await main();
else consumerMain();
