// The tail cache: appends a waiting (or just caught-up) consumer is about to read are answered from the
// main thread, byte for byte what the shard stored (offsets patched in), and never
// past what is held or across a gap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SamsaEngine } from '../../src/broker/engine.js';
import { TAIL_APPEND_MAX_BYTES, TailCache, readsUpTo, tailCacheStats } from '../../src/broker/tail-cache.js';
import { encodeRecordBatch, decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { tempDir } from '../helpers/tmp.js';

const enc = new TextEncoder();

function batchOf(values: string[], opts: Parameters<typeof encodeRecordBatch>[1] = {}): Uint8Array {
  return encodeRecordBatch(values.map((v) => ({ value: enc.encode(v) })), opts);
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

test('TailCache keeps contiguous appends, patches offsets, answers whole batches, clears on a gap', () => {
  const c = new TailCache();
  const a = batchOf(['a0', 'a1', 'a2']);
  const b = batchOf(['b0']);
  c.add(concat(a, b), 10); // one request, two batches: offsets 10-12 and 13
  assert.equal(c.endOffset, 14);
  const all = c.read(10, 1 << 20)!;
  assert.deepEqual(decodeRecordBatches(all).map((x) => x.records.map((r) => r.offset)), [[10, 11, 12], [13]]);
  // From inside the first batch: that batch whole; a budget smaller than two batches: one.
  assert.equal(c.read(11, 1)!.byteLength, a.byteLength);
  assert.equal(c.read(13, 1 << 20)!.byteLength, b.byteLength);
  assert.equal(c.read(14, 1 << 20), null, 'nothing past the end');
  assert.equal(c.read(9, 1 << 20), null, 'nothing before the start');
  c.add(batchOf(['c']), 14);
  assert.deepEqual(decodeRecordBatches(c.read(13, 1 << 20)!).flatMap((x) => x.records.map((r) => r.offset)), [13, 14]);
  c.add(batchOf(['gap']), 20); // not contiguous: the cache empties rather than hold a gap
  assert.equal(c.read(14, 1 << 20), null);
  assert.ok(c.isEmpty);
  c.add(batchOf(['x'.repeat(TAIL_APPEND_MAX_BYTES)]), 20);
  assert.ok(c.isEmpty, 'large appends are not kept');
});

test('TailCache stops keeping appends nobody reads', () => {
  const c = new TailCache();
  let offset = 0;
  let cleared = -1;
  // The engine only adds to a non-empty cache, or while a consumer waits: stop at the first clear.
  for (let i = 0; i < 200 && cleared < 0; i++) {
    c.add(batchOf([`v${i}`]), offset);
    offset++;
    if (i === 10) assert.ok(c.read(offset - 1, 100) !== null);
    if (c.isEmpty) cleared = i;
  }
  assert.equal(cleared, 10 + 64 + 1, 'cleared after 64 appends with no read in between');
});

test('a long-poll woken by an append is answered from the tail cache with the bytes the shard stored', async () => {
  const { dir, cleanup } = tempDir();
  const engine = await SamsaEngine.start({ dataDir: dir, shards: 1, pin: false });
  try {
    await engine.createTopic('t', 1);
    await engine.createTopic('stamped', 1, { 'message.timestamp.type': 'LogAppendTime' });
    for (const topic of ['t', 'stamped']) {
      assert.equal((await engine.append(topic, 0, batchOf(['before']), 1)).errorCode, ErrorCode.NONE);
      const hits = tailCacheStats.hits;
      const woke = engine.waitForAppend([{ topic, partition: 0 }], 5000);
      // Two batches in one request, from offset 1.
      const appended = engine.append(topic, 0, concat(batchOf(['p', 'q']), batchOf(['r'])), 1);
      assert.equal(await woke, true);
      const fromTail = await engine.read(topic, 0, 1, 1 << 20);
      assert.equal((await appended).baseOffset, 1);
      assert.equal(tailCacheStats.hits, hits + (topic === 't' ? 1 : 0), topic === 't' ? 'served from the cache' : 'LogAppendTime is never cached');
      // Push the tail on with an append too large to keep: the same offset now comes from the shard.
      assert.equal((await engine.append(topic, 0, batchOf(['z'.repeat(TAIL_APPEND_MAX_BYTES)]), 1)).errorCode, ErrorCode.NONE);
      const fromShard = await engine.read(topic, 0, 1, 1 << 20);
      assert.equal(tailCacheStats.hits, hits + (topic === 't' ? 1 : 0));
      const firstTwo = fromShard.records.subarray(0, fromTail.records.byteLength);
      assert.deepEqual(Buffer.from(fromTail.records), Buffer.from(firstTwo), `${topic}: byte for byte`);
      assert.deepEqual(decodeRecordBatches(fromTail.records).flatMap((b) => b.records.map((r) => r.offset)), [1, 2, 3]);
    }
  } finally {
    await engine.close();
    cleanup();
  }
});

test('readsUpTo: true only when whole batches end exactly at the offset', () => {
  const b = concat(batchOf(['a', 'b', 'c'], { baseOffset: 5 }), batchOf(['d'], { baseOffset: 8 }));
  assert.equal(readsUpTo(b, 9), true);
  assert.equal(readsUpTo(b, 8), false);
  assert.equal(readsUpTo(b, 10), false);
  assert.equal(readsUpTo(new Uint8Array(0), 0), false, 'empty');
  assert.equal(readsUpTo(b.subarray(0, b.byteLength - 1), 9), false, 'a torn last batch');
  assert.equal(readsUpTo(b.subarray(0, 30), 9), false, 'shorter than a header');
});

test('TailCache: want() keeps the next appends, and a reader that never comes back stops it', () => {
  const c = new TailCache();
  assert.equal(c.keeping, false);
  c.want();
  assert.equal(c.keeping, true);
  let offset = 0;
  for (let i = 0; i < 65; i++) c.add(batchOf([`v${i}`]), offset++);
  assert.equal(c.isEmpty, true, 'cleared after 64 unread appends');
  assert.equal(c.keeping, false, 'and no longer wanted: a reader has to reach the end again');
  c.want();
  c.add(batchOf(['t'], { producerId: 7, producerEpoch: 0, baseSequence: 0, transactional: true }), offset);
  assert.equal(c.nonTransactional, false, 'a transactional batch held');
  c.clear();
  assert.equal(c.nonTransactional, true);
  assert.equal(c.keeping, false);
});

test('a reader that reached the end without waiting is answered from the cache next; read_committed only while no transaction is open', async () => {
  const { dir, cleanup } = tempDir();
  const engine = await SamsaEngine.start({ dataDir: dir, shards: 1, pin: false });
  const committed = { isolation: 'read_committed' as const };
  const offsetsOf = (records: Uint8Array): number[] => decodeRecordBatches(records).flatMap((b) => b.records.map((r) => r.offset));
  try {
    await engine.createTopic('k', 1);
    assert.equal((await engine.append('k', 0, batchOf(['a']), 1)).errorCode, ErrorCode.NONE);
    let hits = tailCacheStats.hits;
    // No long-poll anywhere: the consumer reads what is there, from the shard, up to the end.
    assert.deepEqual(offsetsOf((await engine.read('k', 0, 0, 1 << 20, committed)).records), [0]);
    assert.equal(tailCacheStats.hits, hits, 'the first read is the shard');
    assert.equal((await engine.append('k', 0, batchOf(['b', 'c']), 1)).baseOffset, 1);
    const plain = await engine.read('k', 0, 1, 1 << 20);
    assert.equal(tailCacheStats.hits, ++hits, 'then the cache, read_uncommitted');
    assert.deepEqual(offsetsOf(plain.records), [1, 2]);
    const rc = await engine.read('k', 0, 1, 1 << 20, committed);
    assert.equal(tailCacheStats.hits, ++hits, 'and read_committed with no transaction open');
    assert.deepEqual(offsetsOf(rc.records), [1, 2]);
    assert.deepEqual(rc.abortedTransactions, []);
    assert.equal(rc.lastStableOffset, 3);

    // A transaction opens at offset 3: read_committed readers go to the shard and stop before it.
    const txn = batchOf(['t'], { producerId: 42, producerEpoch: 0, baseSequence: 0, transactional: true });
    assert.equal((await engine.append('k', 0, txn, 1)).baseOffset, 3);
    const before = await engine.read('k', 0, 1, 1 << 20, committed);
    assert.equal(tailCacheStats.hits, hits, 'read_committed is not answered from the cache now');
    assert.deepEqual(offsetsOf(before.records), [1, 2], 'the shard stops at the last stable offset');
    assert.equal(before.lastStableOffset, 3);
    const uncommitted = await engine.read('k', 0, 1, 1 << 20);
    assert.equal(tailCacheStats.hits, ++hits, 'read_uncommitted still is');
    assert.deepEqual(offsetsOf(uncommitted.records), [1, 2, 3]);
  } finally {
    await engine.close();
    cleanup();
  }
});

test('readsUpTo: a read larger than one cache buffer is a reader catching up, never a tailing one', () => {
  const big = batchOf(['x'.repeat(70 * 1024)], { baseOffset: 0 });
  assert.equal(readsUpTo(big, 1), false);
});
