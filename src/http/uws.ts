// The uWebSockets.js transport (the default). Owns: the uWS app, its listen socket,
// adapting uWS requests/responses and WebSockets to transport.ts's interfaces, and
// the uWS rules that keep the process alive:
// - every HttpResponse gets onAborted before the handler returns, and is never
//   touched after it fired (uWS would crash the process);
// - HttpRequest and the ArrayBuffers given to onData/message are valid only during
//   the callback: headers are copied up front, chunks and messages are copied;
// - writes made outside a uWS callback are corked;
// - a WebSocket is never used after its close callback (calls would throw).
// Must not know any route: http/server.ts supplies them.

import { STATUS_CODES } from 'node:http';
import type * as UwsNs from 'uWebSockets.js';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_listen_socket } from 'uWebSockets.js';
import {
  BodyTooLargeError,
  RequestAbortedError,
  matchPattern,
  type HttpExchange,
  type HttpRequestHead,
  type ListenOptions,
  type RespondOptions,
  type RunningTransport,
  type Transport,
  type UpgradeDecision,
  type WsConnection,
  type WsRoute,
  type WsSession,
} from './transport.js';
import { closeReason, concatBytes, parseContentLength } from './bytes.js';
import { logger } from '../util/logger.js';

type Uws = typeof UwsNs;

/** Bound on how long close() waits for pending exchanges to answer after their abort. */
const CLOSE_DRAIN_MS_MAX = 2_000;
/** uWS closes a WebSocket silent for this long (it pings automatically before that). */
const WS_IDLE_TIMEOUT_S = 120;

function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

function copyHeaders(req: HttpRequest): Map<string, string> {
  const headers = new Map<string, string>();
  req.forEach((k, v) => {
    // Repeated headers are joined as HTTP allows for list-valued ones.
    const prev = headers.get(k);
    headers.set(k, prev === undefined ? v : `${prev}, ${v}`);
  });
  return headers;
}

class UwsExchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  private readonly headers: Map<string, string>;
  readonly remoteAddress: string;
  private readonly abortController = new AbortController();
  private aborted = false;
  private done = false;
  private bodyRequested = false;
  /** True while the uWS request callback runs: readBody must be called then. */
  inHandler = true;
  private rejectBody: ((err: Error) => void) | null = null;

  constructor(
    private readonly res: HttpResponse,
    req: HttpRequest,
    private readonly onFinished: (ex: UwsExchange) => void,
  ) {
    this.method = req.getMethod().toUpperCase();
    this.path = req.getUrl();
    this.query = req.getQuery() ?? '';
    this.headers = copyHeaders(req);
    this.remoteAddress = Buffer.from(res.getRemoteAddressAsText()).toString();
    res.onAborted(() => {
      this.aborted = true;
      this.abortController.abort();
      this.rejectBody?.(new RequestAbortedError());
      this.rejectBody = null;
      this.finish();
    });
  }

  get signal(): AbortSignal {
    return this.abortController.signal;
  }

  get finished(): boolean {
    return this.done;
  }

  header(name: string): string {
    return this.headers.get(name) ?? '';
  }

  /** The listener is closing: ends long-polls; the handler still answers. */
  abortForShutdown(): void {
    this.abortController.abort();
  }

  readBody(maxBytes: number): Promise<Uint8Array> {
    if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    if (this.bodyRequested) throw new Error('readBody called twice');
    if (!this.inHandler) throw new Error('readBody must be called before the handler first awaits (uWS delivers the body only to an onData attached then)');
    this.bodyRequested = true;
    if (this.aborted) return Promise.reject(new RequestAbortedError());
    const declared = parseContentLength(this.header('content-length'));
    if (declared !== null && declared > maxBytes) return Promise.reject(new BodyTooLargeError(maxBytes));
    if (this.header('content-length') === '' && this.header('transfer-encoding') === '') return Promise.resolve(new Uint8Array(0));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.rejectBody = reject;
      const chunks: Uint8Array[] = [];
      let total = 0;
      let failed = false;
      this.res.onData((chunk, isLast) => {
        if (failed) return;
        total += chunk.byteLength;
        if (total > maxBytes) {
          failed = true;
          this.rejectBody = null;
          reject(new BodyTooLargeError(maxBytes));
          return;
        }
        // The ArrayBuffer is only valid during this call.
        if (chunk.byteLength > 0) chunks.push(new Uint8Array(chunk.slice(0)));
        if (isLast) {
          this.rejectBody = null;
          resolve(concatBytes(chunks, total));
        }
      });
    });
  }

  respond(status: number, contentType: string, body: string | Uint8Array, opts: RespondOptions = {}): void {
    if (this.done) return;
    this.finish();
    if (this.aborted) return;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      this.res.writeHeader('content-type', contentType);
      if (opts.headers !== undefined) for (const [k, v] of Object.entries(opts.headers)) this.res.writeHeader(k, v);
      this.res.end(body, opts.close === true);
    });
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onFinished(this);
  }
}

class UwsConnection implements WsConnection {
  private closed = false;
  readonly remoteAddress: string;

  constructor(private readonly ws: WebSocket<UserData>) {
    this.remoteAddress = Buffer.from(ws.getRemoteAddressAsText()).toString();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  markClosed(): void {
    this.closed = true;
  }

  send(data: string | Uint8Array): boolean {
    if (this.closed) return false;
    let result = 0;
    this.ws.cork(() => {
      result = typeof data === 'string' ? this.ws.send(data, false) : this.ws.send(data, true);
    });
    // 2 = dropped: the queue passed maxBackpressure. The stream has a hole, so end it.
    if (result === 2) {
      this.close(1011, 'send queue overflow');
      return false;
    }
    return true;
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.end(code, closeReason(reason));
  }
}

interface UserData {
  open: (conn: WsConnection) => WsSession;
  conn: UwsConnection | null;
  session: WsSession | null;
}

function headOf(res: HttpResponse, req: HttpRequest): HttpRequestHead {
  const headers = copyHeaders(req);
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: req.getQuery() ?? '',
    header: (name: string) => headers.get(name) ?? '',
    remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
  };
}

