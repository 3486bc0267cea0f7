// AlterPartitionReassignments (key 45): serves v0-1 (flexible), as Kafka 4.x does
// (kafka-reassign-partitions --execute/--cancel, Admin.alterPartitionReassignments).
// One node, one replica per partition: the only assignment Kafka's controller would
// accept is this broker alone, which is the current one, so it completes at once (NONE,
// nothing to move). Otherwise Kafka's controller answers, per partition
// (ReplicationControlManager.alterPartitionReassignment): an unknown topic or partition
// is UNKNOWN_TOPIC_OR_PARTITION; replicas null (cancel) is NO_REASSIGNMENT_IN_PROGRESS;
// an empty list, a repeated broker or a broker that is not this one is
// INVALID_REPLICA_ASSIGNMENT ("no such broker is registered"); v1's
// allow_replication_factor_change only matters for a count other than one, which the
// broker check above already refuses.
// Authorization (Kafka's controller): ALTER on the cluster, else
// CLUSTER_AUTHORIZATION_FAILED for the whole request.
// Owns: the answer; moves nothing.

import { ErrorCode } from '../../wire/errors.js';
import { AlterPartitionReassignmentsRequestCodec, AlterPartitionReassignmentsResponseCodec } from '../../wire/schemas/45-alter-partition-reassignments.js';
import { defineApi } from './types.js';
import { Op, requireCluster } from './authz.js';

function check(replicas: number[] | null, nodeId: number): { errorCode: number; errorMessage: string | null } {
  if (replicas === null) return { errorCode: ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, errorMessage: 'No partition reassignment is in progress.' };
  if (replicas.length === 0) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: 'The manual partition assignment includes an empty replica list.' };
  const sorted = [...replicas].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    const id = sorted[i]!;
    if (id !== nodeId) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes broker ${id}, but no such broker is registered.` };
    if (i > 0 && sorted[i - 1] === id) return { errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT, errorMessage: `The manual partition assignment includes the broker ${id} more than once.` };
  }
  // Only [nodeId] is left here: the current assignment, so the replication factor is unchanged.
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

export const alterPartitionReassignmentsApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: AlterPartitionReassignmentsRequestCodec,
  response: AlterPartitionReassignmentsResponseCodec,
  async handle(ctx, req) {
    requireCluster(ctx, Op.ALTER);
    const responses = req.topics.map((t) => {
      const layout = ctx.engine.topicLayout(t.name);
      const partitions = t.partitions.map((p) => {
        if (layout === undefined) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find a topic named ${t.name}.` };
        if (p.partitionIndex < 0 || p.partitionIndex >= layout.partitions) {
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unable to find partition ${t.name}:${p.partitionIndex}.` };
        }
        return { partitionIndex: p.partitionIndex, ...check(p.replicas, ctx.options.nodeId) };
      });
      return { name: t.name, partitions };
    });
    return { throttleTimeMs: 0, allowReplicationFactorChange: req.allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, allowReplicationFactorChange: req.allowReplicationFactorChange, errorCode, errorMessage: null, responses: [] };
  },
});
