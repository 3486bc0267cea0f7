// The security state of one client connection: which listener it came in on, who
// it is (the principal) and where its authentication stands. One Session per
// connection, made by the listener when the connection opens; the Kafka handler
// reads it on every request and the SASL APIs advance it.
// Owns: that state and its transitions. Must not do I/O or crypto (sasl.ts, scram.ts).

import type { SecurityProtocol } from './listeners.js';

/** Kafka's principal for a client that has not authenticated (PLAINTEXT, SSL without a client certificate). */
export const ANONYMOUS = 'User:ANONYMOUS';

/** What a connection knows about the listener it came in on. */
export interface ListenerInfo {
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** The address Metadata and FindCoordinator give to clients of this listener. */
  readonly advertisedHost: string;
  readonly advertisedPort: number;
}

/** An authentication exchange in progress (one SASL mechanism's server side). */
export interface SaslExchange {
  readonly mechanism: string;
  /** Takes the client's next token; resolves the server's answer, or throws SaslFailure. */
  step(token: Uint8Array): Promise<SaslStep>;
}

export interface SaslStep {
  /** Bytes for the client (empty when the mechanism has nothing to say). */
  readonly response: Uint8Array;
  /** The authenticated principal once the exchange is complete, else null. */
  readonly principal: string | null;
}

export class Session {
  readonly listener: ListenerInfo | null;
  /** The client's IP address (no leading slash), for ACL host matching. */
  readonly clientAddress: string;
  /** Who the client is: ANONYMOUS until a certificate or SASL says otherwise. */
  principal: string;
  /** True when this listener demands SASL before anything but ApiVersions and the SASL APIs. */
  readonly saslRequired: boolean;
  /** SASL finished (or not needed). */
  authenticated: boolean;
  /** The mechanism chosen by the last SaslHandshake, waiting for SaslAuthenticate. */
  mechanism: string | null = null;
  exchange: SaslExchange | null = null;
  /** The mechanism of the first successful authentication (re-authentication must keep it). */
  authenticatedMechanism: string | null = null;
  /** When the authenticated session ends (KIP-368), as Date.now() ms; 0 = never. */
  expiresAtMs = 0;
  /** No more requests are read from this connection before this Date.now() ms (quota throttling). */
  throttleUntilMs = 0;
  /** Set when the connection must close once the response being written is out (failed authentication). */
  closeAfterResponse = false;

  constructor(listener: ListenerInfo | null, clientAddress: string, principal: string = ANONYMOUS) {
    this.listener = listener;
    // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d; ACL hosts name a.b.c.d.
    this.clientAddress = clientAddress.startsWith('::ffff:') && clientAddress.includes('.') ? clientAddress.slice(7) : clientAddress;
    this.principal = principal;
    this.saslRequired = listener !== null && (listener.protocol === 'SASL_PLAINTEXT' || listener.protocol === 'SASL_SSL');
    this.authenticated = !this.saslRequired;
  }
}
