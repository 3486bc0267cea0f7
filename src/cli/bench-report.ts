// `samsa bench --report out.html`: one self-contained HTML file that people can look
// at — a summary table, throughput over time per phase, and the latency percentile
// distribution on HdrHistogram's plotter axis (percentiles spaced by log10 of
// 1/(1 − p), so 90%, 99%, 99.9% … sit one step apart), with every run or --against
// target side by side. Charts are inline SVG drawn here; there is no script, no
// stylesheet link and no font or image to fetch, and a Content-Security-Policy says
// so. The results are embedded as JSON (#samsa-bench-data) for tools.
// Owns: the page. Must not run benchmarks (bench.ts does) nor print.

import type { CompressionType } from '../client/index.js';
import type { ConsumeLoadResult, LatencyLoadResult, PercentilePoint, ProduceLoadResult, TimelinePoint } from '../loadgen/index.js';

export type BenchPhase = 'produce' | 'consume' | 'latency' | 'all';

/** The one JSON object `samsa bench --json` prints per run. */
export interface BenchReport {
  phase: BenchPhase;
  broker: string;
  /** How the run is named in tables and report legends (the target, with #n when repeated). */
  label?: string;
  /** ISO time the run started. */
  startedAt?: string;
  transport: 'tcp' | 'ws';
  topic: string;
  partitions: number;
  recordBytes: number;
  acks: number;
  compression: CompressionType;
  produce?: ProduceLoadResult;
  consume?: ConsumeLoadResult;
  latency?: LatencyLoadResult;
}


const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const WIDTH = 860;
const HEIGHT = 340;
const MARGIN = { left: 78, right: 20, top: 16, bottom: 48 };

export interface Series {
  name: string;
  color: string;
  dashed?: boolean;
  points: Array<[number, number]>;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** A round upper bound for an axis (1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10^k) and its tick step. */
function niceMax(v: number): { max: number; step: number } {
  if (!(v > 0)) return { max: 1, step: 0.2 };
  const exp = Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const max = m * 10 ** exp;
    if (max >= v) return { max, step: max / 5 };
  }
  return { max: 10 ** (exp + 1), step: 10 ** (exp + 1) / 5 };
}

/** Percentile → x on the plotter axis: log10(1 / (1 − p)); 100 (the max) goes to `edge`. */
export function percentileX(p: number, edge: number): number {
  if (p >= 100) return edge;
  return Math.log10(1 / (1 - p / 100));
}

export function percentileLabel(decade: number): string {
  if (decade === 0) return '0%';
  return `${(100 * (1 - 10 ** -decade)).toFixed(Math.max(0, decade - 2))}%`;
}

interface ChartOptions {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  /** 'percentile': x values are percentiles, drawn on the plotter's log axis. */
  xKind: 'linear' | 'percentile';
  series: Series[];
}

export function lineChart(o: ChartOptions): string {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = o.series.flatMap((s) => s.points);
  let xMax: number;
  let xTicks: Array<{ x: number; label: string }>;
  const finiteDecades = o.xKind === 'percentile' ? Math.max(1, ...all.filter(([p]) => p < 100).map(([p]) => percentileX(p, 0))) : 0;
  const edge = Math.ceil(finiteDecades + 0.25);
  if (o.xKind === 'percentile') {
    xMax = edge;
    xTicks = Array.from({ length: edge + 1 }, (_, d) => ({ x: d, label: percentileLabel(d) }));
  } else {
    const n = niceMax(Math.max(0, ...all.map(([x]) => x)));
    xMax = n.max;
    xTicks = Array.from({ length: Math.round(n.max / n.step) + 1 }, (_, i) => ({ x: i * n.step, label: fmt(i * n.step, 2) }));
  }
  const y = niceMax(Math.max(0, ...all.map(([, v]) => v)));
  const px = (x: number): number => MARGIN.left + (xMax > 0 ? (x / xMax) * plotW : 0);
  const py = (v: number): number => MARGIN.top + plotH - (v / y.max) * plotH;
  const xOf = (x: number): number => (o.xKind === 'percentile' ? percentileX(x, edge) : x);
  const parts: string[] = [];
  parts.push(`<svg class="chart" id="${esc(o.id)}" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${esc(o.title)}" xmlns="http://www.w3.org/2000/svg">`);
  parts.push(`<title>${esc(o.title)}</title>`);
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" class="plot"/>`);
  for (let i = 0; i <= Math.round(y.max / y.step); i++) {
    const v = i * y.step;
    parts.push(`<line class="grid" x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}"/>`);
    parts.push(`<text class="tick" x="${MARGIN.left - 6}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${esc(fmt(v, 2))}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line class="grid" x1="${px(t.x).toFixed(1)}" x2="${px(t.x).toFixed(1)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}"/>`);
    parts.push(`<text class="tick" x="${px(t.x).toFixed(1)}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${esc(t.label)}</text>`);
  }
  parts.push(`<text class="axis" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text class="axis" transform="translate(16 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  for (const s of o.series) {
    if (s.points.length === 0) continue;
    const pts = s.points.map(([x, v]) => `${px(xOf(x)).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<g class="series" data-name="${esc(s.name)}"><title>${esc(s.name)}</title>`);
    parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''} points="${pts}"/>`);
    // Dots mark the percentiles measured; a throughput step line needs none.
    if (o.xKind === 'percentile' && s.points.length <= 80) {
      for (const [x, v] of s.points) parts.push(`<circle cx="${px(xOf(x)).toFixed(1)}" cy="${py(v).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(`${s.name}: ${o.xKind === 'percentile' ? `p${fmt(x, 4)}` : `${fmt(x, 2)}`} → ${fmt(v, 3)}`)}</title></circle>`);
    }
    parts.push('</g>');
  }
  parts.push('</svg>');
  const legend = o.series
    .filter((s) => s.points.length > 0)
    .map((s) => `<li><svg width="28" height="10" aria-hidden="true"><line x1="0" y1="5" x2="28" y2="5" stroke="${s.color}" stroke-width="3"${s.dashed === true ? ' stroke-dasharray="6 4"' : ''}/></svg> ${esc(s.name)}</li>`)
    .join('');
  return `<figure><figcaption>${esc(o.title)}</figcaption>${parts.join('')}<ul class="legend">${legend}</ul></figure>`;
}

