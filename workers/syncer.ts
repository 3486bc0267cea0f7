// Entry of a shard's syncer thread. Owns: fdatasync of the files (and fsync of the
// directories) a shard names, one request at a time, in order. Must not write any
// file: it opens each by path read-only only to sync it (fdatasync acts on the file,
// whichever descriptor names it) and closes it again, so it never holds a descriptor
// a shard might have closed and the kernel reused.

import { closeSync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { SpscRing } from '../src/ring/spsc-ring.js';
import { ringWakeCalls } from '../src/platform/native.js';
import { syncDoneReporter } from '../src/shard/sync-control.js';
import type { SyncRequest, SyncerWorkerData } from '../src/shard/sync-control.js';

const data = workerData as SyncerWorkerData;
// The shard may sleep on its request ring by the addon's futex (the ring says): wake it the same way.
const ring = new SpscRing(data.requestRing, ringWakeCalls());
const reportSyncDone = syncDoneReporter(data.control);

function syncPath(path: string, dir: boolean): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    // Deleted since (retention, topic delete): nothing of it is left to make durable.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    if (dir) fsyncSync(fd);
    else fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

parentPort?.on('message', (req: SyncRequest) => {
  const t0 = performance.now();
  let failed = false;
  try {
    for (const f of req.files) syncPath(f, false);
    for (const d of req.dirs) syncPath(d, true);
  } catch (err) {
    failed = true;
    process.emitWarning(`syncer: ${(err as Error).message}`);
  }
  reportSyncDone(req.seq, failed, performance.now() - t0);
  ring.wakeConsumer();
});
