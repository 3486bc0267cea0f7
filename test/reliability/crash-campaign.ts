// The kill -9 campaign (docs/reliability.md, "Crash campaign"): a real `samsa serve`
// process is killed with SIGKILL at a random moment while several producers send
// acks=-1 Produce requests over TCP (idempotent and not, several partitions, every
// codec, segments rolled small, retention and compaction running) and a committer
// commits consumer offsets; then it is restarted and everything acknowledged so far is
// read back over the wire and checked: present exactly once per idempotent producer,
// byte for byte, at the offset it was acknowledged with, in order, and every
// acknowledged committed offset survives. Bounded by a cycle count and a time limit.
// Owns: the campaign's producers, ledger and checks. Must not reach into the broker's
// files or memory: everything it learns comes over the Kafka protocol.
//
// Run: scripts/crash-campaign [--cycles N] [--time-limit-s S] [--seed N] [--write-doc]
import '../../src/compression/node-codecs.js';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeRecordBatch, decodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { CompressionType, RecordInput } from '../../src/protocol/record-batch.js';
import { batchSizeAt, getBaseOffset } from '../../src/wire/batch-layout.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { OffsetCommitRequestCodec, OffsetCommitResponseCodec } from '../../src/wire/schemas/08-offset-commit.js';
import { OffsetFetchRequestCodec, OffsetFetchResponseCodec } from '../../src/wire/schemas/09-offset-fetch.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../src/wire/schemas/19-create-topics.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../src/wire/schemas/22-init-producer-id.js';
import { RawClient } from '../kafka/harness.js';
import { startBrokerProcess, type BrokerProcess } from './broker-process.js';

const { values: opts } = parseArgs({
  options: {
    cycles: { type: 'string', default: '100' },
    'time-limit-s': { type: 'string', default: '1800' },
    seed: { type: 'string', default: '1' },
    'write-doc': { type: 'boolean', default: false },
    'keep-data': { type: 'boolean', default: false },
  },
});
const CYCLES = Number(opts.cycles);
const TIME_LIMIT_MS = Number(opts['time-limit-s']) * 1000;
const DOC = new URL('../../../docs/reliability.md', import.meta.url);

// ---------------------------------------------------------------- setup

interface TopicSpec {
  name: string;
  partitions: number;
  kind: 'plain' | 'retain' | 'compact';
  configs: Record<string, string>;
}
const TOPICS: TopicSpec[] = [
  { name: 'cc-plain', partitions: 3, kind: 'plain', configs: { 'segment.bytes': '32768' } },
  { name: 'cc-retain', partitions: 2, kind: 'retain', configs: { 'segment.bytes': '16384', 'retention.bytes': '65536' } },
  { name: 'cc-compact', partitions: 2, kind: 'compact', configs: { 'segment.bytes': '16384', 'cleanup.policy': 'compact' } },
];
const TPS = TOPICS.flatMap((t) => Array.from({ length: t.partitions }, (_, p) => ({ topic: t, partition: p, id: `${t.name}-${p}` })));
type Tp = (typeof TPS)[number];
const BROKER_SETTINGS = { 'log.retention.check.interval.ms': 100, 'log.cleaner.backoff.ms': 100, 'auto.create.topics.enable': 'false' };
const PRODUCERS = 6;
const IDEMPOTENT = (p: number): boolean => p < 4;
const CODECS: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
const GROUP = 'cc-group';
/** Keys per producer in the compacted topic: small, so compaction has work. */
const COMPACT_KEYS = 40;
const KILL_AFTER_MS_MIN = 30;
const KILL_AFTER_MS_MAX = 900;
const FIRST_ACK_WAIT_MS_MAX = 30_000;
const BATCH_RECORDS_MAX = 10;
const FETCH_ROUNDS_MAX = 1_000_000;
const TS_BASE = 1_700_000_000_000;

