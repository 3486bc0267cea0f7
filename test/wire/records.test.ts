// Tests for src/wire/records.ts and crc32c.ts: the batch builder and decodeMessages
// round trip every field and header field (the builder also writing into a caller's
// buffer, as record-batch.ts uses it); the decoder skips records below the fetch
// offset, control batches and a trailing partial batch, and turns damage into
// CORRUPT_MESSAGE; the plain-JS CRC-32C matches the native one. Byte-for-byte
// equality with an independent encoder (kafkajs) is in test/protocol/record-batch.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import '../../src/client/index.js';
import { crc32cJs } from '../../src/wire/crc32c.js';
import { isCompressionAvailable } from '../../src/wire/codecs.js';
import type { CompressionType } from '../../src/wire/codecs.js';
import { BatchBuilder, type EncodedHeader, type Message, decodeMessages, restampBatch, scanBatches } from '../../src/wire/records.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { checkBatch, readBatchHeader, setBaseOffset } from '../../src/wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();
const DECODE = { verifyCrc: true, maxDecompressedBytes: 1 << 26 };

interface Rec {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: EncodedHeader[] | null;
  timestamp: number;
}

function build(records: Rec[], opts: { compression?: CompressionType; producerId?: number; producerEpoch?: number; baseSequence?: number } = {}): Uint8Array {
  let cap = 61;
  for (const r of records) cap += BatchBuilder.recordBytes(r.key, r.value, r.headers, 0, 0) + 20;
  const b = new BatchBuilder(cap);
  for (const r of records) assert.ok(b.tryAppend(r.key, r.value, r.headers, r.timestamp));
  return b.seal({
    compression: opts.compression ?? 'none',
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerEpoch ?? -1,
    baseSequence: opts.baseSequence ?? -1,
  });
}

const recArb = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }),
  headers: fc.option(
    fc.array(fc.record({ key: fc.string({ maxLength: 12 }).map((s) => utf8.encode(s)), value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: null }) }), { maxLength: 3 }),
    { nil: null },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

test('builder → decodeMessages round trip: every field, producer ids and the batch header (fast-check)', () => {
  fc.assert(
    fc.property(
      fc.array(recArb, { minLength: 1, maxLength: 20 }),
      fc.integer({ min: -1, max: 2 ** 40 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.integer({ min: 0, max: 2 ** 40 }),
      (recs, pid, seq, baseOffset) => {
        const producerId = pid;
        const producerEpoch = pid < 0 ? -1 : 3;
        const baseSequence = pid < 0 ? -1 : seq;
        const batch = build(recs, { producerId, producerEpoch, baseSequence });
        assert.equal(checkBatch(batch, 1 << 26), ErrorCode.NONE);
        const header = readBatchHeader(batch);
        assert.equal(header.baseOffset, 0n);
        assert.equal(header.partitionLeaderEpoch, -1);
        assert.equal(header.attributes, 0);
        assert.equal(header.lastOffsetDelta, recs.length - 1);
        assert.equal(header.recordsCount, recs.length);
        assert.equal(header.baseTimestamp, BigInt(recs[0]!.timestamp));
        assert.equal(header.maxTimestamp, BigInt(Math.max(...recs.map((r) => r.timestamp))));
        assert.equal(header.producerId, BigInt(producerId));
        assert.equal(header.producerEpoch, producerEpoch);
        assert.equal(header.baseSequence, baseSequence);
        setBaseOffset(batch, baseOffset);
        const out: Message[] = [];
        decodeMessages(batch, 't', 4, 0, DECODE, out);
        assert.equal(out.length, recs.length);
        out.forEach((m, i) => {
          const r = recs[i]!;
          assert.equal(m.topic, 't');
          assert.equal(m.partition, 4);
          assert.equal(m.offset, baseOffset + i);
          assert.equal(m.timestamp, r.timestamp);
          assert.deepEqual(m.key === null ? null : Buffer.from(m.key), r.key === null ? null : Buffer.from(r.key));
          assert.deepEqual(m.value === null ? null : Buffer.from(m.value), r.value === null ? null : Buffer.from(r.value));
          assert.deepEqual(
            m.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value)]),
            (r.headers ?? []).map((h) => [utf8Decoder.decode(h.key), h.value === null ? null : Buffer.from(h.value)]),
          );
        });
      },
    ),
    { numRuns: 150 },
  );
});

