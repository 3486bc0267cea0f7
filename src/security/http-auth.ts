// Authentication for the HTTP / WebSocket port, mapped to the same principals as
// the Kafka listeners so the same ACLs apply:
// - HTTP Basic: the user name and password are checked against the SCRAM user store
//   (the password salted with the user's stored salt, as SASL/PLAIN does);
// - Bearer tokens: a file of `User:name <sha256 of the token, hex>` lines
//   (`http.auth.tokens.location`), re-read when it changes; tokens are never stored.
// Verification is synchronous (a request or WebSocket upgrade is decided before the
// handler reads a body). So the event loop stays free:
//   - a verified Basic credential is remembered for CACHE_TTL_MS under an HMAC of it
//     (keyed per process, so the cache holds no password);
//   - failed Basic checks draw from a budget of FAILED_CHECKS_PER_SECOND; past it a
//     request gets 429 without any PBKDF2 work.
// Owns: parsing Authorization headers, the checks, the cache and the token file.
// Must never put a password or a token in a log line, an error or the cache.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { SCRAM_HASHES, type ScramMechanism, credentialFromSaltedPassword } from './scram.js';
import type { UserStore } from './user-store.js';
import type { SecurityLog } from './log.js';

export const HTTP_AUTH_METHODS = ['basic', 'bearer'] as const;
export type HttpAuthMethod = (typeof HTTP_AUTH_METHODS)[number];

/** How long a verified Basic credential is trusted without PBKDF2 again. */
const CACHE_TTL_MS = 5 * 60_000;
/** Verified credentials remembered at most. */
const CACHE_ENTRIES_MAX = 1024;
/** Failed Basic checks (each a PBKDF2) per second, all clients together. */
const FAILED_CHECKS_PER_SECOND = 20;
/** An Authorization header longer than this is refused unread. */
const AUTH_HEADER_CHARS_MAX = 4096;
/** Tokens the file may hold, and how often its modification time is looked at. */
const TOKENS_MAX = 10_000;
const TOKEN_FILE_CHECK_MS = 1_000;
const TOKEN_FILE_BYTES_MAX = 4 * 1024 * 1024;

export type HttpAuthResult =
  | { readonly ok: true; readonly principal: string }
  | { readonly ok: false; readonly status: 401 | 429; readonly message: string };

export class HttpAuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpAuthConfigError';
  }
}

/** Parses `http.auth`: none, basic, bearer, or basic,bearer. */
export function parseHttpAuthMethods(value: string): HttpAuthMethod[] {
  const items = value.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '' && s !== 'none');
  for (const m of items) if (!(HTTP_AUTH_METHODS as readonly string[]).includes(m)) throw new HttpAuthConfigError(`http.auth: ${JSON.stringify(m)} is not none, basic or bearer`);
  return [...new Set(items)] as HttpAuthMethod[];
}

/** The file line for a token: what `samsa users token` appends. */
export function tokenLine(principal: string, token: string): string {
  return `${principal} ${createHash('sha256').update(token, 'utf8').digest('hex')}\n`;
}

class TokenFile {
  private byHash = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAtMs = 0;

  constructor(private readonly path: string) {
    this.reload(true);
  }

