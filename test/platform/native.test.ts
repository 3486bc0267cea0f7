// Tests for the native affinity addon, its offline build script and its loader.
// Pinning runs inside real worker_threads workers (as shard workers will), so the
// test process's main thread keeps its affinity.

import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { defaultNativePath, loadNative, loadNativeFrom, nativeLoadError, pinCurrentThread, syncFsReportsErrors } from '../../src/platform/native.js';
import type { NativeAddon } from '../../src/platform/native.js';
import type { PinWorkerData, PinWorkerReport } from './pin-worker.js';

// dist/test/platform → package root
const packageRoot = fileURLToPath(new URL('../../../', import.meta.url));
const buildScript = join(packageRoot, 'scripts', 'build-native.mjs');
const workerUrl = new URL('./pin-worker.js', import.meta.url);
const buildTimeoutMs = 120_000;

function runBuild(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [buildScript], {
    cwd: packageRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: buildTimeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runWorker(data: PinWorkerData): Promise<PinWorkerReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: data });
    let report: PinWorkerReport | null = null;
    worker.once('message', (m: PinWorkerReport) => {
      report = m;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`pin worker exited with code ${code}`));
      else if (report === null) reject(new Error('pin worker exited without a report'));
      else resolve(report);
    });
  });
}

let addon: NativeAddon;

before(() => {
  // prepare (npm ci) builds the addon; build it here only if that did not happen.
  if (loadNativeFrom(defaultNativePath()).addon === null) runBuild({});
  const loaded = loadNative();
  assert.ok(loaded, `native addon should build and load on this machine: ${nativeLoadError()}`);
  assert.equal(nativeLoadError(), null);
  addon = loaded;
});

test('process cpu count matches the main thread affinity', () => {
  const affinity = addon.getThreadAffinity();
  assert.ok(affinity.length >= 1);
  assert.equal(addon.cpuCount(), affinity.length);
  assert.deepEqual([...affinity].sort((a, b) => a - b), affinity);
  assert.ok(affinity.includes(addon.currentCpu()));
});

test('a worker pins itself to one cpu, then another; the main thread is untouched', async (t) => {
  const allowed = addon.getThreadAffinity();
  if (allowed.length < 2) t.skip('needs two usable cpus');
  const cpus = allowed.slice(0, 2); // [0, 1] on the 2-core dev machine
  const report = await runWorker({ cpus, badCpus: [] });
  assert.equal(report.loadError, null);
  assert.equal(report.steps.length, 2);
  for (const step of report.steps) {
    assert.equal(step.pinned, true, step.reason ?? '');
    assert.equal(step.currentCpu, step.cpu);
    assert.deepEqual(step.affinity, [step.cpu]);
  }
  assert.deepEqual(addon.getThreadAffinity(), allowed);
});

test('several workers load the addon at once and each pins only itself', async (t) => {
  const allowed = addon.getThreadAffinity();
  if (allowed.length < 2) t.skip('needs two usable cpus');
  const [a, b] = [allowed[0]!, allowed[1]!];
  const reports = await Promise.all([
    runWorker({ cpus: [a, b], badCpus: [] }),
    runWorker({ cpus: [b, a], badCpus: [] }),
    runWorker({ cpus: [a], badCpus: [] }),
  ]);
  for (const report of reports) {
    for (const step of report.steps) {
      assert.equal(step.pinned, true, step.reason ?? '');
      assert.equal(step.currentCpu, step.cpu);
      assert.deepEqual(step.affinity, [step.cpu]);
    }
  }
  assert.deepEqual(addon.getThreadAffinity(), allowed);
});

test("setThreadTimerSlackNs sets the calling thread's timer slack only; bad values are refused", async () => {
  // /proc/<tid>/timerslack_ns is a thread's own value (a thread id works under /proc
  // although it is not listed); /proc/thread-self names the reading thread.
  const slackOf = `const slack = () => fs.readFileSync('/proc/' + fs.readlinkSync('/proc/thread-self').split('/').pop() + '/timerslack_ns', 'utf8').trim();`;
  const mainSlack = (): string => readFileSync(`/proc/${readlinkSync('/proc/thread-self').split('/').pop()!}/timerslack_ns`, 'utf8').trim();
  const mainBefore = mainSlack();
  const moduleUrl = new URL('../../src/platform/native.js', import.meta.url).href;
  const code = `const fs = require('node:fs');
  ${slackOf}
  import(${JSON.stringify(moduleUrl)}).then((m) => {
    const before = slack();
    const ok = m.setThreadTimerSlackNs(1);
    const after = slack();
    const zero = m.setThreadTimerSlackNs(0);
    const big = m.setThreadTimerSlackNs(2e9);
    require('node:worker_threads').parentPort.postMessage({ before, ok, after, zero, big, still: slack() });
  })`;
  const worker = new Worker(code, { eval: true });
  const [r] = (await once(worker, 'message')) as [{ before: string; ok: boolean; after: string; zero: boolean; big: boolean; still: string }];
  await once(worker, 'exit');
  assert.equal(r.ok, true);
  assert.equal(r.after, '1', 'the worker thread now wakes within 1 ns of its timers');
  assert.equal(r.zero, false, '0 (the kernel would reset to the default) is refused');
  assert.equal(r.big, false, 'over 1 s is refused');
  assert.equal(r.still, '1', 'a refused value changes nothing');
  assert.notEqual(r.before, '1');
  assert.equal(mainSlack(), mainBefore, "the main thread's slack is untouched");
  assert.throws(() => addon.setTimerSlack!(-1), TypeError);
});

