// The broker main thread's garbage collections, by kind: how many and how long each
// paused the thread (perf_hooks 'gc' entries). Owns the observer and its counters;
// must not touch the heap or V8's flags. Why it is a metric: a pause stops every
// connection at once, and at 10,000 msg/s the slowest records were the ones in flight
// during a mark-compact (docs/benchmarks.md, round four); a scrape shows how many.

import { PerformanceObserver, constants } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';

/** Prometheus label of each kind Node reports (its NODE_PERFORMANCE_GC_* constants). */
const KIND_LABELS: ReadonlyArray<readonly [number, string]> = [
  [constants.NODE_PERFORMANCE_GC_MINOR, 'minor'],
  [constants.NODE_PERFORMANCE_GC_MAJOR, 'major'],
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL, 'incremental'],
  [constants.NODE_PERFORMANCE_GC_WEAKCB, 'weakcb'],
];

export interface GcKindTotals {
  pauses: number;
  pauseSeconds: number;
  maxPauseSeconds: number;
}

export class GcStats {
  private readonly byKind = new Map<string, GcKindTotals>();
  private observer: PerformanceObserver | null = null;

  constructor() {
    for (const [, label] of KIND_LABELS) this.byKind.set(label, { pauses: 0, pauseSeconds: 0, maxPauseSeconds: 0 });
    this.byKind.set('other', { pauses: 0, pauseSeconds: 0, maxPauseSeconds: 0 });
  }

  /** Starts counting (idempotent). */
  start(): void {
    if (this.observer !== null) return;
    this.observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) this.record(e);
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Stops counting; the totals stay readable. */
  stop(): void {
    this.observer?.disconnect();
    this.observer = null;
  }

  /** Totals per kind label (minor, major, incremental, weakcb, other), since start. */
  totals(): ReadonlyMap<string, Readonly<GcKindTotals>> {
    return this.byKind;
  }

  private record(e: PerformanceEntry): void {
    // Node 20 puts the kind on `detail` (its typings here predate the field).
    const kind = ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind;
    const label = KIND_LABELS.find(([k]) => k === kind)?.[1] ?? 'other';
    const t = this.byKind.get(label)!;
    const seconds = e.duration / 1000;
    t.pauses++;
    t.pauseSeconds += seconds;
    if (seconds > t.maxPauseSeconds) t.maxPauseSeconds = seconds;
  }
}
