// Allocation of idempotent-producer ids for InitProducerId.
// Owns: choosing ids that never repeat, also across broker restarts. Must not keep
// per-producer state (sequence checks live in the engine's shards).
//
// Why time-based: the engine API has no persistent counter, and an id reused after
// a restart would collide with sequence state the engine recovered for the old
// producer. Ids are (milliseconds since the epoch) × 1024 + a counter, kept strictly
// increasing, so they stay unique while the clock does not run back further than
// the downtime. 2^53 / 1024 ms after 1970 lasts until the year 2248.

const IDS_PER_MS = 1024;

export class ProducerIdAllocator {
  private last = 0;
  private readonly nowMs: () => number;

  constructor(nowMs: () => number = Date.now) {
    this.nowMs = nowMs;
  }

  next(): number {
    const candidate = this.nowMs() * IDS_PER_MS;
    this.last = candidate > this.last ? candidate : this.last + 1;
    if (!Number.isSafeInteger(this.last)) throw new Error('producer id space exhausted');
    return this.last;
  }
}
