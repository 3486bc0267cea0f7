// Client quotas with Kafka's model: values (`producer_byte_rate`,
// `consumer_byte_rate`, `request_percentage`) set on entities made of a user and/or a
// client id, each a name or the default (null); the quota that applies to a request
// is found in Kafka's order of precedence:
//   user+client, user+<default client>, user, <default user>+client,
//   <default user>+<default client>, <default user>, client, <default client>;
// and every client that resolves to the same entity shares its rate.
// Rates are measured as Kafka's sensors measure them: `quota.window.num` samples of
// `quota.window.size.seconds`, the rate being the sum over the samples divided by the
// time they span (at least num − 1 whole windows, so a quiet client may burst). A
// request over its quota is still served in full (data is never dropped); the answer
// carries throttle_time_ms = (rate − quota) / quota × window span, bounded by the
// whole sample span, and the connection is not read again for that long (KIP-219).
// Kept in `<data dir>/meta/client-quotas.json`, replaced atomically and durably.
// Owns: the quota values, their validation and resolution, the rate samplers and the
// throttle time. Must not know the Kafka APIs (kafka/ decides what is recorded).

import { readJsonStore } from './json-store.js';
import { dirname, join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';

export const QUOTA_FILE = 'client-quotas.json';
export const QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];
export const ENTITY_USER = 'user';
export const ENTITY_CLIENT_ID = 'client-id';
/** Entities a broker keeps at most (each change rewrites the file). */
export const QUOTA_ENTITIES_MAX = 10_000;
/** Rate samplers kept at most; the least recently used are forgotten past this. */
const SAMPLERS_MAX = 10_000;

export function isQuotaKey(k: string): k is QuotaKey {
  return (QUOTA_KEYS as readonly string[]).includes(k);
}

/** A quota entity: a user and/or a client id; null = the default; undefined = not part of it. */
export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
}

export interface QuotaEntry {
  readonly entity: QuotaEntity;
  readonly values: Readonly<Partial<Record<QuotaKey, number>>>;
}

export interface QuotaSettings {
  /** quota.window.num: samples kept (Kafka's default 11). */
  readonly windowNum: number;
  /** quota.window.size.seconds, in ms (Kafka's default 1 s). */
  readonly windowSizeMs: number;
}

export const DEFAULT_QUOTA_SETTINGS: QuotaSettings = { windowNum: 11, windowSizeMs: 1000 };

export class QuotaStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuotaStoreError';
  }
}

function entityKey(e: QuotaEntity): string {
  const part = (v: string | null | undefined): string => (v === undefined ? '-' : v === null ? '<default>' : `=${v}`);
  return `${part(e.user)}\0${part(e.clientId)}`;
}

/** Why a value is refused for a key, or null. Byte rates are whole bytes per second; percentages positive. */
export function validateQuotaValue(key: QuotaKey, value: number): string | null {
  if (!Number.isFinite(value) || value <= 0) return `${key} must be a positive number, got ${value}`;
  if (key !== 'request_percentage' && !Number.isInteger(value)) return `${key} must be a whole number of bytes per second, got ${value}`;
  return null;
}

/** Kafka's Rate over a SampledStat: `windowNum` samples; a new one opens when the current is a window old. */
class RateSampler {
  private readonly starts: number[];
  private readonly totals: number[];
  private current = 0;
  lastUsedMs = 0;

  constructor(private readonly s: QuotaSettings, nowMs: number) {
    this.starts = new Array<number>(s.windowNum).fill(nowMs);
    this.totals = new Array<number>(s.windowNum).fill(0);
  }

  /** Samples older than the whole span are reset (Kafka's purgeObsoleteSamples). */
  private purge(nowMs: number): void {
    const span = this.s.windowNum * this.s.windowSizeMs;
    for (let i = 0; i < this.s.windowNum; i++) {
      if (nowMs - this.starts[i]! >= span) {
        this.starts[i] = nowMs;
        this.totals[i] = 0;
      }
    }
  }

