// A Shard driven in-process: real SpscRings on SharedArrayBuffers, a real data
// directory, frames written with the shard-protocol encoders, the loop stepped by
// hand, and a fake syncer that finishes or fails each sync only when told to. Covers
// the group-commit path (acks 1 and -1, pipelined and inline syncs, failed and stalled
// syncs, flush-behind), every control request, idempotent duplicates and bad batches.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import fs, { existsSync, fstatSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../../src/wire/errors.js';
import { InvariantError, invariantFailed } from '../../src/wire/assert.js';
import { encodeRecordBatch, decodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { EncodeBatchOptions } from '../../src/protocol/record-batch.js';
import { FLUSH_BEHIND_BYTES_DEFAULT } from '../../src/shard/sync-pipeline.js';
import { DEFAULT_TOPIC_CONFIG } from '../../src/config/topic-config.js';
import type { TopicConfig } from '../../src/config/topic-config.js';
import type { ControlResult, ShardStats } from '../../src/shard/shard-protocol.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeSyncer, ShardHarness } from './shard-harness.js';

const TS = 1_700_000_000_000;

function batch(values: string[], opts: EncodeBatchOptions = {}): Uint8Array {
  return encodeRecordBatch(values.map((v) => ({ value: v })), { timestamp: TS, ...opts });
}

function configOf(): TopicConfig {
  return { ...DEFAULT_TOPIC_CONFIG };
}

function ok(r: ControlResult): Extract<ControlResult, { ok: true }> {
  assert.ok(r.ok, `control failed: ${JSON.stringify(r)}`);
  return r;
}

function statsOf(h: ShardHarness): ShardStats {
  const s = ok(h.controlNow({ type: 'stats' })).stats;
  assert.ok(s !== undefined);
  return s;
}

/** Values of the records stored from `offset` on, as a consumer would see them. */
function valuesAt(h: ShardHarness, slot: number, offset: number): string[] {
  const { completion, body } = h.readNow(slot, offset);
  assert.equal(completion.errorCode, ErrorCode.NONE);
  const out: string[] = [];
  for (let pos = 0; pos < body.byteLength;) {
    const b = decodeRecordBatch(body, pos);
    for (const r of b.records) if (r.offset >= offset) out.push(new TextDecoder().decode(r.value ?? new Uint8Array(0)));
    pos += b.size;
  }
  return out;
}

function withShard(fn: (h: ShardHarness, dir: string, syncer: FakeSyncer) => void, options: { inline?: boolean; flushBehindBytes?: number } = {}): void {
  const { dir, cleanup } = tempDir('samsa-shard-');
  const syncer = new FakeSyncer();
  const h = new ShardHarness({
    ...(options.inline === true ? {} : { syncer }),
    ...(options.flushBehindBytes !== undefined ? { flushBehindBytes: options.flushBehindBytes } : {}),
  });
  try {
    fn(h, dir, syncer);
    if (h.shard.isRunning) ok(h.controlNow({ type: 'shutdown' }));
  } finally {
    cleanup();
  }
}

test('acks=1 appends complete in the drain that wrote them, with consecutive offsets, and ask for no sync', () => {
  withShard((h, dir, syncer) => {
    assert.deepEqual(ok(h.open(1, join(dir, 't-0'))), { ok: true, logStartOffset: 0, nextOffset: 0, lastStableOffset: 0 });
    const a = h.append(1, 1, batch(['a', 'b']));
    const b = h.append(1, 1, batch(['c']));
    assert.equal(h.step(), 2); // one drain, one group commit
    const ca = h.take(a)!.completion;
    const cb = h.take(b)!.completion;
    assert.equal(ca.errorCode, ErrorCode.NONE);
    assert.equal(ca.baseOffset, 0);
    assert.equal(cb.baseOffset, 2);
    assert.equal(cb.nextOffset, 3);
    assert.equal(syncer.posted.length, 0);
    assert.deepEqual(valuesAt(h, 1, 0), ['a', 'b', 'c']);
  });
});

test('acks=-1 completes only after the sync that covers it; a write during a sync waits for the next one', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const first = h.append(1, -1, batch(['x']));
    h.step();
    assert.equal(h.take(first), undefined, 'no completion before any sync');
    assert.equal(syncer.posted.length, 1);
    assert.deepEqual(syncer.posted[0]!.files, [join(dir, 't-0', '00000000000000000000.log')]);
    h.step();
    h.step();
    assert.equal(h.take(first), undefined, 'still none while the sync is in flight');

    // Written while sync 1 runs: sync 1 started before this write, so it cannot cover it.
    const second = h.append(1, -1, batch(['y']));
    h.step();
    assert.equal(h.take(second), undefined);
    assert.equal(syncer.posted.length, 1, 'at most one sync in flight');

    syncer.finish();
    h.step();
    const c1 = h.take(first)?.completion;
    assert.equal(c1?.errorCode, ErrorCode.NONE);
    assert.equal(c1?.baseOffset, 0);
    assert.equal(h.take(second), undefined, 'the second waits for a sync that started after its write');
    assert.equal(syncer.posted.length, 2, 'the next sync starts as soon as the first is done');

    syncer.finish();
    h.step();
    assert.equal(h.take(second)?.completion.baseOffset, 1);
    assert.equal(statsOf(h).fsyncCount, 2);
  });
});

