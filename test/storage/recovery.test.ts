import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { recoverPartitionDir } from '../../src/storage/recovery.js';
import { recover } from '../../src/storage/maintenance-tasks.js';
import type { LogConfig } from '../../src/storage/log-config.js';
import { frames, makeBatch, makeTmpDir, rmTmp } from './make-batch.js';

const BIG = Number.MAX_SAFE_INTEGER;

function cfg(over: Partial<LogConfig> = {}): LogConfig {
  return { segmentBytes: 4000, segmentMs: BIG, retentionMs: -1, retentionBytes: -1, indexIntervalBytes: 300, maxMessageBytes: 1 << 20, ...over };
}

interface Stored {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/**
 * Writes batches into `<root>/live`, then copies the directory while the log is
 * still open: the copy is what a crash (kill -9 with the page cache intact) leaves.
 */
function crashImage(root: string, specs: Array<{ records: number; recordBytes: number; ts: number }>, config: LogConfig): { dir: string; model: Stored[] } {
  const live = path.join(root, 'live');
  const dir = path.join(root, 'crashed-0');
  const log = PartitionLog.open(live, config, { cleanShutdown: false });
  const model: Stored[] = [];
  for (const s of specs) {
    const b = makeBatch({ records: s.records, recordBytes: s.recordBytes, baseTimestamp: s.ts });
    const base = log.append([b], 0);
    model.push({ baseOffset: base, lastOffset: base + s.records - 1, size: b.byteLength, maxTimestamp: s.ts + s.records - 1 });
  }
  fs.cpSync(live, dir, { recursive: true });
  log.close();
  return { dir, model };
}

function activeLogFile(dir: string): string {
  const logs = fs.readdirSync(dir).filter((n) => n.endsWith('.log')).sort();
  return path.join(dir, logs[logs.length - 1]!);
}

function checkContents(log: PartitionLog, model: Stored[]): void {
  const expectedNext = model.length === 0 ? log.logStartOffset : model[model.length - 1]!.lastOffset + 1;
  assert.equal(log.nextOffset, expectedNext);
  for (const s of model) {
    for (let o = s.baseOffset; o <= s.lastOffset; o++) {
      const f = frames(log.read(o, 1));
      assert.equal(f.length, 1);
      assert.equal(f[0]!.baseOffset, s.baseOffset);
      assert.equal(f[0]!.size, s.size);
    }
  }
  assert.equal(log.read(log.nextOffset, 100).byteLength, 0);
  let best: Stored | undefined;
  for (const m of model) if (best === undefined || m.maxTimestamp > best.maxTimestamp) best = m;
  assert.deepEqual(log.maxTimestamp(), best === undefined ? null : { offset: best.baseOffset, timestamp: best.maxTimestamp });
}

const specArb = fc.array(
  fc.record({ records: fc.integer({ min: 1, max: 4 }), recordBytes: fc.integer({ min: 0, max: 700 }), ts: fc.integer({ min: 1, max: 100_000 }) }),
  { minLength: 1, maxLength: 40 },
);

test('cut the active segment at a random byte: whole batches before the cut survive, nothing after, appends continue', () => {
  fc.assert(
    fc.property(specArb, fc.double({ min: 0, max: 1, noNaN: true }), (specs, cutFraction) => {
      const root = makeTmpDir();
      try {
        const { dir, model } = crashImage(root, specs, cfg());
        const file = activeLogFile(dir);
        const size = fs.statSync(file).size;
        const cut = Math.floor(size * cutFraction);
        fs.truncateSync(file, cut);
        const segBase = Number(path.basename(file, '.log'));
        // Batches of the active segment that lie wholly before the cut, plus all earlier segments.
        let pos = 0;
        const survivors = model.filter((m) => {
          if (m.baseOffset < segBase) return true;
          pos += m.size;
          return pos <= cut;
        });
        const messages: string[] = [];
        let log = PartitionLog.open(dir, cfg(), { cleanShutdown: false, log: (m) => messages.push(m) });
        assert.equal(log.recovery.scanned, true);
        const wholeBytes = survivors.filter((m) => m.baseOffset >= segBase).reduce((n, m) => n + m.size, 0);
        if (wholeBytes < cut) {
          assert.equal(log.recovery.truncatedAtPosition, wholeBytes);
          assert.equal(log.recovery.bytesTruncated, cut - wholeBytes);
          assert.ok(messages.some((m) => m.includes(path.basename(file)) && m.includes(`cutting ${cut - wholeBytes} bytes`)), messages.join('\n'));
        } else {
          assert.equal(log.recovery.truncatedAtPosition, -1);
        }
        assert.equal(fs.statSync(file).size, wholeBytes);
        checkContents(log, survivors);
        const next = log.nextOffset;
        assert.equal(log.append([makeBatch({ records: 2, baseTimestamp: 5 })], 0), next);
        survivors.push({ baseOffset: next, lastOffset: next + 1, size: 77, maxTimestamp: 6 });
        log.close();
        log = PartitionLog.open(dir, cfg(), { cleanShutdown: true });
        assert.equal(log.recovery.scanned, false);
        checkContents(log, survivors);
        log.close();
      } finally {
        rmTmp(root);
      }
    }),
    { numRuns: 40 },
  );
});

test('garbage appended to the tail is truncated and reported', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 30 }, (_, i) => ({ records: 2, recordBytes: 50 + i, ts: 1000 + i }));
    const { dir, model } = crashImage(root, specs, cfg());
    const file = activeLogFile(dir);
    const size = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from('this is not a record batch, it is garbage from a torn write'));
    const messages: string[] = [];
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false, log: (m) => messages.push(m) });
    try {
      assert.equal(log.recovery.truncatedAtPosition, size);
      assert.equal(log.recovery.bytesTruncated, 59);
      assert.equal(messages.length, 1);
      assert.match(messages[0]!, new RegExp(`${path.basename(file)}: truncated at position ${size}, cutting 59 bytes`));
      checkContents(log, model);
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('a CRC failure in the tail cuts the log at that batch', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 12 }, (_, i) => ({ records: 1, recordBytes: 100, ts: 1000 + i }));
    const { dir, model } = crashImage(root, specs, cfg({ segmentBytes: 1 << 20 }));
    const file = activeLogFile(dir);
    // Flip one record byte of the last batch (the CRC no longer matches).
    const fd = fs.openSync(file, 'r+');
    const size = fs.fstatSync(fd).size;
    fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, size - 10);
    fs.closeSync(fd);
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }), { cleanShutdown: false });
    try {
      assert.equal(log.recovery.truncatedAtPosition, size - 161);
      assert.match(log.recovery.messages[0]!, /CRC-32C/);
      checkContents(log, model.slice(0, 11));
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('the unclean scan starts near the tail, not at 0; a clean open validates nothing', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 200 }, (_, i) => ({ records: 1, recordBytes: 100, ts: 1000 + i }));
    const config = cfg({ segmentBytes: 1 << 20, indexIntervalBytes: 1000 });
    const { dir, model } = crashImage(root, specs, config);
    let log = PartitionLog.open(dir, config, { cleanShutdown: false });
    assert.equal(log.recovery.scanned, true);
    assert.ok(log.recovery.startPosition > 0);
    assert.ok(log.recovery.batchesValidated > 0 && log.recovery.batchesValidated < 20, String(log.recovery.batchesValidated));
    assert.equal(log.stats.batchesValidated, log.recovery.batchesValidated);
    checkContents(log, model);
    log.close();
    log = PartitionLog.open(dir, config, { cleanShutdown: true });
    assert.equal(log.recovery.scanned, false);
    assert.equal(log.recovery.batchesValidated, 0);
    assert.equal(log.stats.batchesValidated, 0);
    assert.equal(log.recovery.messages.length, 0);
    checkContents(log, model);
    log.close();
  } finally {
    rmTmp(root);
  }
});

