// Kafka client property names → the client's TLS and SASL options, so a
// client.properties written for the Java client or librdkafka carries over:
// security.protocol, sasl.mechanism(s), sasl.username / sasl.password (librdkafka),
// sasl.jaas.config (Java's PlainLoginModule / ScramLoginModule line),
// ssl.ca.location, ssl.certificate.location, ssl.key.location (PEM files),
// ssl.key.password, ssl.endpoint.identification.algorithm, and client.id.
// Owns: that mapping and its errors. Node only (reads the PEM files), exported by
// the Node entry. Never puts a password in an error message.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from './connection.js';
import { type SaslMechanism, isSaslMechanism } from './sasl.js';
import type { ClientTlsOptions } from './transport.js';

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;

/** The property names this mapping reads. */
export const CLIENT_PROPERTY_NAMES: readonly string[] = [
  'security.protocol',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.username',
  'sasl.password',
  'sasl.jaas.config',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
  'client.id',
];

/** Properties whose values are secrets: shown as "(hidden)" wherever settings are echoed. */
export const SECRET_CLIENT_PROPERTIES: ReadonlySet<string> = new Set(['sasl.password', 'sasl.jaas.config', 'ssl.key.password']);

/** Java keystore settings: named in the error, since Samsa's client reads PEM only. */
const JKS_HINT: Readonly<Record<string, string>> = {
  'ssl.truststore.location': 'ssl.ca.location',
  'ssl.truststore.password': 'ssl.ca.location',
  'ssl.keystore.location': 'ssl.certificate.location and ssl.key.location',
  'ssl.keystore.password': 'ssl.key.password',
};

/** A client property is missing, unknown or malformed. */
export class ClientPropertyError extends TypeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClientPropertyError';
  }
}

export type ClientSecurityOptions = Pick<ConnectionOptions, 'tls' | 'sasl' | 'clientId'>;

/** Parses Java's `sasl.jaas.config`: `<LoginModule> required username="u" password="p";`. */
export function parseJaasConfig(value: string): { module: string; username: string; password: string } {
  const m = /^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\s+([\s\S]*?)\s*;?\s*$/.exec(value);
  if (m === null) throw new ClientPropertyError("sasl.jaas.config: expected '<LoginModule> required username=\"…\" password=\"…\";'");
  const opts = new Map<string, string>();
  // key="quoted value" (backslash escapes) or key=bare
  const re = /([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s;"]+))/g;
  for (let a = re.exec(m[3]!); a !== null; a = re.exec(m[3]!)) opts.set(a[1]!, a[2] !== undefined ? a[2].replace(/\\(.)/g, '$1') : a[3]!);
  const username = opts.get('username');
  const password = opts.get('password');
  if (username === undefined || password === undefined) throw new ClientPropertyError('sasl.jaas.config: username and password are required');
  return { module: m[1]!, username, password };
}

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClientPropertyError(`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/**
 * The TLS / SASL / client id options a set of Kafka client properties asks for.
 * Throws ClientPropertyError for an unknown name (so a typo is not silently a
 * plaintext connection), a bad value or an unreadable file.
 */
export function clientOptionsFromProperties(props: Readonly<Record<string, string>>): ClientSecurityOptions {
  for (const k of Object.keys(props)) {
    if (CLIENT_PROPERTY_NAMES.includes(k)) continue;
    const hint = JKS_HINT[k];
    if (hint !== undefined) throw new ClientPropertyError(`${k}: Java keystores are not read; give PEM files with ${hint}`);
    throw new ClientPropertyError(`unknown client property '${k}' (known: ${CLIENT_PROPERTY_NAMES.join(', ')})`);
  }
  const get = (k: string): string | undefined => {
    const v = props[k];
    return v === undefined ? undefined : v.trim();
  };
  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!(SECURITY_PROTOCOLS as readonly string[]).includes(protocol)) throw new ClientPropertyError(`security.protocol must be one of ${SECURITY_PROTOCOLS.join(', ')}, got '${props['security.protocol']}'`);
  const out: ClientSecurityOptions = {};
  const clientId = get('client.id');
  if (clientId !== undefined && clientId !== '') out.clientId = clientId;
  const ssl = protocol === 'SSL' || protocol === 'SASL_SSL';
  const sasl = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
  if (ssl) {
    const tls: ClientTlsOptions = {};
    const ca = get('ssl.ca.location');
    const cert = get('ssl.certificate.location');
    const key = get('ssl.key.location');
    if (ca !== undefined && ca !== '') tls.ca = readPem('ssl.ca.location', ca);
    if (cert !== undefined && cert !== '') tls.cert = readPem('ssl.certificate.location', cert);
    if (key !== undefined && key !== '') tls.key = readPem('ssl.key.location', key);
    if ((tls.cert === undefined) !== (tls.key === undefined)) throw new ClientPropertyError('ssl.certificate.location and ssl.key.location go together (mutual TLS needs both)');
    const pass = props['ssl.key.password'];
    if (pass !== undefined && pass !== '') tls.passphrase = pass;
    const algo = (get('ssl.endpoint.identification.algorithm') ?? 'https').toLowerCase();
    if (algo === '' || algo === 'none') tls.checkHostname = false;
    else if (algo !== 'https') throw new ClientPropertyError(`ssl.endpoint.identification.algorithm must be https or empty, got '${algo}'`);
    out.tls = tls;
  }
  if (sasl) {
    const mechanism = (get('sasl.mechanism') ?? get('sasl.mechanisms') ?? 'GSSAPI').toUpperCase();
    if (!isSaslMechanism(mechanism)) throw new ClientPropertyError(`sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 for ${protocol}, got '${mechanism}'`);
    let username = props['sasl.username'];
    let password = props['sasl.password'];
    const jaas = props['sasl.jaas.config'];
    if (jaas !== undefined && jaas.trim() !== '') {
      const j = parseJaasConfig(jaas);
      const scramModule = /ScramLoginModule$/.test(j.module);
      const plainModule = /PlainLoginModule$/.test(j.module);
      if (!scramModule && !plainModule) throw new ClientPropertyError(`sasl.jaas.config: ${j.module} is not supported (PlainLoginModule or ScramLoginModule)`);
      if (scramModule !== (mechanism !== 'PLAIN')) throw new ClientPropertyError(`sasl.jaas.config: ${j.module} does not go with sasl.mechanism=${mechanism}`);
      username ??= j.username;
      password ??= j.password;
    }
    if (username === undefined || username.trim() === '' || password === undefined) {
      throw new ClientPropertyError(`${protocol} needs a user: sasl.username and sasl.password, or sasl.jaas.config`);
    }
    out.sasl = { mechanism: mechanism as SaslMechanism, username: username.trim(), password };
  }
  return out;
}