test('a failed sync never acknowledges: its acks=-1 appends get KAFKA_STORAGE_ERROR and the partition goes offline (fsyncgate)', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    ok(h.open(2, join(dir, 'u-0')));
    const lost = h.append(1, -1, batch(['x', 'y']));
    h.step();
    // Written while the failing sync runs: a later sync could succeed without the
    // pages the failed one lost, so this one may not be acknowledged either.
    const after = h.append(1, -1, batch(['w']));
    const other = h.append(2, -1, batch(['o']));
    h.step();
    syncer.finish(false);
    h.step();
    const c = h.take(lost)?.completion;
    assert.equal(c?.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(c?.baseOffset, -1);
    assert.equal(h.take(after)?.completion.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.ok(h.notices.some((n) => n.type === 'log' && n.level === 'error' && n.msg === 'shard 0: fdatasync of slot 1 failed'));
    assert.ok(h.notices.some((n) => n.type === 'log' && n.level === 'error' && n.msg.startsWith('shard 0: slot 1 (') && n.msg.includes('is offline')));

    // Offline: appends and reads are refused, with the reason, until a restart recovers it.
    const refused = h.appendNow(1, -1, batch(['z']));
    assert.equal(refused.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(h.readNow(1, 0).completion.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(syncer.posted.filter((r) => r.files.some((f) => f.includes('t-0'))).length, 1, 'no sync of the offline partition is attempted again');

    // The other partition is not touched: its append waits for the next sync and succeeds.
    syncer.finish();
    h.step();
    assert.equal(h.take(other)?.completion.errorCode, ErrorCode.NONE);
    assert.deepEqual(valuesAt(h, 2, 0), ['o']);

    // The shutdown closes everything but answers unclean, so no clean-shutdown marker is written.
    const down = h.controlNow({ type: 'shutdown' });
    assert.equal(down.ok, false);
    assert.equal(down.ok ? 0 : down.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(h.shard.isRunning, false);
  });
});

test('a failed flush-behind sync (no one waiting) takes the partition offline too', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const b = batch(['v'.repeat(3000)]);
    h.appendNow(1, 1, b);
    h.appendNow(1, 1, b);
    assert.equal(syncer.posted.length, 1);
    syncer.finish(false);
    h.step();
    assert.equal(h.appendNow(1, 1, b).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'acks=1 is refused too: the log may have a hole');
    assert.equal(h.controlNow({ type: 'shutdown' }).ok, false);
  }, { flushBehindBytes: 4096 });
});

test('without a syncer acks=-1 is synced inline and completes in the same drain', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const c = h.appendNow(1, -1, batch(['x']));
    assert.equal(c.errorCode, ErrorCode.NONE);
    assert.equal(c.baseOffset, 0);
    assert.equal(syncer.posted.length, 0);
    assert.equal(statsOf(h).fsyncCount, 1);
  }, { inline: true });
});

