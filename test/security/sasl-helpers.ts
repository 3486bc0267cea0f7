// Test helpers for SASL: add SCRAM users through AlterUserScramCredentials (as
// kafka-configs does), and authenticate a RawClient by hand with Samsa's SCRAM client.
// Owns: test-only helpers. Must not be imported from src/.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { RawClient } from '../kafka/harness.js';
import { SCRAM_HASHES, ScramClient, saltPassword, type ScramMechanism } from '../../src/security/scram.js';
import { AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec } from '../../src/wire/schemas/51-alter-user-scram-credentials.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from '../../src/wire/schemas/17-sasl-handshake.js';
import { SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, type SaslAuthenticateResponse } from '../../src/wire/schemas/36-sasl-authenticate.js';

/** Upserts a SCRAM credential over a connection that may alter users. */
export async function addScramUser(client: RawClient, user: string, password: string, mechanism: ScramMechanism, iterations = 4096): Promise<void> {
  const salt = randomBytes(24);
  const saltedPassword = await saltPassword(mechanism, password, salt, iterations);
  const res = await client.request(AlterUserScramCredentialsRequestCodec, AlterUserScramCredentialsResponseCodec, 0, {
    deletions: [],
    upsertions: [{ name: user, mechanism: SCRAM_HASHES[mechanism].code, iterations, salt, saltedPassword }],
  });
  assert.deepEqual(res.results.map((r) => [r.user, r.errorCode]), [[user, 0]], JSON.stringify(res.results));
}

/** A RawClient over TLS (trusting `ca`). */
export function connectTls(port: number, ca: Buffer): Promise<RawClient> {
  return RawClient.connectWith(() => tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }), 'secureConnect');
}

/** SaslHandshake v1 then the SCRAM exchange in SaslAuthenticate; returns the last response. */
export async function scramLogin(client: RawClient, mechanism: ScramMechanism, user: string, password: string, version = 2): Promise<SaslAuthenticateResponse> {
  const hs = await client.request(SaslHandshakeRequestCodec, SaslHandshakeResponseCodec, 1, { mechanism });
  assert.equal(hs.errorCode, 0, `handshake: ${hs.errorCode}`);
  const scram = new ScramClient(mechanism, user, password);
  const first = await client.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, version, { authBytes: scram.firstMessage() });
  if (first.errorCode !== 0) return first;
  const final = await client.request(SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, version, { authBytes: await scram.finalMessage(first.authBytes) });
  if (final.errorCode === 0) assert.ok(scram.verifyServerFinal(final.authBytes), 'server signature');
  return final;
}
