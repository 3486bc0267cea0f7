// The Kafka request dispatcher, independent of framing: one request frame (without
// TCP's 4-byte size prefix) in, one response frame (or nothing) out. The TCP
// listener (tcp-server.ts) and the WebSocket listener both call it.
// Owns: header parsing, routing by API key/version, the ApiVersions
// unsupported-version answer, turning handler failures into error responses, and
// response framing (header + body). Must not touch sockets.
//
// Contract for callers: `handle`/`handleChunks` reject with ProtocolError when the
// connection must be closed (undecodable frame, unknown API key, unsupported
// version, a response that cannot be encoded); resolve null when no response is
// due (Produce acks=0); otherwise resolve the response bytes.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode } from '../wire/errors.js';
import { APIS } from './apis/index.js';
import type { AnyApiDefinition, KafkaOptions, RequestContext } from './apis/types.js';
import { DecodeError } from '../wire/codec/errors.js';
import { Reader } from '../wire/codec/reader.js';
import { Writer, concatChunks } from '../wire/codec/writer.js';
import { errorCodeOf } from './error-codes.js';
import { bufferPool } from '../broker/buffer-pool.js';
import { FileRange } from '../broker/file-range.js';
import { FetchSessionCache } from './fetch-sessions.js';
import type { GroupServicesOptions } from '../groups/index.js';
import { groupServicesFor } from '../groups/index.js';
import type { TxnCoordinatorOptions } from '../txn/coordinator.js';
import { txnServicesFor } from '../txn/index.js';
import { ApiVersionsResponseCodec } from '../wire/schemas/18-api-versions.js';
import {
  API_VERSIONS_KEY,
  REQUEST_HEADER_FIXED_BYTES,
  REQUEST_HEADER_OFF_API_KEY,
  REQUEST_HEADER_OFF_API_VERSION,
  REQUEST_HEADER_OFF_CORRELATION_ID,
  RequestHeaderCodec,
  ResponseHeaderCodec,
  requestHeaderVersion,
  responseHeaderVersion,
} from '../wire/schemas/headers.js';
import { assert } from '../wire/assert.js';
import { Session } from '../security/session.js';
import { type SecurityServices, defaultSecurityServices } from '../security/services.js';
import { quotaUser } from './apis/quota.js';

/** The request cannot be answered and the connection must be closed. */
export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}

/** Minimal logger (pino-compatible). */
export interface KafkaLogger {
  warn(obj: object, msg: string): void;
  debug?(obj: object, msg: string): void;
}

export type KafkaHandlerOptions = Partial<KafkaOptions> & {
  logger?: KafkaLogger;
  /** User store and SASL settings (default: in memory, SCRAM-SHA-256/512, no re-authentication). */
  security?: SecurityServices;
  /** Consumer group settings (used by the first handler created for an engine). */
  groups?: GroupServicesOptions;
  /** Transaction coordinator settings (used by the first handler created for an engine). */
  transactions?: Partial<TxnCoordinatorOptions>;
};

/** Per-connection context given with each frame (made once per connection). */
export interface ConnectionContext {
  /** Aborted when the connection closes; ends long-polls early. */
  readonly signal: AbortSignal;
  /** The client's address, for DescribeGroups (default ''). */
  readonly clientHost?: string;
  /** The connection's listener, principal and authentication state (default: an anonymous one per request). */
  readonly session?: Session;
  /**
   * The connection writes FileRange chunks itself (sendfile): Fetch may answer with
   * them. Only a connection that handles them may say so; anything else gets bytes.
   */
  readonly fileRanges?: boolean;
}

export interface KafkaHandler {
  /** One request frame → response frame (one array), null for none. */
  handle(frame: Uint8Array, conn: ConnectionContext): Promise<Uint8Array | null>;
  /** As handle, but the response as chunks (large record sets by reference) for vectored writes. */
  handleChunks(frame: Uint8Array, conn: ConnectionContext): Promise<Uint8Array[] | null>;
  /** The options in effect (after defaults). */
  readonly options: Readonly<KafkaOptions>;
  /** Sets the host/port advertised in Metadata (e.g. once a listener bound port 0). */
  setAdvertisedListener(host: string, port: number): void;
  /** Served APIs and versions, as ApiVersions reports them. */
  readonly apiVersions: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
  /** Stops the coordinators' periodic work (broker shutdown). */
  close?(): void;
}

export const DEFAULT_KAFKA_OPTIONS: Readonly<KafkaOptions> = {
  nodeId: 0,
  advertisedHost: 'localhost',
  advertisedPort: 9092,
  clusterId: 'samsa-single-node',
  autoCreateTopics: true,
  numPartitions: 1,
  fetchMaxWaitMsCap: 300_000,
  requestMaxBytes: 100 * 1024 * 1024,
};

const NO_LOGGER: KafkaLogger = { warn: () => {} };

