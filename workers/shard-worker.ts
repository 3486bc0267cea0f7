// Entry of a shard worker thread. Owns: turning workerData into a running Shard,
// pinning this thread to its CPU. Must not contain shard logic (src/shard/shard.ts).

import { parentPort, workerData } from 'node:worker_threads';
import { SpscRing } from '../src/ring/spsc-ring.js';
import { Shard } from '../src/shard/shard.js';
import { pinCurrentThread } from '../src/platform/native.js';
import type { ShardWorkerData } from '../src/broker/shard-protocol.js';

const data = workerData as ShardWorkerData;
let pinned = false;
let pinReason = 'not requested';
if (data.cpu >= 0) {
  const r = pinCurrentThread(data.cpu);
  pinned = r.pinned;
  pinReason = r.reason ?? '';
}
parentPort?.postMessage({ type: 'ready', shardId: data.shardId, cpu: data.cpu, pinned, pinReason });

const shard = new Shard(new SpscRing(data.requestRing), new SpscRing(data.completionRing), {
  shardId: data.shardId,
  retentionCheckIntervalMs: data.retentionCheckIntervalMs,
});
shard.run();
parentPort?.postMessage({ type: 'stopped', shardId: data.shardId });
