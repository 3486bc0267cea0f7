// No password, token, key passphrase or SCRAM secret ever reaches a log line or an
// error message: a broker (`samsa serve`, log.level=trace, so every line there is)
// with an encrypted TLS key, SASL listeners and HTTPS with Basic and Bearer auth goes
// through good and bad logins with kcat, raw clients and HTTPS requests, user changes
// and malformed SASL tokens; then its whole output, the clients' error output and
// every error message and HTTP answer sent back are searched for each secret and the
// stored key material.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RawClient } from '../kafka/harness.js';
import { OPENSSL_MISSING, makeTestCerts } from '../helpers/certs.js';
import { SCRAM_HASHES, saltPassword } from '../../src/security/scram.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from '../../src/wire/schemas/51-alter-user-scram-credentials.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from '../../src/wire/schemas/17-sasl-handshake.js';
import { SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec } from '../../src/wire/schemas/36-sasl-authenticate.js';
import { scramLogin } from './sasl-helpers.js';
import { tokenLine } from '../../src/security/http-auth.js';

const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;
const KCAT_MISSING = spawnSync('kcat', ['-V'], { stdio: 'ignore' }).status !== 0;

function kcat(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile('kcat', ['-m', '3', ...args], { timeout: 20_000, encoding: 'utf8' }, (_err, stdout, stderr) => resolve(stdout + stderr));
  });
}

