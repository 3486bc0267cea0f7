// The main thread's handle on one shard worker: its two rings, its Worker, the
// requests in flight and their promises. Owns: framing requests into the request
// ring (waiting for space when full: backpressure, never an unbounded buffer) and
// dispatching completions. Must not touch files (the shard does) nor know topics
// (the engine maps topics to slots).

import { Worker } from 'node:worker_threads';
import { RING_PAYLOAD_ALIGN_OFFSET, RING_WAKE_DATA_DOORBELL, RING_WAKE_DATA_FUTEX, RING_WAKE_SPACE_FUTEX, SpscRing, createRingBuffer } from '../ring/spsc-ring.js';
import { doorbellCalls, ringWakeCalls } from '../platform/native.js';
import { ErrorCode } from '../wire/errors.js';
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
  READ_BODY_BYTES,
  READ_FLAG_FILE_RANGE,
  READ_RANGE_BODY_BYTES,
  READ_RANGE_OFF_FD,
  READ_RANGE_OFF_POSITION,
  READ_RANGE_OFF_SIZE,
  READ_RANGE_OFF_SPANNED,
  READ_OFF_MAX_BYTES,
  READ_OFF_OFFSET,
  REQ_HEADER_BYTES,
  BODY_SKIP_MAX_BYTES,
  decodeJson,
  encodeJson,
  readCompletionHeader,
  writeRequestHeader,
} from '../shard/shard-protocol.js';
import type { ClosedPartition, Completion, ControlRequest, ControlResult, Notice, ShardWorkerData } from '../shard/shard-protocol.js';
import { assert, invariantFailed } from '../wire/assert.js';
import { bufferPool } from './buffer-pool.js';
import { FileRange } from './file-range.js';
import { PENDING_SLOTS_MAX, PendingTable } from './pending-table.js';
import { adoptEarlyShardWorker } from './early-shard.js';

export interface ShardReady {
  cpu: number;
  pinned: boolean;
  pinReason: string;
}

export interface AppendCompletion {
  errorCode: number;
  baseOffset: number;
  logStartOffset: number;
  nextOffset: number;
  lastStableOffset: number;
  appendTimeMs: number;
  message: string;
}

export interface ReadCompletion {
  errorCode: number;
  logStartOffset: number;
  nextOffset: number;
  lastStableOffset: number;
  records: Uint8Array;
  /** read_committed reads: the aborted transactions overlapping the records; else null. */
  aborted: Array<{ producerId: number; firstOffset: number }> | null;
}

type Pending =
  | { op: typeof OP_APPEND; resolve: (c: AppendCompletion) => void; batches: Uint8Array }
  | { op: typeof OP_READ; resolve: (c: ReadCompletion) => void }
  | { op: typeof OP_CONTROL; resolve: (c: ControlResult) => void };

export interface ShardClientOptions {
  shardId: number;
  workerUrl: URL;
  requestRingBytes: number;
  completionRingBytes: number;
  cpu: number;
  retentionCheckIntervalMs: number;
  compactionCheckIntervalMs: number;
  /** The data directory (log.dirs), for the shard worker (ShardWorkerData). */
  dataDir: string;
  /**
   * An append succeeded (before its caller hears): `batches` as sent (valid only
   * during the call), the first of them at `baseOffset`.
   */
  onAppend: (slot: number, logStartOffset: number, nextOffset: number, lastStableOffset: number, baseOffset: number, batches: Uint8Array) => void;
  onNotice: (n: Notice) => void;
}

/** In-flight requests per shard at most; a caller past it waits for room like a full ring. */
const IN_FLIGHT_MAX = PENDING_SLOTS_MAX;
// Waits on the rings wake on Atomics.notify; these timeouts only bound how long a
// wake-up lost to a race could stall a side, and how often an idle loop re-checks.
/** Ring full: re-check for space at least this often. */
const SPACE_RECHECK_MS = 50;
/**
 * The completion loop's re-check: it waits on the ring without a timeout (a timed
 * Atomics.waitAsync makes V8 post and cancel a delayed task per wait: an eventfd write,
 * a libuv timer and the futex-emulation lock, each time), and this one interval wakes
 * it to bound a wake-up lost to a race. The worker's exit wakes the loop itself. At
 * 200 ms it was 5 of an idle broker's ~34 wake-ups a second. With the doorbell it is
 * also what keeps the event loop alive (the doorbell's handle does not).
 */
