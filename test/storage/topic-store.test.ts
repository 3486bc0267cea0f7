import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_TOPIC_CONFIG, resolveTopicConfig, validateTopicConfig } from '../../src/config/topic-config.js';
import { toLogConfig } from '../../src/storage/log-config.js';
import { TopicStore } from '../../src/storage/topic-store.js';
import type { TopicInfo } from '../../src/broker/engine-api.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import { makeTmpDir, rmTmp } from './make-batch.js';

const ID = '0123456789abcdef0123456789abcdef';

function info(name: string, partitions = 3, config: Partial<TopicInfo['config']> = {}): TopicInfo {
  return { name, topicId: ID, partitions, config: { ...DEFAULT_TOPIC_CONFIG, ...config } };
}

function isCode(code: number) {
  return (e: unknown) => e instanceof KafkaError && e.code === code;
}

test('Kafka defaults', () => {
  assert.equal(DEFAULT_TOPIC_CONFIG['segment.bytes'], 1073741824);
  assert.equal(DEFAULT_TOPIC_CONFIG['segment.ms'], 604_800_000);
  assert.equal(DEFAULT_TOPIC_CONFIG['retention.ms'], 604_800_000);
  assert.equal(DEFAULT_TOPIC_CONFIG['retention.bytes'], -1);
  assert.equal(DEFAULT_TOPIC_CONFIG['max.message.bytes'], 1048588);
  assert.equal(DEFAULT_TOPIC_CONFIG['index.interval.bytes'], 4096);
  assert.equal(DEFAULT_TOPIC_CONFIG['cleanup.policy'], 'delete');
  assert.equal(DEFAULT_TOPIC_CONFIG['message.timestamp.type'], 'CreateTime');
  assert.deepEqual(toLogConfig(DEFAULT_TOPIC_CONFIG), {
    segmentBytes: 1073741824, segmentMs: 604_800_000, retentionMs: 604_800_000, retentionBytes: -1, indexIntervalBytes: 4096, maxMessageBytes: 1048588,
  });
});

test('validateTopicConfig accepts Kafka strings and numbers, names the bad key', () => {
  assert.deepEqual(validateTopicConfig({ 'retention.ms': '-1', 'segment.bytes': 1024, 'cleanup.policy': 'delete, compact', 'flush.messages': '9223372036854775807' }), {
    'retention.ms': -1, 'segment.bytes': 1024, 'cleanup.policy': 'compact,delete', 'flush.messages': Number.MAX_SAFE_INTEGER,
  });
  assert.deepEqual(validateTopicConfig({ 'message.timestamp.type': 'LogAppendTime', 'segment.ms': undefined }), { 'message.timestamp.type': 'LogAppendTime' });
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ 'no.such.key': 1 }, /no\.such\.key/],
    [{ 'segment.bytes': 10 }, /segment\.bytes/],
    [{ 'segment.bytes': 2 ** 31 }, /segment\.bytes/],
    [{ 'retention.ms': -2 }, /retention\.ms/],
    [{ 'retention.bytes': 'lots' }, /retention\.bytes/],
    [{ 'segment.ms': 1.5 }, /segment\.ms/],
    [{ 'segment.ms': 0 }, /segment\.ms/],
    [{ 'cleanup.policy': 'purge' }, /cleanup\.policy/],
    [{ 'message.timestamp.type': 'createtime' }, /message\.timestamp\.type/],
    [{ 'flush.messages': 0 }, /flush\.messages/],
    [{ 'max.message.bytes': null }, /max\.message\.bytes/],
  ];
  for (const [partial, re] of bad) {
    assert.throws(() => validateTopicConfig(partial), (e: unknown) => isCode(ErrorCode.INVALID_CONFIG)(e) && re.test((e as Error).message), JSON.stringify(partial));
  }
  assert.throws(() => validateTopicConfig(null), isCode(ErrorCode.INVALID_CONFIG));
  assert.throws(() => validateTopicConfig([1]), isCode(ErrorCode.INVALID_CONFIG));
  assert.equal(resolveTopicConfig({ 'retention.ms': 5 })['retention.ms'], 5);
});

test('put / get / list / remove persist across load', () => {
  const dir = makeTmpDir();
  try {
    const store = TopicStore.load(dir);
    assert.deepEqual(store.list(), []);
    store.put(info('orders', 6, { 'retention.ms': 1000 }));
    store.put(info('a.b-c_d', 1));
    store.put(info('orders', 8, { 'retention.ms': 1000 })); // replace
    assert.equal(store.get('orders')!.partitions, 8);
    const again = TopicStore.load(dir);
    assert.deepEqual(again.list().map((t) => [t.name, t.partitions, t.config['retention.ms']]), [['a.b-c_d', 1, DEFAULT_TOPIC_CONFIG['retention.ms']], ['orders', 8, 1000]]);
    assert.equal(again.remove('orders'), true);
    assert.equal(again.remove('orders'), false);
    assert.deepEqual(TopicStore.load(dir).list().map((t) => t.name), ['a.b-c_d']);
    assert.ok(Object.isFrozen(again.get('a.b-c_d')));
  } finally {
    rmTmp(dir);
  }
});

