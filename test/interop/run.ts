// The interop runner: which drivers exist, one driver process per job (JSON lines
// in and out, with deadlines; a stuck driver is killed), running one case with one
// driver into an Outcome, and the whole matrix (each driver's cases in order,
// drivers side by side). Owns: processes and outcomes. Must not define cases
// (cases.ts) nor start brokers (interop.test.ts, against-kafka.ts).

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Command, DEFAULT_TIMEOUT_MS, type EventLine, type Op, type ResultLine, parseOutLine } from './protocol.js';
import { Verifier } from './verify.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository root (this file runs as dist/test/interop/run.js). */
export const REPO_ROOT = join(HERE, '..', '..', '..');
const NODE_MAIN = join(HERE, 'drivers', 'main.js');

/** Past a job's own deadline, how long the driver gets to print its error result before it is killed. */
const KILL_GRACE_MS = 5_000;
/** Events kept per job, at most (a group member prints one per poll). */
const EVENTS_MAX = 100_000;
const STDERR_KEEP_BYTES = 64 * 1024;

export type DriverName = 'samsa' | 'kafkajs' | 'platformatic' | 'kcat' | 'java' | 'go' | 'python';
export const NODE_DRIVERS: readonly DriverName[] = ['samsa', 'kafkajs', 'platformatic', 'kcat'];
export const EXTERNAL_DRIVERS: readonly DriverName[] = ['java', 'go', 'python'];
export const ALL_DRIVERS: readonly DriverName[] = [...NODE_DRIVERS, ...EXTERNAL_DRIVERS];

export interface DriverSpec {
  name: DriverName;
  /** argv of the driver process. */
  command: string[];
  available: boolean;
  /** Why it is not available, and how to get it. */
  missing?: string;
}

export function listDrivers(): DriverSpec[] {
  return ALL_DRIVERS.map((name): DriverSpec => {
    if (NODE_DRIVERS.includes(name)) {
      const command = [process.execPath, NODE_MAIN, name];
      if (name === 'kcat' && spawnSync(process.env.SAMSA_KCAT ?? 'kcat', ['-V'], { encoding: 'utf8' }).status !== 0) {
        return { name, command, available: false, missing: 'kcat is not installed (apt-get install -y kcat)' };
      }
      return { name, command, available: true };
    }
    // SAMSA_INTEROP_BIN: other directories (':'-separated) to look in first, e.g. another checkout's interop/bin.
    const dirs = [...(process.env.SAMSA_INTEROP_BIN ?? '').split(':').filter((d) => d !== ''), join(REPO_ROOT, 'interop', 'bin')];
    for (const dir of dirs) {
      const bin = join(dir, name);
      try {
        accessSync(bin, constants.X_OK);
        return { name, command: [bin], available: true };
      } catch {
        // not in this directory
      }
    }
    return { name, command: [join(REPO_ROOT, 'interop', 'bin', name)], available: false, missing: `interop/bin/${name} is not built (scripts/interop-build.sh ${name})` };
  });
}

// ------------------------------------------------------------------ one job

export interface JobOptions {
  /** The driver's deadline (params.timeoutMs). Default 30 s. */
  timeoutMs?: number;
  /** When the process is killed if still running. Default timeoutMs + grace. */
  killAfterMs?: number;
}

/** A driver process running one job. */
export class JobHandle {
  readonly events: EventLine[] = [];
  readonly result: Promise<ResultLine>;
  private readonly child: ChildProcessWithoutNullStreams;
  private stderrText = '';
  private exited = false;
  private resultLine: ResultLine | null = null;
  private readonly listeners = new Set<() => void>();
  private readonly killTimer: NodeJS.Timeout;
  private killedStuck = false;

