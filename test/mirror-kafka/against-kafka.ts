// `samsa mirror` against a real 3-broker Apache Kafka 4.x KRaft cluster on loopback
// (replication factor 3, min.insync.replicas 2), started from the Maven Central jars
// by scripts/kafka-peer.sh. Not part of `npm test` (a cluster takes 20-80 s to start
// on a loaded machine, the whole file a few minutes): `npm run test:mirror` runs it.
//
// Samsa → Kafka: a 6-partition topic is mirrored while records keep arriving in
// Samsa; one Kafka broker is killed (SIGKILL) mid-mirror and started again; the
// mirror is killed (SIGKILL) twice and restarted, the second time after copying with
// no periodic checkpoint; then every record must be on the cluster exactly once and
// in order per partition, and a kafkajs consumer group that stopped on Samsa (with
// records read after its last commit) resumes on Kafka at the translated offsets:
// nothing skipped, nothing re-read but what it had not committed.
// A group on the KIP-848 consumer protocol (@platformatic/kafka, group.protocol
// consumer) moves from Samsa to Kafka the same way.
// Kafka → Samsa: the reverse, with a group moved the other way.
// A secured cluster: the same nodes also listen SASL_PLAINTEXT (SCRAM-SHA-512, the
// user made at format time); the mirror reaches it with --to-config (routing to each
// partition's leader, logging in on every connection, re-authenticating within the
// cluster's 5 s connections.max.reauth.ms); a wrong password stops it with the SASL
// failure, and the password is in none of its output.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Producer } from '../../src/client/index.js';
import { type Broker, startBroker } from '../../src/server.js';
import { type StoredRecord, consumeWithConsumerProtocol, endTotal, produceStream, readAll, startMirrorCli, waitFor } from '../mirror/helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PEER = join(ROOT, 'scripts/kafka-peer.sh');

/** Runs scripts/kafka-peer.sh; resolves with its stdout, rejects with its stderr. */
function peer(args: string[], timeoutMs = 300_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [PEER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`kafka-peer.sh ${args.join(' ')} failed (${code}): ${err}`));
    });
  });
}

let kafkaDir: string;
let kafka: string;
/** The same cluster's SASL_PLAINTEXT (SCRAM-SHA-512) listeners. */
let kafkaSasl: string;
const KAFKA_PW = 'Mirror-Kafka-Pw-71c';
let samsa: Broker;
let samsaBootstrap: string;
let kafkaAdmin: Admin;
let samsaAdmin: Admin;
const timings: string[] = [];
/** stderr of every mirror run, printed when a test fails. */
const logs: string[] = [];
let failed = false;

before(async () => {
  kafkaDir = mkdtempSync(join(tmpdir(), 'samsa-mirror-kafka-'));
  const started = Date.now();
  const [out, broker] = await Promise.all([
    peer(['start', '--dir', kafkaDir, '--brokers', '3', '--sasl-scram', `mirror:${KAFKA_PW}`, '--config-override', 'connections.max.reauth.ms=5000']),
    startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 }),
  ]);
  timings.push(`kafka 3 brokers started in ${Date.now() - started} ms`);
  kafka = /^bootstrap=(.+)$/m.exec(out)![1]!;
  kafkaSasl = /^sasl_bootstrap=(.+)$/m.exec(out)![1]!;
  samsa = broker;
  samsaBootstrap = `127.0.0.1:${samsa.kafkaPort}`;
  kafkaAdmin = new Admin({ bootstrap: kafka });
  samsaAdmin = new Admin({ bootstrap: samsaBootstrap });
});

after(async () => {
  await kafkaAdmin?.close();
  await samsaAdmin?.close();
  if (!(failed && process.env.SAMSA_KEEP_KAFKA === '1')) await samsa?.close();
  if (failed) console.log(logs.join('\n'));
  if (failed && process.env.SAMSA_KEEP_KAFKA === '1') {
    console.log(`kept: Kafka at ${kafka} (${kafkaDir}), Samsa data ${samsa.dataDir}`);
    return;
  }
  if (kafkaDir !== undefined) {
    await peer(['stop', '--dir', kafkaDir]).catch((err: unknown) => console.error(err));
    rmSync(kafkaDir, { recursive: true, force: true });
  }
  console.log(timings.join('\n'));
});

