// Metadata requests and the small per-topic view the producer and consumer keep.
// Owns: turning a Metadata response into TopicMetadata, and per-topic error
// mapping. Must not cache across clients (each client object keeps its own) and
// must not import Node built-ins.

import type { MetadataRequest, MetadataResponse } from '../wire/schemas/03-metadata.js';
import { API_KEYS, type Connection } from './connection.js';

export const ZERO_UUID = '00000000000000000000000000000000';

export interface PartitionMetadata {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  errorCode: number;
}

export interface TopicMetadata {
  name: string;
  topicId: string;
  isInternal: boolean;
  errorCode: number;
  /** Sorted by partition index. */
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  topics: TopicMetadata[];
}

/** Metadata of `topics` (null: every topic). Topic errors are in each TopicMetadata. */
export async function requestMetadata(conn: Connection, topics: readonly string[] | null, allowAutoTopicCreation: boolean): Promise<ClusterMetadata> {
  const req: MetadataRequest = {
    topics: topics === null ? null : topics.map((name) => ({ topicId: ZERO_UUID, name })),
    allowAutoTopicCreation,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };
  const res = await conn.request<MetadataResponse>(API_KEYS.Metadata, req);
  return {
    clusterId: res.clusterId,
    controllerId: res.controllerId,
    brokers: res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    topics: res.topics.map((t) => ({
      name: t.name ?? '',
      topicId: t.topicId,
      isInternal: t.isInternal,
      errorCode: t.errorCode,
      partitions: t.partitions
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        }))
        .sort((a, b) => a.partition - b.partition),
    })),
  };
}
