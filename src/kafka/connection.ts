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
// - Anything that cannot be answered closes this connection only; no error escapes.

import type { Socket } from 'node:net';
import type { KafkaHandler, KafkaLogger } from './handler.js';
import { RequestPipeline } from './pipeline.js';
import type { Session } from '../security/session.js';

export interface ConnectionOptions {
  /** socket.request.max.bytes: largest request frame accepted. */
  requestMaxBytes: number;
  /** Requests handled at once on one connection before reading pauses. */
  maxInFlight: number;
  /** Bytes of pending request frames on one connection before reading pauses (default: requestMaxBytes). */
  maxInFlightBytes?: number;
  /** Close a connection with nothing in flight after this long without traffic (Kafka's connections.max.idle.ms); 0 = never. */
  idleTimeoutMs?: number;
  /** True while the engine cannot take more work (full shard rings): reading pauses, rechecked every ms. */
  engineBackpressured?: () => boolean;
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

export class KafkaConnection {
  private readonly socket: Socket;
  private readonly opts: ConnectionOptions;
  private readonly pipeline: RequestPipeline;
  /** The pipeline's session, kept here: the flow checks read it for every frame. */
  private readonly session: Session;
  private closed = false;
  private waitingDrain = false;
  private paused = false;

  // Framing state: the size prefix (possibly split across chunks), then the body.
  private readonly prefix = new Uint8Array(SIZE_PREFIX_BYTES);
  private prefixFill = 0;
  private bodySize = -1;
  private bodyParts: Uint8Array[] = [];
  private bodyFill = 0;
  /** Bytes received but not parsed because the in-flight bound was reached. */
  private leftover: Uint8Array | null = null;

  /** Called once when the connection is closed. */
  onClose: (() => void) | null = null;

  constructor(socket: Socket, handler: KafkaHandler, opts: ConnectionOptions) {
    if (!(opts.requestMaxBytes >= 0 && opts.maxInFlight >= 1)) throw new Error('invalid connection options');
    this.socket = socket;
    this.opts = opts;
    this.pipeline = new RequestPipeline(handler, {
      onResponse: (chunks) => this.write(chunks),
      onError: (err) => this.fail(err),
      onFreed: () => this.updateFlowSoon(),
    }, `/${socket.remoteAddress ?? ''}`, opts.session);
    this.session = this.pipeline.session;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.waitingDrain = false;
      this.pipeline.setHeld(false);
      this.updateFlow();
    });
    socket.on('error', (err) => {
      this.opts.logger?.debug?.({ err }, 'kafka connection error');
      this.close();
    });
    socket.on('close', () => this.close());
    socket.on('end', () => this.close());
    if (opts.idleTimeoutMs !== undefined && opts.idleTimeoutMs > 0) {
      socket.setTimeout(opts.idleTimeoutMs);
      // A long-poll in flight is not idleness: only an empty connection is closed.
      socket.on('timeout', () => {
        if (this.pipeline.size === 0) this.close();
      });
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
    this.bodyParts = [];
    this.leftover = null;
    if (graceful) {
      this.socket.end();
      setTimeout(() => this.socket.destroy(), GRACEFUL_CLOSE_MS).unref();
    } else this.socket.destroy();
    this.onClose?.();
  }

  private recheckTimer: NodeJS.Timeout | null = null;

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
    if (this.pipeline.size >= this.opts.maxInFlight || this.waitingDrain) return true;
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
        const frame = new Uint8Array(this.bodySize);
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

  /** Writes one response with its size prefix (one vectored write per response). */
  private write(chunks: Uint8Array[]): void {
    if (this.closed) return;
    let size = 0;
    for (const c of chunks) size += c.byteLength;
    const prefix = new Uint8Array(SIZE_PREFIX_BYTES);
    new DataView(prefix.buffer).setInt32(0, size);
    this.socket.cork();
    let ok = this.socket.write(prefix);
    for (const c of chunks) ok = this.socket.write(c);
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

function readInt32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) | 0;
}
