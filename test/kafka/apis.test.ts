// Every served API, over TCP against a real engine, at old and flexible versions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../src/wire/errors.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { ProduceRequestCodec, ProduceResponseCodec, type ProduceResponse } from '../../src/wire/schemas/00-produce.js';
import { FetchRequestCodec, FetchResponseCodec, type FetchRequest } from '../../src/wire/schemas/01-fetch.js';
import { ListOffsetsRequestCodec, ListOffsetsResponseCodec } from '../../src/wire/schemas/02-list-offsets.js';
import { CreateTopicsRequestCodec, CreateTopicsResponseCodec } from '../../src/wire/schemas/19-create-topics.js';
import { DeleteTopicsRequestCodec, DeleteTopicsResponseCodec } from '../../src/wire/schemas/20-delete-topics.js';
import { CreatePartitionsRequestCodec, CreatePartitionsResponseCodec } from '../../src/wire/schemas/37-create-partitions.js';
import { DescribeConfigsRequestCodec, DescribeConfigsResponseCodec } from '../../src/wire/schemas/32-describe-configs.js';
import { AlterConfigsRequestCodec, AlterConfigsResponseCodec } from '../../src/wire/schemas/33-alter-configs.js';
import { IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec } from '../../src/wire/schemas/44-incremental-alter-configs.js';
import { InitProducerIdRequestCodec, InitProducerIdResponseCodec } from '../../src/wire/schemas/22-init-producer-id.js';
import { decodeResponse, RawClient, startTestBroker, type TestBroker } from './harness.js';

let broker: TestBroker;
let client: RawClient;

before(async () => {
  broker = await startTestBroker();
  client = await RawClient.connect(broker.port);
});

after(async () => {
  client.close();
  await broker.close();
});

async function createTopic(name: string, partitions: number, version = 4): Promise<void> {
  const res = await client.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, version, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, res.topics[0]!.errorMessage ?? '');
}

async function produce(topic: string, partition: number, values: string[], version = 7, acks = -1): Promise<ProduceResponse> {
  const records = encodeRecordBatch(values.map((v, i) => ({ key: `k${i}`, value: v, headers: [{ key: 'h', value: 'x' }] })));
  return client.request(ProduceRequestCodec, ProduceResponseCodec, version, {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
}

function fetchRequest(topic: string, partition: number, offset: number, extra: Partial<FetchRequest> = {}, topicId = '00000000000000000000000000000000'): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
    ...extra,
  };
}

