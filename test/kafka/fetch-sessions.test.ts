// Fetch sessions (KIP-227) over a real socket: full → incremental → forgotten → final,
// the session errors Kafka answers (70, 71, 106), the cache's bound and eviction rule
// (with a clock the test moves, so nothing waits), and hostile requests.
// Owns: tests of src/kafka/fetch-sessions.ts and the session paths of apis/01-fetch.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/wire/errors.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { FetchRequestCodec, FetchResponseCodec, type FetchRequest, type FetchResponse } from '../../src/wire/schemas/01-fetch.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { FetchSessionCache } from '../../src/kafka/fetch-sessions.js';
import { RawClient, startTestBroker, type TestBroker } from './harness.js';

const ZERO = '00000000000000000000000000000000';
const HOUR_MS = 3_600_000;

let clockMs = 1_000_000;
const cache = new FetchSessionCache({ slots: 3, nowMs: () => clockMs });
let broker: TestBroker;
let client: RawClient;

before(async () => {
  broker = await startTestBroker({ fetchSessions: cache });
  client = await RawClient.connect(broker.port);
  await broker.engine.createTopic('fs', 4);
  await broker.engine.createTopic('rot', 2);
  await broker.engine.createTopic('ev', 8);
});

after(async () => {
  client.close();
  await broker.close();
});

async function produce(topic: string, partition: number, value: string): Promise<void> {
  await broker.engine.append(topic, partition, encodeRecordBatch([{ key: null, value }]).slice(), 1);
}

interface FetchArgs {
  sessionId?: number;
  epoch?: number;
  /** [topic (or topic id at v13+), partition, fetch offset] */
  parts?: Array<[string, number, number]>;
  forgotten?: Array<[string, number[]]>;
  maxBytes?: number;
  maxWaitMs?: number;
  minBytes?: number;
  version?: number;
}

function fetchBody(a: FetchArgs): FetchRequest {
  const version = a.version ?? 11;
  const byId = version >= 13;
  const topics = new Map<string, FetchRequest['topics'][number]>();
  for (const [t, partition, fetchOffset] of a.parts ?? []) {
    let e = topics.get(t);
    if (e === undefined) topics.set(t, (e = { topic: byId ? '' : t, topicId: byId ? t : ZERO, partitions: [] }));
    e.partitions.push({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 });
  }
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: a.maxWaitMs ?? 0,
    minBytes: a.minBytes ?? 0,
    maxBytes: a.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: a.sessionId ?? 0,
    sessionEpoch: a.epoch ?? -1,
    topics: [...topics.values()],
    forgottenTopicsData: (a.forgotten ?? []).map(([t, partitions]) => ({ topic: byId ? '' : t, topicId: byId ? t : ZERO, partitions })),
    rackId: '',
  };
}

function fetch(a: FetchArgs, c: RawClient = client): Promise<FetchResponse> {
  return c.request(FetchRequestCodec, FetchResponseCodec, a.version ?? 11, fetchBody(a));
}

/** "topic-partition:records?" for each partition answered, in answer order. */
function answered(res: FetchResponse): string[] {
  return res.responses.flatMap((t) => t.partitions.map((p) => `${t.topic === '' ? t.topicId : t.topic}-${p.partitionIndex}${(p.records?.byteLength ?? 0) > 0 ? '+' : ''}`));
}

