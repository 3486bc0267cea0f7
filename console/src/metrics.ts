// The broker's own metrics, sampled: parses the Prometheus text of /metrics every
// few seconds and keeps the last minutes of derived series (rates from counters,
// interval means from summaries' _sum/_count, the quantiles as reported).
// Owns: the parser and the bounded history. Must not render.

import { api } from './api.js';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format 0.0.4 → series name → samples. Lines it cannot read are skipped. */
export function parseProm(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/;
  const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const raw of text.split('\n')) {
    if (raw === '' || raw.startsWith('#')) continue;
    const m = line.exec(raw);
    if (m === null) continue;
    const labels: Record<string, string> = {};
    if (m[3] !== undefined) {
      for (const l of m[3].matchAll(label)) labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const v = m[4] === 'NaN' ? NaN : m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    let list = out.get(m[1]!);
    if (list === undefined) out.set(m[1]!, (list = []));
    list.push({ labels, value: v });
  }
  return out;
}

/** Sum of a series' samples whose labels match `where`. */
export function sum(p: Map<string, Sample[]>, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const s of p.get(name) ?? []) {
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

export function pick(p: Map<string, Sample[]>, name: string, where: Record<string, string>): number | null {
  for (const s of p.get(name) ?? []) if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) return s.value;
  return null;
}

/** One scrape, reduced to what the charts and views use. */
export interface Point {
  atMs: number;
  recordsIn: number;
  recordsOut: number;
  bytesIn: number;
  bytesOut: number;
  produceP50: number | null;
  produceP99: number | null;
  produceSum: number;
  produceCount: number;
  fetchP50: number | null;
  fetchP99: number | null;
  fetchSum: number;
  fetchCount: number;
  /** shard → [fsync seconds total, count]. */
  fsync: Map<string, [number, number]>;
  /** shard → request ring bytes used. */
  ringRequest: Map<string, number>;
  connections: Map<string, number>;
}

function reduce(atMs: number, p: Map<string, Sample[]>): Point {
  const q = (name: string, quantile: string): number | null => {
    const v = pick(p, name, { quantile });
    return v === null || Number.isNaN(v) ? null : v * 1000;
  };
  const fsync = new Map<string, [number, number]>();
  for (const s of p.get('samsa_fsync_duration_seconds_sum') ?? []) {
    const shard = s.labels.shard ?? '?';
    fsync.set(shard, [s.value, pick(p, 'samsa_fsync_duration_seconds_count', { shard }) ?? 0]);
  }
  const ringRequest = new Map<string, number>();
  for (const s of p.get('samsa_ring_used_bytes') ?? []) if (s.labels.ring === 'request') ringRequest.set(s.labels.shard ?? '?', s.value);
  const connections = new Map<string, number>();
  for (const s of p.get('samsa_connections') ?? []) connections.set(s.labels.listener ?? '?', s.value);
  return {
    atMs,
    recordsIn: sum(p, 'samsa_topic_records_in_total'),
    recordsOut: sum(p, 'samsa_topic_records_out_total'),
    bytesIn: sum(p, 'samsa_topic_bytes_in_total'),
    bytesOut: sum(p, 'samsa_topic_bytes_out_total'),
    produceP50: q('samsa_produce_latency_seconds', '0.5'),
    produceP99: q('samsa_produce_latency_seconds', '0.99'),
    produceSum: sum(p, 'samsa_produce_latency_seconds_sum'),
    produceCount: sum(p, 'samsa_produce_latency_seconds_count'),
    fetchP50: q('samsa_fetch_latency_seconds', '0.5'),
    fetchP99: q('samsa_fetch_latency_seconds', '0.99'),
    fetchSum: sum(p, 'samsa_fetch_latency_seconds_sum'),
    fetchCount: sum(p, 'samsa_fetch_latency_seconds_count'),
    fsync,
    ringRequest,
    connections,
  };
}

export const SAMPLE_INTERVAL_MS = 2_000;
/** Five minutes of history at the sampling interval. */
export const HISTORY_POINTS_MAX = 150;

export type XY = [atMs: number, value: number];

/** Per-second rate of a counter between consecutive points (a restart's drop is skipped). */
export function rate(points: readonly Point[], get: (p: Point) => number): XY[] {
  const out: XY[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const d = get(b) - get(a);
    const dt = (b.atMs - a.atMs) / 1000;
    if (d >= 0 && dt > 0) out.push([b.atMs, d / dt]);
  }
  return out;
}

/** Mean per interval of a summary, in ms: Δsum / Δcount (seconds → ms); intervals without samples are left out. */
export function intervalMeanMs(points: readonly Point[], get: (p: Point) => [sum: number, count: number] | undefined): XY[] {
  const out: XY[] = [];
  for (let i = 1; i < points.length; i++) {
    const a = get(points[i - 1]!);
    const b = get(points[i]!);
    if (a === undefined || b === undefined) continue;
    const dc = b[1] - a[1];
    if (dc > 0) out.push([points[i]!.atMs, ((b[0] - a[0]) / dc) * 1000]);
  }
  return out;
}

export function series(points: readonly Point[], get: (p: Point) => number | null): XY[] {
  const out: XY[] = [];
  for (const p of points) {
    const v = get(p);
    if (v !== null && Number.isFinite(v)) out.push([p.atMs, v]);
  }
  return out;
}

/** Polls /metrics while the page is open; views read `points` and subscribe to updates. */
export class Sampler {
  readonly points: Point[] = [];
  lastError: string | null = null;
  private readonly listeners = new Set<() => void>();
  private timer: number | undefined;

  start(): void {
    if (this.timer !== undefined) return;
    const tick = async (): Promise<void> => {
      try {
        const text = await api.metrics();
        this.points.push(reduce(Date.now(), parseProm(text)));
        if (this.points.length > HISTORY_POINTS_MAX) this.points.splice(0, this.points.length - HISTORY_POINTS_MAX);
        this.lastError = null;
      } catch (err) {
        this.lastError = (err as Error).message;
      }
      for (const l of this.listeners) l();
      this.timer = window.setTimeout(() => void tick(), SAMPLE_INTERVAL_MS);
    };
    void tick();
  }

  onUpdate(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export const sampler = new Sampler();
