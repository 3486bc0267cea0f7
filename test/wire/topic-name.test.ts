import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertTopicName, isValidTopicName } from '../../src/wire/topic-name.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';

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
