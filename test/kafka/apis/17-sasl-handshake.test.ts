// SaslHandshake (API 17) over raw requests: ILLEGAL_SASL_STATE on a PLAINTEXT listener
// (connection kept, as Kafka); on a SASL listener the enabled mechanisms; an unknown
// mechanism, a second handshake mid-exchange and a re-authentication with another
// mechanism are refused and the connection closed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/wire/errors.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from '../../../src/wire/schemas/17-sasl-handshake.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../../src/wire/schemas/18-api-versions.js';
import { UserStore } from '../../../src/security/user-store.js';
import { newCredential } from '../../../src/security/scram.js';
import { startKafkaTcpServer, type KafkaTcpServer } from '../../../src/kafka/tcp-server.js';
import { RawClient, type TestBroker, startTestBroker } from '../harness.js';
import { scramLogin } from '../../security/sasl-helpers.js';

let broker: TestBroker;
let sasl: KafkaTcpServer;

before(async () => {
  const users = UserStore.inMemory();
  users.apply([{ user: 'alice', mechanism: 'SCRAM-SHA-256', credential: await newCredential('SCRAM-SHA-256', 'pw') }]);
  const security = { users, sasl: { enabledMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const, reauthMs: 0 } };
  broker = await startTestBroker({ security });
  sasl = await startKafkaTcpServer(broker.engine, { host: '127.0.0.1', port: 0, handler: broker.server.handler, listener: { name: 'SASL_PLAINTEXT', protocol: 'SASL_PLAINTEXT' } });
});

after(async () => {
  await sasl.close();
  await broker.close();
});

const hs = (c: RawClient, mechanism: string, v = 1) => c.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, v, { mechanism });

test('on a PLAINTEXT listener: ILLEGAL_SASL_STATE and the connection stays open', async () => {
  const c = await RawClient.connect(broker.port);
  assert.deepEqual(await hs(c, 'SCRAM-SHA-256'), { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
  const av = await c.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
  assert.equal(av.errorCode, 0);
  c.close();
});

test('on a SASL listener: the enabled mechanisms at v0 and v1', async () => {
  for (const v of [0, 1]) {
    const c = await RawClient.connect(sasl.port);
    assert.deepEqual(await hs(c, 'SCRAM-SHA-512', v), { errorCode: ErrorCode.NONE, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    c.close();
  }
});

test('an unknown or disabled mechanism: UNSUPPORTED_SASL_MECHANISM with the list, then closed', async () => {
  for (const m of ['PLAIN', 'GSSAPI', 'scram-sha-256']) {
    const c = await RawClient.connect(sasl.port);
    assert.deepEqual(await hs(c, m), { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    await c.closed;
  }
});

test('a second handshake before the exchange finished: ILLEGAL_SASL_STATE, then closed', async () => {
  const c = await RawClient.connect(sasl.port);
  assert.equal((await hs(c, 'SCRAM-SHA-256')).errorCode, ErrorCode.NONE);
  assert.equal((await hs(c, 'SCRAM-SHA-256')).errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  await c.closed;
});

test('re-authentication must keep the mechanism', async () => {
  const c = await RawClient.connect(sasl.port);
  assert.equal((await scramLogin(c, 'SCRAM-SHA-256', 'alice', 'pw')).errorCode, 0);
  assert.equal((await hs(c, 'SCRAM-SHA-512')).errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  await c.closed;
});