const SASL_HANDSHAKE_KEY = 17;
const SASL_AUTHENTICATE_KEY = 36;

/**
 * Kafka's rules for a SASL listener: before authentication only ApiVersions and the
 * two SASL APIs are served; once the session's lifetime (connections.max.reauth.ms)
 * has passed, only a re-authentication is. Anything else closes the connection, as
 * Kafka does.
 */
function checkSession(session: Session, apiKey: number, name: string): void {
  const sasl = apiKey === SASL_HANDSHAKE_KEY || apiKey === SASL_AUTHENTICATE_KEY;
  if (!session.authenticated) {
    if (!sasl && apiKey !== API_VERSIONS_KEY) throw new ProtocolError(`${name} before SASL authentication on listener ${session.listener?.name ?? '?'}: closing the connection`);
    return;
  }
  if (!sasl && Date.now() >= session.expiresAtMs) {
    throw new ProtocolError(`${name} after the SASL session expired (connections.max.reauth.ms) without re-authentication: closing the connection`);
  }
}

/**
 * Lower minimum versions ApiVersions lists than are served, as Apache Kafka 4 does
 * (KAFKA-18659): librdkafka before 2.10 enables gzip, snappy and lz4 only when the
 * broker lists Produce v0-2 (it checks for those exact versions), so without this
 * kcat -z gzip and older confluent-kafka clients silently send uncompressed batches.
 * Requests at the unlisted-but-advertised versions are still refused.
 */
const ADVERTISED_MIN_VERSION: ReadonlyMap<number, number> = new Map([[0, 0]]);