test('an inline sync that fails answers acks=-1 with KAFKA_STORAGE_ERROR (never success, never silence)', () => {
  withShard((h, dir) => {
    const d = join(dir, 't-0');
    ok(h.open(1, d, { 'segment.bytes': 1024 }));
    h.appendNow(1, 1, batch(['a'.repeat(600)]));
    h.appendNow(1, 1, batch(['b'.repeat(600)])); // rolls: the directory now needs its fsync
    // The directory moves away under the open log: writes to its open segment still
    // succeed, the directory fsync of the next sync (by path) does not.
    const moved = join(dir, 'moved');
    renameSync(d, moved);
    try {
      const c = h.appendNow(1, -1, batch(['c']));
      assert.equal(c.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
      assert.ok(h.notices.some((n) => n.type === 'log' && n.level === 'error' && n.msg.startsWith('shard 0: slot 1 (') && n.msg.includes('fdatasync failed: sync of')));
    } finally {
      renameSync(moved, d);
    }
    // Offline even though the directory is back: only a restart's recovery may trust it again.
    assert.equal(h.appendNow(1, -1, batch(['d'])).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(h.controlNow({ type: 'shutdown' }).ok, false);
  }, { inline: true });
});

test('a syncer that cannot start is given up at once: the sync runs inline and the append completes', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    syncer.startError = new Error('no threads');
    const c = h.appendNow(1, -1, batch(['x']));
    assert.equal(c.errorCode, ErrorCode.NONE);
    assert.ok(h.notices.some((n) => n.type === 'log' && n.msg === 'shard 0: syncer thread did not start (no threads); syncing inline from now on'));
    // From now on every sync is inline: the syncer is not asked again.
    syncer.startError = null;
    assert.equal(h.appendNow(1, -1, batch(['y'])).errorCode, ErrorCode.NONE);
    assert.equal(syncer.posted.length, 0);
  });
});

test('a stalled syncer is given up after syncStallMsMax (on the shard clock): the waiting appends are synced inline', () => {
  const { dir, cleanup } = tempDir('samsa-shard-');
  const syncer = new FakeSyncer();
  const h = new ShardHarness({ syncer, syncStallMsMax: 30_000 });
  try {
    ok(h.open(1, join(dir, 't-0')));
    const id = h.append(1, -1, batch(['x']));
    h.step();
    h.nowMs += 30_000;
    h.step();
    assert.equal(h.take(id), undefined, 'not stalled yet at exactly the limit');
    h.nowMs += 1;
    h.step();
    assert.equal(h.take(id)?.completion.errorCode, ErrorCode.NONE);
    assert.ok(h.notices.some((n) => n.type === 'log' && n.msg === 'shard 0: syncer thread stalled for 30000 ms; syncing inline from now on'));
    // The stalled sync finishing late changes nothing.
    syncer.finish();
    h.step();
    assert.equal(h.appendNow(1, -1, batch(['y'])).baseOffset, 1);
    ok(h.controlNow({ type: 'shutdown' }));
  } finally {
    cleanup();
  }
});

test('a stalled syncer given up, then an inline sync that fails: the waiting appends are answered as failed', () => {
  const { dir, cleanup } = tempDir('samsa-shard-');
  const syncer = new FakeSyncer();
  const h = new ShardHarness({ syncer, syncStallMsMax: 1000 });
  const d = join(dir, 't-0');
  const moved = join(dir, 'moved');
  try {
    ok(h.open(1, d, { 'segment.bytes': 1024 }));
    const inFlight = h.append(1, -1, batch(['a'.repeat(600)]));
    h.step(); // sync 1 posted; the fake never finishes it
    const waiting = h.append(1, -1, batch(['b'.repeat(600)])); // rolls: the directory needs its fsync
    h.step();
    renameSync(d, moved); // the inline directory fsync (by path) will fail
    h.nowMs += 1001;
    h.step();
    assert.equal(h.take(inFlight)?.completion.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(h.take(waiting)?.completion.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    renameSync(moved, d);
    assert.equal(h.appendNow(1, -1, batch(['c'])).errorCode, ErrorCode.KAFKA_STORAGE_ERROR, 'offline after the failed sync');
    assert.equal(h.controlNow({ type: 'shutdown' }).ok, false);
  } finally {
    if (existsSync(moved)) renameSync(moved, d);
    cleanup();
  }
});

test('flush-behind: past the threshold of unsynced bytes an acks=1 partition is handed to the syncer, and nothing waits on it', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const b = batch(['v'.repeat(1000)]);
    let written = 0;
    let n = 0;
    while (written + b.byteLength < 4096) {
      assert.equal(h.appendNow(1, 1, b).errorCode, ErrorCode.NONE);
      written += b.byteLength;
      n++;
    }
    assert.equal(syncer.posted.length, 0, `${written} bytes is under the threshold`);
    const c = h.appendNow(1, 1, b); // crosses 4096: completes at once all the same
    assert.equal(c.baseOffset, n);
    assert.equal(syncer.posted.length, 1);
    assert.deepEqual(syncer.posted[0]!.files, [join(dir, 't-0', '00000000000000000000.log')]);
    syncer.finish();
    h.step();
    // The count starts again from the sync.
    assert.equal(h.appendNow(1, 1, b).errorCode, ErrorCode.NONE);
    assert.equal(syncer.posted.length, 1);
  }, { flushBehindBytes: 4096 });
});

