// Entry of a shard worker thread. Owns: turning workerData into a running Shard,
// pinning this thread to its CPU, and starting the shard's syncer thread (handed to
// the shard as a SharedSyncer). Must not contain shard logic (src/shard/shard.ts) or
// sync logic (src/shard/sync-pipeline.ts).

import { Worker, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { SpscRing } from '../src/ring/spsc-ring.js';
import { Shard } from '../src/shard/shard.js';
import { ringWakeCalls, pinCurrentThread, syncFsCall, syncFsReportsErrors, zeroCopyCalls } from '../src/platform/native.js';
import { SYNC_CONTROL_BYTES, SharedSyncer } from '../src/shard/sync-control.js';
import type { SyncRequest, SyncerWorkerData } from '../src/shard/sync-control.js';
import type { ShardWorkerData } from '../src/shard/shard-protocol.js';

const data = settings();

/**
 * This thread's settings: its workerData, or, when the bundled CLI's entry started it
 * before the engine existed (scripts/bundle-entry.cjs, src/broker/early-shard.ts), the
 * message the engine posts when it adopts the thread. The wait blocks (Atomics.wait):
 * everything up to here (Node's boot, this bundle) is done by then, and the bundle's
 * entry writes its code cache when this script returns, which must stay the end of
 * start-up. Unadopted, the thread waits until the process exits, which ends it.
 */
function settings(): ShardWorkerData {
  const early = workerData as { earlyInit?: Int32Array } | null;
  const init = early?.earlyInit;
  if (init === undefined) return workerData as ShardWorkerData;
  Atomics.wait(init, 0, 0);
  // The engine posts the message before it sets the flag, and a post is queued at once.
  const m = receiveMessageOnPort(parentPort!);
  if (m === undefined) throw new Error('shard thread: adopted without its settings');
  return m.message as ShardWorkerData;
}
let pinned = false;
let pinReason = 'not requested';
if (data.cpu >= 0) {
  const r = pinCurrentThread(data.cpu);
  pinned = r.pinned;
  pinReason = r.reason ?? '';
}

// The syncer runs fdatasync while this thread keeps writing (pipelined group commit).
// It starts on the first sync, so a broker that never syncs pays no thread for it
// (memory at idle). If it cannot start, the shard syncs inline: slower for acks=-1,
// never less durable. SAMSA_SYNC_INLINE=1 turns the pipeline off (before/after runs).
let syncer: Worker | null = null;
let sharedSyncer: SharedSyncer | undefined;
if (process.env.SAMSA_SYNC_INLINE !== '1') {
  const control = new SharedArrayBuffer(SYNC_CONTROL_BYTES);
  const syncerData: SyncerWorkerData = { control, requestRing: data.requestRing };
  sharedSyncer = new SharedSyncer(control, (req: SyncRequest) => {
    // A failure to start throws here, inside the shard's sync path, which then syncs inline.
    syncer ??= new Worker(new URL('./syncer.js', import.meta.url), { workerData: syncerData, name: `samsa-syncer-${data.shardId}` });
    syncer.postMessage(req);
  });
}

const zc = zeroCopyCalls();
const syncFs = process.env.SAMSA_SYNCFS === '0' ? null : syncFsCall();
parentPort?.postMessage({ type: 'ready', shardId: data.shardId, cpu: data.cpu, pinned, pinReason });

// The rings say whether they wake through the addon (futex, doorbell: the broker chose, once); the
// same addon file loads here, so this thread can follow that choice.
const native = ringWakeCalls();
const shard = new Shard(new SpscRing(data.requestRing, native), new SpscRing(data.completionRing, native), {
  shardId: data.shardId,
  retentionCheckIntervalMs: data.retentionCheckIntervalMs,
  compactionCheckIntervalMs: data.compactionCheckIntervalMs,
  ...(sharedSyncer !== undefined ? { syncer: sharedSyncer } : {}),
  // Zero-copy reads need the addon's dupFd; without it every read is answered with bytes.
  ...(zc !== null ? { dupFd: zc.dupFd } : {}),
  // A shutdown's syncs as two syncfs of the data directory's file system, held from
  // here on; per file where that cannot be trusted (SAMSA_SYNCFS=0: off, for before/after runs).
  ...(syncFs !== null ? { syncFs, dataDir: data.dataDir, syncFsReportsErrors: syncFsReportsErrors() } : {}),
});
// The loop starts on the next turn, not in this script's top level: the bundle runs this
// file as a CommonJS script through V8's code cache (scripts/bundle-entry.cjs), and writes
// that cache when the script returns, so it must return once start-up is done rather than
// at shutdown. For the same reason there is no top-level await.
setImmediate(() => {
  shard.run();
  const stopped = (): void => parentPort?.postMessage({ type: 'stopped', shardId: data.shardId });
  if (syncer !== null) (syncer as Worker).terminate().then(stopped, stopped);
  else stopped();
});
