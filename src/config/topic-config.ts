// Topic-level settings, declared once: each with its Kafka name, type, default, range,
// the broker-level name Kafka gives its default, and a line of documentation.
// Owns: that table and everything derived from it — the TopicConfig type, the
// defaults, validation of values from outside (JSON numbers, Kafka's strings, the
// CLI), the DescribeConfigs/CreateTopics entry lists, and the broker settings that
// set the defaults of new topics (src/config/config.ts spreads TOPIC_SETTINGS into
// its own table). Must not apply a config (the engine does), open files, or know
// storage's units (storage/log-config.ts maps a TopicConfig to a LogConfig).

import { ErrorCode, KafkaError } from '../wire/errors.js';
import { ConfigType } from '../wire/schemas/32-describe-configs.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

const DAY_MS = 24 * 60 * 60 * 1000;
const INT32_MAX = 2_147_483_647;
/** Kafka's Long.MAX_VALUE ("never") as the largest exact JS integer. */
const LONG_MAX = Number.MAX_SAFE_INTEGER;
/**
 * Largest record batch any topic may accept: a batch travels whole through a
 * shard's request ring, whose largest frame is half its 16 MiB, with its frame
 * header (64 bytes are kept for it).
 */
export const MESSAGE_BYTES_LIMIT = 8 * 1024 * 1024 - 64;

interface NumberSetting {
  readonly kind: 'int' | 'long';
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly brokerName: string;
  readonly doc: string;
}

interface ChoiceSetting<T extends string> {
  readonly kind: 'choice';
  readonly default: T;
  /** The canonical value for a spelling from outside, or null when it is not one. */
  readonly parse: (v: string) => T | null;
  readonly allowed: string;
  /** Kafka's type in DescribeConfigs (LIST for cleanup.policy, STRING otherwise). */
  readonly configType: number;
  readonly brokerName: string;
  readonly doc: string;
}

/**
 * A Kafka topic setting that a single node stores and describes but does not act on
 * (replication, tiered storage, broker-side recompression): a tool that sets
 * min.insync.replicas or reads compression.type sees what Kafka would show.
 */
interface PassiveSetting {
  readonly kind: 'passive';
  readonly default: string;
  /** Kafka's type in DescribeConfigs; also how a value is checked. */
  readonly configType: number;
  /** Allowed values, when Kafka allows a fixed set. */
  readonly oneOf?: readonly string[];
  readonly doc: string;
}

export type TopicSetting = NumberSetting | ChoiceSetting<string> | PassiveSetting;

const LONG_MAX_TEXT = '9223372036854775807';

function passive(configType: number, dflt: string, doc: string, oneOf?: readonly string[]): PassiveSetting {
  return { kind: 'passive', default: dflt, configType, doc, ...(oneOf !== undefined ? { oneOf } : {}) };
}

function parseCleanupPolicy(v: string): CleanupPolicy | null {
  const parts = v
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const set = new Set(parts);
  if (parts.length === 0 || parts.length > 2 || set.size !== parts.length) return null;
  for (const p of set) if (p !== 'delete' && p !== 'compact') return null;
  if (set.size === 2) return 'compact,delete';
  return set.has('compact') ? 'compact' : 'delete';
}

function parseTimestampType(v: string): TimestampType | null {
  return v === 'CreateTime' || v === 'LogAppendTime' ? v : null;
}

