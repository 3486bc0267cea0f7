// AlterUserScramCredentials (API 51) over raw requests: upserts that authenticate
// afterwards, deletions, and Kafka's refusals (iterations out of 4096-16384, unknown
// mechanism, empty name, the same credential twice, deleting what does not exist,
// a salted password of the wrong length); a user with any refused change changes nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../../../src/wire/errors.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from '../../../src/wire/schemas/51-alter-user-scram-credentials.js';
import { DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec } from '../../../src/wire/schemas/50-describe-user-scram-credentials.js';
import { SCRAM_HASHES, ScramClient, ScramServerExchange, saltPassword } from '../../../src/security/scram.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let broker: TestBroker;
let users: UserStore;
let c: RawClient;

before(async () => {
  users = UserStore.inMemory();
  broker = await startTestBroker({ security: { users, sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 } } });
  c = await RawClient.connect(broker.port);
});

after(async () => {
  c.close();
  await broker.close();
});

async function upsertion(name: string, password: string, mechanism: 1 | 2 = 1, iterations = 4096) {
  const mech = mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512';
  const salt = randomBytes(16);
  return { name, mechanism, iterations, salt, saltedPassword: await saltPassword(mech, password, salt, Math.max(iterations, 1)) };
}

const alter = (body: { deletions: Array<{ name: string; mechanism: number }>; upsertions: Awaited<ReturnType<typeof upsertion>>[] }) =>
  c.request(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec, 0, body);

async function canLogin(user: string, password: string): Promise<boolean> {
  const server = new ScramServerExchange('SCRAM-SHA-256', users.get.bind(users));
  const client = new ScramClient('SCRAM-SHA-256', user, password);
  try {
    await server.step(await client.finalMessage((await server.step(client.firstMessage())).response));
    return true;
  } catch {
    return false;
  }
}

test('an upsertion creates a credential the user can log in with; a second one replaces it', async () => {
  assert.deepEqual((await alter({ deletions: [], upsertions: [await upsertion('carol', 'first')] })).results, [{ user: 'carol', errorCode: 0, errorMessage: null }]);
  assert.ok(await canLogin('carol', 'first'));
  await alter({ deletions: [], upsertions: [await upsertion('carol', 'second')] });
  assert.ok(!(await canLogin('carol', 'first')));
  assert.ok(await canLogin('carol', 'second'));
});

test("Kafka's refusals, one result per user, and a refused user changes nothing", async () => {
  await alter({ deletions: [], upsertions: [await upsertion('dave', 'pw')] });
  const bad = await upsertion('erin', 'x');
  const r = await alter({
    deletions: [{ name: 'nobody', mechanism: 1 }, { name: 'dave', mechanism: 1 }],
    upsertions: [
      await upsertion('frank', 'x', 1, 100),
      await upsertion('gina', 'x', 1, 20000),
      { ...(await upsertion('hank', 'x')), mechanism: 7 as 1 },
      await upsertion('', 'x'),
      await upsertion('dave', 'new'),
      { ...bad, saltedPassword: bad.saltedPassword.subarray(0, 8) },
    ],
  });
  assert.deepEqual(r.results.map((x) => [x.user, x.errorCode, x.errorMessage]), [
    ['nobody', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
    ['dave', ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
    ['frank', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
    ['gina', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
    ['hank', ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    ['', ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
    ['erin', ErrorCode.UNACCEPTABLE_CREDENTIAL, `Salt must not be empty and the salted password must be ${SCRAM_HASHES['SCRAM-SHA-256'].keyBytes} bytes`],
  ]);
  assert.ok(await canLogin('dave', 'pw'), "dave's refused request left his credential alone");
  for (const u of ['frank', 'gina', 'hank', 'erin']) assert.equal(users.get(u, 'SCRAM-SHA-256'), undefined);
});

test('a deletion removes the credential; the last one removes the user', async () => {
  await alter({ deletions: [], upsertions: [await upsertion('ivy', 'a', 1), await upsertion('ivy', 'a', 2)] });
  await alter({ deletions: [{ name: 'ivy', mechanism: 1 }], upsertions: [] });
  const d1 = await c.request(DescribeUserScramCredentialsRequestCodec, DescribeUserScramCredentialsResponseCodec, 0, { users: [{ name: 'ivy' }] });
  assert.deepEqual(d1.results[0]?.credentialInfos, [{ mechanism: 2, iterations: 4096 }]);
  await alter({ deletions: [{ name: 'ivy', mechanism: 2 }], upsertions: [] });
  assert.ok(!users.userNames().includes('ivy'));
});
