// Producer-state snapshots on real files: the format round trip, crash-safe writes
// that replace older snapshots, and the open paths of a real PartitionLog — snapshot
// at the log end, snapshot older than the log end (replay), newer (ignored), corrupt
// (ignored), none (bounded tail scan of batch headers, compressed batches included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PartitionLog } from '../../src/storage/partition-log.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import {
  decodeProducerSnapshot,
  encodeProducerSnapshot,
  listProducerSnapshots,
  loadProducerSnapshot,
  newProducerBatchHeader,
  snapshotFileName,
  syncProducerSnapshot,
  writeProducerSnapshot,
  writeProducerSnapshotUnsynced,
} from '../../src/storage/producer-snapshot.js';
import type { ProducerSnapshot } from '../../src/storage/producer-snapshot.js';
import { finishProducerState, loadProducerState, saveProducerState, saveProducerStateUnsynced } from '../../src/shard/producer-state.js';
import type { ProducerStateTable } from '../../src/shard/producer-state.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { EncodeBatchOptions } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { segmentBytes: 1 << 20, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 4096, maxMessageBytes: 1 << 20, ...over };
}

function batch(count: number, opts: EncodeBatchOptions, valueBytes = 20): Uint8Array {
  return encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(valueBytes), timestamp: 1_700_000_000_000 + i })), opts);
}

function idem(producerId: number, baseSequence: number, count: number, extra: EncodeBatchOptions = {}): Uint8Array {
  return batch(count, { producerId, producerEpoch: 0, baseSequence, ...extra });
}

function open(dir: string, over: Partial<LogConfig> = {}): PartitionLog {
  return PartitionLog.open(dir, cfg(over), { cleanShutdown: true });
}

function seqError(t: ProducerStateTable, producerId: number, seq: number, count: number): number {
  const v = t.check(producerId, 0, seq, count);
  return v.kind === 'error' ? v.errorCode : ErrorCode.NONE;
}

function dupOffset(t: ProducerStateTable, producerId: number, seq: number, count: number): number {
  const v = t.check(producerId, 0, seq, count);
  return v.kind === 'duplicate' ? v.entry.baseOffset : -1;
}

const SAMPLE: ProducerSnapshot = {
  logEndOffset: 1234,
  producers: [
    { producerId: 7, epoch: 2, batches: [{ firstSeq: 0, lastSeq: 4, baseOffset: 10 }, { firstSeq: 5, lastSeq: 5, baseOffset: 20 }] },
    { producerId: 2 ** 40, epoch: 0x7fff, batches: [{ firstSeq: 0x7ffffffe, lastSeq: 1, baseOffset: 1233 }] },
  ],
  txns: [{ producerId: 7, firstOffset: 10 }, { producerId: 9, firstOffset: 1200 }],
};

test('snapshot format: round trip, and every damage is named rather than trusted', () => {
  const bytes = encodeProducerSnapshot(SAMPLE);
  assert.deepEqual(decodeProducerSnapshot(bytes), SAMPLE);
  assert.deepEqual(decodeProducerSnapshot(encodeProducerSnapshot({ logEndOffset: 0, producers: [], txns: [] })), { logEndOffset: 0, producers: [], txns: [] });
  for (let i = 0; i < bytes.byteLength; i++) {
    const bad = Buffer.from(bytes);
    bad[i] = bad[i]! ^ 0x40;
    assert.equal(typeof decodeProducerSnapshot(bad), 'string', `flipped byte ${i}`);
  }
  assert.equal(typeof decodeProducerSnapshot(bytes.subarray(0, bytes.byteLength - 1)), 'string');
  assert.equal(typeof decodeProducerSnapshot(Buffer.concat([bytes, Buffer.alloc(1)])), 'string');
  assert.equal(typeof decodeProducerSnapshot(new Uint8Array(3)), 'string');
  assert.throws(() => encodeProducerSnapshot({ logEndOffset: -1, producers: [], txns: [] }), RangeError);
});

