// The TypeScript value type of a message, computed from its schema's field list, so
// a message's shape is written once (the schema) and never again as an interface.
// Owns: the type-level mapping and `defineMessage`, which builds a MessageCodec typed
// by it. Must not import anything outside the codec (the browser client shares it).
//
// The mapping follows what the codec does (compile.ts):
// - bool → boolean; string, uuid → string; bytes, records → Uint8Array; every integer
//   and float64 → number (int64 as a safe integer);
// - `[]X` → an array (of structs when the field has `fields`); a single struct → the
//   struct or null (a decoder gives null when it is absent);
// - `nullableVersions` adds `| null` (and `records` is always nullable);
// - a field with `taggedVersions` is optional: encoders leave it out when it holds its
//   default; every other field is required (the decoder fills absent ones with their
//   default, so handlers never test for undefined).

import { MessageCodec } from './compile.js';
import type { FieldDef, MessageDef } from './schema.js';

type PrimitiveValue<T extends string> = T extends 'bool'
  ? boolean
  : T extends 'string' | 'uuid'
    ? string
    : T extends 'bytes' | 'records'
      ? Uint8Array
      : number;

type BaseValue<F extends FieldDef> = F extends { readonly type: `[]${infer E}` }
  ? F extends { readonly fields: infer Fs extends readonly FieldDef[] }
    ? Array<StructValueOf<Fs>>
    : Array<PrimitiveValue<E>>
  : F extends { readonly fields: infer Fs extends readonly FieldDef[] }
    ? StructValueOf<Fs> | null
    : PrimitiveValue<F['type']>;

type FieldValue<F extends FieldDef> = F extends { readonly nullableVersions: string } | { readonly type: 'records' } ? BaseValue<F> | null : BaseValue<F>;

type Tagged<F> = F extends { readonly taggedVersions: string } ? true : false;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

/** The value of a struct with these fields. */
export type StructValueOf<Fs extends readonly FieldDef[]> = Flatten<
  { -readonly [F in Fs[number] as Tagged<F> extends true ? never : F['name']]: FieldValue<F> } & {
    -readonly [F in Fs[number] as Tagged<F> extends true ? F['name'] : never]?: FieldValue<F>;
  }
>;

/** The value of a message defined by `D`. */
export type MessageValueOf<D extends MessageDef> = StructValueOf<D['fields']>;

/** The value type of a codec made by defineMessage. */
export type MessageOf<C> = C extends MessageCodec<infer T> ? T : never;

/** A codec for the schema `def`, typed by the value its fields describe. */
export function defineMessage<const D extends MessageDef>(def: D): MessageCodec<MessageValueOf<D>> {
  return new MessageCodec<MessageValueOf<D>>(def);
}
