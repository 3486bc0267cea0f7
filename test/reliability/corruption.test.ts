// Damaged files under a stopped broker, then a restart (a real process, over the Kafka
// protocol): a bit flip inside a sealed segment, garbage in offset and time indexes,
// a garbage producer snapshot, a garbage log-start checkpoint, and a torn tail of the
// active segment. The broker must start, say what it found, and serve every batch that
// is intact, byte for byte, at its offset; the partition stays writable (and its
// idempotent producer state is rebuilt from the log). Then damaged topic metadata:
// that topic alone goes offline (reported, KAFKA_STORAGE_ERROR, never re-created over)
// while the others serve, and it comes back once the file is fixed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { CLEAN_SHUTDOWN_FILE } from '../../src/storage/clean-shutdown.js';
import { LOG_START_CHECKPOINT_FILE } from '../../src/storage/log-start-checkpoint.js';
import { MetadataRequestCodec, MetadataResponseCodec } from '../../src/wire/schemas/03-metadata.js';
import { DeleteRecordsRequestCodec, DeleteRecordsResponseCodec } from '../../src/wire/schemas/21-delete-records.js';
import { RawClient } from '../kafka/harness.js';
import { startBrokerProcess } from './broker-process.js';
import { runCli } from '../cli/cli-helpers.js';
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
        // Fetch path does no CRC work; the scrub below reports it).
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
    // The scrub (started in the background by the unclean start; POST shares a running
    // one or runs another) finds exactly the flipped batch, in the log and in /metrics.
    const scrubRes = await fetch(`http://127.0.0.1:${broker.httpPort}/broker/scrub`, { method: 'POST' });
    assert.equal(scrubRes.status, 200);
    const report = (await scrubRes.json()) as { complete: boolean; batches: number; damagedCount: number; damaged: Array<{ topic: string; partition: number; baseOffset: number; file: string; restUnchecked: boolean }> };
    assert.equal(report.complete, true);
    assert.equal(report.damagedCount, 1, JSON.stringify(report.damaged));
    assert.deepEqual(report.damaged.map((d) => [d.topic, d.partition, d.baseOffset, d.file, d.restUnchecked]), [['dmg', 0, flippedBase, sealed, false]]);
    assert.ok(report.batches >= 40, `sealed batches checked: ${report.batches}`);
    const last = JSON.parse(await (await fetch(`http://127.0.0.1:${broker.httpPort}/broker/scrub`)).text()) as { last: { damagedCount: number } | null };
    assert.equal(last.last?.damagedCount, 1);
    const metricsText = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    assert.match(metricsText, /^samsa_scrub_damaged_batches_total [1-9]/m);
    assert.match(metricsText, /^samsa_scrub_last_damaged_batches 1$/m);
    // The same from the command line: one DAMAGED line, exit 1.
    const cli = await runCli(['scrub', '--http', `http://127.0.0.1:${broker.httpPort}`], { timeoutMs: 60_000 });
    assert.equal(cli.code, 1, cli.stderr);
    assert.deepEqual(cli.stdout.split('\n').filter((l) => l.startsWith('DAMAGED')).map((l) => l.split('\t').slice(1, 4)), [['dmg', '0', `offsets ${flippedBase}..${flippedBase}`]]);
    assert.match(cli.stdout, /: 1 damaged\n$/);
    // Reads go on as before: every intact batch, still byte for byte.
    const again = await fetchAll(c, 'dmg', 0);
    for (const [offset, hash] of acked) if (offset !== flippedBase) assert.equal(again.batches.get(offset), hash, `intact batch at ${offset} after the scrub`);
    c.close();
    const log = broker.stderrTail();
    assert.match(log, new RegExp(`damaged batch in sealed segment ${sealed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at position`), `the scrub reports the flipped batch:\n${log}`);
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

async function metadata(c: RawClient, names: string[] | null): Promise<Map<string, number>> {
  const r = await c.request(MetadataRequestCodec, MetadataResponseCodec, 9, {
    topics: names === null ? null : names.map((name) => ({ topicId: '00000000000000000000000000000000', name })),
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  return new Map(r.topics.map((t) => [t.name ?? '', t.errorCode]));
}

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: r.status, body: await r.text() };
}

