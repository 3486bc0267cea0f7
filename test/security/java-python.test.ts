// The Java client (kafka-clients 4.x) and confluent-kafka-python against a secured
// broker: SASL_SSL with SCRAM-SHA-512, mutual TLS (Java with PEM key and trust
// stores), and a wrong password, each producing and consuming for real. Uses the
// client libraries the interop drivers build (scripts/interop-build.sh java python:
// interop/java/target/lib, interop/python/.venv; SAMSA_INTEROP_ROOT points at another
// checkout that has them) and skips naming the build command when they are not built,
// unless SAMSA_INTEROP_REQUIRE=1 (CI), where a missing driver fails. The programs are
// test/security/clients/SecureClient.java and secure_client.py.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Broker, startBroker } from '../../src/server.js';
import { RawClient } from '../kafka/harness.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { addScramUser } from './sasl-helpers.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const INTEROP = process.env.SAMSA_INTEROP_ROOT ?? REPO;
const JAVA_LIB = join(INTEROP, 'interop/java/target/lib');
const PYTHON = join(INTEROP, 'interop/python/.venv/bin/python');
const JAVA_SOURCE = join(REPO, 'test/security/clients/SecureClient.java');
const PY_SOURCE = join(REPO, 'test/security/clients/secure_client.py');
const REQUIRE = process.env.SAMSA_INTEROP_REQUIRE === '1';
const javaMissing = OPENSSL_MISSING
  ? 'openssl is not installed'
  : !existsSync(JAVA_LIB) || spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0
    ? 'the Java interop driver is not built (scripts/interop-build.sh java)'
    : null;
const pythonMissing = OPENSSL_MISSING ? 'openssl is not installed' : !existsSync(PYTHON) ? 'the Python interop driver is not built (scripts/interop-build.sh python)' : null;
// Under SAMSA_INTEROP_REQUIRE=1 a missing client is not skipped: the test runs and fails saying why.
const skipJava = javaMissing !== null && !REQUIRE ? javaMissing : false;
const skipPython = pythonMissing !== null && !REQUIRE ? pythonMissing : false;
const required = (missing: string | null): void => assert.equal(missing, null, `${missing} (SAMSA_INTEROP_REQUIRE=1)`);

const PW = 'java-py-Pw-4a1c';
let certs: TestCerts;
let dir: string;
let broker: Broker | undefined;
let saslSsl: number;
let mtls: number;

before(async () => {
  if ((javaMissing !== null && pythonMissing !== null) || OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-java-py-'));
  broker = await startBroker({
    dataDir: join(dir, 'data'),
    listeners: 'PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0,SSL://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-512',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'ssl.ca.location': certs.caCert,
    'ssl.client.auth': 'required',
    'log.level': 'silent',
  });
  saslSsl = broker.listeners[1]!.port;
  mtls = broker.listeners[2]!.port;
  const admin = await RawClient.connect(broker.listeners[0]!.port);
  await addScramUser(admin, 'app', PW, 'SCRAM-SHA-512');
  admin.close();
  for (const t of ['java-sasl', 'java-mtls', 'py-sasl', 'py-mtls']) await broker.engine.createTopic(t, 1);
  // Java's PEM key store wants the key and its certificate in one file.
  writeFileSync(join(dir, 'client-keystore.pem'), readFileSync(certs.clientKey, 'utf8') + readFileSync(certs.clientCert, 'utf8'));
});

after(async () => {
  if (broker === undefined) return;
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 90_000, encoding: 'utf8' }, (err, stdout, stderr) => resolve(stdout.trim().split('\n').pop() ?? `${err?.message ?? ''} ${stderr.slice(-500)}`));
  });
}

const java = (args: string[]): Promise<string> => run('java', ['-Xmx256m', '-XX:+UseSerialGC', '-cp', `${JAVA_LIB}/*`, JAVA_SOURCE, ...args]);
const python = (args: string[]): Promise<string> => run(PYTHON, [PY_SOURCE, ...args]);

const javaSasl = (pw: string): string[] => [
  'security.protocol=SASL_SSL',
  'sasl.mechanism=SCRAM-SHA-512',
  `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="app" password="${pw}";`,
  'ssl.truststore.type=PEM',
  `ssl.truststore.location=${certs.caCert}`,
];

test('Java client: SASL_SSL with SCRAM-SHA-512 produces and consumes; a wrong password is a SaslAuthenticationException', { skip: skipJava }, async () => {
  required(javaMissing);
  assert.equal(await java([`127.0.0.1:${saslSsl}`, 'java-sasl', '20', ...javaSasl(PW)]), 'ok 20 20');
  const wrong = await java([`127.0.0.1:${saslSsl}`, 'java-sasl', '1', ...javaSasl('not-the-pw')]);
  assert.match(wrong, /^error SaslAuthenticationException: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  assert.ok(!wrong.includes('not-the-pw'));
});

test('Java client: mutual TLS with PEM stores', { skip: skipJava }, async () => {
  required(javaMissing);
  const args = ['security.protocol=SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${certs.caCert}`, 'ssl.keystore.type=PEM', `ssl.keystore.location=${join(dir, 'client-keystore.pem')}`];
  assert.equal(await java([`127.0.0.1:${mtls}`, 'java-mtls', '10', ...args]), 'ok 10 10');
});

test('confluent-kafka-python: SASL_SSL with SCRAM-SHA-512, mutual TLS, and a wrong password', { skip: skipPython }, async () => {
  required(pythonMissing);
  const sasl = ['security.protocol=SASL_SSL', 'sasl.mechanisms=SCRAM-SHA-512', 'sasl.username=app', `ssl.ca.location=${certs.caCert}`];
  assert.equal(await python([`127.0.0.1:${saslSsl}`, 'py-sasl', '20', ...sasl, `sasl.password=${PW}`]), 'ok 20 20');
  const mutual = ['security.protocol=SSL', `ssl.ca.location=${certs.caCert}`, `ssl.certificate.location=${certs.clientCert}`, `ssl.key.location=${certs.clientKey}`];
  assert.equal(await python([`127.0.0.1:${mtls}`, 'py-mtls', '10', ...mutual]), 'ok 10 10');
  const wrong = await python([`127.0.0.1:${saslSsl}`, 'py-sasl', '1', ...sasl, 'sasl.password=not-the-pw', 'message.timeout.ms=5000']);
  assert.match(wrong, /^error .*(Authentication failed|SASL authentication error)/i);
});
