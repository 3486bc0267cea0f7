// The answer for a topic the engine does not serve, shared by the API files.
// Owns: the choice between UNKNOWN_TOPIC_OR_PARTITION (no such topic) and
// KAFKA_STORAGE_ERROR (the topic is offline: its metadata file is damaged), so a
// client sees a storage problem, retriable in every Kafka client, instead of being
// told the topic is gone — and no API auto-creates over it. Must not hold state.

import type { Engine } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';

export function absentTopicCode(engine: Engine, name: string): number {
  return engine.offlineTopic(name) !== undefined ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
}

export function absentTopicMessage(engine: Engine, name: string): string {
  const d = engine.offlineTopic(name);
  return d !== undefined ? `topic ${name} is offline: its metadata file is damaged (${d.problem})` : `unknown topic ${name}`;
}

export function absentTopicError(engine: Engine, name: string): KafkaError {
  return new KafkaError(absentTopicCode(engine, name), absentTopicMessage(engine, name));
}
