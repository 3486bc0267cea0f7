// The interop cases, written once as a table: each has an id, what it exercises,
// the ops it runs and how it checks. A case sets up with the suite's own client
// (verify.ts), runs driver jobs, and checks their outcome itself — reading back
// with the second client what a driver wrote, producing first what a driver is to
// read. Owns: the cases and their checks. Must not start brokers or processes
// directly (run.ts does) and must not trust a driver's account of a write.
//
// A case throws NotInClient when the driver answers `unsupported` for what the case
// is about, and any other error when a check fails. It records `observe(key, value)`
// facts (error names, group states) that should be the same on every broker, so
// against-kafka.ts can list where Samsa answers differently from Apache Kafka.

import { partitionForKey } from '../../src/client/index.js';
import type { Assignor, Compression, EventLine, Header, RecordIn, RecordOut, ResultLine, StepResult } from './protocol.js';
import { type CaseContext, type InteropCase, type JobHandle, NotInClient } from './run.js';
import { CODEC_BY_ATTRIBUTE, until } from './verify.js';

const JOB_TIMEOUT_MS = 20_000;
const SHORT_CASE_MS = 60_000;
const GROUP_CASE_MS = 120_000;
/** How long a group may take to settle after a join or leave. */
const STABLE_WITHIN_MS = 45_000;
/** Slack on a producer-set CreateTime (the driver's clock is this machine's). */
const TIMESTAMP_SLACK_MS = 2_000;

// ------------------------------------------------------------------ checks

const KAFKA_NAME = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/;

/** The Kafka error name a driver's error line starts with (or holds), else the whole line. */
export function errorNameOf(error: string | undefined): string {
  if (error === undefined) return '(none)';
  return KAFKA_NAME.exec(error)?.[0] ?? error;
}

function fail(message: string): never {
  throw new Error(message);
}

function check(cond: boolean, message: string | (() => string)): asserts cond {
  if (!cond) fail(typeof message === 'string' ? message : message());
}

/** The data of an ok result; `unsupported` becomes NotInClient, `error` a failure. */
function ok(r: ResultLine, what: string): NonNullable<ResultLine['data']> {
  if (r.status === 'unsupported') throw new NotInClient(`${what}: ${r.error ?? 'unsupported'}`);
  if (r.status !== 'ok') fail(`${what}: ${r.error ?? 'error'}`);
  return r.data ?? {};
}

function stepResults(r: ResultLine): StepResult[] {
  const d = ok(r, 'admin');
  const results = d.results as StepResult[] | undefined;
  check(Array.isArray(results), 'admin: no results');
  return results;
}

/** Step i's result, which must be ok (unsupported: the case is not in this client). */
function stepOk(results: StepResult[], i: number, what: string): StepResult {
  const s = results[i];
  check(s !== undefined, `${what}: no result`);
  if (s.unsupported === true) throw new NotInClient(`${what}: ${s.error ?? 'unsupported'}`);
  check(s.ok, `${what}: ${s.error ?? 'failed'}`);
  return s;
}

/**
 * Step i must fail with `expected` (a Kafka error name); the name seen is observed
 * under `key`. An unsupported step is noted and skipped, not failed.
 */
function stepFails(ctx: CaseContext, results: StepResult[], i: number, what: string, expected: string | readonly string[]): void {
  const s = results[i];
  check(s !== undefined, `${what}: no result`);
  if (s.unsupported === true) {
    ctx.note(`${what}: not in this client`);
    return;
  }
  const name = s.ok ? 'ok' : errorNameOf(s.error);
  ctx.observe(what, name);
  const allowed = typeof expected === 'string' ? [expected] : expected;
  check(!s.ok, `${what}: succeeded, expected ${allowed.join(' or ')}`);
  check(allowed.includes(name), `${what}: failed with "${s.error ?? ''}", expected ${allowed.join(' or ')}`);
}

function sameHeaders(a: readonly Header[] | undefined, b: readonly Header[]): boolean {
  const x = a ?? [];
  return x.length === b.length && x.every(([k, v], i) => b[i]![0] === k && b[i]![1] === v);
}

function show(r: RecordOut | RecordIn): string {
  return JSON.stringify(r);
}

/**
 * The records read back equal the records sent: same count, and for each partition
 * in offset order the same keys, values and headers in send order; timestamps equal
 * the ones set, or lie within [fromMs, toMs] when the client set them.
 */
function checkReadBack(sent: readonly RecordIn[], got: readonly RecordOut[], placement: (r: RecordIn, i: number) => number | null, window: { fromMs: number; toMs: number }): void {
  check(got.length === sent.length, () => `read back ${got.length} records, sent ${sent.length}: ${got.slice(0, 3).map(show).join(' ')}`);
  const byValue = new Map(sent.map((r, i) => [r.value, { r, i }]));
  check(byValue.size === sent.length, 'case error: values must be unique');
  const lastIndexByPartition = new Map<number, number>();
  for (const g of got) {
    const s = byValue.get(g.value ?? '');
    check(s !== undefined, () => `read back a record that was not sent: ${show(g)}`);
    byValue.delete(g.value ?? '');
    const { r, i } = s;
    check(g.key === r.key, () => `record ${i}: key ${JSON.stringify(g.key)}, sent ${JSON.stringify(r.key)}`);
    check(sameHeaders(r.headers, g.headers), () => `record ${i}: headers ${JSON.stringify(g.headers)}, sent ${JSON.stringify(r.headers ?? [])}`);
    if (r.timestamp !== undefined) check(g.timestamp === r.timestamp, () => `record ${i}: timestamp ${g.timestamp}, sent ${r.timestamp}`);
    else check(g.timestamp >= window.fromMs - TIMESTAMP_SLACK_MS && g.timestamp <= window.toMs + TIMESTAMP_SLACK_MS, () => `record ${i}: timestamp ${g.timestamp} is not the send time (${window.fromMs}..${window.toMs})`);
    const want = placement(r, i);
    if (want !== null) check(g.partition === want, () => `record ${i} (key ${JSON.stringify(r.key)}): on partition ${g.partition}, expected ${want}`);
    const last = lastIndexByPartition.get(g.partition) ?? -1;
    check(i > last, () => `partition ${g.partition}: record ${i} is after record ${last} in the log, but was sent before it`);
    lastIndexByPartition.set(g.partition, i);
  }
}

/** The driver's own per-record results agree with the read-back (where it knows them). */
function checkProduceResults(sent: readonly RecordIn[], data: NonNullable<ResultLine['data']>, got: readonly RecordOut[], acks: number): void {
  const results = data.results as Array<{ partition: number; offset: number }> | undefined;
  check(Array.isArray(results) && results.length === sent.length, () => `produce: ${Array.isArray(results) ? results.length : 'no'} results for ${sent.length} records`);
  const where = new Map(got.map((g) => [g.value, g]));
  for (const [i, res] of results.entries()) {
    const g = where.get(sent[i]!.value)!;
    if (res.partition !== -1) check(res.partition === g.partition, () => `produce result ${i}: partition ${res.partition}, but the record is on ${g.partition}`);
    if (res.offset !== -1) {
      check(acks !== 0, `produce result ${i}: offset ${res.offset} with acks=0 (the broker does not answer acks=0)`);
      check(res.offset === g.offset, () => `produce result ${i}: offset ${res.offset}, but the record is at ${g.offset}`);
    }
  }
}

