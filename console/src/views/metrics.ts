// Charts of the broker's own metrics over the last minutes: records and bytes in
// and out per second, produce and fetch latency, fsync time per shard. Redrawn on
// every /metrics sample.

import { fill, h } from '../dom.js';
import { lineChart } from '../chart.js';
import { HISTORY_POINTS_MAX, SAMPLE_INTERVAL_MS, intervalMeanMs, rate, sampler, series } from '../metrics.js';
import type { View } from '../view.js';

const WINDOW_MAX_MS = HISTORY_POINTS_MAX * SAMPLE_INTERVAL_MS;

/** The history's span rounded up to whole minutes, at least one and at most the history kept. */
function windowMs(spanMs: number): number {
  return Math.min(WINDOW_MAX_MS, Math.max(60_000, Math.ceil(spanMs / 60_000) * 60_000));
}

export function metricsView(): View {
  const grid = h('div', { class: 'charts' });
  const note = h('p', { class: 'hint' });
  const draw = (): void => {
    const pts = sampler.points;
    const now = Date.now();
    const WINDOW_MS = windowMs(pts.length === 0 ? 0 : now - pts[0]!.atMs);
    note.textContent =
      sampler.lastError !== null
        ? `/metrics: ${sampler.lastError}`
        : `Sampled from /metrics every ${SAMPLE_INTERVAL_MS / 1000} s since this page opened (${pts.length} samples). Means are per interval (Δsum/Δcount); p50/p99 are the broker's summaries, cumulative since it started.`;
    const shards = new Set<string>();
    for (const p of pts) for (const k of p.fsync.keys()) shards.add(k);
    fill(
      grid,
      lineChart('Records per second', 'rec/s', [
        { name: 'in', cls: 'c1', points: rate(pts, (p) => p.recordsIn) },
        { name: 'out', cls: 'c2', points: rate(pts, (p) => p.recordsOut) },
      ], WINDOW_MS, now, 'chart-records'),
      lineChart('Bytes per second', 'B/s', [
        { name: 'in', cls: 'c1', points: rate(pts, (p) => p.bytesIn) },
        { name: 'out', cls: 'c2', points: rate(pts, (p) => p.bytesOut) },
      ], WINDOW_MS, now, 'chart-bytes'),
      lineChart('Produce latency (append, fsync for acks=-1)', 'ms', [
        { name: 'mean', cls: 'c1', points: intervalMeanMs(pts, (p) => [p.produceSum, p.produceCount]) },
        { name: 'p50', cls: 'c3', points: series(pts, (p) => p.produceP50) },
        { name: 'p99', cls: 'c4', points: series(pts, (p) => p.produceP99) },
      ], WINDOW_MS, now, 'chart-produce-latency'),
      lineChart('Fetch latency (log read)', 'ms', [
        { name: 'mean', cls: 'c1', points: intervalMeanMs(pts, (p) => [p.fetchSum, p.fetchCount]) },
        { name: 'p50', cls: 'c3', points: series(pts, (p) => p.fetchP50) },
        { name: 'p99', cls: 'c4', points: series(pts, (p) => p.fetchP99) },
      ], WINDOW_MS, now, 'chart-fetch-latency'),
      lineChart('fsync mean per shard', 'ms', [...shards].sort().slice(0, 8).map((shard, i) => ({ name: `shard ${shard}`, cls: `c${i + 1}`, points: intervalMeanMs(pts, (p) => p.fsync.get(shard)) })), WINDOW_MS, now, 'chart-fsync'),
    );
  };
  const off = sampler.onUpdate(draw);
  draw();
  return { title: 'Metrics', el: h('section', null, h('h1', null, 'Metrics'), note, grid), dispose: off };
}
