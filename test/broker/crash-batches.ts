// Deterministic batches for the crash test: batch i is the same bytes in parent and child.
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

const enc = new TextEncoder();

export function crashBatch(i: number): Uint8Array {
  const n = 1 + (i % 7);
  return encodeRecordBatch(
    Array.from({ length: n }, (_, j) => ({ key: enc.encode(`key-${i}`), value: enc.encode(`batch-${i}-record-${j}-${'x'.repeat((i * 31 + j) % 300)}`), timestamp: 1_700_000_000_000 + i })),
    {},
  );
}
