// Producer and consumer against a real in-process broker over TCP: keyed records
// with headers round trip for every codec; keys land where murmur2 (and kafkajs's
// default partitioner) put them; batching; acks 0/1/-1; idempotent retries after a
// lost answer do not duplicate; seeks (offset, earliest, latest, timestamp);
// iterator and callback delivery; OFFSET_OUT_OF_RANGE reset policies; long poll.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import {
  API_KEYS,
  Admin,
  Connection,
  Consumer,
  ErrorCode,
  KafkaError,
  type Message,
  Producer,
  type Transport,
  type TransportFactory,
  isCompressionAvailable,
  partitionForKey,
} from '../../src/client/index.js';
import { openTransport } from '../../src/client/open-transport.js';
import { Reader } from '../../src/wire/codec/reader.js';
import { ProduceRequestCodec } from '../../src/wire/schemas/00-produce.js';
import { RequestHeaderCodec, requestHeaderVersion } from '../../src/wire/schemas/headers.js';
import { BatchBuilder, scanBatches } from '../../src/wire/records.js';
import type { FetchResponse } from '../../src/wire/schemas/01-fetch.js';
import type { ProduceResponse } from '../../src/wire/schemas/00-produce.js';
import type { InitProducerIdResponse } from '../../src/wire/schemas/22-init-producer-id.js';
import { type TestBroker, collect, startTestBroker, text } from './helpers.js';

let tb: TestBroker;
let admin: Admin;
const utf8 = new TextEncoder();

before(async () => {
  tb = await startTestBroker();
  admin = new Admin({ bootstrap: tb.bootstrap });
});

after(async () => {
  await admin.close();
  await tb.close();
});

function earliestConsumer(extra: Partial<ConstructorParameters<typeof Consumer>[0]> = {}): Consumer {
  return new Consumer({ bootstrap: tb.bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100, ...extra });
}

test('keyed records with headers round trip for every codec', async () => {
  const codecs = (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const).filter((c) => isCompressionAvailable(c));
  assert.ok(codecs.length >= 4, `codecs here: ${codecs.join()}`);
  for (const compression of codecs) {
    const topic = `rt-${compression}`;
    await admin.createTopics([{ name: topic, numPartitions: 3 }]);
    const producer = new Producer({ bootstrap: tb.bootstrap, compression, lingerMs: 2 });
    const messages = Array.from({ length: 60 }, (_, i) => ({
      key: `key-${i % 13}`,
      value: `value ${i} `.repeat(1 + (i % 7)),
      headers: i % 2 === 0 ? { 'trace-id': `t${i}`, empty: null } : [{ key: 'dup', value: 'a' }, { key: 'dup', value: utf8.encode('b') }],
    }));
    const meta = await producer.send({ topic, messages });
    await producer.close();
    assert.equal(meta.length, 60);
    const consumer = earliestConsumer();
    await consumer.assign([{ topic }]);
    const got = await collect(consumer, 60);
    await consumer.close();
    const byPlace = new Map(got.map((m) => [`${m.partition}/${m.offset}`, m]));
    meta.forEach((md, i) => {
      const m = byPlace.get(`${md.partition}/${md.offset}`);
      assert.ok(m !== undefined, `${compression}: message ${i} at ${md.partition}/${md.offset}`);
      assert.equal(m.topic, topic);
      assert.equal(text(m.key), messages[i]!.key);
      assert.equal(text(m.value), messages[i]!.value);
      const headers = m.headers.map((h) => [h.key, text(h.value)]);
      if (i % 2 === 0) assert.deepEqual(headers, [['trace-id', `t${i}`], ['empty', null]]);
      else assert.deepEqual(headers, [['dup', 'a'], ['dup', 'b']]);
    });
  }
});

