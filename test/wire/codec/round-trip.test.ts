// Round trips of every schema at every version, both directions, plus golden bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Reader } from '../../../src/wire/codec/reader.js';
import { SCHEMAS } from '../../../src/wire/schemas/index.js';
import type { MessageCodec } from '../../../src/wire/codec/compile.js';
import { messageArbitrary } from './arbitrary.js';

function roundTrip(codec: MessageCodec<object>, version: number): void {
  const arb = messageArbitrary(codec.def, version, codec.isFlexible(version));
  fc.assert(
    fc.property(arb, (value) => {
      const bytes = codec.encodeToBytes(value, version);
      const r = new Reader(bytes);
      const decoded = codec.decode(r, version);
      assert.equal(r.remaining(), 0, 'decoder must consume every byte');
      assert.deepStrictEqual(decoded, value);
    }),
    { numRuns: 25 },
  );
}

for (const s of SCHEMAS) {
  for (const codec of [s.request, s.response]) {
    test(`${codec.def.name} round-trips at v${codec.versions.min}-v${codec.versions.max}`, () => {
      for (let v = codec.versions.min; v <= codec.versions.max; v++) roundTrip(codec, v);
    });
  }
}