test('writing a snapshot replaces older ones; loading picks the newest usable one', () => {
  const dir = makeTmpDir();
  try {
    writeProducerSnapshot(dir, { logEndOffset: 3, producers: [], txns: [] });
    writeProducerSnapshot(dir, { logEndOffset: 5, producers: [], txns: [] });
    // At a roll the one before is kept (a crash may cut the log below the new one).
    writeProducerSnapshot(dir, { logEndOffset: 7, producers: [], txns: [] }, 1);
    assert.deepEqual(listProducerSnapshots(dir), [5, 7]);
    const file = writeProducerSnapshot(dir, SAMPLE);
    assert.equal(path.basename(file), '00000000000000001234.snapshot');
    assert.equal(snapshotFileName(1234), '00000000000000001234.snapshot');
    assert.deepEqual(listProducerSnapshots(dir), [1234]);
    assert.deepEqual(fs.readdirSync(dir), ['00000000000000001234.snapshot']); // no .tmp left
    const said: string[] = [];
    const say = (m: string): void => {
      said.push(m);
    };
    assert.deepEqual(loadProducerSnapshot(dir, 1234, say), SAMPLE);
    assert.deepEqual(loadProducerSnapshot(dir, 5000, say), SAMPLE); // older than the log end: still loaded (replay follows)
    assert.equal(said.length, 0);
    // A leftover .tmp (an interrupted write) is removed; a snapshot past the log end is removed.
    fs.writeFileSync(path.join(dir, '00000000000000002000.snapshot.tmp'), 'half');
    assert.equal(loadProducerSnapshot(dir, 1000, say), null);
    assert.deepEqual(fs.readdirSync(dir), []);
    assert.match(said[0] ?? '', /past the log end/);
    // A corrupt newest one is removed and an older valid one is used.
    fs.writeFileSync(path.join(dir, snapshotFileName(100)), encodeProducerSnapshot({ logEndOffset: 100, producers: [], txns: [] }));
    fs.writeFileSync(path.join(dir, snapshotFileName(200)), Buffer.from('not a snapshot at all'));
    said.length = 0;
    assert.deepEqual(loadProducerSnapshot(dir, 300, say), { logEndOffset: 100, producers: [], txns: [] });
    assert.deepEqual(listProducerSnapshots(dir), [100]);
    assert.equal(said.length, 1);
    // A name that disagrees with the content is not trusted.
    fs.renameSync(path.join(dir, snapshotFileName(100)), path.join(dir, snapshotFileName(150)));
    assert.equal(loadProducerSnapshot(dir, 300, () => {}), null);
  } finally {
    rmTmp(dir);
  }
});

test('a shutdown\'s snapshot in two halves: in place at once, then synced; the older ones go at the next open', () => {
  const dir = makeTmpDir();
  try {
    writeProducerSnapshot(dir, { logEndOffset: 5, producers: [], txns: [] });
    const p = writeProducerSnapshotUnsynced(dir, SAMPLE);
    assert.equal(p.file, path.join(dir, snapshotFileName(1234)));
    // The older snapshot stays through both halves: a crash before the sync leaves one usable.
    assert.deepEqual(listProducerSnapshots(dir), [5, 1234]);
    syncProducerSnapshot(p);
    assert.deepEqual(listProducerSnapshots(dir), [5, 1234]);
    // The open loads the newest and removes the older ones.
    assert.deepEqual(loadProducerSnapshot(dir, 1234, () => {}), SAMPLE);
    assert.deepEqual(fs.readdirSync(dir), [snapshotFileName(1234)]);
    // Over a snapshot of the same name (already durable) it writes durably, never torn.
    const same = writeProducerSnapshotUnsynced(dir, SAMPLE);
    assert.equal(same.file, p.file);
    assert.deepEqual(fs.readdirSync(dir), [snapshotFileName(1234)], 'no .tmp left');
    assert.deepEqual(loadProducerSnapshot(dir, 1234, () => {}), SAMPLE);
    // A torn first half (the crash case) is not trusted: the CRC fails and it is removed.
    const torn = writeProducerSnapshotUnsynced(dir, { ...SAMPLE, logEndOffset: 2000 });
    fs.truncateSync(torn.file, 10);
    const said: string[] = [];
    assert.deepEqual(loadProducerSnapshot(dir, 3000, (m) => said.push(m)), SAMPLE);
    assert.equal(said.length, 1);
    assert.deepEqual(listProducerSnapshots(dir), [1234]);
  } finally {
    rmTmp(dir);
  }
});