test("keys land on murmur2's partition, the same as kafkajs's default partitioner", async () => {
  const topic = 'keys';
  const numPartitions = 7;
  await admin.createTopics([{ name: topic, numPartitions }]);
  const require = createRequire(import.meta.url);
  const kafkajs = require('kafkajs') as {
    Partitioners: { DefaultPartitioner: () => (a: { topic: string; partitionMetadata: unknown[]; message: { key: string | Buffer } }) => number };
  };
  const theirs = kafkajs.Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: numPartitions }, (_, i) => ({ partitionId: i, leader: 0 }));
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  const keys = Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? `user-${i}` : i % 3 === 1 ? `ключ-${i}-✓` : `${i}`));
  const meta = await producer.send({ topic, messages: keys.map((key) => ({ key, value: 'x' })) });
  await producer.close();
  keys.forEach((key, i) => {
    const expected = partitionForKey(utf8.encode(key), numPartitions);
    assert.equal(meta[i]!.partition, expected, key);
    assert.equal(theirs({ topic, partitionMetadata, message: { key } }), expected, `kafkajs for ${key}`);
  });
  assert.ok(new Set(meta.map((m) => m.partition)).size === numPartitions, 'keys spread over every partition');
});

test('unkeyed records stick to a partition per batch; explicit partitions are honoured', async () => {
  const topic = 'sticky';
  await admin.createTopics([{ name: topic, numPartitions: 4 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 50 });
  const meta = await producer.send({ topic, messages: Array.from({ length: 20 }, () => ({ value: 'v' })) });
  assert.equal(new Set(meta.map((m) => m.partition)).size, 1, 'one small batch: one partition');
  const explicit = await producer.send({ topic, messages: [{ value: 'p3', partition: 3 }, { key: 'k', value: 'p0', partition: 0 }] });
  assert.deepEqual(
    explicit.map((m) => m.partition),
    [3, 0],
  );
  await assert.rejects(producer.send({ topic, messages: [{ value: 'x', partition: 9 }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await producer.close();
});

async function fetchRaw(topic: string, partition: number, offset: number): Promise<Uint8Array> {
  const conn = await Connection.open({ bootstrap: tb.bootstrap });
  try {
    const res = await conn.request<FetchResponse>(API_KEYS.Fetch, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 24 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    return res.responses[0]!.partitions[0]!.records ?? new Uint8Array(0);
  } finally {
    conn.close();
  }
}

test('sends within lingerMs share a batch; batchSize splits batches; order is kept', async () => {
  const topic = 'batching';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 30, batchSize: 4096 });
  const sends = Array.from({ length: 10 }, (_, i) => producer.send({ topic, messages: [{ value: `small-${i}` }] }));
  const metas = await Promise.all(sends);
  assert.deepEqual(
    metas.map((m) => m[0]!.offset),
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(scanBatches(await fetchRaw(topic, 0, 0)).batches, 1, 'ten sends in one linger window: one batch');
  // 300 records of ~100 bytes do not fit 4 KiB batches.
  const big = await producer.send({ topic, messages: Array.from({ length: 300 }, (_, i) => ({ value: `${i}`.padStart(100, '.') })) });
  assert.deepEqual(
    big.map((m) => m.offset),
    Array.from({ length: 300 }, (_, i) => 10 + i),
  );
  // A unit's worth (5) of 4 KiB batches, then, the partition being behind, larger ones.
  assert.ok(scanBatches(await fetchRaw(topic, 0, 10)).batches >= 6, 'split at batchSize');
  // A record larger than batchSize still goes (alone in its batch).
  const [huge] = await producer.send({ topic, messages: [{ value: new Uint8Array(20_000) }] });
  assert.equal(huge!.offset, 310);
  await producer.close();
  const consumer = earliestConsumer();
  await consumer.assign([{ topic, partition: 0 }]);
  const got = await collect(consumer, 311);
  await consumer.close();
  assert.deepEqual(
    got.map((m) => m.offset),
    Array.from({ length: 311 }, (_, i) => i),
  );
  assert.equal(got[310]!.value!.length, 20_000);
});

test('acks 0, 1 and -1 all deliver; acks=0 reports no offsets', async () => {
  const topic = 'acks';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  for (const acks of [0, 1, -1] as const) {
    const producer = new Producer({ bootstrap: tb.bootstrap, acks, lingerMs: 0 });
    const meta = await producer.send({ topic, messages: [{ value: `acks=${acks}` }] });
    await producer.close();
    if (acks === 0) assert.equal(meta[0]!.offset, -1);
    else assert.ok(meta[0]!.offset >= 0);
  }
  const consumer = earliestConsumer();
  await consumer.assign([{ topic, partition: 0 }]);
  const got = await collect(consumer, 3);
  await consumer.close();
  assert.deepEqual(
    got.map((m) => text(m.value)),
    ['acks=0', 'acks=1', 'acks=-1'],
  );
});

test('the broker answers a resent batch (same producer id, epoch, sequence) with the first offset', async () => {
  const topic = 'idem-raw';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const conn = await Connection.open({ bootstrap: tb.bootstrap });
  try {
    const pid = await conn.request<InitProducerIdResponse>(API_KEYS.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
    assert.equal(pid.errorCode, 0);
    const batch = (seq: number, n: number): Uint8Array => {
      const b = new BatchBuilder(4096);
      for (let i = 0; i < n; i++) b.tryAppend(null, utf8.encode(`r${seq + i}`), null, Date.now());
      return b.seal({ compression: 'none', producerId: pid.producerId, producerEpoch: pid.producerEpoch, baseSequence: seq });
    };
    const produce = async (records: Uint8Array) => {
      const res = await conn.request<ProduceResponse>(API_KEYS.Produce, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
      return res.responses[0]!.partitionResponses[0]!;
    };
    const first = batch(0, 5);
    const a = await produce(first);
    const b = await produce(first);
    assert.equal(a.errorCode, 0);
    assert.equal(b.errorCode, 0);
    assert.equal(b.baseOffset, a.baseOffset, 'the duplicate gets the original offset');
    const next = await produce(batch(5, 3));
    assert.equal(next.baseOffset, a.baseOffset + 5);
    const gap = await produce(batch(20, 1));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  } finally {
    conn.close();
  }
  const consumer = earliestConsumer();
  await consumer.assign([{ topic, partition: 0 }]);
  const got = await collect(consumer, 8);
  await consumer.close();
  assert.deepEqual(
    got.map((m) => text(m.value)),
    ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'],
  );
});

/** A transport that drops the answer to the first `drops` Produce requests and cuts the connection. */
function droppingTransport(drops: number, stats: { dropped: number; connections: number }): TransportFactory {
  return async (target, opts) => {
    const inner = await openTransport(target, opts);
    stats.connections++;
    const produceIds = new Set<number>();
    const outer: Transport = {
      onFrame: () => {},
      onClose: () => {},
      send(chunks, byteLength) {
        const first = chunks[0]!;
        const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
        if (dv.getInt16(0) === API_KEYS.Produce) produceIds.add(dv.getInt32(4));
        inner.send(chunks, byteLength);
      },
      bufferedBytes: () => inner.bufferedBytes(),
      close: () => inner.close(),
    };
    inner.onClose = (err) => outer.onClose(err);
    inner.onFrame = (frame) => {
      const correlationId = new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0);
      if (produceIds.has(correlationId) && stats.dropped < drops) {
        // The broker wrote the batch; the producer never hears of it.
        stats.dropped++;
        inner.close();
        return;
      }
      outer.onFrame(frame);
    };
    return outer;
  };
}

/** A transport that decodes every Produce request it passes on and counts the batches per partition in each. */
function batchCountingTransport(seen: { requests: number; maxBatchesPerPartition: number; maxBatchBytes?: number }): TransportFactory {
  return async (target, opts) => {
    const inner = await openTransport(target, opts);
    const outer: Transport = {
      onFrame: () => {},
      onClose: () => {},
      send(chunks, byteLength) {
        const frame = new Uint8Array(byteLength);
        let at = 0;
        for (const c of chunks) {
          frame.set(c, at);
          at += c.byteLength;
        }
        const dv = new DataView(frame.buffer);
        if (dv.getInt16(0) === API_KEYS.Produce) {
          const version = dv.getInt16(2);
          const r = new Reader(frame);
          RequestHeaderCodec.decode(r, requestHeaderVersion(ProduceRequestCodec.isFlexible(version)));
          const req = ProduceRequestCodec.decode(r, version);
          seen.requests++;
          for (const t of req.topicData) {
            for (const p of t.partitionData) {
              seen.maxBatchesPerPartition = Math.max(seen.maxBatchesPerPartition, scanBatches(p.records!).batches);
              seen.maxBatchBytes = Math.max(seen.maxBatchBytes ?? 0, p.records!.byteLength);
            }
          }
        }
        inner.send(chunks, byteLength);
      },
      bufferedBytes: () => inner.bufferedBytes(),
      close: () => inner.close(),
    };
    inner.onClose = (err) => outer.onClose(err);
    inner.onFrame = (frame) => outer.onFrame(frame);
    return outer;
  };
}

test('one batch per partition per Produce request (Kafka refuses more), several batches in flight, offsets per batch', async () => {
  const topic = 'one-batch-per-request';
  await admin.createTopics([{ name: topic, numPartitions: 2 }]);
  const seen = { requests: 0, maxBatchesPerPartition: 0 };
  // Small batches and no linger: many batches are ready while earlier ones are out.
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0, batchSize: 256, transport: batchCountingTransport(seen) });
  // ~60 B records: 2000 of them are ~15 batches per partition even once the partitions fall behind (16 × 256 B).
  const sends = Array.from({ length: 2000 }, (_, i) => producer.send({ topic, messages: [{ value: `${i}`.padStart(50, '.'), partition: i % 2 }] }));
  const results = (await Promise.all(sends)).map((r) => r[0]!);
  await producer.close();
  assert.equal(seen.maxBatchesPerPartition, 1, 'never two batches of one partition in a request');
  assert.ok(seen.requests >= 10, `${seen.requests} requests`);
  // Offsets per partition are 0..999 in send order.
  for (const part of [0, 1]) {
    assert.deepEqual(
      results.filter((m) => m.partition === part).map((m) => m.offset),
      Array.from({ length: 1000 }, (_, i) => i),
    );
  }
});

test('a partition that falls behind gathers into larger batches (up to 16 × batchSize), in order', async () => {
  const topic = 'backlog-batches';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const calm = { requests: 0, maxBatchesPerPartition: 0, maxBatchBytes: 0 };
  // Keeping up: one send at a time, never a batch above batchSize.
  const steady = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0, batchSize: 1024, transport: batchCountingTransport(calm) });
  for (let i = 0; i < 50; i++) await steady.send({ topic, messages: [{ value: 'x'.repeat(100) }] });
  await steady.close();
  assert.ok(calm.maxBatchBytes <= 1024, `steady batches ${calm.maxBatchBytes} B`);
  // Far behind: 5,000 records at once; after a unit's worth of 1 KiB batches the rest gather into larger ones.
  const seen = { requests: 0, maxBatchesPerPartition: 0, maxBatchBytes: 0 };
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0, batchSize: 1024, acks: -1, transport: batchCountingTransport(seen) });
  const sends = Array.from({ length: 5000 }, (_, i) => producer.send({ topic, messages: [{ value: `${i}`.padStart(100, '.') }] }));
  const offsets = (await Promise.all(sends)).map((r) => r[0]!.offset);
  await producer.close();
  assert.equal(seen.maxBatchesPerPartition, 1);
  assert.ok(seen.maxBatchBytes > 1024 && seen.maxBatchBytes <= 16 * 1024 + 256, `largest batch ${seen.maxBatchBytes} B`);
  assert.deepEqual(offsets, Array.from({ length: 5000 }, (_, i) => 50 + i), 'offsets in send order');
});

