// Replays the fuzzers' corpus (test/fuzz/corpus/<target>/) and every finding kept as a
// regression (test/fuzz/regressions/<target>/) through the same targets the fuzzer runs,
// uninstrumented: each input must pass or fail only the way its boundary expects.
// Also the findings rebuilt by hand, each named after what the fuzzer found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './targets.js';
import { encodeRequest } from '../kafka/harness.js';
import { ListOffsetsRequestCodec } from '../../src/wire/schemas/02-list-offsets.js';
import { FetchRequestCodec } from '../../src/wire/schemas/01-fetch.js';

const FUZZ_SRC = fileURLToPath(new URL('../../../test/fuzz/', import.meta.url));

function replay(target: string, dir: string): number {
  if (!existsSync(dir)) return 0;
  const t = TARGETS[target]!;
  let n = 0;
  for (const name of readdirSync(dir).sort()) {
    const input = new Uint8Array(readFileSync(join(dir, name)));
    try {
      t.run(input);
    } catch (err) {
      assert.ok(t.expected(err), `${target}/${name}: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    }
    n++;
  }
  return n;
}

for (const target of Object.keys(TARGETS)) {
  test(`fuzz corpus and regressions replay cleanly: ${target}`, () => {
    const n = replay(target, join(FUZZ_SRC, 'corpus', target)) + replay(target, join(FUZZ_SRC, 'regressions', target));
    assert.ok(n > 0, `no inputs for ${target}`);
  });
}

/** Writes `hi`:`lo` as the int64 at `at` (found by searching for a marker value). */
function patchInt64(frame: Uint8Array, marker: number, hi: number, lo: number): Uint8Array {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  for (let i = 0; i + 8 <= frame.byteLength; i++) {
    if (dv.getInt32(i) === 0 && dv.getInt32(i + 4) === marker) {
      dv.setInt32(i, hi);
      dv.setUint32(i + 4, lo);
      return frame;
    }
  }
  throw new Error('marker not found');
}

test('fuzz finding (requests): an int64 past 2^53 (ListOffsets timestamp, Fetch offsets) decodes to a value that encodes again', () => {
  const lo = encodeRequest(ListOffsetsRequestCodec, 3, 1, { replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, timestamp: 0x5a5a5a, currentLeaderEpoch: -1 }] }] });
  const fe = encodeRequest(FetchRequestCodec, 12, 1, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 't', topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0x5a5a5a, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1000 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  for (const [frame, hi, lowWord] of [[lo, 0xff800000 | 0, 2], [fe, 0x00800000, 12345], [fe.slice(), 0x7fffffff, 0xffffffff]] as const) {
    TARGETS.requests!.run(patchInt64(frame.slice(), 0x5a5a5a, hi, lowWord));
  }
});
