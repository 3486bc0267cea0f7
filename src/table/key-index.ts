// The key index of a table view: key → where its latest record is in the log
// (partition, offset), bounded in memory. Small key sets live in one in-memory map;
// past `memoryBytes` the map is written out as a sorted run file and started afresh,
// so a large key set costs memory only for the current map and a sparse index of
// each run (one key per ~4 KiB block). Runs are merged into one when there are more
// than RUNS_MAX; the merge drops deleted keys. This is a small log-structured merge
// tree whose only writer is the table's apply loop.
// Owns: the map, the run files under its directory (scratch: the table is rebuilt
// from the log at start, so nothing here needs to survive a crash) and lookups and
// ordered scans over them. Must not read the log (table-view.ts does).
//
// Keys are compared as bytes: a key is held as a latin1 string (one char per byte),
// whose JS string order is the bytes' lexicographic order.
//
// Run file: entries back to back, sorted by key, each
//   u32 keyLength, key bytes, i32 partition (-1 = deleted), f64 offset
// Blocks start at entry boundaries every ~BLOCK_BYTES; the sparse index holds each
// block's first key and file position.

import { open, mkdir, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface Location {
  partition: number;
  offset: number;
}

export interface IndexEntry {
  /** The key's bytes as a latin1 string. */
  key: string;
  loc: Location;
}

/** A deleted key (kept while older runs may still hold it). */
const TOMBSTONE: Location = Object.freeze({ partition: -1, offset: -1 });
const BLOCK_BYTES = 4096;
/** Runs past this are merged into one. */
const RUNS_MAX = 4;
/** Estimated bytes a map entry costs beyond its key (Map slot, Location object). */
const ENTRY_OVERHEAD_BYTES = 80;
/** Bytes read per step when scanning or merging a run. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Largest key a run takes (keys are bounded by max.message.bytes, at most 8 MiB by config). */
const KEY_BYTES_MAX = 16 * 1024 * 1024;

export function keyString(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export function keyBytes(key: string): Uint8Array {
  return new Uint8Array(Buffer.from(key, 'latin1'));
}

interface Run {
  path: string;
  file: FileHandle;
  sizeBytes: number;
  entries: number;
  /** First key and file position of each block, in order. */
  blockKeys: string[];
  blockPos: number[];
}

/** Sequential reader of a run's entries from a file position. */
class RunCursor {
  private buf = Buffer.alloc(0);
  private bufPos = 0;
  private filePos: number;

  constructor(
    private readonly run: Run,
    startPos: number,
  ) {
    this.filePos = startPos;
  }

  /** The next entry, or null at the end of the run. */
  async next(): Promise<IndexEntry | null> {
    if (!(await this.fill(4))) return null;
    const keyLength = this.buf.readUInt32LE(this.bufPos);
    if (keyLength > KEY_BYTES_MAX) throw new Error(`table run ${this.run.path}: key length ${keyLength} (corrupt run)`);
    if (!(await this.fill(4 + keyLength + 8 + 4))) throw new Error(`table run ${this.run.path}: truncated entry`);
    const p = this.bufPos + 4;
    const key = this.buf.toString('latin1', p, p + keyLength);
    const partition = this.buf.readInt32LE(p + keyLength);
    const offset = this.buf.readDoubleLE(p + keyLength + 4);
    this.bufPos = p + keyLength + 12;
    return { key, loc: partition < 0 ? TOMBSTONE : { partition, offset } };
  }

  /** Makes `n` bytes available at bufPos; false at the end of the run. */
  private async fill(n: number): Promise<boolean> {
    if (this.buf.length - this.bufPos >= n) return true;
    const left = this.run.sizeBytes - this.filePos;
    if (left <= 0 && this.buf.length - this.bufPos === 0) return false;
    const want = Math.min(left, Math.max(READ_CHUNK_BYTES, n));
    const chunk = Buffer.alloc(this.buf.length - this.bufPos + want);
    this.buf.copy(chunk, 0, this.bufPos);
    const { bytesRead } = await this.run.file.read(chunk, this.buf.length - this.bufPos, want, this.filePos);
    this.filePos += bytesRead;
    this.buf = chunk.subarray(0, this.buf.length - this.bufPos + bytesRead);
    this.bufPos = 0;
    return this.buf.length >= n;
  }
}

/** Writes sorted entries into a new run file, building its sparse index. */
class RunWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pos = 0;
  private blockStart = -BLOCK_BYTES;
  readonly blockKeys: string[] = [];
  readonly blockPos: number[] = [];
  entries = 0;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  static async create(path: string): Promise<RunWriter> {
    return new RunWriter(path, await open(path, 'wx+'));
  }

  async add(e: IndexEntry): Promise<void> {
    const keyLength = e.key.length;
    if (this.pos - this.blockStart >= BLOCK_BYTES) {
      this.blockStart = this.pos;
      this.blockKeys.push(e.key);
      this.blockPos.push(this.pos);
    }
    const b = Buffer.allocUnsafe(4 + keyLength + 12);
    b.writeUInt32LE(keyLength, 0);
    b.write(e.key, 4, 'latin1');
    b.writeInt32LE(e.loc.partition, 4 + keyLength);
    b.writeDoubleLE(e.loc.offset, 8 + keyLength);
    this.pending.push(b);
    this.pendingBytes += b.length;
    this.pos += b.length;
    this.entries++;
    if (this.pendingBytes >= READ_CHUNK_BYTES) await this.flushPending();
  }

  private async flushPending(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const chunk = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    await this.file.write(chunk, 0, chunk.length, this.pos - chunk.length);
  }

  /** Finishes the file and opens it as a run (read-only use from here). */
  async finish(): Promise<Run> {
    await this.flushPending();
    return { path: this.path, file: this.file, sizeBytes: this.pos, entries: this.entries, blockKeys: this.blockKeys, blockPos: this.blockPos };
  }

  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
    await rm(this.path, { force: true });
  }
}

