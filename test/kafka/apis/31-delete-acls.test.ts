// DeleteAcls (API 31) over raw requests: SECURITY_DISABLED without an authorizer;
// each filter lists what it matched and all of it is removed; an UNKNOWN filter is
// INVALID_REQUEST and removes nothing; a filter that matches nothing is not an error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DeleteAclsRequestCodec, DeleteAclsResponseCodec } from '../../../src/wire/schemas/31-delete-acls.js';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Perm, AclResourceType as Res, Authorizer } from '../../../src/security/acl.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let open: TestBroker;
let secured: TestBroker;
const authorizer = Authorizer.inMemory({ superUsers: [], allowIfNoAcl: true });

before(async () => {
  const base = { resourceType: Res.TOPIC, patternType: Pattern.LITERAL, host: '*', permissionType: Perm.ALLOW, operation: Op.READ };
  authorizer.add([
    { ...base, resourceName: 'a', principal: 'User:alice' },
    { ...base, resourceName: 'b', principal: 'User:alice' },
    { ...base, resourceName: 'a', principal: 'User:bob' },
  ]);
  open = await startTestBroker();
  secured = await startTestBroker({ security: { users: UserStore.inMemory(), sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, authorizer } });
});

after(async () => {
  await open.close();
  await secured.close();
});

const any = { resourceTypeFilter: Res.ANY, resourceNameFilter: null, patternTypeFilter: Pattern.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY };

test('without an authorizer: SECURITY_DISABLED', async () => {
  const c = await RawClient.connect(open.port);
  const r = await c.request(DeleteAclsRequestCodec, DeleteAclsResponseCodec, 3, { filters: [any] });
  assert.equal(r.filterResults[0]!.errorCode, ErrorCode.SECURITY_DISABLED);
  c.close();
});

test('filters remove what they match and say what it was', async () => {
  const c = await RawClient.connect(secured.port);
  const r = await c.request(DeleteAclsRequestCodec, DeleteAclsResponseCodec, 3, {
    filters: [{ ...any, principalFilter: 'User:alice', resourceNameFilter: 'a' }, { ...any, operation: Op.UNKNOWN }, { ...any, principalFilter: 'User:nobody' }, { ...any, resourceNameFilter: 'a' }],
  });
  assert.deepEqual(r.filterResults.map((f) => [f.errorCode, f.matchingAcls.map((m) => `${m.principal}@${m.resourceName}`)]), [
    [0, ['User:alice@a']],
    [ErrorCode.INVALID_REQUEST, []],
    [0, []],
    [0, ['User:alice@a', 'User:bob@a']],
  ]);
  assert.deepEqual(authorizer.all().map((b) => `${b.principal}@${b.resourceName}`), ['User:alice@b']);
  c.close();
});
