// The main thread's GC pauses (src/metrics/gc-stats.ts) and their series in /metrics:
// allocation that forces scavenges shows up as minor pauses with their time, and a
// closed BrokerMetrics stops counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GcStats } from '../../src/metrics/gc-stats.js';
import { BrokerMetrics } from '../../src/metrics/broker-metrics.js';

/** Short-lived garbage, far more than a young generation holds: scavenges must run. */
function churn(bytes: number): number {
  let sum = 0;
  for (let made = 0; made < bytes; made += 1024) {
    const a = new Array<number>(126).fill(made);
    sum += a.length;
  }
  return sum;
}

/** GC entries reach observers asynchronously: give them a few turns. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

test('GcStats counts the scavenges that allocation forces, with their pause time', async () => {
  const gc = new GcStats();
  gc.start();
  churn(256 * 1024 * 1024);
  await settle();
  const minor = gc.totals().get('minor')!;
  assert.ok(minor.pauses > 0, `minor pauses ${minor.pauses}`);
  assert.ok(minor.pauseSeconds > 0 && minor.maxPauseSeconds > 0 && minor.maxPauseSeconds <= minor.pauseSeconds);
  gc.stop();
  const before = minor.pauses;
  churn(256 * 1024 * 1024);
  await settle();
  assert.equal(gc.totals().get('minor')!.pauses, before, 'a stopped GcStats counts nothing more');
  assert.deepEqual([...gc.totals().keys()].sort(), ['incremental', 'major', 'minor', 'other', 'weakcb']);
});

test('/metrics carries samsa_gc_pauses_total and its pause time per kind', async () => {
  const m = new BrokerMetrics();
  try {
    churn(256 * 1024 * 1024);
    await settle();
    const text = await m.render();
    const minor = Number(/^samsa_gc_pauses_total\{kind="minor"\} (\d+)$/m.exec(text)?.[1]);
    assert.ok(minor > 0, `samsa_gc_pauses_total{kind="minor"} ${minor}`);
    assert.match(text, /^samsa_gc_pause_seconds_total\{kind="minor"\} [\d.e-]+$/m);
    assert.match(text, /^samsa_gc_pause_max_seconds\{kind="major"\} [\d.e-]+$/m);
  } finally {
    m.close();
  }
});
