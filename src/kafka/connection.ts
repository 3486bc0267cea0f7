// One Kafka TCP connection: 4-byte size-prefixed frames in, responses out in request
// order. Owns: framing, the per-connection in-flight queue, read backpressure and
// closing. Must not parse request bodies (handler.ts does) nor know any API.
//
// Rules it keeps:
// - A size prefix that is negative or above requestMaxBytes closes the connection
//   before anything is allocated for it; a frame's bytes are gathered as they
//   arrive and copied once, so a slow sender costs only what it has sent.
// - Requests go through a RequestPipeline (pipeline.ts: Kafka's one-at-a-time
//   semantics, except that consecutive produces overlap), and responses are
//   written strictly in request order. At most maxInFlight requests are pending:
//   beyond that the socket is paused (backpressure), as it is while the kernel
//   send buffer is full.
// - What this connection holds of responses and has not sent — Node's queue past its
//   high-water mark, responses waiting behind it or behind a zero-copy send, the rest
//   of a partly sent zero-copy response (file ranges by their length) — is reported to
//   the broker-wide queued.max.response.bytes budget (output-budget.ts), and given
//   back as the socket takes it or the connection closes.
// - Anything that cannot be answered closes this connection only; no error escapes.
// - connections.max.idle.ms: a connection with nothing read, written or in flight for
//   that long is closed (checked four times per timeout, so at most a quarter late).

import type { Socket } from 'node:net';
import type { KafkaHandler, KafkaLogger } from './handler.js';
import { RequestPipeline } from './pipeline.js';
import type { Session } from '../security/session.js';
import { POOLED_MIN_BYTES, bufferPool } from '../broker/buffer-pool.js';
import { FileRange, releaseChunks, remainingAsBytes, responseParts, setSocketSendBuffer, zeroCopySender, zeroCopyStats } from '../broker/file-range.js';
import type { SendPart, ZeroCopyCalls } from '../broker/file-range.js';
import { closeSync } from 'node:fs';
import type { OutputBudget } from './output-budget.js';

export interface ConnectionOptions {
  /** socket.request.max.bytes: largest request frame accepted. */
  requestMaxBytes: number;
  /** Requests handled at once on one connection before reading pauses. */
  maxInFlight: number;
  /** Bytes of pending request frames on one connection before reading pauses (default: requestMaxBytes). */
  maxInFlightBytes?: number;
  /** Close a connection with nothing in flight after this long without traffic (Kafka's connections.max.idle.ms); 0 = never. */
  idleTimeoutMs?: number;
  /** Send large Fetch records from their segment files with sendfile where possible (default true). */
  zeroCopy?: boolean;
  /** SO_SNDBUF of a plain TCP socket (Kafka's socket.send.buffer.bytes); -1 or absent: the OS default. */
  sendBufferBytes?: number;
  /** True while the engine cannot take more work (full shard rings): reading pauses, rechecked every ms. */
  engineBackpressured?: () => boolean;
  /** Broker-wide budget of unsent response bytes (queued.max.response.bytes); this connection reports its backlog to it. */
  outputBudget?: OutputBudget;
  logger?: KafkaLogger;
  /** The connection's listener and principal (default: anonymous, no listener). */
  session?: Session;
}

/** How often a connection paused by engine backpressure looks again. */
const ENGINE_BACKPRESSURE_RECHECK_MS = 1;

const SIZE_PREFIX_BYTES = 4;
/** First two bytes of a TLS ClientHello record: content type handshake, major version 3. */
const TLS_HANDSHAKE_RECORD = 0x16;
const TLS_MAJOR_VERSION = 0x03;
/** How long a gracefully closed connection may take to hand its last response to the peer. */
const GRACEFUL_CLOSE_MS = 5_000;

/**
 * The idle check runs this many times per idle timeout; a connection is closed after
 * that many checks in a row saw no activity (so between 1 and 1.25 idle timeouts).
 */
