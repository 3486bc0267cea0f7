// The routes of Confluent REST Proxy v2's consumer API, with its paths, bodies,
// answers and error codes, so REST Proxy scripts work unchanged:
//   POST   /consumers/{g}                                   create an instance → {instance_id, base_uri}
//   DELETE /consumers/{g}/instances/{i}                      204
//   POST|GET|DELETE /consumers/{g}/instances/{i}/subscription   {topics} | {topic_pattern}
//   POST|GET /consumers/{g}/instances/{i}/assignments        {partitions: [{topic, partition}]}
//   POST   /consumers/{g}/instances/{i}/positions            {offsets: [{topic, partition, offset}]}
//   POST   /consumers/{g}/instances/{i}/positions/beginning|end   {partitions}
//   GET    /consumers/{g}/instances/{i}/records?timeout=&max_bytes=
//   POST   /consumers/{g}/instances/{i}/offsets              {offsets} (offset = last consumed) or none: all read
//   GET    /consumers/{g}/instances/{i}/offsets              body {partitions} → {offsets}
// With ACLs on, the checks are those of the Kafka APIs a consumer sends: READ on the
// group to create or use an instance (JoinGroup, OffsetCommit), READ on every topic
// it subscribes to, assigns, seeks, commits or reads (Fetch), DESCRIBE on the topics
// whose committed offsets it asks for (OffsetFetch); else 403 (40301). A pattern
// subscription leaves out the topics the principal may not READ. An instance belongs
// to the principal that created it: to anyone else it does not exist (404 40403).
// Owns: request validation and answer shapes. Must not hold consumer state
// (rest-consumers.ts does) nor know the transport.

import { HttpError, HttpErrorCode, invalidBody, invalidOffsetOrPartition } from './errors.js';
import { contentTypeOf, formatFromAccept } from './records-json.js';
import { type InstanceConfig, type OffsetReset, REQUEST_TIMEOUT_MS_DEFAULT, REQUEST_TIMEOUT_MS_MAX, type RestConsumer, type TopicPartitionRef } from './rest-consumers.js';
import { type ApiContext, NO_CONTENT, type Reply, type Route, aclOf, checkTopicName, intQuery, isObject, readAdminBody, readOptionalJsonBody } from './route.js';
import { principalOf } from './auth.js';
import { AclOperation as Op, AclResourceType } from '../security/acl.js';
import { instanceNotFound } from './rest-consumers.js';
import type { HttpExchange, HttpRequestHead } from './transport.js';

const INSTANCE_NAME = /^[A-Za-z0-9._-]{1,255}$/;
/** Entries of one partitions/offsets list (bounds the work of one request). */
const LIST_ENTRIES_MAX = 10_000;
const METADATA_MAX_CHARS = 4096;
export const CONSUMER_RECORDS_MAX_BYTES_DEFAULT = 1024 * 1024;
export const CONSUMER_RECORDS_MAX_BYTES_MAX = 64 * 1024 * 1024;

function groupParam(raw: string | undefined): string {
  const g = raw ?? '';
  if (g.length === 0 || g.length > 32_767) throw new HttpError(422, HttpErrorCode.INVALID_GROUP_ID, 'group id must be 1..32767 characters');
  return g;
}

/** REST Proxy takes consumer bodies as application/vnd.kafka.v2+json; any JSON type (or none) is fine here. */
function checkJsonContentType(ex: HttpExchange): void {
  const ct = ex.header('content-type').split(';')[0]!.trim().toLowerCase();
  if (ct === '' || ct === 'application/json' || /^application\/vnd\.kafka(\.[a-z]+)?\.v[12]\+json$/.test(ct)) return;
  throw new HttpError(415, HttpErrorCode.UNSUPPORTED_MEDIA_TYPE, `unsupported Content-Type '${ct}': use application/vnd.kafka.v2+json`);
}

const invalidConfig = (message: string): HttpError => new HttpError(422, HttpErrorCode.INVALID_CONSUMER_CONFIG, `Invalid consumer configuration: ${message}`);

/** A config value REST Proxy takes as a string ("true", "1000") or as the JSON value itself. */
function configText(v: unknown, name: string): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalidConfig(`${name} must be a string`);
}

function configInt(v: unknown, name: string, dflt: number, min: number, max: number): number {
  const t = configText(v, name);
  if (t === null || t === '') return dflt;
  if (!/^-?\d{1,12}$/.test(t)) throw invalidConfig(`${name} must be an integer, got ${JSON.stringify(t)}`);
  const n = Number(t);
  if (n < min || n > max) throw invalidConfig(`${name} must be ${min}..${max}, got ${n}`);
  return n;
}

