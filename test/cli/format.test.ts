// Unit tests of the CLI's pure parts: kcat-like format strings, the streaming line
// splitter of `produce`, and start-offset resolution of `consume -o`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError } from '../../src/cli/common.js';
import { type FormatRecord, compileFormat, recordJson, renderRecord, unescape } from '../../src/cli/format.js';
import { LineSplitter, summaryLine } from '../../src/cli/commands/produce.js';
import { parseStart, startOffset } from '../../src/cli/commands/consume.js';

const rec: FormatRecord = {
  topic: 't',
  partition: 2,
  offset: 41,
  timestamp: 1700000000000,
  key: Buffer.from('k'),
  value: Buffer.from('v\u00e9'),
  headers: [
    { key: 'a', value: Buffer.from('1') },
    { key: 'b', value: null },
  ],
};

function render(fmt: string, r: FormatRecord = rec): string {
  const out: Buffer[] = [];
  const n = renderRecord(compileFormat(fmt), r, out);
  const b = Buffer.concat(out);
  assert.equal(b.length, n);
  return b.toString('utf8');
}

test('format codes and escapes render like kcat', () => {
  assert.equal(render('%t %p %o %k %s %T %h %K %S'), 't 2 41 k v\u00e9 1700000000000 a=1,b= 1 3');
  assert.equal(render('%s\\n'), 'v\u00e9\n');
  assert.equal(render('[%%]\\t\\\\\\r'), '[%]\t\\\r');
  assert.equal(render('%k|%s|%K|%S|%h', { ...rec, key: null, value: null, headers: [] }), '||-1|-1|');
  assert.equal(render('plain \\x'), 'plain \\x');
  assert.throws(() => compileFormat('%z'), UsageError);
  assert.throws(() => compileFormat('trailing %'), UsageError);
  assert.equal(unescape('\\t:\\n'), '\t:\n');
});

test('--json records carry text and nulls', () => {
  assert.deepEqual(JSON.parse(recordJson(rec)), {
    topic: 't',
    partition: 2,
    offset: 41,
    timestamp: 1700000000000,
    key: 'k',
    value: 'v\u00e9',
    headers: [
      { key: 'a', value: '1' },
      { key: 'b', value: null },
    ],
  });
});

test('LineSplitter yields the same non-empty lines however the input is chunked', () => {
  fc.assert(
    fc.property(fc.array(fc.string({ maxLength: 20 }), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 10 }), fc.boolean(), (lines, cuts, trailingNewline) => {
      const clean = lines.map((l) => l.replace(/\n/g, ''));
      const text = clean.join('\n') + (trailingNewline ? '\n' : '');
      const bytes = Buffer.from(text, 'utf8');
      const got: string[] = [];
      const s = new LineSplitter();
      let pos = 0;
      for (let i = 0; pos < bytes.length; i++) {
        const n = cuts[i % cuts.length]!;
        s.push(bytes.subarray(pos, pos + n), (l) => got.push(l.toString('utf8')));
        pos += n;
      }
      s.end((l) => got.push(l.toString('utf8')));
      assert.deepEqual(got, clean.filter((l) => l !== ''));
    }),
    { numRuns: 200 },
  );
});

test('LineSplitter refuses a line longer than its bound', () => {
  const s = new LineSplitter(8);
  s.push(Buffer.from('12345678\n'), () => {});
  assert.throws(() => s.push(Buffer.from('123456789'), () => {}), /longer than 8 bytes/);
  const t = new LineSplitter(8);
  t.push(Buffer.from('12345'), () => {});
  assert.throws(() => t.push(Buffer.from('6789\n'), () => {}), /line 1 is longer than 8 bytes/);
});

test('produce summary line', () => {
  assert.equal(summaryLine('t', 0, -1, new Map()), 'produced 0 records to t');
  const m = new Map([
    [1, { records: 2, first: 5, last: 6 }],
    [0, { records: 1, first: 0, last: 0 }],
  ]);
  assert.equal(summaryLine('t', 3, 1, m), 'produced 3 records to t: partition 0 offsets 0-0, partition 1 offsets 5-6');
  assert.equal(summaryLine('t', 3, 0, m), 'produced 3 records to t: partitions 0,1 (acks=0: offsets not reported)');
});

test('consume -o: parsing and start offsets within the log [earliest, latest)', () => {
  assert.deepEqual(parseStart('beginning'), { kind: 'beginning' });
  assert.deepEqual(parseStart('end'), { kind: 'end' });
  assert.deepEqual(parseStart('12'), { kind: 'offset', offset: 12 });
  assert.deepEqual(parseStart('-3'), { kind: 'tail', count: 3 });
  assert.deepEqual(parseStart('s@1700000000000'), { kind: 'timestamp', timestamp: 1700000000000 });
  for (const bad of ['', 'x', '1.5', 's@', 's@-1', '--1', '99999999999999999999']) assert.throws(() => parseStart(bad), UsageError, bad);
  assert.equal(startOffset({ kind: 'beginning' }, 5, 10, -1), 5);
  assert.equal(startOffset({ kind: 'end' }, 5, 10, -1), 10);
  assert.equal(startOffset({ kind: 'tail', count: 3 }, 5, 10, -1), 7);
  assert.equal(startOffset({ kind: 'tail', count: 30 }, 5, 10, -1), 5);
  assert.equal(startOffset({ kind: 'offset', offset: 2 }, 5, 10, -1), 5);
  assert.equal(startOffset({ kind: 'offset', offset: 7 }, 5, 10, -1), 7);
  assert.equal(startOffset({ kind: 'offset', offset: 70 }, 5, 10, -1), 10);
  assert.equal(startOffset({ kind: 'timestamp', timestamp: 1 }, 5, 10, 8), 8);
  assert.equal(startOffset({ kind: 'timestamp', timestamp: 1 }, 5, 10, -1), 10);
});
