// The interop driver contract (interop/README.md) as TypeScript types: the job a
// driver reads, the JSON lines it writes, and the params of each op. Owns: these
// shapes and the small parsers both sides share. Must not start processes or talk
// to a broker: the drivers (drivers/*.ts) and the runner (run.ts) do.

export type Op = 'produce' | 'consume' | 'group-member' | 'admin' | 'txn-produce';
export const OPS: readonly Op[] = ['produce', 'consume', 'group-member', 'admin', 'txn-produce'];

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export type Header = [string, string];

/** A record to produce. */
export interface RecordIn {
  key: string | null;
  value: string;
  headers?: Header[];
  partition?: number;
  timestamp?: number;
}

/** A record as a driver saw it when consuming. */
export interface RecordOut {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Header[];
  timestamp: number;
}

export interface ProduceParams {
  topic: string;
  acks: 0 | 1 | -1;
  compression: Compression;
  idempotent: boolean;
  records: RecordIn[];
  timeoutMs?: number;
}

export type From = 'earliest' | 'latest' | { offset: number } | { timestamp: number };

export interface ConsumeParams {
  topic: string;
  partitions?: number[];
  from: From;
  count: number;
  /** Default read_uncommitted (the Java client's default). */
  isolation?: 'read_committed' | 'read_uncommitted';
  timeoutMs?: number;
}

/** One transaction of a `txn-produce` job: its records, then commit (default) or abort. */
export interface TxnIn {
  records: RecordIn[];
  end?: 'commit' | 'abort';
}

export interface TxnProduceParams {
  topic: string;
  transactionalId: string;
  transactions: TxnIn[];
  /** Leave the last transaction open: `open` event, then `commit` commits it, `stop`/EOF halts the driver (a crash). */
  hold?: boolean;
  transactionTimeoutMs?: number;
  timeoutMs?: number;
}

/** Client-side assignors (classic protocol); `uniform` and `range` name the broker's with groupProtocol consumer. */
export type Assignor = 'range' | 'cooperative-sticky' | 'uniform';

export interface GroupMemberParams {
  topic: string;
  groupId: string;
  assignor: Assignor;
  autoOffsetReset: 'earliest' | 'latest';
  /** `classic` (default) or `consumer` (KIP-848: the broker assigns); a driver that cannot answers unsupported. */
  groupProtocol?: 'classic' | 'consumer';
  timeoutMs?: number;
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export type AdminStep =
  | { do: 'createTopic'; topic: string; partitions: number; configs?: Record<string, string> }
  | { do: 'listTopics' }
  | { do: 'describeTopic'; topic: string }
  | { do: 'deleteTopic'; topic: string }
  | { do: 'describeConfigs'; topic: string; keys: string[] }
  | { do: 'alterConfigs'; topic: string; set: Record<string, string> }
  | { do: 'createPartitions'; topic: string; count: number }
  | { do: 'deleteRecords'; topic: string; partition: number; offset: number }
  | { do: 'listOffsets'; topic: string; partition: number; spec: OffsetSpec }
  | { do: 'listGroups' }
  | { do: 'describeGroup'; groupId: string }
  | { do: 'deleteGroup'; groupId: string }
  | { do: 'fetchOffsets'; groupId: string; topic: string }
  | { do: 'describeTransaction'; transactionalId: string }
  | { do: 'listTransactions' }
  | { do: 'describeProducers'; topic: string; partition: number }
  | { do: 'describeCluster' }
  | { do: 'describeLogDirs'; topic: string }
  | { do: 'electLeaders'; topic: string; partition: number }
  | { do: 'deleteOffsets'; groupId: string; topic: string; partitions: number[] };

export type StepName = AdminStep['do'];

export interface AdminParams {
  steps: AdminStep[];
  timeoutMs?: number;
}

/** One admin step's answer; the fields beyond ok/error depend on the step (see the README table). */
export interface StepResult {
  ok: boolean;
  error?: string;
  unsupported?: boolean;
  topics?: string[];
  partitions?: number;
  configs?: Record<string, string | null>;
  lowWatermark?: number;
  offset?: number;
  groups?: string[];
  state?: string;
  members?: number;
  offsets?: Record<string, number>;
  clusterId?: string;
  brokers?: number;
  controller?: boolean;
  dirs?: number;
  spaceKnown?: boolean;
  sizes?: Record<string, number>;
  electionError?: string | null;
  errors?: Record<string, string>;
}

export interface Job {
  op: Op;
  bootstrap: string;
  params: ProduceParams | ConsumeParams | GroupMemberParams | AdminParams;
}

export type Command = { cmd: 'stop' } | { cmd: 'commit' };

export interface EventLine {
  type: 'event';
  event: string;
  partitions?: number[];
  records?: RecordOut[];
  error?: string;
  [field: string]: unknown;
}

export type ResultStatus = 'ok' | 'error' | 'unsupported';

export interface ResultLine {
  type: 'result';
  status: ResultStatus;
  error?: string;
  data?: {
    results?: Array<{ partition: number; offset: number }> | StepResult[];
    records?: RecordOut[];
    consumed?: number;
    [field: string]: unknown;
  };
}

export type OutLine = EventLine | ResultLine;

export const DEFAULT_TIMEOUT_MS = 30_000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one stdout line of a driver; null when it is not a contract line (a driver's stray output). */
export function parseOutLine(line: string): OutLine | null {
  const t = line.trim();
  if (!t.startsWith('{')) return null;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return null;
  }
  if (!isObject(v)) return null;
  if (v.type === 'event' && typeof v.event === 'string') return v as EventLine;
  if (v.type === 'result' && (v.status === 'ok' || v.status === 'error' || v.status === 'unsupported')) return v as unknown as ResultLine;
  return null;
}

/** Parses the job line; throws naming what is wrong. */
export function parseJob(line: string): Job {
  const v: unknown = JSON.parse(line);
  if (!isObject(v)) throw new TypeError('the job must be a JSON object');
  if (typeof v.op !== 'string' || !(OPS as readonly string[]).includes(v.op)) throw new TypeError(`unknown op ${JSON.stringify(v.op)}`);
  if (typeof v.bootstrap !== 'string' || v.bootstrap === '') throw new TypeError('bootstrap must be "host:port"');
  if (!isObject(v.params)) throw new TypeError('params must be an object');
  return v as unknown as Job;
}

export function parseCommand(line: string): Command | null {
  const t = line.trim();
  if (t === '') return null;
  const v: unknown = JSON.parse(t);
  if (isObject(v) && (v.cmd === 'stop' || v.cmd === 'commit')) return { cmd: v.cmd };
  throw new TypeError(`unknown command ${t}`);
}
