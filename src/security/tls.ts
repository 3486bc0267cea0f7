// TLS for the listeners: the server options built from Kafka's PEM settings
// (`ssl.certificate.location`, `ssl.key.location`, `ssl.key.password`,
// `ssl.ca.location`, `ssl.client.auth`, `ssl.enabled.protocols`) and the principal a
// client certificate stands for (`ssl.principal.mapping.rules`).
// Owns: reading the PEM files once at start-up, and the subject → principal
// mapping. Must not open sockets, and must never put the key password or key bytes
// in an error message or a log line.

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type SecureContextOptions, type TlsOptions, createSecureContext } from 'node:tls';

export const CLIENT_AUTH_MODES = ['none', 'requested', 'required'] as const;
export type ClientAuth = (typeof CLIENT_AUTH_MODES)[number];

export interface TlsSettings {
  certificateLocation: string;
  keyLocation: string;
  /** The private key's passphrase ('' = the key is not encrypted). Never logged. */
  keyPassword: string;
  /** CA bundle that client certificates must chain to ('' = Node's default CAs). */
  caLocation: string;
  clientAuth: ClientAuth;
  /** `ssl.enabled.protocols`: e.g. "TLSv1.2,TLSv1.3". */
  enabledProtocols: string;
}

/** A TLS setting is wrong; the message names the setting, never a secret. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** Bound on a certificate or key file: a PEM bundle is kilobytes. */
const PEM_FILE_BYTES_MAX = 4 * 1024 * 1024;
/** How long a client may take to finish the TLS handshake before it is dropped. */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

function readPem(setting: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new TlsConfigError(`${setting}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (bytes.byteLength > PEM_FILE_BYTES_MAX) throw new TlsConfigError(`${setting}: ${path} is larger than ${PEM_FILE_BYTES_MAX} bytes`);
  if (!bytes.includes('-----BEGIN ')) throw new TlsConfigError(`${setting}: ${path} is not a PEM file`);
  return bytes;
}

const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
type TlsVersion = (typeof TLS_VERSIONS)[number];

function protocolRange(enabled: string): { minVersion: TlsVersion; maxVersion: TlsVersion } {
  const list = enabled.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const v of list) {
    if (!(TLS_VERSIONS as readonly string[]).includes(v)) throw new TlsConfigError(`ssl.enabled.protocols: ${JSON.stringify(v)} is not one of ${TLS_VERSIONS.join(', ')}`);
  }
  if (list.length === 0) throw new TlsConfigError('ssl.enabled.protocols: no protocol given');
  const sorted = [...list].sort() as TlsVersion[];
  return { minVersion: sorted[0]!, maxVersion: sorted[sorted.length - 1]! };
}

/** Server options for node:tls (and node:https), read from the settings; throws TlsConfigError. */
export function serverTlsOptions(s: TlsSettings): TlsOptions {
  if (s.certificateLocation === '' || s.keyLocation === '') {
    throw new TlsConfigError('an SSL or SASL_SSL listener needs ssl.certificate.location and ssl.key.location');
  }
  if (s.clientAuth === 'required' && s.caLocation === '') {
    throw new TlsConfigError('ssl.client.auth=required needs ssl.ca.location (the CA that signs client certificates)');
  }
  const opts: TlsOptions & SecureContextOptions = {
    cert: readPem('ssl.certificate.location', s.certificateLocation),
    key: readPem('ssl.key.location', s.keyLocation),
    ...protocolRange(s.enabledProtocols),
    requestCert: s.clientAuth !== 'none',
    // 'requested': a client without a certificate (or with one we cannot verify) is
    // still served; only a verified certificate ever names a principal (tlsPrincipal).
    rejectUnauthorized: s.clientAuth === 'required',
    handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS,
  };
  if (s.keyPassword !== '') opts.passphrase = s.keyPassword;
  if (s.caLocation !== '') opts.ca = readPem('ssl.ca.location', s.caLocation);
  return opts;
}

/**
 * Checks that the options make a secure context (key matches certificate, the
 * passphrase opens the key), so a bad file stops start-up with a message naming
 * the settings and never OpenSSL's text (which could quote file contents).
 */
export function checkTlsOptions(opts: TlsOptions): void {
  try {
    createSecureContext(opts);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const why = /BAD_DECRYPT|PASSWORD|bad decrypt/i.test(`${code} ${(err as Error).message}`)
      ? 'the key cannot be decrypted (check ssl.key.password)'
      : /KEY_VALUES_MISMATCH|key values mismatch/i.test(`${code} ${(err as Error).message}`)
        ? 'the key does not match the certificate'
        : `OpenSSL refused them${code !== '' ? ` (${code})` : ''}`;
    throw new TlsConfigError(`ssl.certificate.location / ssl.key.location: ${why}`);
  }
}

// --- principals -------------------------------------------------------------

/** One rule of ssl.principal.mapping.rules: DEFAULT, or RULE:pattern/replacement/[LU]. */
interface MappingRule {
  readonly pattern: RegExp | null;
  readonly replacement: string;
  readonly toLower: boolean;
  readonly toUpper: boolean;
}

/** Bound on the rules list (each is tried per new TLS connection). */
const MAPPING_RULES_MAX = 64;

/**
 * Parses Kafka's ssl.principal.mapping.rules: comma-separated `DEFAULT` or
 * `RULE:pattern/replacement/` with an optional `L` or `U` (lower/upper-case the
 * result); `\/` escapes a slash inside pattern or replacement. The first rule whose
 * pattern matches the whole distinguished name wins; DEFAULT keeps the name as it is.
 */
export function parseMappingRules(value: string): MappingRule[] {
  const rules: MappingRule[] = [];
  let i = 0;
  const s = value.trim();
  const bad = (why: string): TlsConfigError => new TlsConfigError(`ssl.principal.mapping.rules: ${why} at character ${i}`);
  while (i < s.length) {
    if (rules.length >= MAPPING_RULES_MAX) throw bad(`more than ${MAPPING_RULES_MAX} rules`);
    while (s[i] === ' ' || s[i] === ',') i++;
    if (i >= s.length) break;
    if (s.startsWith('DEFAULT', i)) {
      rules.push({ pattern: null, replacement: '', toLower: false, toUpper: false });
      i += 'DEFAULT'.length;
    } else if (s.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const parts: string[] = [];
      for (let part = 0; part < 2; part++) {
        let text = '';
        while (i < s.length && s[i] !== '/') {
          if (s[i] === '\\' && s[i + 1] === '/') {
            text += '/';
            i += 2;
          } else text += s[i++];
        }
        if (s[i] !== '/') throw bad('expected RULE:pattern/replacement/');
        i++;
        parts.push(text);
      }
      let toLower = false;
      let toUpper = false;
      if (s[i] === 'L' || s[i] === 'U') {
        toLower = s[i] === 'L';
        toUpper = s[i] === 'U';
        i++;
      }
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${parts[0]!})$`);
      } catch {
        throw bad(`invalid pattern ${JSON.stringify(parts[0])}`);
      }
      rules.push({ pattern, replacement: parts[1]!, toLower, toUpper });
    } else throw bad('expected DEFAULT or RULE:');
    while (s[i] === ' ') i++;
    if (i < s.length && s[i] !== ',') throw bad('expected a comma between rules');
  }
  if (rules.length === 0) rules.push({ pattern: null, replacement: '', toLower: false, toUpper: false });
  return rules;
}