test('an idempotent producer retries after a lost answer without duplicating', async () => {
  const topic = 'idem-retry';
  await admin.createTopics([{ name: topic, numPartitions: 2 }]);
  const stats = { dropped: 0, connections: 0 };
  const producer = new Producer({ bootstrap: tb.bootstrap, transport: droppingTransport(2, stats), lingerMs: 0, retryBackoffMs: 10 });
  const meta = await producer.send({ topic, messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
  const more = await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `w${i}` })) });
  await producer.close();
  assert.equal(stats.dropped, 2);
  assert.ok(stats.connections >= 3, `reconnected (${stats.connections} connections)`);
  const latest = await admin.listOffsets(topic, 'latest');
  assert.equal(
    latest.reduce((n, p) => n + p.offset, 0),
    60,
    'each record written once',
  );
  const consumer = earliestConsumer();
  await consumer.assign([{ topic }]);
  const got = await collect(consumer, 60);
  await consumer.close();
  const seen = new Map(got.map((m) => [`${m.partition}/${m.offset}`, text(m.value)]));
  [...meta, ...more].forEach((md, i) => assert.equal(seen.get(`${md.partition}/${md.offset}`), i < 50 ? `v${i}` : `w${i - 50}`));
});

test('a non-retriable failure fails that send, and the producer goes on under a new epoch or id', async () => {
  const topic = 'epoch-bump';
  await admin.createTopics([{ name: topic, numPartitions: 1, configs: { 'max.message.bytes': '2000' } }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0, batchSize: 1024 });
  await producer.send({ topic, messages: [{ value: 'before' }] });
  const before = producer.producerIdentity;
  await assert.rejects(producer.send({ topic, messages: [{ value: new Uint8Array(5000) }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.MESSAGE_TOO_LARGE);
  const [next] = await producer.send({ topic, messages: [{ value: 'after' }] });
  assert.equal(next!.offset, 1);
  // A new epoch (KIP-360 bump) or, from a broker that does not bump, a new producer id.
  assert.notDeepEqual(producer.producerIdentity, before);
  await producer.close();
});

test('seek to an offset, earliest, latest and a timestamp; position follows delivery', async () => {
  const topic = 'seek';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const base = 1_600_000_000_000;
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ value: `m${i}`, timestamp: base + i * 100 })) });
  const consumer = new Consumer({ bootstrap: tb.bootstrap, maxWaitMs: 50 });
  await consumer.assign([{ topic, partition: 0 }]);

  await consumer.seek(topic, 0, 7);
  let got = await collect(consumer, 2);
  assert.deepEqual(
    got.map((m) => m.offset),
    [7, 8],
  );
  assert.equal(consumer.position(topic, 0), 9);

  await consumer.seek(topic, 0, { timestamp: base + 1250 });
  got = await collect(consumer, 1);
  assert.equal(got[0]!.offset, 13);
  assert.equal(got[0]!.timestamp, base + 1300);

  await consumer.seek(topic, 0, 'earliest');
  got = await collect(consumer, 1);
  assert.equal(got[0]!.offset, 0);

  await consumer.seek(topic, 0, 'latest');
  assert.equal(consumer.position(topic, 0), 20);
  await producer.send({ topic, messages: [{ value: 'm20' }] });
  got = await collect(consumer, 1);
  assert.equal(text(got[0]!.value), 'm20');

  // A timestamp past every record: the end.
  await consumer.seek(topic, 0, { timestamp: Date.now() + 3_600_000 });
  assert.equal(consumer.position(topic, 0), 21);
  await producer.close();
  await consumer.close();
  await assert.rejects(consumer.seek(topic, 0, 0), /closed/);
});

