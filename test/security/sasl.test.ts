// SASL against a real broker with PLAINTEXT, SASL_PLAINTEXT and SASL_SSL listeners:
// kcat and kafkajs with SCRAM-SHA-512 over SASL_SSL, SCRAM-SHA-256 and PLAIN over
// SASL_PLAINTEXT; and every way a login must fail — wrong password, unknown user, a
// replayed SCRAM client-final, a truncated handshake, garbage tokens, requests before
// authentication, SaslAuthenticate without a handshake, an unsupported mechanism —
// each with a clear error and a closed connection, never a crash. Credentials survive
// a restart and the store holds no password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { type Broker, startBroker } from '../../src/server.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { ScramClient } from '../../src/security/scram.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from '../../src/wire/schemas/17-sasl-handshake.js';
import { SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec } from '../../src/wire/schemas/36-sasl-authenticate.js';
import { RawClient, encodeRequest } from '../kafka/harness.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { addScramUser, connectTls, scramLogin } from './sasl-helpers.js';

const KCAT_MISSING = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0;
const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const skipKcat = OPENSSL_MISSING || KCAT_MISSING ? 'openssl or kcat is not installed' : false;

const ALICE_PW = 'alice-Pw-7d1e';
const BOB_PW = 'bob-Pw-93c2';
let certs: TestCerts;
let dataDir: string;
let broker: Broker;
let plain: number;
let saslPlain: number;
let saslSsl: number;

async function start(): Promise<Broker> {
  const b = await startBroker({
    dataDir,
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'log.level': 'silent',
  });
  [plain, saslPlain, saslSsl] = b.listeners.map((l) => l.port) as [number, number, number];
  return b;
}

before(async () => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dataDir = mkdtempSync(join(tmpdir(), 'samsa-sasl-'));
  broker = await start();
  const admin = await RawClient.connect(plain);
  await addScramUser(admin, 'alice', ALICE_PW, 'SCRAM-SHA-512');
  await addScramUser(admin, 'alice', ALICE_PW, 'SCRAM-SHA-256');
  await addScramUser(admin, 'bob', BOB_PW, 'SCRAM-SHA-256');
  admin.close();
});

after(async () => {
  if (OPENSSL_MISSING) return;
  await broker.close();
  rmSync(dataDir, { recursive: true, force: true });
  certs.remove();
});

