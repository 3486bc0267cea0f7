import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CLEAN_SHUTDOWN_FILE, hasCleanShutdownMarker, takeCleanShutdownMarker, writeCleanShutdownMarker } from '../../src/storage/clean-shutdown.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

test('the marker is written after a clean close and taken (removed) at the next start', () => {
  const dir = makeTmpDir();
  try {
    assert.equal(takeCleanShutdownMarker(dir), false); // first start: unclean by definition
    writeCleanShutdownMarker(dir);
    assert.ok(fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_FILE)));
    assert.equal(hasCleanShutdownMarker(dir), true);
    assert.equal(takeCleanShutdownMarker(dir), true);
    // Taken: a crash during this run leaves no marker behind.
    assert.equal(hasCleanShutdownMarker(dir), false);
    assert.equal(takeCleanShutdownMarker(dir), false);
  } finally {
    rmTmp(dir);
  }
});

test('writing creates the data dir if needed', () => {
  const root = makeTmpDir();
  try {
    const dir = path.join(root, 'data');
    writeCleanShutdownMarker(dir);
    assert.equal(takeCleanShutdownMarker(dir), true);
  } finally {
    rmTmp(root);
  }
});
