// SCRAM (RFC 5802, with SHA-256 and SHA-512 as RFC 7677 and Kafka use them) and
// PLAIN (RFC 4616), server side, against salted credentials: the broker never holds
// a password, only (salt, iterations, StoredKey, ServerKey) per user and mechanism.
// Owns: the credential derivation and the two mechanisms' exchanges. Every primitive
// is node:crypto's (pbkdf2, HMAC, hash, timingSafeEqual, randomBytes); nothing here
// hand-rolls one. Must not log, and never puts a password, proof, key or nonce in an
// error message: a failure says what kind of message was wrong, nothing more.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { SCRAM_HASHES, SCRAM_MECHANISMS, type ScramHash, type ScramMechanism, decodeSaslName } from '../wire/scram.js';
import type { SaslExchange, SaslStep } from './session.js';

// The mechanism table, iteration bounds, saslname escaping and the client side are
// shared with Samsa's client (wire/scram.ts): one definition for both ends.
export { SCRAM_HASHES, SCRAM_ITERATIONS_MAX, SCRAM_ITERATIONS_MIN, SCRAM_MECHANISMS, ScramClient, isScramMechanism, type ScramMechanism } from '../wire/scram.js';
/** Iterations `samsa users add` and the tests use, Kafka's default. */
export const SCRAM_ITERATIONS_DEFAULT = 4096;
/** Bytes of salt generated for a new credential. */
export const SCRAM_SALT_BYTES = 32;
/** Bound on any one SASL token: a SCRAM message or a PLAIN triple is well under this. */
export const SASL_TOKEN_BYTES_MAX = 16 * 1024;

export function scramMechanismByCode(code: number): ScramMechanism | null {
  for (const m of SCRAM_MECHANISMS) if (SCRAM_HASHES[m].code === code) return m;
  return null;
}

/** What the broker stores for one user and mechanism. */
export interface ScramCredential {
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

function hmac(h: ScramHash, key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac(h.hash, key).update(data).digest();
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC (on libuv's pool). */
export function saltPassword(mechanism: ScramMechanism, password: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
  const h = SCRAM_HASHES[mechanism];
  return new Promise((resolve, reject) => {
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, h.keyBytes, h.hash, (err, key) => (err !== null ? reject(err) : resolve(key)));
  });
}

/** StoredKey and ServerKey from a salted password (what AlterUserScramCredentials carries). */
export function credentialFromSaltedPassword(mechanism: ScramMechanism, salt: Uint8Array, iterations: number, saltedPassword: Uint8Array): ScramCredential {
  const h = SCRAM_HASHES[mechanism];
  const clientKey = hmac(h, saltedPassword, 'Client Key');
  return {
    salt: Buffer.from(salt),
    iterations,
    storedKey: createHash(h.hash).update(clientKey).digest(),
    serverKey: hmac(h, saltedPassword, 'Server Key'),
  };
}

/** A new credential for a password: fresh random salt, the given iterations. */
export async function newCredential(mechanism: ScramMechanism, password: string, iterations = SCRAM_ITERATIONS_DEFAULT): Promise<ScramCredential> {
  const salt = randomBytes(SCRAM_SALT_BYTES);
  return credentialFromSaltedPassword(mechanism, salt, iterations, await saltPassword(mechanism, password, salt, iterations));
}

/** An authentication exchange failed; `message` is safe to send to the client and to log. */
export class SaslFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslFailure';
  }
}

/** Looks up a user's credential for a mechanism; undefined for an unknown user. */
export type CredentialLookup = (user: string, mechanism: ScramMechanism) => ScramCredential | undefined;

/**
 * The stand-in credential for a user that does not exist: derived from a per-process
 * secret so the same name always gets the same salt, and the exchange runs to the
 * proof check like any other. An unknown user and a wrong password fail alike.
 */
