// Worker entry for test/platform/native.test.ts: pins ITSELF to each CPU in turn,
// as a shard worker would, and reports what the kernel says afterwards.
// Owns nothing else; it only reads workerData and posts one message.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNative, nativeLoadError, pinCurrentThread } from '../../src/platform/native.js';

export interface PinStep {
  readonly cpu: number;
  readonly pinned: boolean;
  readonly reason: string | null;
  readonly currentCpu: number;
  readonly affinity: number[];
}

export interface PinWorkerReport {
  readonly loadError: string | null;
  readonly steps: PinStep[];
  readonly badInputs: { readonly input: string; readonly pinned: boolean; readonly affinityAfter: number[] }[];
}

export interface PinWorkerData {
  readonly cpus: number[];
  readonly badCpus: number[];
}

const stepsMax = 64;
const data = workerData as PinWorkerData;
const addon = loadNative();
const report: PinWorkerReport = { loadError: nativeLoadError(), steps: [], badInputs: [] };
if (addon !== null) {
  for (const cpu of data.cpus.slice(0, stepsMax)) {
    const result = pinCurrentThread(cpu);
    report.steps.push({
      cpu,
      pinned: result.pinned,
      reason: result.reason ?? null,
      currentCpu: addon.currentCpu(),
      affinity: addon.getThreadAffinity(),
    });
  }
  for (const cpu of data.badCpus.slice(0, stepsMax)) {
    // Straight to the addon: the TS wrapper would reject some of these before the call.
    const pinned = addon.pinThreadToCpu(cpu);
    report.badInputs.push({ input: String(cpu), pinned, affinityAfter: addon.getThreadAffinity() });
  }
}
parentPort?.postMessage(report);
