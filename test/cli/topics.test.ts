// `samsa topics create|list|describe|delete|alter-config|delete-records` as child processes against
// a broker started in this process; --help on every command; bad usage → exit 2;
// an unreachable broker → exit 1 with one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Broker, startBroker } from '../../src/server.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { isOneErrorLine, runCli } from './cli-helpers.js';

let broker: Broker;
let b: string[];

before(async () => {
  broker = await startBroker({ port: 0, 'http.port': 0 });
  b = ['-b', `127.0.0.1:${broker.kafkaPort}`];
});

after(async () => {
  await broker.close();
});

test('topics create, list (text and --json), describe (text and --json), delete', async () => {
  const created = await runCli(['topics', 'create', 'cli-orders', '-p', '3', '-c', 'retention.ms=60000', '-c', 'cleanup.policy=delete', ...b]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'created topic cli-orders (3 partitions)\n');
  const one = await runCli(['topics', 'create', 'cli-single', ...b]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'created topic cli-single (1 partition)\n');

  const again = await runCli(['topics', 'create', 'cli-orders', ...b]);
  assert.equal(again.code, 1);
  assert.ok(isOneErrorLine(again.stderr), again.stderr);
  assert.match(again.stderr, /TOPIC_ALREADY_EXISTS/);
  const tolerant = await runCli(['topics', 'create', 'cli-orders', '--if-not-exists', ...b]);
  assert.equal(tolerant.code, 0, tolerant.stderr);

  const list = await runCli(['topics', 'list', ...b]);
  assert.equal(list.code, 0, list.stderr);
  const names = list.stdout.split('\n').filter((l) => l !== '');
  assert.ok(names.includes('cli-orders') && names.includes('cli-single'), list.stdout);
  assert.deepEqual([...names].sort(), names);
  const listJson = await runCli(['topics', 'list', '--json', ...b]);
  assert.equal(listJson.code, 0, listJson.stderr);
  const parsed = JSON.parse(listJson.stdout) as Array<{ name: string; partitions: number }>;
  assert.deepEqual(
    parsed.find((t) => t.name === 'cli-orders'),
    { name: 'cli-orders', partitions: 3 },
  );

  const desc = await runCli(['topics', 'describe', 'cli-orders', ...b]);
  assert.equal(desc.code, 0, desc.stderr);
  assert.match(desc.stdout, /^Topic: cli-orders\tTopicId: \S+\tPartitions: 3\n/);
  assert.match(desc.stdout, /\tPartition: 2\tLeader: \d+\tEarliest: 0\tLatest: 0\n/);
  assert.match(desc.stdout, /\tretention\.ms=60000\t\(topic\)\n/);
  const descJson = await runCli(['topics', 'describe', 'cli-orders', '--json', ...b]);
  assert.equal(descJson.code, 0, descJson.stderr);
  const d = JSON.parse(descJson.stdout) as {
    name: string;
    topicId: string;
    partitions: Array<{ partition: number; leader: number; earliest: number; latest: number }>;
    configs: Array<{ name: string; value: string | null; source: string; readOnly: boolean }>;
  };
  assert.equal(d.name, 'cli-orders');
  assert.deepEqual(
    d.partitions.map((p) => [p.partition, p.earliest, p.latest]),
    [
      [0, 0, 0],
      [1, 0, 0],
      [2, 0, 0],
    ],
  );
  assert.deepEqual(
    d.configs.find((c) => c.name === 'retention.ms'),
    { name: 'retention.ms', value: '60000', source: 'topic', readOnly: false },
  );

  const del = await runCli(['topics', 'delete', 'cli-orders', ...b]);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'deleted topic cli-orders\n');
  const gone = await runCli(['topics', 'describe', 'cli-orders', ...b]);
  assert.equal(gone.code, 1);
  assert.ok(isOneErrorLine(gone.stderr), gone.stderr);
  assert.match(gone.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
  const delAgain = await runCli(['topics', 'delete', 'cli-orders', ...b]);
  assert.equal(delAgain.code, 1);
  assert.ok(isOneErrorLine(delAgain.stderr), delAgain.stderr);
  const delTolerant = await runCli(['topics', 'delete', 'cli-orders', '--if-exists', ...b]);
  assert.equal(delTolerant.code, 0, delTolerant.stderr);
});

test('topics alter-config sets and resets a setting (IncrementalAlterConfigs)', async () => {
  const created = await runCli(['topics', 'create', 'cli-alter', ...b]);
  assert.equal(created.code, 0, created.stderr);
  const r = await runCli(['topics', 'alter-config', 'cli-alter', '-c', 'retention.ms=1234', ...b]);
  assert.equal(r.code, 0, r.stderr);
  const configsOf = async (): Promise<Array<{ name: string; value: string }>> => {
    const d = await runCli(['topics', 'describe', 'cli-alter', '--json', ...b]);
    return (JSON.parse(d.stdout) as { configs: Array<{ name: string; value: string }> }).configs;
  };
  assert.equal((await configsOf()).find((c) => c.name === 'retention.ms')?.value, '1234');
  const reset = await runCli(['topics', 'alter-config', 'cli-alter', '--delete', 'retention.ms', ...b]);
  assert.equal(reset.code, 0, reset.stderr);
  assert.equal((await configsOf()).find((c) => c.name === 'retention.ms')?.value, '604800000');
  const bad = await runCli(['topics', 'alter-config', 'cli-alter', '-c', 'retention.ms=soon', ...b]);
  assert.equal(bad.code, 1);
  assert.ok(isOneErrorLine(bad.stderr), bad.stderr);
  const unknown = await runCli(['topics', 'alter-config', 'cli-no-such-topic', '-c', 'retention.ms=1', ...b]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /UNKNOWN_TOPIC_OR_PARTITION/);
  const nothing = await runCli(['topics', 'alter-config', 'cli-alter', ...b]);
  assert.equal(nothing.code, 2);
  assert.ok(isOneErrorLine(nothing.stderr), nothing.stderr);
});

