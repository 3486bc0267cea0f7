// Storage benchmark: one PartitionLog on the local disk, single thread, synchronous,
// as a shard uses it. Measures append throughput (16 KiB batches, 16 per append call,
// no sync / fdatasync per call), sequential reads into a buffer (readInto, 1 MiB per
// call), random-offset and by-time lookups, and open time (clean vs unclean recovery)
// of a log with many segments. Writes bench/results/storage.json.
// Usage: node dist/bench/storage.bench.js [--seconds N] [--dir DIR]   (SAMSA_BENCH_QUICK=1: short)

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PartitionLog } from '../src/storage/partition-log.js';
import type { LogConfig } from '../src/storage/log-config.js';
import { OFF_BASE_TIMESTAMP, OFF_CRC, OFF_MAX_TIMESTAMP, computeBatchCrc } from '../src/wire/batch-layout.js';
import { encodeRecordBatch } from '../src/protocol/record-batch.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string' }, dir: { type: 'string' } } });
const quick = process.env.SAMSA_BENCH_QUICK === '1';
const seconds = Number(args.seconds ?? (quick ? 1 : 4));
const baseDir = args.dir ?? tmpdir();

const BATCH_BYTES = 16 * 1024;
const BATCHES_PER_APPEND = 16;
const RECORDS_PER_BATCH = 150; // ~100-byte records
const READ_BYTES = 1024 * 1024;

const config: LogConfig = {
  segmentBytes: 64 * 1024 * 1024,
  segmentMs: Number.MAX_SAFE_INTEGER,
  retentionMs: -1,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1 << 20,
};

function nowS(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * A real RecordBatch v2 of `records` filler records, exactly `batchBytes` long (the
 * throughput figures count bytes and offsets from that size): every record but the
 * last gets the same value, and the last one's value is sized to make up the rest.
 */
function makeBatch(records: number, batchBytes: number, baseTimestamp: number): Uint8Array {
  // Each record costs its value plus up to ~12 bytes of varints and attributes.
  const fill = new Uint8Array(Math.max(1, Math.floor((batchBytes - 61) / records) - 12)).fill(0xab);
  const encode = (lastBytes: number): Uint8Array =>
    encodeRecordBatch(
      Array.from({ length: records }, (_, i) => ({ value: i === records - 1 ? new Uint8Array(lastBytes).fill(0xcd) : fill })),
      { timestamp: baseTimestamp },
    );
  const shortBy = batchBytes - encode(1).length;
  // Growing the last value by n bytes grows the batch by n plus 0..4 bytes of longer varints.
  for (let extraVarintBytes = 0; extraVarintBytes <= 4; extraVarintBytes++) {
    const lastBytes = 1 + shortBy - extraVarintBytes;
    if (lastBytes < 1) break;
    const batch = encode(lastBytes);
    if (batch.length === batchBytes) return batch;
  }
  throw new Error(`no batch of ${records} records is exactly ${batchBytes} bytes`);
}

function batches(n: number, t0: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => makeBatch(RECORDS_PER_BATCH, BATCH_BYTES, t0 + i));
}

interface Result {
  name: string;
  value: number;
  unit: string;
}

/** Times a clean open (no scan) and an unclean one (CRC scan of the active segment's tail). */
function openTimes(dir: string, what: string, out: (name: string, value: number, unit: string) => void): void {
  let t = nowS();
  const clean = PartitionLog.open(dir, config, { cleanShutdown: true });
  const cleanMs = (nowS() - t) * 1000;
  clean.close();
  t = nowS();
  const unclean = PartitionLog.open(dir, config, { cleanShutdown: false });
  const uncleanMs = (nowS() - t) * 1000;
  const validated = unclean.recovery.batchesValidated;
  const scannedMb = unclean.recovery.bytesScanned / 1e6;
  unclean.close();
  console.log(`  (${what})`);
  out('  open clean', cleanMs, 'ms');
  out(`  open unclean (${validated} batches, ${scannedMb.toFixed(1)} MB CRC-checked)`, uncleanMs, 'ms');
}

