// Every way the main thread and a shard can wake each other, end to end: a real broker
// process per mode (the choice is made once per process, from the environment), driven
// by Samsa's client over TCP with many requests in flight. The default (futex to the
// shard, doorbell back), SAMSA_DOORBELL=0 (Atomics.waitAsync back: what runs without a
// doorbell) and SAMSA_FUTEX=0 (Atomics both ways: what runs without the addon). Each
// must deliver every record in order and stop cleanly; a lost wake-up would stall a
// send past the client's timeout. Nothing here asserts on time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { startBrokerProcess } from '../reliability/broker-process.js';
import { collect, text } from '../client/helpers.js';

const RECORDS = 3_000;
const PARTITIONS = 2;
/** Sends in flight at once: enough that completions arrive while the main thread drains. */
const IN_FLIGHT = 64;

const modes: Array<{ name: string; env: NodeJS.ProcessEnv }> = [
  { name: 'default (futex, doorbell)', env: {} },
  { name: 'SAMSA_DOORBELL=0 (Atomics.waitAsync back)', env: { SAMSA_DOORBELL: '0' } },
  { name: 'SAMSA_FUTEX=0 (Atomics both ways)', env: { SAMSA_FUTEX: '0' } },
];

for (const mode of modes) {
  test(`wake mode ${mode.name}: every record produced comes back in order; the broker stops cleanly`, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samsa-wake-'));
    const broker = await startBrokerProcess({ dataDir, env: mode.env });
    try {
      const bootstrap = `127.0.0.1:${broker.kafkaPort}`;
      const admin = new Admin({ bootstrap });
      await admin.createTopics([{ name: 'wake', numPartitions: PARTITIONS }]);
      await admin.close();
      // Linger 0, one record per send: as many requests, completions and wake-ups as records.
      const producer = new Producer({ bootstrap, lingerMs: 0 });
      const sent: Array<Promise<unknown>> = [];
      for (let i = 0; i < RECORDS; i++) {
        sent.push(producer.send({ topic: 'wake', messages: [{ key: `k${i}`, value: `v${i}`, partition: i % PARTITIONS }] }));
        if (sent.length >= IN_FLIGHT) await Promise.all(sent.splice(0));
      }
      await Promise.all(sent);
      await producer.close();
      const consumer = new Consumer({ bootstrap, autoOffsetReset: 'earliest', maxWaitMs: 100 });
      await consumer.assign([{ topic: 'wake' }]);
      const got = await collect(consumer, RECORDS, 60_000);
      await consumer.close();
      for (let p = 0; p < PARTITIONS; p++) {
        const values = got.filter((m) => m.partition === p).map((m) => text(m.value));
        const expected = Array.from({ length: RECORDS / PARTITIONS }, (_, j) => `v${j * PARTITIONS + p}`);
        assert.deepEqual(values, expected, `partition ${p}`);
      }
      assert.equal(await broker.kill('SIGTERM'), 'exit 0', broker.stderrTail());
    } finally {
      await broker.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
