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
// - two views of one message: the decoded value (`MessageOf`), where every field is
//   present because the decoder fills absent ones with their default (handlers never
//   test for undefined), and the encoder's input (`MessageInputOf`), where a field
//   with a `default` or `taggedVersions` may be left out and is written as its default.

import { MessageCodec } from './compile.js';
import type { FieldDef, MessageDef } from './schema.js';

type PrimitiveValue<T extends string> = T extends 'bool'
  ? boolean
  : T extends 'string' | 'uuid'
    ? string
    : T extends 'bytes' | 'records'
      ? Uint8Array
      : number;

type BaseValue<F extends FieldDef, Input extends boolean> = F extends { readonly type: `[]${infer E}` }
  ? F extends { readonly fields: infer Fs extends readonly FieldDef[] }
    ? Array<StructOf<Fs, Input>>
    : Array<PrimitiveValue<E>>
  : F extends { readonly fields: infer Fs extends readonly FieldDef[] }
    ? StructOf<Fs, Input> | null
    : PrimitiveValue<F['type']>;

type FieldValue<F extends FieldDef, Input extends boolean> = F extends { readonly nullableVersions: string } | { readonly type: 'records' }
  ? BaseValue<F, Input> | null
  : BaseValue<F, Input>;

/** Whether a field may be left out: tagged fields always; in an encoder's input also fields with a default. */
type Optional<F, Input extends boolean> = F extends { readonly taggedVersions: string } ? true : Input extends true ? (F extends { readonly default: unknown } ? true : false) : false;

type Flatten<T> = { [K in keyof T]: T[K] } & {};

type StructOf<Fs extends readonly FieldDef[], Input extends boolean> = Flatten<
  { -readonly [F in Fs[number] as Optional<F, Input> extends true ? never : F['name']]: FieldValue<F, Input> } & {
    -readonly [F in Fs[number] as Optional<F, Input> extends true ? F['name'] : never]?: FieldValue<F, Input>;
  }
>;

/** The decoded value of a struct with these fields: every field present. */
export type StructValueOf<Fs extends readonly FieldDef[]> = StructOf<Fs, false>;

/** What an encoder takes for a struct with these fields: fields with a default may be left out. */
export type StructInputOf<Fs extends readonly FieldDef[]> = StructOf<Fs, true>;

/** The decoded value of a message defined by `D`. */
export type MessageValueOf<D extends MessageDef> = StructValueOf<D['fields']>;

/** What an encoder of a message defined by `D` takes. */
export type MessageInputOf<D extends MessageDef> = StructInputOf<D['fields']>;

/** The decoded value type of a codec made by defineMessage. */
export type MessageOf<C> = C extends MessageCodec<infer T, object> ? T : never;

/** The encoder input type of a codec made by defineMessage. */
export type MessageInput<C> = C extends MessageCodec<object, infer I> ? I : never;

/** A codec for the schema `def`, typed by the values its fields describe. */
export function defineMessage<const D extends MessageDef>(def: D): MessageCodec<MessageValueOf<D>, MessageInputOf<D>> {
  return new MessageCodec<MessageValueOf<D>, MessageInputOf<D>>(def);
}
