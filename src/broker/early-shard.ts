// Shard 0's worker thread when the bundled CLI's entry started it before the broker's
// code was loaded (scripts/bundle-entry.cjs, `samsa serve` only): a worker thread takes
// ~35-50 ms to boot Node and load its bundle, and started there that overlaps the main
// thread's own loading instead of following it. Owns: handing that thread over to the
// ShardClient of shard 0 and giving it its settings. Must not start threads itself:
// without an early thread (tsc's output, an embedded broker, the thread already gone)
// ShardClient starts shard 0 as before.

import type { Worker } from 'node:worker_threads';
import type { ShardWorkerData } from '../shard/shard-protocol.js';
import { logger } from '../util/logger.js';

/** What the entry leaves on globalThis under this key. */
const EARLY_SHARD_KEY = Symbol.for('samsa.earlyShardWorker');

interface EarlyShard {
  worker: Worker;
  /** The file URL the thread runs, to check it is the engine's shard entry. */
  url: string;
  /** Set to 1 (and notified) once the settings were posted; the thread waits on it. */
  init: Int32Array;
  /** Set by the entry when the thread failed or ended before it was adopted. */
  exited: boolean;
}

/**
 * Takes the early thread (once per process) when it runs `workerUrl` and is still
 * alive, and hands it `data`: it then runs like a thread started with that workerData.
 * Null when there is none; a thread running another file is ended.
 */
export function adoptEarlyShardWorker(workerUrl: URL, data: ShardWorkerData): Worker | null {
  const slots = globalThis as unknown as Record<symbol, EarlyShard | undefined>;
  const early = slots[EARLY_SHARD_KEY];
  if (early === undefined) return null;
  slots[EARLY_SHARD_KEY] = undefined;
  if (early.exited || early.url !== workerUrl.href) {
    void early.worker.terminate();
    // Shard 0 still starts (the caller starts its own); said because it costs the overlap.
    logger().warn({ exited: early.exited, url: early.url, expected: workerUrl.href }, 'shard 0: the thread the CLI entry started early is not usable; starting another');
    return null;
  }
  // The message first, then the flag: the thread reads the message synchronously
  // (receiveMessageOnPort) as soon as it sees the flag.
  early.worker.postMessage(data);
  Atomics.store(early.init, 0, 1);
  Atomics.notify(early.init, 0);
  // From here on it keeps the process alive like any shard.
  early.worker.ref();
  logger().debug('shard 0: runs on the thread the CLI entry started before loading the broker');
  return early.worker;
}
