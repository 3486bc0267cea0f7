// The fallback transport: node:http for requests and the `ws` package for
// WebSockets, for platforms where the uWebSockets.js binary does not load (or when
// SAMSA_HTTP_TRANSPORT=node). Owns: the http.Server, upgrade routing, adapting
// IncomingMessage/ServerResponse and ws sockets to transport.ts's interfaces.
// Must not know any route: http/server.ts supplies them.
//
// Backpressure: `ws` has no drain event, so every send carries a callback (called
// once its bytes reached the kernel) that reports a drain to a session that asked
// for the buffered amount while it was non-zero. A socket whose queue passes the
// route's maxBackpressureBytes is closed, as uWS drops (and we then close) there.

import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
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

const CLOSE_DRAIN_MS_MAX = 2_000;
const WS_CLOSE_HANDSHAKE_MS_MAX = 500;
/** Header bytes node:http accepts (its default, stated so the bound is visible). */
const HEADER_BYTES_MAX = 16 * 1024;

function splitUrl(url: string): { path: string; query: string } {
  // Absolute-form targets (`GET http://host/x`) are rare but legal.
  let u = url;
  if (!u.startsWith('/')) {
    const i = u.indexOf('/', u.indexOf('//') + 2);
    u = i < 0 ? '/' : u.slice(i);
  }
  const q = u.indexOf('?');
  return q < 0 ? { path: u, query: '' } : { path: u.slice(0, q), query: u.slice(q + 1) };
}

function headerOf(req: IncomingMessage, name: string): string {
  const v = req.headers[name];
  if (v === undefined) return '';
  return Array.isArray(v) ? v.join(', ') : v;
}