/** A small deterministic PRNG (mulberry32): the same seed kills at the same moments. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = rng(Number(opts.seed));

/** Record `n` of producer `p`: the same bytes whenever it is built, so nothing but its id is kept. */
function recordOf(p: number, n: number, compact: boolean): RecordInput {
  const key = compact ? `k${p}-${n % COMPACT_KEYS}` : `p${p}-${n}`;
  const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(8).slice(0, (n * 37) % 250);
  return { key, value: `P${p}:${n}:${filler}`, headers: n % 3 === 0 ? [{ key: 'n', value: String(n) }] : [], timestamp: TS_BASE + n };
}

/** What identifies a stored batch's content: everything but baseOffset (0-7) and partitionLeaderEpoch (12-15). */
function contentHash(batch: Uint8Array): string {
  return createHash('sha256').update(batch.subarray(8, 12)).update(batch.subarray(16)).digest('hex');
}

// ---------------------------------------------------------------- ledger

interface AckedBatch {
  tp: string;
  producer: number;
  firstN: number;
  count: number;
  baseOffset: number;
  hash: string;
  cycle: number;
}

interface Send {
  tp: Tp;
  firstN: number;
  count: number;
  batch: Uint8Array;
  /** Idempotent producers only: the sequence the batch carries. */
  seq: number;
}

interface ProducerState {
  id: number;
  idempotent: boolean;
  producerId: number;
  epoch: number;
  nextN: number;
  nextSeq: Map<string, number>;
  /** A request whose answer never came (the broker died): resent first after the restart. */
  pending: Send | null;
  rr: number;
}

const acked: AckedBatch[] = [];
const lastAckedOffset = new Map<string, number>(); // `${producer}/${tp}` → last acked baseOffset, for order
const committed = new Map<string, { acked: number; inFlight: number | null }>();
const problems: string[] = [];
const stats = {
  cycles: 0,
  batchesAcked: 0,
  recordsAcked: 0,
  resentAfterRestart: 0,
  resentAnsweredAsDuplicate: 0,
  produceErrors: new Map<string, number>(),
  commitsAcked: 0,
  recoveryMs: [] as number[],
  removedByRetention: 0,
  supersededByCompaction: 0,
  lost: 0,
  changed: 0,
  idempotentDuplicates: 0,
  retryDuplicates: 0,
  outOfOrder: 0,
  commitsLost: 0,
  bytesStored: 0,
};

function problem(msg: string): void {
  if (problems.length < 50) problems.push(msg);
  console.error(`PROBLEM: ${msg}`);
}

// ---------------------------------------------------------------- producing

function nextSend(p: ProducerState): Send {
  const tp = TPS[p.rr++ % TPS.length]!;
  const count = 1 + Math.floor(random() * BATCH_RECORDS_MAX);
  const firstN = p.nextN;
  p.nextN += count;
  const records = Array.from({ length: count }, (_, i) => recordOf(p.id, firstN + i, tp.topic.kind === 'compact'));
  const compression = CODECS[(firstN + p.id) % CODECS.length]!;
  let seq = -1;
  if (p.idempotent) {
    seq = p.nextSeq.get(tp.id) ?? 0;
    p.nextSeq.set(tp.id, seq + count);
  }
  const batch = encodeRecordBatch(records, {
    compression,
    timestamp: TS_BASE + firstN,
    ...(p.idempotent ? { producerId: p.producerId, producerEpoch: p.epoch, baseSequence: seq } : {}),
  });
  return { tp, firstN, count, batch, seq };
}

