// A shard: the only writer of its partitions' files. Runs inside a shard worker thread
// (workers/shard-worker.ts), or in-process in tests (test/shard/shard.test.ts).
// Owns: the drain → validate → assign offsets → write → complete loop (group commit),
// idempotent-producer verdicts on append, when a partition needs a sync (acks=-1,
// flush.messages, flush.ms), retention timing, and when to compact its partitions
// (the cleaning itself runs in the maintenance pool; the shard only swaps the cleaned
// segments in). How and when syncs run, and the acks=-1 completions waiting on them,
// belong to sync-pipeline.ts; what each control request does to control-handlers.ts.
// Must not share a partition with another shard, and must not block on anything but
// its own rings, its own files and its syncer.

// Registers the native CRC-32C that checkBatch uses (wire/codecs.ts defaults to plain JS).
import { closeSync, openSync } from 'node:fs';
import '../compression/node-codecs.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
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
  ABORTED_TXN_BYTES,
  COMPLETION_HEADER_BYTES,
  FLAG_FROM_COORDINATOR,
  FLAG_READ_COMMITTED,
  OP_APPEND,
  OP_CONTROL,
  OP_NOTICE,
  OP_READ,
  OP_READ_RANGE,
  READ_FLAG_FILE_RANGE,
  READ_RANGE_BODY_BYTES,
  READ_RANGE_MIN_BYTES,
  READ_RANGE_OFF_FD,
  READ_RANGE_OFF_POSITION,
  READ_RANGE_OFF_SIZE,
  READ_RANGE_OFF_SPANNED,
  REQ_HEADER_BYTES,
  BODY_SKIP_MAX_BYTES,
  decodeJson,
  encodeJson,
  readRequestHeader,
  writeCompletionHeader,
} from './shard-protocol.js';
import type { Completion, ControlRequest, ControlResult, Notice } from './shard-protocol.js';
import type { SpscRing } from '../ring/spsc-ring.js';
import { ProducerStateTable, saveProducerState } from './producer-state.js';
import { CONTROL_TYPE_ABORT, CONTROL_TYPE_NONE, controlType } from '../wire/control-batch.js';
import type { AbortedTxn } from '../storage/txn-index.js';
import type { SequenceVerdict } from './producer-state.js';
import { InvariantError, invariantFailed } from '../wire/assert.js';
import type { PartitionState } from './partition-state.js';
import { SyncFailedError } from '../storage/partition-log.js';
import { createControlHandlers, runControl } from './control-handlers.js';
import type { ControlHandlers, ShardCounters, ShutdownFileSystem } from './control-handlers.js';
import { FileSystemSync } from '../storage/file-system-sync.js';
import { FLUSH_BEHIND_BYTES_DEFAULT, SYNC_STALL_MS_MAX_DEFAULT, SyncPipeline } from './sync-pipeline.js';
import type { Syncer } from './sync-control.js';

/** Frames taken per drain at most, so completions and reads are never starved. */
const DRAIN_FRAMES_MAX = 4096;
/**
 * Longest idle sleep. idleWaitMs() already sleeps only until the next flush.ms, retention
 * or compaction deadline, and every request wakes the loop; this bounds a lost wake-up
 * or a clock step. At 100 ms it was 10 wake-ups a second of an idle broker.
 */
const IDLE_WAIT_MS_MAX = 1_000;
/** Aborted transactions one compaction notice names at most (a bound on the notice's size). */
const COMPACT_ABORTED_MAX = 100_000;
/** Kafka's log.cleaner.backoff.ms. */
const COMPACTION_CHECK_INTERVAL_MS_DEFAULT = 15_000;

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
  /** acks=-1 and still error-free once written: answered only when a sync settles it. */
  waitsForSync: boolean;
}

interface PendingPartitionWrite {
  state: PartitionState;
  batches: Uint8Array[];
  records: number;
  needsSync: boolean;
  /** Set once the batches are in the log (offsets assigned). */
  written: boolean;
  /** The write rolled a segment. */
  rolled: boolean;
}

