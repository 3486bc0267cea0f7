// docs/protocol.md stays true: every registered API appears with its served and
// flexible versions, and nothing unregistered is listed as served.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { APIS } from '../../src/kafka/apis/index.js';

test('docs/protocol.md lists exactly the registered APIs and versions', () => {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  // "flexible from" is a version, or — for an API that is never flexible (SaslHandshake).
  const rows = [...doc.matchAll(/^\| (\d+) \| (\w+) \| (\d+)–(\d+) \| (\d+|—) \|/gm)].map((m) => ({
    key: Number(m[1]), name: m[2], min: Number(m[3]), max: Number(m[4]), flex: m[5] === '—' ? Infinity : Number(m[5]),
  }));
  const registered = APIS.map((a) => ({ key: a.apiKey, name: a.name, min: a.minVersion, max: a.maxVersion, flex: a.flexibleFrom }));
  assert.deepEqual(rows.sort((a, b) => a.key - b.key), registered.sort((a, b) => a.key - b.key));
});

test("docs/protocol.md's Kafka 4.4 list marks exactly the registered APIs, with their versions, as served", () => {
  const doc = readFileSync(new URL('../../../docs/protocol.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf("## Kafka 4.4's API list"));
  const rows = [...section.matchAll(/^\| ([\d, –]+) \| ([^|]+) \| [^|]+ \| (yes, (\d+)(?:–(\d+))?|no) \|/gm)];
  assert.ok(rows.length > 50, 'the list is there');
  const served = rows
    .filter((m) => m[3] !== 'no')
    .map((m) => ({ key: Number(m[1]), name: m[2]!.trim(), min: Number(m[4]), max: Number(m[5] ?? m[4]) }));
  const registered = APIS.map((a) => ({ key: a.apiKey, name: a.name, min: a.minVersion, max: a.maxVersion }));
  assert.deepEqual(served.sort((a, b) => a.key - b.key), registered.sort((a, b) => a.key - b.key));
});
