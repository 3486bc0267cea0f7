// ListPartitionReassignments (key 46): serves v0 (flexible), as Kafka 4.x does
// (kafka-reassign-partitions --verify/--list, Admin.listPartitionReassignments). A
// single node never moves replicas, so no reassignment is ever in progress: the answer
// lists none, for every topic or the named ones (Kafka's controller, too, lists only
// ongoing reassignments and skips unknown topics).
// Authorization (Kafka's controller): DESCRIBE on the cluster, else
// CLUSTER_AUTHORIZATION_FAILED.
// Owns: the answer.

import { ErrorCode } from '../../wire/errors.js';
import { ListPartitionReassignmentsRequestCodec, ListPartitionReassignmentsResponseCodec } from '../../wire/schemas/46-list-partition-reassignments.js';
import { defineApi } from './types.js';
import { Op, requireCluster } from './authz.js';

export const listPartitionReassignmentsApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: ListPartitionReassignmentsRequestCodec,
  response: ListPartitionReassignmentsResponseCodec,
  async handle(ctx) {
    requireCluster(ctx, Op.DESCRIBE);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics: [] };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, topics: [] };
  },
});