describe('ApiVersions', () => {
  for (const v of [0, 1, 2, 3]) {
    test(`v${v} lists every served API`, async () => {
      const res = await client.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, v, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
      assert.equal(res.errorCode, 0);
      const keys = res.apiKeys.map((k) => k.apiKey);
      for (const k of [0, 1, 2, 3, 18, 19, 20, 22, 32, 37]) assert.ok(keys.includes(k), `api ${k} listed`);
      const produce = res.apiKeys.find((k) => k.apiKey === 0)!;
      // Listed from v0 as Kafka 4 does (KAFKA-18659: librdkafka < 2.10 compresses only then); served from v3.
      assert.deepEqual([produce.minVersion, produce.maxVersion], [0, 11]);
    });
  }

  test('an unsupported version gets a v0 body with UNSUPPORTED_VERSION and ApiVersions\' own range (as Kafka answers)', async () => {
    // A v9 request: our codec cannot encode it, so write the header by hand (v2 header + empty body).
    const frame = Uint8Array.from([0, 18, 0, 9, 0, 0, 0, 77, 0, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 0, 0]);
    client.sendFrame(frame);
    const res = await client.nextFrame();
    assert.ok(res !== null);
    const { correlationId, body } = decodeResponse(ApiVersionsResponseCodec, 0, res);
    assert.equal(correlationId, 77);
    assert.equal(body.errorCode, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(body.apiKeys.map((k) => ({ ...k })), [{ apiKey: 18, minVersion: 0, maxVersion: 5 }]);
  });
});

describe('Metadata', () => {
  test('auto-creates a requested topic with num.partitions and lists this broker as leader', async () => {
    for (const v of [0, 4, 9, 12]) {
      const name = `auto-${v}`;
      const res = await client.request(MetadataRequestCodec, MetadataResponseCodec, v, {
        topics: [{ topicId: '00000000000000000000000000000000', name }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      assert.equal(res.brokers.length, 1);
      assert.equal(res.brokers[0]!.port, broker.port);
      const t = res.topics[0]!;
      assert.equal(t.errorCode, 0, `v${v}`);
      assert.equal(t.name, name);
      assert.equal(t.partitions.length, 1);
      assert.equal(t.partitions[0]!.leaderId, res.brokers[0]!.nodeId);
      if (v >= 10) assert.equal(t.topicId, broker.engine.describeTopic(name)!.topicId);
    }
  });

  test('does not create when the request forbids it, and null lists all topics', async () => {
    const res = await client.request(MetadataRequestCodec, MetadataResponseCodec, 9, {
      topics: [{ topicId: '00000000000000000000000000000000', name: 'never-created' }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(res.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const all = await client.request(MetadataRequestCodec, MetadataResponseCodec, 1, {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.ok(all.topics.some((t) => t.name === 'auto-0'));
    assert.ok(!all.topics.some((t) => t.name === 'never-created'));
  });

  test('an invalid name is INVALID_TOPIC_EXCEPTION', async () => {
    const res = await client.request(MetadataRequestCodec, MetadataResponseCodec, 4, {
      topics: [{ topicId: '00000000000000000000000000000000', name: 'bad/name' }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    assert.equal(res.topics[0]!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
  });
});

describe('Produce and Fetch', () => {
  before(() => createTopic('pf', 2));

  test('produce at v3, v7, v9, v10 and v11 appends at increasing offsets; fetch v4..v13 returns the stored batches', async () => {
    let expected = 0;
    for (const v of [3, 7, 9, 10, 11]) {
      const res = await produce('pf', 0, [`a${v}`, `b${v}`], v);
      const p = res.responses[0]!.partitionResponses[0]!;
      assert.equal(p.errorCode, 0, p.errorMessage ?? '');
      assert.equal(p.baseOffset, expected);
      expected += 2;
    }
    const topicId = broker.engine.describeTopic('pf')!.topicId;
    for (const v of [4, 7, 11, 12, 13]) {
      const res = await client.request(FetchRequestCodec, FetchResponseCodec, v, fetchRequest('pf', 0, 0, {}, topicId));
      assert.equal(res.errorCode, 0);
      const part = res.responses[0]!.partitions[0]!;
      assert.equal(part.errorCode, 0, `v${v}`);
      assert.equal(part.highWatermark, 10);
      assert.equal(part.lastStableOffset, 10);
      if (v >= 5) assert.equal(part.logStartOffset, 0);
      if (v >= 13) assert.equal(res.responses[0]!.topicId, topicId);
      const batches = decodeRecordBatches(part.records!);
      const values = batches.flatMap((b) => b.records.map((r) => Buffer.from(r.value!).toString()));
      assert.deepEqual(values, ['a3', 'b3', 'a7', 'b7', 'a9', 'b9', 'a10', 'b10', 'a11', 'b11']);
      const first = batches[0]!.records[0]!;
      assert.equal(Buffer.from(first.key!).toString(), 'k0');
      assert.equal(first.headers[0]!.key, 'h');
    }
  });

  test('acks=0 sends no response, and the next request is still answered in order', async () => {
    const records = encodeRecordBatch([{ value: 'fire-and-forget' }]);
    client.send(ProduceRequestCodec, 7, {
      transactionalId: null,
      acks: 0,
      timeoutMs: 1000,
      topicData: [{ name: 'pf', partitionData: [{ index: 1, records }] }],
    });
    const res = await client.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, 1, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'pf', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
    });
    assert.equal(res.topics[0]!.partitions[0]!.offset, 1);
  });

  test('per-partition errors: unknown topic, unknown partition, garbage records, bad acks', async () => {
    const good = encodeRecordBatch([{ value: 'x' }]);
    const res = await client.request(ProduceRequestCodec, ProduceResponseCodec, 8, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [
        { name: 'no-such-topic', partitionData: [{ index: 0, records: good }] },
        { name: 'pf', partitionData: [{ index: 9, records: good }, { index: 0, records: Uint8Array.from([1, 2, 3]) }, { index: 1, records: good }] },
      ],
    });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const pf = res.responses[1]!.partitionResponses;
    assert.equal(pf[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal(pf[1]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
    assert.equal(pf[2]!.errorCode, ErrorCode.NONE);
    const corruptCrc = encodeRecordBatch([{ value: 'y' }]);
    corruptCrc[corruptCrc.length - 1]! ^= 0xff;
    const bad = await client.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
      transactionalId: null,
      acks: 2,
      timeoutMs: 1000,
      topicData: [{ name: 'pf', partitionData: [{ index: 0, records: good }] }],
    });
    assert.equal(bad.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.INVALID_REQUIRED_ACKS);
    const crcRes = await client.request(ProduceRequestCodec, ProduceResponseCodec, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: 'pf', partitionData: [{ index: 0, records: corruptCrc }] }],
    });
    assert.equal(crcRes.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.CORRUPT_MESSAGE);
  });

  test('several batches for one partition in one request are INVALID_RECORD, as Kafka answers, and nothing is written', async () => {
    await createTopic('multi', 1);
    const a = encodeRecordBatch([{ value: '1' }, { value: '2' }]);
    const b = encodeRecordBatch([{ value: '3' }]);
    const both = new Uint8Array(a.length + b.length);
    both.set(a, 0);
    both.set(b, a.length);
    // v8: the first version whose response carries an error message.
    const res = await client.request(ProduceRequestCodec, ProduceResponseCodec, 8, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'multi', partitionData: [{ index: 0, records: both }] }],
    });
    const p = res.responses[0]!.partitionResponses[0]!;
    assert.equal(p.errorCode, ErrorCode.INVALID_RECORD);
    assert.match(p.errorMessage ?? '', /exactly one record batch/);
    assert.equal(broker.engine.offsets('multi', 0).highWatermark, 0);
    // One batch per request is how it is done: both land, in order.
    for (const records of [a, b]) {
      const ok = await client.request(ProduceRequestCodec, ProduceResponseCodec, 7, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 'multi', partitionData: [{ index: 0, records }] }] });
      assert.equal(ok.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    }
    const f = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('multi', 0, 0));
    const values = decodeRecordBatches(f.responses[0]!.partitions[0]!.records!).flatMap((x) => x.records.map((r) => Buffer.from(r.value!).toString()));
    assert.deepEqual(values, ['1', '2', '3']);
  });

  test('OFFSET_OUT_OF_RANGE beyond the high watermark, with log start and end', async () => {
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('pf', 0, 1000));
    const p = res.responses[0]!.partitions[0]!;
    assert.equal(p.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(p.logStartOffset, 0);
    assert.ok(p.highWatermark > 0);
  });

  test('unknown topic in fetch, and unknown topic id at v13', async () => {
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('nope', 0, 0));
    assert.equal(res.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const byId = await client.request(FetchRequestCodec, FetchResponseCodec, 13, fetchRequest('', 0, 0, {}, '0123456789abcdef0123456789abcdef'));
    assert.equal(byId.responses[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
  });

  test('max bytes: the first batch comes whole even when larger; later partitions respect the budget', async () => {
    await createTopic('budget', 2);
    const big = 'x'.repeat(2000);
    await produce('budget', 0, [big]);
    await produce('budget', 1, [big]);
    const req = fetchRequest('budget', 0, 0, { maxBytes: 100 });
    req.topics[0]!.partitions.push({ ...req.topics[0]!.partitions[0]!, partition: 1 });
    for (const p of req.topics[0]!.partitions) p.partitionMaxBytes = 100;
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, req);
    const [p0, p1] = res.responses[0]!.partitions;
    assert.ok(p0!.records!.byteLength > 2000, 'first batch whole');
    assert.equal(p1!.records!.byteLength, 0, 'second partition gets nothing beyond the budget');
    assert.equal(p1!.highWatermark, 1);
  });

  test('partitions read at once keep the serial rules: an oversized first batch leaves later ones only what fits', async () => {
    await createTopic('budget2', 3);
    await produce('budget2', 0, ['x'.repeat(2000)]);
    await produce('budget2', 1, ['y'.repeat(250)]);
    await produce('budget2', 1, ['z'.repeat(250)]);
    await produce('budget2', 2, ['w'.repeat(250)]);
    // Partition budgets (3 × 800) fit the response's (2600): all three are read at once.
    const req = fetchRequest('budget2', 0, 0, { maxBytes: 2600 });
    const base = req.topics[0]!.partitions[0]!;
    req.topics[0]!.partitions = [0, 1, 2].map((partition) => ({ ...base, partition, partitionMaxBytes: 800 }));
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, req);
    const [p0, p1, p2] = res.responses[0]!.partitions;
    const one = (r: Uint8Array | null): string[] => decodeRecordBatches(r!).flatMap((b) => b.records.map((x) => Buffer.from(x.value!).toString().slice(0, 1)));
    const p0Bytes = p0!.records!.byteLength;
    assert.ok(p0Bytes > 2000 && p0Bytes < 2300, 'first partition: its one batch, whole, past its budget');
    // Partition 1 read two batches (within 800) but only one fits what is left of 2600.
    const p1Batch = p1!.records!.byteLength;
    assert.ok(p1Batch + p0Bytes <= 2600 && 2 * p1Batch + p0Bytes > 2600, `one ${p1Batch}-byte batch of partition 1`);
    assert.deepEqual(one(p1!.records), ['y']);
    assert.equal(p2!.records!.byteLength, 0, 'nothing fits for partition 2');
    assert.equal(p2!.highWatermark, 1);
  });

  test('a long-poll fetch waits for min bytes and is woken by a produce on another connection', async () => {
    await createTopic('poll', 3);
    const other = await RawClient.connect(broker.port);
    try {
      const req = fetchRequest('poll', 0, 0, { maxWaitMs: 20_000, minBytes: 1 });
      req.topics[0]!.partitions.push({ ...req.topics[0]!.partitions[0]!, partition: 2 });
      const pending = other.request(FetchRequestCodec, FetchResponseCodec, 12, req);
      // Meanwhile this connection is not stalled.
      const md = await client.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 2, { clientSoftwareName: '', clientSoftwareVersion: '' });
      assert.equal(md.errorCode, 0);
      await produce('poll', 2, ['wake']);
      const res = await pending;
      const p2 = res.responses[0]!.partitions[1]!;
      assert.equal(p2.errorCode, 0);
      const values = decodeRecordBatches(p2.records!).flatMap((b) => b.records.map((r) => Buffer.from(r.value!).toString()));
      assert.deepEqual(values, ['wake']);
    } finally {
      other.close();
    }
  });

  test('a connection closed while its long-poll is parked leaves no wait and no timer behind', async () => {
    await createTopic('parked-close', 1);
    const other = await RawClient.connect(broker.port);
    const pending = other.request(FetchRequestCodec, FetchResponseCodec, 12, fetchRequest('parked-close', 0, 0, { maxWaitMs: 60_000, minBytes: 1 })).catch(() => null);
    // Bounded waits for a state, not for a time.
    for (let i = 0; i < 500 && broker.engine.parkedWaits === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(broker.engine.parkedWaits, 1);
    other.close();
    await pending;
    for (let i = 0; i < 500 && broker.engine.parkedWaits > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(broker.engine.parkedWaits, 0);
    assert.equal(broker.engine.parkedTimerActive, false);
  });

  test('a long-poll with nothing to read answers empty at max_wait_ms', async () => {
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('poll', 1, 0, { maxWaitMs: 50, minBytes: 1 }));
    assert.equal(res.responses[0]!.partitions[0]!.errorCode, 0);
    assert.equal(res.responses[0]!.partitions[0]!.records!.byteLength, 0);
  });

  test('an incremental fetch in a session that does not exist is FETCH_SESSION_ID_NOT_FOUND; a full one naming it is served', async () => {
    const res = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('pf', 0, 0, { sessionId: 5, sessionEpoch: 1 }));
    assert.equal(res.errorCode, 70);
    assert.equal(res.responses.length, 0);
    // Epoch -1 closes the session it names (none here) and fetches without one, as Kafka does.
    const full = await client.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('pf', 0, 0, { sessionId: 5 }));
    assert.equal(full.errorCode, 0);
    assert.equal(full.sessionId, 0);
    assert.equal(full.responses[0]!.partitions[0]!.errorCode, 0);
  });
});

describe('ListOffsets', () => {
  test('earliest, latest, max timestamp and by timestamp', async () => {
    await createTopic('lo', 1);
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < 3; i++) {
      const records = encodeRecordBatch([{ value: `v${i}`, timestamp: t0 + i * 1000 }]);
      await client.request(ProduceRequestCodec, ProduceResponseCodec, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'lo', partitionData: [{ index: 0, records }] }],
      });
    }
    const ask = async (timestamp: number, v = 7) =>
      (
        await client.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, v, {
          replicaId: -1,
          isolationLevel: 0,
          topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }],
        })
      ).topics[0]!.partitions[0]!;
    assert.equal((await ask(-2, 1)).offset, 0);
    assert.equal((await ask(-1, 2)).offset, 3);
    const max = await ask(-3);
    assert.equal(max.offset, 2);
    assert.equal(max.timestamp, t0 + 2000);
    const byTs = await ask(t0 + 500, 6);
    assert.equal(byTs.offset, 1);
    assert.equal(byTs.timestamp, t0 + 1000);
    assert.equal((await ask(t0 + 10_000)).offset, -1);
    // One batch of three records: lookups name the exact record, not the batch.
    const inBatch = encodeRecordBatch([
      { value: 'x', timestamp: t0 + 5000 },
      { value: 'y', timestamp: t0 + 9000 },
      { value: 'z', timestamp: t0 + 7000 },
    ]);
    await client.request(ProduceRequestCodec, ProduceResponseCodec, 7, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 1000,
      topicData: [{ name: 'lo', partitionData: [{ index: 0, records: inBatch }] }],
    });
    assert.deepEqual([(await ask(t0 + 6000)).offset, (await ask(t0 + 6000)).timestamp], [4, t0 + 9000]);
    assert.deepEqual([(await ask(-3)).offset, (await ask(-3)).timestamp], [4, t0 + 9000]);
    assert.equal((await ask(t0 + 5000)).offset, 3);
    const unknown = await client.request(ListOffsetsRequestCodec, ListOffsetsResponseCodec, 5, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [{ name: 'lo', partitions: [{ partitionIndex: 7, currentLeaderEpoch: -1, timestamp: -1, maxNumOffsets: 1 }] }],
    });
    assert.equal(unknown.topics[0]!.partitions[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs', () => {
  test('create with configs (v5 returns them), validate_only, duplicates and bad input', async () => {
    const res = await client.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 7, {
      topics: [
        { name: 'cfg', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [{ name: 'retention.ms', value: '12345' }, { name: 'cleanup.policy', value: 'compact' }, { name: 'min.insync.replicas', value: '2' }] },
        { name: 'dry', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'rf3', numPartitions: 1, replicationFactor: 3, assignments: [], configs: [] },
        { name: 'badcfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such.config', value: '1' }] },
        { name: 'badval', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: 'soon' }] },
        { name: 'zero', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
        { name: 'a/b', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    const [cfg, dry, rf3, badcfg, badval, zero, slash] = res.topics;
    assert.equal(cfg!.errorCode, 0, cfg!.errorMessage ?? '');
    assert.equal(cfg!.numPartitions, 1);
    assert.equal(cfg!.topicId, broker.engine.describeTopic('cfg')!.topicId);
    assert.equal(cfg!.configs!.find((c) => c.name === 'retention.ms')!.value, '12345');
    assert.equal(broker.engine.describeTopic('cfg')!.config['cleanup.policy'], 'compact');
    assert.equal(dry!.errorCode, 0);
    assert.equal(rf3!.errorCode, ErrorCode.INVALID_REPLICATION_FACTOR);
    assert.equal(badcfg!.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(badval!.errorCode, ErrorCode.INVALID_CONFIG);
    assert.equal(zero!.errorCode, ErrorCode.INVALID_PARTITIONS);
    assert.equal(slash!.errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);

    const again = await client.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 0, {
      topics: [{ name: 'cfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.equal(again.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);

    const validate = await client.request(CreateTopicsRequestCodec, CreateTopicsResponseCodec, 5, {
      topics: [{ name: 'only-validated', numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 1000,
      validateOnly: true,
    });
    assert.equal(validate.topics[0]!.errorCode, 0);
    assert.equal(validate.topics[0]!.numPartitions, 2);
    assert.equal(broker.engine.describeTopic('only-validated'), undefined);
  });

  test('describe configs of a topic and of the broker', async () => {
    for (const v of [0, 1, 3, 4]) {
      const res = await client.request(DescribeConfigsRequestCodec, DescribeConfigsResponseCodec, v, {
        resources: [
          { resourceType: 2, resourceName: 'cfg', configurationKeys: null },
          { resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms'] },
          { resourceType: 4, resourceName: '0', configurationKeys: null },
          { resourceType: 2, resourceName: 'missing', configurationKeys: null },
        ],
        includeSynonyms: true,
        includeDocumentation: false,
      });
      const [all, one, brokerRes, missing] = res.results;
      assert.equal(all!.errorCode, 0);
      const retention = all!.configs.find((c) => c.name === 'retention.ms')!;
      assert.equal(retention.value, '12345');
      if (v >= 1) assert.equal(retention.configSource, 1);
      assert.equal(all!.configs.find((c) => c.name === 'cleanup.policy')!.value, 'compact');
      assert.deepEqual(one!.configs.map((c) => c.name), ['retention.ms']);
      assert.equal(brokerRes!.errorCode, 0);
      assert.ok(brokerRes!.configs.some((c) => c.name === 'num.partitions'));
      assert.equal(missing!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  });

  test('incremental alter configs (set, delete, append) and alter configs (replace all)', async () => {
    await createTopic('alter', 1);
    const inc = await client.request(IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec, 1, {
      resources: [
        { resourceType: 2, resourceName: 'alter', configs: [{ name: 'retention.ms', configOperation: 0, value: '1000' }, { name: 'cleanup.policy', configOperation: 2, value: 'compact' }] },
        { resourceType: 2, resourceName: 'missing', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] },
        { resourceType: 4, resourceName: '0', configs: [{ name: 'num.partitions', configOperation: 0, value: '3' }] },
        { resourceType: 2, resourceName: 'alter', configs: [{ name: 'retention.ms', configOperation: 0, value: 'never' }] },
      ],
      validateOnly: false,
    });
    assert.deepEqual(inc.responses.map((r) => r.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_CONFIG]);
    let cfg = broker.engine.describeTopic('alter')!.config;
    assert.equal(cfg['retention.ms'], 1000);
    assert.equal(cfg['cleanup.policy'], 'compact,delete');
    await client.request(IncrementalAlterConfigsRequestCodec, IncrementalAlterConfigsResponseCodec, 0, {
      resources: [{ resourceType: 2, resourceName: 'alter', configs: [{ name: 'retention.ms', configOperation: 1, value: null }] }],
      validateOnly: false,
    });
    cfg = broker.engine.describeTopic('alter')!.config;
    assert.equal(cfg['retention.ms'], broker.engine.defaultTopicConfig()['retention.ms']);
    const all = await client.request(AlterConfigsRequestCodec, AlterConfigsResponseCodec, 0, {
      resources: [{ resourceType: 2, resourceName: 'alter', configs: [{ name: 'segment.ms', value: '60000' }] }],
      validateOnly: false,
    });
    assert.equal(all.responses[0]!.errorCode, 0);
    cfg = broker.engine.describeTopic('alter')!.config;
    assert.equal(cfg['segment.ms'], 60000);
    assert.equal(cfg['cleanup.policy'], broker.engine.defaultTopicConfig()['cleanup.policy'], 'AlterConfigs replaces the whole config');
  });

  test('create partitions grows a topic and never shrinks it', async () => {
    await createTopic('grow', 1);
    const res = await client.request(CreatePartitionsRequestCodec, CreatePartitionsResponseCodec, 3, {
      topics: [
        { name: 'grow', count: 4, assignments: null },
        { name: 'cfg', count: 1, assignments: null },
        { name: 'missing', count: 2, assignments: null },
      ],
      timeoutMs: 1000,
      validateOnly: false,
    });
    assert.deepEqual(res.results.map((r) => r.errorCode), [0, ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    assert.equal(broker.engine.describeTopic('grow')!.partitions, 4);
  });

  test('delete topics by name (v1, v4) and by id (v6)', async () => {
    await createTopic('del-a', 1);
    await createTopic('del-b', 1);
    const r1 = await client.request(DeleteTopicsRequestCodec, DeleteTopicsResponseCodec, 1, { topics: [], topicNames: ['del-a', 'missing'], timeoutMs: 1000 });
    assert.deepEqual(r1.responses.map((r) => r.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const id = broker.engine.describeTopic('del-b')!.topicId;
    const r6 = await client.request(DeleteTopicsRequestCodec, DeleteTopicsResponseCodec, 6, { topics: [{ name: null, topicId: id }], topicNames: [], timeoutMs: 1000 });
    assert.equal(r6.responses[0]!.errorCode, 0);
    assert.equal(r6.responses[0]!.name, 'del-b');
    assert.equal(broker.engine.describeTopic('del-a'), undefined);
    assert.equal(broker.engine.describeTopic('del-b'), undefined);
  });
});

describe('InitProducerId and idempotence', () => {
  test('allocates distinct ids at epoch 0, also when a current id is sent; a transactional id keeps its id and bumps its epoch', async () => {
    const a = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 0, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    const b = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    assert.equal(a.errorCode, 0);
    assert.equal(a.producerEpoch, 0);
    assert.notEqual(a.producerId, b.producerId);
    const bump = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 3, { transactionalId: null, transactionTimeoutMs: 1000, producerId: b.producerId, producerEpoch: 0 });
    assert.notEqual(bump.producerId, b.producerId);
    assert.equal(bump.producerEpoch, 0);
    const txn = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 2, { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    assert.deepEqual([txn.errorCode, txn.producerEpoch], [0, 0]);
    const again = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    assert.deepEqual([again.errorCode, again.producerId, again.producerEpoch], [0, txn.producerId, 1]);
    // KIP-360: a caller naming an id and epoch that are not the current ones is fenced.
    const stale = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'tx', transactionTimeoutMs: 1000, producerId: txn.producerId, producerEpoch: 0 });
    assert.equal(stale.errorCode, 90); // PRODUCER_FENCED
    const tooLong = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 4, { transactionalId: 'tx2', transactionTimeoutMs: 900_001, producerId: -1, producerEpoch: -1 });
    assert.equal(tooLong.errorCode, 50); // INVALID_TRANSACTION_TIMEOUT
  });

  test('a duplicate batch is answered with its original offset; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER', async () => {
    await createTopic('idem', 1);
    const { producerId } = await client.request(InitProducerIdRequestCodec, InitProducerIdResponseCodec, 1, { transactionalId: null, transactionTimeoutMs: 1000, producerId: -1, producerEpoch: -1 });
    const batch = (seq: number, n: number) =>
      encodeRecordBatch(
        Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}` })),
        { producerId, producerEpoch: 0, baseSequence: seq },
      );
    const send = async (records: Uint8Array) =>
      (
        await client.request(ProduceRequestCodec, ProduceResponseCodec, 7, {
          transactionalId: null,
          acks: -1,
          timeoutMs: 1000,
          topicData: [{ name: 'idem', partitionData: [{ index: 0, records }] }],
        })
      ).responses[0]!.partitionResponses[0]!;
    await produce('idem', 0, ['plain']);
    const first = await send(batch(0, 2));
    assert.equal(first.errorCode, 0, first.errorMessage ?? '');
    assert.equal(first.baseOffset, 1);
    const dup = await send(batch(0, 2));
    assert.equal(dup.errorCode, 0);
    assert.equal(dup.baseOffset, 1);
    const next = await send(batch(2, 1));
    assert.equal(next.baseOffset, 3);
    const gap = await send(batch(10, 1));
    assert.equal(gap.errorCode, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });
});

test('requests pipelined on one connection are answered in order', async () => {
  const ids: number[] = [];
  for (let i = 0; i < 20; i++) {
    ids.push(
      i % 2 === 0
        ? client.send(ApiVersionsRequestCodec, 3, { clientSoftwareName: 'x', clientSoftwareVersion: '1' })
        : client.send(FetchRequestCodec, 11, fetchRequest('pf', 0, 0, { maxWaitMs: 5, minBytes: 1 << 30 })),
    );
  }
  for (let i = 0; i < 20; i++) {
    const frame = await client.nextFrame();
    assert.ok(frame !== null);
    const id = new DataView(frame.buffer, frame.byteOffset).getInt32(0);
    assert.equal(id, ids[i]);
  }
});
