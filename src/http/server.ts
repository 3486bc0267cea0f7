// The HTTP + WebSocket listener (default port 8080): composes the chosen transport
// with the JSON API, the Kafka-over-WebSocket route and the JSON streams.
// Owns: the route set, per-route connection counts, the listener's lifecycle.
// Must not implement a protocol itself (api.ts, kafka-ws.ts, streams.ts do) nor
// touch files.

import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine } from '../broker/engine-api.js';
import type { KafkaHandler } from '../kafka/handler.js';
import { type GroupServices, groupServicesFor } from '../groups/index.js';
import { isValidTopicName } from '../wire/topic-name.js';
import { BrokerMetrics, type EngineIntrospection } from '../metrics/broker-metrics.js';
import { logger } from '../util/logger.js';
import { API_CONTENT_TYPE, createApiHandler } from './api.js';
import { type CorsPolicy, withCors } from './cors.js';
import { HttpError, HttpErrorCode, absentTopic, invalidBody, invalidOffsetOrPartition, partitionNotFound } from './errors.js';
import { KafkaWsSession } from './kafka-ws.js';
import { JsonProducer } from './produce.js';
import { formatFromParam, type EmbeddedFormat } from './records-json.js';
import { ConsumeStreamSession, ProduceStreamSession, newStreamStats, type StartPosition, type StreamStats } from './streams.js';
import { selectTransport } from './select-transport.js';
import type { HttpRequestHead, HttpTlsFiles, TransportName, UpgradeDecision, WsRoute } from './transport.js';
import { HttpAcl, authenticateHead, clientAddressOf, withAuth } from './auth.js';
import type { HttpAuthenticator } from '../security/http-auth.js';
import type { Authorizer } from '../security/acl.js';
import { AclOperation } from '../security/acl.js';
import { Session } from '../security/session.js';
import { RestConsumers } from './rest-consumers.js';
import { TableViews } from '../table/table-view.js';
import { TableChangesSession } from './table-stream.js';

export interface HttpServerOptions {
  engine: Engine;
  /** Handler for `/kafka` (shared with the TCP listener). */
  kafka: KafkaHandler;
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Shard statistics for /metrics (SamsaEngine provides them). */
  introspection?: EngineIntrospection;
  metrics?: BrokerMetrics;
  /** Default: uws unless it fails to load, or SAMSA_HTTP_TRANSPORT. */
  transport?: TransportName | 'auto';
  /** Partitions for POST /topics without "partitions" (num.partitions). Default 1. */
  defaultPartitions?: number;
  /** Requests awaiting an answer per WebSocket before it is closed (1008). Default 64. */
  wsMaxInFlight?: number;
  /** A WebSocket's queued bytes above which sending pauses until it drains. Default 1 MiB. */
  wsSendBufferBytes?: number;
  /** Bytes a consume stream asks of the log per read. Default 256 KiB. */
  consumeReadBytes?: number;
  /** Health beyond "listening": e.g. every shard ready. Default: always. */
  ready?: () => boolean;
  /** CORS for the JSON API (cors.ts, parseCorsOrigins); null or absent = off. */
  cors?: CorsPolicy | null;
  /** HTTPS and WSS with these PEM files; absent = plain HTTP. */
  tls?: HttpTlsFiles;
  /** `http.auth`: credentials required on every route but /healthz and on every WebSocket; absent = none. */
  auth?: HttpAuthenticator | null;
  /** ACLs (the Kafka listeners' authorizer), applied to REST and WebSocket users alike. */
  authorizer?: Authorizer;
  /** The consumer groups the Kafka handler serves; default: the engine's (groupServicesFor). */
  groups?: GroupServices;
  /** REST consumer instances unused this long are deleted (consumer.instance.timeout.ms). Default 5 min. */
  consumerInstanceTimeoutMs?: number;
  /** REST consumer instances at most. Default 1000. */
  consumerInstancesMax?: number;
  /** Scratch directory of the table views' spilled key runs (emptied at start). Default: a new one under the OS temp dir. */
  tableDir?: string;
  /** Memory of one table view's in-memory key map before it spills to tableDir (table.memory.bytes). Default 64 MiB. */
  tableMemoryBytes?: number;
}

