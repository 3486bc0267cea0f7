// The table view of a topic (the log/table duality, served): the latest record per
// key, kept up to date as records are appended and rebuilt from the log at start.
// A TableView follows every partition of its topic from the log start, through the
// engine's read API like any consumer, and keeps key → (partition, offset) of each
// key's latest record in a KeyIndex (in memory up to a bound, then spilled to sorted
// runs on disk). Values are not copied: a lookup reads the record from the log, so
// the log stays the one source of truth and memory is spent on keys only.
// Owns: following the log, applying records (a null value deletes the key), reading
// the latest records back, read-your-writes (a query first catches up to the log end
// as it was when the query came), and the set of open tables. Must not write to the
// log nor know HTTP.
//
// Which topics: every non-internal topic with cleanup.policy containing compact is
// followed from start-up; any other topic gets a table on its first query. At most
// maxTables are open; past that the least recently used idle one is closed (its next
// query rebuilds it). A deleted (or deleted and re-created) topic's table is dropped.
// Records of aborted transactions are applied like any other (Samsa does not track
// transaction state for readers).

import { join } from 'node:path';
import { rmSync } from 'node:fs';
import type { Engine, PartitionRef, TopicInfo } from '../broker/engine-api.js';
import { decodeRecordBatches, type Record as KafkaRecord } from '../protocol/record-batch.js';
import { ATTR_CONTROL } from '../wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { logger } from '../util/logger.js';
import { type IndexEntry, KeyIndex, type Location, keyString } from './key-index.js';

export interface TableViewsOptions {
  engine: Engine;
  /** Scratch directory for spilled runs (emptied at start: tables are rebuilt from the log). */
  dir: string;
  /** Memory of one table's in-memory key map before it spills. Default 64 MiB. */
  memoryBytes?: number;
  /** Tables open at once. Default 64. */
  maxTables?: number;
}

export interface TableRecord {
  partition: number;
  record: KafkaRecord;
}

export const TABLE_MEMORY_BYTES_DEFAULT = 64 * 1024 * 1024;
const MAX_TABLES_DEFAULT = 64;
/** Bytes asked of the log per read while following. */
const APPLY_READ_BYTES = 1024 * 1024;
/** Longest wait of the follow loop before it re-checks the topic. */
const FOLLOW_WAIT_MS = 30_000;
/** A query waits this long for the table to catch up (a first build of a large log), then gets 503. */
export const CATCH_UP_WAIT_MS = 30_000;
/** Log reads per catch-up pass per partition (each advances by at least one batch). */
const APPLY_ROUNDS_MAX = 100_000;

/** A query found the table still (re)building past CATCH_UP_WAIT_MS. */
export class TableNotReadyError extends Error {
  constructor(readonly topic: string, readonly progress: string) {
    super(`the table of '${topic}' is still being built from the log (${progress}); try again`);
    this.name = 'TableNotReadyError';
  }
}

/** Every open table is in use by a query: no room for another. */
export class TablesBusyError extends Error {
  constructor(readonly maxTables: number) {
    super(`all ${maxTables} table views are in use by queries; try again`);
    this.name = 'TablesBusyError';
  }
}

export class TableView {
  /** Next offset to apply, per partition. */
  private readonly applied: number[] = [];
  private readonly index: KeyIndex;
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  closed = false;
  lastUsedMs = Date.now();
  /** Queries using the table now (an open table is not evicted while > 0). */
  active = 0;
  /** Records applied since the table opened. */
  recordsApplied = 0;

  constructor(
    readonly info: TopicInfo,
    private readonly engine: Engine,
    dir: string,
    memoryBytes: number,
    private readonly onGone: (t: TableView) => void,
  ) {
    this.index = new KeyIndex(dir, memoryBytes);
    void this.follow();
  }

  get topic(): string {
    return this.info.name;
  }

  stats(): { memory_bytes: number; disk_bytes: number; runs: number; applied_offsets: number[] } {
    const s = this.index.stats();
    return { memory_bytes: s.memoryBytes, disk_bytes: s.diskBytes, runs: s.runs, applied_offsets: [...this.applied] };
  }

  /** False once the topic is gone or was re-created (another topic id). */
  private current(): TopicInfo | undefined {
    const info = this.engine.describeTopic(this.info.name);
    return info !== undefined && info.topicId === this.info.topicId ? info : undefined;
  }

