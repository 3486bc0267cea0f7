// Kafka's variable-length integers, encoded into and decoded from byte arrays: the
// only implementation in Samsa (the record codec, the protocol reader/writer and the
// snappy framing all use it).
// Owns: zig-zag signed varints (i32) and varlongs (i64 as a JS number, |v| < 2^53),
// used inside RecordBatch v2 records, and unsigned varints (u32), used by flexible
// protocol versions. Must not allocate on the encode/decode hot path (the `take*`
// functions write the new position into a caller-owned cursor) and must not use
// Node built-ins: the browser client shares this file.
//
// Two kinds of writers: `write*` check the value's range and the room in `buf`
// (boundaries, tools, tests); `putZigZag`/`sizeOfZigZag` check nothing and serve the
// record encoder's hot loop, whose caller has already bounded every value.
//
// Bounds: a varint longer than 5 bytes or a varlong longer than 10 bytes is a
// RangeError, as is reading past the end of the buffer (callers that parse
// untrusted input turn RangeError into a Kafka error code at their boundary).

const TWO_POW_32 = 0x1_0000_0000;
/** Longest legal encodings, as Kafka's ByteUtils enforces them. */
export const VARINT_BYTES_MAX = 5;
export const VARLONG_BYTES_MAX = 10;

/** A position that `take*` functions advance. One per parse; reused, never reallocated. */
export interface ByteCursor {
  pos: number;
}

/** A decoded value and the position just after it. */
export interface VarintResult {
  value: number;
  pos: number;
}

function assertInt32(value: number): void {
  if ((value | 0) !== value) throw new RangeError(`varint value ${value} is not an int32`);
}

function assertUint32(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) {
    throw new RangeError(`unsigned varint value ${value} is not a uint32`);
  }
}

function assertSafe(value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`varlong value ${value} is not a safe integer`);
}

// ---------------------------------------------------------------- sizes

/** Bytes an unsigned varint of `value` (a u32) takes. */
export function sizeOfUnsignedVarint(value: number): number {
  // Compare as unsigned: `>>> 0` keeps values >= 2^31 positive.
  const v = value >>> 0;
  if (v < 0x80) return 1;
  if (v < 0x4000) return 2;
  if (v < 0x20_0000) return 3;
  if (v < 0x1000_0000) return 4;
  return 5;
}

/** Bytes a zig-zag varint of `value` (an i32) takes. */
export function sizeOfVarint(value: number): number {
  return sizeOfUnsignedVarint(((value << 1) ^ (value >> 31)) >>> 0);
}

/** Bytes a zig-zag varlong of `value` (a safe integer) takes. */
export function sizeOfVarlong(value: number): number {
  // Zig-zag of a safe integer fits in 54 bits; count 7-bit groups of the magnitude.
  let z = value >= 0 ? value * 2 : -value * 2 - 1;
  if (z < 0x80) return 1;
  let bytes = 1;
  // At most 8 iterations for 54 bits; division keeps exactness above 2^32.
  while (z >= 0x80 && bytes < VARLONG_BYTES_MAX) {
    z = Math.floor(z / 128);
    bytes += 1;
  }
  return bytes;
}

// ---------------------------------------------------------------- encode

/**
 * Writes `value` (a u32) as an unsigned varint at `pos`; returns the position after it.
 * The caller sizes `buf`; writing past its end throws RangeError.
 */
export function writeUnsignedVarint(buf: Uint8Array, pos: number, value: number): number {
  assertUint32(value);
  return putUnsigned32(buf, pos, value >>> 0);
}

/** Writes `value` (an i32) as a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Uint8Array, pos: number, value: number): number {
  assertInt32(value);
  return putUnsigned32(buf, pos, ((value << 1) ^ (value >> 31)) >>> 0);
}

function putUnsigned32(buf: Uint8Array, pos: number, v: number): number {
  const need = sizeOfUnsignedVarint(v);
  if (pos < 0 || pos + need > buf.length) throw new RangeError(`varint needs ${need} bytes at ${pos} of ${buf.length}`);
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/**
 * Writes `value` (a safe integer) as a zig-zag varlong at `pos`; returns the position after it.
 * Works on two 32-bit halves so no intermediate exceeds 2^53 (no bigint).
 */
