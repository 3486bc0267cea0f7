// `--command-config FILE` for the CLI's broker connections, as Kafka's tools take it:
// a properties file with librdkafka-style client settings — security.protocol,
// sasl.mechanism, sasl.username, sasl.password, ssl.ca.location,
// ssl.certificate.location, ssl.key.location, ssl.key.password — turned into the
// client's TLS options and a SASL login (SaslHandshake + SaslAuthenticate).
// Owns: reading that file and the login. Passwords stay in the file (never on the
// command line, where `ps` shows them) and never appear in an error message.
// Must not implement SCRAM (security/scram.ts does).

import { readFileSync } from 'node:fs';
import type { Connection, ConnectionOptions } from '../client/connection.js';
import type { ClientTlsOptions } from '../client/transport.js';
import { readConfigFile } from '../config/config.js';
import { ScramClient, isScramMechanism } from '../security/scram.js';
import { UsageError } from './common.js';

const SASL_HANDSHAKE = 17;
const SASL_AUTHENTICATE = 36;
const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];
const KNOWN_KEYS = new Set([
  'security.protocol',
  'sasl.mechanism',
  'sasl.mechanisms',
  'sasl.username',
  'sasl.password',
  'ssl.ca.location',
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.endpoint.identification.algorithm',
]);

function readPem(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--command-config: ${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** The TLS and SASL parts of the client options a --command-config file asks for. */
export function securityOptions(file: string | undefined): Pick<ConnectionOptions, 'tls' | 'authenticate'> {
  if (file === undefined) return {};
  let raw: Record<string, unknown>;
  try {
    raw = readConfigFile(file);
  } catch (err) {
    throw new UsageError(`--command-config: ${(err as Error).message}`);
  }
  const get = (k: string): string | undefined => (raw[k] === undefined ? undefined : String(raw[k]).trim());
  for (const k of Object.keys(raw)) if (!KNOWN_KEYS.has(k)) throw new UsageError(`--command-config ${file}: unknown setting '${k}'`);
  const protocol = (get('security.protocol') ?? 'PLAINTEXT').toUpperCase();
  if (!PROTOCOLS.includes(protocol)) throw new UsageError(`--command-config ${file}: security.protocol must be one of ${PROTOCOLS.join(', ')}`);
  const out: Pick<ConnectionOptions, 'tls' | 'authenticate'> = {};
  if (protocol === 'SSL' || protocol === 'SASL_SSL') {
    const tls: ClientTlsOptions = {};
    const ca = get('ssl.ca.location');
    const cert = get('ssl.certificate.location');
    const key = get('ssl.key.location');
    const pass = get('ssl.key.password');
    if (ca !== undefined) tls.ca = readPem('ssl.ca.location', ca);
    if (cert !== undefined) tls.cert = readPem('ssl.certificate.location', cert);
    if (key !== undefined) tls.key = readPem('ssl.key.location', key);
    if (pass !== undefined) tls.passphrase = pass;
    out.tls = tls;
  }
  if (protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL') {
    const mechanism = (get('sasl.mechanism') ?? get('sasl.mechanisms') ?? '').toUpperCase();
    const user = get('sasl.username');
    const password = raw['sasl.password'] === undefined ? undefined : String(raw['sasl.password']);
    if (mechanism !== 'PLAIN' && !isScramMechanism(mechanism)) throw new UsageError(`--command-config ${file}: sasl.mechanism must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`);
    if (user === undefined || user === '' || password === undefined) throw new UsageError(`--command-config ${file}: sasl.username and sasl.password are required for ${protocol}`);
    out.authenticate = (conn) => saslLogin(conn, mechanism, user, password);
  }
  return out;
}

interface HandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}
interface AuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Uint8Array;
}

/** SaslHandshake then SaslAuthenticate (one round for PLAIN, two for SCRAM). */
export async function saslLogin(conn: Connection, mechanism: string, user: string, password: string): Promise<void> {
  const hs = await conn.request<HandshakeResponse>(SASL_HANDSHAKE, { mechanism });
  if (hs.errorCode !== 0) throw new Error(`SASL handshake refused ${mechanism} (the broker offers ${hs.mechanisms.join(', ') || 'none'})`);
  const authenticate = async (bytes: Uint8Array): Promise<Uint8Array> => {
    const r = await conn.request<AuthenticateResponse>(SASL_AUTHENTICATE, { authBytes: bytes });
    if (r.errorCode !== 0) throw new Error(`SASL authentication failed: ${r.errorMessage ?? `error ${r.errorCode}`}`);
    return r.authBytes;
  };
  if (!isScramMechanism(mechanism)) {
    await authenticate(Buffer.from(`\0${user}\0${password}`, 'utf8'));
    return;
  }
  const scram = new ScramClient(mechanism, user, password);
  const serverFirst = await authenticate(scram.firstMessage());
  const serverFinal = await authenticate(await scram.finalMessage(serverFirst));
  if (!scram.verifyServerFinal(serverFinal)) throw new Error('SASL authentication: the broker did not prove it knows the credential');
}
