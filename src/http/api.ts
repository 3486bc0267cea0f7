// The HTTP JSON API (Confluent REST Proxy v2 / Redpanda HTTP Proxy shapes), health
// and metrics. Owns: the route table, request validation, and the response bodies.
// Must not know which transport runs it (it sees HttpExchange only), nor touch files.
//
// Routes (docs/http.md is the reference, with the error code table):
//   GET  /                      endpoint list
//   GET  /healthz               200 {"status":"ok"} once every shard is ready, else 503
//   GET  /metrics               Prometheus text
//   GET  /topics                ["name", …]
//   POST /topics                {name, partitions?, configs?} → 201 topic
//   GET  /topics/{t}            {name, configs, partitions:[{partition, leader, replicas}]}
//   POST /topics/{t}            produce {"records":[…]} → {"offsets":[…]}
//   DELETE /topics/{t}
//   GET  /topics/{t}/offsets    [{partition, beginning_offset, end_offset}]
//   GET  /topics/{t}/partitions[/{p}]
//   POST /topics/{t}/partitions/{p}            produce to one partition
//   GET  /topics/{t}/partitions/{p}/offsets    {beginning_offset, end_offset}
//   GET  /topics/{t}/partitions/{p}/records?offset=&timeout=&max_bytes=
//   GET  /console (and GET / for browsers)     the web console page
//   GET  /broker, /stats/topics, /topics/{t}/stats, /topics/{t}/configs, /groups[/{g}]
//   POST /topics/{t}/configs, /topics/{t}/partitions; DELETE /groups/{g}   (admin.ts)
//   /consumers/{g}[/instances/{i}/…]   REST Proxy v2 consumers (consumer-routes.ts)
//   GET  /topics/{t}/table[/{key}]     the latest value per key (table-routes.ts)
//
// With ACLs on (authorizer.class.name), routes need what the Kafka APIs need: listing
// shows the topics the principal may DESCRIBE; describe/offsets/partitions DESCRIBE,
// produce WRITE, records READ, DELETE delete, POST /topics CREATE (cluster or topic),
// /metrics and /broker DESCRIBE on the cluster; topic stats DESCRIBE, configs
// DESCRIBE_CONFIGS / ALTER_CONFIGS, adding partitions ALTER; a group DESCRIBE (its
// offsets list only the topics the principal may DESCRIBE) or DELETE; /groups and
// /stats/topics list only what the principal may DESCRIBE; else 403 (40301). The check
// comes before the topic's or group's existence, so existence does not leak.

import type { TopicInfo } from '../broker/engine-api.js';
import { parseTopicConfigEntries } from '../config/topic-config.js';
import { alterConfigs, brokerInfo, configEntriesOf, deleteGroup, describeGroup, groupParam, growPartitions, listGroups, topicConfigs, topicStats, topicsStats } from './admin.js';
import { acceptsGzip, consolePage, prefersHtml } from './console-page.js';
import { ErrorCode } from '../wire/errors.js';
import { isValidTopicName } from '../wire/topic-name.js';
import { logger } from '../util/logger.js';
import {
  HttpError,
  HttpErrorCode,
  bodyTooLarge,
  fromEngineError,
  invalidBody,
  invalidOffsetOrPartition,
  isServerFault,
  topicNotFound,
} from './errors.js';
import { recordsFrom } from './read.js';
import { contentTypeOf, formatFromAccept, formatFromContentType, parseProduceBody, renderRecord } from './records-json.js';
import { type ApiContext, type Reply, type Route, aclOf, existingTopic, intQuery, partitionParam, parseJsonBody, readAdminBody, topicParam } from './route.js';
import { CONSUMER_ROUTES } from './consumer-routes.js';
import { TABLE_ROUTES } from './table-routes.js';

export type { ApiContext } from './route.js';
import { BodyTooLargeError, RequestAbortedError, matchPattern, type HttpExchange, type HttpHandler } from './transport.js';
import { AclOperation as Op, AclResourceType } from '../security/acl.js';

