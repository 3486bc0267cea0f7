// DescribeLogDirs (key 35): serves v1-5 (v2+ flexible), the versions Kafka 4.x serves
// (v0 was removed in 4.0). kafka-log-dirs --describe and Admin.describeLogDirs /
// describeReplicaLogDirs use it. Samsa has one log directory, the data directory: one
// result with its absolute path, each partition's size on disk (as its shard counts
// it), offset lag 0 and never a future replica (no replica movement between
// directories), the file system's total and usable bytes (v4+), never cordoned (v5).
// topics null: every partition; otherwise the named partitions that exist (unknown
// topics and partitions are left out, as Kafka leaves out what the directory lacks).
// Authorization (Kafka's): DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED
// (top-level from v3) and no results.
// Owns: the answer; the sizes come from Engine.logDir.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeLogDirsRequestCodec, DescribeLogDirsResponseCodec } from '../../wire/schemas/35-describe-log-dirs.js';
import { defineApi } from './types.js';
import { Op, allowedOnCluster } from './authz.js';

export const describeLogDirsApi = defineApi({
  minVersion: 1,
  maxVersion: 5,
  request: DescribeLogDirsRequestCodec,
  response: DescribeLogDirsResponseCodec,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const dir = await ctx.engine.logDir();
    // The wanted partitions by topic (null: all); bounded by the request's own size.
    let wanted: Map<string, Set<number>> | null = null;
    if (req.topics !== null) {
      wanted = new Map();
      for (const t of req.topics) {
        const set = wanted.get(t.topic) ?? new Set<number>();
        for (const p of t.partitions) set.add(p);
        wanted.set(t.topic, set);
      }
    }
    const byTopic = new Map<string, Array<{ partitionIndex: number; partitionSize: number; offsetLag: number; isFutureKey: boolean }>>();
    for (const p of dir.partitions) {
      if (wanted !== null && wanted.get(p.topic)?.has(p.partition) !== true) continue;
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push({ partitionIndex: p.partition, partitionSize: p.sizeBytes, offsetLag: 0, isFutureKey: false });
    }
    const topics = [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) }));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir: dir.path, topics, totalBytes: dir.totalBytes, usableBytes: dir.usableBytes, isCordoned: false }],
    };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});
