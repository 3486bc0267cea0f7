// Metadata (key 3): serves v0-13 (v9+ flexible, v10+ topic ids, v12 nullable names, v13
// a top-level error code: 0, or the error of a request that failed as a whole).
// This single broker is the leader, the only replica and the controller of every
// partition. Topics that do not exist are created when auto.create.topics.enable is
// on (and, from v4, the request allows it), with num.partitions partitions.
// Authorization (Kafka's): all topics lists only those the principal may DESCRIBE; a
// named topic it may not describe is TOPIC_AUTHORIZATION_FAILED whether it exists or
// not; auto-creation needs CREATE on the cluster or the topic (else
// TOPIC_AUTHORIZATION_FAILED); authorized operations are computed when asked.
// Owns: the answer and auto-creation; must not cache topic state (the engine owns it).

import type { TopicInfo } from '../../broker/engine-api.js';
import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { MetadataRequestCodec, MetadataResponseCodec, type MetadataResponseTopic } from '../../wire/schemas/03-metadata.js';
import { brokerEndpoint, isValidTopicName, singleNodePartition, ZERO_UUID } from './common.js';
import { type RequestContext, defineApi } from './types.js';
import { OPERATIONS_NOT_REQUESTED, Op, Resource, allowedOnTopic, authorizedOperations, mayCreateTopic } from './authz.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';

function topicMetadata(info: TopicInfo, nodeId: number, authorizedOps: number = OPERATIONS_NOT_REQUESTED): MetadataResponseTopic {
  const partitions = [];
  for (let p = 0; p < info.partitions; p++) {
    partitions.push(singleNodePartition(p, nodeId));
  }
  return {
    errorCode: ErrorCode.NONE,
    name: info.name,
    topicId: info.topicId,
    isInternal: info.name.startsWith('__'),
    partitions,
    topicAuthorizedOperations: authorizedOps,
  };
}

function missingTopic(name: string | null, topicId: string, errorCode: number): MetadataResponseTopic {
  return { errorCode, name, topicId, isInternal: false, partitions: [], topicAuthorizedOperations: -2147483648 };
}

async function autoCreate(ctx: RequestContext, name: string): Promise<MetadataResponseTopic> {
  try {
    return topicMetadata(await ctx.engine.createTopic(name, ctx.options.numPartitions), ctx.options.nodeId);
  } catch (err) {
    // Another request may have created it meanwhile: that is success.
    const info = ctx.engine.describeTopic(name);
    if (info !== undefined) return topicMetadata(info, ctx.options.nodeId);
    return missingTopic(name, ZERO_UUID, errorCodeOf(err));
  }
}

export const metadataApi = defineApi({
  minVersion: 0,
  maxVersion: 13,
  request: MetadataRequestCodec,
  response: MetadataResponseCodec,
  async handle(ctx, req, version) {
    const nodeId = ctx.options.nodeId;
    const allTopics = req.topics === null || (version === 0 && req.topics.length === 0);
    const ops = (name: string): number => authorizedOperations(ctx, req.includeTopicAuthorizedOperations, Resource.TOPIC, name);
    let topics: MetadataResponseTopic[];
    if (allTopics) {
      topics = ctx.engine
        .listTopics()
        .filter((t) => allowedOnTopic(ctx, Op.DESCRIBE, t.name, false))
        .map((t) => topicMetadata(t, nodeId, ops(t.name)));
    } else {
      const mayCreate = ctx.options.autoCreateTopics && (version < 4 || req.allowAutoTopicCreation);
      let byId: Map<string, TopicInfo> | undefined;
      topics = await Promise.all(
        (req.topics ?? []).map(async (t): Promise<MetadataResponseTopic> => {
          if (t.name === null) {
            byId ??= new Map(ctx.engine.listTopics().map((i) => [i.topicId, i]));
            const info = byId.get(t.topicId);
            if (info !== undefined && !allowedOnTopic(ctx, Op.DESCRIBE, info.name)) return missingTopic(version >= 12 ? null : '', t.topicId, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
            if (info !== undefined) return topicMetadata(info, nodeId, ops(info.name));
            return missingTopic(version >= 12 ? null : '', t.topicId, ErrorCode.UNKNOWN_TOPIC_ID);
          }
          if (!allowedOnTopic(ctx, Op.DESCRIBE, t.name)) return missingTopic(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          const info = ctx.engine.describeTopic(t.name);
          if (info !== undefined) return topicMetadata(info, nodeId, ops(info.name));
          if (!isValidTopicName(t.name)) return missingTopic(t.name, ZERO_UUID, ErrorCode.INVALID_TOPIC_EXCEPTION);
          // Offline (damaged metadata): named with KAFKA_STORAGE_ERROR, never auto-created over.
          // A request for all topics leaves it out, as a topic-level error there fails some clients' whole metadata refresh.
          if (ctx.engine.offlineTopic(t.name) !== undefined) return missingTopic(t.name, ZERO_UUID, ErrorCode.KAFKA_STORAGE_ERROR);
          if (mayCreate && !mayCreateTopic(ctx, t.name)) return missingTopic(t.name, ZERO_UUID, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
          if (mayCreate) return autoCreate(ctx, t.name);
          return missingTopic(t.name, ZERO_UUID, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        }),
      );
    }
    return {
      throttleTimeMs: 0,
      brokers: [brokerEndpoint(ctx)],
      clusterId: ctx.options.clusterId,
      controllerId: nodeId,
      topics,
      clusterAuthorizedOperations: authorizedOperations(ctx, req.includeClusterAuthorizedOperations, Resource.CLUSTER, CLUSTER_RESOURCE_NAME),
    };
  },
  errorResponse(req, version, errorCode) {
    return {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: (req.topics ?? []).map((t) => missingTopic(t.name ?? (version >= 12 ? null : ''), t.topicId, errorCode)),
      clusterAuthorizedOperations: -2147483648,
      errorCode,
    };
  },
});