describe('fetch sessions', () => {
  test('full (epoch 0) creates a session; incremental fetches answer only what changed; forgotten partitions leave; epoch -1 closes', async () => {
    await produce('fs', 0, 'a');
    const full = await fetch({ epoch: 0, parts: [['fs', 0, 0], ['fs', 1, 0], ['fs', 2, 0], ['fs', 3, 0]] });
    assert.equal(full.errorCode, 0);
    assert.ok(full.sessionId > 0, 'a session was created');
    assert.deepEqual(answered(full), ['fs-0+', 'fs-1', 'fs-2', 'fs-3']);
    const id = full.sessionId;

    // The client moved past the record on fs-0; nothing else changed: an empty answer.
    const inc1 = await fetch({ sessionId: id, epoch: 1, parts: [['fs', 0, 1]] });
    assert.equal(inc1.errorCode, 0);
    assert.equal(inc1.sessionId, id);
    assert.deepEqual(answered(inc1), []);

    // Records on fs-2: only it is answered, though the request names no partition.
    await produce('fs', 2, 'b');
    const inc2 = await fetch({ sessionId: id, epoch: 2 });
    assert.deepEqual(answered(inc2), ['fs-2+']);
    assert.equal(inc2.responses[0]!.partitions[0]!.highWatermark, 1);

    // fs-2 forgotten: new records there are not answered any more.
    await produce('fs', 2, 'c');
    const inc3 = await fetch({ sessionId: id, epoch: 3, forgotten: [['fs', [2]]] });
    assert.deepEqual(answered(inc3), []);

    // A repeated or stale epoch: INVALID_FETCH_SESSION_EPOCH, and the session goes on.
    const stale = await fetch({ sessionId: id, epoch: 3 });
    assert.equal(stale.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    assert.equal(stale.sessionId, 0);
    const ahead = await fetch({ sessionId: id, epoch: 9 });
    assert.equal(ahead.errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);

    // Added back at offset 0: answered with its records.
    const inc4 = await fetch({ sessionId: id, epoch: 4, parts: [['fs', 2, 0]] });
    assert.deepEqual(answered(inc4), ['fs-2+']);

    // Epoch -1 closes the session and is answered as a sessionless fetch of what it names.
    const final = await fetch({ sessionId: id, epoch: -1, parts: [['fs', 1, 0]] });
    assert.equal(final.errorCode, 0);
    assert.equal(final.sessionId, 0);
    assert.deepEqual(answered(final), ['fs-1']);
    const gone = await fetch({ sessionId: id, epoch: 5 });
    assert.equal(gone.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    assert.equal(gone.responses.length, 0);
  });

  test('a full fetch naming a session replaces it; an incremental one that forgets everything closes it', async () => {
    const a = await fetch({ epoch: 0, parts: [['fs', 0, 0]] });
    assert.ok(a.sessionId > 0);
    const b = await fetch({ sessionId: a.sessionId, epoch: 0, parts: [['fs', 1, 0]] });
    assert.ok(b.sessionId > 0);
    assert.notEqual(b.sessionId, a.sessionId);
    assert.equal((await fetch({ sessionId: a.sessionId, epoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    const emptied = await fetch({ sessionId: b.sessionId, epoch: 1, forgotten: [['fs', [1]]] });
    assert.equal(emptied.errorCode, 0);
    assert.equal(emptied.sessionId, 0);
    assert.equal((await fetch({ sessionId: b.sessionId, epoch: 2 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  test('a partition answered with records goes to the back of the session, so a small max_bytes serves partitions in turn', async () => {
    for (let i = 0; i < 3; i++) await produce('rot', 0, `r0-${i}`);
    await produce('rot', 1, 'r1-0');
    const full = await fetch({ epoch: 0, maxBytes: 1, parts: [['rot', 0, 0], ['rot', 1, 0]] });
    assert.deepEqual(answered(full), ['rot-0+', 'rot-1']);
    const inc1 = await fetch({ sessionId: full.sessionId, epoch: 1, maxBytes: 1, parts: [['rot', 0, 1]] });
    assert.deepEqual(answered(inc1), ['rot-0+']);
    // rot-0 was answered last time: rot-1 is read first now and takes the budget.
    const inc2 = await fetch({ sessionId: full.sessionId, epoch: 2, maxBytes: 1, parts: [['rot', 0, 2]] });
    assert.deepEqual(answered(inc2), ['rot-1+']);
    await fetch({ sessionId: full.sessionId, epoch: -1 });
  });

  test('an incremental long-poll is answered when a session partition gets records', async () => {
    const full = await fetch({ epoch: 0, parts: [['fs', 3, 0]] });
    // Whether the append lands before or during the wait, the answer is the same.
    const pending = fetch({ sessionId: full.sessionId, epoch: 1, maxWaitMs: HOUR_MS, minBytes: 1 });
    await produce('fs', 3, 'late');
    const res = await pending;
    assert.deepEqual(answered(res), ['fs-3+']);
    await fetch({ sessionId: full.sessionId, epoch: -1 });
  });

  test('by topic id (v13+): unknown ids answer UNKNOWN_TOPIC_ID every time; going on by name is FETCH_SESSION_TOPIC_ID_ERROR', async () => {
    const topicId = broker.engine.describeTopic('fs')!.topicId;
    const unknown = '0123456789abcdef0123456789abcdef';
    const full = await fetch({ version: 13, epoch: 0, parts: [[topicId, 0, 0], [unknown, 0, 0]] });
    assert.ok(full.sessionId > 0);
    assert.deepEqual(answered(full), [`${topicId}-0+`, `${unknown}-0`]);
    assert.equal(full.responses[1]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    const inc = await fetch({ version: 13, sessionId: full.sessionId, epoch: 1, parts: [[topicId, 0, 1]] });
    assert.deepEqual(answered(inc), [`${unknown}-0`]);
    // Any version from 13 goes on with it (v18: Kafka 4.4's newest).
    const v17 = await fetch({ version: 18, sessionId: full.sessionId, epoch: 2 });
    assert.equal(v17.errorCode, 0);
    assert.deepEqual(answered(v17), [`${unknown}-0`]);
    const byName = await fetch({ version: 12, sessionId: full.sessionId, epoch: 3 });
    assert.equal(byName.errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    // The reverse: a session by name continued at v13.
    const named = await fetch({ version: 12, epoch: 0, parts: [['fs', 0, 0]] });
    assert.equal((await fetch({ version: 13, sessionId: named.sessionId, epoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR);
    await fetch({ version: 13, sessionId: full.sessionId, epoch: -1 });
    await fetch({ version: 12, sessionId: named.sessionId, epoch: -1 });
  });

  test('hostile input: huge forgotten lists, repeated partitions, negative epochs and ids, bad partitions never break the connection', async () => {
    const full = await fetch({ epoch: 0, parts: [['fs', 0, 0], ['fs', 0, 0], ['fs', -1, 0], ['fs', 99, 0], ['nosuch', 0, 0]] });
    // A repeated partition is one partition (Kafka reads the request into a map).
    assert.deepEqual(answered(full), ['fs-0+', 'fs--1', 'fs-99', 'nosuch-0']);
    assert.ok(full.sessionId > 0);
    const huge = Array.from({ length: 200_000 }, (_, i) => i - 100_000);
    const inc = await fetch({ sessionId: full.sessionId, epoch: 1, forgotten: [['fs', huge], ['nosuch', huge], ['', [0]]] });
    assert.equal(inc.errorCode, 0);
    assert.equal(inc.sessionId, 0, 'everything forgotten: the session closed');
    for (const [sessionId, epoch] of [[0, -2], [0, 7], [-5, 1], [-5, -9], [0x7fffffff, 0x7fffffff], [full.sessionId, -3]] as const) {
      const res = await fetch({ sessionId, epoch, parts: [['fs', 0, 0]] });
      assert.equal(res.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, `id ${sessionId} epoch ${epoch}`);
    }
    // A live session and a negative epoch other than -1: the epoch does not match.
    const live = await fetch({ epoch: 0, parts: [['fs', 0, 0]] });
    assert.equal((await fetch({ sessionId: live.sessionId, epoch: -7 })).errorCode, ErrorCode.INVALID_FETCH_SESSION_EPOCH);
    // Closing a session id that is not there is just a sessionless fetch.
    assert.equal((await fetch({ sessionId: -5, epoch: -1, parts: [['fs', 0, 0]] })).errorCode, 0);
    await fetch({ sessionId: live.sessionId, epoch: -1 });
    const v = await client.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    assert.equal(v.errorCode, 0);
  });

  test('the cache holds max.incremental.fetch.session.cache.slots sessions; a new one evicts a stale one, or a smaller one past the eviction age', async () => {
    // Start from an empty cache: age everything out.
    clockMs += 10 * cache.evictionMs;
    const parts = (n: number): Array<[string, number, number]> => Array.from({ length: n }, (_, i) => ['ev', i, 0] as [string, number, number]);
    const s1 = await fetch({ epoch: 0, parts: parts(1) });
    const s2 = await fetch({ epoch: 0, parts: parts(2) });
    const s3 = await fetch({ epoch: 0, parts: parts(3) });
    for (const s of [s1, s2, s3]) assert.ok(s.sessionId > 0);
    assert.equal(cache.size, 3);
    assert.equal(cache.cachedPartitions, 6);
    // Full, and every session is new: no room, answered without a session.
    const refused = await fetch({ epoch: 0, parts: parts(8) });
    assert.equal(refused.errorCode, 0);
    assert.equal(refused.sessionId, 0);
    assert.equal(answered(refused).length, 8);

    // Older than the eviction age but still in use: only a larger session may take a slot, from the smallest.
    for (const epoch of [1, 2]) {
      clockMs += cache.evictionMs / 2 + 1;
      for (const s of [s1, s2, s3]) assert.equal((await fetch({ sessionId: s.sessionId, epoch })).errorCode, 0);
    }
    assert.equal((await fetch({ epoch: 0, parts: parts(1) })).sessionId, 0, 'equal size does not evict');
    const s4 = await fetch({ epoch: 0, parts: parts(4) });
    assert.ok(s4.sessionId > 0);
    assert.equal((await fetch({ sessionId: s1.sessionId, epoch: 3 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 'the smallest was evicted');
    assert.equal((await fetch({ sessionId: s2.sessionId, epoch: 3 })).errorCode, 0);

    // Unused past the eviction age: dropped, and their slots are free.
    clockMs += cache.evictionMs + 1;
    const evictionsBefore = cache.totals.evictions;
    const s5 = await fetch({ epoch: 0, parts: parts(1) });
    assert.ok(s5.sessionId > 0);
    assert.equal(cache.size, 1);
    assert.ok(cache.totals.evictions >= evictionsBefore + 3);
    assert.equal(cache.cachedPartitions, 1);
    assert.equal((await fetch({ sessionId: s4.sessionId, epoch: 1 })).errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    await fetch({ sessionId: s5.sessionId, epoch: -1 });
    assert.equal(cache.size, 0);
    assert.equal(cache.cachedPartitions, 0);
  });
});

describe('fetch session bounds', () => {
  test('a session that would pass the cached-partition bound is not created; one that grows past it is closed', async () => {
    const small = new FetchSessionCache({ slots: 10, maxCachedPartitions: 3 });
    const b = await startTestBroker({ fetchSessions: small });
    const c = await RawClient.connect(b.port);
    try {
      await b.engine.createTopic('cap', 5);
      const tooBig = await fetch({ epoch: 0, parts: [0, 1, 2, 3].map((p) => ['cap', p, 0] as [string, number, number]) }, c);
      assert.equal(tooBig.sessionId, 0);
      assert.equal(answered(tooBig).length, 4);
      const s = await fetch({ epoch: 0, parts: [['cap', 0, 0], ['cap', 1, 0]] }, c);
      assert.ok(s.sessionId > 0);
      const grown = await fetch({ sessionId: s.sessionId, epoch: 1, parts: [['cap', 2, 0], ['cap', 3, 0]] }, c);
      assert.equal(grown.errorCode, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
      assert.equal(small.size, 0);
      assert.equal(small.cachedPartitions, 0);
      // Slots 0: sessions off, every fetch sessionless.
      const off = await startTestBroker({ fetchSessions: new FetchSessionCache({ slots: 0 }) });
      const oc = await RawClient.connect(off.port);
      await off.engine.createTopic('cap', 1);
      assert.equal((await fetch({ epoch: 0, parts: [['cap', 0, 0]] }, oc)).sessionId, 0);
      oc.close();
      await off.close();
    } finally {
      c.close();
      await b.close();
    }
  });
});
