// Kafka 4's own command-line tools (kafka-tools 4.x mains through scripts/kafka-peer.sh,
// the jars it caches) against a PLAINTEXT Samsa, for the admin APIs they call:
// kafka-topics --describe (DescribeTopicPartitions, paged by
// --partition-size-limit-per-response), kafka-log-dirs --describe (DescribeLogDirs),
// kafka-leader-election (ElectLeaders), kafka-consumer-groups --delete-offsets
// (OffsetDelete) and --delete (DeleteGroups), kafka-cluster cluster-id (DescribeCluster),
// kafka-get-offsets (ListOffsets, also earliest-local and latest-tiered) and kafka-reassign-partitions --execute/--verify (AlterPartitionReassignments,
// ListPartitionReassignments, IncrementalAlterConfigs deleting the broker throttles).
// Nobody here wrote these clients: their output is what an operator would see (the
// error cases are in apis/admin-4x.test.ts, raw, to keep this file's JVM starts few). Skips,
// naming the command, when java or the cached jars are missing (never downloads).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Broker, startBroker } from '../../src/server.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { makeTmpDir, rmTmp } from '../storage/make-batch.js';
import { KAFKA_PEER, kafkaToolsMissing } from '../helpers/kafka-tools.js';

const missing = kafkaToolsMissing();
const skip = missing ?? false;

let root: string;
let broker: Broker;
let bootstrap: string;

before(async () => {
  if (missing !== null) return;
  root = makeTmpDir('samsa-kafka-tools-admin-');
  broker = await startBroker({ dataDir: root, 'log.level': 'silent', 'group.initial.rebalance.delay.ms': 0 });
  bootstrap = `127.0.0.1:${broker.kafkaPort}`;
  await broker.engine.createTopic('tools-a', 3);
  await broker.engine.createTopic('tools-b', 2);
  for (let i = 0; i < 4; i++) await broker.engine.append('tools-a', 1, encodeRecordBatch([{ value: `r${i}` }, { value: `s${i}` }]), -1);
});

after(async () => {
  if (missing !== null) return;
  await broker.close();
  rmTmp(root);
});

