// One client connection to a Kafka-protocol broker: version negotiation, request
// encoding, pipelining with a bounded number of requests in flight, responses
// matched by correlation id, and request timeouts. Owns: the correlation ids, the
// in-flight and waiting queues and the negotiated versions. Must not know any
// API's semantics (producer.ts, consumer.ts and admin.ts do) and must not import
// Node built-ins (the transport is chosen in transport.ts).
//
// Kafka answers the requests of one connection in order, so the in-flight queue is
// a FIFO: a response whose correlation id is not the oldest outstanding one means
// the stream is broken, and the connection is closed. A request that times out
// closes the connection too (a later answer could not be told apart), failing every
// outstanding request with a retriable ConnectionError.

import type { MessageCodec } from '../wire/codec/compile.js';
import { Reader } from '../wire/codec/reader.js';
import { Writer } from '../wire/codec/writer.js';
import { ApiVersionsResponseCodec, type ApiVersionsResponse } from '../wire/schemas/18-api-versions.js';
import { RequestHeaderCodec, ResponseHeaderCodec, requestHeaderVersion, responseHeaderVersion } from '../wire/schemas/headers.js';
import { SCHEMAS_BY_KEY } from '../wire/schemas/index.js';
import { AuthenticationError, ConnectionError, ErrorCode, KafkaError, kafkaError } from './errors.js';
import { openTransport } from './open-transport.js';
import { type SaslOptions, saslLogin } from './sasl.js';
import type { ClientTlsOptions, Transport, TransportFactory, TransportTarget } from './transport.js';

export const API_KEYS = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  DeleteRecords: 21,
  InitProducerId: 22,
  DescribeConfigs: 32,
  CreatePartitions: 37,
  SaslHandshake: 17,
  SaslAuthenticate: 36,
  ConsumerGroupDescribe: 69,
} as const;

/**
 * Highest version the client speaks per API where it is below what the schema
 * describes: Fetch v13 names topics by id, which this client does not track;
 * ListOffsets v10 adds a timeout for remote-storage reads that a 0 default would
 * make expire at once on a tiered Kafka broker, and v11 only adds a timestamp this
 * client never asks for.
 */
const CLIENT_MAX_VERSION: ReadonlyMap<number, number> = new Map([
  [API_KEYS.Fetch, 12],
  [API_KEYS.ListOffsets, 9],
]);
const API_VERSIONS_VERSION_MAX = 3;
const CLIENT_SOFTWARE_NAME = 'samsa-client';
const CLIENT_SOFTWARE_VERSION = '0.1.0';
const TIMEOUT_CHECK_INTERVAL_MS = 100;
/**
 * Re-authentication starts at this share of the session lifetime the broker granted,
 * plus up to REAUTH_JITTER of it (Kafka's clients pick 85–95 %): the requests in
 * flight then drain before the exchange, and a long poll must fit in what is left.
 */
const REAUTH_AT = 0.75;
const REAUTH_JITTER = 0.1;

export interface ConnectionOptions extends TransportTarget {
  clientId?: string;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  /** How long a request may wait for its answer (plus any long-poll time it asks for). Default 30 s. */
  requestTimeoutMs?: number;
  /** Requests sent and not yet answered, at most. Default 16. */
  maxInFlightRequests?: number;
  /** Requests waiting for an in-flight slot, at most (beyond it request() rejects). Default 10,000. */
  maxQueuedRequests?: number;
  /** Largest response frame accepted. Default 256 MiB. */
  maxResponseBytes?: number;
  /** A custom transport (tests, other framings). Default: TCP for `bootstrap`, WebSocket for `url`. */
  transport?: TransportFactory;
  /** TLS for `bootstrap` (SSL and SASL_SSL listeners). Node only. */
  tls?: ClientTlsOptions;
  /**
   * SASL login for SASL_PLAINTEXT / SASL_SSL listeners (PLAIN, SCRAM-SHA-256,
   * SCRAM-SHA-512), on every connection the client opens, renewed before the session
   * lifetime the broker grants runs out (KIP-368). A failure rejects with
   * AuthenticationError, which is not retried.
   */
  sasl?: SaslOptions;
}