test('callback delivery (eachMessage, eachBatch); close ends run() and the iterator', async () => {
  const topic = 'callbacks';
  await admin.createTopics([{ name: topic, numPartitions: 2 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `${i}`, value: `${i}` })) });

  const consumer = earliestConsumer();
  await consumer.assign([{ topic }]);
  const seen: Message[] = [];
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const running = consumer.run({
    eachMessage: async (m) => {
      seen.push(m);
      if (seen.length === 40) done();
    },
  });
  await all;
  await consumer.close();
  await running;
  assert.equal(new Set(seen.map((m) => `${m.partition}/${m.offset}`)).size, 40);

  const batcher = earliestConsumer();
  await batcher.assign([{ topic }]);
  let count = 0;
  let batchDone!: () => void;
  const batchesIn = new Promise<void>((r) => (batchDone = r));
  const batchRun = batcher.run({
    eachBatch: ({ messages, partition, highWatermark }) => {
      assert.ok(messages.every((m) => m.partition === partition));
      assert.ok(highWatermark > 0);
      count += messages.length;
      if (count === 40) batchDone();
    },
  });
  await batchesIn;
  await batcher.close();
  await batchRun;

  // An iterator waiting in a long poll ends when the consumer closes.
  const idle = new Consumer({ bootstrap: tb.bootstrap, maxWaitMs: 5000 });
  await idle.assign([{ topic, partition: 0 }]);
  const iterating = (async () => {
    let n = 0;
    for await (const _ of idle) n++;
    return n;
  })();
  await new Promise((r) => setTimeout(r, 100));
  await idle.close();
  assert.equal(await iterating, 0);
  await producer.close();
});