/** The short name for a distinguished name under the rules (Kafka's SslPrincipalMapper). */
export function mapDistinguishedName(dn: string, rules: readonly MappingRule[]): string {
  for (const r of rules) {
    if (r.pattern === null) return dn;
    if (!r.pattern.test(dn)) continue;
    // Java's $1 group syntax is JavaScript's too.
    let out = dn.replace(r.pattern, r.replacement);
    if (r.toLower) out = out.toLowerCase();
    else if (r.toUpper) out = out.toUpperCase();
    return out;
  }
  // Kafka: no rule matched is an error for the connection; the caller treats it as
  // an unauthenticated client.
  return '';
}

/**
 * A certificate subject as RFC 2253 writes it (Java's X500Principal.getName(), which
 * Kafka's principal builder uses): most specific attribute first, comma-separated,
 * e.g. "CN=alice,OU=eng,O=Example,C=US".
 */
export function rfc2253Subject(cert: X509Certificate): string {
  // Node prints the subject one attribute per line in certificate order (C first).
  const lines = cert.subject.split('\n').filter((l) => l !== '');
  return lines.reverse().map((l) => escapeRdn(l)).join(',');
}

function escapeRdn(attr: string): string {
  const eq = attr.indexOf('=');
  if (eq < 0) return attr;
  const value = attr.slice(eq + 1).replace(/\\(.)/g, '$1');
  const escaped = value.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/ $/, '\\ ');
  return `${attr.slice(0, eq)}=${escaped}`;
}

/** The principal for a verified client certificate (DER bytes), or null when no rule maps it. */
export function principalFromCertificate(raw: Uint8Array, rules: readonly MappingRule[]): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(raw);
  } catch {
    return null;
  }
  const name = mapDistinguishedName(rfc2253Subject(cert), rules);
  return name === '' ? null : `User:${name}`;
}

export type { MappingRule };
