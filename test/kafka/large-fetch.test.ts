// Large frames stay byte-exact while the broker reuses its buffers.
// Fetch: read buffers are pooled (and, where the platform allows, file ranges are sent
// straight from the segment). One client stops reading so its responses sit unwritten
// in the broker while other clients keep fetching other partitions through the same
// buffers. A buffer given back before its write finished would hand those bytes to
// another read, and the stalled client would then see another partition's records or
// a bad CRC.
// Produce: request frames spanning socket chunks are gathered into pooled (stale)
// buffers, with a request ring smaller than what is in flight so appends also wait
// for ring space; every batch must come back as written. (While an append waits for
// ring space every connection stops reading, so a frame given back too early is
// rarely overwritten in practice: this checks the gathering, not the give-back time.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeRecordBatch, decodeRecordBatches } from '../../src/protocol/record-batch.js';
import { type FetchRequest, FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { ProduceRequestCodec, ProduceResponseCodec } from '../../src/wire/schemas/00-produce.js';
import { startEngine } from '../../src/broker/engine.js';
import { startKafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { RawClient, decodeResponse, startTestBroker } from './harness.js';
import { tempDir } from '../helpers/tmp.js';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { zeroCopyStats } from '../../src/broker/file-range.js';

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
  return checkBody(decodeResponse(FetchResponseCodec, FETCH_VERSION, frame).body, partition, offset);
}

function checkBody(res: ReturnType<typeof FetchResponseCodec.decode>, partition: number, offset: number): number {
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

for (const zeroCopy of [false, true]) test(`large fetches stay byte-exact under a stalled reader (${zeroCopy ? 'sendfile where available' : 'pooled read buffers'})`, async () => {
  const broker = await startTestBroker({ zeroCopy });
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

test('pipelined large produces land byte-exact while request frames are reused and the ring is full', async () => {
  const dir = tempDir('samsa-large-produce-');
  // 512 KiB request ring: three ~160 KB appends fill it, so later ones wait for space.
  const engine = await startEngine({ dataDir: dir.dir, shards: 1, pin: false, requestRingBytes: 512 * 1024 });
  const server = await startKafkaTcpServer(engine, { host: '127.0.0.1', port: 0 });
  try {
    await engine.createTopic('big', PARTITIONS, { 'max.message.bytes': 200 * 1024 });
    const clients = await Promise.all(Array.from({ length: PARTITIONS }, () => RawClient.connect(server.port)));
    await Promise.all(clients.map(async (c, p) => {
      const acks = p % 2 === 0 ? 1 : -1;
      const ids: number[] = [];
      for (let b = 0; b < BATCHES; b++) {
        const records = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(p, b, r) })));
        ids.push(c.send(ProduceRequestCodec, 7, { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: 'big', partitionData: [{ index: p, records }] }] }));
      }
      for (const id of ids) {
        const frame = await c.nextFrame();
        assert.ok(frame !== null);
        const res = decodeResponse(ProduceResponseCodec, 7, frame);
        assert.equal(res.correlationId, id);
        assert.equal(res.body.responses[0]!.partitionResponses[0]!.errorCode, 0);
      }
    }));
    const total = BATCHES * RECORDS_PER_BATCH;
    for (let p = 0; p < PARTITIONS; p++) {
      for (let offset = 0; offset < total;) {
        offset = checkBody(await clients[p]!.request(FetchRequestCodec, FetchResponseCodec, FETCH_VERSION, fetchRequest(p, offset, 1 << 20)), p, offset);
      }
    }
    for (const c of clients) c.close();
  } finally {
    await server.close();
    await engine.close();
    dir.cleanup();
  }
});

