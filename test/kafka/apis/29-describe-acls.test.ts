// DescribeAcls (API 29) over raw requests: SECURITY_DISABLED without an authorizer;
// filters by resource type, name, pattern (LITERAL, PREFIXED, ANY, MATCH), principal
// and operation, results grouped by resource pattern; UNKNOWN filters are INVALID_REQUEST.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DescribeAclsRequestCodec, DescribeAclsResponseCodec } from '../../../src/wire/schemas/29-describe-acls.js';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Perm, AclResourceType as Res, Authorizer } from '../../../src/security/acl.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let open: TestBroker;
let secured: TestBroker;
let c: RawClient;

before(async () => {
  const authorizer = Authorizer.inMemory({ superUsers: [], allowIfNoAcl: true });
  const base = { resourceType: Res.TOPIC, patternType: Pattern.LITERAL, host: '*', permissionType: Perm.ALLOW };
  authorizer.add([
    { ...base, resourceName: 'orders', principal: 'User:alice', operation: Op.READ },
    { ...base, resourceName: 'orders', principal: 'User:bob', operation: Op.WRITE },
    { ...base, resourceName: 'ord', patternType: Pattern.PREFIXED, principal: 'User:carol', operation: Op.ALL },
    { ...base, resourceName: '*', principal: 'User:*', operation: Op.DESCRIBE },
    { ...base, resourceType: Res.GROUP, resourceName: 'g', principal: 'User:alice', operation: Op.READ },
  ]);
  open = await startTestBroker();
  secured = await startTestBroker({ security: { users: UserStore.inMemory(), sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, authorizer } });
  c = await RawClient.connect(secured.port);
});

after(async () => {
  c.close();
  await open.close();
  await secured.close();
});

const any = { resourceTypeFilter: Res.ANY, resourceNameFilter: null, patternTypeFilter: Pattern.ANY, principalFilter: null, hostFilter: null, operation: Op.ANY, permissionType: Perm.ANY };
const names = (r: { resources: Array<{ resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string }> }> }) =>
  r.resources.map((x) => `${x.resourceType}:${x.patternType}:${x.resourceName}=${x.acls.map((a) => a.principal).join('+')}`);

test('without an authorizer: SECURITY_DISABLED', async () => {
  const o = await RawClient.connect(open.port);
  const r = await o.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 3, any);
  assert.equal(r.errorCode, ErrorCode.SECURITY_DISABLED);
  o.close();
});

test('filters and grouping', async () => {
  const all = await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 3, any);
  assert.deepEqual(names(all), ['2:3:orders=User:alice+User:bob', '2:4:ord=User:carol', '2:3:*=User:*', '3:3:g=User:alice']);
  const literalOrders = await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 1, { ...any, resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'orders', patternTypeFilter: Pattern.LITERAL });
  assert.deepEqual(names(literalOrders), ['2:3:orders=User:alice+User:bob']);
  const match = await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 2, { ...any, resourceTypeFilter: Res.TOPIC, resourceNameFilter: 'orders', patternTypeFilter: Pattern.MATCH });
  assert.deepEqual(names(match), ['2:3:orders=User:alice+User:bob', '2:4:ord=User:carol', '2:3:*=User:*'], 'MATCH: what applies to topic orders');
  const alice = await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 3, { ...any, principalFilter: 'User:alice', operation: Op.READ });
  assert.deepEqual(names(alice), ['2:3:orders=User:alice', '3:3:g=User:alice']);
  const bad = await c.request(DescribeAclsRequestCodec, DescribeAclsResponseCodec, 3, { ...any, patternTypeFilter: Pattern.UNKNOWN });
  assert.equal(bad.errorCode, ErrorCode.INVALID_REQUEST);
});
