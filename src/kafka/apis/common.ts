// Helpers shared by the API files: topic name rules and this broker as Kafka sees it.
// Owns: nothing stateful. Must not call the engine.

import type { RequestContext } from './types.js';

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's topic name rule, checked before any engine call. */
export function isValidTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

/** This broker as clients of the request's listener must reach it (Kafka answers per listener). */
export function brokerEndpoint(ctx: RequestContext): { nodeId: number; host: string; port: number; rack: null } {
  const l = ctx.session.listener;
  const o = ctx.options;
  return { nodeId: o.nodeId, host: l?.advertisedHost ?? o.advertisedHost, port: l?.advertisedPort ?? o.advertisedPort, rack: null };
}

export const ZERO_UUID = '00000000000000000000000000000000';
