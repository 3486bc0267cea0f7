// The SCRAM user store: per user and mechanism, the salted credential (salt,
// iterations, StoredKey, ServerKey) — never a password. Kept in memory and, for a
// broker, in `<data dir>/meta/scram-credentials.json`, replaced atomically and
// durably on every change (storage/durable-file.ts).
// Owns: the file's format, its validation on load, and the bounds on its size.
// Must not derive credentials (scram.ts does) nor log anything it holds.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { readJsonStore } from './json-store.js';
import { dirname, join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';
import { CLEAN_SHUTDOWN_FILE } from '../storage/clean-shutdown.js';
import { SCRAM_HASHES, SCRAM_MECHANISMS, type ScramCredential, type ScramMechanism, isScramMechanism } from './scram.js';

export const USER_STORE_FILE = 'scram-credentials.json';
/** Users the store holds at most (each change rewrites the file, so it stays small). */
export const USERS_MAX = 10_000;
/** Longest user name accepted (Kafka's admin tools bound nothing; a name is a few dozen chars). */
export const USER_NAME_CHARS_MAX = 256;
const FILE_VERSION = 1;

/** A user name Samsa stores: 1-256 characters, no control characters. */
export function isValidUserName(name: string): boolean {
  return name.length >= 1 && name.length <= USER_NAME_CHARS_MAX && !/[\x00-\x1f\x7f]/.test(name);
}

interface StoredCredentialJson {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

/** A store file that cannot be used: the message names the file and the entry, never key material. */
export class UserStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserStoreError';
  }
}

export class UserStore {
  private readonly users = new Map<string, Map<ScramMechanism, ScramCredential>>();

  /** `file` null: in memory only (embedding without a data directory, tests). */
  private constructor(private readonly file: string | null) {}

  static inMemory(): UserStore {
    return new UserStore(null);
  }

  /** Opens (or starts) the store under `metaDir`; throws UserStoreError on a damaged file. */
  static open(metaDir: string): UserStore {
    mkdirSync(metaDir, { recursive: true });
    const store = new UserStore(join(metaDir, USER_STORE_FILE));
    store.load();
    return store;
  }

  /**
   * The store of a broker that is not running, for `samsa users --data-dir`: a new or
   * empty directory, one that holds only this store (users added before the first
   * start: a broker that started would have made meta/topics), or one whose broker
   * stopped cleanly (the marker is there). A running broker removed the marker at
   * start and would not see the change.
   */
  static openStopped(dataDir: string): UserStore {
    const entries = existsSync(dataDir) ? readdirSync(dataDir) : [];
    const metaDir = join(dataDir, 'meta');
    const onlyUsers = entries.every((e) => e === 'meta') && (!existsSync(metaDir) || readdirSync(metaDir).every((e) => e === USER_STORE_FILE));
    if (!onlyUsers && !existsSync(join(dataDir, CLEAN_SHUTDOWN_FILE))) {
      throw new UserStoreError(`${dataDir} has no clean-shutdown marker: a broker may be running on it (change users through it with -b), or it stopped uncleanly (start and stop it once)`);
    }
    return UserStore.open(join(dataDir, 'meta'));
  }

  private load(): void {
    const file = this.file!;
    const parsed = readJsonStore(file, (m) => new UserStoreError(m));
    if (parsed === undefined) return;
    const root = parsed as { version?: unknown; users?: unknown };
    if (typeof root !== 'object' || root === null || root.version !== FILE_VERSION || typeof root.users !== 'object' || root.users === null) {
      throw new UserStoreError(`${file}: expected {"version": ${FILE_VERSION}, "users": {...}}`);
    }
    const entries = Object.entries(root.users as Record<string, unknown>);
    if (entries.length > USERS_MAX) throw new UserStoreError(`${file}: more than ${USERS_MAX} users`);
    for (const [user, mechs] of entries) {
      if (!isValidUserName(user) || typeof mechs !== 'object' || mechs === null) throw new UserStoreError(`${file}: bad entry for a user`);
      for (const [mech, raw] of Object.entries(mechs as Record<string, unknown>)) {
        if (!isScramMechanism(mech)) throw new UserStoreError(`${file}: unknown mechanism ${JSON.stringify(mech.slice(0, 32))}`);
        this.setInMemory(user, mech, parseCredential(file, mech, raw));
      }
    }
  }

