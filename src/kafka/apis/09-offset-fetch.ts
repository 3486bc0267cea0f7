// OffsetFetch (key 9): serves v0-9 (v2 null = all topics and a top-level error; v5
// leader epochs; v6 flexible; v7 require-stable: a partition with a transactional
// commit not ended yet answers UNSTABLE_OFFSET_COMMIT, which the client retries
// (KIP-447); v8 several groups; v9 a KIP-848 member's id and epoch, checked against
// its consumer group: UNKNOWN_MEMBER_ID or STALE_MEMBER_EPOCH for the group). A partition without a committed offset answers -1.
// Authorization (Kafka's): DESCRIBE on the group (else GROUP_AUTHORIZATION_FAILED),
// DESCRIBE on each named topic (else TOPIC_AUTHORIZATION_FAILED per partition); for
// "all topics" the topics it may not describe are left out.
// Owns: reading OffsetStore.

import { ErrorCode } from '../../wire/errors.js';
import type { OffsetStore } from '../../groups/offset-store.js';
import { OffsetFetchRequestCodec, type OffsetFetchRequestTopic, OffsetFetchResponseCodec, type OffsetFetchResponseTopic } from '../../wire/schemas/09-offset-fetch.js';
import { type RequestContext, defineApi } from './types.js';
import { Op, allowed, allowedOnTopic, requireGroup, Resource } from './authz.js';

function fetchGroup(ctx: RequestContext, store: OffsetStore, groupId: string, topics: OffsetFetchRequestTopic[] | null, requireStable: boolean): OffsetFetchResponseTopic[] {
  if (topics === null) {
    const byTopic = new Map<string, OffsetFetchResponseTopic>();
    const may = new Map<string, boolean>();
    for (const e of store.list(groupId)) {
      let ok = may.get(e.topic);
      if (ok === undefined) {
        ok = allowedOnTopic(ctx, Op.DESCRIBE, e.topic, false);
        may.set(e.topic, ok);
      }
      if (!ok) continue;
      let t = byTopic.get(e.topic);
      if (t === undefined) {
        t = { name: e.topic, partitions: [] };
        byTopic.set(e.topic, t);
      }
      t.partitions.push({ partitionIndex: e.partition, committedOffset: e.offset, committedLeaderEpoch: e.leaderEpoch, metadata: e.metadata, errorCode: ErrorCode.NONE });
    }
    return [...byTopic.values()];
  }
  return topics.map((t) => {
    if (!allowedOnTopic(ctx, Op.DESCRIBE, t.name)) {
      return { name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
    }
    return {
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => {
      if (requireStable && store.hasPending(groupId, t.name, partitionIndex)) {
        return { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT };
      }
      const c = store.get(groupId, t.name, partitionIndex);
      return c === undefined
        ? { partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE }
        : { partitionIndex, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata, errorCode: ErrorCode.NONE };
    }),
    };
  });
}

export const offsetFetchApi = defineApi({
  minVersion: 0,
  maxVersion: 9,
  request: OffsetFetchRequestCodec,
  response: OffsetFetchResponseCodec,
  async handle(ctx, req, version) {
    await ctx.groups.offsets.ready();
    const store = ctx.groups.offsets;
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: req.groups.map((g) => {
          if (!allowed(ctx, Op.DESCRIBE, Resource.GROUP, g.groupId)) return { groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
          // Only a consumer group with members checks the member (an admin sends neither id nor epoch).
          const memberCode = ctx.groups.consumerGroups.inUse(g.groupId) ? ctx.groups.consumerGroups.validateFetch(g.groupId, g.memberId, g.memberEpoch) : ErrorCode.NONE;
          if (memberCode !== ErrorCode.NONE) return { groupId: g.groupId, topics: [], errorCode: memberCode };
          return { groupId: g.groupId, topics: fetchGroup(ctx, store, g.groupId, g.topics, req.requireStable), errorCode: ErrorCode.NONE };
        }),
      };
    }
    requireGroup(ctx, Op.DESCRIBE, req.groupId);
    return { throttleTimeMs: 0, topics: fetchGroup(ctx, store, req.groupId, req.topics, req.requireStable), errorCode: ErrorCode.NONE, groups: [] };
  },
  errorResponse(req, version, errorCode) {
    const topics = (ts: OffsetFetchRequestTopic[] | null): OffsetFetchResponseTopic[] =>
      (ts ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode })) }));
    if (version >= 8) return { throttleTimeMs: 0, topics: [], errorCode, groups: req.groups.map((g) => ({ groupId: g.groupId, topics: topics(g.topics), errorCode })) };
    return { throttleTimeMs: 0, topics: topics(req.topics), errorCode, groups: [] };
  },
});
