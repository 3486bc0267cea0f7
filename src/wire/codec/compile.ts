// The one generic encoder/decoder of Kafka messages, driven by MessageDef schemas.
// Owns: turning a schema + version into a struct codec (read/write closures, cached
// per version), flexible-version encodings (compact lengths, tagged fields) and
// defaults for fields absent in a version. Must not know any particular API, and
// must not use Node built-ins (the browser client shares it).
//
// Decoding fills every field of the schema: fields absent in the version (or tagged
// and not sent) get their default, so handlers never test for undefined. Encoding
// takes undefined as "the default", writes tagged fields only when they differ from
// their default, and throws EncodeError when a value does not fit its type.

import { DecodeError, EncodeError } from './errors.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';
import { type FieldDef, type MessageDef, type VersionRange, firstFlexibleVersion, inVersions, parseVersions } from './schema.js';
import { invariantFailed } from '../assert.js';

export type StructValue = Record<string, unknown>;

interface TypeCodec {
  read(r: Reader): unknown;
  write(w: Writer, v: unknown): void;
  /** Fewest bytes one value takes on the wire (bounds array counts before allocation). */
  readonly minBytes: number;
}

export interface StructCodec {
  read(r: Reader): StructValue;
  write(w: Writer, v: StructValue): void;
  readonly minBytes: number;
}

const ZERO_UUID = '00000000000000000000000000000000';
const EMPTY_BYTES = new Uint8Array(0);

