// Tests for src/compression: round trips for every codec, the wire formats Kafka
// clients expect (xerial snappy framing, standard LZ4 frames), interop with an
// independent implementation (@platformatic/wasm-utils' Rust/wasm lz4 and snappy),
// and the bounds: garbage and decompression bombs give KafkaError, never a crash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { compressSync as snappyRawCompress } from 'snappy';
import {
  COMPRESSION_CODES,
  compress,
  compressionCode,
  compressionFromCode,
  decompress,
  isCompressionAvailable,
} from '../../src/compression/index.js';
import type { CompressionType } from '../../src/compression/index.js';
import { lz4FrameOutputBound } from '../../src/compression/lz4.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';

// zstd-napi is an optional dependency: test zstd only where it is installed.
const ZSTD = isCompressionAvailable('zstd');
const CODECS: CompressionType[] = ZSTD ? ['none', 'gzip', 'snappy', 'lz4', 'zstd'] : ['none', 'gzip', 'snappy', 'lz4'];
const COMPRESSED: CompressionType[] = CODECS.filter((c) => c !== 'none');

/** The parts of @platformatic/wasm-utils (a transitive dev dependency) used for interop. */
interface WasmUtils {
  lz4Compress(data: Buffer): Buffer;
  lz4Decompress(data: Buffer): Buffer;
  snappyCompress(data: Buffer): Buffer;
}

/** The part of zstd-napi's high-level API used to make frames without a content size. */
interface ZstdStreams {
  CompressStream: new () => import('node:stream').Transform;
}

function isKafkaError(code: number): (err: unknown) => boolean {
  return (err: unknown) => err instanceof KafkaError && err.code === code;
}

/** Compressible but not trivial input. */
function sample(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) out[i] = (i * 31) % 251 < 64 ? 0x61 + (i % 7) : (i * 2654435761) >>> 24;
  return out;
}

test('codes are Kafka attribute codes 0..4 and map both ways', () => {
  assert.deepEqual(COMPRESSION_CODES, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 });
  for (const c of CODECS) assert.equal(compressionFromCode(compressionCode(c)), c);
  for (const bad of [5, 6, 7, -1]) {
    assert.throws(() => compressionFromCode(bad), isKafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
  }
  assert.throws(() => compress('brotli' as CompressionType, new Uint8Array(1)), isKafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
});

test('zstd without zstd-napi is UNSUPPORTED_COMPRESSION_TYPE; with it, available', (t) => {
  if (ZSTD) {
    assert.equal(isCompressionAvailable('zstd'), true);
    return;
  }
  assert.throws(() => compress('zstd', new Uint8Array(1)), isKafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
  t.diagnostic('zstd-napi not installed: zstd tests skipped');
});

test('every codec round-trips arbitrary bytes', () => {
  fc.assert(
    fc.property(fc.constantFrom(...CODECS), fc.uint8Array({ maxLength: 4096 }), (codec, data) => {
      const back = decompress(codec, compress(codec, data));
      assert.deepEqual(Buffer.from(back), Buffer.from(data));
    }),
    { numRuns: 150 },
  );
});

test('every codec round-trips multi-block inputs (past snappy 32 KiB and lz4 64 KiB blocks)', () => {
  const data = sample(300 * 1024);
  for (const codec of CODECS) {
    const packed = compress(codec, data);
    if (codec !== 'none') assert.ok(packed.length < data.length, `${codec} compresses`);
    assert.ok(Buffer.from(decompress(codec, packed)).equals(Buffer.from(data)), codec);
  }
});

test('snappy writes the xerial framing the Java client and librdkafka use', () => {
  const data = sample(70 * 1024);
  const packed = compress('snappy', data);
  assert.equal(Buffer.from(packed.subarray(0, 8)).toString('hex'), '82534e4150505900');
  const dv = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  assert.equal(dv.getInt32(8), 1); // version
  assert.equal(dv.getInt32(12), 1); // minimum compatible version
  // Three blocks for 70 KiB of input at 32 KiB per block, each [u32 BE length][raw snappy].
  let pos = 16;
  let blocks = 0;
  while (pos < packed.length) {
    const n = dv.getUint32(pos);
    pos += 4 + n;
    blocks++;
  }
  assert.equal(pos, packed.length);
  assert.equal(blocks, 3);
});

test('snappy decompress accepts raw (unframed) snappy too', () => {
  const data = sample(10_000);
  const raw = snappyRawCompress(data);
  assert.ok(Buffer.from(decompress('snappy', raw)).equals(Buffer.from(data)));
});

test('snappy decompress accepts concatenated xerial streams', () => {
  const a = sample(1000);
  const b = sample(2000).reverse();
  const both = Buffer.concat([compress('snappy', a), compress('snappy', b)]);
  assert.ok(Buffer.from(decompress('snappy', both)).equals(Buffer.concat([a, b])));
});

test('lz4 writes a standard LZ4 frame with Kafka settings (independent blocks, 64 KiB)', () => {
  const packed = compress('lz4', sample(1000));
  assert.equal(Buffer.from(packed.subarray(0, 4)).toString('hex'), '04224d18'); // magic 0x184D2204 LE
  assert.equal(packed[4]! & 0xc0, 0x40); // version 01
  assert.equal(packed[4]! & 0x20, 0x20); // block independence
  assert.equal(packed[5], 0x40); // 64 KiB blocks
});

test('lz4 decompress accepts frames with block and content checksums', async () => {
  const { compressFrameSync } = await import('lz4-napi');
  const data = Buffer.from(sample(200 * 1024));
  const packed = compressFrameSync(data, { contentChecksum: true, blockChecksums: true });
  assert.ok(Buffer.from(decompress('lz4', packed)).equals(data));
});

test('interop with an independent implementation (@platformatic/wasm-utils)', async (t) => {
  let wasm: WasmUtils;
  try {
    const specifier = '@platformatic/wasm-utils';
    wasm = (await import(specifier)) as WasmUtils;
  } catch {
    t.skip('@platformatic/wasm-utils does not load on this Node');
    return;
  }
  for (const size of [0, 1, 100, 70_000, 200_000]) {
    const data = Buffer.from(sample(size));
    // lz4 frames both ways.
    assert.ok(Buffer.from(decompress('lz4', wasm.lz4Compress(data))).equals(data), `their lz4 → us (${size})`);
    assert.ok(wasm.lz4Decompress(Buffer.from(compress('lz4', data))).equals(data), `our lz4 → them (${size})`);
    // Their snappy is raw; we must read it.
    assert.ok(Buffer.from(decompress('snappy', wasm.snappyCompress(data))).equals(data), `their snappy → us (${size})`);
  }
});

test('garbage input is a KafkaError for every compressed codec', () => {
  const garbage = [new Uint8Array(0), Uint8Array.of(1), Buffer.from('this is not compressed at all, not even a little')];
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), (bytes) => {
      for (const codec of COMPRESSED) {
        try {
          decompress(codec, bytes);
        } catch (err) {
          assert.ok(err instanceof KafkaError, `${codec}: ${String(err)}`);
        }
      }
    }),
    { numRuns: 200 },
  );
  for (const codec of COMPRESSED) {
    for (const g of garbage) {
      // An empty input may legitimately decode to nothing for some codecs; anything thrown must be a KafkaError.
      try {
        decompress(codec, g);
      } catch (err) {
        assert.ok(err instanceof KafkaError, `${codec}: ${String(err)}`);
      }
    }
  }
});

