// The per-connection request pipeline, independent of framing: the TCP connection
// and the WebSocket listener each keep one per client connection.
// Owns: when each request starts, and delivering responses strictly in request
// order. Must not touch sockets or parse bodies (beyond the 2-byte API key).
//
// Kafka processes one request per connection at a time, so a client may rely on
// a request seeing the effects of every earlier one on the same connection (a
// ListOffsets after an acks=0 produce sees it). Samsa keeps that, with one
// exception for throughput: consecutive Produce requests overlap (each starts its
// appends synchronously when it starts, so the engine still sees them in request
// order, and pipelined acks=-1 produces share one fsync). Any other request starts
// only once every earlier request has finished; a Produce after it waits for it.
// A long-poll Fetch therefore holds back later requests on its own connection (as
// in Kafka) but never other connections.
//
// Output bound: while the caller says its socket is backed up (setHeld), no request
// starts. Without it a client that pipelines Fetches and never reads made the broker
// build every response anyway: up to the in-flight limit (64) of them per connection,
// each as large as the client asked, all held in memory (the load test in
// docs/reliability.md reached 2 GiB with 20 such clients).

import type { ConnectionContext, KafkaHandler } from './handler.js';
import { Session } from '../security/session.js';

const PRODUCE_KEY = 0;
/** The api key is the request's first field, an i16 (REQUEST_HEADER_OFF_API_KEY). */
const API_KEY_BYTES = 2;

interface Slot {
  readonly frame: Uint8Array;
  readonly overlappable: boolean;
  started: boolean;
  done: boolean;
  chunks: Uint8Array[] | null;
}

export interface PipelineCallbacks {
  /** A response, in request order (chunks: large record sets by reference). */
  onResponse(chunks: Uint8Array[]): void;
  /** The request cannot be answered: the caller closes the connection. */
  onError(err: unknown): void;
  /** Requests finished and left the queue (with or without a response): re-check backpressure. */
  onFreed(): void;
  /**
   * A Produce request's handler resolved: every append it started has been copied
   * into a shard ring, so nothing reads its frame any more and the frame's buffer
   * may be reused. Only Produce: other APIs may keep views into their request
   * (a group member's metadata, for one).
   */
  onProduceFrameDone?(frame: Uint8Array): void;
  /** A response that will never be written (the pipeline closed first): release what it holds. */
  onDiscarded?(chunks: Uint8Array[]): void;
}

export class RequestPipeline {
  private readonly handler: KafkaHandler;
  private readonly callbacks: PipelineCallbacks;
  private readonly abort = new AbortController();
  private readonly queue: Slot[] = [];
  private running = 0;
  private runningExclusive = 0;
  private queuedBytes = 0;
  private closed = false;
  private held = false;

  /** Made once per connection: every request of it shares the signal and the session. */
  private readonly conn: ConnectionContext;

  /** fileRanges: the connection writes FileRange chunks itself (see ConnectionContext). */
  constructor(handler: KafkaHandler, callbacks: PipelineCallbacks, clientHost = '', session?: Session, fileRanges = false) {
    this.handler = handler;
    this.callbacks = callbacks;
    this.conn = { signal: this.abort.signal, clientHost, session: session ?? new Session(null, clientHost.replace(/^\//, '')), fileRanges };
  }

  /** The connection's security state (listener, principal, authentication, throttling). */
  get session(): Session {
    return this.conn.session!;
  }

  /** Requests received and not yet answered (bound this to apply backpressure). */
  get size(): number {
    return this.queue.length;
  }

  /** Bytes of the request frames received and not yet answered. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Accepts one request frame (no size prefix). */
  submit(frame: Uint8Array): void {
    if (this.closed) return;
    const overlappable = frame.byteLength >= API_KEY_BYTES && ((frame[0]! << 8) | frame[1]!) === PRODUCE_KEY;
    this.queue.push({ frame, overlappable, started: false, done: false, chunks: null });
    this.queuedBytes += frame.byteLength;
    this.pump();
  }

  /**
   * While held, no further request starts (those running finish and are answered):
   * the caller holds while its socket's output is backed up and releases on drain.
   */
  setHeld(held: boolean): void {
    if (this.held === held) return;
    this.held = held;
    if (!held) this.pump();
  }

  /** Drops pending work and aborts long-polls; later results are ignored. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const slot of this.queue) if (slot.chunks !== null) this.callbacks.onDiscarded?.(slot.chunks);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private pump(): void {
    // Start requests in arrival order while the rule allows (see the file comment).
    for (const slot of this.queue) {
      if (this.closed || this.held) return;
      if (slot.started) continue;
      const mayStart = this.running === 0 || (slot.overlappable && this.runningExclusive === 0);
      if (!mayStart) return;
      this.start(slot);
    }
  }

  private start(slot: Slot): void {
    slot.started = true;
    this.running++;
    if (!slot.overlappable) this.runningExclusive++;
    let result: Promise<Uint8Array[] | null>;
    try {
      result = this.handler.handleChunks(slot.frame, this.conn);
    } catch (err) {
      this.fail(err);
      return;
    }
    result.then(
      (chunks) => this.finish(slot, chunks),
      (err: unknown) => this.fail(err),
    );
  }

  private finish(slot: Slot, chunks: Uint8Array[] | null): void {
    if (this.closed) {
      if (chunks !== null) this.callbacks.onDiscarded?.(chunks);
      return;
    }
    slot.done = true;
    slot.chunks = chunks;
    if (slot.overlappable) this.callbacks.onProduceFrameDone?.(slot.frame);
    this.running--;
    if (!slot.overlappable) this.runningExclusive--;
    let freed = false;
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const head = this.queue.shift()!;
      this.queuedBytes -= head.frame.byteLength;
      freed = true;
      if (head.chunks !== null) this.callbacks.onResponse(head.chunks);
      if (this.closed) return;
    }
    this.pump();
    if (freed && !this.closed) this.callbacks.onFreed();
  }

  private fail(err: unknown): void {
    if (this.closed) return;
    this.close();
    this.callbacks.onError(err);
  }
}