/** Consumed records equal the expected ones (same partition, offset, key, value, headers, timestamp), each partition in offset order. */
function checkConsumed(expected: readonly RecordOut[], got: readonly RecordOut[], what: string): void {
  check(got.length === expected.length, () => `${what}: got ${got.length} records, expected ${expected.length}; first: ${got.slice(0, 2).map(show).join(' ')}`);
  const want = new Map(expected.map((r) => [`${r.partition}:${r.offset}`, r]));
  const last = new Map<number, number>();
  for (const g of got) {
    const e = want.get(`${g.partition}:${g.offset}`);
    check(e !== undefined, () => `${what}: unexpected record ${show(g)}`);
    want.delete(`${g.partition}:${g.offset}`);
    check(g.key === e.key && g.value === e.value, () => `${what}: ${show(g)}, expected ${show(e)}`);
    check(sameHeaders(e.headers, g.headers), () => `${what}: headers ${JSON.stringify(g.headers)} at ${g.partition}:${g.offset}, expected ${JSON.stringify(e.headers)}`);
    check(g.timestamp === e.timestamp, () => `${what}: timestamp ${g.timestamp} at ${g.partition}:${g.offset}, expected ${e.timestamp}`);
    check(g.offset > (last.get(g.partition) ?? -1), () => `${what}: partition ${g.partition} delivered offset ${g.offset} after ${last.get(g.partition)}`);
    last.set(g.partition, g.offset);
  }
}

function records(data: NonNullable<ResultLine['data']>, what: string): RecordOut[] {
  const rs = data.records;
  check(Array.isArray(rs), `${what}: no records in the result`);
  return rs;
}

/** Where Samsa's client put records (it is the reference for reads), as RecordOut. */
function placed(sent: readonly RecordIn[], where: ReadonlyArray<{ partition: number; offset: number }>): RecordOut[] {
  return sent.map((r, i) => ({ partition: where[i]!.partition, offset: where[i]!.offset, key: r.key, value: r.value, headers: r.headers ?? [], timestamp: r.timestamp ?? -1 }));
}

// ------------------------------------------------------------------ produce cases

interface ProduceSpec {
  id: string;
  title: string;
  exercises: string;
  partitions: number;
  acks: 0 | 1 | -1;
  compression: Compression;
  idempotent: boolean;
  records: (ctx: CaseContext) => RecordIn[];
  /** The partition a record must land on (null: any). */
  placement?: (r: RecordIn, i: number, partitions: number) => number | null;
  extra?: (ctx: CaseContext, topic: string, sent: RecordIn[], got: RecordOut[]) => Promise<void>;
}

function produceCase(s: ProduceSpec): InteropCase {
  return {
    id: s.id,
    title: s.title,
    exercises: s.exercises,
    ops: ['produce'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const topic = ctx.name('t');
      await ctx.verify.createTopic(topic, s.partitions);
      const sent = s.records(ctx);
      const fromMs = Date.now();
      const data = ok(await ctx.run('produce', { topic, acks: s.acks, compression: s.compression, idempotent: s.idempotent, records: sent, timeoutMs: JOB_TIMEOUT_MS }), 'produce');
      const toMs = Date.now();
      const got = await ctx.verify.readAll(topic, sent.length);
      checkReadBack(sent, got, (r, i) => (s.placement ?? ((x) => (x.partition !== undefined ? x.partition : null)))(r, i, s.partitions), { fromMs, toMs });
      checkProduceResults(sent, data, got, s.acks);
      await s.extra?.(ctx, topic, sent, got);
    },
  };
}

const plainRecords = (prefix: string, n: number) => (): RecordIn[] => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `${prefix}-${i}` }));

/** 200 compressible records (~120 bytes each). */
const codecRecords = (codec: Compression) => (): RecordIn[] =>
  Array.from({ length: 200 }, (_, i) => ({ key: `key-${i % 10}`, value: `${codec}-${String(i).padStart(4, '0')} ${'the quick brown fox jumps over the lazy dog '.repeat(2)}` }));

/**
 * The stored batches carry `codec`: at least one, and no other codec. A batch may
 * be stored uncompressed where compressing would not shrink it (librdkafka sends
 * such batches as they are, e.g. a first batch of one small record); that is noted.
 */
async function checkCodec(ctx: CaseContext, topic: string, codec: Compression): Promise<void> {
  const batches = await ctx.verify.batches(topic, 0);
  check(batches.length > 0, 'no batches read back');
  const used = batches.map((b) => CODEC_BY_ATTRIBUTE[b.compression] ?? `code ${b.compression}`);
  const other = used.filter((u) => u !== codec && u !== 'none');
  check(used.includes(codec) && other.length === 0, () => `the stored batches are compressed with ${[...new Set(used)].join(', ')}, expected ${codec}`);
  const plain = batches.filter((b) => b.compression === 0);
  if (codec !== 'none' && plain.length > 0) ctx.note(`${plain.length} of ${batches.length} batches (${plain.reduce((n, b) => n + b.recordCount, 0)} records) stored uncompressed`);
}

