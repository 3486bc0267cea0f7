// OffsetForLeaderEpoch (key 23): serves v2-4 (v4 flexible), the versions Kafka 4.x
// serves. Consumers (KIP-320) ask it to validate a position after a leader change: the
// end offset of the largest leader epoch ≤ the one asked for.
// Samsa has one leader that never changes and numbers no epochs: Metadata, ListOffsets
// and Fetch all say leader epoch -1, and the stored batches keep whatever epoch their
// producer wrote (-1 from clients). So, consistently with that:
// - current_leader_epoch -1 is not checked; any other value is newer than the broker's
//   epoch (-1), and Kafka answers that with UNKNOWN_LEADER_EPOCH;
// - leader_epoch -1 (undefined) gets Kafka's undefined answer (-1, -1);
// - any leader_epoch ≥ 0 gets (that epoch, the high watermark): the one leadership
//   this log has had ends at the log end, so a client whose position is past the high
//   watermark (a tail lost in a crash of an acks=1 write) sees the truncation, and
//   any other client sees none, which is true.
// Java consumers skip the validation while Metadata's epoch is -1
// (SubscriptionState.validatePosition needs an epoch on both sides), so this answers
// the clients that ask anyway (tools, other libraries) without inventing epochs.
// Authorization (Kafka's): CLUSTER_ACTION on the cluster allows every topic; otherwise
// DESCRIBE on each topic, else TOPIC_AUTHORIZATION_FAILED.
// Owns: the answer; must not keep epoch state.

import { ErrorCode } from '../../wire/errors.js';
import { OffsetForLeaderEpochRequestCodec, OffsetForLeaderEpochResponseCodec } from '../../wire/schemas/23-offset-for-leader-epoch.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnTopic } from './authz.js';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.js';
import { absentTopicCode } from './absent-topic.js';

const UNDEFINED_EPOCH = -1;
const UNDEFINED_EPOCH_OFFSET = -1;

function result(partition: number, errorCode: number, leaderEpoch = UNDEFINED_EPOCH, endOffset = UNDEFINED_EPOCH_OFFSET) {
  return { errorCode, partition, leaderEpoch, endOffset };
}

export const offsetForLeaderEpochApi = defineApi({
  minVersion: 2,
  maxVersion: 4,
  request: OffsetForLeaderEpochRequestCodec,
  response: OffsetForLeaderEpochResponseCodec,
  async handle(ctx, req) {
    const clusterAction = allowed(ctx, Op.CLUSTER_ACTION, Resource.CLUSTER, CLUSTER_RESOURCE_NAME, false);
    const topics = req.topics.map((t) => {
      const mayDescribe = clusterAction || allowedOnTopic(ctx, Op.DESCRIBE, t.topic);
      const layout = mayDescribe ? ctx.engine.topicLayout(t.topic) : undefined;
      const partitions = t.partitions.map((p) => {
        if (!mayDescribe) return result(p.partition, ErrorCode.TOPIC_AUTHORIZATION_FAILED);
        if (layout === undefined) return result(p.partition, absentTopicCode(ctx.engine, t.topic));
        if (p.partition < 0 || p.partition >= layout.partitions) return result(p.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (p.currentLeaderEpoch !== UNDEFINED_EPOCH) {
          // Below -1 is older than ours (FENCED_LEADER_EPOCH); any epoch ≥ 0 is newer.
          return result(p.partition, p.currentLeaderEpoch < UNDEFINED_EPOCH ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH);
        }
        if (p.leaderEpoch < 0) return result(p.partition, ErrorCode.NONE);
        const o = ctx.engine.offsets(t.topic, p.partition);
        if (o.errorCode !== ErrorCode.NONE) return result(p.partition, o.errorCode);
        return result(p.partition, ErrorCode.NONE, p.leaderEpoch, o.highWatermark);
      });
      return { topic: t.topic, partitions };
    });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => result(p.partition, errorCode)) })) };
  },
});