test('OFFSET_OUT_OF_RANGE: reset to earliest, or an error with autoOffsetReset error', async () => {
  const topic = 'out-of-range';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `${i}` })) });
  await producer.close();

  const resetting = earliestConsumer();
  await resetting.assign([{ topic, partition: 0 }]);
  await resetting.seek(topic, 0, 1000);
  const got = await collect(resetting, 5);
  assert.deepEqual(
    got.map((m) => m.offset),
    [0, 1, 2, 3, 4],
  );
  await resetting.close();

  const strict = new Consumer({ bootstrap: tb.bootstrap, autoOffsetReset: 'error', maxWaitMs: 50 });
  await strict.assign([{ topic, partition: 0 }]);
  await strict.seek(topic, 0, 1000);
  await assert.rejects(collect(strict, 1), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
  await strict.close();
});

test('a long-polling consumer gets records produced after it started waiting', async () => {
  const topic = 'long-poll';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const consumer = new Consumer({ bootstrap: tb.bootstrap, maxWaitMs: 5000 });
  await consumer.assign([{ topic, partition: 0 }]);
  const waiting = collect(consumer, 1);
  for (let i = 0; i < 250 && consumer.position(topic, 0) < 0; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100)); // the fetch is now (most likely) waiting in the broker
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: [{ key: 'late', value: 'arrival' }] });
  const [m] = await waiting;
  assert.equal(text(m!.value), 'arrival');
  await producer.close();
  await consumer.close();
});