  private setInMemory(user: string, mechanism: ScramMechanism, cred: ScramCredential): void {
    let m = this.users.get(user);
    if (m === undefined) {
      m = new Map();
      this.users.set(user, m);
    }
    m.set(mechanism, cred);
  }

  get(user: string, mechanism: ScramMechanism): ScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Users with at least one credential, sorted. */
  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  /** A user's mechanisms and iterations (what DescribeUserScramCredentials shows). */
  describe(user: string): Array<{ mechanism: ScramMechanism; iterations: number }> {
    const m = this.users.get(user);
    if (m === undefined) return [];
    return SCRAM_MECHANISMS.filter((x) => m.has(x)).map((x) => ({ mechanism: x, iterations: m.get(x)!.iterations }));
  }

  /** Applies a batch of changes and persists once. Throws UserStoreError past USERS_MAX. */
  apply(changes: ReadonlyArray<{ user: string; mechanism: ScramMechanism; credential: ScramCredential | null }>): void {
    const added = new Set(changes.filter((c) => c.credential !== null && !this.users.has(c.user)).map((c) => c.user));
    if (this.users.size + added.size > USERS_MAX) throw new UserStoreError(`the store holds at most ${USERS_MAX} users`);
    const before = this.snapshot();
    for (const c of changes) {
      if (c.credential !== null) this.setInMemory(c.user, c.mechanism, c.credential);
      else {
        const m = this.users.get(c.user);
        m?.delete(c.mechanism);
        if (m !== undefined && m.size === 0) this.users.delete(c.user);
      }
    }
    try {
      this.persist();
    } catch (err) {
      // Memory must not claim what the disk does not hold.
      this.restore(before);
      throw err;
    }
  }

  private snapshot(): Map<string, Map<ScramMechanism, ScramCredential>> {
    return new Map([...this.users].map(([u, m]) => [u, new Map(m)]));
  }

  private restore(s: Map<string, Map<ScramMechanism, ScramCredential>>): void {
    this.users.clear();
    for (const [u, m] of s) this.users.set(u, m);
  }

  private persist(): void {
    if (this.file === null) return;
    const users: Record<string, Record<string, StoredCredentialJson>> = {};
    for (const [u, m] of this.users) {
      users[u] = {};
      for (const [mech, c] of m) {
        users[u][mech] = { salt: c.salt.toString('base64'), iterations: c.iterations, storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64') };
      }
    }
    writeFileDurably(this.file, dirname(this.file), JSON.stringify({ version: FILE_VERSION, users }, null, 1));
  }
}

function parseCredential(file: string, mechanism: ScramMechanism, raw: unknown): ScramCredential {
  const r = raw as Partial<StoredCredentialJson> | null;
  const keyBytes = SCRAM_HASHES[mechanism].keyBytes;
  const b64 = (v: unknown): Buffer | null => (typeof v === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(v) ? Buffer.from(v, 'base64') : null);
  const salt = b64(r?.salt);
  const storedKey = b64(r?.storedKey);
  const serverKey = b64(r?.serverKey);
  const iterations = r?.iterations;
  if (salt === null || salt.byteLength === 0 || storedKey?.byteLength !== keyBytes || serverKey?.byteLength !== keyBytes || typeof iterations !== 'number' || !Number.isInteger(iterations) || iterations < 1) {
    throw new UserStoreError(`${file}: a ${mechanism} credential is malformed`);
  }
  return { salt, iterations, storedKey, serverKey };
}
