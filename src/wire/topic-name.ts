// Topic names and the partition count, as both sides of the wire check them.
// Owns: Kafka's topic-name rule (checked before any path is built from a name) and
// Samsa's one bound on partitions per topic (the engine, CreateTopics,
// CreatePartitions, the topic store and the CLI all use this constant). Must not
// touch the file system or import anything outside wire/ (the browser client shares it).

import { ErrorCode, KafkaError } from './errors.js';

/** Kafka's limit (org.apache.kafka.common.internals.Topic.MAX_NAME_LENGTH). */
export const TOPIC_NAME_LENGTH_MAX = 249;
/** Partitions per topic that Samsa accepts (a bound, not Kafka's): 10,000 partitions of one shard-owned directory each. */
export const PARTITIONS_MAX = 10_000;

const TOPIC_NAME_RE = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's rule: `[a-zA-Z0-9._-]{1,249}`, and not `.` or `..`. */
export function isValidTopicName(name: unknown): name is string {
  return typeof name === 'string' && TOPIC_NAME_RE.test(name) && name !== '.' && name !== '..';
}

/** Throws KafkaError(INVALID_TOPIC_EXCEPTION) naming the problem. */
export function assertTopicName(name: unknown): asserts name is string {
  if (isValidTopicName(name)) return;
  let why: string;
  if (typeof name !== 'string') why = 'not a string';
  else if (name.length === 0) why = 'empty';
  else if (name.length > TOPIC_NAME_LENGTH_MAX) why = `longer than ${TOPIC_NAME_LENGTH_MAX} characters`;
  else if (name === '.' || name === '..') why = `"${name}" is reserved`;
  else why = 'only ASCII letters, digits, ".", "_" and "-" are allowed';
  const shown = typeof name === 'string' ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : String(name);
  throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name ${shown}: ${why}`);
}
