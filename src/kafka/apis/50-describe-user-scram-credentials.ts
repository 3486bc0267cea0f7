// DescribeUserScramCredentials (key 50): serves v0 (flexible). Lists users' SCRAM
// mechanisms and iteration counts — never salts or keys. A null or empty list means
// every user; an unknown user is RESOURCE_NOT_FOUND and a user named twice
// DUPLICATE_RESOURCE, with Kafka's messages.
// Authorization: DESCRIBE on the cluster, else CLUSTER_AUTHORIZATION_FAILED.
// Owns: the answer from the user store.

import { ErrorCode } from '../../wire/errors.js';
import { DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec } from '../../wire/schemas/50-describe-user-scram-credentials.js';
import { SCRAM_HASHES } from '../../security/scram.js';
import { defineApi } from './types.js';
import { Op, allowedOnCluster } from './authz.js';

export const describeUserScramCredentialsApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: DescribeUserScramCredentialsRequestCodec,
  response: DescribeUserScramCredentialsResponseCodec,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, Op.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', results: [] };
    const users = ctx.security.users;
    const requested = req.users === null || req.users.length === 0 ? null : req.users.map((u) => u.name);
    const names = requested ?? users.userNames();
    const counts = new Map<string, number>();
    for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
    const seen = new Set<string>();
    const results = [];
    for (const user of names) {
      if (seen.has(user)) continue;
      seen.add(user);
      if (counts.get(user)! > 1) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
        continue;
      }
      const infos = users.describe(user).map((c) => ({ mechanism: SCRAM_HASHES[c.mechanism].code, iterations: c.iterations }));
      if (infos.length === 0) {
        results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
        continue;
      }
      results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
  errorResponse(_req, _version, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] };
  },
});
