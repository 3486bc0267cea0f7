// README.md's configuration table stays true: exactly the settings src/config knows,
// each with the SAMSA_* variable that envSettings reads for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SETTINGS, envSettings } from '../../src/config/config.js';

test('README lists every setting, and only those, with its environment variable', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `([a-z][a-z.]*)` \| `(SAMSA_[A-Z_]+)` \|/gm)].map((m) => ({ name: m[1]!, env: m[2]! }));
  assert.deepEqual(rows.map((r) => r.name).sort(), Object.keys(SETTINGS).sort());
  for (const r of rows) assert.deepEqual(Object.keys(envSettings({ [r.env]: '1' })), [r.name], `${r.env} sets ${r.name}`);
});
