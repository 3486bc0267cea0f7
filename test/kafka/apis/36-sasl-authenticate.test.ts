// SaslAuthenticate (API 36) over raw requests at v0, v1 and v2, and KIP-368
// re-authentication with connections.max.reauth.ms: the lifetime is reported from v1;
// after it, any request but a re-authentication closes the connection; re-authenticating
// in time keeps it; re-authenticating as someone else is refused; kafkajs re-authenticates
// by itself and keeps producing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { ErrorCode } from '../../../src/wire/errors.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../../src/wire/schemas/03-metadata.js';
import { UserStore } from '../../../src/security/user-store.js';
import { newCredential } from '../../../src/security/scram.js';
import { startKafkaTcpServer, type KafkaTcpServer } from '../../../src/kafka/tcp-server.js';
import { createKafkaHandler } from '../../../src/kafka/handler.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';
import { scramLogin } from '../../security/sasl-helpers.js';

/** Short, so a test can outlive a session; the tests wait for it, they do not time it. */
const REAUTH_MS = 400;

let broker: TestBroker;
let sasl: KafkaTcpServer;
let reauth: KafkaTcpServer;

before(async () => {
  const users = UserStore.inMemory();
  users.apply([
    { user: 'alice', mechanism: 'SCRAM-SHA-512', credential: await newCredential('SCRAM-SHA-512', 'alice-pw') },
    { user: 'bob', mechanism: 'SCRAM-SHA-512', credential: await newCredential('SCRAM-SHA-512', 'bob-pw') },
  ]);
  const enabledMechanisms = ['PLAIN', 'SCRAM-SHA-512'] as const;
  broker = await startTestBroker({ security: { users, sasl: { enabledMechanisms, reauthMs: 0 } } });
  const listener = { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT' } as const;
  sasl = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0, handler: broker.server.handler, listener });
  const reauthHandler = createKafkaHandler(broker.engine, { security: { users, sasl: { enabledMechanisms, reauthMs: REAUTH_MS } }, groups: { initialRebalanceDelayMs: 0 } });
  reauth = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0, handler: reauthHandler, listener });
});

after(async () => {
  await reauth.close();
  await sasl.close();
  await broker.close();
});

const metadata = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('SCRAM-SHA-512 at v0, v1 and v2; no lifetime without connections.max.reauth.ms', async () => {
  for (const v of [0, 1, 2]) {
    const c = await RawClient.connect(sasl.port);
    const r = await scramLogin(c, 'SCRAM-SHA-512', 'alice', 'alice-pw', v);
    assert.deepEqual([r.errorCode, r.errorMessage, r.sessionLifetimeMs], [0, null, 0], `v${v}`);
    assert.equal((await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, metadata)).brokers.length, 1);
    c.close();
  }
});

test('a session past connections.max.reauth.ms: the next request closes the connection', async () => {
  const c = await RawClient.connect(reauth.port);
  const r = await scramLogin(c, 'SCRAM-SHA-512', 'alice', 'alice-pw', 1);
  assert.equal(r.sessionLifetimeMs, REAUTH_MS);
  await new Promise((res) => setTimeout(res, REAUTH_MS + 100));
  c.send(MetadataRequestCodec, 12, metadata);
  assert.equal(await c.nextFrame(), null);
});

test('re-authenticating on the same connection renews the session; another principal is refused', async () => {
  const c = await RawClient.connect(reauth.port);
  assert.equal((await scramLogin(c, 'SCRAM-SHA-512', 'alice', 'alice-pw')).errorCode, 0);
  await new Promise((res) => setTimeout(res, REAUTH_MS + 100));
  // Expired, but re-authentication is still allowed, and then requests are served again.
  assert.equal((await scramLogin(c, 'SCRAM-SHA-512', 'alice', 'alice-pw')).errorCode, 0);
  assert.equal((await c.request(MetadataRequestCodec, MetadataResponseCodec, 12, metadata)).brokers.length, 1);
  const other = await scramLogin(c, 'SCRAM-SHA-512', 'bob', 'bob-pw');
  assert.equal(other.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.equal(other.errorMessage, 'Cannot change principals during re-authentication');
  await c.closed;
});

test('kafkajs re-authenticates by itself (KIP-368) and keeps producing past several session lifetimes', async () => {
  await broker.engine.createTopic('reauth-kafkajs', 1);
  const kafka = new Kafka({ brokers: [`127.0.0.1:${reauth.port}`], sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-pw' }, logLevel: logLevel.NOTHING, retry: { retries: 5 } });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 6; i++) {
    await producer.send({ topic: 'reauth-kafkajs', acks: 1, messages: [{ value: `m${i}` }] });
    await new Promise((res) => setTimeout(res, REAUTH_MS / 2));
  }
  await producer.disconnect();
  assert.equal(broker.engine.offsets('reauth-kafkajs', 0).highWatermark, 6);
});