test(`flush-behind defaults to ${FLUSH_BEHIND_BYTES_DEFAULT / 1024 / 1024} MiB`, () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const b = batch(['v'.repeat(1_000_000)]);
    let written = 0;
    while (written + b.byteLength < FLUSH_BEHIND_BYTES_DEFAULT) {
      h.appendNow(1, 1, b);
      written += b.byteLength;
    }
    assert.equal(syncer.posted.length, 0);
    h.appendNow(1, 1, b);
    assert.equal(syncer.posted.length, 1);
  });
});

test('flush-behind is a syncer job only: inline, acks=1 data is left to the roll', () => {
  withShard((h, dir) => {
    ok(h.open(1, join(dir, 't-0')));
    const b = batch(['v'.repeat(1000)]);
    for (let i = 0; i < 10; i++) h.appendNow(1, 1, b);
    assert.equal(statsOf(h).fsyncCount, 0);
  }, { inline: true, flushBehindBytes: 4096 });
});

test('flush.messages: a partition past it is synced though every append was acks=1', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0'), { 'flush.messages': 3 }));
    h.appendNow(1, 1, batch(['a', 'b']));
    assert.equal(syncer.posted.length, 0);
    assert.equal(h.appendNow(1, 1, batch(['c'])).errorCode, ErrorCode.NONE);
    assert.equal(syncer.posted.length, 1);
  });
});

test('flush.ms: an idle step syncs a partition whose oldest unsynced append is that old; a config change to flush.ms takes effect', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-1'), { 'flush.ms': 100 }));
    ok(h.open(2, join(dir, 't-2'))); // flush.ms at its default: never
    h.appendNow(1, 1, batch(['a']));
    h.appendNow(2, 1, batch(['b']));
    h.nowMs += 99;
    assert.equal(h.step(), 0);
    assert.equal(syncer.posted.length, 0, 'not yet 100 ms old');
    h.nowMs += 1;
    h.step();
    assert.equal(syncer.posted.length, 1);
    assert.deepEqual(syncer.posted[0]!.files, [join(dir, 't-1', '00000000000000000000.log')]);
    syncer.finish();
    h.step();
    ok(h.controlNow({ type: 'config', slot: 2, config: { ...configOf(), 'flush.ms': 50 } }));
    h.nowMs += 50;
    h.step();
    assert.equal(syncer.posted.length, 2);
    assert.deepEqual(syncer.posted[1]!.files, [join(dir, 't-2', '00000000000000000000.log')]);
  });
});

test('a control request waits for the syncs before it: the acks=-1 append is answered first, then the control', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const a = h.append(1, -1, batch(['x']));
    h.step();
    const s = h.control({ type: 'listOffset', slot: 1, spec: 'latest' });
    h.step(); // the shard blocks on the syncer (the fake finishes the sync when waited on)
    assert.equal(syncer.posted.length, 1);
    assert.equal(h.take(a)?.completion.errorCode, ErrorCode.NONE);
    assert.ok(h.take(s) !== undefined);
  });
});

