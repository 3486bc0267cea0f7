// Large Fetch responses stay byte-exact while the broker reuses its read buffers
// (and, where the platform allows, sends file ranges straight from the segment):
// one client stops reading so its responses sit unwritten in the broker while
// other clients keep fetching other partitions through the same buffers. A buffer
// given back before its write finished would hand those bytes to another read, and
// the stalled client would then see another partition's records or a bad CRC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch, decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { type FetchRequest, FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { RawClient, decodeResponse, startTestBroker } from './harness.js';

const PARTITIONS = 4;
const BATCHES = 40;
const RECORDS_PER_BATCH = 40;
const VALUE_BYTES = 4000; // ~160 KB batches: every read is well past the pooling threshold
const FETCH_VERSION = 11;

function valueOf(partition: number, batch: number, record: number): string {
  const tag = `p${partition}b${batch}r${record}:`;
  return tag + String.fromCharCode(97 + ((partition * 7 + batch * 3 + record) % 26)).repeat(VALUE_BYTES - tag.length);
}

function fetchRequest(partition: number, offset: number, partitionMaxBytes: number): FetchRequest {
  return {
    clusterId: null, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'big', topicId: '00000000000000000000000000000000', partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

/** Checks one Fetch response frame: right partition, right offsets, every value as written. */
function check(frame: Uint8Array | null, partition: number, offset: number): number {
  assert.ok(frame !== null, 'connection closed');
  const res = decodeResponse(FetchResponseCodec, FETCH_VERSION, frame).body;
  const p = res.responses[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  assert.equal(p.partitionIndex, partition);
  const batches = decodeRecordBatches(p.records!); // checks every CRC
  assert.ok(batches.length > 0, 'records returned');
  let next = offset;
  for (const b of batches) {
    for (const r of b.records) {
      assert.equal(r.offset, next, `partition ${partition} offset`);
      const batch = Math.floor(r.offset / RECORDS_PER_BATCH);
      assert.equal(Buffer.from(r.value!).toString(), valueOf(partition, batch, r.offset % RECORDS_PER_BATCH));
      next++;
    }
  }
  return next;
}

test('large fetches stay byte-exact while read buffers are reused under a stalled reader', async () => {
  const broker = await startTestBroker();
  try {
    await broker.engine.createTopic('big', PARTITIONS);
    for (let p = 0; p < PARTITIONS; p++) {
      for (let b = 0; b < BATCHES; b++) {
        const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(p, b, r) })));
        const r = await broker.engine.append('big', p, batch, 1);
        assert.equal(r.errorCode, 0);
      }
    }
    const total = BATCHES * RECORDS_PER_BATCH;

    // The stalled client: every batch of partition 0 requested, one fetch per batch,
    // with its socket paused so the responses back up in the broker.
    const stalled = await RawClient.connect(broker.port);
    stalled.socket.pause();
    const offsets: number[] = [];
    for (let b = 0; b < BATCHES; b++) {
      offsets.push(b * RECORDS_PER_BATCH);
      stalled.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(0, b * RECORDS_PER_BATCH, 1));
    }

    // Meanwhile others read partitions 1..3 whole, several times, in 1 MiB fetches.
    const readers = await Promise.all([1, 2, 3].map(() => RawClient.connect(broker.port)));
    await Promise.all(readers.map(async (c, i) => {
      const partition = i + 1;
      for (let round = 0; round < 3; round++) {
        for (let offset = 0; offset < total;) {
          c.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(partition, offset, 1 << 20));
          offset = check(await c.nextFrame(), partition, offset);
        }
      }
    }));

    stalled.socket.resume();
    for (const offset of offsets) {
      const end = check(await stalled.nextFrame(), 0, offset);
      assert.equal(end, offset + RECORDS_PER_BATCH, 'one whole batch per fetch');
    }
    for (const c of [stalled, ...readers]) c.close();
  } finally {
    await broker.close();
  }
});