function tool(name: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, JAVA_TOOL_OPTIONS: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto' };
    execFile(KAFKA_PEER, ['tool', name, ...args], { timeout: 120_000, encoding: 'utf8', env }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` }),
    );
  });
}

test('kafka-topics --describe pages through DescribeTopicPartitions (one partition per answer) and lists every partition', { skip }, async () => {
  const r = await tool('topics', ['--bootstrap-server', bootstrap, '--describe', '--partition-size-limit-per-response', '1', '--topic', 'tools-.*']);
  assert.equal(r.code, 0, r.out);
  const rows = [...r.out.matchAll(/Topic: (\S+)\tPartition: (\d+)\tLeader: 0\tReplicas: 0\tIsr: 0/g)].map((m) => `${m[1]}/${m[2]}`);
  assert.deepEqual(rows, ['tools-a/0', 'tools-a/1', 'tools-a/2', 'tools-b/0', 'tools-b/1'], r.out);
  assert.match(r.out, new RegExp(`Topic: tools-a\\tTopicId: \\S+\\tPartitionCount: 3\\tReplicationFactor: 1`));
});

test('kafka-log-dirs --describe reports the data directory and each partition\'s size', { skip }, async () => {
  const r = await tool('log-dirs', ['--bootstrap-server', bootstrap, '--describe', '--topic-list', 'tools-a']);
  assert.equal(r.code, 0, r.out);
  const json = JSON.parse(r.out.split('\n').find((l) => l.startsWith('{'))!) as { brokers: Array<{ broker: number; logDirs: Array<{ logDir: string; error: string | null; partitions: Array<{ partition: string; size: number }> }> }> };
  assert.equal(json.brokers.length, 1);
  const dir = json.brokers[0]!.logDirs[0]!;
  assert.equal(dir.logDir, root);
  assert.equal(dir.error, null);
  const sizes = new Map(dir.partitions.map((p) => [p.partition, p.size]));
  assert.deepEqual([...sizes.keys()].sort(), ['tools-a-0', 'tools-a-1', 'tools-a-2']);
  assert.equal(sizes.get('tools-a-0'), 0);
  assert.ok(sizes.get('tools-a-1')! > 0);
});

test('kafka-leader-election: the preferred leader already leads (ELECTION_NOT_NEEDED); an unknown partition fails', { skip }, async () => {
  const ok = await tool('leader-election', ['--bootstrap-server', bootstrap, '--election-type', 'preferred', '--topic', 'tools-b', '--partition', '1']);
  assert.equal(ok.code, 0, ok.out);
  assert.match(ok.out, /Valid replica already elected for partitions tools-b-1/);
  const bad = await tool('leader-election', ['--bootstrap-server', bootstrap, '--election-type', 'preferred', '--topic', 'tools-b', '--partition', '9']);
  assert.notEqual(bad.code, 0, bad.out);
  assert.match(bad.out, /tools-b-9.*(UnknownTopicOrPartition|does not host this topic-partition)/s);
});

test('kafka-consumer-groups --delete-offsets deletes an empty group\'s offsets of one topic; kafka-get-offsets and kafka-cluster answer', { skip }, async () => {
  // The group's offsets, committed by the tool itself (Admin.alterConsumerGroupOffsets: OffsetCommit).
  const reset = await tool('consumer-groups', ['--bootstrap-server', bootstrap, '--reset-offsets', '--to-latest', '--execute', '--group', 'tools-g', '--topic', 'tools-a', '--topic', 'tools-b']);
  assert.equal(reset.code, 0, reset.out);
  assert.match(reset.out, /tools-g\s+tools-a\s+1\s+8/, reset.out);
  const del = await tool('consumer-groups', ['--bootstrap-server', bootstrap, '--delete-offsets', '--group', 'tools-g', '--topic', 'tools-a']);
  assert.equal(del.code, 0, del.out);
  assert.match(del.out, /tools-a\s+1\s+Successful/, del.out);
  const after = await tool('consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--group', 'tools-g']);
  assert.doesNotMatch(after.out, /tools-g\s+tools-a\s+1\s+8/, after.out);
  assert.match(after.out, /tools-g\s+tools-b\s+0\s+0\s+0\s+0/, after.out);

  const offsets = await tool('get-offsets', ['--bootstrap-server', bootstrap, '--topic', 'tools-a']);
  assert.equal(offsets.code, 0, offsets.out);
  assert.deepEqual(offsets.out.trim().split('\n').filter((l) => l.startsWith('tools-a:')).sort(), ['tools-a:0:0', 'tools-a:1:8', 'tools-a:2:0']);
  // ListOffsets v8/v9 (the Admin's minimum for these specs): the local log start is the log start here, and
  // with no tiered storage there is no last tiered offset, so the tool prints no line (as against Kafka 4.4).
  const local = await tool('get-offsets', ['--bootstrap-server', bootstrap, '--topic', 'tools-a', '--time', 'earliest-local']);
  assert.equal(local.code, 0, local.out);
  assert.deepEqual(local.out.trim().split('\n').filter((l) => l.startsWith('tools-a:')).sort(), ['tools-a:0:0', 'tools-a:1:0', 'tools-a:2:0']);
  const tiered = await tool('get-offsets', ['--bootstrap-server', bootstrap, '--topic', 'tools-a', '--time', 'latest-tiered']);
  assert.equal(tiered.code, 0, tiered.out);
  assert.deepEqual(tiered.out.trim().split('\n').filter((l) => l.startsWith('tools-a:')), []);
  const id = await tool('cluster', ['cluster-id', '--bootstrap-server', bootstrap]);
  assert.match(id.out, /Cluster ID: samsa-single-node/, id.out);
  // DeleteGroups (v3 from the 4.4 Admin): the now member-less group and its remaining offsets go.
  const gone = await tool('consumer-groups', ['--bootstrap-server', bootstrap, '--delete', '--group', 'tools-g']);
  assert.equal(gone.code, 0, gone.out);
  assert.match(gone.out, /Deletion of requested consumer groups \('tools-g'\) was successful/, gone.out);
});

test('kafka-reassign-partitions: a plan that keeps this broker completes at once, --verify clears the throttles; another broker id is refused', { skip }, async () => {
  const plan = join(root, 'plan.json');
  writeFileSync(plan, JSON.stringify({ version: 1, partitions: [{ topic: 'tools-b', partition: 0, replicas: [0] }] }));
  const run = await tool('reassign-partitions', ['--bootstrap-server', bootstrap, '--execute', '--reassignment-json-file', plan]);
  assert.equal(run.code, 0, run.out);
  assert.match(run.out, /Successfully started partition reassignment for tools-b-0/, run.out);
  const verify = await tool('reassign-partitions', ['--bootstrap-server', bootstrap, '--verify', '--reassignment-json-file', plan]);
  assert.equal(verify.code, 0, verify.out);
  assert.match(verify.out, /Reassignment of partition tools-b-0 is completed/, verify.out);
  assert.match(verify.out, /Clearing broker-level throttles on broker 0/, verify.out);
  assert.doesNotMatch(verify.out, /Error/, verify.out);
});