interface ResolvedOptions {
  clientId: string;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  maxInFlightRequests: number;
  maxQueuedRequests: number;
  maxResponseBytes: number;
}

export function resolveConnectionOptions(o: ConnectionOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    clientId: o.clientId ?? 'samsa-client',
    connectTimeoutMs: o.connectTimeoutMs ?? 10_000,
    requestTimeoutMs: o.requestTimeoutMs ?? 30_000,
    maxInFlightRequests: o.maxInFlightRequests ?? 16,
    maxQueuedRequests: o.maxQueuedRequests ?? 10_000,
    maxResponseBytes: o.maxResponseBytes ?? 256 * 1024 * 1024,
  };
  for (const [k, v] of Object.entries(r)) {
    if (k !== 'clientId' && !(Number.isInteger(v) && (v as number) > 0)) throw new RangeError(`${k} must be a positive integer, got ${String(v)}`);
  }
  return r;
}

interface Pending {
  correlationId: number;
  apiKey: number;
  version: number;
  deadlineMs: number;
  codec: MessageCodec<object>;
  resolve: (v: object) => void;
  reject: (e: Error) => void;
}

interface Queued {
  pending: Pending;
  chunks: Uint8Array[];
  byteLength: number;
  timeoutMs: number;
}

export interface RequestOptions {
  /** Extra time on top of requestTimeoutMs (a long-poll's max wait). */
  extraTimeoutMs?: number;
}

export class Connection {
  private readonly transport: Transport;
  private readonly opts: ResolvedOptions;
  /** Negotiated version per API key. */
  private versions = new Map<number, number>();
  private nextCorrelationId = 1;
  private readonly inFlight: Pending[] = [];
  private inFlightHead = 0;
  private readonly waiting: Queued[] = [];
  private waitingHead = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closedError: Error | null = null;
  /** The login to renew (KIP-368), when the connection used SASL. */
  private sasl: SaslOptions | null = null;
  private reauthTimer: ReturnType<typeof setTimeout> | null = null;
  /** Set while a re-authentication waits for the in-flight requests to drain or runs: other requests wait. */
  private gated = false;
  /** The re-authentication's own requests are on the wire: only they may be sent. */
  private reauthRunning = false;
  private reauthCount = 0;
  /** Called once when the connection closes (for owners that reconnect). */
  onClose: ((err: Error) => void) | null = null;

