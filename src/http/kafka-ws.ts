// The Kafka protocol over WebSocket at `/kafka`: one binary message carries one
// request frame (the frame replaces TCP's 4-byte size prefix) and one binary
// message carries its response. Owns: the per-socket in-flight queue, answering in
// request order, and closing the socket (never the broker) on bad input.
// Must not parse requests: the shared KafkaHandler does.
//
// Rules:
// - A text message, a request the handler rejects (ProtocolError: garbage, unknown
//   API key, unsupported version, truncated frame) closes this socket only.
// - Requests go through the same RequestPipeline as TCP connections (Kafka's
//   one-at-a-time semantics per connection, consecutive produces overlapping), so
//   the two framings behave alike; a long-poll Fetch holds back only its own
//   socket, never another.
// - At most maxInFlight requests per socket (in the pipeline or awaiting the
//   socket): WebSockets cannot be paused on uWS the way a TCP socket can, so a
//   client past the bound is closed (1008). Kafka clients keep ≤ 5 in flight.
// - Responses wait in an outbox while the socket has more than sendBufferBytes
//   queued; onDrain resumes them. Memory per socket is therefore bounded by
//   sendBufferBytes + maxInFlight responses.

import type { KafkaHandler } from '../kafka/handler.js';
import { ProtocolError } from '../kafka/handler.js';
import { RequestPipeline } from '../kafka/pipeline.js';
import { concatChunks } from '../wire/codec/writer.js';
import { bufferPool } from '../broker/buffer-pool.js';
import type { WsConnection, WsSession } from './transport.js';
import { logger } from '../util/logger.js';
import type { Session } from '../security/session.js';

export interface KafkaWsOptions {
  maxInFlight: number;
  sendBufferBytes: number;
}

export const WS_CLOSE_NORMAL = 1000;
export const WS_CLOSE_PROTOCOL_ERROR = 1002;
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
export const WS_CLOSE_POLICY_VIOLATION = 1008;
export const WS_CLOSE_INTERNAL_ERROR = 1011;

export class KafkaWsSession implements WsSession {
  private readonly pipeline: RequestPipeline;
  /** Responses in order, waiting for the socket's queue to shrink. */
  private readonly outbox: Uint8Array[] = [];
  private closed = false;

  constructor(
    private readonly conn: WsConnection,
    handler: KafkaHandler,
    private readonly opts: KafkaWsOptions,
    private readonly onClosed: () => void,
    session?: Session,
  ) {
    if (!(opts.maxInFlight >= 1 && opts.sendBufferBytes >= 1)) throw new Error('invalid Kafka WebSocket options');
    this.pipeline = new RequestPipeline(
      handler,
      {
        onResponse: (chunks) => {
          this.outbox.push(concatChunks(chunks));
          // The copy holds the bytes now: pooled read buffers can be reused.
          if (chunks.length > 1) bufferPool.giveAll(chunks);
          this.flush();
        },
        onError: (err) => this.onRequestError(err),
        onFreed: () => {},
        onDiscarded: (chunks) => bufferPool.giveAll(chunks),
      },
      // As the TCP listener names clients (Java's InetAddress.toString()).
      conn.remoteAddress === '' ? '' : `/${conn.remoteAddress}`,
      session,
    );
  }

  /** Requests received and not yet sent back. */
  get inFlight(): number {
    return this.pipeline.size + this.outbox.length;
  }

  onMessage(data: Uint8Array, isText: boolean): void {
    if (this.closed) return;
    if (isText) return this.fail(WS_CLOSE_UNSUPPORTED_DATA, 'text message: send each Kafka request frame as one binary message');
    if (this.inFlight >= this.opts.maxInFlight) {
      return this.fail(WS_CLOSE_POLICY_VIOLATION, `more than ${this.opts.maxInFlight} requests in flight on one socket`);
    }
    this.pipeline.submit(data);
  }

  onDrain(): void {
    this.flush();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.outbox.length = 0;
    this.pipeline.close();
    this.onClosed();
  }

  private onRequestError(err: unknown): void {
    if (this.closed) return;
    if (err instanceof ProtocolError) {
      logger().debug({ err: err.message }, 'kafka websocket request rejected; closing the socket');
      this.fail(WS_CLOSE_PROTOCOL_ERROR, err.message);
    } else {
      logger().error({ err }, 'kafka websocket request failed');
      this.fail(WS_CLOSE_INTERNAL_ERROR, 'internal error');
    }
  }

  /** Sends queued responses in order while the socket keeps up. */
  private flush(): void {
    // Each iteration removes one response: bounded by the outbox length.
    while (!this.closed && this.outbox.length > 0) {
      if (this.conn.bufferedAmount() > this.opts.sendBufferBytes) break; // resumed by onDrain
      if (!this.conn.send(this.outbox.shift()!)) break;
    }
    // No new request starts while responses wait for the socket (pipeline.ts, "Output bound").
    if (!this.closed) this.pipeline.setHeld(this.outbox.length > 0 || this.conn.bufferedAmount() > this.opts.sendBufferBytes);
  }

  private fail(code: number, reason: string): void {
    this.conn.close(code, reason);
    this.onClose();
  }
}
