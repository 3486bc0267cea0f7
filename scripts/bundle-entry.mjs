#!/usr/bin/env node
// The `samsa` entry of the bundle (scripts/bundle.mjs copies this file to
// dist/bundle/src/cli/main.js): runs samsa.cjs, the whole CLI as one CommonJS file,
// through V8's code cache. Node 20 has no module.enableCompileCache, and an ES module
// cannot be given cached data; a vm.Script can. The cache (beside samsa.cjs) holds the
// bytecode of every function compiled in the first seconds of a run, so a later start
// neither parses nor compiles them again.
// Owns: loading, and writing the cache when it is missing or V8 rejected it (another
// Node version or V8 flags). Must not do anything else: a missing, stale or unwritable
// cache (a read-only install) only costs that saving, never a failure.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Module, createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

/** Long enough for `samsa serve` to be up (the cache then holds start-up's functions); unref'd, so a short command never waits for it. */
const CACHE_WRITE_AFTER_MS = 3_000;
/**
 * The bundle's content hash, filled in by scripts/bundle.mjs: V8 checks a cache against
 * the source's length, not its content, so a cache is only ever read for the build that wrote it.
 */
const BUILD_ID = '@BUILD_ID@';

// In a function, so that neither the cache's bytes nor the Script stay reachable from this module's scope.
function run() {
  const file = fileURLToPath(new URL('./samsa.cjs', import.meta.url));
  const cacheFile = `${file}.${BUILD_ID}.cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected === true) {
    setTimeout(() => {
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        // A read-only package directory: run without the cache.
      }
    }, CACHE_WRITE_AFTER_MS).unref();
  }
  const mod = new Module(file);
  mod.filename = file;
  const require = createRequire(file);
  script.runInThisContext()(mod.exports, require, mod, file, dirname(file));
}

run();
