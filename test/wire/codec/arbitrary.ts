// fast-check arbitraries generated from Kafka message schemas, for round-trip tests.
// Owns: test-only value generators. Must not be imported from src/.
//
// A generated value is canonical for its version: fields absent in the version hold
// their default (what the decoder fills in), so decode(encode(v)) must equal v.

import fc from 'fast-check';
import { fieldDefault } from '../../../src/wire/codec/compile.js';
import { type FieldDef, type MessageDef, inVersions } from '../../../src/wire/codec/schema.js';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function primitive(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'bool':
      return fc.boolean();
    case 'int8':
      return fc.integer({ min: -128, max: 127 });
    case 'int16':
      return fc.integer({ min: -32768, max: 32767 });
    case 'uint16':
      return fc.integer({ min: 0, max: 0xffff });
    case 'int32':
      return fc.integer();
    case 'int64':
      return fc.oneof(fc.integer({ min: -1, max: 1_000_000 }), fc.maxSafeInteger(), fc.integer({ min: Number.MIN_SAFE_INTEGER, max: 0 }));
    case 'float64':
      return fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0));
    case 'uuid':
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map(hex);
    case 'string':
      return fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 8 }));
    case 'bytes':
    case 'records':
      return fc.uint8Array({ maxLength: 40 });
    default:
      throw new Error(`no arbitrary for ${type}`);
  }
}

function fieldArbitrary(field: FieldDef, version: number, flexible: boolean, depth: number): fc.Arbitrary<unknown> {
  if (!inVersions(field.versions, version)) return fc.constant(null).map(() => fieldDefault(field));
  let arb: fc.Arbitrary<unknown>;
  if (field.type.startsWith('[]')) {
    const element =
      field.fields !== undefined ? structArbitrary(field.fields, version, flexible, depth + 1) : primitive(field.type.slice(2));
    arb = fc.array(element, { maxLength: depth > 2 ? 2 : 4 });
  } else if (field.fields !== undefined) {
    arb = structArbitrary(field.fields, version, flexible, depth + 1);
  } else {
    arb = primitive(field.type);
  }
  if (inVersions(field.nullableVersions, version)) arb = fc.option(arb, { nil: null, freq: 4 });
  if (flexible && inVersions(field.taggedVersions, version)) {
    arb = fc.oneof(fc.constant(null).map(() => fieldDefault(field)), arb);
  }
  return arb;
}

function structArbitrary(fields: readonly FieldDef[], version: number, flexible: boolean, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of fields) model[f.name] = fieldArbitrary(f, version, flexible, depth);
  // fc.record builds null-prototype objects; the decoder builds plain ones.
  return fc.record(model).map((o) => ({ ...o }) as Record<string, unknown>);
}

export function messageArbitrary(def: MessageDef, version: number, flexible: boolean): fc.Arbitrary<Record<string, unknown>> {
  return structArbitrary(def.fields, version, flexible, 0);
}