export function writeVarlong(buf: Uint8Array, pos: number, value: number): number {
  assertSafe(value);
  const need = sizeOfVarlong(value);
  if (pos < 0 || pos + need > buf.length) throw new RangeError(`varlong needs ${need} bytes at ${pos} of ${buf.length}`);
  // zig-zag: z = 2m + s, where m = v (v >= 0) or -v-1 (v < 0), s = sign bit.
  const negative = value < 0;
  const m = negative ? -value - 1 : value;
  const mHi = Math.floor(m / TWO_POW_32);
  const mLo = m >>> 0;
  let lo = ((mLo << 1) | (negative ? 1 : 0)) >>> 0;
  let hi = ((mHi << 1) | (mLo >>> 31)) >>> 0;
  // Emit 7 bits at a time from the 64-bit (hi, lo) pair.
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

// ---------------------------------------------------------------- encode, unchecked (hot path)

/** Bytes the zig-zag encoding of `v` takes, for any safe integer (varint and varlong alike). */
export function sizeOfZigZag(v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x20_0000) return 3;
  if (z < 0x1000_0000) return 4;
  if (z < 0x8_0000_0000) return 5;
  let n = 5;
  z = Math.floor(z / 0x8_0000_0000);
  while (z > 0) {
    n++;
    z = Math.floor(z / 128);
  }
  return n;
}

/**
 * Writes the zig-zag encoding of `v` (any safe integer) at `pos`; returns the position
 * after it. No checks: the caller has sized `buf` with sizeOfZigZag and bounded `v`.
 */
export function putZigZag(buf: Uint8Array, pos: number, v: number): number {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  if (z < 0x8000_0000) {
    while (z >= 0x80) {
      buf[pos++] = (z & 0x7f) | 0x80;
      z >>>= 7;
    }
    buf[pos++] = z;
    return pos;
  }
  // Above 31 bits (large timestamp deltas): arithmetic, exact below 2^53.
  while (z >= 0x80) {
    buf[pos++] = (z % 128) | 0x80;
    z = Math.floor(z / 128);
  }
  buf[pos++] = z;
  return pos;
}

// ---------------------------------------------------------------- decode (cursor)

/**
 * An unsigned varint (u32) at `cur.pos`, or -1 when it is malformed (runs past `end`,
 * is longer than 5 bytes, or carries more than 32 bits); the cursor moves only on
 * success. For hot loops that turn -1 into their own error without a try/catch;
 * takeUnsignedVarint throws instead.
 */
export function uvarintAt(buf: Uint8Array, cur: ByteCursor, end: number = buf.length): number {
  let pos = cur.pos;
  // Fast path for the one- and two-byte encodings that most lengths and deltas use
  // (values below 16384): the record decoder calls this for every such field.
  if (pos + 1 < end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      cur.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      cur.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  let result = 0;
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++]!;
    // Bits 28..34 land in the 5th byte; only its low 4 fit in 32 bits. Kafka's
    // ByteUtils drops the rest silently; here they are an error, because a length
    // or count that does not fit in 32 bits is never honest input.
    if (i === VARINT_BYTES_MAX - 1 && (b & 0x70) !== 0) return -1;
    result |= (b & 0x7f) << (7 * i);
    if ((b & 0x80) === 0) {
      cur.pos = pos;
      return result >>> 0;
    }
  }
  return -1;
}

/**
 * The record decoder's zig-zag varint (i32) at `cur.pos`: the value, or NaN when it
 * is longer than 5 bytes. No bounds check per byte — reads past the end of `buf`
 * yield garbage that the caller's own end-of-record check must reject (the record
 * decoder checks every record's length against the bytes it holds). Everything
 * else should use takeVarint.
 */
