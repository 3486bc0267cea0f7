// Bundles the serve path into a few files per thread, dist/bundle/ (issue 14: start-up).
// Runs after tsc in `npm run build` and reads tsc's output (dist/**/*.js), so the bundle
// is the same code the tests run, only in fewer files: the main thread of `samsa serve`
// resolved, read and compiled ~160 of our modules and each shard thread ~60, which was
// most of the broker's ~0.4 CPU-seconds to /healthz.
// Owns: the bundle layout and the rewrite of `import.meta.url` below. Must not change
// what any module does; packages in node_modules stay external (native addons,
// uWebSockets.js, piscina's own worker file, pino's transports all locate files
// relative to themselves).
//
// Layout: dist/bundle/ mirrors dist/ for the entries:
//   dist/bundle/src/cli/samsa.cjs: the whole CLI as one CommonJS module, and main.js
//     (scripts/bundle-entry.cjs) that runs it through V8's code cache; every module
//     loaded with import() is still evaluated only when imported. main.js is CommonJS
//     too (a package.json beside it says so): an ES-module entry starts Node's ES
//     module loader first, ~20-40 ms before the entry's first line
//   dist/bundle/workers/shard-worker.bundle.cjs and shard-worker.cjs: the shard thread,
//     the same way (the bundled engine starts '../../workers/shard-worker.cjs')
//   dist/bundle/workers/{syncer,maintenance}.js (ES modules, + shared chunks; not on the
//     start-up path: the syncer starts on the first sync, maintenance on first use)
// The .cjs files are already wrapped in Node's module function (the entry compiles them
// as they are, without a second copy of the text) and are ASCII, so V8 holds each as a
// one-byte string (a single non-ASCII character in a comment made it two bytes per
// character: 2.7 MB for the CLI). The build then starts `serve` once, so that both code
// caches exist before the first real start.
// `import.meta.url` in a bundled module is the bundle's URL, not the module's own (and in
// samsa.cjs there is none), so every use is rewritten to the URL of the module's tsc
// output file (computed from the bundle's location at run time: the package can be moved), and files found relative to a
// module (the native addon, the console page) are found as before. The two modules that
// start worker threads are the exception: they keep the bundle's URL, and because the
// layout mirrors dist/ their relative worker paths ('../../workers/shard-worker.js',
// './syncer.js') land on the bundled workers. Each use there must be such a worker URL
// (checked below), so a new use of import.meta.url in them cannot silently go wrong.
import { chmodSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { Module } from 'node:module';
import { tmpdir } from 'node:os';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../', import.meta.url));
const dist = `${root}dist/`;
const out = `${dist}bundle/`;

/** Modules (tsc output, relative to dist/) whose import.meta.url locates worker entries. */
const WORKER_STARTERS = new Map([
  ['src/broker/engine.js', ['../../workers/shard-worker.js', '../../workers/maintenance.js']],
  ['workers/shard-worker.js', ['./syncer.js']],
  ['src/loadgen/loadgen.js', ['../../workers/latency-sender.js']],
]);

/**
 * Bundled groups: one esbuild run per directory, so every chunk sits beside its entries.
 * The CLI is one CommonJS file, samsa.cjs, run by main.js (scripts/bundle-entry.cjs)
 * through V8's code cache; the workers are ES modules with chunks.
 */
const GROUPS = [
  // earlyShard: the entry starts that thread before loading the bundle (`serve` only; scripts/bundle-entry.cjs).
  { outdir: `${out}src/cli`, entries: { samsa: `${dist}src/cli/main.js` }, format: 'cjs', script: 'samsa.cjs', entry: 'main.js', earlyShard: '../../workers/shard-worker.cjs' },
  { outdir: `${out}workers`, entries: { 'shard-worker.bundle': `${dist}workers/shard-worker.js` }, format: 'cjs', script: 'shard-worker.bundle.cjs', entry: 'shard-worker.cjs', earlyShard: null },
  { outdir: `${out}workers`, entries: ['syncer', 'maintenance', 'latency-sender'].map((n) => `${dist}workers/${n}.js`), format: 'esm' },
];

/**
 * Pure-JS CommonJS packages on the serve path that are bundled too: commander (7 files)
 * and hdr-histogram-js (10) cost more to resolve and load one by one than to parse.
 * Every other package stays external (see above).
 */
const BUNDLED_PACKAGES = ['commander', 'hdr-histogram-js', 'pino'];
/**
 * Packages a module loads on first use with createRequire(import.meta.url)(name), which
 * esbuild does not follow: in the bundle the call becomes require(name), which esbuild
 * bundles and still evaluates only when called. pino (~25 files) is loaded on every
 * start (the first log call is made while the shards boot); its transports, the one
 * part that locates files of its own (worker scripts), are not used by the broker.
 */
const LAZY_REQUIRES = new Map([['src/util/logger.js', ['pino']]]);
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const EXTERNAL = Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.devDependencies })
  .filter((name) => !BUNDLED_PACKAGES.includes(name))
  .flatMap((name) => [name, `${name}/*`]);
