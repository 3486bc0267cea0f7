// Configuration precedence (flags > env > file > defaults) and rejection of unknown
// or invalid settings with a message that names the setting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, defaultConfig, envSettings, ConfigError } from '../../src/config/config.js';
import { tempDir } from '../helpers/tmp.js';

test('defaults run a usable broker with data under ./data', () => {
  const c = defaultConfig();
  assert.equal(c['log.dirs'], './data');
  assert.equal(c.port, 9092);
  assert.equal(c['http.port'], 8080);
  assert.equal(c['auto.create.topics.enable'], true);
});

test('flags beat environment, which beats the file, which beats defaults', () => {
  const { dir, cleanup } = tempDir();
  try {
    const props = join(dir, 'samsa.properties');
    writeFileSync(props, '# comment\nport=1000\nhttp.port = 2000\nnum.partitions: 3\nretention.ms=5\n');
    const c = resolveConfig({ file: props, env: { SAMSA_HTTP_PORT: '3000', SAMSA_NUM_PARTITIONS: '4' }, flags: { 'num.partitions': '5' } });
    assert.equal(c.port, 1000);
    assert.equal(c['http.port'], 3000);
    assert.equal(c['num.partitions'], 5);
    assert.equal(c['retention.ms'], 5);
    const json = join(dir, 'samsa.json');
    writeFileSync(json, JSON.stringify({ 'segment.bytes': 4096, 'auto.create.topics.enable': false }));
    const j = resolveConfig({ file: json });
    assert.equal(j['segment.bytes'], 4096);
    assert.equal(j['auto.create.topics.enable'], false);
  } finally {
    cleanup();
  }
});

test('unknown and invalid settings are refused, naming the setting and its source', () => {
  assert.throws(() => resolveConfig({ flags: { 'no.such.thing': 1 } }), (e: Error) => e instanceof ConfigError && /no\.such\.thing/.test(e.message));
  assert.throws(() => resolveConfig({ env: { SAMSA_PORT: 'abc' } }), (e: Error) => /'port'.*environment/.test(e.message));
  assert.throws(() => resolveConfig({ flags: { port: 70000 } }), /'port'.*≤ 65535/);
  assert.throws(() => resolveConfig({ flags: { 'cleanup.policy': 'sometimes' } }), /cleanup\.policy/);
  assert.throws(() => resolveConfig({ flags: { 'auto.create.topics.enable': 'maybe' } }), /auto\.create\.topics\.enable/);
  const { dir, cleanup } = tempDir();
  try {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ not json');
    assert.throws(() => resolveConfig({ file: bad }), /not valid JSON/);
    assert.throws(() => resolveConfig({ file: join(dir, 'missing') }), /cannot read config file/);
  } finally {
    cleanup();
  }
});

test('SAMSA_* names map to Kafka names', () => {
  assert.deepEqual(envSettings({ SAMSA_LOG_DIRS: '/x', SAMSA_MAX_MESSAGE_BYTES: '100', OTHER: 'y' }), { 'log.dirs': '/x', 'max.message.bytes': '100' });
});