/**
 * Records per second between consecutive timeline samples, as steps: the rate holds
 * from one sample to the next (a phase shorter than one sample still draws a line).
 */
export function ratesOf(timeline: readonly TimelinePoint[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 1; i < timeline.length; i++) {
    const [t0, c0] = timeline[i - 1]!;
    const [t1, c1] = timeline[i]!;
    if (t1 <= t0) continue;
    const r = (c1 - c0) / (t1 - t0);
    out.push([t0, r], [t1, r]);
  }
  return out;
}

const usToMs = (d: readonly PercentilePoint[]): Array<[number, number]> => d.map(([p, us]) => [p, us / 1000]);

/** The name a run goes by in legends and the table. */
export function runLabel(r: BenchReport): string {
  return r.label ?? r.broker;
}

function summaryTable(reports: readonly BenchReport[]): string {
  const rows: string[] = [];
  const cell = (v: string, num = true): string => `<td${num ? ' class="n"' : ''}>${esc(v)}</td>`;
  const pct = (p: { count: number; p50: number; p99: number; p999: number; max: number } | null | undefined): string[] =>
    p === null || p === undefined || p.count === 0 ? ['-', '-', '-', '-'] : [p.p50, p.p99, p.p999, p.max].map((us) => fmt(us / 1000, 3));
  for (const r of reports) {
    const run = runLabel(r);
    if (r.produce !== undefined) rows.push(`<tr>${cell(run, false)}${cell('produce', false)}${cell(fmt(r.produce.records))}${cell(fmt(r.produce.seconds, 2))}${cell(fmt(r.produce.recordsPerSec))}${cell(fmt(r.produce.mbPerSec, 1))}${pct(r.produce.sendLatencyUs).map((v) => cell(v)).join('')}${cell('send() → ack', false)}</tr>`);
    if (r.consume !== undefined) rows.push(`<tr>${cell(run, false)}${cell('consume', false)}${cell(fmt(r.consume.records))}${cell(fmt(r.consume.seconds, 2))}${cell(fmt(r.consume.recordsPerSec))}${cell(fmt(r.consume.mbPerSec, 1))}${pct(null).map((v) => cell(v)).join('')}${cell(r.consume.complete ? '' : 'incomplete', false)}</tr>`);
    if (r.latency !== undefined) {
      const l = r.latency;
      const rps = l.seconds > 0 ? l.records / l.seconds : 0;
      rows.push(`<tr>${cell(run, false)}${cell('latency', false)}${cell(fmt(l.records))}${cell(fmt(l.seconds, 2))}${cell(fmt(rps))}${cell(fmt((rps * r.recordBytes) / 1e6, 1))}${pct(l.latencyUs).map((v) => cell(v)).join('')}${cell(`intended send → receive at ${fmt(l.ratePerSec)}/s (corrected)`, false)}</tr>`);
      if (l.serviceLatencyUs !== null && l.serviceLatencyUs !== undefined) {
        rows.push(`<tr class="sub">${cell(run, false)}${cell('', false)}${cell('')}${cell('')}${cell('')}${cell('')}${pct(l.serviceLatencyUs).map((v) => cell(v)).join('')}${cell('actual send → receive (service time, not corrected)', false)}</tr>`);
      }
    }
  }
  return `<table><thead><tr><th>run</th><th>phase</th><th>records</th><th>seconds</th><th>records/s</th><th>MB/s</th><th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>latency of</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function settingsList(reports: readonly BenchReport[]): string {
  return reports
    .map(
      (r) =>
        `<li><b>${esc(runLabel(r))}</b>: ${esc(r.phase)} against ${esc(r.broker)} over ${esc(r.transport)}, ${r.partitions} partition${r.partitions === 1 ? '' : 's'}, ${r.recordBytes}-byte records, acks=${r.acks}, compression ${esc(r.compression)}${r.startedAt !== undefined ? `, started ${esc(r.startedAt)}` : ''}</li>`,
    )
    .join('');
}

export function renderBenchReport(reports: readonly BenchReport[], generatedAt = new Date()): string {
  const color = (i: number): string => PALETTE[i % PALETTE.length]!;
  const charts: string[] = [];
  for (const phase of ['produce', 'consume', 'latency'] as const) {
    const series: Series[] = [];
    reports.forEach((r, i) => {
      const tl = r[phase]?.timeline;
      if (tl !== undefined && tl.length > 1) series.push({ name: `${runLabel(r)} · ${phase}`, color: color(i), points: ratesOf(tl) });
    });
    if (series.length > 0) {
      charts.push(lineChart({ id: `throughput-${phase}`, title: `${phase}: records per second over time`, xLabel: 'seconds since the phase started', yLabel: 'records / s', xKind: 'linear', series }));
    }
  }
  const latencyCharts: string[] = [];
  const e2e: Series[] = [];
  reports.forEach((r, i) => {
    const l = r.latency;
    if (l === undefined) return;
    if (l.latencyDistribution !== undefined && l.latencyDistribution.length > 0) e2e.push({ name: `${runLabel(r)} · end to end, from intended send (corrected)`, color: color(i), points: usToMs(l.latencyDistribution) });
    if (l.serviceLatencyDistribution !== undefined && l.serviceLatencyDistribution !== null && l.serviceLatencyDistribution.length > 0) {
      e2e.push({ name: `${runLabel(r)} · from actual send (service time)`, color: color(i), dashed: true, points: usToMs(l.serviceLatencyDistribution) });
    }
  });
  if (e2e.length > 0) latencyCharts.push(lineChart({ id: 'latency-distribution', title: 'End-to-end latency by percentile', xLabel: 'percentile', yLabel: 'latency (ms)', xKind: 'percentile', series: e2e }));
  const sends: Series[] = [];
  reports.forEach((r, i) => {
    const d = r.produce?.sendLatencyDistribution;
    if (d !== undefined && d.length > 0) sends.push({ name: `${runLabel(r)} · produce send() → ack`, color: color(i), points: usToMs(d) });
  });
  if (sends.length > 0) latencyCharts.push(lineChart({ id: 'send-latency-distribution', title: 'Produce send() → acknowledgement by percentile (throughput phase, queueing included)', xLabel: 'percentile', yLabel: 'latency (ms)', xKind: 'percentile', series: sends }));

  const data = JSON.stringify(reports).replace(/</g, '\\u003c');
  const title = `samsa bench — ${reports.length} run${reports.length === 1 ? '' : 's'}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 24px auto; max-width: 900px; padding: 0 12px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta, .note { color: #555; } .note { font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-size: 12.5px; } th, td { border-bottom: 1px solid #e4e4e4; padding: 4px 6px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } tr.sub td { color: #666; }
figure { margin: 12px 0 24px; } figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { max-width: 100%; height: auto; background: #fff; } .plot { fill: #fcfcfc; stroke: #bbb; }
.grid { stroke: #e6e6e6; } .tick { font-size: 11px; fill: #555; } .axis { font-size: 12px; fill: #333; }
ul.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 12.5px; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="meta">Generated ${esc(generatedAt.toISOString())} by <code>samsa bench</code>.</p>
<ul class="runs">${settingsList(reports)}</ul>
<h2>Summary</h2>
${summaryTable(reports)}
<p class="note">Latency (the latency phase) is corrected for coordinated omission: records are sent at a fixed rate, and each record's latency is measured from the time it was due to be sent (start + i / rate), as wrk2 and the OpenMessaging Benchmark measure it — a stall of the sender, client or broker counts against every record it held back. Service time, measured from the actual send, is shown dashed and in grey rows; it is not corrected. Produce send() → ack latency in the throughput phase includes queueing behind earlier sends.</p>
<h2>Throughput over time</h2>
${charts.length > 0 ? charts.join('\n') : '<p class="note">No phase recorded a timeline.</p>'}
<h2>Latency by percentile</h2>
<p class="note">The x axis is HdrHistogram's: percentiles spaced by log10(1 / (1 − p)), so each step to the right is ten times rarer; the last point is the maximum.</p>
${latencyCharts.length > 0 ? latencyCharts.join('\n') : '<p class="note">No latency was recorded.</p>'}
<script type="application/json" id="samsa-bench-data">${data}</script>
</body>
</html>
`;
}
