// ACLs enforced on every API: a broker with an authorizer (super user admin,
// allow.everyone.if.no.acl.found=false) and a SASL listener; `mallory` has no ACL and
// tries every registered API (the table below must name each one, so a new API
// cannot be added without its check), getting Kafka's *_AUTHORIZATION_FAILED code and
// changing nothing; `alice` gets exactly what her ACLs allow (literal, prefixed,
// wildcard, implied DESCRIBE, DENY over ALLOW, host-bound); Metadata hides what a
// principal may not describe; the ACLs survive a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode } from '../../src/wire/errors.js';
import { APIS } from '../../src/kafka/apis/index.js';
import { UserStore } from '../../src/security/user-store.js';
import { newCredential } from '../../src/security/scram.js';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Perm, AclResourceType as Res, Authorizer, type AclBinding } from '../../src/security/acl.js';
import { startKafkaTcpServer, type KafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../src/wire/schemas/08-offset-commit.js';
import { ListGroupsRequestCodec, ListGroupsResponseCodec } from '../../src/wire/schemas/16-list-groups.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../src/wire/schemas/22-init-producer-id.js';
import { AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec } from '../../src/wire/schemas/24-add-partitions-to-txn.js';
import { EndTxnRequestCodec, EndTxnResponseCodec } from '../../src/wire/schemas/26-end-txn.js';
import { RawClient, type TestBroker, startTestBroker } from '../kafka/harness.js';
import { scramLogin } from './sasl-helpers.js';
import { authorizationCases, fetchBody } from './authorization-cases.js';

let broker: TestBroker;
let sasl: KafkaTcpServer;
let authorizer: Authorizer;
let metaDir: string;

const USERS = ['admin', 'alice', 'mallory'] as const;

before(async () => {
  metaDir = mkdtempSync(join(tmpdir(), 'samsa-acl-meta-'));
  const users = UserStore.inMemory();
  for (const u of USERS) users.apply([{ user: u, mechanism: 'SCRAM-SHA-256', credential: await newCredential('SCRAM-SHA-256', `${u}-pw`) }]);
  authorizer = Authorizer.open(metaDir, { superUsers: ['User:admin'], allowIfNoAcl: false });
  const security = { users, sasl: { enabledMechanisms: ['SCRAM-SHA-256'] as const, reauthMs: 0 }, authorizer };
  broker = await startTestBroker({ security });
  sasl = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0, handler: broker.server.handler, listener: { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT' } });
  await broker.engine.createTopic('secret', 1);
  await broker.engine.createTopic('orders', 1);
  await broker.engine.createTopic('orders-eu', 1);
  await broker.engine.createTopic('public', 1);
});

after(async () => {
  await sasl.close();
  await broker.close();
  rmSync(metaDir, { recursive: true, force: true });
});

async function login(user: (typeof USERS)[number]): Promise<RawClient> {
  const c = await RawClient.connect(sasl.port);
  assert.equal((await scramLogin(c, 'SCRAM-SHA-256', user, `${user}-pw`)).errorCode, 0);
  return c;
}

const acl = (resourceType: number, resourceName: string, principal: string, operation: number, extra: Partial<AclBinding> = {}): AclBinding => ({
  resourceType,
  resourceName,
  patternType: Pattern.LITERAL,
  principal,
  host: '*',
  operation,
  permissionType: Perm.ALLOW,
  ...extra,
});

test('every API but ApiVersions and the SASL ones is refused to a principal without ACLs, and changes nothing', async () => {
  const cases = authorizationCases();
  const exempt = new Set([17, 18, 36]);
  const covered = new Set(cases.map((c) => c.apiKey));
  const missing = APIS.filter((a) => !exempt.has(a.apiKey) && !covered.has(a.apiKey)).map((a) => `${a.apiKey} ${a.name}`);
  assert.deepEqual(missing, [], 'every registered API has an authorization case');
  // A group and an offset, made by the super user, for the group APIs to be refused on.
  const admin = await login('admin');
  await admin.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 8, { groupId: 'g', generationId: -1, memberId: '', topics: [{ name: 'secret', partitions: [{ partitionIndex: 0, committedOffset: 0, committedMetadata: null }] }] });
  // A transactional id, for the transaction APIs to be refused on (and ListTransactions to hide).
  const made = await admin.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'tx', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 });
  assert.equal(made.errorCode, ErrorCode.NONE);
  admin.close();
  const mallory = await login('mallory');
  try {
    for (const c of cases) {
      const got = await c.run(mallory);
      assert.deepEqual(got, c.expect, `${c.apiKey} ${c.name}`);
    }
  } finally {
    mallory.close();
  }
  assert.ok(broker.engine.describeTopic('secret') !== undefined, 'DeleteTopics did not delete');
  assert.equal(broker.engine.describeTopic('mallory-made'), undefined, 'CreateTopics did not create');
  assert.equal(broker.engine.offsets('secret', 0).highWatermark, 0, 'Produce did not write');
  assert.equal(broker.engine.describeTopic('secret')!.partitions, 1, 'CreatePartitions did not grow');
  assert.deepEqual(authorizer.all(), [], 'CreateAcls did not add');
});

