// Shared pieces of the `samsa` subcommands: the usage error (exit 2), the
// `-b/--bootstrap` option, argument parsers that reject bad input with one line,
// connecting a client with a clear "cannot connect" error, and finishing a command
// (stdout drained, then exit). Owns: the CLI's error vocabulary and exit codes.
// Must not implement a command (src/cli/commands/) nor touch the broker's internals.
//
// Exit codes: 0 ok, 1 runtime failure (cannot connect, a Kafka error), 2 bad usage.

import { Option } from 'commander';
// Not the client's index: main.ts loads this module for every command, and `serve`
// needs only the error classes (the Admin is loaded when a command connects).
import type { Admin } from '../client/admin.js';
import type { ConnectionOptions } from '../client/connection.js';
import type { ClientSecurityOptions } from '../client/kafka-properties.js';
import { AuthenticationError, ConnectionError, KafkaError, errorName } from '../client/errors.js';
import { parseBootstrapList } from '../client/transport.js';

/** Bad usage: main prints `samsa: <message>` and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const BOOTSTRAP_DEFAULT = 'localhost:9092';
/** How long the CLI waits for a TCP connection before calling the broker unreachable. */
export const CONNECT_TIMEOUT_MS = 5000;

/** `-b, --bootstrap HOST:PORT`, default localhost:9092 or $SAMSA_BOOTSTRAP. */
export function bootstrapOption(): Option {
  return new Option('-b, --bootstrap <host:port>', 'broker address').env('SAMSA_BOOTSTRAP').default(BOOTSTRAP_DEFAULT);
}

/** Checks "host:port[,host:port…]" (IPv6 as "[::1]:9092"); a usage error otherwise. */
export function checkBootstrap(bootstrap: string, flag = '--bootstrap'): string {
  try {
    parseBootstrapList(bootstrap);
  } catch {
    throw new UsageError(`${flag} must be HOST:PORT[,HOST:PORT…], got '${bootstrap}'`);
  }
  return bootstrap;
}

/**
 * TLS / SASL of this run's broker connections, from --command-config and -X (set once
 * by main.ts before the command's action runs: one process runs one command, so
 * every connection a command opens gets them without each command passing them on).
 */
let cliSecurity: ClientSecurityOptions = {};

export function setCliSecurity(s: ClientSecurityOptions): void {
  cliSecurity = s;
}

/** The TLS / SASL options of this run (empty for PLAINTEXT). */
export function cliSecurityOptions(): ClientSecurityOptions {
  return cliSecurity;
}

/** Client options the CLI uses for every connection. */
export function clientOptions(bootstrap: string): ConnectionOptions {
  return { bootstrap: checkBootstrap(bootstrap), clientId: 'samsa-cli', connectTimeoutMs: CONNECT_TIMEOUT_MS, ...cliSecurity };
}

/** An integer argument in [min, max]; a usage error naming the flag otherwise. */
export function parseIntArg(flag: string, raw: string, min: number, max: number): number {
  const v = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new UsageError(`${flag} must be an integer in [${min}, ${max}], got '${raw}'`);
  return v;
}

/** A finite number argument in (0, max]; a usage error otherwise. */
export function parsePositiveNumberArg(flag: string, raw: string, max: number): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || v <= 0 || v > max) throw new UsageError(`${flag} must be a number in (0, ${max}], got '${raw}'`);
  return v;
}

/** A finite number argument in [min, max]; a usage error otherwise. */
export function parseNumberArg(flag: string, raw: string, min: number, max: number): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new UsageError(`${flag} must be a number in [${min}, ${max}], got '${raw}'`);
  return v;
}

/** Splits "key=value" at the first '='; the key must not be empty. */
export function parseKeyValue(flag: string, raw: string): { key: string; value: string } {
  const i = raw.indexOf('=');
  if (i <= 0) throw new UsageError(`${flag} expects key=value, got '${raw}'`);
  return { key: raw.slice(0, i), value: raw.slice(i + 1) };
}

/** commander collector for a repeatable option (`-c a=1 -c b=2`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** -1, 0 or 1. */
export function parseAcks(raw: string): -1 | 0 | 1 {
  if (raw === '-1' || raw === 'all') return -1;
  if (raw === '0') return 0;
  if (raw === '1') return 1;
  throw new UsageError(`--acks must be -1, 0 or 1, got '${raw}'`);
}

/**
 * One line for an error a command could not handle: Kafka errors keep their
 * message (it names the code), connection failures name the broker.
 */
export function describeFailure(err: unknown, bootstrap: string | null): string {
  if (err instanceof ConnectionError) return `${bootstrap === null ? 'broker' : `broker ${bootstrap}`}: ${err.message}`;
  if (err instanceof KafkaError) {
    const name = errorName(err.code);
    return err.message.includes(name) ? err.message : `${err.message} (${name})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Wraps a connection failure as "cannot connect to HOST:PORT: why". */
export function connectFailure(bootstrap: string, err: unknown): Error {
  // It reached the broker: a refused login names the broker and says what failed.
  if (err instanceof AuthenticationError) return new Error(err.message);
  const why = (err instanceof Error ? err.message : String(err)).replace(/^(tcp|ws|websocket): /, '').replace(/^cannot connect to \S+: /, '');
  return new Error(`cannot connect to ${bootstrap}: ${why}`);
}

/** An Admin that has talked to the broker once (so "cannot connect" shows first, and alone). */
export async function connectAdmin(bootstrap: string): Promise<Admin> {
  // Client modules are loaded one by one (start-up time): node.js registers TCP and
  // the Node codecs for them. Not imported at the top: `serve` loads this module too,
  // and the client's modules (and the native CRC's) were on its path to spawning shards.
  await import('../client/node.js');
  const { Admin: AdminClient } = await import('../client/admin.js');
  const admin = new AdminClient(clientOptions(bootstrap));
  try {
    await admin.describeCluster();
  } catch (err) {
    await admin.close();
    throw connectFailure(bootstrap, err);
  }
  return admin;
}

/** Runs `fn` with a connected Admin and closes it after. */
export async function withAdmin<T>(bootstrap: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = await connectAdmin(bootstrap);
  try {
    return await fn(admin);
  } finally {
    await admin.close();
  }
}

/** Writes to stdout and resolves once the stream has taken it (backpressure). */
export function writeOut(text: string | Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    process.stdout.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Ends a command: waits for stdout to drain, then exits with `code`. Commands exit
 * explicitly so that a client's idle handle can never keep the process alive.
 */
export async function finish(code = 0): Promise<never> {
  await writeOut('');
  process.exit(code);
}

/** Pretty JSON for --json outputs: one object, one trailing newline. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Exit quietly when the reader of stdout goes away (`samsa consume ... | head`). */
export function exitOnBrokenPipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`samsa: stdout: ${err.message}\n`);
    process.exit(1);
  });
}