test('damaged topic metadata takes only that topic offline: reported, answered KAFKA_STORAGE_ERROR, never re-created; fixed, it serves again', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-meta-'));
  const settings = { 'auto.create.topics.enable': 'true' };
  let broker = await startBrokerProcess({ dataDir, settings });
  try {
    let c = await RawClient.connect(broker.kafkaPort);
    assert.equal(await createTopic(c, 'good', 2), ErrorCode.NONE);
    assert.equal(await createTopic(c, 'bad', 1), ErrorCode.NONE);
    const acked = new Map<string, Map<number, string>>([['good-0', new Map()], ['good-1', new Map()], ['bad-0', new Map()]]);
    for (let i = 0; i < 10; i++) {
      for (const [topic, partition] of [['good', 0], ['good', 1], ['bad', 0]] as const) {
        const b = batchOf(i);
        const r = await produce(c, topic, partition, b);
        assert.equal(r.errorCode, ErrorCode.NONE);
        acked.get(`${topic}-${partition}`)!.set(r.baseOffset, contentHash(b));
      }
    }
    c.close();
    assert.equal(await broker.kill('SIGTERM'), 'exit 0');

    const metaFile = join(dataDir, 'meta', 'topics', 'bad.json');
    const original = readFileSync(metaFile);
    const damaged = Buffer.from(original);
    damaged[0] = 0x5b; // '{' → '[': no longer a topic object
    damaged[10]! ^= 0x20;
    writeFileSync(metaFile, damaged);

    broker = await startBrokerProcess({ dataDir, settings });
    c = await RawClient.connect(broker.kafkaPort);
    // The other topic serves everything, byte for byte, and takes appends.
    for (const p of [0, 1]) {
      const got = await fetchAll(c, 'good', p);
      assert.equal(got.errorCode, ErrorCode.NONE);
      assert.deepEqual(got.batches, acked.get(`good-${p}`));
    }
    assert.equal((await produce(c, 'good', 0, batchOf(10))).errorCode, ErrorCode.NONE);
    // The damaged one is named with KAFKA_STORAGE_ERROR, left out of the all-topics answer.
    const named = await metadata(c, ['good', 'bad']);
    assert.equal(named.get('good'), ErrorCode.NONE);
    assert.equal(named.get('bad'), ErrorCode.KAFKA_STORAGE_ERROR);
    const all = await metadata(c, null);
    assert.ok(all.has('good') && !all.has('bad'), `all topics: ${[...all.keys()].join(' ')}`);
    const p = await produce(c, 'bad', 0, batchOf(99));
    assert.equal(p.errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    assert.match(p.errorMessage ?? '', /offline/);
    assert.equal((await fetchAll(c, 'bad', 0)).errorCode, ErrorCode.KAFKA_STORAGE_ERROR);
    // Neither CreateTopics nor auto-creation writes over the damaged file.
    assert.equal(await createTopic(c, 'bad', 3), ErrorCode.KAFKA_STORAGE_ERROR);
    assert.deepEqual(readFileSync(metaFile), damaged, 'the damaged file is left as it was');
    // Visible over HTTP and in /metrics.
    const topic = await httpGet(broker.httpPort, '/topics/bad');
    assert.equal(topic.status, 503, topic.body);
    assert.match(topic.body, /offline/);
    // The table view too (its own lookup): offline, not "no such topic".
    const table = await httpGet(broker.httpPort, '/topics/bad/table/k');
    assert.equal(table.status, 503, table.body);
    assert.match(table.body, /offline/);
    const info = JSON.parse((await httpGet(broker.httpPort, '/broker')).body) as { offline_topics: Array<{ name: string; file: string }> };
    assert.deepEqual(info.offline_topics.map((o) => [o.name, o.file]), [['bad', metaFile]]);
    assert.match((await httpGet(broker.httpPort, '/metrics')).body, /^samsa_topics_offline 1$/m);
    assert.deepEqual(JSON.parse((await httpGet(broker.httpPort, '/broker/scrub')).body), { last: null }, 'a clean start runs no scrub');
    assert.match(broker.stderrTail(), /topic bad is offline: its metadata file .*bad\.json is damaged/);
    c.close();
    assert.equal(await broker.kill('SIGTERM'), 'exit 0');
    assert.equal(existsSync(join(dataDir, CLEAN_SHUTDOWN_FILE)), false, 'unclean on purpose: the offline topic was not recovered');

    // Fixed, the topic serves again, every batch at its offset.
    writeFileSync(metaFile, original);
    broker = await startBrokerProcess({ dataDir, settings });
    c = await RawClient.connect(broker.kafkaPort);
    const back = await fetchAll(c, 'bad', 0);
    assert.equal(back.errorCode, ErrorCode.NONE);
    assert.deepEqual(back.batches, acked.get('bad-0'));
    assert.equal((await metadata(c, null)).get('bad'), ErrorCode.NONE);
    assert.doesNotMatch((await httpGet(broker.httpPort, '/metrics')).body, /^samsa_topics_offline [1-9]/m);
    c.close();
  } finally {
    await broker.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