export function parseInstanceConfig(body: unknown): InstanceConfig {
  if (body === undefined) body = {};
  if (!isObject(body)) throw invalidConfig('body must be a JSON object {"name"?, "format"?, "auto.offset.reset"?, …}');
  const name = body.name ?? null;
  if (name !== null && (typeof name !== 'string' || !INSTANCE_NAME.test(name))) throw invalidConfig('name must be 1..255 of [A-Za-z0-9._-]');
  const formatText = (configText(body.format, 'format') ?? 'binary').toLowerCase();
  if (formatText !== 'binary' && formatText !== 'json') {
    throw invalidConfig(`format ${JSON.stringify(formatText)} is not supported: use binary or json (avro, protobuf and jsonschema need a schema registry, which Samsa does not have)`);
  }
  const resetText = (configText(body['auto.offset.reset'], 'auto.offset.reset') ?? 'latest').toLowerCase();
  // smallest/largest: the old consumer's names, which REST Proxy v1 scripts still send.
  const reset: OffsetReset | undefined = ({ earliest: 'earliest', smallest: 'earliest', latest: 'latest', largest: 'latest', none: 'none' } as const)[resetText as 'earliest'];
  if (reset === undefined) throw invalidConfig(`auto.offset.reset must be earliest, latest or none, got ${JSON.stringify(resetText)}`);
  const commitText = (configText(body['auto.commit.enable'], 'auto.commit.enable') ?? 'true').toLowerCase();
  if (commitText !== 'true' && commitText !== 'false') throw invalidConfig(`auto.commit.enable must be true or false, got ${JSON.stringify(commitText)}`);
  return {
    name,
    format: formatText,
    autoOffsetReset: reset,
    autoCommit: commitText === 'true',
    fetchMinBytes: configInt(body['fetch.min.bytes'], 'fetch.min.bytes', -1, -1, CONSUMER_RECORDS_MAX_BYTES_MAX),
    requestTimeoutMs: configInt(body['consumer.request.timeout.ms'], 'consumer.request.timeout.ms', REQUEST_TIMEOUT_MS_DEFAULT, 0, REQUEST_TIMEOUT_MS_MAX),
  };
}

function list(body: unknown, field: string, what: string): unknown[] {
  if (!isObject(body)) throw invalidBody(`body must be a JSON object {"${field}": [${what}, …]}`);
  const v = body[field];
  if (!Array.isArray(v)) throw invalidBody(`"${field}" must be an array of ${what}`);
  if (v.length > LIST_ENTRIES_MAX) throw invalidBody(`"${field}" has more than ${LIST_ENTRIES_MAX} entries`);
  return v;
}

function partitionRef(v: unknown, where: string): TopicPartitionRef {
  if (!isObject(v) || typeof v.topic !== 'string') throw invalidBody(`${where} must be an object {"topic", "partition"}`);
  const p = v.partition;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 0x7fff_ffff) throw invalidOffsetOrPartition(`${where}.partition must be a non-negative integer, got ${JSON.stringify(p)}`);
  return { topic: checkTopicName(v.topic), partition: p };
}

function offsetOf(v: { [k: string]: unknown }, where: string): number {
  const o = v.offset;
  if (typeof o !== 'number' || !Number.isSafeInteger(o) || o < 0) throw invalidOffsetOrPartition(`${where}.offset must be a non-negative integer, got ${JSON.stringify(o)}`);
  return o;
}

export function parsePartitions(body: unknown): TopicPartitionRef[] {
  return list(body, 'partitions', '{"topic", "partition"}').map((v, i) => partitionRef(v, `partitions[${i}]`));
}

function parseOffsets(body: unknown): Array<TopicPartitionRef & { offset: number; metadata: string | null }> {
  return list(body, 'offsets', '{"topic", "partition", "offset"}').map((v, i) => {
    const where = `offsets[${i}]`;
    const ref = partitionRef(v, where);
    const o = v as { [k: string]: unknown };
    const metadata = o.metadata ?? null;
    if (metadata !== null && (typeof metadata !== 'string' || metadata.length > METADATA_MAX_CHARS)) throw invalidBody(`${where}.metadata must be a string of at most ${METADATA_MAX_CHARS} characters`);
    return { ...ref, offset: offsetOf(o, where), metadata };
  });
}

function baseUri(ex: HttpExchange, group: string, name: string): string {
  const host = ex.header('host') || 'localhost';
  const proto = ex.header('x-forwarded-proto').toLowerCase() === 'https' ? 'https' : 'http';
  return `${proto}://${host}/consumers/${encodeURIComponent(group)}/instances/${encodeURIComponent(name)}`;
}

const INSTANCE = '/consumers/:group/instances/:instance';

/** Who created each instance (the principal then): nobody else may use it. */
const owners = new WeakMap<RestConsumer, string>();

