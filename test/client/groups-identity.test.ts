// Samsa's client against a real in-process broker: consumer-group offsets from
// outside the group (Admin commitOffsets / fetchOffsets / listGroups / describeGroup,
// refused while the group has a live member, here a kafkajs consumer), a producer
// that continues an earlier producer's id, epoch and sequences (what a restarted
// mirror does: in-order batches are written, repeats answered with their first
// offsets, overlaps refused with OUT_OF_ORDER_SEQUENCE_NUMBER and nothing written),
// and bootstrap lists.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Consumer, ErrorCode, KafkaError, Producer } from '../../src/client/index.js';
import { type Broker, startBroker } from '../../src/server.js';
import { collect, text } from './helpers.js';

let broker: Broker;
let bootstrap: string;
let admin: Admin;

before(async () => {
  broker = await startBroker({ shards: 1, 'group.initial.rebalance.delay.ms': 0 });
  bootstrap = `127.0.0.1:${broker.kafkaPort}`;
  admin = new Admin({ bootstrap });
});

after(async () => {
  await admin.close();
  await broker.close();
});

const hasCode = (code: number) => (e: unknown) => e instanceof KafkaError && e.code === code;

test('group offsets from outside the group: commit, fetch, list, describe; refused while a member is live', async () => {
  await admin.createTopics([{ name: 'g-topic', numPartitions: 3 }]);
  assert.deepEqual(await admin.fetchOffsets('g-none'), []);
  await admin.commitOffsets('g-one', [
    { topic: 'g-topic', partition: 0, offset: 5 },
    { topic: 'g-topic', partition: 2, offset: 9, metadata: 'm' },
  ]);
  assert.deepEqual(await admin.fetchOffsets('g-one'), [
    { topic: 'g-topic', partition: 0, offset: 5, metadata: '' },
    { topic: 'g-topic', partition: 2, offset: 9, metadata: 'm' },
  ]);
  assert.deepEqual(
    (await admin.fetchOffsets('g-one', ['g-topic'])).map((o) => [o.partition, o.offset]),
    [
      [0, 5],
      [2, 9],
    ],
  );
  await admin.commitOffsets('g-one', [{ topic: 'g-topic', partition: 0, offset: 6 }]);
  assert.equal((await admin.fetchOffsets('g-one')).find((o) => o.partition === 0)?.offset, 6);
  assert.ok((await admin.listGroups()).some((g) => g.groupId === 'g-one'));
  assert.equal((await admin.describeGroup('g-one')).members, 0);
  await assert.rejects(admin.commitOffsets('g-one', [{ topic: 'g-topic', partition: 0, offset: -3 }]), RangeError);

  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const member = kafka.consumer({ groupId: 'g-live', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await member.connect();
  await member.subscribe({ topic: 'g-topic', fromBeginning: true });
  let joined!: () => void;
  const joinedP = new Promise<void>((r) => (joined = r));
  member.on(member.events.GROUP_JOIN, () => joined());
  await member.run({ eachMessage: async () => {} });
  await joinedP;
  try {
    const d = await admin.describeGroup('g-live');
    assert.equal(d.state, 'Stable');
    assert.equal(d.members, 1);
    // Kafka's answer (and Samsa's) to a commit from outside a group with members.
    await assert.rejects(admin.commitOffsets('g-live', [{ topic: 'g-topic', partition: 0, offset: 1 }]), hasCode(ErrorCode.UNKNOWN_MEMBER_ID));
  } finally {
    await member.disconnect();
  }
  await admin.commitOffsets('g-live', [{ topic: 'g-topic', partition: 0, offset: 1 }]);
  assert.deepEqual((await admin.fetchOffsets('g-live')).map((o) => o.offset), [1]);
});

test('a producer continuing an earlier id, epoch and sequences: in order is written, a repeat answered, an overlap refused', async () => {
  await admin.createTopics([{ name: 'ident', numPartitions: 2 }]);
  const first = new Producer({ bootstrap, lingerMs: 0 });
  const msgs = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ value: `v${from + i}`, partition: 1 }));
  assert.deepEqual(
    (await first.send({ topic: 'ident', messages: msgs(0, 10) })).map((r) => r.offset),
    Array.from({ length: 10 }, (_, i) => i),
  );
  const identity = first.producerIdentity;
  await first.close();

  const cont = (start: number) => new Producer({ bootstrap, lingerMs: 0, producerIdentity: identity, sequenceStart: (_t, p) => (p === 1 ? start : 0) });
  const next = cont(10);
  assert.deepEqual((await next.send({ topic: 'ident', messages: msgs(10, 5) })).map((r) => r.offset), [10, 11, 12, 13, 14]);
  assert.deepEqual(next.producerIdentity, identity, 'no InitProducerId: the same id and epoch');
  await next.close();

  // The same five again at the same sequences: the broker's duplicate, answered with the first offsets.
  const again = cont(10);
  assert.deepEqual((await again.send({ topic: 'ident', messages: msgs(10, 5) })).map((r) => r.offset), [10, 11, 12, 13, 14]);
  await again.close();

  // Sequences that overlap what was written without repeating a batch: refused, nothing written.
  const overlap = cont(12);
  await assert.rejects(overlap.send({ topic: 'ident', messages: msgs(12, 5) }), hasCode(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER));
  await overlap.close();
  assert.deepEqual(await admin.listOffsets('ident', 'latest', [1]), [{ partition: 1, offset: 15, timestamp: -1 }]);

  const resumed = cont(15);
  assert.deepEqual((await resumed.send({ topic: 'ident', messages: msgs(15, 2) })).map((r) => r.offset), [15, 16]);
  await resumed.close();

  const consumer = new Consumer({ bootstrap, autoOffsetReset: 'earliest' });
  await consumer.assign([{ topic: 'ident', partition: 1 }]);
  assert.deepEqual(
    (await collect(consumer, 17)).map((m) => text(m.value)),
    Array.from({ length: 17 }, (_, i) => `v${i}`),
  );
  await consumer.close();

  assert.throws(() => new Producer({ bootstrap, idempotent: false, acks: 1, producerIdentity: identity }), RangeError);
  assert.throws(() => new Producer({ bootstrap, sequenceStart: () => 0 }), RangeError);
});

test('a bootstrap list: an unreachable first address is skipped; a bad address is refused up front', async () => {
  const a = new Admin({ bootstrap: `127.0.0.1:1,${bootstrap}`, connectTimeoutMs: 2000 });
  assert.ok((await a.listTopics()).includes('ident'));
  await a.close();
  assert.throws(() => new Admin({ bootstrap: `${bootstrap},nope` }), TypeError);
  assert.throws(() => new Admin({ bootstrap: ' , ' }), TypeError);
});
