#!/usr/bin/env node
// The entry of a bundled thread (scripts/bundle.mjs copies this file to
// dist/bundle/src/cli/main.js for the CLI and to dist/bundle/workers/shard-worker.js for
// the shard thread): runs the bundle beside it (one CommonJS module, already
// wrapped in Node's module function by scripts/bundle.mjs) through V8's code cache. Node
// 20 has no module.enableCompileCache, and an ES module cannot be given cached data; a
// vm.Script can. The cache (beside the script) holds the bytecode of every function
// compiled by the time it was written, so a later start neither parses nor compiles them
// again. `npm run build` writes both caches by starting the bundle once.
// Owns: loading, and writing the cache when it is missing or V8 rejected it (another
// Node version or V8 flags). Must not do anything else: a missing, stale or unwritable
// cache (a read-only install) only costs that saving, never a failure.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { isMainThread } from 'node:worker_threads';

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

// In a function, so that neither the cache's bytes nor the Script stay reachable from this module's scope.
function run() {
  const file = fileURLToPath(new URL('./@SCRIPT@', import.meta.url));
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
  const require = createRequire(file);
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
  if (stale && !isMainThread) writeCache();
}

run();