export const API_CONTENT_TYPE = 'application/vnd.kafka.v2+json';
const JSON_CONTENT_TYPE = 'application/json';
export const RECORDS_TIMEOUT_MS_DEFAULT = 1_000;
export const RECORDS_TIMEOUT_MS_MAX = 300_000;
export const RECORDS_MAX_BYTES_DEFAULT = 1024 * 1024;
export const RECORDS_MAX_BYTES_MAX = 64 * 1024 * 1024;
/** Long-poll rounds per GET …/records (each waits for an append or the deadline). */
const LONG_POLL_ROUNDS_MAX = 1_000;

function describe(info: TopicInfo): object {
  const configs: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.config)) configs[k] = String(v);
  const partitions = [];
  for (let p = 0; p < info.partitions; p++) partitions.push(partitionInfo(p));
  return { name: info.name, configs, partitions };
}

function partitionInfo(p: number): object {
  return { partition: p, leader: 0, replicas: [{ broker: 0, leader: true, in_sync: true }] };
}

async function consoleReply(ex: HttpExchange): Promise<Reply> {
  const page = await consolePage();
  if (page === null) throw new HttpError(404, HttpErrorCode.NOT_FOUND, 'the web console is not in this build (dist/console/index.html is missing: run npm run build)');
  const headers: Record<string, string> = { etag: page.etag, 'cache-control': 'no-cache', vary: 'accept, accept-encoding', 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' };
  if (ex.header('if-none-match') === page.etag) return { status: 304, body: '', raw: true, headers, contentType: 'text/html; charset=utf-8' };
  const gzip = acceptsGzip(ex.header('accept-encoding'));
  if (gzip) headers['content-encoding'] = 'gzip';
  return { status: 200, body: gzip ? page.gzip : page.html, raw: true, headers, contentType: 'text/html; charset=utf-8' };
}

async function readProduce(ex: HttpExchange, ctx: ApiContext, info: TopicInfo, partition: number | undefined): Promise<Reply> {
  const format = formatFromContentType(ex.header('content-type'));
  const limit = info.config['max.message.bytes'];
  // Called before the first await: uWS needs onData attached now.
  const body = ex.readBody(limit).catch((err: unknown) => {
    if (err instanceof BodyTooLargeError) throw bodyTooLarge(limit, 'request body');
    throw err;
  });
  const records = parseProduceBody(parseJsonBody(await body), format);
  const offsets = await ctx.producer.produce(info.name, records, partition);
  return { status: 200, body: { key_schema_id: null, value_schema_id: null, offsets } };
}

// ---------------------------------------------------------------- routes

const ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: '/',
    run: (ex) =>
      // Browsers navigating here get the console; API clients (curl's */*, JSON) the endpoint list.
      prefersHtml(ex.header('accept'))
        ? consoleReply(ex)
        : { status: 200, contentType: JSON_CONTENT_TYPE, body: { name: 'samsa', console: '/console', endpoints: ROUTES.map((r) => `${r.method} ${r.pattern}`).concat(['WS /kafka', 'WS /topics/:topic/produce', 'WS /topics/:topic/consume', 'WS /topics/:topic/table/changes']) } },
  },
  {
    method: 'GET',
    pattern: '/console',
    run: (ex) => consoleReply(ex),
  },
  {
    method: 'GET',
    pattern: '/broker',
    run: async (ex, _p, ctx) => {
      aclOf(ctx).requireCluster(ex, Op.DESCRIBE);
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: await brokerInfo(ctx.admin, ctx.uptimeSeconds()) };
    },
  },
  {
    method: 'POST',
    pattern: '/broker/scrub',
    run: async (ex, _p, ctx) => {
      // A maintenance action on the whole broker: ALTER on the cluster, as Kafka's cluster-wide admin changes.
      aclOf(ctx).requireCluster(ex, Op.ALTER);
      const scrub = ctx.admin.introspection?.scrub;
      if (scrub === undefined) throw new HttpError(404, HttpErrorCode.NOT_FOUND, 'this engine has no scrub');
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: await scrub.call(ctx.admin.introspection) };
    },
  },
  {
    method: 'GET',
    pattern: '/broker/scrub',
    run: (ex, _p, ctx) => {
      aclOf(ctx).requireCluster(ex, Op.DESCRIBE);
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: { last: ctx.admin.introspection?.lastScrub ?? null } };
    },
  },
  {
    method: 'GET',
    pattern: '/stats/topics',
    run: async (ex, _p, ctx) => ({ status: 200, contentType: JSON_CONTENT_TYPE, body: await topicsStats(ctx.admin, aclOf(ctx).view(ex)) }),
  },
  {
    method: 'GET',
    pattern: '/groups',
    run: async (ex, _p, ctx) => ({ status: 200, contentType: JSON_CONTENT_TYPE, body: await listGroups(ctx.admin, aclOf(ctx).view(ex)) }),
  },
  {
    method: 'GET',
    pattern: '/groups/:group',
    run: async (ex, params, ctx) => {
      aclOf(ctx).requireGroup(ex, Op.DESCRIBE, groupParam(params.group));
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: await describeGroup(ctx.admin, params.group, aclOf(ctx).view(ex)) };
    },
  },
  {
    method: 'DELETE',
    pattern: '/groups/:group',
    run: async (ex, params, ctx) => {
      aclOf(ctx).requireGroup(ex, Op.DELETE, groupParam(params.group));
      return { status: 200, contentType: JSON_CONTENT_TYPE, body: await deleteGroup(ctx.admin, params.group) };
    },
  },
  {
    method: 'GET',
    pattern: '/healthz',
    run: (_ex, _p, ctx) => (ctx.ready() ? { status: 200, contentType: JSON_CONTENT_TYPE, body: { status: 'ok' } } : { status: 503, contentType: JSON_CONTENT_TYPE, body: { status: 'unavailable' } }),
  },
  {
    method: 'GET',
    pattern: '/metrics',
    run: async (ex, _p, ctx) => {
      aclOf(ctx).requireCluster(ex, Op.DESCRIBE);
      return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: await ctx.metrics(), raw: true };
    },
  },
  {
    method: 'GET',
    pattern: '/topics',
    run: (ex, _p, ctx) => ({ status: 200, body: ctx.engine.listTopics().map((t) => t.name).filter((n) => aclOf(ctx).allowed(ex, Op.DESCRIBE, AclResourceType.TOPIC, n, false)).sort() }),
  },
  {
    method: 'POST',
    pattern: '/topics',
    run: async (ex, _p, ctx) => {
      const body = await readAdminBody(ex);
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidBody('body must be a JSON object {"name", "partitions"?, "configs"?}');
      const b = body as { name?: unknown; topic_name?: unknown; partitions?: unknown; partitions_count?: unknown; configs?: unknown };
      const name = b.name ?? b.topic_name; // topic_name: REST Proxy v3's field
      if (typeof name !== 'string') throw invalidBody('"name" must be a string');
      if (!isValidTopicName(name)) topicParam({ topic: name });
      aclOf(ctx).requireCreate(ex, name);
      const partitionsRaw = b.partitions ?? b.partitions_count ?? ctx.defaultPartitions;
      if (typeof partitionsRaw !== 'number' || !Number.isInteger(partitionsRaw) || partitionsRaw < 1) {
        throw new HttpError(422, HttpErrorCode.INVALID_PARTITIONS, `"partitions" must be a positive integer, got ${JSON.stringify(partitionsRaw)}`);
      }
      const entries = configEntriesOf(b.configs);
      const info = await ctx.engine.createTopic(name, partitionsRaw, parseTopicConfigEntries(entries));
      return { status: 201, body: describe(info) };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic',
    run: (ex, params, ctx) => ({ status: 200, body: describe(existingTopic(ctx, params, ex)) }),
  },
  {
    method: 'POST',
    pattern: '/topics/:topic',
    run: (ex, params, ctx) => readProduce(ex, ctx, existingTopic(ctx, params, ex, Op.WRITE), undefined),
  },
  {
    method: 'DELETE',
    pattern: '/topics/:topic',
    run: async (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex, Op.DELETE);
      await ctx.engine.deleteTopic(info.name);
      return { status: 200, body: { name: info.name, deleted: true } };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/offsets',
    run: (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex);
      const out = [];
      for (let p = 0; p < info.partitions; p++) {
        const o = ctx.engine.offsets(info.name, p);
        out.push({ partition: p, beginning_offset: o.logStartOffset, end_offset: o.highWatermark });
      }
      return { status: 200, body: out };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/stats',
    run: async (ex, params, ctx) => ({ status: 200, contentType: JSON_CONTENT_TYPE, body: await topicStats(ctx.admin, existingTopic(ctx, params, ex)) }),
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/configs',
    run: (ex, params, ctx) => ({ status: 200, contentType: JSON_CONTENT_TYPE, body: topicConfigs(ctx.admin, existingTopic(ctx, params, ex, Op.DESCRIBE_CONFIGS)) }),
  },
  {
    method: 'POST',
    pattern: '/topics/:topic/configs',
    run: async (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex, Op.ALTER_CONFIGS);
      const pending = readAdminBody(ex);
      return { status: 200, body: describe(await alterConfigs(ctx.admin, info, await pending)) };
    },
  },
  {
    method: 'POST',
    pattern: '/topics/:topic/partitions',
    run: async (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex, Op.ALTER);
      const pending = readAdminBody(ex);
      return { status: 200, body: describe(await growPartitions(ctx.admin, info, await pending)) };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/partitions',
    run: (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex);
      const out = [];
      for (let p = 0; p < info.partitions; p++) out.push(partitionInfo(p));
      return { status: 200, body: out };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/partitions/:partition',
    run: (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex);
      return { status: 200, body: partitionInfo(partitionParam(info, params.partition)) };
    },
  },
  {
    method: 'POST',
    pattern: '/topics/:topic/partitions/:partition',
    run: (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex, Op.WRITE);
      return readProduce(ex, ctx, info, partitionParam(info, params.partition));
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/partitions/:partition/offsets',
    run: (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex);
      const o = ctx.engine.offsets(info.name, partitionParam(info, params.partition));
      return { status: 200, body: { beginning_offset: o.logStartOffset, end_offset: o.highWatermark } };
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/partitions/:partition/records',
    run: async (ex, params, ctx) => {
      const info = existingTopic(ctx, params, ex, Op.READ);
      const partition = partitionParam(info, params.partition);
      const format = formatFromAccept(ex.header('accept'));
      const q = new URLSearchParams(ex.query);
      const rawOffset = q.get('offset');
      if (rawOffset === null || !/^\d{1,16}$/.test(rawOffset) || !Number.isSafeInteger(Number(rawOffset))) {
        throw invalidOffsetOrPartition(`query parameter offset must be a non-negative integer, got ${rawOffset === null ? 'nothing' : JSON.stringify(rawOffset)}`);
      }
      const offset = Number(rawOffset);
      const timeoutMs = intQuery(q, 'timeout', RECORDS_TIMEOUT_MS_DEFAULT, 0, RECORDS_TIMEOUT_MS_MAX);
      const maxBytes = intQuery(q, 'max_bytes', RECORDS_MAX_BYTES_DEFAULT, 1, RECORDS_MAX_BYTES_MAX);
      const outOfRange = (start: number, end: number): HttpError =>
        invalidOffsetOrPartition(`offset ${offset} is outside the log of ${info.name}-${partition}: valid offsets are ${start}..${end} (${end} = the next one to be written)`);
      const o = ctx.engine.offsets(info.name, partition);
      if (offset < o.logStartOffset || offset > o.highWatermark) throw outOfRange(o.logStartOffset, o.highWatermark);

      const deadline = Date.now() + timeoutMs;
      const ref = [{ topic: info.name, partition }];
      for (let round = 0; round < LONG_POLL_ROUNDS_MAX; round++) {
        const r = await ctx.engine.read(info.name, partition, offset, maxBytes);
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) throw outOfRange(r.logStartOffset, r.highWatermark);
        if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) throw topicNotFound(info.name);
        if (r.errorCode !== ErrorCode.NONE) throw new HttpError(500, HttpErrorCode.KAFKA_ERROR, `reading ${info.name}-${partition} failed with Kafka error ${r.errorCode}`);
        const { records } = recordsFrom(r.records, offset);
        const leftMs = deadline - Date.now();
        if (records.length > 0 || leftMs <= 0 || ex.signal.aborted) {
          return { status: 200, contentType: contentTypeOf(format), body: records.map((rec) => renderRecord(info.name, partition, rec, format)) };
        }
        await ctx.engine.waitForAppend(ref, leftMs, ex.signal);
      }
      return { status: 200, contentType: contentTypeOf(format), body: [] };
    },
  },
  ...CONSUMER_ROUTES,
  ...TABLE_ROUTES,
];

