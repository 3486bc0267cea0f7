// One Kafka listener (node:net, or node:tls for SSL and SASL_SSL): accepts
// connections and gives each a KafkaConnection over a shared KafkaHandler, with a
// Session naming the listener and, for a verified client certificate, the principal.
// Owns: the server socket, the set of live connections and shutdown. Must not parse
// requests.
//
// Bad clients at the TLS layer (a plaintext client on a TLS port, a failed or slow
// handshake, a certificate the CA does not sign under ssl.client.auth=required) are
// dropped by node:tls before a connection exists; each is logged at debug level
// with its reason and never reaches the handler.

import { type Server, type Socket, createServer } from 'node:net';
import { type TLSSocket, type TlsOptions, createServer as createTlsServer } from 'node:tls';
import type { Engine } from '../broker/engine-api.js';
import { type ListenerInfo, Session } from '../security/session.js';
import type { SecurityProtocol } from '../security/listeners.js';
import { type MappingRule, principalFromCertificate } from '../security/tls.js';
import { KafkaConnection } from './connection.js';
import type { OutputBudget } from './output-budget.js';
import type { ConnectionLimits } from './connection-limits.js';
import { type KafkaHandler, type KafkaHandlerOptions, type KafkaLogger, createKafkaHandler } from './handler.js';

export interface KafkaTcpServerOptions extends KafkaHandlerOptions {
  /** Interface to bind; default 0.0.0.0. */
  host?: string;
  /** Port to bind; 0 = any free port (see the returned `port`). Default 9092. */
  port?: number;
  /** Requests handled at once per connection before reading pauses. Default 64. */
  maxInFlightPerConnection?: number;
  /** Connections to this listener beyond this are refused (closed on accept). Default: no bound of its own. */
  maxConnections?: number;
  /** Broker-wide limits shared by every listener (max.connections, max.connections.per.ip). */
  limits?: ConnectionLimits;
  /** Kafka's connections.max.idle.ms: idle connections are closed. Default 600,000; 0 = never. */
  connectionsMaxIdleMs?: number;
  /** Bytes of pending requests per connection before reading pauses. Default: the request size limit. */
  maxInFlightBytesPerConnection?: number;
  /** queued.max.response.bytes: connections report their unsent backlog to it (and the Fetch API stops reading past it). Default: none. */
  outputBudget?: OutputBudget;
  /** Send large Fetch records from their segment files with sendfile (needs the native addon on Linux). Default true. */
  zeroCopy?: boolean;
  /** Kafka's socket.send.buffer.bytes: SO_SNDBUF of each connection; -1 or absent: the OS default. */
  sendBufferBytes?: number;
  /** Use this handler (e.g. shared with the WebSocket listener) instead of creating one. */
  handler?: KafkaHandler;
  /** The listener's name and security protocol (Kafka's listeners model). Default PLAINTEXT. */
  listener?: { name: string; protocol: SecurityProtocol };
  /** TLS server options (serverTlsOptions): required for SSL and SASL_SSL, refused otherwise. */
  tls?: TlsOptions;
  /** ssl.principal.mapping.rules, for SSL listeners with client certificates. Default: DEFAULT. */
  principalRules?: readonly MappingRule[];
}

export interface KafkaTcpServer {
  readonly host: string;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** The listener as its clients see it (advertised address after binding). */
  readonly listener: ListenerInfo;
  readonly handler: KafkaHandler;
  /** Live connections. */
  connectionCount(): number;
  /** The broker-wide budget of unsent response bytes, when one is set. */
  readonly outputBudget: OutputBudget | undefined;
  /** Stops accepting, closes every connection (ending long-polls) and resolves when the server is closed. */
  close(): Promise<void>;
}

