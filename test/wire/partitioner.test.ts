// Tests for src/wire/partitioner.ts: Kafka's published murmur2 vectors (apache/kafka
// UtilsTest.testMurmur2), agreement with an independent BigInt port
// (@platformatic/kafka's murmur2) on random keys, and partition ranges.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { murmur2, partitionForKey, toPositive } from '../../src/wire/partitioner.js';

const utf8 = new TextEncoder();

test("murmur2 matches Kafka's UtilsTest.testMurmur2 vectors", () => {
  const cases: Array<[Uint8Array, number]> = [
    [utf8.encode('21'), -973932308],
    [utf8.encode('foobar'), -790332482],
    [utf8.encode('a-little-bit-long-string'), -985981536],
    [utf8.encode('a-little-bit-longer-string'), -1486304829],
    [utf8.encode('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'), -58897971],
    [Uint8Array.of(0x61, 0x62, 0x63), 479470107],
  ];
  for (const [key, expected] of cases) assert.equal(murmur2(key), expected, Buffer.from(key).toString());
});

test('murmur2 agrees with an independent port on random keys of every tail length', async (t) => {
  let theirs: (data: Buffer) => number;
  try {
    const specifier = '@platformatic/kafka';
    theirs = ((await import(specifier)) as { murmur2: (data: Buffer) => number }).murmur2;
  } catch {
    t.skip('@platformatic/kafka does not load here');
    return;
  }
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
      assert.equal(murmur2(key), theirs(Buffer.from(key)));
    }),
    { numRuns: 300 },
  );
});

test('partitionForKey = toPositive(murmur2(key)) % n, always in range', () => {
  // "foobar" hashes to -790332482: & 0x7fffffff = 1357151166; % 50 = 16.
  assert.equal(partitionForKey(utf8.encode('foobar'), 50), 16);
  assert.equal(partitionForKey(utf8.encode('foobar'), 1), 0);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 1, max: 10_000 }), (key, n) => {
      const p = partitionForKey(key, n);
      assert.ok(Number.isInteger(p) && p >= 0 && p < n);
      assert.equal(p, toPositive(murmur2(key)) % n);
    }),
    { numRuns: 300 },
  );
});

test('toPositive clears the sign bit, unlike Math.abs on MIN_VALUE', () => {
  assert.equal(toPositive(-2147483648), 0);
  assert.equal(toPositive(-1), 0x7fffffff);
  assert.equal(toPositive(5), 5);
});

test('bad partition counts are RangeErrors', () => {
  const key = utf8.encode('k');
  for (const n of [0, -1, 1.5, Number.NaN, 2 ** 31]) assert.throws(() => partitionForKey(key, n), RangeError);
});
