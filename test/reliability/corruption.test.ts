// Damaged files under a stopped broker, then a restart (a real process, over the Kafka
// protocol): a bit flip inside a sealed segment, garbage in offset and time indexes,
// a garbage producer snapshot, a garbage log-start checkpoint, and a torn tail of the
// active segment. The broker must start, say what it found, and serve every batch that
// is intact, byte for byte, at its offset; the partition stays writable (and its
// idempotent producer state is rebuilt from the log).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/clean-shutdown.js';
import { LOG_START_CHECKPOINT_FILE } from '../../src/storage/log-start-checkpoint.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from '../../src/wire/schemas/21-delete-records.js';
import { RawClient } from '../kafka/harness.js';
import { startBrokerProcess } from './broker-process.js';
import { contentHash, createTopic, fetchAll, produce } from './wire-client.js';

function batchOf(i: number, producerId = -1): Uint8Array {
  return encodeRecordBatch([{ key: `k${i}`, value: `${i}:`.padEnd(900, 'v') }], {
    timestamp: 1_700_000_000_000 + i,
    ...(producerId >= 0 ? { producerId, producerEpoch: 0, baseSequence: i } : {}),
  });
}

test('damaged segments, indexes, snapshots and checkpoints: the broker starts, reports, and serves what is intact', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-corrupt-'));
  let broker = await startBrokerProcess({ dataDir });
  try {
    let c = await RawClient.connect(broker.kafkaPort);
    assert.equal(await createTopic(c, 'dmg', 1, { 'segment.bytes': '8192' }), ErrorCode.NONE);
    const acked = new Map<number, string>();
    for (let i = 0; i < 60; i++) {
      const b = batchOf(i, 4242);
      const r = await produce(c, 'dmg', 0, b);
      assert.equal(r.errorCode, ErrorCode.NONE);
      acked.set(r.baseOffset, contentHash(b));
    }
    // A log start inside the log, so a checkpoint file exists.
    const del = await c.request(DeleteRecordsRequestCodec, DeleteRecordsResponseCodec, 2, { topics: [{ name: 'dmg', partitions: [{ partitionIndex: 0, offset: 2 }] }], timeoutMs: 5000 });
    assert.equal(del.topics[0]?.partitions[0]?.errorCode, ErrorCode.NONE);
    acked.delete(0);
    acked.delete(1);
    c.close();
    assert.equal(await broker.kill('SIGTERM'), 'exit 0');

    const dir = join(dataDir, 'dmg-0');
    const names = readdirSync(dir).sort();
    const logs = names.filter((n) => n.endsWith('.log'));
    assert.ok(logs.length >= 4, `segments: ${logs.join(' ')}`);
    // 1. A bit flip in a record of the second sealed segment.
    const sealed = join(dir, logs[1]!);
    const bytes = readFileSync(sealed);
    const flipAt = 61 + 40; // inside the first batch's records
    bytes[flipAt]! ^= 0x10;
    writeFileSync(sealed, bytes);
    const flippedBase = Number(logs[1]!.slice(0, 20));
    // 2. Garbage indexes: an offset index full of noise, a time index cut mid-entry.
    writeFileSync(join(dir, logs[0]!.replace('.log', '.index')), Buffer.alloc(64, 0x7f));
    const ti = join(dir, logs[2]!.replace('.log', '.timeindex'));
    truncateSync(ti, Math.max(0, statSync(ti).size - 5));
    // 3. A garbage producer snapshot, 4. a garbage log-start checkpoint.
    const snapshots = names.filter((n) => n.endsWith('.snapshot'));
    assert.ok(snapshots.length > 0, 'a clean stop wrote a producer snapshot');
    for (const s of snapshots) writeFileSync(join(dir, s), 'not a snapshot');
    writeFileSync(join(dir, LOG_START_CHECKPOINT_FILE), '17 garbage\n');
    // 5. A torn tail on the active segment, as after a crash (and no clean-shutdown marker).
    const active = join(dir, logs[logs.length - 1]!);
    writeFileSync(active, Buffer.concat([readFileSync(active), Buffer.from([0, 0, 0, 0, 0, 0, 0, 99, 0, 0])]));
    rmSync(join(dataDir, CLEAN_SHUTDOWN_FILE), { force: true });

    broker = await startBrokerProcess({ dataDir, env: { SAMSA_LOG_LEVEL: 'warn' } });
    c = await RawClient.connect(broker.kafkaPort);
    const got = await fetchAll(c, 'dmg', 0);
    assert.equal(got.errorCode, ErrorCode.NONE);
    for (const [offset, hash] of acked) {
      if (offset === flippedBase) {
        // Served as stored: its CRC no longer matches, so a consumer rejects it (the
        // broker does not re-check sealed segments; docs/reliability.md, "Damaged files").
        assert.notEqual(got.batches.get(offset), hash);
        continue;
      }
      assert.equal(got.batches.get(offset), hash, `intact batch at ${offset}`);
    }
    // The torn tail is gone and the log goes on; the idempotent producer's state came back from the log.
    const next = await produce(c, 'dmg', 0, batchOf(60, 4242));
    assert.equal(next.errorCode, ErrorCode.NONE, next.errorMessage ?? '');
    assert.equal(next.baseOffset, 60);
    const dup = await produce(c, 'dmg', 0, batchOf(59, 4242));
    assert.equal(dup.errorCode, ErrorCode.NONE);
    assert.equal(dup.baseOffset, 59, 'a resent batch is answered with its offset, not written again');
    c.close();
    const log = broker.stderrTail();
    t.diagnostic(log.split("\n").filter((l) => l.includes("dmg")).map((l) => (/"msg":"([^"]*)"/.exec(l)?.[1] ?? l).slice(0, 160)).join(" | "));
    assert.match(log, /snapshot/i, `the damaged snapshot is reported:\n${log}`);
    assert.match(log, /truncated at position/, `the torn tail is reported:\n${log}`);
    assert.match(log, /index is damaged/, `the damaged offset index is reported:\n${log}`);
    assert.match(log, /timeindex is damaged/, `the damaged time index is reported:\n${log}`);
    assert.match(log, /damaged log start checkpoint ignored/, `the damaged checkpoint is reported:\n${log}`);
  } finally {
    await broker.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
