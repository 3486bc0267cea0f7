// BrokerMetrics: record counting from batch headers, the pass-through Engine and
// KafkaHandler wrappers, latency summaries, and the rendered exposition (with a
// stub engine, so these tests need no shard threads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppendResult, Engine, ReadResult } from '../../src/broker/engine-api.js';
import type { KafkaHandler } from '../../src/kafka/handler.js';
import { ProtocolError } from '../../src/kafka/handler.js';
import { BrokerMetrics, LatencyHistogram, countRecords, type EngineIntrospection } from '../../src/metrics/broker-metrics.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line !== undefined, `missing ${series}`);
  return Number(line.slice(series.length + 1));
}

test('countRecords reads record counts from batch headers and ignores a trailing partial batch', () => {
  const a = encodeRecordBatch([{ value: '1' }, { value: '2' }, { value: '3' }]);
  const b = encodeRecordBatch([{ value: '4' }]);
  const both = new Uint8Array(a.length + b.length);
  both.set(a, 0);
  both.set(b, a.length);
  assert.equal(countRecords(both), 4);
  assert.equal(countRecords(both.subarray(0, both.length - 5)), 3);
  assert.equal(countRecords(new Uint8Array(0)), 0);
  assert.equal(countRecords(new Uint8Array(100).fill(0xff)), 0); // garbage: negative length
});

test('LatencyHistogram reports quantiles, sum and count in seconds', () => {
  const h = new LatencyHistogram();
  assert.ok(Number.isNaN(h.snapshot().quantiles[0]![1]));
  for (let i = 1; i <= 100; i++) h.recordMs(i);
  h.recordMs(1e12); // clamped, never throws
  const s = h.snapshot();
  assert.equal(s.count, 101);
  const p50 = s.quantiles.find(([q]) => q === 0.5)![1];
  assert.ok(p50 > 0.045 && p50 < 0.055, `p50 ${p50}`);
  assert.ok(s.sumSeconds > 5);
});

function stubEngine(): Engine & { appended: number } {
  const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }]);
  const ok: AppendResult = { errorCode: 0, baseOffset: 0, logAppendTimeMs: -1, logStartOffset: 0 };
  const read: ReadResult = { errorCode: 0, logStartOffset: 0, highWatermark: 2, lastStableOffset: 2, records: batch };
  const e = {
    appended: 0,
    createTopic: () => Promise.reject(new Error('unused')),
    deleteTopic: () => Promise.resolve(),
    createPartitions: () => Promise.resolve(),
    alterTopicConfig: () => Promise.reject(new Error('unused')),
    listTopics: () => [],
    describeTopic: () => undefined,
    topicLayout: () => undefined,
    defaultTopicConfig: () => {
      throw new Error('unused');
    },
    append: (topic: string) => {
      e.appended++;
      return Promise.resolve(topic === 'bad' ? { ...ok, errorCode: 3 } : ok);
    },
    read: () => Promise.resolve(read),
    waitForAppend: () => Promise.resolve(false),
    fetch: () => Promise.resolve(read),
    offsets: () => ({ errorCode: 0, logStartOffset: 0, highWatermark: 2, lastStableOffset: 2 }),
    describeProducers: () => Promise.resolve({ errorCode: 0, producers: [] }),
    listOffset: () => Promise.resolve({ errorCode: 0, offset: 0, timestamp: -1 }),
    deleteRecords: (_topic: string, _partition: number, offset: number) => Promise.resolve({ errorCode: 0, lowWatermark: offset }),
    logDir: () => Promise.resolve({ path: '/x', totalBytes: -1, usableBytes: -1, partitions: [] }),
    offlineTopics: () => [{ name: 'gone', file: '/x/meta/topics/gone.json', problem: 'not JSON' }],
    offlineTopic: (name: string) => (name === 'gone' ? { name, file: '/x/meta/topics/gone.json', problem: 'not JSON' } : undefined),
    close: () => Promise.resolve(),
  };
  return e;
}

test('the Engine wrapper passes calls through and counts records and bytes per topic', async () => {
  const m = new BrokerMetrics();
  const inner = stubEngine();
  const e = m.instrumentEngine(inner);
  const batch = encodeRecordBatch([{ value: 'x' }, { value: 'y' }, { value: 'z' }]);
  assert.equal((await e.append('t', 0, batch, -1)).errorCode, 0);
  assert.equal((await e.append('bad', 0, batch, -1)).errorCode, 3);
  assert.equal(inner.appended, 2);
  assert.deepEqual(await e.deleteRecords('t', 0, 1), { errorCode: 0, lowWatermark: 1 }, 'deleteRecords passes through');
  assert.deepEqual(e.offlineTopics().map((o) => o.name), ['gone'], 'offline topics pass through');
  assert.equal(e.offlineTopic('gone')?.problem, 'not JSON');
  await e.read('t', 0, 0, 1000);
  await e.fetch('t', 0, 0, 1000, 0);
  const text = await m.render();
  assert.equal(value(text, 'samsa_topic_records_in_total{topic="t"}'), 3);
  assert.equal(value(text, 'samsa_topic_bytes_in_total{topic="t"}'), batch.byteLength);
  assert.equal(value(text, 'samsa_topic_records_out_total{topic="t"}'), 4);
  assert.ok(!text.includes('topic="bad"'), 'failed appends are not counted');
  assert.equal(value(text, 'samsa_produce_latency_seconds_count'), 2);
  assert.equal(value(text, 'samsa_fetch_latency_seconds_count'), 1);
  await e.deleteTopic('t');
  assert.ok(!(await m.render()).includes('topic="t"'), 'a deleted topic drops its series');
});

