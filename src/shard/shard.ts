// A shard: the only writer of its partitions' files. Runs inside a shard worker thread.
// Owns: the drain → validate → assign offsets → write → (sync) → complete loop
// (group commit), per-partition idempotent-producer state, flush policy (with
// flush-behind), retention timing, DeleteRecords, and when to compact its partitions
// (the cleaning itself runs in the maintenance pool; the shard only swaps the cleaned
// segments in). Must not share a partition with another shard, and must not block on
// anything but its own rings and its own files.

import { rmSync } from 'node:fs';
// Registers the native CRC-32C that checkBatch uses (wire/codecs.ts defaults to plain JS).
import '../compression/node-codecs.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import {
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  OFF_ATTRIBUTES,
  OFF_BASE_SEQUENCE,
  OFF_CRC,
  OFF_LAST_OFFSET_DELTA,
  OFF_MAX_TIMESTAMP,
  OFF_PRODUCER_EPOCH,
  OFF_PRODUCER_ID,
  OFF_RECORDS_COUNT,
  batchSizeAt,
  checkBatch,
  computeBatchCrc,
  getBaseOffset,
  getInt64AsNumber,
} from '../wire/batch-layout.js';
import {
  COMPLETION_HEADER_BYTES,
  OP_APPEND,
  OP_CONTROL,
  OP_NOTICE,
  OP_READ,
  REQ_HEADER_BYTES,
  decodeJson,
  encodeJson,
  readRequestHeader,
  writeCompletionHeader,
} from './shard-protocol.js';
import type { Completion, ControlRequest, ControlResult, Notice, ShardStats } from './shard-protocol.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { PartitionLog } from '../storage/partition-log.js';
import { toLogConfig } from '../storage/log-config.js';
import type { TopicConfig } from '../config/topic-config.js';
import { ProducerStateTable, loadProducerState, saveProducerState } from './producer-state.js';
import { SYNC_COUNT_F64, SYNC_DONE_SEQ_I32, SYNC_FAILED_SEQ_I32, SYNC_TOTAL_MS_F64 } from './sync-control.js';
import type { SyncRequest } from './sync-control.js';
import type { SequenceVerdict } from './producer-state.js';
import { invariantFailed } from '../wire/assert.js';

/** Frames taken per drain at most, so completions and reads are never starved. */
const DRAIN_FRAMES_MAX = 4096;
/** Longest idle sleep, so flush.ms and retention deadlines are checked at least this often. */
const IDLE_WAIT_MS_MAX = 100;
/** Kafka's log.cleaner.backoff.ms. */
const COMPACTION_CHECK_INTERVAL_MS_DEFAULT = 15_000;

interface PartitionState {
  slot: number;
  log: PartitionLog;
  config: TopicConfig;
  producers: ProducerStateTable;
  unsyncedMessages: number;
  /** Bytes written since a sync last covered this partition (flush-behind, see FLUSH_BEHIND_BYTES). */
  unsyncedBytes: number;
  firstUnsyncedAtMs: number;
  /** A 'compact' notice is out and its 'compactSwap' has not come back (at most one per partition). */
  compacting: boolean;
  /** Active segment base when the last cleaning was asked for: the log is clean below it. -1 = never (a restart cleans again). */
  compactedUpTo: number;
  compactingUpTo: number;
}

interface PendingAppend {
  reqId: number;
  slot: number;
  acks: number;
  errorCode: number;
  errorMessage: string;
  /** Index of this request's first batch in its partition's batch list, -1 if none written. */
  firstBatch: number;
  /** Set when the whole request was a duplicate of an earlier idempotent batch. */
  duplicate: SequenceVerdict | null;
  baseOffset: number;
  appendTimeMs: number;
}

interface PendingPartitionWrite {
  state: PartitionState;
  batches: Uint8Array[];
  records: number;
  needsSync: boolean;
}

/** The shard's handle on its syncer thread (pipelined fdatasync); absent = sync inline. */
export interface SyncerHandle {
  control: SharedArrayBuffer;
  post(req: SyncRequest): void;
}

