// The offsets a recovered partition will open with, read from its files
// (open-offsets.ts). Each case builds a partition through a real shard (shard-harness.ts:
// appends, transactions, DeleteRecords, clean closes), copies its directory while the
// shard still has it open (what a kill -9 leaves, page cache intact), recovers the copy
// as the engine does, and checks the answer against what the shard's own open of that
// copy reports: equal offsets, with the last stable offset at the log end, whenever the
// answer is not null; null whenever a transaction is open at the end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { encodeMarkerBatch } from '../../src/wire/control-batch.js';
import { FLAG_FROM_COORDINATOR } from '../../src/shard/shard-protocol.js';
import type { ControlResult } from '../../src/shard/shard-protocol.js';
import { recoverPartitionDir } from '../../src/storage/recovery.js';
import { openOffsetsAfterRecovery } from '../../src/storage/open-offsets.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeSyncer, ShardHarness } from '../shard/shard-harness.js';

const TS = 1_700_000_000_000;
const SLOT = 1;
const INDEX_INTERVAL_BYTES = 4096;

const plain = (n: number, tag: string): Uint8Array => encodeRecordBatch(Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}` })), { timestamp: TS });
const txnBatch = (producerId: number, seq: number): Uint8Array =>
  encodeRecordBatch([{ value: `t${producerId}-${seq}` }], { timestamp: TS, producerId, producerEpoch: 0, baseSequence: seq, transactional: true });
const commit = (producerId: number): Uint8Array => encodeMarkerBatch(producerId, 0, true, 0, TS);

function ok(r: ControlResult): Extract<ControlResult, { ok: true }> {
  assert.ok(r.ok, `control failed: ${JSON.stringify(r)}`);
  return r;
}

function appendOk(h: ShardHarness, flags: number, ...batches: Uint8Array[]): void {
  assert.equal(h.appendFlaggedNow(SLOT, 1, flags, ...batches).errorCode, ErrorCode.NONE);
}

/**
 * Runs `build` against a partition in `<root>/live` (`restart` closes it cleanly and
 * opens it again, as a clean stop and start would), copies the directory as a crash
 * would leave it, recovers the copy, and returns the recovery's answer and the offsets
 * the shard opens the recovered copy with.
 */
function crashAndRecover(build: (p: { h: ShardHarness; restart(): void }) => void): {
  openOffsets: { logStartOffset: number; nextOffset: number } | null;
  opened: { logStartOffset: number; nextOffset: number; lastStableOffset: number };
} {
  const { dir: root, cleanup } = tempDir('samsa-open-offsets-');
  try {
    const live = join(root, 'live');
    const p = {
      h: new ShardHarness({ syncer: new FakeSyncer() }),
      restart(): void {
        ok(p.h.controlNow({ type: 'close', slot: SLOT }));
        p.h = new ShardHarness({ syncer: new FakeSyncer() });
        ok(p.h.open(SLOT, live));
      },
    };
    ok(p.h.open(SLOT, live));
    build(p);
    const h = p.h;
    const crashed = join(root, 'crashed');
    cpSync(live, crashed, { recursive: true });
    ok(h.controlNow({ type: 'shutdown' }));
    const report = recoverPartitionDir(crashed, { indexIntervalBytes: INDEX_INTERVAL_BYTES });
    const again = new ShardHarness({ syncer: new FakeSyncer() });
    const o = ok(again.open(SLOT, crashed));
    ok(again.controlNow({ type: 'shutdown' }));
    return { openOffsets: report.openOffsets, opened: { logStartOffset: o.logStartOffset!, nextOffset: o.nextOffset!, lastStableOffset: o.lastStableOffset! } };
  } finally {
    cleanup();
  }
}

function assertKnown(r: ReturnType<typeof crashAndRecover>, what: string): void {
  assert.ok(r.openOffsets !== null, `${what}: offsets known after recovery`);
  assert.deepEqual({ ...r.openOffsets, lastStableOffset: r.openOffsets.nextOffset }, r.opened, `${what}: as the shard opens it`);
}

test('known without opening: a log with no transactions, with or without a snapshot, and an empty one', () => {
  assertKnown(crashAndRecover(() => {}), 'empty');
  assertKnown(crashAndRecover((p) => {
    for (let i = 0; i < 20; i++) appendOk(p.h, 0, plain(5, `a${i}`));
  }), 'never closed (no snapshot: the whole log is walked)');
  assertKnown(crashAndRecover((p) => {
    for (let i = 0; i < 10; i++) appendOk(p.h, 0, plain(5, `a${i}`));
    p.restart();
    for (let i = 0; i < 10; i++) appendOk(p.h, 0, plain(3, `b${i}`));
  }), 'closed cleanly, then written');
  assertKnown(crashAndRecover((p) => {
    appendOk(p.h, 0, plain(4, 'a'));
    p.restart();
  }), 'snapshot at the log end');
});

test('known without opening: a committed transaction before the last clean close, plain batches after', () => {
  const r = crashAndRecover((p) => {
    appendOk(p.h, 0, txnBatch(7, 0), txnBatch(7, 1));
    appendOk(p.h, FLAG_FROM_COORDINATOR, commit(7));
    p.restart();
    appendOk(p.h, 0, plain(5, 'after'));
  });
  assertKnown(r, 'snapshot without open transactions');
});

test('the log start offset of DeleteRecords (its checkpoint) is the one the shard opens with', () => {
  const r = crashAndRecover((p) => {
    for (let i = 0; i < 6; i++) appendOk(p.h, 0, plain(5, `a${i}`));
    ok(p.h.controlNow({ type: 'deleteRecords', slot: SLOT, offset: 12 }));
    appendOk(p.h, 0, plain(2, 'b'));
  });
  assertKnown(r, 'after DeleteRecords');
  assert.equal(r.openOffsets!.logStartOffset, 12);
});

test('unknown (null) while a transaction may be open at the end: the shard then opens it at start', () => {
  const open = crashAndRecover((p) => {
    appendOk(p.h, 0, plain(3, 'a'));
    appendOk(p.h, 0, txnBatch(9, 0));
    appendOk(p.h, 0, plain(2, 'b'));
  });
  assert.equal(open.openOffsets, null, 'an open transaction in the walked log');
  assert.ok(open.opened.lastStableOffset < open.opened.nextOffset, 'and the shard does hold the last stable offset back');
  const inSnapshot = crashAndRecover((p) => {
    appendOk(p.h, 0, txnBatch(9, 0));
    p.restart();
    appendOk(p.h, 0, plain(2, 'b'));
  });
  assert.equal(inSnapshot.openOffsets, null, 'an open transaction in the snapshot');
  assert.equal(inSnapshot.opened.lastStableOffset, 0);
  const committed = crashAndRecover((p) => {
    appendOk(p.h, 0, txnBatch(9, 0));
    appendOk(p.h, FLAG_FROM_COORDINATOR, commit(9));
  });
  assert.equal(committed.openOffsets, null, 'transactional data after the snapshot is never walked through: the shard decides');
  assert.equal(committed.opened.lastStableOffset, committed.opened.nextOffset);
});

test('unknown (null) when the walk would read more than its bound, or the log is unreadable', () => {
  const { dir, cleanup } = tempDir('samsa-open-offsets-');
  try {
    const config = { segmentBytes: 1 << 30, segmentMs: Number.MAX_SAFE_INTEGER, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: INDEX_INTERVAL_BYTES, maxMessageBytes: 1 << 20 };
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    for (let i = 0; i < 50; i++) log.append([plain(10, `a${i}`)], TS);
    log.close();
    const seen = recoverPartitionDir(dir, { indexIntervalBytes: INDEX_INTERVAL_BYTES });
    assert.deepEqual(seen.openOffsets, { logStartOffset: 0, nextOffset: 500 });
    // The same files, with a walk bound below their size.
    const again = PartitionLog.open(dir, config, { cleanShutdown: false });
    const segments = (again as unknown as { segments: Parameters<typeof openOffsetsAfterRecovery>[1] }).segments;
    const listing = readdirSync(dir);
    assert.equal(openOffsetsAfterRecovery(dir, segments, listing, INDEX_INTERVAL_BYTES, 1024), null);
    assert.deepEqual(openOffsetsAfterRecovery(dir, segments, listing, INDEX_INTERVAL_BYTES), { logStartOffset: 0, nextOffset: 500 });
    assert.equal(openOffsetsAfterRecovery(dir, [], listing, INDEX_INTERVAL_BYTES), null, 'no segments');
    again.close();
  } finally {
    cleanup();
  }
});