const DECOY_SECRET = randomBytes(32);
function decoyCredential(user: string, mechanism: ScramMechanism): ScramCredential {
  const h = SCRAM_HASHES[mechanism];
  const seed = createHmac('sha256', DECOY_SECRET).update(`${mechanism}\0${user}`).digest();
  return { salt: seed, iterations: SCRAM_ITERATIONS_DEFAULT, storedKey: hmac(h, seed, 'stored'), serverKey: hmac(h, seed, 'server') };
}

const PRINTABLE_NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** Bytes of server nonce added to the client's (base64-encoded on the wire). */
const SERVER_NONCE_BYTES = 24;

function authFailed(mechanism: string): SaslFailure {
  // Kafka's words: the same for an unknown user and a wrong password.
  return new SaslFailure(`Authentication failed during authentication due to invalid credentials with SASL mechanism ${mechanism}`);
}

/** The server side of one SCRAM exchange: client-first → server-first, client-final → server-final. */
export class ScramServerExchange implements SaslExchange {
  readonly mechanism: ScramMechanism;
  private readonly hash: ScramHash;
  private readonly lookup: CredentialLookup;
  private state: 'first' | 'final' | 'done' = 'first';
  private user = '';
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private credential: ScramCredential | null = null;

  /** `serverNonce`: fixed only by tests that replay RFC 7677's example; random otherwise. */
  constructor(mechanism: ScramMechanism, lookup: CredentialLookup, private readonly serverNonce?: string) {
    this.mechanism = mechanism;
    this.hash = SCRAM_HASHES[mechanism];
    this.lookup = lookup;
  }

  async step(token: Uint8Array): Promise<SaslStep> {
    if (token.byteLength > SASL_TOKEN_BYTES_MAX) throw new SaslFailure(`${this.mechanism} message is larger than ${SASL_TOKEN_BYTES_MAX} bytes`);
    const text = Buffer.from(token).toString('utf8');
    if (this.state === 'first') return this.clientFirst(text);
    if (this.state === 'final') return this.clientFinal(text);
    throw new SaslFailure(`${this.mechanism} exchange is already complete`);
  }

  private clientFirst(text: string): SaslStep {
    // gs2-header: ("n" | "y") "," [ "a=" saslname ] ","; "p=" asks for channel binding, which Kafka does not offer.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(text);
    if (m === null) throw new SaslFailure(text.startsWith('p=') ? 'channel binding is not supported' : `invalid ${this.mechanism} client-first message`);
    this.gs2Header = `${m[1]!},${m[2] ?? ''},`;
    this.clientFirstBare = m[3]!;
    const attrs = this.clientFirstBare.split(',');
    if (attrs[0]?.startsWith('m=')) throw new SaslFailure('SCRAM mandatory extensions are not supported');
    const userAttr = attrs[0] ?? '';
    const nonceAttr = attrs[1] ?? '';
    if (!userAttr.startsWith('n=') || !nonceAttr.startsWith('r=')) throw new SaslFailure(`invalid ${this.mechanism} client-first message`);
    const user = decodeSaslName(userAttr.slice(2));
    const clientNonce = nonceAttr.slice(2);
    if (user === null || user === '' || !PRINTABLE_NONCE.test(clientNonce)) throw new SaslFailure(`invalid ${this.mechanism} client-first message`);
    // Extensions (Kafka: tokenauth=true for delegation tokens, which Samsa does not have).
    for (const ext of attrs.slice(2)) {
      if (/^tokenauth=true$/i.test(ext)) throw new SaslFailure('delegation tokens are not supported');
    }
    if (m[2] !== undefined) {
      const authzid = decodeSaslName(m[2].slice(2));
      if (authzid !== '' && authzid !== user) throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username');
    }
    this.user = user;
    this.credential = this.lookup(user, this.mechanism) ?? null;
    const cred = this.credential ?? decoyCredential(user, this.mechanism);
    this.nonce = clientNonce + (this.serverNonce ?? randomBytes(SERVER_NONCE_BYTES).toString('base64'));
    this.serverFirst = `r=${this.nonce},s=${cred.salt.toString('base64')},i=${cred.iterations}`;
    this.state = 'final';
    return { response: Buffer.from(this.serverFirst, 'utf8'), principal: null };
  }

