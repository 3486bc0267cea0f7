// SaslHandshake (key 17): serves v0-1. After either version the tokens must travel in
// SaslAuthenticate (key 36): v0's raw token frames (Kafka before 1.0) are not read,
// and such a client sees its connection closed. v0 is still served because librdkafka
// requires it in the ApiVersions range before it uses SASL at all.
// On a SASL listener it picks the mechanism for the SaslAuthenticate requests that
// follow; on an authenticated connection it starts a re-authentication (KIP-368),
// which must keep the mechanism. On a PLAINTEXT or SSL listener: ILLEGAL_SASL_STATE,
// as Kafka answers. An unsupported mechanism is answered with the enabled list and
// the connection is closed, as Kafka does.
// Owns: the handshake step of the session. Must not verify credentials (36 does).

import { ErrorCode } from '../../wire/errors.js';
import { SaslHandshakeRequestCodec, SaslHandshakeResponseCodec } from '../../wire/schemas/17-sasl-handshake.js';
import { type SaslMechanism, mechanismsFor, newSaslExchange } from '../../security/sasl.js';
import { defineApi } from './types.js';

export const saslHandshakeApi = defineApi({
  minVersion: 0,
  maxVersion: 1,
  request: SaslHandshakeRequestCodec,
  response: SaslHandshakeResponseCodec,
  async handle(ctx, req) {
    const s = ctx.session;
    const enabled = mechanismsFor(ctx.security.sasl, ctx.session.listener?.name);
    if (!s.saslRequired) return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
    if (s.exchange !== null) {
      // A second handshake before the first exchange finished.
      s.closeAfterResponse = true;
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [...enabled] };
    }
    const mechanism = enabled.find((m) => m === req.mechanism);
    if (mechanism === undefined || (s.authenticatedMechanism !== null && mechanism !== s.authenticatedMechanism)) {
      s.closeAfterResponse = true;
      return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...enabled] };
    }
    s.mechanism = mechanism;
    s.exchange = newSaslExchange(mechanism as SaslMechanism, ctx.security.users);
    return { errorCode: ErrorCode.NONE, mechanisms: [...enabled] };
  },
  errorResponse(_req, _version, errorCode) {
    return { errorCode, mechanisms: [] };
  },
});
