// Kafka's kafka-consumer-groups (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
// from kafka-tools 4.x, through scripts/kafka-peer.sh) against a Samsa broker holding a
// KIP-848 consumer-protocol group, as an operator would run it against Kafka: the
// group is listed with type Consumer, described with its member, current and target
// assignment and epochs (ConsumerGroupDescribe), and deleted once its member left
// (DeleteGroups). The member is @platformatic/kafka with groupProtocol consumer. Skips,
// naming the command, when the tools are not cached (it never downloads them).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import { type Broker, startBroker } from '../../src/server.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const PEER = join(REPO, 'scripts/kafka-peer.sh');
const CACHE = process.env.SAMSA_CACHE_DIR ?? join(homedir(), '.cache/samsa');

function toolsCached(): boolean {
  if (!existsSync(CACHE)) return false;
  return readdirSync(CACHE).some((d) => d.startsWith('kafka-') && existsSync(join(CACHE, d, 'libs/.complete')));
}

const missing = spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0 ? 'java is not installed' : !toolsCached() ? "Kafka's tools are not cached (scripts/kafka-peer.sh fetch)" : null;
const skip = missing ?? false;

let broker: Broker;
let bootstrap: string;

before(async () => {
  if (missing !== null) return;
  broker = await startBroker({ shards: 1, 'log.level': 'silent', 'group.consumer.heartbeat.interval.ms': 500 });
  bootstrap = `127.0.0.1:${broker.kafkaPort}`;
  await broker.engine.createTopic('payments', 3);
});

after(async () => {
  if (missing !== null) return;
  await broker.close();
});

function tool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, JAVA_TOOL_OPTIONS: '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto' };
    execFile(PEER, ['tool', 'consumer-groups', '--bootstrap-server', bootstrap, ...args], { timeout: 120_000, encoding: 'utf8', env }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, out: `${stdout}${stderr}` }),
    );
  });
}

test('kafka-consumer-groups lists, describes (members, epochs, assignments) and deletes a consumer-protocol group', { skip }, async () => {
  const consumer = new Consumer({ clientId: 'tool-test', bootstrapBrokers: [bootstrap], groupId: 'ops-848', groupProtocol: 'consumer', groupRemoteAssignor: 'range', rebalanceTimeout: 60_000 });
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  try {
    stream = await consumer.consume({ topics: ['payments'], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    // The member owns the three partitions once its first heartbeats are answered.
    for (let i = 0; i < 200 && (consumer.assignments?.[0]?.partitions.length ?? 0) < 3; i++) await new Promise((r) => setTimeout(r, 50));
    const list = await tool(['--list', '--type']);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /^ops-848\s+Consumer\s*$/m);
    const members = await tool(['--describe', '--group', 'ops-848', '--members', '--verbose']);
    assert.equal(members.code, 0, members.out);
    // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS CURRENT-EPOCH CURRENT-ASSIGNMENT TARGET-EPOCH TARGET-ASSIGNMENT
    assert.match(members.out, /^ops-848\s+\S+\s+\/127\.0\.0\.1\s+tool-test\s+3\s+1\s+payments:0,1,2\s+1\s+payments:0,1,2\s*$/m);
  } finally {
    await stream?.close();
    await consumer.close(true);
  }
  const del = await tool(['--delete', '--group', 'ops-848']);
  assert.equal(del.code, 0, del.out);
  assert.match(del.out, /Deletion of requested consumer groups \('ops-848'\) was successful/);
  const after = await tool(['--list']);
  assert.doesNotMatch(after.out, /ops-848/);
});