export async function startKafkaTcpServer(engine: Engine, opts: KafkaTcpServerOptions = {}): Promise<KafkaTcpServer> {
  const host = opts.host ?? '0.0.0.0';
  const requestedPort = opts.port ?? 9092;
  const maxInFlight = opts.maxInFlightPerConnection ?? 64;
  const maxConnections = opts.maxConnections ?? Number.MAX_SAFE_INTEGER;
  const limits = opts.limits;
  const logger: KafkaLogger | undefined = opts.logger;
  const handler = opts.handler ?? createKafkaHandler(engine, opts);
  const requestMaxBytes = handler.options.requestMaxBytes;
  const connections = new Set<KafkaConnection>();
  const outputBudget = opts.outputBudget ?? handler.options.outputBudget;
  // SamsaEngine reports full shard rings; the Engine contract does not require it.
  const probe = (engine as { backpressured?: () => boolean }).backpressured;
  const engineBackpressured = typeof probe === 'function' ? () => probe.call(engine) : undefined;

  const protocol = opts.listener?.protocol ?? 'PLAINTEXT';
  const tlsListener = protocol === 'SSL' || protocol === 'SASL_SSL';
  if (tlsListener !== (opts.tls !== undefined)) throw new Error(`a ${protocol} listener ${tlsListener ? 'needs' : 'takes no'} TLS options`);
  const principalRules = opts.principalRules ?? [];
  // Set once the port is bound (advertised port 0 means the bound one).
  let listener: ListenerInfo = { name: opts.listener?.name ?? 'PLAINTEXT', protocol, advertisedHost: '', advertisedPort: 0 };

  const accept = (socket: Socket): void => {
    const clientAddress = socket.remoteAddress ?? '';
    if (connections.size >= maxConnections || (limits !== undefined && !limits.tryAcquire(clientAddress))) {
      socket.destroy();
      return;
    }
    const session = new Session(listener, clientAddress);
    if (protocol === 'SSL') {
      // Kafka: on an SSL listener a verified client certificate names the principal;
      // without one (ssl.client.auth=none/requested) the client is ANONYMOUS. An
      // unverified certificate never names anyone.
      const tlsSocket = socket as TLSSocket;
      if (tlsSocket.authorized) {
        const raw = tlsSocket.getPeerCertificate(false)?.raw;
        const principal = raw !== undefined ? principalFromCertificate(raw, principalRules) : null;
        if (principal !== null) session.principal = principal;
      }
    }
    const conn = new KafkaConnection(socket, handler, {
      requestMaxBytes,
      maxInFlight,
      idleTimeoutMs: opts.connectionsMaxIdleMs ?? 600_000,
      ...(opts.maxInFlightBytesPerConnection !== undefined ? { maxInFlightBytes: opts.maxInFlightBytesPerConnection } : {}),
      ...(engineBackpressured ? { engineBackpressured } : {}),
      ...(outputBudget ? { outputBudget } : {}),
      ...(opts.zeroCopy !== undefined ? { zeroCopy: opts.zeroCopy } : {}),
      ...(opts.sendBufferBytes !== undefined ? { sendBufferBytes: opts.sendBufferBytes } : {}),
      ...(logger ? { logger } : {}),
      session,
    });
    connections.add(conn);
    conn.onClose = () => {
      if (connections.delete(conn)) limits?.release(clientAddress);
    };
  };
  let server: Server;
  if (opts.tls !== undefined) {
    const tlsServer = createTlsServer({ ...opts.tls, noDelay: true } as TlsOptions, accept);
    tlsServer.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      // node:tls destroys the socket; say why at debug level (never the bytes it sent).
      logger?.debug?.({ listener: listener.name, client: socket.remoteAddress, code: err.code ?? 'TLS_ERROR', reason: tlsFailureReason(err) }, 'tls handshake failed; connection closed');
      socket.destroy();
    });
    server = tlsServer;
  } else {
    server = createServer({ noDelay: true }, accept);
  }
  // A failing accept must never take the process down.
  server.on('error', (err) => logger?.warn({ err }, 'kafka listener error'));

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(requestedPort, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : requestedPort;
  const advertisedHost = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' || host === '' ? 'localhost' : host);
  listener = { ...listener, advertisedHost, advertisedPort: opts.advertisedPort !== undefined && opts.advertisedPort !== 0 ? opts.advertisedPort : port };
  if (opts.handler === undefined && opts.advertisedPort === undefined) handler.setAdvertisedListener(advertisedHost, port);

  return {
    host,
    port,
    listener,
    handler,
    connectionCount: () => connections.size,
    outputBudget,
    close: () =>
      new Promise<void>((resolve) => {
        // A handler made here is this listener's: its coordinators' periodic work stops with it.
        if (opts.handler === undefined) handler.close?.();
        server.close(() => resolve());
        for (const c of [...connections]) c.close();
      }),
  };
}

/** Why a TLS handshake failed, in words that name no secret and quote no client bytes. */
function tlsFailureReason(err: Error & { code?: string }): string {
  const code = err.code ?? '';
  if (/WRONG_VERSION_NUMBER|HTTP_REQUEST|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG/.test(code) || /wrong version number|http request/i.test(err.message)) {
    return 'the client did not speak TLS (a plaintext client on a TLS listener?)';
  }
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(code)) return 'the client sent no certificate and ssl.client.auth=required';
  if (/CERTIFICATE|CERT_|VERIFY/.test(code)) return 'the client certificate was not accepted';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'the handshake did not finish in time';
  if (code === 'ECONNRESET') return 'the client closed the connection during the handshake';
  return 'handshake error';
}