function main(): void {
  const root = mkdtempSync(join(baseDir, 'samsa-storage-bench-'));
  const results: Result[] = [];
  const out = (name: string, value: number, unit: string): void => {
    results.push({ name, value: Math.round(value * 100) / 100, unit });
    console.log(`${name.padEnd(44)} ${value.toFixed(2).padStart(12)} ${unit}`);
  };
  try {
    const dir = join(root, 'bench-0');
    const log = PartitionLog.open(dir, config, { cleanShutdown: false });
    const group = batches(BATCHES_PER_APPEND, 1_700_000_000_000);

    // Append, no sync (acks=1 with a lazy flush policy).
    let t = nowS();
    let bytes = 0;
    let calls = 0;
    while (nowS() - t < seconds) {
      log.append(group, 1_700_000_000_000 + calls);
      bytes += BATCH_BYTES * BATCHES_PER_APPEND;
      calls++;
    }
    let dt = nowS() - t;
    out('append (16 x 16 KiB per call), no sync', bytes / dt / 1e6, 'MB/s');
    out('append, no sync: records', (calls * BATCHES_PER_APPEND * RECORDS_PER_BATCH) / dt / 1e6, 'M records/s');
    log.sync();

    // Append + fdatasync per call (acks=-1, one group commit per drain).
    t = nowS();
    let syncCalls = 0;
    while (nowS() - t < seconds) {
      log.append(group, 1_700_000_000_000 + calls + syncCalls);
      log.sync();
      syncCalls++;
    }
    dt = nowS() - t;
    out('append + fdatasync per call (256 KiB)', syncCalls / dt, 'calls/s');
    out('append + fdatasync per call', (syncCalls * BATCH_BYTES * BATCHES_PER_APPEND) / dt / 1e6, 'MB/s');

    // Sequential reads into a preallocated buffer (the shard's ring path).
    const target = new Uint8Array(new SharedArrayBuffer(2 * READ_BYTES));
    t = nowS();
    let readBytes = 0;
    let offset = log.logStartOffset;
    while (nowS() - t < seconds) {
      if (offset >= log.nextOffset) offset = log.logStartOffset;
      const n = log.readInto(offset, READ_BYTES, target, 0);
      readBytes += n;
      // Next offset: every batch holds RECORDS_PER_BATCH offsets and is BATCH_BYTES long.
      offset += (n / BATCH_BYTES) * RECORDS_PER_BATCH;
    }
    dt = nowS() - t;
    out('sequential readInto (1 MiB per call, page cache)', readBytes / dt / 1e6, 'MB/s');

    // Random single-batch reads (index binary search + header scan + one pread).
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 0x1_0000_0000;
    };
    const span = log.nextOffset - log.logStartOffset;
    t = nowS();
    let lookups = 0;
    while (nowS() - t < seconds) {
      log.readInto(log.logStartOffset + Math.floor(rand() * span), 1, target, 0);
      lookups++;
    }
    dt = nowS() - t;
    out('random-offset read of one 16 KiB batch', lookups / dt, 'ops/s');

    const segments = log.segmentCount();
    const sizeBytes = log.sizeBytes();
    log.close();

    // Open of that log: every batch group repeats the same timestamps, so the last
    // time-index entry is early and an unclean open CRC-checks most of the active segment (worst case).
    openTimes(dir, `${segments} segments, ${(sizeBytes / 1e9).toFixed(2)} GB, repeating timestamps`, out);

    // A log with increasing timestamps (4 KiB batches): time lookups and the usual unclean open.
    const tdir = join(root, 'bytime-0');
    const tlog = PartitionLog.open(tdir, config, { cleanShutdown: false });
    const template = makeBatch(40, 4096, 1_700_000_000_000);
    const TIME_BATCHES = quick ? 8192 : 32768;
    const t0 = 1_700_000_000_000;
    for (let i = 0; i < TIME_BATCHES; i += 64) {
      const group: Uint8Array[] = [];
      for (let j = 0; j < 64; j++) {
        const b = new Uint8Array(template);
        const dv = new DataView(b.buffer);
        dv.setBigInt64(OFF_BASE_TIMESTAMP, BigInt(t0 + (i + j) * 10));
        dv.setBigInt64(OFF_MAX_TIMESTAMP, BigInt(t0 + (i + j) * 10 + 9));
        dv.setUint32(OFF_CRC, computeBatchCrc(b));
        group.push(b);
      }
      tlog.append(group, 0);
    }
    t = nowS();
    let timeLookups = 0;
    while (nowS() - t < seconds) {
      tlog.offsetForTimestamp(t0 + Math.floor(rand() * TIME_BATCHES * 10));
      timeLookups++;
    }
    dt = nowS() - t;
    out('offsetForTimestamp (random, 4 KiB batches)', timeLookups / dt, 'ops/s');
    const tsegments = tlog.segmentCount();
    const tsize = tlog.sizeBytes();
    tlog.close();
    openTimes(tdir, `${tsegments} segments, ${(tsize / 1e6).toFixed(0)} MB, increasing timestamps`, out);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, 'storage.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, seconds, quick, results }, null, 2) + '\n');
}

main();
