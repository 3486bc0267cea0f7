// DescribeConfigs (key 32): serves v0-4 (v1 synonyms and config sources; v3 types
// and documentation; v4+ flexible). TOPIC resources list the topic's effective
// config (TopicInfo.config); the BROKER resource (name "" or this node's id) lists
// the broker defaults under Kafka's broker names plus a few broker settings.
// Authorization: DESCRIBE_CONFIGS on the topic (TOPIC_AUTHORIZATION_FAILED) or on
// the cluster for the broker (CLUSTER_AUTHORIZATION_FAILED).
// Owns: building the answer; must not change any config.

import { ErrorCode } from '../../wire/errors.js';
import { ConfigResourceType, ConfigSource, ConfigType, type DescribeConfigsRequest, DescribeConfigsRequestCodec, type DescribeConfigsResourceResult, DescribeConfigsResponseCodec, type DescribeConfigsResult } from '../../wire/schemas/32-describe-configs.js';
import { type ConfigEntry, brokerDefaultEntries, topicConfigEntries } from '../../config/topic-config.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, allowedOnCluster, allowedOnTopic } from './authz.js';
import { absentTopicCode, absentTopicMessage } from './absent-topic.js';

function brokerEntries(ctx: RequestContext): ConfigEntry[] {
  const o = ctx.options;
  return [
    { name: 'broker.id', value: String(o.nodeId), isDefault: false, type: ConfigType.INT },
    { name: 'num.partitions', value: String(o.numPartitions), isDefault: false, type: ConfigType.INT },
    { name: 'auto.create.topics.enable', value: String(o.autoCreateTopics), isDefault: false, type: ConfigType.BOOLEAN },
    { name: 'default.replication.factor', value: '1', isDefault: true, type: ConfigType.SHORT },
    { name: 'socket.request.max.bytes', value: String(o.requestMaxBytes), isDefault: false, type: ConfigType.INT },
    ...brokerDefaultEntries(ctx.engine.defaultTopicConfig()),
  ];
}

function describe(ctx: RequestContext, r: DescribeConfigsRequest['resources'][number], includeSynonyms: boolean): DescribeConfigsResult {
  const base = { resourceType: r.resourceType, resourceName: r.resourceName };
  let entries: ConfigEntry[];
  let source: (e: ConfigEntry) => number;
  if (r.resourceType === ConfigResourceType.TOPIC) {
    if (!allowedOnTopic(ctx, Op.DESCRIBE_CONFIGS, r.resourceName)) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, configs: [] };
    const info = ctx.engine.describeTopic(r.resourceName);
    if (info === undefined) {
      return { ...base, errorCode: absentTopicCode(ctx.engine, r.resourceName), errorMessage: absentTopicMessage(ctx.engine, r.resourceName), configs: [] };
    }
    entries = topicConfigEntries(info.config, ctx.engine.defaultTopicConfig(), r.configurationKeys);
    source = (e) => (e.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.TOPIC_CONFIG);
  } else if (r.resourceType === ConfigResourceType.BROKER) {
    if (!allowedOnCluster(ctx, Op.DESCRIBE_CONFIGS)) return { ...base, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, configs: [] };
    if (r.resourceName !== '' && r.resourceName !== String(ctx.options.nodeId)) {
      return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `this broker is node ${ctx.options.nodeId}`, configs: [] };
    }
    const keys = r.configurationKeys;
    entries = brokerEntries(ctx).filter((e) => keys === null || keys.includes(e.name));
    source = (e) => (e.isDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG);
  } else {
    return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `unsupported resource type ${r.resourceType}`, configs: [] };
  }
  const configs = entries.map(
    (e): DescribeConfigsResourceResult => ({
      name: e.name,
      value: e.value,
      readOnly: r.resourceType === ConfigResourceType.BROKER,
      isDefault: e.isDefault,
      configSource: source(e),
      isSensitive: false,
      synonyms: includeSynonyms ? [{ name: e.name, value: e.value, source: source(e) }] : [],
      configType: e.type,
      documentation: null,
    }),
  );
  return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
}

export const describeConfigsApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: DescribeConfigsRequestCodec,
  response: DescribeConfigsResponseCodec,
  async handle(ctx, req) {
    return { throttleTimeMs: 0, results: req.resources.map((r) => describe(ctx, r, req.includeSynonyms)) };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
    };
  },
});
