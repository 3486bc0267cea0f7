// Worker entry for test/ring/spsc-ring.test.ts: the consumer of one ring and the
// producer of another, copying every frame from `input` to `output` in order. It
// uses the blocking (worker-only) waits, so the test exercises both wait flavours
// across a real thread boundary. Owns nothing but its loop; must not post messages
// per frame (the rings are the channel). Stops when `control[0]` becomes non-zero
// or after `runMsMax`, so a failing test can never leave it spinning. With `futex`
// its blocking waits use the addon's futex pair (the rings say so) and sleep long
// slices: a lost wake-up would then stall the echo for seconds, past the test's deadline.

import { workerData } from 'node:worker_threads';
import { SpscRing } from '../../src/ring/spsc-ring.js';
import { ringWakeCalls } from '../../src/platform/native.js';

export interface EchoWorkerData {
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  /** Int32Array[1]: the test stores 1 to stop the worker. */
  control: SharedArrayBuffer;
  /** Release the input ring after this many copied frames (1 = every frame), and whenever it runs dry. */
  releaseEvery: number;
  runMsMax: number;
  /** The rings wake by the native futex: pass the pair to them, wait in long slices. */
  futex: boolean;
}

const data = workerData as EchoWorkerData;
const WAIT_SLICE_MS = data.futex ? 5_000 : 20;
const futex = data.futex ? ringWakeCalls() : null;
const input = new SpscRing(data.input, futex);
const output = new SpscRing(data.output, futex);
const control = new Int32Array(data.control);
const deadlineMs = Date.now() + data.runMsMax;

function stopping(): boolean {
  return Atomics.load(control, 0) !== 0 || Date.now() > deadlineMs;
}

let unreleased = 0;
outer: while (!stopping()) {
  const off = input.read();
  if (off < 0) {
    if (unreleased > 0) {
      input.release();
      unreleased = 0;
    }
    output.publish();
    input.waitForData(WAIT_SLICE_MS);
    continue;
  }
  const length = input.frameLength;
  let at = output.reserve(length);
  while (at < 0) {
    // Keep the input frames unreleased: their bytes are still to be copied. The test
    // drains `output` independently of `input`, so this cannot deadlock.
    if (stopping()) break outer;
    output.waitForSpace(length, WAIT_SLICE_MS);
    at = output.reserve(length);
  }
  output.bytes.set(input.bytes.subarray(off, off + length), at);
  unreleased++;
  if (unreleased >= data.releaseEvery) {
    output.publish();
    input.release();
    unreleased = 0;
  }
}
