// `samsa produce TOPIC`: lines from stdin (or -f FILE) become records, like
// `kcat -P`. Owns: splitting the input into lines as bytes (streamed: the input is
// never read whole), the key separator (-K), headers (-H), the bounded window of
// sends in flight, and the summary line on stderr. Must not batch records itself
// (the Producer does) nor talk to the engine directly.

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { type CompressionType, Producer, type ProducerMessage, type RecordMetadata } from '../../client/index.js';
import {
  UsageError,
  bootstrapOption,
  checkBootstrap,
  clientOptions,
  collect,
  connectFailure,
  finish,
  parseAcks,
  parseIntArg,
  parseKeyValue,
} from '../common.js';
import { unescape } from '../format.js';

/** A longer line is refused (it could not be one record anyway: max.message.bytes). */
export const LINE_BYTES_MAX = 64 * 1024 * 1024;
/** Records per send() call, and bytes: bounds what one call holds. */
const SEND_RECORDS_MAX = 1000;
const SEND_BYTES_MAX = 1024 * 1024;
/** send() calls not yet acknowledged, at most: bounds memory on large inputs. */
const SENDS_IN_FLIGHT_MAX = 16;
const READ_CHUNK_BYTES = 256 * 1024;
const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines (without the '\n'). Bytes of an unfinished line
 * are carried to the next chunk, up to LINE_BYTES_MAX. Empty lines are skipped.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryBytes = 0;
  private readonly lineBytesMax: number;
  /** Lines seen so far (for error messages). */
  lines = 0;

  constructor(lineBytesMax = LINE_BYTES_MAX) {
    this.lineBytesMax = lineBytesMax;
  }

  push(chunk: Buffer, onLine: (line: Buffer) => void): void {
    let start = 0;
    // Each iteration consumes one newline of the chunk, so chunk.length bounds it.
    for (let i = 0; i <= chunk.length; i++) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl);
      if (this.carryBytes > 0) {
        this.check(this.carryBytes + line.length);
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
        this.carryBytes = 0;
      }
      this.lines++;
      if (line.length > 0) onLine(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(this.carryBytes + rest.length);
      this.carry.push(rest);
      this.carryBytes += rest.length;
    }
  }

  /** The last line when the input does not end with a newline. */
  end(onLine: (line: Buffer) => void): void {
    if (this.carryBytes === 0) return;
    const line = Buffer.concat(this.carry);
    this.carry = [];
    this.carryBytes = 0;
    this.lines++;
    onLine(line);
  }

  private check(bytes: number): void {
    if (bytes > this.lineBytesMax) throw new Error(`line ${this.lines + 1} is longer than ${this.lineBytesMax} bytes`);
  }
}

interface PartitionSummary {
  records: number;
  first: number;
  last: number;
}

/** "produced N records to T: partition 0 offsets 0-9, partition 1 offsets 3-5". */
export function summaryLine(topic: string, records: number, acks: number, byPartition: ReadonlyMap<number, PartitionSummary>): string {
  const head = `produced ${records} record${records === 1 ? '' : 's'} to ${topic}`;
  if (records === 0) return head;
  const parts = [...byPartition.entries()].sort((a, b) => a[0] - b[0]);
  if (acks === 0) return `${head}: partition${parts.length === 1 ? '' : 's'} ${parts.map(([p]) => p).join(',')} (acks=0: offsets not reported)`;
  return `${head}: ${parts.map(([p, s]) => `partition ${p} offsets ${s.first}-${s.last}`).join(', ')}`;
}

interface ProduceOpts {
  bootstrap: string;
  file?: string;
  keyDelimiter?: string;
  header: string[];
  partition?: string;
  acks: string;
  compression: CompressionType;
}

