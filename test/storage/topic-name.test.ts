import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertTopicName, isValidTopicName, partitionDirName } from '../../src/storage/topic-name.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';

test('valid topic names', () => {
  for (const n of ['a', 'orders', 'my.topic_v2-x', 'A'.repeat(249), '...', '__consumer_offsets', '0']) assert.ok(isValidTopicName(n), n);
});

test('invalid topic names throw INVALID_TOPIC_EXCEPTION', () => {
  for (const n of ['', '.', '..', 'a/b', '../x', 'a b', 'é', 'A'.repeat(250), 'x\0', 'a\\b']) {
    assert.equal(isValidTopicName(n), false, n);
    assert.throws(() => assertTopicName(n), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_TOPIC_EXCEPTION);
  }
  assert.equal(isValidTopicName(42), false);
  assert.throws(() => assertTopicName(undefined), KafkaError);
});

test('partition directory names', () => {
  assert.equal(partitionDirName('orders', 3), 'orders-3');
  assert.throws(() => partitionDirName('..', 0), KafkaError);
  assert.throws(() => partitionDirName('a', -1), KafkaError);
  assert.throws(() => partitionDirName('a', 1.5), KafkaError);
});
