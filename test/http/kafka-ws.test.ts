// The Kafka protocol over WebSocket (`/kafka`) on both transports: round trips with
// our codecs, request-order answers, long-polls that stall only their own socket,
// the in-flight and size bounds, and hostile input that closes only the offending
// socket while the broker keeps serving with its data unchanged.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { MessageCodec } from '../../src/wire/codec/compile.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { FetchRequestCodec, FetchResponseCodec, type FetchRequest } from '../../src/wire/schemas/01-fetch.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { decodeResponse, encodeRequest } from '../kafka/harness.js';
import { TRANSPORTS, WsClient, startHttpTestBroker, type HttpTestBroker } from './harness.js';

const REQUEST_MAX_BYTES = 64 * 1024;
const MAX_IN_FLIGHT = 4;

function fetchRequest(topic: string, offset: number, maxWaitMs: number): FetchRequest {
  return {
    clusterId: null,
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

class KafkaWs {
  private nextId = 1;
  constructor(readonly c: WsClient) {}

  static async open(b: HttpTestBroker): Promise<KafkaWs> {
    return new KafkaWs(await WsClient.open(`${b.wsBase}/kafka`));
  }

  send<T extends object>(codec: MessageCodec<T>, version: number, body: T): number {
    const id = this.nextId++;
    this.c.send(encodeRequest(codec, version, id, body));
    return id;
  }

  async receive<T extends object>(codec: MessageCodec<T>, version: number, id: number): Promise<T> {
    const m = await this.c.next();
    if (m === null) throw new Error('socket closed before the response');
    assert.equal(m.isBinary, true);
    const d = decodeResponse(codec, version, new Uint8Array(m.data));
    assert.equal(d.correlationId, id);
    return d.body;
  }

  async request<Req extends object, Res extends object>(req: MessageCodec<Req>, res: MessageCodec<Res>, version: number, body: Req): Promise<Res> {
    return this.receive(res, version, this.send(req, version, body));
  }

  apiVersions(): Promise<{ errorCode: number; apiKeys: Array<{ apiKey: number }> }> {
    return this.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 'ws-test', clientSoftwareVersion: '1' });
  }
}