  record(value: number, nowMs: number): void {
    this.purge(nowMs);
    if (nowMs - this.starts[this.current]! >= this.s.windowSizeMs) {
      this.current = (this.current + 1) % this.s.windowNum;
      this.starts[this.current] = nowMs;
      this.totals[this.current] = 0;
    }
    this.totals[this.current]! += value;
    this.lastUsedMs = nowMs;
  }

  /** The time the samples span, in ms: Kafka's Rate.windowSize (at least num − 1 whole windows). */
  spanMs(nowMs: number): number {
    let oldest = nowMs;
    for (const start of this.starts) oldest = Math.min(oldest, start);
    let elapsed = nowMs - oldest;
    const fullWindows = Math.floor(elapsed / this.s.windowSizeMs);
    if (fullWindows < this.s.windowNum - 1) elapsed += (this.s.windowNum - 1 - fullWindows) * this.s.windowSizeMs;
    return elapsed;
  }

  /** Units per second over the samples. */
  rate(nowMs: number): number {
    this.purge(nowMs);
    let total = 0;
    for (const t of this.totals) total += t;
    return (total * 1000) / this.spanMs(nowMs);
  }
}

/** What a request is measured against: the entity its quota was found on, and the value. */
export interface AppliedQuota {
  readonly key: string;
  readonly quota: number;
}

export class QuotaManager {
  private readonly entries = new Map<string, QuotaEntry>();
  private readonly samplers = new Map<string, RateSampler>();

  /** `file` null: in memory only. */
  private constructor(
    private readonly file: string | null,
    readonly settings: QuotaSettings,
  ) {}

  static inMemory(settings: QuotaSettings = DEFAULT_QUOTA_SETTINGS): QuotaManager {
    return new QuotaManager(null, settings);
  }

  static open(metaDir: string, settings: QuotaSettings = DEFAULT_QUOTA_SETTINGS): QuotaManager {
    const q = new QuotaManager(join(metaDir, QUOTA_FILE), settings);
    q.load();
    return q;
  }

  /** True when at least one quota is set: only then is anything measured. */
  get active(): boolean {
    return this.entries.size > 0;
  }

  private load(): void {
    const file = this.file!;
    const read = readJsonStore(file, (m) => new QuotaStoreError(m));
    if (read === undefined) return;
    const parsed = read as { version?: unknown; entries?: unknown } | null;
    if (parsed?.version !== 1 || !Array.isArray(parsed.entries) || parsed.entries.length > QUOTA_ENTITIES_MAX) throw new QuotaStoreError(`${file}: expected {"version": 1, "entries": [...]}`);
    for (const raw of parsed.entries as Array<{ entity?: { user?: unknown; clientId?: unknown }; values?: Record<string, unknown> }>) {
      const ent = raw?.entity ?? {};
      const name = (v: unknown): string | null | undefined => (v === undefined ? undefined : v === null ? null : String(v));
      const entity: QuotaEntity = { ...(ent.user !== undefined ? { user: name(ent.user) } : {}), ...(ent.clientId !== undefined ? { clientId: name(ent.clientId) } : {}) };
      if (entity.user === undefined && entity.clientId === undefined) throw new QuotaStoreError(`${file}: an entry names no entity`);
      const values: Partial<Record<QuotaKey, number>> = {};
      for (const [k, v] of Object.entries(raw.values ?? {})) {
        if (!isQuotaKey(k) || typeof v !== 'number' || validateQuotaValue(k, v) !== null) throw new QuotaStoreError(`${file}: bad quota ${JSON.stringify(k)}`);
        values[k] = v;
      }
      this.entries.set(entityKey(entity), { entity, values });
    }
  }

  /** Every entity with its values. */
  all(): QuotaEntry[] {
    return [...this.entries.values()];
  }

