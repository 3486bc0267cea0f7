// Byte helpers of the HTTP layer: strict base64, Content-Length, close reasons, UTF-8.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { closeReason, concatBytes, decodeBase64, encodeBase64, fromUtf8Strict, parseContentLength } from '../../src/http/bytes.js';

test('base64 is strict: padded standard alphabet only, and round-trips', () => {
  assert.deepEqual([...decodeBase64('AAEC')!], [0, 1, 2]);
  assert.deepEqual([...decodeBase64('')!], []);
  for (const bad of ['A', 'AA', 'AAE', 'AA==A', 'A-B_', 'AA=A', '****', 'AAEC ']) assert.equal(decodeBase64(bad), null, bad);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
      assert.deepEqual([...decodeBase64(encodeBase64(b))!], [...b]);
    }),
    { numRuns: 100 },
  );
});

test('Content-Length: absent, digits, or malformed', () => {
  assert.equal(parseContentLength(''), null);
  assert.equal(parseContentLength('42'), 42);
  assert.ok(Number.isNaN(parseContentLength('-1')!));
  assert.ok(Number.isNaN(parseContentLength('1e3')!));
  assert.ok(Number.isNaN(parseContentLength('9'.repeat(20))!));
});

test('close reasons are cut to 123 bytes at a character boundary', () => {
  assert.equal(closeReason('short'), 'short');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
      const r = closeReason(s);
      assert.ok(Buffer.byteLength(r) <= 123);
      assert.ok(s.startsWith(r));
    }),
    { numRuns: 200 },
  );
});

test('concatBytes joins chunks and checks the total; strict UTF-8 refuses bad bytes', () => {
  assert.deepEqual([...concatBytes([Uint8Array.of(1), Uint8Array.of(2, 3)], 3)], [1, 2, 3]);
  assert.throws(() => concatBytes([Uint8Array.of(1)], 2), /expected 2/);
  assert.equal(fromUtf8Strict(Buffer.from('héllo')), 'héllo');
  assert.equal(fromUtf8Strict(Uint8Array.of(0xff, 0xfe)), null);
});
