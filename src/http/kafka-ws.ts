// The Kafka protocol over WebSocket at `/kafka`: one binary message carries one
// request frame (the frame replaces TCP's 4-byte size prefix) and one binary
// message carries its response. Owns: the per-socket in-flight queue, answering in
// request order, and closing the socket (never the broker) on bad input.
// Must not parse requests: the shared KafkaHandler does.
//
// Rules:
// - A text message, a request the handler rejects (ProtocolError: garbage, unknown
//   API key, unsupported version, truncated frame) closes this socket only.
// - Requests are handled concurrently and answered strictly in request order; a
//   long-poll Fetch on one socket holds back only that socket's later responses.
// - At most maxInFlight requests per socket: WebSockets cannot be paused the way a
//   TCP socket can on uWS, so a client past the bound is closed (1008). Kafka
//   clients keep ≤ 5 in flight by default.
// - Responses wait in the queue while the socket has more than sendBufferBytes
//   queued; onDrain resumes them. Memory per socket is therefore bounded by
//   sendBufferBytes + maxInFlight responses.

import type { KafkaHandler } from '../kafka/handler.js';
import { ProtocolError } from '../kafka/handler.js';
import type { WsConnection, WsSession } from './transport.js';
import { logger } from '../util/logger.js';

export interface KafkaWsOptions {
  maxInFlight: number;
  sendBufferBytes: number;
}

interface Slot {
  done: boolean;
  response: Uint8Array | null;
}

export const WS_CLOSE_NORMAL = 1000;
export const WS_CLOSE_PROTOCOL_ERROR = 1002;
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
export const WS_CLOSE_POLICY_VIOLATION = 1008;
export const WS_CLOSE_INTERNAL_ERROR = 1011;

export class KafkaWsSession implements WsSession {
  private readonly abort = new AbortController();
  private readonly queue: Slot[] = [];
  private closed = false;

  constructor(
    private readonly conn: WsConnection,
    private readonly handler: KafkaHandler,
    private readonly opts: KafkaWsOptions,
    private readonly onClosed: () => void,
  ) {
    if (!(opts.maxInFlight >= 1 && opts.sendBufferBytes >= 1)) throw new Error('invalid Kafka WebSocket options');
  }

  get inFlight(): number {
    return this.queue.length;
  }

  onMessage(data: Uint8Array, isText: boolean): void {
    if (this.closed) return;
    if (isText) return this.fail(WS_CLOSE_UNSUPPORTED_DATA, 'text message: send each Kafka request frame as one binary message');
    if (this.queue.length >= this.opts.maxInFlight) {
      return this.fail(WS_CLOSE_POLICY_VIOLATION, `more than ${this.opts.maxInFlight} requests in flight on one socket`);
    }
    const slot: Slot = { done: false, response: null };
    this.queue.push(slot);
    let pending: Promise<Uint8Array | null>;
    try {
      pending = this.handler.handle(data, { signal: this.abort.signal });
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (response) => {
        slot.done = true;
        slot.response = response;
        this.flush();
      },
      (err: unknown) => {
        if (this.closed) return;
        if (err instanceof ProtocolError) {
          logger().debug({ err: err.message }, 'kafka websocket request rejected; closing the socket');
          this.fail(WS_CLOSE_PROTOCOL_ERROR, err.message);
        } else {
          logger().error({ err }, 'kafka websocket request failed');
          this.fail(WS_CLOSE_INTERNAL_ERROR, 'internal error');
        }
      },
    );
  }

  onDrain(): void {
    this.flush();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.abort.abort();
    this.onClosed();
  }

  /** Sends finished responses at the head of the queue, in order, while the socket keeps up. */
  private flush(): void {
    // Each iteration removes one slot: bounded by the queue length.
    while (!this.closed && this.queue.length > 0 && this.queue[0]!.done) {
      if (this.conn.bufferedAmount() > this.opts.sendBufferBytes) return; // resumed by onDrain
      const slot = this.queue.shift()!;
      if (slot.response !== null && !this.conn.send(slot.response)) return;
    }
  }

  private fail(code: number, reason: string): void {
    this.conn.close(code, reason);
    this.onClose();
  }
}
