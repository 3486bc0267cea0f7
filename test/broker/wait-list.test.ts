// A partition's parked long-polls (src/broker/wait-list.ts): size counts the waits not
// finished, a drain visits each of those once and empties the list, waits added during
// a drain stay for the next one, and finished entries do not pile up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WaitList } from '../../src/broker/wait-list.js';

class Wait {
  finished = false;
  woken = 0;
  constructor(private readonly lists: Array<WaitList<Wait>>) {
    for (const l of lists) l.add(this);
  }
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const l of this.lists) l.finished();
  }
}

test('WaitList drains the waits not finished, once each, and empties', () => {
  const list = new WaitList<Wait>();
  const waits = Array.from({ length: 10 }, () => new Wait([list]));
  assert.equal(list.size, 10);
  waits[3]!.finish();
  waits[8]!.finish();
  assert.equal(list.size, 8);
  list.drain((w) => {
    w.woken++;
    w.finish();
  });
  assert.deepEqual(waits.map((w) => w.woken), [1, 1, 1, 0, 1, 1, 1, 1, 0, 1]);
  assert.equal(list.size, 0);
  list.drain(() => assert.fail('an empty list calls nothing'));
});

test('WaitList: a wait in several lists leaves all of them when one drain finishes it', () => {
  const a = new WaitList<Wait>();
  const b = new WaitList<Wait>();
  const both = new Wait([a, b]);
  const onlyB = new Wait([b]);
  a.drain((w) => w.finish());
  assert.equal(both.finished, true);
  assert.equal(a.size, 0);
  assert.equal(b.size, 1, 'the finished wait no longer counts in b');
  const seen: Wait[] = [];
  b.drain((w) => {
    seen.push(w);
    w.finish();
  });
  assert.deepEqual(seen, [onlyB], 'b does not call the wait a finished');
});

test('WaitList: waits added while draining wait for the next drain, nested drains too', () => {
  const list = new WaitList<Wait>();
  new Wait([list]);
  new Wait([list]);
  let added: Wait | null = null;
  let calls = 0;
  list.drain((w) => {
    calls++;
    w.finish();
    if (added === null) {
      added = new Wait([list]);
      // A drain from inside a drain sees the newly added wait and finishes it.
      list.drain((inner) => inner.finish());
      added = new Wait([list]);
    }
  });
  assert.equal(calls, 2, 'the drain visits only what was there when it started');
  assert.equal(list.size, 1);
  list.drain((w) => w.finish());
  assert.equal(list.size, 0);
});

test('WaitList: finished entries are compacted, so churn without drains stays bounded', () => {
  const list = new WaitList<Wait>();
  const longLived = new Wait([list]);
  for (let i = 0; i < 100_000; i++) new Wait([list]).finish();
  assert.equal(list.size, 1);
  assert.ok(list.entries <= 2 * list.size + 16 + 1, `entries ${list.entries} stay bounded by the live ones`);
  const seen: Wait[] = [];
  list.drain((w) => {
    seen.push(w);
    w.finish();
  });
  assert.deepEqual(seen, [longLived]);
});
