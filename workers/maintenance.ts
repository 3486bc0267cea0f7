// Piscina tasks: maintenance work kept off the main thread and off the shards' hot
// path. Owns: recovery scans of partitions at start-up (in parallel) and deleting
// segment files that retention has already detached from a log. Must not write to a
// partition a shard has open: recovery runs before shards open partitions, and
// unlink only touches files a shard renamed away.

import { rmSync } from 'node:fs';
import { recoverPartitionDir } from '../src/storage/recovery.js';
import type { RecoveryReport } from '../src/storage/recovery.js';
import type { LogConfig } from '../src/storage/partition-log.js';

export interface RecoverTask {
  dir: string;
  config: Pick<LogConfig, 'indexIntervalBytes'>;
}

export interface UnlinkTask {
  files: string[];
}

/** Recovers one partition directory; the report (structured-cloneable) says what was cut or rebuilt. */
export function recover(task: RecoverTask): RecoveryReport {
  return recoverPartitionDir(task.dir, task.config);
}

export function unlink(task: UnlinkTask): number {
  let n = 0;
  for (const f of task.files.slice(0, 100_000)) {
    rmSync(f, { force: true });
    n++;
  }
  return n;
}
