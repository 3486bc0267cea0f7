// Client quotas without sockets: Kafka's order of precedence between user, client-id
// and default entities; the rate and throttle arithmetic of Kafka's sensors (samples,
// the num − 1 window floor, the throttle bound); a shared rate per entity; removing and
// persisting values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QuotaManager, validateQuotaValue } from '../../src/security/quotas.js';

test("precedence: user+client, user+<default>, user, <default>+client, <default>+<default>, <default>, client, <default client>", () => {
  const q = QuotaManager.inMemory();
  const levels = [
    { user: 'alice', clientId: 'app' },
    { user: 'alice', clientId: null },
    { user: 'alice' },
    { user: null, clientId: 'app' },
    { user: null, clientId: null },
    { user: null },
    { clientId: 'app' },
    { clientId: null },
  ];
  q.alter(levels.map((entity, i) => ({ entity, values: { producer_byte_rate: 1000 + i } })));
  for (let i = 0; i < levels.length; i++) {
    assert.equal(q.resolve('alice', 'app', 'producer_byte_rate')?.quota, 1000 + i, `level ${i}`);
    q.alter([{ entity: levels[i]!, values: { producer_byte_rate: null } }]);
  }
  assert.equal(q.resolve('alice', 'app', 'producer_byte_rate'), null);
  assert.equal(q.active, false);
});

test("Kafka's arithmetic: a fresh sensor spans num − 1 windows; throttle = (rate − quota) / quota × span, bounded", () => {
  const q = QuotaManager.inMemory({ windowNum: 11, windowSizeMs: 1000 });
  q.alter([{ entity: { clientId: 'c' }, values: { producer_byte_rate: 1000 } }]);
  const a = q.resolve('ANONYMOUS', 'c', 'producer_byte_rate')!;
  const t0 = 1_000_000;
  // 10,000 bytes over a 10 s span is exactly 1000 B/s: no throttle.
  assert.equal(q.record(a, 10_000, t0), 0);
  // 10,000 more: 2000 B/s, twice the quota: throttle one whole span (10 s).
  assert.equal(q.record(a, 10_000, t0), 10_000);
  // Far over: bounded by the whole sample span (11 s).
  assert.equal(q.record(a, 1_000_000, t0 + 2), 11_000);
  // Long after, the old samples are gone and the rate is small again.
  assert.equal(q.record(a, 100, t0 + 60_000), 0);
});

test('clients resolving to a user quota share one rate; client-id quotas are per client', () => {
  const q = QuotaManager.inMemory();
  q.alter([{ entity: { user: 'alice' }, values: { consumer_byte_rate: 1000 } }, { entity: { clientId: null }, values: { consumer_byte_rate: 1000 } }]);
  const now = 5_000_000;
  const a1 = q.resolve('alice', 'one', 'consumer_byte_rate')!;
  const a2 = q.resolve('alice', 'two', 'consumer_byte_rate')!;
  assert.equal(a1.key, a2.key);
  assert.equal(q.record(a1, 10_000, now), 0);
  assert.ok(q.record(a2, 10_000, now) > 0, "alice's second client pays for the first");
  const b1 = q.resolve('bob', 'one', 'consumer_byte_rate')!;
  const b2 = q.resolve('bob', 'two', 'consumer_byte_rate')!;
  assert.notEqual(b1.key, b2.key, 'the default client-id quota applies to each client id on its own');
});

test('values are validated, persisted and reloaded', () => {
  assert.match(validateQuotaValue('producer_byte_rate', 1.5)!, /whole number/);
  assert.match(validateQuotaValue('consumer_byte_rate', 0)!, /positive/);
  assert.equal(validateQuotaValue('request_percentage', 12.5), null);
  const dir = mkdtempSync(join(tmpdir(), 'samsa-quotas-'));
  try {
    const q = QuotaManager.open(dir);
    q.alter([{ entity: { user: 'alice', clientId: null }, values: { producer_byte_rate: 2048, request_percentage: 50 } }]);
    const again = QuotaManager.open(dir);
    assert.deepEqual(again.all(), [{ entity: { user: 'alice', clientId: null }, values: { producer_byte_rate: 2048, request_percentage: 50 } }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
