// Samsa's client and CLI against secured listeners of a real broker: SASL_SSL with
// SCRAM-SHA-512 (--command-config, Kafka property names), mutual TLS on an SSL
// listener with ssl.client.auth=required (-X, kcat style), PLAIN over SASL_PLAINTEXT
// (Java's sasl.jaas.config), hostname verification and Kafka's empty
// ssl.endpoint.identification.algorithm, wrong password / unknown user / missing
// client certificate (one clear error line, exit 1, the broker unharmed),
// re-authentication (KIP-368) with a short connections.max.reauth.ms, and
// `samsa mirror` Samsa(SASL_SSL) → Samsa(SASL_SSL) with records and a group synced.
// No password appears in any output. Certificates are made by openssl in the test.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import '../../src/client/node.js';
import { Admin } from '../../src/client/admin.js';
import { Connection } from '../../src/client/connection.js';
import { AuthenticationError } from '../../src/client/errors.js';
import { clientOptionsFromProperties, parseJaasConfig } from '../../src/client/kafka-properties.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { type CliResult, isOneErrorLine, runCli } from '../cli/cli-helpers.js';

const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const ADMIN_PW = 'adm-Secret-7c1e';
const REAUTH_MS = 1500;
let certs: TestCerts;
let dir: string;
let broker: Broker;
let target: Broker | null = null;
let saslSsl: string;
let ssl: string;
let saslPlain: string;
let scramConfig: string;
/** Every CLI result of this file, grepped for the password at the end. */
const outputs: CliResult[] = [];

const cli = async (args: string[], input?: string): Promise<CliResult> => {
  const r = await runCli(args, { ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 });
  outputs.push(r);
  return r;
};

const startSecured = async (name: string, reauthMs: number): Promise<Broker> => {
  const dataDir = join(dir, name);
  const add = await cli(['users', 'add', 'admin', '--data-dir', dataDir, '--mechanism', 'SCRAM-SHA-512'], `${ADMIN_PW}\n`);
  assert.equal(add.code, 0, add.stderr);
  return startBroker({
    dataDir,
    // The SSL listener on every address, so a name its certificate lacks (127.0.0.2) reaches it too.
    listeners: 'SASL_SSL://127.0.0.1:0,SSL://0.0.0.0:0,SASL_PLAINTEXT://127.0.0.1:0',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'ssl.ca.location': certs.caCert,
    'ssl.client.auth': 'required',
    'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'connections.max.reauth.ms': reauthMs,
    'log.level': 'silent',
  });
};

before(async () => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-client-sec-'));
  broker = await startSecured('source', REAUTH_MS);
  saslSsl = `localhost:${broker.listeners[0]!.port}`;
  ssl = `localhost:${broker.listeners[1]!.port}`;
  saslPlain = `127.0.0.1:${broker.listeners[2]!.port}`;
  scramConfig = join(dir, 'scram.properties');
  writeFileSync(scramConfig, `security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=${ADMIN_PW}\nssl.ca.location=${certs.caCert}\n`);
});

