// `samsa bench --report`: the HTML report and what feeds it. The percentile
// distribution of a histogram (HdrHistogram's plotter spacing), the throughput
// timeline, the plotter axis, reading runs saved with --json; then the CLI end to end
// against a broker started here: --runs 2 --report gives one self-contained page with
// both runs side by side (summary rows, throughput and latency curves, the data
// embedded), --include adds saved runs, and a bad --include is a usage error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Broker, startBroker } from '../../src/server.js';
import { LatencyRecorder, startTimeline } from '../../src/loadgen/index.js';
import { percentileLabel, percentileX, ratesOf } from '../../src/cli/bench-report.js';
import { splitJsonValues } from '../../src/cli/commands/bench.js';
import { isOneErrorLine, runCli } from './cli-helpers.js';

let broker: Broker;
let dir: string;

before(async () => {
  broker = await startBroker({ port: 0, 'http.port': 0 });
  dir = mkdtempSync(join(tmpdir(), 'samsa-bench-report-'));
});

after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

test('LatencyRecorder.distribution: plotter-spaced percentiles up to the count, then the max', () => {
  const h = new LatencyRecorder();
  // 1..10_000 µs once each: the value at p is about p% of 10 ms.
  for (let us = 1; us <= 10_000; us++) h.recordMs(us / 1000);
  const d = h.distribution();
  const ps = d.map(([p]) => p);
  const vs = d.map(([, v]) => v);
  assert.equal(ps[0], 0);
  assert.deepEqual(d[d.length - 1], [100, h.summary().max]);
  // 10 points per decade of 1/(1 − p) for 4 decades (10^4 records), plus the max.
  assert.equal(d.length, 4 * 10 + 1 + 1);
  for (let i = 1; i < d.length; i++) {
    assert.ok(ps[i]! > ps[i - 1]!, `percentiles rise at ${i}`);
    assert.ok(vs[i]! >= vs[i - 1]!, `values do not fall at ${i}`);
  }
  for (const [p, want] of [[90, 9000], [99, 9900], [99.9, 9990]] as const) {
    const point = d.find(([q]) => Math.abs(q - p) < 1e-6);
    assert.ok(point !== undefined, `p${p} is a point`);
    assert.ok(Math.abs(point[1] - want) <= want * 0.002, `p${p} = ${point[1]} µs, want ~${want}`);
  }
  assert.deepEqual(new LatencyRecorder().distribution(), []);
});

test('percentileX and percentileLabel: one step per ten times rarer, the max at the edge', () => {
  assert.equal(percentileX(0, 5), 0);
  assert.ok(Math.abs(percentileX(90, 5) - 1) < 1e-9);
  assert.ok(Math.abs(percentileX(99, 5) - 2) < 1e-9);
  assert.ok(Math.abs(percentileX(99.9, 5) - 3) < 1e-9);
  assert.equal(percentileX(100, 5), 5);
  assert.deepEqual([0, 1, 2, 3, 4].map(percentileLabel), ['0%', '90%', '99%', '99.9%', '99.99%']);
});

test('startTimeline samples the count over time; ratesOf turns it into steps of records/s', async () => {
  let n = 0;
  const tl = startTimeline(() => n);
  for (let i = 0; i < 3; i++) {
    n += 100;
    await sleep(300); // past the 250 ms sampling interval each time
  }
  const points = tl.stop();
  assert.deepEqual(points[0], [0, 0]);
  assert.equal(points[points.length - 1]![1], 300);
  assert.ok(points.length >= 3, JSON.stringify(points));
  for (let i = 1; i < points.length; i++) {
    assert.ok(points[i]![0] >= points[i - 1]![0] && points[i]![1] >= points[i - 1]![1], JSON.stringify(points));
  }
  assert.deepEqual(ratesOf([[0, 0], [1, 100], [3, 500]]), [[0, 100], [1, 100], [1, 200], [3, 200]]);
  assert.deepEqual(ratesOf([[0, 0]]), []);
});