for (const transport of TRANSPORTS) {
  describe(`Kafka over WebSocket on ${transport}`, () => {
    let b: HttpTestBroker;
    let bystander: KafkaWs;

    before(async () => {
      b = await startHttpTestBroker(transport, { requestMaxBytes: REQUEST_MAX_BYTES, wsMaxInFlight: MAX_IN_FLIGHT });
      await b.engine.createTopic('keep', 1);
      await b.counted.append('keep', 0, encodeRecordBatch([{ value: 'precious' }]), -1);
      bystander = await KafkaWs.open(b);
    });
    after(async () => {
      bystander.c.close();
      await b.close();
    });

    /** A fresh socket is answered, the bystander socket too, and the stored data is unchanged. */
    async function assertHealthy(): Promise<void> {
      const k = await KafkaWs.open(b);
      assert.equal((await k.apiVersions()).errorCode, 0);
      k.c.close();
      assert.equal((await bystander.apiVersions()).errorCode, 0);
      assert.equal(b.engine.offsets('keep', 0).highWatermark, 1);
    }

    async function expectClosed(payload: string | Uint8Array): Promise<number> {
      const c = await WsClient.open(`${b.wsBase}/kafka`);
      c.send(payload);
      const { code } = await c.closed;
      return code;
    }

    test('ApiVersions v3: one binary message in, one out', async () => {
      const k = await KafkaWs.open(b);
      const res = await k.apiVersions();
      assert.equal(res.errorCode, 0);
      const keys = res.apiKeys.map((a) => a.apiKey);
      for (const key of [0, 1, 3, 18]) assert.ok(keys.includes(key));
      assert.equal(b.http.connectionCounts().kafka_ws >= 1, true);
      k.c.close();
    });

    test('Metadata, Produce and Fetch round trip over one socket', async () => {
      const k = await KafkaWs.open(b);
      const md = await k.request(MetadataRequestCodec, MetadataResponseCodec, 9, {
        topics: [{ topicId: '00000000000000000000000000000000', name: 'ws-rt' }],
        allowAutoTopicCreation: true,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      assert.equal(md.topics[0]!.name, 'ws-rt');
      const records = encodeRecordBatch([{ key: 'k', value: 'over-ws' }, { value: 'second' }]);
      const pr = await k.request(ProduceRequestCodec, ProduceResponseCodec, 7, {
        transactionalId: null,
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: 'ws-rt', partitionData: [{ index: 0, records }] }],
      });
      assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, 0);
      const fr = await k.request(FetchRequestCodec, FetchResponseCodec, 11, fetchRequest('ws-rt', 0, 0));
      const part = fr.responses[0]!.partitions[0]!;
      assert.equal(part.highWatermark, 2);
      const values = decodeRecordBatches(part.records!).flatMap((x) => x.records.map((r) => Buffer.from(r.value!).toString()));
      assert.deepEqual(values, ['over-ws', 'second']);
      k.c.close();
    });

    test('pipelined requests are answered in request order', async () => {
      const k = await KafkaWs.open(b);
      // Within the in-flight bound, back to back.
      const ids = [];
      for (let i = 0; i < MAX_IN_FLIGHT; i++) ids.push(k.send(ApiVersionsRequestCodec, 3, { clientSoftwareName: 'p', clientSoftwareVersion: String(i) }));
      for (const id of ids) await k.receive(ApiVersionsResponseCodec, 3, id);
      k.c.close();
    });

    test('a long-poll Fetch on one socket does not stall another', async () => {
      await b.engine.createTopic('ws-lp', 1);
      const a = await KafkaWs.open(b);
      const other = await KafkaWs.open(b);
      const id = a.send(FetchRequestCodec, 11, fetchRequest('ws-lp', 0, 60_000));
      // The other socket is served while the poll waits…
      assert.equal((await other.apiVersions()).errorCode, 0);
      const pr = await other.request(ProduceRequestCodec, ProduceResponseCodec, 7, {
        transactionalId: null,
        acks: 1,
        timeoutMs: 5000,
        topicData: [{ name: 'ws-lp', partitionData: [{ index: 0, records: encodeRecordBatch([{ value: 'wake' }]) }] }],
      });
      assert.equal(pr.responses[0]!.partitionResponses[0]!.errorCode, 0);
      // …and its produce ends the poll.
      const fr = await a.receive(FetchResponseCodec, 11, id);
      assert.equal(fr.responses[0]!.partitions[0]!.highWatermark, 1);
      a.c.close();
      other.c.close();
    });

    test('more requests in flight than the bound closes that socket (1008)', async () => {
      await b.engine.createTopic('ws-bound', 1);
      const k = await KafkaWs.open(b);
      for (let i = 0; i <= MAX_IN_FLIGHT; i++) k.send(FetchRequestCodec, 11, fetchRequest('ws-bound', 0, 60_000));
      const { code } = await k.c.closed;
      assert.equal(code, 1008);
      await assertHealthy();
    });

    test('a text message closes the socket (1003)', async () => {
      assert.equal(await expectClosed('{"not":"kafka"}'), 1003);
      await assertHealthy();
    });

    test('short frames, unknown API keys, unsupported versions and truncated frames close the socket (1002)', async () => {
      assert.equal(await expectClosed(new Uint8Array(0)), 1002);
      assert.equal(await expectClosed(Uint8Array.from([0, 18, 0])), 1002);
      assert.equal(await expectClosed(Uint8Array.from([0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0, 0])), 1002); // key 999
      assert.equal(await expectClosed(Uint8Array.from([0xff, 0xff, 0, 0, 0, 0, 0, 1, 0, 0])), 1002); // key -1
      assert.equal(await expectClosed(Uint8Array.from([0, 3, 0, 99, 0, 0, 0, 1, 0, 0])), 1002); // Metadata v99
      const good = encodeRequest(MetadataRequestCodec, 9, 1, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      assert.equal(await expectClosed(good.subarray(0, good.length - 3)), 1002);
      assert.equal(await expectClosed(Uint8Array.from([0, 3, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x07])), 1002);
      await assertHealthy();
    });

    test('a message over socket.request.max.bytes closes the socket', async () => {
      const code = await expectClosed(new Uint8Array(REQUEST_MAX_BYTES + 1024));
      assert.ok(code === 1009 || code === 1006, `close code ${code}`);
      await assertHealthy();
    });

    test('random bytes are answered or close only their socket', async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 300 }), async (bytes) => {
          const c = await WsClient.open(`${b.wsBase}/kafka`);
          c.send(bytes);
          // Either an answer (random bytes can form a valid request) or a close.
          const m = await c.next();
          if (m !== null) c.close();
          await c.closed;
        }),
        { numRuns: 30 },
      );
      await assertHealthy();
    });
  });
}