  private clientFinal(text: string): SaslStep {
    this.state = 'done';
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0) throw new SaslFailure(`invalid ${this.mechanism} client-final message`);
    const withoutProof = text.slice(0, proofAt);
    const attrs = withoutProof.split(',');
    const channel = attrs[0] ?? '';
    const nonce = attrs[1] ?? '';
    if (!channel.startsWith('c=') || !nonce.startsWith('r=')) throw new SaslFailure(`invalid ${this.mechanism} client-final message`);
    // The nonce must end with this exchange's (client's + ours): a client-final replayed
    // from another connection carries another server nonce and fails here. "Ends with",
    // as Kafka checks, because librdkafka ≤ 2.x sends its client nonce twice.
    if (!nonce.slice(2).endsWith(this.nonce)) throw new SaslFailure(`invalid ${this.mechanism} nonce`);
    if (Buffer.from(channel.slice(2), 'base64').toString('utf8') !== this.gs2Header) throw new SaslFailure(`invalid ${this.mechanism} channel binding`);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const cred = this.credential;
    if (cred === null || proof.byteLength !== this.hash.keyBytes) throw authFailed(this.mechanism);
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(this.hash, cred.storedKey, authMessage);
    const clientKey = Buffer.alloc(this.hash.keyBytes);
    for (let i = 0; i < clientKey.byteLength; i++) clientKey[i] = proof[i]! ^ clientSignature[i]!;
    const storedKey = createHash(this.hash.hash).update(clientKey).digest();
    if (!timingSafeEqual(storedKey, cred.storedKey)) throw authFailed(this.mechanism);
    const serverSignature = hmac(this.hash, cred.serverKey, authMessage);
    return { response: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), principal: `User:${this.user}` };
  }
}

/** Bound on a PLAIN user name (Kafka's SCRAM user names are short; this stops abuse). */
const USER_NAME_CHARS_MAX = 1024;

/**
 * PLAIN (RFC 4616): one message "authzid NUL authcid NUL passwd", checked against
 * the user's SCRAM credential (SHA-512 if present, else SHA-256) by salting the given
 * password the same way. An unknown user costs the same PBKDF2 as a known one.
 */
export class PlainServerExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private done = false;

  constructor(private readonly lookup: CredentialLookup) {}

  async step(token: Uint8Array): Promise<SaslStep> {
    if (this.done) throw new SaslFailure('PLAIN exchange is already complete');
    this.done = true;
    if (token.byteLength > SASL_TOKEN_BYTES_MAX) throw new SaslFailure(`PLAIN message is larger than ${SASL_TOKEN_BYTES_MAX} bytes`);
    const parts = Buffer.from(token).toString('utf8').split('\0');
    if (parts.length !== 3) throw new SaslFailure('Invalid SASL/PLAIN response: expected 3 tokens');
    const [authzid, user, password] = parts as [string, string, string];
    if (user === '' || user.length > USER_NAME_CHARS_MAX) throw new SaslFailure('Authentication failed: username not specified');
    if (password === '') throw new SaslFailure('Authentication failed: password not specified');
    if (authzid !== '' && authzid !== user) throw new SaslFailure('Authentication failed: Client requested an authorization id that is different from username');
    const mechanism: ScramMechanism = this.lookup(user, 'SCRAM-SHA-512') !== undefined ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256';
    const known = this.lookup(user, mechanism);
    const cred = known ?? decoyCredential(user, mechanism);
    const salted = await saltPassword(mechanism, password, cred.salt, cred.iterations);
    const derived = credentialFromSaltedPassword(mechanism, cred.salt, cred.iterations, salted);
    if (known === undefined || !timingSafeEqual(derived.storedKey, cred.storedKey)) {
      throw new SaslFailure('Authentication failed: Invalid username or password');
    }
    return { response: new Uint8Array(0), principal: `User:${user}` };
  }
}
