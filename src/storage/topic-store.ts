// Topic metadata on disk: `<dataDir>/meta/topics/<name>.json`, one file per topic.
// Owns: Kafka's topic config defaults and their validation, the mapping to
// LogConfig, and atomic, validated persistence of TopicInfo. Must not open
// partition logs or decide policy (the engine creates/deletes partitions).
//
// Writes are atomic: write `<name>.json.tmp`, fsync, rename over `<name>.json`,
// fsync the directory. A crash leaves either the old or the new file (a leftover
// .tmp is removed at load). Loading validates every file; a corrupt one stops
// start-up with an error naming it, rather than silently dropping a topic.

import fs from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileDurably } from './durable-file.js';
import type { CleanupPolicy, TopicConfig, TopicInfo } from '../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import type { LogConfig } from './log-config.js';
import { PARTITIONS_MAX, assertTopicName, isValidTopicName } from '../wire/topic-name.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Kafka's topic-level defaults (Long.MAX_VALUE becomes Number.MAX_SAFE_INTEGER). */
export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze({
  'segment.bytes': 1_073_741_824,
  'segment.ms': 7 * DAY_MS,
  'retention.ms': 7 * DAY_MS,
  'retention.bytes': -1,
  'cleanup.policy': 'delete',
  'max.message.bytes': 1_048_588,
  'flush.messages': Number.MAX_SAFE_INTEGER,
  'flush.ms': Number.MAX_SAFE_INTEGER,
  'index.interval.bytes': 4096,
  'message.timestamp.type': 'CreateTime',
  'delete.retention.ms': DAY_MS,
});

export const TOPIC_CONFIG_KEYS = Object.freeze(Object.keys(DEFAULT_TOPIC_CONFIG) as Array<keyof TopicConfig>);

const INT_MAX = 2_147_483_647;

type NumberSpec = { kind: 'number'; min: number; max: number };
type EnumSpec = { kind: 'enum'; parse: (v: string) => string | null; allowed: string };

const SPECS: Record<keyof TopicConfig, NumberSpec | EnumSpec> = {
  'segment.bytes': { kind: 'number', min: 14, max: INT_MAX },
  'segment.ms': { kind: 'number', min: 1, max: Number.MAX_SAFE_INTEGER },
  'retention.ms': { kind: 'number', min: -1, max: Number.MAX_SAFE_INTEGER },
  'retention.bytes': { kind: 'number', min: -1, max: Number.MAX_SAFE_INTEGER },
  'cleanup.policy': { kind: 'enum', parse: parseCleanupPolicy, allowed: 'delete, compact, or compact,delete' },
  'max.message.bytes': { kind: 'number', min: 0, max: INT_MAX },
  'flush.messages': { kind: 'number', min: 1, max: Number.MAX_SAFE_INTEGER },
  'flush.ms': { kind: 'number', min: 0, max: Number.MAX_SAFE_INTEGER },
  'index.interval.bytes': { kind: 'number', min: 0, max: INT_MAX },
  'message.timestamp.type': { kind: 'enum', parse: (v) => (v === 'CreateTime' || v === 'LogAppendTime' ? v : null), allowed: 'CreateTime or LogAppendTime' },
  'delete.retention.ms': { kind: 'number', min: 0, max: Number.MAX_SAFE_INTEGER },
};

function parseCleanupPolicy(v: string): CleanupPolicy | null {
  const parts = new Set(v.split(',').map((p) => p.trim()).filter((p) => p.length > 0));
  if (parts.size === 0 || [...parts].some((p) => p !== 'delete' && p !== 'compact')) return null;
  if (parts.size === 2) return 'compact,delete';
  return parts.has('compact') ? 'compact' : 'delete';
}

function invalidConfig(key: string, why: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, `invalid topic config ${key}: ${why}`);
}

/** A long as Kafka sends it (number or decimal string); values past 2^53 (Long.MAX_VALUE) clamp to MAX_SAFE_INTEGER. */
function toInteger(key: string, value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\s*-?\d{1,20}\s*$/.test(value)) n = Number(value.trim());
  else throw invalidConfig(key, `${JSON.stringify(value)} is not an integer`);
  if (!Number.isFinite(n) || !Number.isInteger(n)) throw invalidConfig(key, `${String(value)} is not an integer`);
  if (n > Number.MAX_SAFE_INTEGER) n = Number.MAX_SAFE_INTEGER;
  return n;
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
    if (!Object.hasOwn(SPECS, key)) throw invalidConfig(key, 'unknown topic config (supported: ' + TOPIC_CONFIG_KEYS.join(', ') + ')');
    const spec = SPECS[key as keyof TopicConfig];
    if (spec.kind === 'number') {
      const n = toInteger(key, value);
      if (n < spec.min || n > spec.max) throw invalidConfig(key, `${n} is outside ${spec.min}..${spec.max}`);
      out[key] = n;
    } else {
      const parsed = typeof value === 'string' ? spec.parse(value) : null;
      if (parsed === null) throw invalidConfig(key, `${JSON.stringify(value)} is not one of ${spec.allowed}`);
      out[key] = parsed;
    }
  }
  return out as Partial<TopicConfig>;
}