const COMPLETION_RECHECK_MS = 1_000;
/**
 * Drains per doorbell call at most before the callback rings its own doorbell and
 * returns: a shard that keeps publishing cannot hold the event loop (sockets, timers)
 * for longer than this many ring-fulls.
 */
const DOORBELL_DRAINS_MAX = 4;
/**
 * The words a worker sleeps on with a blocking wait (the shard on the request ring's
 * head, on the completion ring's tail when full) use the addon's futex pair when it
 * loads: one FUTEX_WAKE syscall per wake, where V8's Atomics.notify wakes the sleeper
 * into its held futex-emulation mutex, a second sleep and wake nearly every time. The
 * main thread's own waits stay on Atomics.waitAsync. SAMSA_FUTEX=0 turns it off
 * (before/after runs). Decided once per process; recorded in each ring.
 */
const ringNative = process.env.SAMSA_FUTEX === '0' ? null : ringWakeCalls();
/**
 * The main thread hears of completions through a doorbell (a libuv async handle in the
 * addon that the shard rings) when the addon loads: each Atomics.waitAsync of the
 * completion loop left ~120 B in V8's old space, enough at 10,000 requests a second
 * for a mark-compact (a ~10 ms stall) every few seconds. SAMSA_DOORBELL=0 goes back to
 * Atomics.waitAsync (before/after runs).
 */
const doorbells = ringNative !== null && process.env.SAMSA_DOORBELL !== '0' ? doorbellCalls() : null;

export class ShardClient {
  readonly shardId: number;
  private readonly worker: Worker;
  private readonly requests: SpscRing;
  private readonly completions: SpscRing;
  private readonly reqView: DataView;
  private readonly compView: DataView;
  private readonly pending = new PendingTable<Pending>(IN_FLIGHT_MAX);
  private closed = false;
  private exited = false;
  private readonly spaceWaiters: Array<{ bytes: number; run: () => boolean }> = [];
  /** > 0: the completion ring wakes this thread through this doorbell (open until the worker exits). */
  private readonly doorbellId: number;
  private recheck: ReturnType<typeof setInterval> | null = null;
  private pumping = false;
  readonly ready: Promise<ShardReady>;
  private readonly exitPromise: Promise<number>;

