// SaslAuthenticate (key 36): serves v0-2 (v1 adds the session lifetime, v2 is
// flexible). Carries one token of the exchange SaslHandshake chose; when the exchange
// completes the connection is authenticated as its principal, for
// connections.max.reauth.ms (KIP-368; 0 = no limit), reported from v1 as
// session_lifetime_ms. A re-authentication must name the same principal.
// Any failure — wrong password, unknown user, a malformed or replayed message, no
// handshake first — is answered with SASL_AUTHENTICATION_FAILED (ILLEGAL_SASL_STATE
// for a missing handshake) and a message that names no secret, then the connection
// is closed, as Kafka does.
// Owns: advancing the session's exchange. Must not implement a mechanism (security/).

import { ErrorCode } from '../../wire/errors.js';
import { SaslAuthenticateRequestCodec, SaslAuthenticateResponseCodec, type SaslAuthenticateResponse } from '../../wire/schemas/36-sasl-authenticate.js';
import { SaslFailure } from '../../security/scram.js';
import { type RequestContext, defineApi } from './types.js';

const EMPTY = new Uint8Array(0);

function fail(ctx: RequestContext, errorCode: number, message: string): SaslAuthenticateResponse {
  const s = ctx.session;
  // Kafka logs each failed authentication at INFO with its reason (which names no secret).
  ctx.security.log?.info({ listener: s.listener?.name, client: s.clientAddress, mechanism: s.mechanism, reason: message }, 'failed authentication');
  s.mechanism = null;
  s.exchange = null;
  s.closeAfterResponse = true;
  return { errorCode, errorMessage: message, authBytes: EMPTY, sessionLifetimeMs: 0 };
}

export const saslAuthenticateApi = defineApi({
  minVersion: 0,
  maxVersion: 2,
  request: SaslAuthenticateRequestCodec,
  response: SaslAuthenticateResponseCodec,
  async handle(ctx, req) {
    const s = ctx.session;
    const exchange = s.exchange;
    if (!s.saslRequired || exchange === null) return fail(ctx, ErrorCode.ILLEGAL_SASL_STATE, 'SaslAuthenticate without a successful SaslHandshake first');
    let step;
    try {
      step = await exchange.step(req.authBytes);
    } catch (err) {
      // Only SaslFailure messages are written for clients; anything else says nothing.
      return fail(ctx, ErrorCode.SASL_AUTHENTICATION_FAILED, err instanceof SaslFailure ? err.message : `Authentication failed with SASL mechanism ${exchange.mechanism}`);
    }
    if (step.principal === null) return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: 0 };
    if (s.authenticatedMechanism !== null && step.principal !== s.principal) {
      return fail(ctx, ErrorCode.SASL_AUTHENTICATION_FAILED, 'Cannot change principals during re-authentication');
    }
    s.principal = step.principal;
    s.authenticated = true;
    s.authenticatedMechanism = exchange.mechanism;
    s.mechanism = null;
    s.exchange = null;
    ctx.security.log?.debug({ listener: s.listener?.name, client: s.clientAddress, mechanism: exchange.mechanism, principal: s.principal }, 'authenticated');
    const lifetimeMs = ctx.security.sasl.reauthMs;
    s.expiresAtMs = lifetimeMs > 0 ? Date.now() + lifetimeMs : 0;
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.response, sessionLifetimeMs: lifetimeMs };
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 };
  },
});