function kcat(args: string[], input?: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kcat', ['-m', '10', ...args], { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ ok: err === null, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

const saslSslArgs = (mech: string, user: string, pw: string): string[] => [
  '-b', `127.0.0.1:${saslSsl}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caCert}`,
  '-X', `sasl.mechanisms=${mech}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`,
];
const saslPlainArgs = (mech: string, user: string, pw: string): string[] => [
  '-b', `127.0.0.1:${saslPlain}`, '-X', 'security.protocol=SASL_PLAINTEXT',
  '-X', `sasl.mechanisms=${mech}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`,
];

test('kcat SASL_SSL with SCRAM-SHA-512: Metadata advertises the SASL_SSL listener; produce and consume', { skip: skipKcat }, async () => {
  await broker.engine.createTopic('sasl-kcat', 1);
  const args = saslSslArgs('SCRAM-SHA-512', 'alice', ALICE_PW);
  const meta = await kcat([...args, '-L']);
  assert.ok(meta.ok, meta.stderr);
  assert.match(meta.stdout, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${saslSsl}`));
  const p = await kcat([...args, '-P', '-t', 'sasl-kcat', '-X', 'acks=all'], 'one\ntwo\nthree\n');
  assert.ok(p.ok, p.stderr);
  const c = await kcat([...args, '-C', '-t', 'sasl-kcat', '-o', 'beginning', '-e']);
  assert.ok(c.ok, c.stderr);
  assert.deepEqual(c.stdout.trim().split('\n'), ['one', 'two', 'three']);
});

test('kcat SASL_PLAINTEXT with SCRAM-SHA-256 and with PLAIN', { skip: skipKcat }, async () => {
  for (const mech of ['SCRAM-SHA-256', 'PLAIN']) {
    const r = await kcat([...saslPlainArgs(mech, 'bob', BOB_PW), '-L']);
    assert.ok(r.ok, `${mech}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${saslPlain}`));
  }
});

test('kcat: a wrong password and an unknown user fail with an authentication error that quotes no password', { skip: skipKcat }, async () => {
  for (const [user, pw] of [['alice', 'not-Alices-pw-1'], ['nobody', 'nobodys-pw-2']] as const) {
    for (const mech of ['SCRAM-SHA-512', 'PLAIN']) {
      const r = await kcat([...saslSslArgs(mech, user, pw), '-m', '3', '-L']);
      assert.equal(r.ok, false, `${mech} ${user} must fail`);
      assert.match(r.stderr, /SASL authentication error|Authentication failed/i, r.stderr);
      assert.ok(!r.stderr.includes(pw), 'the password is not echoed');
    }
  }
});

test('kafkajs SASL_SSL SCRAM-SHA-512 and SASL_PLAINTEXT PLAIN: produce and consume', { skip }, async () => {
  const viaSsl = new Kafka({
    clientId: 'sasl-kafkajs',
    brokers: [`127.0.0.1:${saslSsl}`],
    ssl: { ca: [readFileSync(certs.caCert, 'utf8')] },
    sasl: { mechanism: 'scram-sha-512', username: 'alice', password: ALICE_PW },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const producer = viaSsl.producer();
  await producer.connect();
  await producer.send({ topic: 'sasl-kafkajs', acks: -1, messages: [{ key: 'k', value: 'over SASL_SSL' }] });
  await producer.disconnect();
  const viaPlain = new Kafka({
    clientId: 'sasl-kafkajs-plain',
    brokers: [`127.0.0.1:${saslPlain}`],
    sasl: { mechanism: 'plain', username: 'bob', password: BOB_PW },
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
  });
  const consumer = viaPlain.consumer({ groupId: 'sasl-kafkajs-g' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'sasl-kafkajs', fromBeginning: true });
  const got = await new Promise<string>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => resolve(message.value!.toString()) }).catch(reject);
  });
  await consumer.disconnect();
  assert.equal(got, 'over SASL_SSL');
});

test('kafkajs with a wrong password gets a SASL authentication error', { skip }, async () => {
  const kafka = new Kafka({ brokers: [`127.0.0.1:${saslPlain}`], sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'wrong-pw-x' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const admin = kafka.admin();
  await assert.rejects(admin.connect(), (e: Error) => /SASL SCRAM SHA256 authentication failed|Authentication failed/i.test(e.message) && !e.message.includes('wrong-pw-x'));
  await admin.disconnect();
});

const apiVersions = { clientSoftwareName: 't', clientSoftwareVersion: '1' };
const metadata = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

test('before authentication only ApiVersions and the SASL APIs are served; anything else closes the connection', { skip }, async () => {
  const c = await RawClient.connect(saslPlain);
  const av = await c.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, apiVersions);
  assert.equal(av.errorCode, 0);
  assert.ok(av.apiKeys.some((k) => k.apiKey === 17 && k.minVersion === 0 && k.maxVersion === 1) && av.apiKeys.some((k) => k.apiKey === 36));
  c.send(MetadataRequestCodec, 12, metadata);
  assert.equal(await c.nextFrame(), null, 'Metadata before authentication closes the connection');
  // After a successful login the same request is served.
  const ok = await RawClient.connect(saslPlain);
  assert.equal((await scramLogin(ok, 'SCRAM-SHA-256', 'alice', ALICE_PW)).errorCode, 0);
  assert.equal((await ok.request(MetadataRequestCodec, MetadataResponseCodec, 12, metadata)).brokers[0]?.port, saslPlain);
  ok.close();
});

test('SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE; an unknown mechanism is refused with the list; both close', { skip }, async () => {
  const c1 = await RawClient.connect(saslPlain);
  const r1 = await c1.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 1, { authBytes: Buffer.from('n,,n=alice,r=abc') });
  assert.equal(r1.errorCode, ErrorCode.ILLEGAL_SASL_STATE);
  await c1.closed;
  const c2 = await RawClient.connect(saslPlain);
  const r2 = await c2.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'GSSAPI' });
  assert.equal(r2.errorCode, ErrorCode.UNSUPPORTED_SASL_MECHANISM);
  assert.deepEqual(r2.mechanisms, ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']);
  await c2.closed;
  // After a v0 handshake a pre-1.0 client would send a raw token: not a request, so the connection closes.
  const c3 = await RawClient.connect(saslPlain);
  assert.equal((await c3.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 0, { mechanism: 'PLAIN' })).errorCode, 0);
  c3.writeRaw(Buffer.from([0, 0, 0, 10, 0, 0x62, 0x6f, 0x62, 0, 0x70, 0x77, 0x70, 0x77, 0x21]));
  assert.equal(await c3.nextFrame(), null);
});

test('a SCRAM client-final replayed on a new connection fails with SASL_AUTHENTICATION_FAILED and closes', { skip }, async () => {
  const victim = await connectTls(saslSsl, readFileSync(certs.caCert));
  await victim.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'SCRAM-SHA-512' });
  const scram = new ScramClient('SCRAM-SHA-512', 'alice', ALICE_PW);
  const clientFirst = scram.firstMessage();
  const serverFirst = await victim.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: clientFirst });
  const clientFinal = await scram.finalMessage(serverFirst.authBytes);
  assert.equal((await victim.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: clientFinal })).errorCode, 0);
  victim.close();
  const attacker = await connectTls(saslSsl, readFileSync(certs.caCert));
  await attacker.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'SCRAM-SHA-512' });
  assert.equal((await attacker.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: clientFirst })).errorCode, 0);
  const replay = await attacker.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: clientFinal });
  assert.equal(replay.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  assert.match(replay.errorMessage ?? '', /nonce/);
  await attacker.closed;
});

test('wrong password, unknown user and garbage tokens over the wire: SASL_AUTHENTICATION_FAILED, closed, same message for both users', { skip }, async () => {
  const messages: string[] = [];
  for (const [user, pw] of [['alice', 'bad-1'], ['nobody', 'bad-2']] as const) {
    const c = await RawClient.connect(saslPlain);
    const r = await scramLogin(c, 'SCRAM-SHA-512', user, pw);
    assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
    messages.push(r.errorMessage ?? '');
    await c.closed;
  }
  assert.equal(messages[0], messages[1], 'an unknown user cannot be told from a wrong password');
  const g = await RawClient.connect(saslPlain);
  await g.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'SCRAM-SHA-256' });
  const r = await g.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: Buffer.from([0xff, 0x00, 0x13]) });
  assert.equal(r.errorCode, ErrorCode.SASL_AUTHENTICATION_FAILED);
  await g.closed;
});

test('truncated handshakes (half a frame, a client-first then silence, a TLS hello cut short) never hurt the broker', { skip }, async () => {
  const half = await RawClient.connect(saslPlain);
  const frame = encodeRequest(SaslHandshakeRequestCodec, 1, 1, { mechanism: 'SCRAM-SHA-256' });
  const prefix = Buffer.alloc(4);
  prefix.writeInt32BE(frame.byteLength);
  half.writeRaw(Buffer.concat([prefix, frame.subarray(0, 5)]));
  half.close();
  const silent = await RawClient.connect(saslPlain);
  await silent.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'SCRAM-SHA-256' });
  await silent.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: new ScramClient('SCRAM-SHA-256', 'alice', 'x').firstMessage() });
  silent.close();
  const tlsCut = await RawClient.connect(saslSsl);
  tlsCut.writeRaw(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01]));
  tlsCut.close();
  // The broker still logs people in on every listener.
  const c = await connectTls(saslSsl, readFileSync(certs.caCert));
  assert.equal((await scramLogin(c, 'SCRAM-SHA-512', 'alice', ALICE_PW)).errorCode, 0);
  c.close();
});

test('credentials survive a restart; the store keeps salted keys and no password', { skip }, async () => {
  await broker.close();
  const stored = readFileSync(join(dataDir, 'meta', 'scram-credentials.json'), 'utf8');
  for (const pw of [ALICE_PW, BOB_PW]) {
    assert.ok(!stored.includes(pw) && !stored.includes(Buffer.from(pw).toString('base64')));
  }
  assert.deepEqual(Object.keys(JSON.parse(stored).users).sort(), ['alice', 'bob']);
  broker = await start();
  const c = await RawClient.connect(saslPlain);
  assert.equal((await scramLogin(c, 'SCRAM-SHA-256', 'bob', BOB_PW)).errorCode, 0);
  c.close();
});