  private reload(strict: boolean): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.path).mtimeMs;
    } catch (err) {
      if (strict) throw new HttpAuthConfigError(`http.auth.tokens.location: cannot read ${this.path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      this.byHash = new Map();
      return;
    }
    if (mtimeMs === this.mtimeMs) return;
    let text: string;
    try {
      const bytes = readFileSync(this.path);
      if (bytes.byteLength > TOKEN_FILE_BYTES_MAX) throw new Error('too large');
      text = bytes.toString('utf8');
    } catch {
      if (strict) throw new HttpAuthConfigError(`http.auth.tokens.location: cannot read ${this.path}`);
      return;
    }
    const next = new Map<string, string>();
    const lines = text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const t = lines[i]!.trim();
      if (t === '' || t.startsWith('#')) continue;
      const m = /^(\S+:\S+)\s+([0-9a-f]{64})$/.exec(t);
      if (m === null || next.size >= TOKENS_MAX) {
        // A bad line must not be quoted: it might hold a token pasted by mistake.
        if (strict) throw new HttpAuthConfigError(`http.auth.tokens.location: line ${i + 1} of ${this.path} is not "User:name <sha256 hex>"`);
        continue;
      }
      next.set(m[2]!, m[1]!);
    }
    this.byHash = next;
    this.mtimeMs = mtimeMs;
  }

  principalOf(token: string, nowMs: number): string | null {
    if (nowMs - this.checkedAtMs >= TOKEN_FILE_CHECK_MS) {
      this.checkedAtMs = nowMs;
      this.reload(false);
    }
    // A token has high entropy: looking its hash up is not a timing oracle for the token.
    return this.byHash.get(createHash('sha256').update(token, 'utf8').digest('hex')) ?? null;
  }
}

export interface HttpAuthSettings {
  readonly methods: readonly HttpAuthMethod[];
  /** Token file for bearer ('' = none; then bearer accepts nothing). */
  readonly tokensLocation: string;
  readonly users: UserStore;
  readonly log?: SecurityLog;
}

export class HttpAuthenticator {
  private readonly basic: boolean;
  private readonly tokens: TokenFile | null;
  private readonly cacheKey = randomBytes(32);
  /** `cred`: the credential it was checked against; a changed or deleted one ends the entry. */
  private readonly cache = new Map<string, { principal: string; expiresAtMs: number; user: string; mechanism: ScramMechanism; cred: object }>();
  private budget = FAILED_CHECKS_PER_SECOND;
  private budgetAtMs = 0;
  /** The WWW-Authenticate challenges for a 401. */
  readonly challenge: string;

  constructor(private readonly s: HttpAuthSettings) {
    this.basic = s.methods.includes('basic');
    this.tokens = s.methods.includes('bearer') && s.tokensLocation !== '' ? new TokenFile(s.tokensLocation) : null;
    if (s.methods.includes('bearer') && s.tokensLocation === '') throw new HttpAuthConfigError('http.auth=bearer needs http.auth.tokens.location');
    this.challenge = [this.basic ? 'Basic realm="samsa", charset="UTF-8"' : '', this.tokens !== null ? 'Bearer realm="samsa"' : ''].filter((c) => c !== '').join(', ');
  }

  /** True when requests must carry credentials. */
  get required(): boolean {
    return this.s.methods.length > 0;
  }

  /** Checks an Authorization header; the client address is for the log only. */
  authenticate(header: string, clientAddress: string, nowMs = Date.now()): HttpAuthResult {
    const fail = (status: 401 | 429, message: string, reason: string): HttpAuthResult => {
      this.s.log?.info({ listener: 'HTTP', client: clientAddress, reason }, 'failed authentication');
      return { ok: false, status, message };
    };
    if (header === '') return { ok: false, status: 401, message: 'authentication required' };
    if (header.length > AUTH_HEADER_CHARS_MAX) return fail(401, 'invalid Authorization header', 'header too long');
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const value = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'bearer' && this.tokens !== null) {
      const principal = this.tokens.principalOf(value, nowMs);
      return principal === null ? fail(401, 'invalid token', 'unknown bearer token') : { ok: true, principal };
    }
    if (scheme === 'basic' && this.basic) return this.checkBasic(value, nowMs, fail);
    return fail(401, `the ${scheme.slice(0, 16)} scheme is not accepted here`, 'unaccepted scheme');
  }

  private checkBasic(value: string, nowMs: number, fail: (status: 401 | 429, message: string, reason: string) => HttpAuthResult): HttpAuthResult {
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(value) ? Buffer.from(value, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) return fail(401, 'invalid Basic credentials', 'malformed Basic credentials');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHmac('sha256', this.cacheKey).update(decoded, 'utf8').digest('base64');
    const hit = this.cache.get(key);
    if (hit !== undefined && hit.expiresAtMs > nowMs && this.s.users.get(hit.user, hit.mechanism) === hit.cred) return { ok: true, principal: hit.principal };
    if (nowMs - this.budgetAtMs >= 1000) {
      this.budgetAtMs = nowMs;
      this.budget = FAILED_CHECKS_PER_SECOND;
    }
    if (this.budget <= 0) return fail(429, 'too many failed logins; try again shortly', 'failed-login budget spent');
    const mechanism: ScramMechanism = this.s.users.get(user, 'SCRAM-SHA-512') !== undefined ? 'SCRAM-SHA-512' : 'SCRAM-SHA-256';
    const cred = this.s.users.get(user, mechanism);
    // An unknown user costs the same PBKDF2 as a known one (no user-name oracle).
    const salt = cred?.salt ?? createHmac('sha256', this.cacheKey).update(`decoy\0${user}`).digest();
    const iterations = cred?.iterations ?? 4096;
    const salted = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, SCRAM_HASHES[mechanism].keyBytes, SCRAM_HASHES[mechanism].hash);
    const derived = credentialFromSaltedPassword(mechanism, salt, iterations, salted);
    if (cred === undefined || !timingSafeEqual(derived.storedKey, cred.storedKey)) {
      this.budget--;
      return fail(401, 'invalid user name or password', 'invalid Basic credentials');
    }
    if (this.cache.size >= CACHE_ENTRIES_MAX) {
      for (const [k, v] of this.cache) if (v.expiresAtMs <= nowMs) this.cache.delete(k);
      if (this.cache.size >= CACHE_ENTRIES_MAX) this.cache.delete(this.cache.keys().next().value!);
    }
    const principal = `User:${user}`;
    this.cache.set(key, { principal, expiresAtMs: nowMs + CACHE_TTL_MS, user, mechanism, cred });
    return { ok: true, principal };
  }
}
