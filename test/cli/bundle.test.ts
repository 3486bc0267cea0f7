// The bundled CLI (dist/bundle/, scripts/bundle.mjs), which `npm start` and the `samsa`
// bin run: the other CLI tests run tsc's output, so this file checks what the bundling
// could break. Served from the bundle: the ready line with the shard started from the
// bundled worker, /healthz, the console page (found through the rewritten
// import.meta.url), records produced and read back with each compression codec (the
// codecs are native packages loaded with createRequire), `samsa bench` over WebSocket
// (the client loads ws on first use); then kill -9 and a restart,
// whose recovery runs in the bundled maintenance worker (piscina's pool), the records
// read back again, and a clean stop on SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const BUNDLE_CLI = new URL('../../bundle/src/cli/main.js', import.meta.url).pathname;

function run(args: readonly string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUNDLE_CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`samsa ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

interface Served {
  child: ChildProcessWithoutNullStreams;
  ready: string;
  /** Everything the broker printed to stdout so far (pino's lines at --log-level info). */
  output: () => string;
}

async function serve(dir: string, started: ChildProcessWithoutNullStreams[], logLevel = 'info'): Promise<Served> {
  const child = spawn(process.execPath, [BUNDLE_CLI, 'serve', '--data-dir', dir, '--port', '0', '--http-port', '0', '--log-level', logLevel], { stdio: ['pipe', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.startsWith('samsa ready '));
      if (line !== undefined) resolve(line);
    });
    child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}${err}`)));
  });
  return { child, ready, output: () => out };
}

test('the bundled CLI serves, produces and consumes with every codec, recovers after kill -9, and stops cleanly', async () => {
  assert.ok(existsSync(BUNDLE_CLI), `${BUNDLE_CLI} missing: npm run build bundles it`);
  const { dir, cleanup } = tempDir();
  const started: ChildProcessWithoutNullStreams[] = [];
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  const linesOf = (codec: string): string[] => Array.from({ length: 50 }, (_, i) => `${codec} record ${i}`);
  try {
    const { child: broker, ready, output } = await serve(dir, started, 'debug');
    const m = /kafka=(127\.0\.0\.1:\d+) http=127\.0\.0\.1:(\d+) \((?:uws|node)\) data=\S+ shards=\d+\[/.exec(ready);
    assert.ok(m !== null, ready);
    const bootstrap = m[1]!;
    const httpPort = m[2]!;

    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
    const page = await fetch(`http://127.0.0.1:${httpPort}/console`);
    assert.equal(page.status, 200, 'the console page is found from the bundle');
    assert.match(await page.text(), /<html/i);

    for (const codec of codecs) {
      const topic = `bundle-${codec}`;
      const lines = linesOf(codec);
      const p = await run(['produce', topic, '-b', bootstrap, '-z', codec], `${lines.join('\n')}\n`);
      assert.equal(p.code, 0, `produce -z ${codec}: ${p.stderr}`);
      const c = await run(['consume', topic, '-b', bootstrap, '-e']);
      assert.equal(c.code, 0, `consume ${codec}: ${c.stderr}`);
      assert.deepEqual(c.stdout.split('\n').filter((l) => l !== ''), lines, codec);
    }

    // The entry started shard 0's thread before loading the broker, and the engine used it.
    assert.match(output(), /shard 0: runs on the thread the CLI entry started/);

    // The Kafka protocol over WebSocket: the client loads the ws package on first use.
    const ws = await run(['bench', 'produce', '--records', '2000', '--json', '--against', `ws://127.0.0.1:${httpPort}/kafka`]);
    assert.equal(ws.code, 0, `bench over ws: ${ws.stderr}`);
    const report = JSON.parse(ws.stdout) as { transport: string; produce: { records: number } };
    assert.equal(report.transport, 'ws');
    assert.equal(report.produce.records, 2000);

    const killed = new Promise<void>((resolve) => broker.once('exit', () => resolve()));
    broker.kill('SIGKILL');
    await killed;
    assert.ok(!existsSync(join(dir, '.clean_shutdown')), 'no clean-shutdown marker after kill -9');

    const again = await serve(dir, started);
    assert.match(again.output(), /recovered partitions after an unclean stop/, 'recovery ran (in the maintenance worker)');
    const bootstrap2 = /kafka=(127\.0\.0\.1:\d+)/.exec(again.ready)![1]!;
    for (const codec of codecs) {
      const c = await run(['consume', `bundle-${codec}`, '-b', bootstrap2, '-e']);
      assert.equal(c.code, 0, `consume ${codec} after recovery: ${c.stderr}`);
      assert.deepEqual(c.stdout.split('\n').filter((l) => l !== ''), linesOf(codec), `${codec} after recovery`);
    }

    const exit = new Promise<number | null>((resolve) => again.child.once('exit', (code) => resolve(code)));
    again.child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.ok(existsSync(join(dir, '.clean_shutdown')));
  } finally {
    // Never leave a broker running behind a failed assertion (it would hold the test run open).
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    cleanup();
  }
});
