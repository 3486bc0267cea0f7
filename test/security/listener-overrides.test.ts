// Kafka's listener-prefixed settings (`listener.name.<lowercased name>.<setting>`,
// falling back to the unprefixed one) and its connection limits over a real broker:
// two TLS listeners with different certificates and client-auth rules, SASL
// mechanisms per listener, max.connections across every listener, a listener's own
// max.connections, max.connections.per.ip; bad prefixed settings stop the start.
// Driven with Samsa's own client over real sockets.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import '../../src/client/node.js';
import { Connection } from '../../src/client/connection.js';
import { AuthenticationError, ConnectionError } from '../../src/client/errors.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { runCli } from '../cli/cli-helpers.js';
import { RawClient } from '../kafka/harness.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';

const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const PW = 'lst-Pw-33d1';
let certs: TestCerts;
let dir: string;
/** A second server certificate, self-signed, for one listener only. */
let otherCert: string;
let otherKey: string;

before(() => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-listener-overrides-'));
  otherCert = join(dir, 'other.pem');
  otherKey = join(dir, 'other.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', otherKey, '-out', otherCert, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
});

after(() => {
  if (OPENSSL_MISSING) return;
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

const open = (bootstrap: string, extra: Parameters<typeof Connection.open>[0] = {}): Promise<Connection> => Connection.open({ bootstrap, connectTimeoutMs: 5000, ...extra });

test('listener.name.<name>.ssl.*, .sasl.enabled.mechanisms: each listener its own, the rest from the unprefixed settings', { skip }, async () => {
  const dataDir = join(dir, 'per-listener');
  const add = await runCli(['users', 'add', 'alice', '--data-dir', dataDir, '--mechanism', 'both'], { input: `${PW}\n` });
  assert.equal(add.code, 0, add.stderr);
  const broker: Broker = await startBroker({
    dataDir,
    listeners: 'SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'ssl.ca.location': certs.caCert,
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    // The SSL listener: another certificate, and client certificates required (the broker-wide default is none).
    ...({
      'listener.name.ssl.ssl.certificate.location': otherCert,
      'listener.name.ssl.ssl.key.location': otherKey,
      'listener.name.ssl.ssl.client.auth': 'required',
      'listener.name.sasl_plaintext.sasl.enabled.mechanisms': 'PLAIN',
    } as Record<string, string>),
    'log.level': 'silent',
  });
  try {
    const ssl = `localhost:${broker.listeners[0]!.port}`;
    const saslSsl = `localhost:${broker.listeners[1]!.port}`;
    const saslPlain = `127.0.0.1:${broker.listeners[2]!.port}`;
    const ca = readFileSync(certs.caCert, 'utf8');
    const other = readFileSync(otherCert, 'utf8');
    const mtls = { cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') };
    // SSL presents its own certificate: trusted through it, not through the CA.
    (await open(ssl, { tls: { ca: other, ...mtls } })).close();
    await assert.rejects(open(ssl, { tls: { ca, ...mtls } }), (e: unknown) => e instanceof ConnectionError && /TLS handshake failed/.test(e.message));
    // ... and requires a client certificate; SASL_SSL presents the broker-wide one.
    await assert.rejects(open(ssl, { tls: { ca: other } }), ConnectionError);
    const scram = { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: PW };
    (await open(saslSsl, { tls: { ca }, sasl: scram })).close();
    await assert.rejects(open(saslSsl, { tls: { ca: other }, sasl: scram }), ConnectionError);
    // Mechanisms: PLAIN only on SASL_PLAINTEXT, SCRAM-SHA-512 (the broker-wide setting) on SASL_SSL.
    (await open(saslPlain, { sasl: { mechanism: 'PLAIN', username: 'alice', password: PW } })).close();
    await assert.rejects(open(saslPlain, { sasl: scram }), (e: unknown) => e instanceof AuthenticationError && /does not enable SCRAM-SHA-512 \(it offers PLAIN\)/.test(e.message));
    await assert.rejects(open(saslSsl, { tls: { ca }, sasl: { mechanism: 'PLAIN', username: 'alice', password: PW } }), (e: unknown) => e instanceof AuthenticationError && /it offers SCRAM-SHA-512/.test(e.message));
  } finally {
    await broker.close();
  }
});

test('a prefix naming no listener, a setting a listener cannot override, or a bad value stops the start', { skip }, async () => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ 'listener.name.external.ssl.key.location': '/x' }, /no listener named EXTERNAL/],
    [{ 'listener.name.plaintext.ssl.keystore.location': '/x' }, /cannot override 'ssl.keystore.location'/],
    [{ 'listener.name.plaintext.max.connections': 'many' }, /listener\.name\.plaintext\.max\.connections.*expected an integer/],
    [{ 'listener.name.plaintext.ssl.key.password': 'Secret-91x', 'listener.name.plaintext.ssl.client.auth': 'sometimes' }, /ssl\.client\.auth/],
  ];
  for (const [settings, re] of cases) {
    await assert.rejects(
      startBroker({ dataDir: join(dir, 'bad'), listeners: 'PLAINTEXT://127.0.0.1:0', 'log.level': 'silent', ...(settings as object) }),
      (e: Error) => re.test(e.message) && !e.message.includes('Secret-91x'),
      JSON.stringify(settings),
    );
  }
});