const IDLE_CHECKS_PER_TIMEOUT = 4;
const EMPTY = new Uint8Array(0);
// Large zero-copy responses go out from a libuv pool thread (sendPartsOffThread): on
// one event loop, sendfile over loopback runs the reader's TCP receive path too, so
// one 20 MB response held the loop ~15 ms while every other connection's response
// waited; on a pool thread two responses go out on two cores and the loop stays free.
/** Responses (their unsent rest) at least this large go off-thread. */
const OFF_THREAD_MIN_BYTES = 1 << 20;
/** Off-thread sends in flight per process: libuv's pool has 4 threads, and fs calls need some. */
const OFF_THREAD_MAX_IN_FLIGHT = 2;
/** How long one off-thread send may wait for room or run in all before it reports back. */
const OFF_THREAD_BUDGET_MS = 50;
let offThreadInFlight = 0;

export class KafkaConnection {
  private readonly socket: Socket;
  private readonly opts: ConnectionOptions;
  private readonly pipeline: RequestPipeline;
  /** The pipeline's session, kept here: the flow checks read it for every frame. */
  private readonly session: Session;
  private closed = false;
  private waitingDrain = false;
  private paused = false;
  /** This connection's backlog as last reported to the output budget. */
  private reportedBacklog = 0;
  /** Bytes of the responses in outQueue (file ranges by their length). */
  private queuedBytes = 0;

  // Framing state: the size prefix (possibly split across chunks), then the body.
  private readonly prefix = new Uint8Array(SIZE_PREFIX_BYTES);
  private prefixFill = 0;
  private bodySize = -1;
  private bodyParts: Uint8Array[] = [];
  private bodyFill = 0;
  /** Bytes received but not parsed because the in-flight bound was reached. */
  private leftover: Uint8Array | null = null;

  // Responses go out in order through two writers: Node's (the socket's queue) and
  // sendParts (straight to the descriptor, only while Node's queue is empty). A
  // response waiting for Node's queue to empty holds every later one behind it.
  private readonly zeroCopy: ZeroCopyCalls | null;
  private readonly outQueue: Uint8Array[][] = [];
  private outWaiting = false;
  /** A zero-copy response the socket has not taken whole: the rest goes when it has room. */
  private pending: { chunks: Uint8Array[]; parts: SendPart[]; total: number; sent: number } | null = null;
  /** The writability wait in progress (waitWritable id), 0 for none. */
  private waitId = 0;
  /** Our own descriptor of the socket, for waits (libuv already watches Node's); -1 until needed. */
  private ownFd = -1;
  /** A pool thread is sending `pending` on ownFd: both stay until its callback, even after close. */
  private offThread = false;

  /** Called once when the connection is closed. */
  onClose: (() => void) | null = null;