describe('alice with ACLs', () => {
  before(() => {
    authorizer.add([
      acl(Res.TOPIC, 'orders', 'User:alice', Op.WRITE),
      acl(Res.TOPIC, 'orders', 'User:alice', Op.READ),
      acl(Res.TOPIC, 'orders-', 'User:alice', Op.ALL, { patternType: Pattern.PREFIXED }),
      acl(Res.TOPIC, 'orders-eu', 'User:alice', Op.WRITE, { permissionType: Perm.DENY }),
      acl(Res.TOPIC, 'public', 'User:*', Op.DESCRIBE),
      acl(Res.GROUP, 'alice-', 'User:alice', Op.READ, { patternType: Pattern.PREFIXED }),
      acl(Res.TOPIC, 'secret', 'User:alice', Op.READ, { host: '10.9.9.9' }),
    ]);
  });

  test('Metadata lists only the topics she may describe (WRITE/READ/ALL imply DESCRIBE; host-bound ACLs from elsewhere do not count)', async () => {
    const c = await login('alice');
    const all = await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true });
    assert.deepEqual(all.topics.map((t) => t.name).sort(), ['orders', 'orders-eu', 'public']);
    const orders = all.topics.find((t) => t.name === 'orders')!;
    assert.equal(orders.topicAuthorizedOperations, (1 << Op.READ) | (1 << Op.WRITE) | (1 << Op.DESCRIBE));
    const named = await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, {
      topics: [{ topicId: '00000000000000000000000000000000', name: 'secret' }, { topicId: '00000000000000000000000000000000', name: 'no-such-topic' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.deepEqual(named.topics.map((t) => [t.name, t.errorCode]), [['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED], ['no-such-topic', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    assert.equal(broker.engine.describeTopic('no-such-topic'), undefined, 'no auto-creation without CREATE');
    c.close();
  });

  test('a fetch session re-checks READ: a DENY added while the session lives refuses its next incremental fetch', async () => {
    await broker.engine.createTopic('orders-rev', 1);
    const c = await login('alice');
    const full = await c.request(FetchRequestCodec, FetchResponseCodec, 12, { ...fetchBody('orders-rev'), sessionEpoch: 0 });
    assert.equal(full.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.ok(full.sessionId > 0);
    authorizer.add([acl(Res.TOPIC, 'orders-rev', 'User:alice', Op.READ, { permissionType: Perm.DENY })]);
    const inc = await c.request(FetchRequestCodec, FetchResponseCodec, 12, { ...fetchBody('orders-rev'), topics: [], sessionId: full.sessionId, sessionEpoch: 1 });
    assert.deepEqual(inc.responses.map((t) => [t.topic, t.partitions[0]!.errorCode]), [['orders-rev', ErrorCode.TOPIC_AUTHORIZATION_FAILED]]);
    c.close();
  });

  test('produce: allowed by a literal ALLOW and by a prefix; a DENY wins over the prefix ALLOW', async () => {
    const c = await login('alice');
    const records = encodeRecordBatch([{ key: 'k', value: 'v' }]);
    const res = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: ['orders', 'orders-us', 'orders-eu', 'public'].map((name) => ({ name, partitionData: [{ index: 0, records }] })),
    });
    assert.deepEqual(res.responses.map((r) => [r.name, r.partitionResponses[0]!.errorCode]), [
      ['orders', ErrorCode.NONE],
      ['orders-us', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ['orders-eu', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
      ['public', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const init = await c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    assert.equal(init.errorCode, ErrorCode.NONE, 'WRITE on some topic stands in for IDEMPOTENT_WRITE (KIP-679)');
    c.close();
  });

  test('consume in a group she may read; a group outside her prefix is refused', async () => {
    const c = await login('alice');
    const commit = (groupId: string) =>
      c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 8, { groupId, generationId: -1, memberId: '', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 1, committedMetadata: null }] }] });
    assert.equal((await commit('alice-app')).topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await commit('bobs-app')).topics[0]!.partitions[0]!.errorCode, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const fetched = await c.request(FetchRequestCodec, FetchResponseCodec, 12, fetchBody('orders'));
    assert.equal(fetched.responses[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
    assert.ok(fetched.responses[0]!.partitions[0]!.records!.byteLength > 0);
    const groups = await c.request(ListGroupsRequestCodec, ListGroupsResponseCodec, 4, { statesFilter: [], typesFilter: [] });
    assert.deepEqual(groups.groups.map((g) => g.groupId), ['alice-app'], 'ListGroups shows only the groups she may describe');
    c.close();
  });

  test('allow.everyone.if.no.acl.found opens resources no ACL names, and only those', async () => {
    const open = Authorizer.inMemory({ superUsers: [], allowIfNoAcl: true });
    open.add([acl(Res.TOPIC, 'guarded', 'User:alice', Op.READ)]);
    const bob = { principal: 'User:bob', clientAddress: '127.0.0.1' };
    assert.equal(open.authorize(bob, Op.WRITE, Res.TOPIC, 'anything'), true);
    assert.equal(open.authorize(bob, Op.READ, Res.TOPIC, 'guarded'), false);
    assert.equal(open.authorize({ principal: 'User:alice', clientAddress: '1.2.3.4' }, Op.DESCRIBE, Res.TOPIC, 'guarded'), true);
  });

  test('transactions need WRITE on the transactional id: InitProducerId and EndTxn are refused without it, and work with it', async () => {
    const c = await login('alice');
    const init = () => c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'alice-tx', transactionTimeoutMs: 10_000, producerId: -1, producerEpoch: -1 });
    const end = (producerId: number, producerEpoch: number) => c.request(EndTxnRequestCodec, EndTxnResponseCodec, 3, { transactionalId: 'alice-tx', producerId, producerEpoch, committed: true });
    const add = (producerId: number, producerEpoch: number, topics: string[]) =>
      c.request(AddPartitionsToTxnRequestCodec, AddPartitionsToTxnResponseCodec, 3, {
        transactions: [],
        v3AndBelowTransactionalId: 'alice-tx',
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: producerEpoch,
        v3AndBelowTopics: topics.map((name) => ({ name, partitions: [0] })),
      });
    // WRITE on topics (which allows an idempotent producer) is not enough for a transactional one.
    const refused = await init();
    assert.equal(refused.errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    assert.equal(refused.producerId, -1);
    assert.equal((await end(0, 0)).errorCode, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    authorizer.add([acl(Res.TRANSACTIONAL_ID, 'alice-tx', 'User:alice', Op.WRITE)]);
    const ok = await init();
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.ok(ok.producerId >= 0);
    const mixed = await add(ok.producerId, ok.producerEpoch, ['orders', 'secret']);
    assert.deepEqual(mixed.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition[0]!.partitionErrorCode]), [
      ['orders', ErrorCode.OPERATION_NOT_ATTEMPTED],
      ['secret', ErrorCode.TOPIC_AUTHORIZATION_FAILED],
    ]);
    const added = await add(ok.producerId, ok.producerEpoch, ['orders']);
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    assert.equal((await end(ok.producerId, ok.producerEpoch)).errorCode, ErrorCode.NONE);
    c.close();
  });

  test('the ACLs survive a restart of the authorizer (meta/acls.json)', () => {
    const again = Authorizer.open(metaDir, { superUsers: [], allowIfNoAcl: false });
    assert.equal(again.all().length, authorizer.all().length);
    assert.equal(again.authorize({ principal: 'User:alice', clientAddress: '127.0.0.1' }, Op.READ, Res.TOPIC, 'orders'), true);
  });
});
