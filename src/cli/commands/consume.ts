// `samsa consume TOPIC`: print records, like `kcat -C`. One partition or all of
// them, from the beginning, the end, an offset, the last N (-N) or a time
// (s@TIMESTAMP_MS); follow, or exit at the end (-e); a kcat-like -f format or
// --json lines. Owns: resolving start offsets, the output buffer (bytes written
// as they are, stdout backpressure respected), -e/-c stopping and SIGINT (flush,
// exit 0). Must not talk to the engine directly nor commit offsets (consumers own
// their positions).

import { once } from 'node:events';
import type { Command } from 'commander';
import { Consumer, type Message } from '../../client/index.js';
import { UsageError, bootstrapOption, checkBootstrap, clientOptions, exitOnBrokenPipe, finish, parseIntArg, withAdmin } from '../common.js';
import { type FormatPart, compileFormat, recordJson, renderRecord } from '../format.js';

/** Output is written in chunks of about this size (and at the end of every fetched batch). */
const OUTPUT_FLUSH_BYTES = 64 * 1024;
const COUNT_MAX = Number.MAX_SAFE_INTEGER;

export type StartSpec =
  | { kind: 'beginning' }
  | { kind: 'end' }
  | { kind: 'offset'; offset: number }
  | { kind: 'tail'; count: number }
  | { kind: 'timestamp'; timestamp: number };

/** -o: beginning | end | OFFSET | -N (the last N) | s@TIMESTAMP_MS. */
export function parseStart(raw: string): StartSpec {
  if (raw === 'beginning' || raw === 'earliest') return { kind: 'beginning' };
  if (raw === 'end' || raw === 'latest') return { kind: 'end' };
  let m = /^s@(\d+)$/.exec(raw);
  if (m !== null && Number.isSafeInteger(Number(m[1]))) return { kind: 'timestamp', timestamp: Number(m[1]) };
  m = /^(-?)(\d+)$/.exec(raw);
  if (m !== null && Number.isSafeInteger(Number(m[2]))) {
    const n = Number(m[2]);
    return m[1] === '-' ? { kind: 'tail', count: n } : { kind: 'offset', offset: n };
  }
  throw new UsageError(`--offset must be beginning, end, OFFSET, -N or s@TIMESTAMP_MS, got '${raw}'`);
}

/** Start offset of one partition given its log range [earliest, latest) and the timestamp lookup (-1: none). */
export function startOffset(spec: StartSpec, earliest: number, latest: number, byTime: number): number {
  switch (spec.kind) {
    case 'beginning':
      return earliest;
    case 'end':
      return latest;
    case 'tail':
      return Math.max(earliest, latest - spec.count);
    case 'offset':
      // Clamped to the log: a fetch outside it would only fail.
      return Math.min(Math.max(spec.offset, earliest), latest);
    case 'timestamp':
      return byTime < 0 ? latest : byTime;
  }
}

/** Rendered records waiting for stdout; flushed in chunks, awaiting 'drain' when stdout is full. */
class Output {
  private chunks: Buffer[] = [];
  private bytes = 0;

  add(parts: readonly FormatPart[] | null, m: Message): void {
    if (parts === null) {
      const b = Buffer.from(recordJson(m), 'utf8');
      this.chunks.push(b);
      this.bytes += b.length;
    } else this.bytes += renderRecord(parts, m, this.chunks);
  }

  get pendingBytes(): number {
    return this.bytes;
  }

  async flush(): Promise<void> {
    if (this.bytes === 0) return;
    const b = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    this.chunks = [];
    this.bytes = 0;
    if (!process.stdout.write(b)) await once(process.stdout, 'drain');
  }
}

interface ConsumeOpts {
  bootstrap: string;
  partition?: string;
  offset: string;
  exit?: boolean;
  count?: string;
  format?: string;
  json?: boolean;
}

