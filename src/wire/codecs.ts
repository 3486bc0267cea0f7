// The client's registry of native helpers: compression codecs by Kafka attribute
// code and the CRC-32C function. Owns: the registry and its defaults (no
// compression codecs, the plain-JS CRC). Must not import Node built-ins or native
// packages: the Node entry (node-codecs.ts, loaded by index.ts) fills the registry
// with node:zlib/snappy/lz4-napi/zstd-napi and @node-rs/crc32; a browser app may
// register its own (e.g. a wasm zstd) with registerCompression.

import { crc32cJs } from './crc32c.js';
import { ErrorCode, KafkaError } from './errors.js';

export type CompressionType = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface CompressionCodec {
  compress(data: Uint8Array): Uint8Array;
  /** Must refuse (throw) rather than produce more than `maxOutputBytes`. */
  decompress(data: Uint8Array, maxOutputBytes: number): Uint8Array;
  /** False when the codec is registered but cannot run here (an optional native package is missing). */
  available?(): boolean;
}

/** Kafka's codes in the low 3 bits of a batch's attributes. */
export const COMPRESSION_CODES: Readonly<Record<CompressionType, number>> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };
const TYPES_BY_CODE: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const codecs: Array<CompressionCodec | undefined> = [undefined, undefined, undefined, undefined, undefined];
let crcImpl: (data: Uint8Array) => number = crc32cJs;
let crcName = 'js';

export function isCompressionType(v: unknown): v is CompressionType {
  return typeof v === 'string' && Object.hasOwn(COMPRESSION_CODES, v);
}

export function registerCompression(type: Exclude<CompressionType, 'none'>, codec: CompressionCodec): void {
  if (!isCompressionType(type) || (type as CompressionType) === 'none') throw new TypeError(`unknown compression type ${String(type)}`);
  codecs[COMPRESSION_CODES[type]] = codec;
}

/** Whether batches with this codec can be written and read here. */
export function isCompressionAvailable(type: CompressionType): boolean {
  if (type === 'none') return true;
  const c = codecs[COMPRESSION_CODES[type]];
  return c !== undefined && (c.available === undefined || c.available());
}

/** The codec for a batch attribute code (0..4); UNSUPPORTED_COMPRESSION_TYPE when unknown or unregistered. */
export function codecForCode(code: number): CompressionCodec {
  const c = codecs[code];
  if (c === undefined) {
    const name = TYPES_BY_CODE[code];
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      name === undefined ? `unknown compression code ${code}` : `no ${name} codec registered in this client (registerCompression)`,
    );
  }
  return c;
}

/** Registers the CRC-32C implementation; `name` says which (the server asserts 'native' where it checks batches). */
export function setCrc32c(fn: (data: Uint8Array) => number, name = 'custom'): void {
  crcImpl = fn;
  crcName = name;
}

/** Which CRC-32C implementation is registered: 'js' (the default), 'native' (the Node fill), or another name. */
export function crc32cName(): string {
  return crcName;
}

/** CRC-32C with the registered implementation (native in Node, plain JS otherwise). */
export function crc32c(data: Uint8Array): number {
  return crcImpl(data);
}