// Bundled CommonJS calls require() for Node's own modules; an ES module has none.
const BANNER = "import { createRequire as __samsaCreateRequire } from 'node:module';\nconst require = __samsaCreateRequire(import.meta.url);";

const toPosix = (p) => p.split(sep).join('/');

/** What import.meta.url becomes: the URL of `rel` (a path from the bundle's directory). */
function urlOf(rel, format) {
  return format === 'esm'
    ? `new URL(${JSON.stringify(rel)}, import.meta.url).href`
    : `__samsaPathToFileURL(__samsaJoin(__dirname, ${JSON.stringify(rel)})).href`;
}
// The helpers urlOf uses in samsa.cjs, bound once at its top: a module may have its own
// `require` (zstd.ts makes one with createRequire(import.meta.url)), which would shadow
// the wrapper's inside its own initializer.
const CJS_BANNER = "'use strict'; var __samsaPathToFileURL = require('node:url').pathToFileURL, __samsaJoin = require('node:path').join;";

function importMetaPlugin(outdir, format, script) {
  return {
    name: 'samsa-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /\.js$/ }, (args) => {
        if (!args.path.startsWith(dist)) return undefined;
        let text = readFileSync(args.path, 'utf8');
        const own = toPosix(relative(dist, args.path));
        for (const name of LAZY_REQUIRES.get(own) ?? []) {
          const call = `createRequire(import.meta.url)('${name}')`;
          if (text.split(call).length !== 2) throw new Error(`bundle: ${own} no longer loads ${name} with ${call}; update scripts/bundle.mjs`);
          text = text.replace(call, `require('${name}')`);
        }
        if (format === 'cjs') {
          // A vm.Script has no dynamic-import callback (not without an experimental
          // flag), so a package loaded on first use, by name or through a variable
          // (the client's ws), is required instead; every package so loaded
          // (uWebSockets.js, piscina, ws) is CommonJS, and callers read its exports by
          // name or through `.default ?? mod`: the stand-in namespace inherits from
          // module.exports (piscina's named export is not enumerable, so a spread would
          // lose it) and has `default`. Relative imports are left to esbuild.
          text = text.replace(/\bimport\(('[^.'][^']*'|[A-Za-z_$][\w$]*)\)/g, (_m, arg) => `Promise.resolve().then(() => { const m = require(${arg}); return Object.assign(Object.create(m), { default: m }); })`);
        }
        if (!text.includes('import.meta.url')) return { contents: text, loader: 'js' };
        const workers = WORKER_STARTERS.get(own);
        if (workers !== undefined) {
          const uses = text.match(/import\.meta\.url/g).length;
          const workerUses = [...text.matchAll(/new URL\('([^']+)', import\.meta\.url\)/g)].map((m) => m[1]);
          const unexpected = workerUses.filter((p) => !workers.includes(p));
          if (uses !== workerUses.length || unexpected.length > 0 || workerUses.length !== workers.length) {
            throw new Error(`bundle: ${own} uses import.meta.url other than for its worker entries (${workers.join(', ')}); extend scripts/bundle.mjs`);
          }
          // Worker paths are relative to the bundle's own directory: the script's URL will do.
          if (format === 'esm') return { contents: text, loader: 'js' };
          // The bundled shard thread's entry is CommonJS, named .cjs (its directory also
          // holds the ES-module syncer and maintenance bundles).
          if (own === 'src/broker/engine.js') {
            const from = "new URL('../../workers/shard-worker.js', import.meta.url)";
            if (text.split(from).length !== 2) throw new Error(`bundle: ${own} no longer starts the shard with ${from}; update scripts/bundle.mjs`);
            text = text.replace(from, "new URL('../../workers/shard-worker.cjs', import.meta.url)");
          }
          return { contents: text.replace(/import\.meta\.url/g, `(${urlOf(script, format)})`), loader: 'js' };
        }
        const url = urlOf(toPosix(relative(outdir, args.path)), format);
        return { contents: text.replace(/import\.meta\.url/g, `(${url})`), loader: 'js' };
      });
    },
  };
}

/**
 * Non-ASCII characters left in the output (esbuild escapes them in strings, regexps and
 * identifiers, but keeps comments as written) become \uXXXX: text in a comment, the same
 * value anywhere else. Then the file is ASCII and V8 stores its source one byte per character.
 */