export function takeVarintUnbounded(buf: Uint8Array, cur: ByteCursor): number {
  let pos = cur.pos;
  let b = buf[pos++]!;
  if (b < 0x80) {
    cur.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let result = b & 0x7f;
  for (let shift = 7; shift <= 28; shift += 7) {
    b = buf[pos++]!;
    result |= (b & 0x7f) << shift;
    if (b < 0x80) {
      cur.pos = pos;
      return (result >>> 1) ^ -(result & 1);
    }
  }
  return NaN;
}

/** Why the varint at `pos` is malformed (only called once it is known to be). */
function badVarint(buf: Uint8Array, pos: number, end: number): RangeError {
  for (let i = 0; i < VARINT_BYTES_MAX; i++) {
    if (pos + i >= end) return new RangeError(`varint runs past the end of the buffer at ${pos + i}`);
    const b = buf[pos + i]!;
    if (i === VARINT_BYTES_MAX - 1 && (b & 0x70) !== 0) return new RangeError(`varint at ${pos} exceeds 32 bits`);
    if ((b & 0x80) === 0) break;
  }
  return new RangeError(`varint longer than ${VARINT_BYTES_MAX} bytes at ${pos}`);
}

/** Reads an unsigned varint (u32) at `cur.pos` and advances the cursor; RangeError when malformed. */
export function takeUnsignedVarint(buf: Uint8Array, cur: ByteCursor, end: number = buf.length): number {
  const v = uvarintAt(buf, cur, end);
  if (v < 0) throw badVarint(buf, cur.pos, end);
  return v;
}

/** Reads a zig-zag varint (i32) at `cur.pos` and advances the cursor. */
export function takeVarint(buf: Uint8Array, cur: ByteCursor, end: number = buf.length): number {
  const raw = takeUnsignedVarint(buf, cur, end);
  return (raw >>> 1) ^ -(raw & 1);
}

/** Reads a zig-zag varlong at `cur.pos` and advances the cursor; RangeError unless it is a safe integer. */
export function takeVarlong(buf: Uint8Array, cur: ByteCursor, end: number = buf.length): number {
  let pos = cur.pos;
  // Fast path: most varlongs inside records (timestamp deltas) are short.
  let lo = 0;
  let hi = 0;
  let i = 0;
  for (; i < VARLONG_BYTES_MAX; i++) {
    if (pos >= end) throw new RangeError(`varlong runs past the end of the buffer at ${pos}`);
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    const shift = 7 * i;
    if (shift < 28) {
      lo |= bits << shift;
    } else if (shift === 28) {
      lo |= bits << 28; // low 4 bits land in lo, high 3 in hi
      hi |= bits >>> 4;
    } else {
      hi |= bits << (shift - 32);
    }
    if ((b & 0x80) === 0) break;
  }
  if (i === VARLONG_BYTES_MAX) throw new RangeError(`varlong longer than ${VARLONG_BYTES_MAX} bytes at ${cur.pos}`);
  lo >>>= 0;
  hi >>>= 0;
  // Undo zig-zag on (hi, lo): m = z >>> 1, value = s ? -m - 1 : m.
  const negative = (lo & 1) === 1;
  const mLo = ((lo >>> 1) | (hi << 31)) >>> 0;
  const mHi = hi >>> 1;
  if (mHi >= 0x20_0000) throw new RangeError(`varlong at ${cur.pos} exceeds 2^53`);
  const m = mHi * TWO_POW_32 + mLo;
  const value = negative ? -m - 1 : m;
  // -2^53 is the one value the bound above lets through that is not a safe integer.
  if (!Number.isSafeInteger(value)) throw new RangeError(`varlong at ${cur.pos} exceeds 2^53`);
  cur.pos = pos;
  return value;
}

// ---------------------------------------------------------------- decode (value + position)

/** Reads an unsigned varint (u32) at `pos`; returns the value and the position after it. */
export function readUnsignedVarint(buf: Uint8Array, pos: number): VarintResult {
  const cur = { pos };
  const value = takeUnsignedVarint(buf, cur);
  return { value, pos: cur.pos };
}

/** Reads a zig-zag varint (i32) at `pos`; returns the value and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): VarintResult {
  const cur = { pos };
  const value = takeVarint(buf, cur);
  return { value, pos: cur.pos };
}

/** Reads a zig-zag varlong (safe integer) at `pos`; returns the value and the position after it. */
export function readVarlong(buf: Uint8Array, pos: number): VarintResult {
  const cur = { pos };
  const value = takeVarlong(buf, cur);
  return { value, pos: cur.pos };
}