/** Index of the last block whose first key is ≤ key (0 when key precedes them all). */
function blockFor(run: Run, key: string): number {
  let lo = 0;
  let hi = run.blockKeys.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (run.blockKeys[mid]! <= key) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

export interface ScanOptions {
  /** Only keys starting with this (latin1 string of bytes). */
  prefix: string;
  /** Only keys after this one (exclusive); null = from the start of the prefix. */
  after: string | null;
  limit: number;
  /** Entries looked at, deleted ones included, before the scan stops early (`more` then true). */
  maxScanned: number;
}

export interface ScanResult {
  entries: IndexEntry[];
  /** True when more keys may follow (the limit or maxScanned was reached). */
  more: boolean;
}

export class KeyIndex {
  private map = new Map<string, Location>();
  private mapBytes = 0;
  /** The map's keys in order, rebuilt lazily after a new key (scans need order). */
  private sorted: string[] | null = null;
  /** Newest last. */
  private runs: Run[] = [];
  private runSeq = 0;
  private dirReady: Promise<void> | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    readonly memoryBytes: number,
  ) {}

  /** What the index holds in memory now (map and sparse indexes), and on disk. */
  stats(): { memoryBytes: number; diskBytes: number; runs: number; mapKeys: number } {
    let sparse = 0;
    for (const r of this.runs) for (const k of r.blockKeys) sparse += k.length * 2 + 32;
    return { memoryBytes: this.mapBytes + sparse, diskBytes: this.runs.reduce((n, r) => n + r.sizeBytes, 0), runs: this.runs.length, mapKeys: this.map.size };
  }

  put(key: string, loc: Location): void {
    const had = this.map.has(key);
    this.map.set(key, loc);
    if (!had) {
      this.mapBytes += key.length * 2 + ENTRY_OVERHEAD_BYTES;
      this.sorted = null;
    }
  }

  delete(key: string): void {
    if (this.runs.length === 0) {
      if (this.map.delete(key)) {
        this.mapBytes -= key.length * 2 + ENTRY_OVERHEAD_BYTES;
        this.sorted = null;
      }
      return;
    }
    this.put(key, TOMBSTONE);
  }

  /** True when the map is past its bound: the owner calls spill() between applies. */
  needsSpill(): boolean {
    return this.mapBytes > this.memoryBytes;
  }

  async get(key: string): Promise<Location | undefined> {
    const m = this.map.get(key);
    if (m !== undefined) return m === TOMBSTONE ? undefined : m;
    for (let i = this.runs.length - 1; i >= 0; i--) {
      const run = this.runs[i]!;
      if (run.blockKeys.length === 0 || key < run.blockKeys[0]!) continue;
      const b = blockFor(run, key);
      const end = b + 1 < run.blockPos.length ? run.blockPos[b + 1]! : run.sizeBytes;
      const cursor = new RunCursor({ ...run, sizeBytes: end }, run.blockPos[b]!);
      // One block: bounded by BLOCK_BYTES plus one entry.
      for (;;) {
        const e = await cursor.next();
        if (e === null || e.key > key) break;
        if (e.key === key) return e.loc === TOMBSTONE ? undefined : e.loc;
      }
    }
    return undefined;
  }

  private sortedKeys(): string[] {
    this.sorted ??= [...this.map.keys()].sort();
    return this.sorted;
  }

  /** Keys in byte order from `after` (exclusive) within `prefix`, newest location per key, deleted keys skipped. */
  async scan(o: ScanOptions): Promise<ScanResult> {
    const inclusive = o.after === null || o.after < o.prefix;
    const from = inclusive ? o.prefix : o.after!;
    type Source = { head: IndexEntry | null; next: () => Promise<IndexEntry | null>; rank: number };
    const sources: Source[] = [];
    // The map: newest, rank highest.
    const keys = this.sortedKeys();
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! < from) lo = mid + 1;
      else hi = mid;
    }
    let mi = lo;
    // The map as of now: a spill meanwhile replaces this.map but never changes this one
    // again; applies meanwhile may change a location (a newer one) or drop a key.
    const map = this.map;
    sources.push({
      head: null,
      rank: this.runs.length,
      next: async () => {
        if (mi >= keys.length) return null;
        const key = keys[mi++]!;
        return { key, loc: map.get(key) ?? TOMBSTONE };
      },
    });
    this.runs.forEach((run, rank) => {
      if (run.blockKeys.length === 0) return;
      const cursor = new RunCursor(run, run.blockPos[blockFor(run, from)]!);
      sources.push({ head: null, rank, next: () => cursor.next() });
    });
    for (const s of sources) {
      for (;;) {
        s.head = await s.next();
        if (s.head === null || s.head.key > from || (inclusive && s.head.key === from)) break;
      }
    }
    const entries: IndexEntry[] = [];
    let scanned = 0;
    for (;;) {
      let best: Source | null = null;
      for (const s of sources) {
        if (s.head === null) continue;
        if (best === null || s.head.key < best.head!.key || (s.head.key === best.head!.key && s.rank > best.rank)) best = s;
      }
      if (best === null) return { entries, more: false };
      const winner = best.head!;
      if (!winner.key.startsWith(o.prefix)) return { entries, more: false };
      if (entries.length >= o.limit || scanned >= o.maxScanned) return { entries, more: true };
      scanned++;
      // Advance every source past this key (older duplicates are shadowed).
      for (const s of sources) while (s.head !== null && s.head.key === winner.key) s.head = await s.next();
      if (winner.loc !== TOMBSTONE) entries.push(winner);
    }
  }

  private ensureDir(): Promise<void> {
    this.dirReady ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
    return this.dirReady;
  }

  /** Writes the map out as a new run (and merges runs past RUNS_MAX). */
  async spill(): Promise<void> {
    if (this.closed || this.map.size === 0) return;
    await this.ensureDir();
    const keys = this.sortedKeys();
    const map = this.map;
    const w = await RunWriter.create(join(this.dir, `${String(this.runSeq++).padStart(8, '0')}.run`));
    try {
      // With no older run a deleted key needs no tombstone (the map already dropped it).
      for (const k of keys) await w.add({ key: k, loc: map.get(k)! });
    } catch (err) {
      await w.abandon();
      throw err;
    }
    const run = await w.finish();
    if (this.closed) {
      await run.file.close();
      return;
    }
    this.runs.push(run);
    // The map is replaced only now: lookups meanwhile found everything in it.
    if (this.map === map) {
      this.map = new Map();
      this.mapBytes = 0;
      this.sorted = null;
    }
    if (this.runs.length > RUNS_MAX) await this.mergeRuns();
  }

  /** Merges every run into one, dropping deleted keys (no older run is left to shadow). */
  private async mergeRuns(): Promise<void> {
    const runs = [...this.runs];
    const w = await RunWriter.create(join(this.dir, `${String(this.runSeq++).padStart(8, '0')}.run`));
    try {
      const cursors = runs.map((r) => new RunCursor(r, 0));
      const heads = await Promise.all(cursors.map((c) => c.next()));
      // Bounded: every step consumes at least one entry of a finite run.
      for (;;) {
        let best = -1;
        for (let i = 0; i < heads.length; i++) {
          const h = heads[i];
          if (h === null || h === undefined) continue;
          if (best < 0 || h.key < heads[best]!.key || (h.key === heads[best]!.key && i > best)) best = i;
        }
        if (best < 0) break;
        const winner = heads[best]!;
        for (let i = 0; i < heads.length; i++) while (heads[i] !== null && heads[i]!.key === winner.key) heads[i] = await cursors[i]!.next();
        if (winner.loc !== TOMBSTONE) await w.add(winner);
      }
    } catch (err) {
      await w.abandon();
      throw err;
    }
    const merged = await w.finish();
    if (this.closed) {
      await merged.file.close();
      return;
    }
    // Runs spilled during the merge (none: spill and merge run in the one apply loop) stay after it.
    this.runs = [merged, ...this.runs.slice(runs.length)];
    for (const r of runs) {
      await r.file.close().catch(() => undefined);
      await rm(r.path, { force: true });
    }
  }

  /** Closes and removes the run files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.map = new Map();
    this.mapBytes = 0;
    for (const r of this.runs) await r.file.close().catch(() => undefined);
    this.runs = [];
    await rm(this.dir, { recursive: true, force: true });
  }
}
