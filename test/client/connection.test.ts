// Tests for src/client/connection.ts (against a scripted in-memory broker): version
// negotiation takes min(ours, theirs) per API and retries ApiVersions at v0 on
// UNSUPPORTED_VERSION; pipelined requests are bounded and matched in order; an
// out-of-order correlation id, a timeout or a lost transport fails every
// outstanding request with a retriable error. Also: the browser entry's static
// import graph holds no Node built-in and no native package.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection, API_KEYS } from '../../src/client/connection.js';
import { ConnectionError, isRetriableError } from '../../src/client/errors.js';
import type { Transport, TransportFactory } from '../../src/client/transport.js';
import { Reader } from '../../src/wire/codec/reader.js';
import { Writer } from '../../src/wire/codec/writer.js';
import { ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { RequestHeaderCodec, ResponseHeaderCodec } from '../../src/wire/schemas/headers.js';
import { MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';

interface Seen {
  apiKey: number;
  version: number;
  correlationId: number;
}

/** A fake broker: decodes request headers and answers with `answer` (or holds the answer). */
class FakeTransport implements Transport {
  onFrame: (frame: Uint8Array) => void = () => {};
  onClose: (err: Error | null) => void = () => {};
  readonly seen: Seen[] = [];
  closed = false;
  constructor(private readonly answer: (s: Seen, t: FakeTransport) => void) {}
  send(chunks: readonly Uint8Array[]): void {
    const frame = Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength)));
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    const s = { apiKey: dv.getInt16(0), version: dv.getInt16(2), correlationId: dv.getInt32(4) };
    // The header must decode with our own codec too.
    RequestHeaderCodec.decode(new Reader(frame), s.version >= 3 && s.apiKey === 18 ? 2 : 1);
    this.seen.push(s);
    this.answer(s, this);
  }
  bufferedBytes(): number {
    return 0;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(null);
  }
  reply(correlationId: number, encode: (w: Writer) => void, headerVersion = 0): void {
    const w = new Writer();
    ResponseHeaderCodec.encode(w, { correlationId }, headerVersion);
    encode(w);
    const frame = w.finish();
    queueMicrotask(() => this.onFrame(frame));
  }
}

const BROKER_APIS = [
  { apiKey: 0, minVersion: 3, maxVersion: 7 },
  { apiKey: 1, minVersion: 4, maxVersion: 15 },
  { apiKey: 3, minVersion: 0, maxVersion: 6 },
  { apiKey: 18, minVersion: 0, maxVersion: 2 },
  { apiKey: 99, minVersion: 0, maxVersion: 1 },
];

function answerApiVersions(s: Seen, t: FakeTransport): boolean {
  if (s.apiKey !== 18) return false;
  if (s.version > 2) {
    t.reply(s.correlationId, (w) => ApiVersionsResponseCodec.encode(w, { errorCode: 35, apiKeys: BROKER_APIS, throttleTimeMs: 0 }, 0));
  } else {
    t.reply(s.correlationId, (w) => ApiVersionsResponseCodec.encode(w, { errorCode: 0, apiKeys: BROKER_APIS, throttleTimeMs: 0 }, s.version));
  }
  return true;
}

function metadataBody(w: Writer, version: number): void {
  MetadataResponseCodec.encode(w, { throttleTimeMs: 0, brokers: [], clusterId: 'c', controllerId: 0, topics: [], clusterAuthorizedOperations: 0 }, version);
}

function factoryOf(t: FakeTransport): TransportFactory {
  return () => Promise.resolve(t);
}

test('negotiation: ApiVersions retried at the broker max, then min(ours, theirs) per API', async () => {
  const t = new FakeTransport((s, tr) => {
    if (!answerApiVersions(s, tr)) throw new Error('unexpected');
  });
  const conn = await Connection.open({ transport: factoryOf(t) });
  assert.deepEqual(
    t.seen.map((s) => [s.apiKey, s.version]),
    [
      [18, 3],
      [18, 2],
    ],
  );
  assert.equal(conn.version(API_KEYS.Produce), 7);
  assert.equal(conn.version(API_KEYS.Fetch), 12); // ours stops at 12 (v13 needs topic ids)
  assert.equal(conn.version(API_KEYS.Metadata), 6);
  assert.equal(conn.version(API_KEYS.ListOffsets), -1); // the broker lacks it
  await assert.rejects(conn.request(API_KEYS.ListOffsets, {}), /no version/);
  conn.close();
});