export function createKafkaHandler(engine: Engine, opts: KafkaHandlerOptions = {}): KafkaHandler {
  const { logger = NO_LOGGER, groups: groupOptions, transactions: txnOptions, security = defaultSecurityServices(), ...rest } = opts;
  const options: KafkaOptions = { ...DEFAULT_KAFKA_OPTIONS };
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) (options as unknown as Record<string, unknown>)[k] = v;
  options.fetchSessions ??= new FetchSessionCache();
  if (!Number.isInteger(options.numPartitions) || options.numPartitions < 1) throw new Error(`numPartitions must be ≥ 1, got ${options.numPartitions}`);
  if (!Number.isInteger(options.nodeId) || options.nodeId < 0) throw new Error(`nodeId must be ≥ 0, got ${options.nodeId}`);

  const apis = new Map<number, AnyApiDefinition>();
  for (const api of APIS) {
    assert(!apis.has(api.apiKey), `API key ${api.apiKey} registered twice`);
    apis.set(api.apiKey, api);
  }
  const apiVersions = [...apis.values()]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((a) => ({ apiKey: a.apiKey, minVersion: ADVERTISED_MIN_VERSION.get(a.apiKey) ?? a.minVersion, maxVersion: a.maxVersion }));
  const groups = groupServicesFor(engine, groupOptions);
  const txns = txnServicesFor(engine, groups, txnOptions, (msg) => logger.warn({}, msg));
  const producerIds = txns.producerIds;
  // Transactions a crash left unfinished are completed from here on, not at a client's first request.
  txns.coordinator.ready().catch((err: unknown) => logger.warn({ err }, 'transaction state not loaded yet; retried at the next transactional request'));

  function respond(apiKey: number, version: number, flexible: boolean, correlationId: number, encodeBody: (w: Writer) => void): Uint8Array[] {
    const w = new Writer();
    try {
      ResponseHeaderCodec.encode(w, { correlationId }, responseHeaderVersion(apiKey, flexible));
      encodeBody(w);
    } catch (err) {
      logger.warn({ err, apiKey, version }, 'kafka response could not be encoded');
      throw new ProtocolError(`response to API ${apiKey} v${version} could not be encoded`, { cause: err });
    }
    return w.finishChunks();
  }

  async function handleChunks(frame: Uint8Array, conn: ConnectionContext): Promise<Uint8Array[] | null> {
    if (frame.byteLength < REQUEST_HEADER_FIXED_BYTES) throw new ProtocolError(`request of ${frame.byteLength} bytes is shorter than a header`);
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const apiKey = dv.getInt16(REQUEST_HEADER_OFF_API_KEY);
    const version = dv.getInt16(REQUEST_HEADER_OFF_API_VERSION);
    const correlationId = dv.getInt32(REQUEST_HEADER_OFF_CORRELATION_ID);
    const api = apis.get(apiKey);
    if (api === undefined) throw new ProtocolError(`unknown API key ${apiKey}`);
    if (version < api.minVersion || version > api.maxVersion) {
      if (apiKey === API_VERSIONS_KEY) {
        // KIP-511, as Kafka answers: v0, UNSUPPORTED_VERSION, and only ApiVersions' own
        // range, so the client retries ApiVersions at a version we serve and learns the rest.
        const own = apiVersions.filter((a) => a.apiKey === API_VERSIONS_KEY);
        return respond(apiKey, 0, false, correlationId, (w) =>
          ApiVersionsResponseCodec.encode(w, { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys: own, throttleTimeMs: 0 }, 0),
        );
      }
      throw new ProtocolError(`${api.name} v${version} is not supported (v${api.minVersion}-v${api.maxVersion})`);
    }
    const session = conn.session;
    // One test on the hot path: an authenticated session without a lifetime passes.
    if (session !== undefined && (!session.authenticated || session.expiresAtMs !== 0)) checkSession(session, apiKey, api.name);
    const flexible = version >= api.flexibleFrom;
    // Request quotas measure main-thread time (decode, the handler's synchronous part,
    // encode) only while some quota is set; SASL and ApiVersions are exempt, as in Kafka.
    const quotas = security.quotas;
    const timed = quotas !== undefined && quotas.active && apiKey !== API_VERSIONS_KEY && apiKey !== SASL_HANDSHAKE_KEY && apiKey !== SASL_AUTHENTICATE_KEY;
    const t0 = timed ? performance.now() : 0;
    let request: object;
    let clientId: string | null;
    try {
      const r = new Reader(frame);
      clientId = RequestHeaderCodec.decode(r, requestHeaderVersion(flexible)).clientId;
      request = api.request.decode(r, version);
    } catch (err) {
      if (err instanceof DecodeError) throw new ProtocolError(`${api.name} v${version} request is malformed: ${err.message}`, { cause: err });
      throw err;
    }
    const clientHost = conn.clientHost ?? '';
    const ctx: RequestContext = {
      engine,
      options,
      producerIds,
      clientId,
      signal: conn.signal,
      apiVersions,
      groups,
      clientHost,
      session: session ?? new Session(null, clientHost.replace(/^\//, '')),
      security,
      throttleMs: 0,
      fileRanges: conn.fileRanges === true,
      txns,
    };
    let response: object | null;
    let threadMs = 0;
    try {
      const pending = api.handle(ctx, request, version);
      if (timed) threadMs = performance.now() - t0;
      response = await pending;
    } catch (err) {
      const code = errorCodeOf(err);
      if (code === ErrorCode.UNKNOWN_SERVER_ERROR) logger.warn({ err, api: api.name, version }, 'kafka handler failed');
      try {
        response = api.errorResponse(request, version, code);
      } catch (inner) {
        throw new ProtocolError(`${api.name} v${version}: no error response possible`, { cause: inner });
      }
    }
    if (!timed) {
      if (response === null) return null;
      const body = response;
      return respond(apiKey, version, flexible, correlationId, (w) => api.response.encode(w, body, version));
    }
    // Encoding is not timed: the throttle must be known before the answer is encoded.
    const throttleMs = throttle(ctx, threadMs);
    if (response === null) return null;
    const body = response;
    if (throttleMs > 0 && 'throttleTimeMs' in body) {
      // KIP-219: the answer says how long the client should wait; the connection is muted as long.
      const b = body as { throttleTimeMs: number };
      b.throttleTimeMs = Math.max(b.throttleTimeMs, throttleMs);
    }
    return respond(apiKey, version, flexible, correlationId, (w) => api.response.encode(w, body, version));
  }

  /** The request's throttle: its byte-rate throttle and its request-time one; mutes the connection that long. */
  function throttle(ctx: RequestContext, threadMs: number): number {
    const q = ctx.security.quotas!;
    let t = ctx.throttleMs;
    const applied = q.resolve(quotaUser(ctx.session.principal), ctx.clientId ?? '', 'request_percentage');
    const now = Date.now();
    // Recorded as percent-seconds of one thread, so the rate is a percentage (Kafka's unit).
    if (applied !== null) t = Math.max(t, q.record(applied, threadMs / 10, now, q.requestThrottleMaxMs));
    if (t > 0) ctx.session.throttleUntilMs = Math.max(ctx.session.throttleUntilMs, now + t);
    return t;
  }

  return {
    options,
    apiVersions,
    handleChunks,
    async handle(frame, conn) {
      const chunks = await handleChunks(frame, conn);
      if (chunks === null) return null;
      // A caller that asked for file ranges writes the chunks itself (handleChunks).
      for (const c of chunks) if (c instanceof FileRange) throw new ProtocolError('a file range reached a caller that needs bytes');
      if (chunks.length === 1) return chunks[0]!;
      const out = concatChunks(chunks);
      // The copy holds the bytes now: pooled read buffers can be reused.
      bufferPool.giveAll(chunks);
      return out;
    },
    setAdvertisedListener(host, port) {
      options.advertisedHost = host;
      options.advertisedPort = port;
    },
    close() {
      txns.coordinator.close();
    },
  };
}
