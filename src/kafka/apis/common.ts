// Helpers shared by the API files: topic name rules and this broker as Kafka sees it.
// Owns: nothing stateful. Must not call the engine.

import type { KafkaOptions } from './types.js';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic name rule, checked before any engine call. */
export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export function brokerEndpoint(o: Readonly<KafkaOptions>): { nodeId: number; host: string; port: number; rack: null } {
  return { nodeId: o.nodeId, host: o.advertisedHost, port: o.advertisedPort, rack: null };
}

export const ZERO_UUID = '00000000000000000000000000000000';
