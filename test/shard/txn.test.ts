// Transactions in a shard, driven in-process (shard-harness.ts): transactional
// batches hold the last stable offset (LSO) back until the coordinator's marker, an
// ABORT marker lands in the segment's .txnindex (Kafka's format), read_committed
// READs stop at the LSO and carry the aborted transactions, clients cannot write
// control batches, markers fence older epochs, and the open transactions and the
// index survive a clean close (snapshot), a crash (replay) and a lost .txnindex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../src/wire/errors.js';
import { encodeRecordBatch, decodeRecordBatch } from '../../src/protocol/record-batch.js';
import { encodeMarkerBatch } from '../../src/wire/control-batch.js';
import { ABORTED_TXN_BYTES, FLAG_FROM_COORDINATOR, FLAG_READ_COMMITTED } from '../../src/shard/shard-protocol.js';
import type { ControlResult } from '../../src/shard/shard-protocol.js';
import { decodeTxnIndex } from '../../src/storage/txn-index.js';
import { tempDir } from '../helpers/tmp.js';
import { ShardHarness } from './shard-harness.js';

const TS = 1_700_000_000_000;
const SLOT = 1;

function plain(values: string[]): Uint8Array {
  return encodeRecordBatch(values.map((v) => ({ value: v })), { timestamp: TS });
}

function txnBatch(producerId: number, epoch: number, seq: number, values: string[]): Uint8Array {
  return encodeRecordBatch(values.map((v) => ({ value: v })), { timestamp: TS, producerId, producerEpoch: epoch, baseSequence: seq, transactional: true });
}

function marker(producerId: number, epoch: number, commit: boolean): Uint8Array {
  return encodeMarkerBatch(producerId, epoch, commit, 0, TS);
}

function ok(r: ControlResult): Extract<ControlResult, { ok: true }> {
  assert.ok(r.ok, `control failed: ${JSON.stringify(r)}`);
  return r;
}

interface CommittedRead {
  lastStableOffset: number;
  offsets: number[];
  aborted: Array<{ producerId: number; firstOffset: number }>;
}

/** A read_committed READ: the record offsets it returns (control batches left out) and its aborted list. */
function readCommitted(h: ShardHarness, offset: number): CommittedRead {
  const { completion, body } = h.readNow(SLOT, offset, 1 << 20, FLAG_READ_COMMITTED);
  assert.equal(completion.errorCode, ErrorCode.NONE);
  const recordBytes = body.byteLength - completion.count * ABORTED_TXN_BYTES;
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const aborted = [];
  for (let i = 0; i < completion.count; i++) {
    const at = recordBytes + i * ABORTED_TXN_BYTES;
    aborted.push({ producerId: dv.getFloat64(at, true), firstOffset: dv.getFloat64(at + 8, true) });
  }
  const offsets: number[] = [];
  for (let pos = 0; pos < recordBytes;) {
    const b = decodeRecordBatch(body, pos);
    for (const r of b.records) offsets.push(r.offset);
    pos += b.size;
  }
  return { lastStableOffset: completion.lastStableOffset, offsets, aborted };
}

function withShard(fn: (h: ShardHarness, dir: string) => void): void {
  const { dir, cleanup } = tempDir('samsa-shard-txn-');
  const h = new ShardHarness();
  try {
    fn(h, dir);
    if (h.shard.isRunning) ok(h.controlNow({ type: 'shutdown' }));
  } finally {
    cleanup();
  }
}

test('transactional batches hold the last stable offset until their marker; read_committed stops there and lists the aborted', () => {
  withShard((h, dir) => {
    const pdir = join(dir, 't-0');
    assert.equal(ok(h.open(SLOT, pdir)).lastStableOffset, 0);
    assert.equal(h.appendNow(SLOT, 1, plain(['p0'])).lastStableOffset, 1); // 0
    assert.equal(h.appendNow(SLOT, 1, txnBatch(10, 0, 0, ['a1', 'a2'])).lastStableOffset, 1); // 1..2 open from 1
    assert.equal(h.appendNow(SLOT, 1, plain(['p3'])).lastStableOffset, 1); // 3
    assert.equal(h.appendNow(SLOT, 1, txnBatch(11, 0, 0, ['b4'])).lastStableOffset, 1); // 4
    let r = readCommitted(h, 0);
    assert.deepEqual(r.offsets, [0], 'nothing at or past the LSO');
    assert.deepEqual(r.aborted, []);
    const abort = h.appendFlaggedNow(SLOT, -1, FLAG_FROM_COORDINATOR, marker(10, 0, false)); // 5
    assert.equal(abort.errorCode, ErrorCode.NONE);
    assert.equal(abort.baseOffset, 5);
    assert.equal(abort.lastStableOffset, 4, 'producer 11 still holds it');
    r = readCommitted(h, 0);
    assert.deepEqual(r.offsets, [0, 1, 2, 3]);
    assert.deepEqual(r.aborted, [{ producerId: 10, firstOffset: 1 }]);
    // The entry is in the segment's .txnindex, in Kafka's 34-byte format.
    const idx = decodeTxnIndex(readFileSync(join(pdir, '00000000000000000000.txnindex')));
    assert.deepEqual(idx.entries, [{ producerId: 10, firstOffset: 1, lastOffset: 5, lastStableOffset: 4 }]);
    const commit = h.appendFlaggedNow(SLOT, -1, FLAG_FROM_COORDINATOR, marker(11, 0, true)); // 6
    assert.equal(commit.lastStableOffset, 7);
    r = readCommitted(h, 4);
    assert.deepEqual(r.offsets, [4, 5, 6], 'up to the log end (markers included as batches)');
    assert.deepEqual(r.aborted, [{ producerId: 10, firstOffset: 1 }], 'the aborted transaction overlapping [4, 7)');
    assert.deepEqual(readCommitted(h, 7), { lastStableOffset: 7, offsets: [], aborted: [] });
    // A marker for a producer with nothing open here is written and changes nothing.
    assert.equal(h.appendFlaggedNow(SLOT, -1, FLAG_FROM_COORDINATOR, marker(12, 0, false)).lastStableOffset, 8);
    assert.equal(decodeTxnIndex(readFileSync(join(pdir, '00000000000000000000.txnindex'))).entries.length, 1);
    const producers = ok(h.controlNow({ type: 'describeProducers', slot: SLOT })).producers!;
    assert.deepEqual(producers.find((p) => p.producerId === 10), { producerId: 10, epoch: 0, lastSequence: 1, currentTxnStartOffset: -1 });
  });
});

