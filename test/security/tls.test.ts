// TLS listeners against a real broker: kcat and kafkajs over SSL (and mutual TLS) next to a PLAINTEXT
// listener (each told its own listener's address by Metadata), mutual TLS with the
// certificate's subject as the principal, and the failures a TLS port must survive:
// a plaintext client on the TLS port, a TLS client on the plaintext port, no client
// certificate or one from an unknown CA under ssl.client.auth=required. Start-up
// refuses missing or undecryptable keys without quoting the password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { Kafka, logLevel } from 'kafkajs';
import { type Broker, startBroker } from '../../src/server.js';
import { ConfigError } from '../../src/config/config.js';
import { startEngine, type SamsaEngine } from '../../src/broker/engine.js';
import { startKafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { createKafkaHandler, type KafkaHandler } from '../../src/kafka/handler.js';
import { parseMappingRules, serverTlsOptions } from '../../src/security/tls.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { RawClient, encodeRequest } from '../kafka/harness.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { tempDir } from '../helpers/tmp.js';

const KCAT_MISSING = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0;
const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const skipKcat = OPENSSL_MISSING || KCAT_MISSING ? 'openssl or kcat is not installed' : false;

let certs: TestCerts;
let broker: Broker;
let plain: number;
let ssl: number;

before(async () => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  broker = await startBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'log.level': 'silent',
  });
  plain = broker.listeners[0]!.port;
  ssl = broker.listeners[1]!.port;
});

after(async () => {
  if (OPENSSL_MISSING) return;
  await broker.close();
  certs.remove();
});

function kcat(args: string[], input?: string): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('kcat', ['-m', '10', ...args], { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ ok: err === null, stdout, stderr }));
    child.stdin?.end(input ?? '');
  });
}

const sslArgs = (): string[] => ['-b', `127.0.0.1:${ssl}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`];

