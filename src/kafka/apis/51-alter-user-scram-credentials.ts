// AlterUserScramCredentials (key 51): serves v0 (flexible). Upserts and deletes SCRAM
// credentials: the client sends salt, iterations and the salted password, from which
// StoredKey and ServerKey are kept (the salted password itself is not). Kafka's rules
// and messages: one result per user; a user whose changes include any error changes
// nothing; iterations within 4096-16384; a user and mechanism named twice is
// DUPLICATE_RESOURCE; deleting what does not exist is RESOURCE_NOT_FOUND. All accepted
// changes are written to the store with one durable write.
// Authorization: ALTER on the cluster, else CLUSTER_AUTHORIZATION_FAILED for every user.
// Owns: validating and applying the request against the user store.

import { ErrorCode } from '../../wire/errors.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from '../../wire/schemas/51-alter-user-scram-credentials.js';
import {
  SCRAM_HASHES,
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  type ScramCredential,
  type ScramMechanism,
  credentialFromSaltedPassword,
  scramMechanismByCode,
} from '../../security/scram.js';
import { UserStoreError, isValidUserName } from '../../security/user-store.js';
import { defineApi } from './types.js';
import { Op, allowedOnCluster } from './authz.js';

interface Change {
  user: string;
  mechanism: ScramMechanism;
  credential: ScramCredential | null;
}

export const alterUserScramCredentialsApi = defineApi({
  minVersion: 0,
  maxVersion: 0,
  request: AlterUserScramCredentialsRequestCodec,
  response: AlterUserScramCredentialsResponseCodec,
  async handle(ctx, req) {
    if (!allowedOnCluster(ctx, Op.ALTER)) {
      const users = [...new Set([...req.deletions, ...req.upsertions].map((a) => a.name))];
      return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' })) };
    }
    const store = ctx.security.users;
    const order: string[] = [];
    const errors = new Map<string, { errorCode: number; errorMessage: string }>();
    const changes = new Map<string, Change[]>();
    const seen = new Set<string>();
    const note = (user: string): void => {
      if (!changes.has(user) && !errors.has(user)) order.push(user);
    };
    const reject = (user: string, errorCode: number, errorMessage: string): void => {
      note(user);
      if (!errors.has(user)) errors.set(user, { errorCode, errorMessage });
      changes.delete(user);
    };
    const accept = (c: Change): void => {
      note(c.user);
      if (errors.has(c.user)) return;
      const list = changes.get(c.user) ?? [];
      list.push(c);
      changes.set(c.user, list);
    };
    const all = [...req.deletions.map((d) => ({ ...d, upsert: null })), ...req.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism, upsert: u }))];
    for (const a of all) {
      const user = a.name;
      if (user === '' || !isValidUserName(user)) {
        reject(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, user === '' ? 'Username must not be empty' : 'Username is too long or has control characters');
        continue;
      }
      const mechanism = scramMechanismByCode(a.mechanism);
      if (mechanism === null) {
        reject(user, ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism');
        continue;
      }
      const key = `${user}\0${mechanism}`;
      if (seen.has(key)) {
        reject(user, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
        continue;
      }
      seen.add(key);
      const u = a.upsert;
      if (u === null) {
        if (store.get(user, mechanism) === undefined) reject(user, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
        else accept({ user, mechanism, credential: null });
        continue;
      }
      if (u.iterations < SCRAM_ITERATIONS_MIN) reject(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations');
      else if (u.iterations > SCRAM_ITERATIONS_MAX) reject(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations');
      else if (u.salt.byteLength === 0 || u.saltedPassword.byteLength !== SCRAM_HASHES[mechanism].keyBytes) {
        reject(user, ErrorCode.UNACCEPTABLE_CREDENTIAL, `Salt must not be empty and the salted password must be ${SCRAM_HASHES[mechanism].keyBytes} bytes`);
      } else accept({ user, mechanism, credential: credentialFromSaltedPassword(mechanism, u.salt, u.iterations, u.saltedPassword) });
    }
    const accepted = [...changes.values()].flat();
    if (accepted.length > 0) {
      try {
        store.apply(accepted);
      } catch (err) {
        const errorMessage = err instanceof UserStoreError ? err.message : 'the user store could not be written';
        for (const user of changes.keys()) errors.set(user, { errorCode: err instanceof UserStoreError ? ErrorCode.UNACCEPTABLE_CREDENTIAL : ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage });
      }
    }
    return {
      throttleTimeMs: 0,
      results: order.map((user) => {
        const e = errors.get(user);
        return { user, errorCode: e?.errorCode ?? ErrorCode.NONE, errorMessage: e?.errorMessage ?? null };
      }),
    };
  },
  errorResponse(req, _version, errorCode) {
    const users = [...new Set([...req.deletions, ...req.upsertions].map((a) => a.name))];
    return { throttleTimeMs: 0, results: users.map((user) => ({ user, errorCode, errorMessage: null })) };
  },
});
