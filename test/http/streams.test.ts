// JSON WebSocket streams on both transports: /topics/{t}/produce answers each
// message in order; /topics/{t}/consume pushes records from every start position;
// a consumer that stops reading holds the broker's send queue at the bound.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { TRANSPORTS, WsClient, refusedUpgrade, startHttpTestBroker, until, type HttpTestBroker } from './harness.js';

interface Offset {
  partition: number;
  offset: number | null;
  error_code: number | null;
}
interface JsonRecord {
  topic: string;
  key: unknown;
  value: unknown;
  partition: number;
  offset: number;
  timestamp: number;
}

/** The consume stream's bound in these tests: small, so a few MB of records exceed it many times. */
const SEND_BUFFER_BYTES = 64 * 1024;

for (const transport of TRANSPORTS) {
  describe(`JSON WebSocket streams on ${transport}`, () => {
    let b: HttpTestBroker;

    before(async () => {
      b = await startHttpTestBroker(transport, { wsSendBufferBytes: SEND_BUFFER_BYTES, consumeReadBytes: 64 * 1024, wsMaxInFlight: 16 });
    });
    after(() => b.close());

    test('produce stream: a record, an array and {"records"} are each answered with offsets, in order', async () => {
      await b.engine.createTopic('sp', 1);
      const c = await WsClient.open(`${b.wsBase}/topics/sp/produce`);
      c.send(JSON.stringify({ value: { n: 1 } }));
      c.send(JSON.stringify([{ value: 2 }, { key: 'k', value: 3 }]));
      c.send(JSON.stringify({ records: [{ value: 4 }] }));
      const r1 = (await c.nextJson()) as { offsets: Offset[] };
      const r2 = (await c.nextJson()) as { offsets: Offset[] };
      const r3 = (await c.nextJson()) as { offsets: Offset[] };
      assert.deepEqual(r1.offsets.map((o) => o.offset), [0]);
      assert.deepEqual(r2.offsets.map((o) => o.offset), [1, 2]);
      assert.deepEqual(r3.offsets.map((o) => o.offset), [3]);
      assert.equal(b.engine.offsets('sp', 0).highWatermark, 4);
      c.close();
    });

    test('produce stream: bad messages get an error answer and the socket stays open', async () => {
      await b.engine.createTopic('sp-err', 2, { 'max.message.bytes': 1024 });
      const c = await WsClient.open(`${b.wsBase}/topics/sp-err/produce`);
      c.send('{"value":');
      assert.equal(((await c.nextJson()) as { error_code: number }).error_code, 42201);
      c.send(Buffer.from('{"value":1}'));
      assert.equal(((await c.nextJson()) as { error_code: number }).error_code, 42201); // binary message
      c.send(JSON.stringify({ value: 1, partition: 9 }));
      assert.equal(((await c.nextJson()) as { error_code: number }).error_code, 40402);
      c.send(JSON.stringify({ value: 'x'.repeat(2000) }));
      assert.equal(((await c.nextJson()) as { error_code: number }).error_code, 41310);
      c.send(JSON.stringify([]));
      assert.equal(((await c.nextJson()) as { error_code: number }).error_code, 42201);
      c.send(JSON.stringify({ value: 'fine' }));
      assert.equal(((await c.nextJson()) as { offsets: Offset[] }).offsets.length, 1);
      c.close();
    });

    test('binary format on the produce stream takes base64', async () => {
      await b.engine.createTopic('sp-bin', 1);
      const c = await WsClient.open(`${b.wsBase}/topics/sp-bin/produce?format=binary`);
      c.send(JSON.stringify({ value: Buffer.from('raw').toString('base64') }));
      assert.equal(((await c.nextJson()) as { offsets: Offset[] }).offsets[0]!.offset, 0);
      c.close();
      const r = await b.engine.read('sp-bin', 0, 0, 1 << 16);
      assert.ok(Buffer.from(r.records).includes(Buffer.from('raw')));
    });

    test('upgrades to unknown topics, bad names and bad positions are refused with the error body', async () => {
      await b.engine.createTopic('sc-ref', 1);
      await b.counted.append('sc-ref', 0, encodeRecordBatch([{ value: 'a' }]), -1);
      const cases: Array<[string, number, number]> = [
        ['/topics/nope/produce', 404, 40401],
        ['/topics/nope/consume', 404, 40401],
        ['/topics/bad%20name/consume', 422, 42217],
        ['/topics/sc-ref/consume?partition=3', 404, 40402],
        ['/topics/sc-ref/consume?partition=x', 422, 42202],
        ['/topics/sc-ref/consume?offset=5', 422, 42202],
        ['/topics/sc-ref/consume?offset=-1', 422, 42202],
        ['/topics/sc-ref/consume?from=middle', 422, 42202],
        ['/topics/sc-ref/consume?from=beginning&offset=0', 422, 42202],
        ['/topics/sc-ref/produce?format=avro', 422, 42201],
        ['/nowhere', 404, 404],
      ];
      for (const [path, status, code] of cases) {
        const r = await refusedUpgrade(b.wsBase + path);
        assert.equal(r.status, status, path);
        assert.equal(r.body.error_code, code, `${path}: ${r.body.message}`);
      }
    });

    test('consume stream from=beginning, offset=, timestamp= and from=end', async () => {
      await b.engine.createTopic('sc', 2);
      const t0 = Date.now();
      await b.counted.append('sc', 1, encodeRecordBatch([{ value: '"v0"', timestamp: t0 }, { value: '"v1"', timestamp: t0 + 10 }, { value: '"v2"', timestamp: t0 + 20 }]), -1);
      const take = async (c: WsClient, n: number): Promise<JsonRecord[]> => {
        const out: JsonRecord[] = [];
        for (let i = 0; i < n; i++) out.push((await c.nextJson()) as JsonRecord);
        return out;
      };
      const all = await WsClient.open(`${b.wsBase}/topics/sc/consume?partition=1&from=beginning`);
      const got = await take(all, 3);
      assert.deepEqual(got.map((r) => [r.offset, r.value]), [[0, 'v0'], [1, 'v1'], [2, 'v2']]);
      assert.ok(got.every((r) => r.topic === 'sc' && r.partition === 1));

      const fromOffset = await WsClient.open(`${b.wsBase}/topics/sc/consume?partition=1&offset=2`);
      assert.equal(((await fromOffset.nextJson()) as JsonRecord).offset, 2);
      const fromTime = await WsClient.open(`${b.wsBase}/topics/sc/consume?partition=1&timestamp=${t0 + 5}`);
      assert.equal(((await fromTime.nextJson()) as JsonRecord).offset, 1);
      const fromEnd = await WsClient.open(`${b.wsBase}/topics/sc/consume?partition=1&from=end`);

      // Live records reach every open stream, in order.
      const p = await WsClient.open(`${b.wsBase}/topics/sc/produce`);
      p.send(JSON.stringify({ value: 'live', partition: 1 }));
      assert.equal(((await p.nextJson()) as { offsets: Offset[] }).offsets[0]!.offset, 3);
      assert.deepEqual(((await all.nextJson()) as JsonRecord).value, 'live');
      const e = (await fromEnd.nextJson()) as JsonRecord;
      assert.deepEqual([e.offset, e.value], [3, 'live']);
      assert.equal(fromEnd.queued, 0);
      for (const c of [all, fromOffset, fromTime, fromEnd, p]) c.close();
      await until(() => b.http.connectionCounts().ws_consume === 0, 10_000, 'consume streams to close');
    });

    test('a consumer that stops reading holds the broker send queue at the bound; it gets everything after resuming', async () => {
      await b.engine.createTopic('slow', 1);
      // 12 MiB of records: several times what the kernel buffers of both ends hold.
      const value = 'x'.repeat(2000);
      const total = 6000;
      const perBatch = 400;
      for (let i = 0; i < total; i += perBatch) {
        const recs = Array.from({ length: perBatch }, (_, j) => ({ value: JSON.stringify({ i: i + j, pad: value }) }));
        const r = await b.counted.append('slow', 0, encodeRecordBatch(recs), 1);
        assert.equal(r.errorCode, 0);
      }
      const statsBefore = b.http.streamStats();
      const c = await WsClient.open(`${b.wsBase}/topics/slow/consume?from=beginning`);
      c.ws.pause();
      // The stream must pause: the socket stops draining long before 12 MiB.
      await until(() => b.http.streamStats().consumePauses > statsBefore.consumePauses, 30_000, 'the stream to pause');
      const sentWhilePaused = b.http.streamStats().consumeRecordsSent - statsBefore.consumeRecordsSent;
      assert.ok(sentWhilePaused < total, `sent ${sentWhilePaused} of ${total} to a socket that reads nothing`);
      // The broker's own queue for the socket never passed the bound by more than one record.
      const oneRecordBytes = 2100;
      assert.ok(
        b.http.streamStats().consumeMaxBufferedBytes <= SEND_BUFFER_BYTES + oneRecordBytes,
        `max buffered ${b.http.streamStats().consumeMaxBufferedBytes} > ${SEND_BUFFER_BYTES} + one record`,
      );
      c.ws.resume();
      let next = 0;
      while (next < total) {
        const r = (await c.nextJson()) as JsonRecord;
        assert.equal(r.offset, next);
        assert.equal((r.value as { i: number }).i, next);
        next++;
      }
      assert.ok(b.http.streamStats().consumeMaxBufferedBytes <= SEND_BUFFER_BYTES + oneRecordBytes);
      c.close();
    });

    test('deleting the topic ends its consume stream with an error message', async () => {
      await b.engine.createTopic('gone', 1);
      const c = await WsClient.open(`${b.wsBase}/topics/gone/consume`);
      await until(() => b.http.connectionCounts().ws_consume >= 1, 10_000, 'the stream to open');
      await b.counted.deleteTopic('gone');
      const m = (await c.nextJson()) as { error_code: number };
      assert.equal(m.error_code, 40401);
      const { code } = await c.closed;
      assert.equal(code, 1000);
    });
  });
}
