// FileSystemSync: a descriptor on the data directory's file system held from the start,
// whose syncfs stands in for per-file syncs only when it can be trusted. The real
// syncfs(2) of the native addon where it is built; stubs for the answers a healthy
// disk never gives (a write error).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileSystemSync } from '../../src/storage/file-system-sync.js';
import { syncFsCall } from '../../src/platform/native.js';
import { tempDir } from '../helpers/tmp.js';

const EIO = 5;

test('a held file system: syncAll is true only with a kernel that reports errors, and covers its own directories', (t) => {
  const syncFs = syncFsCall();
  if (syncFs === null) {
    t.skip('native addon not built: no syncfs here (the shard then syncs file by file)');
    return;
  }
  const { dir, cleanup } = tempDir('samsa-fss-');
  try {
    mkdirSync(join(dir, 'topic-0'));
    const trusted = FileSystemSync.hold(dir, syncFs, true);
    const untrusted = FileSystemSync.hold(dir, syncFs, false);
    assert.ok(trusted !== null && untrusted !== null);
    assert.equal(trusted.syncAll(), true);
    assert.equal(untrusted.syncAll(), false, 'an older kernel returns 0 even after a write error: a flush only');
    assert.equal(trusted.covers(join(dir, 'topic-0')), true);
    assert.equal(trusted.covers('/proc'), false, 'another file system');
    assert.equal(trusted.covers(join(dir, 'missing')), false);
    trusted.release();
    untrusted.release();
    assert.equal(trusted.syncAll(), false, 'released');
    assert.equal(trusted.covers(dir), false, 'released');
  } finally {
    cleanup();
  }
});

test('a write error makes syncAll false from then on, though later syncfs calls return 0', () => {
  const { dir, cleanup } = tempDir('samsa-fss-');
  try {
    // The kernel reports an error once per descriptor, then advances past it.
    const answers = [0, -EIO, 0, 0];
    const calls: number[] = [];
    const held = FileSystemSync.hold(dir, (fd) => {
      calls.push(fd);
      return answers.shift() ?? 0;
    }, true);
    assert.ok(held !== null);
    assert.deepEqual([held.syncAll(), held.syncAll(), held.syncAll(), held.syncAll()], [true, false, false, false]);
    assert.equal(calls.length, 4, 'every call still flushes');
    assert.equal(new Set(calls).size, 1, 'always through the one held descriptor');
    held.release();
  } finally {
    cleanup();
  }
});

test('a directory that cannot be opened holds nothing (the caller syncs file by file)', () => {
  const { dir, cleanup } = tempDir('samsa-fss-');
  try {
    assert.equal(FileSystemSync.hold(join(dir, 'absent'), () => 0, true), null);
  } finally {
    cleanup();
  }
});