test('kcat over SSL: Metadata advertises the SSL listener; produce and consume round-trip', { skip: skipKcat }, async () => {
  await broker.engine.createTopic('tls-kcat', 1);
  const meta = await kcat([...sslArgs(), '-L']);
  assert.ok(meta.ok, meta.stderr);
  assert.match(meta.stdout, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${ssl}`));
  const overPlain = await kcat(['-b', `127.0.0.1:${plain}`, '-L']);
  assert.match(overPlain.stdout, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${plain}`), 'each listener advertises itself');
  const lines = Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`);
  const p = await kcat([...sslArgs(), '-P', '-t', 'tls-kcat', '-K', ':', '-X', 'acks=all'], lines.join('\n') + '\n');
  assert.ok(p.ok, p.stderr);
  const c = await kcat([...sslArgs(), '-C', '-t', 'tls-kcat', '-o', 'beginning', '-e', '-f', '%k=%s\\n']);
  assert.ok(c.ok, c.stderr);
  assert.deepEqual(c.stdout.trim().split('\n'), lines.map((l) => l.replace(':', '=')));
});

test('kafkajs over SSL: admin, producer and consumer', { skip }, async () => {
  const kafka = new Kafka({ clientId: 'tls-kafkajs', brokers: [`127.0.0.1:${ssl}`], ssl: { ca: [readFileSync(certs.caCert, 'utf8')] }, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'tls-kafkajs', numPartitions: 1 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'tls-kafkajs', acks: -1, messages: [{ key: 'a', value: 'one' }, { key: 'b', value: 'two' }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'tls-kafkajs-g' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'tls-kafkajs', fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => {
      got.push(`${message.key?.toString()}=${message.value?.toString()}`);
      if (got.length === 2) resolve();
    } }).catch(reject);
  });
  await consumer.disconnect();
  assert.deepEqual(got, ['a=one', 'b=two']);
});

test('a plaintext client on the TLS port and a TLS client on the plaintext port are closed; the broker goes on', { skip }, async () => {
  const raw = await RawClient.connect(ssl);
  raw.sendFrame(encodeRequest(ApiVersionsRequestCodec, 0, 1, { clientSoftwareName: '', clientSoftwareVersion: '' }));
  assert.equal(await raw.nextFrame(), null, 'no Kafka answer on a TLS port');
  await raw.closed;
  const tlsOnPlain = await new Promise<string>((resolve) => {
    const s = tlsConnect({ host: '127.0.0.1', port: plain, ca: readFileSync(certs.caCert), servername: 'localhost' });
    s.once('secureConnect', () => resolve('connected'));
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.once('close', () => resolve('closed'));
  });
  assert.notEqual(tlsOnPlain, 'connected');
  // Both listeners still serve.
  const ok = await RawClient.connect(plain);
  const res = await ok.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 0, { clientSoftwareName: '', clientSoftwareVersion: '' });
  assert.equal(res.errorCode, 0);
  ok.close();
  const again = await kcat([...sslArgs(), '-L']);
  if (!KCAT_MISSING) assert.ok(again.ok, again.stderr);
});

function allAre(list: readonly string[], want: string): boolean {
  return list.every((p) => p === want);
}

// Mutual TLS: a listener of its own with ssl.client.auth=required, and a handler that
// records the principal each request arrives with.
async function startMtls(clientAuth: 'required' | 'requested', rules = 'DEFAULT'): Promise<{ port: number; principals: string[]; close(): Promise<void> }> {
  const dataDir = tempDir('samsa-mtls-');
  const engine: SamsaEngine = await startEngine({ dataDir: dataDir.dir, shards: 1, pin: false });
  const inner = createKafkaHandler(engine, { groups: { initialRebalanceDelayMs: 0 } });
  const principals: string[] = [];
  const handler: KafkaHandler = {
    ...inner,
    options: inner.options,
    apiVersions: inner.apiVersions,
    handle: (f, c) => inner.handle(f, c),
    handleChunks: (f, c) => {
      principals.push(c.session?.principal ?? '(none)');
      return inner.handleChunks(f, c);
    },
  };
  const tls = serverTlsOptions({ certificateLocation: certs.serverCert, keyLocation: certs.serverKey, keyPassword: '', caLocation: certs.caCert, clientAuth, enabledProtocols: 'TLSv1.2,TLSv1.3' });
  const server = await startKafkaTcpServer(engine, { host: '127.0.0.1', port: 0, handler, listener: { name: 'SSL', protocol: 'SSL' }, tls, principalRules: parseMappingRules(rules) });
  return {
    port: server.port,
    principals,
    async close() {
      await server.close();
      await engine.close();
      dataDir.cleanup();
    },
  };
}

test('mutual TLS: kcat with a CA-signed certificate is User:<RFC 2253 subject>; no certificate or an unknown CA is refused', { skip: skipKcat }, async () => {
  const m = await startMtls('required');
  try {
    const base = ['-b', `127.0.0.1:${m.port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`];
    const good = await kcat([...base, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`, '-L']);
    assert.ok(good.ok, good.stderr);
    assert.ok(m.principals.length > 0);
    assert.ok(allAre(m.principals, 'User:CN=alice,OU=eng,O=Samsa Test'), m.principals.join(' '));
    const seen = m.principals.length;
    const none = await kcat([...base, '-m', '2', '-L']);
    assert.equal(none.ok, false);
    const stranger = await kcat([...base, '-m', '2', '-X', `ssl.certificate.location=${certs.strangerCert}`, '-X', `ssl.key.location=${certs.strangerKey}`, '-L']);
    assert.equal(stranger.ok, false);
    assert.equal(m.principals.length, seen, 'no request from an unauthenticated client reached the handler');
    const after = await kcat([...base, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`, '-L']);
    assert.ok(after.ok, 'the listener still serves after refusing clients');
  } finally {
    await m.close();
  }
});

test('mutual TLS: kafkajs with a CA-signed certificate produces and consumes as the certificate subject; without one it cannot connect', { skip }, async () => {
  const m = await startMtls('required');
  const ca = [readFileSync(certs.caCert, 'utf8')];
  const withCert = new Kafka({
    brokers: [`localhost:${m.port}`],
    ssl: { ca, cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') },
    logLevel: logLevel.NOTHING,
  });
  const producer = withCert.producer({ allowAutoTopicCreation: true });
  const consumer = withCert.consumer({ groupId: 'mtls-kjs' });
  try {
    await producer.connect();
    await producer.send({ topic: 'mtls-kjs', acks: -1, messages: [{ value: 'one' }, { value: 'two' }] });
    await consumer.connect();
    await consumer.subscribe({ topic: 'mtls-kjs', fromBeginning: true });
    const values: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (values.length === 2) resolve();
      } }).catch(reject);
    });
    assert.deepEqual(values, ['one', 'two']);
    assert.ok(allAre(m.principals, 'User:CN=alice,OU=eng,O=Samsa Test'), m.principals.join(' '));
    // Stop the consumer's heartbeats and fetches, so any request counted from here on would be the refused client's.
    await consumer.disconnect();
    await producer.disconnect();
    const seen = m.principals.length;
    const noCert = new Kafka({ brokers: [`localhost:${m.port}`], ssl: { ca }, logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 3000 }).admin();
    await assert.rejects(noCert.connect().then(() => noCert.listTopics()));
    await noCert.disconnect();
    assert.equal(m.principals.length, seen, 'nothing from the client without a certificate reached the handler');
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
    await m.close();
  }
});

test('ssl.client.auth=requested with a mapping rule: a verified certificate maps to its short name, none is ANONYMOUS', { skip: skipKcat }, async () => {
  const m = await startMtls('requested', 'RULE:^CN=(.*?),OU=.*$/$1/,DEFAULT');
  try {
    const base = ['-b', `127.0.0.1:${m.port}`, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`];
    const withCert = await kcat([...base, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`, '-L']);
    assert.ok(withCert.ok, withCert.stderr);
    assert.ok(allAre(m.principals, 'User:alice'), m.principals.join(' '));
    m.principals.length = 0;
    const anonymous = await kcat([...base, '-L']);
    assert.ok(anonymous.ok, anonymous.stderr);
    assert.ok(m.principals.length > 0 && allAre(m.principals, 'User:ANONYMOUS'), m.principals.join(' '));
  } finally {
    await m.close();
  }
});

test('start-up refuses a TLS listener without a certificate, and a wrong key password without quoting it', { skip }, async () => {
  await assert.rejects(startBroker({ listeners: 'SSL://127.0.0.1:0', 'log.level': 'silent' }), (e: unknown) => e instanceof ConfigError && /ssl\.certificate\.location/.test(e.message));
  const wrong = 'wrong-pass-94aZ';
  await assert.rejects(
    startBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.certificate.location': certs.serverCert, 'ssl.key.location': certs.serverKeyEncrypted, 'ssl.key.password': wrong, 'log.level': 'silent' }),
    (e: unknown) => e instanceof ConfigError && /ssl\.key\.password/.test(e.message) && !e.message.includes(wrong),
  );
  const b = await startBroker({ listeners: 'SSL://127.0.0.1:0', 'ssl.certificate.location': certs.serverCert, 'ssl.key.location': certs.serverKeyEncrypted, 'ssl.key.password': certs.encryptedKeyPassword, 'log.level': 'silent' });
  await b.close();
});