function fail(path: string, what: string, v: unknown): never {
  throw new EncodeError(`${path}: expected ${what}, got ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
}

function intCodec(path: string, bits: 8 | 16 | 32): TypeCodec {
  const min = -(2 ** (bits - 1));
  const max = 2 ** (bits - 1) - 1;
  const check = (v: unknown): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `int${bits}`, v);
    return v;
  };
  if (bits === 8) return { minBytes: 1, read: (r) => r.int8(), write: (w, v) => w.int8(check(v)) };
  if (bits === 16) return { minBytes: 2, read: (r) => r.int16(), write: (w, v) => w.int16(check(v)) };
  return { minBytes: 4, read: (r) => r.int32(), write: (w, v) => w.int32(check(v)) };
}

function primitiveCodec(path: string, type: string, flexible: boolean, nullable: boolean): TypeCodec {
  switch (type) {
    case 'bool':
      return {
        minBytes: 1,
        read: (r) => r.bool(),
        write: (w, v) => (typeof v === 'boolean' ? w.bool(v) : fail(path, 'bool', v)),
      };
    case 'int8':
      return intCodec(path, 8);
    case 'int16':
      return intCodec(path, 16);
    case 'int32':
      return intCodec(path, 32);
    case 'uint16':
      return {
        minBytes: 2,
        read: (r) => r.uint16(),
        write: (w, v) =>
          typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff ? w.uint16(v) : fail(path, 'uint16', v),
      };
    case 'int64':
      return {
        minBytes: 8,
        read: (r) => r.int64(),
        write: (w, v) => (typeof v === 'number' && Number.isSafeInteger(v) ? w.int64(v) : fail(path, 'int64 (safe integer)', v)),
      };
    case 'float64':
      return {
        minBytes: 8,
        read: (r) => r.float64(),
        write: (w, v) => (typeof v === 'number' ? w.float64(v) : fail(path, 'float64', v)),
      };
    case 'uuid':
      return {
        minBytes: 16,
        read: (r) => r.uuid(),
        write: (w, v) => (typeof v === 'string' ? w.uuid(v) : fail(path, 'uuid', v)),
      };
    case 'string':
      return stringCodec(path, flexible, nullable);
    case 'bytes':
    case 'records':
      return bytesCodec(path, flexible, nullable);
    default:
      invariantFailed(`${path}: unknown primitive type ${type}`);
  }
}

function stringCodec(path: string, flexible: boolean, nullable: boolean): TypeCodec {
  const readLength = flexible ? (r: Reader) => r.compactLength() : (r: Reader) => r.stringLength();
  return {
    minBytes: flexible ? 1 : 2,
    read(r) {
      const n = readLength(r);
      if (n === -1) {
        if (!nullable) throw new DecodeError(`${path}: null for a non-nullable string`);
        return null;
      }
      return r.utf8(n);
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) fail(path, 'non-null string', v);
        if (flexible) w.uvarint(0);
        else w.int16(-1);
        return;
      }
      if (typeof v !== 'string') fail(path, 'string', v);
      if (flexible) {
        w.stringWith(v, (n) => w.uvarint(n + 1));
      } else {
        w.stringWith(v, (n) => {
          if (n > 0x7fff) fail(path, 'string of at most 32767 bytes', `${n} bytes`);
          w.int16(n);
        });
      }
    },
  };
}

function bytesCodec(path: string, flexible: boolean, nullable: boolean): TypeCodec {
  const readLength = flexible ? (r: Reader) => r.compactLength() : (r: Reader) => r.int32Length();
  return {
    minBytes: flexible ? 1 : 4,
    read(r) {
      const n = readLength(r);
      if (n === -1) {
        if (!nullable) throw new DecodeError(`${path}: null for non-nullable bytes`);
        return null;
      }
      return r.raw(n);
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) fail(path, 'non-null bytes', v);
        if (flexible) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (!(v instanceof Uint8Array)) fail(path, 'Uint8Array', v);
      if (flexible) w.uvarint(v.byteLength + 1);
      else w.int32(v.byteLength);
      w.raw(v);
    },
  };
}

function arrayCodec(path: string, element: TypeCodec, flexible: boolean, nullable: boolean): TypeCodec {
  const readLength = flexible ? (r: Reader) => r.compactLength() : (r: Reader) => r.int32Length();
  return {
    minBytes: flexible ? 1 : 4,
    read(r) {
      const n = readLength(r);
      if (n === -1) {
        if (!nullable) throw new DecodeError(`${path}: null for a non-nullable array`);
        return null;
      }
      r.checkCount(n, element.minBytes);
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(element.read(r));
      return out;
    },
    write(w, v) {
      if (v === null) {
        if (!nullable) fail(path, 'non-null array', v);
        if (flexible) w.uvarint(0);
        else w.int32(-1);
        return;
      }
      if (!Array.isArray(v)) fail(path, 'array', v);
      if (flexible) w.uvarint(v.length + 1);
      else w.int32(v.length);
      for (const e of v) element.write(w, e);
    },
  };
}

/**
 * A single struct field in a version where it is nullable and not tagged
 * (ConsumerGroupHeartbeatResponse.Assignment, DescribeTopicPartitions' Cursor): Kafka writes an int8 marker first,
 * -1 for null, 1 for a struct that follows.
 */
function markedStructCodec(path: string, struct: StructCodec): TypeCodec {
  return {
    minBytes: 1,
    read: (r) => (r.int8() < 0 ? null : struct.read(r)),
    write: (w, v) => {
      if (v === null) {
        w.int8(-1);
        return;
      }
      if (typeof v !== 'object' || Array.isArray(v)) fail(path, 'struct or null', v);
      w.int8(1);
      struct.write(w, v as StructValue);
    },
  };
}

/** Nullable single struct (Kafka's non-array struct fields, e.g. tagged CurrentLeader). */
function nullableStructCodec(path: string, struct: StructCodec): TypeCodec {
  return {
    minBytes: struct.minBytes,
    read: (r) => struct.read(r),
    write: (w, v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'struct', v);
      struct.write(w, v as StructValue);
    },
  };
}

/** The value a decoder gives a field that is absent (or an untagged tagged field). */
export function fieldDefault(field: FieldDef): unknown {
  return defaultFactory(field)();
}

/** Default of a field when absent; a fresh value each call for mutable types. */
function defaultFactory(field: FieldDef): () => unknown {
  const d = field.default;
  if (d === null) return () => null;
  if (field.type.startsWith('[]')) return () => [];
  if (field.fields !== undefined) return () => null;
  switch (field.type) {
    case 'bool': {
      const v = d === undefined ? false : d === true || d === 'true';
      return () => v;
    }
    case 'string': {
      const v = d === undefined ? '' : String(d);
      return () => v;
    }
    case 'uuid':
      return () => ZERO_UUID;
    case 'bytes':
      return () => EMPTY_BYTES;
    case 'records':
      return () => null;
    default: {
      const v = d === undefined ? 0 : Number(d);
      return () => v;
    }
  }
}

function isDefaultValue(v: unknown, def: unknown): boolean {
  if (v === def) return true;
  if (Array.isArray(v)) return v.length === 0 && Array.isArray(def);
  if (v instanceof Uint8Array) return v.byteLength === 0 && def instanceof Uint8Array;
  return false;
}

interface CompiledField {
  readonly name: string;
  readonly codec: TypeCodec;
  readonly defaultValue: () => unknown;
  /** 0 = absent in this version, 1 = regular, 2 = tagged. */
  readonly mode: 0 | 1 | 2;
  readonly tag: number;
}

function compileField(parentPath: string, field: FieldDef, version: number, flexibleMessage: boolean): CompiledField {
  const path = `${parentPath}.${field.name}`;
  const defaultValue = defaultFactory(field);
  const present = inVersions(field.versions, version);
  if (!present) return { name: field.name, codec: NEVER_CODEC, defaultValue, mode: 0, tag: -1 };
  const flexible = field.flexibleVersions !== undefined ? inVersions(field.flexibleVersions, version) : flexibleMessage;
  const nullable = inVersions(field.nullableVersions, version);
  const tagged = flexibleMessage && inVersions(field.taggedVersions, version);
  if (tagged && field.tag === undefined) invariantFailed(`${path}: taggedVersions without a tag`);
  let codec: TypeCodec;
  if (field.type.startsWith('[]')) {
    const elementType = field.type.slice(2);
    const element =
      field.fields !== undefined
        ? nullableStructCodec(path, compileStruct(path, field.fields, version, flexibleMessage))
        : primitiveCodec(path, elementType, flexible, false);
    codec = arrayCodec(path, element, flexible, nullable);
  } else if (field.fields !== undefined) {
    // A non-tagged struct field is always on the wire (behind a null marker where nullable);
    // null means "absent" only for tagged ones.
    const struct = compileStruct(path, field.fields, version, flexibleMessage);
    codec = nullable && !tagged ? markedStructCodec(path, struct) : nullableStructCodec(path, struct);
  } else {
    codec = primitiveCodec(path, field.type, flexible, nullable);
  }
  return { name: field.name, codec, defaultValue, mode: tagged ? 2 : 1, tag: field.tag ?? -1 };
}

const NEVER_CODEC: TypeCodec = {
  minBytes: 0,
  read: () => {
    invariantFailed('absent field read');
  },
  write: () => {
    invariantFailed('absent field written');
  },
};

/** Compiles the struct of `fields` at `version` into read/write closures. */
export function compileStruct(path: string, fields: readonly FieldDef[], version: number, flexible: boolean): StructCodec {
  const compiled = fields.map((f) => compileField(path, f, version, flexible));
  const tagged = compiled.filter((f) => f.mode === 2).sort((a, b) => a.tag - b.tag);
  const byTag = new Map<number, CompiledField>(tagged.map((f) => [f.tag, f]));
  if (byTag.size !== tagged.length) invariantFailed(`${path}: duplicate tags at v${version}`);
  let minBytes = flexible ? 1 : 0;
  for (const f of compiled) if (f.mode === 1) minBytes += f.codec.minBytes;

  return {
    minBytes,
    read(r: Reader): StructValue {
      const out: StructValue = {};
      for (const f of compiled) out[f.name] = f.mode === 1 ? f.codec.read(r) : f.defaultValue();
      if (flexible) {
        const count = r.uvarint();
        r.checkCount(count, 2);
        for (let i = 0; i < count; i++) {
          const tag = r.uvarint();
          const size = r.uvarint();
          if (size > r.remaining()) throw new DecodeError(`${path}: tagged field ${tag} of ${size} bytes overruns`);
          const f = byTag.get(tag);
          if (f === undefined) {
            r.skip(size); // unknown tags are skipped, as Kafka does
            continue;
          }
          const end = r.pos + size;
          out[f.name] = f.codec.read(new Reader(r.buf, r.pos, end));
          r.pos = end;
        }
      }
      return out;
    },
    write(w: Writer, v: StructValue): void {
      for (const f of compiled) {
        if (f.mode !== 1) continue;
        const value = v[f.name];
        f.codec.write(w, value === undefined ? f.defaultValue() : value);
      }
      if (!flexible) return;
      let count = 0;
      for (const f of tagged) {
        const value = v[f.name];
        if (value !== undefined && !isDefaultValue(value, f.defaultValue())) count++;
      }
      w.uvarint(count);
      if (count === 0) return;
      for (const f of tagged) {
        const value = v[f.name];
        if (value === undefined || isDefaultValue(value, f.defaultValue())) continue;
        const sub = new Writer(64);
        f.codec.write(sub, value);
        const bytes = sub.finish();
        w.uvarint(f.tag);
        w.uvarint(bytes.byteLength);
        w.raw(bytes);
      }
    },
  };
}

/**
 * A message schema with its per-version codecs, typed by the decoded value T and
 * the encoder's input TIn (T with fields that have defaults made optional).
 */
export class MessageCodec<T extends object = StructValue, TIn extends object = T> {
  readonly def: MessageDef;
  readonly versions: VersionRange;
  /** First flexible version, or Infinity. */
  readonly flexibleFrom: number;
  private readonly cache = new Map<number, StructCodec>();

  constructor(def: MessageDef) {
    this.def = def;
    this.versions = parseVersions(def.validVersions);
    this.flexibleFrom = firstFlexibleVersion(def);
  }

  isFlexible(version: number): boolean {
    return version >= this.flexibleFrom;
  }

  hasVersion(version: number): boolean {
    return Number.isInteger(version) && version >= this.versions.min && version <= this.versions.max;
  }

  codec(version: number): StructCodec {
    let c = this.cache.get(version);
    if (c === undefined) {
      if (!this.hasVersion(version)) throw new Error(`${this.def.name} has no version ${version}`);
      c = compileStruct(this.def.name, this.def.fields, version, this.isFlexible(version));
      this.cache.set(version, c);
    }
    return c;
  }

  decode(r: Reader, version: number): T {
    return this.codec(version).read(r) as unknown as T;
  }

  encode(w: Writer, value: TIn, version: number): void {
    this.codec(version).write(w, value as unknown as StructValue);
  }

  /** Encodes into a fresh array (tests and small messages). */
  encodeToBytes(value: TIn, version: number): Uint8Array {
    const w = new Writer();
    this.encode(w, value, version);
    return w.finish();
  }
}
