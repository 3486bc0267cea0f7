// The `samsa bench --report` page in a real browser (Debian's Chromium via
// playwright-core), opened from disk as a user would: it renders with no error and
// no blocked request under its own Content-Security-Policy, every chart is drawn
// with one visible curve per run, and a screenshot goes to test-output/bench-report/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Broker, startBroker } from '../../src/server.js';
import { runCli } from '../cli/cli-helpers.js';
import { launchOrSkip, outputDir, watchErrors } from './chromium.js';

let broker: Broker;
let dir: string;

before(async () => {
  broker = await startBroker({ port: 0, 'http.port': 0 });
  dir = mkdtempSync(join(tmpdir(), 'samsa-bench-report-browser-'));
});

after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

test('bench --report renders in Chromium: every chart drawn, one curve per run, nothing blocked', async (t) => {
  const report = join(dir, 'report.html');
  const r = await runCli(['bench', 'all', '--records', '2000', '--rate', '2000', '--warmup', '0', '--runs', '2', '--against', `127.0.0.1:${broker.kafkaPort}`, '--report', report], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, r.stderr);

  const browser = await launchOrSkip(t);
  if (browser === null) return;
  try {
    const page = await browser.newPage({ viewport: { width: 960, height: 900 } });
    const errors = watchErrors(page);
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(pathToFileURL(report).href);
    await page.getByRole('heading', { name: 'samsa bench — 2 runs' }).waitFor();
    // No DOM lib in this tsconfig: the page's objects are described by what is used of them.
    type Box = { width: number; height: number };
    type Svg = { id: string; getBoundingClientRect(): Box; querySelectorAll(s: string): ArrayLike<{ getBBox(): Box }> };
    const charts = await page.locator('svg.chart').evaluateAll((els) =>
      (els as unknown as Svg[]).map((svg) => {
        const box = svg.getBoundingClientRect();
        const lines = Array.from(svg.querySelectorAll('polyline')).map((p) => p.getBBox());
        return { id: svg.id, width: box.width, height: box.height, curves: lines.length, drawn: lines.filter((b) => b.width > 0).length };
      }),
    );
    assert.deepEqual(
      charts.map((c) => c.id),
      ['throughput-produce', 'throughput-consume', 'throughput-latency', 'latency-distribution', 'send-latency-distribution'],
    );
    for (const c of charts) {
      assert.ok(c.width > 300 && c.height > 100, JSON.stringify(c));
      // Two runs; the latency plot has a corrected and a service-time curve for each.
      assert.equal(c.curves, c.id === 'latency-distribution' ? 4 : 2, JSON.stringify(c));
      assert.equal(c.drawn, c.curves, JSON.stringify(c));
    }
    assert.equal(await page.locator('table tbody tr').count(), 2 * 3 + 2);
    await page.screenshot({ path: `${outputDir('bench-report')}/report.png`, fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [pathToFileURL(report).href]);
  } finally {
    await browser.close();
  }
});
