// The table view's key index (src/table/key-index.ts) against a plain Map model:
// random puts and deletes with a memory bound small enough that the map spills to
// sorted runs and the runs merge; every lookup and every prefix/cursor scan must
// answer what the model holds. Then the files go away with close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { KeyIndex, type Location } from '../../src/table/key-index.js';

type Op = { kind: 'put'; key: string; offset: number } | { kind: 'delete'; key: string } | { kind: 'spill' };

/** Keys over a small alphabet (prefixes collide often), any byte value included. */
const keyArb = fc.array(fc.constantFrom(0x61, 0x62, 0x63, 0x00, 0xff), { minLength: 0, maxLength: 4 }).map((b) => String.fromCharCode(...b));

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key: keyArb, offset: fc.nat(1_000_000) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'spill' as const }) },
);

async function scanAll(index: KeyIndex, prefix: string, pageSize: number): Promise<string[]> {
  const out: string[] = [];
  let after: string | null = null;
  for (let i = 0; i < 10_000; i++) {
    const page = await index.scan({ prefix, after, limit: pageSize, maxScanned: 1_000 });
    for (const e of page.entries) out.push(`${e.key}=${e.loc.offset}`);
    if (!page.more) return out;
    if (page.entries.length > 0) after = page.entries[page.entries.length - 1]!.key;
    else throw new Error('a page with more=true must make progress within maxScanned');
  }
  throw new Error('scan did not end');
}

test('lookups and scans match a Map model through spills and merges', async () => {
  const root = mkdtempSync(join(tmpdir(), 'samsa-keyindex-'));
  try {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 300 }), fc.integer({ min: 1, max: 7 }), async (ops, pageSize) => {
        const dir = join(root, String(run++));
        // 600 bytes: a handful of keys, so spills and merges (past 4 runs) happen often.
        const index = new KeyIndex(dir, 600);
        const model = new Map<string, number>();
        for (const op of ops) {
          if (op.kind === 'put') {
            index.put(op.key, { partition: 0, offset: op.offset });
            model.set(op.key, op.offset);
          } else if (op.kind === 'delete') {
            index.delete(op.key);
            model.delete(op.key);
          } else {
            await index.spill();
          }
          if (index.needsSpill()) await index.spill();
        }
        for (const k of ['', 'a', 'ab', 'abc', '\x00', '\xff\xff', 'cab']) {
          const got: Location | undefined = await index.get(k);
          assert.equal(got?.offset, model.get(k), `get ${JSON.stringify(k)}`);
        }
        for (const prefix of ['', 'a', 'b\x00']) {
          const want = [...model.entries()].filter(([k]) => k.startsWith(prefix)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
          assert.deepEqual(await scanAll(index, prefix, pageSize), want, `scan prefix ${JSON.stringify(prefix)}`);
        }
        assert.ok(index.stats().runs <= 5, 'runs are merged past four');
        await index.close();
        assert.equal(existsSync(dir), false, 'close removes the run files');
      }),
      { numRuns: 60 },
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a large key set spills: memory stays near the bound, the rest is on disk', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'samsa-keyindex-big-'));
  const index = new KeyIndex(join(dir, 'idx'), 64 * 1024);
  try {
    for (let i = 0; i < 50_000; i++) {
      index.put(`key-${String(i).padStart(6, '0')}`, { partition: i % 3, offset: i });
      if (index.needsSpill()) await index.spill();
    }
    for (let i = 0; i < 50_000; i += 2) index.delete(`key-${String(i).padStart(6, '0')}`);
    await index.spill();
    const s = index.stats();
    assert.ok(s.runs >= 1 && s.diskBytes > 500_000, JSON.stringify(s));
    assert.ok(s.memoryBytes < 200 * 1024, `in memory: the sparse indexes and a small map, ${JSON.stringify(s)}`);
    assert.deepEqual(await index.get('key-012345'), { partition: 12345 % 3, offset: 12345 });
    assert.equal(await index.get('key-012344'), undefined, 'deleted');
    const page = await index.scan({ prefix: 'key-0499', after: '', limit: 3, maxScanned: 1000 });
    assert.deepEqual(page.entries.map((e) => e.key), ['key-049901', 'key-049903', 'key-049905']);
    assert.ok(readdirSync(join(dir, 'idx')).every((f) => f.endsWith('.run')));
  } finally {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