  private constructor(transport: Transport, opts: ResolvedOptions) {
    this.transport = transport;
    this.opts = opts;
    transport.onFrame = (frame) => this.onFrame(frame);
    transport.onClose = (err) => this.fail(err ?? new ConnectionError('connection closed'));
    this.timer = setInterval(() => this.checkTimeouts(), TIMEOUT_CHECK_INTERVAL_MS);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Opens the transport and negotiates versions (ApiVersions first). */
  static async open(options: ConnectionOptions): Promise<Connection> {
    const opts = resolveConnectionOptions(options);
    const factory = options.transport ?? openTransport;
    const target: TransportTarget = {};
    if (options.url !== undefined) target.url = options.url;
    if (options.bootstrap !== undefined) target.bootstrap = options.bootstrap;
    const transport = await factory(target, { connectTimeoutMs: opts.connectTimeoutMs, maxFrameBytes: opts.maxResponseBytes, ...(options.tls !== undefined ? { tls: options.tls } : {}) });
    const conn = new Connection(transport, opts);
    try {
      await conn.negotiate();
      if (options.sasl !== undefined) {
        conn.sasl = options.sasl;
        conn.scheduleReauth(await saslLogin(conn, options.sasl));
      }
    } catch (err) {
      conn.close();
      // Which broker refused: a client may hold connections to several.
      if (err instanceof AuthenticationError) throw new AuthenticationError(`${options.bootstrap ?? options.url ?? 'broker'}: ${err.message}`, err.code);
      throw err;
    }
    return conn;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** How many times this connection has re-authenticated (KIP-368). */
  get reauthentications(): number {
    return this.reauthCount;
  }

  private scheduleReauth(lifetimeMs: number): void {
    if (lifetimeMs <= 0 || this.closedError !== null) return;
    const delayMs = Math.max(1, Math.floor(lifetimeMs * (REAUTH_AT + Math.random() * REAUTH_JITTER)));
    this.reauthTimer = setTimeout(() => {
      this.reauthTimer = null;
      this.gated = true;
      this.maybeReauth();
    }, delayMs);
    (this.reauthTimer as { unref?: () => void }).unref?.();
  }

  /** Runs the re-authentication once nothing is in flight (a broker may refuse other requests between its steps). */
  private maybeReauth(): void {
    if (!this.gated || this.closedError !== null || this.inFlight.length !== this.inFlightHead || this.sasl === null) return;
    const sasl = this.sasl;
    this.gated = false;
    this.reauthRunning = true;
    saslLogin(this, sasl).then(
      (lifetimeMs) => {
        this.reauthRunning = false;
        this.reauthCount++;
        this.scheduleReauth(lifetimeMs);
        this.pump();
      },
      (err: unknown) => {
        this.reauthRunning = false;
        this.fail(err instanceof Error ? err : new ConnectionError(String(err)));
      },
    );
  }

  /** The negotiated version of an API, or -1 when the broker and client share none. */
  version(apiKey: number): number {
    return this.versions.get(apiKey) ?? -1;
  }

  private async negotiate(): Promise<void> {
    // ApiVersions is sent at our highest version; a broker that does not know it
    // answers in v0 with UNSUPPORTED_VERSION and its list (KIP-511), and we retry.
    this.versions.set(API_KEYS.ApiVersions, API_VERSIONS_VERSION_MAX);
    let res: ApiVersionsResponse;
    try {
      res = await this.request<ApiVersionsResponse>(API_KEYS.ApiVersions, {
        clientSoftwareName: CLIENT_SOFTWARE_NAME,
        clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
      });
    } catch (err) {
      if (!(err instanceof UnsupportedApiVersionsError)) throw err;
      const theirs = err.response.apiKeys.find((k) => k.apiKey === API_KEYS.ApiVersions);
      const v = Math.min(theirs?.maxVersion ?? 0, API_VERSIONS_VERSION_MAX);
      this.versions.set(API_KEYS.ApiVersions, v);
      res = await this.request<ApiVersionsResponse>(API_KEYS.ApiVersions, { clientSoftwareName: CLIENT_SOFTWARE_NAME, clientSoftwareVersion: CLIENT_SOFTWARE_VERSION });
    }
    if (res.errorCode !== ErrorCode.NONE) throw kafkaError(res.errorCode, 'ApiVersions');
    const versions = new Map<number, number>();
    for (const theirs of res.apiKeys) {
      const schema = SCHEMAS_BY_KEY.get(theirs.apiKey);
      if (schema === undefined) continue;
      const ours = schema.request.versions;
      const ourMax = Math.min(ours.max, CLIENT_MAX_VERSION.get(theirs.apiKey) ?? Infinity);
      const v = Math.min(ourMax, theirs.maxVersion);
      if (v >= Math.max(ours.min, theirs.minVersion)) versions.set(theirs.apiKey, v);
    }
    this.versions = versions;
  }

  /**
   * Sends one request and resolves with its decoded response. Rejects with
   * KafkaError(UNSUPPORTED_VERSION) when the broker lacks the API, and with a
   * retriable ConnectionError when the connection fails or times out.
   */
  request<Res extends object>(apiKey: number, body: object, ro?: RequestOptions): Promise<Res> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const schema = SCHEMAS_BY_KEY.get(apiKey);
    const version = this.versions.get(apiKey);
    if (schema === undefined || version === undefined) {
      return Promise.reject(new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `the broker and this client share no version of API ${schema?.name ?? apiKey}`));
    }
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1;
    const w = new Writer(1024);
    const flexible = schema.request.isFlexible(version);
    RequestHeaderCodec.encode(w, { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.opts.clientId }, requestHeaderVersion(flexible));
    schema.request.encode(w, body, version);
    const byteLength = w.length;
    const chunks = w.finishChunks();
    return new Promise<Res>((resolve, reject) => {
      const pending: Pending = {
        correlationId,
        apiKey,
        version,
        deadlineMs: 0,
        codec: schema.response,
        resolve: resolve as (v: object) => void,
        reject,
      };
      const timeoutMs = this.opts.requestTimeoutMs + (ro?.extraTimeoutMs ?? 0);
      if (this.reauthRunning && (apiKey === API_KEYS.SaslHandshake || apiKey === API_KEYS.SaslAuthenticate)) {
        this.transmit(pending, chunks, byteLength, timeoutMs);
        return;
      }
      if (!this.held() && this.inFlight.length - this.inFlightHead < this.opts.maxInFlightRequests && this.waiting.length === this.waitingHead) {
        this.transmit(pending, chunks, byteLength, timeoutMs);
        return;
      }
      if (this.waiting.length - this.waitingHead >= this.opts.maxQueuedRequests) {
        reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `more than ${this.opts.maxQueuedRequests} requests queued on one connection`));
        return;
      }
      this.waiting.push({ pending, chunks, byteLength, timeoutMs });
    });
  }

  /**
   * Sends a request that gets no response (Produce with acks=0). Resolves once
   * handed to the transport.
   */
  sendOneWay(apiKey: number, body: object): void {
    if (this.closedError !== null) throw this.closedError;
    const schema = SCHEMAS_BY_KEY.get(apiKey);
    const version = this.versions.get(apiKey);
    if (schema === undefined || version === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `no shared version of API ${apiKey}`);
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = correlationId === 0x7fffffff ? 1 : correlationId + 1;
    const w = new Writer(1024);
    RequestHeaderCodec.encode(
      w,
      { requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: this.opts.clientId },
      requestHeaderVersion(schema.request.isFlexible(version)),
    );
    schema.request.encode(w, body, version);
    const byteLength = w.length;
    this.transport.send(w.finishChunks(), byteLength);
  }

  /** Requests in flight plus waiting. */
  outstanding(): number {
    return this.inFlight.length - this.inFlightHead + (this.waiting.length - this.waitingHead);
  }

  /** Bytes the transport has not yet handed to the OS. */
  bufferedBytes(): number {
    return this.transport.bufferedBytes();
  }

  private transmit(pending: Pending, chunks: Uint8Array[], byteLength: number, timeoutMs: number): void {
    pending.deadlineMs = Date.now() + timeoutMs;
    this.inFlight.push(pending);
    try {
      this.transport.send(chunks, byteLength);
    } catch (err) {
      this.fail(err instanceof Error ? err : new ConnectionError(String(err)));
    }
  }

  private onFrame(frame: Uint8Array): void {
    if (this.inFlightHead === this.inFlight.length) {
      this.fail(new ConnectionError('a response arrived with no request outstanding'));
      return;
    }
    const p = this.inFlight[this.inFlightHead]!;
    this.inFlight[this.inFlightHead] = undefined as unknown as Pending;
    this.inFlightHead++;
    if (this.inFlightHead === this.inFlight.length) {
      this.inFlight.length = 0;
      this.inFlightHead = 0;
    } else if (this.inFlightHead > 1024) {
      this.inFlight.splice(0, this.inFlightHead);
      this.inFlightHead = 0;
    }
    const correlationId = frame.length >= 4 ? new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0) : -1;
    if (correlationId !== p.correlationId) {
      p.reject(new ConnectionError(`response correlation id ${correlationId}, expected ${p.correlationId}`));
      this.fail(new ConnectionError('responses out of order: the stream is broken'));
      return;
    }
    let body: object;
    try {
      const r = new Reader(frame);
      ResponseHeaderCodec.decode(r, responseHeaderVersion(p.apiKey, p.codec.isFlexible(p.version)));
      if (p.apiKey === API_KEYS.ApiVersions && p.version > 0 && r.remaining() >= 2 && new DataView(frame.buffer, frame.byteOffset + r.pos, 2).getInt16(0) === ErrorCode.UNSUPPORTED_VERSION) {
        // KIP-511: the answer to an unsupported ApiVersions version is a v0 body.
        p.reject(new UnsupportedApiVersionsError(ApiVersionsResponseCodec.decode(r, 0)));
        this.pump();
        return;
      }
      body = p.codec.decode(r, p.version);
    } catch (err) {
      p.reject(new KafkaError(ErrorCode.CORRUPT_MESSAGE, `undecodable response to API ${p.apiKey} v${p.version}: ${(err as Error).message}`));
      this.pump();
      return;
    }
    p.resolve(body);
    this.pump();
  }

  /** True while a re-authentication keeps other requests waiting. */
  private held(): boolean {
    return this.gated || this.reauthRunning;
  }

  /** Moves waiting requests into free in-flight slots. */
  private pump(): void {
    if (this.held()) {
      this.maybeReauth();
      return;
    }
    while (this.waitingHead < this.waiting.length && this.inFlight.length - this.inFlightHead < this.opts.maxInFlightRequests && this.closedError === null) {
      const q = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead] = undefined as unknown as Queued;
      this.waitingHead++;
      this.transmit(q.pending, q.chunks, q.byteLength, q.timeoutMs);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting.length = 0;
      this.waitingHead = 0;
    }
  }

  private checkTimeouts(): void {
    const now = Date.now();
    for (let i = this.inFlightHead; i < this.inFlight.length; i++) {
      const p = this.inFlight[i]!;
      if (now > p.deadlineMs) {
        this.fail(new ConnectionError(`request ${p.correlationId} (API ${p.apiKey}) timed out`, ErrorCode.REQUEST_TIMED_OUT));
        return;
      }
    }
  }

  /** Closes the connection; outstanding requests fail with a ConnectionError. */
  close(): void {
    this.fail(new ConnectionError('connection closed by the client'));
  }

  private fail(err: Error): void {
    if (this.closedError !== null) return;
    this.closedError = err;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    if (this.reauthTimer !== null) clearTimeout(this.reauthTimer);
    this.reauthTimer = null;
    this.transport.close();
    const inFlight = this.inFlight.splice(this.inFlightHead);
    const waiting = this.waiting.splice(this.waitingHead);
    this.inFlight.length = 0;
    this.waiting.length = 0;
    this.inFlightHead = this.waitingHead = 0;
    for (const p of inFlight) p.reject(err);
    for (const q of waiting) q.pending.reject(err);
    this.onClose?.(err);
  }
}