function toAscii(text) {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

rmSync(out, { recursive: true, force: true });
let bytes = 0;
for (const group of GROUPS) {
  const result = await build({
    entryPoints: group.entries,
    outdir: group.outdir,
    bundle: true,
    splitting: group.format === 'esm',
    format: group.format,
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    ...(group.format === 'esm' ? { banner: { js: BANNER } } : { banner: { js: CJS_BANNER }, outExtension: { '.js': '.cjs' } }),
    chunkNames: 'chunk-[hash]',
    // Stack traces and error messages stay readable; minifying saved little parse time.
    minify: false,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
    absWorkingDir: root,
    plugins: [importMetaPlugin(group.outdir, group.format, group.script)],
  });
  for (const f of Object.keys(result.metafile.outputs)) {
    const path = `${root}${f}`;
    let text = toAscii(readFileSync(path, 'utf8'));
    if (group.format === 'cjs') {
      // The entry compiles the file as it is: a hashbang inside the wrapper would be a syntax error (kept a comment, so line numbers hold).
      text = text.replace(/^#!/, '//');
      if (/\bimport\(|import\.meta/.test(text)) throw new Error(`bundle: ${f} still has import() or import.meta, which a vm.Script cannot run`);
      text = Module.wrap(text);
    }
    writeFileSync(path, text);
    bytes += statSync(path).size;
  }
  if (group.script === undefined) continue;
  const buildId = createHash('sha256').update(readFileSync(`${group.outdir}/${group.script}`)).digest('hex').slice(0, 16);
  const entry = readFileSync(`${root}scripts/bundle-entry.cjs`, 'utf8');
  for (const mark of ['@BUILD_ID@', '@SCRIPT@', '@EARLY_SHARD@']) {
    if (entry.split(mark).length !== 2) throw new Error(`bundle: scripts/bundle-entry.cjs must contain ${mark} once`);
  }
  writeFileSync(`${group.outdir}/${group.entry}`, entry.replace('@BUILD_ID@', buildId).replace('@SCRIPT@', group.script).replace('@EARLY_SHARD@', JSON.stringify(group.earlyShard)));
  // main.js must be CommonJS in a "type": "module" package.
  if (group.entry.endsWith('.js')) writeFileSync(`${group.outdir}/package.json`, '{ "type": "commonjs" }\n');
  chmodSync(`${group.outdir}/${group.entry}`, 0o755);
}
for (const f of readdirSync(out, { recursive: true })) {
  if (!/\.c?js$/.test(f)) continue;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(readFileSync(`${out}${f}`, 'latin1'))) throw new Error(`bundle: dist/bundle/${f} is not ASCII`);
}
const files = (d) => readdirSync(d).filter((f) => /\.c?js$/.test(f)).length;
console.log(`bundle: dist/bundle/, ${files(`${out}src/cli`)} + ${files(`${out}workers`)} files, ${(bytes / 1024).toFixed(0)} KiB`);

await writeCodeCaches();

/**
 * Starts the bundled `serve` once on a scratch data dir and stops it, so that the CLI's
 * and the shard's code caches exist before the first real start (`npm start` right after
 * the build, the start-up benchmark). Best effort: a build where the broker cannot start
 * (no free port, a sandbox) still succeeds, and the first real start writes the caches.
 */
async function writeCodeCaches() {
  const dataDir = mkdtempSync(`${tmpdir()}/samsa-bundle-cache-`);
  const child = spawn(process.execPath, [`${out}src/cli/main.js`, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SAMSA_BUNDLE_CACHE_AT_EXIT: '1' },
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const ready = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 60_000).unref();
    child.stdout.on('data', (d) => {
      output += d;
      const m = /^samsa ready .*http=[^ ]*:(\d+)/m.exec(output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr.on('data', (d) => (output += d));
    exited.then(() => resolve(null));
  });
  if (ready !== null) {
    // The first request's path (HTTP routing, /healthz) is compiled too.
    await fetch(`http://127.0.0.1:${ready}/healthz`).then((r) => r.arrayBuffer(), () => {});
  }
  child.kill('SIGTERM');
  const how = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000).unref())]);
  if (how === 'timeout') child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
  const caches = ['src/cli', 'workers'].flatMap((d) => readdirSync(`${out}${d}`).filter((f) => f.endsWith('.cache')));
  if (ready === null || caches.length !== 2) console.warn(`bundle: code caches not written at build time (${caches.length} of 2; the first start writes them)\n${output.slice(0, 2000)}`);
  else console.log(`bundle: code caches written (${caches.join(', ')})`);
}
