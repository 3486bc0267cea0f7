// Kafka's own command-line tools against a secured Samsa: kafka-configs
// (org.apache.kafka.tools.ConfigCommand) and kafka-acls (AclCommand) from kafka-tools
// 4.x, logging in as a super user over SASL_SSL with SCRAM-SHA-512 through
// --command-config, exactly as an operator would against Kafka. Checks that SCRAM users
// added, described and deleted with kafka-configs (AlterUserScramCredentials,
// DescribeUserScramCredentials) log in with kcat, that kafka-acls grants what kcat then
// may do, and that kafka-configs sets and reads client quotas. The tools run through
// scripts/kafka-peer.sh with the jars it caches; the test skips, naming the command,
// when they have not been fetched (it never downloads them itself).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import { runCli } from '../cli/cli-helpers.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { KAFKA_PEER, kafkaToolsMissing } from '../helpers/kafka-tools.js';

const missing = OPENSSL_MISSING
  ? 'openssl is not installed'
  : spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0
    ? 'kcat is not installed'
    : kafkaToolsMissing();
const skip = missing ?? false;

const ADMIN_PW = 'admin-Tools-7c';
const ALICE_PW = 'alice-Tools-3e';
let certs: TestCerts;
let dir: string;
let broker: Broker;
let bootstrap: string;
let adminConfig: string;

before(async () => {
  if (missing !== null) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-kafka-tools-'));
  const first = await runCli(['users', 'add', 'admin', '--data-dir', join(dir, 'data'), '--mechanism', 'SCRAM-SHA-512'], { input: `${ADMIN_PW}\n` });
  assert.equal(first.code, 0, first.stderr);
  broker = await startBroker({
    dataDir: join(dir, 'data'),
    listeners: 'SASL_SSL://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'log.level': 'silent',
  });
  bootstrap = `127.0.0.1:${broker.listeners[0]!.port}`;
  adminConfig = join(dir, 'admin.properties');
  writeFileSync(
    adminConfig,
    [
      'security.protocol=SASL_SSL',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${ADMIN_PW}";`,
      'ssl.truststore.type=PEM',
      `ssl.truststore.location=${certs.caCert}`,
      '',
    ].join('\n'),
  );
  await broker.engine.createTopic('orders', 1);
});

after(async () => {
  if (missing !== null) return;
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

/** A kafka-tools main through scripts/kafka-peer.sh; resolves with its exit status and output. */
function tool(name: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    // A tool run is short: the client JIT tier and the serial GC start fastest (as the interop Java driver does).
    const env = { ...process.env, JAVA_TOOL_OPTIONS: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto' };
    execFile(KAFKA_PEER, ['tool', name, '--bootstrap-server', bootstrap, '--command-config', adminConfig, ...args], { timeout: 120_000, encoding: 'utf8', env }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` }),
    );
  });
}

function kcat(mechanism: string, user: string, pw: string, args: string[], input?: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kcat',
      ['-b', bootstrap, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caCert}`, '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${pw}`, '-m', '5', ...args],
      { timeout: 20_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ ok: err === null, out: stdout + stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

test('kafka-configs adds SCRAM credentials and quotas, describes and deletes them; kcat logs in with exactly those', { skip }, async () => {
  // Separate calls: ConfigCommand refuses SCRAM and quota configs in one --alter over --bootstrap-server.
  const add = await tool('configs', ['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', `SCRAM-SHA-256=[iterations=8192,password=${ALICE_PW}],SCRAM-SHA-512=[password=${ALICE_PW}]`]);
  assert.equal(add.code, 0, add.out);
  assert.match(add.out, /Completed updating config for user alice\./);
  const quota = await tool('configs', ['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--add-config', 'producer_byte_rate=1048576,consumer_byte_rate=2097152']);
  assert.equal(quota.code, 0, quota.out);
  const described = await tool('configs', ['--describe', '--entity-type', 'users']);
  assert.equal(described.code, 0, described.out);
  assert.match(described.out, /SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-256=iterations=8192, SCRAM-SHA-512=iterations=4096/);
  assert.match(described.out, /SCRAM credential configs for user-principal 'admin' are SCRAM-SHA-512=iterations=4096/);
  assert.match(described.out, /Quota configs for user-principal 'alice' are consumer_byte_rate=2097152\.0, producer_byte_rate=1048576\.0/);
  assert.ok(!described.out.includes(ALICE_PW));

  assert.ok((await kcat('SCRAM-SHA-512', 'alice', ALICE_PW, ['-L'])).ok, 'alice logs in with SCRAM-SHA-512');
  const del = await tool('configs', ['--alter', '--entity-type', 'users', '--entity-name', 'alice', '--delete-config', 'SCRAM-SHA-512']);
  assert.equal(del.code, 0, del.out);
  const gone = await kcat('SCRAM-SHA-512', 'alice', ALICE_PW, ['-L']);
  assert.ok(!gone.ok && /Authentication failed/i.test(gone.out), gone.out);
  assert.ok((await kcat('SCRAM-SHA-256', 'alice', ALICE_PW, ['-L'])).ok, 'her SCRAM-SHA-256 credential is still there');
});

test('kafka-acls grants alice a topic; kcat as alice may then write it and no other', { skip }, async () => {
  const denied = await kcat('SCRAM-SHA-256', 'alice', ALICE_PW, ['-P', '-t', 'orders'], 'before\n');
  assert.ok(!denied.ok && /authoriz/i.test(denied.out), denied.out);
  const add = await tool('org.apache.kafka.tools.AclCommand', ['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'orders']);
  assert.equal(add.code, 0, add.out);
  const list = await tool('org.apache.kafka.tools.AclCommand', ['--list', '--topic', 'orders']);
  assert.equal(list.code, 0, list.out);
  assert.match(list.out, /principal=User:alice, host=\*, operation=READ, permissionType=ALLOW/);
  assert.match(list.out, /principal=User:alice, host=\*, operation=WRITE, permissionType=ALLOW/);
  const wrote = await kcat('SCRAM-SHA-256', 'alice', ALICE_PW, ['-P', '-t', 'orders', '-X', 'acks=all'], 'after\n');
  assert.ok(wrote.ok, wrote.out);
  assert.equal(broker.engine.offsets('orders', 0).highWatermark, 1);
});

test('kafka-configs sets and describes the default client id quota', { skip }, async () => {
  const client = await tool('configs', ['--alter', '--entity-type', 'clients', '--entity-default', '--add-config', 'request_percentage=50']);
  assert.equal(client.code, 0, client.out);
  const c = await tool('configs', ['--describe', '--entity-type', 'clients', '--entity-default']);
  assert.match(c.out, /Quota configs for the default client-id are request_percentage=50\.0/);
});