export interface ConnectionCounts {
  kafka_ws: number;
  ws_produce: number;
  ws_consume: number;
  /** HTTP requests being answered (uWS does not expose HTTP connection counts). */
  http_in_flight: number;
}

export interface HttpServer {
  readonly port: number;
  /** True when serving HTTPS / WSS. */
  readonly tls: boolean;
  readonly transport: TransportName;
  /** Why this transport (for the start line and the README). */
  readonly transportReason: string;
  connectionCounts(): ConnectionCounts;
  /** Consume-stream backpressure counters. */
  streamStats(): Readonly<StreamStats>;
  close(): Promise<void>;
}

const WS_MAX_IN_FLIGHT_DEFAULT = 64;
const WS_SEND_BUFFER_BYTES_DEFAULT = 1024 * 1024;
const CONSUME_READ_BYTES_DEFAULT = 256 * 1024;
const CONSUME_WAIT_MS = 30_000;
/** Largest produce-stream message: max.message.bytes can be configured up to this (config.ts). */
const PRODUCE_MESSAGE_BYTES_MAX = 8 * 1024 * 1024;
/** The consume stream takes no input beyond small keep-alives. */
const CONSUME_MESSAGE_BYTES_MAX = 4 * 1024;

function reject(e: HttpError): UpgradeDecision {
  return { accept: false, status: e.status, contentType: API_CONTENT_TYPE, body: e.toJson() };
}

function guard(fn: () => UpgradeDecision): UpgradeDecision {
  try {
    return fn();
  } catch (err) {
    if (err instanceof HttpError) return reject(err);
    throw err;
  }
}

function startPosition(q: URLSearchParams): StartPosition {
  const offset = q.get('offset');
  const from = q.get('from');
  const timestamp = q.get('timestamp');
  const given = [offset, from, timestamp].filter((v) => v !== null).length;
  if (given > 1) throw invalidOffsetOrPartition('give one of offset=, from= and timestamp=');
  if (offset !== null) {
    if (!/^\d{1,16}$/.test(offset) || !Number.isSafeInteger(Number(offset))) throw invalidOffsetOrPartition(`offset must be a non-negative integer, got ${JSON.stringify(offset)}`);
    return { kind: 'offset', offset: Number(offset) };
  }
  if (timestamp !== null) {
    if (!/^\d{1,16}$/.test(timestamp)) throw invalidOffsetOrPartition(`timestamp must be milliseconds since the epoch, got ${JSON.stringify(timestamp)}`);
    return { kind: 'timestamp', timestampMs: Number(timestamp) };
  }
  if (from === null || from === 'end' || from === 'latest') return { kind: 'end' };
  if (from === 'beginning' || from === 'earliest') return { kind: 'beginning' };
  throw invalidOffsetOrPartition(`from must be beginning or end, got ${JSON.stringify(from)}`);
}

