// Interop driver for kcat (librdkafka 2.0.x, Debian's package). Owns: turning the
// contract's ops into kcat command lines and kcat's output back into contract
// lines. Must not judge outcomes (the suite does).
//
// What kcat can and cannot do, and how each is handled here:
// - produce: -P with -K (per-record key) and -D delimiters, -p for an explicit
//   partition, -H per header (a run of records with the same headers and partition
//   goes through one kcat), -z for the codec, -X acks / enable.idempotence, and
//   -X partitioner=murmur2_random for Java's key placement. kcat cannot set a
//   record's timestamp (unsupported). Offsets come from librdkafka's delivery reports
//   (-v -v); where the partition of each report cannot be told (keyed records on a
//   topic with several partitions) a result says partition -1, offset -1.
// - consume: -C -J with -o beginning|end|N|s@ts; `ready` once every partition has
//   reported its end or a record (kcat's "Reached end" lines).
// - group-member: -G with partition.assignment.strategy; assignments from kcat's
//   rebalance lines. kcat has no commit command: it auto-commits and commits on
//   close (SIGTERM), so `commit` answers committed with unsupported.
// - admin: only what kcat can ask: listTopics and describeTopic (-L), listOffsets
//   (-Q, with -2/-1 for earliest/latest). Everything else is unsupported.

import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { AdminParams, ConsumeParams, GroupMemberParams, Header, ProduceParams, RecordIn, RecordOut } from '../protocol.js';
import { type NodeDriver, type OpContext, type OpResult, RecordCollector, deferred, runAdminSteps, unsupported } from './common.js';

const KCAT = process.env.SAMSA_KCAT ?? 'kcat';
/** Message and key delimiters that test data never contains. */
const MSG_DELIM = '\\x1e';
const KEY_DELIM = '\\x1f';
const MSG_DELIM_CHAR = '\x1e';
const KEY_DELIM_CHAR = '\x1f';
/** Bound on the stderr kept for an error message. */
const STDERR_KEEP_BYTES = 16 * 1024;

function baseArgs(ctx: OpContext): string[] {
  // -m: seconds kcat waits for metadata and the like.
  return ['-b', ctx.bootstrap, '-m', String(Math.max(1, Math.ceil(ctx.timeoutMs / 1000))), '-X', 'client.id=interop-kcat'];
}

interface Run {
  stdout: string;
  /** The tail of stderr (STDERR_KEEP_BYTES). */
  stderr: string;
  code: number | null;
}

/** Runs kcat to completion with `input` on stdin; logs its stderr, whose every line also goes to `onLine`. */
function runKcat(ctx: OpContext, args: string[], input = '', onLine?: (line: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-STDERR_KEEP_BYTES);
    });
    if (onLine !== undefined) createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', onLine);
    child.once('error', reject);
    // kcat may exit before reading its input (e.g. on a bad option): not our crash.
    child.stdin.on('error', () => {});
    child.once('close', (code) => {
      // Without the per-record delivery lines (a few thousand of them say nothing).
      const logged = stderr.split('\n').filter((l) => l !== '' && !l.includes('Message delivered to partition'));
      if (logged.length > 0) ctx.log(`kcat ${args.join(' ')}:\n${logged.join('\n')}`);
      resolve({ stdout, stderr, code });
    });
    child.stdin.end(input);
  });
}

function lastErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => /ERROR|FAIL|fail|rror/.test(l));
  return (lines[lines.length - 1] ?? stderr.trim().split('\n').pop() ?? '').replace(/^%\s*/, '').trim();
}

interface Metadata {
  topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; error?: string }> }>;
}

async function metadata(ctx: OpContext, topic?: string): Promise<Metadata> {
  // A producer handle asks Metadata to auto-create the topics it names; describing must not create.
  const r = await runKcat(ctx, [...baseArgs(ctx), '-L', '-J', '-X', 'allow.auto.create.topics=false', ...(topic !== undefined ? ['-t', topic] : [])]);
  if (r.code !== 0) throw new Error(`kcat -L failed: ${lastErrorLine(r.stderr)}`);
  return JSON.parse(r.stdout) as Metadata;
}