const PRODUCE_CASES: InteropCase[] = [
  ...([0, 1, -1] as const).map((acks) =>
    produceCase({
      id: `produce-acks-${acks === -1 ? 'all' : acks}`,
      title: `produce with acks=${acks === -1 ? 'all (-1)' : acks}`,
      exercises: `Produce with acks ${acks}${acks === 0 ? ' (no response: the broker must still append)' : ''}; 20 records in order on one partition, read back`,
      partitions: 1,
      acks,
      compression: 'none',
      idempotent: false,
      records: plainRecords(`acks${acks}`, 20),
    }),
  ),
  produceCase({
    id: 'produce-many',
    title: 'many batches of one partition',
    exercises: '2000 records (~250 KB) to one partition in one go, more than a batch holds: every one read back, in order, whatever batches and requests the client cuts them into',
    partitions: 1,
    acks: -1,
    compression: 'none',
    idempotent: false,
    records: () => Array.from({ length: 2000 }, (_, i) => ({ key: `m${i % 50}`, value: `many-${String(i).padStart(5, '0')} ${'x'.repeat(100)}` })),
  }),
  produceCase({
    id: 'produce-keys',
    title: 'keyed records land where murmur2 puts them',
    exercises: "60 keyed records on a 6-partition topic with the client's default (Java-compatible) partitioner; each must be on toPositive(murmur2(key)) % 6",
    partitions: 6,
    acks: -1,
    compression: 'none',
    idempotent: false,
    records: () => Array.from({ length: 60 }, (_, i) => ({ key: `user-${i}-${(i * 7919) % 1000}`, value: `keyed-${i}` })),
    placement: (r, _i, n) => partitionForKey(Buffer.from(r.key!), n),
  }),
  produceCase({
    id: 'produce-headers',
    title: 'record headers',
    exercises: 'Headers with distinct keys, UTF-8 values and an empty value, in order',
    partitions: 1,
    acks: -1,
    compression: 'none',
    idempotent: false,
    records: () =>
      Array.from({ length: 10 }, (_, i) => ({
        key: `h${i}`,
        value: `with-headers-${i}`,
        headers: [
          ['trace-id', `trace-${i}`],
          ['utf8', 'ünïcødé ✓ 日本'],
          ['empty', ''],
        ],
      })),
  }),
  produceCase({
    id: 'produce-headers-repeated',
    title: 'a header key that repeats',
    exercises: 'Two headers with the same key (Kafka allows it; order kept)',
    partitions: 1,
    acks: -1,
    compression: 'none',
    idempotent: false,
    records: () =>
      Array.from({ length: 5 }, (_, i) => ({
        key: `r${i}`,
        value: `repeated-${i}`,
        headers: [
          ['hop', `first-${i}`],
          ['hop', `second-${i}`],
          ['last', 'x'],
        ],
      })),
  }),
  produceCase({
    id: 'produce-timestamps',
    title: 'producer-set CreateTime',
    exercises: 'Records with explicit timestamps a day old, read back exactly',
    partitions: 1,
    acks: -1,
    compression: 'none',
    idempotent: false,
    records: () => {
      const t0 = Date.now() - 86_400_000;
      return Array.from({ length: 10 }, (_, i) => ({ key: `ts${i}`, value: `timestamped-${i}`, timestamp: t0 + i * 1000 }));
    },
  }),
  ...(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).map((codec) =>
    produceCase({
      id: `produce-${codec}`,
      title: `compression ${codec}`,
      exercises: `200 records with compression ${codec}; read back, and every stored batch carries codec ${codec}`,
      partitions: 1,
      acks: -1,
      compression: codec,
      idempotent: false,
      records: codecRecords(codec),
      extra: (ctx, topic) => checkCodec(ctx, topic, codec),
    }),
  ),
  produceCase({
    id: 'produce-idempotent',
    title: 'idempotent producer',
    exercises: '30 keyed records on 3 partitions with idempotence on (InitProducerId, sequences); no duplicates, and every batch carries a producer id and contiguous sequences from 0',
    partitions: 3,
    acks: -1,
    compression: 'none',
    idempotent: true,
    records: () => Array.from({ length: 30 }, (_, i) => ({ key: `idem-${i}`, value: `idempotent-${i}` })),
    placement: (r, _i, n) => partitionForKey(Buffer.from(r.key!), n),
    extra: async (ctx, topic) => {
      for (let p = 0; p < 3; p++) {
        const batches = await ctx.verify.batches(topic, p);
        let next = 0;
        for (const b of batches) {
          check(b.producerId >= 0, () => `partition ${p}: a batch at ${b.baseOffset} has no producer id (${b.producerId}): idempotence was not on`);
          check(b.baseSequence === next, () => `partition ${p}: batch at ${b.baseOffset} has base sequence ${b.baseSequence}, expected ${next}`);
          next += b.recordCount;
        }
      }
    },
  }),
];

// ------------------------------------------------------------------ consume cases

interface ConsumeSpec {
  id: string;
  clientBugs?: InteropCase['clientBugs'];
  title: string;
  exercises: string;
  partitions: number;
  /** What the suite produces before the driver starts. */
  before: (t0: number) => RecordIn[];
  params: (t0: number) => { partitions?: number[]; from: unknown; count: number };
  /** Which of the placed records the driver must return. */
  expect: (placed: RecordOut[], t0: number) => RecordOut[];
  /** Produced after `ready` (latest). */
  after?: (t0: number) => RecordIn[];
  /** Compression of the `before` records. */
  codec?: Compression;
}

function consumeCase(s: ConsumeSpec): InteropCase {
  return {
    id: s.id,
    title: s.title,
    exercises: s.exercises,
    ops: ['consume'],
    ...(s.clientBugs !== undefined ? { clientBugs: s.clientBugs } : {}),
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const topic = ctx.name('t');
      await ctx.verify.createTopic(topic, s.partitions);
      const t0 = Date.now() - 3_600_000;
      const before = s.before(t0);
      const where = before.length > 0 ? await ctx.verify.produce(topic, before, s.codec) : [];
      if (s.codec !== undefined) await checkCodec(ctx, topic, s.codec);
      const placedBefore = placed(before, where);
      const p = s.params(t0);
      const job = ctx.start('consume', { topic, ...p, timeoutMs: JOB_TIMEOUT_MS });
      let expected = s.expect(placedBefore, t0);
      if (s.after !== undefined) {
        await job.waitEvent(0, (e) => e.event === 'ready', JOB_TIMEOUT_MS, 'ready');
        const after = s.after(t0);
        expected = placed(after, await ctx.verify.produce(topic, after));
      }
      const data = ok(await job.result, 'consume');
      checkConsumed(expected, records(data, 'consume'), 'consume');
    },
  };
}

/** Records with distinct keys, two distinct-key headers and timestamps t0 + i s, spread over `partitions`. */
const richRecords = (n: number, partitions: number, tag: string) => (t0: number): RecordIn[] =>
  Array.from({ length: n }, (_, i) => ({
    key: i % 5 === 4 ? null : `${tag}-key-${i}`,
    value: `${tag}-value-${i}`,
    headers: [
      ['seq', String(i)],
      ['tag', tag],
    ],
    partition: i % partitions,
    timestamp: t0 + i * 1000,
  }));

/** Drivers whose library fetches in sessions (KIP-227) by default; librdkafka and kafkajs do not implement them. */
const SESSION_DRIVERS: ReadonlySet<string> = new Set(['java', 'go', 'samsa']);
const MANY_PARTITIONS = 200;

/** Samsa's counter of fetches answered within a session (undefined: no metrics, e.g. Apache Kafka). */
async function incrementalFetches(ctx: CaseContext): Promise<number | undefined> {
  if (ctx.broker.metricsUrl === undefined) return undefined;
  const res = await fetch(ctx.broker.metricsUrl);
  const m = /^samsa_fetch_incremental_total (\d+)/m.exec(await res.text());
  check(m !== null, 'samsa_fetch_incremental_total missing from /metrics');
  return Number(m[1]);
}

