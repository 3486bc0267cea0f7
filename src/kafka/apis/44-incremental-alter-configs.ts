// IncrementalAlterConfigs (key 44): serves v0-1 (v1 flexible). SET and DELETE
// (back to the broker default) on any topic config; APPEND and SUBTRACT on the
// list-valued cleanup.policy. Broker resources are refused (static), except a request
// that only DELETEs the replication throttles of this broker (or the cluster default):
// kafka-reassign-partitions --verify clears them once a reassignment is done, and Kafka
// answers that with NONE; Samsa has no dynamic broker configs, so none was set and the
// deletion is the same no-op (authorized as any broker change: ALTER_CONFIGS on the
// cluster).
// Owns: applying the operations to the current config.

import type { TopicConfig } from '../../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { AlterConfigOp, type IncrementalAlterConfigsRequest, IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from '../../wire/schemas/44-incremental-alter-configs.js';
import { TOPIC_CONFIG_NAMES, parseTopicConfigEntries } from '../../config/topic-config.js';
import { alterTopic } from './alter-configs-common.js';
import { type RequestContext, defineApi } from './types.js';
import { ConfigResourceType } from '../../wire/schemas/32-describe-configs.js';
import { Op as AclOp, allowedOnCluster } from './authz.js';

/** Broker-level throttles Kafka's reassignment tool sets and clears (never set in Samsa). */
const BROKER_THROTTLES: ReadonlySet<string> = new Set(['leader.replication.throttled.rate', 'follower.replication.throttled.rate', 'replica.alter.log.dirs.io.max.bytes.per.second']);

type Resource = IncrementalAlterConfigsRequest['resources'][number];

/** A request that only deletes this broker's (unset) throttles: Kafka's NONE, or its authorization error. */
function clearsBrokerThrottles(ctx: RequestContext, r: Resource): { errorCode: number; errorMessage: string | null } | undefined {
  if (r.resourceType !== ConfigResourceType.BROKER) return undefined;
  if (r.resourceName !== '' && r.resourceName !== String(ctx.options.nodeId)) return undefined;
  if (!r.configs.every((c) => c.configOperation === AlterConfigOp.DELETE && BROKER_THROTTLES.has(c.name))) return undefined;
  if (!allowedOnCluster(ctx, AclOp.ALTER_CONFIGS)) return { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

type Op = IncrementalAlterConfigsRequest['resources'][number]['configs'][number];

function apply(current: TopicConfig, defaults: TopicConfig, ops: readonly Op[]): TopicConfig {
  const next: TopicConfig = { ...current };
  const set = (name: string, value: string | null) => Object.assign(next, parseTopicConfigEntries([{ name, value }]));
  for (const op of ops) {
    const known = (TOPIC_CONFIG_NAMES as readonly string[]).includes(op.name);
    switch (op.configOperation) {
      case AlterConfigOp.SET:
        set(op.name, op.value);
        break;
      case AlterConfigOp.DELETE:
        if (known) Object.assign(next, { [op.name]: defaults[op.name as keyof TopicConfig] });
        else set(op.name, null); // unknown names are refused, ignored ones pass
        break;
      case AlterConfigOp.APPEND:
      case AlterConfigOp.SUBTRACT: {
        if (op.name !== 'cleanup.policy') throw new KafkaError(ErrorCode.INVALID_CONFIG, `${op.name} is not a list config`);
        const parts = new Set(next['cleanup.policy'].split(','));
        for (const v of (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
          if (op.configOperation === AlterConfigOp.APPEND) parts.add(v);
          else parts.delete(v);
        }
        set('cleanup.policy', [...parts].join(','));
        break;
      }
      default:
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config operation ${op.configOperation}`);
    }
  }
  return next;
}

export const incrementalAlterConfigsApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: IncrementalAlterConfigsRequestCodec,
  response: IncrementalAlterConfigsResponseCodec,
  async handle(ctx, req) {
    const responses = [];
    for (const r of req.resources) {
      const cleared = clearsBrokerThrottles(ctx, r);
      if (cleared !== undefined) {
        responses.push({ ...cleared, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      responses.push(await alterTopic(ctx, r.resourceType, r.resourceName, req.validateOnly, (current, defaults) => apply(current, defaults, r.configs)));
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, responses: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
