// Worker entry for test/platform/doorbell.test.ts: rings the main thread's doorbell
// from another thread, as a shard does, and checks what a non-owner may not do.
// Owns nothing else; it reads workerData and posts one report.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNative } from '../../src/platform/native.js';

export interface DoorbellWorkerData {
  /** The main thread's doorbell. */
  readonly id: number;
  /** Rings to send, each after the main thread has counted the callback of the one before (sequence[0]). */
  readonly rings: number;
  /** Int32Array: [0] callbacks the main thread has counted. */
  readonly sequence: SharedArrayBuffer;
}

export interface DoorbellWorkerReport {
  /** What each ring returned (0 ok). */
  readonly ringResults: number[];
  /** doorbellClose on the main thread's doorbell from here (must be false). */
  readonly closeFromWorker: boolean;
  /** A doorbell this worker opened and never closes: its id (the worker's exit closes it). */
  readonly ownId: number;
}

const data = workerData as DoorbellWorkerData;
const addon = loadNative();
if (addon === null || addon.doorbellRing === undefined || addon.doorbellClose === undefined || addon.doorbellOpen === undefined) {
  throw new Error('doorbell worker: addon without doorbells');
}
const sequence = new Int32Array(data.sequence);
const ringResults: number[] = [];
for (let i = 0; i < data.rings; i++) {
  // One ring per callback: wait (bounded) until the main thread counted the previous one,
  // so each ring is a separate wake-up rather than one that libuv coalesces.
  if (i > 0) Atomics.wait(sequence, 0, i - 1, 5_000);
  ringResults.push(addon.doorbellRing(data.id));
}
const closeFromWorker = addon.doorbellClose(data.id);
const ownId = addon.doorbellOpen(() => {});
const report: DoorbellWorkerReport = { ringResults, closeFromWorker, ownId };
parentPort?.postMessage(report);