class NodeExchange implements HttpExchange {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly remoteAddress: string;
  private readonly abortController = new AbortController();
  private aborted = false;
  private done = false;
  private bodyRequested = false;
  private rejectBody: ((err: Error) => void) | null = null;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly onFinished: (ex: NodeExchange) => void,
  ) {
    this.method = (req.method ?? 'GET').toUpperCase();
    this.remoteAddress = req.socket.remoteAddress ?? '';
    const { path, query } = splitUrl(req.url ?? '/');
    this.path = path;
    this.query = query;
    res.on('close', () => {
      if (res.writableFinished) return;
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
    return headerOf(this.req, name);
  }

  abortForShutdown(): void {
    this.abortController.abort();
  }

  readBody(maxBytes: number): Promise<Uint8Array> {
    if (!(Number.isInteger(maxBytes) && maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative integer, got ${maxBytes}`);
    if (this.bodyRequested) throw new Error('readBody called twice');
    this.bodyRequested = true;
    if (this.aborted) return Promise.reject(new RequestAbortedError());
    const declared = parseContentLength(this.header('content-length'));
    if (declared !== null && declared > maxBytes) return Promise.reject(new BodyTooLargeError(maxBytes));
    return new Promise<Uint8Array>((resolve, reject) => {
      this.rejectBody = reject;
      const chunks: Uint8Array[] = [];
      let total = 0;
      const onData = (chunk: Buffer): void => {
        total += chunk.byteLength;
        if (total > maxBytes) {
          cleanup();
          // Stop reading: the response closes the connection.
          this.req.pause();
          this.rejectBody = null;
          reject(new BodyTooLargeError(maxBytes));
          return;
        }
        chunks.push(chunk);
      };
      const onEnd = (): void => {
        cleanup();
        this.rejectBody = null;
        resolve(concatBytes(chunks, total));
      };
      const onError = (): void => {
        cleanup();
        this.rejectBody = null;
        reject(new RequestAbortedError());
      };
      const cleanup = (): void => {
        this.req.off('data', onData);
        this.req.off('end', onEnd);
        this.req.off('error', onError);
      };
      this.req.on('data', onData);
      this.req.on('end', onEnd);
      this.req.on('error', onError);
    });
  }

  respond(status: number, contentType: string, body: string | Uint8Array, opts: RespondOptions = {}): void {
    if (this.done) return;
    this.finish();
    if (this.aborted || this.res.destroyed) return;
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': bytes.byteLength };
    if (opts.headers !== undefined) Object.assign(headers, opts.headers);
    if (opts.close === true) headers.connection = 'close';
    this.res.writeHead(status, STATUS_CODES[status] ?? 'Unknown', headers);
    this.res.end(bytes);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onFinished(this);
  }
}

class NodeWsConnection implements WsConnection {
  private open = true;
  private drainWanted = false;
  session: WsSession | null = null;
  private readonly onSent = (): void => {
    if (!this.drainWanted || !this.open) return;
    this.drainWanted = false;
    this.session?.onDrain();
  };

  constructor(
    readonly ws: WebSocket,
    private readonly maxBackpressureBytes: number,
    readonly remoteAddress: string,
  ) {}

  get isOpen(): boolean {
    return this.open;
  }

  markClosed(): void {
    this.open = false;
  }

  send(data: string | Uint8Array): boolean {
    if (!this.open) return false;
    if (this.ws.bufferedAmount > this.maxBackpressureBytes) {
      this.close(1011, 'send queue overflow');
      return false;
    }
    this.ws.send(data, { binary: typeof data !== 'string' }, this.onSent);
    return true;
  }

  bufferedAmount(): number {
    if (!this.open) return 0;
    const n = this.ws.bufferedAmount;
    if (n > 0) this.drainWanted = true;
    return n;
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.ws.close(code, closeReason(reason));
  }
}

function rejectUpgrade(socket: Duplex, status: number, contentType: string, body: string): void {
  const bytes = Buffer.from(body, 'utf8');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\ncontent-type: ${contentType}\r\ncontent-length: ${bytes.byteLength}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function listen(opts: ListenOptions): Promise<RunningTransport> {
  const pending = new Set<NodeExchange>();
  const sockets = new Set<NodeWsConnection>();
  const servers = new Map<WsRoute, WebSocketServer>();
  for (const route of opts.ws) {
    servers.set(route, new WebSocketServer({ noServer: true, maxPayload: route.maxPayloadBytes, perMessageDeflate: false, clientTracking: false }));
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const ex = new NodeExchange(req, res, (e) => pending.delete(e));
    pending.add(ex);
    try {
      opts.http(ex);
    } catch (err) {
      logger().error({ err, path: ex.path }, 'http handler threw');
      ex.respond(500, 'application/json', '{"error_code":500,"message":"internal error"}');
    }
  };
  const tls = opts.tls;
  let server: Server;
  try {
    server =
      tls === undefined
        ? createServer({ maxHeaderSize: HEADER_BYTES_MAX }, onRequest)
        : (createHttpsServer(
            { maxHeaderSize: HEADER_BYTES_MAX, cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile), ...(tls.passphrase !== '' ? { passphrase: tls.passphrase } : {}) },
            onRequest,
          ) as unknown as Server);
  } catch {
    // Never OpenSSL's or fs's text: it could quote a file.
    return Promise.reject(new Error('the HTTPS listener cannot use ssl.certificate.location / ssl.key.location'));
  }
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  server.on('error', (err) => logger().warn({ err }, 'http listener error'));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const { path, query } = splitUrl(req.url ?? '/');
    const reqHead: HttpRequestHead = { method: (req.method ?? 'GET').toUpperCase(), path, query, header: (n) => headerOf(req, n), remoteAddress: req.socket.remoteAddress ?? '' };
    let route: WsRoute | undefined;
    let params: Record<string, string> | null = null;
    for (const r of opts.ws) {
      params = matchPattern(r.pattern, path);
      if (params !== null) {
        route = r;
        break;
      }
    }
    if (route === undefined || params === null) {
      rejectUpgrade(socket, 404, 'application/json', JSON.stringify({ error_code: 404, message: `no WebSocket endpoint at ${path}` }));
      return;
    }
    let decision: UpgradeDecision;
    try {
      decision = route.upgrade(reqHead, params);
    } catch (err) {
      logger().error({ err, path }, 'websocket upgrade failed');
      decision = { accept: false, status: 500, contentType: 'application/json', body: '{"error_code":500,"message":"internal error"}' };
    }
    if (!decision.accept) {
      rejectUpgrade(socket, decision.status, decision.contentType, decision.body);
      return;
    }
    const open = decision.open;
    const maxBackpressure = route.maxBackpressureBytes;
    servers.get(route)!.handleUpgrade(req, socket, head, (ws) => {
      const conn = new NodeWsConnection(ws, maxBackpressure, req.socket.remoteAddress ?? '');
      sockets.add(conn);
      ws.on('error', (err) => logger().debug({ err }, 'websocket error'));
      ws.on('close', () => {
        conn.markClosed();
        sockets.delete(conn);
        const s = conn.session;
        conn.session = null;
        s?.onClose();
      });
      ws.on('message', (data: RawData, isBinary: boolean) => {
        if (!conn.isOpen || conn.session === null) return;
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
        // ws hands each message its own buffer (or a view of a chunk nobody reuses).
        conn.session.onMessage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), !isBinary);
      });
      try {
        conn.session = open(conn);
      } catch (err) {
        logger().error({ err }, 'websocket session failed to open');
        conn.close(1011, 'internal error');
      }
    });
  });

  return new Promise<RunningTransport>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : opts.port;
      let closing: Promise<void> | null = null;
      resolve({
        name: 'node',
        port,
        webSocketCount: () => sockets.size,
        close(): Promise<void> {
          closing ??= (async () => {
            const closed = new Promise<void>((r) => server.close(() => r()));
            for (const s of [...sockets]) s.close(1001, 'server shutting down');
            for (const ex of [...pending]) ex.abortForShutdown();
            let deadline = Date.now() + CLOSE_DRAIN_MS_MAX;
            while (pending.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            deadline = Date.now() + WS_CLOSE_HANDSHAKE_MS_MAX;
            while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
            for (const s of [...sockets]) s.ws.terminate();
            server.closeAllConnections();
            for (const wss of servers.values()) wss.close();
            await closed;
          })();
          return closing;
        },
      });
    });
  });
}

export const nodeTransport: Transport = { name: 'node', listen };