/** `base` overridden by the validated `partial`: a whole TopicConfig. */
export function resolveTopicConfig(partial: unknown, base: Readonly<TopicConfig> = DEFAULT_TOPIC_CONFIG): TopicConfig {
  return { ...base, ...validateTopicConfig(partial) };
}

export function toLogConfig(c: TopicConfig): LogConfig {
  return {
    segmentBytes: c['segment.bytes'],
    segmentMs: c['segment.ms'],
    retentionMs: c['retention.ms'],
    retentionBytes: c['retention.bytes'],
    indexIntervalBytes: c['index.interval.bytes'],
    maxMessageBytes: c['max.message.bytes'],
  };
}

const TOPIC_ID_RE = /^[0-9a-f]{32}$/;
const FILE_SUFFIX = '.json';
/** durable-file.ts writes `<file>.tmp` first; a leftover one is an interrupted put. */
const TMP_SUFFIX = '.json.tmp';
/** Bound on one metadata file (a TopicInfo is a few hundred bytes). */
const META_FILE_BYTES_MAX = 64 * 1024;

/** Checks a TopicInfo; returns the problem or null. */
function topicInfoProblem(info: unknown): string | null {
  if (typeof info !== 'object' || info === null || Array.isArray(info)) return 'not an object';
  const o = info as Record<string, unknown>;
  if (!isValidTopicName(o.name)) return `name ${JSON.stringify(o.name)} breaks the topic-name rule`;
  if (typeof o.topicId !== 'string' || !TOPIC_ID_RE.test(o.topicId)) return `topicId ${JSON.stringify(o.topicId)} is not 32 lowercase hex digits`;
  if (typeof o.partitions !== 'number' || !Number.isInteger(o.partitions) || o.partitions < 1 || o.partitions > PARTITIONS_MAX) {
    return `partitions ${JSON.stringify(o.partitions)} is not an integer in 1..${PARTITIONS_MAX}`;
  }
  return null;
}

function freezeInfo(info: TopicInfo): TopicInfo {
  return Object.freeze({ name: info.name, topicId: info.topicId, partitions: info.partitions, config: Object.freeze({ ...info.config }) });
}

export class TopicStore {
  /** `<dataDir>/meta/topics`. */
  readonly dir: string;
  private readonly topics = new Map<string, TopicInfo>();

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Loads every topic file under `<dataDir>/meta/topics` (created if missing).
   * Throws KafkaError(KAFKA_STORAGE_ERROR) naming the first corrupt file.
   */
  static load(dataDir: string): TopicStore {
    const store = new TopicStore(path.join(dataDir, 'meta', 'topics'));
    fs.mkdirSync(store.dir, { recursive: true });
    for (const name of fs.readdirSync(store.dir).sort()) {
      const file = path.join(store.dir, name);
      if (name.endsWith(TMP_SUFFIX)) {
        fs.unlinkSync(file); // an interrupted write; the .json it was replacing is intact
        continue;
      }
      if (!name.endsWith(FILE_SUFFIX)) continue;
      const info = readTopicFile(file, name.slice(0, -FILE_SUFFIX.length));
      store.topics.set(info.name, freezeInfo(info));
    }
    return store;
  }

  /** All topics, by name. */
  list(): TopicInfo[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  /** Validates and writes (atomically) one topic, replacing any previous version. */
  put(info: TopicInfo): void {
    assertTopicName(info.name);
    const problem = topicInfoProblem(info);
    if (problem !== null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `topic ${info.name}: ${problem}`);
    const config = resolveTopicConfig(info.config, DEFAULT_TOPIC_CONFIG);
    const stored = freezeInfo({ name: info.name, topicId: info.topicId, partitions: info.partitions, config });
    const file = path.join(this.dir, info.name + FILE_SUFFIX);
    writeFileDurably(file, this.dir, JSON.stringify({ version: 1, ...stored }, null, 2) + '\n');
    this.topics.set(info.name, stored);
  }

  /** Removes a topic's file; false if there was none. */
  remove(name: string): boolean {
    assertTopicName(name);
    if (!this.topics.has(name)) return false;
    try {
      fs.unlinkSync(path.join(this.dir, name + FILE_SUFFIX));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    syncDir(this.dir);
    this.topics.delete(name);
    return true;
  }
}

function readTopicFile(file: string, expectedName: string): TopicInfo {
  const corrupt = (why: string): KafkaError =>
    new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `topic metadata file ${file} is corrupt: ${why}. Fix or remove the file; Samsa will not start without it.`);
  const size = fs.statSync(file).size;
  if (size > META_FILE_BYTES_MAX) throw corrupt(`${size} bytes is more than ${META_FILE_BYTES_MAX}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw corrupt(`not JSON (${(err as Error).message})`);
  }
  const problem = topicInfoProblem(parsed);
  if (problem !== null) throw corrupt(problem);
  const o = parsed as Record<string, unknown>;
  if (o.version !== 1) throw corrupt(`version ${JSON.stringify(o.version)} is not 1`);
  if (o.name !== expectedName) throw corrupt(`name ${JSON.stringify(o.name)} does not match the file name`);
  let config: TopicConfig;
  try {
    // Keys missing from an older file take today's defaults; unknown or bad ones are errors.
    config = resolveTopicConfig(o.config ?? {}, DEFAULT_TOPIC_CONFIG);
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  return { name: o.name as string, topicId: o.topicId as string, partitions: o.partitions as number, config };
}
