// Idempotent-producer state across a broker restart, with a real engine (shard
// threads, real files): after a clean close (snapshot), after an unclean stop (no
// snapshot, no clean marker: the log tail is scanned), and after an unclean stop that
// followed an older snapshot (snapshot + replay), a retried batch is a duplicate
// answered with its original offset, a gap is OUT_OF_ORDER_SEQUENCE_NUMBER, and the
// next batch in line is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SamsaEngine } from '../../src/broker/engine.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/clean-shutdown.js';
import { tempDir } from '../helpers/tmp.js';

function idem(producerId: number, baseSequence: number, count: number): Uint8Array {
  return encodeRecordBatch(
    Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `p${producerId}-s${baseSequence + i}`, timestamp: 1_700_000_000_000 + i })),
    { producerId, producerEpoch: 0, baseSequence },
  );
}

function start(dir: string): Promise<SamsaEngine> {
  return SamsaEngine.start({ dataDir: dir, shards: 1, pin: false });
}

function snapshots(partDir: string): string[] {
  return fs.readdirSync(partDir).filter((f) => f.endsWith('.snapshot')).sort();
}

/** Writes producer 11: seq 0..2 @0, 3..4 @3, then producer 12 @5, then producer 11 seq 5 @6. Log end 7. */
async function writeFirstRun(engine: SamsaEngine): Promise<void> {
  await engine.createTopic('idem', 1);
  assert.equal((await engine.append('idem', 0, idem(11, 0, 3), -1)).baseOffset, 0);
  assert.equal((await engine.append('idem', 0, idem(11, 3, 2), -1)).baseOffset, 3);
  assert.equal((await engine.append('idem', 0, idem(12, 0, 1), -1)).baseOffset, 5);
  assert.equal((await engine.append('idem', 0, idem(11, 5, 1), -1)).baseOffset, 6);
  assert.equal(engine.offsets('idem', 0).highWatermark, 7);
}

/** The checks after a restart: retries are duplicates at their first offsets, a gap is refused, the next one is written. */
async function checkAfterRestart(engine: SamsaEngine, end: number, lastSeq11: number, lastOffset11: number): Promise<void> {
  const retry = await engine.append('idem', 0, idem(11, lastSeq11, 1), -1);
  assert.equal(retry.errorCode, ErrorCode.NONE);
  assert.equal(retry.baseOffset, lastOffset11, 'the retry answers with the original offset');
  const older = await engine.append('idem', 0, idem(11, 3, 2), -1);
  assert.equal(older.errorCode, ErrorCode.NONE);
  assert.equal(older.baseOffset, 3);
  assert.equal((await engine.append('idem', 0, idem(12, 0, 1), -1)).baseOffset, 5);
  assert.equal(engine.offsets('idem', 0).highWatermark, end, 'nothing was written twice');
  const gap = await engine.append('idem', 0, idem(11, lastSeq11 + 3, 1), -1);
  assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  assert.equal(engine.offsets('idem', 0).highWatermark, end);
  const next = await engine.append('idem', 0, idem(11, lastSeq11 + 1, 1), -1);
  assert.equal(next.errorCode, ErrorCode.NONE);
  assert.equal(next.baseOffset, end);
  assert.equal(engine.offsets('idem', 0).highWatermark, end + 1);
}

test('after a clean close the snapshot restores the producers: duplicates, gaps and the next batch', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let engine = await start(dir);
    await writeFirstRun(engine);
    await engine.close();
    const partDir = path.join(dir, 'idem-0');
    assert.deepEqual(snapshots(partDir), ['00000000000000000007.snapshot']);
    engine = await start(dir);
    try {
      assert.equal(engine.recoveredUncleanly, false);
      await checkAfterRestart(engine, 7, 5, 6);
    } finally {
      await engine.close();
    }
    // The shutdown leaves the older snapshot; the partition's next open removes it.
    assert.deepEqual(snapshots(partDir), ['00000000000000000007.snapshot', '00000000000000000008.snapshot']);
    engine = await start(dir);
    try {
      await engine.stats(); // opens every partition
      assert.deepEqual(snapshots(partDir), ['00000000000000000008.snapshot'], 'the older snapshot was removed at the open');
      assert.equal(engine.offsets('idem', 0).highWatermark, 8);
    } finally {
      await engine.close();
    }
    assert.deepEqual(snapshots(partDir), ['00000000000000000008.snapshot'], 'an untouched partition writes no new snapshot');
  } finally {
    cleanup();
  }
});

