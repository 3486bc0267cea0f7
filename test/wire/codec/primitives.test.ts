// Reader/Writer primitives: round trips at the edges and bounded failure on short
// or hostile input (every failure is a DecodeError, never an allocation first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../../src/wire/codec/reader.js';
import { Writer, ZERO_COPY_MIN_BYTES } from '../../../src/wire/codec/writer.js';
import { DecodeError, EncodeError } from '../../../src/wire/codec/errors.js';
import { MessageCodec } from '../../../src/wire/codec/compile.js';

test('ints, varints, int64 and uuids round-trip', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -128, max: 127 }),
      fc.integer({ min: -32768, max: 32767 }),
      fc.integer(),
      fc.maxSafeInteger(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: -0x80000000, max: 0x7fffffff }),
      (i8, i16, i32, i64, u, v) => {
        const w = new Writer(16);
        w.int8(i8);
        w.int16(i16);
        w.int32(i32);
        w.int64(i64);
        const neg = i64 === 0 ? 0 : -i64; // not -0: the wire has no negative zero
        w.int64(neg);
        w.uvarint(u);
        w.varint(v);
        w.uuid('0123456789abcdef0123456789abcdef');
        const r = new Reader(w.finish());
        assert.deepEqual(
          [r.int8(), r.int16(), r.int32(), r.int64(), r.int64(), r.uvarint(), r.varint(), r.uuid()],
          [i8, i16, i32, i64, neg, u, v, '0123456789abcdef0123456789abcdef'],
        );
        assert.equal(r.remaining(), 0);
      },
    ),
    { numRuns: 200 },
  );
});

test('varint encodings match Kafka (zig-zag)', () => {
  const enc = (v: number) => {
    const w = new Writer();
    w.varint(v);
    return Buffer.from(w.finish()).toString('hex');
  };
  assert.equal(enc(0), '00');
  assert.equal(enc(-1), '01');
  assert.equal(enc(1), '02');
  assert.equal(enc(63), '7e');
  assert.equal(enc(-64), '7f');
  assert.equal(enc(64), '8001');
  assert.equal(enc(0x7fffffff), 'feffffff0f');
  assert.equal(enc(-0x80000000), 'ffffffff0f');
});

test('short, negative and oversized input fails with DecodeError', () => {
  const fails = (bytes: number[], read: (r: Reader) => unknown) => assert.throws(() => read(new Reader(Uint8Array.from(bytes))), DecodeError);
  fails([0, 0, 0], (r) => r.int32());
  fails([0x80, 0x80, 0x80, 0x80, 0x80, 0x01], (r) => r.uvarint());
  fails([0xff, 0xff, 0xff, 0xff, 0x1f], (r) => r.uvarint());
  fails([0xff, 0xfe], (r) => r.stringLength());
  fails([0x00, 0x05, 0x41], (r) => r.utf8(r.stringLength()));
  fails([0x7f, 0xff, 0xff, 0xff], (r) => r.checkCount(r.int32(), 1));
  fails([], (r) => r.raw(-1));
  fails([1, 2], (r) => r.uuid());
});

test('array counts are checked against the remaining bytes before allocation', () => {
  const codec = new MessageCodec<{ xs: number[] }>({
    name: 'T',
    apiKey: 99,
    type: 'data',
    validVersions: '0-1',
    flexibleVersions: '1+',
    fields: [{ name: 'xs', type: '[]int64', versions: '0+' }],
  });
  // 1,000,000 int64s claimed, 8 bytes present.
  assert.throws(() => codec.decode(new Reader(Uint8Array.from([0, 0x0f, 0x42, 0x40, 1, 2, 3, 4, 5, 6, 7, 8])), 0), DecodeError);
  assert.throws(() => codec.decode(new Reader(Uint8Array.from([0xc1, 0x84, 0x3d, 1, 2, 3, 4, 5, 6, 7, 8, 0])), 1), DecodeError);
  assert.deepEqual(codec.decode(new Reader(Uint8Array.from([2, 0, 0, 0, 0, 0, 0, 0, 9, 0])), 1), { xs: [9] });
});

test('values that do not fit their type fail with EncodeError', () => {
  const codec = new MessageCodec<{ a: number; s: string }>({
    name: 'T',
    apiKey: 99,
    type: 'data',
    validVersions: '0',
    flexibleVersions: 'none',
    fields: [
      { name: 'a', type: 'int16', versions: '0+' },
      { name: 's', type: 'string', versions: '0+' },
    ],
  });
  assert.throws(() => codec.encodeToBytes({ a: 40000, s: '' }, 0), EncodeError);
  assert.throws(() => codec.encodeToBytes({ a: 1.5, s: '' }, 0), EncodeError);
  assert.throws(() => codec.encodeToBytes({ a: 1, s: null as unknown as string }, 0), EncodeError);
  assert.throws(() => new Writer().int64(2 ** 60), EncodeError);
});

test('large byte fields are referenced, not copied, until finish()', () => {
  const big = new Uint8Array(ZERO_COPY_MIN_BYTES).fill(7);
  const w = new Writer();
  w.int32(big.length);
  w.raw(big);
  w.int8(1);
  const chunks = w.finishChunks();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big, 'the same array, by reference');
  const small = new Writer();
  small.raw(Uint8Array.of(1, 2, 3));
  assert.deepEqual(small.finish(), Uint8Array.of(1, 2, 3));
});

test('non-ASCII strings round-trip in both string encodings', () => {
  const codec = new MessageCodec<{ s: string }>({ name: 'T', apiKey: 99, type: 'data', validVersions: '0-1', flexibleVersions: '1+', fields: [{ name: 's', type: 'string', versions: '0+' }] });
  for (const s of ['', 'plain', 'héllo wörld', '日本語のトピック', '🙂'.repeat(40), 'x'.repeat(300)]) {
    for (const v of [0, 1]) assert.equal(codec.decode(new Reader(codec.encodeToBytes({ s }, v)), v).s, s);
  }
});

test('an int64 beyond ±(2^53 − 1) is read saturated, so it encodes again (found by the request fuzzer)', () => {
  const cases: Array<[number[], number]> = [
    [[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Number.MAX_SAFE_INTEGER], // Long.MAX_VALUE
    [[0x80, 0, 0, 0, 0, 0, 0, 0], -Number.MAX_SAFE_INTEGER], // Long.MIN_VALUE
    [[0x00, 0x20, 0, 0, 0, 0, 0, 0], Number.MAX_SAFE_INTEGER], // 2^53
    [[0xff, 0xe0, 0, 0, 0, 0, 0, 0], -Number.MAX_SAFE_INTEGER], // -2^53
    [[0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Number.MAX_SAFE_INTEGER], // 2^53 - 1, exact
    [[0xff, 0xe0, 0, 0, 0, 0, 0, 1], -Number.MAX_SAFE_INTEGER], // -(2^53 - 1), exact
    [[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], -1],
  ];
  for (const [bytes, want] of cases) {
    const got = new Reader(Uint8Array.from(bytes)).int64();
    assert.equal(got, want, bytes.map((b) => b.toString(16)).join(' '));
    const w = new Writer();
    w.int64(got);
    assert.equal(new Reader(w.finish()).int64(), want);
  }
});