  constructor(
    readonly driver: DriverSpec,
    readonly op: Op,
    bootstrap: string,
    params: object,
    opts: JobOptions = {},
  ) {
    const timeoutMs = opts.timeoutMs ?? (params as { timeoutMs?: number }).timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.child = spawn(driver.command[0]!, driver.command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    this.child.stdin.on('error', () => {}); // a driver that exits early closes its stdin
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderrText = (this.stderrText + d).slice(-STDERR_KEEP_BYTES);
    });
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      const parsed = parseOutLine(line);
      if (parsed === null) {
        if (line.trim() !== '') this.stderrText = `${this.stderrText}[stdout] ${line}\n`.slice(-STDERR_KEEP_BYTES);
        return;
      }
      if (parsed.type === 'result') this.resultLine ??= parsed;
      else if (this.events.length < EVENTS_MAX) this.events.push(parsed);
      this.notify();
    });
    this.result = new Promise<ResultLine>((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.exited = true;
        clearTimeout(this.killTimer);
        this.notify();
        if (this.resultLine !== null) resolve(this.resultLine);
        else if (this.killedStuck) resolve({ type: 'result', status: 'error', error: `driver stuck: killed ${timeoutMs + KILL_GRACE_MS} ms after its deadline of ${timeoutMs} ms without a result` });
        else resolve({ type: 'result', status: 'error', error: `driver broke: exited ${code ?? signal} without a result line` });
      };
      this.child.once('close', done);
      this.child.once('error', (err) => {
        this.stderrText += `${String(err)}\n`;
        done(null, null);
      });
    });
    this.killTimer = setTimeout(() => {
      this.killedStuck = true;
      this.child.kill('SIGKILL');
    }, opts.killAfterMs ?? timeoutMs + KILL_GRACE_MS);
    this.child.stdin.write(`${JSON.stringify({ op, bootstrap, params })}\n`);
  }

  get stderr(): string {
    return this.stderrText;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** The driver printed its result or exited. */
  get ended(): boolean {
    return this.exited || this.resultLine !== null;
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /**
   * The first event at index ≥ `from` that matches, waiting up to `timeoutMs`.
   * Rejects on the deadline or when the driver ends first (naming its result).
   */
  waitEvent(from: number, match: (e: EventLine) => boolean, timeoutMs: number, what: string): Promise<{ event: EventLine; index: number }> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        for (let i = from; i < this.events.length; i++) {
          const e = this.events[i]!;
          if (match(e)) {
            finish();
            resolve({ event: e, index: i });
            return true;
          }
        }
        if (this.exited || this.resultLine !== null) {
          finish();
          const r = this.resultLine;
          reject(new Error(`${this.driver.name} ${this.op} ended before ${what}: ${r === null ? 'no result' : `${r.status}${r.error !== undefined ? `: ${r.error}` : ''}`}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.driver.name} ${this.op}: ${what} did not happen within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (): void => void check();
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      if (check()) return;
      this.listeners.add(listener);
    });
  }

  /** Calls `fn` on every event from now on (and on those already there from `from`); returns an unsubscribe. */
  onEvents(from: number, fn: (e: EventLine) => void): () => void {
    let next = from;
    const listener = (): void => {
      while (next < this.events.length) fn(this.events[next++]!);
    };
    listener();
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  send(c: Command): void {
    if (!this.exited) this.child.stdin.write(`${JSON.stringify(c)}\n`);
  }

  /** stop, then EOF; resolves with the result. */
  stop(): Promise<ResultLine> {
    this.send({ cmd: 'stop' });
    this.child.stdin.end();
    return this.result;
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

// ------------------------------------------------------------------ one case

/**
 * pass; fail; not-in-client (the library cannot do it); client-bug (fails for a
 * known, documented reason in the client library: it fails the same on any
 * broker); skipped (the driver is not built here).
 */
export type OutcomeStatus = 'pass' | 'fail' | 'not-in-client' | 'client-bug' | 'skipped';

export interface Outcome {
  driver: DriverName;
  caseId: string;
  status: OutcomeStatus;
  /** Why it failed, or why it is not in the client / skipped. */
  detail?: string;
  /** Facts a case records for comparing brokers (error names, states), by key. */
  observed: Record<string, string>;
  notes: string[];
  durationMs: number;
  /** Driver stderr of the failed case's jobs (tail). */
  logs?: string;
}

/** Thrown by a case when the client library cannot do what the case needs. */
export class NotInClient extends Error {}

export interface BrokerTarget {
  kind: 'samsa' | 'kafka';
  bootstrap: string;
  /** Samsa's Prometheus endpoint (http://host:port/metrics), for cases that check what the broker counted. */
  metricsUrl?: string;
}

export interface CaseContext {
  readonly driver: DriverSpec;
  readonly broker: BrokerTarget;
  readonly verify: Verifier;
  /** A name unique to this (driver, case, run): `it-<driver>-<case>-<suffix>-<run>`. */
  name(suffix: string): string;
  start(op: Op, params: object, opts?: JobOptions): JobHandle;
  /** start, then wait for the result. */
  run(op: Op, params: object, opts?: JobOptions): Promise<ResultLine>;
  observe(key: string, value: string): void;
  note(text: string): void;
}

export interface InteropCase {
  id: string;
  title: string;
  /** What the case exercises, for the compatibility document. */
  exercises: string;
  ops: readonly Op[];
  /**
   * Failures known to be the client library's, by driver: a failure whose detail
   * matches `match` is a client-bug outcome (explained by `why`); any other failure
   * still fails.
   */
  clientBugs?: Partial<Record<DriverName, { match: RegExp; why: string }>>;
  /** The whole case's deadline. */
  timeoutMs: number;
  run(ctx: CaseContext): Promise<void>;
}

const RUN_ID = `${Date.now().toString(36)}${process.pid.toString(36)}`;

/** Runs one case with one driver; never throws. */
export async function runCase(c: InteropCase, driver: DriverSpec, broker: BrokerTarget): Promise<Outcome> {
  const started = Date.now();
  const base = { driver: driver.name, caseId: c.id };
  if (!driver.available) return { ...base, status: 'skipped', detail: driver.missing ?? 'not available', observed: {}, notes: [], durationMs: 0 };
  const jobs: JobHandle[] = [];
  const observed: Record<string, string> = {};
  const notes: string[] = [];
  const verify = new Verifier(broker.bootstrap);
  const ctx: CaseContext = {
    driver,
    broker,
    verify,
    name: (suffix) => `it-${driver.name}-${c.id}-${suffix}-${RUN_ID}`.slice(0, 240),
    start: (op, params, opts) => {
      const j = new JobHandle(driver, op, broker.bootstrap, params, opts);
      jobs.push(j);
      return j;
    },
    run: (op, params, opts) => ctx.start(op, params, opts).result,
    observe: (k, v) => {
      observed[k] = v;
    },
    note: (t) => {
      if (!notes.includes(t)) notes.push(t);
    },
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      c.run(ctx),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`case deadline of ${c.timeoutMs} ms passed`)), c.timeoutMs);
      }),
    ]);
    return { ...base, status: 'pass', observed, notes, durationMs: Date.now() - started };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    if (err instanceof NotInClient) return { ...base, status: 'not-in-client', detail, observed, notes, durationMs: Date.now() - started };
    const bug = c.clientBugs?.[driver.name];
    if (bug !== undefined && bug.match.test(detail)) return { ...base, status: 'client-bug', detail: `${bug.why} (seen: ${detail})`, observed, notes, durationMs: Date.now() - started };
    const logs = jobs
      .map((j) => `--- ${j.op} (${j.events.length} events)\n${j.stderr.slice(-4000)}`)
      .join('\n')
      .slice(-12_000);
    return { ...base, status: 'fail', detail, observed, notes, durationMs: Date.now() - started, logs };
  } finally {
    clearTimeout(timer);
    for (const j of jobs) j.kill();
    await Promise.all(jobs.map((j) => j.result));
    await verify.close().catch(() => {});
  }
}

/**
 * Runs every case with every driver: a driver's cases one after another, up to
 * `driverConcurrency` drivers at a time. `onOutcome` sees each outcome as it lands.
 */
export async function runMatrix(
  drivers: readonly DriverSpec[],
  cases: readonly InteropCase[],
  broker: BrokerTarget,
  opts: { driverConcurrency: number; onOutcome?: (o: Outcome) => void },
): Promise<Outcome[]> {
  const out: Outcome[] = [];
  const queue = [...drivers];
  const worker = async (): Promise<void> => {
    for (let d = queue.shift(); d !== undefined; d = queue.shift()) {
      for (const c of cases) {
        const o = await runCase(c, d, broker);
        out.push(o);
        opts.onOutcome?.(o);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.driverConcurrency, drivers.length)) }, worker));
  return out;
}
