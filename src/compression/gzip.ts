// gzip codec for Kafka record batches (attribute code 1), on node:zlib.
// Owns: gzip compress/decompress with a bounded output. Must not know about
// record batches; errors leave as KafkaError(CORRUPT_MESSAGE).

import { createRequire } from 'node:module';
import { ErrorCode, KafkaError } from '../wire/errors.js';

// node:zlib is loaded on the first gzip batch, not by every thread that registers the
// codecs at start-up (issue 14: ~1-2 ms per thread, and most brokers never see gzip).
let zlib: typeof import('node:zlib') | null = null;
const z = (): typeof import('node:zlib') => (zlib ??= createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib'));

export function gzipCompress(data: Uint8Array): Uint8Array {
  return z().gzipSync(data);
}

/** Inflates `data`; zlib stops and throws once the output would pass `maxOutputBytes`. */
export function gzipDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  try {
    return z().gunzipSync(data, { maxOutputLength: maxOutputBytes });
  } catch (err) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `gzip: cannot decompress: ${(err as Error).message}`);
  }
}
