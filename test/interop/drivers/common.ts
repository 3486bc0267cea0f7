// What every Node-side interop driver shares: the op context (events out, commands
// in, the deadline), the NodeDriver interface, the admin step loop, and turning a
// client library's error into one line that starts with the Kafka error name.
// Owns: these helpers only. Must not import a client library (each driver file
// imports its own) and must not decide whether a case passed (the suite does).

import type {
  AdminParams,
  AdminStep,
  Command,
  ConsumeParams,
  GroupMemberParams,
  Header,
  ProduceParams,
  RecordOut,
  ResultLine,
  StepName,
  StepResult,
} from '../protocol.js';

export interface OpContext {
  readonly bootstrap: string;
  /** The op's deadline (params.timeoutMs or the default). */
  readonly timeoutMs: number;
  /** Prints one event line. */
  emit(event: string, fields?: Record<string, unknown>): void;
  /** The next command from stdin; EOF reads as stop. */
  nextCommand(): Promise<Command>;
  /** Names what the op waits for now: the deadline's error says it. */
  waiting(what: string): void;
  /** Data a deadline error result still carries (e.g. the records read so far). */
  partial(data: ResultLine['data']): void;
  /** The deadline no longer applies (group-member: after the first assignment). */
  deadlineMet(): void;
  /** A free-form log line on stderr. */
  log(message: string): void;
}

export type OpResult =
  | { status: 'ok'; data: NonNullable<ResultLine['data']> }
  | { status: 'error'; error: string; data?: ResultLine['data'] }
  | { status: 'unsupported'; error: string };

export interface NodeDriver {
  produce(ctx: OpContext, p: ProduceParams): Promise<OpResult>;
  consume(ctx: OpContext, p: ConsumeParams): Promise<OpResult>;
  groupMember(ctx: OpContext, p: GroupMemberParams): Promise<OpResult>;
  admin(ctx: OpContext, p: AdminParams): Promise<OpResult>;
}

export function unsupported(why: string): OpResult {
  return { status: 'unsupported', error: why };
}

/** A step implementation returns the step's result fields (without ok). */
export type StepImpl<S extends AdminStep = AdminStep> = (step: S) => Promise<Omit<StepResult, 'ok'> | void>;
export type StepImpls = { [K in StepName]?: StepImpl<Extract<AdminStep, { do: K }>> };

/**
 * Runs every step in order and never stops at a failed one. A step the driver has
 * no implementation for answers `unsupported` with `why(step)`.
 */
export async function runAdminSteps(
  ctx: OpContext,
  steps: readonly AdminStep[],
  impls: StepImpls,
  why: (name: StepName) => string,
  describe: (err: unknown) => string = errorLine,
): Promise<OpResult> {
  const results: StepResult[] = [];
  for (const [i, step] of steps.entries()) {
    const impl = impls[step.do] as StepImpl | undefined;
    if (impl === undefined) {
      results.push({ ok: false, unsupported: true, error: why(step.do) });
      continue;
    }
    ctx.waiting(`admin step ${i} (${step.do})`);
    ctx.partial({ results: [...results] });
    try {
      const r = await impl(step);
      results.push({ ok: true, ...(r ?? {}) });
    } catch (err) {
      results.push({ ok: false, error: describe(err) });
    }
  }
  return { status: 'ok', data: { results } };
}

const KAFKA_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/;

/**
 * The Kafka error names an error carries: kafkajs's `type`, @platformatic/kafka's
 * `apiId`, Samsa's KafkaError `code` (through `nameOfCode`), looked up through
 * `errors` (aggregates) and `cause`, a few levels deep.
 */
function kafkaNames(err: unknown, nameOfCode: ((code: number) => string) | undefined, depth = 0, out: string[] = []): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return out;
  const e = err as Record<string, unknown>;
  for (const field of ['type', 'apiId'] as const) {
    const v = e[field];
    if (typeof v === 'string' && /^[A-Z][A-Z0-9_]+$/.test(v) && v.includes('_') && !out.includes(v)) out.push(v);
  }
  if (nameOfCode !== undefined && typeof e.code === 'number' && err instanceof Error) {
    const n = nameOfCode(e.code);
    if (KAFKA_NAME.test(n) && !out.includes(n)) out.push(n);
  }
  // Aggregates: kafkajs's KafkaJSAggregateError (errors), KafkaJSDeleteGroupsError
  // (groups[].error), KafkaJSDeleteTopicRecordsError (partitions[].error); causes.
  for (const field of ['errors', 'groups', 'partitions', 'topics'] as const) {
    const list = e[field];
    if (Array.isArray(list)) for (const x of list.slice(0, 16)) kafkaNames(x, nameOfCode, depth + 1, out);
  }
  if (e.error !== undefined) kafkaNames(e.error, nameOfCode, depth + 1, out);
  if (e.cause !== undefined) kafkaNames(e.cause, nameOfCode, depth + 1, out);
  return out;
}

