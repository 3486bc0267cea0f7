// The mirror between two real Samsa brokers (in-process, real sockets): topics are
// created on the target with the source's partition counts and configs, records are
// copied with keys, headers, timestamps and partitions, in order; `samsa mirror`
// killed with SIGKILL while records keep arriving resumes from its checkpoints with
// no record lost or duplicated (also when everything it copied was written after its
// last checkpoint); a consumer group (kafkajs) that stops on the source resumes on
// the target at the translated offsets, none skipped and none read twice, even where
// target offsets differ from source ones; the same for a group on the KIP-848 consumer
// protocol (@platformatic/kafka with groupProtocol consumer: the brokers assign, the
// members commit with their member epoch); and a broker with `mirror.target` copies
// its own topics and shows the lag on /metrics. The same scenarios against a
// 3-broker Apache Kafka are in test/mirror-kafka/ (npm run test:mirror).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Producer } from '../../src/client/index.js';
import { Mirror } from '../../src/mirror/index.js';
import { type Broker, startBroker } from '../../src/server.js';
import { consumeWithConsumerProtocol, endTotal, produceStream, readAll, startMirrorCli, waitFor } from './helpers.js';
import { isOneErrorLine, runCli } from '../cli/cli-helpers.js';

let source: Broker;
let target: Broker;
let from: string;
let to: string;
let sourceAdmin: Admin;
let targetAdmin: Admin;
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

before(async () => {
  [source, target] = await Promise.all([
    startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 }),
    startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 }),
  ]);
  from = `127.0.0.1:${source.kafkaPort}`;
  to = `127.0.0.1:${target.kafkaPort}`;
  sourceAdmin = new Admin({ bootstrap: from });
  targetAdmin = new Admin({ bootstrap: to });
});

after(async () => {
  await sourceAdmin.close();
  await targetAdmin.close();
  await Promise.all([source.close(), target.close()]);
});

test('copies records with keys, headers, timestamps and partitions, in order; creates topics like the source', async () => {
  await sourceAdmin.createTopics([{ name: 'm-basic', numPartitions: 3, configs: { 'retention.ms': '86400000', 'max.message.bytes': '500000', 'min.insync.replicas': '1' } }]);
  const producer = new Producer({ bootstrap: from, lingerMs: 0 });
  const sent = [];
  const baseMs = Date.now() - 86_400_000;
  for (let i = 0; i < 300; i++) {
    sent.push({
      key: i % 10 === 0 ? null : `key-${i % 17}`,
      value: i % 50 === 7 ? null : `value-${i}`,
      headers: i % 3 === 0 ? [] : [{ key: 'h', value: `x${i}` }, { key: 'h', value: null }, { key: 'ünï', value: new Uint8Array([0, 255, i % 256]) }],
      timestamp: baseMs + ((i * 7919) % 1000) * 1000, // out of order within a partition
      partition: i % 3,
    });
  }
  for (let i = 0; i < sent.length; i += 50) await producer.send({ topic: 'm-basic', messages: sent.slice(i, i + 50) });
  await producer.close();

  const mirror = new Mirror({ from, to, topics: /m-basic/, name: 'basic', logger: quiet });
  await mirror.start();
  await mirror.waitCaughtUp();
  const st = mirror.status();
  await mirror.stop();
  assert.equal(st.recordsCopied, 300);
  assert.deepEqual(
    st.partitions.map((p) => [p.topic, p.partition, p.sourcePosition, p.targetPosition, p.lag]),
    [0, 1, 2].map((p) => ['m-basic', p, 100, 100, 0]),
  );

  const [described] = await targetAdmin.describeTopics(['m-basic']);
  assert.equal(described!.partitions.length, 3);
  const [cfg] = await targetAdmin.describeConfigs([{ type: 'topic', name: 'm-basic', keys: ['retention.ms', 'max.message.bytes', 'min.insync.replicas'] }]);
  const value = (n: string) => cfg!.configs.find((c) => c.name === n);
  assert.equal(value('retention.ms')?.value, '86400000');
  assert.equal(value('max.message.bytes')?.value, '500000');
  assert.equal(value('min.insync.replicas')?.isDefault, true, 'a cluster-specific config is not copied (as MirrorMaker 2)');

  const a = await readAll(from, 'm-basic');
  const b = await readAll(to, 'm-basic');
  for (const p of [0, 1, 2]) {
    assert.equal(a.get(p)!.length, 100);
    assert.deepEqual(b.get(p), a.get(p), `partition ${p}`);
  }
  // Byte-for-byte header values, UTF-8 header keys.
  assert.deepEqual(b.get(1)![0]!.headers, [
    ['h', 'x1'],
    ['h', null],
    ['ünï', Buffer.from([0, 255, 1]).toString()],
  ]);
});

