// Samsa's consumer in fetch sessions (KIP-227): a consumer of many partitions fetches
// incrementally once the broker gave it a session, and starts over with a full fetch
// when the broker lost the session (FETCH_SESSION_ID_NOT_FOUND), losing nothing.
// Owns: tests of the session paths of src/client/consumer.ts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumer } from '../../src/client/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { FetchSessionCache } from '../../src/kafka/fetch-sessions.js';
import { startTestBroker, type TestBroker } from '../kafka/harness.js';
import { collect, text } from './helpers.js';

const PARTITIONS = 60;
let clockMs = 1_000_000;
const cache = new FetchSessionCache({ nowMs: () => clockMs });
let broker: TestBroker;

before(async () => {
  broker = await startTestBroker({ fetchSessions: cache });
  await broker.engine.createTopic('many', PARTITIONS);
});

after(async () => {
  await broker.close();
});

async function produceEach(round: number, partitions: number): Promise<void> {
  for (let p = 0; p < partitions; p++) {
    await broker.engine.append('many', p, encodeRecordBatch([{ key: null, value: `r${round}-p${p}` }]).slice(), 1);
  }
}

/** Waits (bounded) until `cond` holds; the consumer's fetch loop runs meanwhile. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`never: ${what}`);
}

test('a consumer of many partitions fetches in a session, and starts over when the broker lost it', async () => {
  await produceEach(0, PARTITIONS);
  const consumer = new Consumer({ bootstrap: `127.0.0.1:${broker.port}`, autoOffsetReset: 'earliest', maxWaitMs: 50 });
  try {
    await consumer.assign([{ topic: 'many' }]);
    const first = await collect(consumer, PARTITIONS);
    assert.equal(new Set(first.map((m) => text(m.value))).size, PARTITIONS);
    assert.ok(cache.totals.sessionsCreated >= 1, 'the consumer asked for a session and got one');
    await until(() => cache.totals.incrementalFetches >= 2, 'incremental fetches');
    assert.equal(cache.size, 1);

    await produceEach(1, 10);
    const second = await collect(consumer, 10);
    assert.deepEqual(second.map((m) => text(m.value)).sort(), Array.from({ length: 10 }, (_, p) => `r1-p${p}`).sort());

    // The broker forgets the session (unused past the eviction age by its clock): the
    // consumer's next incremental fetch is FETCH_SESSION_ID_NOT_FOUND, then it fetches in full.
    const created = cache.totals.sessionsCreated;
    clockMs += cache.evictionMs + 1;
    await until(() => cache.totals.sessionErrors >= 1, 'a session error');
    await until(() => cache.totals.sessionsCreated > created, 'a new session');
    await produceEach(2, PARTITIONS);
    const third = await collect(consumer, PARTITIONS);
    assert.deepEqual(new Set(third.map((m) => text(m.value))), new Set(Array.from({ length: PARTITIONS }, (_, p) => `r2-p${p}`)));
  } finally {
    await consumer.close();
  }
});
