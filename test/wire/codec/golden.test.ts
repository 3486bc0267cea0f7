// Golden bytes and cross-checks against another implementation: a request exactly
// as librdkafka 2.0.2 (kcat) sends it, header layouts, and kafkajs's own encoders
// and decoders (non-flexible versions) against our schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Reader } from '../../../src/wire/codec/reader.js';
import { Writer } from '../../../src/wire/codec/writer.js';
import { RequestHeaderCodec } from '../../../src/wire/schemas/headers.js';
import { ApiVersionsRequestCodec } from '../../../src/wire/schemas/18-api-versions.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../../src/wire/schemas/03-metadata.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../../src/wire/schemas/01-fetch.js';
import { ListOffsetsResponseCodec } from '../../../src/wire/schemas/02-list-offsets.js';
import { createKafkaHandler } from '../../../src/kafka/handler.js';
import type { Engine } from '../../../src/broker/engine-api.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

// Captured from `kcat -L` (librdkafka 2.0.2): the frame after the 4-byte size.
const LIBRDKAFKA_API_VERSIONS_V3 = hex('0012000300000001000772646b61666b61000b6c696272646b61666b6106322e302e3200');

test('ApiVersions v3 request exactly as librdkafka sends it', () => {
  const r = new Reader(LIBRDKAFKA_API_VERSIONS_V3);
  const header = RequestHeaderCodec.decode(r, 2);
  assert.deepEqual(header, { requestApiKey: 18, requestApiVersion: 3, correlationId: 1, clientId: 'rdkafka' });
  const body = ApiVersionsRequestCodec.decode(r, 3);
  // clusterId and nodeId are v5 fields: absent at v3, decoded as their defaults.
  assert.deepEqual(body, { clientSoftwareName: 'librdkafka', clientSoftwareVersion: '2.0.2', clusterId: null, nodeId: -1 });
  assert.equal(r.remaining(), 0);
  const w = new Writer();
  RequestHeaderCodec.encode(w, header, 2);
  ApiVersionsRequestCodec.encode(w, body, 3);
  assert.deepEqual(w.finish(), LIBRDKAFKA_API_VERSIONS_V3);
});

test('Metadata v1 request with one topic, byte for byte', () => {
  const bytes = MetadataRequestCodec.encodeToBytes(
    { topics: [{ topicId: '00000000000000000000000000000000', name: 'test' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false },
    1,
  );
  assert.deepEqual(bytes, hex('00000001' + '0004' + '74657374'));
  // v1 null = all topics; v9 (flexible) null is a compact length 0 and a tag byte.
  assert.deepEqual(MetadataRequestCodec.encodeToBytes({ topics: null, allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 1), hex('ffffffff'));
  assert.deepEqual(MetadataRequestCodec.encodeToBytes({ topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: true }, 9), hex('00' + '00' + '00' + '01' + '00'));
});

/** An engine double with no topics: enough for ApiVersions and Metadata. */
const EMPTY_ENGINE = {
  listTopics: () => [],
  describeTopic: () => undefined,
  topicLayout: () => undefined,
} as unknown as Engine;

test('response headers: ApiVersions v3 has no tag byte (header v0); Metadata v9 has one (header v1)', async () => {
  const h = createKafkaHandler(EMPTY_ENGINE);
  const signal = new AbortController().signal;
  const av = (await h.handle(LIBRDKAFKA_API_VERSIONS_V3, { signal }))!;
  assert.deepEqual(av.subarray(0, 6), hex('00000001' + '0000'), 'correlation id, then error code 0 at once');
  const w = new Writer();
  RequestHeaderCodec.encode(w, { requestApiKey: 3, requestApiVersion: 9, correlationId: 5, clientId: null }, 2);
  MetadataRequestCodec.encode(w, { topics: [], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false }, 9);
  const md = (await h.handle(w.finish(), { signal }))!;
  assert.deepEqual(md.subarray(0, 5), hex('00000005' + '00'), 'correlation id, then an empty tag section');
});

// kafkajs internals (CommonJS, untyped): only the shapes used here.
const require = createRequire(import.meta.url);
interface KafkajsRequest {
  encode(): Promise<{ buffer: Buffer }>;
}
type RequestFactory = (args: Record<string, unknown>) => KafkajsRequest;
interface ResponseModule {
  decode(raw: Buffer): Promise<Record<string, unknown>>;
}
const kjs = (path: string): unknown => require(`kafkajs/src/protocol/requests/${path}`);

test('kafkajs Metadata v6 request decodes with our schema; our v6 response decodes with kafkajs', async () => {
  const req = await (kjs('metadata/v6/request') as RequestFactory)({ topics: ['a', 'b'], allowAutoTopicCreation: false }).encode();
  const decoded = MetadataRequestCodec.decode(new Reader(req.buffer), 6);
  assert.deepEqual(decoded.topics?.map((t) => t.name), ['a', 'b']);
  assert.equal(decoded.allowAutoTopicCreation, false);

  const ours = MetadataResponseCodec.encodeToBytes(
    {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }],
      clusterId: 'c',
      controllerId: 0,
      topics: [{ errorCode: 0, name: 'a', topicId: '00000000000000000000000000000000', isInternal: false, topicAuthorizedOperations: 0, partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 0, leaderEpoch: -1, replicaNodes: [0], isrNodes: [0], offlineReplicas: [] }] }],
      clusterAuthorizedOperations: 0,
    },
    6,
  );
  const theirs = await (kjs('metadata/v6/response') as ResponseModule).decode(Buffer.from(ours));
  assert.deepEqual(theirs.brokers, [{ nodeId: 0, host: 'localhost', port: 9092, rack: null }]);
  assert.equal(theirs.clusterId, 'c');
  const topic = (theirs.topicMetadata as Array<{ topic: string; partitionMetadata: Array<{ leader: number; replicas: number[] }> }>)[0]!;
  assert.equal(topic.topic, 'a');
  assert.deepEqual(topic.partitionMetadata[0]!.replicas, [0]);
});

