// `samsa serve` as a child process: the ready line, SIGTERM → exit 0 with a clean
// shutdown marker, and a bad setting → exit 2 with one line naming it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

test('serve prints one ready line and stops cleanly on SIGTERM', async () => {
  const { dir, cleanup } = tempDir();
  const child = spawn(process.execPath, [CLI, 'serve', '--data-dir', dir, '--port', '0', '--http-port', '0', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    // Log lines (a warning that the pinning addon is not built, say) may come first: wait for the ready line itself.
    const ready = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('samsa ready '));
        if (line !== undefined) resolve(line);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${out}`)));
    });
    assert.match(ready, /^samsa ready kafka=127\.0\.0\.1:\d+ http=127\.0\.0\.1:\d+ \((uws|node)\) data=\S+ shards=\d+\[/);
    assert.equal(out.split('\n').filter((l) => l.startsWith('samsa ready ')).length, 1, 'one ready line');
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exit, 0);
    assert.ok(existsSync(join(dir, '.clean_shutdown')));
  } finally {
    // Never leave a broker running behind a failed assertion (it would hold the test run open).
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    cleanup();
  }
});

test('a bad setting stops start-up with exit code 2 and names the setting', () => {
  const r = spawnSync(process.execPath, [CLI, 'serve', '--port', 'nope'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /'port'/);
  const r2 = spawnSync(process.execPath, [CLI, 'serve', '--set', 'bogus.key=1'], { encoding: 'utf8' });
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /bogus\.key/);
  const r3 = spawnSync(process.execPath, [CLI, 'serve'], { encoding: 'utf8', env: { ...process.env, SAMSA_RETENTION_MS: 'x' } });
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /retention\.ms/);
});