test('the KafkaHandler wrapper counts requests and connection-closing failures per API key', async () => {
  const m = new BrokerMetrics();
  const inner: KafkaHandler = {
    options: { nodeId: 0, advertisedHost: 'h', advertisedPort: 1, clusterId: 'c', autoCreateTopics: true, numPartitions: 1, fetchMaxWaitMsCap: 1, requestMaxBytes: 1 },
    apiVersions: [],
    setAdvertisedListener: () => {},
    handle: (frame) => (frame[1] === 3 ? Promise.reject(new ProtocolError('bad')) : Promise.resolve(new Uint8Array(1))),
    handleChunks: () => Promise.resolve(null),
  };
  const h = m.instrumentKafkaHandler(inner);
  assert.equal(h.options, inner.options);
  const signal = new AbortController().signal;
  await h.handle(Uint8Array.from([0, 18, 0, 3, 0, 0, 0, 1]), { signal });
  await h.handle(Uint8Array.from([0, 18, 0, 3, 0, 0, 0, 2]), { signal });
  await assert.rejects(h.handle(Uint8Array.from([0, 3, 0, 9, 0, 0, 0, 3]), { signal }), ProtocolError);
  await h.handleChunks(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0, 0, 1]), { signal });
  await h.handleChunks(Uint8Array.from([1]), { signal });
  const text = await m.render();
  assert.equal(value(text, 'samsa_kafka_requests_total{api="ApiVersions"}'), 2);
  assert.equal(value(text, 'samsa_kafka_request_errors_total{api="ApiVersions"}'), 0);
  assert.equal(value(text, 'samsa_kafka_requests_total{api="Metadata"}'), 1);
  assert.equal(value(text, 'samsa_kafka_request_errors_total{api="Metadata"}'), 1);
  assert.equal(value(text, 'samsa_kafka_requests_total{api="unknown"}'), 2);
  assert.equal(value(text, 'samsa_kafka_request_duration_seconds_count{api="ApiVersions"}'), 2);
});

test('render adds shard, ring and partition series from the engine, and connection gauges', async () => {
  const m = new BrokerMetrics();
  m.addConnectionSource('kafka_tcp', () => 7);
  m.addGauge('thing_total', 'things', () => 3, 'counter');
  const introspection: EngineIntrospection = {
    stats: () =>
      Promise.resolve([
        {
          shardId: 0,
          stats: { partitions: [{ slot: 1, segments: 2, sizeBytes: 300, logStartOffset: 5, nextOffset: 9 }, { slot: 99, segments: 1, sizeBytes: 0, logStartOffset: 0, nextOffset: 0 }], fsyncCount: 4, fsyncTotalMs: 8, drains: 10, appendFrames: 12, compactedSegments: 3, compactionBytesRemoved: 4096 },
          ring: { request: 64, completion: 32 },
        },
      ]),
    slotName: (slot) => (slot === 1 ? { topic: 'we"ird', partition: 0 } : undefined),
  };
  const text = await m.render(introspection);
  assert.equal(value(text, 'samsa_connections{listener="kafka_tcp"}'), 7);
  assert.equal(value(text, 'samsa_thing_total'), 3);
  assert.ok(text.includes('# TYPE samsa_thing_total counter'));
  assert.equal(value(text, 'samsa_shard_stats_up'), 1);
  assert.equal(value(text, 'samsa_fsync_duration_seconds_count{shard="0"}'), 4);
  assert.equal(value(text, 'samsa_fsync_duration_seconds_sum{shard="0"}'), 0.008);
  assert.equal(value(text, 'samsa_ring_used_bytes{shard="0",ring="request"}'), 64);
  assert.equal(value(text, 'samsa_compacted_segments_total{shard="0"}'), 3);
  assert.equal(value(text, 'samsa_compaction_removed_bytes_total{shard="0"}'), 4096);
  assert.equal(value(text, 'samsa_log_segments{topic="we\\"ird",partition="0"}'), 2);
  assert.equal(value(text, 'samsa_log_end_offset{topic="we\\"ird",partition="0"}'), 9);
  assert.ok(!text.includes('partition="99"'), 'slots without a name (deleted) are skipped');

  const down = await m.render({ stats: () => Promise.reject(new Error('shard gone')), slotName: () => undefined });
  assert.equal(value(down, 'samsa_shard_stats_up'), 0);
});
