// The table view over HTTP (src/table/table-view.ts keeps it):
//   GET /topics/{t}/table/{key}?key_format=   the latest record of a key; 404 40410 when
//                                             it was never written or its latest is a tombstone
//   GET /topics/{t}/table?prefix=&limit=&cursor=&key_format=
//                                             a page of keys in byte order with their records:
//                                             {"records": [...], "next": cursor | null}
// Records are rendered as GET …/records renders them (Accept: json or binary).
// key_format says how a key in the URL (the path key, prefix) is spelled:
//   string (default) its UTF-8 bytes, as kcat/kafkajs producers write string keys;
//   json    the JSON text of the value (a bare word is a string): `user-1` → `"user-1"`,
//           the bytes REST Proxy's json embedded format stores for the key "user-1";
//   binary  base64 of the bytes (standard or URL-safe alphabet).
// With ACLs on, both need READ on the topic (they return its records, as Fetch does),
// checked before the topic's existence; else 403 (40301).
// Owns: parameters, errors and answer shapes. Must not keep table state.

import { HttpError, HttpErrorCode, absentTopic, invalidBody } from './errors.js';
import { decodeBase64, toUtf8 } from './bytes.js';
import { contentTypeOf, formatFromAccept, renderRecord, type JsonRecord } from './records-json.js';
import { type ApiContext, type Route, aclOf, intQuery, topicParam } from './route.js';
import { AclOperation } from '../security/acl.js';
import { TableNotReadyError, TablesBusyError, type TableRecord, type TableView } from '../table/table-view.js';
import { keyBytes } from '../table/key-index.js';

export type KeyFormat = 'string' | 'json' | 'binary';

export const TABLE_LIST_LIMIT_DEFAULT = 100;
export const TABLE_LIST_LIMIT_MAX = 1_000;
/** Longest key accepted in a URL (the URL itself is bounded by the transport). */
const URL_KEY_BYTES_MAX = 64 * 1024;

export function keyFormatParam(v: string | null): KeyFormat {
  if (v === null || v === '' || v === 'string') return 'string';
  if (v === 'json' || v === 'binary') return v;
  throw invalidBody(`key_format must be string, json or binary, got ${JSON.stringify(v.slice(0, 40))}`);
}

/**
 * A key (or prefix) from the URL as bytes, per key_format. A json prefix that is a
 * string leaves its closing quote off, so `user-` matches the keys `"user-1"`, `"user-2"`.
 */
export function urlKeyBytes(text: string, format: KeyFormat, what: string, isPrefix = false): Uint8Array {
  let bytes: Uint8Array;
  if (format === 'binary') {
    const b = decodeBase64(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='));
    if (b === null) throw invalidBody(`${what} is not valid base64 (key_format=binary)`);
    bytes = b;
  } else if (format === 'json') {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = text; // a bare word: the string itself
    }
    const json = JSON.stringify(v);
    bytes = toUtf8(isPrefix && typeof v === 'string' ? json.slice(0, -1) : json);
  } else {
    bytes = toUtf8(text);
  }
  if (bytes.byteLength > URL_KEY_BYTES_MAX) throw invalidBody(`${what} is longer than ${URL_KEY_BYTES_MAX} bytes`);
  return bytes;
}

/** The opaque `next` of a page: "k" and the last key's bytes in base64url ("k" alone: the empty key). */
function cursorParam(v: string | null): Uint8Array | null {
  if (v === null || v === '') return null;
  if (!/^k[A-Za-z0-9_-]*$/.test(v)) throw invalidBody('cursor is not one a page answered with (use its "next")');
  return urlKeyBytes(v.slice(1), 'binary', 'cursor');
}

export const keyNotFound = (topic: string): HttpError => new HttpError(404, HttpErrorCode.TABLE_KEY_NOT_FOUND, `no record for this key in the table of '${topic}' (never written, or deleted by a tombstone)`);

/** Runs fn with the topic's table, counted as in use; table errors become HTTP answers. */
export async function withTable<T>(ctx: ApiContext, topic: string, fn: (t: TableView) => Promise<T>): Promise<T> {
  let t: TableView | null;
  try {
    t = ctx.tables.get(topic);
  } catch (err) {
    if (err instanceof TablesBusyError) throw new HttpError(429, HttpErrorCode.TOO_MANY_REQUESTS, err.message);
    throw err;
  }
  if (t === null) throw absentTopic(ctx.engine, topic);
  t.active++;
  try {
    return await fn(t);
  } catch (err) {
    if (err instanceof TableNotReadyError) throw new HttpError(503, 503, err.message);
    throw err;
  } finally {
    t.active--;
  }
}

function render(topic: string, r: TableRecord, format: ReturnType<typeof formatFromAccept>): JsonRecord {
  return renderRecord(topic, r.partition, r.record, format);
}

export const TABLE_ROUTES: Route[] = [
  {
    method: 'GET',
    pattern: '/topics/:topic/table',
    run: async (ex, params, ctx) => {
      const topic = topicParam(params);
      aclOf(ctx).requireTopic(ex, AclOperation.READ, topic);
      const format = formatFromAccept(ex.header('accept'));
      const q = new URLSearchParams(ex.query);
      const keyFormat = keyFormatParam(q.get('key_format'));
      const limit = intQuery(q, 'limit', TABLE_LIST_LIMIT_DEFAULT, 1, TABLE_LIST_LIMIT_MAX);
      const prefixText = q.get('prefix') ?? '';
      const prefix = prefixText === '' ? new Uint8Array(0) : urlKeyBytes(prefixText, keyFormat, 'prefix', true);
      const after = cursorParam(q.get('cursor'));
      return withTable(ctx, topic, async (t) => {
        const page = await t.list(prefix, after, limit);
        const next = page.more && page.last !== null ? `k${Buffer.from(keyBytes(page.last)).toString('base64url')}` : null;
        return { status: 200, contentType: contentTypeOf(format), body: { records: page.records.map((r) => render(topic, r, format)), next } };
      });
    },
  },
  {
    method: 'GET',
    pattern: '/topics/:topic/table/:key',
    run: async (ex, params, ctx) => {
      const topic = topicParam(params);
      aclOf(ctx).requireTopic(ex, AclOperation.READ, topic);
      const format = formatFromAccept(ex.header('accept'));
      const key = urlKeyBytes(params.key ?? '', keyFormatParam(new URLSearchParams(ex.query).get('key_format')), 'key');
      return withTable(ctx, topic, async (t) => {
        const r = await t.get(key);
        if (r === undefined) throw keyNotFound(topic);
        return { status: 200, contentType: contentTypeOf(format), body: render(topic, r, format) };
      });
    },
  },
];