test('secrets never appear in the broker log, client errors or error messages', { skip: OPENSSL_MISSING ? 'openssl is not installed' : false }, async () => {
  const certs = makeTestCerts();
  const dir = mkdtempSync(join(tmpdir(), 'samsa-secrets-'));
  const GOOD = 'Good-Secret-5c2a9f';
  const WRONG = 'Wrong-Secret-77e0d1';
  const PLAIN_WRONG = 'Plain-Wrong-Secret-e41b';
  const TOKEN = 'Token-Secret-9b77aa01';
  const TOKEN_WRONG = 'Token-Wrong-Secret-31c0';
  const tokens = join(dir, 'tokens');
  writeFileSync(tokens, tokenLine('User:alice', TOKEN));
  const child = spawn(process.execPath, [
    CLI, 'serve', '--data-dir', dir, '--http-port', '0', '--log-level', 'trace',
    '-o', 'listeners=PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    '-o', 'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    '-o', `ssl.certificate.location=${certs.serverCert}`,
    '-o', `ssl.key.location=${certs.serverKeyEncrypted}`,
    '-o', `ssl.key.password=${certs.encryptedKeyPassword}`,
    '-o', 'http.ssl.enable=true', '-o', 'http.auth=basic,bearer', '-o', `http.auth.tokens.location=${tokens}`,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const clientSide: string[] = [];
  const salts: Buffer[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (/samsa ready .*listeners=/.test(out)) resolve();
      };
      child.stdout.on('data', check);
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const ports = /listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+),SASL_PLAINTEXT:\/\/127\.0\.0\.1:(\d+),SASL_SSL:\/\/127\.0\.0\.1:(\d+)/.exec(out)!.slice(1).map(Number) as [number, number, number];
    // A user, set over the PLAINTEXT listener with a salted password we keep to search for.
    const admin = await RawClient.connect(ports[0]);
    for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const salt = randomBytes(16);
      const saltedPassword = await saltPassword(mech, GOOD, salt, 4096);
      salts.push(saltedPassword);
      const r = await admin.request(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec, 0, { deletions: [], upsertions: [{ name: 'alice', mechanism: SCRAM_HASHES[mech].code, iterations: 4096, salt, saltedPassword }] });
      clientSide.push(...r.results.map((x) => x.errorMessage ?? ''));
    }
    // Bad input on AlterUserScramCredentials carries a salted password too.
    const bogus = await admin.request(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec, 0, { deletions: [], upsertions: [{ name: 'x', mechanism: 1, iterations: 1, salt: Buffer.from('s'), saltedPassword: salts[0]! }] });
    clientSide.push(...bogus.results.map((x) => x.errorMessage ?? ''));
    admin.close();
    // Good and bad logins, raw.
    for (const pw of [GOOD, WRONG]) {
      for (const mech of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
        const c = await RawClient.connect(ports[1]);
        clientSide.push((await scramLogin(c, mech, 'alice', pw)).errorMessage ?? '');
        c.close();
      }
    }
    for (const token of [`\0alice\0${PLAIN_WRONG}`, `alice\0bob\0${PLAIN_WRONG}`, `${PLAIN_WRONG}`, `\0alice\0${GOOD}\0extra`]) {
      const c = await RawClient.connect(ports[1]);
      await c.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'PLAIN' });
      clientSide.push((await c.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, 2, { authBytes: Buffer.from(token) })).errorMessage ?? '');
      c.close();
    }
    // A malformed SaslAuthenticate frame (truncated bytes field) that carries the password.
    const m = await RawClient.connect(ports[1]);
    await m.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism: 'PLAIN' });
    const frame = Buffer.concat([Buffer.from([0, 36, 0, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0x7f, 0xff]), Buffer.from(`\0alice\0${GOOD}`)]);
    m.sendFrame(frame);
    await m.closed;
    // HTTPS with good and bad Basic credentials and tokens.
    const httpPort = Number(/ http=127\.0\.0\.1:(\d+)/.exec(out)![1]);
    const ca = readFileSync(certs.caCert);
    for (const authorization of [`Basic ${Buffer.from(`alice:${GOOD}`).toString('base64')}`, `Basic ${Buffer.from(`alice:${WRONG}`).toString('base64')}`, `Basic ${Buffer.from(`nobody:${WRONG}`).toString('base64')}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN_WRONG}`]) {
      clientSide.push(
        await new Promise<string>((resolve) => {
          const req = httpsRequest({ host: '127.0.0.1', port: httpPort, path: '/topics', ca, servername: 'localhost', headers: { authorization } }, (res) => {
            let body = '';
            res.setEncoding('utf8').on('data', (d: string) => (body += d));
            res.on('end', () => resolve(`${res.statusCode} ${JSON.stringify(res.headers)} ${body}`));
          });
          req.on('error', (err) => resolve(err.message));
          req.end();
        }),
      );
    }
    if (!KCAT_MISSING) {
      for (const [mech, pw] of [['SCRAM-SHA-512', WRONG], ['PLAIN', PLAIN_WRONG], ['SCRAM-SHA-256', GOOD]]) {
        clientSide.push(await kcat(['-b', `127.0.0.1:${ports[2]}`, '-X', 'security.protocol=SASL_SSL', '-X', `ssl.ca.location=${certs.caCert}`, '-X', `sasl.mechanisms=${mech!}`, '-X', 'sasl.username=alice', '-X', `sasl.password=${pw!}`, '-L']));
      }
    }
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  const store = JSON.parse(readFileSync(join(dir, 'meta', 'scram-credentials.json'), 'utf8')) as { users: Record<string, Record<string, { storedKey: string; serverKey: string }>> };
  const secrets = [GOOD, WRONG, PLAIN_WRONG, TOKEN, TOKEN_WRONG, certs.encryptedKeyPassword];
  const encoded = [...salts.map((s) => s.toString('base64')), ...salts.map((s) => s.toString('hex'))];
  for (const cred of Object.values(store.users.alice!)) encoded.push(cred.storedKey, cred.serverKey);
  const logs = out;
  assert.ok(logs.split('\n').length > 5, `the broker logged at trace level: ${logs}`);
  // kcat prints its own configuration nowhere, but its error lines are broker answers.
  const clientText = clientSide.join('\n').split('\n').filter((l) => !l.includes('sasl.password=')).join('\n');
  for (const s of [...secrets, ...secrets.map((x) => Buffer.from(x).toString('base64')), ...encoded]) {
    assert.ok(!logs.includes(s), `a secret (${s.slice(0, 3)}…) is in the broker's log`);
    assert.ok(!clientText.includes(s), `a secret (${s.slice(0, 3)}…) is in an error a client saw`);
  }
  assert.ok(clientSide.some((t) => /Authentication failed/.test(t)), 'the failures were seen by the clients');
  assert.ok(clientSide.some((t) => t.startsWith('401 ')) && clientSide.some((t) => t.startsWith('200 ')), 'HTTP logins failed and succeeded');
  rmSync(dir, { recursive: true, force: true });
  certs.remove();
});