test('a "clean" open that finds a torn tail falls back to recovery', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 20 }, (_, i) => ({ records: 1, recordBytes: 100, ts: 1000 + i }));
    const { dir, model } = crashImage(root, specs, cfg({ segmentBytes: 1 << 20 }));
    const file = activeLogFile(dir);
    fs.truncateSync(file, fs.statSync(file).size - 7);
    const log = PartitionLog.open(dir, cfg({ segmentBytes: 1 << 20 }), { cleanShutdown: true });
    try {
      assert.equal(log.recovery.scanned, true);
      assert.ok(log.recovery.messages.some((m) => /after a clean stop; recovering/.test(m)));
      checkContents(log, model.slice(0, 19));
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('missing or damaged indexes of the active segment are rebuilt and lookups stay right', () => {
  const damages: Array<[string, (dir: string, base: string) => void]> = [
    ['index deleted', (dir, base) => fs.unlinkSync(path.join(dir, `${base}.index`))],
    ['timeindex deleted', (dir, base) => fs.unlinkSync(path.join(dir, `${base}.timeindex`))],
    ['index not a multiple of 8', (dir, base) => fs.appendFileSync(path.join(dir, `${base}.index`), Buffer.from([1, 2, 3]))],
    ['index entries not increasing', (dir, base) => fs.writeFileSync(path.join(dir, `${base}.index`), Buffer.from([0, 0, 0, 9, 0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 2, 0]))],
    ['timeindex garbage', (dir, base) => fs.writeFileSync(path.join(dir, `${base}.timeindex`), Buffer.alloc(36, 0xff))],
    ['index points past the log', (dir, base) => fs.appendFileSync(path.join(dir, `${base}.index`), Buffer.from([0x7f, 0, 0, 0, 0x7f, 0, 0, 0]))],
    ['index entry points into a batch', (dir, base) => {
      const file = path.join(dir, `${base}.index`);
      const b = fs.readFileSync(file);
      b.writeUInt32BE(b.readUInt32BE(b.byteLength - 4) + 3, b.byteLength - 4);
      fs.writeFileSync(file, b);
    }],
  ];
  for (const [name, damage] of damages) {
    const root = makeTmpDir();
    try {
      const specs = Array.from({ length: 60 }, (_, i) => ({ records: 3, recordBytes: 40 + (i % 7) * 30, ts: 1000 + ((i * 37) % 50) }));
      const config = cfg({ segmentBytes: 1 << 20, indexIntervalBytes: 200 });
      const { dir, model } = crashImage(root, specs, config);
      damage(dir, '00000000000000000000');
      const log = PartitionLog.open(dir, config, { cleanShutdown: false });
      try {
        checkContents(log, model);
        for (const t of [0, 1000, 1010, 1025, 1049, 1051, 2000]) {
          const hit = model.find((m) => m.maxTimestamp >= t);
          assert.deepEqual(log.offsetForTimestamp(t), hit === undefined ? null : { offset: hit.baseOffset, timestamp: hit.maxTimestamp }, `${name}: t=${t}`);
        }
        assert.equal(log.recovery.truncatedAtPosition, -1, name);
        // A bad entry after the scan's start point is simply re-derived by the scan.
        if (name !== 'index points past the log' && name !== 'index entry points into a batch') assert.equal(log.recovery.indexRebuilt, true, name);
        if (name === 'index points past the log') assert.ok(log.recovery.messages.some((m) => /dropped 1 entries past the log end/.test(m)));
      } finally {
        log.close();
      }
      // The rebuilt files are whole: a clean open accepts them.
      const again = PartitionLog.open(dir, config, { cleanShutdown: true });
      assert.equal(again.recovery.scanned, false, name);
      checkContents(again, model);
      again.close();
    } finally {
      rmTmp(root);
    }
  }
});

test("a sealed segment's damaged index is rebuilt lazily, on first use", () => {
  const root = makeTmpDir();
  try {
    const config = cfg({ segmentBytes: 1000, indexIntervalBytes: 100 });
    const specs = Array.from({ length: 40 }, (_, i) => ({ records: 2, recordBytes: 100, ts: 1000 + i }));
    const { dir, model } = crashImage(root, specs, config);
    fs.writeFileSync(path.join(dir, '00000000000000000000.index'), Buffer.from('garbage!garbage'));
    fs.unlinkSync(path.join(dir, '00000000000000000012.timeindex'));
    const messages: string[] = [];
    const log = PartitionLog.open(dir, config, { cleanShutdown: false, log: (m) => messages.push(m) });
    try {
      assert.equal(log.stats.indexRebuilds, 0); // nothing sealed was touched at open
      checkContents(log, model);
      assert.equal(log.stats.indexRebuilds, 2);
      assert.ok(messages.some((m) => m.includes('00000000000000000000.log') && m.includes('rebuilding')));
      assert.ok(fs.existsSync(path.join(dir, '00000000000000000012.timeindex')));
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('orphan index files (their log deleted) are removed at open', () => {
  const root = makeTmpDir();
  try {
    const config = cfg({ segmentBytes: 500 });
    const specs = Array.from({ length: 10 }, (_, i) => ({ records: 1, recordBytes: 100, ts: i }));
    const { dir, model } = crashImage(root, specs, config);
    fs.unlinkSync(path.join(dir, '00000000000000000000.log')); // a retention delete interrupted after the log
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    try {
      assert.deepEqual(log.recovery.removedFiles.map((f) => path.basename(f)).sort(), ['00000000000000000000.index', '00000000000000000000.timeindex']);
      assert.equal(log.logStartOffset, 3);
      checkContents(log, model.slice(3));
      assert.ok(log.recovery.messages.some((m) => m.includes('notes.txt')));
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('recoverPartitionDir (the piscina task) recovers standalone; a clean open then scans nothing', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 50 }, (_, i) => ({ records: 2, recordBytes: 80, ts: 5000 - i }));
    const { dir, model } = crashImage(root, specs, cfg());
    const file = activeLogFile(dir);
    fs.appendFileSync(file, Buffer.alloc(100, 7));
    const report = recover({ dir, config: { indexIntervalBytes: 300 } });
    assert.equal(report.scanned, true);
    assert.equal(report.bytesTruncated, 100);
    assert.equal(report.nextOffset, 100);
    assert.equal(report.logStartOffset, 0);
    assert.equal(report.segments, fs.readdirSync(dir).filter((n) => n.endsWith('.log')).length);
    assert.deepEqual(structuredClone(report), report);
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: true });
    try {
      assert.equal(log.recovery.scanned, false);
      checkContents(log, model);
    } finally {
      log.close();
    }
    // Recovering an already-consistent directory cuts nothing.
    const again = recoverPartitionDir(dir, { indexIntervalBytes: 300 });
    assert.equal(again.truncatedAtPosition, -1);
    assert.equal(again.bytesTruncated, 0);
  } finally {
    rmTmp(root);
  }
});

test('recovery without its fdatasyncs (skipSync: the engine syncs the file system once) leaves the same files and report', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 40 }, (_, i) => ({ records: 3, recordBytes: 60, ts: 9000 - i }));
    const { dir, model } = crashImage(root, specs, cfg());
    // A torn tail and a damaged time index: both a truncation and an index rebuild to write.
    fs.appendFileSync(activeLogFile(dir), Buffer.alloc(57, 3));
    const timeIndex = activeLogFile(dir).replace(/\.log$/, '.timeindex');
    fs.appendFileSync(timeIndex, Buffer.alloc(5, 1));
    const twin = path.join(root, 'crashed-1');
    fs.cpSync(dir, twin, { recursive: true });
    const synced = recover({ dir, config: { indexIntervalBytes: 300 } });
    const deferred = recover({ dir: twin, config: { indexIntervalBytes: 300 }, skipSync: true });
    assert.equal(deferred.bytesTruncated, 57);
    assert.deepEqual({ ...deferred, dir: '', activeSegment: '', messages: [] }, { ...synced, dir: '', activeSegment: '', messages: [] });
    assert.deepEqual(deferred.messages.map((m) => m.replaceAll(twin, dir)), synced.messages);
    const names = fs.readdirSync(dir).sort();
    assert.deepEqual(fs.readdirSync(twin).sort(), names);
    for (const name of names) assert.ok(fs.readFileSync(path.join(twin, name)).equals(fs.readFileSync(path.join(dir, name))), name);
    const log = PartitionLog.open(twin, cfg(), { cleanShutdown: true });
    try {
      assert.equal(log.recovery.scanned, false, 'what it wrote opens clean');
      checkContents(log, model);
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('recovering a directory whose indexes are already right writes neither index file', () => {
  const root = makeTmpDir();
  try {
    const specs = Array.from({ length: 30 }, (_, i) => ({ records: 2, recordBytes: 80, ts: 7000 - i }));
    const { dir, model } = crashImage(root, specs, cfg());
    recoverPartitionDir(dir, { indexIntervalBytes: 300 });
    const indexes = fs.readdirSync(dir).filter((n) => n.endsWith('.index') || n.endsWith('.timeindex')).map((n) => path.join(dir, n));
    assert.ok(indexes.length >= 2);
    const stamp = (): string[] => indexes.map((f) => `${fs.statSync(f, { bigint: true }).mtimeNs}:${fs.statSync(f).size}`);
    const before = stamp();
    const bytes = indexes.map((f) => fs.readFileSync(f));
    // A kill -9 right after: no clean marker, so recovery scans again; nothing differs.
    const again = recoverPartitionDir(dir, { indexIntervalBytes: 300 });
    assert.equal(again.bytesTruncated, 0);
    assert.deepEqual(stamp(), before, 'no index file was written');
    indexes.forEach((f, i) => assert.ok(fs.readFileSync(f).equals(bytes[i]!)));
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: true });
    try {
      checkContents(log, model);
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});

test('an empty or missing directory opens as an empty log at offset 0', () => {
  const root = makeTmpDir();
  try {
    const dir = path.join(root, 'fresh-0');
    const report = recoverPartitionDir(dir, { indexIntervalBytes: 4096 });
    assert.equal(report.nextOffset, 0);
    const log = PartitionLog.open(dir, cfg(), { cleanShutdown: false });
    assert.equal(log.nextOffset, 0);
    assert.equal(log.append([makeBatch()], 0), 0);
    log.close();
  } finally {
    rmTmp(root);
  }
});

test('an index entry at the scan start that points into a batch forces a whole-segment rebuild', () => {
  const root = makeTmpDir();
  try {
    // Increasing timestamps: the last time entry names the last indexed batch, so the scan starts at the last index entry.
    const specs = Array.from({ length: 40 }, (_, i) => ({ records: 2, recordBytes: 100, ts: 1000 + i * 10 }));
    const config = cfg({ segmentBytes: 1 << 20, indexIntervalBytes: 200 });
    const { dir, model } = crashImage(root, specs, config);
    const file = path.join(dir, '00000000000000000000.index');
    const b = fs.readFileSync(file);
    b.writeUInt32BE(b.readUInt32BE(b.byteLength - 4) + 3, b.byteLength - 4);
    fs.writeFileSync(file, b);
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    try {
      assert.equal(log.recovery.indexRebuilt, true);
      assert.equal(log.recovery.startPosition, 0);
      assert.ok(log.recovery.messages.some((m) => /rebuilding the indexes from the whole log/.test(m)));
      assert.equal(log.recovery.truncatedAtPosition, -1);
      checkContents(log, model);
    } finally {
      log.close();
    }
  } finally {
    rmTmp(root);
  }
});