test('pipelined requests are bounded in flight and answered in order', async () => {
  const held: Seen[] = [];
  const t = new FakeTransport((s, tr) => {
    if (!answerApiVersions(s, tr)) held.push(s);
  });
  const conn = await Connection.open({ transport: factoryOf(t), maxInFlightRequests: 3 });
  const v = conn.version(API_KEYS.Metadata);
  const results: number[] = [];
  const all = Array.from({ length: 8 }, (_, i) =>
    conn.request(API_KEYS.Metadata, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }).then(() => results.push(i)),
  );
  await new Promise((r) => setImmediate(r));
  assert.equal(held.length, 3, 'only maxInFlightRequests are sent');
  assert.equal(conn.outstanding(), 8);
  // Answer as they come, one by one; the queue refills the window.
  for (let i = 0; i < 8; i++) {
    for (let spin = 0; spin < 50 && held.length <= i; spin++) await new Promise((r) => setImmediate(r));
    t.reply(held[i]!.correlationId, (w) => metadataBody(w, v));
  }
  await Promise.all(all);
  assert.deepEqual(results, [0, 1, 2, 3, 4, 5, 6, 7]);
  conn.close();
});

test('a response out of order closes the connection and fails everything outstanding', async () => {
  const held: Seen[] = [];
  const t = new FakeTransport((s, tr) => {
    if (!answerApiVersions(s, tr)) held.push(s);
  });
  const conn = await Connection.open({ transport: factoryOf(t) });
  const v = conn.version(API_KEYS.Metadata);
  const body = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  const a = conn.request(API_KEYS.Metadata, body);
  const b = conn.request(API_KEYS.Metadata, body);
  await new Promise((r) => setImmediate(r));
  t.reply(held[1]!.correlationId, (w) => metadataBody(w, v));
  await assert.rejects(a, (e: unknown) => e instanceof ConnectionError && isRetriableError(e));
  await assert.rejects(b, (e: unknown) => e instanceof ConnectionError);
  assert.ok(conn.closed);
  assert.ok(t.closed);
  await assert.rejects(conn.request(API_KEYS.Metadata, body), ConnectionError);
});

test('a request past its timeout closes the connection with a retriable error', async () => {
  const t = new FakeTransport((s, tr) => {
    answerApiVersions(s, tr);
  });
  const conn = await Connection.open({ transport: factoryOf(t), requestTimeoutMs: 150 });
  const body = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  // The connection's timer is unref'd (a real socket keeps the process alive); this fake has none.
  const keepAlive = setTimeout(() => {}, 5000);
  await assert.rejects(conn.request(API_KEYS.Metadata, body), (e: unknown) => e instanceof ConnectionError && e.code === 7 && isRetriableError(e));
  clearTimeout(keepAlive);
  assert.ok(conn.closed);
});

test('a lost transport fails outstanding requests and calls onClose', async () => {
  const t = new FakeTransport((s, tr) => {
    answerApiVersions(s, tr);
  });
  const conn = await Connection.open({ transport: factoryOf(t) });
  let closedWith: Error | null = null;
  conn.onClose = (e) => (closedWith = e);
  const body = { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
  const p = conn.request(API_KEYS.Metadata, body);
  t.onClose(new ConnectionError('gone'));
  await assert.rejects(p, /gone/);
  assert.ok(closedWith !== null);
});

test('the browser entry imports no Node built-in and no native package (static graph)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  const entry = resolve(here, '../../src/client/browser.js');
  const seen = new Set<string>();
  const stack = [entry];
  const offenders: string[] = [];
  for (let i = 0; i < 500 && stack.length > 0; i++) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    // Static imports and re-exports only; `import(...)` is dynamic and allowed.
    for (const m of src.matchAll(/^\s*(?:import|export)\s+(?:[^'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) stack.push(join(dirname(file), spec));
      else offenders.push(`${file}: ${spec}`);
    }
  }
  assert.ok(seen.size > 5, `walked ${seen.size} modules`);
  assert.deepEqual(offenders, []);
});