test('after an unclean stop (no snapshot, no clean marker) the log tail rebuilds the producers', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let engine = await start(dir);
    await writeFirstRun(engine);
    await engine.close();
    const partDir = path.join(dir, 'idem-0');
    for (const f of snapshots(partDir)) fs.rmSync(path.join(partDir, f));
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE));
    engine = await start(dir);
    try {
      assert.equal(engine.recoveredUncleanly, true);
      await checkAfterRestart(engine, 7, 5, 6);
    } finally {
      await engine.close();
    }
  } finally {
    cleanup();
  }
});

test('after an unclean stop that followed an older snapshot, the batches after it are replayed', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let engine = await start(dir);
    await writeFirstRun(engine);
    await engine.close();
    const partDir = path.join(dir, 'idem-0');
    const old = snapshots(partDir)[0]!;
    const oldBytes = fs.readFileSync(path.join(partDir, old));
    // A second run writes more; then it is made to look like a crash after the first run's snapshot.
    engine = await start(dir);
    assert.equal((await engine.append('idem', 0, idem(11, 6, 2), -1)).baseOffset, 7);
    assert.equal((await engine.append('idem', 0, idem(13, 0, 1), -1)).baseOffset, 9);
    await engine.close();
    for (const f of snapshots(partDir)) fs.rmSync(path.join(partDir, f));
    fs.writeFileSync(path.join(partDir, old), oldBytes);
    fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_FILE));
    engine = await start(dir);
    try {
      assert.equal(engine.recoveredUncleanly, true);
      // From the replay: producer 11's batch at 7 (seq 6..7) and producer 13.
      const retry = await engine.append('idem', 0, idem(11, 6, 2), -1);
      assert.equal(retry.errorCode, ErrorCode.NONE);
      assert.equal(retry.baseOffset, 7);
      assert.equal((await engine.append('idem', 0, idem(13, 0, 1), -1)).baseOffset, 9);
      // From the snapshot: producer 11's batch at 6 (seq 5).
      assert.equal((await engine.append('idem', 0, idem(11, 5, 1), -1)).baseOffset, 6);
      assert.equal(engine.offsets('idem', 0).highWatermark, 10);
      assert.equal((await engine.append('idem', 0, idem(11, 9, 1), -1)).errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
      assert.equal((await engine.append('idem', 0, idem(11, 8, 1), -1)).baseOffset, 10);
    } finally {
      await engine.close();
    }
  } finally {
    cleanup();
  }
});

test('deleting a topic removes its snapshots with the partition directory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    let engine = await start(dir);
    await writeFirstRun(engine);
    await engine.close();
    assert.equal(snapshots(path.join(dir, 'idem-0')).length, 1);
    engine = await start(dir);
    try {
      await engine.deleteTopic('idem');
      // The directory is renamed away by the shard and removed (the pool may finish the unlink).
      for (let i = 0; i < 200 && fs.existsSync(path.join(dir, 'idem-0')); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(fs.existsSync(path.join(dir, 'idem-0')), false);
      await engine.createTopic('idem', 1);
      // A new topic of the same name knows no producer: any sequence is accepted.
      assert.equal((await engine.append('idem', 0, idem(11, 40, 1), -1)).baseOffset, 0);
    } finally {
      await engine.close();
    }
  } finally {
    cleanup();
  }
});
