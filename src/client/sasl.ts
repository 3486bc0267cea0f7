// SASL on a client connection, as Kafka clients do it: SaslHandshake v1 names the
// mechanism, then SaslAuthenticate carries the tokens — one for PLAIN (RFC 4616), two
// round trips for SCRAM-SHA-256/512 (RFC 5802/7677, the broker's signature checked).
// Owns: the login exchange and its errors. Must not import Node built-ins (the
// browser client may log in over WebSocket too) nor implement SCRAM's primitives
// (wire/scram.ts does, shared with the broker's tests). Never puts the password in
// an error message.

import type { SaslAuthenticateResponse } from '../wire/schemas/36-sasl-authenticate.js';
import type { SaslHandshakeResponse } from '../wire/schemas/17-sasl-handshake.js';
import { SASL_MECHANISMS, type SaslMechanism, ScramClient, ScramProtocolError, isSaslMechanism, isScramMechanism } from '../wire/scram.js';
import { AuthenticationError, ErrorCode } from './errors.js';

export { SASL_MECHANISMS, type SaslMechanism, isSaslMechanism };

export interface SaslOptions {
  mechanism: SaslMechanism;
  username: string;
  password: string;
}

/** The two requests a login sends; Connection implements it (kept narrow to avoid an import cycle). */
export interface SaslChannel {
  version(apiKey: number): number;
  request<Res extends object>(apiKey: number, body: object): Promise<Res>;
}

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const utf8 = new TextEncoder();

/**
 * Logs in; resolves with the session lifetime the broker granted (ms, 0 = unlimited),
 * after which the connection must log in again (KIP-368). Rejects with
 * AuthenticationError.
 */
export async function saslLogin(conn: SaslChannel, o: SaslOptions): Promise<number> {
  const who = `${o.mechanism} as user '${o.username}'`;
  if (conn.version(SASL_HANDSHAKE) < 1 || conn.version(SASL_AUTHENTICATE) < 0) {
    throw new AuthenticationError(`SASL ${who}: the broker does not offer SaslHandshake v1 and SaslAuthenticate (is this a SASL listener?)`, ErrorCode.ILLEGAL_SASL_STATE);
  }
  const hs = await conn.request<SaslHandshakeResponse>(SASL_HANDSHAKE, { mechanism: o.mechanism });
  if (hs.errorCode !== ErrorCode.NONE) {
    throw new AuthenticationError(`SASL ${who}: the broker does not enable ${o.mechanism} (it offers ${hs.mechanisms.join(', ') || 'none'})`, hs.errorCode);
  }
  let lifetimeMs = 0;
  const step = async (bytes: Uint8Array): Promise<Uint8Array> => {
    const r = await conn.request<SaslAuthenticateResponse>(SASL_AUTHENTICATE, { authBytes: bytes });
    if (r.errorCode !== ErrorCode.NONE) {
      throw new AuthenticationError(`SASL authentication failed (${who}): ${r.errorMessage ?? 'the broker gave no reason'}`, r.errorCode);
    }
    lifetimeMs = Number(r.sessionLifetimeMs ?? 0);
    return r.authBytes;
  };
  if (!isScramMechanism(o.mechanism)) {
    await step(utf8.encode(`\0${o.username}\0${o.password}`));
    return lifetimeMs;
  }
  const scram = new ScramClient(o.mechanism, o.username, o.password);
  try {
    const serverFirst = await step(scram.firstMessage());
    const serverFinal = await step(await scram.finalMessage(serverFirst));
    if (!scram.verifyServerFinal(serverFinal)) {
      throw new AuthenticationError(`SASL ${who}: the broker's server signature is wrong (it does not know this user's credential)`);
    }
  } catch (err) {
    if (err instanceof ScramProtocolError) throw new AuthenticationError(`SASL ${who}: ${err.message}`);
    throw err;
  }
  return lifetimeMs;
}
