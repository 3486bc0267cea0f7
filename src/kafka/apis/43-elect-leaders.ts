// ElectLeaders (key 43): serves v0-2 (v2 flexible), as Kafka 4.x does (kafka-leader-election,
// Admin.electLeaders). On one node the preferred leader (the only replica) always leads,
// so every existing partition gets what Kafka's controller answers a partition whose
// preferred leader leads (ReplicationControlManager.electLeader): ELECTION_NOT_NEEDED,
// for a preferred (0) and for an unclean (1) election alike (it has a leader). An
// unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION; another election type is
// INVALID_REQUEST. topic_partitions null ("all partitions") answers, as Kafka does,
// only the partitions whose result is not ELECTION_NOT_NEEDED: here none.
// Authorization (Kafka's controller): ALTER on the cluster, else
// CLUSTER_AUTHORIZATION_FAILED (top-level from v1, and for every partition named).
// Owns: the answer; elects nothing.

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { ElectLeadersRequestCodec, ElectLeadersResponseCodec } from '../../wire/schemas/43-elect-leaders.js';
import { defineApi } from './types.js';
import { Op, requireCluster } from './authz.js';

const PREFERRED = 0;
const UNCLEAN = 1;
const NOT_NEEDED_MESSAGE = 'Leader election not needed for topic partition.';

export const electLeadersApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: ElectLeadersRequestCodec,
  response: ElectLeadersResponseCodec,
  async handle(ctx, req) {
    requireCluster(ctx, Op.ALTER);
    if (req.electionType !== PREFERRED && req.electionType !== UNCLEAN) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown election type ${req.electionType}`);
    if (req.topicPartitions === null) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: [] };
    const replicaElectionResults = req.topicPartitions.map((t) => {
      const layout = ctx.engine.topicLayout(t.topic);
      const partitionResult = t.partitions.map((partitionId) => {
        if (layout === undefined) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${t.topic}` };
        if (partitionId < 0 || partitionId >= layout.partitions) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${t.topic}-${partitionId}` };
        return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: NOT_NEEDED_MESSAGE };
      });
      return { topic: t.topic, partitionResult };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
  errorResponse(req, _version, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })) })),
    };
  },
});