/** Every topic setting Samsa applies, by Kafka's topic-level name. Kafka's defaults. */
export const TOPIC_SETTINGS = {
  'segment.bytes': { kind: 'int', default: 1_073_741_824, min: 1024, max: INT32_MAX, brokerName: 'log.segment.bytes', doc: 'roll a segment at this size' },
  'segment.ms': { kind: 'long', default: 7 * DAY_MS, min: 1, max: LONG_MAX, brokerName: 'log.roll.ms', doc: 'roll a segment at this age' },
  'retention.ms': { kind: 'long', default: 7 * DAY_MS, min: -1, max: LONG_MAX, brokerName: 'log.retention.ms', doc: 'delete sealed segments older than this (-1: forever)' },
  'retention.bytes': { kind: 'long', default: -1, min: -1, max: LONG_MAX, brokerName: 'log.retention.bytes', doc: 'delete the oldest sealed segments past this size per partition (-1: no limit)' },
  'cleanup.policy': {
    kind: 'choice',
    default: 'delete' as CleanupPolicy,
    parse: parseCleanupPolicy,
    allowed: 'delete, compact, or compact,delete',
    configType: ConfigType.LIST,
    brokerName: 'log.cleanup.policy',
    doc: 'delete | compact | compact,delete',
  },
  'max.message.bytes': { kind: 'int', default: 1_048_588, min: 64, max: MESSAGE_BYTES_LIMIT, brokerName: 'message.max.bytes', doc: 'largest record batch accepted' },
  'flush.messages': { kind: 'long', default: LONG_MAX, min: 1, max: LONG_MAX, brokerName: 'log.flush.interval.messages', doc: 'fdatasync after this many messages (acks=-1 always syncs)' },
  'flush.ms': { kind: 'long', default: LONG_MAX, min: 0, max: LONG_MAX, brokerName: 'log.flush.interval.ms', doc: 'fdatasync unsynced writes at least this often' },
  'index.interval.bytes': { kind: 'int', default: 4096, min: 0, max: INT32_MAX, brokerName: 'log.index.interval.bytes', doc: 'bytes of log between sparse index entries' },
  'message.timestamp.type': {
    kind: 'choice',
    default: 'CreateTime' as TimestampType,
    parse: parseTimestampType,
    allowed: 'CreateTime or LogAppendTime',
    configType: ConfigType.STRING,
    brokerName: 'log.message.timestamp.type',
    doc: 'CreateTime | LogAppendTime',
  },
  'delete.retention.ms': { kind: 'long', default: DAY_MS, min: 0, max: LONG_MAX, brokerName: 'log.cleaner.delete.retention.ms', doc: "compacted topics keep a key's latest tombstone this long" },
  // Stored and described, not applied (see PassiveSetting); Kafka 4.x's defaults.
  'compression.type': passive(ConfigType.STRING, 'producer', 'batches are stored as the producer sent them', ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer']),
  'compression.gzip.level': passive(ConfigType.INT, '-1', 'broker-side recompression level (no recompression here)'),
  'compression.lz4.level': passive(ConfigType.INT, '9', 'broker-side recompression level (no recompression here)'),
  'compression.zstd.level': passive(ConfigType.INT, '3', 'broker-side recompression level (no recompression here)'),
  'min.insync.replicas': passive(ConfigType.INT, '1', 'one node is every replica'),
  'unclean.leader.election.enable': passive(ConfigType.BOOLEAN, 'false', 'one node: no leader election'),
  'preallocate': passive(ConfigType.BOOLEAN, 'false', 'segments grow as written'),
  'file.delete.delay.ms': passive(ConfigType.LONG, '60000', 'deleted segments go at once (retention detaches them first)'),
  'min.compaction.lag.ms': passive(ConfigType.LONG, '0', 'compaction cleans any sealed segment'),
  'max.compaction.lag.ms': passive(ConfigType.LONG, LONG_MAX_TEXT, 'compaction runs every log.cleaner.backoff.ms'),
  'min.cleanable.dirty.ratio': passive(ConfigType.DOUBLE, '0.5', 'compaction cleans every sealed segment'),
  'segment.index.bytes': passive(ConfigType.INT, '10485760', 'indexes grow with their segment'),
  'segment.jitter.ms': passive(ConfigType.LONG, '0', 'no roll jitter'),
  'message.timestamp.before.max.ms': passive(ConfigType.LONG, LONG_MAX_TEXT, 'record timestamps are not checked'),
  'message.timestamp.after.max.ms': passive(ConfigType.LONG, '3600000', 'record timestamps are not checked'),
  'follower.replication.throttled.replicas': passive(ConfigType.LIST, '', 'no followers'),
  'leader.replication.throttled.replicas': passive(ConfigType.LIST, '', 'no followers'),
  'local.retention.ms': passive(ConfigType.LONG, '-2', 'no tiered storage'),
  'local.retention.bytes': passive(ConfigType.LONG, '-2', 'no tiered storage'),
  'remote.storage.enable': passive(ConfigType.BOOLEAN, 'false', 'no tiered storage'),
  'remote.log.copy.disable': passive(ConfigType.BOOLEAN, 'false', 'no tiered storage'),
  'remote.log.delete.on.disable': passive(ConfigType.BOOLEAN, 'false', 'no tiered storage'),
} as const satisfies Record<string, TopicSetting>;

export type TopicConfigName = keyof typeof TOPIC_SETTINGS;

type ValueOf<S> = S extends ChoiceSetting<infer T> ? T : S extends PassiveSetting ? string : number;

/** A whole topic configuration, by Kafka's topic-level names. */
export type TopicConfig = { -readonly [K in TopicConfigName]: ValueOf<(typeof TOPIC_SETTINGS)[K]> };

export const TOPIC_CONFIG_NAMES: readonly TopicConfigName[] = Object.freeze(Object.keys(TOPIC_SETTINGS) as TopicConfigName[]);

/** The settings Samsa acts on (the rest are passive): these are also broker settings, the defaults of new topics. */
export const APPLIED_TOPIC_CONFIG_NAMES: readonly AppliedTopicConfigName[] = Object.freeze(
  TOPIC_CONFIG_NAMES.filter((k): k is AppliedTopicConfigName => (TOPIC_SETTINGS[k] as TopicSetting).kind !== 'passive'),
);

/** The names of the settings Samsa applies. */
export type AppliedTopicConfigName = { [K in TopicConfigName]: (typeof TOPIC_SETTINGS)[K] extends PassiveSetting ? never : K }[TopicConfigName];

/** The applied part of a topic config: what a broker config sets as the defaults of new topics. */
export type AppliedTopicConfig = Pick<TopicConfig, AppliedTopicConfigName>;

export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze(
  Object.fromEntries(TOPIC_CONFIG_NAMES.map((k) => [k, TOPIC_SETTINGS[k].default])) as TopicConfig,
);

/**
 * Kafka topic configs that Samsa accepts and ignores in the Kafka protocol: they
 * describe replication, broker-side recompression or tiered storage, which a single
 * node storing the producer's batches as they are does not have. Rejecting them
 * would break tools that always send them.
 */
export const ACCEPTED_AND_IGNORED: ReadonlySet<string> = new Set([
  // Removed in Kafka 4.0; older tools still send them.
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.difference.max.ms',
]);

export function isTopicConfigName(name: string): name is TopicConfigName {
  return Object.hasOwn(TOPIC_SETTINGS, name);
}

function invalidConfig(key: string, why: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, `invalid topic config ${key}: ${why}`);
}

