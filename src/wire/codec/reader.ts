// Bounded reader of Kafka protocol primitives over one frame.
// Owns: decoding of fixed-width ints, varints, strings, bytes, uuids and length
// prefixes. Must not allocate anything whose size comes from the wire before that
// size is checked against the bytes that remain; must not use Node built-ins (the
// browser client shares this file).
//
// Byte and record fields are returned as views (subarray) of the frame, not copies:
// the caller must not reuse the frame's memory while decoded values are alive.

import { takeUnsignedVarint, takeVarint } from '../varint.js';
import { DecodeError } from './errors.js';

const TWO_POW_32 = 0x1_0000_0000;
const utf8Decoder = new TextDecoder('utf-8');
/** Strings up to this length are decoded by hand when they are ASCII (most topic names). */
const ASCII_FAST_PATH_MAX = 64;

export class Reader {
  readonly buf: Uint8Array;
  private readonly dv: DataView;
  pos: number;
  readonly end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.byteLength) {
    if (pos < 0 || end > buf.byteLength || pos > end) throw new DecodeError('reader bounds outside buffer');
    this.buf = buf;
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = pos;
    this.end = end;
  }

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) throw new DecodeError(`need ${n} bytes at ${this.pos}, ${this.end - this.pos} remain`);
  }

  int8(): number {
    this.need(1);
    return this.dv.getInt8(this.pos++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.dv.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  /**
   * An int64 as a JS number: exact within ±(2^53 − 1), which covers offsets, timestamps
   * and ids here. Beyond it the value is saturated to ±(2^53 − 1): a rounded number
   * would not encode again (the writer takes safe integers only) and could land on a
   * neighbouring value; a saturated one keeps its sign and order, so a huge offset or
   * timestamp is still answered as out of range.
   */
  int64(): number {
    this.need(8);
    const hi = this.dv.getInt32(this.pos);
    const lo = this.dv.getUint32(this.pos + 4);
    this.pos += 8;
    const v = hi * TWO_POW_32 + lo;
    if (v > Number.MAX_SAFE_INTEGER) return Number.MAX_SAFE_INTEGER;
    if (v < -Number.MAX_SAFE_INTEGER) return -Number.MAX_SAFE_INTEGER;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned varint of at most 5 bytes (a u32), as Kafka's compact lengths and tags use. */
  uvarint(): number {
    try {
      return takeUnsignedVarint(this.buf, this, this.end);
    } catch (err) {
      throw err instanceof RangeError ? new DecodeError(err.message) : err;
    }
  }

  /** Zig-zag signed varint of at most 5 bytes (an i32). */
  varint(): number {
    try {
      return takeVarint(this.buf, this, this.end);
    } catch (err) {
      throw err instanceof RangeError ? new DecodeError(err.message) : err;
    }
  }

  /** A view of the next n bytes. */
  raw(n: number): Uint8Array {
    if (n < 0) throw new DecodeError(`negative length ${n}`);
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  skip(n: number): void {
    if (n < 0) throw new DecodeError(`negative length ${n}`);
    this.need(n);
    this.pos += n;
  }

  /** UTF-8 text of the next n bytes. */
  utf8(n: number): string {
    if (n < 0) throw new DecodeError(`negative length ${n}`);
    this.need(n);
    const start = this.pos;
    this.pos += n;
    if (n <= ASCII_FAST_PATH_MAX) {
      let s = '';
      for (let i = start; i < start + n; i++) {
        const c = this.buf[i]!;
        if (c >= 0x80) return utf8Decoder.decode(this.buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(this.buf.subarray(start, start + n));
  }

  /** Length of a classic (int16-prefixed) string; -1 = null. */
  stringLength(): number {
    const n = this.int16();
    if (n < -1) throw new DecodeError(`string length ${n}`);
    return n;
  }

  /** Length of a compact (uvarint N+1) string, bytes or array; -1 = null. */
  compactLength(): number {
    return this.uvarint() - 1;
  }

  /** Length of classic (int32-prefixed) bytes or array; -1 = null. */
  int32Length(): number {
    const n = this.int32();
    if (n < -1) throw new DecodeError(`length ${n}`);
    return n;
  }

  /**
   * Checks an array count against what remains, before any element is allocated:
   * every element takes at least `minElementBytes` on the wire.
   */
  checkCount(n: number, minElementBytes: number): void {
    if (n * Math.max(1, minElementBytes) > this.end - this.pos) {
      throw new DecodeError(`array of ${n} elements cannot fit in ${this.end - this.pos} bytes`);
    }
  }

  /** 16 bytes as 32 lowercase hex chars. */
  uuid(): string {
    this.need(16);
    let s = '';
    for (let i = 0; i < 16; i++) s += HEX_BYTE[this.buf[this.pos + i]!];
    this.pos += 16;
    return s;
  }
}

const HEX_BYTE: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