/** Sends one batch at acks=-1 and records the ack; false when the connection died (the outcome is unknown). */
async function produceOne(c: RawClient, p: ProducerState, s: Send, cycle: number, resend: boolean): Promise<boolean> {
  let res;
  try {
    res = await c.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: s.tp.topic.name, partitionData: [{ index: s.tp.partition, records: s.batch }] }],
    });
  } catch {
    p.pending = s;
    return false;
  }
  const pr = res.responses[0]?.partitionResponses[0];
  if (pr === undefined) {
    problem(`producer ${p.id}: empty produce response`);
    return true;
  }
  if (pr.errorCode !== ErrorCode.NONE) {
    const name = `${pr.errorCode}${resend ? ' (resend)' : ''}`;
    stats.produceErrors.set(name, (stats.produceErrors.get(name) ?? 0) + 1);
    // An idempotent producer's sequence is now out of step: start again with a new id (as a client would).
    if (p.idempotent) {
      problem(`producer ${p.id}: idempotent produce to ${s.tp.id} answered error ${pr.errorCode} (${pr.errorMessage ?? ''})`);
      await initProducer(c, p);
    }
    return true;
  }
  const key = `${p.id}/${s.tp.id}`;
  const before = lastAckedOffset.get(key) ?? -1;
  if (pr.baseOffset <= before) {
    stats.outOfOrder++;
    problem(`producer ${p.id}: ${s.tp.id} acked at ${pr.baseOffset} after an earlier batch at ${before}`);
  }
  lastAckedOffset.set(key, pr.baseOffset);
  acked.push({ tp: s.tp.id, producer: p.id, firstN: s.firstN, count: s.count, baseOffset: Number(pr.baseOffset), hash: contentHash(s.batch), cycle });
  stats.batchesAcked++;
  stats.recordsAcked += s.count;
  return true;
}

async function initProducer(c: RawClient, p: ProducerState): Promise<void> {
  const r = await c.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: null, transactionTimeoutMs: 60_000 });
  if (r.errorCode !== ErrorCode.NONE) throw new Error(`InitProducerId: error ${r.errorCode}`);
  p.producerId = Number(r.producerId);
  p.epoch = r.producerEpoch;
  p.nextSeq.clear();
}

