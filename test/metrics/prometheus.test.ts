// The Prometheus text formatter: escaping, number formatting, family grouping and
// name checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PromText, escapeHelp, escapeLabelValue, formatLabels, formatValue } from '../../src/metrics/prometheus.js';

test('label values escape backslash, double quote and newline', () => {
  assert.equal(escapeLabelValue('plain'), 'plain');
  assert.equal(escapeLabelValue('a"b'), 'a\\"b');
  assert.equal(escapeLabelValue('a\\b'), 'a\\\\b');
  assert.equal(escapeLabelValue('a\nb'), 'a\\nb');
  assert.equal(escapeHelp('x\\y\nz "q"'), 'x\\\\y\\nz "q"');
});

test('escaped label values never contain a raw newline or an unescaped quote (property)', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (s) => {
      const e = escapeLabelValue(s);
      assert.ok(!e.includes('\n'));
      // Undo the escaping: the original comes back.
      const back = e.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
      assert.equal(back, s);
      // Every quote is preceded by an odd run of backslashes.
      for (let i = 0; i < e.length; i++) {
        if (e[i] !== '"') continue;
        let n = 0;
        for (let j = i - 1; j >= 0 && e[j] === '\\'; j--) n++;
        assert.equal(n % 2, 1);
      }
    }),
    { numRuns: 200 },
  );
});

test('values: integers, floats, NaN and infinities as Prometheus spells them', () => {
  assert.equal(formatValue(3), '3');
  assert.equal(formatValue(0.25), '0.25');
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(Infinity), '+Inf');
  assert.equal(formatValue(-Infinity), '-Inf');
});

test('labels are rendered in order and invalid names are refused', () => {
  assert.equal(formatLabels({ topic: 't', partition: 0 }), '{topic="t",partition="0"}');
  assert.equal(formatLabels({}), '');
  assert.throws(() => formatLabels({ 'bad-name': 'x' }), /label name/);
  assert.throws(() => formatLabels({ __reserved: 'x' }), /label name/);
});

test('families group their samples under one HELP/TYPE pair, in declaration order', () => {
  const p = new PromText();
  p.family('samsa_a_total', 'counter', 'A things\nmore');
  p.family('samsa_b', 'gauge', 'B');
  p.sample('samsa_b', { x: '1' }, 2);
  p.sample('samsa_a_total', { topic: 'q"t' }, 1);
  p.sample('samsa_a_total', { topic: 'u' }, 5);
  p.family('samsa_lat_seconds', 'summary', 'L');
  p.summary('samsa_lat_seconds', { api: 'Fetch' }, [[0.5, 0.001], [0.99, 0.01]], 1.5, 10);
  assert.equal(
    p.toString(),
    [
      '# HELP samsa_a_total A things\\nmore',
      '# TYPE samsa_a_total counter',
      'samsa_a_total{topic="q\\"t"} 1',
      'samsa_a_total{topic="u"} 5',
      '# HELP samsa_b B',
      '# TYPE samsa_b gauge',
      'samsa_b{x="1"} 2',
      '# HELP samsa_lat_seconds L',
      '# TYPE samsa_lat_seconds summary',
      'samsa_lat_seconds{api="Fetch",quantile="0.5"} 0.001',
      'samsa_lat_seconds{api="Fetch",quantile="0.99"} 0.01',
      'samsa_lat_seconds_sum{api="Fetch"} 1.5',
      'samsa_lat_seconds_count{api="Fetch"} 10',
      '',
    ].join('\n'),
  );
});

test('misuse is refused: bad metric names, undeclared families, type changes', () => {
  const p = new PromText();
  assert.throws(() => p.family('9bad', 'gauge', 'x'), /metric name/);
  assert.throws(() => p.sample('samsa_nope', undefined, 1), /before it was declared/);
  p.family('samsa_x', 'gauge', 'x');
  assert.throws(() => p.family('samsa_x', 'counter', 'x'), /declared as gauge/);
  assert.throws(() => p.sample('samsa_x', undefined, 1, '_bucket'), /suffix/);
});
