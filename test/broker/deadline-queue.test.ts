// The parked waits' one timer (src/broker/deadline-queue.ts): entries fire in deadline
// order and never before their deadline, removed ones never fire, one armed timer serves
// many entries, and nothing is left behind (no entry, no timer keeping the process alive).
// Then the engine's waitForAppend on top of it: woken, expired and aborted waits all leave.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadlineQueue, monotonicNowMs } from '../../src/broker/deadline-queue.js';
import type { DeadlineEntry } from '../../src/broker/deadline-queue.js';
import { SamsaEngine } from '../../src/broker/engine.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { tempDir } from '../helpers/tmp.js';

function entry(name: string, fired: string[], lateness: number[]): DeadlineEntry {
  const e: DeadlineEntry = {
    deadlineMs: 0,
    heapIndex: -1,
    fire: () => {
      fired.push(name);
      lateness.push(monotonicNowMs() - e.deadlineMs);
    },
  };
  return e;
}

test('DeadlineQueue fires in deadline order, never early, skips removed entries, leaves nothing behind', async () => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  const lateness: number[] = [];
  // Added out of order; 'c' and 'x' are removed before they are due.
  const delays: Array<[string, number]> = [['d', 40], ['a', 5], ['x', 1], ['c', 30], ['b', 20], ['e', 40], ['f', 0]];
  const entries = new Map(delays.map(([n]) => [n, entry(n, fired, lateness)]));
  for (const [n, ms] of delays) q.add(entries.get(n)!, ms);
  assert.equal(q.size, 7);
  assert.equal(q.timerActive, true);
  assert.equal(q.remove(entries.get('c')!), true);
  assert.equal(q.remove(entries.get('x')!), true);
  assert.equal(q.remove(entries.get('x')!), false, 'a removed entry is not in the queue');
  await new Promise<void>((resolve) => {
    const poll = (): void => (q.size === 0 ? resolve() : void setTimeout(poll, 10));
    poll();
  });
  assert.deepEqual(fired.slice(0, 3), ['f', 'a', 'b']);
  assert.deepEqual(fired.slice(3).sort(), ['d', 'e'], 'equal deadlines both fire, after the earlier ones');
  for (const late of lateness) assert.ok(late >= 0, `fired ${-late} ms before its deadline`);
  assert.equal(q.timerActive, false);
  assert.ok(q.fires <= 6, `one timer per distinct deadline at most, got ${q.fires} fires for 5 entries`);
  q.close();
});

test('DeadlineQueue: many entries removed early cost no timer each; a re-added entry moves; close fires what is left', () => {
  const q = new DeadlineQueue();
  const fired: string[] = [];
  const lateness: number[] = [];
  const many = Array.from({ length: 1000 }, (_, i) => entry(`w${i}`, fired, lateness));
  for (const [i, e] of many.entries()) q.add(e, 60_000 + i);
  assert.equal(q.size, 1000);
  // Removed in an order unlike the heap's: each removal keeps the heap valid.
  for (let i = 0; i < 1000; i += 2) assert.equal(q.remove(many[i]!), true);
  for (let i = 999; i >= 501; i -= 2) assert.equal(q.remove(many[i]!), true);
  assert.equal(q.size, 250);
  q.add(many[1]!, 120_000); // moved to the back
  assert.equal(q.size, 250);
  q.close();
  assert.equal(q.size, 0);
  assert.equal(q.timerActive, false);
  assert.equal(fired.length, 250);
  const order = fired.map((n) => Number(n.slice(1)));
  // Left: the odd ones up to 499; 1 was moved behind them.
  assert.deepEqual(order, [...Array.from({ length: 249 }, (_, i) => 3 + 2 * i), 1]);
  assert.throws(() => q.add(many[0]!, 1), /closed/);
});

test('engine.waitForAppend: woken, expired and aborted waits all leave the queue and its timer', async () => {
  const { dir, cleanup } = tempDir();
  const engine = await SamsaEngine.start({ dataDir: dir, shards: 1, pin: false });
  try {
    await engine.createTopic('dq', 2);
    const ctl = new AbortController();
    const ref = [{ topic: 'dq', partition: 0 }];
    const woken = Array.from({ length: 100 }, () => engine.waitForAppend(ref, 60_000));
    const aborted = Array.from({ length: 100 }, () => engine.waitForAppend([{ topic: 'dq', partition: 1 }], 60_000, ctl.signal));
    const expired = Array.from({ length: 100 }, (_, i) => engine.waitForAppend([{ topic: 'dq', partition: 1 }], i % 5));
    assert.equal(engine.parkedWaits, 300);
    assert.equal(engine.parkedTimerActive, true);
    assert.deepEqual(new Set(await Promise.all(expired)), new Set([false]));
    assert.equal(engine.parkedWaits, 200);
    await engine.append('dq', 0, encodeRecordBatch([{ value: new TextEncoder().encode('v') }]), 1);
    assert.deepEqual(new Set(await Promise.all(woken)), new Set([true]));
    ctl.abort();
    assert.deepEqual(new Set(await Promise.all(aborted)), new Set([false]));
    assert.equal(engine.parkedWaits, 0);
    assert.equal(engine.parkedTimerActive, false);
    // An aborted signal parks nothing; the same signal's listener is not added again.
    assert.equal(await engine.waitForAppend(ref, 60_000, ctl.signal), false);
    assert.equal(engine.parkedWaits, 0);
    // A wait on no known partition has only its deadline: engine close answers it.
    const orphan = engine.waitForAppend([{ topic: 'nope', partition: 0 }], 60_000);
    assert.equal(engine.parkedWaits, 1);
    await engine.close();
    assert.equal(await orphan, false);
    assert.equal(engine.parkedWaits, 0);
  } finally {
    await engine.close();
    cleanup();
  }
});