test('control requests through the handler table', () => {
  withShard((h, dir, syncer) => {
    const d1 = join(dir, 't-0');
    ok(h.open(1, d1, { 'segment.bytes': 1024 }));
    for (let i = 0; i < 6; i++) h.appendNow(1, 1, batch([`m${i}`.padEnd(400, '.')], { timestamp: TS + i * 1000 }));

    // listOffset
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: 'earliest' }), { ok: true, offset: 0, timestamp: -1 });
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: 'latest' }), { ok: true, offset: 6, timestamp: -1 });
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: TS + 2500 }), { ok: true, offset: 3, timestamp: TS + 3000 });
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: 'max-timestamp' }), { ok: true, offset: 5, timestamp: TS + 5000 });
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: TS + 99_000 }), { ok: true, offset: -1, timestamp: -1 });

    // stats
    const st = statsOf(h);
    assert.equal(st.partitions.length, 1);
    assert.equal(st.partitions[0]!.nextOffset, 6);
    assert.ok(st.partitions[0]!.segments >= 3, `segments ${st.partitions[0]!.segments}`);
    assert.equal(st.appendFrames, 6);

    // deleteRecords: the start moves, whole segments below it go, the main thread is told
    const del = ok(h.controlNow({ type: 'deleteRecords', slot: 1, offset: 4 }));
    assert.equal(del.logStartOffset, 4);
    const moved = h.notices.find((n) => n.type === 'logStart');
    assert.ok(moved !== undefined && moved.type === 'logStart' && moved.slot === 1 && moved.logStartOffset === 4 && moved.deletedFiles.length > 0);
    assert.deepEqual(h.controlNow({ type: 'listOffset', slot: 1, spec: 'earliest' }), { ok: true, offset: 4, timestamp: -1 });
    assert.deepEqual(valuesAt(h, 1, 4).map((v) => v.slice(0, 2)), ['m4', 'm5']);

    // config: a lower max.message.bytes applies to the next append
    ok(h.controlNow({ type: 'config', slot: 1, config: { ...configOf(), 'segment.bytes': 1024, 'max.message.bytes': 200 } }));
    assert.equal(h.appendNow(1, 1, batch(['n'.padEnd(400, '.')])).errorCode, ErrorCode.MESSAGE_TOO_LARGE);

    // close: the partition is gone from the shard, its data is not; open again finds it
    ok(h.controlNow({ type: 'close', slot: 1 }));
    assert.equal(h.appendNow(1, 1, batch(['late'])).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(h.readNow(1, 0).completion.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.deepEqual(h.open(1, d1), { ok: true, logStartOffset: 4, nextOffset: 6, lastStableOffset: 6 });

    // compact-only topics refuse DeleteRecords
    const d2 = join(dir, 'c-0');
    ok(h.open(2, d2, { 'cleanup.policy': 'compact' }));
    const refused = h.controlNow({ type: 'deleteRecords', slot: 2, offset: 0 });
    assert.equal(refused.ok ? 0 : refused.errorCode, ErrorCode.POLICY_VIOLATION);

    // delete: the directory goes
    ok(h.controlNow({ type: 'delete', slot: 2 }));
    assert.equal(existsSync(d2), false);
    assert.equal(statsOf(h).partitions.length, 1);

    // unknown slot and unknown request type
    for (const req of [{ type: 'config', slot: 9, config: configOf() }, { type: 'listOffset', slot: 9, spec: 'latest' }, { type: 'deleteRecords', slot: 9, offset: 0 }] as const) {
      const r = h.controlNow(req);
      assert.equal(r.ok ? 0 : r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, req.type);
    }
    const bogus = h.controlNow({ type: 'bogus' } as unknown as { type: 'stats' });
    assert.equal(bogus.ok ? 0 : bogus.errorCode, ErrorCode.INVALID_REQUEST);

    // shutdown closes every partition and ends the loop
    ok(h.controlNow({ type: 'shutdown' }));
    assert.equal(h.shard.isRunning, false);
    assert.equal(syncer.posted.length, 0, 'nothing here asked for a sync');
  });
});