async function openInput(file: string | undefined): Promise<NodeJS.ReadableStream> {
  if (file === undefined || file === '-') return process.stdin;
  try {
    const s = await stat(file);
    if (!s.isFile() && !s.isFIFO()) throw new Error('not a file');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return createReadStream(file, { highWaterMark: READ_CHUNK_BYTES });
}

async function produce(topic: string, o: ProduceOpts): Promise<void> {
  checkBootstrap(o.bootstrap);
  const acks = parseAcks(o.acks);
  const partition = o.partition === undefined ? undefined : parseIntArg('--partition', o.partition, 0, 0x7fffffff);
  const headers = o.header.map((h) => parseKeyValue('--header', h));
  if (o.keyDelimiter !== undefined && o.keyDelimiter === '') throw new UsageError('-K needs a non-empty separator');
  const sep = o.keyDelimiter === undefined ? null : Buffer.from(unescape(o.keyDelimiter), 'utf8');
  const input = await openInput(o.file);

  const producer = new Producer({ ...clientOptions(o.bootstrap), acks, compression: o.compression, lingerMs: 5 });
  try {
    await producer.connect();
  } catch (err) {
    await producer.close();
    throw connectFailure(o.bootstrap, err);
  }

  const byPartition = new Map<number, PartitionSummary>();
  let acked = 0;
  let failure: unknown = null;
  const inFlight: Array<Promise<void>> = [];
  let pending: ProducerMessage[] = [];
  let pendingBytes = 0;
  const record = (results: RecordMetadata[]): void => {
    for (const r of results) {
      acked++;
      const s = byPartition.get(r.partition);
      if (s === undefined) byPartition.set(r.partition, { records: 1, first: r.offset, last: r.offset });
      else {
        s.records++;
        if (r.offset < s.first) s.first = r.offset;
        if (r.offset > s.last) s.last = r.offset;
      }
    }
  };
  const dispatch = (): void => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    pendingBytes = 0;
    // The handler is attached now: a failure is kept, never an unhandled rejection.
    inFlight.push(producer.send({ topic, messages }).then(record, (err: unknown) => void (failure ??= err)));
  };
  const onLine = (line: Buffer): void => {
    let key: Buffer | null = null;
    let value = line;
    if (sep !== null) {
      const i = line.indexOf(sep);
      if (i >= 0) {
        key = line.subarray(0, i);
        value = line.subarray(i + sep.length);
      }
    }
    const m: ProducerMessage = { key, value };
    if (headers.length > 0) m.headers = headers;
    if (partition !== undefined) m.partition = partition;
    pending.push(m);
    pendingBytes += line.length;
    if (pending.length >= SEND_RECORDS_MAX || pendingBytes >= SEND_BYTES_MAX) dispatch();
  };

  const splitter = new LineSplitter();
  try {
    for await (const chunk of input) {
      splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer), onLine);
      // Backpressure: the next chunk is read only once the window has room.
      while (inFlight.length >= SENDS_IN_FLIGHT_MAX && failure === null) await inFlight.shift();
      if (failure !== null) break;
    }
    if (failure === null) {
      splitter.end(onLine);
      dispatch();
    }
    await Promise.all(inFlight.splice(0));
  } finally {
    await producer.close().catch(() => {});
  }
  if (failure !== null) throw failure;
  process.stderr.write(`${summaryLine(topic, acked, acks, byPartition)}\n`);
}

export function registerProduce(program: Command): void {
  program
    .command('produce')
    .description('produce each line of stdin (or a file) as a record, like kcat -P')
    .argument('<topic>', 'topic name (created on first use when the broker auto-creates topics)')
    .option('-f, --file <file>', 'read lines from this file instead of stdin ("-" for stdin)')
    .option('-K, --key-delimiter <sep>', 'the part of a line before the first SEP is the key (\\t, \\n allowed)')
    .option('-H, --header <key=value>', 'header on every record, repeatable', collect, [])
    .option('-p, --partition <n>', 'write every record to this partition (default: murmur2 of the key, or sticky)')
    .addOption(new Option('--acks <acks>', 'acknowledgement: -1 (all, durable), 1 (leader), 0 (none)').choices(['-1', '0', '1', 'all']).default('-1'))
    .addOption(new Option('-z, --compression <codec>', 'batch compression').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .addOption(bootstrapOption())
    .action(async (topic: string, o: ProduceOpts) => {
      await produce(topic, o);
      await finish();
    });
}
