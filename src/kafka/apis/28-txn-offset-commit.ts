// TxnOffsetCommit (key 28): serves v0-4 (v2 leader epochs; v3 flexible, with the
// consumer's generation, member id and instance id, KIP-447; v4 TRANSACTION_ABORTABLE).
// The offsets become visible when the producer's transaction commits, and are dropped
// if it aborts (OffsetStore.commitTxn / endTxn). Checked first: the producer's
// transaction is in progress at its epoch and holds the offsets topic (AddOffsetsToTxn
// came first), and, when the request names a generation or member (KIP-447), that the
// consumer is still that member of the group (a zombie gets ILLEGAL_GENERATION /
// UNKNOWN_MEMBER_ID; a KIP-848 member is checked by its member epoch, STALE_MEMBER_EPOCH).
// Unknown topics or partitions are refused per partition.
// Authorization (Kafka's): WRITE on the transactional id (else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED) and READ on the group (else
// GROUP_AUTHORIZATION_FAILED) for every partition; READ on each topic, else
// TOPIC_AUTHORIZATION_FAILED for its partitions (checked before existence).
// Owns: validation and the OffsetStore.commitTxn call.

import { ErrorCode } from '../../wire/errors.js';
import { errorCodeOf } from '../error-codes.js';
import { OFFSETS_TOPIC, OFFSET_METADATA_MAX_BYTES, type OffsetCommitEntry } from '../../groups/offset-store.js';
import { TxnOffsetCommitRequestCodec, TxnOffsetCommitResponseCodec } from '../../wire/schemas/28-txn-offset-commit.js';
import { defineApi } from './types.js';
import { Op, Resource, allowed, allowedOnTopic } from './authz.js';

export const txnOffsetCommitApi = defineApi({
  minVersion: 0,
  maxVersion: 4,
  request: TxnOffsetCommitRequestCodec,
  response: TxnOffsetCommitResponseCodec,
  async handle(ctx, req) {
    await Promise.all([ctx.groups.offsets.ready(), ctx.txns.coordinator.ready()]);
    let groupError: number = ErrorCode.NONE;
    let memberCheck: ((topic: string, partition: number) => number) | undefined;
    if (!allowed(ctx, Op.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId)) groupError = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
    else if (!allowed(ctx, Op.READ, Resource.GROUP, req.groupId)) groupError = ErrorCode.GROUP_AUTHORIZATION_FAILED;
    else if (req.groupId === '') groupError = ErrorCode.INVALID_GROUP_ID;
    else {
      const txnCode = ctx.txns.coordinator.verify(req.transactionalId, req.producerId, req.producerEpoch, OFFSETS_TOPIC, 0);
      // A fenced producer learns it from its epoch, as Kafka's log append answers.
      if (txnCode === ErrorCode.INVALID_PRODUCER_EPOCH) groupError = ErrorCode.INVALID_PRODUCER_EPOCH;
      else if (txnCode !== ErrorCode.NONE) groupError = txnCode === ErrorCode.INVALID_PRODUCER_ID_MAPPING ? ErrorCode.INVALID_PRODUCER_ID_MAPPING : ErrorCode.INVALID_TXN_STATE;
      else if (req.generationId >= 0 || req.memberId !== '') {
        // A KIP-848 member (exactly-once with group.protocol=consumer) commits with its member epoch.
        const check = ctx.groups.consumerGroups.validateCommit(req.groupId, req.memberId, req.generationId, 0, true);
        groupError = check === undefined ? ctx.groups.coordinator.validateCommit(req.groupId, req.generationId, req.memberId) : check.errorCode;
        memberCheck = check?.partition;
      }
    }
    const now = Date.now();
    const entries: OffsetCommitEntry[] = [];
    const codes = req.topics.map((t) => {
      const info = ctx.engine.describeTopic(t.name);
      const mayRead = groupError !== ErrorCode.NONE || allowedOnTopic(ctx, Op.READ, t.name);
      return t.partitions.map((p) => {
        if (groupError !== ErrorCode.NONE) return groupError;
        if (!mayRead) return ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        if (info === undefined || p.partitionIndex < 0 || p.partitionIndex >= info.partitions) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        const memberCode = memberCheck?.(t.name, p.partitionIndex) ?? ErrorCode.NONE;
        if (memberCode !== ErrorCode.NONE) return memberCode;
        if (p.committedMetadata !== null && p.committedMetadata.length > OFFSET_METADATA_MAX_BYTES) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
        entries.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.committedMetadata, commitTimestamp: now });
        return -999; // filled in below
      });
    });
    let commitCode: number = ErrorCode.NONE;
    try {
      await ctx.groups.offsets.commitTxn(req.groupId, req.producerId, req.producerEpoch, entries);
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
