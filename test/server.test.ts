// Embedding: startBroker() on free ports with a temporary data dir, usable by a
// Kafka client nobody here wrote (kafkajs), and started/closed many times without
// leaking handles, threads or directories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/index.js';

function resources(): string[] {
  return process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').sort();
}

test('startBroker picks free ports and a temporary data dir that close() removes', async () => {
  const broker = await startBroker();
  try {
    assert.ok(broker.kafkaPort > 0 && broker.kafkaPort !== 9092);
    assert.ok(existsSync(broker.dataDir));
    const kafka = new Kafka({ brokers: [`127.0.0.1:${broker.kafkaPort}`], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'embedded', numPartitions: 2 }] });
    assert.deepEqual(await admin.listTopics(), ['embedded']);
    await admin.disconnect();
  } finally {
    await broker.close();
  }
  assert.equal(existsSync(broker.dataDir), false);
});

test('starting and closing an embedded broker many times leaks no handles', async () => {
  // One warm-up cycle: lazily created process-wide resources (e.g. the first worker's) are not leaks.
  await (await startBroker()).close();
  const before = resources();
  for (let i = 0; i < 8; i++) {
    const b = await startBroker({ shards: 1 });
    await b.engine.createTopic(`t${i}`, 1);
    await b.close();
  }
  // Handles close asynchronously; give the loop a few turns (bounded).
  for (let i = 0; i < 50 && grown(before, resources()).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  // No kind of resource may outnumber the baseline. (Not equality: a timer of the
  // previous test that was still pending when the baseline was taken may be gone now.)
  assert.deepEqual(grown(before, resources()), [], `before: ${before.join(',')}; after: ${resources().join(',')}`);
});

/** Resource kinds that `after` holds more of than `before`. */
function grown(before: readonly string[], after: readonly string[]): string[] {
  const count = (xs: readonly string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return m;
  };
  const b = count(before);
  return [...count(after)].filter(([kind, n]) => n > (b.get(kind) ?? 0)).map(([kind]) => kind);
}

test('startBroker takes kafkaPort/httpPort (the result\'s names) as aliases of port/http.port', async () => {
  const probe = await startBroker();
  const [kafkaPort, httpPort] = [probe.kafkaPort, probe.httpPort];
  await probe.close();
  // The ports just freed are asked for by name; the broker must listen exactly there.
  const broker = await startBroker({ kafkaPort, httpPort });
  try {
    assert.equal(broker.kafkaPort, kafkaPort);
    assert.equal(broker.httpPort, httpPort);
    assert.equal((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status, 200);
  } finally {
    await broker.close();
  }
  await assert.rejects(startBroker({ kafkaPort: 0, port: 0 }), /give the Kafka port once/);
  await assert.rejects(startBroker({ httpPort: 0, 'http.port': 0 }), /give the HTTP port once/);
});

test('broker settings named like topic configs are the defaults of new topics', async () => {
  const broker = await startBroker({ 'delete.retention.ms': 1234, 'retention.bytes': 5678, 'cleanup.policy': 'compact' });
  try {
    const defaults = broker.engine.defaultTopicConfig() as unknown as Record<string, unknown>;
    const config = broker.config as unknown as Record<string, unknown>;
    assert.equal(defaults['delete.retention.ms'], 1234);
    assert.equal(defaults['retention.bytes'], 5678);
    assert.equal(defaults['cleanup.policy'], 'compact');
    // Every topic config the broker configuration also names must come from it.
    for (const key of Object.keys(defaults)) if (key in config) assert.deepEqual(defaults[key], config[key], key);
    const topic = await broker.engine.createTopic('defaults', 1);
    assert.equal(topic.config['delete.retention.ms'], 1234);
  } finally {
    await broker.close();
  }
});
