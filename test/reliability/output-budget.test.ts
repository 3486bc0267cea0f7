// queued.max.response.bytes, the broker-wide budget of Fetch response bytes held in
// memory, against a real broker process over real sockets: a consumer that pipelines
// large Fetches and never reads fills the budget; then another connection's Fetch
// reads nothing (answered empty, counted in /metrics) while Produce goes on; once the
// slow consumer goes away a Fetch reads the right bytes, and every byte is given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { RawClient, encodeRequest } from '../kafka/harness.js';
import { startBrokerProcess } from './broker-process.js';
import { contentHash, createTopic, produce } from './wire-client.js';

const MiB = 2 ** 20;
const BUDGET_BYTES = MiB;
const POLLS_MAX = 600;

function fetchBody(maxBytes: number) {
  return {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: 'big', topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: maxBytes }] }],
    forgottenTopicsData: [], rackId: '',
  };
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m === null ? NaN : Number(m[1]);
}

/** Polls /metrics until `ok` holds (bounded; no timing is asserted). */
async function until(port: number, name: string, ok: (v: number) => boolean): Promise<number> {
  let v = NaN;
  for (let i = 0; i < POLLS_MAX; i++) {
    v = await metric(port, name);
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} stayed at ${v}`);
}

test('queued.max.response.bytes: past the budget Fetches read nothing until backed-up sockets drain or close; Produce goes on', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-budget-'));
  const broker = await startBrokerProcess({ dataDir, settings: { 'queued.max.response.bytes': BUDGET_BYTES } });
  let slow: Socket | null = null;
  try {
    const admin = await RawClient.connect(broker.kafkaPort);
    assert.equal(await createTopic(admin, 'big', 1), ErrorCode.NONE);
    const first = encodeRecordBatch([{ key: 'k', value: 'v'.repeat(900_000) }]);
    assert.equal((await produce(admin, 'big', 0, first)).errorCode, ErrorCode.NONE);
    for (let i = 1; i < 6; i++) {
      assert.equal((await produce(admin, 'big', 0, encodeRecordBatch([{ key: `k${i}`, value: String(i).repeat(900_000) }]))).errorCode, ErrorCode.NONE);
    }

    // A consumer that asks for everything, pipelined, and never reads.
    slow = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ port: broker.kafkaPort, host: '127.0.0.1' }, () => resolve(s));
      s.once('error', reject);
    });
    slow.on('error', () => {});
    slow.pause();
    const frames: Buffer[] = [];
    for (let k = 0; k < 8; k++) {
      const f = encodeRequest(FetchRequestCodec, 11, k + 1, fetchBody(16 * MiB));
      const head = Buffer.alloc(4);
      head.writeInt32BE(f.byteLength);
      frames.push(head, Buffer.from(f));
    }
    slow.write(Buffer.concat(frames));
    const backlog = await until(broker.httpPort, 'samsa_queued_response_bytes', (v) => v >= BUDGET_BYTES);
    assert.ok(backlog < 16 * MiB, `one response held, not eight: ${backlog}`);

    // Another consumer's Fetch reads nothing while the budget is spent: answered empty
    // (no error), as when there is no data, so it fetches again later…
    const fast = await RawClient.connect(broker.kafkaPort);
    const during = await fast.request(FetchRequestCodec, FetchResponseCodec, 11, fetchBody(MiB));
    assert.equal(during.responses[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
    assert.equal(during.responses[0]?.partitions[0]?.records?.byteLength ?? 0, 0, 'nothing read past the budget');
    assert.ok((await metric(broker.httpPort, 'samsa_fetch_budget_skips_total')) >= 1);
    // …while Produce is answered.
    const p = await produce(admin, 'big', 0, encodeRecordBatch([{ value: 'small' }]));
    assert.equal(p.errorCode, ErrorCode.NONE);
    assert.equal(p.baseOffset, 6);

    // The slow consumer goes away: its backlog is released and a Fetch reads again.
    slow.destroy();
    slow = null;
    await until(broker.httpPort, 'samsa_queued_response_bytes', (v) => v < BUDGET_BYTES);
    const r = await fast.request(FetchRequestCodec, FetchResponseCodec, 11, fetchBody(MiB));
    const part = r.responses[0]?.partitions[0];
    assert.equal(part?.errorCode, ErrorCode.NONE);
    const records = part?.records ?? new Uint8Array(0);
    assert.ok(records.byteLength >= first.byteLength);
    assert.equal(contentHash(records.subarray(0, first.byteLength)), contentHash(first), 'the first batch, byte for byte');
    assert.equal(await until(broker.httpPort, 'samsa_queued_response_bytes', (v) => v === 0), 0, 'every byte read is given back once sent');
    fast.close();
    admin.close();
  } finally {
    slow?.destroy();
    await broker.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