/** The message of the innermost error an aggregate or a cause chain leads to (first branch), when it differs. */
function innermost(err: unknown): string | null {
  let cur: unknown = err;
  for (let depth = 0; depth < 6; depth++) {
    if (typeof cur !== 'object' || cur === null) break;
    const e = cur as { errors?: unknown; cause?: unknown };
    const next = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : e.cause;
    if (next === undefined || next === null) break;
    cur = next;
  }
  if (cur === err || !(cur instanceof Error)) return null;
  return cur.message;
}

/** One line: "KAFKA_ERROR_NAME: message" when a Kafka error name is known, else the message. */
export function errorLine(err: unknown, nameOfCode?: (code: number) => string): string {
  const inner = innermost(err);
  const top = err instanceof Error ? err.message : String(err);
  const message = (inner !== null && inner !== top ? `${top} (${inner})` : top).replace(/\s+/g, ' ').trim().slice(0, 500);
  const names = kafkaNames(err, nameOfCode);
  const fromMessage = KAFKA_NAME.exec(message)?.[0];
  const name = names[0] ?? fromMessage;
  if (name === undefined || message.startsWith(`${name}`)) return message === '' ? 'error' : message;
  return `${name}: ${message}`;
}

/** UTF-8 text of a key/value/header value (null stays null). */
export function text(b: Uint8Array | string | null | undefined): string | null {
  if (b === null || b === undefined) return null;
  if (typeof b === 'string') return b;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

/** The contract's headers from a list of [key, value] byte/strings pairs. */
export function headerPairs(entries: Iterable<[string | Uint8Array, string | Uint8Array | null | undefined]>): Header[] {
  const out: Header[] = [];
  for (const [k, v] of entries) out.push([text(k) ?? '', text(v) ?? '']);
  return out;
}

/** Collects records for a consume op, reporting partial data for the deadline. */
export class RecordCollector {
  readonly records: RecordOut[] = [];
  constructor(
    private readonly ctx: OpContext,
    private readonly count: number,
  ) {
    ctx.partial({ records: this.records });
  }

  /** Adds records; true once `count` arrived (extra ones are dropped: the result has exactly `count`). */
  add(rs: readonly RecordOut[]): boolean {
    for (const r of rs) {
      if (this.records.length >= this.count) break;
      this.records.push(r);
    }
    this.ctx.waiting(`records: ${this.records.length} of ${this.count} arrived`);
    return this.records.length >= this.count;
  }

  get done(): boolean {
    return this.records.length >= this.count;
  }
}

/** A promise with its resolve function outside, for "resolve when X happens". */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Kafka's range assignor (per topic: members sorted by id, n/m each, the first n%m one more), for clients that take a custom assignor but ship none. */
export function rangeAssign(memberIds: readonly string[], partitionCount: number): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const out = new Map<string, number[]>(sorted.map((m) => [m, []]));
  if (sorted.length === 0) return out;
  const per = Math.floor(partitionCount / sorted.length);
  const extra = partitionCount % sorted.length;
  let next = 0;
  for (const [i, m] of sorted.entries()) {
    const n = per + (i < extra ? 1 : 0);
    for (let k = 0; k < n; k++) out.get(m)!.push(next++);
  }
  return out;
}

/** Between polls while an admin step waits for its effect to show. */
const VISIBLE_POLL_MS = 50;
/** A step waits at most this long for its effect (Kafka shows it within a second). */
export const VISIBLE_WITHIN_MS = 15_000;

/**
 * Waits until `check` holds: an admin step is done when its effect is visible
 * (interop/README.md), since Kafka applies topic changes through its controller and
 * its brokers learn them a moment later. Throws naming `what` when it never shows.
 */
export async function waitVisible(what: string, check: () => Promise<boolean>, withinMs = VISIBLE_WITHIN_MS): Promise<void> {
  const end = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= end) throw new Error(`${what} did not show within ${withinMs} ms${last !== undefined ? ` (last: ${last instanceof Error ? last.message : String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, VISIBLE_POLL_MS));
  }
}

/** describeConfigs answers every asked key: null where the broker reports none. */
export function withAllKeys(keys: readonly string[], configs: Record<string, string | null>): Record<string, string | null> {
  const out: Record<string, string | null> = { ...configs };
  for (const k of keys) if (!(k in out)) out[k] = null;
  return out;
}
