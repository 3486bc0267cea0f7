// `npm run bench`: runs every benchmark in turn, each in its own process (so one's
// threads and page cache do not colour the next), and lists their JSON results.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const BENCHES = ['ring.bench.js', 'ring-wake.bench.js', 'codec.bench.js', 'storage.bench.js', 'engine.bench.js', 'client.bench.js', 'kcat.bench.js', 'cross-process.bench.js', 'fetch-rtt.bench.js', 'e2e-latency.bench.js', 'floor.bench.js', 'scaling.bench.js', 'startup.bench.js', 'restart.bench.js'];
let failed = 0;
for (const name of BENCHES) {
  const file = new URL(`./${name}`, import.meta.url);
  if (!existsSync(file)) continue;
  console.log(`\n=== ${name}`);
  const r = spawnSync(process.execPath, [file.pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
console.log(`\nresults: bench/results/*.json${failed > 0 ? ` (${failed} benchmark(s) failed)` : ''}`);
process.exit(failed > 0 ? 1 : 0);