test('unknown topics: auto-created by default, an error when creation is off', async () => {
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  const [m] = await producer.send({ topic: 'auto-created', messages: [{ value: 'x' }] });
  assert.equal(m!.offset, 0);
  await producer.close();
  const strict = new Producer({ bootstrap: tb.bootstrap, allowAutoTopicCreation: false });
  await assert.rejects(strict.send({ topic: 'never-created', messages: [{ value: 'x' }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await strict.close();
  await assert.rejects(strict.send({ topic: 'auto-created', messages: [{ value: 'x' }] }), /closed/);
});

test('flush waits for every buffered record; many unawaited sends all land', async () => {
  const topic = 'flush';
  await admin.createTopics([{ name: topic, numPartitions: 3 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 1000, batchSize: 2048, bufferMemoryBytes: 64 * 1024 });
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < 2000; i++) pending.push(producer.send({ topic, messages: [{ key: `${i % 50}`, value: `value-${i}` }] }));
  await producer.flush();
  await Promise.all(pending);
  await producer.close();
  const latest = await admin.listOffsets(topic, 'latest');
  assert.equal(
    latest.reduce((n, p) => n + p.offset, 0),
    2000,
  );
});

test('sends keep their call order while waiting for buffer memory', async () => {
  const topic = 'order-under-pressure';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 5, batchSize: 1024, bufferMemoryBytes: 4096 });
  const sends = Array.from({ length: 500 }, (_, i) => producer.send({ topic, messages: [{ value: `${i}` }] }));
  const offsets = (await Promise.all(sends)).map((m) => m[0]!.offset);
  assert.deepEqual(
    offsets,
    Array.from({ length: 500 }, (_, i) => i),
  );
  await producer.close();
});

test('send() promises of one partition settle in call order, whichever path each send took', async () => {
  // A small buffer makes some sends wait (the queued path) while others go straight
  // in after memory frees: the settle order must still be the call order, as Kafka's
  // producer completes callbacks of one partition in order.
  const topic = 'settle-order';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0, batchSize: 512, bufferMemoryBytes: 2048 });
  const settled: number[] = [];
  const sends: Array<Promise<unknown>> = [];
  // Yields of different lengths between sends interleave queued and direct sends in one batch.
  for (let n = 0; n < 1000; n++) {
    sends.push(producer.send({ topic, messages: [{ value: `${n}` }] }).then(() => settled.push(n)));
    if (n % 3 === 0) await Promise.resolve();
    if (n % 17 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(sends);
  assert.deepEqual(settled, Array.from({ length: 1000 }, (_, n) => n));
  await producer.close();
});

test('a send to a partition added since the last metadata read finds it', async () => {
  const topic = 'grows';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: [{ value: 'first' }] });
  await admin.createPartitions([{ topic, count: 3 }]);
  const [m] = await producer.send({ topic, messages: [{ value: 'to the new partition', partition: 2 }] });
  assert.equal(m!.partition, 2);
  await assert.rejects(producer.send({ topic, messages: [{ value: 'x', partition: 3 }] }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await producer.close();
});

test('bad messages are rejected with a TypeError before anything is buffered', async () => {
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  const bad: unknown[] = [
    { topic: 'bad-input', messages: [{ value: 42 }] },
    { topic: 'bad-input', messages: [{ value: 'ok', key: {} }] },
    { topic: 'bad-input', messages: [{ value: 'ok', headers: [{ key: 1, value: 'x' }] }] },
    { topic: 'bad-input', messages: [{ value: 'ok', headers: { h: 7 } }] },
    { topic: 'bad-input', messages: 'nope' },
    { topic: '', messages: [] },
    { topic: 'bad-input', messages: [null] },
  ];
  for (const record of bad) await assert.rejects(producer.send(record as never), TypeError, JSON.stringify(record));
  const [ok] = await producer.send({ topic: 'bad-input', messages: [{ value: 'fine' }] });
  assert.equal(ok!.offset, 0, 'nothing from the bad sends was written');
  await producer.close();
});

/** A transport that never delivers Produce answers (the broker seems stuck). */
function silentProduceTransport(): TransportFactory {
  return async (target, opts) => {
    const inner = await openTransport(target, opts);
    const produceIds = new Set<number>();
    const outer: Transport = {
      onFrame: () => {},
      onClose: () => {},
      send(chunks, byteLength) {
        const first = chunks[0]!;
        const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
        if (dv.getInt16(0) === API_KEYS.Produce) produceIds.add(dv.getInt32(4));
        inner.send(chunks, byteLength);
      },
      bufferedBytes: () => inner.bufferedBytes(),
      close: () => inner.close(),
    };
    inner.onClose = (err) => outer.onClose(err);
    inner.onFrame = (frame) => {
      if (!produceIds.has(new DataView(frame.buffer, frame.byteOffset, 4).getInt32(0))) outer.onFrame(frame);
    };
    return outer;
  };
}

test('close with a deadline fails what is still unacknowledged', async () => {
  const topic = 'stuck';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, transport: silentProduceTransport(), lingerMs: 0, requestTimeoutMs: 60_000 });
  const pending = producer.send({ topic, messages: [{ value: 'never acknowledged' }] });
  const rejected = assert.rejects(pending, (e: unknown) => e instanceof KafkaError && e.name === 'ClientClosedError');
  await producer.close(200);
  await rejected;
});