test('topics delete-records moves the earliest offset of one or all partitions', async () => {
  await broker.engine.createTopic('cli-dr', 2);
  const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }, { value: 'c' }]);
  for (const p of [0, 1]) assert.equal((await broker.engine.append('cli-dr', p, batch, 1)).errorCode, 0);
  const one = await runCli(['topics', 'delete-records', 'cli-dr', '-p', '1', '-o', '2', ...b]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout, 'cli-dr-1: earliest offset now 2\n');
  const all = await runCli(['topics', 'delete-records', 'cli-dr', '--offset', 'end', ...b]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stdout, 'cli-dr-0: earliest offset now 3\ncli-dr-1: earliest offset now 3\n');
  assert.equal(broker.engine.offsets('cli-dr', 0).logStartOffset, 3);
  const past = await runCli(['topics', 'delete-records', 'cli-dr', '-o', '99', ...b]);
  assert.equal(past.code, 1);
  assert.ok(isOneErrorLine(past.stderr), past.stderr);
  assert.match(past.stderr, /OFFSET_OUT_OF_RANGE/);
  const usage = await runCli(['topics', 'delete-records', 'cli-dr', '-o', 'soon', ...b]);
  assert.equal(usage.code, 2);
  assert.ok(isOneErrorLine(usage.stderr), usage.stderr);
});

test('--help on every command exits 0 and prints usage on stdout', async () => {
  const commands = [
    [],
    ['topics'],
    ['topics', 'create'],
    ['topics', 'list'],
    ['topics', 'describe'],
    ['topics', 'delete'],
    ['topics', 'alter-config'],
    ['topics', 'delete-records'],
    ['produce'],
    ['consume'],
    ['offsets'],
    ['bench'],
    ['serve'],
  ];
  const results = await Promise.all(commands.map((c) => runCli([...c, '--help'])));
  results.forEach((r, i) => {
    const name = ['samsa', ...commands[i]!].join(' ');
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.ok(r.stdout.startsWith(`Usage: ${name} `), `${name}: ${r.stdout.slice(0, 80)}`);
    assert.equal(r.stderr, '');
  });
  // Every client command documents -b/--bootstrap and its environment variable.
  for (const i of [2, 3, 4, 5, 6, 7, 8, 9, 10]) assert.match(results[i]!.stdout, /-b, --bootstrap <host:port>[\s\S]*SAMSA_BOOTSTRAP/);
});

test('bad usage exits 2 with one line on stderr', async () => {
  const cases = [
    ['frobnicate'],
    ['topics', 'create'],
    ['topics', 'create', 'x', '-p', 'zero', ...b],
    ['topics', 'create', 'x', '-c', 'novalue', ...b],
    ['topics', 'list', 'extra', ...b],
    ['topics', 'list', '--no-such-flag', ...b],
    ['topics', 'list', '-b', 'not-an-address'],
    ['offsets', 't', '--time', 'yesterday', ...b],
  ];
  const results = await Promise.all(cases.map((c) => runCli(c)));
  results.forEach((r, i) => {
    assert.equal(r.code, 2, `${cases[i]!.join(' ')}: ${r.stderr}`);
    assert.ok(isOneErrorLine(r.stderr), `${cases[i]!.join(' ')}: ${JSON.stringify(r.stderr)}`);
    assert.equal(r.stdout, '');
  });
  // No command at all: the usage on stderr, exit 2.
  const bare = await runCli([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /^Usage: samsa /);
});

test('an unreachable broker exits 1 with one line naming it (flag and SAMSA_BOOTSTRAP)', async () => {
  const cases = [
    ['topics', 'list', '-b', '127.0.0.1:1'],
    ['topics', 'create', 'x', '-b', '127.0.0.1:1'],
    ['topics', 'describe', 'x', '-b', '127.0.0.1:1'],
    ['topics', 'delete', 'x', '-b', '127.0.0.1:1'],
    ['topics', 'alter-config', 'x', '-c', 'a=b', '-b', '127.0.0.1:1'],
  ];
  const results = await Promise.all(cases.map((c) => runCli(c)));
  results.forEach((r, i) => {
    assert.equal(r.code, 1, `${cases[i]!.join(' ')}: ${r.stderr}`);
    assert.ok(isOneErrorLine(r.stderr), JSON.stringify(r.stderr));
    assert.match(r.stderr, /^samsa: cannot connect to 127\.0\.0\.1:1: /);
  });
  const env = await runCli(['topics', 'list'], { env: { SAMSA_BOOTSTRAP: '127.0.0.1:1' } });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /^samsa: cannot connect to 127\.0\.0\.1:1: /);
  // ...and the environment names the broker when no flag does.
  const ok = await runCli(['topics', 'list'], { env: { SAMSA_BOOTSTRAP: `127.0.0.1:${broker.kafkaPort}` } });
  assert.equal(ok.code, 0, ok.stderr);
});