test('truncated compressed data is a KafkaError, not a crash', () => {
  const data = sample(100_000);
  for (const codec of COMPRESSED) {
    const packed = compress(codec, data);
    // (xerial snappy has no end marker: a cut exactly between blocks is undetectable
    // here, so cut points avoid the 16-byte header boundary; the batch layer catches it.)
    for (const cut of [1, 7, 15, 17, Math.floor(packed.length / 2), packed.length - 1]) {
      assert.throws(() => decompress(codec, packed.subarray(0, cut)), (err: unknown) => err instanceof KafkaError, `${codec} cut at ${cut}`);
    }
  }
});

test('decompression bombs stop at the output bound', () => {
  const zeros = new Uint8Array(4 * 1024 * 1024);
  for (const codec of COMPRESSED) {
    const packed = compress(codec, zeros);
    assert.ok(packed.length < zeros.length / 16, `${codec} packs zeros small`);
    assert.throws(() => decompress(codec, packed, 1024 * 1024), isKafkaError(ErrorCode.CORRUPT_MESSAGE), codec);
    assert.equal(decompress(codec, packed, zeros.length).length, zeros.length, codec);
  }
  assert.throws(() => decompress('none', zeros, 10), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
});

test('a snappy preamble that declares 4 GiB is refused before allocating', () => {
  // varint 0xffffffff then a literal: the preamble alone claims 4 GiB.
  const hostile = Buffer.from('ffffffff0f0061', 'hex');
  assert.throws(() => decompress('snappy', hostile), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
});

test('an lz4 frame whose structure allows more than the bound is refused before decompressing', () => {
  // 4 MiB maximum blocks, 100 one-byte compressed blocks: may expand to 400 MiB.
  const parts = [Buffer.from('04224d18' + '60' + '70' + '00', 'hex')];
  for (let i = 0; i < 100; i++) parts.push(Buffer.from('0100000000', 'hex'));
  parts.push(Buffer.from('00000000', 'hex'));
  const frame = Buffer.concat(parts);
  assert.equal(lz4FrameOutputBound(frame), 100 * 4 * 1024 * 1024);
  assert.throws(() => decompress('lz4', frame), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
  // A block larger than the frame's maximum is malformed.
  const oversized = Buffer.concat([Buffer.from('04224d18604000', 'hex'), Buffer.from('01000100', 'hex')]);
  assert.throws(() => lz4FrameOutputBound(oversized), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
});

test('zstd frames without a content size (streaming compressors) decode, within the bound', { skip: !ZSTD }, async () => {
  const require = createRequire(import.meta.url);
  const { CompressStream } = require('zstd-napi') as ZstdStreams;
  async function streamCompress(data: Uint8Array): Promise<Buffer> {
    const s = new CompressStream();
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    const done = new Promise<void>((resolve, reject) => {
      s.on('end', resolve);
      s.on('error', reject);
    });
    s.end(Buffer.from(data));
    await done;
    return Buffer.concat(chunks);
  }
  const data = sample(500_000);
  const packed = await streamCompress(data);
  assert.ok(Buffer.from(decompress('zstd', packed)).equals(Buffer.from(data)));
  const bomb = await streamCompress(new Uint8Array(8 * 1024 * 1024));
  assert.throws(() => decompress('zstd', bomb, 1024 * 1024), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
  // Two frames back to back, one with and one without a content size.
  const both = Buffer.concat([Buffer.from(compress('zstd', data)), packed]);
  assert.equal(decompress('zstd', both).length, 2 * data.length);
  assert.throws(() => decompress('zstd', packed.subarray(0, packed.length - 3)), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
});