/** ApiVersions answered in v0 with UNSUPPORTED_VERSION (internal to negotiation). */
class UnsupportedApiVersionsError extends KafkaError {
  readonly response: ApiVersionsResponse;
  constructor(response: ApiVersionsResponse) {
    super(ErrorCode.UNSUPPORTED_VERSION, 'ApiVersions version not supported by the broker');
    this.response = response;
  }
}

/** Lazily (re)opened connection shared by a client object: one open attempt at a time. */
export class ConnectionHolder {
  private readonly options: ConnectionOptions;
  private current: Connection | null = null;
  private opening: Promise<Connection> | null = null;
  private closedByOwner = false;

  constructor(options: ConnectionOptions) {
    this.options = options;
    resolveConnectionOptions(options); // validate now, not at first use
    if (options.url === undefined && options.bootstrap === undefined && options.transport === undefined) {
      throw new TypeError('a client needs `bootstrap` ("host:port") or `url` ("ws://host:port/kafka")');
    }
  }

  /** The open connection, opening one if there is none (or the last one closed). */
  get(): Promise<Connection> {
    if (this.closedByOwner) return Promise.reject(new ConnectionError('client closed'));
    const c = this.current;
    if (c !== null && !c.closed) return Promise.resolve(c);
    this.opening ??= Connection.open(this.options).then(
      (conn) => {
        this.opening = null;
        if (this.closedByOwner) {
          conn.close();
          throw new ConnectionError('client closed');
        }
        this.current = conn;
        return conn;
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  /** The connection if one is open now (no waiting). */
  peek(): Connection | null {
    const c = this.current;
    return c !== null && !c.closed ? c : null;
  }

  close(): void {
    this.closedByOwner = true;
    this.current?.close();
    this.current = null;
  }
}
