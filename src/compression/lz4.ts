// LZ4 codec for Kafka record batches (attribute code 3), on `lz4-napi`.
// Owns: LZ4 *frame* format compression (what Kafka's magic-2 batches carry and what
// the Java client and librdkafka read) and a structural walk of untrusted frames that
// bounds the decompressed size before the library allocates it. Must not know about
// record batches.
//
// lz4-napi's compressFrameSync writes a standard frame: magic 0x184D2204, FLG 0x60
// (version 01, independent blocks, no checksums, no content size), BD 0x40 (64 KiB
// blocks): the same settings as Kafka's KafkaLZ4BlockOutputStream.

import { createRequire } from 'node:module';
import type * as Lz4Napi from 'lz4-napi';
import { ErrorCode, KafkaError } from '../wire/errors.js';

// Loaded on first use, not at import: most brokers never see an lz4 batch, and the
// native module costs start-up time (every `samsa serve` imports this file).
let lz4Module: typeof Lz4Napi | null = null;
function lz4(): typeof Lz4Napi {
  lz4Module ??= createRequire(import.meta.url)('lz4-napi') as typeof Lz4Napi;
  return lz4Module;
}

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const LZ4_SKIPPABLE_MAGIC = 0x184d2a50;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_01 = 0x40;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_UNCOMPRESSED_FLAG = 0x8000_0000;
const TWO_POW_32 = 0x1_0000_0000;
/** Block maximum sizes by BD bits 6..4 (values 4..7); others are invalid. */
const BLOCK_MAX_BYTES_BY_ID = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `lz4: ${why}`);
}

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function lz4Compress(data: Uint8Array): Uint8Array {
  return lz4().compressFrameSync(asBuffer(data));
}

/**
 * Walks the frames in `data` without decompressing and returns an upper bound on the
 * decompressed size (each compressed block can produce at most the frame's block
 * maximum; a stored block produces exactly its size). Throws CORRUPT_MESSAGE on a
 * malformed structure. Every step advances by at least 4 bytes, so the walk is
 * bounded by the input length.
 */
export function lz4FrameOutputBound(data: Uint8Array): number {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let pos = 0;
  let bound = 0;
  if (data.length < 4) throw corrupt('input shorter than a frame magic');
  while (pos < data.length) {
    if (data.length - pos < 4) throw corrupt('truncated frame magic');
    const magic = dv.getUint32(pos, true);
    if ((magic & LZ4_SKIPPABLE_MAGIC_MASK) >>> 0 === LZ4_SKIPPABLE_MAGIC) {
      if (data.length - pos < 8) throw corrupt('truncated skippable frame');
      const skip = dv.getUint32(pos + 4, true);
      if (skip > data.length - pos - 8) throw corrupt('skippable frame overruns the input');
      pos += 8 + skip;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)}`);
    pos += 4;
    if (data.length - pos < 3) throw corrupt('truncated frame descriptor');
    const flg = data[pos]!;
    const bd = data[pos + 1]!;
    if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_01) throw corrupt('unsupported frame version');
    const blockMaxBytes = BLOCK_MAX_BYTES_BY_ID[(bd >> 4) & 0x07]!;
    if (blockMaxBytes === 0) throw corrupt('invalid block maximum size');
    const descriptorBytes = 2 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0) + 1;
    if (data.length - pos < descriptorBytes) throw corrupt('truncated frame descriptor');
    if (flg & FLG_CONTENT_SIZE) {
      const declared = dv.getUint32(pos + 2, true) + dv.getUint32(pos + 6, true) * TWO_POW_32;
      // A declared size is a promise the decoder checks; it is also a tighter bound.
      if (!Number.isSafeInteger(declared)) throw corrupt('declared content size too large');
    }
    pos += descriptorBytes;
    const blockChecksumBytes = flg & FLG_BLOCK_CHECKSUM ? 4 : 0;
    for (;;) {
      if (data.length - pos < 4) throw corrupt('truncated block header');
      const word = dv.getUint32(pos, true);
      pos += 4;
      if (word === 0) break; // EndMark
      const stored = (word & BLOCK_UNCOMPRESSED_FLAG) !== 0;
      const blockBytes = (word & ~BLOCK_UNCOMPRESSED_FLAG) >>> 0;
      if (blockBytes > blockMaxBytes) throw corrupt(`block of ${blockBytes} bytes exceeds the frame's ${blockMaxBytes}`);
      if (blockBytes + blockChecksumBytes > data.length - pos) throw corrupt('block overruns the input');
      pos += blockBytes + blockChecksumBytes;
      bound += stored ? blockBytes : blockMaxBytes;
    }
    if (flg & FLG_CONTENT_CHECKSUM) {
      if (data.length - pos < 4) throw corrupt('truncated content checksum');
      pos += 4;
    }
  }
  return bound;
}

/** Decompresses an LZ4 frame; refuses frames whose structure allows more than `maxOutputBytes`. */
export function lz4Decompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  const bound = lz4FrameOutputBound(data);
  if (bound > maxOutputBytes) throw corrupt(`frame may expand to ${bound} bytes, more than the ${maxOutputBytes} allowed`);
  let out: Buffer;
  try {
    out = lz4().decompressFrameSync(asBuffer(data));
  } catch (err) {
    throw corrupt(`cannot decompress: ${(err as Error).message}`);
  }
  if (out.length > maxOutputBytes) throw corrupt(`decompressed to ${out.length} bytes, more than ${maxOutputBytes}`);
  return out;
}
