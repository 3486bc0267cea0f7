// A piscina task: recover one partition directory off the shard threads.
// Owns: only the task's input/output shape. Must not keep state between tasks.
// Usage: new Piscina({ filename: new URL('./recovery-task.js', import.meta.url).href })
//        then pool.run({ dir, indexIntervalBytes }) → RecoveryReport (structured-cloneable).

import { recoverPartitionDir } from './recovery.js';
import type { RecoveryReport } from './recovery.js';

export interface RecoveryTask {
  dir: string;
  indexIntervalBytes: number;
  nowMs?: number;
}

export default function recoveryTask(task: RecoveryTask): RecoveryReport {
  return recoverPartitionDir(task.dir, { indexIntervalBytes: task.indexIntervalBytes }, task.nowMs === undefined ? {} : { nowMs: task.nowMs });
}