export interface ShardOptions {
  shardId: number;
  retentionCheckIntervalMs: number;
  /** How often compacted partitions are checked for new sealed segments; default 15 000 (Kafka's log.cleaner.backoff.ms). */
  compactionCheckIntervalMs?: number;
  nowMs?: () => number;
  syncer?: SyncerHandle;
}

/**
 * Unsynced bytes of a partition past which the syncer is asked to fdatasync it in
 * the background. Without it a 1 GiB segment written with acks=1 sits dirty in the
 * page cache until its roll, whose inline seal fdatasync then stalled appends for
 * ~0.5 s (bench/engine.bench.ts, max latency).
 */
const FLUSH_BEHIND_BYTES = 32 * 1024 * 1024;
/** A sync in flight longer than this means the syncer thread is gone: sync inline from then on. */
const SYNC_STALL_MS_MAX = 30_000;
/** Sleep bound while a sync is in flight (the syncer also wakes us; this covers a lost wake-up). */
const SYNC_POLL_MS = 2;

export class Shard {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly reqView: DataView;
  private readonly compView: DataView;
  private readonly nowMs: () => number;
  private running = true;
  private nextRetentionAtMs: number;
  private nextCompactionAtMs: number;
  private readonly compactionCheckIntervalMs: number;
  private readonly stats: ShardStats = { partitions: [], fsyncCount: 0, fsyncTotalMs: 0, drains: 0, appendFrames: 0, compactedSegments: 0, compactionBytesRemoved: 0 };

  // Reused across drains: allocated once (TIGER_STYLE), cleared per drain.
  private readonly appends: PendingAppend[] = [];
  private readonly writes = new Map<number, PendingPartitionWrite>();
  private readonly reads: Array<{ reqId: number; slot: number; offset: number; maxBytes: number }> = [];

  // Pipelined sync state (see sync-control.ts). Bounded: at most one sync in flight;
  // what waits for the next one is bounded by what one drain can stage.
  private syncer: { post: (req: SyncRequest) => void; i32: Int32Array; f64: Float64Array } | null;
  private syncSeqIssued = 0;
  private syncInFlightSeq = 0;
  private syncInFlightSinceMs = 0;
  private syncInFlightAcks: PendingAppend[] = [];
  private syncInFlightParts: PartitionState[] = [];
  private syncWaitingAcks: PendingAppend[] = [];
  private readonly syncAwaiting = new Set<PartitionState>();

  constructor(
    private readonly requests: SpscRing,
    private readonly completions: SpscRing,
    private readonly options: ShardOptions,
  ) {
    this.reqView = new DataView(requests.bytes.buffer, requests.bytes.byteOffset, requests.bytes.byteLength);
    this.compView = new DataView(completions.bytes.buffer, completions.bytes.byteOffset, completions.bytes.byteLength);
    this.nowMs = options.nowMs ?? Date.now;
    this.nextRetentionAtMs = this.nowMs() + options.retentionCheckIntervalMs;
    this.compactionCheckIntervalMs = options.compactionCheckIntervalMs ?? COMPACTION_CHECK_INTERVAL_MS_DEFAULT;
    this.nextCompactionAtMs = this.nowMs() + this.compactionCheckIntervalMs;
    this.syncer = options.syncer === undefined
      ? null
      : { post: options.syncer.post, i32: new Int32Array(options.syncer.control), f64: new Float64Array(options.syncer.control) };
  }

  /** Runs until a shutdown control request. Blocks the calling (worker) thread. */
  run(): void {
    while (this.running) {
      const frames = this.drainOnce();
      if (frames === 0) {
        this.runTimers();
        if (!this.running) break;
        this.requests.waitForData(this.syncInFlightSeq > 0 ? Math.min(SYNC_POLL_MS, this.idleWaitMs()) : this.idleWaitMs());
        this.pumpSync();
      }
    }
  }

