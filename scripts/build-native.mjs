// Builds Samsa's native addon (native/ → native/build/Release/samsa_native.node).
// Owns: choosing Node's header dir and running node-gyp, offline. Must not touch:
// anything outside the addon directory, and never fail the install — run from
// `npm ci` (prepare). Any failure prints ONE warning line and exits 0: without the
// addon Samsa still runs, just without pinning shard workers to cores.
//
// Env: SAMSA_NATIVE_DIR   addon directory to build (default <package>/native)
//      SAMSA_SKIP_NATIVE=1 skip the build
//      SAMSA_NATIVE_VERBOSE=1 show node-gyp's full output
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { homedir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(packageRoot, 'package.json'));
const verbose = process.env.SAMSA_NATIVE_VERBOSE === '1';
const buildTimeoutMs = 5 * 60 * 1000;
const reasonCharsMax = 300;

/** @param {string} reason */
function giveUp(reason) {
  const oneLine = reason.replace(/\s+/g, ' ').trim().slice(0, reasonCharsMax);
  console.warn(`samsa: WARNING native addon not built (${oneLine}); Samsa will run with shard workers unpinned.`);
  process.exit(0);
}

/** Directories that may hold Node's headers as <dir>/include/node/node_api.h, best first. */
function nodedirCandidates() {
  const out = [dirname(dirname(process.execPath))];
  if (process.env.npm_config_nodedir) out.push(process.env.npm_config_nodedir);
  // node-gyp's own download cache, if headers were fetched once while online.
  out.push(join(homedir(), '.cache', 'node-gyp', process.versions.node));
  out.push('/usr', '/usr/local', '/opt/homebrew');
  return [...new Set(out.map((d) => resolve(d.replace(/^~(?=$|\/)/, homedir()))))];
}

function main() {
  if (process.env.SAMSA_SKIP_NATIVE === '1') giveUp('SAMSA_SKIP_NATIVE=1');
  const addonDir = resolve(process.env.SAMSA_NATIVE_DIR ?? join(packageRoot, 'native'));
  if (!existsSync(join(addonDir, 'binding.gyp'))) giveUp(`no binding.gyp in ${addonDir}`);

  let nodeGypJs;
  let addonApiDir;
  try {
    nodeGypJs = require.resolve('node-gyp/bin/node-gyp.js');
    addonApiDir = dirname(require.resolve('node-addon-api/package.json'));
  } catch (err) {
    giveUp(`cannot resolve node-gyp or node-addon-api: ${err instanceof Error ? err.message : String(err)}`);
  }

  const nodedir = nodedirCandidates().find((d) => existsSync(join(d, 'include', 'node', 'node_api.h')));
  if (nodedir === undefined) {
    giveUp(`no Node headers (include/node/node_api.h) under ${nodedirCandidates().join(', ')}`);
  }

  const args = [
    nodeGypJs, 'rebuild', '--directory', addonDir, '--nodedir', nodedir,
    ...(verbose ? [] : ['--loglevel', 'error']),
    '--', `-Dnode_addon_api_dir=${addonApiDir}`,
  ];
  // node-gyp's gyp files may run `node`; make it this node even if PATH lacks one.
  const path = [dirname(process.execPath), process.env.PATH ?? ''].join(process.platform === 'win32' ? ';' : ':');
  const run = spawnSync(process.execPath, args, {
    cwd: addonDir,
    env: { ...process.env, PATH: path },
    encoding: 'utf8',
    stdio: verbose ? 'inherit' : 'pipe',
    timeout: buildTimeoutMs,
  });
  if (run.error) giveUp(`node-gyp did not run: ${run.error.message}`);
  if (run.status !== 0) {
    const log = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
    // The most telling line is the first real error, not node-gyp's trailing summary.
    const telling = log.find((l) => /error|gyp: /i.test(l) && !/^gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
    giveUp(`node-gyp exited ${run.status ?? run.signal}: ${telling ?? log.at(-1) ?? 'no output'}`);
  }

  const built = join(addonDir, 'build', 'Release', 'samsa_native.node');
  if (!existsSync(built)) giveUp(`node-gyp succeeded but ${built} is missing`);
  // Load it once here so a broken binary is reported at install, not at first start.
  try {
    const addon = require(built);
    for (const fn of ['pinThreadToCpu', 'currentCpu', 'cpuCount', 'getThreadAffinity']) {
      if (typeof addon[fn] !== 'function') giveUp(`${built} lacks ${fn}()`);
    }
  } catch (err) {
    giveUp(`built ${built} but it does not load: ${err instanceof Error ? err.message : String(err)}`);
  }
  console.log(`samsa: built native addon ${relative(process.cwd(), built) || built} (Node headers from ${nodedir}/include/node)`);
}

try {
  main();
} catch (err) {
  giveUp(`unexpected: ${err instanceof Error ? err.message : String(err)}`);
}
