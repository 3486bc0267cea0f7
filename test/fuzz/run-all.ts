// Runs the fuzzer (fuzz.ts) on every target, one process each, and reports (and, with
// --write-doc, records in docs/reliability.md) executions and findings per target.
// Run: scripts/fuzz [--short] [--runs N] [--max-time-s S] [--targets a,b] [--save-corpus] [--write-doc]
// --short is CI's run: 15 s per target. The scheduled run: --runs 1000000 --max-time-s 900.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TARGETS } from './targets.js';

const { values: opts } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    runs: { type: 'string' },
    'max-time-s': { type: 'string' },
    targets: { type: 'string' },
    'save-corpus': { type: 'boolean', default: false },
    'write-doc': { type: 'boolean', default: false },
  },
});
const runs = opts.runs ?? '1000000';
const maxTimeS = opts['max-time-s'] ?? (opts.short === true ? '15' : '900');
const names = opts.targets !== undefined ? opts.targets.split(',') : Object.keys(TARGETS);
const FUZZ = fileURLToPath(new URL('./fuzz.js', import.meta.url));
const REGISTER = fileURLToPath(new URL('./register.js', import.meta.url));
const DOC = fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url));

interface Summary {
  target: string;
  what: string;
  execs: number;
  elapsedS: number;
  execsPerS: number;
  seeds: number;
  corpusAdded: number;
  countersReached: number;
  features: number;
  findings: Array<{ message: string; file: string }>;
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-fuzz-'));
const resultsFile = join(dir, 'results.jsonl');
let failed = 0;
for (const name of names) {
  const args = ['--import', REGISTER, FUZZ, '--target', name, '--runs', runs, '--max-time-s', maxTimeS, '--results', resultsFile];
  if (opts['save-corpus'] === true) args.push('--save-corpus');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('exit', (c, signal) => resolve(c ?? (signal !== null ? 128 : 1)));
  });
  if (code !== 0) {
    failed++;
    console.error(`fuzz ${name}: exit ${code}`);
  }
}
const results: Summary[] = readFileSync(resultsFile, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Summary);
rmSync(dir, { recursive: true, force: true });
for (const r of results) console.log(`${r.target}: ${r.execs} execs in ${r.elapsedS} s (${r.execsPerS}/s), ${r.features} features, ${r.findings.length} findings`);
if (results.length < names.length) failed = Math.max(failed, names.length - results.length);

if (opts['write-doc'] === true) {
  const begin = '<!-- fuzz:begin -->';
  const end = '<!-- fuzz:end -->';
  const lines = [
    begin,
    `Last run: \`scripts/fuzz --runs ${runs} --max-time-s ${maxTimeS}\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| target | what | executions | time, s | exec/s | seeds → corpus | counters reached | features | findings |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map((r) => `| \`${r.target}\` | ${r.what} | ${r.execs.toLocaleString('en-US')} | ${r.elapsedS} | ${r.execsPerS} | ${r.seeds} → ${r.seeds + r.corpusAdded} | ${r.countersReached} | ${r.features} | ${r.findings.length === 0 ? '0' : r.findings.map((f) => f.message).join('; ')} |`),
    end,
  ];
  const doc = readFileSync(DOC, 'utf8');
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) throw new Error('docs/reliability.md has no fuzz markers');
  writeFileSync(DOC, doc.slice(0, i) + lines.join('\n') + doc.slice(j + end.length));
}
console.log(failed === 0 ? `fuzz: ${names.length} passed, 0 failed` : `fuzz: ${names.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
