// DescribeUserScramCredentials (API 50) over raw requests: all users, named users,
// RESOURCE_NOT_FOUND and DUPLICATE_RESOURCE with Kafka's messages; mechanisms and
// iterations only, never key material.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec } from '../../../src/wire/schemas/50-describe-user-scram-credentials.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';
import { addScramUser } from '../../security/sasl-helpers.js';

let broker: TestBroker;
let c: RawClient;

before(async () => {
  broker = await startTestBroker();
  c = await RawClient.connect(broker.port);
  await addScramUser(c, 'alice', 'a', 'SCRAM-SHA-256');
  await addScramUser(c, 'alice', 'a', 'SCRAM-SHA-512', 8192);
  await addScramUser(c, 'bob', 'b', 'SCRAM-SHA-512');
});

after(async () => {
  c.close();
  await broker.close();
});

const describe = (users: string[] | null) => c.request(DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec, 0, { users: users === null ? null : users.map((name) => ({ name })) });

test('null or empty: every user with mechanisms (1 = SHA-256, 2 = SHA-512) and iterations', async () => {
  for (const users of [null, []]) {
    const r = await describe(users);
    assert.equal(r.errorCode, 0);
    assert.deepEqual(r.results, [
      { user: 'alice', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }, { mechanism: 2, iterations: 8192 }] },
      { user: 'bob', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 4096 }] },
    ]);
  }
});

test('named users: unknown is RESOURCE_NOT_FOUND, twice is DUPLICATE_RESOURCE', async () => {
  const r = await describe(['bob', 'carol', 'alice', 'alice']);
  assert.deepEqual(r.results.map((x) => [x.user, x.errorCode, x.errorMessage]), [
    ['bob', 0, null],
    ['carol', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: carol'],
    ['alice', ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: alice'],
  ]);
});