/** Which source offsets are missing on the target, and which values appear twice, as ranges (for a failure's log). */
function describeDifference(source: StoredRecord[], target: StoredRecord[]): string {
  const seen = new Map<string, number>();
  for (const r of target) seen.set(r.value ?? '', (seen.get(r.value ?? '') ?? 0) + 1);
  const ranges: string[] = [];
  let start = -1;
  let prev = -1;
  for (const r of source) {
    if (seen.has(r.value ?? '')) continue;
    if (start >= 0 && r.offset === prev + 1) prev = r.offset;
    else {
      if (start >= 0) ranges.push(`${start}-${prev}`);
      start = prev = r.offset;
    }
  }
  if (start >= 0) ranges.push(`${start}-${prev}`);
  const twice = [...seen].filter(([, n]) => n > 1).length;
  return `missing source offsets ${ranges.slice(0, 20).join(', ')}${ranges.length > 20 ? ` (+${ranges.length - 20} ranges)` : ''}; ${twice} values more than once; target offsets ${target[0]?.offset}..${target[target.length - 1]?.offset}`;
}

function guard(fn: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await fn();
    } catch (err) {
      failed = true;
      throw err;
    }
  };
}

function assertSame(a: Map<number, StoredRecord[]>, b: Map<number, StoredRecord[]>, partitions: number, what: string): number {
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    const x = a.get(p)!;
    const y = b.get(p)!;
    if (y.length !== x.length) logs.push(`${what} partition ${p}: ${describeDifference(x, y)}`);
    assert.equal(y.length, x.length, `${what} partition ${p}: ${y.length} records on the target, ${x.length} on the source`);
    // Offsets may differ (a target with records of its own); everything else must not.
    const strip = (r: StoredRecord) => ({ key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });
    assert.deepEqual(y.map(strip), x.map(strip), `${what} partition ${p}`);
    total += y.length;
  }
  return total;
}

/**
 * A kafkajs group member that reads `n` records, commits what it had read when it
 * reached `commitAt`, reads on to `n` without committing, and leaves (a consumer
 * stopped between commits). Returns what it read and committed per partition.
 */
async function readPartlyAndStop(bootstrap: string, groupId: string, topic: string, commitAt: number, n: number): Promise<{ read: string[]; committed: Map<number, number>; uncommitted: string[] }> {
  const k = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const c = k.consumer({ groupId, sessionTimeout: 15_000, heartbeatInterval: 1000 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const read: string[] = [];
  const uncommitted: string[] = [];
  const next = new Map<number, number>();
  let committed = new Map<number, number>();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await c.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (read.length >= n) return;
      read.push(message.value!.toString());
      next.set(partition, Number(message.offset) + 1);
      if (read.length === commitAt) {
        committed = new Map(next);
        await c.commitOffsets([...committed].map(([p, o]) => ({ topic, partition: p, offset: String(o) })));
      } else if (read.length > commitAt) uncommitted.push(message.value!.toString());
      if (read.length === n) done();
    },
  });
  await finished;
  await c.disconnect();
  return { read, committed, uncommitted };
}

