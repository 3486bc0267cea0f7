// OffsetCommit (key 8): serves v0-9 (v1 generation/member; v2-4 retention time,
// ignored; v6 leader epochs; v7 group instance ids; v8 flexible; v9 for KIP-848
// consumer groups, whose members commit with their member epoch, or an older one for
// partitions they held since (KIP-1251): otherwise STALE_MEMBER_EPOCH; an older
// version is UNSUPPORTED_VERSION for them, as Kafka answers). A commit with
// generation -1 comes from outside any group (admin tools, manual assignment) and
// is accepted while the group has no members. Offsets of unknown topics or
// partitions are refused per partition, as Kafka does.
// Authorization (Kafka's): READ on the group (else GROUP_AUTHORIZATION_FAILED for
// every partition) and READ on each topic (else TOPIC_AUTHORIZATION_FAILED).
// Owns: validation and OffsetStore.commit calls.

import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { OFFSET_METADATA_MAX_BYTES, type OffsetCommitEntry } from '../../groups/offset-store.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../wire/schemas/08-offset-commit.js';
import { defineApi } from './types.js';
import { Op, allowedOnTopic, requireGroup } from './authz.js';
import { absentTopicCode } from './absent-topic.js';

export const offsetCommitApi = defineApi({
  minVersion: 0,
  maxVersion: 9,
  request: OffsetCommitRequestCodec,
  response: OffsetCommitResponseCodec,
  async handle(ctx, req, version) {
    requireGroup(ctx, Op.READ, req.groupId);
    await ctx.groups.offsets.ready();
    const check = req.groupId === '' ? undefined : ctx.groups.consumerGroups.validateCommit(req.groupId, req.memberId, req.generationId, version, false);
    const groupError = req.groupId === '' ? ErrorCode.INVALID_GROUP_ID : (check?.errorCode ?? ctx.groups.coordinator.validateCommit(req.groupId, req.generationId, req.memberId));
    const now = Date.now();
    const entries: OffsetCommitEntry[] = [];
    const codes = req.topics.map((t) => {
      const info = ctx.engine.describeTopic(t.name);
      const mayRead = allowedOnTopic(ctx, Op.READ, t.name);
      return t.partitions.map((p) => {
        if (!mayRead) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        if (groupError !== ErrorCode.NONE) return groupError;
        if (info === undefined) return absentTopicCode(ctx.engine, t.name);
        if (p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        const memberCode = check?.partition?.(t.name, p.partitionIndex) ?? ErrorCode.NONE;
        if (memberCode !== ErrorCode.NONE) return memberCode;
        if (p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        entries.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
          commitTimestamp: p.commitTimestamp >= 0 ? p.commitTimestamp : now,
        });
        return -999; // filled in below
      });
    });
    let commitCode: number = ErrorCode.NONE;
    try {
      await ctx.groups.offsets.commit(req.groupId, entries);
    } catch (err) {
      commitCode = errorCodeOf(err);
    }
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t, i) => ({
        name: t.name,
        partitions: t.partitions.map((p, j) => ({ partitionIndex: p.partitionIndex, errorCode: codes[i]![j] === -999 ? commitCode : codes[i]![j]! })),
      })),
    };
  },
  errorResponse(req, _version, errorCode) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
  },
});
