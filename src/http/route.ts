// What every HTTP JSON route shares: the route and reply shapes, the context the
// routes run with, and the request helpers (JSON bodies, path and query parameters).
// api.ts holds the route table; consumer-routes.ts and table-routes.ts add theirs.
// Owns: those shapes and helpers. Must not hold a route itself nor know the transport
// beyond HttpExchange.

import type { Engine, TopicInfo } from '../broker/engine-api.js';
import { isValidTopicName } from '../wire/topic-name.js';
import type { AdminSources } from './admin.js';
import { HttpAcl } from './auth.js';
import { AclOperation } from '../security/acl.js';
import { fromUtf8Strict } from './bytes.js';
import { HttpError, HttpErrorCode, absentTopic, invalidBody, invalidOffsetOrPartition, partitionNotFound } from './errors.js';
import type { JsonProducer } from './produce.js';
import { parseJson } from './records-json.js';
import type { RestConsumers } from './rest-consumers.js';
import type { TableViews } from '../table/table-view.js';
import { BodyTooLargeError, type HttpExchange } from './transport.js';

/** Bodies of admin and consumer requests: small JSON. */
export const ADMIN_BODY_BYTES_MAX = 64 * 1024;

export interface ApiContext {
  engine: Engine;
  producer: JsonProducer;
  /** Partitions of a topic created by POST /topics without "partitions". */
  defaultPartitions: number;
  /** Health: true once every shard is ready (and the broker is not closing). */
  ready(): boolean;
  metrics(): Promise<string>;
  /** Counts requests being answered (for the connections gauge). */
  inFlight: { http_in_flight: number };
  /** ACL checks on the exchange's principal (http/auth.ts); default: none (everything allowed). */
  acl?: HttpAcl;
  /** Groups, shard statistics and the broker's identity for the admin views. */
  admin: AdminSources;
  /** Seconds since the listener started (GET /broker). */
  uptimeSeconds(): number;
  /** REST Proxy v2 consumer instances (POST /consumers/{g} …). */
  consumers: RestConsumers;
  /** Latest value per key of topics (GET /topics/{t}/table …). */
  tables: TableViews;
}

export interface Reply {
  status: number;
  body: unknown;
  contentType?: string;
  /** Already text or bytes (Prometheus exposition, the console page): sent as is. */
  raw?: boolean;
  headers?: Record<string, string>;
}

export type RouteFn = (ex: HttpExchange, params: Readonly<Record<string, string>>, ctx: ApiContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  pattern: string;
  run: RouteFn;
}

/** 204 with no body (REST Proxy's answer to consumer commands). */
export const NO_CONTENT: Reply = { status: 204, body: '', raw: true };

export function topicParam(params: Readonly<Record<string, string>>): string {
  const t = params.topic ?? '';
  return checkTopicName(t);
}

export function checkTopicName(t: string): string {
  const shown = JSON.stringify(t.length > 60 ? `${t.slice(0, 60)}…` : t);
  if (!isValidTopicName(t)) throw new HttpError(422, HttpErrorCode.INVALID_TOPIC_NAME, `invalid topic name ${shown}: use 1-249 of [a-zA-Z0-9._-], not "." or ".."`);
  return t;
}

const NO_ACL = new HttpAcl(undefined);

/** The context's ACL checks (every check passes when ACLs are off). */
export function aclOf(ctx: ApiContext): HttpAcl {
  return ctx.acl ?? NO_ACL;
}

/** The topic named in the path, after the ACL check for `op` on it (before its existence, so existence does not leak). */
export function existingTopic(ctx: ApiContext, params: Readonly<Record<string, string>>, ex: HttpExchange, op: number = AclOperation.DESCRIBE): TopicInfo {
  const name = topicParam(params);
  aclOf(ctx).requireTopic(ex, op, name);
  const info = ctx.engine.describeTopic(name);
  if (info === undefined) throw absentTopic(ctx.engine, name);
  return info;
}

export function partitionParam(info: TopicInfo, raw: string | undefined): number {
  const s = raw ?? '';
  if (!/^\d{1,9}$/.test(s)) throw invalidOffsetOrPartition(`partition must be a non-negative integer, got ${JSON.stringify(s)}`);
  const p = Number(s);
  if (p >= info.partitions) throw partitionNotFound(info.name, p, info.partitions);
  return p;
}

export function intQuery(q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d{1,16}$/.test(raw)) throw invalidBody(`query parameter ${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw invalidBody(`query parameter ${name} must be ${min}..${max}, got ${n}`);
  return n;
}

export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.byteLength === 0) throw invalidBody('request body is empty: expected JSON');
  const text = fromUtf8Strict(bytes);
  if (text === null) throw invalidBody('request body is not valid UTF-8');
  return parseJson(text, 'request body');
}

/** The raw body, at most ADMIN_BODY_BYTES_MAX (413 past it). Call before the first await. */
export function readSmallBody(ex: HttpExchange): Promise<Uint8Array> {
  return ex.readBody(ADMIN_BODY_BYTES_MAX).catch((err: unknown) => {
    if (err instanceof BodyTooLargeError) throw new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, `request body is larger than ${ADMIN_BODY_BYTES_MAX} bytes`);
    throw err;
  });
}

/** A small JSON admin body (POST /topics, configs, partitions). Call before the first await. */
export function readAdminBody(ex: HttpExchange): Promise<unknown> {
  return readSmallBody(ex).then(parseJsonBody);
}

/** A small JSON body that may be absent (undefined then). Call before the first await. */
export function readOptionalJsonBody(ex: HttpExchange): Promise<unknown> {
  return readSmallBody(ex).then((bytes) => (bytes.byteLength === 0 ? undefined : parseJsonBody(bytes)));
}

export function isObject(v: unknown): v is { [k: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