test('a snapshot whose sync fails is removed with a warning, so the next open rebuilds from the log', () => {
  const dir = makeTmpDir();
  const log = open(dir);
  try {
    log.append([idem(7, 0, 3)], 0);
    const { table, txn } = loadProducerState(log, () => {});
    const said: string[] = [];
    const p = saveProducerStateUnsynced(log, table, (m) => said.push(m), txn);
    assert.ok(p !== null);
    assert.deepEqual(listProducerSnapshots(dir), [3]);
    // Its directory gone under it: the sync fails (as an EIO would), the file is removed.
    finishProducerState({ ...p, dir: path.join(dir, 'gone'), file: p.file }, (m) => said.push(m));
    assert.match(said[0] ?? '', /not synced.*removed/);
    assert.deepEqual(listProducerSnapshots(dir), []);
    // A snapshot that cannot be written at all is said and answered null, never thrown.
    log.close();
    const unwritable = { ...log, dir: path.join(dir, 'missing', 'deeper') } as unknown as PartitionLog;
    assert.equal(saveProducerStateUnsynced(unwritable, table, (m) => said.push(m), txn), null);
    assert.match(said[1] ?? '', /not written/);
  } finally {
    log.close();
    rmTmp(dir);
  }
});

test('open without a snapshot: the tail scan rebuilds the state from batch headers (compressed and control batches included)', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir, { segmentBytes: 512 });
    log.append([idem(1, 0, 3)], 0); // 0..2
    log.append([idem(1, 3, 2, { compression: 'gzip' })], 0); // 3..4
    log.append([batch(2, {})], 0); // 5..6, not idempotent
    log.append([idem(2, 0, 1)], 0); // 7
    for (let i = 0; i < 10; i++) log.append([idem(2, 1 + i, 1)], 0); // 8..17, rolls segments
    log.append([batch(1, { producerId: 1, producerEpoch: 0, baseSequence: -1, control: true, transactional: true })], 0); // 18, a marker
    assert.ok(log.segmentCount() > 1);
    const said: string[] = [];
    const r = loadProducerState(log, (m) => said.push(m));
    assert.equal(r.source, 'scan');
    assert.equal(r.batchesReplayed, 15); // every batch visited; the plain and control ones change nothing
    assert.equal(said.length, 0);
    assert.equal(dupOffset(r.table, 1, 3, 2), 3);
    assert.equal(dupOffset(r.table, 1, 0, 3), 0);
    assert.equal(seqError(r.table, 1, 6, 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(seqError(r.table, 1, 5, 1), ErrorCode.NONE);
    assert.equal(dupOffset(r.table, 2, 10, 1), 17);
    assert.equal(seqError(r.table, 2, 11, 1), ErrorCode.NONE);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('the tail scan is bounded: it starts at an index entry about the budget before the end', () => {
  const dir = makeTmpDir();
  try {
    const log = open(dir, { segmentBytes: 16 * 1024, indexIntervalBytes: 256 });
    log.append([idem(1, 0, 1)], 0); // an early producer, far from the tail
    for (let i = 0; i < 200; i++) log.append([idem(2, i, 1, {})], 0);
    const total = log.sizeBytes();
    const budget = 4096;
    const seen = { batches: 0, first: -1 };
    const r = log.visitBatchHeaders(-1, budget, newProducerBatchHeader(), (h) => {
      if (seen.first < 0) seen.first = h.baseOffset;
      seen.batches++;
    });
    assert.ok(r !== null && r.bytes >= budget && r.bytes <= budget + 256 + 200, `scanned ${r?.bytes} bytes of ${total}`);
    assert.ok(seen.first > 1 && seen.batches < 200);
    const s = loadProducerState(log, () => {}, budget);
    assert.equal(seqError(s.table, 1, 77, 1), ErrorCode.NONE); // not in the tail: unknown, accepted
    assert.equal(seqError(s.table, 2, 150, 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(dupOffset(s.table, 2, 199, 1), 200);
    // The whole log within the budget: everything is seen.
    const all = log.visitBatchHeaders(-1, total, newProducerBatchHeader(), () => {});
    assert.equal(all?.batches, 201);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('snapshot at the log end: loaded, nothing scanned', () => {
  const dir = makeTmpDir();
  try {
    let log = open(dir);
    log.append([idem(4, 0, 2)], 0);
    log.append([idem(4, 2, 2)], 0);
    const r0 = loadProducerState(log, () => {});
    log.close();
    saveProducerState(log, r0.table, () => assert.fail('no warning expected'));
    assert.deepEqual(listProducerSnapshots(dir), [4]);
    log = open(dir);
    const r = loadProducerState(log, () => {});
    assert.equal(r.source, 'snapshot');
    assert.equal(r.batchesReplayed, 0);
    assert.equal(dupOffset(r.table, 4, 2, 2), 2);
    assert.equal(seqError(r.table, 4, 4, 1), ErrorCode.NONE);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('snapshot older than the log end: loaded, then the batches after it replayed; past the bound: tail scan instead', () => {
  const dir = makeTmpDir();
  try {
    let log = open(dir, { segmentBytes: 4096 });
    log.append([idem(4, 0, 2)], 0);
    const first = loadProducerState(log, () => {});
    log.close();
    saveProducerState(log, first.table, () => {});
    assert.deepEqual(listProducerSnapshots(dir), [2]);
    // A run that wrote more and stopped without a snapshot.
    log = open(dir, { segmentBytes: 4096 });
    for (let i = 0; i < 40; i++) log.append([idem(5, i, 1)], 0); // rolls segments
    log.append([idem(4, 2, 3)], 0);
    const end = log.nextOffset;
    log.close();
    log = open(dir, { segmentBytes: 4096 });
    const r = loadProducerState(log, () => {});
    assert.equal(r.source, 'snapshot+replay');
    assert.equal(r.batchesReplayed, 41);
    assert.equal(dupOffset(r.table, 4, 0, 2), 0); // from the snapshot
    assert.equal(dupOffset(r.table, 4, 2, 3), end - 3); // replayed
    assert.equal(seqError(r.table, 4, 5, 1), ErrorCode.NONE);
    assert.equal(seqError(r.table, 5, 40, 1), ErrorCode.NONE);
    assert.equal(seqError(r.table, 5, 41, 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    // A budget smaller than what lies after the snapshot: the tail alone.
    const bounded = loadProducerState(log, () => {}, 1024);
    assert.equal(bounded.source, 'scan');
    assert.equal(seqError(bounded.table, 4, 5, 1), ErrorCode.NONE);
    assert.equal(seqError(bounded.table, 5, 41, 1), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('snapshot newer than the log end, or corrupt: removed with a warning, state rebuilt from the tail', () => {
  const dir = makeTmpDir();
  try {
    let log = open(dir);
    log.append([idem(8, 0, 3)], 0);
    log.close();
    // Newer than the log end (as if recovery cut the log after the snapshot was written).
    writeProducerSnapshot(dir, { logEndOffset: 50, producers: [{ producerId: 8, epoch: 0, batches: [{ firstSeq: 0, lastSeq: 40, baseOffset: 0 }] }], txns: [] });
    log = open(dir);
    const said: string[] = [];
    let r = loadProducerState(log, (m) => said.push(m));
    assert.equal(r.source, 'scan');
    assert.equal(said.length, 1);
    assert.match(said[0]!, /past the log end/);
    assert.deepEqual(listProducerSnapshots(dir), []);
    assert.equal(dupOffset(r.table, 8, 0, 3), 0);
    assert.equal(seqError(r.table, 8, 3, 1), ErrorCode.NONE);
    log.close();
    // Corrupt: a flipped byte at the log end's snapshot.
    saveProducerState(log, r.table, () => {});
    const file = path.join(dir, snapshotFileName(3));
    const bytes = fs.readFileSync(file);
    bytes[bytes.byteLength - 1] = bytes[bytes.byteLength - 1]! ^ 1;
    fs.writeFileSync(file, bytes);
    log = open(dir);
    said.length = 0;
    r = loadProducerState(log, (m) => said.push(m));
    assert.equal(r.source, 'scan');
    assert.match(said[0] ?? '', /CRC-32C/);
    assert.equal(fs.existsSync(file), false);
    assert.equal(dupOffset(r.table, 8, 0, 3), 0);
    log.close();
  } finally {
    rmTmp(dir);
  }
});

test('a damaged batch header never stops an open: the state starts empty with a warning', () => {
  const dir = makeTmpDir();
  try {
    let log = open(dir, { segmentBytes: 256 });
    for (let i = 0; i < 4; i++) log.append([idem(9, i, 1)], 0);
    assert.ok(log.segmentCount() > 1);
    log.close();
    // Damage the magic byte of the first batch of the first (sealed, trusted) segment.
    const seg = path.join(dir, '00000000000000000000.log');
    const bytes = fs.readFileSync(seg);
    bytes[16] = 7;
    fs.writeFileSync(seg, bytes);
    log = open(dir, { segmentBytes: 256 });
    const said: string[] = [];
    const r = loadProducerState(log, (m) => said.push(m));
    assert.equal(r.source, 'none');
    assert.equal(r.table.size(), 0);
    assert.match(said[0] ?? '', /producer state not rebuilt/);
    log.close();
  } finally {
    rmTmp(dir);
  }
});
