// A coverage-guided fuzzer for Samsa's decoders (docs/reliability.md, "Fuzzing").
// Why our own loop: Jazzer.js 4.0.0's libFuzzer addon is built for glibc 2.38 and does
// not load on these machines (glibc 2.36); 2.1.0 downloads its addon from GitHub or
// builds libFuzzer from sources fetched at install, neither possible offline. So the
// coverage comes from istanbul-lib-instrument (npm), applied to dist/src as it loads
// (instrument-hooks.ts), and this file does what libFuzzer does with it: keeps every
// input that reaches a new (counter, hit-count bucket) pair, mutates the kept ones
// (bit flips, interesting integers big-endian, inserts, deletes, copies, splices),
// reports inputs that throw what the target's boundary does not expect, and a watchdog
// thread saves the input and ends the process when one execution hangs.
//
// Run: node --import ./dist/test/fuzz/register.js dist/test/fuzz/fuzz.js --target T
//        [--runs N] [--max-time-s S] [--save-corpus] [--write-doc]
// (scripts/fuzz runs every target.) Owns: the fuzz loop, corpus and findings files.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { COVERAGE_VARIABLE } from './coverage-variable.js';

const { values: opts } = parseArgs({
  options: {
    target: { type: 'string' },
    runs: { type: 'string', default: '100000' },
    'max-time-s': { type: 'string', default: '60' },
    seed: { type: 'string', default: '1' },
    'hang-ms': { type: 'string', default: '10000' },
    'save-corpus': { type: 'boolean', default: false },
    'results': { type: 'string' },
  },
});

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const targetName = opts.target ?? '';
const CORPUS_DIR = join(ROOT, 'test', 'fuzz', 'corpus', targetName);
const FINDINGS_DIR = join(ROOT, 'test', 'fuzz', 'findings', targetName);
const RUNS = Number(opts.runs);
const MAX_TIME_MS = Number(opts['max-time-s']) * 1000;
const HANG_MS = Number(opts['hang-ms']);
/** An execution slower than this is reported (not a hang, but worth a look). */
const SLOW_MS = 250;
const CORPUS_MAX = 20_000;
const FINDINGS_MAX = 100;
const REPORT_EVERY_MS = 10_000;

if (!existsSync(CORPUS_DIR)) {
  console.error(`no corpus for target '${targetName}' at ${CORPUS_DIR}`);
  process.exit(2);
}
if (!process.execArgv.some((a) => a.includes('fuzz/register'))) {
  console.error('run with --import ./dist/test/fuzz/register.js: without it nothing is instrumented');
  process.exit(2);
}