export async function startHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const { engine, kafka } = opts;
  const metrics = opts.metrics ?? new BrokerMetrics();
  const wsMaxInFlight = opts.wsMaxInFlight ?? WS_MAX_IN_FLIGHT_DEFAULT;
  const sendBufferBytes = opts.wsSendBufferBytes ?? WS_SEND_BUFFER_BYTES_DEFAULT;
  const consumeReadBytes = opts.consumeReadBytes ?? CONSUME_READ_BYTES_DEFAULT;
  if (!(Number.isInteger(wsMaxInFlight) && wsMaxInFlight >= 1)) throw new RangeError(`wsMaxInFlight must be ≥ 1, got ${wsMaxInFlight}`);
  if (!(Number.isInteger(sendBufferBytes) && sendBufferBytes >= 1024)) throw new RangeError(`wsSendBufferBytes must be ≥ 1024, got ${sendBufferBytes}`);
  const maxBackpressureBytes = 4 * sendBufferBytes + 1024 * 1024;

  const counts: ConnectionCounts = { kafka_ws: 0, ws_produce: 0, ws_consume: 0, http_in_flight: 0 };
  const auth = opts.auth ?? null;
  const acl = new HttpAcl(opts.authorizer);
  const stats = newStreamStats();
  const producer = new JsonProducer(engine);
  let closing = false;

  /** The upgrade's principal, or throws the 401/429 to answer. */
  const who = (head: HttpRequestHead): string => {
    const p = authenticateHead(auth, head);
    if (p instanceof HttpError) throw p;
    return p;
  };

  const kafkaRoute: WsRoute = {
    pattern: '/kafka',
    maxPayloadBytes: kafka.options.requestMaxBytes,
    maxBackpressureBytes,
    upgrade: (head: HttpRequestHead) =>
      guard(() => {
        // Kafka over WebSocket runs as the HTTP principal: the handler's ACL checks apply to it.
        const principal = who(head);
        return {
          accept: true,
          open: (conn) => {
            counts.kafka_ws++;
            const session = new Session(null, clientAddressOf(head), principal);
            return new KafkaWsSession(conn, kafka, { maxInFlight: wsMaxInFlight, sendBufferBytes }, () => counts.kafka_ws--, session);
          },
        };
      }),
  };

  const streamTopic = (head: HttpRequestHead, params: Readonly<Record<string, string>>, op: number): string => {
    const topic = params.topic ?? '';
    const shown = JSON.stringify(topic.slice(0, 60));
    if (!isValidTopicName(topic)) throw new HttpError(422, HttpErrorCode.INVALID_TOPIC_NAME, `invalid topic name ${shown}`);
    acl.requireTopic(head, op, topic);
    if (engine.describeTopic(topic) === undefined) throw absentTopic(engine, topic);
    return topic;
  };

  const produceRoute: WsRoute = {
    pattern: '/topics/:topic/produce',
    maxPayloadBytes: PRODUCE_MESSAGE_BYTES_MAX,
    maxBackpressureBytes,
    upgrade: (head: HttpRequestHead, params) =>
      guard(() => {
        const principal = who(head);
        const topic = streamTopic({ ...head, principal }, params, AclOperation.WRITE);
        const format: EmbeddedFormat = formatFromParam(new URLSearchParams(head.query).get('format'));
        return {
          accept: true,
          open: (conn) => {
            counts.ws_produce++;
            return new ProduceStreamSession(conn, producer, topic, format, wsMaxInFlight, sendBufferBytes, () => counts.ws_produce--);
          },
        };
      }),
  };

  const consumeRoute: WsRoute = {
    pattern: '/topics/:topic/consume',
    maxPayloadBytes: CONSUME_MESSAGE_BYTES_MAX,
    maxBackpressureBytes,
    upgrade: (head: HttpRequestHead, params) =>
      guard(() => {
        const principal = who(head);
        const topic = streamTopic({ ...head, principal }, params, AclOperation.READ);
        const info = engine.describeTopic(topic)!;
        const q = new URLSearchParams(head.query);
        const rawPartition = q.get('partition') ?? '0';
        if (!/^\d{1,9}$/.test(rawPartition)) throw invalidOffsetOrPartition(`partition must be a non-negative integer, got ${JSON.stringify(rawPartition)}`);
        const partition = Number(rawPartition);
        if (partition >= info.partitions) throw partitionNotFound(topic, partition, info.partitions);
        const start = startPosition(q);
        if (start.kind === 'offset') {
          const o = engine.offsets(topic, partition);
          if (start.offset < o.logStartOffset || start.offset > o.highWatermark) {
            throw invalidOffsetOrPartition(`offset ${start.offset} is outside the log of ${topic}-${partition}: valid offsets are ${o.logStartOffset}..${o.highWatermark}`);
          }
        }
        const format = formatFromParam(q.get('format'));
        return {
          accept: true,
          open: (conn) => {
            counts.ws_consume++;
            return new ConsumeStreamSession(
              conn,
              engine,
              { topic, partition, start, format, sendBufferBytes, readBytes: consumeReadBytes, waitMs: CONSUME_WAIT_MS },
              stats,
              () => counts.ws_consume--,
            );
          },
        };
      }),
  };

  const { transport, reason } = await selectTransport(opts.transport);
  const startedAtMs = Date.now();
  const groups = opts.groups ?? groupServicesFor(engine);
  const consumers = new RestConsumers({
    engine,
    groups,
    ...(opts.consumerInstanceTimeoutMs !== undefined ? { instanceTimeoutMs: opts.consumerInstanceTimeoutMs } : {}),
    ...(opts.consumerInstancesMax !== undefined ? { maxInstances: opts.consumerInstancesMax } : {}),
  });
  const tables = new TableViews({
    engine,
    dir: opts.tableDir ?? join(tmpdir(), `samsa-tables-${process.pid}-${randomUUID()}`),
    ...(opts.tableMemoryBytes !== undefined ? { memoryBytes: opts.tableMemoryBytes } : {}),
  });
  tables.startCompacted();
  const apiHandler = createApiHandler({
    engine,
    producer,
    defaultPartitions: opts.defaultPartitions ?? 1,
    ready: () => !closing && (opts.ready?.() ?? true),
    metrics: () => metrics.render(opts.introspection),
    inFlight: counts,
    acl,
    admin: {
      engine,
      groups,
      introspection: opts.introspection,
      broker: () => ({ nodeId: kafka.options.nodeId, clusterId: kafka.options.clusterId, host: kafka.options.advertisedHost, port: kafka.options.advertisedPort }),
      transport: () => transport.name,
    },
    uptimeSeconds: () => (Date.now() - startedAtMs) / 1000,
    consumers,
    tables,
  });

  const tableChangesRoute: WsRoute = {
    pattern: '/topics/:topic/table/changes',
    maxPayloadBytes: CONSUME_MESSAGE_BYTES_MAX,
    maxBackpressureBytes,
    upgrade: (head: HttpRequestHead, params) =>
      guard(() => {
        const principal = who(head);
        const topic = streamTopic({ ...head, principal }, params, AclOperation.READ);
        const q = new URLSearchParams(head.query);
        const format = formatFromParam(q.get('format'));
        const snapshotParam = q.get('snapshot');
        if (snapshotParam !== null && snapshotParam !== 'true' && snapshotParam !== 'false') throw invalidBody(`snapshot must be true or false, got ${JSON.stringify(snapshotParam.slice(0, 20))}`);
        return {
          accept: true,
          open: (conn) => {
            counts.ws_consume++;
            return new TableChangesSession(
              conn,
              engine,
              tables,
              { topic, format, snapshot: snapshotParam === 'true', sendBufferBytes, readBytes: consumeReadBytes, waitMs: CONSUME_WAIT_MS },
              stats,
              () => counts.ws_consume--,
            );
          },
        };
      }),
  };

  let running;
  try {
    running = await transport.listen({
      host: opts.host,
      port: opts.port,
      // CORS outside authentication: a browser's preflight carries no credentials.
      http: withCors(withAuth(apiHandler, auth), opts.cors ?? null),
      ws: [kafkaRoute, produceRoute, consumeRoute, tableChangesRoute],
      ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    });
  } catch (err) {
    await consumers.close();
    await tables.close();
    throw err;
  }
  logger().info({ transport: transport.name, reason, port: running.port, tls: opts.tls !== undefined }, `http/websocket listener on ${transport.name}${opts.tls !== undefined ? ' (TLS)' : ''}`);

  metrics.addConnectionSource('kafka_ws', () => counts.kafka_ws);
  metrics.addConnectionSource('ws_produce', () => counts.ws_produce);
  metrics.addConnectionSource('ws_consume', () => counts.ws_consume);
  metrics.addConnectionSource('http_in_flight', () => counts.http_in_flight);
  metrics.addGauge('ws_consume_pauses_total', 'Times a consume stream paused for a slow socket', () => stats.consumePauses, 'counter');

  return {
    port: running.port,
    tls: opts.tls !== undefined,
    transport: transport.name,
    transportReason: reason,
    connectionCounts: () => ({ ...counts }),
    streamStats: () => ({ ...stats }),
    async close(): Promise<void> {
      closing = true;
      await running.close();
      // After the listener: no request can create or use an instance or a table any more.
      await consumers.close();
      await tables.close();
      // Only the metrics it made itself: a broker's are closed by the broker.
      if (opts.metrics === undefined) metrics.close();
    },
  };
}
