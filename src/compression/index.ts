// Compression codecs of Kafka record batches, by name and by attribute code.
// Owns: the mapping between codec names and Kafka's attribute codes (0..4) and the
// sync compress/decompress entry points. Must not know about batch layout (that is
// src/protocol/record-batch.ts). Every decompression is bounded by a maximum output
// size, so a small hostile payload cannot make the broker allocate gigabytes.

import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { gzipCompress, gzipDecompress } from './gzip.js';
import { lz4Compress, lz4Decompress } from './lz4.js';
import { snappyCompress, snappyDecompress } from './snappy.js';
import { zstdAvailable, zstdCompress, zstdDecompress } from './zstd.js';

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** Kafka's codes in the low 3 bits of a batch's attributes. */
export const COMPRESSION_CODES: Readonly<Record<CompressionType, number>> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
};

const TYPES_BY_CODE: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** Default bound on one decompressed records section (Kafka batches are far smaller). */
export const DECOMPRESSED_BYTES_MAX_DEFAULT = 256 * 1024 * 1024;

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
