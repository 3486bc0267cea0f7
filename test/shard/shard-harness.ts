// Test helper: a Shard driven in-process, without worker threads. Real SpscRings on
// SharedArrayBuffers carry frames encoded with the shard-protocol encoders, exactly as
// the engine's shard client writes them; the test plays the main thread and runs the
// shard's loop one step at a time. FakeSyncer stands in for the syncer thread: it
// performs (real fdatasync of the named paths) or fails a sync only when told to.
import { closeSync, fdatasyncSync, fsyncSync, openSync } from 'node:fs';
import { Shard } from '../../src/shard/shard.js';
import type { ShardOptions } from '../../src/shard/shard.js';
import { SpscRing, createRingBuffer } from '../../src/ring/spsc-ring.js';
import {
  COMPLETION_HEADER_BYTES,
  OP_APPEND,
  OP_CONTROL,
  OP_NOTICE,
  OP_READ,
  READ_BODY_BYTES,
  REQ_HEADER_BYTES,
  decodeJson,
  encodeJson,
  readCompletionHeader,
  writeRequestHeader,
} from '../../src/shard/shard-protocol.js';
import type { Completion, ControlRequest, ControlResult, Notice } from '../../src/shard/shard-protocol.js';
import type { SyncRequest, Syncer } from '../../src/shard/sync-control.js';
import { DEFAULT_TOPIC_CONFIG } from '../../src/config/topic-config.js';
import type { TopicConfig } from '../../src/config/topic-config.js';

const REQUEST_RING_BYTES = 8 * 1024 * 1024;
const COMPLETION_RING_BYTES = 8 * 1024 * 1024;

/** A syncer that finishes syncs only on command. */
export class FakeSyncer implements Syncer {
  /** Every request posted, in order. */
  readonly posted: SyncRequest[] = [];
  /** What a blocking wait (the shard settling before a control request) does to the sync in flight. */
  onWait: 'succeed' | 'fail' = 'succeed';
  /** When set, post() throws it (a syncer thread that cannot start). */
  startError: Error | null = null;
  private done = 0;
  private readonly failedSeqs = new Set<number>();
  private syncs = 0;

  post(req: SyncRequest): void {
    if (this.startError !== null) throw this.startError;
    this.posted.push(req);
  }

  doneSeq(): number {
    return this.done;
  }

  failed(seq: number): boolean {
    return this.failedSeqs.has(seq);
  }

  waitDone(seq: number): void {
    if (this.done < seq) this.finish(this.onWait === 'succeed');
  }

  counters(): { fsyncCount: number; fsyncTotalMs: number } {
    return { fsyncCount: this.syncs, fsyncTotalMs: 0 };
  }

  /** The posted request not finished yet, if any (the pipeline keeps at most one in flight). */
  get inFlight(): SyncRequest | undefined {
    return this.posted.find((r) => r.seq > this.done);
  }

  /** Finishes the sync in flight: fdatasyncs its files and fsyncs its directories, or reports it failed without syncing. */
  finish(ok = true): SyncRequest {
    const req = this.inFlight;
    if (req === undefined) throw new Error('no sync in flight');
    if (ok) {
      for (const f of req.files) syncPath(f, false);
      for (const d of req.dirs) syncPath(d, true);
      this.syncs++;
    } else {
      this.failedSeqs.add(req.seq);
    }
    this.done = req.seq;
    return req;
  }
}