const CONSUME_CASES: InteropCase[] = [
  consumeCase({
    id: 'consume-earliest',
    title: 'consume from earliest',
    exercises: 'Assign every partition of a 3-partition topic, start at the log start, read 30 records with keys (some null), headers and timestamps',
    partitions: 3,
    before: richRecords(30, 3, 'early'),
    params: () => ({ from: 'earliest', count: 30 }),
    expect: (all) => all,
  }),
  consumeCase({
    id: 'consume-latest',
    title: 'consume from latest',
    exercises: 'Start at the end of a 2-partition topic holding 10 records; only the 10 produced after `ready` arrive',
    partitions: 2,
    before: richRecords(10, 2, 'old'),
    params: () => ({ from: 'latest', count: 10 }),
    expect: () => [],
    after: richRecords(10, 2, 'new'),
  }),
  consumeCase({
    id: 'consume-offset',
    title: 'consume from an offset',
    exercises: 'Assign partition 0 only and start at offset 25 of 40',
    partitions: 2,
    before: (t0) => richRecords(40, 1, 'off')(t0),
    params: () => ({ partitions: [0], from: { offset: 25 }, count: 15 }),
    expect: (all) => all.filter((r) => r.partition === 0 && r.offset >= 25),
  }),
  consumeCase({
    id: 'consume-timestamp',
    title: 'consume from a timestamp',
    exercises: 'Start at the first record at or after a time (ListOffsets by timestamp) on one partition',
    partitions: 1,
    before: richRecords(20, 1, 'time'),
    params: (t0) => ({ from: { timestamp: t0 + 12_500 }, count: 7 }),
    expect: (all) => all.filter((r) => r.offset >= 13),
  }),
  ...(['gzip', 'snappy', 'lz4', 'zstd'] as const).map((codec) =>
    consumeCase({
      id: `consume-${codec}`,
      title: `consume ${codec} batches`,
      exercises: `Read 50 records the suite wrote as ${codec}-compressed batches`,
      partitions: 1,
      before: richRecords(50, 1, codec),
      codec,
      ...(codec === 'snappy'
        ? {
            clientBugs: {
              platformatic: {
                match: /unreachable/,
                why: '@platformatic/kafka decodes a snappy batch as one raw snappy block (@platformatic/wasm-utils); the xerial framing that the Java client (and Samsa\'s client, like it) writes makes its wasm decoder trap ("unreachable")',
              },
            },
          }
        : {}),
      params: () => ({ from: 'earliest', count: 50 }),
      expect: (all) => all,
    }),
  ),
  consumeManyPartitions(),
];

/**
 * A consumer of 200 partitions: half the records arrive after it started polling;
 * on Samsa the other half is produced only once the broker counted incremental
 * fetches (a session-capable client that never used one would never get them, and
 * the case fails at that wait). Other clients (no sessions) read both halves as usual.
 */
function consumeManyPartitions(): InteropCase {
  return {
    id: 'consume-many-partitions',
    title: 'consume 200 partitions (fetch sessions)',
    exercises: `Assign all ${MANY_PARTITIONS} partitions from latest; ${MANY_PARTITIONS} records arrive in two waves; on Samsa, clients that implement KIP-227 (Java, franz-go, Samsa) must fetch incrementally (samsa_fetch_incremental_total grows) before the second wave is produced`,
    ops: ['consume'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const topic = ctx.name('t');
      await ctx.verify.createTopic(topic, MANY_PARTITIONS);
      const t0 = Date.now() - 3_600_000;
      const job = ctx.start('consume', { topic, from: 'latest', count: MANY_PARTITIONS, timeoutMs: JOB_TIMEOUT_MS * 2 });
      await job.waitEvent(0, (e) => e.event === 'ready', JOB_TIMEOUT_MS, 'ready');
      const wave = (from: number): RecordIn[] =>
        Array.from({ length: MANY_PARTITIONS / 2 }, (_, i) => ({ key: `k${from + i}`, value: `many-${from + i}`, partition: (from + i) % MANY_PARTITIONS, timestamp: t0 + from + i }));
      const first = wave(0);
      const expected = placed(first, await ctx.verify.produce(topic, first));
      const before = await incrementalFetches(ctx);
      if (before !== undefined && SESSION_DRIVERS.has(ctx.driver.name)) {
        await until(JOB_TIMEOUT_MS, 'incremental fetches (samsa_fetch_incremental_total)', async () => {
          const now = await incrementalFetches(ctx);
          return now !== undefined && now > before ? now : undefined;
        });
      } else if (before !== undefined) {
        ctx.note('this client does not use fetch sessions');
      }
      const second = wave(MANY_PARTITIONS / 2);
      expected.push(...placed(second, await ctx.verify.produce(topic, second)));
      const data = ok(await job.result, 'consume');
      checkConsumed(expected, records(data, 'consume'), 'consume');
    },
  };
}

// ------------------------------------------------------------------ groups

/** Watches the members of one group: their latest assignments and everything they consumed. */
class GroupWatch {
  readonly members = new Map<string, JobHandle>();
  readonly latest = new Map<string, number[]>();
  readonly history: Array<{ member: string; partitions: number[] }> = [];
  /** Every record consumed, by "partition:offset" → how many times. */
  readonly consumed = new Map<string, number>();
  readonly values = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly ctx: CaseContext,
    readonly topic: string,
    readonly groupId: string,
    readonly assignor: Assignor,
    readonly partitions: number,
    readonly groupProtocol: 'classic' | 'consumer' = 'classic',
  ) {}

  start(name: string, autoOffsetReset: 'earliest' | 'latest' = 'earliest'): JobHandle {
    const params = { topic: this.topic, groupId: this.groupId, assignor: this.assignor, autoOffsetReset, timeoutMs: STABLE_WITHIN_MS, ...(this.groupProtocol === 'consumer' ? { groupProtocol: 'consumer' as const } : {}) };
    const job = this.ctx.start('group-member', params, { killAfterMs: GROUP_CASE_MS });
    this.members.set(name, job);
    this.unsubscribe.push(
      job.onEvents(0, (e: EventLine) => {
        if (e.event === 'assigned' && Array.isArray(e.partitions)) {
          this.latest.set(name, e.partitions);
          this.history.push({ member: name, partitions: e.partitions });
        } else if (e.event === 'records' && Array.isArray(e.records)) {
          for (const r of e.records) {
            const k = `${r.partition}:${r.offset}`;
            this.consumed.set(k, (this.consumed.get(k) ?? 0) + 1);
            if (r.value !== null) this.values.add(r.value);
          }
        }
      }),
    );
    return job;
  }

  /** Waits for a member's first event; a member that ends first (e.g. unsupported) is judged by its result. */
  async started(name: string): Promise<void> {
    const job = this.members.get(name)!;
    try {
      await job.waitEvent(0, () => true, STABLE_WITHIN_MS, 'a first event');
    } catch (err) {
      if (job.ended) ok(await job.result, `group-member ${name}`);
      throw err;
    }
  }

  private state(live: readonly string[]): string {
    return live.map((m) => `${m}=${JSON.stringify(this.latest.get(m) ?? null)}`).join(' ');
  }

  /**
   * Waits until the live members' latest assignments are disjoint and cover every
   * partition; `balanced`: and no member has two more than another (a server-side
   * assignment reaches that only once every member has reconciled).
   */
  async stable(live: readonly string[], what: string, balanced = false): Promise<Map<string, number[]>> {
    return until(
      STABLE_WITHIN_MS,
      `a stable assignment ${what}`,
      async () => {
        for (const m of live) {
          const job = this.members.get(m)!;
          if (!job.running) fail(`member ${m} ended: ${JSON.stringify(await job.result)}`);
          if (!this.latest.has(m)) return undefined;
        }
        const seen = new Set<number>();
        for (const m of live) {
          for (const p of this.latest.get(m)!) {
            if (seen.has(p)) return undefined;
            seen.add(p);
          }
        }
        if (seen.size !== this.partitions) return undefined;
        const sizes = live.map((m) => this.latest.get(m)!.length);
        if (balanced && Math.max(...sizes) - Math.min(...sizes) > 1) return undefined;
        return new Map(live.map((m) => [m, [...this.latest.get(m)!]]));
      },
      () => this.state(live),
    );
  }

  /** Waits until every value in `values` was consumed. */
  async consumedAll(values: readonly string[], what: string): Promise<void> {
    await until(
      STABLE_WITHIN_MS,
      `${what}: every one of ${values.length} records consumed`,
      async () => (values.every((v) => this.values.has(v)) ? true : undefined),
      () => `${values.filter((v) => !this.values.has(v)).length} missing; assignments ${this.state([...this.members.keys()])}`,
    );
  }

  /** Sends commit to each member and waits for its answer; false when a client cannot commit on command. */
  async commitAll(live: readonly string[]): Promise<boolean> {
    let all = true;
    for (const m of live) {
      const job = this.members.get(m)!;
      const from = job.events.length;
      job.send({ cmd: 'commit' });
      const { event } = await job.waitEvent(from, (e) => e.event === 'committed', JOB_TIMEOUT_MS, 'committed');
      if (event.unsupported === true) {
        this.ctx.note(`commit on command is not in this client (${event.error ?? ''}); offsets are checked after its members stop`);
        all = false;
        continue;
      }
      check(event.error === undefined, `member ${m}: commit failed: ${event.error}`);
    }
    return all;
  }

  async stop(name: string): Promise<void> {
    const r = await this.members.get(name)!.stop();
    ok(r, `stopping member ${name}`);
  }

  /**
   * Stops the members one by one, letting the group settle after each: a member
   * that closes while the group is still rebalancing after the previous leave gets
   * REBALANCE_IN_PROGRESS for the commit it makes on close, on Kafka as on Samsa
   * (librdkafka's auto-commit clients commit only then).
   */
  async stopAll(names: readonly string[]): Promise<void> {
    for (const [i, name] of names.entries()) {
      await this.stop(name);
      const rest = names.slice(i + 1);
      if (rest.length > 0) await this.stable(rest, `after member ${name} left`);
    }
  }

  /** Highest consumed offset + 1 per partition (0 where nothing was consumed). */
  consumedEnds(): Map<number, number> {
    const ends = new Map<number, number>();
    for (const k of this.consumed.keys()) {
      const [p, o] = k.split(':').map(Number) as [number, number];
      ends.set(p, Math.max(ends.get(p) ?? 0, o + 1));
    }
    return ends;
  }

  close(): void {
    for (const u of this.unsubscribe) u();
  }
}