/** The same group on another cluster reads `n` records and leaves; returns them with the first offset per partition. */
async function resume(bootstrap: string, groupId: string, topic: string, n: number): Promise<{ read: string[]; first: Map<number, number> }> {
  const k = new Kafka({ brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const c = k.consumer({ groupId, sessionTimeout: 15_000, heartbeatInterval: 1000 });
  await c.connect();
  await c.subscribe({ topic, fromBeginning: true });
  const read: string[] = [];
  const first = new Map<number, number>();
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await c.run({
    eachMessage: async ({ partition, message }) => {
      if (!first.has(partition)) first.set(partition, Number(message.offset));
      read.push(message.value!.toString());
      if (read.length === n) done();
    },
  });
  await finished;
  await c.disconnect();
  return { read, first };
}

/** Each partition's first record read after the move is at its committed offset (or, read to its end before, none is). */
async function assertResumedAt(admin: Admin, topic: string, committed: Map<number, number>, first: Map<number, number>): Promise<void> {
  const ends = new Map((await admin.listOffsets(topic, 'latest')).map((o) => [o.partition, o.offset]));
  for (const [p, o] of committed) {
    if (o === ends.get(p)) assert.equal(first.get(p), undefined, `partition ${p} was read to its end before the move`);
    else assert.equal(first.get(p), o, `partition ${p} resumes at its committed offset`);
  }
}

test('Samsa → 3-broker Kafka: a broker and the mirror killed mid-copy, every record once and in order; a group resumes at translated offsets', guard(async () => {
  const topic = 'orders';
  await samsaAdmin.createTopics([{ name: topic, numPartitions: 6, configs: { 'retention.ms': '604800000' } }]);
  const stream = produceStream(samsaBootstrap, topic);
  const args = ['--from', samsaBootstrap, '--to', kafka, '--topics', topic, '--name', 'to-kafka', '--progress-interval-ms', '2000'];
  const onKafka = () => endTotal(kafkaAdmin, topic).catch(() => 0);
  try {
    let t0 = Date.now();
    const first = startMirrorCli([...args, '--checkpoint-interval-ms', '500', '--http-port', '0'], 600_000);
    const ready = await first.ready;
    await waitFor('records on Kafka', async () => (await onKafka()) > 3000, 180_000, 250);
    timings.push(`first 3000 records on Kafka after ${Date.now() - t0} ms`);

    // One broker crashes mid-mirror; the mirror keeps going on the other two (new leaders), then it comes back.
    await peer(['stop-node', '--dir', kafkaDir, '--node', '2', '--signal', 'KILL']);
    t0 = Date.now();
    const atKill = await onKafka();
    await waitFor('the mirror to go on with a broker down', async () => (await onKafka()) > atKill + 3000, 180_000, 250);
    timings.push(`3000 more records copied with broker 2 down in ${Date.now() - t0} ms`);
    t0 = Date.now();
    await peer(['start-node', '--dir', kafkaDir, '--node', '2']);
    timings.push(`broker 2 back in ${Date.now() - t0} ms`);
    const metrics = await (await fetch(ready.metrics!)).text();
    assert.match(metrics, /^samsa_mirror_lag_records\{mirror="to-kafka",topic="orders",partition="0"\} \d+$/m);
    first.child.kill('SIGKILL');
    logs.push(`--- first run\n${(await first.exited).stderr}`);

    // Second run copies with no periodic checkpoint, and is killed too: the third must find its records.
    const atSecond = await onKafka();
    const second = startMirrorCli([...args, '--checkpoint-interval-ms', '3600000'], 600_000);
    await second.ready;
    await waitFor('the second mirror to copy', async () => (await onKafka()) > atSecond + 3000, 180_000, 250);
    second.child.kill('SIGKILL');
    logs.push(`--- second run\n${(await second.exited).stderr}`);
  } finally {
    await stream.stop();
  }
  const produced = await endTotal(samsaAdmin, topic);

  // A group on Samsa reads 2000 records, commits after 1500, and stops.
  const before = await readPartlyAndStop(samsaBootstrap, 'billing', topic, 1500, 2000);
  assert.equal(before.uncommitted.length, 500);

  const t0 = Date.now();
  const last = startMirrorCli([...args, '--sync-groups', '--groups', 'billing', '--until-caught-up'], 600_000);
  const done = await last.exited;
  logs.push(`--- last run\n${done.stderr}`);
  assert.equal(done.code, 0, done.stderr);
  timings.push(`restarted mirror caught up (${produced} records in total) in ${Date.now() - t0} ms`, `  ${done.stderr.trim().split('\n').pop()}`);
  assert.match(done.stderr, /passing over them records=[1-9]/);

  const copied = assertSame(await readAll(samsaBootstrap, topic), await readAll(kafka, topic, new Map(), 180_000), 6, 'Samsa → Kafka');
  assert.equal(copied, produced);
  const [cfg] = await kafkaAdmin.describeConfigs([{ type: 'topic', name: topic, keys: ['retention.ms'] }]);
  assert.equal(cfg!.configs[0]!.value, '604800000');
  const [described] = await kafkaAdmin.describeTopics([topic]);
  assert.ok(described!.partitions.every((p) => p.replicas.length === 3), 'replication factor 3 on the cluster');

  // The group resumes on Kafka where it committed: the 500 uncommitted records are read again, nothing else is.
  const translated = await kafkaAdmin.fetchOffsets('billing');
  assert.deepEqual(
    translated.map((o) => [o.partition, o.offset]),
    [...before.committed].sort((a, b) => a[0] - b[0]),
    'offsets are the same here: the Kafka topic started empty',
  );
  const after = await resume(kafka, 'billing', topic, produced - 1500);
  await assertResumedAt(kafkaAdmin, topic, before.committed, after.first);
  const committedRead = before.read.slice(0, 1500);
  assert.ok(!after.read.some((v) => committedRead.includes(v)), 'nothing committed on Samsa is read again on Kafka');
  assert.deepEqual(
    [...new Set([...committedRead, ...after.read])].map((v) => Number(v.slice(2))).sort((a, b) => a - b),
    Array.from({ length: produced }, (_, i) => i),
    'no record skipped',
  );
  assert.ok(before.uncommitted.every((v) => after.read.includes(v)), 'what was read but not committed is read again');
}));

test('Samsa → Kafka: a consumer-protocol (KIP-848) group resumes on Kafka at the translated offsets', guard(async () => {
  const topic = 'ledger';
  await samsaAdmin.createTopics([{ name: topic, numPartitions: 3 }]);
  const producer = new Producer({ bootstrap: samsaBootstrap, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `l${i}`, partition: i % 3 })) });
  await producer.close();
  const before = await consumeWithConsumerProtocol(samsaBootstrap, 'ledger-848', topic, 3, 100);
  const run = startMirrorCli(['--from', samsaBootstrap, '--to', kafka, '--topics', topic, '--name', 'ledger', '--sync-groups', '--groups', 'ledger-848', '--until-caught-up'], 600_000);
  const done = await run.exited;
  logs.push(`--- consumer-protocol group run\n${done.stderr}`);
  assert.equal(done.code, 0, done.stderr);
  assert.deepEqual(
    (await kafkaAdmin.fetchOffsets('ledger-848')).map((o) => [o.partition, o.offset]),
    [...before.next].sort((a, b) => a[0] - b[0]),
    'offsets are the same here: the Kafka topic started empty',
  );
  const after = await consumeWithConsumerProtocol(kafka, 'ledger-848', topic, 3, 200);
  const both = [...before.values, ...after.values];
  assert.equal(new Set(both).size, both.length, 'no record read twice');
  assert.deepEqual(both.map((v) => Number(v.slice(1))).sort((a, b) => a - b), Array.from({ length: 300 }, (_, i) => i), 'no record skipped');
}));