export interface ShardOptions {
  shardId: number;
  retentionCheckIntervalMs: number;
  /** How often compacted partitions are checked for new sealed segments; default 15 000 (Kafka's log.cleaner.backoff.ms). */
  compactionCheckIntervalMs?: number;
  nowMs?: () => number;
  /** Where pipelined syncs go (the syncer thread; a fake in tests); absent = every sync inline. */
  syncer?: Syncer;
  /** Unsynced bytes past which a partition is handed to the syncer (flush-behind); default 32 MiB. */
  flushBehindBytes?: number;
  /** A sync in flight longer than this makes the shard give up on its syncer; default 30 000. */
  syncStallMsMax?: number;
  /**
   * Duplicates a descriptor (the native addon's dupFd: new fd or -errno). Given, reads
   * flagged READ_FLAG_FILE_RANGE are answered with file ranges; absent, always bytes.
   */
  dupFd?: (fd: number) => number;
  /**
   * syncfs(2) of the file system holding fd (the native addon's): 0 or -errno. Given, a
   * shutdown writes its partitions' files out with one syncfs instead of file by file.
   */
  syncFs?: (fd: number) => number;
  /**
   * The data directory, held (storage/file-system-sync.ts) from the construction on, so
   * that a shutdown's syncfs can stand in for the per-file syncs; with `syncFs` only.
   */
  dataDir?: string;
  /** The kernel reports write errors to syncfs (platform/native.ts, syncFsReportsErrors); default false. */
  syncFsReportsErrors?: boolean;
}

/** flush.ms at its default (topic-config's LONG_MAX): never reached, so such partitions need no flush.ms check. */
const FLUSH_MS_NEVER = Number.MAX_SAFE_INTEGER;

export class Shard {
  private readonly partitions = new Map<number, PartitionState>();
  /**
   * The partitions with a finite flush.ms: the only ones the idle loop checks for it.
   * Scanning every partition on each idle step cost O(partitions) per wake-up (1.7% of
   * the broker's CPU with 1,000 partitions under produce). Partitions and their configs
   * change only through control requests, after each of which this is rebuilt.
   */
  private flushTimed: PartitionState[] = [];
  private readonly reqView: DataView;
  private readonly compView: DataView;
  private readonly nowMs: () => number;
  private running = true;
  private nextRetentionAtMs: number;
  private nextCompactionAtMs: number;
  private readonly compactionCheckIntervalMs: number;
  private readonly counters: ShardCounters = { drains: 0, appendFrames: 0, compactedSegments: 0, compactionBytesRemoved: 0 };
  private readonly sync: SyncPipeline<PartitionState, PendingAppend>;
  private readonly handlers: ControlHandlers;