function addWsRoute(app: TemplatedApp, uws: Uws, route: WsRoute, sockets: Set<UwsConnection>): void {
  app.ws<UserData>(route.pattern, {
    maxPayloadLength: route.maxPayloadBytes,
    maxBackpressure: route.maxBackpressureBytes,
    closeOnBackpressureLimit: 0,
    idleTimeout: WS_IDLE_TIMEOUT_S,
    sendPingsAutomatically: true,
    compression: uws.DISABLED,
    upgrade: (res, req, context) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      const head = headOf(res, req);
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      let decision: UpgradeDecision;
      try {
        decision = route.upgrade(head, matchPattern(route.pattern, head.path) ?? {});
      } catch (err) {
        logger().error({ err, path: head.path }, 'websocket upgrade failed');
        decision = { accept: false, status: 500, contentType: 'application/json', body: '{"error_code":500,"message":"internal error"}' };
      }
      if (aborted) return;
      if (!decision.accept) {
        const d = decision;
        res.cork(() => {
          res.writeStatus(statusLine(d.status)).writeHeader('content-type', d.contentType).end(d.body, true);
        });
        return;
      }
      const userData: UserData = { open: decision.open, conn: null, session: null };
      res.cork(() => res.upgrade(userData, key, protocol, extensions, context));
    },
    open: (ws) => {
      const ud = ws.getUserData();
      const conn = new UwsConnection(ws);
      ud.conn = conn;
      sockets.add(conn);
      try {
        ud.session = ud.open(conn);
      } catch (err) {
        logger().error({ err }, 'websocket session failed to open');
        conn.close(1011, 'internal error');
      }
    },
    message: (ws, message, isBinary) => {
      const ud = ws.getUserData();
      if (ud.session === null || ud.conn === null || !ud.conn.isOpen) return;
      // The ArrayBuffer is only valid during this call.
      ud.session.onMessage(new Uint8Array(message.slice(0)), !isBinary);
    },
    drain: (ws) => {
      const ud = ws.getUserData();
      if (ud.conn !== null && ud.conn.isOpen) ud.session?.onDrain();
    },
    close: (ws) => {
      const ud = ws.getUserData();
      if (ud.conn !== null) {
        ud.conn.markClosed();
        sockets.delete(ud.conn);
      }
      const s = ud.session;
      ud.session = null;
      s?.onClose();
    },
  });
}

function createUwsTransport(uws: Uws): Transport {
  return {
    name: 'uws',
    listen(opts: ListenOptions): Promise<RunningTransport> {
      // uWS reads the PEM files itself (and fails to listen when it cannot).
      const app = opts.tls === undefined ? uws.App() : uws.SSLApp({ cert_file_name: opts.tls.certFile, key_file_name: opts.tls.keyFile, ...(opts.tls.passphrase !== '' ? { passphrase: opts.tls.passphrase } : {}) });
      const sockets = new Set<UwsConnection>();
      const pending = new Set<UwsExchange>();
      for (const route of opts.ws) addWsRoute(app, uws, route, sockets);
      app.any('/*', (res, req) => {
        const ex = new UwsExchange(res, req, (e) => pending.delete(e));
        pending.add(ex);
        try {
          opts.http(ex);
        } catch (err) {
          logger().error({ err, path: ex.path }, 'http handler threw');
          ex.respond(500, 'application/json', '{"error_code":500,"message":"internal error"}');
        } finally {
          ex.inHandler = false;
        }
      });
      return new Promise<RunningTransport>((resolve, reject) => {
        app.listen(opts.host, opts.port, (listenSocket: us_listen_socket | false) => {
          if (listenSocket === false) {
            app.close();
            reject(new Error(`cannot listen on ${opts.host}:${opts.port} (address in use or not available)`));
            return;
          }
          const port = uws.us_socket_local_port(listenSocket as unknown as UwsNs.us_socket);
          let closing: Promise<void> | null = null;
          resolve({
            name: 'uws',
            port,
            webSocketCount: () => sockets.size,
            close(): Promise<void> {
              closing ??= (async () => {
                uws.us_listen_socket_close(listenSocket);
                for (const s of [...sockets]) s.close(1001, 'server shutting down');
                for (const ex of [...pending]) ex.abortForShutdown();
                const deadline = Date.now() + CLOSE_DRAIN_MS_MAX;
                while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
                app.close();
              })();
              return closing;
            },
          });
        });
      });
    },
  };
}

/** Loads uWebSockets.js's module now (start-up; see preloadTransport); a failure is ignored here. */
export async function preloadUws(): Promise<void> {
  await import('uWebSockets.js').catch(() => undefined);
}

/** Loads uWebSockets.js (throws when its binary does not load here) and returns the transport. */
export async function loadUwsTransport(): Promise<Transport> {
  const mod = (await import('uWebSockets.js')) as unknown as { default?: Uws } & Uws;
  const uws: Uws = mod.default ?? mod;
  if (typeof uws.App !== 'function' || typeof uws.us_socket_local_port !== 'function') {
    throw new Error('uWebSockets.js loaded without App/us_socket_local_port');
  }
  return createUwsTransport(uws);
}
