// The data model of a Kafka message schema, transcribed from apache/kafka's
// clients/src/main/resources/common/message/*.json.
// Owns: the schema types and version-range parsing. Must not import anything
// outside the codec (the browser client shares it).
//
// A field's `type` is written as in Kafka's JSON: a primitive ('int32', 'string',
// 'records', ...), an array of primitives ('[]int32'), or a struct name with
// `fields` ('[]TopicData' is an array of structs, 'LeaderIdAndEpoch' one struct).
// Names are camelCase versions of Kafka's field names (ErrorCode → errorCode).

export type PrimitiveType =
  | 'bool'
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes'
  | 'records'
  | 'uuid';

export interface FieldDef {
  readonly name: string;
  readonly type: string;
  /** Versions in which the field exists: "0+", "3-7", "none". */
  readonly versions: string;
  readonly nullableVersions?: string;
  /** Versions in which the field is a tagged field (with `tag`). */
  readonly taggedVersions?: string;
  readonly tag?: number;
  /** Overrides the message's flexible versions for this field (RequestHeader.ClientId: "none"). */
  readonly flexibleVersions?: string;
  /** Value when absent in a version (or untagged in the stream); type default when omitted. */
  readonly default?: number | boolean | string | null;
  readonly fields?: readonly FieldDef[];
}

export interface MessageDef {
  readonly name: string;
  /** -1 for headers. */
  readonly apiKey: number;
  readonly type: 'request' | 'response' | 'header' | 'data';
  /** Versions this schema describes (may be wider than what Samsa serves). */
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: readonly FieldDef[];
}

export interface VersionRange {
  readonly min: number;
  /** Infinity for "N+". */
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };

/** Parses "0+", "3-7", "5", "none". */
export function parseVersions(s: string): VersionRange {
  if (s === 'none') return NONE;
  if (s.endsWith('+')) return { min: Number(s.slice(0, -1)), max: Infinity };
  const dash = s.indexOf('-');
  if (dash >= 0) return { min: Number(s.slice(0, dash)), max: Number(s.slice(dash + 1)) };
  const v = Number(s);
  return { min: v, max: v };
}

export function inVersions(range: string | undefined, version: number): boolean {
  if (range === undefined) return false;
  const r = parseVersions(range);
  return version >= r.min && version <= r.max;
}

/** The first flexible version of a message, or Infinity. */
export function firstFlexibleVersion(def: MessageDef): number {
  const r = parseVersions(def.flexibleVersions);
  return r.min <= r.max ? r.min : Infinity;
}