const { TARGETS } = await import('./targets.js');
const target = TARGETS[targetName];
if (target === undefined) {
  console.error(`unknown target '${targetName}'; targets: ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

// ---------------------------------------------------------------- coverage

/** Every counter array of every instrumented module, flattened; rebuilt when modules load. */
let counters: Uint32Array[] = [];
let counterBase: number[] = [];
let seen = new Uint8Array(0);
let modulesSeen = 0;

type FileCoverage = { s: Record<string, number> | Uint32Array; f: Record<string, number> | Uint32Array; b: Record<string, number[] | Uint32Array> };

function toTyped(o: Record<string, number> | number[] | Uint32Array): Uint32Array {
  if (o instanceof Uint32Array) return o;
  const keys = Object.keys(o);
  return new Uint32Array(keys.length);
}

/** Swaps istanbul's counter objects for typed arrays (the instrumented code's `c.s[3]++` works on both). */
function collectCounters(): void {
  const all = (globalThis as Record<string, unknown>)[COVERAGE_VARIABLE] as Record<string, FileCoverage> | undefined;
  if (all === undefined) return;
  const files = Object.values(all);
  if (files.length === modulesSeen) return;
  modulesSeen = files.length;
  const list: Uint32Array[] = [];
  for (const fc of files) {
    fc.s = toTyped(fc.s);
    fc.f = toTyped(fc.f);
    list.push(fc.s, fc.f);
    for (const k of Object.keys(fc.b)) {
      fc.b[k] = toTyped(fc.b[k]!);
      list.push(fc.b[k] as Uint32Array);
    }
  }
  counters = list;
  counterBase = [];
  let n = 0;
  for (const c of list) {
    counterBase.push(n);
    n += c.length;
  }
  const grown = new Uint8Array(n);
  grown.set(seen.subarray(0, Math.min(seen.length, n)));
  seen = grown;
}

/** AFL's hit-count buckets: 1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+. */
function bucket(v: number): number {
  if (v <= 3) return 1 << (v - 1);
  if (v <= 7) return 8;
  if (v <= 15) return 16;
  if (v <= 31) return 32;
  if (v <= 127) return 64;
  return 128;
}

/** New (counter, bucket) pairs since the last call; resets the counters. */
function newFeatures(): number {
  let fresh = 0;
  for (let a = 0; a < counters.length; a++) {
    const c = counters[a]!;
    const base = counterBase[a]!;
    for (let i = 0; i < c.length; i++) {
      const v = c[i]!;
      if (v === 0) continue;
      c[i] = 0;
      const b = bucket(v);
      const s = seen[base + i]!;
      if ((s & b) === 0) {
        seen[base + i] = s | b;
        fresh++;
      }
    }
  }
  return fresh;
}

function featuresTotal(): number {
  let n = 0;
  for (const s of seen) for (let b = s; b !== 0; b &= b - 1) n++;
  return n;
}

function edgesCovered(): number {
  let n = 0;
  for (const s of seen) if (s !== 0) n++;
  return n;
}

// ---------------------------------------------------------------- mutation

let rs = Number(opts.seed) >>> 0 || 1;
function rand(n: number): number {
  // xorshift32: fast, and a run is repeatable from its seed.
  rs ^= rs << 13;
  rs >>>= 0;
  rs ^= rs >>> 17;
  rs ^= rs << 5;
  rs >>>= 0;
  return n <= 0 ? 0 : rs % n;
}

const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x20, 0x10];
const INTERESTING_16 = [0, 1, 0x7fff, 0x8000, 0xffff, 0x100, 0x0fff, 0x00ff, 0xfffe];
const INTERESTING_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x10000, 0x0000ffff, 0x7fffff00, 0xfffffffe];

function mutate(input: Uint8Array, corpus: readonly Uint8Array[], maxLen: number): Uint8Array {
  let b: Uint8Array = input.slice();
  const rounds = 1 << rand(4);
  for (let r = 0; r < rounds; r++) {
    const len = b.length;
    const op = rand(14);
    if (len === 0 && op < 10) {
      b = Uint8Array.of(rand(256));
      continue;
    }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (op) {
      case 0: b[rand(len)]! ^= 1 << rand(8); break;
      case 1: b[rand(len)] = rand(256); break;
      case 2: b[rand(len)] = INTERESTING_8[rand(INTERESTING_8.length)]!; break;
      case 3: if (len >= 2) dv.setUint16(rand(len - 1), INTERESTING_16[rand(INTERESTING_16.length)]!); break;
      case 4: if (len >= 4) dv.setUint32(rand(len - 3), INTERESTING_32[rand(INTERESTING_32.length)]!); break;
      case 5: { const i = rand(len); b[i] = (b[i]! + rand(35) - 17) & 0xff; break; }
      case 6: if (len >= 2) { const i = rand(len - 1); dv.setUint16(i, (dv.getUint16(i) + rand(35) - 17) & 0xffff); } break;
      case 7: if (len >= 4) { const i = rand(len - 3); dv.setUint32(i, (dv.getUint32(i) + rand(35) - 17) >>> 0); } break;
      case 8: { // delete a range
        const i = rand(len);
        const n = 1 + rand(Math.min(16, len - i));
        b = concat(b.subarray(0, i), b.subarray(i + n));
        break;
      }
      case 9: { // copy a range over another place
        const from = rand(len);
        const n = 1 + rand(Math.min(32, len - from));
        const to = rand(len);
        b.copyWithin(to, from, from + n);
        break;
      }
      case 10: { // insert random or repeated bytes
        const i = rand(len + 1);
        const n = 1 + rand(16);
        const ins = new Uint8Array(n);
        const fill = rand(2) === 0 ? -1 : rand(256);
        for (let k = 0; k < n; k++) ins[k] = fill < 0 ? rand(256) : fill;
        b = concat(b.subarray(0, i), ins, b.subarray(i));
        break;
      }
      case 11: { // splice: a prefix of this one, a suffix of another
        const other = corpus[rand(corpus.length)]!;
        b = concat(b.subarray(0, rand(len + 1)), other.subarray(rand(other.length + 1)));
        break;
      }
      case 12: { // insert a chunk of another corpus entry
        const other = corpus[rand(corpus.length)]!;
        if (other.length === 0) break;
        const from = rand(other.length);
        const n = 1 + rand(Math.min(64, other.length - from));
        const i = rand(len + 1);
        b = concat(b.subarray(0, i), other.subarray(from, from + n), b.subarray(i));
        break;
      }
      default: // truncate
        b = b.subarray(0, rand(len + 1)).slice();
    }
  }
  return b.length > maxLen ? b.subarray(0, maxLen).slice() : b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// ---------------------------------------------------------------- watchdog

/** [0] executions started (the watchdog sees progress), [1] length of the input in flight; bytes after 8: the input. */
const shared = new SharedArrayBuffer(8 + target.maxLen);
const sharedI32 = new Int32Array(shared, 0, 2);
const sharedBytes = new Uint8Array(shared, 8);
mkdirSync(FINDINGS_DIR, { recursive: true });
const watchdog = new Worker(
  `const { workerData } = require('node:worker_threads');
   const { writeFileSync } = require('node:fs');
   const { createHash } = require('node:crypto');
   const i32 = new Int32Array(workerData.shared, 0, 2);
   const bytes = new Uint8Array(workerData.shared, 8);
   let last = -1, since = Date.now();
   setInterval(() => {
     const n = Atomics.load(i32, 0);
     if (n !== last) { last = n; since = Date.now(); return; }
     if (Date.now() - since < workerData.hangMs) return;
     const input = bytes.slice(0, Atomics.load(i32, 1));
     const name = 'hang-' + createHash('sha1').update(input).digest('hex').slice(0, 16);
     writeFileSync(workerData.dir + '/' + name, input);
     process.stderr.write('HANG: one execution ran ' + workerData.hangMs + ' ms; input saved as ' + workerData.dir + '/' + name + '\\n');
     process.kill(process.pid, 'SIGKILL');
   }, 250).unref();`,
  { eval: true, workerData: { shared, hangMs: HANG_MS, dir: FINDINGS_DIR } },
);
watchdog.unref();

// ---------------------------------------------------------------- the loop

interface Finding {
  key: string;
  file: string;
  message: string;
}
const findings = new Map<string, Finding>();

function execute(input: Uint8Array): { error: unknown; ms: number } {
  sharedBytes.set(input);
  Atomics.store(sharedI32, 1, input.length);
  Atomics.add(sharedI32, 0, 1);
  const t0 = performance.now();
  let error: unknown = null;
  try {
    target!.run(input);
  } catch (err) {
    if (!target!.expected(err)) error = err ?? new Error('thrown: undefined');
  }
  return { error, ms: performance.now() - t0 };
}

function report(input: Uint8Array, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  // One finding per kind of failure and place it was thrown from.
  const frame = (e.stack ?? '').split('\n').find((l) => l.includes('/dist/src/')) ?? '';
  const key = `${e.name}: ${e.message.replace(/\d+/g, 'N').slice(0, 120)} @ ${frame.trim()}`;
  if (findings.has(key) || findings.size >= FINDINGS_MAX) return;
  const file = join(FINDINGS_DIR, `crash-${createHash('sha1').update(input).digest('hex').slice(0, 16)}`);
  writeFileSync(file, input);
  findings.set(key, { key, file, message: `${e.name}: ${e.message}` });
  console.error(`FINDING ${findings.size}: ${e.name}: ${e.message}\n  input: ${file}\n  ${(e.stack ?? '').split('\n').slice(1, 6).join('\n  ')}`);
}

const corpus: Uint8Array[] = [];
for (const name of readdirSync(CORPUS_DIR).sort()) corpus.push(new Uint8Array(readFileSync(join(CORPUS_DIR, name))).subarray(0, target.maxLen));
const seedCount = corpus.length;
if (corpus.length === 0) corpus.push(new Uint8Array(0));

const started = performance.now();
let execs = 0;
let slow = 0;
let added = 0;
// Seeds first: each sets up the coverage the mutations start from.
for (const input of corpus) {
  const r = execute(input);
  execs++;
  if (execs === 1 || execs % 64 === 0) collectCounters();
  if (r.error !== null) report(input, r.error);
}
collectCounters();
newFeatures();
console.log(`${targetName}: ${seedCount} seeds, ${edgesCovered()} counters reached, ${featuresTotal()} features; fuzzing ${RUNS} runs, at most ${MAX_TIME_MS / 1000} s`);

let nextReportMs = started + REPORT_EVERY_MS;
while (execs < RUNS) {
  if ((execs & 1023) === 0) {
    const now = performance.now();
    if (now - started > MAX_TIME_MS) break;
    collectCounters();
    if (now >= nextReportMs) {
      nextReportMs = now + REPORT_EVERY_MS;
      console.log(`  ${execs} execs, ${Math.round(execs / ((now - started) / 1000))}/s, corpus ${corpus.length}, features ${featuresTotal()}, findings ${findings.size}`);
    }
  }
  const parent = corpus[corpus.length > 1 && rand(4) === 0 ? corpus.length - 1 - rand(Math.min(64, corpus.length)) : rand(corpus.length)]!;
  const input = mutate(parent, corpus, target.maxLen);
  const r = execute(input);
  execs++;
  if (r.ms > SLOW_MS) {
    slow++;
    if (slow <= 5) console.error(`SLOW: ${r.ms.toFixed(0)} ms for a ${input.length}-byte input`);
  }
  if (r.error !== null) report(input, r.error);
  if (newFeatures() > 0 && corpus.length < CORPUS_MAX) {
    corpus.push(input);
    added++;
    if (opts['save-corpus'] === true) writeFileSync(join(CORPUS_DIR, createHash('sha1').update(input).digest('hex').slice(0, 16)), input);
  }
}

const elapsedS = (performance.now() - started) / 1000;
const summary = {
  target: targetName,
  what: target.what,
  execs,
  elapsedS: Math.round(elapsedS),
  execsPerS: Math.round(execs / elapsedS),
  seeds: seedCount,
  corpusAdded: added,
  countersReached: edgesCovered(),
  features: featuresTotal(),
  slow,
  findings: [...findings.values()].map((f) => ({ message: f.message, file: f.file.slice(ROOT.length) })),
};
console.log(JSON.stringify(summary));
if (opts.results !== undefined) writeFileSync(opts.results, JSON.stringify(summary) + '\n', { flag: 'a' });
console.log(findings.size === 0 ? `fuzz ${targetName}: 1 passed, 0 failed` : `fuzz ${targetName}: 0 passed, 1 failed (${findings.size} findings)`);
process.exit(findings.size === 0 ? 0 : 1);