after(async () => {
  if (OPENSSL_MISSING) return;
  await target?.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

test('Kafka client properties map to TLS and SASL options; sasl.jaas.config as Java writes it', { skip }, () => {
  const o = clientOptionsFromProperties({
    'security.protocol': 'sasl_ssl',
    'sasl.mechanism': 'SCRAM-SHA-256',
    'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="p\\"w;x";',
    'ssl.ca.location': certs.caCert,
    'ssl.endpoint.identification.algorithm': '',
  });
  assert.deepEqual(o.sasl, { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'p"w;x' });
  assert.equal(o.tls?.ca, readFileSync(certs.caCert, 'utf8'));
  assert.equal(o.tls?.checkHostname, false);
  assert.deepEqual(parseJaasConfig('org.apache.kafka.common.security.plain.PlainLoginModule required username=alice password="a b";'), {
    module: 'org.apache.kafka.common.security.plain.PlainLoginModule',
    username: 'alice',
    password: 'a b',
  });
  assert.throws(() => clientOptionsFromProperties({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'PLAIN', 'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="u" password="secret-x";' }), (e: Error) => /does not go with/.test(e.message) && !e.message.includes('secret-x'));
  assert.throws(() => clientOptionsFromProperties({ 'ssl.truststore.location': '/x.jks' }), /PEM files with ssl\.ca\.location/);
  assert.throws(() => clientOptionsFromProperties({ 'security.protocol': 'SASL_SSL', 'sasl.mechanism': 'GSSAPI', 'sasl.username': 'u', 'sasl.password': 'p' }), /sasl\.mechanism must be/);
  assert.throws(() => clientOptionsFromProperties({ 'securty.protocol': 'SSL' }), /unknown client property 'securty.protocol'/);
});

test('samsa topics, produce and consume over SASL_SSL (SCRAM-SHA-512) with --command-config', { skip }, async () => {
  const b = ['-b', saslSsl, '--command-config', scramConfig];
  const c = await cli(['topics', 'create', 'sec-a', '-p', '2', ...b]);
  assert.equal(c.code, 0, c.stderr);
  const list = await cli(['topics', 'list', ...b]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^sec-a$/m);
  const p = await cli(['produce', 'sec-a', '-K', ':', ...b], 'k1:one\nk2:two\nk3:three\n');
  assert.equal(p.code, 0, p.stderr);
  const r = await cli(['consume', 'sec-a', '-e', '-f', '%k=%s\\n', ...b]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n').sort(), ['k1=one', 'k2=two', 'k3=three']);
});

test('mutual TLS with -X (kcat style); no client certificate and an untrusted CA fail with the TLS reason', { skip }, async () => {
  const x = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`];
  const mtls = [...x, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`];
  const p = await cli(['produce', 'sec-a', '-b', ssl, '-p', '0', ...mtls], 'via-mtls\n');
  assert.equal(p.code, 0, p.stderr);
  const r = await cli(['consume', 'sec-a', '-b', ssl, '-p', '0', '-e', ...mtls]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^via-mtls$/m);
  // The broker wants a certificate: the failure names TLS and the alert, in one line, exit 1.
  const noCert = await cli(['topics', 'list', '-b', ssl, ...x]);
  assert.equal(noCert.code, 1);
  assert.ok(isOneErrorLine(noCert.stderr) && /certificate/i.test(noCert.stderr), noCert.stderr);
  // A CA that did not sign the broker's certificate.
  const wrongCa = await cli(['topics', 'list', '-b', ssl, '-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.strangerCert}`]);
  assert.equal(wrongCa.code, 1);
  assert.ok(isOneErrorLine(wrongCa.stderr) && /TLS handshake failed: .*certificate/i.test(wrongCa.stderr), wrongCa.stderr);
});

test('hostname verification is on by default; ssl.endpoint.identification.algorithm= (empty) turns it off', { skip }, async () => {
  // 127.0.0.2 is loopback but not in the certificate's names.
  const other = `127.0.0.2:${broker.listeners[1]!.port}`;
  const mtls = ['-X', 'security.protocol=SSL', '-X', `ssl.ca.location=${certs.caCert}`, '-X', `ssl.certificate.location=${certs.clientCert}`, '-X', `ssl.key.location=${certs.clientKey}`];
  const checked = await cli(['topics', 'list', '-b', other, ...mtls]);
  assert.equal(checked.code, 1);
  assert.ok(isOneErrorLine(checked.stderr) && /TLS handshake failed: .*(altnames|does not match)/i.test(checked.stderr), checked.stderr);
  const unchecked = await cli(['topics', 'list', '-b', other, ...mtls, '-X', 'ssl.endpoint.identification.algorithm=']);
  assert.equal(unchecked.code, 0, unchecked.stderr);
  assert.match(unchecked.stdout, /^sec-a$/m);
});

test('a wrong password and an unknown user: one error line naming the SASL failure, exit 1, the broker unharmed', { skip }, async () => {
  for (const [user, pw] of [['admin', `wrong-${ADMIN_PW}`], ['nobody', ADMIN_PW]] as const) {
    const r = await cli(['topics', 'list', '-b', saslSsl, '--command-config', scramConfig, '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`]);
    assert.equal(r.code, 1, r.stderr);
    assert.ok(isOneErrorLine(r.stderr), r.stderr);
    assert.match(r.stderr, /SASL authentication failed \(SCRAM-SHA-512 as user '[a-z]+'\)/);
    assert.ok(!r.stderr.includes(pw));
  }
  // The library says the same with a class of its own (not retried).
  await assert.rejects(
    Connection.open({ bootstrap: saslPlain, sasl: { mechanism: 'SCRAM-SHA-256', username: 'admin', password: 'nope-123' } }),
    (e: unknown) => e instanceof AuthenticationError && /SASL authentication failed/.test(e.message) && !e.message.includes('nope-123'),
  );
  // A plaintext client on the TLS port, and no SASL on a SASL port: one line, exit 1.
  for (const bootstrap of [saslSsl, saslPlain]) {
    const r = await cli(['topics', 'list', '-b', bootstrap]);
    assert.equal(r.code, 1);
    assert.ok(isOneErrorLine(r.stderr), r.stderr);
  }
  const ok = await cli(['topics', 'list', '-b', saslSsl, '--command-config', scramConfig]);
  assert.equal(ok.code, 0, ok.stderr);
});

test('PLAIN over SASL_PLAINTEXT, the user given as Java writes sasl.jaas.config', { skip }, async () => {
  const config = join(dir, 'plain.properties');
  writeFileSync(
    config,
    `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${ADMIN_PW}";\n`,
  );
  const b = ['-b', saslPlain, '--command-config', config];
  const p = await cli(['produce', 'sec-a', '-p', '1', ...b], 'via-plain\n');
  assert.equal(p.code, 0, p.stderr);
  const r = await cli(['consume', 'sec-a', '-p', '1', '-e', ...b]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^via-plain$/m);
});

test('re-authentication (KIP-368): a connection outlives several session lifetimes, requests on it keep working', { skip }, async () => {
  const conn = await Connection.open({ bootstrap: saslSsl, tls: { ca: readFileSync(certs.caCert, 'utf8') }, sasl: { mechanism: 'SCRAM-SHA-512', username: 'admin', password: ADMIN_PW } });
  const admin = new Admin({ bootstrap: saslSsl, tls: { ca: readFileSync(certs.caCert, 'utf8') }, sasl: { mechanism: 'PLAIN', username: 'admin', password: ADMIN_PW } });
  try {
    // The broker closes a connection whose session expired at its next request, so
    // every answered request below is one made inside a renewed session.
    let rounds = 0;
    for (; conn.reauthentications < 3 && rounds < 1000; rounds++) {
      const md = await conn.request<{ topics: unknown[] }>(3, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      assert.ok(Array.isArray(md.topics));
      assert.ok((await admin.listTopics()).includes('sec-a'));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(conn.reauthentications >= 3, `${conn.reauthentications} re-authentications in ${rounds} rounds`);
    assert.equal(conn.closed, false);
  } finally {
    conn.close();
    await admin.close();
  }
});

test('samsa mirror Samsa(SASL_SSL) → Samsa(SASL_SSL): records and a group synced, --from-config / --to-config', { skip }, async () => {
  target = await startSecured('target', 0);
  const to = `localhost:${target.listeners[0]!.port}`;
  const b = ['-b', saslSsl, '--command-config', scramConfig];
  assert.equal((await cli(['topics', 'create', 'sec-m', '-p', '2', ...b])).code, 0);
  const lines = Array.from({ length: 50 }, (_, i) => `k${i}:v${i}`).join('\n');
  const p = await cli(['produce', 'sec-m', '-K', ':', ...b], `${lines}\n`);
  assert.equal(p.code, 0, p.stderr);
  const security = { tls: { ca: readFileSync(certs.caCert, 'utf8') }, sasl: { mechanism: 'SCRAM-SHA-512' as const, username: 'admin', password: ADMIN_PW } };
  const sourceAdmin = new Admin({ bootstrap: saslSsl, ...security });
  const targetAdmin = new Admin({ bootstrap: to, ...security });
  try {
    await sourceAdmin.commitOffsets('sec-billing', [
      { topic: 'sec-m', partition: 0, offset: 3 },
      { topic: 'sec-m', partition: 1, offset: 2 },
    ]);
    const m = await cli(['mirror', '--from', saslSsl, '--to', to, '--topics', 'sec-m', '--groups', 'sec-billing', '--sync-groups', '--until-caught-up', '--from-config', scramConfig, '--to-config', scramConfig, '--progress-interval-ms', '100']);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /^samsa mirror caught-up records=50 partitions=2 group-offsets=2$/m);
    const ends = await targetAdmin.listOffsets('sec-m', 'latest');
    assert.equal(ends.reduce((s, e) => s + Number(e.offset), 0), 50);
    const synced = await targetAdmin.fetchOffsets('sec-billing');
    assert.deepEqual(synced.map((o) => [o.partition, o.offset]).sort(), [[0, 3], [1, 2]]);
    const r = await cli(['consume', 'sec-m', '-e', '-f', '%k=%s\\n', '-b', to, '--command-config', scramConfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 50);
    // A wrong target password stops the mirror at once with the SASL failure (exit 1), not a retry loop.
    const bad = await cli(['mirror', '--from', saslSsl, '--to', to, '--topics', 'sec-m', '--until-caught-up', '-q', '--from-config', scramConfig, '--to-config', scramConfig, '--to-property', `sasl.password=x-${ADMIN_PW}`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /SASL authentication failed/);
  } finally {
    await sourceAdmin.close();
    await targetAdmin.close();
  }
});

test('the in-broker mirror reaches a SASL_SSL target through mirror.target.<client property> settings', { skip }, async () => {
  const to = `localhost:${target!.listeners[0]!.port}`;
  const inBroker = await startBroker({
    dataDir: join(dir, 'in-broker'),
    listeners: 'PLAINTEXT://127.0.0.1:0',
    'mirror.target': to,
    'mirror.target.security.protocol': 'SASL_SSL',
    'mirror.target.sasl.mechanism': 'SCRAM-SHA-512',
    'mirror.target.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PW}";`,
    'mirror.target.ssl.ca.location': certs.caCert,
    'mirror.topics': 'sec-inb',
    'mirror.name': 'inb',
    'log.level': 'silent',
  });
  try {
    await inBroker.engine.createTopic('sec-inb', 1);
    const p = await cli(['produce', 'sec-inb', '-b', `127.0.0.1:${inBroker.kafkaPort}`], 'a\nb\nc\n');
    assert.equal(p.code, 0, p.stderr);
    await inBroker.mirror!.waitCaughtUp();
    const r = await cli(['consume', 'sec-inb', '-e', '-b', to, '--command-config', scramConfig]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['a', 'b', 'c']);
    const metrics = inBroker.mirror!.prometheus();
    assert.match(metrics, /samsa_mirror_records_total\{mirror="inb"\} 3/);
    assert.ok(!metrics.includes(ADMIN_PW) && !JSON.stringify(inBroker.mirror!.status()).includes(ADMIN_PW));
  } finally {
    await inBroker.close();
  }
  // A misspelt property is refused at start, by name, without echoing values.
  await assert.rejects(
    startBroker({ dataDir: join(dir, 'in-broker-bad'), listeners: 'PLAINTEXT://127.0.0.1:0', 'mirror.target': to, 'mirror.target.sasl.pasword': ADMIN_PW, 'log.level': 'silent' }),
    (e: Error) => /unknown client property 'sasl.pasword'/.test(e.message) && !e.message.includes(ADMIN_PW),
  );
});

test('no password in any output of the CLI or the mirror', { skip }, () => {
  assert.ok(outputs.length > 15);
  for (const r of outputs) {
    const text = `${r.stdout}${r.stderr}`;
    assert.ok(!text.includes(ADMIN_PW), `a password in: ${text.slice(0, 400)}`);
  }
});