/** librdkafka's error strings as Kafka names where they map ("Broker: Unknown topic or partition" → UNKNOWN_TOPIC_OR_PARTITION). */
function kafkaNameOf(err: string): string {
  const broker = /Broker: (.+)$/.exec(err)?.[1];
  if (broker === undefined) return err;
  return `${broker.trim().toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}: ${err}`;
}

async function partitionCount(ctx: OpContext, topic: string): Promise<number> {
  const md = await metadata(ctx, topic);
  const t = md.topics.find((x) => x.topic === topic);
  if (t === undefined || t.error !== undefined) throw new Error(kafkaNameOf(t?.error ?? `no metadata for ${topic}`));
  return t.partitions.length;
}

function sameRun(a: RecordIn, b: RecordIn): boolean {
  return a.partition === b.partition && JSON.stringify(a.headers ?? []) === JSON.stringify(b.headers ?? []);
}

async function produce(ctx: OpContext, p: ProduceParams): Promise<OpResult> {
  if (p.records.some((r) => r.timestamp !== undefined)) return unsupported("kcat -P cannot set a record's timestamp");
  if (p.records.some((r) => r.value.includes(MSG_DELIM_CHAR) || (r.key ?? '').includes(KEY_DELIM_CHAR) || r.value === '')) {
    return unsupported('kcat -P reads records from delimited text: empty values and values holding the delimiters cannot be sent');
  }
  if (p.records.some((r) => (r.headers ?? []).some(([k]) => k === '' || k.includes('=')))) return unsupported("kcat -H takes name=value: a header name cannot be empty or hold '='");
  const results: Array<{ partition: number; offset: number }> = [];
  let single: boolean | null = null;
  for (let i = 0; i < p.records.length; ) {
    let j = i + 1;
    while (j < p.records.length && sameRun(p.records[i]!, p.records[j]!)) j++;
    const run = p.records.slice(i, j);
    const first = run[0]!;
    const args = [
      ...baseArgs(ctx),
      '-P',
      '-t',
      p.topic,
      '-D',
      MSG_DELIM,
      '-K',
      KEY_DELIM,
      '-X',
      `acks=${p.acks === -1 ? 'all' : p.acks}`,
      '-X',
      `enable.idempotence=${p.idempotent}`,
      '-X',
      'partitioner=murmur2_random',
      '-X',
      'linger.ms=5',
      '-v',
      '-v',
    ];
    if (p.compression !== 'none') args.push('-z', p.compression);
    if (first.partition !== undefined) args.push('-p', String(first.partition));
    for (const [k, v] of first.headers ?? []) args.push('-H', `${k}=${v}`);
    const input = run.map((r) => (r.key !== null ? `${r.key}${KEY_DELIM_CHAR}${r.value}` : r.value) + MSG_DELIM_CHAR).join('');
    ctx.waiting(`kcat -P of records ${i}..${j - 1}`);
    // Delivery reports are read as they come: stderr is kept only as a tail.
    const reports: Array<{ partition: number; offset: number }> = [];
    let failed: string | undefined;
    const r = await runKcat(ctx, args, input, (line) => {
      const m = /Message delivered to partition (-?\d+) \(offset (-?\d+)\)/.exec(line);
      if (m !== null && reports.length <= run.length) reports.push({ partition: Number(m[1]), offset: Number(m[2]) });
      failed ??= /Delivery failed for message: (.*)/.exec(line)?.[1];
    });
    if (failed !== undefined) return { status: 'error', error: kafkaNameOf(failed.trim()) };
    if (r.code !== 0) return { status: 'error', error: `kcat -P exited ${r.code}: ${lastErrorLine(r.stderr)}` };
    if (reports.length !== run.length) return { status: 'error', error: `kcat reported ${reports.length} deliveries for ${run.length} records` };
    // Reports of one partition come in record order; across partitions they cannot be matched.
    if (first.partition === undefined && single === null) single = (await partitionCount(ctx, p.topic)) === 1;
    const ordered = first.partition !== undefined || single === true;
    for (const rep of reports) results.push(ordered ? { partition: rep.partition, offset: rep.offset < 0 || p.acks === 0 ? -1 : rep.offset } : { partition: -1, offset: -1 });
    i = j;
  }
  return { status: 'ok', data: { results } };
}

interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  ts?: number;
  headers?: Array<string | null>;
  key: string | null;
  payload: string | null;
}

function toRecord(m: KcatMessage): RecordOut {
  const headers: Header[] = [];
  const h = m.headers ?? [];
  for (let i = 0; i + 1 < h.length; i += 2) headers.push([h[i] ?? '', h[i + 1] ?? '']);
  return { partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers, timestamp: m.ts ?? -1 };
}

/** A long-running kcat whose stdout JSON lines and stderr lines are handed over as they come. */
function startKcat(ctx: OpContext, args: string[], onMessage: (m: KcatMessage) => void, onInfo: (line: string) => void): { child: ChildProcessWithoutNullStreams; exited: Promise<number | null>; stderr: () => string } {
  const child = spawn(KCAT, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on('line', (line) => {
    if (line.trim() === '') return;
    try {
      onMessage(JSON.parse(line) as KcatMessage);
    } catch {
      ctx.log(`kcat stdout: ${line}`);
    }
  });
  createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
    stderr = `${stderr}${line}\n`.slice(-STDERR_KEEP_BYTES);
    ctx.log(line);
    onInfo(line);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      stderr += `${String(err)}\n`;
      resolve(null);
    });
    child.once('close', (code) => resolve(code));
  });
  child.stdin.on('error', () => {});
  child.stdin.end();
  return { child, exited, stderr: () => stderr };
}

async function consume(ctx: OpContext, p: ConsumeParams): Promise<OpResult> {
  const got = new RecordCollector(ctx, p.count);
  ctx.waiting('metadata');
  const all = Array.from({ length: await partitionCount(ctx, p.topic) }, (_, i) => i);
  const wanted = p.partitions ?? all;
  const from = p.from;
  const offsetArg = from === 'earliest' ? 'beginning' : from === 'latest' ? 'end' : 'offset' in from ? String(from.offset) : `s@${from.timestamp}`;
  // One kcat for the whole topic, or one per partition when only some are wanted.
  const groups = wanted.length === all.length ? [null] : wanted;
  const positioned = new Set<number>();
  const ready = deferred<void>();
  let isReady = false;
  const markPositioned = (partition: number): void => {
    positioned.add(partition);
    if (!isReady && wanted.every((x) => positioned.has(x))) {
      isReady = true;
      ctx.emit('ready');
      ready.resolve();
    }
  };
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  const procs = groups.map((partition) =>
    startKcat(
      ctx,
      [...baseArgs(ctx), '-C', '-t', p.topic, '-J', '-u', '-o', offsetArg, ...(partition !== null ? ['-p', String(partition)] : []), ...(groups.length === 1 && p.count > 0 ? ['-c', String(p.count)] : [])],
      (m) => {
        markPositioned(m.partition);
        if (got.add([toRecord(m)])) finish();
      },
      (line) => {
        const eof = /Reached end of topic .* \[(\d+)\] at offset/.exec(line);
        if (eof !== null) markPositioned(Number(eof[1]));
      },
    ),
  );
  ctx.waiting('kcat to reach every partition');
  // Nothing to read: done once positioned.
  if (p.count === 0) void ready.promise.then(finish);
  const exitedEarly = Promise.all(procs.map((x) => x.exited)).then(() => 'exited' as const);
  const how = await Promise.race([done.then(() => 'done' as const), exitedEarly]);
  for (const x of procs) x.child.kill('SIGTERM');
  await Promise.all(procs.map((x) => x.exited));
  if (how === 'exited' && !got.done) {
    return { status: 'error', error: `kcat exited after ${got.records.length} of ${p.count} records: ${lastErrorLine(procs.map((x) => x.stderr()).join(''))}`, data: { records: got.records } };
  }
  return { status: 'ok', data: { records: got.records } };
}