function hasBody(ex: HttpExchange): boolean {
  const cl = ex.header('content-length');
  return (cl !== '' && cl !== '0') || ex.header('transfer-encoding') !== '';
}

function respondError(ex: HttpExchange, e: HttpError, close = false): void {
  const opts = e.headers === undefined ? { close } : { close, headers: e.headers };
  ex.respond(e.status, API_CONTENT_TYPE, e.toJson(), opts);
}

/** The transport's request handler for the JSON API. */
export function createApiHandler(ctx: ApiContext): HttpHandler {
  return (ex: HttpExchange) => {
    const path = ex.path.length > 1 && ex.path.endsWith('/') ? ex.path.slice(0, -1) : ex.path;
    let route: Route | undefined;
    let params: Record<string, string> | null = null;
    const allowed: string[] = [];
    for (const r of ROUTES) {
      const m = matchPattern(r.pattern, path);
      if (m === null) continue;
      if (r.method === ex.method || (ex.method === 'HEAD' && r.method === 'GET')) {
        route = r;
        params = m;
        break;
      }
      allowed.push(r.method);
    }
    if (route === undefined || params === null) {
      const e =
        allowed.length > 0
          ? new HttpError(405, HttpErrorCode.METHOD_NOT_ALLOWED, `${ex.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})`, { allow: allowed.join(', ') })
          : new HttpError(404, HttpErrorCode.NOT_FOUND, `no endpoint ${ex.method} ${path} (GET / lists them)`);
      respondError(ex, e, hasBody(ex));
      return;
    }
    ctx.inFlight.http_in_flight++;
    void run(ex, route, params, ctx).finally(() => {
      ctx.inFlight.http_in_flight--;
    });
  };
}

async function run(ex: HttpExchange, route: Route, params: Record<string, string>, ctx: ApiContext): Promise<void> {
  try {
    // route.run is entered synchronously, so it can call readBody before it awaits.
    const reply = await route.run(ex, params, ctx);
    const body = reply.raw === true && (typeof reply.body === 'string' || reply.body instanceof Uint8Array) ? reply.body : JSON.stringify(reply.body);
    ex.respond(reply.status, reply.contentType ?? API_CONTENT_TYPE, body, reply.headers === undefined ? undefined : { headers: reply.headers });
  } catch (err) {
    if (err instanceof RequestAbortedError || ex.finished) return;
    if (err instanceof BodyTooLargeError) {
      respondError(ex, new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, err.message), true);
      return;
    }
    const e = fromEngineError(err);
    if (isServerFault(e)) logger().error({ err, method: ex.method, path: ex.path }, 'http request failed');
    // The body may be unread (an error found before reading it): close so the connection cannot desync.
    respondError(ex, e, hasBody(ex));
  }
}
