// One timer for many deadlines: the engine's parked long-polls (Fetch, HTTP reads)
// each have a deadline, and most are woken by an append long before it. A setTimeout
// and clearTimeout per wait cost a timer-list insert and removal per request on the
// produce → wake → respond path; here the waits sit in an indexed min-heap and one
// timer is armed for the earliest deadline. A wait woken early only leaves the heap
// (O(log n)); the timer stays armed for a deadline that may no longer be there, fires
// once, finds nothing due and re-arms for the real earliest.
// Owns: the heap and its one timer. Must not know what an entry is waiting for.

import { performance } from 'node:perf_hooks';

/** Something with a deadline; `fire` runs once it is due (and only if it was not removed first). */
export interface DeadlineEntry {
  deadlineMs: number;
  /** Position in the heap, -1 when not in it: kept by the queue. */
  heapIndex: number;
  fire(): void;
}

/** The clock deadlines are on: monotonic milliseconds (wall-clock steps must not expire or extend waits). */
export function monotonicNowMs(): number {
  return performance.now();
}

export class DeadlineQueue {
  private readonly heap: DeadlineEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the armed timer fires (monotonic ms); +Infinity when none is armed. */
  private armedForMs = Number.POSITIVE_INFINITY;
  private closed = false;

  /** Timer fires so far: a test reads it to see that one timer served many waits. */
  fires = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Whether a timer is armed and keeps the process alive (one only while entries wait). */
  get timerActive(): boolean {
    return this.timer !== null && this.timer.hasRef();
  }

  /** Adds `entry` due `delayMs` from now (clamped at 0). An entry already in the queue is moved. */
  add(entry: DeadlineEntry, delayMs: number): void {
    if (this.closed) throw new Error('deadline queue closed');
    if (entry.heapIndex >= 0) this.remove(entry);
    entry.deadlineMs = monotonicNowMs() + Math.max(0, delayMs);
    entry.heapIndex = this.heap.length;
    this.heap.push(entry);
    this.up(entry.heapIndex);
    this.arm();
  }

  /** Takes `entry` out without firing it; false when it was not in the queue. */
  remove(entry: DeadlineEntry): boolean {
    const i = entry.heapIndex;
    if (i < 0 || this.heap[i] !== entry) return false;
    const last = this.heap.pop()!;
    entry.heapIndex = -1;
    if (last !== entry) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(last.heapIndex);
    }
    // Nothing waits: the armed timer no longer keeps the process alive (it fires once,
    // finds nothing, and stops). Not cleared: the next wait most likely reuses it.
    if (this.heap.length === 0) this.timer?.unref();
    return true;
  }

  /** Stops the timer and fires every entry left now, earliest first; nothing may be added after. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.armedForMs = Number.POSITIVE_INFINITY;
    // Bounded by the size now: add() throws once closed.
    for (let budget = this.heap.length; budget > 0 && this.heap.length > 0; budget--) {
      const first = this.heap[0]!;
      this.remove(first);
      first.fire();
    }
  }

  private arm(): void {
    const first = this.heap[0];
    if (first === undefined) return;
    if (this.timer !== null && this.armedForMs <= first.deadlineMs) {
      // Armed early enough already (at worst for an entry since removed: one spare fire).
      this.timer.ref();
      return;
    }
    if (this.timer !== null) clearTimeout(this.timer);
    // Never early: Node's ms timers can fire up to a ms before the monotonic deadline,
    // and then onTimer re-arms for what is left.
    const delayMs = Math.max(1, Math.ceil(first.deadlineMs - monotonicNowMs()));
    this.armedForMs = first.deadlineMs;
    this.timer = setTimeout(() => this.onTimer(), delayMs);
  }

  private onTimer(): void {
    this.timer = null;
    this.armedForMs = Number.POSITIVE_INFINITY;
    this.fires++;
    const now = monotonicNowMs();
    // Bounded by the heap's size at entry: fire() may add entries, but only later ones
    // (delay ≥ 0 from a now that is ≥ this now) are due in a later turn unless zero.
    for (let budget = this.heap.length; budget > 0; budget--) {
      const first = this.heap[0];
      if (first === undefined || first.deadlineMs > now) break;
      this.remove(first);
      first.fire();
    }
    if (!this.closed) this.arm();
  }

  private up(i: number): void {
    const heap = this.heap;
    const e = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (parent.deadlineMs <= e.deadlineMs) break;
      heap[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    heap[i] = e;
    e.heapIndex = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const e = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && heap[r]!.deadlineMs < heap[l]!.deadlineMs ? r : l;
      const child = heap[c]!;
      if (child.deadlineMs >= e.deadlineMs) break;
      heap[i] = child;
      child.heapIndex = i;
      i = c;
    }
    heap[i] = e;
    e.heapIndex = i;
  }
}
