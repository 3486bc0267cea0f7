// Test certificates made with `openssl` into a temporary directory: a CA, a server
// certificate for localhost/127.0.0.1 signed by it, client certificates signed by it,
// one signed by another CA, and an encrypted copy of the server key. Nothing here is
// committed; every test makes its own and deletes the directory.
// Owns: test-only helpers. Must not be imported from src/.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL_MISSING = spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0;

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** The server key encrypted with `encryptedKeyPassword`. */
  serverKeyEncrypted: string;
  encryptedKeyPassword: string;
  /** Signed by the CA: subject CN=alice,OU=eng,O=Samsa Test. */
  clientCert: string;
  clientKey: string;
  /** Signed by another CA the broker does not trust: subject CN=mallory. */
  strangerCert: string;
  strangerKey: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function ecKey(dir: string, name: string): string {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
  return join(dir, name);
}

function signed(dir: string, name: string, subject: string, ca: string, caKey: string, ext: string): { cert: string; key: string } {
  const key = ecKey(dir, `${name}.key`);
  openssl(dir, ['req', '-new', '-key', key, '-out', `${name}.csr`, '-subj', subject]);
  writeFileSync(join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key };
}

function selfSignedCa(dir: string, name: string, subject: string): { cert: string; key: string } {
  const key = ecKey(dir, `${name}.key`);
  openssl(dir, ['req', '-x509', '-new', '-key', key, '-out', `${name}.pem`, '-days', '2', '-subj', subject, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { cert: join(dir, `${name}.pem`), key };
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-certs-'));
  const ca = selfSignedCa(dir, 'ca', '/CN=Samsa Test CA');
  const server = signed(dir, 'server', '/CN=localhost', ca.cert, ca.key, 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = signed(dir, 'client', '/O=Samsa Test/OU=eng/CN=alice', ca.cert, ca.key, 'extendedKeyUsage=clientAuth\n');
  const other = selfSignedCa(dir, 'other-ca', '/CN=Other CA');
  const stranger = signed(dir, 'stranger', '/CN=mallory', other.cert, other.key, 'extendedKeyUsage=clientAuth\n');
  const encryptedKeyPassword = 'key-pass-Zq81';
  openssl(dir, ['pkey', '-in', server.key, '-aes256', '-passout', `pass:${encryptedKeyPassword}`, '-out', 'server-enc.key']);
  return {
    dir,
    caCert: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    serverKeyEncrypted: join(dir, 'server-enc.key'),
    encryptedKeyPassword,
    clientCert: client.cert,
    clientKey: client.key,
    strangerCert: stranger.cert,
    strangerKey: stranger.key,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