/** One producer's loop for one broker life: resend what is pending, then send until the connection dies. */
async function runProducer(port: number, p: ProducerState, cycle: number, stop: { now: boolean }): Promise<void> {
  let c: RawClient;
  try {
    c = await RawClient.connect(port);
  } catch {
    return;
  }
  try {
    if (p.idempotent && p.producerId < 0) await initProducer(c, p);
    if (p.pending !== null) {
      const s = p.pending;
      p.pending = null;
      stats.resentAfterRestart++;
      const nBefore = acked.length;
      if (!(await produceOne(c, p, s, cycle, true))) return;
      // An idempotent resend of a batch written before the kill is answered with its
      // original offset: below the high watermark the restarted broker reported.
      const a = acked[nBefore];
      if (a !== undefined && p.idempotent && a.baseOffset < (highWatermarkAtRestart.get(a.tp) ?? 0)) stats.resentAnsweredAsDuplicate++;
    }
    while (!stop.now) {
      if (!(await produceOne(c, p, nextSend(p), cycle, false))) return;
    }
  } catch (err) {
    if (!stop.now) problem(`producer ${p.id}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    c.close();
  }
}

/** Commits an ever-growing offset for every partition of the campaign's group, one request at a time. */
async function runCommitter(port: number, stop: { now: boolean }): Promise<void> {
  let c: RawClient;
  try {
    c = await RawClient.connect(port);
  } catch {
    return;
  }
  try {
    while (!stop.now) {
      const offsets = TPS.map((tp) => {
        const e = committed.get(tp.id) ?? { acked: -1, inFlight: null };
        e.inFlight = Math.max(e.acked, e.inFlight ?? -1) + 1 + Math.floor(random() * 5);
        committed.set(tp.id, e);
        return { tp, offset: e.inFlight };
      });
      let r;
      try {
        r = await c.request(OffsetCommitRequestCodec, OffsetCommitResponseCodec, 8, {
          groupId: GROUP,
          generationId: -1,
          memberId: '',
          groupInstanceId: null,
          topics: TOPICS.map((t) => ({
            name: t.name,
            partitions: offsets.filter((o) => o.tp.topic === t).map((o) => ({ partitionIndex: o.tp.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: null })),
          })),
        });
      } catch {
        return; // the broker died: the in-flight commits stay unknown
      }
      for (const t of r.topics) {
        for (const pr of t.partitions) {
          const e = committed.get(`${t.name}-${pr.partitionIndex}`)!;
          if (pr.errorCode === ErrorCode.NONE && e.inFlight !== null) {
            e.acked = e.inFlight;
            stats.commitsAcked++;
          } else if (pr.errorCode !== ErrorCode.NONE) {
            problem(`offset commit ${t.name}-${pr.partitionIndex}: error ${pr.errorCode}`);
          }
          e.inFlight = null;
        }
      }
      await new Promise((r2) => setTimeout(r2, 20));
    }
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------- checking

interface StoredRecord {
  key: string;
  value: string;
  headers: string;
  timestamp: number;
}

interface StoredPartition {
  logStartOffset: number;
  highWatermark: number;
  batches: Map<number, string>;
  records: Map<number, StoredRecord>;
  /** Compacted topics: the highest offset each key is stored at. */
  keyMaxOffset: Map<string, number>;
}

const dec = new TextDecoder();
const str = (b: Uint8Array | null): string => (b === null ? '\u0000null' : dec.decode(b));
const headersOf = (hs: ReadonlyArray<{ key: string | Uint8Array; value: Uint8Array | null }>): string => hs.map((h) => `${typeof h.key === 'string' ? h.key : str(h.key)}=${str(h.value)}`).join(',');

async function readPartition(c: RawClient, tp: Tp): Promise<StoredPartition> {
  const out: StoredPartition = { logStartOffset: -1, highWatermark: -1, batches: new Map(), records: new Map(), keyMaxOffset: new Map() };
  let offset = 0;
  for (let round = 0; round < FETCH_ROUNDS_MAX; round++) {
    const r = await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 4 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: tp.topic.name, topicId: '00000000000000000000000000000000', partitions: [{ partition: tp.partition, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 4 << 20 }] }],
      forgottenTopicsData: [], rackId: '',
    });
    const pr = r.responses[0]?.partitions[0];
    if (pr === undefined) throw new Error(`fetch ${tp.id}: empty response`);
    // Retention runs every 100 ms: the log start may pass the reader; go on from there.
    if (pr.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE && Number(pr.logStartOffset) > offset) {
      offset = Number(pr.logStartOffset);
      continue;
    }
    if (pr.errorCode !== ErrorCode.NONE) throw new Error(`fetch ${tp.id} at ${offset}: error ${pr.errorCode} (log start ${pr.logStartOffset}, high watermark ${pr.highWatermark})`);
    out.logStartOffset = Number(pr.logStartOffset);
    out.highWatermark = Number(pr.highWatermark);
    if (offset < out.logStartOffset) offset = out.logStartOffset;
    if (offset >= out.highWatermark) break;
    const bytes = pr.records ?? new Uint8Array(0);
    let pos = 0;
    let progressed = false;
    while (pos + 61 <= bytes.byteLength) {
      const size = batchSizeAt(bytes, pos);
      if (size < 61 || pos + size > bytes.byteLength) break;
      const batch = bytes.subarray(pos, pos + size);
      const base = getBaseOffset(batch);
      out.batches.set(base, contentHash(batch));
      stats.bytesStored += size;
      const d = decodeRecordBatch(batch);
      for (const rec of d.records) {
        const key = str(rec.key);
        out.records.set(rec.offset, { key, value: str(rec.value), headers: headersOf(rec.headers), timestamp: rec.timestamp });
        if (tp.topic.kind === 'compact') out.keyMaxOffset.set(key, Math.max(out.keyMaxOffset.get(key) ?? -1, rec.offset));
        if (rec.offset + 1 > offset) {
          offset = rec.offset + 1;
          progressed = true;
        }
      }
      // A batch emptied by compaction still moves the position past its last offset delta.
      const next = base + new DataView(batch.buffer, batch.byteOffset).getInt32(23) + 1;
      if (next > offset) {
        offset = next;
        progressed = true;
      }
      pos += size;
    }
    if (!progressed) {
      const first = bytes.byteLength >= 61 ? `, the first batch ${getBaseOffset(bytes)}+${new DataView(bytes.buffer, bytes.byteOffset).getInt32(23)}` : '';
      throw new Error(`fetch ${tp.id} at ${offset}: no progress below the high watermark ${out.highWatermark} (log start ${out.logStartOffset}, ${bytes.byteLength} record bytes${first})`);
    }
  }
  return out;
}

const logStartSeen = new Map<string, number>();
const highWatermarkAtRestart = new Map<string, number>();
/** Duplicated record ids ever seen, by kind (a later check may no longer see one that retention removed). */
const duplicateIds = { idempotent: new Set<string>(), retry: new Set<string>() };

/** Reads every partition back and checks the whole ledger against it. */
async function verify(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const stored = new Map<string, StoredPartition>();
    for (const tp of TPS) {
      const s = await readPartition(c, tp);
      const before = logStartSeen.get(tp.id) ?? 0;
      if (s.logStartOffset < before) problem(`${tp.id}: log start went back from ${before} to ${s.logStartOffset}`);
      logStartSeen.set(tp.id, s.logStartOffset);
      highWatermarkAtRestart.set(tp.id, s.highWatermark);
      stored.set(tp.id, s);
    }
    let lost = 0;
    let changed = 0;
    let retained = 0;
    let superseded = 0;
    for (const a of acked) {
      const tp = TPS.find((t) => t.id === a.tp)!;
      const s = stored.get(a.tp)!;
      if (a.baseOffset + a.count - 1 < s.logStartOffset) {
        retained += a.count;
        continue;
      }
      if (tp.topic.kind !== 'compact') {
        const h = s.batches.get(a.baseOffset);
        if (h === undefined) {
          lost += a.count;
          problem(`LOST: ${a.tp} batch at ${a.baseOffset} (producer ${a.producer}, records ${a.firstN}..${a.firstN + a.count - 1}, acked in cycle ${a.cycle})`);
        } else if (h !== a.hash) {
          changed += a.count;
          problem(`CHANGED: ${a.tp} batch at ${a.baseOffset} differs from what was acknowledged`);
        }
        continue;
      }
      // Compaction rewrites batches: check record by record; a record may go only for a later one of its key.
      for (let i = 0; i < a.count; i++) {
        const want = recordOf(a.producer, a.firstN + i, true);
        const got = s.records.get(a.baseOffset + i);
        if (got === undefined) {
          if ((s.keyMaxOffset.get(String(want.key)) ?? -1) > a.baseOffset + i) superseded++;
          else {
            lost++;
            problem(`LOST: ${a.tp} record at ${a.baseOffset + i} (key ${String(want.key)}), no later record of its key`);
          }
          continue;
        }
        const wantHeaders = (want.headers ?? []).map((h) => `${h.key}=${String(h.value)}`).join(',');
        if (got.key !== want.key || got.value !== want.value || got.headers !== wantHeaders || got.timestamp !== want.timestamp) {
          changed++;
          problem(`CHANGED: ${a.tp} record at ${a.baseOffset + i}`);
        }
      }
    }
    // Duplicates: a record id stored at two offsets.
    let idem = 0;
    let retry = 0;
    for (const s of stored.values()) {
      const seen = new Set<string>();
      for (const r of s.records.values()) {
        const id = /^P(\d+):(\d+):/.exec(r.value);
        if (id === null) {
          problem(`a stored record that no producer sent: ${r.value.slice(0, 40)}`);
          continue;
        }
        if (seen.has(id[0])) {
          if (IDEMPOTENT(Number(id[1]))) {
            idem++;
            duplicateIds.idempotent.add(id[0]);
            problem(`DUPLICATE from idempotent producer ${id[1]}: record ${id[2]}`);
          } else {
            retry++;
            duplicateIds.retry.add(id[0]);
          }
        }
        seen.add(id[0]);
      }
    }
    // Committed offsets: the last acknowledged commit, or the one in flight at the kill.
    const r = await c.request(OffsetFetchRequestCodec, OffsetFetchResponseCodec, 8, {
      groupId: '',
      topics: null,
      groups: [{ groupId: GROUP, topics: TOPICS.map((t) => ({ name: t.name, partitionIndexes: Array.from({ length: t.partitions }, (_, i) => i) })) }],
      requireStable: false,
    });
    let commitsLost = 0;
    for (const t of r.groups[0]?.topics ?? []) {
      for (const pr of t.partitions) {
        const e = committed.get(`${t.name}-${pr.partitionIndex}`);
        if (e === undefined) continue;
        const got = Number(pr.committedOffset);
        if (got === e.acked || (e.inFlight !== null && got === e.inFlight)) {
          e.acked = got;
          e.inFlight = null;
          continue;
        }
        commitsLost++;
        problem(`COMMIT LOST: ${t.name}-${pr.partitionIndex} committed ${e.acked} (in flight ${e.inFlight}), fetched ${got}`);
      }
    }
    stats.lost = lost;
    stats.changed = changed;
    stats.removedByRetention = retained;
    stats.supersededByCompaction = superseded;
    stats.idempotentDuplicates = duplicateIds.idempotent.size;
    stats.retryDuplicates = duplicateIds.retry.size;
    void idem;
    void retry;
    stats.commitsLost = commitsLost;
  } finally {
    c.close();
  }
}

// ---------------------------------------------------------------- the campaign

async function createTopics(port: number): Promise<void> {
  const c = await RawClient.connect(port);
  try {
    const r = await c.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 5, {
      topics: TOPICS.map((t) => ({ name: t.name, numPartitions: t.partitions, replicationFactor: 1, assignments: [], configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
      timeoutMs: 10_000,
      validateOnly: false,
    });
    for (const t of r.topics) if (t.errorCode !== ErrorCode.NONE) throw new Error(`create ${t.name}: error ${t.errorCode} ${t.errorMessage ?? ''}`);
  } finally {
    c.close();
  }
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-crash-campaign-'));
  const started = performance.now();
  const producers: ProducerState[] = Array.from({ length: PRODUCERS }, (_, id) => ({ id, idempotent: IDEMPOTENT(id), producerId: -1, epoch: 0, nextN: 0, nextSeq: new Map(), pending: null, rr: id }));
  let broker: BrokerProcess | null = null;
  // A check that throws (not a counted problem) leaves the data and the broker's last
  // output for whoever investigates: the run cannot be repeated exactly.
  let failed = false;
  try {
    broker = await startBrokerProcess({ dataDir, settings: BROKER_SETTINGS });
    await createTopics(broker.kafkaPort);
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      if (performance.now() - started > TIME_LIMIT_MS) {
        console.log(`time limit reached after ${cycle - 1} cycles`);
        break;
      }
      const stop = { now: false };
      const ackedBefore = stats.batchesAcked;
      const loops = [...producers.map((p) => runProducer(broker!.kafkaPort, p, cycle, stop)), runCommitter(broker.kafkaPort, stop)];
      // The kill lands while produce is flowing: the random delay starts at the cycle's first ack.
      for (let waited = 0; stats.batchesAcked === ackedBefore && waited < FIRST_ACK_WAIT_MS_MAX; waited += 5) await new Promise((r) => setTimeout(r, 5));
      if (stats.batchesAcked === ackedBefore) problem(`cycle ${cycle}: no produce was acknowledged within ${FIRST_ACK_WAIT_MS_MAX} ms of the restart`);
      const killAfterMs = KILL_AFTER_MS_MIN + random() * (KILL_AFTER_MS_MAX - KILL_AFTER_MS_MIN);
      await new Promise((r) => setTimeout(r, killAfterMs));
      const how = await broker.kill('SIGKILL');
      stop.now = true;
      await Promise.all(loops);
      if (how !== 'SIGKILL') problem(`cycle ${cycle}: the broker had already ended (${how}) before the kill:\n${broker.stderrTail()}`);
      broker = await startBrokerProcess({ dataDir, settings: BROKER_SETTINGS });
      stats.recoveryMs.push(broker.readyMs);
      await verify(broker.kafkaPort);
      stats.cycles = cycle;
      console.log(`cycle ${cycle}: killed after ${killAfterMs.toFixed(0)} ms; acked ${stats.batchesAcked} batches / ${stats.recordsAcked} records; restart ${broker.readyMs.toFixed(0)} ms; lost ${stats.lost}, changed ${stats.changed}, idempotent dups ${stats.idempotentDuplicates}, retry dups ${stats.retryDuplicates}, commits lost ${stats.commitsLost}`);
      if (problems.length > 0) break;
    }
    // A last round of produce on the recovered broker: it is writable, and what it acks checks out.
    const stop = { now: false };
    const loops = producers.map((p) => runProducer(broker!.kafkaPort, p, stats.cycles + 1, stop));
    await new Promise((r) => setTimeout(r, 300));
    stop.now = true;
    await Promise.all(loops);
    await verify(broker.kafkaPort);
  } catch (err) {
    failed = true;
    if (broker !== null) console.error(`the broker's last output:\n${broker.stderrTail()}`);
    throw err;
  } finally {
    if (broker !== null) await broker.kill('SIGTERM');
    if (opts['keep-data'] === true || failed) console.log(`data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
  const elapsedS = (performance.now() - started) / 1000;
  const summary = {
    cycles: stats.cycles,
    batchesAcked: stats.batchesAcked,
    recordsAcked: stats.recordsAcked,
    lost: stats.lost,
    changed: stats.changed,
    outOfOrder: stats.outOfOrder,
    idempotentDuplicates: stats.idempotentDuplicates,
    retryDuplicates: stats.retryDuplicates,
    resentAfterRestart: stats.resentAfterRestart,
    resentAnsweredAsDuplicate: stats.resentAnsweredAsDuplicate,
    removedByRetention: stats.removedByRetention,
    supersededByCompaction: stats.supersededByCompaction,
    commitsAcked: stats.commitsAcked,
    commitsLost: stats.commitsLost,
    produceErrors: Object.fromEntries(stats.produceErrors),
    recoveryMsP50: Math.round(percentile(stats.recoveryMs, 0.5)),
    recoveryMsMax: Math.round(Math.max(0, ...stats.recoveryMs)),
    elapsedS: Math.round(elapsedS),
    problems: problems.length,
  };
  console.log(JSON.stringify(summary, null, 2));
  if (opts['write-doc'] === true) writeDoc(summary);
  const ok = problems.length === 0 && stats.cycles > 0;
  console.log(ok ? `crash campaign: ${stats.cycles} passed, 0 failed` : `crash campaign: FAILED (${problems.length} problems)`);
  process.exitCode = ok ? 0 : 1;
}

function writeDoc(s: Record<string, unknown>): void {
  const begin = '<!-- crash-campaign:begin -->';
  const end = '<!-- crash-campaign:end -->';
  const row = (k: string, v: unknown): string => `| ${k} | ${typeof v === 'object' ? JSON.stringify(v) : String(v)} |`;
  const body = [
    begin,
    `Last run: \`scripts/crash-campaign --cycles ${CYCLES} --seed ${opts.seed} --write-doc\` on ${new Date().toISOString().slice(0, 10)} (${s.elapsedS} s).`,
    '',
    '| figure | value |',
    '| --- | --- |',
    row('cycles (kill -9, restart, full check)', s.cycles),
    row('batches acknowledged (acks=-1)', s.batchesAcked),
    row('records acknowledged', s.recordsAcked),
    row('**lost**', s.lost),
    row('changed (bytes or offset differ)', s.changed),
    row('acknowledged out of order', s.outOfOrder),
    row('duplicated records, idempotent producers', s.idempotentDuplicates),
    row('duplicated records, non-idempotent resends (expected: at-least-once)', s.retryDuplicates),
    row('in-flight batches resent after a restart', s.resentAfterRestart),
    row('… of them idempotent and answered as duplicates, with their original offset', s.resentAnsweredAsDuplicate),
    row('records removed by retention (allowed)', s.removedByRetention),
    row('records superseded by compaction (allowed)', s.supersededByCompaction),
    row('offset commits acknowledged / lost', `${s.commitsAcked} / ${s.commitsLost}`),
    row('produce errors by code', s.produceErrors),
    row('restart to ready (recovery) p50 / max, ms', `${s.recoveryMsP50} / ${s.recoveryMsMax}`),
    end,
  ].join('\n');
  const path = DOC;
  const doc = readFileSync(path, 'utf8');
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) throw new Error('docs/reliability.md has no crash-campaign markers');
  writeFileSync(path, doc.slice(0, i) + body + doc.slice(j + end.length));
}

await main();
