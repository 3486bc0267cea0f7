// Entry of the latency phase's sender thread (src/loadgen/latency-sender.ts does the
// work). Owns: wiring the thread's port to it, and this thread's timer slack. Must not
// do anything else.

import { parentPort, workerData } from 'node:worker_threads';
import { setThreadTimerSlackNs } from '../src/platform/native.js';
import { runLatencySender } from '../src/loadgen/latency-sender.js';
import type { LatencySenderData, MainToSender } from '../src/loadgen/latency-sender.js';

// The sender sleeps until each record is due (Atomics.wait: a futex timeout); with the
// kernel's default slack those sleeps end up to 50 µs late, and latency counts from the
// due time. bench/rdkafka's loadgen sets the same 1 ns, so both clients pace alike.
// Without the addon the sender still runs, with the default slack.
setThreadTimerSlackNs(1);

const port = parentPort!;
runLatencySender(
  workerData as LatencySenderData,
  (m) => port.postMessage(m),
  (handler) => port.on('message', (m: MainToSender) => handler(m)),
);