/** An integer as Kafka sends one (a number or a decimal string); past 2^53 (Long.MAX_VALUE) clamps to MAX_SAFE_INTEGER. */
function toInteger(key: string, value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*-?\d{1,20}\s*$/.test(value)) n = Number(value.trim());
  else throw invalidConfig(key, `${JSON.stringify(value)} is not an integer`);
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw invalidConfig(key, `${String(value)} is not an integer`);
  return n > LONG_MAX ? LONG_MAX : n;
}

/** One value from outside for one setting, checked against the table; throws INVALID_CONFIG naming the key. */
export function parseTopicSetting(key: TopicConfigName, value: unknown): number | string {
  const spec: TopicSetting = TOPIC_SETTINGS[key];
  if (spec.kind === 'passive') return parsePassive(key, spec, value);
  if (spec.kind === 'choice') {
    const parsed = typeof value === 'string' ? spec.parse(value) : null;
    if (parsed === null) throw invalidConfig(key, `${JSON.stringify(value)} is not one of ${spec.allowed}`);
    return parsed;
  }
  const n = toInteger(key, value);
  if (n < spec.min || n > spec.max) throw invalidConfig(key, `${n} is outside ${spec.min}..${spec.max}`);
  return n;
}

/** A passive setting's value, checked as Kafka types it and kept as Kafka prints it. */
function parsePassive(key: string, spec: PassiveSetting, value: unknown): string {
  const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  if (typeof text !== 'string') throw invalidConfig(key, `${JSON.stringify(value)} is not a string`);
  const v = text.trim();
  let ok: boolean;
  switch (spec.configType) {
    case ConfigType.INT:
      ok = /^-?\d{1,10}$/.test(v) && Math.abs(Number(v)) <= INT32_MAX;
      break;
    case ConfigType.LONG:
      ok = /^-?\d{1,19}$/.test(v);
      break;
    case ConfigType.BOOLEAN:
      ok = v === 'true' || v === 'false';
      break;
    case ConfigType.DOUBLE:
      ok = v !== '' && Number.isFinite(Number(v));
      break;
    default:
      ok = v.length <= 4096;
  }
  if (ok && spec.oneOf !== undefined) ok = spec.oneOf.includes(v);
  if (!ok) throw invalidConfig(key, `${JSON.stringify(text)} is not a valid value${spec.oneOf !== undefined ? ` (one of ${spec.oneOf.join(', ')})` : ''}`);
  return v;
}