test('samsa mirror killed with SIGKILL while records keep arriving: every record once, in order, per partition', async () => {
  const topic = 'm-kill';
  await sourceAdmin.createTopics([{ name: topic, numPartitions: 6 }]);
  const stream = produceStream(from, topic);
  const args = ['--from', from, '--to', to, '--topics', topic, '--name', 'kill', '--progress-interval-ms', '200'];
  try {
    // First run: checkpoints every 100 ms, metrics on; killed mid-copy.
    const first = startMirrorCli([...args, '--checkpoint-interval-ms', '100', '--http-port', '0']);
    const ready = await first.ready;
    await waitFor('the first mirror to copy something', async () => (await endTotal(targetAdmin, topic).catch(() => 0)) > 2000);
    const metrics = await (await fetch(ready.metrics!)).text();
    assert.match(metrics, /^samsa_mirror_lag_records\{mirror="kill",topic="m-kill",partition="5"\} \d+$/m);
    assert.match(metrics, /^samsa_mirror_records_total\{mirror="kill"\} [1-9]\d*$/m);
    first.child.kill('SIGKILL');
    await first.exited;

    // Second run: no periodic checkpoint (only the one at start), so everything it
    // copies is after its checkpoint; killed again.
    const before = await endTotal(targetAdmin, topic);
    const second = startMirrorCli([...args, '--checkpoint-interval-ms', '3600000']);
    await second.ready;
    await waitFor('the second mirror to copy something', async () => (await endTotal(targetAdmin, topic)) > before + 2000);
    second.child.kill('SIGKILL');
    await second.exited;
  } finally {
    await stream.stop();
  }
  const produced = await endTotal(sourceAdmin, topic);
  assert.ok(produced > 4000);

  const last = startMirrorCli([...args, '--until-caught-up']);
  const done = await last.exited;
  assert.equal(done.code, 0, done.stderr);
  assert.match(done.stdout, /^samsa mirror caught-up records=\d+ partitions=6 group-offsets=0$/m);
  assert.match(done.stderr, /mirror kill stopped, copied [\d,]+ records .*lag 0 over 6 partitions/);
  // The second run's copies were all after its only checkpoint: this run found them on the target.
  assert.match(done.stderr, /passing over them records=[1-9]\d* partitions=[1-6]/);

  const a = await readAll(from, topic);
  const b = await readAll(to, topic);
  let total = 0;
  for (let p = 0; p < 6; p++) {
    total += b.get(p)!.length;
    assert.equal(b.get(p)!.length, a.get(p)!.length, `partition ${p}: ${b.get(p)!.length} records on the target, ${a.get(p)!.length} on the source`);
    assert.deepEqual(b.get(p), a.get(p), `partition ${p}`);
  }
  assert.equal(total, produced);
});

