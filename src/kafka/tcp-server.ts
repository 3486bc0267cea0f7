// The Kafka TCP listener (node:net): accepts connections and gives each a
// KafkaConnection over a shared KafkaHandler. Owns: the server socket, the set of
// live connections and shutdown. Must not parse requests.

import { type Server, type Socket, createServer } from 'node:net';
import type { Engine } from '../broker/engine-api.js';
import { KafkaConnection } from './connection.js';
import type { OutputBudget } from './output-budget.js';
import { type KafkaHandler, type KafkaHandlerOptions, type KafkaLogger, createKafkaHandler } from './handler.js';

export interface KafkaTcpServerOptions extends KafkaHandlerOptions {
  /** Interface to bind; default 0.0.0.0. */
  host?: string;
  /** Port to bind; 0 = any free port (see the returned `port`). Default 9092. */
  port?: number;
  /** Requests handled at once per connection before reading pauses. Default 64. */
  maxInFlightPerConnection?: number;
  /** Connections beyond this are refused (closed on accept). Default 10,000. */
  maxConnections?: number;
  /** Kafka's connections.max.idle.ms: idle connections are closed. Default 600,000; 0 = never. */
  connectionsMaxIdleMs?: number;
  /** Bytes of pending requests per connection before reading pauses. Default: the request size limit. */
  maxInFlightBytesPerConnection?: number;
  /** queued.max.response.bytes: connections report their unsent backlog to it (and the Fetch API stops reading past it). Default: none. */
  outputBudget?: OutputBudget;
  /** Send large Fetch records from their segment files with sendfile (needs the native addon on Linux). Default true. */
  zeroCopy?: boolean;
  /** Use this handler (e.g. shared with the WebSocket listener) instead of creating one. */
  handler?: KafkaHandler;
}

export interface KafkaTcpServer {
  readonly host: string;
  /** The bound port (useful with port 0). */
  readonly port: number;
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
  const maxConnections = opts.maxConnections ?? 10_000;
  const logger: KafkaLogger | undefined = opts.logger;
  const handler = opts.handler ?? createKafkaHandler(engine, opts);
  const requestMaxBytes = handler.options.requestMaxBytes;
  const connections = new Set<KafkaConnection>();
  const outputBudget = opts.outputBudget ?? handler.options.outputBudget;
  // SamsaEngine reports full shard rings; the Engine contract does not require it.
  const probe = (engine as { backpressured?: () => boolean }).backpressured;
  const engineBackpressured = typeof probe === 'function' ? () => probe.call(engine) : undefined;

  const server: Server = createServer({ noDelay: true }, (socket: Socket) => {
    if (connections.size >= maxConnections) {
      socket.destroy();
      return;
    }
    const conn = new KafkaConnection(socket, handler, {
      requestMaxBytes,
      maxInFlight,
      idleTimeoutMs: opts.connectionsMaxIdleMs ?? 600_000,
      ...(opts.maxInFlightBytesPerConnection !== undefined ? { maxInFlightBytes: opts.maxInFlightBytesPerConnection } : {}),
      ...(engineBackpressured ? { engineBackpressured } : {}),
      ...(outputBudget ? { outputBudget } : {}),
      ...(opts.zeroCopy !== undefined ? { zeroCopy: opts.zeroCopy } : {}),
      ...(logger ? { logger } : {}),
    });
    connections.add(conn);
    conn.onClose = () => connections.delete(conn);
  });
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
  if (opts.handler === undefined && opts.advertisedPort === undefined) {
    const advertisedHost = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? 'localhost' : host);
    handler.setAdvertisedListener(advertisedHost, port);
  }

  return {
    host,
    port,
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