test('bad cpu numbers return false, do not crash, and leave affinity unchanged', async () => {
  const allowed = addon.getThreadAffinity();
  const report = await runWorker({ cpus: [], badCpus: [9999, -1, 1.5, Number.NaN, 1e12, Number.POSITIVE_INFINITY] });
  assert.equal(report.badInputs.length, 6);
  for (const bad of report.badInputs) {
    assert.equal(bad.pinned, false, `pin to ${bad.input} should fail`);
    assert.deepEqual(bad.affinityAfter, allowed);
  }
  // On the main thread through the wrapper: a reason, no throw, affinity unchanged.
  for (const cpu of [9999, -1, 0.5, Number.NaN]) {
    const r = pinCurrentThread(cpu);
    assert.equal(r.pinned, false);
    assert.ok(r.reason && r.reason.length > 0);
  }
  assert.throws(() => addon.pinThreadToCpu('1' as unknown as number), TypeError);
  assert.deepEqual(addon.getThreadAffinity(), allowed);
});

test('loader returns null with a reason when the .node file is absent or wrong', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-native-load-'));
  try {
    const missing = loadNativeFrom(join(dir, 'samsa_native.node'));
    assert.equal(missing.addon, null);
    assert.match(missing.error ?? '', /missing/);

    const garbage = join(dir, 'garbage.node');
    writeFileSync(garbage, 'not an ELF file');
    const bad = loadNativeFrom(garbage);
    assert.equal(bad.addon, null);
    assert.match(bad.error ?? '', /failed to load/);

    const wrongShape = join(dir, 'wrong.cjs');
    writeFileSync(wrongShape, 'module.exports = { pinThreadToCpu() { return true; } };');
    const wrong = loadNativeFrom(wrongShape);
    assert.equal(wrong.addon, null);
    assert.match(wrong.error ?? '', /lacks/);

    assert.equal(loadNativeFrom('').addon, null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('build script builds a copy of native/ offline and the result loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-native-build-'));
  try {
    for (const name of ['binding.gyp', 'samsa_native.cc']) {
      copyFileSync(join(packageRoot, 'native', name), join(dir, name));
    }
    const r = runBuild({ SAMSA_NATIVE_DIR: dir });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /built native addon/, r.stderr);
    const built = loadNativeFrom(join(dir, 'build', 'Release', 'samsa_native.node'));
    assert.ok(built.addon, built.error ?? '');
    assert.equal(built.addon.cpuCount(), addon.cpuCount());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('build script exits 0 with one warning line when the build is broken', () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-native-broken-'));
  try {
    writeFileSync(join(dir, 'binding.gyp'), '{ "targets": [ { broken');
    const r = runBuild({ SAMSA_NATIVE_DIR: dir });
    assert.equal(r.status, 0);
    const lines = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.trim().length > 0);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /WARNING native addon not built/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('syncFsReportsErrors: Linux 5.17 and later only (writeback errors since 5.8, the file system\'s own since 5.17)', () => {
  const linux = process.platform === 'linux';
  assert.equal(syncFsReportsErrors('5.16.20'), false);
  assert.equal(syncFsReportsErrors('5.8.0-63-generic'), false);
  assert.equal(syncFsReportsErrors('4.19.0'), false);
  assert.equal(syncFsReportsErrors('5.17.0'), linux);
  assert.equal(syncFsReportsErrors('6.1.0-27-amd64'), linux);
  assert.equal(syncFsReportsErrors('10.0'), linux);
  assert.equal(syncFsReportsErrors('not a release'), false);
  assert.equal(syncFsReportsErrors(''), false);
});
