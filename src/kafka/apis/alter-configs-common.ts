// Shared by AlterConfigs (33) and IncrementalAlterConfigs (44): applying a new
// topic config through the engine. Authorization: ALTER_CONFIGS on the topic
// (TOPIC_AUTHORIZATION_FAILED) or the cluster for the broker (CLUSTER_AUTHORIZATION_FAILED).
// Owns: that one step and the resource checks.

import type { TopicConfig } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { errorCodeOf, errorMessageOf } from '../error-codes.js';
import { ConfigResourceType } from '../../wire/schemas/32-describe-configs.js';
import type { AlterConfigsResourceResponse } from '../../wire/schemas/33-alter-configs.js';
import type { RequestContext } from './types.js';
import { Op, allowedOnCluster, allowedOnTopic } from './authz.js';
import { absentTopicError } from './absent-topic.js';

/**
 * Runs `build` (which returns the topic's complete new config from its current one)
 * and applies it unless validateOnly. Broker configs are static here.
 */
export async function alterTopic(
  ctx: RequestContext,
  resourceType: number,
  resourceName: string,
  validateOnly: boolean,
  build: (current: TopicConfig, defaults: TopicConfig) => TopicConfig,
): Promise<AlterConfigsResourceResponse> {
  const base = { resourceType, resourceName };
  try {
    if (resourceType === ConfigResourceType.BROKER && !allowedOnCluster(ctx, Op.ALTER_CONFIGS)) throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    if (resourceType === ConfigResourceType.TOPIC && !allowedOnTopic(ctx, Op.ALTER_CONFIGS, resourceName)) throw new KafkaError(ErrorCode.TOPIC_AUTHORIZATION_FAILED, `Not authorized to alter the configs of topic ${resourceName}`);
    if (resourceType === ConfigResourceType.BROKER) throw new KafkaError(ErrorCode.INVALID_REQUEST, 'broker configs are static in Samsa (set them at start-up)');
    if (resourceType !== ConfigResourceType.TOPIC) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unsupported resource type ${resourceType}`);
    const info = ctx.engine.describeTopic(resourceName);
    if (info === undefined) throw absentTopicError(ctx.engine, resourceName);
    const next = build(info.config, ctx.engine.defaultTopicConfig());
    if (!validateOnly) await ctx.engine.alterTopicConfig(resourceName, next);
    return { ...base, errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    return { ...base, errorCode: errorCodeOf(err), errorMessage: errorMessageOf(err) };
  }
}
