// Codec benchmark: RecordBatch v2 encode and decode of 100-byte records in ~16 KiB
// batches (records/s, per codec), and CRC-32C throughput on 1 MiB buffers (GB/s).
// Single thread, mitata. Prints a table and writes bench/results/codec.json.
// Usage: node dist/bench/codec.bench.js   (SAMSA_BENCH_QUICK=1: only the core four, short)

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { bench, do_not_optimize, run, summary } from 'mitata';
import { crc32c } from '@node-rs/crc32';
import { decodeRecordBatch, encodeRecordBatch, encodeRecordBatchInto, recordBatchSize } from '../src/protocol/record-batch.js';
import type { RecordInput } from '../src/protocol/record-batch.js';
import { isCompressionAvailable } from '../src/compression/index.js';
import type { CompressionType } from '../src/compression/index.js';

const quick = process.env.SAMSA_BENCH_QUICK === '1';
const RECORD_BYTES = 100;
const BATCH_BYTES_TARGET = 16 * 1024;
const CRC_BUFFER_BYTES = 1024 * 1024;
const TIMESTAMP = 1_700_000_000_000;

const EVENTS = ['click', 'view', 'purchase', 'signup', 'logout', 'search'];

/** Deterministic JSON-ish event values padded to 100 bytes: compressible the way real payloads are. */
function makeValue(seed: number): Uint8Array {
  const x = (Math.imul(seed + 1, 2654435761) >>> 0).toString(36);
  const json = `{"id":${seed},"user":"u-${x.slice(0, 5)}","event":"${EVENTS[seed % EVENTS.length]}","ts":${TIMESTAMP + seed},"s":"${x}"}`;
  const out = new Uint8Array(RECORD_BYTES).fill(0x20);
  out.set(new TextEncoder().encode(json.slice(0, RECORD_BYTES)));
  return out;
}

/** As many 100-byte records as fit in a 16 KiB uncompressed batch. */
function makeRecords(): RecordInput[] {
  const records: RecordInput[] = [];
  const limit = 1000;
  for (let i = 0; i < limit; i++) {
    records.push({ key: null, value: makeValue(i), timestamp: TIMESTAMP + i });
    if (recordBatchSize(records) > BATCH_BYTES_TARGET) {
      records.pop();
      break;
    }
  }
  return records;
}

interface Result {
  name: string;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  recordsPerSec?: number;
  gbPerSec?: number;
  batchBytes?: number;
}

async function main(): Promise<void> {
  const records = makeRecords();
  const perBatch = records.length;
  const codecs: CompressionType[] = ['none', 'lz4', 'snappy', 'zstd', 'gzip'].filter(
    (c) => c !== 'zstd' || isCompressionAvailable('zstd'),
  ) as CompressionType[];
  const encoded = new Map<CompressionType, Uint8Array>();
  for (const c of codecs) encoded.set(c, encodeRecordBatch(records, { compression: c }));
  const out = new Uint8Array(2 * BATCH_BYTES_TARGET);
  const crcInput = new Uint8Array(CRC_BUFFER_BYTES);
  for (let i = 0; i < crcInput.length; i++) crcInput[i] = (i * 2654435761) >>> 24;

  summary(() => {
    bench('encode into buffer, none', () => {
      do_not_optimize(encodeRecordBatchInto(out, 0, records, { baseOffset: 0 }));
    });
    bench('decode, none', () => {
      do_not_optimize(decodeRecordBatch(encoded.get('none')!));
    });
    for (const c of codecs) {
      bench(`encode (allocating), ${c}`, () => {
        do_not_optimize(encodeRecordBatch(records, { compression: c }));
      });
      if (c !== 'none') {
        bench(`decode, ${c}`, () => {
          do_not_optimize(decodeRecordBatch(encoded.get(c)!));
        });
      }
    }
    bench('crc32c, 1 MiB', () => {
      do_not_optimize(crc32c(crcInput));
    });
  });

  // mitata spends ~0.6 s of CPU per bench at least; a quick run keeps the core four.
  const { benchmarks } = await run(
    quick ? { filter: /encode into buffer, none|^decode, none|decode, lz4|crc32c/ } : {},
  );
  const results: Result[] = [];
  for (const trial of benchmarks) {
    for (const r of trial.runs) {
      if (r.stats === undefined) throw new Error(`mitata: ${r.name} failed`);
      const result: Result = { name: r.name, avgNs: r.stats.avg, p50Ns: r.stats.p50, p99Ns: r.stats.p99 };
      if (r.name.startsWith('crc32c')) {
        result.gbPerSec = CRC_BUFFER_BYTES / r.stats.avg; // bytes per ns = GB/s
      } else {
        result.recordsPerSec = (perBatch / r.stats.avg) * 1e9;
        const codec = r.name.split(', ')[1] as CompressionType;
        result.batchBytes = encoded.get(codec)?.length;
      }
      results.push(result);
    }
  }

  console.log(`\n${perBatch} records of ${RECORD_BYTES} bytes per batch (${encoded.get('none')!.length} bytes uncompressed)`);
  for (const r of results) {
    const rate =
      r.gbPerSec !== undefined ? `${r.gbPerSec.toFixed(2)} GB/s` : `${((r.recordsPerSec ?? 0) / 1e6).toFixed(2)} M records/s`;
    const size = r.batchBytes !== undefined ? `  (batch ${r.batchBytes} B)` : '';
    console.log(`${r.name.padEnd(32)} ${rate.padStart(18)}   avg ${(r.avgNs / 1000).toFixed(1)} µs${size}`);
  }

  const resultsDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, 'codec.json');
  writeFileSync(
    file,
    JSON.stringify(
      {
        bench: 'codec',
        quick,
        node: process.version,
        cpu: cpus()[0]?.model ?? 'unknown',
        recordBytes: RECORD_BYTES,
        recordsPerBatch: perBatch,
        batchBytesUncompressed: encoded.get('none')!.length,
        results,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`wrote ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
