// Topic metadata on disk: `<dataDir>/meta/topics/<name>.json`, one file per topic.
// Owns: the TopicInfo shape and its atomic, validated persistence (the config's
// table, defaults and validation are src/config/topic-config.ts's). Must not open
// partition logs or decide policy (the engine creates/deletes partitions).
//
// Writes are atomic: write `<name>.json.tmp`, fsync, rename over `<name>.json`,
// fsync the directory. A crash leaves either the old or the new file (a leftover
// .tmp is removed at load). Loading validates every file; a damaged one (unreadable,
// not JSON, failing validation) is not dropped silently and does not stop start-up:
// its topic is kept aside as offline (`damaged()`, naming the file and the problem),
// so the broker serves every other topic and answers this one with an error until
// the file is fixed and the broker restarted.

import fs from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileDurably } from './durable-file.js';
import { DEFAULT_TOPIC_CONFIG, type TopicConfig, resolveTopicConfig } from '../config/topic-config.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { PARTITIONS_MAX, assertTopicName, isValidTopicName } from '../wire/topic-name.js';

/** A topic as the broker keeps it: what a metadata file holds. */
export interface TopicInfo {
  name: string;
  /** 16 random bytes as 32 hex chars; Kafka's topic id for Metadata v10+. */
  topicId: string;
  partitions: number;
  config: TopicConfig;
}

const TOPIC_ID_RE = /^[0-9a-f]{32}$/;
const FILE_SUFFIX = '.json';

/** A topic whose metadata file is damaged: offline until the file is fixed. */
export interface DamagedTopic {
  name: string;
  file: string;
  /** What is wrong with the file. */
  problem: string;
}
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
  private readonly damagedTopics = new Map<string, DamagedTopic>();
  /** Files under meta/topics whose name is no topic name (reported, left alone). */
  readonly strayFiles: string[] = [];

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Loads every topic file under `<dataDir>/meta/topics` (created if missing).
   * A damaged file's topic goes to `damaged()` instead of `list()`; only an
   * unreadable directory throws.
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
      const topic = name.slice(0, -FILE_SUFFIX.length);
      if (!isValidTopicName(topic)) {
        store.strayFiles.push(file); // no topic can have this name: nothing to take offline
        continue;
      }
      try {
        store.topics.set(topic, freezeInfo(readTopicFile(file, topic)));
      } catch (err) {
        const problem = err instanceof DamagedFileError ? err.problem : `unreadable (${(err as Error).message})`;
        store.damagedTopics.set(topic, Object.freeze({ name: topic, file, problem }));
      }
    }
    return store;
  }

  /** All topics, by name. */
  list(): TopicInfo[] {
    return [...this.topics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Topics whose metadata file is damaged, by name. */
  damaged(): DamagedTopic[] {
    return [...this.damagedTopics.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  damagedTopic(name: string): DamagedTopic | undefined {
    return this.damagedTopics.get(name);
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

/** A metadata file that fails validation (as opposed to an I/O error reading it). */
class DamagedFileError extends Error {
  constructor(readonly problem: string) {
    super(problem);
  }
}

function readTopicFile(file: string, expectedName: string): TopicInfo {
  const corrupt = (why: string): DamagedFileError => new DamagedFileError(why);
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