function syncPath(path: string, dir: boolean): void {
  const fd = openSync(path, 'r'); // throws if the pipeline named a file that does not exist
  try {
    if (dir) fsyncSync(fd);
    else fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface Answer {
  completion: Completion;
  body: Uint8Array;
}

export class ShardHarness {
  readonly shard: Shard;
  readonly notices: Notice[] = [];
  /** The fake clock the shard reads. */
  nowMs = 1_700_000_000_000;
  private readonly requests: SpscRing;
  private readonly completions: SpscRing;
  private readonly reqView: DataView;
  private readonly compView: DataView;
  private readonly answers = new Map<number, Answer>();
  private nextReqId = 1;

  constructor(options: Partial<ShardOptions> = {}) {
    const reqSab = createRingBuffer(REQUEST_RING_BYTES);
    const compSab = createRingBuffer(COMPLETION_RING_BYTES);
    // Main thread's ends (producer of requests, consumer of completions) and the shard's ends, on the same memory.
    this.requests = new SpscRing(reqSab);
    this.completions = new SpscRing(compSab);
    this.reqView = new DataView(this.requests.bytes.buffer, this.requests.bytes.byteOffset, this.requests.bytes.byteLength);
    this.compView = new DataView(this.completions.bytes.buffer, this.completions.bytes.byteOffset, this.completions.bytes.byteLength);
    this.shard = new Shard(new SpscRing(reqSab), new SpscRing(compSab), {
      shardId: 0,
      retentionCheckIntervalMs: 1e12,
      compactionCheckIntervalMs: 1e12,
      nowMs: () => this.nowMs,
      ...options,
    });
  }

  append(slot: number, acks: number, ...batches: Uint8Array[]): number {
    return this.appendFlagged(slot, acks, 0, ...batches);
  }

  /** An APPEND frame with header flags (FLAG_FROM_COORDINATOR: transaction markers). */
  appendFlagged(slot: number, acks: number, flags: number, ...batches: Uint8Array[]): number {
    return this.appendSkipped(slot, acks, flags, 0, ...batches);
  }

  /** An APPEND frame whose body starts `skip` bytes past the header; the skipped bytes are 0xff. */
  appendSkipped(slot: number, acks: number, flags: number, skip: number, ...batches: Uint8Array[]): number {
    const bytes = batches.reduce((n, b) => n + b.byteLength, 0);
    return this.submit(OP_APPEND, acks, slot, skip + bytes, flags, (pos) => {
      this.requests.bytes.fill(0xff, pos, pos + skip);
      let at = pos + skip;
      for (const b of batches) {
        this.requests.bytes.set(b, at);
        at += b.byteLength;
      }
    }, skip);
  }

  read(slot: number, offset: number, maxBytes = 1024 * 1024, flags = 0): number {
    return this.submit(OP_READ, 0, slot, READ_BODY_BYTES, flags, (pos) => {
      this.reqView.setFloat64(pos, offset, true);
      this.reqView.setUint32(pos + 8, maxBytes, true);
    });
  }

  control(req: ControlRequest): number {
    const body = encodeJson(req);
    return this.submit(OP_CONTROL, 0, 0, body.byteLength, 0, (pos) => this.requests.bytes.set(body, pos));
  }

  /** One turn of the shard's loop, then everything it published is collected. Returns the frames it drained. */
  step(): number {
    const frames = this.shard.step();
    this.collect();
    return frames;
  }

  /** The answer to `reqId` if the shard has given one (taken once). */
  take(reqId: number): Answer | undefined {
    const a = this.answers.get(reqId);
    this.answers.delete(reqId);
    return a;
  }

  /** Sends a control request, steps once, and returns its result (it must be answered in that step). */
  controlNow(req: ControlRequest): ControlResult {
    const id = this.control(req);
    this.step();
    const a = this.take(id);
    if (a === undefined) throw new Error(`control ${req.type} was not answered in one step`);
    return decodeJson<ControlResult>(a.body);
  }

  open(slot: number, dir: string, config: Partial<TopicConfig> = {}): ControlResult {
    return this.controlNow({ type: 'open', slot, dir, config: { ...DEFAULT_TOPIC_CONFIG, ...config } });
  }

  /** Appends, steps once, and returns the completion (it must be answered in that step). */
  appendNow(slot: number, acks: number, ...batches: Uint8Array[]): Completion {
    return this.appendFlaggedNow(slot, acks, 0, ...batches);
  }

  /** appendFlagged, stepped once, answered in that step. */
  appendFlaggedNow(slot: number, acks: number, flags: number, ...batches: Uint8Array[]): Completion {
    const id = this.appendFlagged(slot, acks, flags, ...batches);
    this.step();
    const a = this.take(id);
    if (a === undefined) throw new Error(`append ${id} was not answered in one step`);
    return a.completion;
  }

  /** Reads, steps once, and returns the completion and the stored bytes. */
  readNow(slot: number, offset: number, maxBytes?: number, flags = 0): Answer {
    const id = this.read(slot, offset, maxBytes, flags);
    this.step();
    const a = this.take(id);
    if (a === undefined) throw new Error(`read ${id} was not answered in one step`);
    return a;
  }

  private submit(op: number, acks: number, slot: number, bodyBytes: number, flags: number, fill: (pos: number) => void, skip = 0): number {
    const reqId = this.nextReqId++;
    const pos = this.requests.reserve(REQ_HEADER_BYTES + bodyBytes);
    if (pos < 0) throw new Error('request ring full: step the shard first');
    writeRequestHeader(this.reqView, pos, op, acks, reqId, slot, flags, skip);
    fill(pos + REQ_HEADER_BYTES);
    this.requests.publish();
    return reqId;
  }

  private collect(): void {
    for (;;) {
      const off = this.completions.read();
      if (off < 0) break;
      const completion = readCompletionHeader(this.compView, off);
      const body = this.completions.bytes.slice(off + COMPLETION_HEADER_BYTES, off + this.completions.frameLength);
      if (completion.op === OP_NOTICE) {
        this.notices.push(decodeJson<Notice>(body));
        continue;
      }
      if (this.answers.has(completion.reqId)) throw new Error(`request ${completion.reqId} answered twice`);
      this.answers.set(completion.reqId, { completion, body });
    }
    this.completions.release();
  }
}
