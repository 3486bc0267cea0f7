// zstd codec for Kafka record batches (attribute code 4), on the optional `zstd-napi`.
// Owns: lazy loading of the native binding (missing → UNSUPPORTED_COMPRESSION_TYPE),
// and a decompression that never allocates more than its bound, even when a frame
// header lies about, or omits, its content size. Must not know about record batches.
//
// We call zstd-napi's low-level binding (not its high-level `decompress`), because the
// high-level one allocates whatever the frame header declares.

import { createRequire } from 'node:module';
import { ErrorCode, KafkaError } from '../wire/errors.js';

/** The part of zstd-napi's binding this codec uses (typed here so the dependency stays optional). */
interface ZstdBinding {
  CCtx: new () => { compress(dst: Uint8Array, src: Uint8Array, level: number): number };
  DCtx: new () => {
    decompress(dst: Uint8Array, src: Uint8Array): number;
    decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
    reset(directive: number): void;
  };
  ResetDirective: { sessionOnly: number };
  compressBound(srcBytes: number): number;
  getFrameContentSize(frame: Uint8Array): number | null;
  findFrameCompressedSize(frame: Uint8Array): number;
  dStreamOutSize(): number;
}

/** Kafka's default zstd level (compression.zstd.level). */
const ZSTD_LEVEL_DEFAULT = 3;

let loaded: { binding: ZstdBinding; cctx: InstanceType<ZstdBinding['CCtx']>; dctx: InstanceType<ZstdBinding['DCtx']> } | null = null;
let loadFailed = false;

function load(): NonNullable<typeof loaded> {
  if (loaded !== null) return loaded;
  if (!loadFailed) {
    try {
      const require = createRequire(import.meta.url);
      const binding = require('zstd-napi/binding') as ZstdBinding;
      loaded = { binding, cctx: new binding.CCtx(), dctx: new binding.DCtx() };
      return loaded;
    } catch {
      loadFailed = true;
    }
  }
  throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, 'zstd: the optional zstd-napi package is not installed');
}

/** True when the zstd binding loads on this machine. */
export function zstdAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

function corrupt(why: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `zstd: ${why}`);
}

export function zstdCompress(data: Uint8Array, level = ZSTD_LEVEL_DEFAULT): Uint8Array {
  const { binding, cctx } = load();
  const out = Buffer.allocUnsafe(binding.compressBound(data.length));
  const written = cctx.compress(out, data, level);
  return out.subarray(0, written);
}

/**
 * Sum of the content sizes the frames in `data` declare, or null when any frame
 * omits it (streaming compressors such as zstd-jni's do). Throws CORRUPT_MESSAGE on
 * a malformed frame. Each step consumes at least one frame header, so it is bounded.
 */
function declaredContentBytes(binding: ZstdBinding, data: Uint8Array): number | null {
  let total = 0;
  let rest = data;
  while (rest.length > 0) {
    let size: number | null;
    let frameBytes: number;
    try {
      size = binding.getFrameContentSize(rest);
      frameBytes = binding.findFrameCompressedSize(rest);
    } catch (err) {
      throw corrupt(`bad frame: ${(err as Error).message}`);
    }
    if (size === null) return null;
    if (frameBytes <= 0 || frameBytes > rest.length) throw corrupt('frame overruns the input');
    total += size;
    rest = rest.subarray(frameBytes);
  }
  return total;
}

/** Decompresses one or more zstd frames; never produces more than `maxOutputBytes`. */
export function zstdDecompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  const { binding, dctx } = load();
  if (data.length === 0) throw corrupt('empty input');
  const declared = declaredContentBytes(binding, data);
  if (declared !== null) {
    if (declared > maxOutputBytes) throw corrupt(`frames declare ${declared} bytes, more than the ${maxOutputBytes} allowed`);
    const out = Buffer.allocUnsafe(declared);
    let written: number;
    try {
      dctx.reset(binding.ResetDirective.sessionOnly);
      written = dctx.decompress(out, data);
    } catch (err) {
      throw corrupt(`cannot decompress: ${(err as Error).message}`);
    }
    if (written !== declared) throw corrupt('frames decompressed to a size other than declared');
    return out;
  }
  return decompressStreaming(binding, dctx, data, maxOutputBytes);
}

function decompressStreaming(
  binding: ZstdBinding,
  dctx: InstanceType<ZstdBinding['DCtx']>,
  data: Uint8Array,
  maxOutputBytes: number,
): Uint8Array {
  const chunkBytes = binding.dStreamOutSize();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let input = data;
  // Every productive iteration consumes input or produces output; an idle one ends the
  // loop with an error, and output is capped, so the count below is never reached.
  const iterationsMax = data.length + Math.ceil(maxOutputBytes / chunkBytes) + 2;
  try {
    dctx.reset(binding.ResetDirective.sessionOnly);
    for (let i = 0; i < iterationsMax; i++) {
      const out = Buffer.allocUnsafe(chunkBytes);
      const [remaining, produced, consumed] = dctx.decompressStream(out, input);
      input = input.subarray(consumed);
      if (produced > 0) {
        total += produced;
        if (total > maxOutputBytes) throw corrupt(`output passes the ${maxOutputBytes} bytes allowed`);
        chunks.push(out.subarray(0, produced));
      }
      if (remaining === 0 && input.length === 0) return concat(chunks, total);
      if (produced === 0 && consumed === 0) throw corrupt('truncated frame');
    }
  } catch (err) {
    if (err instanceof KafkaError) throw err;
    throw corrupt(`cannot decompress: ${(err as Error).message}`);
  }
  throw corrupt('decompression did not finish');
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}
