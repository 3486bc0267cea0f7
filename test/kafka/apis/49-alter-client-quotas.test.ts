// AlterClientQuotas (API 49) over raw requests, and throttling with real traffic:
// values set and removed on user/client-id/default entities; Kafka's refusals; then a
// client id over its producer_byte_rate gets throttle_time_ms in its Produce answers
// while every batch is still written, and over its consumer_byte_rate gets answers
// without records (and the throttle) until its rate falls, reading everything in the end.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec } from '../../../src/wire/schemas/49-alter-client-quotas.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../../src/wire/schemas/01-fetch.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { QuotaManager } from '../../../src/security/quotas.js';
import { UserStore } from '../../../src/security/user-store.js';
import { RawClient, type TestBroker, encodeRequest, decodeResponse, startTestBroker } from '../harness.js';
import { fetchBody } from '../../security/authorization-cases.js';

let broker: TestBroker;
// Short windows (a 1 s span) keep the throttled traffic in these tests brief.
const quotas = QuotaManager.inMemory({ windowNum: 11, windowSizeMs: 100 });

before(async () => {
  broker = await startTestBroker({ security: { users: UserStore.inMemory(), sasl: { enabledMechanisms: ['SCRAM-SHA-256'], reauthMs: 0 }, quotas } });
});

after(() => broker.close());

const alter = (c: RawClient, entries: Array<{ entity: Array<{ entityType: string; entityName: string | null }>; ops: Array<{ key: string; value: number; remove: boolean }> }>, validateOnly = false) =>
  c.request(AlterClientQuotasRequestCodec, AlterClientQuotasResponseCodec, 1, { entries, validateOnly });

test("set, validate-only and remove; Kafka's refusals per entry", async () => {
  const c = await RawClient.connect(broker.port);
  const ok = await alter(c, [
    { entity: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 25.5, remove: false }] },
    { entity: [{ entityType: 'client-id', entityName: 'x' }], ops: [{ key: 'consumer_byte_rate', value: 1.5, remove: false }] },
    { entity: [{ entityType: 'ip', entityName: '10.0.0.1' }], ops: [{ key: 'connection_creation_rate', value: 5, remove: false }] },
    { entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'controller_mutation_rate', value: 5, remove: false }] },
    { entity: [{ entityType: 'user', entityName: 'bob' }], ops: [{ key: 'no_such_key', value: 5, remove: false }] },
    { entity: [{ entityType: 'group', entityName: 'g' }], ops: [{ key: 'producer_byte_rate', value: 5, remove: false }] },
  ]);
  assert.deepEqual(ok.entries.map((e) => e.errorCode), [0, ...Array(5).fill(ErrorCode.INVALID_REQUEST)]);
  assert.match(ok.entries[1]!.errorMessage!, /whole number/);
  assert.match(ok.entries[2]!.errorMessage!, /not supported by Samsa/);
  assert.match(ok.entries[3]!.errorMessage!, /controller_mutation_rate is not supported/);
  assert.deepEqual(quotas.all(), [{ entity: { user: 'alice', clientId: null }, values: { producer_byte_rate: 1024, request_percentage: 25.5 } }]);
  await alter(c, [{ entity: [{ entityType: 'user', entityName: 'carol' }], ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], true);
  assert.equal(quotas.all().length, 1, 'validate_only changes nothing');
  await alter(c, [{ entity: [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }], ops: [{ key: 'producer_byte_rate', value: 0, remove: true }, { key: 'request_percentage', value: 0, remove: true }] }]);
  assert.deepEqual(quotas.all(), []);
  c.close();
});

test('over producer_byte_rate: throttle_time_ms in the answers, and every batch written', async () => {
  await broker.engine.createTopic('q-produce', 1);
  const admin = await RawClient.connect(broker.port);
  await alter(admin, [{ entity: [{ entityType: 'client-id', entityName: 'slow-producer' }], ops: [{ key: 'producer_byte_rate', value: 100_000, remove: false }] }]);
  admin.close();
  const c = await RawClient.connect(broker.port);
  const value = 'x'.repeat(20_000);
  const throttles: number[] = [];
  for (let i = 0; i < 8; i++) {
    const records = encodeRecordBatch([{ value }]);
    c.sendFrame(encodeRequest(ProduceRequestCodec, 9, i + 1, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'q-produce', partitionData: [{ index: 0, records }] }] }, 'slow-producer'));
    const frame = await c.nextFrame();
    const res = decodeResponse(ProduceResponseCodec, 9, frame!).body;
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, 0);
    throttles.push(res.throttleTimeMs);
  }
  c.close();
  assert.equal(throttles[0], 0, 'within the burst a fresh sensor allows');
  assert.ok(throttles.some((t) => t > 0), `throttled: ${throttles.join(',')}`);
  assert.equal(broker.engine.offsets('q-produce', 0).highWatermark, 8, 'nothing dropped');
});

