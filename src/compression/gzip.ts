// gzip codec for Kafka record batches (attribute code 1), on node:zlib.
// Owns: gzip compress/decompress with a bounded output. Must not know about
// record batches; errors leave as KafkaError(CORRUPT_MESSAGE).

import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, KafkaError } from '../wire/errors.js';

export function gzipCompress(data: Uint8Array): Uint8Array {
  return gzipSync(data);
}

/** Inflates `data`; zlib stops and throws once the output would pass `maxOutputBytes`. */
export function gzipDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  try {
    return gunzipSync(data, { maxOutputLength: maxOutputBytes });
  } catch (err) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `gzip: cannot decompress: ${(err as Error).message}`);
  }
}