test('splitJsonValues: several pretty JSON objects back to back, braces inside strings included', () => {
  const text = `${JSON.stringify({ a: '{"}', b: [1, { c: 'x\\"}' }] }, null, 2)}\n${JSON.stringify({ d: 2 }, null, 2)}\n[{"e":3}]\n`;
  const parts = splitJsonValues(text).map((p) => JSON.parse(p) as unknown);
  assert.deepEqual(parts, [{ a: '{"}', b: [1, { c: 'x\\"}' }] }, { d: 2 }, [{ e: 3 }]]);
  assert.throws(() => splitJsonValues('{"a":1} oops'), SyntaxError);
  assert.throws(() => splitJsonValues('{"a":1'), SyntaxError);
});

interface Run {
  label: string;
  broker: string;
  produce?: { timeline: Array<[number, number]>; sendLatencyDistribution: Array<[number, number]> };
  latency?: {
    records: number;
    latencyFrom: string;
    latencyUs: { count: number; p50: number; max: number };
    latencyDistribution: Array<[number, number]>;
    serviceLatencyUs: { count: number } | null;
    serviceLatencyDistribution: Array<[number, number]> | null;
    timeline: Array<[number, number]>;
  };
}

/** The `data-name`s of a chart's curves, in order. */
function seriesOf(html: string, chartId: string): string[] {
  const start = html.indexOf(`id="${chartId}"`);
  assert.ok(start >= 0, `chart ${chartId} is in the report`);
  const svg = html.slice(start, html.indexOf('</svg>', start));
  return [...svg.matchAll(/<g class="series" data-name="([^"]*)">/g)].map((m) => m[1]!);
}

function embedded(html: string): unknown {
  const m = /<script type="application\/json" id="samsa-bench-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m !== null, 'the results are embedded');
  return JSON.parse(m[1]!) as unknown;
}

