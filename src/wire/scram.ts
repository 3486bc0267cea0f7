// SCRAM (RFC 5802, SHA-256 and SHA-512 as RFC 7677 and Kafka use them): what both
// sides share — the mechanism table, Kafka's iteration bounds, the saslname escaping —
// and the one client side of the exchange, used by Samsa's client (client/sasl.ts),
// its CLI and the broker's tests. Owns: the client's messages and its check of the
// server's signature. Browser-safe: its primitives are WebCrypto's (globalThis.crypto,
// in Node ≥ 19 and every browser), so it imports nothing; the broker's server side
// (security/scram.ts) keeps node:crypto's synchronous primitives for its hot path.
// Never puts a password, proof, key or nonce in an error message.

/** The SASL mechanisms Samsa implements (both ends), in the order a handshake lists them. */
export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

export function isSaslMechanism(m: string): m is SaslMechanism {
  return (SASL_MECHANISMS as readonly string[]).includes(m);
}

export const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type ScramMechanism = (typeof SCRAM_MECHANISMS)[number];

export interface ScramHash {
  /** node:crypto's name of the hash. */
  readonly hash: 'sha256' | 'sha512';
  /** WebCrypto's name of the hash. */
  readonly webHash: 'SHA-256' | 'SHA-512';
  readonly keyBytes: number;
  /** The mechanism's code in DescribeUserScramCredentials / AlterUserScramCredentials. */
  readonly code: number;
}

export const SCRAM_HASHES: Readonly<Record<ScramMechanism, ScramHash>> = {
  'SCRAM-SHA-256': { hash: 'sha256', webHash: 'SHA-256', keyBytes: 32, code: 1 },
  'SCRAM-SHA-512': { hash: 'sha512', webHash: 'SHA-512', keyBytes: 64, code: 2 },
};

/** Kafka's bounds on SCRAM iterations (ScramMechanism.minIterations / maxIterations). */
export const SCRAM_ITERATIONS_MIN = 4096;
export const SCRAM_ITERATIONS_MAX = 16384;

export function isScramMechanism(m: string): m is ScramMechanism {
  return (SCRAM_MECHANISMS as readonly string[]).includes(m);
}

/** RFC 5802 saslname: "," as "=2C", "=" as "=3D". */
export function encodeSaslName(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** The reverse of encodeSaslName; null for any other "=" (malformed). */
export function decodeSaslName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** A SCRAM message from the server was malformed or asked for something refused. */
export class ScramProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramProtocolError';
  }
}

const CLIENT_NONCE_BYTES = 24;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

async function hmac(h: ScramHash, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: h.webHash }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', k, data));
}

/** Hi(password, salt, i) of RFC 5802: PBKDF2 with the mechanism's HMAC. */
async function saltedPassword(h: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const k = await crypto.subtle.importKey('raw', utf8.encode(password), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', salt, iterations, hash: h.webHash }, k, h.keyBytes * 8));
}

/** Constant-time comparison of two byte strings of the same length. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The client side of SCRAM: first message, then the final one from the server's first, then the server's proof. */
export class ScramClient {
  private readonly h: ScramHash;
  private readonly clientNonce: string;
  private clientFirstBare = '';
  private serverSignature: Uint8Array | null = null;

  constructor(
    readonly mechanism: ScramMechanism,
    private readonly user: string,
    private readonly password: string,
  ) {
    this.h = SCRAM_HASHES[mechanism];
    this.clientNonce = toBase64(crypto.getRandomValues(new Uint8Array(CLIENT_NONCE_BYTES)));
  }

  firstMessage(): Uint8Array {
    this.clientFirstBare = `n=${encodeSaslName(this.user)},r=${this.clientNonce}`;
    return utf8.encode(`n,,${this.clientFirstBare}`);
  }

  async finalMessage(serverFirst: Uint8Array): Promise<Uint8Array> {
    const text = fromUtf8.decode(serverFirst);
    const m = /^r=([^,]+),s=([^,]+),i=(\d+)/.exec(text);
    // The server's nonce must extend ours: anything else is not an answer to this exchange.
    if (m === null || !m[1]!.startsWith(this.clientNonce) || m[1]!.length === this.clientNonce.length) throw new ScramProtocolError(`invalid ${this.mechanism} server-first message`);
    const iterations = Number(m[3]);
    if (iterations < SCRAM_ITERATIONS_MIN || iterations > SCRAM_ITERATIONS_MAX) throw new ScramProtocolError(`the broker asked for ${iterations} ${this.mechanism} iterations, outside [${SCRAM_ITERATIONS_MIN}, ${SCRAM_ITERATIONS_MAX}]`);
    const salt = fromBase64(m[2]!);
    if (salt === null) throw new ScramProtocolError(`invalid ${this.mechanism} server-first message`);
    const salted = await saltedPassword(this.h, this.password, salt, iterations);
    const withoutProof = `c=biws,r=${m[1]!}`;
    const authMessage = utf8.encode(`${this.clientFirstBare},${text},${withoutProof}`);
    const clientKey = await hmac(this.h, salted, utf8.encode('Client Key'));
    const storedKey = new Uint8Array(await crypto.subtle.digest(this.h.webHash, clientKey));
    const signature = await hmac(this.h, storedKey, authMessage);
    const proof = new Uint8Array(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = await hmac(this.h, await hmac(this.h, salted, utf8.encode('Server Key')), authMessage);
    return utf8.encode(`${withoutProof},p=${toBase64(proof)}`);
  }

  /** True when the server-final message proves the server knew the credential. */
  verifyServerFinal(serverFinal: Uint8Array): boolean {
    const text = fromUtf8.decode(serverFinal);
    if (!text.startsWith('v=') || this.serverSignature === null) return false;
    const got = fromBase64(text.slice(2));
    return got !== null && sameBytes(got, this.serverSignature);
  }
}
