// DescribeClientQuotas (API 48) over raw requests: Kafka's filters — exact name,
// default, any specified name, strict or not — and refusals of bad filters.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec } from '../../../src/wire/schemas/48-describe-client-quotas.js';
import { QuotaManager } from '../../../src/security/quotas.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';

let broker: TestBroker;
let c: RawClient;

before(async () => {
  const quotas = QuotaManager.inMemory();
  quotas.alter([
    { entity: { user: 'alice' }, values: { producer_byte_rate: 100 } },
    { entity: { user: 'alice', clientId: 'app' }, values: { consumer_byte_rate: 200 } },
    { entity: { user: null }, values: { producer_byte_rate: 300 } },
    { entity: { clientId: 'app' }, values: { request_percentage: 40 } },
  ]);
  broker = await startTestBroker({ security: { users: UserStore.inMemory(), sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, quotas } });
  c = await RawClient.connect(broker.port);
});

after(async () => {
  c.close();
  await broker.close();
});

type Component = { entityType: string; matchType: number; match: string | null };
async function describe(components: Component[], strict: boolean): Promise<string[]> {
  const r = await c.request(DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec, 1, { components, strict });
  assert.equal(r.errorCode, 0, r.errorMessage ?? '');
  return (r.entries ?? []).map((e) => `${e.entity.map((x) => `${x.entityType}=${x.entityName ?? '<default>'}`).join(',')}:${e.values.map((v) => `${v.key}=${v.value}`).join(',')}`);
}

test('filters as Kafka applies them', async () => {
  assert.deepEqual(await describe([], false), ['user=alice:producer_byte_rate=100', 'user=alice,client-id=app:consumer_byte_rate=200', 'user=<default>:producer_byte_rate=300', 'client-id=app:request_percentage=40']);
  assert.deepEqual(await describe([{ entityType: 'user', matchType: 0, match: 'alice' }], false), ['user=alice:producer_byte_rate=100', 'user=alice,client-id=app:consumer_byte_rate=200']);
  assert.deepEqual(await describe([{ entityType: 'user', matchType: 0, match: 'alice' }], true), ['user=alice:producer_byte_rate=100']);
  assert.deepEqual(await describe([{ entityType: 'user', matchType: 1, match: null }], false), ['user=<default>:producer_byte_rate=300']);
  assert.deepEqual(await describe([{ entityType: 'client-id', matchType: 2, match: null }], true), ['client-id=app:request_percentage=40']);
});

test('bad filters are INVALID_REQUEST', async () => {
  for (const components of [[{ entityType: 'group', matchType: 0, match: 'x' }], [{ entityType: 'user', matchType: 0, match: null }], [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }]]) {
    const r = await c.request(DescribeClientQuotasRequestCodec, DescribeClientQuotasResponseCodec, 0, { components, strict: false });
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST, JSON.stringify(components));
  }
});
