// A shard client's in-flight requests by request id: an array of slots and a stack of
// free ones, the id naming its slot. Owns the ids it hands out and the values parked
// under them; must not know what a request is (shard-client.ts does).
//
// Why not a Map: the table lives as long as the broker (old space) and turns over an
// entry per request. A Map that churns rehashes into a fresh backing table every few
// operations, and V8 links each obsolete table to its successor (for live iterators);
// the obsolete one, already promoted, keeps its young successor alive through every
// scavenge, so every table is promoted in turn and dies in old space. At 10,000
// requests a second that was most of the main thread's promoted garbage and a
// mark-compact every ~2 s, whose ~10 ms of marking steps stalled every request in
// flight (docs/benchmarks.md, "garbage the hash tables promoted"). Here a request
// writes a slot and clears it: nothing is allocated per request.

/** Slot bits of an id: ids are `generation << SLOT_BITS | slot`. */
const SLOT_BITS = 16;
/** Most slots a table can have (the slot must fit in SLOT_BITS). */
export const PENDING_SLOTS_MAX = 1 << SLOT_BITS;
const SLOT_MASK = PENDING_SLOTS_MAX - 1;
/** Generations run 1..GENERATION_MAX, so an id is never 0 (the shard's unsolicited notices use 0) and fits u32. */
const GENERATION_MAX = 0xffff;

export class PendingTable<T> {
  private readonly values: Array<T | undefined> = [];
  /** The generation of each slot's current (or last) id. */
  private readonly generations: number[] = [];
  /** Free slots, popped from the end. */
  private readonly free: number[] = [];
  private count = 0;

  /**
   * @param slotsMax requests in flight at most (≤ PENDING_SLOTS_MAX)
   * @param slotsInitial slots made up front; more are added, doubling, as needed
   */
  constructor(
    private readonly slotsMax: number,
    slotsInitial = 256,
  ) {
    if (!Number.isInteger(slotsMax) || slotsMax < 1 || slotsMax > PENDING_SLOTS_MAX) throw new RangeError(`slotsMax must be in 1..${PENDING_SLOTS_MAX}, got ${slotsMax}`);
    this.grow(Math.min(slotsMax, Math.max(1, slotsInitial)));
  }

  get size(): number {
    return this.count;
  }

  /** Parks `value` and returns its id (≥ 1), or -1 when slotsMax requests are in flight. */
  add(value: T): number {
    if (this.free.length === 0) {
      if (this.values.length >= this.slotsMax) return -1;
      this.grow(Math.min(this.slotsMax, this.values.length * 2));
    }
    const slot = this.free.pop()!;
    const generation = this.generations[slot]! >= GENERATION_MAX ? 1 : this.generations[slot]! + 1;
    this.generations[slot] = generation;
    this.values[slot] = value;
    this.count++;
    // Unsigned: a generation ≥ 0x8000 would make the shifted value negative.
    return ((generation << SLOT_BITS) | slot) >>> 0;
  }

  /** Removes and returns the value parked under `id`; undefined when no such request is in flight. */
  take(id: number): T | undefined {
    const slot = id & SLOT_MASK;
    if (slot >= this.values.length) return undefined;
    const value = this.values[slot];
    if (value === undefined || this.generations[slot] !== id >>> SLOT_BITS) return undefined;
    this.values[slot] = undefined;
    this.free.push(slot);
    this.count--;
    return value;
  }

  /** Removes every value and returns them (for failing them all). */
  takeAll(): T[] {
    const out: T[] = [];
    for (let slot = 0; slot < this.values.length; slot++) {
      const v = this.values[slot];
      if (v === undefined) continue;
      out.push(v);
      this.values[slot] = undefined;
      this.free.push(slot);
    }
    this.count = 0;
    return out;
  }

  private grow(slots: number): void {
    const from = this.values.length;
    // Pushed high to low so the lowest slots are used first.
    for (let slot = from; slot < slots; slot++) {
      this.values.push(undefined);
      this.generations.push(0);
    }
    for (let slot = slots - 1; slot >= from; slot--) this.free.push(slot);
  }
}