test('a builder writing into a caller buffer at an offset writes the same batch, and never past its room', () => {
  const recs = Array.from({ length: 20 }, (_, i) => rec(i));
  const expected = build(recs);
  const buf = new Uint8Array(expected.length + 10).fill(0xee);
  const b = new BatchBuilder(1 << 20, 0, { buf, start: 7 });
  for (const r of recs) assert.ok(b.tryAppend(r.key, r.value, r.headers, r.timestamp));
  const sealed = b.seal({ compression: 'none', producerId: -1, producerEpoch: -1, baseSequence: -1 });
  assert.equal(sealed.buffer, buf.buffer);
  assert.ok(Buffer.from(sealed).equals(Buffer.from(expected)));
  assert.deepEqual([...buf.subarray(0, 7), ...buf.subarray(7 + expected.length)], new Array<number>(10).fill(0xee));
  // Room for the header and one record only: the second is refused, the bytes after stay.
  const tight = new Uint8Array(61 + BatchBuilder.recordBytes(recs[0]!.key, recs[0]!.value, recs[0]!.headers, 0, 0) + 3).fill(0xee);
  const t = new BatchBuilder(1 << 20, 0, { buf: tight, start: 3 });
  assert.ok(t.tryAppend(recs[0]!.key, recs[0]!.value, recs[0]!.headers, recs[0]!.timestamp));
  assert.equal(t.tryAppend(recs[1]!.key, recs[1]!.value, recs[1]!.headers, recs[1]!.timestamp), false);
  assert.equal(t.sizeBytes, tight.length - 3);
  assert.throws(() => new BatchBuilder(1 << 20, 0, { buf: new Uint8Array(70), start: 10 }), RangeError);
});

test('seal writes the broker-side header fields and attribute bits; an empty batch seals', () => {
  const b = new BatchBuilder(1024);
  assert.ok(b.tryAppend(null, utf8.encode('x'), null, 50));
  assert.ok(b.tryAppend(null, utf8.encode('y'), null, 20));
  const batch = b.seal({
    compression: 'none',
    producerId: 7,
    producerEpoch: 1,
    baseSequence: 9,
    baseOffset: 2 ** 40,
    partitionLeaderEpoch: 5,
    logAppendTime: true,
    transactional: true,
    control: true,
  });
  const header = readBatchHeader(batch);
  assert.equal(header.baseOffset, 2n ** 40n);
  assert.equal(header.partitionLeaderEpoch, 5);
  assert.equal(header.attributes, 0x08 | 0x10 | 0x20);
  assert.equal(header.maxTimestamp, 50n);
  assert.equal(checkBatch(batch, 1 << 20), ErrorCode.NONE);
  const empty = new BatchBuilder(61).seal({ compression: 'none', producerId: -1, producerEpoch: -1, baseSequence: -1 });
  assert.equal(empty.length, 61);
  const eh = readBatchHeader(empty);
  assert.deepEqual([eh.recordsCount, eh.lastOffsetDelta, eh.baseTimestamp, eh.maxTimestamp], [0, 0, -1n, -1n]);
  assert.equal(checkBatch(empty, 1 << 20), ErrorCode.NONE);
  assert.throws(
    () => new BatchBuilder(100).seal({ compression: 'brotli' as CompressionType, producerId: -1, producerEpoch: -1, baseSequence: -1 }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  );
});

function rec(i: number): Rec {
  return { key: utf8.encode(`k${i}`), value: utf8.encode(`value-${i}`.repeat(5)), headers: [{ key: utf8.encode('h'), value: utf8.encode(String(i)) }], timestamp: 1_700_000_000_000 + i };
}

test('every available codec round trips through seal and decodeMessages', () => {
  for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    if (!isCompressionAvailable(compression)) continue;
    const recs = Array.from({ length: 200 }, (_, i) => rec(i));
    const batch = build(recs, { compression });
    const out: Message[] = [];
    decodeMessages(batch, 't', 0, 0, DECODE, out);
    assert.equal(out.length, 200, compression);
    assert.equal(Buffer.from(out[123]!.value!).toString(), 'value-123'.repeat(5));
    // The reference decoder reads our compressed batches too.
    assert.equal(decodeRecordBatches(batch)[0]!.records.length, 200);
    if (compression !== 'none') assert.ok(batch.length < 200 * 40, `${compression} compresses`);
  }
});