/**
 * The request's principal and address, copied: an instance's topic filter outlives
 * the request that created it (and a transport may reuse its request objects).
 */
function headOf(ex: HttpRequestHead): HttpRequestHead {
  const principal = principalOf(ex);
  const remoteAddress = ex.remoteAddress;
  return { method: '', path: '', query: '', header: () => '', remoteAddress, principal };
}

/** The named instance, if the principal may use it: READ on the group, and its own. */
function instanceFor(ex: HttpExchange, params: Readonly<Record<string, string>>, ctx: ApiContext): RestConsumer {
  const group = groupParam(params.group);
  aclOf(ctx).requireGroup(ex, Op.READ, group);
  const name = params.instance ?? '';
  const c = ctx.consumers.get(group, name);
  if (owners.get(c) !== principalOf(ex)) throw instanceNotFound(group, name);
  return c;
}

/** Throws 403 unless the principal may `op` every topic named. */
function requireTopics(ex: HttpRequestHead, ctx: ApiContext, op: number, topics: Iterable<string>): void {
  const acl = aclOf(ctx);
  for (const t of new Set(topics)) acl.requireTopic(ex, op, t);
}

/** Runs `fn` with the named instance, counted as in use (an idle timer cannot expire it meanwhile). */
async function withInstance<T>(ex: HttpExchange, ctx: ApiContext, params: Readonly<Record<string, string>>, fn: (c: RestConsumer) => T | Promise<T>): Promise<T> {
  const c = instanceFor(ex, params, ctx);
  c.active++;
  try {
    return await fn(c);
  } finally {
    c.active--;
    c.lastUsedMs = Date.now();
  }
}

/** A body-carrying command: reads the JSON body (before any await), then runs `fn`; 204. */
function command(fn: (c: RestConsumer, body: unknown, ex: HttpExchange, ctx: ApiContext) => void | Promise<void>, optionalBody = false): Route['run'] {
  return async (ex, params, ctx): Promise<Reply> => {
    checkJsonContentType(ex);
    const pending = optionalBody ? readOptionalJsonBody(ex) : readAdminBody(ex);
    const body = await pending;
    await withInstance(ex, ctx, params, (c) => fn(c, body, ex, ctx));
    return NO_CONTENT;
  };
}