test('kafkajs Fetch v11 request decodes with our schema; our v11 response with records decodes with kafkajs', async () => {
  const req = await (kjs('fetch/v11/request') as RequestFactory)({
    replicaId: -1,
    maxWaitTime: 500,
    minBytes: 1,
    maxBytes: 1000,
    topics: [{ topic: 't', partitions: [{ partition: 2, fetchOffset: '7', maxBytes: 100 }] }],
  }).encode();
  const decoded = FetchRequestCodec.decode(new Reader(req.buffer), 11);
  assert.equal(decoded.maxWaitMs, 500);
  assert.equal(decoded.isolationLevel, 1);
  assert.deepEqual(decoded.topics[0]!.partitions[0]!.fetchOffset, 7);
  assert.equal(decoded.topics[0]!.partitions[0]!.partition, 2);

  const records = encodeRecordBatch([{ key: 'k', value: 'hello', headers: [{ key: 'h', value: 'v' }] }], { baseOffset: 7 });
  const ours = FetchResponseCodec.encodeToBytes(
    {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: 't', topicId: '00000000000000000000000000000000', partitions: [{ partitionIndex: 2, errorCode: 0, highWatermark: 8, lastStableOffset: 8, logStartOffset: 0, abortedTransactions: [], preferredReadReplica: -1, records }] }],
    },
    11,
  );
  const theirs = await (kjs('fetch/v11/response') as ResponseModule).decode(Buffer.from(ours));
  const part = (theirs.responses as Array<{ topicName: string; partitions: Array<{ highWatermark: string; messages: Array<{ offset: string; key: Buffer; value: Buffer; headers: Record<string, Buffer> }> }> }>)[0]!;
  assert.equal(part.topicName, 't');
  const m = part.partitions[0]!.messages[0]!;
  assert.equal(part.partitions[0]!.highWatermark, '8');
  assert.equal(m.offset, '7');
  assert.equal(m.value.toString(), 'hello');
  assert.equal(m.headers.h!.toString(), 'v');
});

test('our ListOffsets v3 response decodes with kafkajs', async () => {
  const ours = ListOffsetsResponseCodec.encodeToBytes(
    { throttleTimeMs: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0, oldStyleOffsets: [], timestamp: 123, offset: 45, leaderEpoch: -1 }] }] },
    3,
  );
  const theirs = await (kjs('listOffsets/v3/response') as ResponseModule).decode(Buffer.from(ours));
  const p = (theirs.responses as Array<{ topic: string; partitions: Array<{ offset: string; timestamp: string }> }>)[0]!;
  assert.equal(p.topic, 't');
  assert.equal(p.partitions[0]!.offset, '45');
  assert.equal(p.partitions[0]!.timestamp, '123');
});