  constructor(socket: Socket, handler: KafkaHandler, opts: ConnectionOptions) {
    if (!(opts.requestMaxBytes >= 0 && opts.maxInFlight >= 1)) throw new Error('invalid connection options');
    this.socket = socket;
    this.opts = opts;
    // Zero-copy Fetch needs the addon's sendParts and a plain TCP socket whose
    // descriptor Node exposes; TLS (or anything else) gets bytes.
    this.zeroCopy = opts.zeroCopy !== false && isPlainTcp(socket) ? zeroCopySender() : null;
    this.pipeline = new RequestPipeline(handler, {
      onResponse: (chunks) => this.write(chunks),
      onError: (err) => this.fail(err),
      onFreed: () => this.updateFlowSoon(),
      onProduceFrameDone: (frame) => bufferPool.give(frame),
      onDiscarded: (chunks) => releaseChunks(chunks),
    }, `/${socket.remoteAddress ?? ''}`, opts.session, this.zeroCopy !== null);
    this.session = this.pipeline.session;
    socket.setNoDelay(true);
    // Linux autotunes the send buffer up to a few MB; a zero-copy response then waits
    // for room in 1-2 MB steps, and in the cross-process bench large Fetches finished
    // later than with Kafka's fixed 100 KiB (docs/benchmarks.md, issue 14 round three).
    const fd = socketFd(socket);
    if (opts.sendBufferBytes !== undefined && opts.sendBufferBytes > 0 && fd >= 0) setSocketSendBuffer(fd, opts.sendBufferBytes);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.reportBacklog();
      this.pipeline.setHeld(this.pending !== null);
      this.updateFlow();
    });
    socket.on('error', (err) => {
      this.opts.logger?.debug?.({ err }, 'kafka connection error');
      this.close();
    });
    socket.on('close', () => this.close());
    socket.on('end', () => this.close());
    if (opts.idleTimeoutMs !== undefined && opts.idleTimeoutMs > 0) {
      // Not socket.setTimeout: Node refreshes that timer (a timer-list removal and
      // insert) on every read and every write, twice per request. Here activity is a
      // flag, and one coarse check per quarter timeout looks at it.
      this.idleTimer = setInterval(() => this.checkIdle(), Math.max(1, Math.ceil(opts.idleTimeoutMs / IDLE_CHECKS_PER_TIMEOUT)));
      this.idleTimer.unref();
    }
  }

  get inFlight(): number {
    return this.pipeline.size;
  }

  /**
   * Closes the socket and aborts this connection's pending long-polls. Idempotent.
   * `graceful`: what was written is still delivered (end, not destroy), bounded by
   * GRACEFUL_CLOSE_MS for a peer that never reads.
   */
  close(graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.pipeline.close();
    if (this.recheckTimer !== null) clearTimeout(this.recheckTimer);
    if (this.throttleTimer !== null) clearTimeout(this.throttleTimer);
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    this.bodyParts = [];
    this.leftover = null;
    for (const chunks of this.outQueue.splice(0)) releaseChunks(chunks);
    this.queuedBytes = 0;
    // The wait first: a descriptor must not close under a libuv poll watching it.
    if (this.waitId !== 0) this.zeroCopy?.cancelWait(this.waitId);
    this.waitId = 0;
    // An off-thread send still uses ownFd and the ranges' descriptors: its callback frees them.
    if (!this.offThread) this.releaseSendState();
    if (graceful) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS).unref();
    } else this.socket.destroy();
    this.reportBacklog();
    this.onClose?.();
  }

  private releaseSendState(): void {
    if (this.pending !== null) releaseChunks(this.pending.chunks);
    this.pending = null;
    if (this.ownFd >= 0) closeQuietly(this.ownFd);
    this.ownFd = -1;
  }

  private recheckTimer: NodeJS.Timeout | null = null;

  private idleTimer: NodeJS.Timeout | null = null;
  /** Read or written since the last idle check. */
  private active = false;
  private idleChecks = 0;

  private checkIdle(): void {
    // A long-poll in flight is not idleness: only an empty connection is closed.
    if (this.active || this.pipeline.size > 0) {
      this.active = false;
      this.idleChecks = 0;
      return;
    }
    if (++this.idleChecks >= IDLE_CHECKS_PER_TIMEOUT) this.close();
  }

  private throttleTimer: NodeJS.Timeout | null = null;

  /** True while a quota throttle mutes this connection (KIP-219); wakes reading when it ends. */
  private throttled(): boolean {
    const session = this.session;
    if (session.throttleUntilMs === 0) return false;
    const waitMs = session.throttleUntilMs - Date.now();
    if (waitMs <= 0) {
      session.throttleUntilMs = 0;
      return false;
    }
    this.throttleTimer ??= setTimeout(() => {
      this.throttleTimer = null;
      this.updateFlow();
    }, waitMs);
    return true;
  }

  private stalled(): boolean {
    if (this.pipeline.size >= this.opts.maxInFlight || this.waitingDrain || this.outQueue.length > 0 || this.pending !== null) return true;
    if (this.throttled()) return true;
    if (this.pipeline.bytes >= (this.opts.maxInFlightBytes ?? this.opts.requestMaxBytes) && this.pipeline.size > 0) return true;
    if (this.opts.engineBackpressured?.() === true) {
      // Nothing signals when shard rings drain, so look again shortly.
      this.recheckTimer ??= setTimeout(() => {
        this.recheckTimer = null;
        this.updateFlow();
      }, ENGINE_BACKPRESSURE_RECHECK_MS);
      return true;
    }
    return false;
  }

  private updateFlow(): void {
    if (this.closed) return;
    if (!this.stalled() && this.leftover !== null) {
      const rest = this.leftover;
      this.leftover = null;
      this.parse(rest);
      if (this.closed) return;
    }
    const stall = this.stalled() || this.leftover !== null;
    if (stall && !this.paused) {
      this.paused = true;
      this.socket.pause();
    } else if (!stall && this.paused) {
      this.paused = false;
      this.socket.resume();
    }
  }

  private onData(chunk: Uint8Array): void {
    if (this.closed) return;
    this.active = true;
    if (this.leftover !== null) {
      // Paused, but the stream delivered one more chunk: keep it in order.
      const merged = new Uint8Array(this.leftover.byteLength + chunk.byteLength);
      merged.set(this.leftover, 0);
      merged.set(chunk, this.leftover.byteLength);
      this.leftover = merged;
      return;
    }
    this.parse(chunk);
    this.updateFlow();
  }

  private parse(chunk: Uint8Array): void {
    let off = 0;
    const n = chunk.byteLength;
    while (off < n && !this.closed) {
      if (this.stalled()) {
        this.leftover = chunk.subarray(off);
        return;
      }
      if (this.bodySize < 0) {
        let size: number;
        if (this.prefixFill === 0 && n - off >= SIZE_PREFIX_BYTES) {
          size = readInt32(chunk, off);
          off += SIZE_PREFIX_BYTES;
        } else {
          const take = Math.min(SIZE_PREFIX_BYTES - this.prefixFill, n - off);
          this.prefix.set(chunk.subarray(off, off + take), this.prefixFill);
          this.prefixFill += take;
          off += take;
          if (this.prefixFill < SIZE_PREFIX_BYTES) return;
          this.prefixFill = 0;
          size = readInt32(this.prefix, 0);
        }
        if (size < 0 || size > this.opts.requestMaxBytes) {
          // A TLS ClientHello starts 0x16 0x03: say so, it is the usual cause.
          const tlsHello = size >>> 24 === TLS_HANDSHAKE_RECORD && ((size >>> 16) & 0xff) === TLS_MAJOR_VERSION;
          this.opts.logger?.debug?.({ size, ...(tlsHello ? { reason: 'a TLS handshake on a plaintext listener (client uses SSL/SASL_SSL?)' } : {}) }, 'kafka request size out of bounds; closing');
          this.close();
          return;
        }
        if (n - off >= size) {
          // Whole frame in this chunk: no copy (Node does not reuse socket chunks).
          this.dispatch(chunk.subarray(off, off + size));
          off += size;
          continue;
        }
        this.bodySize = size;
        this.bodyFill = 0;
        this.bodyParts = [];
      }
      const take = Math.min(this.bodySize - this.bodyFill, n - off);
      this.bodyParts.push(chunk.subarray(off, off + take));
      this.bodyFill += take;
      off += take;
      if (this.bodyFill === this.bodySize) {
        // Large frames (produce batches) are gathered into pooled buffers: a fresh
        // multi-MB array per request costs page faults and GC. Given back only for a
        // Produce, once its appends are in the shard rings (pipeline.ts).
        const frame = bufferPool.take(this.bodySize);
        let p = 0;
        for (const part of this.bodyParts) {
          frame.set(part, p);
          p += part.byteLength;
        }
        this.bodyParts = [];
        this.bodySize = -1;
        this.dispatch(frame);
      }
    }
  }

  private dispatch(frame: Uint8Array): void {
    this.pipeline.submit(frame);
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.opts.logger?.debug?.({ err }, 'kafka request failed; closing connection');
    this.close();
  }

  /** Writes one response with its size prefix, in order (see outQueue). */
  private write(chunks: Uint8Array[]): void {
    this.active = true;
    this.writeInOrder(chunks);
    this.reportBacklog();
  }

  private writeInOrder(chunks: Uint8Array[]): void {
    if (this.closed) {
      releaseChunks(chunks);
      return;
    }
    if (this.outQueue.length > 0 || this.pending !== null) {
      this.enqueue(chunks);
      return;
    }
    if (this.zeroCopy !== null && hasFileRange(chunks)) {
      if (this.socket.writableLength > 0) {
        this.enqueue(chunks);
        this.whenNodeQueueEmpty();
        return;
      }
      this.sendZeroCopy(this.zeroCopy, chunks);
      return;
    }
    this.writeThroughNode(sizePrefix(chunks), chunks);
  }

  private enqueue(chunks: Uint8Array[]): void {
    this.outQueue.push(chunks);
    this.queuedBytes += chunksLength(chunks);
  }

  private dequeue(): Uint8Array[] {
    const head = this.outQueue.shift()!;
    this.queuedBytes -= chunksLength(head);
    return head;
  }

  /** Response bytes this connection holds and the socket has not taken (see the header). */
  private backlogBytes(): number {
    if (this.closed) return 0;
    // Below the high-water mark Node's buffer is small and moving; past it, it is a
    // backlog until 'drain' (which comes once it is empty).
    const node = this.waitingDrain ? this.socket.writableLength : 0;
    const rest = this.pending === null ? 0 : this.pending.total - this.pending.sent;
    return node + this.queuedBytes + rest;
  }

  private reportBacklog(): void {
    const budget = this.opts.outputBudget;
    if (budget === undefined) return;
    const bytes = this.backlogBytes();
    if (bytes === this.reportedBacklog) return;
    budget.adjust(bytes - this.reportedBacklog);
    this.reportedBacklog = bytes;
  }

  /** Node's writer: one vectored write per response (and per tick), pooled buffers given back after. */
  private writeThroughNode(prefix: Uint8Array | null, chunks: Uint8Array[]): void {
    this.socket.cork();
    let ok = prefix === null ? true : this.socket.write(prefix);
    let pooled = false;
    for (const c of chunks) {
      ok = this.socket.write(c);
      if (c.byteLength >= POOLED_MIN_BYTES) pooled = true;
    }
    // Pooled read buffers go back once the kernel has the bytes: writes complete in
    // order, so the empty write's callback comes after every chunk above. After an
    // error Node may not be done with them: they are left to the GC.
    if (pooled) this.socket.write(EMPTY, (err) => {
      if (err === null || err === undefined) bufferPool.giveAll(chunks);
    });
    if (this.session.closeAfterResponse) {
      // Failed authentication: the client reads why, then the connection ends (as Kafka does).
      this.socket.uncork();
      this.close(true);
      return;
    }
    // Uncork on the next tick so responses finishing in the same tick share a writev.
    process.nextTick(() => this.socket.uncork());
    if (!ok) {
      // No new request starts until the peer reads: responses are not built for a socket that does not take them.
      this.waitingDrain = true;
      this.pipeline.setHeld(true);
    }
  }

  /**
   * The zero-copy writer, called only with Node's queue empty and nothing pending
   * (so nothing of Node's can land between these bytes): header bytes by sendmsg,
   * records by sendfile from the segment file. What the socket does not take at once
   * is sent when it has room (waitWritable), and later responses wait in outQueue.
   */
  private sendZeroCopy(calls: ZeroCopyCalls, chunks: Uint8Array[]): void {
    const fd = socketFd(this.socket);
    const prefix = sizePrefix(chunks);
    if (fd < 0) return this.sendRestAsBytes(prefix, chunks, 0);
    const parts = responseParts(prefix, chunks);
    const total = prefix.byteLength + chunksLength(chunks);
    if (total >= OFF_THREAD_MIN_BYTES && calls.sendPartsOffThread !== null && offThreadInFlight < OFF_THREAD_MAX_IN_FLIGHT) {
      if (this.ownFd < 0) this.ownFd = calls.dupFd(fd);
      if (this.ownFd >= 0) {
        this.pending = { chunks, parts, total, sent: 0 };
        if (this.sendOffThread(calls)) {
          zeroCopyStats.responses++;
          this.pipeline.setHeld(true);
          return;
        }
        this.pending = null;
      }
    }
    const sent = calls.sendParts(fd, parts, 0);
    if (sent < 0) return this.zeroCopyFailed(chunks, -sent);
    zeroCopyStats.responses++;
    zeroCopyStats.sentBytes += sent;
    if (sent === total) {
      releaseChunks(chunks);
      return;
    }
    zeroCopyStats.partialSends++;
    if (this.ownFd < 0) this.ownFd = calls.dupFd(fd);
    if (this.ownFd < 0) return this.sendRestAsBytes(prefix, chunks, sent);
    this.pending = { chunks, parts, total, sent };
    // The socket is full, as on a failed write through Node: no new request starts
    // (each would hold a segment descriptor or a pooled buffer) until it has taken this one.
    this.pipeline.setHeld(true);
    this.awaitRoom(calls);
  }

  private awaitRoom(calls: ZeroCopyCalls): void {
    const id = calls.waitWritable(this.ownFd, (status) => this.onRoom(calls, status));
    if (id > 0) {
      this.waitId = id;
      return;
    }
    // No wait possible: the rest as bytes through Node's queue, which waits by itself.
    const p = this.pending!;
    this.pending = null;
    this.pipeline.setHeld(this.waitingDrain);
    this.sendRestAsBytes(p.parts[0] as Uint8Array, p.chunks, p.sent);
  }

  /** Hands the rest of `pending` to a pool thread; false when it could not start. */
  private sendOffThread(calls: ZeroCopyCalls): boolean {
    const p = this.pending!;
    const r = calls.sendPartsOffThread!(this.ownFd, p.parts, p.sent, OFF_THREAD_BUDGET_MS, (n) => this.onSentOffThread(calls, n));
    if (r < 0) return false;
    offThreadInFlight++;
    zeroCopyStats.offThreadSends++;
    this.offThread = true;
    return true;
  }

  /** A pool thread's send ended (n: bytes it wrote, or -errno): go on as onRoom does. */
  private onSentOffThread(calls: ZeroCopyCalls, n: number): void {
    offThreadInFlight--;
    this.offThread = false;
    if (this.closed) {
      this.releaseSendState();
      return this.reportBacklog();
    }
    const p = this.pending;
    if (p === null) return;
    // Called from the event loop by the addon: nothing may escape as an exception.
    try {
      if (n < 0) return this.zeroCopyFailed(p.chunks, -n);
      p.sent += n;
      zeroCopyStats.sentBytes += n;
      if (p.sent < p.total) {
        zeroCopyStats.partialSends++;
        // It stopped on its time budget: on from there. No progress: a slow reader, whose room the loop waits for.
        if (n > 0 && offThreadInFlight < OFF_THREAD_MAX_IN_FLIGHT && this.sendOffThread(calls)) return;
        return this.awaitRoom(calls);
      }
      this.finishPending(p);
    } catch (err) {
      this.fail(err);
    } finally {
      this.reportBacklog();
    }
  }

  /** The socket has room again (status < 0: it failed): send on from where it stopped. */
  private onRoom(calls: ZeroCopyCalls, status: number): void {
    this.waitId = 0;
    const p = this.pending;
    if (this.closed || p === null) return;
    // Called from the event loop by the addon: nothing may escape as an exception.
    try {
      if (status < 0) return this.zeroCopyFailed(p.chunks, -status);
      const n = calls.sendParts(this.ownFd, p.parts, p.sent);
      if (n < 0) return this.zeroCopyFailed(p.chunks, -n);
      p.sent += n;
      zeroCopyStats.sentBytes += n;
      if (p.sent < p.total) return this.awaitRoom(calls);
      this.finishPending(p);
    } catch (err) {
      this.fail(err);
    } finally {
      // What the socket took is no longer held (every path above, a close included).
      this.reportBacklog();
    }
  }

  /** `pending` went out whole: the responses queued behind it follow. */
  private finishPending(p: { chunks: Uint8Array[] }): void {
    this.pending = null;
    releaseChunks(p.chunks);
    this.flushOutQueue();
    // Released after the queued responses went out (they may have held it again).
    if (this.pending === null && !this.waitingDrain) this.pipeline.setHeld(false);
  }

  /** The socket failed under a zero-copy send: the response cannot be finished, so the connection ends. */
  private zeroCopyFailed(chunks: Uint8Array[], errno: number): void {
    zeroCopyStats.errors++;
    if (this.pending !== null && this.pending.chunks === chunks) this.pending = null;
    releaseChunks(chunks);
    this.opts.logger?.debug?.({ errno }, 'kafka zero-copy send failed; closing');
    this.close();
  }

  /** What is left of a response after `sent` bytes, as bytes through Node's queue. */
  private sendRestAsBytes(prefix: Uint8Array, chunks: Uint8Array[], sent: number): void {
    const total = prefix.byteLength + chunksLength(chunks);
    zeroCopyStats.fallbackBytes += total - sent;
    let rest: Uint8Array[];
    try {
      rest = remainingAsBytes(prefix, chunks, sent);
    } catch (err) {
      releaseChunks(chunks);
      this.fail(err);
      return;
    }
    this.writeThroughNode(null, rest);
  }

  /** Runs the held responses once everything Node has queued is written. */
  private whenNodeQueueEmpty(): void {
    if (this.outWaiting) return;
    this.outWaiting = true;
    // Writes complete in order: this callback runs after all earlier ones.
    this.socket.write(EMPTY, (err) => {
      this.outWaiting = false;
      if (err !== null && err !== undefined) return; // the socket failed: close() releases the queue
      this.flushOutQueue();
    });
  }

  private flushOutQueue(): void {
    // Each pass sends or defers the head: bounded by the queue (pipeline.maxInFlight).
    while (this.outQueue.length > 0 && !this.closed && this.pending === null) {
      const head = this.outQueue[0]!;
      if (this.zeroCopy !== null && hasFileRange(head)) {
        if (this.socket.writableLength > 0) {
          this.whenNodeQueueEmpty();
          this.reportBacklog();
          return;
        }
        this.sendZeroCopy(this.zeroCopy, this.dequeue());
      } else {
        const next = this.dequeue();
        this.writeThroughNode(sizePrefix(next), next);
      }
    }
    this.reportBacklog();
    this.updateFlowSoon();
  }

  private flowScheduled = false;

  /** Re-evaluates pause/resume once the current burst of responses is written. */
  private updateFlowSoon(): void {
    if (this.flowScheduled) return;
    this.flowScheduled = true;
    queueMicrotask(() => {
      this.flowScheduled = false;
      this.updateFlow();
    });
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Ours, and the connection is ending: nothing to do about a failed close.
  }
}

function sizePrefix(chunks: readonly Uint8Array[]): Uint8Array {
  const prefix = new Uint8Array(SIZE_PREFIX_BYTES);
  new DataView(prefix.buffer).setInt32(0, chunksLength(chunks));
  return prefix;
}

function chunksLength(chunks: readonly Uint8Array[]): number {
  let size = 0;
  for (const c of chunks) size += c.byteLength;
  return size;
}

function hasFileRange(chunks: readonly Uint8Array[]): boolean {
  for (const c of chunks) if (c instanceof FileRange) return true;
  return false;
}

/** A net.Socket that is plain TCP (not TLS, not a pipe) with a descriptor Node exposes. */
function isPlainTcp(socket: Socket): boolean {
  return !('encrypted' in socket) && socketFd(socket) >= 0;
}

/** The socket's descriptor (libuv's TCP handle exposes it on Unix), or -1. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
}

function readInt32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) | 0;
}
