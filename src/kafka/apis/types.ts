// The contract between the request dispatcher (handler.ts) and one API's file.
// Owns: ApiDefinition, RequestContext and the resolved server options. Must not
// import an engine implementation (only the Engine type) nor any socket code.

import type { Engine } from '../../broker/engine-api.js';
import type { MessageCodec } from '../../wire/codec/compile.js';
import { pair } from '../../wire/schemas/index.js';
import type { GroupServices } from '../../groups/index.js';
import type { OutputBudget } from '../output-budget.js';
import type { FetchSessionCache } from '../fetch-sessions.js';
import type { TxnServices } from '../../txn/index.js';
import type { ProducerIdAllocator } from '../../txn/producer-id-allocator.js';
import { invariantFailed } from '../../wire/assert.js';
import type { Session } from '../../security/session.js';
import type { SecurityServices } from '../../security/services.js';

/** Options of the Kafka request handler, after defaults. */
export interface KafkaOptions {
  /** This broker's node id in Metadata and FindCoordinator. */
  nodeId: number;
  /** Host and port that clients are told to connect to (the TCP listener). */
  advertisedHost: string;
  advertisedPort: number;
  clusterId: string;
  /** Kafka's auto.create.topics.enable. */
  autoCreateTopics: boolean;
  /** Kafka's num.partitions: partitions of auto-created topics and CreateTopics with -1. */
  numPartitions: number;
  /** Upper bound on a Fetch long-poll, whatever the client asks. */
  fetchMaxWaitMsCap: number;
  /** socket.request.max.bytes, reported in DescribeConfigs for the broker. */
  requestMaxBytes: number;
  /** queued.max.response.bytes: Fetch reads stop while it is spent (output-budget.ts). */
  outputBudget?: OutputBudget;
  /** Incremental fetch sessions (KIP-227); createKafkaHandler makes one when none is given. */
  fetchSessions?: FetchSessionCache;
}

export interface RequestContext {
  readonly engine: Engine;
  readonly options: Readonly<KafkaOptions>;
  readonly producerIds: ProducerIdAllocator;
  readonly clientId: string | null;
  /** Aborted when the connection that sent the request goes away (ends long-polls). */
  readonly signal: AbortSignal;
  /** Consumer groups and committed offsets (shared by all handlers of this engine). */
  readonly groups: GroupServices;
  /** The transaction coordinator (shared by all handlers of this engine). */
  readonly txns: TxnServices;
  /** The client's address as seen by the listener (DescribeGroups reports it). */
  readonly clientHost: string;
  /** The connection's listener, principal and authentication state. */
  readonly session: Session;
  /** The user store and SASL settings (and, when configured, the authorizer and quotas). */
  readonly security: SecurityServices;
  /** Quota throttle this request earned so far (ms); the dispatcher puts it in the answer and mutes the connection. */
  throttleMs: number;
  /** The connection sends FileRange records itself (zero-copy Fetch); false: bytes only. */
  readonly fileRanges: boolean;
  /** Every served API with its version range (the ApiVersions answer). */
  readonly apiVersions: ReadonlyArray<{ apiKey: number; minVersion: number; maxVersion: number }>;
}

/**
 * One Kafka API as served by Samsa. `handle` returns the response body, or null for
 * "send no response" (Produce with acks=0). `errorResponse` builds the body that
 * carries one error code everywhere the schema has room for one; it is used when
 * `handle` throws.
 */
export interface ApiDefinition<Req extends object, Res extends object> {
  // Req is the decoded request; Res is what the response encoder takes (fields with a
  // default may be left out).
  /** Read from the schemas: Kafka's key, name and first flexible version. */
  readonly apiKey: number;
  readonly name: string;
  /** First flexible version (compact encodings, tagged fields); Infinity if none. */
  readonly flexibleFrom: number;
  /** The versions this file serves (a sub-range of what its schemas describe). */
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly request: MessageCodec<Req, object>;
  readonly response: MessageCodec<object, Res>;
  handle(ctx: RequestContext, request: Req, version: number): Promise<Res | null>;
  errorResponse(request: Req, version: number, errorCode: number): Res | null;
}

export type AnyApiDefinition = ApiDefinition<object, object>;

/** What an API file writes: its schemas, the versions it serves, and its handlers. */
export type ApiSpec<Req extends object, Res extends object> = Omit<ApiDefinition<Req, Res>, 'apiKey' | 'name' | 'flexibleFrom'>;

/** An API definition whose key, name and flexible version come from its schemas; checks the served range against them. */
export function defineApi<Req extends object, Res extends object>(spec: ApiSpec<Req, Res>): ApiDefinition<Req, Res> {
  const { apiKey, name } = pair(spec.request, spec.response);
  const problems: string[] = [];
  if (!Number.isInteger(spec.minVersion) || spec.minVersion > spec.maxVersion) problems.push(`bad served range ${spec.minVersion}-${spec.maxVersion}`);
  if (!spec.request.hasVersion(spec.minVersion) || !spec.request.hasVersion(spec.maxVersion)) problems.push('request schema lacks served versions');
  if (!spec.response.hasVersion(spec.minVersion) || !spec.response.hasVersion(spec.maxVersion)) problems.push('response schema lacks served versions');
  if (problems.length > 0) invariantFailed(`API ${name} (${apiKey}): ${problems.join('; ')}`);
  return { ...spec, apiKey, name, flexibleFrom: spec.request.flexibleFrom };
}
