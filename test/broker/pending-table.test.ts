// A shard client's in-flight requests (src/broker/pending-table.ts): ids are non-zero
// and unique among those in flight, a completion for an id not in flight (never
// issued, already taken, or a slot's earlier use) finds nothing, the table grows to its
// bound and refuses past it, and takeAll empties it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PENDING_SLOTS_MAX, PendingTable } from '../../src/broker/pending-table.js';

test('PendingTable hands out unique non-zero ids and takes each back once', () => {
  const t = new PendingTable<string>(1024, 4);
  const ids = new Map<number, string>();
  for (let i = 0; i < 100; i++) {
    const id = t.add(`v${i}`);
    assert.ok(id > 0 && id <= 0xffff_ffff, `id ${id} is a non-zero u32`);
    assert.ok(!ids.has(id), `id ${id} is not in flight twice`);
    ids.set(id, `v${i}`);
  }
  assert.equal(t.size, 100);
  for (const [id, v] of ids) {
    assert.equal(t.take(id), v);
    assert.equal(t.take(id), undefined, 'a taken id is gone');
  }
  assert.equal(t.size, 0);
  assert.equal(t.take(0), undefined, 'id 0 (the shard notices) is never a request');
  assert.equal(t.take(0xffff_ffff), undefined);
});

test('PendingTable: a slot reused under a new id does not answer to the old one', () => {
  const t = new PendingTable<string>(1, 1);
  const first = t.add('a');
  assert.equal(t.take(first), 'a');
  const second = t.add('b');
  assert.notEqual(second, first);
  assert.equal(t.take(first), undefined, 'the earlier id of the same slot finds nothing');
  assert.equal(t.take(second), 'b');
  // Generations wrap without ever making id 0, and stay distinct from the one before.
  let prev = -1;
  for (let i = 0; i < 0x1_0010; i++) {
    const id = t.add('x');
    assert.ok(id > 0);
    assert.notEqual(id, prev);
    assert.equal(t.take(id), 'x');
    prev = id;
  }
});

test('PendingTable grows to its bound, refuses past it, and takeAll empties it', () => {
  const t = new PendingTable<number>(300, 2);
  const ids: number[] = [];
  for (let i = 0; i < 300; i++) ids.push(t.add(i));
  assert.ok(ids.every((id) => id > 0));
  assert.equal(t.add(300), -1, 'full at slotsMax');
  assert.equal(t.size, 300);
  assert.equal(t.take(ids[7]!), 7);
  const again = t.add(301);
  assert.ok(again > 0, 'a freed slot is used again');
  const all = t.takeAll();
  assert.equal(all.length, 300);
  assert.deepEqual(new Set(all), new Set([...Array.from({ length: 300 }, (_, i) => i).filter((i) => i !== 7), 301]));
  assert.equal(t.size, 0);
  for (const id of ids) assert.equal(t.take(id), undefined);
  assert.ok(t.add(1) > 0, 'usable after takeAll');
});

test('PendingTable rejects a bound it cannot address', () => {
  assert.throws(() => new PendingTable(0), RangeError);
  assert.throws(() => new PendingTable(PENDING_SLOTS_MAX + 1), RangeError);
  const t = new PendingTable<number>(PENDING_SLOTS_MAX, 1);
  for (let i = 0; i < PENDING_SLOTS_MAX; i++) assert.ok(t.add(i) > 0);
  assert.equal(t.add(-1), -1);
});
