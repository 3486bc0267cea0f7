// Prometheus text exposition format 0.0.4, written by hand (prom-client is not a
// dependency). Owns: metric and label name checks, label value escaping, number
// formatting, and grouping each family's samples under one HELP/TYPE pair.
// Must not know any Samsa metric: broker-metrics.ts decides what is exported.
//
// Format rules kept here (prometheus.io/docs/instrumenting/exposition_formats):
// - HELP text escapes `\` and newline; label values escape `\`, `"` and newline.
// - A family's samples are contiguous, after its `# HELP` and `# TYPE` lines.
// - Values are Go-style floats: NaN, +Inf, -Inf spelled out.

export type MetricType = 'counter' | 'gauge' | 'summary' | 'untyped';
export type Labels = Readonly<Record<string, string | number>>;

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Bound on one exposition (families × samples), so a runaway label set cannot exhaust memory. */
export const SAMPLES_MAX = 1_000_000;

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  const parts: string[] = [];
  for (const k of keys) {
    if (!LABEL_NAME_RE.test(k) || k.startsWith('__')) throw new Error(`invalid Prometheus label name ${JSON.stringify(k)}`);
    parts.push(`${k}="${escapeLabelValue(String(labels[k]))}"`);
  }
  return `{${parts.join(',')}}`;
}

interface Family {
  name: string;
  type: MetricType;
  help: string;
  lines: string[];
}

/** Collects families and renders them in the order they were first declared. */
export class PromText {
  private readonly families = new Map<string, Family>();
  private samples = 0;

  /** Declares a family (idempotent for the same name and type). */
  family(name: string, type: MetricType, help: string): this {
    if (!METRIC_NAME_RE.test(name)) throw new Error(`invalid Prometheus metric name ${JSON.stringify(name)}`);
    const f = this.families.get(name);
    if (f !== undefined) {
      if (f.type !== type) throw new Error(`metric ${name} declared as ${f.type} and ${type}`);
      return this;
    }
    this.families.set(name, { name, type, help, lines: [] });
    return this;
  }

  /**
   * Adds a sample to family `name`; `suffix` is for summaries (`_sum`, `_count`).
   * The family must have been declared.
   */
  sample(name: string, labels: Labels | undefined, value: number, suffix = ''): this {
    const f = this.families.get(name);
    if (f === undefined) throw new Error(`metric ${name} sampled before it was declared`);
    if (suffix !== '' && suffix !== '_sum' && suffix !== '_count' && suffix !== '_total') throw new Error(`invalid sample suffix ${suffix}`);
    if (++this.samples > SAMPLES_MAX) throw new Error(`more than ${SAMPLES_MAX} samples in one exposition`);
    f.lines.push(`${name}${suffix}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  /** A summary: one sample per quantile, then `_sum` and `_count`. */
  summary(name: string, labels: Labels | undefined, quantiles: ReadonlyArray<readonly [number, number]>, sum: number, count: number): this {
    for (const [q, v] of quantiles) this.sample(name, { ...labels, quantile: String(q) }, v);
    this.sample(name, labels, sum, '_sum');
    this.sample(name, labels, count, '_count');
    return this;
  }

  toString(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
      out.push(`# TYPE ${f.name} ${f.type}`);
      for (const l of f.lines) out.push(l);
    }
    out.push('');
    return out.join('\n');
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
