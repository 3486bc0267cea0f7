// Tests for the addon's doorbells (doorbellOpen/Ring/Close): the main thread's
// wake-up for its completion rings. Rings come from a real worker thread, as from a
// shard; a doorbell must never keep a process alive, survive its close, or answer a
// thread that did not open it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { loadNative } from '../../src/platform/native.js';
import type { DoorbellWorkerData, DoorbellWorkerReport } from './doorbell-worker.js';

const addon = loadNative();
const skip = addon?.doorbellOpen === undefined ? 'native addon (doorbells) not available' : false;
const ENOENT = 2;

function bells(): Required<Pick<NonNullable<typeof addon>, 'doorbellOpen' | 'doorbellRing' | 'doorbellClose'>> {
  const { doorbellOpen, doorbellRing, doorbellClose } = addon!;
  return { doorbellOpen: doorbellOpen!, doorbellRing: doorbellRing!, doorbellClose: doorbellClose! };
}

/** Resolves after the event loop ran its pending I/O callbacks at least once. */
function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

/**
 * Turns the loop until `done()` (bounded: 2 s). One turn is not enough to expect a
 * callback: a timer already due runs before the loop polls for the doorbell.
 */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !done(); i++) await turn();
}

test('a ring on the owning thread calls back on its loop, later; rings before it run coalesce; close stops it', { skip }, async () => {
  const { doorbellOpen, doorbellRing, doorbellClose } = bells();
  let calls = 0;
  const id = doorbellOpen(() => calls++);
  assert.ok(Number.isInteger(id) && id > 0, `id ${id}`);
  assert.equal(doorbellRing(id), 0);
  assert.equal(calls, 0, 'the callback runs on the loop, never inside ring');
  assert.equal(doorbellRing(id), 0);
  assert.equal(doorbellRing(id), 0);
  await until(() => calls > 0);
  await turn();
  assert.equal(calls, 1, 'three rings before the callback ran: one call');
  assert.equal(doorbellRing(id), 0);
  await until(() => calls > 1);
  assert.equal(calls, 2);
  assert.equal(doorbellClose(id), true);
  assert.equal(doorbellRing(id), -ENOENT, 'a closed doorbell is not there to ring');
  assert.equal(doorbellClose(id), false, 'closing twice is a no-op');
  await turn();
  assert.equal(calls, 2);
});

test('the promises a callback resolves settle before the loop moves on (MakeCallback)', { skip }, async () => {
  const { doorbellOpen, doorbellRing, doorbellClose } = bells();
  const order: string[] = [];
  let resolveIt: () => void = () => {};
  const settled = new Promise<void>((resolve) => (resolveIt = resolve)).then(() => order.push('continuation'));
  const id = doorbellOpen(() => {
    order.push('callback');
    resolveIt();
    setImmediate(() => order.push('immediate'));
  });
  // The doorbell does not keep the loop alive; this timer does, meanwhile.
  const alive = setTimeout(() => {}, 10_000);
  doorbellRing(id);
  await settled;
  await new Promise((resolve) => setImmediate(resolve));
  clearTimeout(alive);
  doorbellClose(id);
  assert.deepEqual(order.slice(0, 3), ['callback', 'continuation', 'immediate']);
});

test('rings from a worker thread wake this loop each time; the worker cannot close it; its own doorbell closes with it', { skip }, async () => {
  const { doorbellOpen, doorbellRing, doorbellClose } = bells();
  const sequence = new Int32Array(new SharedArrayBuffer(4));
  const rings = 200;
  let calls = 0;
  const id = doorbellOpen(() => {
    calls++;
    Atomics.store(sequence, 0, calls);
    Atomics.notify(sequence, 0);
  });
  const data: DoorbellWorkerData = { id, rings, sequence: sequence.buffer as SharedArrayBuffer };
  const worker = new Worker(new URL('./doorbell-worker.js', import.meta.url), { workerData: data });
  // Listened for from the start: the exit can be emitted in the same turn as the report.
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const report = await new Promise<DoorbellWorkerReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await exited;
  // The doorbell's handle does not keep the loop alive: this test's timer does, while
  // the last ring's callback is still to come.
  await until(() => calls >= rings);
  assert.equal(report.ringResults.length, rings);
  assert.ok(report.ringResults.every((r) => r === 0), `ring results: ${report.ringResults.filter((r) => r !== 0).join(',')}`);
  assert.equal(calls, rings, 'every ring after the previous callback is a wake-up of its own');
  assert.equal(report.closeFromWorker, false, 'only the opening thread closes a doorbell');
  assert.ok(report.ownId > 0);
  // The worker ended without closing its own: its teardown did.
  assert.equal(doorbellRing(report.ownId), -ENOENT);
  assert.equal(doorbellRing(id), 0, 'the main thread\'s doorbell is still open');
  assert.equal(doorbellClose(id), true);
});

test('bad arguments throw TypeError; unknown ids are not there', { skip }, () => {
  const { doorbellOpen, doorbellRing, doorbellClose } = bells();
  assert.throws(() => (doorbellOpen as unknown as (x: unknown) => number)(42), TypeError);
  assert.throws(() => doorbellRing(-1), TypeError);
  assert.throws(() => doorbellRing(Number.NaN), TypeError);
  assert.throws(() => (doorbellClose as unknown as (x: unknown) => boolean)('1'), TypeError);
  assert.equal(doorbellRing(2 ** 31 - 2), -ENOENT);
  assert.equal(doorbellClose(2 ** 31 - 2), false);
});

test('an open doorbell does not keep a process alive', { skip }, () => {
  const script = `
    import { loadNative } from ${JSON.stringify(new URL('../../src/platform/native.js', import.meta.url).href)};
    const a = loadNative();
    const id = a.doorbellOpen(() => {});
    a.doorbellRing(id);
    console.log('opened', id);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.error, undefined, 'the process must end by itself (no timeout)');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^opened \d+$/m);
});