/** Records spread evenly over every partition (explicit partitions). */
function spread(tag: string, perPartition: number, partitions: number): RecordIn[] {
  return Array.from({ length: perPartition * partitions }, (_, i) => ({ key: `${tag}-${i}`, value: `${tag}-${i}`, partition: i % partitions }));
}

/** Committed offsets equal both what was consumed and the log ends. */
async function checkCommitted(ctx: CaseContext, w: GroupWatch, what: string): Promise<void> {
  const parts = Array.from({ length: w.partitions }, (_, i) => i);
  const committed = await ctx.verify.committed(w.groupId, w.topic, parts);
  const ends = await ctx.verify.offsets(w.topic, 'latest');
  const consumed = w.consumedEnds();
  for (const p of parts) {
    const c = committed.get(p) ?? -1;
    check(c === consumed.get(p), () => `${what}: partition ${p} committed ${c}, but consumption reached ${consumed.get(p) ?? 'nothing'}`);
    check(c === ends.get(p), () => `${what}: partition ${p} committed ${c}, log end ${ends.get(p)}`);
  }
}

function groupRebalanceCase(assignor: Assignor): InteropCase {
  return {
    id: `group-${assignor}`,
    title: `consumer group, ${assignor} assignor`,
    exercises: `3 members join with the ${assignor === 'range' ? 'eager range' : 'cooperative-sticky'} assignor on 6 partitions; one leaves; at each stable point the assignments are disjoint and cover every partition${
      assignor === 'cooperative-sticky' ? ' (and survivors keep their partitions)' : ''
    }; every record produced after each rebalance is consumed; commit, then the committed offsets equal what was consumed`,
    ops: ['group-member'],
    timeoutMs: GROUP_CASE_MS,
    async run(ctx) {
      const topic = ctx.name('t');
      const partitions = 6;
      await ctx.verify.createTopic(topic, partitions);
      const w = new GroupWatch(ctx, topic, ctx.name('g'), assignor, partitions);
      try {
        w.start('a');
        await w.started('a');
        w.start('b');
        w.start('c');
        const three = await w.stable(['a', 'b', 'c'], 'with 3 members');
        for (const [m, ps] of three) check(ps.length === 2, () => `3 members on 6 partitions: ${m} has ${JSON.stringify(ps)}`);
        if (assignor === 'range') {
          for (const [m, ps] of three) check(ps[1] === ps[0]! + 1, () => `range gives each member a contiguous range: ${m} has ${JSON.stringify(ps)}`);
        }
        const first = spread('before', 10, partitions);
        await ctx.verify.produce(topic, first);
        await w.consumedAll(first.map((r) => r.value), 'with 3 members');
        await w.stop('c');
        const two = await w.stable(['a', 'b'], 'after member c left');
        if (assignor === 'cooperative-sticky') {
          for (const m of ['a', 'b']) {
            const kept = three.get(m)!.filter((p) => two.get(m)!.includes(p));
            check(kept.length === three.get(m)!.length, () => `cooperative-sticky: ${m} had ${JSON.stringify(three.get(m))} and now has ${JSON.stringify(two.get(m))}`);
          }
        }
        const second = spread('after', 10, partitions);
        await ctx.verify.produce(topic, second);
        await w.consumedAll(second.map((r) => r.value), 'after the rebalance');
        if (await w.commitAll(['a', 'b'])) await checkCommitted(ctx, w, 'after commit');
        await w.stopAll(['a', 'b']);
        // Stopping commits too: the offsets still equal what was consumed.
        await checkCommitted(ctx, w, 'after every member stopped');
      } finally {
        w.close();
      }
    },
  };
}

/**
 * KIP-848 (group.protocol=consumer): the broker assigns. Three members in separate
 * processes, then one leaves cleanly and one is killed (its partitions move when its
 * session expires); committed offsets carry every partition across with nothing
 * skipped; a last member of the group resumes exactly at the committed offsets.
 */