  constructor(private readonly options: ShardClientOptions) {
    this.shardId = options.shardId;
    // A doorbell that fails to open (-errno) leaves this shard on Atomics.waitAsync.
    const doorbellId = doorbells !== null ? doorbells.open(this.onDoorbell) : 0;
    this.doorbellId = doorbellId > 0 ? doorbellId : 0;
    const reqSab = createRingBuffer(options.requestRingBytes, ringNative !== null ? RING_WAKE_DATA_FUTEX : 0);
    const compWake = (ringNative !== null ? RING_WAKE_SPACE_FUTEX : 0) | (this.doorbellId > 0 ? RING_WAKE_DATA_DOORBELL : 0);
    const compSab = createRingBuffer(options.completionRingBytes, compWake, this.doorbellId);
    this.requests = new SpscRing(reqSab, ringNative);
    this.completions = new SpscRing(compSab, ringNative);
    this.reqView = new DataView(this.requests.bytes.buffer, this.requests.bytes.byteOffset, this.requests.bytes.byteLength);
    this.compView = new DataView(this.completions.bytes.buffer, this.completions.bytes.byteOffset, this.completions.bytes.byteLength);
    const data: ShardWorkerData = {
      shardId: options.shardId, requestRing: reqSab, completionRing: compSab, cpu: options.cpu,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs,
      compactionCheckIntervalMs: options.compactionCheckIntervalMs,
      dataDir: options.dataDir,
    };
    // Shard 0 may already be booting: the bundled CLI's entry starts it before loading the broker.
    this.worker = (options.shardId === 0 ? adoptEarlyShardWorker(options.workerUrl, data) : null) ?? new Worker(options.workerUrl, { workerData: data, name: `samsa-shard-${options.shardId}` });
    this.ready = new Promise<ShardReady>((resolve, reject) => {
      this.worker.once('message', (m: { type: string } & ShardReady) => (m.type === 'ready' ? resolve(m) : reject(new Error('shard sent no ready'))));
      this.worker.once('error', reject);
    });
    this.exitPromise = new Promise<number>((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        // What the shard completed before it ended is still in the ring: deliver it
        // (e.g. the shutdown answer) before failing whatever is left.
        this.drainCompletions();
        this.failAll(`shard ${this.shardId} exited with code ${code}`);
        if (this.doorbellId > 0) {
          // Nothing will publish any more: the doorbell and its re-check can go.
          doorbells!.close(this.doorbellId);
          if (this.recheck !== null) clearInterval(this.recheck);
        } else {
          // The completion loop may be asleep on the ring: let it see `exited` now.
          this.completions.wakeConsumer();
        }
        resolve(code);
      });
    });
    this.worker.on('error', (err) => options.onNotice({ type: 'log', level: 'error', msg: `shard ${this.shardId} crashed: ${err.stack ?? err.message}` }));
    if (this.doorbellId > 0) {
      this.recheck = setInterval(this.onDoorbell, COMPLETION_RECHECK_MS);
      this.onDoorbell();
    } else {
      void this.completionLoop();
    }
  }

  /** Largest batch bytes one append can carry through this shard's ring. */
  maxAppendBytes(): number {
    return this.requests.maxFrameBytes - REQ_HEADER_BYTES - BODY_SKIP_MAX_BYTES;
  }

  /** Largest read this shard can answer in one completion frame. */
  maxReadBytes(): number {
    return this.completions.maxFrameBytes - COMPLETION_HEADER_BYTES;
  }

  ringUsedBytes(): { request: number; completion: number } {
    return { request: this.requests.usedBytes(), completion: this.completions.usedBytes() };
  }

  /** The rings' data-area sizes, for occupancy as a fraction (the console's shard view). */
  ringCapacityBytes(): { request: number; completion: number } {
    return { request: this.requests.capacityBytes, completion: this.completions.capacityBytes };
  }

  /** True while callers are waiting for ring space: listeners should stop reading sockets. */
  backpressured(): boolean {
    return this.spaceWaiters.length > 0;
  }

  /** Appends batches; `markers` = transaction markers from the coordinator (control batches allowed). */
  append(slot: number, batches: Uint8Array, acks: number, markers = false): Promise<AppendCompletion> {
    if (batches.byteLength > this.maxAppendBytes()) {
      return Promise.resolve({
        errorCode: ErrorCode.RECORD_LIST_TOO_LARGE, baseOffset: -1, logStartOffset: -1, nextOffset: -1, lastStableOffset: -1, appendTimeMs: -1,
        message: `record set of ${batches.byteLength} bytes is over the ring frame limit ${this.maxAppendBytes()}`,
      });
    }
    // Land the body at the batches' own address mod 8 (see BODY_SKIP_MAX_BYTES): a
    // payload starts RING_PAYLOAD_ALIGN_OFFSET past an 8-aligned position, and both
    // buffers' bases are 8-aligned, so the skip is known before the ring space is.
    const skip = (batches.byteOffset - (this.requests.bytes.byteOffset + RING_PAYLOAD_ALIGN_OFFSET + REQ_HEADER_BYTES)) & BODY_SKIP_MAX_BYTES;
    return new Promise<AppendCompletion>((resolve) => {
      this.submit(OP_APPEND, acks, slot, skip + batches.byteLength, (pos) => this.requests.bytes.set(batches, pos + skip), { op: OP_APPEND, resolve, batches }, markers ? FLAG_FROM_COORDINATOR : 0, skip);
    });
  }

  /**
   * Reads stored batches; `committed` = read_committed (stop at the last stable offset,
   * list aborted transactions). With fileRange, a large read may come back as a
   * FileRange (the caller then owns its descriptor).
   */
  read(slot: number, offset: number, maxBytes: number, committed = false, fileRange = false): Promise<ReadCompletion> {
    return new Promise<ReadCompletion>((resolve) => {
      this.submit(OP_READ, 0, slot, READ_BODY_BYTES, (pos) => {
        this.reqView.setFloat64(pos + READ_OFF_OFFSET, offset, true);
        this.reqView.setUint32(pos + READ_OFF_MAX_BYTES, Math.max(0, Math.min(maxBytes, 0xffff_ffff)), true);
      }, { op: OP_READ, resolve }, (committed ? FLAG_READ_COMMITTED : 0) | (fileRange ? READ_FLAG_FILE_RANGE : 0));
    });
  }

  control(req: ControlRequest): Promise<ControlResult> {
    const body = encodeJson(req);
    return new Promise<ControlResult>((resolve) => {
      this.submit(OP_CONTROL, 0, 0, body.byteLength, (pos) => this.requests.bytes.set(body, pos), { op: OP_CONTROL, resolve });
    });
  }

  private submit(op: number, acks: number, slot: number, bodyBytes: number, fill: (pos: number) => void, p: Pending, flags = 0, skip = 0): void {
    if (this.closed && op !== OP_CONTROL) {
      this.failOne(p, 'broker is shutting down');
      return;
    }
    if (this.exited) {
      this.failOne(p, `shard ${this.shardId} is not running`);
      return;
    }
    const attempt = (): boolean => {
      if (this.pending.size >= IN_FLIGHT_MAX) return false;
      const pos = this.requests.reserve(REQ_HEADER_BYTES + bodyBytes);
      if (pos < 0) return false;
      const reqId = this.pending.add(p);
      assert(reqId > 0, 'pending table full below IN_FLIGHT_MAX');
      writeRequestHeader(this.reqView, pos, op, acks, reqId, slot, flags, skip);
      fill(pos + REQ_HEADER_BYTES);
      this.requests.publish();
      return true;
    };
    // Keep FIFO order: nobody overtakes a caller already waiting for space.
    if (this.spaceWaiters.length === 0 && attempt()) return;
    this.spaceWaiters.push({
      bytes: REQ_HEADER_BYTES + bodyBytes,
      run: () => {
        if (this.exited) {
          this.failOne(p, `shard ${this.shardId} is not running`);
          return true;
        }
        return attempt();
      },
    });
    void this.pumpSpace();
  }

  /** Waits (without blocking the event loop) for ring space and runs queued submissions in order. */
  private async pumpSpace(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.spaceWaiters.length > 0) {
        const head = this.spaceWaiters[0]!;
        if (head.run()) {
          this.spaceWaiters.shift();
          continue;
        }
        await this.requests.waitForSpaceAsync(head.bytes, SPACE_RECHECK_MS);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The doorbell's callback (and the re-check's): drains the completion ring, then arms
   * the doorbell and returns to the event loop. The promises a drain resolves run their
   * continuations right after, before the loop's next I/O (Node's MakeCallback).
   */
  private readonly onDoorbell = (): void => {
    if (this.exited) return;
    this.completions.disarmDoorbell();
    for (let i = 0; i < DOORBELL_DRAINS_MAX; i++) {
      this.drainReporting();
      if (!this.completions.armDoorbell()) return;
    }
    // Still more: come back after the loop's other work (the ring is disarmed, so ring it).
    this.completions.wakeConsumer();
  };

  /** The Atomics.waitAsync completion loop, for rings without a doorbell. */
  private async completionLoop(): Promise<void> {
    // Also what keeps the event loop alive while the loop waits (a pending waitAsync does not).
    const recheck = setInterval(() => this.completions.wakeConsumer(), COMPLETION_RECHECK_MS);
    try {
      while (!this.exited) {
        if (this.drainReporting() > 0) continue;
        await this.completions.waitForDataAsync(Infinity);
      }
    } finally {
      clearInterval(recheck);
    }
  }

  /** drainCompletions, where a frame that breaks an invariant is logged, not thrown. */
  private drainReporting(): number {
    try {
      return this.drainCompletions();
    } catch (err) {
      // A frame this side cannot account for is a bug, not bad input: say so loudly,
      // keep serving the other requests rather than take the broker down.
      this.options.onNotice({ type: 'log', level: 'error', msg: `shard ${this.shardId}: bad completion: ${err instanceof Error ? err.message : String(err)}` });
      this.completions.release();
      return 0;
    }
  }

  /** Dispatches the completions in the ring now (bounded), returns how many. */
  private drainCompletions(): number {
    let n = 0;
    for (; n < 65_536; n++) {
      const off = this.completions.read();
      if (off < 0) break;
      this.dispatch(off, this.completions.frameLength);
    }
    if (n > 0) this.completions.release();
    return n;
  }

  private dispatch(off: number, len: number): void {
    const c: Completion = readCompletionHeader(this.compView, off);
    if (c.op === OP_NOTICE) {
      this.options.onNotice(decodeJson<Notice>(this.completions.bytes.subarray(off + COMPLETION_HEADER_BYTES, off + len)));
      return;
    }
    const p = this.pending.take(c.reqId);
    if (p === undefined) invariantFailed(`shard ${this.shardId}: completion for unknown request ${c.reqId}`);
    const body = this.completions.bytes.subarray(off + COMPLETION_HEADER_BYTES, off + len);
    if (p.op === OP_APPEND) {
      if (c.errorCode === ErrorCode.NONE) this.options.onAppend(c.slot, c.logStartOffset, c.nextOffset, c.lastStableOffset, c.baseOffset, p.batches);
      const message = body.byteLength > 0 ? decodeJson<{ message: string }>(body).message : '';
      p.resolve({ errorCode: c.errorCode, baseOffset: c.baseOffset, logStartOffset: c.logStartOffset, nextOffset: c.nextOffset, lastStableOffset: c.lastStableOffset, appendTimeMs: c.appendTimeMs, message });
    } else if (p.op === OP_READ && c.op === OP_READ_RANGE) {
      if (body.byteLength !== READ_RANGE_BODY_BYTES + c.count * ABORTED_TXN_BYTES) {
        invariantFailed(`shard ${this.shardId}: range completion of ${body.byteLength} bytes with ${c.count} aborted transactions`);
      }
      const fd = this.compView.getFloat64(off + COMPLETION_HEADER_BYTES + READ_RANGE_OFF_FD, true);
      const position = this.compView.getFloat64(off + COMPLETION_HEADER_BYTES + READ_RANGE_OFF_POSITION, true);
      const size = this.compView.getFloat64(off + COMPLETION_HEADER_BYTES + READ_RANGE_OFF_SIZE, true);
      const spanned = this.compView.getFloat64(off + COMPLETION_HEADER_BYTES + READ_RANGE_OFF_SPANNED, true);
      const aborted = this.abortedAt(off + COMPLETION_HEADER_BYTES + READ_RANGE_BODY_BYTES, c.count);
      p.resolve({ errorCode: c.errorCode, logStartOffset: c.logStartOffset, nextOffset: c.nextOffset, lastStableOffset: c.lastStableOffset, records: new FileRange(fd, position, size, spanned), aborted });
    } else if (p.op === OP_READ) {
      // Copy out: the ring space is reused as soon as this drain is released. Large
      // reads land in a pooled buffer, given back once the response is written.
      const recordBytes = body.byteLength - c.count * ABORTED_TXN_BYTES;
      if (recordBytes < 0) invariantFailed(`shard ${this.shardId}: read completion of ${body.byteLength} bytes cannot hold ${c.count} aborted transactions`);
      const aborted = this.abortedAt(off + COMPLETION_HEADER_BYTES + recordBytes, c.count);
      const records = c.errorCode === ErrorCode.NONE ? bufferPool.copyOf(body.subarray(0, recordBytes)) : new Uint8Array(0);
      p.resolve({ errorCode: c.errorCode, logStartOffset: c.logStartOffset, nextOffset: c.nextOffset, lastStableOffset: c.lastStableOffset, records, aborted });
    } else {
      p.resolve(decodeJson<ControlResult>(body));
    }
  }

  /** `count` aborted transactions (producerId f64, firstOffset f64 each) from the completion ring at `at`; null when none. */
  private abortedAt(at: number, count: number): ReadCompletion['aborted'] {
    if (count === 0) return null;
    const aborted: NonNullable<ReadCompletion['aborted']> = [];
    for (let i = 0; i < count; i++) {
      const p = at + i * ABORTED_TXN_BYTES;
      aborted.push({ producerId: this.compView.getFloat64(p, true), firstOffset: this.compView.getFloat64(p + 8, true) });
    }
    return aborted;
  }

  private failOne(p: Pending, message: string): void {
    if (p.op === OP_APPEND) p.resolve({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1, logStartOffset: -1, nextOffset: -1, lastStableOffset: -1, appendTimeMs: -1, message });
    else if (p.op === OP_READ) p.resolve({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logStartOffset: -1, nextOffset: -1, lastStableOffset: -1, records: new Uint8Array(0), aborted: null });
    else p.resolve({ ok: false, errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message });
  }

  private failAll(message: string): void {
    for (const p of this.pending.takeAll()) this.failOne(p, message);
    for (const w of this.spaceWaiters.splice(0)) w.run();
  }

  /**
   * Finishes in-flight work, asks the shard to close its logs, and waits for the
   * thread to end. Returns each partition's offsets as it was closed.
   */
  async shutdown(): Promise<ClosedPartition[]> {
    if (this.exited) return [];
    this.closed = true;
    const r = await this.control({ type: 'shutdown' });
    const timer = setTimeout(() => void this.worker.terminate(), 10_000);
    await this.exitPromise;
    clearTimeout(timer);
    // Thrown so the engine does not write the clean-shutdown marker: the next start recovers.
    if (!r.ok) throw new Error(`shard ${this.shardId} shutdown: ${r.message}`);
    return r.closed ?? [];
  }
}
