// Tests for src/wire/varint.ts: known encodings, round trips against an
// independent BigInt reference, sizes, and the bounds (overlong, truncated, out of range).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  readUnsignedVarint,
  readVarint,
  readVarlong,
  sizeOfUnsignedVarint,
  sizeOfVarint,
  sizeOfVarlong,
  takeVarint,
  takeVarlong,
  writeUnsignedVarint,
  writeVarint,
  writeVarlong,
} from '../../src/wire/varint.js';

/** Reference zig-zag varlong encoder on BigInt, written independently of the module. */
function refVarlong(v: bigint): number[] {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 0x80n) {
    out.push(Number(z & 0x7fn) | 0x80);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function encodeWith(write: (b: Uint8Array, p: number, v: number) => number, v: number): Uint8Array {
  const buf = new Uint8Array(16);
  const end = write(buf, 0, v);
  return buf.subarray(0, end);
}

test('zig-zag varint known encodings (Kafka ByteUtils)', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [-1, '01'],
    [1, '02'],
    [-2, '03'],
    [63, '7e'],
    [-64, '7f'],
    [64, '8001'],
    [300, 'd804'],
    [2147483647, 'feffffff0f'],
    [-2147483648, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(encodeWith(writeVarint, v)), h, `encode ${v}`);
    assert.deepEqual(readVarint(Buffer.from(h, 'hex'), 0), { value: v, pos: h.length / 2 });
    assert.equal(sizeOfVarint(v), h.length / 2);
  }
});

test('unsigned varint known encodings', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16384, '808001'],
    [0xffffffff, 'ffffffff0f'],
  ];
  for (const [v, h] of cases) {
    assert.equal(hex(encodeWith(writeUnsignedVarint, v)), h, `encode ${v}`);
    assert.deepEqual(readUnsignedVarint(Buffer.from(h, 'hex'), 0), { value: v, pos: h.length / 2 });
    assert.equal(sizeOfUnsignedVarint(v), h.length / 2);
  }
});

test('varlong known encodings', () => {
  const cases = [0, -1, 1, 1_700_000_000_000, -1_700_000_000_000, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 32, -(2 ** 32)];
  for (const v of cases) {
    const expected = Buffer.from(refVarlong(BigInt(v))).toString('hex');
    assert.equal(hex(encodeWith(writeVarlong, v)), expected, `encode ${v}`);
    assert.deepEqual(readVarlong(Buffer.from(expected, 'hex'), 0), { value: v, pos: expected.length / 2 });
    assert.equal(sizeOfVarlong(v), expected.length / 2, `size ${v}`);
  }
});

test('varint round trip and size agree for every int32', () => {
  fc.assert(
    fc.property(fc.integer({ min: -2147483648, max: 2147483647 }), fc.nat(4), (v, at) => {
      const buf = new Uint8Array(at + 5);
      const end = writeVarint(buf, at, v);
      assert.equal(end - at, sizeOfVarint(v));
      assert.deepEqual(readVarint(buf, at), { value: v, pos: end });
    }),
    { numRuns: 500 },
  );
});

test('unsigned varint round trip for every uint32', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (v) => {
      const buf = new Uint8Array(5);
      const end = writeUnsignedVarint(buf, 0, v);
      assert.equal(end, sizeOfUnsignedVarint(v));
      assert.deepEqual(readUnsignedVarint(buf, 0), { value: v, pos: end });
    }),
    { numRuns: 500 },
  );
});

test('varlong matches the BigInt reference for every safe integer', () => {
  fc.assert(
    fc.property(fc.maxSafeInteger(), (v) => {
      const buf = new Uint8Array(10);
      const end = writeVarlong(buf, 0, v);
      assert.deepEqual(Array.from(buf.subarray(0, end)), refVarlong(BigInt(v)));
      assert.equal(end, sizeOfVarlong(v));
      const cur = { pos: 0 };
      assert.equal(takeVarlong(buf, cur), v);
      assert.equal(cur.pos, end);
    }),
    { numRuns: 1000 },
  );
});

test('overlong encodings are RangeErrors', () => {
  assert.throws(() => readVarint(Buffer.from('ffffffffff01', 'hex'), 0), RangeError); // 6 bytes
  assert.throws(() => readUnsignedVarint(Buffer.from('8080808080808000', 'hex'), 0), RangeError);
  assert.throws(() => readUnsignedVarint(Buffer.from('ffffffff1f', 'hex'), 0), RangeError); // 5 bytes, 33 bits
  assert.deepEqual(readUnsignedVarint(Buffer.from('ffffffff0f', 'hex'), 0), { value: 0xffff_ffff, pos: 5 });
  assert.throws(() => readVarlong(Buffer.from('ffffffffffffffffff0101', 'hex'), 0), RangeError); // 11 bytes
});

test('varlongs beyond 2^53 are RangeErrors, not silently rounded', () => {
  const big = Buffer.from(refVarlong(2n ** 53n)); // zig-zag of 2^53
  assert.throws(() => readVarlong(big, 0), RangeError);
  const minBeyond = Buffer.from(refVarlong(-(2n ** 53n)));
  assert.throws(() => readVarlong(minBeyond, 0), RangeError);
  const i64max = Buffer.from(refVarlong(2n ** 63n - 1n));
  assert.throws(() => readVarlong(i64max, 0), RangeError);
});

test('truncated input is a RangeError and leaves the cursor alone', () => {
  const cur = { pos: 1 };
  assert.throws(() => takeVarint(Buffer.from('0080', 'hex'), cur), RangeError);
  assert.equal(cur.pos, 1);
  assert.throws(() => takeVarlong(Buffer.from('ffff', 'hex'), { pos: 0 }), RangeError);
  assert.throws(() => readVarint(new Uint8Array(0), 0), RangeError);
});

test('out-of-range values and short buffers are rejected on write', () => {
  const buf = new Uint8Array(10);
  assert.throws(() => writeVarint(buf, 0, 2147483648), RangeError);
  assert.throws(() => writeVarint(buf, 0, 1.5), RangeError);
  assert.throws(() => writeUnsignedVarint(buf, 0, -1), RangeError);
  assert.throws(() => writeUnsignedVarint(buf, 0, 2 ** 32), RangeError);
  assert.throws(() => writeVarlong(buf, 0, 2 ** 53), RangeError);
  assert.throws(() => writeVarint(new Uint8Array(2), 0, 300000), RangeError);
  assert.throws(() => writeVarlong(new Uint8Array(3), 1, 1_700_000_000_000), RangeError);
});

test('the record decoder’s unbounded varint: the same values as takeVarint, NaN past 5 bytes', async () => {
  const { takeVarintUnbounded, takeVarint: checked } = await import('../../src/wire/varint.js');
  fc.assert(
    fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
      const buf = encodeWith(writeVarint, v);
      const a = { pos: 0 };
      const b = { pos: 0 };
      assert.equal(takeVarintUnbounded(buf, a), checked(buf, b));
      assert.equal(a.pos, b.pos);
    }),
    { numRuns: 1000 },
  );
  assert.ok(Number.isNaN(takeVarintUnbounded(Buffer.from('ffffffffff01', 'hex'), { pos: 0 })));
});