test('a seek into the middle of a compressed batch skips the records before it', async () => {
  const topic = 'mid-batch';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, compression: 'gzip', lingerMs: 20 });
  await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: `r${i}` })) });
  await producer.close();
  assert.equal(scanBatches(await fetchRaw(topic, 0, 0)).batches, 1, 'one compressed batch');
  const consumer = new Consumer({ bootstrap: tb.bootstrap, maxWaitMs: 50 });
  await consumer.assign([{ topic, partition: 0 }]);
  await consumer.seek(topic, 0, 57);
  const got = await collect(consumer, 43);
  await consumer.close();
  assert.deepEqual(
    got.map((m) => text(m.value)),
    Array.from({ length: 43 }, (_, i) => `r${57 + i}`),
  );
});

test("autoOffsetReset 'latest' starts a new assignment at the end", async () => {
  const topic = 'reset-latest';
  await admin.createTopics([{ name: topic, numPartitions: 1 }]);
  const producer = new Producer({ bootstrap: tb.bootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: [{ value: 'old' }] });
  const consumer = new Consumer({ bootstrap: tb.bootstrap, autoOffsetReset: 'latest', maxWaitMs: 50 });
  await consumer.assign([{ topic, partition: 0 }]);
  const waiting = collect(consumer, 1);
  // The position is resolved (to the end) by the fetch loop; wait for it, bounded.
  for (let i = 0; i < 250 && consumer.position(topic, 0) < 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(consumer.position(topic, 0), 1);
  await producer.send({ topic, messages: [{ value: 'new' }] });
  assert.equal(text((await waiting)[0]!.value), 'new');
  assert.deepEqual(consumer.assignment(), [{ topic, partition: 0 }]);
  await producer.close();
  await consumer.close();
});