export const CONSUMER_ROUTES: Route[] = [
  {
    method: 'POST',
    pattern: '/consumers/:group',
    run: async (ex, params, ctx) => {
      checkJsonContentType(ex);
      const pending = readOptionalJsonBody(ex);
      const group = groupParam(params.group);
      aclOf(ctx).requireGroup(ex, Op.READ, group);
      const config = parseInstanceConfig(await pending);
      const c = ctx.consumers.create(group, config);
      owners.set(c, principalOf(ex));
      const head = headOf(ex);
      const acl = aclOf(ctx);
      c.topicAllowed = (t) => acl.allowed(head, Op.READ, AclResourceType.TOPIC, t, false);
      return { status: 200, body: { instance_id: c.name, base_uri: baseUri(ex, group, c.name) } };
    },
  },
  {
    method: 'DELETE',
    pattern: INSTANCE,
    run: async (ex, params, ctx) => {
      const c = instanceFor(ex, params, ctx);
      await ctx.consumers.delete(c.group, c.name);
      return NO_CONTENT;
    },
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/subscription`,
    run: command((c, body, ex, ctx) => {
      if (!isObject(body)) throw invalidBody('body must be a JSON object {"topics": [...]} or {"topic_pattern": "..."}');
      const hasTopics = body.topics !== undefined && body.topics !== null;
      const hasPattern = body.topic_pattern !== undefined && body.topic_pattern !== null;
      if (hasTopics === hasPattern) throw invalidBody('A list (of Topics type) or a topic_pattern must be specified, not both.');
      if (hasPattern) {
        if (typeof body.topic_pattern !== 'string' || body.topic_pattern === '') throw invalidBody('"topic_pattern" must be a non-empty string');
        c.subscribe(null, body.topic_pattern);
        return;
      }
      const topics = list(body, 'topics', 'topic names');
      if (topics.length === 0) throw invalidBody('"topics" is empty');
      const names = topics.map((t, i) => {
        if (typeof t !== 'string') throw invalidBody(`topics[${i}] must be a string`);
        return checkTopicName(t);
      });
      requireTopics(ex, ctx, Op.READ, names);
      c.subscribe(names, null);
    }),
  },
  {
    method: 'GET',
    pattern: `${INSTANCE}/subscription`,
    run: async (ex, params, ctx) => ({ status: 200, body: await withInstance(ex, ctx, params, (c) => c.subscriptionView()) }),
  },
  {
    method: 'DELETE',
    pattern: `${INSTANCE}/subscription`,
    run: async (ex, params, ctx) => {
      await withInstance(ex, ctx, params, (c) => c.unsubscribe());
      return NO_CONTENT;
    },
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/assignments`,
    run: command((c, body, ex, ctx) => {
      const parts = parsePartitions(body);
      requireTopics(ex, ctx, Op.READ, parts.map((p) => p.topic));
      return c.assign(parts);
    }),
  },
  {
    method: 'GET',
    pattern: `${INSTANCE}/assignments`,
    run: async (ex, params, ctx) => ({ status: 200, body: { partitions: await withInstance(ex, ctx, params, (c) => c.assigned()) } }),
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/positions`,
    run: command((c, body, ex, ctx) => {
      const offsets = parseOffsets(body);
      requireTopics(ex, ctx, Op.READ, offsets.map((o) => o.topic));
      return c.seek(offsets);
    }),
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/positions/beginning`,
    run: command((c, body, ex, ctx) => {
      const parts = parsePartitions(body);
      requireTopics(ex, ctx, Op.READ, parts.map((p) => p.topic));
      return c.seekTo(parts, 'beginning');
    }),
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/positions/end`,
    run: command((c, body, ex, ctx) => {
      const parts = parsePartitions(body);
      requireTopics(ex, ctx, Op.READ, parts.map((p) => p.topic));
      return c.seekTo(parts, 'end');
    }),
  },
  {
    method: 'GET',
    pattern: `${INSTANCE}/records`,
    run: async (ex, params, ctx) => {
      const q = new URLSearchParams(ex.query);
      const maxBytes = intQuery(q, 'max_bytes', CONSUMER_RECORDS_MAX_BYTES_DEFAULT, 1, CONSUMER_RECORDS_MAX_BYTES_MAX);
      const timeoutParam = intQuery(q, 'timeout', -1, 0, REQUEST_TIMEOUT_MS_MAX);
      return withInstance(ex, ctx, params, async (c) => {
        // ACLs may have changed since the subscription: Fetch's check, on what it reads now.
        requireTopics(ex, ctx, Op.READ, c.assigned().map((a) => a.topic));
        const format = c.config.format;
        let wanted;
        try {
          wanted = formatFromAccept(ex.header('accept'));
        } catch {
          wanted = null;
        }
        const accept = ex.header('accept').toLowerCase();
        const namesFormat = /vnd\.kafka\.(binary|json|avro|protobuf|jsonschema)\.v2\+json/.exec(accept);
        if (wanted === null || (namesFormat !== null && namesFormat[1] !== format)) {
          throw new HttpError(406, HttpErrorCode.CONSUMER_FORMAT_MISMATCH, `The requested embedded data format does not match the deserializer for this consumer instance (it was created with format ${format}: accept ${contentTypeOf(format)})`);
        }
        // REST Proxy: timeout is used only when it is below consumer.request.timeout.ms.
        const timeoutMs = timeoutParam >= 0 ? Math.min(timeoutParam, c.config.requestTimeoutMs) : c.config.requestTimeoutMs;
        // Checked again on every round of the read: the first read joins the group and
        // only then holds an assignment, which may name topics the principal may not READ.
        // (A copy of the request's principal and address: the check runs after awaits.)
        const head = headOf(ex);
        const records = await c.read(timeoutMs, maxBytes, ex.signal, (topics) => requireTopics(head, ctx, Op.READ, topics));
        return { status: 200, contentType: contentTypeOf(format), body: records };
      });
    },
  },
  {
    method: 'POST',
    pattern: `${INSTANCE}/offsets`,
    // No body (or no "offsets"): commit every position, as REST Proxy commits "all records read".
    run: command((c, body, ex, ctx) => {
      const offsets = body === undefined || (isObject(body) && (body.offsets === undefined || body.offsets === null)) ? null : parseOffsets(body);
      requireTopics(ex, ctx, Op.READ, (offsets ?? c.assigned()).map((o) => o.topic));
      return c.commit(offsets === null ? null : offsets.map((o) => ({ ...o, offset: o.offset + 1 })));
    }, true),
  },
  {
    method: 'GET',
    pattern: `${INSTANCE}/offsets`,
    run: async (ex, params, ctx) => {
      // REST Proxy sends the partitions as a GET body; without one, every assigned partition.
      const pending = readOptionalJsonBody(ex);
      const body = await pending;
      const parts = body === undefined ? null : parsePartitions(body);
      return {
        status: 200,
        body: {
          offsets: await withInstance(ex, ctx, params, (c) => {
            requireTopics(ex, ctx, Op.DESCRIBE, (parts ?? c.assigned()).map((p) => p.topic));
            return c.committedOffsets(parts);
          }),
        },
      };
    },
  },
];
