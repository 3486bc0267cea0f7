// The interop suite against Samsa, one test per (driver, case): a real `samsa serve`
// process on free ports, every driver as a child process speaking JSON lines
// (interop/README.md), the checks in cases.ts. Each driver's cases run in order;
// drivers run side by side (SAMSA_INTEROP_CONCURRENCY, default 4). A driver that is
// not built is skipped naming its build command, unless SAMSA_INTEROP_REQUIRE=1
// (CI), where it fails. "Not in this client" outcomes are skipped with the reason.
// SAMSA_INTEROP_DRIVERS / SAMSA_INTEROP_CASES (comma lists) narrow a local run.
// The raw outcomes go to test-output/interop-samsa.json.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RunningBroker, startSamsa } from './brokers.js';
import { CASES } from './cases.js';
import { type DriverSpec, type Outcome, REPO_ROOT, listDrivers, runCase } from './run.js';

const REQUIRE = process.env.SAMSA_INTEROP_REQUIRE === '1';
const CONCURRENCY = Number(process.env.SAMSA_INTEROP_CONCURRENCY ?? 4);
const list = (v: string | undefined): string[] | null => (v === undefined || v.trim() === '' ? null : v.split(',').map((s) => s.trim()));
const onlyDrivers = list(process.env.SAMSA_INTEROP_DRIVERS);
const onlyCases = list(process.env.SAMSA_INTEROP_CASES);

const drivers = listDrivers().filter((d) => onlyDrivers === null || onlyDrivers.includes(d.name));
const cases = CASES.filter((c) => onlyCases === null || onlyCases.some((p) => c.id === p || c.id.startsWith(`${p}-`) || c.id.startsWith(p)));

let broker: RunningBroker | null = null;
const cells = new Map<string, { promise: Promise<Outcome>; resolve: (o: Outcome) => void }>();
const outcomes: Outcome[] = [];
const key = (d: string, c: string): string => `${d}\u0000${c}`;

for (const d of drivers) {
  for (const c of cases) {
    let resolve!: (o: Outcome) => void;
    const promise = new Promise<Outcome>((r) => (resolve = r));
    cells.set(key(d.name, c.id), { promise, resolve });
  }
}

/** Each available driver's cases in order, CONCURRENCY drivers at a time, in the background. */
function schedule(b: RunningBroker): void {
  const queue: DriverSpec[] = drivers.filter((d) => d.available);
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
      for (const c of cases) {
        const o = await runCase(c, d, { kind: 'samsa', bootstrap: b.bootstrap, ...(b.metricsUrl !== undefined ? { metricsUrl: b.metricsUrl } : {}) });
        outcomes.push(o);
        cells.get(key(d.name, c.id))!.resolve(o);
      }
    }
  };
  for (let i = 0; i < Math.max(1, CONCURRENCY); i++) void worker();
}

before(async () => {
  broker = await startSamsa();
  schedule(broker);
});

after(async () => {
  await broker?.stop();
  const dir = join(REPO_ROOT, 'test-output');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'interop-samsa.json'), `${JSON.stringify({ broker: 'samsa', outcomes }, null, 2)}\n`);
});

for (const d of drivers) {
  describe(`interop ${d.name}`, () => {
    for (const c of cases) {
      test(`${d.name} × ${c.id}: ${c.title}`, async (t) => {
        if (!d.available) {
          if (REQUIRE) assert.fail(`driver ${d.name} is required (SAMSA_INTEROP_REQUIRE=1) but ${d.missing}`);
          t.skip(d.missing);
          return;
        }
        const o = await cells.get(key(d.name, c.id))!.promise;
        if (o.status === 'not-in-client') {
          t.skip(`not in ${d.name}: ${o.detail}`);
          return;
        }
        if (o.status === 'client-bug') {
          t.todo(`known ${d.name} bug: ${o.detail}`);
          return;
        }
        if (o.notes.length > 0) t.diagnostic(o.notes.join('; '));
        if (o.status === 'fail') assert.fail(`${d.name} × ${c.id}: ${o.detail}\n${o.logs ?? ''}`);
        assert.equal(o.status, 'pass');
      });
    }
  });
}