  private refs(): PartitionRef[] {
    const n = this.current()?.partitions ?? 0;
    return Array.from({ length: n }, (_, partition) => ({ topic: this.info.name, partition }));
  }

  /** Runs fn after every earlier apply/query step (one writer of the index at a time). */
  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async follow(): Promise<void> {
    // Runs until the table closes; each turn applies what was appended, then waits.
    while (!this.closed) {
      try {
        await this.serialized(() => this.applyToEnd());
      } catch (err) {
        if (this.closed) return;
        logger().error({ err, topic: this.info.name }, 'table view: applying the log failed; retrying');
      }
      if (this.closed) return;
      if (this.current() === undefined) {
        this.onGone(this);
        return;
      }
      await this.engine.waitForAppend(this.refs(), FOLLOW_WAIT_MS, this.abort.signal);
    }
  }

  /** Applies every partition up to its current end. */
  private async applyToEnd(): Promise<void> {
    const info = this.current();
    if (info === undefined || this.closed) return;
    for (let p = 0; p < info.partitions; p++) {
      if (this.applied[p] === undefined) this.applied[p] = this.engine.offsets(info.name, p).logStartOffset;
      for (let round = 0; round < APPLY_ROUNDS_MAX && !this.closed; round++) {
        const from = this.applied[p]!;
        const r = await this.engine.read(info.name, p, from, APPLY_READ_BYTES);
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          // Retention or DeleteRecords moved the log start past us: go on from it.
          this.applied[p] = from < r.logStartOffset ? r.logStartOffset : r.highWatermark;
          continue;
        }
        if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return;
        if (r.errorCode !== ErrorCode.NONE) throw new KafkaError(r.errorCode, `reading ${info.name}-${p} at ${from}`);
        if (r.records.byteLength === 0) break;
        let next = from;
        for (const b of decodeRecordBatches(r.records)) {
          const end = Number(b.header.baseOffset) + b.header.lastOffsetDelta + 1;
          if (end > next) next = end;
          if ((b.header.attributes & ATTR_CONTROL) !== 0) continue;
          for (const rec of b.records) {
            if (rec.offset < from || rec.key === null) continue;
            const k = keyString(rec.key);
            if (rec.value === null) this.index.delete(k);
            else this.index.put(k, { partition: p, offset: rec.offset });
            this.recordsApplied++;
          }
        }
        if (next <= from) break; // never spin on a read that did not advance
        this.applied[p] = next;
        if (this.index.needsSpill()) await this.index.spill();
        if (next >= r.highWatermark) break;
      }
    }
  }

  /**
   * Catches up to the log end as it is now (read-your-writes for whoever appended
   * before asking), waiting at most CATCH_UP_WAIT_MS.
   */
  async catchUp(): Promise<void> {
    const info = this.current();
    if (info === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic '${this.info.name}' not found`);
    const targets = Array.from({ length: info.partitions }, (_, p) => this.engine.offsets(info.name, p).highWatermark);
    const behind = (): boolean => targets.some((t, p) => (this.applied[p] ?? -1) < t);
    if (!behind()) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), CATCH_UP_WAIT_MS);
      timer.unref();
    });
    // Bounded: each pass applies up to the end of every partition, which only grows by appends.
    for (let pass = 0; pass < 100 && behind() && !this.closed; pass++) {
      const r = await Promise.race([this.serialized(() => this.applyToEnd()), timeout]);
      if (r === 'timeout') {
        clearTimeout(timer);
        throw new TableNotReadyError(this.info.name, `applied up to ${JSON.stringify(this.applied)} of ${JSON.stringify(targets)}`);
      }
    }
    clearTimeout(timer);
  }

  /** The latest record of a key, or undefined (never written, deleted, or gone from the log). */
  async get(key: Uint8Array): Promise<TableRecord | undefined> {
    await this.catchUp();
    const loc = await this.index.get(keyString(key));
    if (loc === undefined) return undefined;
    return (await this.readAt([loc]))[0] ?? undefined;
  }

  /** A page of keys in byte order with their latest records. */
  async list(prefix: Uint8Array, after: Uint8Array | null, limit: number): Promise<{ records: TableRecord[]; last: string | null; more: boolean }> {
    await this.catchUp();
    const scan = await this.index.scan({ prefix: keyString(prefix), after: after === null ? null : keyString(after), limit, maxScanned: Math.max(limit * 100, 10_000) });
    const found = await this.readAt(scan.entries.map((e: IndexEntry) => e.loc));
    const records = found.filter((r): r is TableRecord => r !== null);
    const last = scan.entries.length > 0 ? scan.entries[scan.entries.length - 1]!.key : null;
    return { records, last, more: scan.more };
  }

  /** The applied offsets now: where a change stream that follows a snapshot starts. */
  appliedOffsets(): number[] {
    return [...this.applied];
  }

  /**
   * The records at the given locations, in the same order (null where the log no
   * longer has it). Locations within one batch cost one read.
   */
  private async readAt(locs: readonly Location[]): Promise<Array<TableRecord | null>> {
    const out: Array<TableRecord | null> = locs.map(() => null);
    const order = locs.map((l, i) => ({ l, i })).sort((a, b) => a.l.partition - b.l.partition || a.l.offset - b.l.offset);
    let cache: { partition: number; first: number; last: number; records: Map<number, KafkaRecord> } | null = null;
    for (const { l, i } of order) {
      if (cache === null || cache.partition !== l.partition || l.offset < cache.first || l.offset > cache.last) {
        const r = await this.engine.read(this.info.name, l.partition, l.offset, 1);
        if (r.errorCode !== ErrorCode.NONE || r.records.byteLength === 0) {
          cache = null;
          continue;
        }
        const records = new Map<number, KafkaRecord>();
        let first = Infinity;
        let last = -1;
        for (const b of decodeRecordBatches(r.records)) {
          const base = Number(b.header.baseOffset);
          first = Math.min(first, base);
          last = Math.max(last, base + b.header.lastOffsetDelta);
          for (const rec of b.records) records.set(rec.offset, rec);
        }
        cache = { partition: l.partition, first, last, records };
      }
      const rec = cache.records.get(l.offset);
      if (rec !== undefined) out[i] = { partition: l.partition, record: rec };
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    // After the running apply step: the index has one writer.
    await this.chain;
    await this.index.close();
  }
}

export class TableViews {
  private readonly tables = new Map<string, TableView>();
  private readonly engine: Engine;
  readonly dir: string;
  readonly memoryBytes: number;
  private readonly maxTables: number;
  private seq = 0;
  private closed = false;

  constructor(opts: TableViewsOptions) {
    this.engine = opts.engine;
    this.dir = opts.dir;
    this.memoryBytes = opts.memoryBytes ?? TABLE_MEMORY_BYTES_DEFAULT;
    this.maxTables = opts.maxTables ?? MAX_TABLES_DEFAULT;
    // Leftovers of the last run are stale: every table is rebuilt from the log.
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Starts following every compacted, non-internal topic (the broker's start). */
  startCompacted(): void {
    for (const info of this.engine.listTopics()) {
      if (info.name.startsWith('__') || !String(info.config['cleanup.policy']).includes('compact')) continue;
      if (this.tables.size >= this.maxTables) break;
      this.open(info);
    }
  }

  private open(info: TopicInfo): TableView {
    const t = new TableView(info, this.engine, join(this.dir, `${String(this.seq++)}-${info.name}`), this.memoryBytes, (gone) => {
      if (this.tables.get(gone.topic) === gone) this.tables.delete(gone.topic);
      void gone.close();
    });
    this.tables.set(info.name, t);
    return t;
  }

  /** The table of an existing topic, opened (and built) on first use; null when there is no such topic. */
  get(topic: string): TableView | null {
    if (this.closed) throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, 'the broker is shutting down');
    const info = this.engine.describeTopic(topic);
    if (info === undefined) return null;
    let t = this.tables.get(topic);
    if (t !== undefined && t.info.topicId !== info.topicId) {
      this.tables.delete(topic);
      void t.close();
      t = undefined;
    }
    if (t === undefined) {
      if (this.tables.size >= this.maxTables) this.evictOne();
      t = this.open(info);
    }
    t.lastUsedMs = Date.now();
    return t;
  }

  private evictOne(): void {
    let victim: TableView | null = null;
    for (const t of this.tables.values()) if (t.active === 0 && (victim === null || t.lastUsedMs < victim.lastUsedMs)) victim = t;
    if (victim === null) throw new TablesBusyError(this.maxTables);
    this.tables.delete(victim.topic);
    void victim.close();
  }

  openTopics(): string[] {
    return [...this.tables.keys()].sort();
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.tables.values()];
    this.tables.clear();
    await Promise.all(all.map((t) => t.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
