// Compression codecs of Kafka record batches, by name and by attribute code.
// Owns: the broker's lookups between codec names and Kafka's attribute codes (0..4;
// the table itself is src/wire/codecs.ts's) and the sync compress/decompress entry
// points. Must not know about batch layout (that is src/protocol/record-batch.ts). Every decompression is bounded by a maximum output
// size, so a small hostile payload cannot make the broker allocate gigabytes.

import { COMPRESSION_CODES, type CompressionType } from '../wire/codecs.js';
import { DECOMPRESSED_BYTES_MAX_DEFAULT } from '../wire/records.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdAvailable, zstdCompress, zstdDecompress } from './zstd.js';

// The name ↔ code table itself is the client's (browser-safe, one copy for both).
export { COMPRESSION_CODES };
export type { CompressionType };

/** Codec names indexed by attribute code (the codes are 0..4, contiguous). */
const TYPES_BY_CODE: readonly CompressionType[] = (Object.keys(COMPRESSION_CODES) as CompressionType[]).sort((a, b) => COMPRESSION_CODES[a] - COMPRESSION_CODES[b]);

/** Default bound on one decompressed records section: the client codec's, one value for both. */
export { DECOMPRESSED_BYTES_MAX_DEFAULT };

export function compressionCode(type: CompressionType): number {
  const code = COMPRESSION_CODES[type];
  if (code === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${String(type)}`);
  return code;
}

/** The codec named by attribute code `code` (0..4); UNSUPPORTED_COMPRESSION_TYPE otherwise. */
export function compressionFromCode(code: number): CompressionType {
  const type = TYPES_BY_CODE[code];
  if (type === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression code ${code}`);
  return type;
}

/** Whether `type` can be used here (zstd needs the optional zstd-napi package). */
export function isCompressionAvailable(type: CompressionType): boolean {
  return type === 'zstd' ? zstdAvailable() : type in COMPRESSION_CODES;
}

export function compress(type: CompressionType, data: Uint8Array): Uint8Array {
  switch (type) {
    case 'none':
      return data;
    case 'gzip':
      return gzipCompress(data);
    case 'snappy':
      return snappyCompress(data);
    case 'lz4':
      return lz4Compress(data);
    case 'zstd':
      return zstdCompress(data);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${String(type)}`);
  }
}

/**
 * Decompresses `data`, never producing more than `maxOutputBytes`.
 * Malformed or oversized input: KafkaError(CORRUPT_MESSAGE); unknown or unavailable
 * codec: KafkaError(UNSUPPORTED_COMPRESSION_TYPE).
 */
export function decompress(
  type: CompressionType,
  data: Uint8Array,
  maxOutputBytes: number = DECOMPRESSED_BYTES_MAX_DEFAULT,
): Uint8Array {
  if (!Number.isInteger(maxOutputBytes) || maxOutputBytes < 0) throw new RangeError(`bad maxOutputBytes ${maxOutputBytes}`);
  switch (type) {
    case 'none':
      if (data.length > maxOutputBytes) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'input larger than the bound');
      return data;
    case 'gzip':
      return gzipDecompress(data, maxOutputBytes);
    case 'snappy':
      return snappyDecompress(data, maxOutputBytes);
    case 'lz4':
      return lz4Decompress(data, maxOutputBytes);
    case 'zstd':
      return zstdDecompress(data, maxOutputBytes);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type ${String(type)}`);
  }
}
