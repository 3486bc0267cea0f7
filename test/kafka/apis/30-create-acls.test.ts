// CreateAcls (API 30) over raw requests: SECURITY_DISABLED without an authorizer;
// valid bindings added (once, however often sent) and invalid ones refused with
// Kafka's reasons in the same request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { CreateAclsRequestCodec, CreateAclsResponseCodec } from '../../../src/wire/schemas/30-create-acls.js';
import { Authorizer } from '../../../src/security/acl.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let open: TestBroker;
let secured: TestBroker;
const authorizer = Authorizer.inMemory({ superUsers: [], allowIfNoAcl: true });

before(async () => {
  open = await startTestBroker();
  secured = await startTestBroker({ security: { users: UserStore.inMemory(), sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, authorizer } });
});

after(async () => {
  await open.close();
  await secured.close();
});

const good = { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:alice', host: '*', operation: 3, permissionType: 3 };

test('without an authorizer: SECURITY_DISABLED', async () => {
  const c = await RawClient.connect(open.port);
  const r = await c.request(CreateAclsRequestCodec, CreateAclsResponseCodec, 3, { creations: [good] });
  assert.deepEqual(r.results, [{ errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured.' }]);
  c.close();
});

test('valid bindings are added once at v1-v3; invalid ones are refused with the reason', async () => {
  const c = await RawClient.connect(secured.port);
  for (const v of [1, 2, 3]) {
    const r = await c.request(CreateAclsRequestCodec, CreateAclsResponseCodec, v, {
      creations: [
        good,
        { ...good, resourcePatternType: 4, resourceName: 'orders-' },
        { ...good, resourceType: 4, resourceName: 'other' },
        { ...good, principal: 'alice' },
        { ...good, operation: 1 },
        { ...good, permissionType: 1 },
        { ...good, resourcePatternType: 2 },
        { ...good, resourceName: '' },
        { ...good, host: '' },
      ],
    });
    assert.deepEqual(r.results.map((x) => x.errorCode), [0, 0, ...Array(7).fill(ErrorCode.INVALID_REQUEST)], `v${v}`);
    assert.match(r.results[2]!.errorMessage!, /only valid name for the CLUSTER resource is kafka-cluster/);
    assert.match(r.results[3]!.errorMessage!, /Could not parse principal/);
  }
  assert.equal(authorizer.all().length, 2, 'the same binding sent three times is kept once');
  c.close();
});
