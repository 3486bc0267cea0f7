#!/usr/bin/env node
// The entry of a bundled thread (scripts/bundle.mjs copies this file to
// dist/bundle/src/cli/main.js for the CLI and to dist/bundle/workers/shard-worker.cjs for
// the shard thread): runs the bundle beside it (one CommonJS module, already
// wrapped in Node's module function by scripts/bundle.mjs) through V8's code cache. Node
// 20 has no module.enableCompileCache, and an ES module cannot be given cached data; a
// vm.Script can. The cache (beside the script) holds the bytecode of every function
// compiled by the time it was written, so a later start neither parses nor compiles them
// again. `npm run build` writes both caches by starting the bundle once.
// This file is CommonJS (dist/bundle/src/cli/package.json says so for main.js): an ES
// module entry makes Node start its ES module loader first (~20-40 ms before this
// file's first line ran, on the main thread and again in the shard thread).
// Owns: loading, writing the cache when it is missing or V8 rejected it (another Node
// version or V8 flags), and for `serve` starting shard 0's thread before the bundle is
// loaded (see startEarlyShard). Must not do anything else: a missing, stale or
// unwritable cache (a read-only install) only costs that saving, never a failure.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { Module, createRequire } = require('node:module');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { isMainThread } = require('node:worker_threads');

/**
 * Main thread: long enough for `samsa serve` to be up (the cache then holds start-up's
 * functions); unref'd, so a short command never waits for it. A worker thread (the shard)
 * blocks in its loop for its whole life and never runs a timer: it writes its cache as
 * soon as the script returns, which workers/shard-worker.ts makes the end of its start-up
 * (its loop starts on the next turn).
 */
const CACHE_WRITE_AFTER_MS = 3_000;
/**
 * The bundle's content hash, filled in by scripts/bundle.mjs: V8 checks a cache against
 * the source's length, not its content, so a cache is only ever read for the build that wrote it.
 */
const BUILD_ID = '@BUILD_ID@';
/** The shard thread's entry, relative to this file, for the CLI's entry; else null. */
const EARLY_SHARD = @EARLY_SHARD@;

/**
 * `samsa serve` always runs shard 0, and a worker thread takes ~35-50 ms to boot Node and
 * load its bundle, on the other core. Started here, that overlaps the main thread's own
 * loading of the CLI bundle and its config and data-dir work, instead of following it.
 * The thread loads its bundle and then waits (workers/shard-worker.ts) for the settings
 * the engine hands it when it adopts the thread (src/broker/early-shard.ts). Unref'd until
 * then: a `serve` that fails early (bad config) exits as before, and its exit ends the
 * thread. Any failure here only means the engine starts shard 0 itself, as the unbundled
 * CLI and an embedded broker always do.
 */
function startEarlyShard() {
  if (EARLY_SHARD === null || !isMainThread || process.argv[2] !== 'serve' || process.env.SAMSA_EARLY_SHARD === '0') return;
  try {
    const { Worker } = require('node:worker_threads');
    const { pathToFileURL } = require('node:url');
    const file = join(__dirname, EARLY_SHARD);
    const init = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(file, { workerData: { earlyInit: init }, name: 'samsa-shard-0' });
    const early = { worker, url: pathToFileURL(file).href, init, exited: false };
    worker.unref();
    // An error before the engine adopts the thread ends it; the engine then starts its own.
    const gone = () => {
      early.exited = true;
    };
    worker.on('error', gone);
    worker.once('exit', gone);
    globalThis[Symbol.for('samsa.earlyShardWorker')] = early;
  } catch {
    // No early thread: the engine starts shard 0 as usual.
  }
}

// In a function, so that neither the cache's bytes nor the Script stay reachable from this module's scope.
function run() {
  const file = join(__dirname, '@SCRIPT@');
  const cacheFile = `${file}.${BUILD_ID}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // The bundle is ASCII (scripts/bundle.mjs checks): latin1 decodes it straight into a
  // one-byte string, which V8 keeps as the script's source for its whole life.
  const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  cachedData = undefined;
  const stale = script.cachedDataRejected !== false;
  const writeCache = () => {
    try {
      const tmp = `${cacheFile}.${process.pid}.${isMainThread ? 'main' : 'worker'}.tmp`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // A read-only package directory: run without the cache.
    }
  };
  // scripts/bundle.mjs starts `serve` once with this set and stops it: the main thread
  // writes at exit instead of waiting for the timer.
  const atExit = process.env.SAMSA_BUNDLE_CACHE_AT_EXIT === '1';
  if (stale && isMainThread) {
    if (atExit) process.once('exit', writeCache);
    else setTimeout(writeCache, CACHE_WRITE_AFTER_MS).unref();
  }
  const mod = new Module(file);
  mod.filename = file;
  const bundleRequire = createRequire(file);
  script.runInThisContext()(mod.exports, bundleRequire, mod, file, __dirname);
  if (stale && !isMainThread) writeCache();
}

startEarlyShard();
run();