  /** One group commit: processes every pending frame (bounded), returns how many. */
  drainOnce(): number {
    let frames = 0;
    for (; frames < DRAIN_FRAMES_MAX; frames++) {
      const off = this.requests.read();
      if (off < 0) break;
      const len = this.requests.frameLength;
      const header = readRequestHeader(this.reqView, off);
      if (header.op === OP_APPEND) {
        this.stats.appendFrames++;
        this.stageAppend(header.reqId, header.slot, header.acks, this.requests.bytes.subarray(off + REQ_HEADER_BYTES, off + len));
      } else if (header.op === OP_READ) {
        this.reads.push({
          reqId: header.reqId,
          slot: header.slot,
          offset: this.reqView.getFloat64(off + REQ_HEADER_BYTES, true),
          maxBytes: this.reqView.getUint32(off + REQ_HEADER_BYTES + 8, true),
        });
      } else if (header.op === OP_CONTROL) {
        // Control requests are ordered against appends: commit (and make durable) what came before first.
        this.commitStaged();
        this.settleSyncs();
        const req = decodeJson<ControlRequest>(this.requests.bytes.subarray(off + REQ_HEADER_BYTES, off + len));
        this.completeControl(header.reqId, this.control(req));
      } else {
        invariantFailed(`shard ${this.options.shardId}: unknown op ${header.op} in request ring`);
      }
    }
    if (frames > 0) {
      this.stats.drains++;
      this.commitStaged();
      // Batches were views into the request ring: release only after they are written.
      this.requests.release();
      this.pumpSync();
      this.completions.publish();
    }
    return frames;
  }

