// `samsa users add|list|delete`: SCRAM users, through a running broker with
// AlterUserScramCredentials / DescribeUserScramCredentials (what
// `kafka-configs --alter --add-config 'SCRAM-SHA-256=[...]'` sends), or, with
// --data-dir, straight into a stopped broker's store to create the first user
// (as `kafka-storage format --add-scram` does).
// Owns: the arguments and outputs of these commands. Must not log or print a
// password; passwords come from stdin or a file, never from the command line.

import { appendFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { Option } from 'commander';
import { Connection } from '../../client/connection.js';
import { UserStore, UserStoreError } from '../../security/user-store.js';
import {
  SCRAM_HASHES,
  SCRAM_ITERATIONS_DEFAULT,
  SCRAM_ITERATIONS_MAX,
  SCRAM_ITERATIONS_MIN,
  SCRAM_MECHANISMS,
  SCRAM_SALT_BYTES,
  type ScramMechanism,
  credentialFromSaltedPassword,
  saltPassword,
  scramMechanismByCode,
} from '../../security/scram.js';
import { UsageError, bootstrapOption, clientOptions, connectFailure, finish, jsonLine, parseIntArg, writeOut } from '../common.js';
import { tokenLine } from '../../security/http-auth.js';

const API_DESCRIBE_USER_SCRAM_CREDENTIALS = 50;
const API_ALTER_USER_SCRAM_CREDENTIALS = 51;
/** A password read from stdin or a file: the first line, at most this long. */
const PASSWORD_CHARS_MAX = 1024;

interface CommonOpts {
  bootstrap: string;
  dataDir?: string;
}

function mechanismsFrom(raw: string | undefined): ScramMechanism[] {
  if (raw === undefined || raw === 'both') return [...SCRAM_MECHANISMS];
  const m = raw.toUpperCase();
  if (!(SCRAM_MECHANISMS as readonly string[]).includes(m)) throw new UsageError(`--mechanism must be SCRAM-SHA-256, SCRAM-SHA-512 or both, got '${raw}'`);
  return [m as ScramMechanism];
}

async function readPassword(file: string | undefined): Promise<string> {
  let text: string;
  if (file !== undefined) {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new UsageError(`--password-file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  } else {
    if (process.stdin.isTTY === true) process.stderr.write('password (one line on stdin): ');
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      total += chunk.byteLength;
      if (total > PASSWORD_CHARS_MAX * 4 || chunk.includes(10)) break;
    }
    text = Buffer.concat(chunks).toString('utf8');
  }
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw new UsageError('the password is empty (give it as the first line of stdin or of --password-file)');
  if (password.length > PASSWORD_CHARS_MAX) throw new UsageError(`the password is longer than ${PASSWORD_CHARS_MAX} characters`);
  return password;
}

/** The store of a broker that is not running (a fresh directory, or one stopped cleanly). */
function offlineStore(dataDir: string): UserStore {
  try {
    return UserStore.openStopped(dataDir);
  } catch (err) {
    if (err instanceof UserStoreError) throw new UsageError(err.message);
    throw err;
  }
}

async function openConnection(o: CommonOpts): Promise<Connection> {
  try {
    // The Node entry registers the TCP (and TLS) transport the client opens.
    await import('../../client/node.js');
    return await Connection.open(clientOptions(o.bootstrap));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw connectFailure(o.bootstrap, err);
  }
}

interface AlterResponse {
  results: Array<{ user: string; errorCode: number; errorMessage: string | null }>;
}
interface DescribeResponse {
  errorCode: number;
  errorMessage: string | null;
  results: Array<{ user: string; errorCode: number; errorMessage: string | null; credentialInfos: Array<{ mechanism: number; iterations: number }> }>;
}

function checkAlter(r: AlterResponse): void {
  const bad = r.results.filter((x) => x.errorCode !== 0);
  if (bad.length > 0) throw new Error(bad.map((x) => `${x.user}: ${x.errorMessage ?? `error ${x.errorCode}`}`).join('; '));
}

function withCommon(cmd: Command): Command {
  return cmd
    .addOption(bootstrapOption())
    .option('--data-dir <dir>', 'change the store of a stopped broker directly (to create the first user)');
}

export function registerUsers(program: Command): void {
  const users = program.command('users').description('SCRAM users (SASL/SCRAM-SHA-256, SCRAM-SHA-512 and PLAIN logins)');

  withCommon(users.command('add <name>'))
    .description('create or change a user; the password is the first line of stdin (or --password-file)')
    .addOption(new Option('--mechanism <m>', 'SCRAM-SHA-256, SCRAM-SHA-512 or both').default('both'))
    .option('--iterations <n>', `PBKDF2 iterations (${SCRAM_ITERATIONS_MIN}-${SCRAM_ITERATIONS_MAX})`, String(SCRAM_ITERATIONS_DEFAULT))
    .option('--password-file <file>', 'read the password from the first line of this file')
    .action(async (name: string, o: CommonOpts & { mechanism: string; iterations: string; passwordFile?: string }) => {
      const mechanisms = mechanismsFrom(o.mechanism);
      const iterations = parseIntArg('--iterations', o.iterations, SCRAM_ITERATIONS_MIN, SCRAM_ITERATIONS_MAX);
      const password = await readPassword(o.passwordFile);
      const upserts = await Promise.all(
        mechanisms.map(async (mechanism) => {
          const salt = randomBytes(SCRAM_SALT_BYTES);
          return { mechanism, salt, saltedPassword: await saltPassword(mechanism, password, salt, iterations) };
        }),
      );
      if (o.dataDir !== undefined) {
        offlineStore(o.dataDir).apply(upserts.map((u) => ({ user: name, mechanism: u.mechanism, credential: credentialFromSaltedPassword(u.mechanism, u.salt, iterations, u.saltedPassword) })));
      } else {
        const conn = await openConnection(o);
        try {
          checkAlter(
            await conn.request<AlterResponse>(API_ALTER_USER_SCRAM_CREDENTIALS, {
              deletions: [],
              upsertions: upserts.map((u) => ({ name, mechanism: SCRAM_HASHES[u.mechanism].code, iterations, salt: u.salt, saltedPassword: u.saltedPassword })),
            }),
          );
        } finally {
          conn.close();
        }
      }
      await writeOut(`user ${name}: ${mechanisms.join(', ')} (${iterations} iterations)\n`);
      await finish(0);
    });

  withCommon(users.command('list'))
    .description('users and their SCRAM mechanisms')
    .option('--json', 'print JSON')
    .action(async (o: CommonOpts & { json?: boolean }) => {
      let rows: Array<{ user: string; mechanisms: Array<{ mechanism: string; iterations: number }> }>;
      if (o.dataDir !== undefined) {
        const store = offlineStore(o.dataDir);
        rows = store.userNames().map((user) => ({ user, mechanisms: store.describe(user) }));
      } else {
        const conn = await openConnection(o);
        try {
          const r = await conn.request<DescribeResponse>(API_DESCRIBE_USER_SCRAM_CREDENTIALS, { users: null });
          if (r.errorCode !== 0) throw new Error(r.errorMessage ?? `DescribeUserScramCredentials failed with error ${r.errorCode}`);
          rows = r.results.map((x) => ({ user: x.user, mechanisms: x.credentialInfos.map((c) => ({ mechanism: scramMechanismByCode(c.mechanism) ?? `unknown(${c.mechanism})`, iterations: c.iterations })) }));
        } finally {
          conn.close();
        }
      }
      if (o.json === true) await writeOut(jsonLine(rows));
      else await writeOut(rows.map((r) => `${r.user}\t${r.mechanisms.map((m) => `${m.mechanism}(${m.iterations})`).join(' ')}\n`).join(''));
      await finish(0);
    });

  users
    .command('token <name>')
    .description('make a bearer token for the HTTP port: prints it once, appends only its SHA-256 to --tokens-file (http.auth.tokens.location)')
    .requiredOption('--tokens-file <file>', 'the broker\'s http.auth.tokens.location')
    .action(async (name: string, o: { tokensFile: string }) => {
      if (!/^[^\s:]+$/.test(name)) throw new UsageError(`a token names a user without spaces or ':', got '${name}'`);
      const token = randomBytes(32).toString('base64url');
      try {
        appendFileSync(o.tokensFile, tokenLine(`User:${name}`, token), { mode: 0o600 });
      } catch (err) {
        throw new UsageError(`--tokens-file: cannot write ${o.tokensFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      await writeOut(`${token}\n`);
      await finish(0);
    });

  withCommon(users.command('delete <name>'))
    .description("remove a user's SCRAM credentials")
    .addOption(new Option('--mechanism <m>', 'SCRAM-SHA-256, SCRAM-SHA-512 or both (the ones it has)').default('both'))
    .action(async (name: string, o: CommonOpts & { mechanism: string }) => {
      const wanted = mechanismsFrom(o.mechanism);
      let present: ScramMechanism[];
      if (o.dataDir !== undefined) {
        const store = offlineStore(o.dataDir);
        present = wanted.filter((m) => store.get(name, m) !== undefined);
        if (present.length === 0) throw new UsageError(`user ${name} has no ${wanted.join(' or ')} credential`);
        store.apply(present.map((mechanism) => ({ user: name, mechanism, credential: null })));
      } else {
        const conn = await openConnection(o);
        try {
          const d = await conn.request<DescribeResponse>(API_DESCRIBE_USER_SCRAM_CREDENTIALS, { users: [{ name }] });
          const have = new Set((d.results[0]?.credentialInfos ?? []).map((c) => scramMechanismByCode(c.mechanism)));
          present = wanted.filter((m) => have.has(m));
          if (present.length === 0) throw new UsageError(`user ${name} has no ${wanted.join(' or ')} credential`);
          checkAlter(await conn.request<AlterResponse>(API_ALTER_USER_SCRAM_CREDENTIALS, { deletions: present.map((m) => ({ name, mechanism: SCRAM_HASHES[m].code })), upsertions: [] }));
        } finally {
          conn.close();
        }
      }
      await writeOut(`user ${name}: deleted ${present.join(', ')}\n`);
      await finish(0);
    });
}
