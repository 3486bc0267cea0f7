// Helpers shared by the API files: topic name rules and this broker as Kafka sees it.
// Owns: nothing stateful. Must not call the engine.

import { ErrorCode } from '../../wire/errors.js';
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

/**
 * One partition as Metadata and DescribeTopicPartitions describe it on a single node:
 * this broker leads, is the only replica and the whole ISR, and there is no leader
 * epoch (-1: clients then skip KIP-320 validation; see 03-metadata.ts).
 */
export function singleNodePartition(partitionIndex: number, nodeId: number) {
  return {
    errorCode: ErrorCode.NONE,
    partitionIndex,
    leaderId: nodeId,
    leaderEpoch: -1,
    replicaNodes: [nodeId],
    isrNodes: [nodeId],
    offlineReplicas: [] as number[],
  };
}
