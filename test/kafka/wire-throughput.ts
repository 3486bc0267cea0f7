// A quick wire-level throughput check of the Kafka listener (not a test, not run by
// the suite): pre-encoded 1000 × 100-byte batches produced over one connection
// with 8 requests in flight at acks=1 and acks=-1, then fetched back in 8 MiB
// fetches. Measures the listener + engine, not a client's record encoding.
// Run: node dist/test/kafka/wire-throughput.js   (SAMSA_BENCH_MS=500 for a short run)
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { ProduceRequestCodec } from '../../src/wire/schemas/00-produce.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient, startTestBroker } from './harness.js';

const DURATION_MS = Number(process.env.SAMSA_BENCH_MS ?? 2000);
const PER_BATCH = 1000;
const IN_FLIGHT = 8;
const FETCH_BYTES = 8 << 20;

const broker = await startTestBroker();
await broker.engine.createTopic('bench', 1);
const c = await RawClient.connect(broker.port);
const batch = encodeRecordBatch(Array.from({ length: PER_BATCH }, () => ({ value: 'x'.repeat(100) })));
for (const acks of [1, -1]) {
  const req = { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: 'bench', partitionData: [{ index: 0, records: batch }] }] };
  let sent = 0;
  let done = 0;
  const t0 = Date.now();
  for (; sent < IN_FLIGHT; sent++) c.send(ProduceRequestCodec, 7, req);
  while (Date.now() - t0 < DURATION_MS) {
    await c.nextFrame();
    done++;
    c.send(ProduceRequestCodec, 7, req);
    sent++;
  }
  for (; done < sent; done++) await c.nextFrame();
  const ms = Date.now() - t0;
  console.log(`produce acks=${acks}: ${Math.round((done * PER_BATCH * 1000) / ms)} msg/s (${done} requests of ${PER_BATCH} × 100 B, ${IN_FLIGHT} in flight, ${ms} ms)`);
}
const hw = broker.engine.offsets('bench', 0).highWatermark;
let offset = 0;
let records = 0;
const t1 = Date.now();
for (let i = 0; offset < hw && i < hw; i++) {
  const res = await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
    clusterId: null,
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: FETCH_BYTES,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: 'bench', topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: FETCH_BYTES }] }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const rec = res.responses[0]!.partitions[0]!.records!;
  const dv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
  // Walk batch headers (what any consumer does at least): baseOffset + lastOffsetDelta.
  for (let p = 0; p + 61 <= rec.byteLength; ) {
    const len = dv.getInt32(p + 8);
    if (p + 12 + len > rec.byteLength) break;
    const last = dv.getInt32(p + 23);
    offset = Number(dv.getBigInt64(p)) + last + 1;
    records += last + 1;
    p += 12 + len;
  }
}
const ms = Date.now() - t1;
console.log(`fetch: ${Math.round((records * 1000) / ms)} msg/s (${records} records in ${FETCH_BYTES >> 20} MiB fetches, ${ms} ms)`);
c.close();
await broker.close();
