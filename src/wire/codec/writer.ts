// Growable writer of Kafka protocol primitives.
// Owns: encoding of fixed-width ints, varints, strings, bytes and uuids into a list
// of chunks. Must not use Node built-ins (the browser client shares this file).
//
// Why chunks: a Fetch response carries stored record batches that can be megabytes.
// Byte fields of at least ZERO_COPY_MIN_BYTES are kept as references (not copied);
// a TCP connection writes the chunk list as is (one writev), and `finish()` copies
// everything once into one array for framings that need a single message.

import { VARINT_BYTES_MAX, writeUnsignedVarint, writeVarint } from '../varint.js';
import { EncodeError } from './errors.js';

const TWO_POW_32 = 0x1_0000_0000;
/** Byte fields at least this long are referenced, not copied. */
export const ZERO_COPY_MIN_BYTES = 4096;
const INITIAL_BYTES = 512;
const utf8Encoder = new TextEncoder();

export class Writer {
  private buf: Uint8Array;
  private dv: DataView;
  /** Write position in `buf`. */
  private pos = 0;
  /** Start in `buf` of the bytes not yet moved to `chunks`. */
  private segmentStart = 0;
  private readonly chunks: Uint8Array[] = [];
  private chunksBytes = 0;

  constructor(initialBytes = INITIAL_BYTES) {
    this.buf = new Uint8Array(Math.max(16, initialBytes));
    this.dv = new DataView(this.buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.chunksBytes + (this.pos - this.segmentStart);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    // Move what is written to the chunk list and continue in a fresh buffer, so
    // no byte is ever copied twice on the way to `finish()`.
    this.sealSegment();
    const size = Math.max(n, this.buf.byteLength * 2);
    this.buf = new Uint8Array(size);
    this.dv = new DataView(this.buf.buffer);
    this.pos = 0;
    this.segmentStart = 0;
  }

  private sealSegment(): void {
    if (this.pos > this.segmentStart) {
      this.chunks.push(this.buf.subarray(this.segmentStart, this.pos));
      this.chunksBytes += this.pos - this.segmentStart;
    }
    this.segmentStart = this.pos;
  }

  int8(v: number): void {
    this.ensure(1);
    this.dv.setInt8(this.pos, v);
    this.pos += 1;
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.dv.setInt16(this.pos, v);
    this.pos += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.dv.setUint16(this.pos, v);
    this.pos += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.pos, v);
    this.pos += 4;
  }

  uint32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.pos, v);
    this.pos += 4;
  }

  /** An int64 from a JS number (exact below 2^53). */
  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new EncodeError(`int64 value ${v} is not a safe integer`);
    this.ensure(8);
    const hi = Math.floor(v / TWO_POW_32);
    this.dv.setInt32(this.pos, hi);
    this.dv.setUint32(this.pos + 4, v - hi * TWO_POW_32);
    this.pos += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.pos, v);
    this.pos += 8;
  }

  uvarint(v: number): void {
    if (!(v >= 0 && v <= 0xffff_ffff && Number.isInteger(v))) throw new EncodeError(`uvarint value ${v} out of range`);
    this.ensure(VARINT_BYTES_MAX);
    this.pos = writeUnsignedVarint(this.buf, this.pos, v);
  }

  varint(v: number): void {
    if (!(v >= -0x8000_0000 && v <= 0x7fff_ffff && Number.isInteger(v))) throw new EncodeError(`varint value ${v} out of range`);
    this.ensure(VARINT_BYTES_MAX);
    this.pos = writeVarint(this.buf, this.pos, v);
  }

  /** Appends bytes: copied when small, referenced when large (see ZERO_COPY_MIN_BYTES). */
  raw(bytes: Uint8Array): void {
    if (bytes.byteLength >= ZERO_COPY_MIN_BYTES) {
      this.sealSegment();
      this.chunks.push(bytes);
      this.chunksBytes += bytes.byteLength;
      return;
    }
    this.ensure(bytes.byteLength);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.byteLength;
  }

  /** UTF-8 bytes of a string; the caller writes the length prefix from the result's length. */
  static utf8(s: string): Uint8Array {
    return utf8Encoder.encode(s);
  }

  /** Writes a string with its length prefix; `prefix` writes the byte length. */
  stringWith(s: string, prefix: (byteLength: number) => void): void {
    // ASCII fast path: most names are ASCII, and its byte length is its char length.
    let ascii = s.length <= 256;
    if (ascii) {
      for (let i = 0; i < s.length; i++) {
        if (s.charCodeAt(i) >= 0x80) {
          ascii = false;
          break;
        }
      }
    }
    if (ascii) {
      prefix(s.length);
      this.ensure(s.length);
      for (let i = 0; i < s.length; i++) this.buf[this.pos + i] = s.charCodeAt(i);
      this.pos += s.length;
      return;
    }
    const bytes = utf8Encoder.encode(s);
    prefix(bytes.byteLength);
    this.raw(bytes);
  }

  /** 32 hex chars as 16 bytes. */
  uuid(hex: string): void {
    if (hex.length !== 32) throw new EncodeError(`uuid must be 32 hex chars, got ${hex.length}`);
    this.ensure(16);
    for (let i = 0; i < 16; i++) {
      const b = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
      if (Number.isNaN(b)) throw new EncodeError(`uuid has a non-hex char: ${hex}`);
      this.buf[this.pos + i] = b;
    }
    this.pos += 16;
  }

  /** The bytes written, as chunks (large byte fields by reference). The writer must not be used after. */
  finishChunks(): Uint8Array[] {
    this.sealSegment();
    return this.chunks;
  }

  /** The bytes written, as one array. The writer must not be used after. */
  finish(): Uint8Array {
    const chunks = this.finishChunks();
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(this.chunksBytes);
    let p = 0;
    for (const c of chunks) {
      out.set(c, p);
      p += c.byteLength;
    }
    return out;
  }
}

/** Total bytes of a chunk list. */
export function chunksLength(chunks: readonly Uint8Array[]): number {
  let n = 0;
  for (const c of chunks) n += c.byteLength;
  return n;
}

/** Copies a chunk list into one array. */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunksLength(chunks));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.byteLength;
  }
  return out;
}
