// `samsa bench` as a child process with tiny --records: the --json shape (not the
// timings) with its own in-process broker and --against a broker started here;
// plain progress lines when stderr is not a terminal; bad usage → 2; an
// unreachable --against → 1 with one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Broker, startBroker } from '../../src/server.js';
import { isOneErrorLine, runCli } from './cli-helpers.js';

let broker: Broker;

before(async () => {
  broker = await startBroker({ port: 0, 'http.port': 0 });
});

after(async () => {
  await broker.close();
});

function assertPercentiles(p: unknown, what: string): void {
  assert.equal(typeof p, 'object', what);
  const o = p as Record<string, unknown>;
  assert.deepEqual(Object.keys(o).sort(), ['count', 'max', 'mean', 'p50', 'p99', 'p999'], what);
  for (const k of Object.keys(o)) assert.ok(Number.isInteger(o[k]) && (o[k] as number) >= 0, `${what}.${k} = ${String(o[k])}`);
  assert.ok((o.p50 as number) <= (o.p99 as number) && (o.p99 as number) <= (o.p999 as number) && (o.p999 as number) <= (o.max as number), what);
}

function assertThroughput(t: unknown, records: number, what: string): void {
  const o = t as Record<string, unknown>;
  assert.equal(o.records, records, what);
  assert.equal(o.bytes, records * 100, what);
  for (const k of ['seconds', 'recordsPerSec', 'mbPerSec']) assert.ok(typeof o[k] === 'number' && (o[k] as number) >= 0, `${what}.${k}`);
}

test('bench all --json with an in-process broker: one JSON object with every phase', async () => {
  const r = await runCli(['bench', 'all', '--records', '300', '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.phase, 'all');
  assert.match(j.broker as string, /^in-process 127\.0\.0\.1:\d+$/);
  assert.equal(j.transport, 'tcp');
  assert.equal(typeof j.topic, 'string');
  assert.equal(j.partitions, 1);
  assert.equal(j.recordBytes, 100);
  assert.equal(j.acks, -1);
  assert.equal(j.compression, 'none');
  const produce = j.produce as Record<string, unknown>;
  assertThroughput(produce, 300, 'produce');
  assert.equal(produce.acks, -1);
  assertPercentiles(produce.sendLatencyUs, 'produce.sendLatencyUs');
  const consume = j.consume as Record<string, unknown>;
  assertThroughput(consume, 300, 'consume');
  assert.equal(consume.complete, true);
  const latency = j.latency as Record<string, unknown>;
  assert.equal(latency.ratePerSec, 10_000);
  assert.equal(latency.sent, 300);
  assert.equal(latency.records, 300);
  assertPercentiles(latency.latencyUs, 'latency.latencyUs');
  assert.equal((latency.latencyUs as { count: number }).count, 300);
  // stderr (not a terminal): plain progress lines and the table, no escape codes.
  assert.match(r.stderr, /^produce: 300\/300 records \(100%\)/m);
  assert.match(r.stderr, /^latency +300 /m);
  assert.doesNotMatch(r.stderr, /\x1b\[/);
});

test('bench produce and consume --against a running broker, with compression, acks and partitions', async () => {
  const against = `127.0.0.1:${broker.kafkaPort}`;
  const [p, c] = await Promise.all([
    runCli(['bench', 'produce', '--records', '500', '--record-bytes', '100', '--acks', '1', '-z', 'gzip', '--partitions', '2', '--against', against, '--json'], { timeoutMs: 30_000 }),
    runCli(['bench', 'consume', '--records', '400', '--against', against, '--json'], { timeoutMs: 30_000 }),
  ]);
  assert.equal(p.code, 0, p.stderr);
  const pj = JSON.parse(p.stdout) as Record<string, unknown>;
  assert.equal(pj.broker, against);
  assert.equal(pj.partitions, 2);
  assert.equal(pj.compression, 'gzip');
  assert.equal(pj.acks, 1);
  assertThroughput(pj.produce, 500, 'produce');
  assert.equal(pj.consume, undefined);
  assert.equal(pj.latency, undefined);
  assert.equal(c.code, 0, c.stderr);
  const cj = JSON.parse(c.stdout) as Record<string, unknown>;
  assert.equal(cj.produce, undefined);
  assertThroughput(cj.consume, 400, 'consume');
  // The bench topics are deleted afterwards.
  const list = await runCli(['topics', 'list', '-b', against]);
  assert.equal(list.code, 0, list.stderr);
  assert.doesNotMatch(list.stdout, /samsa-bench/);
});

test('bench latency --warmup: the warm-up records are sent and received but not recorded', async () => {
  const against = `127.0.0.1:${broker.kafkaPort}`;
  const r = await runCli(['bench', 'latency', '--rate', '1000', '--seconds', '1', '--warmup', '0.5', '--against', against, '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const latency = (JSON.parse(r.stdout) as Record<string, unknown>).latency as Record<string, unknown>;
  // 1.5 s at 1000/s: all 1500 go out and come back; only those sent after 0.5 s count.
  assert.equal(latency.sent, 1500);
  assert.equal(latency.records, 1500);
  const count = (latency.latencyUs as { count: number }).count;
  assert.ok(count > 0 && count < 1500, `recorded ${count} of 1500`);
});

test('bench latency prints a table on stdout without --json', async () => {
  const r = await runCli(['bench', 'latency', '--records', '200', '--rate', '5000', '--against', `127.0.0.1:${broker.kafkaPort}`], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /^samsa bench latency: broker 127\.0\.0\.1:\d+ over tcp/);
  assert.match(lines[1]!, /^phase +records +seconds +records\/s +MB\/s +p50 µs +p99 µs +p99\.9 µs +max µs/);
  assert.match(lines[2]!, /^latency +200 /);
});

test('bench: bad usage exits 2, an unreachable --against exits 1, each with one line', async () => {
  const usage = await Promise.all([
    runCli(['bench']),
    runCli(['bench', 'everything']),
    runCli(['bench', 'produce', '--records', '0']),
    runCli(['bench', 'produce', '--seconds', '-1']),
    runCli(['bench', 'latency', '--record-bytes', '4']),
    runCli(['bench', 'latency', '--warmup', '-1']),
    runCli(['bench', 'latency', '--warmup', 'soon']),
    runCli(['bench', 'produce', '--transport', 'carrier-pigeon']),
    runCli(['bench', 'produce', '--against', 'nowhere']),
  ]);
  for (const r of usage) {
    assert.equal(r.code, 2, r.stderr);
    assert.ok(isOneErrorLine(r.stderr), JSON.stringify(r.stderr));
  }
  const down = await runCli(['bench', 'produce', '--records', '10', '--against', '127.0.0.1:1']);
  assert.equal(down.code, 1, down.stderr);
  assert.ok(isOneErrorLine(down.stderr), JSON.stringify(down.stderr));
  assert.match(down.stderr, /^samsa: cannot connect to 127\.0\.0\.1:1: /);
});
