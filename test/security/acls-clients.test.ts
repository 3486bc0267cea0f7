// ACLs with real clients: a broker with authorizer.class.name (Kafka's
// StandardAuthorizer name), super.users=User:admin and a SASL_PLAINTEXT listener;
// `samsa acls add|list|remove` (as admin, through --command-config) grants alice a
// topic and a group prefix; kcat as alice produces and consumes in a group while kcat
// as mallory gets Kafka's authorization errors; kafkajs sees the same ACLs through
// DescribeAcls and is refused a topic it may not write; removing the ACLs takes
// alice's access away at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { type Broker, startBroker } from '../../src/server.js';
import { runCli } from '../cli/cli-helpers.js';

const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, ResourcePatternTypes, logLevel } = kafkajs;

const KCAT_MISSING = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0;
let dir: string;
let broker: Broker;
let port: number;
let adminConfig: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samsa-acl-clients-'));
  // The first user goes in before the broker starts; the rest through it.
  const first = await runCli(['users', 'add', 'admin', '--data-dir', join(dir, 'data'), '--mechanism', 'SCRAM-SHA-256'], { input: 'admin-pw\n' });
  assert.equal(first.code, 0, first.stderr);
  broker = await startBroker({
    dataDir: join(dir, 'data'),
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:admin',
    'log.level': 'silent',
  });
  port = broker.listeners[0]!.port;
  adminConfig = join(dir, 'admin.properties');
  writeFileSync(adminConfig, 'security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=admin\nsasl.password=admin-pw\n');
  for (const u of ['alice', 'mallory']) {
    const r = await runCli(['users', 'add', u, '-b', `127.0.0.1:${port}`, '--command-config', adminConfig, '--mechanism', 'SCRAM-SHA-256'], { input: `${u}-pw\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  await broker.engine.createTopic('orders', 1);
  await broker.engine.createTopic('payroll', 1);
});

after(async () => {
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

function kcat(user: string, args: string[], input?: string): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'kcat',
      ['-b', `127.0.0.1:${port}`, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', `sasl.username=${user}`, '-X', `sasl.password=${user}-pw`, '-m', '5', ...args],
      { timeout: 20_000, encoding: 'utf8' },
      (err, stdout, stderr) => resolve({ ok: err === null, out: stdout + stderr }),
    );
    child.stdin?.end(input ?? '');
  });
}

const acl = (...args: string[]) => runCli(['acls', ...args, '-b', `127.0.0.1:${port}`, '--command-config', adminConfig]);

test('samsa acls add grants alice a topic and a group prefix; list shows them (text and JSON)', async () => {
  const a = await acl('add', '--allow-principal', 'User:alice', '--operation', 'Read,Write', '--topic', 'orders');
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, 'TOPIC:LITERAL:orders\tALLOW\tUser:alice\tREAD\tfrom *\nTOPIC:LITERAL:orders\tALLOW\tUser:alice\tWRITE\tfrom *\n');
  const g = await acl('add', '--allow-principal', 'User:alice', '--operation', 'Read', '--group', 'alice-', '--resource-pattern-type', 'prefixed');
  assert.equal(g.code, 0, g.stderr);
  const list = await acl('list', '--json');
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((r: { resourceName: string; operation: string }) => `${r.resourceName}:${r.operation}`).sort(), ['alice-:READ', 'orders:READ', 'orders:WRITE']);
  const bad = await acl('add', '--allow-principal', 'alice', '--operation', 'Read', '--topic', 'x');
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /Could not parse principal/);
});

test('kcat as alice produces and consumes in her group; as mallory it is refused', { skip: KCAT_MISSING ? 'kcat is not installed' : false }, async () => {
  const p = await kcat('alice', ['-P', '-t', 'orders'], 'o1\no2\n');
  assert.ok(p.ok, p.out);
  const c = await kcat('alice', ['-G', 'alice-app', '-X', 'auto.offset.reset=earliest', '-e', 'orders']);
  assert.ok(c.ok, c.out);
  assert.deepEqual(c.out.split('\n').filter((l) => /^o\d$/.test(l)), ['o1', 'o2']);
  const m = await kcat('mallory', ['-P', '-t', 'orders'], 'evil\n');
  assert.equal(m.ok, false);
  assert.match(m.out, /Topic authorization failed|TOPIC_AUTHORIZATION_FAILED/i, m.out);
  const list = await kcat('mallory', ['-L']);
  assert.ok(!/topic "orders"/.test(list.out) && !/topic "payroll"/.test(list.out), 'Metadata hides the topics from mallory');
  const alicesView = await kcat('alice', ['-L']);
  assert.match(alicesView.out, /topic "orders"/);
  assert.ok(!/topic "payroll"/.test(alicesView.out));
  assert.equal(broker.engine.offsets('orders', 0).highWatermark, 2);
});

test('kafkajs: describeAcls shows the ACLs; a producer without WRITE gets TOPIC_AUTHORIZATION_FAILED', async () => {
  const admin = new Kafka({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'admin-pw' }, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const described = await admin.describeAcls({
    resourceType: AclResourceTypes.TOPIC,
    resourceName: 'orders',
    resourcePatternType: ResourcePatternTypes.LITERAL,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  assert.deepEqual(described.resources[0]!.acls.map((a) => a.operation).sort(), [AclOperationTypes.READ, AclOperationTypes.WRITE].sort());
  await admin.disconnect();
  const producer = new Kafka({ brokers: [`127.0.0.1:${port}`], sasl: { mechanism: 'scram-sha-256', username: 'alice', password: 'alice-pw' }, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).producer();
  await producer.connect();
  await assert.rejects(producer.send({ topic: 'payroll', messages: [{ value: 'x' }] }), (e: Error & { type?: string }) => e.type === 'TOPIC_AUTHORIZATION_FAILED' || /not authorized/i.test(e.message));
  await producer.disconnect();
});

test('samsa acls remove takes the access away at once', async () => {
  const r = await acl('remove', '--principal', 'User:alice', '--topic', 'orders');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 2);
  if (!KCAT_MISSING) {
    const p = await kcat('alice', ['-P', '-t', 'orders'], 'late\n');
    assert.equal(p.ok, false, p.out);
  }
  const none = await acl('remove', '--principal', 'User:nobody');
  assert.equal(none.stdout, 'no ACL matched\n');
});
