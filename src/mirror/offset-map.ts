// Where the mirror stands on one partition, and how a source offset maps to a
// target offset. Owns: the position (next source offset s, next target offset t,
// next producer sequence q), the origin of the mapping, the anchors, and the
// translation of a committed source offset into a target one. Must not do I/O: the
// mirror persists what this holds through checkpoints.ts.
//
// Records are copied one for one and in order, so the target offsets of one run of
// records follow their source offsets at a fixed distance (t - s). The distance
// changes only where the source skips offsets (records removed by compaction,
// transaction markers) or the target took a record from someone else. An anchor
// (s, t) marks where a run starts: the record at source offset s is at target
// offset t, and the records after it follow contiguously until the next anchor.
// For an uncompacted topic there is one anchor, the origin, ever.

import { assert } from '../wire/assert.js';

/** Anchors kept per partition (and persisted, in a ring of this many keys). */
export const ANCHORS_KEPT = 64;
/** Producer sequences wrap from Int32 max to 0, as Kafka's do. */
const SEQUENCE_WRAP = 0x8000_0000;

export interface Anchor {
  /** Counts anchors of the partition from 0 (the origin); the ring slot is index % ANCHORS_KEPT. */
  index: number;
  s: number;
  t: number;
}

export interface Position {
  /** Next source offset to copy. */
  s: number;
  /** Target offset the next copied record gets. */
  t: number;
  /** Producer sequence the next copied record gets. */
  q: number;
}

export function addSequence(q: number, n: number): number {
  return (q + (n % SEQUENCE_WRAP)) % SEQUENCE_WRAP;
}

export class OffsetMap {
  readonly topic: string;
  readonly partition: number;
  /** Where mirroring of this partition began: nothing below s0 was ever copied. */
  readonly origin: { s: number; t: number };
  private pos: Position;
  /** Oldest first, by s (and t); at most ANCHORS_KEPT. */
  private readonly anchors: Anchor[];
  /** Anchors added since the last checkpoint write. */
  private unsaved: Anchor[] = [];

  /**
   * `anchors` must be a contiguous run of indices ending at the newest anchor (what
   * checkpointState returns). Without any, the position itself becomes an anchor
   * (numbered `nextIndex`): the next record copied has a source offset at or after
   * pos.s and gets target offset pos.t, so it holds; offsets before it are then
   * not translated (null) rather than guessed.
   */
  constructor(topic: string, partition: number, origin: { s: number; t: number }, pos: Position, anchors: readonly Anchor[], nextIndex = 0) {
    this.topic = topic;
    this.partition = partition;
    this.origin = origin;
    this.pos = { ...pos };
    const sorted = [...anchors].sort((a, b) => a.index - b.index);
    this.anchors = sorted.length > 0 ? sorted.slice(-ANCHORS_KEPT) : [{ index: nextIndex, s: pos.s, t: pos.t }];
    if (sorted.length === 0) this.unsaved.push(this.anchors[0]!);
  }

  /** A partition mirrored for the first time: origin and position at (s, t), sequence 0. */
  static start(topic: string, partition: number, s: number, t: number): OffsetMap {
    return new OffsetMap(topic, partition, { s, t }, { s, t, q: 0 }, []);
  }

  /** Index of the newest anchor (written in each position record, so a reader knows which anchors belong). */
  get lastAnchorIndex(): number {
    return this.anchors[this.anchors.length - 1]!.index;
  }

  get position(): Readonly<Position> {
    return this.pos;
  }

  /**
   * Records one copied record, in order: source offset `s` is now at target offset
   * `t`. Adds an anchor where the distance t - s changes.
   */
  observe(s: number, t: number): void {
    const last = this.anchors[this.anchors.length - 1]!;
    assert(s >= this.pos.s && t >= last.t, `${this.topic}-${this.partition}: record ${s}→${t} is behind position ${this.pos.s}→${this.pos.t}`);
    if (s - t !== last.s - last.t) {
      const a: Anchor = { index: last.index + 1, s, t };
      this.anchors.push(a);
      if (this.anchors.length > ANCHORS_KEPT) this.anchors.shift();
      this.unsaved.push(a);
      if (this.unsaved.length > ANCHORS_KEPT) this.unsaved.shift();
    }
    this.pos = { s: s + 1, t: t + 1, q: addSequence(this.pos.q, 1) };
  }

  /**
   * Moves the position without copying: the next source record to copy is at or
   * after `s`, and goes to target offset `t` with sequence `q` (a restart that
   * found records already on the target, or a source that lost records before they
   * were copied).
   */
  moveTo(pos: Position): void {
    this.pos = { ...pos };
    // The next record copied is at or after pos.s and lands at pos.t: an anchor holds there.
    const last = this.anchors[this.anchors.length - 1]!;
    const a: Anchor = { index: last.index + 1, s: pos.s, t: pos.t };
    this.anchors.push(a);
    if (this.anchors.length > ANCHORS_KEPT) this.anchors.shift();
    this.unsaved.push(a);
    if (this.unsaved.length > ANCHORS_KEPT) this.unsaved.shift();
  }

  /** The anchors not yet written to the checkpoints topic (and forgets them: the caller writes them). */
  takeUnsaved(): Anchor[] {
    const out = this.unsaved;
    this.unsaved = [];
    return out;
  }

  /** Puts anchors back after a failed checkpoint write. */
  restoreUnsaved(anchors: readonly Anchor[]): void {
    this.unsaved = [...anchors, ...this.unsaved].slice(-ANCHORS_KEPT);
  }

  anchorList(): readonly Anchor[] {
    return this.anchors;
  }

  /**
   * The target offset a consumer should resume at after committing source offset
   * `g` (the next record it wants): the target offset of the first copied record at
   * or after `g`. null when that record is not copied yet (g beyond the position)
   * or when `g` is older than every anchor kept (then no offset is safe: a guess
   * could skip records).
   */
  translate(g: number): number | null {
    if (!Number.isSafeInteger(g) || g < 0) return null;
    if (g > this.pos.s) return null;
    if (g <= this.origin.s) return this.origin.t;
    let lo = 0;
    let hi = this.anchors.length - 1;
    if (this.anchors[0]!.s > g) return null;
    // Last anchor with s ≤ g.
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.anchors[mid]!.s <= g) lo = mid;
      else hi = mid - 1;
    }
    const a = this.anchors[lo]!;
    const runEnd = lo + 1 < this.anchors.length ? this.anchors[lo + 1]!.t : this.pos.t;
    return Math.min(a.t + (g - a.s), runEnd);
  }
}
