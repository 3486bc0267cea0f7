// Samsa's producer against a broker that creates a topic asynchronously: Apache Kafka
// (KRaft) can answer UNKNOWN_TOPIC_OR_PARTITION to the Metadata request that asked for
// auto-creation while the controller creates it, and the Java producer keeps asking.
// Here a Samsa broker with auto-creation off stands in for it: the topic appears a
// moment after the first send. A broker that never creates the topic still fails the send.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Producer } from '../../src/client/index.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import { type TestBroker, startTestBroker } from '../kafka/harness.js';

let tb: TestBroker;

before(async () => {
  tb = await startTestBroker({ autoCreateTopics: false });
});

after(async () => {
  await tb.close();
});

test('a send waits out UNKNOWN_TOPIC_OR_PARTITION while the topic is being created elsewhere', async () => {
  const producer = new Producer({ bootstrap: `127.0.0.1:${tb.port}`, lingerMs: 0 });
  try {
    const sent = producer.send({ topic: 'late', messages: [{ value: 'v' }] });
    await sleep(200);
    await tb.engine.createTopic('late', 1);
    const [meta] = await sent;
    assert.equal(meta?.partition, 0);
    assert.equal(Number(meta?.offset), 0);
  } finally {
    await producer.close();
  }
});

test('a topic that never appears still fails the send with UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const producer = new Producer({ bootstrap: `127.0.0.1:${tb.port}`, lingerMs: 0 });
  try {
    await assert.rejects(producer.send({ topic: 'never', messages: [{ value: 'v' }] }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    await producer.close();
  }
});

test('without auto-creation asked for, an unknown topic fails at once (no waiting)', async () => {
  const producer = new Producer({ bootstrap: `127.0.0.1:${tb.port}`, lingerMs: 0, allowAutoTopicCreation: false });
  try {
    await assert.rejects(producer.send({ topic: 'never2', messages: [{ value: 'v' }] }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    await producer.close();
  }
});