/** Opens connections until one is refused (bounded); returns the ones that opened. */
async function fill(bootstrap: string, max: number): Promise<Connection[]> {
  const out: Connection[] = [];
  for (let i = 0; i < max; i++) {
    try {
      out.push(await open(bootstrap));
    } catch (err) {
      assert.ok(err instanceof ConnectionError, String(err));
      return out;
    }
  }
  return out;
}

/** A Kafka connection from a given local address (loopback has all of 127/8), answered by ApiVersions; null when refused. */
async function fromAddress(localAddress: string, port: number): Promise<RawClient | null> {
  try {
    const c = await RawClient.connectWith(() => connect({ host: '127.0.0.1', port, localAddress }), 'connect');
    await c.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    return c;
  } catch {
    return null;
  }
}

test('max.connections counts every listener together; listener.name.<name>.max.connections bounds one; max.connections.per.ip one address', { skip }, async () => {
  const broker = await startBroker({
    dataDir: join(dir, 'limits'),
    listeners: 'PLAINTEXT://127.0.0.1:0,OTHER://127.0.0.1:0',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT',
    'max.connections': 5,
    ...({ 'listener.name.other.max.connections': '2' } as Record<string, string>),
    'log.level': 'silent',
  });
  const all: Connection[] = [];
  try {
    const a = `127.0.0.1:${broker.listeners[0]!.port}`;
    // OTHER takes 2 (its own bound); then PLAINTEXT 3 more, up to the broker-wide 5.
    const onOther = await fill(`127.0.0.1:${broker.listeners[1]!.port}`, 10);
    all.push(...onOther);
    assert.equal(onOther.length, 2);
    const onA = await fill(a, 10);
    all.push(...onA);
    assert.equal(onA.length, 3);
    for (const c of all) assert.equal(c.closed, false, 'those that opened still work');
    // A closed connection gives its slot back (the broker sees the close a moment later).
    onA[0]!.close();
    let again: Connection | null = null;
    for (let i = 0; i < 100 && again === null; i++) {
      again = await open(a).catch(() => null);
      if (again === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(again !== null, 'a slot freed by a close is taken again');
    all.push(again);
  } finally {
    for (const c of all) c.close();
    await broker.close();
  }
  // Per address: 2 from 127.0.0.2, while 127.0.0.3 still connects.
  const b2 = await startBroker({ dataDir: join(dir, 'per-ip'), listeners: 'PLAINTEXT://127.0.0.1:0', 'max.connections.per.ip': 2, 'log.level': 'silent' });
  const held: RawClient[] = [];
  try {
    const port = b2.listeners[0]!.port;
    for (let i = 0; i < 2; i++) {
      const c = await fromAddress('127.0.0.2', port);
      assert.ok(c !== null, `connection ${i + 1} from 127.0.0.2`);
      held.push(c);
    }
    assert.equal(await fromAddress('127.0.0.2', port), null, 'a third from 127.0.0.2 is refused');
    const other = await fromAddress('127.0.0.3', port);
    assert.ok(other !== null, '127.0.0.3 is not held back by 127.0.0.2');
    held.push(other);
  } finally {
    for (const c of held) c.close();
    await b2.close();
  }
});