test('a control handler that throws answers with an error instead of ending the shard', () => {
  withShard((h, dir) => {
    // A file where a directory should be: opening a partition under it throws.
    writeFileSync(join(dir, 'not-a-dir'), 'x');
    const r = h.open(3, join(dir, 'not-a-dir', 't-0'));
    assert.equal(r.ok ? 0 : r.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.equal(h.shard.isRunning, true);
    ok(h.open(1, join(dir, 't-0')));
    assert.equal(statsOf(h).partitions.length, 1);
  });
});

test('a broken invariant stops the shard instead of being answered as a storage error', () => {
  withShard((h, dir) => {
    ok(h.open(1, join(dir, 't-0')));
    // White-box: make the log's append hit an invariant, as a bug would.
    const shard = h.shard as unknown as { partitions: Map<number, { log: { append: () => void } }> };
    const log = shard.partitions.get(1)!.log;
    const append = log.append;
    log.append = () => invariantFailed('test: broken on purpose');
    h.append(1, 1, batch(['x']));
    assert.throws(() => h.step(), InvariantError);
    log.append = append; // so the harness can close the shard
  });
});

test('idempotent producer: a resent batch is answered with its original offset and not written again', () => {
  withShard((h, dir, syncer) => {
    ok(h.open(1, join(dir, 't-0')));
    const p = { producerId: 7, producerEpoch: 0 };
    assert.equal(h.appendNow(1, 1, batch(['a', 'b', 'c'], { ...p, baseSequence: 0 })).baseOffset, 0);
    assert.equal(h.appendNow(1, 1, batch(['d'], { ...p, baseSequence: 3 })).baseOffset, 3);
    const dup = h.appendNow(1, 1, batch(['a', 'b', 'c'], { ...p, baseSequence: 0 }));
    assert.equal(dup.errorCode, ErrorCode.NONE);
    assert.equal(dup.baseOffset, 0);
    assert.equal(dup.nextOffset, 4, 'nothing written');
    const gap = h.appendNow(1, 1, batch(['z'], { ...p, baseSequence: 10 }));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.deepEqual(valuesAt(h, 1, 0), ['a', 'b', 'c', 'd']);

    // acks=-1: a duplicate of a batch still waiting for its sync waits for a sync too.
    const orig = h.append(1, -1, batch(['e'], { ...p, baseSequence: 4 }));
    const again = h.append(1, -1, batch(['e'], { ...p, baseSequence: 4 }));
    h.step();
    assert.equal(h.take(orig), undefined);
    assert.equal(h.take(again), undefined);
    syncer.finish();
    h.step();
    assert.equal(h.take(orig)?.completion.baseOffset, 4);
    assert.equal(h.take(again)?.completion.baseOffset, 4);
    assert.equal(h.readNow(1, 0).completion.nextOffset, 5);
  });
});

test('an append body skipped 1..7 bytes past the header (aligned to its source) is stored as sent, the skipped bytes ignored', () => {
  withShard((h, dir) => {
    ok(h.open(0, join(dir, 't-0')));
    const sent: string[] = [];
    for (let skip = 0; skip <= 7; skip++) {
      const values = [`skip-${skip}-a`, `skip-${skip}-b`];
      sent.push(...values);
      const id = h.appendSkipped(0, 1, 0, skip, batch(values));
      h.step();
      const a = h.take(id);
      assert.ok(a !== undefined);
      assert.equal(a.completion.errorCode, ErrorCode.NONE, `skip ${skip}`);
      assert.equal(a.completion.baseOffset, skip * 2);
    }
    assert.deepEqual(valuesAt(h, 0, 0), sent);
  });
});

test('bad batches are rejected whole with nothing written: CRC mismatch, truncation, an empty request', () => {
  withShard((h, dir) => {
    ok(h.open(1, join(dir, 't-0')));
    h.appendNow(1, 1, batch(['ok']));
    const sizeBefore = statsOf(h).partitions[0]!.sizeBytes;

    const corrupt = batch(['bad']);
    corrupt[corrupt.byteLength - 1]! ^= 0xff; // a record byte: the CRC-32C no longer matches
    const c1 = h.appendNow(1, 1, corrupt);
    assert.equal(c1.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(c1.baseOffset, -1);

    // A good batch followed by a bad one: the request is all or nothing.
    assert.equal(h.appendNow(1, -1, batch(['good']), corrupt).errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(h.appendNow(1, 1, batch(['cut']).subarray(0, 40)).errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(h.appendNow(1, 1).errorCode, ErrorCode.CORRUPT_MESSAGE);

    const after = statsOf(h).partitions[0]!;
    assert.equal(after.nextOffset, 1);
    assert.equal(after.sizeBytes, sizeBefore);
    assert.deepEqual(valuesAt(h, 1, 0), ['ok']);
    assert.equal(h.appendNow(1, 1, batch(['next'])).baseOffset, 1);
  });
});

test('appends and reads to a slot this shard does not hold are answered UNKNOWN_TOPIC_OR_PARTITION', () => {
  withShard((h) => {
    const c = h.appendNow(5, -1, batch(['x']));
    assert.equal(c.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(h.readNow(5, 0).completion.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

test('shutdown flushes the file system twice around the closes (syncFs), and what it wrote reopens clean', () => {
  const { dir, cleanup } = tempDir('samsa-shard-');
  const calls: Array<{ fd: number; snapshots: number }> = [];
  const snapshotsIn = (d: string): number => readdirSync(d).filter((n) => n.endsWith('.snapshot')).length;
  const dirs = [0, 1, 2].map((p) => join(dir, `t-${p}`));
  try {
    const h = new ShardHarness({
      syncer: new FakeSyncer(),
      syncFs: (fd) => {
        // A real descriptor of the data's file system, taken where the snapshots stand now.
        assert.ok(fstatSync(fd).isDirectory());
        calls.push({ fd, snapshots: dirs.reduce((n, d) => n + snapshotsIn(d), 0) });
        return 0;
      },
    });
    dirs.forEach((d, slot) => ok(h.open(slot, d)));
    for (let slot = 0; slot < 2; slot++) h.append(slot, 1, batch([`a${slot}`, `b${slot}`], { producerId: 40 + slot, producerEpoch: 0, baseSequence: 0 }));
    assert.equal(h.step(), 2);
    ok(h.controlNow({ type: 'shutdown' }));
    // First before any snapshot is written, then with every partition's (unsynced) snapshot in place.
    assert.deepEqual(calls.map((c) => c.snapshots), [0, 3]);
    assert.deepEqual(dirs.map(snapshotsIn), [1, 1, 1]);
    // Reopened as after a clean stop: offsets and each producer's sequence carry on.
    const again = new ShardHarness({ syncer: new FakeSyncer() });
    dirs.forEach((d, slot) => assert.equal(ok(again.open(slot, d)).nextOffset, slot < 2 ? 2 : 0));
    const dup = again.appendNow(0, 1, batch(['a0', 'b0'], { producerId: 40, producerEpoch: 0, baseSequence: 0 }));
    assert.equal(dup.errorCode, ErrorCode.NONE);
    assert.equal(dup.baseOffset, 0, 'a retried batch is answered from the snapshot\'s producer state, not appended again');
    ok(again.controlNow({ type: 'shutdown' }));
  } finally {
    cleanup();
  }
});

test('shutdown: a trusted syncfs through the descriptor held since the start replaces every per-file sync; an untrusted one does not', () => {
  const modes = ['trusted', 'kernel does not report errors', 'write error', 'no held descriptor'] as const;
  const perFile = new Map<string, { fdatasync: number; fsync: number }>();
  for (const mode of modes) {
    const { dir, cleanup } = tempDir('samsa-shard-');
    const dirs = [0, 1, 2].map((p) => join(dir, `t-${p}`));
    try {
      const h = new ShardHarness({
        syncer: new FakeSyncer(),
        syncFs: () => (mode === 'write error' ? -5 : 0),
        syncFsReportsErrors: mode !== 'kernel does not report errors',
        ...(mode !== 'no held descriptor' ? { dataDir: dir } : {}),
      });
      dirs.forEach((d, slot) => ok(h.open(slot, d)));
      for (let slot = 0; slot < 2; slot++) h.append(slot, 1, batch([`a${slot}`, `b${slot}`], { producerId: 40 + slot, producerEpoch: 0, baseSequence: 0 }));
      assert.equal(h.step(), 2);
      const fdatasyncs = mock.method(fs, 'fdatasyncSync');
      const fsyncs = mock.method(fs, 'fsyncSync');
      try {
        ok(h.controlNow({ type: 'shutdown' }));
        perFile.set(mode, { fdatasync: fdatasyncs.mock.callCount(), fsync: fsyncs.mock.callCount() });
      } finally {
        fdatasyncs.mock.restore();
        fsyncs.mock.restore();
      }
      assert.deepEqual(dirs.map((d) => readdirSync(d).filter((n) => n.endsWith('.snapshot')).length), [1, 1, 1]);
      // Reopened as after a clean stop, whichever way it was synced.
      const again = new ShardHarness({ syncer: new FakeSyncer() });
      dirs.forEach((d, slot) => assert.equal(ok(again.open(slot, d)).nextOffset, slot < 2 ? 2 : 0));
      const dup = again.appendNow(1, 1, batch(['a1', 'b1'], { producerId: 41, producerEpoch: 0, baseSequence: 0 }));
      assert.equal(dup.baseOffset, 0, 'the snapshot carried the producer state');
      ok(again.controlNow({ type: 'shutdown' }));
    } finally {
      cleanup();
    }
  }
  assert.deepEqual(perFile.get('trusted'), { fdatasync: 0, fsync: 0 });
  for (const mode of modes.slice(1)) {
    // Two written partitions' log and indexes, and three snapshots with their directories.
    const n = perFile.get(mode)!;
    assert.ok(n.fdatasync >= 2 * 3 + 3 && n.fsync >= 3, `${mode}: ${JSON.stringify(n)}`);
  }
});