  // Reused across drains: allocated once (TIGER_STYLE), cleared per drain.
  private readonly appends: PendingAppend[] = [];
  private readonly writes = new Map<number, PendingPartitionWrite>();
  private readonly reads: Array<{ reqId: number; slot: number; offset: number; maxBytes: number; flags: number }> = [];
  private readonly rangeBody = new Uint8Array(READ_RANGE_BODY_BYTES);
  private readonly rangeView = new DataView(this.rangeBody.buffer);

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
    this.sync = new SyncPipeline<PartitionState, PendingAppend>(options.syncer ?? null, {
      complete: (p, failure) => {
        if (failure !== null) this.fail(p, ErrorCode.KAFKA_STORAGE_ERROR, failure);
        this.completeAppend(p);
      },
      syncFailed: (st, err) => this.takeOffline(st, err),
      logError: (msg) => this.notice({ type: 'log', level: 'error', msg: `shard ${options.shardId}: ${msg}` }),
      nowMs: this.nowMs,
    }, {
      flushBehindBytes: options.flushBehindBytes ?? FLUSH_BEHIND_BYTES_DEFAULT,
      stallMsMax: options.syncStallMsMax ?? SYNC_STALL_MS_MAX_DEFAULT,
    });
    // Held before this shard writes anything (see file-system-sync.ts for why then).
    const held = options.syncFs !== undefined && options.dataDir !== undefined ? FileSystemSync.hold(options.dataDir, options.syncFs, options.syncFsReportsErrors === true) : null;
    const fileSystem = options.syncFs !== undefined ? shutdownFileSystem(options.syncFs, held) : null;
    this.handlers = createControlHandlers({
      partitions: this.partitions,
      counters: this.counters,
      nowMs: this.nowMs,
      fsyncCounters: () => this.sync.counters(),
      notice: (n) => this.notice(n),
      ...(fileSystem !== null ? { fileSystem } : {}),
      stop: () => {
        this.running = false;
        held?.release();
      },
    });
  }

  /** False once a shutdown control request was answered. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Runs until a shutdown control request. Blocks the calling (worker) thread. */
  run(): void {
    while (this.running) {
      if (this.step() > 0 || !this.running) continue;
      this.requests.waitForData(this.sync.waitMs(this.idleWaitMs()));
      this.sync.pump();
    }
  }

  /**
   * One turn of the loop without its sleep: drains what is pending, or, when nothing
   * is, runs the idle work (flush.ms, retention, compaction checks, and settling a
   * finished sync). Returns the frames drained. run() is this plus the wait for
   * requests; tests call it directly. It still blocks where a drain blocks: on a full
   * completion ring, and on syncs settling before a control request.
   */
  step(): number {
    const frames = this.drainOnce();
    if (frames === 0) this.runTimers();
    return frames;
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
        this.counters.appendFrames++;
        if (header.skip > BODY_SKIP_MAX_BYTES || REQ_HEADER_BYTES + header.skip > len) invariantFailed(`shard ${this.options.shardId}: append skip ${header.skip} in a ${len}-byte frame`);
        this.stageAppend(header.reqId, header.slot, header.acks, header.flags, this.requests.bytes.subarray(off + REQ_HEADER_BYTES + header.skip, off + len));
      } else if (header.op === OP_READ) {
        this.reads.push({
          reqId: header.reqId,
          slot: header.slot,
          offset: this.reqView.getFloat64(off + REQ_HEADER_BYTES, true),
          maxBytes: this.reqView.getUint32(off + REQ_HEADER_BYTES + 8, true),
          flags: header.flags,
        });
      } else if (header.op === OP_CONTROL) {
        // Control requests are ordered against appends: commit (and make durable) what came before first.
        this.commitStaged();
        this.sync.settle();
        const req = decodeJson<ControlRequest>(this.requests.bytes.subarray(off + REQ_HEADER_BYTES, off + len));
        this.completeControl(header.reqId, runControl(this.handlers, req));
        this.refreshFlushTimed();
      } else {
        invariantFailed(`shard ${this.options.shardId}: unknown op ${header.op} in request ring`);
      }
    }
    if (frames > 0) {
      this.counters.drains++;
      this.commitStaged();
      // Batches were views into the request ring: release only after they are written.
      this.requests.release();
      this.sync.pump();
      this.completions.publish();
    }
    return frames;
  }

  private stageAppend(reqId: number, slot: number, acks: number, flags: number, body: Uint8Array): void {
    const pending: PendingAppend = {
      reqId, slot, acks, errorCode: ErrorCode.NONE, errorMessage: '', firstBatch: -1, duplicate: null, baseOffset: -1, appendTimeMs: -1, waitsForSync: false,
    };
    this.appends.push(pending);
    const state = this.partitions.get(slot);
    if (state === undefined) {
      pending.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      pending.errorMessage = 'partition is not open on this shard';
      return;
    }
    if (state.offline !== null) return this.fail(pending, ErrorCode.KAFKA_STORAGE_ERROR, state.offline);
    // Validate every batch before staging any: a request is all or nothing.
    const maxBytes = state.config['max.message.bytes'];
    const bounds: number[] = [];
    const fromCoordinator = (flags & FLAG_FROM_COORDINATOR) !== 0;
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
      // Transaction markers come from the coordinator only (Kafka: INVALID_RECORD for a client's control batch).
      const control = (batchView(batch).getInt16(OFF_ATTRIBUTES) & ATTR_CONTROL) !== 0;
      if (control !== fromCoordinator) {
        return this.fail(pending, control ? ErrorCode.INVALID_RECORD : ErrorCode.INVALID_REQUEST, control ? 'clients may not write control batches' : 'a coordinator frame holds markers only');
      }
      bounds.push(pos, size);
      records += batchView(batch).getInt32(OFF_LAST_OFFSET_DELTA) + 1;
      pos += size;
    }
    if (bounds.length === 0) return this.fail(pending, ErrorCode.CORRUPT_MESSAGE, 'empty record set');

    // Idempotent producers: judge the first batch's sequence (clients send one batch per partition).
    const first = body.subarray(bounds[0]!, bounds[0]! + bounds[1]!);
    const fdv = batchView(first);
    const producerId = getInt64AsNumber(first, OFF_PRODUCER_ID);
    const transactional = (fdv.getInt16(OFF_ATTRIBUTES) & ATTR_TRANSACTIONAL) !== 0;
    if (fromCoordinator) return this.stageMarker(pending, state, first, producerId, fdv.getInt16(OFF_PRODUCER_EPOCH), bounds.length / 2);
    if (transactional && producerId < 0) return this.fail(pending, ErrorCode.INVALID_RECORD, 'a transactional batch needs a producer id');
    // A producer id without a sequence: a broker-side write for the producer (transactional
    // offset commits); its epoch still fences, its sequences are not tracked.
    const sequenced = producerId >= 0 && fdv.getInt32(OFF_BASE_SEQUENCE) >= 0;
    if (producerId >= 0 && !sequenced) {
      const code = state.producers.checkMarker(producerId, fdv.getInt16(OFF_PRODUCER_EPOCH));
      if (code !== ErrorCode.NONE) return this.fail(pending, code, `producer ${producerId} epoch ${fdv.getInt16(OFF_PRODUCER_EPOCH)} is fenced`);
    }
    if (sequenced) {
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
      write = { state, batches: [], records: 0, needsSync: false, written: false, rolled: false };
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
    if (sequenced) state.producers.record(producerId, fdv.getInt16(OFF_PRODUCER_EPOCH), fdv.getInt32(OFF_BASE_SEQUENCE), records, pending);
    if (transactional) {
      // The first batch of a transaction here holds the last stable offset back until its marker.
      state.txn.begin(producerId, pending);
      state.txnSeen = true;
    }
  }

  /** A COMMIT/ABORT marker from the transaction coordinator: ends the producer's open transaction here. */
  private stageMarker(pending: PendingAppend, state: PartitionState, batch: Uint8Array, producerId: number, epoch: number, batches: number): void {
    if (batches !== 1) return this.fail(pending, ErrorCode.INVALID_REQUEST, 'a marker frame holds one batch');
    const type = controlType(batch);
    if (type === CONTROL_TYPE_NONE || producerId < 0) return this.fail(pending, ErrorCode.CORRUPT_MESSAGE, 'not a transaction marker');
    const code = state.producers.checkMarker(producerId, epoch);
    if (code !== ErrorCode.NONE) return this.fail(pending, code, `marker of producer ${producerId} at epoch ${epoch} is older than its epoch`);
    let write = this.writes.get(state.slot);
    if (write === undefined) {
      write = { state, batches: [], records: 0, needsSync: false, written: false, rolled: false };
      this.writes.set(state.slot, write);
    }
    pending.firstBatch = write.batches.length;
    write.batches.push(batch);
    write.records += 1;
    if (pending.acks === -1) write.needsSync = true;
    state.producers.recordMarker(producerId, epoch);
    state.txn.end(producerId, pending, type === CONTROL_TYPE_ABORT);
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
        const rollsBefore = write.state.log.rolls;
        write.state.log.append(write.batches, nowMs);
        write.rolled = write.state.log.rolls !== rollsBefore;
        write.written = true;
        if (write.state.unsyncedMessages === 0) write.state.firstUnsyncedAtMs = nowMs;
        write.state.unsyncedMessages += write.records;
        for (const b of write.batches) write.state.unsyncedBytes += b.byteLength;
      } catch (err) {
        // A bug is not a disk error: stop the shard rather than write on (docs/architecture.md, "Errors").
        if (err instanceof InvariantError) throw err;
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
    for (const write of this.writes.values()) {
      if (!write.written) continue;
      try {
        this.afterWrite(write.state, write.rolled);
      } catch (err) {
        if (err instanceof InvariantError) throw err;
        this.notice({ type: 'log', level: 'error', msg: `shard ${this.options.shardId}: transaction index of slot ${write.state.slot}: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    for (const p of this.appends) {
      p.waitsForSync = p.acks === -1 && p.errorCode === ErrorCode.NONE;
      if (!p.waitsForSync) this.completeAppend(p);
    }
    for (const write of this.writes.values()) {
      const st = write.state;
      if (write.needsSync || st.unsyncedMessages >= st.config['flush.messages']) this.sync.request(st);
      else this.sync.wrote(st);
    }
    for (const p of this.appends) {
      if (!p.waitsForSync) continue;
      const st = this.partitions.get(p.slot);
      // An inline sync that failed just above has failed this request (failWrite): answer it now, as failed.
      if (st === undefined || p.errorCode !== ErrorCode.NONE) this.completeAppend(p);
      else this.sync.awaitDurable(st, p);
    }
    this.appends.length = 0;
    this.writes.clear();
    for (const r of this.reads) this.completeRead(r.reqId, r.slot, r.offset, r.maxBytes, r.flags);
    this.reads.length = 0;
  }

  /**
   * After a partition's batches were written (offsets known): its aborted
   * transactions go into the log's transaction index, and after a segment roll a
   * partition with transactions snapshots its producer state, so a restart after a
   * crash replays at most the segments since (src/shard/producer-state.ts).
   */
  private afterWrite(st: PartitionState, rolled: boolean): void {
    const aborted: AbortedTxn[] = st.txn.takeAborted();
    for (const e of aborted) st.log.addAbortedTxn(e);
    if (rolled && st.txnSeen) saveProducerState(st.log, st.producers, (msg) => this.notice({ type: 'log', level: 'warn', msg }), st.txn, true);
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
    if (st === undefined) return;
    st.producers = new ProducerStateTable();
    st.txn.rollback();
    // A roll's seal fdatasync that failed is a failed sync like any other (fsyncgate).
    if (err instanceof SyncFailedError) this.takeOffline(st, err);
  }

  /**
   * A sync of `st` failed. The kernel may have dropped the unwritten pages and marked
   * them clean, so a later fdatasync could succeed without them (PostgreSQL's
   * "fsyncgate"): nothing written here since the last good sync may ever be
   * acknowledged, and records after a hole would be lost at the next recovery anyway.
   * The partition refuses appends and reads until the broker restarts, and the
   * shutdown then reports itself unclean, so recovery checks the files.
   */
  private takeOffline(st: PartitionState, err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    for (const p of this.appends) {
      if (p.slot === st.slot && p.errorCode === ErrorCode.NONE) this.fail(p, ErrorCode.KAFKA_STORAGE_ERROR, why);
    }
    st.producers = new ProducerStateTable();
    if (st.offline !== null) return;
    st.offline = `partition offline after a failed fdatasync (${why}); it is served again after a broker restart recovers it`;
    this.notice({ type: 'log', level: 'error', msg: `shard ${this.options.shardId}: slot ${st.slot} (${st.log.dir}) is offline: fdatasync failed: ${why}` });
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
      lastStableOffset: st === undefined ? -1 : st.txn.lastStableOffset(st.log.nextOffset),
      count: 0,
    }, p.errorMessage.length > 0 ? encodeJson({ message: p.errorMessage }) : null);
  }

  private completeRead(reqId: number, slot: number, offset: number, maxBytes: number, flags: number): void {
    const st = this.partitions.get(slot);
    const c: Completion = { op: OP_READ, errorCode: ErrorCode.NONE, reqId, slot, baseOffset: offset, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1, lastStableOffset: -1, count: 0 };
    if (st === undefined) {
      c.errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      this.writeCompletion(c, null);
      return;
    }
    c.logStartOffset = st.log.logStartOffset;
    c.nextOffset = st.log.nextOffset;
    if (st.offline !== null) {
      c.errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      this.writeCompletion(c, null);
      return;
    }
    c.lastStableOffset = st.txn.lastStableOffset(st.log.nextOffset);
    // read_committed: nothing at or past the last stable offset.
    const committed = (flags & FLAG_READ_COMMITTED) !== 0;
    const maxOffset = committed ? c.lastStableOffset : Number.MAX_SAFE_INTEGER;
    let room = this.completions.maxFrameBytes - COMPLETION_HEADER_BYTES;
    let size: number;
    let aborted: AbortedTxn[] = NO_ABORTED;
    try {
      // Located once: the plan holds until the next call on this log, and nothing
      // below touches its segments before readPlanned (the aborted list comes from
      // the transaction index files).
      size = st.log.planRead(offset, Math.min(maxBytes, room), maxOffset);
      if (committed && size > 0) {
        aborted = st.log.collectAbortedTxns(offset, st.log.lastReadEndOffset);
        if (aborted.length > 0) {
          // The list travels after the records: make room for it (bounded by the frame).
          // A shorter read keeps the list, a superset of what it needs.
          room -= Math.min(aborted.length * ABORTED_TXN_BYTES, room);
          if (size > room) size = st.log.planRead(offset, Math.min(maxBytes, room), maxOffset);
        }
      }
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      c.errorCode = err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR;
      this.writeCompletion(c, null);
      return;
    }
    if (size > room) size = 0; // a batch larger than a ring frame cannot exist: max.message.bytes is bounded below it
    if (size === 0) aborted = NO_ABORTED;
    c.count = aborted.length;
    if ((flags & READ_FLAG_FILE_RANGE) !== 0 && size >= READ_RANGE_MIN_BYTES && this.options.dupFd !== undefined) {
      // Zero-copy: the main thread sends the bytes from the file itself, through its
      // own descriptor (this shard may close or replace its own at any time). The
      // bytes below the high watermark are never rewritten. The planned read already
      // stops at the last stable offset for read_committed; its aborted list follows.
      const fd = this.options.dupFd(st.log.plannedFd());
      if (fd >= 0) {
        const body = aborted.length === 0 ? this.rangeBody : new Uint8Array(READ_RANGE_BODY_BYTES + aborted.length * ABORTED_TXN_BYTES);
        const view = aborted.length === 0 ? this.rangeView : new DataView(body.buffer);
        view.setFloat64(READ_RANGE_OFF_FD, fd, true);
        view.setFloat64(READ_RANGE_OFF_POSITION, st.log.plannedPosition(), true);
        view.setFloat64(READ_RANGE_OFF_SIZE, size, true);
        view.setFloat64(READ_RANGE_OFF_SPANNED, st.log.plannedOffsetsSpanned(), true);
        writeAborted(view, READ_RANGE_BODY_BYTES, aborted);
        this.writeCompletion({ ...c, op: OP_READ_RANGE }, body);
        return;
      }
      // Out of descriptors, say: the bytes below work everywhere.
    }
    const pos = this.reserveCompletion(COMPLETION_HEADER_BYTES + size + aborted.length * ABORTED_TXN_BYTES);
    writeCompletionHeader(this.compView, pos, c);
    if (size > 0) {
      // Straight into the completion ring: the file bytes land where the main thread reads them.
      try {
        st.log.readPlanned(this.completions.bytes, pos + COMPLETION_HEADER_BYTES);
      } catch (err) {
        // The frame is reserved at its planned size: fill it as an error instead.
        writeCompletionHeader(this.compView, pos, { ...c, errorCode: err instanceof KafkaError ? err.code : ErrorCode.KAFKA_STORAGE_ERROR });
      }
    }
    writeAborted(this.compView, pos + COMPLETION_HEADER_BYTES + size, aborted);
  }

  private completeControl(reqId: number, result: ControlResult): void {
    this.writeCompletion({ op: OP_CONTROL, errorCode: result.ok ? 0 : result.errorCode, reqId, slot: 0, baseOffset: -1, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1, lastStableOffset: -1, count: 0 }, encodeJson(result));
  }

  private notice(n: Notice): void {
    this.writeCompletion({ op: OP_NOTICE, errorCode: 0, reqId: 0, slot: 0, baseOffset: -1, logStartOffset: -1, nextOffset: -1, appendTimeMs: -1, lastStableOffset: -1, count: 0 }, encodeJson(n));
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

  /** flush.ms and retention: run when idle, so they never delay a drain. */
  private runTimers(): void {
    const now = this.nowMs();
    for (const st of this.flushTimed) {
      if (st.unsyncedMessages > 0 && now - st.firstUnsyncedAtMs >= st.config['flush.ms'] && !this.sync.isAwaiting(st)) this.sync.request(st);
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
          if (err instanceof InvariantError) throw err;
          this.notice({ type: 'log', level: 'error', msg: `retention on slot ${st.slot} failed: ${err instanceof Error ? err.message : String(err)}` });
        }
      }
    }
    if (now >= this.nextCompactionAtMs) {
      this.nextCompactionAtMs = now + this.compactionCheckIntervalMs;
      for (const st of this.partitions.values()) this.maybeCompact(st);
    }
    this.sync.pump();
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
      // Only segments wholly below the last stable offset: every transaction in them has ended.
      const lso = st.txn.lastStableOffset(st.log.nextOffset);
      const sealed = st.log.sealedSegments();
      let n = 0;
      while (n < sealed.length && (n + 1 < sealed.length ? sealed[n + 1]!.baseOffset : upTo) <= lso) n++;
      const segments = sealed.slice(0, n);
      if (segments.length === 0) return;
      const cleanEnd = n < sealed.length ? sealed[n]!.baseOffset : upTo;
      const aborted = st.log.abortedTxns()
        .filter((e) => e.lastOffset >= segments[0]!.baseOffset && e.firstOffset < cleanEnd)
        .map((e) => ({ producerId: e.producerId, firstOffset: e.firstOffset, lastOffset: e.lastOffset }));
      if (aborted.length > COMPACT_ABORTED_MAX) {
        // Cleaning without all of them could keep an aborted record over a committed one: not at all, then.
        this.notice({ type: 'log', level: 'warn', msg: `compaction of ${st.log.dir} skipped: ${aborted.length} aborted transactions (max ${COMPACT_ABORTED_MAX})` });
        st.compactedUpTo = upTo;
        return;
      }
      st.compacting = true;
      st.compactingUpTo = cleanEnd;
      this.notice({ type: 'compact', slot: st.slot, dir: st.log.dir, segments, deleteRetentionMs: st.config['delete.retention.ms'], aborted });
    } catch (err) {
      if (err instanceof InvariantError) throw err;
      this.notice({ type: 'log', level: 'error', msg: `compaction check on slot ${st.slot} failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  private idleWaitMs(): number {
    const now = this.nowMs();
    let waitMs = Math.min(IDLE_WAIT_MS_MAX, Math.max(0, this.nextRetentionAtMs - now), Math.max(0, this.nextCompactionAtMs - now));
    for (const st of this.flushTimed) {
      if (st.unsyncedMessages > 0) waitMs = Math.min(waitMs, Math.max(0, st.firstUnsyncedAtMs + st.config['flush.ms'] - now));
    }
    return waitMs;
  }

  private refreshFlushTimed(): void {
    this.flushTimed = [];
    for (const st of this.partitions.values()) if (st.config['flush.ms'] < FLUSH_MS_NEVER) this.flushTimed.push(st);
  }
}

const NO_ABORTED: AbortedTxn[] = [];

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

/** A read_committed read's aborted transactions, producerId f64 | firstOffset f64 each, from `at`. */
function writeAborted(view: DataView, at: number, aborted: readonly AbortedTxn[]): void {
  let p = at;
  for (const a of aborted) {
    view.setFloat64(p, a.producerId, true);
    view.setFloat64(p + 8, a.firstOffset, true);
    p += ABORTED_TXN_BYTES;
  }
}

/**
 * A shutdown's file-system syncs: through the descriptor held since the start where it
 * covers the directory (trusted when it says so), otherwise a syncfs through a
 * descriptor opened now, which is a flush only. Never throws.
 */
function shutdownFileSystem(syncFs: (fd: number) => number, held: FileSystemSync | null): ShutdownFileSystem {
  return {
    sync: (dir) => (held !== null && held.covers(dir) ? held.syncAll() : flushOnly(syncFs, dir)),
    covers: (dir) => held !== null && held.covers(dir),
  };
}

/** syncfs through a descriptor opened now: it may miss an earlier write error, so it is never trusted (false). */
function flushOnly(syncFs: (fd: number) => number, dir: string): false {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    syncFs(fd);
  } catch {
    // No flush: the per-file syncs do all the work, as without the addon.
  }
  try {
    if (fd >= 0) closeSync(fd);
  } catch {
    // A directory descriptor only read from: nothing to lose.
  }
  return false;
}