test('a group that stops on the source resumes on the target at the translated offsets: none skipped, none read twice', async () => {
  const topic = 'm-group';
  await sourceAdmin.createTopics([{ name: topic, numPartitions: 3 }]);
  // The target already has 5 records per partition (from before the mirror), so
  // target offsets are source offsets + 5: translation has to do something.
  await targetAdmin.createTopics([{ name: topic, numPartitions: 3 }]);
  const pre = new Producer({ bootstrap: to, lingerMs: 0 });
  for (const p of [0, 1, 2]) await pre.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `old-${p}-${i}`, partition: p })) });
  await pre.close();
  const producer = new Producer({ bootstrap: from, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 300 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })) });
  await producer.close();

  // A kafkajs group member reads part of the topic on the source, commits, and leaves.
  const kSource = new Kafka({ brokers: [from], logLevel: logLevel.NOTHING });
  const before = kSource.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await before.connect();
  await before.subscribe({ topic, fromBeginning: true });
  const readBefore: string[] = [];
  const lastOffset = new Map<number, number>();
  let enough!: () => void;
  const gotEnough = new Promise<void>((r) => (enough = r));
  await before.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      if (readBefore.length >= 120) return;
      readBefore.push(message.value!.toString());
      lastOffset.set(partition, Number(message.offset));
      if (readBefore.length === 120) enough();
    },
  });
  await gotEnough;
  // Every partition gets a commit (0 where nothing was read), so none falls back to fromBeginning on the target.
  const committed = [0, 1, 2].map((p) => [p, (lastOffset.get(p) ?? -1) + 1] as const);
  await before.commitOffsets(committed.map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
  await before.disconnect();
  assert.equal(readBefore.length, 120);

  const mirror = new Mirror({ from, to, topics: new RegExp(topic), groups: /billing/, syncGroups: true, name: 'group', logger: quiet });
  await mirror.start();
  await mirror.waitCaughtUp();
  assert.equal(mirror.status().offsetsCommitted, 3);
  await mirror.stop();
  const translated = await targetAdmin.fetchOffsets('billing');
  assert.deepEqual(
    translated.map((o) => [o.partition, o.offset]),
    committed.map(([p, off]) => [p, off + 5]),
  );

  // The same group on the target goes on from there.
  const kTarget = new Kafka({ brokers: [to], logLevel: logLevel.NOTHING });
  const afterMove = kTarget.consumer({ groupId: 'billing', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await afterMove.connect();
  await afterMove.subscribe({ topic, fromBeginning: true });
  const readAfter: string[] = [];
  let all!: () => void;
  const gotAll = new Promise<void>((r) => (all = r));
  await afterMove.run({
    eachMessage: async ({ message }) => {
      readAfter.push(message.value!.toString());
      if (readAfter.length === 180) all();
    },
  });
  await gotAll;
  await afterMove.disconnect();
  assert.ok(!readAfter.some((v) => v.startsWith('old-')), 'records that were on the target before are not read');
  const both = [...readBefore, ...readAfter];
  assert.equal(new Set(both).size, both.length, 'no record read twice');
  assert.deepEqual(both.map((v) => Number(v.slice(1))).sort((x, y) => x - y), Array.from({ length: 300 }, (_, i) => i), 'no record skipped');
});

test('a KIP-848 consumer-protocol group moved with syncGroups resumes on the target at the translated offsets', async () => {
  const topic = 'm-group-848';
  await sourceAdmin.createTopics([{ name: topic, numPartitions: 3 }]);
  await targetAdmin.createTopics([{ name: topic, numPartitions: 3 }]);
  // Target offsets are source offsets + 4: translation has to do something.
  const pre = new Producer({ bootstrap: to, lingerMs: 0 });
  for (const p of [0, 1, 2]) await pre.send({ topic, messages: Array.from({ length: 4 }, (_, i) => ({ value: `old-${p}-${i}`, partition: p })) });
  await pre.close();
  const producer = new Producer({ bootstrap: from, lingerMs: 0 });
  await producer.send({ topic, messages: Array.from({ length: 150 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 3 })) });
  await producer.close();

  // The member (it owns all three partitions) reads 60 records, commits, leaves.
  const first = await consumeWithConsumerProtocol(from, 'ledger-848', topic, 3, 60);
  const committed = await sourceAdmin.fetchOffsets('ledger-848');
  assert.deepEqual(committed.map((o) => [o.partition, o.offset]), [...first.next].sort(([a], [b]) => a - b));

  const mirror = new Mirror({ from, to, topics: new RegExp(topic), groups: /ledger-848/, syncGroups: true, name: 'group-848', logger: quiet });
  await mirror.start();
  await mirror.waitCaughtUp();
  await mirror.stop();
  const translated = await targetAdmin.fetchOffsets('ledger-848');
  assert.deepEqual(
    translated.map((o) => [o.partition, o.offset]),
    committed.map((o) => [o.partition, o.offset + 4]),
  );

  const rest = await consumeWithConsumerProtocol(to, 'ledger-848', topic, 3, 150 - first.values.length);
  assert.ok(!rest.values.some((v) => v.startsWith('old-')), 'records that were on the target before are not read');
  const both = [...first.values, ...rest.values];
  assert.equal(new Set(both).size, both.length, 'no record read twice');
  assert.deepEqual(both.map((v) => Number(v.slice(1))).sort((x, y) => x - y), Array.from({ length: 150 }, (_, i) => i), 'no record skipped');
});

