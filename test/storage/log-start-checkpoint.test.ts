// The log start checkpoint (DeleteRecords' durable low watermark) and
// PartitionLog.deleteRecordsBefore on real segment files: the start moves inside a
// segment, whole segments below it are detached, the start survives a reopen, a
// torn or corrupt checkpoint is ignored, and retention never moves the start back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { LOG_START_CHECKPOINT_FILE, readLogStartCheckpoint, writeLogStartCheckpoint } from '../../src/storage/log-start-checkpoint.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import { frames, makeBatch, makeTmpDir, rmTmp } from './make-batch.js';

const BIG = Number.MAX_SAFE_INTEGER;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { segmentBytes: 1 << 20, segmentMs: BIG, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 4096, maxMessageBytes: 1 << 20, ...over };
}

function withDir(fn: (dir: string) => void): void {
  const root = makeTmpDir();
  try {
    const dir = path.join(root, 'topic-0');
    fs.mkdirSync(dir, { recursive: true });
    fn(dir);
  } finally {
    rmTmp(root);
  }
}

function open(dir: string, over: Partial<LogConfig> = {}): PartitionLog {
  return PartitionLog.open(dir, cfg(over), { cleanShutdown: true });
}

/** 10 batches of 5 records (offsets 0..49), ~200 bytes each, in segments of ~3 batches. */
function fill(log: PartitionLog): void {
  for (let i = 0; i < 10; i++) log.append([makeBatch({ records: 5, recordBytes: 128 })], 0);
}

function isOutOfRange(e: unknown): boolean {
  return e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE;
}

test('checkpoint: round trip; missing, torn or corrupt reads as none (a damaged one is reported)', () => {
  withDir((dir) => {
    const warnings: string[] = [];
    assert.equal(readLogStartCheckpoint(dir, (m) => warnings.push(m)), null);
    assert.equal(warnings.length, 0, 'a missing checkpoint is normal');
    writeLogStartCheckpoint(dir, 123_456_789_012);
    assert.equal(readLogStartCheckpoint(dir), 123_456_789_012);
    const file = path.join(dir, LOG_START_CHECKPOINT_FILE);
    const good = fs.readFileSync(file, 'latin1');
    for (const bad of ['', good.slice(0, 5), good.replace('123', '124'), 'x y\n', `${'9'.repeat(40)} 1\n`]) {
      fs.writeFileSync(file, bad);
      assert.equal(readLogStartCheckpoint(dir, (m) => warnings.push(m)), null, JSON.stringify(bad));
      assert.match(warnings.pop() ?? '', /damaged log start checkpoint ignored/, JSON.stringify(bad));
    }
    assert.throws(() => writeLogStartCheckpoint(dir, -1), RangeError);
  });
});

test('deleteRecordsBefore moves the start inside a segment, detaches whole segments below it, and survives a reopen', () => {
  withDir((dir) => {
    const log = open(dir, { segmentBytes: 700 });
    fill(log);
    const segmentsBefore = log.segmentBaseOffsets();
    assert.ok(segmentsBefore.length >= 3, `segments ${segmentsBefore.join(',')}`);
    // An offset inside the third segment, past its first batch.
    const target = segmentsBefore[2]! + 7;
    const r = log.deleteRecordsBefore(target);
    assert.equal(r.logStartOffset, target);
    assert.equal(log.logStartOffset, target);
    assert.ok(r.deletedFiles.length >= 2 && r.deletedFiles.every((f) => f.endsWith('.deleted')), r.deletedFiles.join(','));
    assert.deepEqual(log.segmentBaseOffsets(), segmentsBefore.slice(2));
    // Below the start is out of range; at the start the batch holding it comes back.
    assert.throws(() => log.read(target - 1, 1), isOutOfRange);
    const first = frames(log.read(target, 1))[0]!;
    assert.ok(first.baseOffset <= target && first.lastOffset >= target);
    // Lower or equal offsets change nothing; past the end is refused.
    assert.deepEqual(log.deleteRecordsBefore(target - 3), { logStartOffset: target, deletedFiles: [] });
    assert.throws(() => log.deleteRecordsBefore(log.nextOffset + 1), isOutOfRange);
    const end = log.nextOffset;
    log.close();
    const again = open(dir, { segmentBytes: 700 });
    try {
      assert.equal(again.logStartOffset, target, 'the checkpoint restores the start inside the segment');
      assert.equal(again.nextOffset, end);
      assert.throws(() => again.read(target - 1, 1), isOutOfRange);
      // Deleting everything leaves an empty log that still appends at the end.
      assert.equal(again.deleteRecordsBefore(end).logStartOffset, end);
      assert.equal(again.append([makeBatch({ records: 2 })], 0), end);
      assert.equal(again.logStartOffset, end);
    } finally {
      again.close();
    }
  });
});

test('retention keeps a DeleteRecords start that lies inside the new first segment', () => {
  withDir((dir) => {
    const log = open(dir, { segmentBytes: 700, retentionBytes: 1 });
    try {
      fill(log);
      const segs = log.segmentBaseOffsets();
      const last = segs[segs.length - 1]!;
      log.deleteRecordsBefore(last + 2);
      // retention.bytes=1 deletes every sealed segment; the start must not drop back to `last`.
      log.applyRetention(0);
      assert.equal(log.logStartOffset, last + 2);
    } finally {
      log.close();
    }
  });
});

test('a checkpoint past the log end (a log cut short) is clamped to the end', () => {
  withDir((dir) => {
    const log = open(dir);
    fill(log);
    const end = log.nextOffset;
    log.close();
    writeLogStartCheckpoint(dir, end + 1000);
    const again = open(dir);
    try {
      assert.equal(again.logStartOffset, end);
      assert.equal(again.nextOffset, end);
    } finally {
      again.close();
    }
  });
});

test('an open says nothing about the checkpoint or producer snapshots (they are not segments)', () => {
  withDir((dir) => {
    const log = open(dir);
    fill(log);
    log.deleteRecordsBefore(3);
    log.close();
    fs.writeFileSync(path.join(dir, '00000000000000000050.snapshot'), 'x');
    fs.writeFileSync(path.join(dir, '00000000000000000050.snapshot.tmp'), 'x');
    fs.writeFileSync(path.join(dir, `${LOG_START_CHECKPOINT_FILE}.tmp`), 'x');
    fs.writeFileSync(path.join(dir, 'stray.txt'), 'x');
    for (const cleanShutdown of [true, false]) {
      const said: string[] = [];
      const again = PartitionLog.open(dir, cfg(), { cleanShutdown, log: (m) => said.push(m) });
      again.close();
      assert.deepEqual(said.filter((m) => /snapshot|log-start-offset/.test(m)), [], said.join('\n'));
      assert.ok(said.some((m) => m.includes('stray.txt')), 'a real stray file is still reported');
    }
  });
});