test('records below the fetch offset, control batches and a trailing partial batch are skipped', () => {
  const a = build([rec(0), rec(1), rec(2)]);
  setBaseOffset(a, 10);
  const control = encodeRecordBatch([{ key: Uint8Array.of(0, 0, 0, 0), value: Uint8Array.of(0, 0, 0, 0, 0, 0) }], { control: true, baseOffset: 13 });
  const b = build([rec(3), rec(4)]);
  setBaseOffset(b, 14);
  const c = build([rec(5)]);
  setBaseOffset(c, 16);
  const all = Buffer.concat([a, control, b, c.subarray(0, c.length - 7)]);
  const out: Message[] = [];
  decodeMessages(all, 't', 0, 11, DECODE, out);
  assert.deepEqual(
    out.map((m) => m.offset),
    [11, 12, 14, 15],
  );
  const scan = scanBatches(all);
  assert.equal(scan.batches, 3);
  assert.equal(scan.nextOffset, 16);
  assert.equal(scan.trailingBytes, c.length - 7);
  // Only a partial batch: nothing whole.
  assert.equal(scanBatches(c.subarray(0, 70)).batches, 0);
});

test('damage is CORRUPT_MESSAGE, never a crash', () => {
  const batch = build([rec(0), rec(1)]);
  const flipped = Uint8Array.from(batch);
  flipped[80] = flipped[80]! ^ 0xff;
  assert.throws(() => decodeMessages(flipped, 't', 0, 0, DECODE, []), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
  const badLength = Uint8Array.from(batch);
  new DataView(badLength.buffer).setInt32(8, 3);
  assert.throws(() => scanBatches(badLength), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
  // Random bytes after a valid header, with the CRC fixed up: still a clean error.
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (junk) => {
      const b = new Uint8Array(61 + junk.length);
      b.set(batch.subarray(0, 61));
      b.set(junk, 61);
      new DataView(b.buffer).setInt32(8, b.length - 12);
      restampBatch(b, -1, -1, -1);
      try {
        decodeMessages(b, 't', 0, 0, DECODE, []);
      } catch (e) {
        assert.ok(e instanceof KafkaError, String(e));
      }
    }),
    { numRuns: 200 },
  );
});

test('the plain-JS CRC-32C equals the native one', () => {
  assert.equal(crc32cJs(utf8.encode('123456789')), 0xe3069283);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
      assert.equal(crc32cJs(data), nativeCrc32c(Buffer.from(data)) >>> 0);
    }),
    { numRuns: 300 },
  );
});

test('tryAppend refuses a record that does not fit and leaves the batch intact', () => {
  const b = new BatchBuilder(200);
  let n = 0;
  while (b.tryAppend(null, new Uint8Array(50), null, 1)) n++;
  assert.equal(n, 2);
  const sealed = b.seal({ compression: 'none', producerId: -1, producerEpoch: -1, baseSequence: -1 });
  assert.equal(decodeRecordBatches(sealed)[0]!.records.length, 2);
});