test('Kafka → Samsa: records and a group move the other way', guard(async () => {
  const topic = 'events';
  await kafkaAdmin.createTopics([{ name: topic, numPartitions: 6 }]);
  await waitFor('the new Kafka topic to have leaders', async () => {
    const [t] = await kafkaAdmin.describeTopics([topic]).catch(() => [undefined]);
    return t !== undefined && t.partitions.length === 6 && t.partitions.every((p) => p.leader >= 0);
  });
  // Samsa's producer routes each partition to its Kafka leader.
  const producer = new Producer({ bootstrap: kafka, allowAutoTopicCreation: false });
  const n = 6000;
  const baseMs = Date.now() - 3_600_000;
  for (let i = 0; i < n; i += 500) {
    await producer.send({ topic, messages: Array.from({ length: 500 }, (_, j) => ({ key: `k${i + j}`, value: `e-${i + j}`, headers: { h: `${i + j}` }, timestamp: baseMs + i + j })) });
  }
  await producer.close();
  const before = await readPartlyAndStop(kafka, 'audit', topic, 2500, 3000);

  const t0 = Date.now();
  const run = startMirrorCli(['--from', kafka, '--to', samsaBootstrap, '--topics', topic, '--name', 'from-kafka', '--sync-groups', '--groups', 'audit', '--until-caught-up'], 600_000);
  const done = await run.exited;
  assert.equal(done.code, 0, done.stderr);
  timings.push(`Kafka → Samsa: ${n} records in ${Date.now() - t0} ms`, `  ${done.stderr.trim().split('\n').pop()}`);
  assert.equal(assertSame(await readAll(kafka, topic, new Map(), 180_000), await readAll(samsaBootstrap, topic), 6, 'Kafka → Samsa'), n);
  assert.deepEqual(
    (await samsaAdmin.fetchOffsets('audit')).map((o) => [o.partition, o.offset]),
    [...before.committed].sort((a, b) => a[0] - b[0]),
  );
  const after = await resume(samsaBootstrap, 'audit', topic, n - 2500);
  await assertResumedAt(samsaAdmin, topic, before.committed, after.first);
  const committedRead = before.read.slice(0, 2500);
  assert.ok(!after.read.some((v) => committedRead.includes(v)));
  assert.equal(new Set([...committedRead, ...after.read]).size, n, 'no record skipped');
}));