async function groupMember(ctx: OpContext, p: GroupMemberParams): Promise<OpResult> {
  if (p.groupProtocol === 'consumer') return unsupported('kcat (librdkafka 2.0) predates the KIP-848 consumer protocol');
  let assigned = new Set<number>();
  let consumed = 0;
  const emitAssigned = (): void => {
    ctx.deadlineMet();
    ctx.emit('assigned', { partitions: [...assigned].sort((a, b) => a - b) });
  };
  const parts = (s: string): number[] => [...s.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
  const args = [
    ...baseArgs(ctx),
    '-G',
    p.groupId,
    '-J',
    '-u',
    '-X',
    `partition.assignment.strategy=${p.assignor}`,
    '-X',
    `auto.offset.reset=${p.autoOffsetReset}`,
    '-X',
    'session.timeout.ms=10000',
    '-X',
    'heartbeat.interval.ms=300',
    '-X',
    'enable.auto.commit=true',
    '-X',
    'auto.commit.interval.ms=200',
    p.topic,
  ];
  ctx.waiting('the first assignment');
  const proc = startKcat(
    ctx,
    args,
    (m) => {
      consumed++;
      ctx.emit('records', { records: [toRecord(m)] });
    },
    (line) => {
      // Eager: "% Group g rebalanced (memberid m): assigned: t [0], t [1]" (the whole set).
      const eager = /rebalanced \(memberid [^)]*\): (assigned|revoked): (.*)$/.exec(line);
      if (eager !== null) {
        if (eager[1] === 'assigned') {
          assigned = new Set(parts(eager[2]!));
          emitAssigned();
        } else assigned = new Set();
        return;
      }
      // Cooperative: "... incremental assignment|revoke of N partition(s) (memberid m, COOPERATIVE rebalance protocol): t [0]".
      const coop = /rebalanced: incremental (assignment|revoke) of \d+ partition\(s\) \(.*protocol\): ?(.*)$/.exec(line);
      if (coop !== null) {
        for (const x of parts(coop[2]!)) {
          if (coop[1] === 'assignment') assigned.add(x);
          else assigned.delete(x);
        }
        emitAssigned();
      }
    },
  );
  for (;;) {
    const c = await Promise.race([ctx.nextCommand(), proc.exited.then(() => null)]);
    if (c === null) return { status: 'error', error: `kcat -G exited: ${lastErrorLine(proc.stderr())}`, data: { consumed } };
    if (c.cmd === 'stop') break;
    ctx.emit('committed', { unsupported: true, error: 'kcat has no commit command: it commits automatically (auto.commit.interval.ms) and on close' });
  }
  ctx.waiting('kcat -G to commit, leave the group and exit');
  // SIGTERM: kcat closes the consumer (final commit, LeaveGroup) and exits.
  proc.child.kill('SIGTERM');
  const code = await proc.exited;
  if (code !== 0) return { status: 'error', error: `kcat -G exited ${code}: ${lastErrorLine(proc.stderr())}`, data: { consumed } };
  return { status: 'ok', data: { consumed } };
}

async function admin(ctx: OpContext, p: AdminParams): Promise<OpResult> {
  return runAdminSteps(
    ctx,
    p.steps,
    {
      listTopics: async () => ({ topics: (await metadata(ctx)).topics.map((t) => t.topic).filter((t) => !t.startsWith('__')).sort() }),
      describeTopic: async (s) => ({ partitions: await partitionCount(ctx, s.topic) }),
      listOffsets: async (s) => {
        const ts = s.spec === 'earliest' ? -2 : s.spec === 'latest' ? -1 : s.spec.timestamp;
        const r = await runKcat(ctx, [...baseArgs(ctx), '-Q', '-J', '-t', `${s.topic}:${s.partition}:${ts}`]);
        if (r.code !== 0) throw new Error(kafkaNameOf(lastErrorLine(r.stderr)));
        const parsed = JSON.parse(r.stdout) as Record<string, Record<string, { offset?: number; error?: string }>>;
        const part = parsed[s.topic]?.[String(s.partition)];
        if (part === undefined) throw new Error(`no answer for ${s.topic}-${s.partition}`);
        if (part.error !== undefined) throw new Error(kafkaNameOf(part.error));
        return { offset: part.offset ?? -1 };
      },
    },
    (step) => `kcat has no admin command for ${step}`,
  );
}

/** Whether kcat is installed (the suite skips this driver otherwise). */
export function kcatAvailable(): boolean {
  return spawnSync(KCAT, ['-V'], { encoding: 'utf8' }).status === 0;
}

export const driver: NodeDriver = { produce, consume, groupMember, admin };
