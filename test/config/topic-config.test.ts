// Tests for src/config/topic-config.ts, the one table of topic settings: passive
// settings, Kafka's printing of Long.MAX_VALUE, and that the broker settings derive from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SETTINGS } from '../../src/config/config.js';
import { DEFAULT_TOPIC_CONFIG, TOPIC_SETTINGS, parseTopicConfigEntries, resolveTopicConfig, topicConfigEntries } from '../../src/config/topic-config.js';

test('passive topic settings: stored and described as Kafka prints them, checked by type, never broker settings', () => {
  const set = parseTopicConfigEntries([
    { name: 'min.insync.replicas', value: '2' },
    { name: 'compression.type', value: 'zstd' },
    { name: 'message.format.version', value: '3.0' }, // removed in Kafka 4.0: accepted, dropped
  ]);
  assert.deepEqual(set, { 'min.insync.replicas': '2', 'compression.type': 'zstd' });
  assert.throws(() => parseTopicConfigEntries([{ name: 'compression.type', value: 'brotli' }]), /compression\.type/);
  assert.throws(() => parseTopicConfigEntries([{ name: 'min.insync.replicas', value: 'two' }]), /min\.insync\.replicas/);
  assert.throws(() => parseTopicConfigEntries([{ name: 'preallocate', value: 'yes' }]), /preallocate/);
  const config = resolveTopicConfig(set);
  const entries = new Map(topicConfigEntries(config, DEFAULT_TOPIC_CONFIG, null).map((e) => [e.name, e]));
  assert.equal(entries.get('min.insync.replicas')?.value, '2');
  assert.equal(entries.get('min.insync.replicas')?.isDefault, false);
  assert.equal(entries.get('compression.type')?.value, 'zstd');
  assert.equal(entries.get('max.compaction.lag.ms')?.value, '9223372036854775807');
  // Long.MAX_VALUE ("never") prints as Kafka prints it, and Kafka's own value is accepted.
  assert.equal(entries.get('flush.ms')?.value, '9223372036854775807');
  assert.deepEqual(parseTopicConfigEntries([{ name: 'flush.ms', value: '9223372036854775807' }]), { 'flush.ms': Number.MAX_SAFE_INTEGER });
  assert.equal(Object.hasOwn(SETTINGS, 'min.insync.replicas'), false, 'passive settings are per topic only');
  assert.equal(Object.hasOwn(SETTINGS, 'segment.bytes'), true);
});

test('every applied topic setting is a broker setting with the same default', () => {
  for (const [name, spec] of Object.entries(TOPIC_SETTINGS)) {
    if (spec.kind === 'passive') continue;
    const broker = (SETTINGS as Record<string, { default: unknown }>)[name];
    assert.ok(broker !== undefined, name);
    assert.equal(broker.default, spec.default, name);
  }
});