/**
 * Validates a partial topic config from outside (numbers or Kafka's strings).
 * Returns it normalised; throws KafkaError(INVALID_CONFIG) naming the bad key.
 * Undefined values are skipped.
 */
export function validateTopicConfig(partial: unknown): Partial<TopicConfig> {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, 'topic config must be an object of key → value');
  }
  const out: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(partial as Record<string, unknown>)) {
    if (value === undefined) continue;
    if (!isTopicConfigName(key)) throw invalidConfig(key, `unknown topic config (supported: ${TOPIC_CONFIG_NAMES.join(', ')})`);
    out[key] = parseTopicSetting(key, value);
  }
  return out as Partial<TopicConfig>;
}

/** `base` overridden by the validated `partial`: a whole TopicConfig. */
export function resolveTopicConfig(partial: unknown, base: Readonly<TopicConfig> = DEFAULT_TOPIC_CONFIG): TopicConfig {
  return { ...base, ...validateTopicConfig(partial) };
}

/**
 * Parses config entries as the Kafka protocol carries them (CreateTopics,
 * AlterConfigs, IncrementalAlterConfigs, the HTTP API). A null value means "the
 * default" and is skipped; ACCEPTED_AND_IGNORED names are skipped. Throws
 * KafkaError(INVALID_CONFIG) naming the bad entry.
 */
export function parseTopicConfigEntries(entries: ReadonlyArray<{ name: string; value: string | null }>): Partial<TopicConfig> {
  const out: Record<string, number | string> = {};
  for (const { name, value } of entries) {
    if (ACCEPTED_AND_IGNORED.has(name)) continue;
    if (!isTopicConfigName(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
    if (value === null) continue;
    out[name] = parseTopicSetting(name, value);
  }
  return out as Partial<TopicConfig>;
}

/** Kafka's DescribeConfigs type code of a setting. */
export function configTypeOf(key: TopicConfigName): number {
  const spec: TopicSetting = TOPIC_SETTINGS[key];
  if (spec.kind === 'choice' || spec.kind === 'passive') return spec.configType;
  return spec.kind === 'int' ? ConfigType.INT : ConfigType.LONG;
}

export interface ConfigEntry {
  name: string;
  value: string;
  isDefault: boolean;
  type: number;
}

/** A topic's config as entries (all, or the names in `only`); isDefault when equal to the broker default. */
export function topicConfigEntries(config: TopicConfig, defaults: TopicConfig, only: readonly string[] | null): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const key of TOPIC_CONFIG_NAMES) {
    if (only !== null && !only.includes(key)) continue;
    out.push({ name: key, value: configText(key, config[key]), isDefault: config[key] === defaults[key], type: configTypeOf(key) });
  }
  return out;
}

/** A value as Kafka prints it: "never" (Long.MAX_VALUE) is 9223372036854775807, not 2^53 - 1. */
function configText(key: TopicConfigName, value: number | string): string {
  const spec: TopicSetting = TOPIC_SETTINGS[key];
  return spec.kind === 'long' && value === LONG_MAX ? LONG_MAX_TEXT : String(value);
}

/** The broker's defaults for new topics under Kafka's broker-level names (DescribeConfigs of the broker). */
export function brokerDefaultEntries(defaults: TopicConfig): ConfigEntry[] {
  return APPLIED_TOPIC_CONFIG_NAMES.map((key) => ({
    name: (TOPIC_SETTINGS[key] as NumberSetting | ChoiceSetting<string>).brokerName,
    value: configText(key, defaults[key]),
    isDefault: false,
    type: configTypeOf(key),
  }));
}

/** The topic settings out of any object that has them (the broker config): the defaults of new topics. */
export function topicDefaultsFrom(source: Readonly<Partial<Record<TopicConfigName, unknown>>>): Partial<TopicConfig> {
  const out: Record<string, unknown> = {};
  for (const key of APPLIED_TOPIC_CONFIG_NAMES) out[key] = source[key];
  return validateTopicConfig(out);
}