test('put rejects bad topics before writing anything', () => {
  const dir = makeTmpDir();
  try {
    const store = TopicStore.load(dir);
    assert.throws(() => store.put(info('..')), isCode(ErrorCode.INVALID_TOPIC_EXCEPTION));
    assert.throws(() => store.put(info('ok', 0)), KafkaError);
    assert.throws(() => store.put(info('ok', 10_001)), KafkaError);
    assert.throws(() => store.put({ ...info('ok'), topicId: 'xyz' }), KafkaError);
    assert.throws(() => store.put(info('ok', 1, { 'segment.bytes': -5 })), isCode(ErrorCode.INVALID_CONFIG));
    assert.deepEqual(fs.readdirSync(store.dir), []);
  } finally {
    rmTmp(dir);
  }
});

test('writes are atomic: a leftover .tmp from an interrupted write is ignored and removed', () => {
  const dir = makeTmpDir();
  try {
    const store = TopicStore.load(dir);
    store.put(info('orders', 2));
    // A crash between writing the tmp file and the rename: the old file stays authoritative.
    fs.writeFileSync(path.join(store.dir, 'orders.json.tmp'), '{"half": ');
    const again = TopicStore.load(dir);
    assert.equal(again.get('orders')!.partitions, 2);
    assert.deepEqual(fs.readdirSync(store.dir), ['orders.json']);
  } finally {
    rmTmp(dir);
  }
});

test('a corrupt metadata file takes only its topic offline, naming the file and the problem', () => {
  const cases: Array<[string, string]> = [
    ['not json', '{"version":1,'],
    ['bad partitions', JSON.stringify({ version: 1, name: 't', topicId: ID, partitions: 0, config: {} })],
    ['bad name', JSON.stringify({ version: 1, name: 'other', topicId: ID, partitions: 1, config: {} })],
    ['bad config', JSON.stringify({ version: 1, name: 't', topicId: ID, partitions: 1, config: { 'retention.ms': 'forever' } })],
    ['unknown config', JSON.stringify({ version: 1, name: 't', topicId: ID, partitions: 1, config: { 'x.y': 1 } })],
    ['bad topic id', JSON.stringify({ version: 1, name: 't', topicId: 'abc', partitions: 1, config: {} })],
    ['bad version', JSON.stringify({ version: 9, name: 't', topicId: ID, partitions: 1, config: {} })],
  ];
  for (const [what, text] of cases) {
    const dir = makeTmpDir();
    try {
      TopicStore.load(dir).put(info('good'));
      const file = path.join(dir, 'meta', 'topics', 't.json');
      fs.writeFileSync(file, text);
      const store = TopicStore.load(dir);
      assert.deepEqual(store.list().map((t) => t.name), ['good'], what);
      assert.equal(store.get('t'), undefined, what);
      const d = store.damagedTopic('t');
      assert.equal(d?.file, file, what);
      assert.ok((d?.problem ?? '').length > 0, what);
      assert.deepEqual(store.damaged().map((x) => x.name), ['t'], what);
      assert.equal(fs.readFileSync(file, 'utf8'), text, `${what}: the file is left as it is`);
    } finally {
      rmTmp(dir);
    }
  }
});

test('a file whose name is no topic name is listed as stray, not as a topic', () => {
  const dir = makeTmpDir();
  try {
    fs.mkdirSync(path.join(dir, 'meta', 'topics'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'meta', 'topics', 'a b.json'), '{}');
    const store = TopicStore.load(dir);
    assert.deepEqual(store.list(), []);
    assert.deepEqual(store.damaged(), []);
    assert.equal(store.strayFiles.length, 1);
  } finally {
    rmTmp(dir);
  }
});

test('a file missing newer config keys gets the defaults for them', () => {
  const dir = makeTmpDir();
  try {
    fs.mkdirSync(path.join(dir, 'meta', 'topics'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'meta', 'topics', 'old.json'), JSON.stringify({ version: 1, name: 'old', topicId: ID, partitions: 4, config: { 'retention.ms': 1 } }));
    const t = TopicStore.load(dir).get('old')!;
    assert.equal(t.config['retention.ms'], 1);
    assert.equal(t.config['segment.bytes'], DEFAULT_TOPIC_CONFIG['segment.bytes']);
  } finally {
    rmTmp(dir);
  }
});
