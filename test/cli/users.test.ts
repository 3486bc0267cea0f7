// `samsa users` as a child process: the first user written into a stopped broker's
// data directory, then users added, listed and deleted through the running broker
// over SASL_SSL with --command-config (as kafka-configs would); passwords come from
// stdin or a file and never show in the output; a running broker's directory is refused.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import { RawClient } from '../kafka/harness.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { scramLogin } from '../security/sasl-helpers.js';
import { isOneErrorLine, runCli } from './cli-helpers.js';

const skip = OPENSSL_MISSING ? 'openssl is not installed' : false;
const ADMIN_PW = 'admin-Pw-51f0';
const CAROL_PW = 'carol-Pw-0a9b';
let certs: TestCerts;
let dir: string;
let broker: Broker | null = null;

before(() => {
  if (OPENSSL_MISSING) return;
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-users-cli-'));
});

after(async () => {
  if (OPENSSL_MISSING) return;
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

const start = (): Promise<Broker> =>
  startBroker({
    dataDir: dir,
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'log.level': 'silent',
  });

test('the first user goes into a stopped broker; the broker then logs it in', { skip }, async () => {
  const add = await runCli(['users', 'add', 'admin', '--data-dir', dir, '--mechanism', 'SCRAM-SHA-512'], { input: `${ADMIN_PW}\n` });
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, 'user admin: SCRAM-SHA-512 (4096 iterations)\n');
  // A second user before the first start: the directory holds only the store, so it is not taken for a running broker's.
  const second = await runCli(['users', 'add', 'early', '--data-dir', dir, '--mechanism', 'SCRAM-SHA-256'], { input: 'early-pw\n' });
  assert.equal(second.code, 0, second.stderr);
  broker = await start();
  const c = await RawClient.connect(broker.listeners[0]!.port);
  assert.equal((await scramLogin(c, 'SCRAM-SHA-512', 'admin', ADMIN_PW)).errorCode, 0);
  c.close();
  const e = await RawClient.connect(broker.listeners[0]!.port);
  assert.equal((await scramLogin(e, 'SCRAM-SHA-256', 'early', 'early-pw')).errorCode, 0);
  e.close();
  // While it runs, its directory is refused.
  const refused = await runCli(['users', 'list', '--data-dir', dir]);
  assert.equal(refused.code, 2);
  assert.ok(isOneErrorLine(refused.stderr) && /clean-shutdown marker/.test(refused.stderr), refused.stderr);
});

test('add, list and delete through the broker over SASL_SSL with --command-config', { skip }, async () => {
  const b = broker!;
  const config = join(dir, '..', `${dir.split('/').pop()}-client.properties`);
  writeFileSync(config, `security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=${ADMIN_PW}\nssl.ca.location=${certs.caCert}\n`);
  const pwFile = `${config}.pw`;
  writeFileSync(pwFile, `${CAROL_PW}\n`);
  try {
    const common = ['-b', `127.0.0.1:${b.listeners[1]!.port}`, '--command-config', config];
    const add = await runCli(['users', 'add', 'carol', ...common, '--password-file', pwFile, '--iterations', '8192']);
    assert.equal(add.code, 0, add.stderr);
    const list = await runCli(['users', 'list', ...common, '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [
      { user: 'admin', mechanisms: [{ mechanism: 'SCRAM-SHA-512', iterations: 4096 }] },
      { user: 'carol', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 8192 }, { mechanism: 'SCRAM-SHA-512', iterations: 8192 }] },
      { user: 'early', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
    ]);
    const c = await RawClient.connect(b.listeners[0]!.port);
    assert.equal((await scramLogin(c, 'SCRAM-SHA-256', 'carol', CAROL_PW)).errorCode, 0);
    c.close();
    const del = await runCli(['users', 'delete', 'carol', ...common, '--mechanism', 'SCRAM-SHA-256']);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout, 'user carol: deleted SCRAM-SHA-256\n');
    const text = await runCli(['users', 'list', ...common]);
    assert.equal(text.stdout, 'admin\tSCRAM-SHA-512(4096)\ncarol\tSCRAM-SHA-512(8192)\nearly\tSCRAM-SHA-256(4096)\n');
    for (const r of [add, list, del, text]) assert.ok(!`${r.stdout}${r.stderr}`.includes(CAROL_PW) && !`${r.stdout}${r.stderr}`.includes(ADMIN_PW));
    // A wrong admin password: one error line, exit 1, no password in it.
    writeFileSync(config, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.username=admin\nsasl.password=wrong-${ADMIN_PW}\n`);
    const bad = await runCli(['users', 'list', '-b', `127.0.0.1:${b.listeners[0]!.port}`, '--command-config', config]);
    assert.equal(bad.code, 1);
    assert.ok(isOneErrorLine(bad.stderr) && /SASL authentication failed/.test(bad.stderr) && !bad.stderr.includes(ADMIN_PW), bad.stderr);
  } finally {
    rmSync(config, { force: true });
    rmSync(pwFile, { force: true });
  }
});
