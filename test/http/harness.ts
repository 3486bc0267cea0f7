// Test harness for the HTTP/WebSocket listener: a real engine on a temporary
// directory, the Kafka handler, and the HTTP server on a free port with a chosen
// transport; small HTTP and WebSocket clients. Owns: test-only helpers; must not
// be imported from src/.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startEngine, type SamsaEngine } from '../../src/broker/engine.js';
import type { Engine, TopicConfig } from '../../src/broker/engine-api.js';
import { createKafkaHandler } from '../../src/kafka/handler.js';
import { BrokerMetrics } from '../../src/metrics/broker-metrics.js';
import { startHttpServer, type HttpServer, type HttpServerOptions } from '../../src/http/server.js';
import type { TransportName } from '../../src/http/transport.js';
import { setLogLevel } from '../../src/util/logger.js';

setLogLevel(process.env.SAMSA_TEST_LOG ? 'debug' : 'warn');

/** Every test file that uses this runs its cases once per transport. */
export const TRANSPORTS: readonly TransportName[] = ['uws', 'node'];

export interface HttpTestBroker {
  engine: SamsaEngine;
  dataDir: string;
  /** The engine as the listeners see it (counted for /metrics). */
  counted: Engine;
  http: HttpServer;
  metrics: BrokerMetrics;
  base: string;
  wsBase: string;
  close(): Promise<void>;
}

export interface HttpTestOptions extends Partial<Pick<HttpServerOptions, 'wsMaxInFlight' | 'wsSendBufferBytes' | 'consumeReadBytes' | 'defaultPartitions' | 'ready' | 'cors' | 'tableMemoryBytes'>> {
  topicDefaults?: Partial<TopicConfig>;
  requestMaxBytes?: number;
}

export async function startHttpTestBroker(transport: TransportName, opts: HttpTestOptions = {}): Promise<HttpTestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-http-test-'));
  const engine = await startEngine({ dataDir, shards: 1, pin: false, ...(opts.topicDefaults ? { topicDefaults: opts.topicDefaults } : {}) });
  const metrics = new BrokerMetrics();
  const counted = metrics.instrumentEngine(engine);
  const kafka = metrics.instrumentKafkaHandler(
    createKafkaHandler(counted, { advertisedHost: '127.0.0.1', ...(opts.requestMaxBytes !== undefined ? { requestMaxBytes: opts.requestMaxBytes } : {}) }),
  );
  let http: HttpServer;
  try {
    http = await startHttpServer({
      engine: counted,
      kafka,
      host: '127.0.0.1',
      port: 0,
      transport,
      introspection: engine,
      metrics,
      ...(opts.wsMaxInFlight !== undefined ? { wsMaxInFlight: opts.wsMaxInFlight } : {}),
      ...(opts.wsSendBufferBytes !== undefined ? { wsSendBufferBytes: opts.wsSendBufferBytes } : {}),
      ...(opts.consumeReadBytes !== undefined ? { consumeReadBytes: opts.consumeReadBytes } : {}),
      ...(opts.defaultPartitions !== undefined ? { defaultPartitions: opts.defaultPartitions } : {}),
      ...(opts.ready !== undefined ? { ready: opts.ready } : {}),
      ...(opts.cors !== undefined ? { cors: opts.cors } : {}),
      ...(opts.tableMemoryBytes !== undefined ? { tableMemoryBytes: opts.tableMemoryBytes } : {}),
      tableDir: join(dataDir, '.tables'),
    });
  } catch (err) {
    await engine.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    engine,
    dataDir,
    counted,
    http,
    metrics,
    base: `http://127.0.0.1:${http.port}`,
    wsBase: `ws://127.0.0.1:${http.port}`,
    async close() {
      await http.close();
      await engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** One HTTP request; `body` objects are sent as JSON with `contentType`. */
export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      (init.headers as Record<string, string>)['content-type'] = 'application/vnd.kafka.json.v2+json';
    }
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, headers: res.headers, text, json };
}

export interface WsMessage {
  data: Buffer;
  isBinary: boolean;
}

/** A WebSocket client that queues messages and exposes how it closed. */
export class WsClient {
  private readonly messages: WsMessage[] = [];
  private readonly waiters: Array<(m: WsMessage | null) => void> = [];
  private ended = false;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const m = { data, isBinary };
      const w = this.waiters.shift();
      if (w !== undefined) w(m);
      else this.messages.push(m);
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code: number, reason: Buffer) => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(null);
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
  }

  static open(url: string): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const c = new WsClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  /** Next message, or null when the socket closed first. */
  next(): Promise<WsMessage | null> {
    const m = this.messages.shift();
    if (m !== undefined) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async nextJson(): Promise<unknown> {
    const m = await this.next();
    if (m === null) throw new Error('socket closed before a message');
    return JSON.parse(m.data.toString()) as unknown;
  }

  get queued(): number {
    return this.messages.length;
  }

  send(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  close(): void {
    this.ws.close();
  }

  terminate(): void {
    this.ws.terminate();
  }
}

/** Expects an upgrade to be refused; returns the status and parsed JSON body. */
export async function refusedUpgrade(url: string): Promise<{ status: number; body: { error_code: number; message: string } }> {
  try {
    const c = await WsClient.open(url);
    c.close();
  } catch (err) {
    const e = err as { status?: number; body?: string };
    if (e.status === undefined) throw err;
    return { status: e.status, body: JSON.parse(e.body ?? '{}') as { error_code: number; message: string } };
  }
  throw new Error(`upgrade to ${url} was accepted`);
}

/** Polls `cond` every 10 ms, up to `maxMs`; for conditions without an event to await. */
export async function until(cond: () => boolean, maxMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