/** Nothing in the page loads from anywhere: no src/href, no url(), no script to run, and a CSP that forbids it. */
function assertSelfContained(html: string): void {
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">/);
  assert.doesNotMatch(html, /\s(src|href)=/i);
  assert.doesNotMatch(html, /url\(/i);
  assert.doesNotMatch(html, /<link\b/i);
  assert.doesNotMatch(html, /<script(?! type="application\/json")/i);
  const urls = [...html.matchAll(/https?:\/\/[^\s"'<)]+/g)].map((m) => m[0]);
  assert.deepEqual([...new Set(urls)], ['http://www.w3.org/2000/svg']);
}

test('bench latency --runs 2 --report: one page, both runs side by side, corrected and service latency', async () => {
  const report = join(dir, 'two-runs.html');
  const against = `127.0.0.1:${broker.kafkaPort}`;
  const r = await runCli(['bench', 'latency', '--records', '600', '--rate', '2000', '--warmup', '0', '--runs', '2', '--against', against, '--report', report, '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const runs = splitJsonValues(r.stdout).map((s) => JSON.parse(s) as Run);
  assert.deepEqual(runs.map((x) => x.label), [`${against} #1`, `${against} #2`]);
  for (const run of runs) {
    const l = run.latency!;
    assert.equal(l.records, 600);
    assert.equal(l.latencyFrom, 'intended-send-time');
    assert.equal(l.latencyUs.count, 600);
    assert.equal(l.serviceLatencyUs?.count, 600);
    assert.deepEqual(l.latencyDistribution[l.latencyDistribution.length - 1], [100, l.latencyUs.max]);
    assert.ok(l.serviceLatencyDistribution !== null && l.serviceLatencyDistribution.length > 2);
    assert.ok(l.timeline.length >= 2 && l.timeline[l.timeline.length - 1]![1] === 600, JSON.stringify(l.timeline));
  }
  // The terminal says what latency is measured from, and compares the runs.
  assert.match(r.stderr, /corrected for coordinated omission: measured from each record's intended send time/);
  assert.match(r.stderr, /^run +produce r\/s +consume r\/s +lat p50 µs/m);
  assert.match(r.stderr, new RegExp(`^${against.replace(/\./g, '\\.')} #2 +- +- +[\\d,]+`, 'm'));
  assert.match(r.stderr, new RegExp(`^report: ${report.replace(/[.\\/]/g, '\\$&')}$`, 'm'));

  const html = readFileSync(report, 'utf8');
  assertSelfContained(html);
  assert.match(html, /<title>samsa bench — 2 runs<\/title>/);
  assert.deepEqual(embedded(html), runs);
  assert.deepEqual(seriesOf(html, 'latency-distribution'), [
    `${against} #1 · end to end, from intended send (corrected)`,
    `${against} #1 · from actual send (service time)`,
    `${against} #2 · end to end, from intended send (corrected)`,
    `${against} #2 · from actual send (service time)`,
  ]);
  assert.deepEqual(seriesOf(html, 'throughput-latency'), [`${against} #1 · latency`, `${against} #2 · latency`]);
  // One summary row per run and phase, plus the service-time rows.
  assert.equal([...html.matchAll(/<tr><td>[^<]* #\d<\/td><td>latency<\/td><td class="n">600<\/td>/g)].length, 2);
  assert.equal([...html.matchAll(/<tr class="sub">/g)].length, 2);
  assert.match(html, /corrected for coordinated omission/);
  // The plotter's axis labels.
  for (const label of ['90%', '99%']) assert.match(html, new RegExp(`text-anchor="middle">${label.replace('.', '\\.')}</text>`));
});

test('bench --against twice (TCP and WebSocket): one report with both targets side by side', async () => {
  const report = join(dir, 'two-targets.html');
  const tcp = `127.0.0.1:${broker.kafkaPort}`;
  const ws = `ws://127.0.0.1:${broker.httpPort}/kafka`;
  const r = await runCli(['bench', 'produce', '--records', '300', '--against', tcp, '--against', ws, '--report', report, '--json'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  const runs = splitJsonValues(r.stdout).map((x) => JSON.parse(x) as Run & { transport: string });
  assert.deepEqual(runs.map((x) => [x.label, x.transport]), [[tcp, 'tcp'], [ws, 'ws']]);
  const html = readFileSync(report, 'utf8');
  assertSelfContained(html);
  assert.deepEqual(seriesOf(html, 'throughput-produce'), [`${tcp} · produce`, `${ws} · produce`]);
  assert.match(r.stderr, new RegExp(`^${ws.replace(/[./]/g, '\\$&')} +[\\d,]+ +- `, 'm'));
});

test('bench --include: saved --json runs join this run in the tables and the report; a bad file is a usage error', async () => {
  const against = `127.0.0.1:${broker.kafkaPort}`;
  const saved = join(dir, 'saved.json');
  const first = await runCli(['bench', 'produce', '--records', '400', '--against', against, '--json'], { timeoutMs: 60_000 });
  assert.equal(first.code, 0, first.stderr);
  writeFileSync(saved, first.stdout);

  const report = join(dir, 'included.html');
  const r = await runCli(['bench', 'produce', '--records', '300', '--against', against, '--include', saved, '--report', report], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^run +produce r\/s/m);
  assert.match(r.stdout, new RegExp(`^${against.replace(/\./g, '\\.')} \\(saved\\.json\\) +[\\d,]+ +- `, 'm'));
  const html = readFileSync(report, 'utf8');
  assertSelfContained(html);
  const runs = embedded(html) as Run[];
  assert.deepEqual(runs.map((x) => x.label), [`${against} (saved.json)`, against]);
  assert.deepEqual(seriesOf(html, 'throughput-produce'), [`${against} (saved.json) · produce`, `${against} · produce`]);
  assert.deepEqual(seriesOf(html, 'send-latency-distribution'), [`${against} (saved.json) · produce send() → ack`, `${against} · produce send() → ack`]);

  const junk = join(dir, 'junk.json');
  writeFileSync(junk, '{"hello": "world"}');
  const bad = await Promise.all([
    runCli(['bench', 'produce', '--include', join(dir, 'missing.json')]),
    runCli(['bench', 'produce', '--include', junk]),
    runCli(['bench', 'produce', '--report', ' ']),
    runCli(['bench', 'produce', '--runs', '0']),
  ]);
  for (const b of bad) {
    assert.equal(b.code, 2, b.stderr);
    assert.ok(isOneErrorLine(b.stderr), JSON.stringify(b.stderr));
  }
});
