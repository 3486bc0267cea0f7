// The HTTP + WebSocket transport contract: "HTTP requests and WebSocket routes on one
// port", implemented twice — uws.ts (uWebSockets.js, the default) and node.ts
// (node:http + ws, the fallback) — and the choice between them.
// Owns: the interfaces the routes program against and selectTransport(). Must not
// know any route (http/server.ts wires them) nor any Kafka or engine type.
//
// Rules every implementation keeps:
// - An HttpExchange's body is read only through readBody(maxBytes), which enforces
//   the bound while the body streams in (a Content-Length over it fails at once);
//   the handler calls readBody synchronously, before its first await (uWS attaches
//   its onData then), or never.
// - A client that goes away aborts exchange.signal; respond() after that is a no-op.
// - WebSocket messages reach the session as owned bytes (copied out of the
//   transport's buffers); WsConnection.bufferedAmount() is what the socket has
//   queued, and onDrain() fires when it shrinks, so sessions can bound it.


/** What the handler sees of a request before its body. */
export interface HttpRequestHead {
  /** Upper-case: GET, POST, DELETE … */
  readonly method: string;
  /** The raw (percent-encoded) path, without the query. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query: string;
  /** A request header by lower-case name; '' when absent. */
  header(name: string): string;
  /** The client's IP address, as text ('' when unknown). */
  readonly remoteAddress: string;
  /** Who sent it, once an authentication layer (http/auth.ts) has said; absent = anonymous. */
  readonly principal?: string;
}

/** The request body is larger than the bound readBody was given. */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body is larger than ${maxBytes} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** The client went away before the body was read. */
export class RequestAbortedError extends Error {
  constructor() {
    super('request aborted by the client');
    this.name = 'RequestAbortedError';
  }
}

export interface RespondOptions {
  /** Extra response headers. */
  headers?: Readonly<Record<string, string>>;
  /** Close the connection after the response (e.g. after an unread oversized body). */
  close?: boolean;
}

export interface HttpExchange extends HttpRequestHead {
  /** Aborted when the client goes away or the listener closes. */
  readonly signal: AbortSignal;
  /** True once respond() was called (or the client went away). */
  readonly finished: boolean;
  /** Collects the body, failing with BodyTooLargeError past maxBytes. Call before the first await. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  /** Sends the whole response. At most once; a no-op after the client went away. */
  respond(status: number, contentType: string, body: string | Uint8Array, opts?: RespondOptions): void;
}

/**
 * An exchange that forwards everything to another: the base of wrappers that change
 * one thing about it (its principal in auth.ts, its response headers in cors.ts).
 */
export class ForwardingExchange implements HttpExchange {
  constructor(protected readonly inner: HttpExchange) {}

  get method(): string {
    return this.inner.method;
  }
  get path(): string {
    return this.inner.path;
  }
  get query(): string {
    return this.inner.query;
  }
  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get principal(): string | undefined {
    return this.inner.principal;
  }
  get signal(): AbortSignal {
    return this.inner.signal;
  }
  get finished(): boolean {
    return this.inner.finished;
  }
  header(name: string): string {
    return this.inner.header(name);
  }
  readBody(maxBytes: number): Promise<Uint8Array> {
    return this.inner.readBody(maxBytes);
  }
  respond(status: number, contentType: string, body: string | Uint8Array, opts?: RespondOptions): void {
    this.inner.respond(status, contentType, body, opts);
  }
}

export type HttpHandler = (exchange: HttpExchange) => void;

/** One accepted WebSocket, as a session sees it. */
export interface WsConnection {
  /** Sends a text (string) or binary (bytes) message; false when the socket is closed or the message was dropped. */
  send(data: string | Uint8Array): boolean;
  /** Bytes queued for this socket and not yet written to the kernel. */
  bufferedAmount(): number;
  /** Closes the socket with a close frame (idempotent). */
  close(code: number, reason: string): void;
  readonly isOpen: boolean;
  /** The peer's address, as text ('' when unknown). */
  readonly remoteAddress: string;
}

/** A session's callbacks; the transport calls them on its thread, never after onClose. */
export interface WsSession {
  /** One whole message; `data` is owned by the session. */
  onMessage(data: Uint8Array, isText: boolean): void;
  /** bufferedAmount() shrank (some queued bytes were written). */
  onDrain(): void;
  /** The socket closed (either side); called once. */
  onClose(): void;
}

export type UpgradeDecision =
  | { readonly accept: true; open(conn: WsConnection): WsSession }
  | { readonly accept: false; readonly status: number; readonly contentType: string; readonly body: string };

export interface WsRoute {
  /** `/kafka`, `/topics/:topic/produce`: literal segments and `:name` parameters (uWS syntax). */
  readonly pattern: string;
  /** Largest message accepted; a larger one closes the socket (1009). */
  readonly maxPayloadBytes: number;
  /**
   * Largest queue the transport itself may hold for one socket (uWS drops sends past
   * it). Sessions keep well below it; it is a backstop, not the bound.
   */
  readonly maxBackpressureBytes: number;
  /** Decides synchronously whether to accept an upgrade; `params` are decoded path parameters. */
  upgrade(head: HttpRequestHead, params: Readonly<Record<string, string>>): UpgradeDecision;
}

/** HTTPS / WSS: PEM files, as the Kafka listeners' ssl.* settings name them. */
export interface HttpTlsFiles {
  certFile: string;
  keyFile: string;
  /** The key's passphrase ('' = none). Never logged. */
  passphrase: string;
}

export interface ListenOptions {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Serve HTTPS and WSS instead of HTTP and WS. */
  tls?: HttpTlsFiles;
  http: HttpHandler;
  ws: readonly WsRoute[];
}

export interface RunningTransport {
  readonly name: TransportName;
  /** The bound port. */
  readonly port: number;
  /** Live WebSockets (all routes). */
  webSocketCount(): number;
  /** Stops accepting, closes WebSockets (1001) and aborts pending exchanges; resolves when closed. */
  close(): Promise<void>;
}

export type TransportName = 'uws' | 'node';

export interface Transport {
  readonly name: TransportName;
  listen(opts: ListenOptions): Promise<RunningTransport>;
}

/** Matches a path against a route pattern; returns decoded parameters or null. */
export function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith(':')) {
      if (g === '') return null;
      let decoded: string;
      try {
        decoded = decodeURIComponent(g);
      } catch {
        decoded = g; // left encoded: the route's own validation rejects it with a clear message
      }
      params[w.slice(1)] = decoded;
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}
