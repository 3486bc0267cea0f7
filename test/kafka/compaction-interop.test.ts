// A compacted topic read by clients nobody here wrote: kcat (librdkafka) produces five
// rounds of the same keys (one with a tombstone), then filler, into 1 KiB segments; the
// broker (log.cleaner.backoff.ms 50) cleans the sealed segments; kcat and kafkajs then
// read the partition from the beginning across the offset gaps compaction leaves and
// see each key's latest value once, the tombstoned key gone, offsets increasing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { type Broker, startBroker } from '../../src/server.js';

const KCAT_MISSING = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status !== 0;
const skip = KCAT_MISSING ? 'kcat is not installed (apt-get install kcat)' : false;
const KEYS = 12;
const ROUNDS = 5;
const FILLER_ROUNDS = 3;
const POLLS_MAX = 200;
const POLL_MS = 50;

let broker: Broker;

before(async () => {
  broker = await startBroker({ 'log.cleaner.backoff.ms': 50, 'log.level': 'warn' });
});

after(async () => {
  await broker.close();
});

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${broker.kafkaPort}`, '-m', '10', ...args], { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

/** `key=value@offset` lines of the whole partition, via kcat. */
async function readWithKcat(topic: string): Promise<Array<{ key: string; value: string; offset: number }>> {
  const out = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-Z', '-f', '%k=%s@%o\\n']);
  return out.split('\n').filter((l) => l !== '').map((l) => {
    const m = /^(.*)=(.*)@(\d+)$/.exec(l);
    assert.ok(m !== null, l);
    return { key: m[1]!, value: m[2]!, offset: Number(m[3]) };
  });
}

test('kcat and kafkajs read a compacted topic: latest value per key, tombstone gone, offsets increasing', { skip }, async () => {
  const topic = 'compacted-interop';
  await broker.engine.createTopic(topic, 1, { 'cleanup.policy': 'compact', 'segment.bytes': 1024, 'delete.retention.ms': 0 });
  const pad = 'x'.repeat(60); // ~80 bytes a record: each round's batch fills more than a segment
  for (let round = 1; round <= ROUNDS; round++) {
    const lines = Array.from({ length: KEYS }, (_, k) => (round === ROUNDS && k === 0 ? 'k0:' : `k${k}:r${round}-${pad}`));
    await kcat(['-P', '-t', topic, '-p', '0', '-K', ':', '-Z'], lines.join('\n') + '\n');
  }
  for (let f = 0; f < FILLER_ROUNDS; f++) {
    await kcat(['-P', '-t', topic, '-p', '0', '-K', ':'], Array.from({ length: KEYS }, (_, k) => `f${f}-${k}:${pad}`).join('\n') + '\n');
  }
  const produced = KEYS * (ROUNDS + FILLER_ROUNDS);
  assert.equal(broker.engine.offsets(topic, 0).highWatermark, produced);

  // Cleaning runs in the background: poll (bounded) until no superseded round is left.
  let records = await readWithKcat(topic);
  for (let i = 0; i < POLLS_MAX && records.some((r) => /^r[1-4]-/.test(r.value) || r.key === 'k0'); i++) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    records = await readWithKcat(topic);
  }
  const rounds = records.filter((r) => r.key.startsWith('k'));
  assert.deepEqual(
    rounds.map((r) => `${r.key}=${r.value.slice(0, 2)}`).sort(),
    Array.from({ length: KEYS - 1 }, (_, k) => `k${k + 1}=r${ROUNDS}`).sort(),
    'each key once, at its last value; the tombstoned k0 is gone',
  );
  assert.equal(records.filter((r) => r.key.startsWith('f')).length, KEYS * FILLER_ROUNDS, 'filler keys are unique: all kept');
  for (let i = 1; i < records.length; i++) assert.ok(records[i]!.offset > records[i - 1]!.offset, 'offsets increase');
  assert.equal(records[records.length - 1]!.offset, produced - 1, 'the log end is unchanged');
  assert.equal(broker.engine.offsets(topic, 0).logStartOffset, 0, 'the log start is unchanged');
  // /metrics counts what the cleaning did.
  const metrics = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
  const removed = /^samsa_compaction_removed_bytes_total\{shard="0"\} (\d+)$/m.exec(metrics);
  assert.ok(removed !== null && Number(removed[1]) > 0, 'samsa_compaction_removed_bytes_total > 0');

  // kafkajs from the beginning: the same records, across the gaps.
  const kafka = new Kafka({ clientId: 'samsa-compaction-test', brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: 'compaction-interop' });
  await consumer.connect();
  const seen: string[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(`${message.key?.toString() ?? ''}@${message.offset}`);
        if (seen.length === records.length) done();
      },
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`kafkajs saw ${seen.length} of ${records.length}`)), 20_000)));
    try {
      await Promise.race([all, deadline]);
    } finally {
      clearTimeout(timer);
    }
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(seen, records.map((r) => `${r.key}@${r.offset}`));
});