test('Samsa → Kafka over SASL_PLAINTEXT (SCRAM-SHA-512) with --to-config; a wrong password stops the mirror with the SASL failure', guard(async () => {
  const topic = 'secured';
  await samsa.engine.createTopic(topic, 3);
  const producer = new Producer({ bootstrap: samsaBootstrap });
  const n = 3000;
  for (let i = 0; i < n; i += 500) await producer.send({ topic, messages: Array.from({ length: 500 }, (_, j) => ({ key: `k${i + j}`, value: `s-${i + j}` })) });
  await producer.close();
  const config = join(kafkaDir, 'mirror-client.properties');
  writeFileSync(config, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\nsasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="mirror" password="${KAFKA_PW}";\n`);
  const bad = startMirrorCli(['--from', samsaBootstrap, '--to', kafkaSasl, '--topics', topic, '--name', 'secured', '--until-caught-up', '--to-config', config, '--to-property', 'sasl.password=not-it']);
  bad.ready.catch(() => {}); // it stops before its ready line
  const refused = await bad.exited;
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /SASL authentication failed \(SCRAM-SHA-512 as user 'mirror'\)/);
  const t0 = Date.now();
  const run = startMirrorCli(['--from', samsaBootstrap, '--to', kafkaSasl, '--topics', topic, '--name', 'secured', '--until-caught-up', '--to-config', config, '--progress-interval-ms', '500'], 600_000);
  const done = await run.exited;
  assert.equal(done.code, 0, done.stderr);
  timings.push(`Samsa → Kafka over SASL_PLAINTEXT SCRAM-SHA-512: ${n} records in ${Date.now() - t0} ms`);
  for (const out of [done.stdout, done.stderr, refused.stdout, refused.stderr]) assert.ok(!out.includes(KAFKA_PW));
  // Read back through the PLAINTEXT listener of the same cluster.
  assert.equal(assertSame(await readAll(samsaBootstrap, topic), await readAll(kafka, topic, new Map(), 180_000), 3, 'Samsa → Kafka (SASL)'), n);
}));