  /**
   * Sets (number) or removes (null) values per entity, all at once and durably.
   * Validation is the caller's (validateQuotaValue); throws QuotaStoreError past the bound.
   */
  alter(changes: ReadonlyArray<{ entity: QuotaEntity; values: Readonly<Record<string, number | null>> }>): void {
    const next = new Map(this.entries);
    for (const c of changes) {
      const k = entityKey(c.entity);
      const values: Partial<Record<QuotaKey, number>> = { ...(next.get(k)?.values ?? {}) };
      for (const [key, v] of Object.entries(c.values)) {
        if (!isQuotaKey(key)) continue;
        if (v === null) delete values[key];
        else values[key] = v;
      }
      if (Object.keys(values).length === 0) next.delete(k);
      else next.set(k, { entity: c.entity, values });
    }
    if (next.size > QUOTA_ENTITIES_MAX) throw new QuotaStoreError(`a broker keeps at most ${QUOTA_ENTITIES_MAX} quota entities`);
    if (this.file !== null) writeFileDurably(this.file, dirname(this.file), JSON.stringify({ version: 1, entries: [...next.values()] }, null, 1));
    this.entries.clear();
    for (const [k, v] of next) this.entries.set(k, v);
    // Rates measured against an entity whose quota changed start over, as in Kafka.
    this.samplers.clear();
  }

  /** The quota for `key` that applies to (user, clientId), in Kafka's order of precedence. */
  resolve(user: string, clientId: string, key: QuotaKey): AppliedQuota | null {
    const order: QuotaEntity[] = [
      { user, clientId },
      { user, clientId: null },
      { user },
      { user: null, clientId },
      { user: null, clientId: null },
      { user: null },
      { clientId },
      { clientId: null },
    ];
    for (const e of order) {
      const entry = this.entries.get(entityKey(e));
      const v = entry?.values[key];
      if (v !== undefined) {
        // The rate is shared by everyone resolving to this entity: a named part stays
        // named, a default part is filled with the requester's own name (Kafka's tags).
        const who: QuotaEntity = {
          ...(e.user !== undefined ? { user } : {}),
          ...(e.clientId !== undefined ? { clientId } : {}),
        };
        return { key: `${key}\0${entityKey(who)}`, quota: v };
      }
    }
    return null;
  }

  private sampler(key: string, nowMs: number): RateSampler {
    let s = this.samplers.get(key);
    if (s === undefined) {
      if (this.samplers.size >= SAMPLERS_MAX) {
        let oldestKey = '';
        let oldest = Infinity;
        for (const [k, v] of this.samplers) {
          if (v.lastUsedMs < oldest) {
            oldest = v.lastUsedMs;
            oldestKey = k;
          }
        }
        this.samplers.delete(oldestKey);
      }
      s = new RateSampler(this.settings, nowMs);
      this.samplers.set(key, s);
    }
    return s;
  }

  /**
   * Records `amount` (bytes, or percent-ms of thread time for request_percentage)
   * against the applied quota and returns the throttle time in ms (0 = within quota).
   */
  record(applied: AppliedQuota, amount: number, nowMs: number, maxThrottleMs = this.settings.windowNum * this.settings.windowSizeMs): number {
    const s = this.sampler(applied.key, nowMs);
    s.record(amount, nowMs);
    const rate = s.rate(nowMs);
    if (rate <= applied.quota) return 0;
    const throttle = ((rate - applied.quota) / applied.quota) * s.spanMs(nowMs);
    return Math.min(Math.ceil(throttle), maxThrottleMs);
  }

  /** Kafka's request quota bound: one window (ClientRequestQuotaManager.maxThrottleTimeMs). */
  get requestThrottleMaxMs(): number {
    return this.settings.windowSizeMs;
  }

  /** Takes back what `record` added (a throttled fetch answers without its data, as Kafka's does). */
  unrecord(applied: AppliedQuota, amount: number, nowMs: number): void {
    this.sampler(applied.key, nowMs).record(-amount, nowMs);
  }
}
