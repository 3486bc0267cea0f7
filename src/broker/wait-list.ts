// The parked long-polls of one partition (or of one connection's abort signal): an
// array, not a Set. Owns membership only; the wait itself (engine.ts ParkedWait)
// decides when it finishes and tells each list it is in.
//
// Why not a Set: these lists live as long as their partition (old space) and turn over
// a wait per Fetch. A Set that churns rehashes into a fresh backing table every few
// operations, and V8 links each obsolete table to its successor; the promoted obsolete
// table keeps the young one alive through every scavenge, so every table is promoted
// and dies in old space (see pending-table.ts). Here an add is a push, a finished wait
// is only counted, and its entry goes at the next drain or compaction.

/** What a list holds: it can tell whether it has finished. */
export interface ListedWait {
  readonly finished: boolean;
}

/** Finished entries tolerated beyond the live ones before an add compacts. */
const COMPACT_SLACK = 16;

export class WaitList<T extends ListedWait> {
  private items: T[] = [];
  /** The array `drain` swaps in, so draining allocates nothing. */
  private spare: T[] = [];
  private live = 0;
  private draining = false;

  /** Waits in the list that have not finished. */
  get size(): number {
    return this.live;
  }

  /** Entries held, finished ones included (bounded: see add). */
  get entries(): number {
    return this.items.length;
  }

  add(w: T): void {
    // Finished entries stay until here or a drain: finding one to remove would be a search.
    if (this.items.length >= 2 * this.live + COMPACT_SLACK) this.compact();
    this.items.push(w);
    this.live++;
  }

  /** One of this list's waits finished: each wait calls this once for every add. */
  finished(): void {
    this.live--;
  }

  /**
   * Calls `fn` on every wait not yet finished and empties the list. Waits added
   * while it runs stay for the next drain; bounded by the entries present at the start.
   */
  drain(fn: (w: T) => void): void {
    const items = this.items;
    if (items.length === 0) return;
    if (this.draining) {
      // A drain from inside a drain's callback: the spare is in use.
      this.items = [];
    } else {
      this.items = this.spare;
      this.spare = items;
    }
    const outer = !this.draining;
    this.draining = true;
    try {
      for (let i = 0; i < items.length; i++) {
        const w = items[i]!;
        if (!w.finished) fn(w);
      }
    } finally {
      items.length = 0;
      if (outer) this.draining = false;
    }
  }

  private compact(): void {
    let kept = 0;
    for (let i = 0; i < this.items.length; i++) {
      const w = this.items[i]!;
      if (!w.finished) this.items[kept++] = w;
    }
    this.items.length = kept;
  }
}