function consumerProtocolCase(assignor: 'uniform' | 'range'): InteropCase {
  return {
    id: `group-consumer-${assignor}`,
    title: `consumer group, KIP-848 consumer protocol, server-side ${assignor} assignor`,
    exercises: `3 members (group.protocol=consumer, group.remote.assignor=${assignor}) on 6 partitions get 2 each, disjoint; records produced are all consumed and committed; one member leaves, another is killed (SIGKILL: its partitions move after the session timeout); the survivor gets all 6 and reads every later record; after it stops, a new member resumes at the committed offsets: nothing skipped, nothing committed re-read`,
    ops: ['group-member'],
    timeoutMs: GROUP_CASE_MS * 2,
    async run(ctx) {
      const topic = ctx.name('t');
      const partitions = 6;
      await ctx.verify.createTopic(topic, partitions);
      const groupId = ctx.name('g');
      const w = new GroupWatch(ctx, topic, groupId, assignor, partitions, 'consumer');
      try {
        w.start('a');
        await w.started('a');
        w.start('b');
        w.start('c');
        const three = await w.stable(['a', 'b', 'c'], 'with 3 members', true);
        for (const [m, ps] of three) check(ps.length === 2, () => `3 members on 6 partitions: ${m} has ${JSON.stringify(ps)}`);
        // The broker, not the client, holds this group: a client that fell back to the classic protocol fails here.
        const described = await ctx.verify.consumerGroup(groupId);
        check(described !== null && described.members === 3, () => `ConsumerGroupDescribe: ${JSON.stringify(described)}, expected a consumer group of 3 members`);
        const first = spread('first', 5, partitions);
        await ctx.verify.produce(topic, first);
        await w.consumedAll(first.map((r) => r.value), 'with 3 members');
        await w.commitAll(['a', 'b', 'c']);
        await w.stop('c');
        await w.stable(['a', 'b'], 'after member c left', true);
        w.members.get('b')!.kill();
        await w.stable(['a'], "after member b was killed and its session expired");
        const second = spread('second', 5, partitions);
        await ctx.verify.produce(topic, second);
        // b's partitions restart at b's last commit: records b read after it are read again, none is skipped.
        await w.consumedAll(second.map((r) => r.value), 'the survivor');
        await w.commitAll(['a']);
        await w.stop('a');
      } finally {
        w.close();
      }
      const ends = await ctx.verify.offsets(topic, 'latest');
      const committed = await ctx.verify.committed(groupId, topic, Array.from({ length: partitions }, (_, i) => i));
      for (const [p, end] of ends) check(committed.get(p) === end, () => `partition ${p}: committed ${committed.get(p)}, log end ${end}`);
      const fresh = spread('fresh', 3, partitions);
      await ctx.verify.produce(topic, fresh);
      const w2 = new GroupWatch(ctx, topic, groupId, assignor, partitions, 'consumer');
      try {
        w2.start('d');
        await w2.stable(['d'], 'with the new member');
        await w2.consumedAll(fresh.map((r) => r.value), 'the new member');
        const reread = [...w2.consumed.keys()].filter((k) => {
          const [p, o] = k.split(':').map(Number) as [number, number];
          return o < (ends.get(p) ?? 0);
        });
        check(reread.length === 0, () => `the new member re-read ${reread.length} committed records: ${reread.slice(0, 5).join(', ')}`);
        await w2.stop('d');
      } finally {
        w2.close();
      }
    },
  };
}

const GROUP_CASES: InteropCase[] = [
  groupRebalanceCase('range'),
  groupRebalanceCase('cooperative-sticky'),
  // One assignor here keeps npm test short: `range` is checked at the protocol level (test/kafka/apis/68-*).
  consumerProtocolCase('uniform'),
  {
    id: 'group-resume',
    title: 'a new member resumes at the committed offsets',
    exercises: '2 members consume 40 records and stop (committing); 20 more are produced; a new member of the same group (auto.offset.reset=earliest) reads exactly those 20: nothing committed is re-read, nothing skipped',
    ops: ['group-member'],
    timeoutMs: GROUP_CASE_MS,
    async run(ctx) {
      const topic = ctx.name('t');
      const partitions = 4;
      await ctx.verify.createTopic(topic, partitions);
      const groupId = ctx.name('g');
      const w1 = new GroupWatch(ctx, topic, groupId, 'range', partitions);
      try {
        w1.start('a');
        await w1.started('a');
        w1.start('b');
        await w1.stable(['a', 'b'], 'with 2 members');
        const old = spread('old', 10, partitions);
        await ctx.verify.produce(topic, old);
        await w1.consumedAll(old.map((r) => r.value), 'first members');
        // Commit while the group is stable: a stop then has nothing left to commit,
        // so the rebalance the first leave starts cannot fail the second's commit.
        await w1.commitAll(['a', 'b']);
        await w1.stopAll(['a', 'b']);
        await checkCommitted(ctx, w1, 'after the first members stopped');
      } finally {
        w1.close();
      }
      const ends = await ctx.verify.offsets(topic, 'latest');
      const fresh = spread('fresh', 5, partitions);
      await ctx.verify.produce(topic, fresh);
      const w2 = new GroupWatch(ctx, topic, groupId, 'range', partitions);
      try {
        w2.start('c');
        await w2.stable(['c'], 'with the new member');
        await w2.consumedAll(fresh.map((r) => r.value), 'the new member');
        // A re-read record comes before the new ones of its partition, so it is here by now.
        const reread = [...w2.consumed.keys()].filter((k) => {
          const [p, o] = k.split(':').map(Number) as [number, number];
          return o < (ends.get(p) ?? 0);
        });
        check(reread.length === 0, () => `the new member re-read ${reread.length} committed records: ${reread.slice(0, 5).join(', ')}`);
        check(w2.values.size === fresh.length, () => `the new member consumed ${w2.values.size} distinct records, expected ${fresh.length}`);
        await w2.stop('c');
      } finally {
        w2.close();
      }
    },
  },
];

// ------------------------------------------------------------------ admin cases

