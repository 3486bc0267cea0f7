// Topic configuration as the Kafka protocol carries it: string names and values.
// Owns: parsing CreateTopics config entries into a Partial<TopicConfig>, and listing
// a TopicConfig (or the broker's defaults) as DescribeConfigs/CreateTopics entries.
// Must not apply configs (the engine does) nor touch files.

import type { CleanupPolicy, TopicConfig } from '../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { ConfigType } from '../wire/schemas/describe-configs.js';

type Key = keyof TopicConfig;

interface KeySpec {
  readonly type: number;
  /** Smallest accepted value for numeric keys. */
  readonly min?: number;
  /** The broker-level name Kafka uses for the default of this key. */
  readonly brokerName: string;
}

const KEYS: Readonly<Record<Key, KeySpec>> = {
  'segment.bytes': { type: ConfigType.INT, min: 14, brokerName: 'log.segment.bytes' },
  'segment.ms': { type: ConfigType.LONG, min: 1, brokerName: 'log.roll.ms' },
  'retention.ms': { type: ConfigType.LONG, min: -1, brokerName: 'log.retention.ms' },
  'retention.bytes': { type: ConfigType.LONG, min: -1, brokerName: 'log.retention.bytes' },
  'cleanup.policy': { type: ConfigType.LIST, brokerName: 'log.cleanup.policy' },
  'max.message.bytes': { type: ConfigType.INT, min: 0, brokerName: 'message.max.bytes' },
  'flush.messages': { type: ConfigType.LONG, min: 1, brokerName: 'log.flush.interval.messages' },
  'flush.ms': { type: ConfigType.LONG, min: 0, brokerName: 'log.flush.interval.ms' },
  'index.interval.bytes': { type: ConfigType.INT, min: 0, brokerName: 'log.index.interval.bytes' },
  'message.timestamp.type': { type: ConfigType.STRING, brokerName: 'log.message.timestamp.type' },
  'delete.retention.ms': { type: ConfigType.LONG, min: 0, brokerName: 'log.cleaner.delete.retention.ms' },
};

export const TOPIC_CONFIG_NAMES: readonly Key[] = Object.keys(KEYS) as Key[];

/**
 * Kafka topic configs that Samsa accepts and ignores: they describe replication,
 * broker-side recompression or tiered storage, which a single node storing the
 * producer's batches as they are does not have. Rejecting them would break tools
 * that always send them.
 */
const ACCEPTED_AND_IGNORED = new Set([
  'compression.type',
  'min.insync.replicas',
  'unclean.leader.election.enable',
  'preallocate',
  'file.delete.delay.ms',
  'min.compaction.lag.ms',
  'max.compaction.lag.ms',
  'min.cleanable.dirty.ratio',
  'segment.index.bytes',
  'segment.jitter.ms',
  'message.downconversion.enable',
  'message.format.version',
  'message.timestamp.difference.max.ms',
  'message.timestamp.before.max.ms',
  'message.timestamp.after.max.ms',
  'follower.replication.throttled.replicas',
  'leader.replication.throttled.replicas',
  'local.retention.ms',
  'local.retention.bytes',
  'remote.storage.enable',
]);

function isKey(name: string): name is Key {
  return Object.prototype.hasOwnProperty.call(KEYS, name);
}

function parseCleanupPolicy(value: string): CleanupPolicy | undefined {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  const set = new Set(parts);
  if (parts.length === 0 || parts.length > 2 || set.size !== parts.length) return undefined;
  for (const p of set) if (p !== 'delete' && p !== 'compact') return undefined;
  if (set.size === 2) return 'compact,delete';
  return set.has('compact') ? 'compact' : 'delete';
}

/**
 * Parses config entries of a CreateTopics request. A null value means "default"
 * and is skipped. Throws KafkaError(INVALID_CONFIG) naming the bad entry.
 */
export function parseTopicConfigs(entries: ReadonlyArray<{ name: string; value: string | null }>): Partial<TopicConfig> {
  const out: Partial<Record<Key, number | string>> = {};
  for (const { name, value } of entries) {
    if (ACCEPTED_AND_IGNORED.has(name)) continue;
    if (!isKey(name)) throw new KafkaError(ErrorCode.INVALID_CONFIG, `unknown topic config ${name}`);
    if (value === null) continue;
    if (name === 'cleanup.policy') {
      const policy = parseCleanupPolicy(value);
      if (policy === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `cleanup.policy must be delete, compact or both, got ${value}`);
      out[name] = policy;
    } else if (name === 'message.timestamp.type') {
      if (value !== 'CreateTime' && value !== 'LogAppendTime') {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `message.timestamp.type must be CreateTime or LogAppendTime, got ${value}`);
      }
      out[name] = value;
    } else {
      const spec = KEYS[name];
      const n = /^-?\d{1,16}$/.test(value.trim()) ? Number(value.trim()) : NaN;
      const max = spec.type === ConfigType.INT ? 0x7fffffff : Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || n < (spec.min ?? 0) || n > max) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} must be an integer in [${spec.min ?? 0}, ${max}], got ${value}`);
      }
      out[name] = n;
    }
  }
  return out as Partial<TopicConfig>;
}

export interface ConfigEntry {
  name: string;
  value: string;
  isDefault: boolean;
  type: number;
}

/** A topic's config as entries; isDefault when equal to the broker default. */
export function topicConfigEntries(config: TopicConfig, defaults: TopicConfig, only: readonly string[] | null): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  for (const key of TOPIC_CONFIG_NAMES) {
    if (only !== null && !only.includes(key)) continue;
    out.push({ name: key, value: String(config[key]), isDefault: config[key] === defaults[key], type: KEYS[key].type });
  }
  return out;
}

/** The broker defaults under Kafka's broker-level names. */
export function brokerDefaultEntries(defaults: TopicConfig): ConfigEntry[] {
  return TOPIC_CONFIG_NAMES.map((key) => ({
    name: KEYS[key].brokerName,
    value: String(defaults[key]),
    isDefault: false,
    type: KEYS[key].type,
  }));
}