test('control batches only from the coordinator; markers fence older epochs', () => {
  withShard((h, dir) => {
    ok(h.open(SLOT, join(dir, 't-0')));
    const forged = h.appendNow(SLOT, 1, marker(10, 0, true));
    assert.equal(forged.errorCode, ErrorCode.INVALID_RECORD, 'a client cannot end a transaction itself');
    assert.equal(h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, plain(['x'])).errorCode, ErrorCode.INVALID_REQUEST);
    assert.equal(h.appendNow(SLOT, 1, txnBatch(10, 3, 0, ['a'])).errorCode, ErrorCode.NONE); // 0, epoch 3
    // The coordinator fences epoch 3: the abort marker carries epoch 4.
    assert.equal(h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, marker(10, 4, false)).lastStableOffset, 2);
    assert.equal(h.appendNow(SLOT, 1, txnBatch(10, 3, 1, ['zombie'])).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, marker(10, 3, true)).errorCode, ErrorCode.INVALID_PRODUCER_EPOCH);
    // The new epoch writes on.
    assert.equal(h.appendNow(SLOT, 1, txnBatch(10, 5, 0, ['b'])).errorCode, ErrorCode.NONE);
    assert.deepEqual(readCommitted(h, 0).aborted, [{ producerId: 10, firstOffset: 0 }]);
  });
});

test('open transactions and the aborted index survive a clean close, a crash, and a lost .txnindex', () => {
  const { dir, cleanup } = tempDir('samsa-shard-txn-');
  const pdir = join(dir, 't-0');
  try {
    let h = new ShardHarness();
    ok(h.open(SLOT, pdir));
    h.appendNow(SLOT, 1, txnBatch(20, 0, 0, ['a'])); // 0
    h.appendNow(SLOT, 1, txnBatch(21, 0, 0, ['b'])); // 1
    h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, marker(20, 0, false)); // 2
    h.appendNow(SLOT, 1, plain(['c'])); // 3
    ok(h.controlNow({ type: 'shutdown' }));
    // Clean close: the snapshot holds producer 21's open transaction.
    h = new ShardHarness();
    assert.equal(ok(h.open(SLOT, pdir)).lastStableOffset, 1);
    h.appendNow(SLOT, 1, txnBatch(22, 0, 0, ['d'])); // 4
    h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, marker(21, 0, false)); // 5
    // A crash: no close, no new snapshot; the last one (at 4) is older than the log end.
    h = new ShardHarness();
    assert.equal(ok(h.open(SLOT, pdir)).lastStableOffset, 4, 'replayed after the snapshot: 21 ended, 22 open');
    // Both aborted transactions have records below the LSO.
    assert.deepEqual(readCommitted(h, 0).aborted, [{ producerId: 20, firstOffset: 0 }, { producerId: 21, firstOffset: 1 }]);
    ok(h.controlNow({ type: 'close', slot: SLOT }));
    // The .txnindex lost (it is not synced per entry) and no snapshot: the whole log is replayed.
    rmSync(join(pdir, '00000000000000000000.txnindex'));
    for (const f of readdirSync(pdir)) if (f.endsWith('.snapshot')) rmSync(join(pdir, f));
    h = new ShardHarness();
    assert.equal(ok(h.open(SLOT, pdir)).lastStableOffset, 4);
    assert.deepEqual(readCommitted(h, 0).offsets, [0, 1, 2, 3]);
    assert.deepEqual(
      decodeTxnIndex(readFileSync(join(pdir, '00000000000000000000.txnindex'))).entries,
      [{ producerId: 20, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 }, { producerId: 21, firstOffset: 1, lastOffset: 5, lastStableOffset: 4 }],
    );
    h.appendFlaggedNow(SLOT, 1, FLAG_FROM_COORDINATOR, marker(22, 0, true)); // 6
    assert.deepEqual(readCommitted(h, 3).offsets, [3, 4, 5, 6]);
    ok(h.controlNow({ type: 'shutdown' }));
  } finally {
    cleanup();
  }
});

test('a partition with transactions snapshots its producer state at every segment roll', () => {
  withShard((h, dir) => {
    const pdir = join(dir, 't-0');
    ok(h.open(SLOT, pdir, { 'segment.bytes': 1024 }));
    h.appendNow(SLOT, 1, txnBatch(30, 0, 0, ['open-across-segments'])); // 0
    for (let i = 0; i < 30; i++) h.appendNow(SLOT, 1, plain([`filler-${i}`.padEnd(60, '.')]));
    const snapshots = readdirSync(pdir).filter((f) => f.endsWith('.snapshot'));
    assert.ok(snapshots.length >= 1 && snapshots.length <= 2, `snapshots at rolls: ${snapshots.join(', ')}`);
    assert.equal(readCommitted(h, 0).lastStableOffset, 0);
    assert.ok(existsSync(join(pdir, '00000000000000000000.log')));
  });
});