const ADMIN_CASES: InteropCase[] = [
  {
    id: 'admin-create-topics',
    title: 'create topics',
    exercises: 'CreateTopics with partitions and a config; again for the same name (TOPIC_ALREADY_EXISTS); with 0 partitions (INVALID_PARTITIONS)',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      const bad = ctx.name('bad');
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'createTopic', topic: a, partitions: 3, configs: { 'retention.ms': '3600000' } },
            { do: 'createTopic', topic: a, partitions: 2 },
            { do: 'createTopic', topic: bad, partitions: 0 },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      stepOk(r, 0, 'createTopic');
      stepFails(ctx, r, 1, 'createTopic of an existing topic', 'TOPIC_ALREADY_EXISTS');
      stepFails(ctx, r, 2, 'createTopic with 0 partitions', 'INVALID_PARTITIONS');
      await ctx.verify.waitForTopic(a, 3);
      const cfg = await ctx.verify.topicConfigs(a, ['retention.ms']);
      check(cfg['retention.ms'] === '3600000', () => `retention.ms of the new topic is ${cfg['retention.ms']}, expected 3600000`);
      check((await ctx.verify.partitionCount(bad)) === null, 'the topic with 0 partitions exists');
    },
  },
  {
    id: 'admin-metadata',
    title: 'list and describe topics',
    exercises: 'Metadata: the topic list holds what the suite created (no internal topics); a topic has its partition count; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      const b = ctx.name('b');
      await ctx.verify.createTopic(a, 3);
      await ctx.verify.createTopic(b, 1);
      const r = stepResults(
        await ctx.run('admin', {
          steps: [{ do: 'listTopics' }, { do: 'describeTopic', topic: a }, { do: 'describeTopic', topic: ctx.name('missing') }],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      const topics = stepOk(r, 0, 'listTopics').topics ?? [];
      check(topics.includes(a) && topics.includes(b), () => `listTopics lacks ${a} or ${b}`);
      check(!topics.some((t) => t.startsWith('__')), () => `listTopics shows internal topics: ${topics.filter((t) => t.startsWith('__')).join(', ')}`);
      check(stepOk(r, 1, 'describeTopic').partitions === 3, () => `describeTopic: ${r[1]!.partitions} partitions, expected 3`);
      stepFails(ctx, r, 2, 'describeTopic of an unknown topic', 'UNKNOWN_TOPIC_OR_PARTITION');
    },
  },
  {
    id: 'admin-delete-topics',
    title: 'delete topics',
    exercises: 'DeleteTopics of a topic (it is gone) and of an unknown topic (UNKNOWN_TOPIC_OR_PARTITION)',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 2);
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'deleteTopic', topic: a },
            { do: 'deleteTopic', topic: ctx.name('missing') },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      stepOk(r, 0, 'deleteTopic');
      stepFails(ctx, r, 1, 'deleteTopic of an unknown topic', 'UNKNOWN_TOPIC_OR_PARTITION');
      await until(15_000, `${a} gone`, async () => ((await ctx.verify.partitionCount(a)) === null ? true : undefined));
    },
  },
  {
    id: 'admin-describe-configs',
    title: 'describe topic configs',
    exercises: 'DescribeConfigs of a topic: a key set at creation and a default; an unknown topic fails (UNKNOWN_TOPIC_OR_PARTITION)',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 1, { 'retention.ms': '3600000' });
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'describeConfigs', topic: a, keys: ['retention.ms', 'cleanup.policy'] },
            { do: 'describeConfigs', topic: ctx.name('missing'), keys: ['retention.ms'] },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      const cfg = stepOk(r, 0, 'describeConfigs').configs ?? {};
      check(cfg['retention.ms'] === '3600000', () => `retention.ms is ${cfg['retention.ms']}, expected 3600000`);
      check(cfg['cleanup.policy'] === 'delete', () => `cleanup.policy is ${cfg['cleanup.policy']}, expected the default delete`);
      stepFails(ctx, r, 1, 'describeConfigs of an unknown topic', 'UNKNOWN_TOPIC_OR_PARTITION');
    },
  },
  {
    id: 'admin-alter-configs',
    title: 'alter topic configs',
    exercises: 'Change two keys of a topic incrementally (a third, set at creation, stays); the broker reports the new values',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 1, { 'retention.ms': '3600000' });
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'alterConfigs', topic: a, set: { 'retention.bytes': '1048576', 'cleanup.policy': 'compact' } },
            { do: 'describeConfigs', topic: a, keys: ['retention.ms', 'retention.bytes', 'cleanup.policy'] },
            { do: 'alterConfigs', topic: ctx.name('missing'), set: { 'retention.ms': '1000' } },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      stepOk(r, 0, 'alterConfigs');
      const want = { 'retention.ms': '3600000', 'retention.bytes': '1048576', 'cleanup.policy': 'compact' };
      const seen = r[1]?.ok === true ? (r[1].configs ?? {}) : null;
      if (seen !== null) for (const [k, v] of Object.entries(want)) check(seen[k] === v, () => `the client reads back ${k}=${seen[k]}, expected ${v}`);
      const cfg = await ctx.verify.topicConfigs(a, Object.keys(want));
      for (const [k, v] of Object.entries(want)) check(cfg[k] === v, () => `after alterConfigs ${k} is ${cfg[k]}, expected ${v}`);
      stepFails(ctx, r, 2, 'alterConfigs of an unknown topic', 'UNKNOWN_TOPIC_OR_PARTITION');
    },
  },
  {
    id: 'admin-create-partitions',
    title: 'create partitions',
    exercises: 'CreatePartitions grows a topic from 2 to 5; asking for 3 afterwards is INVALID_PARTITIONS',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 2);
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'createPartitions', topic: a, count: 5 },
            { do: 'createPartitions', topic: a, count: 3 },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      stepOk(r, 0, 'createPartitions');
      stepFails(ctx, r, 1, 'createPartitions that would shrink', 'INVALID_PARTITIONS');
      await ctx.verify.waitForTopic(a, 5);
    },
  },
  {
    id: 'admin-delete-records',
    title: 'delete records',
    exercises: 'DeleteRecords moves the log start of a partition to 4 of 10 (low watermark 4; reads start there); past the end is OFFSET_OUT_OF_RANGE',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 2);
      await ctx.verify.produce(
        a,
        Array.from({ length: 10 }, (_, i) => ({ key: null, value: `dr-${i}`, partition: 0 })),
      );
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'deleteRecords', topic: a, partition: 0, offset: 4 },
            { do: 'deleteRecords', topic: a, partition: 0, offset: 100 },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      const lw = stepOk(r, 0, 'deleteRecords').lowWatermark;
      check(lw === 4, () => `deleteRecords answered low watermark ${lw}, expected 4`);
      stepFails(ctx, r, 1, 'deleteRecords past the end', 'OFFSET_OUT_OF_RANGE');
      const start = (await ctx.verify.offsets(a, 'earliest')).get(0);
      check(start === 4, () => `log start of partition 0 is ${start}, expected 4`);
      const rest = (await ctx.verify.readAll(a, 6)).map((x) => x.offset);
      check(JSON.stringify(rest) === JSON.stringify([4, 5, 6, 7, 8, 9]), () => `reading back gives offsets ${JSON.stringify(rest)}`);
    },
  },
  {
    id: 'admin-list-offsets',
    title: 'list offsets',
    exercises: 'ListOffsets earliest, latest and by timestamp (between records, and after the last one), and latest of an empty partition',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 2);
      const t0 = Date.now() - 3_600_000;
      await ctx.verify.produce(
        a,
        Array.from({ length: 10 }, (_, i) => ({ key: `lo-${i}`, value: `lo-${i}`, partition: 0, timestamp: t0 + i * 1000 })),
      );
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'listOffsets', topic: a, partition: 0, spec: 'earliest' },
            { do: 'listOffsets', topic: a, partition: 0, spec: 'latest' },
            { do: 'listOffsets', topic: a, partition: 0, spec: { timestamp: t0 + 4500 } },
            { do: 'listOffsets', topic: a, partition: 0, spec: { timestamp: t0 + 100_000 } },
            { do: 'listOffsets', topic: a, partition: 1, spec: 'latest' },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      const got = [0, 1, 2, 4].map((i) => stepOk(r, i, `listOffsets #${i}`).offset);
      check(JSON.stringify(got) === JSON.stringify([0, 10, 5, 0]), () => `earliest, latest, by time, empty partition: ${JSON.stringify(got)}, expected [0,10,5,0]`);
      const after = stepOk(r, 3, 'listOffsets after the last timestamp').offset;
      ctx.observe('listOffsets after the last timestamp', String(after));
      // Kafka answers -1 (no such record); some clients turn that into the end offset.
      check(after === -1 || after === 10, () => `listOffsets after the last timestamp: ${after}, expected -1 (or the end, 10)`);
    },
  },
  {
    id: 'admin-groups',
    title: 'list, describe, fetch offsets of, and delete groups',
    exercises: 'A group with committed offsets and no members: listed, described (Empty, 0 members), its offsets fetched; deleted (then not listed, offsets gone); deleting it again is GROUP_ID_NOT_FOUND',
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      const g = ctx.name('g');
      await ctx.verify.createTopic(a, 2);
      await ctx.verify.produce(a, spread('grp', 5, 2));
      await ctx.verify.commit(g, a, new Map([[0, 3], [1, 5]]));
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'listGroups' },
            { do: 'describeGroup', groupId: g },
            { do: 'fetchOffsets', groupId: g, topic: a },
            { do: 'deleteGroup', groupId: g },
            { do: 'listGroups' },
            { do: 'deleteGroup', groupId: g },
            { do: 'describeGroup', groupId: ctx.name('missing') },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      check((stepOk(r, 0, 'listGroups').groups ?? []).includes(g), `listGroups lacks ${g}`);
      const d = stepOk(r, 1, 'describeGroup');
      ctx.observe('describeGroup of a group with offsets only', `${normState(d.state)}/${d.members}`);
      check(normState(d.state) === 'empty' && d.members === 0, () => `describeGroup: ${d.state} with ${d.members} members, expected Empty with 0`);
      const offs = stepOk(r, 2, 'fetchOffsets').offsets ?? {};
      check(offs['0'] === 3 && offs['1'] === 5, () => `fetchOffsets: ${JSON.stringify(offs)}, expected {"0":3,"1":5}`);
      stepOk(r, 3, 'deleteGroup');
      check(!(stepOk(r, 4, 'listGroups after delete').groups ?? []).includes(g), `${g} is still listed after deleteGroup`);
      stepFails(ctx, r, 5, 'deleteGroup of a deleted group', 'GROUP_ID_NOT_FOUND');
      const missing = r[6]!;
      if (missing.unsupported !== true) ctx.observe('describeGroup of an unknown group', missing.ok ? `${normState(missing.state)}/${missing.members}` : errorNameOf(missing.error));
      const after = await ctx.verify.committed(g, a, [0, 1]);
      check((after.get(0) ?? -1) === -1 && (after.get(1) ?? -1) === -1, () => `offsets after deleteGroup: ${JSON.stringify([...after])}`);
    },
  },
  {
    id: 'admin-cluster',
    title: 'describe the cluster and its log directories, elect preferred leaders, delete some offsets',
    exercises:
      "The Kafka 4 Admin's cluster calls: DescribeCluster (a cluster id, brokers, a controller), DescribeLogDirs (the topic's partitions with their sizes, the written one non-empty; total/usable bytes), ElectLeaders (the preferred leader already leads: ELECTION_NOT_NEEDED), OffsetDelete (an empty group's offsets of one partition deleted, the other kept; an unknown group is GROUP_ID_NOT_FOUND)",
    ops: ['admin'],
    timeoutMs: SHORT_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      const g = ctx.name('g');
      await ctx.verify.createTopic(a, 2);
      await ctx.verify.produce(a, Array.from({ length: 6 }, (_, i) => ({ key: null, value: `cl-${i}`, partition: 1 })));
      await ctx.verify.commit(g, a, new Map([[0, 0], [1, 6]]));
      const r = stepResults(
        await ctx.run('admin', {
          steps: [
            { do: 'describeCluster' },
            { do: 'describeLogDirs', topic: a },
            { do: 'electLeaders', topic: a, partition: 0 },
            { do: 'deleteOffsets', groupId: g, topic: a, partitions: [1] },
            { do: 'deleteOffsets', groupId: ctx.name('nobody'), topic: a, partitions: [0] },
          ],
          timeoutMs: JOB_TIMEOUT_MS,
        }),
      );
      const c = stepOk(r, 0, 'describeCluster');
      check(typeof c.clusterId === 'string' && c.clusterId.length > 0 && (c.brokers ?? 0) >= 1 && c.controller === true, () => `describeCluster: ${JSON.stringify(c)}`);
      const dirs = stepOk(r, 1, 'describeLogDirs');
      const sizes = dirs.sizes ?? {};
      ctx.observe('describeLogDirs: total/usable bytes reported', String(dirs.spaceKnown));
      check(Object.keys(sizes).sort().join(',') === '0,1' && (sizes['1'] ?? 0) > 0, () => `describeLogDirs sizes: ${JSON.stringify(sizes)}, expected partitions 0 and 1, 1 non-empty`);
      const e = stepOk(r, 2, 'electLeaders');
      check(e.electionError === 'ELECTION_NOT_NEEDED', () => `electLeaders: ${String(e.electionError)}, expected ELECTION_NOT_NEEDED`);
      const d = stepOk(r, 3, 'deleteOffsets');
      check(d.errors?.['1'] === 'NONE', () => `deleteOffsets: ${JSON.stringify(d.errors)}`);
      stepFails(ctx, r, 4, 'deleteOffsets of an unknown group', 'GROUP_ID_NOT_FOUND');
      const after = await ctx.verify.committed(g, a, [0, 1]);
      check(after.get(0) === 0 && (after.get(1) ?? -1) === -1, () => `offsets after deleteOffsets: ${JSON.stringify([...after])}, expected 0 kept and 1 gone`);
    },
  },
  {
    id: 'admin-groups-live',
    title: 'describe and delete a group with a member',
    exercises: "While one of the client's own group members is in the group: describeGroup is Stable with 1 member, deleteGroup is NON_EMPTY_GROUP",
    ops: ['admin', 'group-member'],
    timeoutMs: GROUP_CASE_MS,
    async run(ctx) {
      const a = ctx.name('a');
      await ctx.verify.createTopic(a, 2);
      const w = new GroupWatch(ctx, a, ctx.name('g'), 'range', 2);
      try {
        w.start('m');
        await w.started('m');
        await w.stable(['m'], 'with 1 member');
        const r = stepResults(
          await ctx.run('admin', {
            steps: [
              { do: 'describeGroup', groupId: w.groupId },
              { do: 'deleteGroup', groupId: w.groupId },
            ],
            timeoutMs: JOB_TIMEOUT_MS,
          }),
        );
        const d = stepOk(r, 0, 'describeGroup');
        ctx.observe('describeGroup of a live group', `${normState(d.state)}/${d.members}`);
        check(normState(d.state) === 'stable' && d.members === 1, () => `describeGroup: ${d.state} with ${d.members} members, expected Stable with 1`);
        stepFails(ctx, r, 1, 'deleteGroup of a group with a member', 'NON_EMPTY_GROUP');
        await w.stop('m');
      } finally {
        w.close();
      }
    },
  },
];

/** "PreparingRebalance", "PREPARING_REBALANCE" → "preparingrebalance". */
function normState(s: string | undefined): string {
  return (s ?? '').toLowerCase().replace(/[^a-z]/g, '');
}

export const CASES: readonly InteropCase[] = [...PRODUCE_CASES, ...CONSUME_CASES, ...GROUP_CASES, ...ADMIN_CASES];
