// The console served by the broker itself over HTTPS (http.ssl.enable) with Basic
// authentication against its SCRAM users (http.auth=basic) and ACLs on: no proxy in
// between. A super user loads the console, creates a topic and tails it over wss://
// with the browser's credentials; a user who may only DESCRIBE one topic sees only
// that topic and is told why a creation is refused; a browser without credentials
// gets nothing but the challenge.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import { runCli } from '../cli/cli-helpers.js';
import { OPENSSL_MISSING, type TestCerts, makeTestCerts } from '../helpers/certs.js';
import { launchOrSkip, outputDir, watchErrors } from './chromium.js';

const OPS_PW = 'console-ops-Pw-81';
const VIEWER_PW = 'console-viewer-Pw-27';
let certs: TestCerts;
let dir: string;
let broker: Broker;
let origin: string;

before(async () => {
  if (OPENSSL_MISSING) {
    if (process.env.SAMSA_BROWSER_REQUIRE === '1') throw new Error('openssl is needed for the HTTPS console test (SAMSA_BROWSER_REQUIRE=1)');
    return;
  }
  certs = makeTestCerts();
  dir = mkdtempSync(join(tmpdir(), 'samsa-console-auth-'));
  for (const [user, pw] of [['ops', OPS_PW], ['viewer', VIEWER_PW]] as const) {
    const r = await runCli(['users', 'add', user, '--data-dir', join(dir, 'data'), '--mechanism', 'SCRAM-SHA-256'], { input: `${pw}\n` });
    assert.equal(r.code, 0, r.stderr);
  }
  broker = await startBroker({
    dataDir: join(dir, 'data'),
    shards: 1,
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
    'ssl.certificate.location': certs.serverCert,
    'ssl.key.location': certs.serverKey,
    'http.ssl.enable': true,
    'http.auth': 'basic',
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'super.users': 'User:ops',
    'log.level': 'silent',
  });
  await broker.engine.createTopic('hidden', 1);
  // The ACL goes in as an operator would: samsa acls through the Kafka listener, logged in as the super user.
  const opsConfig = join(dir, 'ops.properties');
  writeFileSync(opsConfig, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=ops\nsasl.password=${OPS_PW}\n`);
  const acl = await runCli(['acls', 'add', '--allow-principal', 'User:viewer', '--operation', 'Describe', '--topic', 'secure', '-b', `127.0.0.1:${broker.listeners[0]!.port}`, '--command-config', opsConfig]);
  assert.equal(acl.code, 0, acl.stderr);
  origin = `https://127.0.0.1:${broker.httpPort}`;
});

after(async () => {
  if (OPENSSL_MISSING) return;
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});

test('the broker’s own HTTPS and Basic auth: the console works for a super user and shows a limited user only what the ACLs allow', { skip: OPENSSL_MISSING ? 'openssl is not installed' : false }, async (t) => {
  const browser = await launchOrSkip(t);
  if (browser === null) return;
  try {
    const anonymous = await browser.newContext({ ignoreHTTPSErrors: true });
    await assert.rejects((await anonymous.newPage()).goto(`${origin}/console`), /ERR_INVALID_AUTH_CREDENTIALS|401/);
    await anonymous.close();

    const ops = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'ops', password: OPS_PW }, viewport: { width: 1280, height: 720 } });
    const page = await ops.newPage();
    page.setDefaultTimeout(15_000);
    const errors = watchErrors(page);
    const wsUrls: string[] = [];
    page.on('websocket', (ws) => wsUrls.push(ws.url()));
    await page.goto(`${origin}/`);
    await page.getByTestId('health').getByText('broker up').waitFor();
    await page.getByTestId('create-topic-name').fill('secure');
    await page.getByTestId('create-topic-submit').click();
    await page.waitForURL(/#\/topics\/secure$/);
    await page.getByTestId('open-tail').click();
    await page.getByTestId('tail-state').getByText('live').waitFor();
    await page.getByTestId('produce-value').fill('over the broker’s own tls');
    await page.getByTestId('produce-submit').click();
    await page.getByTestId('tail-rows').locator('tr', { hasText: 'over the broker’s own tls' }).waitFor();
    await page.screenshot({ path: `${outputDir('console')}/09-broker-https-basic-tail.png` });
    assert.ok(wsUrls.length > 0 && wsUrls.every((u) => u.startsWith(`wss://127.0.0.1:${broker.httpPort}/`)), `WebSockets: ${wsUrls.join(', ')}`);
    assert.deepEqual(errors, []);
    await ops.close();

    const viewer = await browser.newContext({ ignoreHTTPSErrors: true, httpCredentials: { username: 'viewer', password: VIEWER_PW } });
    const vpage = await viewer.newPage();
    vpage.setDefaultTimeout(15_000);
    const verrors = watchErrors(vpage);
    await vpage.goto(`${origin}/#/topics`);
    await vpage.getByTestId('topics-table').locator('tr[data-topic="secure"]').waitFor();
    assert.equal(await vpage.getByTestId('topics-table').locator('tr[data-topic="hidden"]').count(), 0, 'a topic viewer may not describe is not listed');
    await vpage.getByTestId('create-topic-name').fill('not-mine');
    await vpage.getByTestId('create-topic-submit').click();
    await vpage.getByText(/Not authorized to access topics: \[not-mine\]/).waitFor();
    assert.equal(broker.engine.describeTopic('not-mine'), undefined);
    assert.deepEqual(verrors, []);
    await viewer.close();
  } finally {
    await browser.close();
  }
});