async function consume(topic: string, o: ConsumeOpts): Promise<void> {
  checkBootstrap(o.bootstrap);
  const spec = parseStart(o.offset);
  const onlyPartition = o.partition === undefined ? undefined : parseIntArg('--partition', o.partition, 0, 0x7fffffff);
  const count = o.count === undefined ? undefined : parseIntArg('--count', o.count, 1, COUNT_MAX);
  const parts = o.json === true ? null : compileFormat(o.format ?? '%s\\n');
  exitOnBrokenPipe();

  // Partitions, their log ranges and start offsets, before the consumer starts.
  const plan = await withAdmin(o.bootstrap, async (admin) => {
    const [md] = await admin.describeTopics([topic]);
    const all = md!.partitions.map((p) => p.partition);
    if (onlyPartition !== undefined && !all.includes(onlyPartition)) {
      throw new Error(`topic ${topic} has no partition ${onlyPartition} (it has ${all.length})`);
    }
    const partitions = onlyPartition === undefined ? all : [onlyPartition];
    const [earliest, latest, byTime] = await Promise.all([
      admin.listOffsets(topic, 'earliest', partitions),
      admin.listOffsets(topic, 'latest', partitions),
      spec.kind === 'timestamp' ? admin.listOffsets(topic, { timestamp: spec.timestamp }, partitions) : Promise.resolve([]),
    ]);
    return partitions.map((p) => {
      const e = earliest.find((x) => x.partition === p)?.offset ?? 0;
      const l = latest.find((x) => x.partition === p)?.offset ?? 0;
      const t = byTime.find((x) => x.partition === p)?.offset ?? -1;
      return { partition: p, start: startOffset(spec, e, l, t), end: l };
    });
  });

  // -e: a partition is finished once read up to its end as of now.
  const ends = new Map<number, number>();
  const unfinished = new Set<number>();
  if (o.exit === true) {
    for (const p of plan) {
      ends.set(p.partition, p.end);
      if (p.start < p.end) unfinished.add(p.partition);
    }
    if (unfinished.size === 0) return;
  }

  const consumer = new Consumer({ ...clientOptions(o.bootstrap), autoOffsetReset: 'earliest', maxWaitMs: 500 });
  await consumer.assign(plan.map((p) => ({ topic, partition: p.partition })));
  for (const p of plan) await consumer.seek(topic, p.partition, p.start);

  const out = new Output();
  let printed = 0;
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void consumer.close();
  };
  // Ctrl-C: stop fetching, print what was fetched, exit 0.
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await consumer.run({
      eachBatch: async (b) => {
        const end = o.exit === true ? ends.get(b.partition)! : Infinity;
        for (const m of b.messages) {
          if (stopping) break;
          if (m.offset >= end) {
            unfinished.delete(b.partition);
            break;
          }
          out.add(parts, m);
          printed++;
          if (m.offset + 1 >= end) unfinished.delete(b.partition);
          if (count !== undefined && printed >= count) stop();
          if (out.pendingBytes >= OUTPUT_FLUSH_BYTES) await out.flush();
        }
        if (o.exit === true && unfinished.size === 0) stop();
        await out.flush();
      },
    });
  } finally {
    await consumer.close();
  }
  await out.flush();
}

export function registerConsume(program: Command): void {
  program
    .command('consume')
    .description('print records of a topic, like kcat -C (follows new records unless -e)')
    .argument('<topic>', 'topic name')
    .option('-p, --partition <n>', 'only this partition (default: all)')
    .option('-o, --offset <start>', 'beginning | end | OFFSET | -N (last N) | s@TIMESTAMP_MS (first record at or after)', 'beginning')
    .option('-e, --exit', 'exit once every partition is read up to its end as of start')
    .option('-c, --count <n>', 'exit after printing this many records')
    .option('-f, --format <fmt>', 'per-record format: %t topic %p partition %o offset %k key %s value %T timestamp %h headers %K/%S key/value length, \\n \\t (default: %s\\n)')
    .option('--json', 'one JSON object per record per line (instead of -f)')
    .addOption(bootstrapOption())
    .action(async (topic: string, o: ConsumeOpts) => {
      await consume(topic, o);
      await finish();
    });
}