test('a reader that goes away in the middle of large responses leaves no descriptor open', async () => {
  const broker = await startTestBroker();
  try {
    await broker.engine.createTopic('big', 1);
    for (let b = 0; b < BATCHES; b++) {
      const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(0, b, r) })));
      assert.equal((await broker.engine.append('big', 0, batch, 1)).errorCode, 0);
    }
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const settle = async (until: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    // Warm up once (the shard opens its segment, the pool fills), then take the baseline.
    const warm = await RawClient.connect(broker.port);
    checkBody(await warm.request(FetchRequestCodec, FetchResponseCodec, FETCH_VERSION, fetchRequest(0, 0, 1 << 20)), 0, 0);
    warm.close();
    await settle(() => broker.server.connectionCount() === 0);
    const baseline = fds();

    const partialsBefore = zeroCopyStats.partialSends;
    const gone = await RawClient.connect(broker.port);
    gone.socket.pause();
    for (let b = 0; b < BATCHES; b++) gone.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(0, b * RECORDS_PER_BATCH, 1 << 20));
    // Until the broker holds responses it cannot write (a partial zero-copy send, or Node's queue).
    await settle(() => zeroCopyStats.partialSends > partialsBefore);
    await new Promise((r) => setTimeout(r, 100));
    gone.close();
    await settle(() => broker.server.connectionCount() === 0);
    await settle(() => fds() <= baseline);
    assert.equal(fds(), baseline, 'descriptors back to where they were');

    // The broker still serves, byte-exact.
    const next = await RawClient.connect(broker.port);
    for (let offset = 0; offset < BATCHES * RECORDS_PER_BATCH;) {
      next.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(0, offset, 1 << 20));
      offset = check(await next.nextFrame(), 0, offset);
    }
    next.close();
  } finally {
    await broker.close();
  }
});

test('a reader that pipelines large Fetches and does not read gets no more responses built than its socket takes', async () => {
  // With sendfile each built response holds a segment descriptor (without, a pooled
  // buffer) until written: a connection whose socket is full must not start more.
  const broker = await startTestBroker();
  try {
    await broker.engine.createTopic('big', 1);
    for (let b = 0; b < BATCHES; b++) {
      const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(0, b, r) })));
      assert.equal((await broker.engine.append('big', 0, batch, 1)).errorCode, 0);
    }
    const fds = (): number => readdirSync('/proc/self/fd').length;
    const warm = await RawClient.connect(broker.port);
    checkBody(await warm.request(FetchRequestCodec, FetchResponseCodec, FETCH_VERSION, fetchRequest(0, 0, 1 << 20)), 0, 0);
    const baseline = fds();

    const slow = await RawClient.connect(broker.port);
    slow.socket.pause();
    // 40 responses of up to 4 MiB each: far more than the socket buffers hold.
    for (let b = 0; b < BATCHES; b++) slow.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(0, b * RECORDS_PER_BATCH, 4 << 20));
    // A working broker stops after the first responses; one without the bound keeps building.
    let most = 0;
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 10));
      most = Math.max(most, fds() - baseline);
    }
    assert.ok(most <= 4, `${most} descriptors held for a socket that reads nothing`);
    // The warm connection shares the broker: it is still answered while the slow one is held.
    checkBody(await warm.request(FetchRequestCodec, FetchResponseCodec, FETCH_VERSION, fetchRequest(0, 40, 1 << 20)), 0, 40);
    slow.socket.resume();
    for (let b = 0; b < BATCHES; b++) check(await slow.nextFrame(), 0, b * RECORDS_PER_BATCH);
    for (const c of [warm, slow]) c.close();
  } finally {
    await broker.close();
  }
});

/** The kernel's send buffer size (skmem tb) of the broker's side of each connection to `port`, from ss(8); null when ss is not there. */
function brokerSendBuffers(port: number): number[] | null {
  const r = spawnSync('ss', ['-tmnH', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return null;
  return [...r.stdout.matchAll(/\btb(\d+)/g)].map((m) => Number(m[1]));
}

test('socket.send.buffer.bytes sets the send buffer of each connection, and large responses stay byte-exact through it', async (t) => {
  // An odd size: Linux reports twice what was set, a value its autotuning does not land on.
  const sendBufferBytes = 24_576;
  const broker = await startTestBroker({ sendBufferBytes });
  try {
    await broker.engine.createTopic('big', 1);
    for (let b = 0; b < BATCHES; b++) {
      const batch = encodeRecordBatch(Array.from({ length: RECORDS_PER_BATCH }, (_, r) => ({ value: valueOf(0, b, r) })));
      assert.equal((await broker.engine.append('big', 0, batch, 1)).errorCode, 0);
    }
    const c = await RawClient.connect(broker.port);
    // 4 MiB responses through a 48 KiB buffer: each goes out in many parts.
    for (let offset = 0; offset < BATCHES * RECORDS_PER_BATCH;) {
      c.send(FetchRequestCodec, FETCH_VERSION, fetchRequest(0, offset, 4 << 20));
      offset = check(await c.nextFrame(), 0, offset);
    }
    const sizes = brokerSendBuffers(broker.port);
    if (sizes === null) {
      t.skip('ss(8) is not available to read the socket buffer sizes');
    } else {
      assert.deepEqual(sizes, [2 * sendBufferBytes], 'the one connection has the send buffer asked for');
    }
    c.close();
  } finally {
    await broker.close();
  }
});
