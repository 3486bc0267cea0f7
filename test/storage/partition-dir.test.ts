// Tests for src/storage/partition-dir.ts: names only after the topic rule and the partition bound.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { partitionDirName } from '../../src/storage/partition-dir.js';
import { KafkaError } from '../../src/wire/errors.js';
import { PARTITIONS_MAX } from '../../src/wire/topic-name.js';

test('partition directory names', () => {
  assert.equal(partitionDirName('orders', 3), 'orders-3');
  assert.throws(() => partitionDirName('..', 0), KafkaError);
  assert.throws(() => partitionDirName('a', -1), KafkaError);
  assert.throws(() => partitionDirName('a', 1.5), KafkaError);
  assert.throws(() => partitionDirName('a', PARTITIONS_MAX), KafkaError);
  assert.equal(partitionDirName('a', PARTITIONS_MAX - 1), `a-${PARTITIONS_MAX - 1}`);
});
