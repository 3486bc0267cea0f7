// Entry of the latency phase's sender thread (src/loadgen/latency-sender.ts does the
// work). Owns: wiring the thread's port to it. Must not do anything else.

import { parentPort, workerData } from 'node:worker_threads';
import { runLatencySender } from '../src/loadgen/latency-sender.js';
import type { LatencySenderData, MainToSender } from '../src/loadgen/latency-sender.js';

const port = parentPort!;
runLatencySender(
  workerData as LatencySenderData,
  (m) => port.postMessage(m),
  (handler) => port.on('message', (m: MainToSender) => handler(m)),
);