test('over consumer_byte_rate: answers without records and with the throttle, then the rest of the data', async () => {
  await broker.engine.createTopic('q-fetch', 1);
  const c = await RawClient.connect(broker.port);
  for (let i = 0; i < 6; i++) {
    await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'q-fetch', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'y'.repeat(30_000) }]) }] }] });
  }
  await alter(c, [{ entity: [{ entityType: 'client-id', entityName: 'slow-consumer' }], ops: [{ key: 'consumer_byte_rate', value: 100_000, remove: false }] }]);
  let offset = 0;
  let throttledEmpty = 0;
  // Bounded: each round either reads a batch or is throttled; throttles end as the samples age.
  for (let round = 0; round < 200 && offset < 6; round++) {
    const body = fetchBody('q-fetch');
    body.topics[0]!.partitions[0]!.fetchOffset = offset;
    body.topics[0]!.partitions[0]!.partitionMaxBytes = 1;
    c.sendFrame(encodeRequest(FetchRequestCodec, 12, 1000 + round, body, 'slow-consumer'));
    const res = decodeResponse(FetchResponseCodec, 12, (await c.nextFrame())!).body;
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, 0);
    if (p.records!.byteLength === 0) {
      assert.ok(res.throttleTimeMs > 0, 'an empty answer says why');
      throttledEmpty++;
      await new Promise((r) => setTimeout(r, res.throttleTimeMs));
    } else offset++;
  }
  c.close();
  assert.equal(offset, 6, 'every batch was read');
  assert.ok(throttledEmpty > 0, 'the consumer was throttled at least once');
});

test('over consumer_byte_rate in a fetch session: a throttled answer carries no partition, and the session goes on to read everything', async () => {
  await broker.engine.createTopic('q-session', 1);
  const c = await RawClient.connect(broker.port);
  for (let i = 0; i < 6; i++) {
    await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, { transactionalId: null, acks: 1, timeoutMs: 1000, topicData: [{ name: 'q-session', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'z'.repeat(30_000) }]) }] }] });
  }
  await alter(c, [{ entity: [{ entityType: 'client-id', entityName: 'slow-session' }], ops: [{ key: 'consumer_byte_rate', value: 100_000, remove: false }] }]);
  let sessionId = 0;
  let epoch = 0;
  let offset = 0;
  let sentOffset = -1;
  let throttledEmpty = 0;
  // Bounded: each round either reads a batch or is throttled; throttles end as the samples age.
  for (let round = 0; round < 200 && offset < 6; round++) {
    const body = fetchBody('q-session');
    body.sessionId = sessionId;
    body.sessionEpoch = epoch;
    // As a client does: the partition is named only when its offset changed.
    if (offset === sentOffset) body.topics = [];
    else {
      body.topics[0]!.partitions[0]!.fetchOffset = offset;
      body.topics[0]!.partitions[0]!.partitionMaxBytes = 1;
    }
    c.sendFrame(encodeRequest(FetchRequestCodec, 12, 2000 + round, body, 'slow-session'));
    const res = decodeResponse(FetchResponseCodec, 12, (await c.nextFrame())!).body;
    assert.equal(res.errorCode, 0);
    if (epoch === 0) {
      assert.ok(res.sessionId > 0);
      sessionId = res.sessionId;
    }
    assert.equal(res.sessionId, sessionId);
    epoch++;
    sentOffset = offset;
    const p = res.responses[0]?.partitions[0];
    if (p !== undefined && p.records!.byteLength > 0) {
      offset++;
    } else {
      assert.ok(res.throttleTimeMs > 0, 'an answer without records says why');
      throttledEmpty++;
      await new Promise((r) => setTimeout(r, res.throttleTimeMs));
    }
  }
  c.close();
  assert.equal(offset, 6, 'every batch was read');
  assert.ok(throttledEmpty > 0, 'the consumer was throttled at least once');
});