  private stageAppend(reqId: number, slot: number, acks: number, body: Uint8Array): void {
    const pending: PendingAppend = {
      reqId, slot, acks, errorCode: ErrorCode.NONE, errorMessage: '', firstBatch: -1, duplicate: null, baseOffset: -1, appendTimeMs: -1,
    };
    this.appends.push(pending);
    const state = this.partitions.get(slot);
    if (state === undefined) {
      pending.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      pending.errorMessage = 'partition is not open on this shard';
      return;
    }
    // Validate every batch before staging any: a request is all or nothing.
    const maxBytes = state.config['max.message.bytes'];
    const bounds: number[] = [];
    let pos = 0;
    let records = 0;
    for (let i = 0; pos < body.byteLength; i++) {
      if (i >= 100_000) return this.fail(pending, ErrorCode.CORRUPT_MESSAGE, 'too many batches in one request');
      const size = batchSizeAt(body, pos);
      if (size < 0 || size > body.byteLength - pos || size < 61) {
        if (size > maxBytes) return this.fail(pending, ErrorCode.MESSAGE_TOO_LARGE, `batch of ${size} bytes over max.message.bytes ${maxBytes}`);
        return this.fail(pending, ErrorCode.CORRUPT_MESSAGE, `batch length ${size} does not fit the ${body.byteLength - pos} bytes left`);
      }
      const batch = body.subarray(pos, pos + size);
      const code = checkBatch(batch, maxBytes);
      if (code !== ErrorCode.NONE) return this.fail(pending, code, describeBatchError(code, size, maxBytes));
      bounds.push(pos, size);
      records += batchView(batch).getInt32(OFF_LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    if (bounds.length === 0) return this.fail(pending, ErrorCode.CORRUPT_MESSAGE, 'empty record set');

    // Idempotent producers: judge the first batch's sequence (clients send one batch per partition).
    const first = body.subarray(bounds[0]!, bounds[0]! + bounds[1]!);
    const fdv = batchView(first);
    const producerId = getInt64AsNumber(first, OFF_PRODUCER_ID);
    if (producerId >= 0) {
      const verdict = state.producers.check(
        producerId,
        fdv.getInt16(OFF_PRODUCER_EPOCH),
        fdv.getInt32(OFF_BASE_SEQUENCE),
        fdv.getInt32(OFF_RECORDS_COUNT),
      );
      if (verdict.kind === 'duplicate') {
        pending.duplicate = verdict;
        return;
      }
      if (verdict.kind === 'error') return this.fail(pending, verdict.errorCode, verdict.message);
    }

    let write = this.writes.get(slot);
    if (write === undefined) {
      write = { state, batches: [], records: 0, needsSync: false };
      this.writes.set(slot, write);
    }
    const logAppendTime = state.config['message.timestamp.type'] === 'LogAppendTime';
    const nowMs = logAppendTime ? this.nowMs() : -1;
    pending.firstBatch = write.batches.length;
    pending.appendTimeMs = nowMs;
    for (let i = 0; i < bounds.length; i += 2) {
      const batch = body.subarray(bounds[i]!, bounds[i]! + bounds[i + 1]!);
      if (logAppendTime) stampLogAppendTime(batch, nowMs);
      write.batches.push(batch);
    }
    write.records += records;
    if (acks === -1) write.needsSync = true;
    if (producerId >= 0) state.producers.record(producerId, fdv.getInt16(OFF_PRODUCER_EPOCH), fdv.getInt32(OFF_BASE_SEQUENCE), records, pending);
  }

  private fail(p: PendingAppend, code: number, message: string): void {
    p.errorCode = code;
    p.errorMessage = message;
  }

  /** Writes everything staged (one writev per segment touched), completes, syncs, completes the rest. */
  private commitStaged(): void {
    if (this.appends.length === 0 && this.reads.length === 0) return;
    const nowMs = this.nowMs();
    for (const write of this.writes.values()) {
      if (write.batches.length === 0) continue;
      try {
        write.state.log.append(write.batches, nowMs);
        if (write.state.unsyncedMessages === 0) write.state.firstUnsyncedAtMs = nowMs;
        write.state.unsyncedMessages += write.records;
        for (const b of write.batches) write.state.unsyncedBytes += b.byteLength;
      } catch (err) {
        this.failWrite(write.state.slot, err);
      }
    }
    // Offsets are known now: each request's first batch carries its patched baseOffset.
    for (const p of this.appends) {
      if (p.errorCode === ErrorCode.NONE && p.firstBatch >= 0) {
        const write = this.writes.get(p.slot)!;
        p.baseOffset = getBaseOffset(write.batches[p.firstBatch]!);
      }
    }
    for (const p of this.appends) if (p.acks !== -1 || p.errorCode !== ErrorCode.NONE) this.completeAppend(p);
    for (const write of this.writes.values()) {
      const st = write.state;
      if (write.needsSync || st.unsyncedMessages >= st.config['flush.messages']) this.requestSync(st);
      // Flush-behind: the syncer writes back what acks 0/1 left in the page cache
      // while the shard goes on, so a roll's inline seal sync finds little to flush.
      else if (this.syncer !== null && st.unsyncedBytes >= FLUSH_BEHIND_BYTES) this.syncAwaiting.add(st);
    }
    for (const p of this.appends) {
      if (p.acks !== -1 || p.errorCode !== ErrorCode.NONE) continue;
      const st = this.partitions.get(p.slot);
      if (this.syncer === null || st === undefined) {
        this.completeAppend(p);
        continue;
      }
      // Durable only once a sync that started after its write has finished; a
      // duplicate's original may still be waiting for its sync, so it waits too.
      this.syncAwaiting.add(st);
      this.syncWaitingAcks.push(p);
    }
    this.appends.length = 0;
    this.writes.clear();
    for (const r of this.reads) this.completeRead(r.reqId, r.slot, r.offset, r.maxBytes);
    this.reads.length = 0;
  }

  private failWrite(slot: number, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.notice({ type: 'log', level: 'error', msg: `shard ${this.options.shardId}: write to slot ${slot} failed: ${message}` });
    for (const p of this.appends) {
      if (p.slot === slot && p.errorCode === ErrorCode.NONE) this.fail(p, ErrorCode.KAFKA_STORAGE_ERROR, message);
    }
    // The failed batches were recorded as accepted: forget the partition's producers,
    // so a retry is written again instead of being answered as a duplicate.
    const st = this.partitions.get(slot);
    if (st !== undefined) st.producers = new ProducerStateTable();
  }

  /** Inline sync now (no syncer), or mark the partition for the next pipelined sync. */
  private requestSync(st: PartitionState): void {
    if (this.syncer === null) this.syncPartition(st);
    else this.syncAwaiting.add(st);
  }

  /**
   * Completes what a finished sync covered, then starts the next sync (covering
   * everything written meanwhile) if anything waits for one. Never blocks.
   */
  private pumpSync(): void {
    const syncer = this.syncer;
    if (syncer === null) return;
    if (this.syncInFlightSeq > 0) {
      const done = Atomics.load(syncer.i32, SYNC_DONE_SEQ_I32);
      if (done !== this.syncInFlightSeq) {
        if (this.nowMs() - this.syncInFlightSinceMs > SYNC_STALL_MS_MAX) this.abandonSyncer(`syncer thread stalled for ${SYNC_STALL_MS_MAX} ms`);
        return;
      }
      const failed = Atomics.load(syncer.i32, SYNC_FAILED_SEQ_I32) === this.syncInFlightSeq;
      for (const st of this.syncInFlightParts) {
        if (failed) this.notice({ type: 'log', level: 'error', msg: `shard ${this.options.shardId}: fdatasync of slot ${st.slot} failed` });
      }
      for (const p of this.syncInFlightAcks) {
        if (failed) this.fail(p, ErrorCode.KAFKA_STORAGE_ERROR, 'fdatasync failed');
        this.completeAppend(p);
      }
      this.syncInFlightSeq = 0;
      this.syncInFlightAcks = [];
      this.syncInFlightParts = [];
    }
    if (this.syncAwaiting.size === 0) return;
    const req: SyncRequest = { seq: ++this.syncSeqIssued, files: [], dirs: [] };
    for (const st of this.syncAwaiting) {
      const t = st.log.takeSyncTargets();
      req.files.push(t.logPath);
      if (t.dir !== null) req.dirs.push(t.dir);
      st.unsyncedMessages = 0;
      st.unsyncedBytes = 0;
      this.syncInFlightParts.push(st);
    }
    this.syncAwaiting.clear();
    this.syncInFlightAcks = this.syncWaitingAcks;
    this.syncWaitingAcks = [];
    this.syncInFlightSeq = req.seq;
    this.syncInFlightSinceMs = this.nowMs();
    try {
      syncer.post(req);
    } catch (err) {
      this.abandonSyncer(`syncer thread did not start (${err instanceof Error ? err.message : String(err)})`);
    }
  }

  /** Blocks until no sync is in flight or waiting (before control requests and shutdown). */
  private settleSyncs(): void {
    const syncer = this.syncer;
    if (syncer === null) return;
    for (let round = 0; this.syncInFlightSeq > 0 || this.syncAwaiting.size > 0; round++) {
      this.pumpSync();
      if (this.syncInFlightSeq > 0) Atomics.wait(syncer.i32, SYNC_DONE_SEQ_I32, this.syncInFlightSeq - 1, 100);
      if (this.syncer === null || round > 1_000_000) break;
    }
  }

  /** The syncer stopped answering: make everything durable inline and carry on without it. */
  private abandonSyncer(why: string): void {
    this.notice({ type: 'log', level: 'error', msg: `shard ${this.options.shardId}: ${why}; syncing inline from now on` });
    this.syncer = null;
    for (const st of [...this.syncInFlightParts, ...this.syncAwaiting]) this.syncPartition(st);
    for (const p of [...this.syncInFlightAcks, ...this.syncWaitingAcks]) this.completeAppend(p);
    this.syncInFlightSeq = 0;
    this.syncInFlightAcks = [];
    this.syncInFlightParts = [];
    this.syncWaitingAcks = [];
    this.syncAwaiting.clear();
  }

  private syncPartition(st: PartitionState): void {
    const t0 = performance.now();
    try {
      st.log.sync();
    } catch (err) {
      this.failWrite(st.slot, err);
      return;
    }
    this.stats.fsyncCount++;
    this.stats.fsyncTotalMs += performance.now() - t0;
    st.unsyncedMessages = 0;
    st.unsyncedBytes = 0;
  }

  private completeAppend(p: PendingAppend): void {
    const st = this.partitions.get(p.slot);
    let baseOffset = p.baseOffset;
    if (p.duplicate !== null && p.duplicate.kind === 'duplicate') baseOffset = p.duplicate.entry.baseOffset;
    this.writeCompletion({
      op: OP_APPEND,
      errorCode: p.errorCode,
      reqId: p.reqId,
      slot: p.slot,
      baseOffset: p.errorCode === ErrorCode.NONE ? baseOffset : -1,
      logStartOffset: st?.log.logStartOffset ?? -1,
      nextOffset: st?.log.nextOffset ?? -1,
      appendTimeMs: p.appendTimeMs,
    }, p.errorMessage.length > 0 ? encodeJson({ message: p.errorMessage }) : null);
  }

  private completeRead(reqId: number, slot: number, offset: number, maxBytes: number): void {
    const st = this.partitions.get(slot);
    const c: Completion = { op: OP_READ, errorCode: ErrorCode.NONE, reqId, slot, baseOffset: offset, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1 };
    if (st === undefined) {
      c.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      this.writeCompletion(c, null);
      return;
    }
    c.logStartOffset = st.log.logStartOffset;
    c.nextOffset = st.log.nextOffset;
    const room = this.completions.maxFrameBytes - COMPLETION_HEADER_BYTES;
    let size: number;
    try {
      size = st.log.sizeOfReadAt(offset, Math.min(maxBytes, room));
    } catch (err) {
      c.errorCode = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
      this.writeCompletion(c, null);
      return;
    }
    if (size > room) size = 0; // a batch larger than a ring frame cannot exist: max.message.bytes is bounded below it
    const pos = this.reserveCompletion(COMPLETION_HEADER_BYTES + size);
    writeCompletionHeader(this.compView, pos, c);
    if (size > 0) {
      // Zero-copy into the completion ring: the file bytes land where the main thread reads them.
      const n = st.log.readInto(offset, Math.min(maxBytes, room), this.completions.bytes, pos + COMPLETION_HEADER_BYTES);
      if (n !== size) invariantFailed(`shard: read ${n} bytes where ${size} were sized`);
    }
  }

  private completeControl(reqId: number, result: ControlResult): void {
    this.writeCompletion({ op: OP_CONTROL, errorCode: result.ok ? 0 : result.errorCode, reqId, slot: 0, baseOffset: -1, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1 }, encodeJson(result));
  }

  private notice(n: Notice): void {
    this.writeCompletion({ op: OP_NOTICE, errorCode: 0, reqId: 0, slot: 0, baseOffset: -1, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1 }, encodeJson(n));
    this.completions.publish();
  }

  private writeCompletion(c: Completion, body: Uint8Array | null): void {
    const bodyBytes = body === null ? 0 : body.byteLength;
    const pos = this.reserveCompletion(COMPLETION_HEADER_BYTES + bodyBytes);
    writeCompletionHeader(this.compView, pos, c);
    if (body !== null) this.completions.bytes.set(body, pos + COMPLETION_HEADER_BYTES);
  }

  /** Reserves completion space, publishing and waiting while the main thread catches up. */
  private reserveCompletion(bytes: number): number {
    for (let attempt = 0; ; attempt++) {
      const pos = this.completions.reserve(bytes);
      if (pos >= 0) return pos;
      // Let the main thread see what is already there, then wait for it to make room.
      this.completions.publish();
      this.completions.waitForSpace(bytes, 1000);
      if (attempt > 0 && attempt % 30 === 0) {
        // Not an error by itself (a paused main thread), but worth knowing about in a hang.
        process.emitWarning(`shard ${this.options.shardId}: completion ring full for ${attempt} s`);
      }
    }
  }

  private control(req: ControlRequest): ControlResult {
    try {
      switch (req.type) {
        case 'open': {
          const existing = this.partitions.get(req.slot);
          if (existing !== undefined) this.closePartition(existing);
          const warn = (msg: string): void => this.notice({ type: 'log', level: 'warn', msg });
          const log = PartitionLog.open(req.dir, toLogConfig(req.config), {
            cleanShutdown: true, // the engine ran recovery (in its piscina pool) before opening
            log: warn,
            nowMs: this.nowMs,
          });
          // From the snapshot of the last clean close plus what was written after it, or the log tail.
          const { table: producers } = loadProducerState(log, warn);
          this.partitions.set(req.slot, {
            slot: req.slot, log, config: req.config, producers, unsyncedMessages: 0, unsyncedBytes: 0, firstUnsyncedAtMs: 0,
            compacting: false, compactedUpTo: -1, compactingUpTo: -1,
          });
          return { ok: true, logStartOffset: log.logStartOffset, nextOffset: log.nextOffset };
        }
        case 'close': {
          const st = this.partitions.get(req.slot);
          if (st !== undefined) {
            this.closePartition(st);
            this.partitions.delete(req.slot);
          }
          return { ok: true };
        }
        case 'delete': {
          const st = this.partitions.get(req.slot);
          if (st !== undefined) {
            st.log.delete();
            this.partitions.delete(req.slot);
          }
          return { ok: true };
        }
        case 'config': {
          const st = this.partitions.get(req.slot);
          if (st === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'not open' };
          st.config = req.config;
          st.log.setConfig(toLogConfig(req.config));
          return { ok: true };
        }
        case 'listOffset': {
          const st = this.partitions.get(req.slot);
          if (st === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'not open' };
          const log = st.log;
          if (req.spec === 'earliest') return { ok: true, offset: log.logStartOffset, timestamp: -1 };
          if (req.spec === 'latest') return { ok: true, offset: log.nextOffset, timestamp: -1 };
          const found = req.spec === 'max-timestamp' ? log.maxTimestamp() : log.offsetForTimestamp(req.spec);
          if (found === null) return { ok: true, offset: -1, timestamp: -1 };
          // The batch found may begin below a start that DeleteRecords put inside it.
          return { ok: true, offset: Math.max(found.offset, log.logStartOffset), timestamp: found.timestamp };
        }
        case 'deleteRecords': {
          const st = this.partitions.get(req.slot);
          if (st === undefined) return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'not open' };
          // Kafka refuses to move the start of a compact-only log (its records are the table).
          if (!st.config['cleanup.policy'].includes('delete')) {
            return { ok: false, errorCode: ErrorCode.POLICY_VIOLATION, message: 'records cannot be deleted from a topic with cleanup.policy=compact' };
          }
          const r = st.log.deleteRecordsBefore(req.offset);
          // The same notice retention sends: the main thread moves its low watermark and unlinks the files.
          if (r.deletedFiles.length > 0) this.notice({ type: 'logStart', slot: st.slot, logStartOffset: r.logStartOffset, deletedFiles: r.deletedFiles });
          return { ok: true, logStartOffset: r.logStartOffset };
        }
        case 'stats': {
          const partitions = [...this.partitions.values()].map((st) => ({
            slot: st.slot, segments: st.log.segmentCount(), sizeBytes: st.log.sizeBytes(), logStartOffset: st.log.logStartOffset, nextOffset: st.log.nextOffset,
          }));
          const syncs = this.syncer === null ? { fsyncCount: 0, fsyncTotalMs: 0 } : { fsyncCount: this.syncer.f64[SYNC_COUNT_F64]!, fsyncTotalMs: this.syncer.f64[SYNC_TOTAL_MS_F64]! };
          return {
            ok: true,
            stats: { ...this.stats, fsyncCount: this.stats.fsyncCount + syncs.fsyncCount, fsyncTotalMs: this.stats.fsyncTotalMs + syncs.fsyncTotalMs, partitions },
          };
        }
        case 'compactSwap': {
          const st = this.partitions.get(req.slot);
          if (st === undefined) {
            // Closed or deleted meanwhile: the copies are nobody's now.
            for (const c of req.cleaned) if (c.path.endsWith('.log.cleaned')) rmSync(c.path, { force: true });
            return { ok: false, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: 'not open' };
          }
          st.compacting = false;
          if (req.error !== undefined) {
            this.notice({ type: 'log', level: 'warn', msg: `compaction of ${st.log.dir} failed: ${req.error}` });
            return { ok: true, swapped: 0 };
          }
          const r = st.log.swapCleaned(req.cleaned);
          st.compactedUpTo = st.compactingUpTo;
          if (r.swapped > 0) {
            this.stats.compactedSegments += r.swapped;
            this.stats.compactionBytesRemoved += r.bytesBefore - r.bytesAfter;
            this.notice({ type: 'log', level: 'info', msg: `compacted ${st.log.dir}: ${r.swapped} segments, ${r.bytesBefore} → ${r.bytesAfter} bytes` });
          }
          return { ok: true, swapped: r.swapped };
        }
        case 'shutdown': {
          for (const st of this.partitions.values()) this.closePartition(st);
          this.partitions.clear();
          this.running = false;
          return { ok: true };
        }
      }
    } catch (err) {
      if (err instanceof KafkaError) return { ok: false, errorCode: err.code, message: err.message };
      return { ok: false, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message: err instanceof Error ? err.message : String(err) };
    }
  }

  /**
   * Closes a partition's log (synced), then snapshots its producer state at the log
   * end for the next open. A failed close throws before the snapshot is written: a
   * snapshot must not describe data that may not be on disk. Deleting a partition
   * needs none of this: its directory, snapshots included, goes whole.
   */
  private closePartition(st: PartitionState): void {
    st.log.close();
    saveProducerState(st.log, st.producers, (msg) => this.notice({ type: 'log', level: 'warn', msg }));
  }

  /** flush.ms and retention: run when idle, so they never delay a drain. */
  private runTimers(): void {
    const now = this.nowMs();
    for (const st of this.partitions.values()) {
      if (st.unsyncedMessages > 0 && now - st.firstUnsyncedAtMs >= st.config['flush.ms'] && !this.syncAwaiting.has(st)) this.requestSync(st);
    }
    if (now >= this.nextRetentionAtMs) {
      this.nextRetentionAtMs = now + this.options.retentionCheckIntervalMs;
      for (const st of this.partitions.values()) {
        // A compact-only topic keeps its data forever (Kafka: retention applies to 'delete' policies).
        if (!st.config['cleanup.policy'].includes('delete')) continue;
        try {
          const r = st.log.applyRetention(now);
          if (r.segmentsDeleted > 0) {
            this.notice({ type: 'logStart', slot: st.slot, logStartOffset: st.log.logStartOffset, deletedFiles: r.deletedFiles });
          }
        } catch (err) {
          this.notice({ type: 'log', level: 'error', msg: `retention on slot ${st.slot} failed: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    }
    if (now >= this.nextCompactionAtMs) {
      this.nextCompactionAtMs = now + this.compactionCheckIntervalMs;
      for (const st of this.partitions.values()) this.maybeCompact(st);
    }
    this.pumpSync();
    this.completions.publish();
  }

  /**
   * Asks the main thread to clean a compacted partition whose sealed segments grew
   * since its last cleaning (a new segment was sealed). One at a time per partition.
   */
  private maybeCompact(st: PartitionState): void {
    if (st.compacting || !st.config['cleanup.policy'].includes('compact')) return;
    try {
      const upTo = st.log.activeBaseOffset();
      if (upTo <= st.compactedUpTo) return;
      const segments = st.log.sealedSegments();
      if (segments.length === 0) return;
      st.compacting = true;
      st.compactingUpTo = upTo;
      this.notice({ type: 'compact', slot: st.slot, dir: st.log.dir, segments, deleteRetentionMs: st.config['delete.retention.ms'] });
    } catch (err) {
      this.notice({ type: 'log', level: 'error', msg: `compaction check on slot ${st.slot} failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private idleWaitMs(): number {
    const now = this.nowMs();
    let waitMs = Math.min(IDLE_WAIT_MS_MAX, Math.max(0, this.nextRetentionAtMs - now), Math.max(0, this.nextCompactionAtMs - now));
    for (const st of this.partitions.values()) {
      if (st.unsyncedMessages > 0) waitMs = Math.min(waitMs, Math.max(0, st.firstUnsyncedAtMs + st.config['flush.ms'] - now));
    }
    return waitMs;
  }
}

function batchView(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** LogAppendTime topics: the broker's clock becomes the batch's timestamp; the CRC covers it, so recompute. */
function stampLogAppendTime(batch: Uint8Array, nowMs: number): void {
  const dv = batchView(batch);
  dv.setInt16(OFF_ATTRIBUTES, dv.getInt16(OFF_ATTRIBUTES) | ATTR_TIMESTAMP_TYPE_LOG_APPEND);
  dv.setBigInt64(OFF_MAX_TIMESTAMP, BigInt(nowMs));
  dv.setUint32(OFF_CRC, computeBatchCrc(batch));
}

function describeBatchError(code: number, size: number, maxBytes: number): string {
  switch (code) {
    case ErrorCode.MESSAGE_TOO_LARGE: return `batch of ${size} bytes is over max.message.bytes ${maxBytes}`;
    case ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT: return 'record batch magic is not 2';
    default: return 'record batch failed its length or CRC-32C check';
  }
}