test('a broker with mirror.target copies its topics continuously and reports the lag on /metrics', async () => {
  const dr = await startBroker({ shards: 1, 'mirror.target': to, 'mirror.name': 'dr', 'mirror.topics': 'dr-.*' });
  try {
    assert.ok(dr.mirror !== null);
    const producer = new Producer({ bootstrap: `127.0.0.1:${dr.kafkaPort}`, lingerMs: 0 });
    await producer.send({ topic: 'dr-orders', messages: Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.send({ topic: 'other', messages: [{ value: 'not mirrored' }] });
    await producer.close();
    await waitFor('dr-orders on the target', async () => (await targetAdmin.listTopics()).includes('dr-orders') && (await endTotal(targetAdmin, 'dr-orders')) === 50);
    await waitFor('the mirror to see it is caught up', () => dr.mirror!.status().partitions.some((p) => p.topic === 'dr-orders' && p.sourceEnd === 50 && p.lag === 0));
    const metrics = await (await fetch(`http://127.0.0.1:${dr.httpPort}/metrics`)).text();
    assert.match(metrics, /^samsa_mirror_lag_records\{mirror="dr",topic="dr-orders",partition="0"\} 0$/m);
    assert.match(metrics, /^samsa_mirror_up\{mirror="dr"\} 1$/m);
    assert.match(metrics, /^samsa_uptime_seconds /m, 'the broker families are still there');
    assert.ok(!(await targetAdmin.listTopics()).includes('other'));
    const copied = await readAll(to, 'dr-orders');
    assert.deepEqual(
      copied.get(0)!.map((r) => [r.key, r.value]),
      Array.from({ length: 50 }, (_, i) => [`k${i}`, `v${i}`]),
    );
  } finally {
    await dr.close();
  }
  await assert.rejects(startBroker({ shards: 1, 'mirror.target': 'nope' }), /mirror/);
});

test('samsa mirror: bad usage is one line on stderr and exit code 2; a broker mirrored into itself is refused', async () => {
  for (const [args, pattern] of [
    [['--from', 'nope', '--to', to], /--from must be HOST:PORT/],
    [['--from', from, '--to', `${to},x:y`], /--to must be HOST:PORT/],
    [['--from', from, '--to', to, '--topics', '('], /--topics is not a regular expression/],
    [['--from', from], /--to/],
  ] as const) {
    const r = await runCli(['mirror', ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneErrorLine(r.stderr), r.stderr);
    assert.match(r.stderr, pattern);
  }
  // A broker mirrored into itself would copy forever: refused, exit 1.
  const self = await runCli(['mirror', '--from', from, '--to', `localhost:${source.kafkaPort}`, '--topics', 'm-basic', '-q'], { timeoutMs: 60_000 });
  assert.equal(self.code, 1, self.stderr);
  assert.match(self.stderr, /^samsa: source 127\.0\.0\.1:\d+ and target localhost:\d+ are the same broker/m);
});
