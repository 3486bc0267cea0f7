// SCRAM and PLAIN, server side, without sockets: RFC 7677's SCRAM-SHA-256 example
// exchange byte for byte, both mechanisms against Samsa's own client, and the ways an
// exchange must fail (wrong password, unknown user alike; a replayed client-final;
// malformed, truncated and oversized messages; an authzid naming someone else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PlainServerExchange,
  SASL_TOKEN_BYTES_MAX,
  SCRAM_MECHANISMS,
  SaslFailure,
  ScramClient,
  ScramServerExchange,
  credentialFromSaltedPassword,
  newCredential,
  saltPassword,
  type ScramCredential,
  type ScramMechanism,
} from '../../src/security/scram.js';

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

test("RFC 7677's SCRAM-SHA-256 example: server-first and server-final byte for byte", async () => {
  const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
  const cred = credentialFromSaltedPassword('SCRAM-SHA-256', salt, 4096, await saltPassword('SCRAM-SHA-256', 'pencil', salt, 4096));
  const server = new ScramServerExchange('SCRAM-SHA-256', (u) => (u === 'user' ? cred : undefined), '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0');
  const first = await server.step(b('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
  assert.equal(first.response.toString(), 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  assert.equal(first.principal, null);
  const final = await server.step(b('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  assert.equal(Buffer.from(final.response).toString(), 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  assert.equal(final.principal, 'User:user');
});

async function exchange(mechanism: ScramMechanism, creds: Map<string, ScramCredential>, user: string, password: string): Promise<string> {
  const server = new ScramServerExchange(mechanism, (u, m) => (m === mechanism ? creds.get(u) : undefined));
  const client = new ScramClient(mechanism, user, password);
  const first = await server.step(client.firstMessage());
  const final = await server.step(await client.finalMessage(first.response));
  assert.ok(client.verifyServerFinal(final.response), 'the server proves it knows the credential');
  return final.principal!;
}

for (const mechanism of SCRAM_MECHANISMS) {
  test(`${mechanism}: the right password authenticates; a wrong one and an unknown user fail with the same message`, async () => {
    const creds = new Map([['alice', await newCredential(mechanism, 'alice-secret')], ['a,b=c', await newCredential(mechanism, 'odd')]]);
    assert.equal(await exchange(mechanism, creds, 'alice', 'alice-secret'), 'User:alice');
    assert.equal(await exchange(mechanism, creds, 'a,b=c', 'odd'), 'User:a,b=c', 'saslname escaping of , and =');
    const wrong = await exchange(mechanism, creds, 'alice', 'nope').then(() => null, (e: unknown) => e);
    const unknown = await exchange(mechanism, creds, 'nobody', 'nope').then(() => null, (e: unknown) => e);
    assert.ok(wrong instanceof SaslFailure && unknown instanceof SaslFailure);
    assert.equal(wrong.message, unknown.message);
    assert.equal(wrong.message, `Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
  });
}

test('a client-final replayed on another exchange fails on its nonce', async () => {
  const creds = new Map([['alice', await newCredential('SCRAM-SHA-512', 'pw')]]);
  const lookup = (u: string): ScramCredential | undefined => creds.get(u);
  const s1 = new ScramServerExchange('SCRAM-SHA-512', lookup);
  const client = new ScramClient('SCRAM-SHA-512', 'alice', 'pw');
  const clientFirst = client.firstMessage();
  const clientFinal = await client.finalMessage((await s1.step(clientFirst)).response);
  assert.equal((await s1.step(clientFinal)).principal, 'User:alice');
  // An eavesdropper replays both messages on a new exchange: the server nonce differs.
  const s2 = new ScramServerExchange('SCRAM-SHA-512', lookup);
  await s2.step(clientFirst);
  await assert.rejects(s2.step(clientFinal), (e: unknown) => e instanceof SaslFailure && /nonce/.test(e.message));
  // And a finished exchange takes nothing more.
  await assert.rejects(s1.step(clientFinal), SaslFailure);
});

test('malformed, truncated, oversized and foreign-authzid messages fail with messages that quote nothing', async () => {
  const cred = await newCredential('SCRAM-SHA-256', 'pw');
  const lookup = (): ScramCredential => cred;
  const bad = ['', 'n,', 'n,,', 'n,,r=abc', 'n,,n=alice', 'p=tls-unique,,n=alice,r=x', 'n,,m=ext,n=alice,r=x', 'n,a=bob,n=alice,r=x', 'n,,n=al=ice,r=x', 'n,,n=alice,r=x,tokenauth=true'];
  for (const msg of bad) {
    const s = new ScramServerExchange('SCRAM-SHA-256', lookup);
    await assert.rejects(s.step(b(msg)), (e: unknown) => e instanceof SaslFailure && !e.message.includes('alice'), JSON.stringify(msg));
  }
  const big = new ScramServerExchange('SCRAM-SHA-256', lookup);
  await assert.rejects(big.step(new Uint8Array(SASL_TOKEN_BYTES_MAX + 1)), SaslFailure);
  for (const final of ['', 'c=biws', 'c=biws,r=x,p=AAAA', 'garbage,p=']) {
    const s = new ScramServerExchange('SCRAM-SHA-256', lookup);
    await s.step(b('n,,n=alice,r=abcdef'));
    await assert.rejects(s.step(b(final)), SaslFailure, JSON.stringify(final));
  }
});

test('PLAIN checks the password against the stored SCRAM credential; unknown users and bad messages fail', async () => {
  const creds = new Map([['alice', await newCredential('SCRAM-SHA-256', 'alice-pw')]]);
  const lookup = (u: string, m: ScramMechanism): ScramCredential | undefined => (m === 'SCRAM-SHA-256' ? creds.get(u) : undefined);
  assert.equal((await new PlainServerExchange(lookup).step(b('\0alice\0alice-pw'))).principal, 'User:alice');
  assert.equal((await new PlainServerExchange(lookup).step(b('alice\0alice\0alice-pw'))).principal, 'User:alice');
  const failures: Array<[string, RegExp]> = [
    ['\0alice\0wrong', /Invalid username or password/],
    ['\0nobody\0alice-pw', /Invalid username or password/],
    ['bob\0alice\0alice-pw', /authorization id/],
    ['alice-pw', /expected 3 tokens/],
    ['\0\0pw', /username not specified/],
    ['\0alice\0', /password not specified/],
  ];
  for (const [msg, re] of failures) {
    await assert.rejects(new PlainServerExchange(lookup).step(b(msg)), (e: unknown) => e instanceof SaslFailure && re.test(e.message) && !e.message.includes('alice-pw'), JSON.stringify(msg));
  }
});
