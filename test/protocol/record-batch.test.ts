// Tests for src/protocol/record-batch.ts: round trips for every codec and attribute,
// a hand-spelled golden batch, byte-for-byte equality with kafkajs' encoder, interop
// both ways with kafkajs and @platformatic/kafka, compaction's raw records and
// rebuilt batches, and hostile input (bad CRC, truncation at every byte, lying counts
// and lengths, random mutations) that must end in a KafkaError and never a crash or a
// huge allocation.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE_LOG_APPEND,
  ATTR_TRANSACTIONAL,
  OFF_ATTRIBUTES,
  OFF_CRC,
  OFF_MAGIC,
  OFF_RECORDS_COUNT,
  checkBatch,
  computeBatchCrc,
} from '../../src/wire/batch-layout.js';
import { ErrorCode, KafkaError } from '../../src/wire/errors.js';
import {
  decodeRawRecords,
  decodeRecordBatch,
  decodeRecordBatches,
  encodeRecordBatch,
  encodeRecordBatchInto,
  rebuildRecordBatch,
  recordBatchSize,
} from '../../src/protocol/record-batch.js';
import type { EncodeBatchOptions, Record as KafkaRecord, RecordInput } from '../../src/protocol/record-batch.js';
import { compress, isCompressionAvailable } from '../../src/compression/index.js';
import type { CompressionType } from '../../src/compression/index.js';
import { writeVarint } from '../../src/wire/varint.js';

const require = createRequire(import.meta.url);
const CODECS: CompressionType[] = isCompressionAvailable('zstd')
  ? ['none', 'gzip', 'snappy', 'lz4', 'zstd']
  : ['none', 'gzip', 'snappy', 'lz4'];
const utf8 = new TextEncoder();
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

function isKafkaError(code: number): (err: unknown) => boolean {
  return (err: unknown) => err instanceof KafkaError && err.code === code;
}

/** What TextEncoder makes of a string (lone surrogates become U+FFFD). */
function utf8Normalize(s: string): string {
  return new TextDecoder().decode(utf8.encode(s));
}

function bytesOf(v: Uint8Array | string | null | undefined): Buffer | null {
  if (v === null || v === undefined) return null;
  return Buffer.from(typeof v === 'string' ? utf8.encode(v) : v);
}

function asBuf(v: Uint8Array | null): Buffer | null {
  return v === null ? null : Buffer.from(v);
}

/** Re-seals a hand-edited batch so the CRC is right and only the edit is under test. */
function reseal(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset, batch.byteLength).setUint32(OFF_CRC, computeBatchCrc(batch));
  return batch;
}

// ---------------------------------------------------------------- arbitraries

const bytesOrNull = fc.option(fc.uint8Array({ maxLength: 48 }), { nil: null, freq: 4 });
const headerArb = fc.record({ key: fc.string({ maxLength: 10, unit: 'binary' }), value: bytesOrNull });
const recordArb = fc.record(
  {
    key: bytesOrNull,
    value: bytesOrNull,
    headers: fc.array(headerArb, { maxLength: 3 }),
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['key', 'value', 'headers'] },
);
const optsArb = fc.record(
  {
    baseOffset: fc.integer({ min: 0, max: 2 ** 50 }),
    compression: fc.constantFrom(...CODECS),
    producerId: fc.integer({ min: -1, max: 2 ** 50 }),
    producerEpoch: fc.integer({ min: -1, max: 0x7fff }),
    baseSequence: fc.integer({ min: -1, max: 0x7fffffff }),
    transactional: fc.boolean(),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 0x7fffffff }),
    logAppendTime: fc.boolean(),
    control: fc.boolean(),
    timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
  },
  { requiredKeys: ['compression', 'timestamp'] },
);

function assertRecordsMatch(records: KafkaRecord[], inputs: RecordInput[], opts: EncodeBatchOptions, maxTimestamp: number): void {
  assert.equal(records.length, inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    const r = records[i]!;
    const input = inputs[i]!;
    assert.equal(r.offset, (opts.baseOffset ?? 0) + i);
    const ts = input.timestamp ?? opts.timestamp!;
    assert.equal(r.timestamp, opts.logAppendTime === true ? maxTimestamp : ts);
    assert.deepEqual(asBuf(r.key), bytesOf(input.key));
    assert.deepEqual(asBuf(r.value), bytesOf(input.value));
    const headers = input.headers ?? [];
    assert.equal(r.headers.length, headers.length);
    for (let h = 0; h < headers.length; h++) {
      assert.equal(r.headers[h]!.key, utf8Normalize(headers[h]!.key));
      assert.deepEqual(asBuf(r.headers[h]!.value), bytesOf(headers[h]!.value));
    }
  }
}

// ---------------------------------------------------------------- round trips

test('round trip: every codec, attribute and field survives encode → decode', () => {
  fc.assert(
    fc.property(fc.array(recordArb, { minLength: 1, maxLength: 12 }), optsArb, (inputs, opts) => {
      const batch = encodeRecordBatch(inputs, opts);
      assert.equal(checkBatch(batch, MAX_MESSAGE_BYTES), ErrorCode.NONE);
      const { header, records, size } = decodeRecordBatch(batch);
      assert.equal(size, batch.length);
      const timestamps = inputs.map((r) => r.timestamp ?? opts.timestamp!);
      const maxTimestamp = Math.max(...timestamps);
      assert.equal(header.baseOffset, BigInt(opts.baseOffset ?? 0));
      assert.equal(header.batchLength, batch.length - 12);
      assert.equal(header.magic, 2);
      assert.equal(header.partitionLeaderEpoch, opts.partitionLeaderEpoch ?? -1);
      assert.equal(header.lastOffsetDelta, inputs.length - 1);
      assert.equal(header.recordsCount, inputs.length);
      assert.equal(header.baseTimestamp, BigInt(timestamps[0]!));
      assert.equal(header.maxTimestamp, BigInt(maxTimestamp));
      assert.equal(header.producerId, BigInt(opts.producerId ?? -1));
      assert.equal(header.producerEpoch, opts.producerEpoch ?? -1);
      assert.equal(header.baseSequence, opts.baseSequence ?? -1);
      const expectedAttributes =
        CODECS.indexOf(opts.compression!) |
        (opts.logAppendTime === true ? ATTR_TIMESTAMP_TYPE_LOG_APPEND : 0) |
        (opts.transactional === true ? ATTR_TRANSACTIONAL : 0) |
        (opts.control === true ? ATTR_CONTROL : 0);
      assert.equal(header.attributes, expectedAttributes);
      assertRecordsMatch(records, inputs, opts, maxTimestamp);
    }),
    { numRuns: 150 },
  );
});

test('strings are written as UTF-8; missing fields are null; out-of-order timestamps give negative deltas', () => {
  const inputs: RecordInput[] = [
    { key: 'ключ', value: 'значение', headers: [{ key: 'ü', value: '✓' }], timestamp: 5000 },
    { timestamp: 1000 },
    { key: new Uint8Array(0), value: new Uint8Array(0), headers: [{ key: '' }], timestamp: 9000 },
  ];
  const { header, records } = decodeRecordBatch(encodeRecordBatch(inputs, { baseOffset: 7 }));
  assert.equal(header.baseTimestamp, 5000n);
  assert.equal(header.maxTimestamp, 9000n);
  assert.equal(Buffer.from(records[0]!.key!).toString(), 'ключ');
  assert.equal(Buffer.from(records[0]!.value!).toString(), 'значение');
  assert.deepEqual(records[0]!.headers.map((h) => [h.key, Buffer.from(h.value!).toString()]), [['ü', '✓']]);
  assert.equal(records[1]!.key, null);
  assert.equal(records[1]!.value, null);
  assert.equal(records[1]!.timestamp, 1000);
  assert.equal(records[2]!.key!.length, 0);
  assert.deepEqual(records[2]!.headers, [{ key: '', value: null }]);
  assert.deepEqual(records.map((r) => r.offset), [7, 8, 9]);
});

test('an empty batch encodes and decodes (Kafka keeps them after compaction)', () => {
  const batch = encodeRecordBatch([], { baseOffset: 3 });
  assert.equal(batch.length, 61);
  assert.equal(checkBatch(batch, MAX_MESSAGE_BYTES), ErrorCode.NONE);
  const { header, records } = decodeRecordBatch(batch);
  assert.equal(records.length, 0);
  assert.equal(header.baseTimestamp, -1n);
});

test('encodeRecordBatchInto writes the same bytes at an offset; recordBatchSize is exact', () => {
  const inputs: RecordInput[] = Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: new Uint8Array(100).fill(i), timestamp: 1_700_000_000_000 + i }));
  for (const compression of CODECS) {
    const opts: EncodeBatchOptions = { baseOffset: 42, compression, timestamp: 1 };
    const expected = encodeRecordBatch(inputs, opts);
    const out = new Uint8Array(expected.length + 20);
    const written = encodeRecordBatchInto(out, 10, inputs, opts);
    assert.equal(written, expected.length);
    assert.ok(Buffer.from(out.subarray(10, 10 + written)).equals(Buffer.from(expected)), compression);
    if (compression === 'none') assert.equal(recordBatchSize(inputs, opts), expected.length);
    assert.throws(() => encodeRecordBatchInto(new Uint8Array(written - 1), 0, inputs, opts), RangeError);
  }
});

test('bad encode arguments are rejected up front', () => {
  assert.throws(() => encodeRecordBatch([{ value: 'x' }], { baseOffset: -1 }), RangeError);
  assert.throws(() => encodeRecordBatch([{ value: 'x' }], { producerEpoch: 40000 }), RangeError);
  assert.throws(() => encodeRecordBatch([{ value: 'x', timestamp: 1.5 }]), RangeError);
  assert.throws(() => encodeRecordBatch([{ value: 5 as unknown as string }]), TypeError);
  assert.throws(() => encodeRecordBatch([{ value: 'x' }], { compression: 'brotli' as CompressionType }), isKafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
});

// ---------------------------------------------------------------- golden bytes

/** kafkajs' pure-JS CRC-32C: an implementation independent of @node-rs/crc32. */
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buf: Buffer) => number;

test('golden: a one-record batch, byte by byte', () => {
  const batch = encodeRecordBatch([{ key: null, value: 'v', timestamp: 1000 }]);
  const expectedWithoutCrc =
    '0000000000000000' + // baseOffset 0
    '00000039' + // batchLength 57 = 69 - 12
    'ffffffff' + // partitionLeaderEpoch -1
    '02' + // magic
    'XXXXXXXX' + // crc
    '0000' + // attributes: no compression, CreateTime
    '00000000' + // lastOffsetDelta
    '00000000000003e8' + // baseTimestamp 1000
    '00000000000003e8' + // maxTimestamp 1000
    'ffffffffffffffff' + // producerId -1
    'ffff' + // producerEpoch -1
    'ffffffff' + // baseSequence -1
    '00000001' + // records count
    '0e' + // record length 7 (zig-zag)
    '00' + // attributes
    '00' + // timestampDelta 0
    '00' + // offsetDelta 0
    '01' + // key length -1: null
    '02' + // value length 1
    '76' + // 'v'
    '00'; // header count 0
  const crc = kafkajsCrc32C(Buffer.from(expectedWithoutCrc.slice(2 * OFF_ATTRIBUTES), 'hex'));
  const expected = expectedWithoutCrc.replace('XXXXXXXX', crc.toString(16).padStart(8, '0'));
  assert.equal(Buffer.from(batch).toString('hex'), expected);
});

// ---------------------------------------------------------------- kafkajs interop

interface KjsEncoder {
  buffer: Buffer;
}
interface KjsRecordArgs {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: { [key: string]: Buffer };
}
interface KjsBatchArgs {
  compression: number;
  firstOffset: unknown;
  firstTimestamp: number;
  maxTimestamp: number;
  partitionLeaderEpoch: number;
  lastOffsetDelta: number;
  transactional: boolean;
  producerId: unknown;
  producerEpoch: number;
  firstSequence: number;
  records: KjsEncoder[];
}
interface KjsDecodedRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: string;
  offset: string;
  headers: { [key: string]: Buffer | Buffer[] | null };
}
interface KjsDecodedBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  timestampType: number;
  maxTimestamp: string;
  records: KjsDecodedRecord[];
}

const kjs = {
  RecordBatch: (require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (a: KjsBatchArgs) => Promise<KjsEncoder> }).RecordBatch,
  Record: require('kafkajs/src/protocol/recordBatch/record/v0') as (a: KjsRecordArgs) => KjsEncoder,
  Decoder: require('kafkajs/src/protocol/decoder') as new (buf: Buffer) => object,
  decodeBatch: require('kafkajs/src/protocol/recordBatch/v0/decoder') as (d: object) => Promise<KjsDecodedBatch>,
  Long: require('kafkajs/src/utils/long') as { fromValue(v: number): unknown },
};

/** Header keys kafkajs can carry in its object form: unique and never integer-like. */
const kjsRecordArb = fc.record({
  key: bytesOrNull,
  value: bytesOrNull,
  headers: fc.uniqueArray(fc.record({ key: fc.string({ maxLength: 8 }).map((s) => `h${s}`), value: fc.uint8Array({ maxLength: 16 }) }), {
    maxLength: 3,
    selector: (h) => h.key,
  }),
  timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }),
});

function kjsArgs(inputs: Array<{ key: Uint8Array | null; value: Uint8Array | null; headers: Array<{ key: string; value: Uint8Array }>; timestamp: number }>, o: Required<Pick<EncodeBatchOptions, 'baseOffset' | 'partitionLeaderEpoch' | 'producerId' | 'producerEpoch' | 'baseSequence' | 'transactional'>>, compression: number): KjsBatchArgs {
  const base = inputs[0]!.timestamp;
  return {
    compression,
    firstOffset: kjs.Long.fromValue(o.baseOffset),
    firstTimestamp: base,
    maxTimestamp: Math.max(...inputs.map((r) => r.timestamp)),
    partitionLeaderEpoch: o.partitionLeaderEpoch,
    lastOffsetDelta: inputs.length - 1,
    transactional: o.transactional,
    producerId: kjs.Long.fromValue(o.producerId),
    producerEpoch: o.producerEpoch,
    firstSequence: o.baseSequence,
    records: inputs.map((r, i) =>
      kjs.Record({
        offsetDelta: i,
        timestampDelta: r.timestamp - base,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: Object.fromEntries(r.headers.map((h) => [h.key, Buffer.from(h.value)])),
      }),
    ),
  };
}

const kjsOptsArb = fc.record({
  baseOffset: fc.integer({ min: 0, max: 2 ** 40 }),
  partitionLeaderEpoch: fc.integer({ min: -1, max: 1000 }),
  producerId: fc.integer({ min: -1, max: 2 ** 40 }),
  producerEpoch: fc.integer({ min: -1, max: 1000 }),
  baseSequence: fc.integer({ min: -1, max: 1_000_000 }),
  transactional: fc.boolean(),
});

test('kafkajs encodes the very same bytes for the same uncompressed batch', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(kjsRecordArb, { minLength: 1, maxLength: 8 }), kjsOptsArb, async (inputs, o) => {
      const ours = encodeRecordBatch(inputs, o);
      const theirs = (await kjs.RecordBatch(kjsArgs(inputs, o, 0))).buffer;
      assert.equal(Buffer.from(ours).toString('hex'), theirs.toString('hex'));
    }),
    { numRuns: 60 },
  );
});

test('kafkajs decodes our batches, and we decode theirs (none and gzip)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(kjsRecordArb, { minLength: 1, maxLength: 8 }), kjsOptsArb, fc.constantFrom<CompressionType>('none', 'gzip'), async (inputs, o, compression) => {
      // Ours → kafkajs.
      const ours = encodeRecordBatch(inputs, { ...o, compression });
      const decoded = await kjs.decodeBatch(new kjs.Decoder(Buffer.from(ours)));
      assert.equal(decoded.firstOffset, String(o.baseOffset));
      assert.equal(decoded.producerId, String(o.producerId));
      assert.equal(decoded.inTransaction, o.transactional);
      assert.equal(decoded.records.length, inputs.length);
      decoded.records.forEach((r, i) => {
        const input = inputs[i]!;
        assert.equal(r.offset, String(o.baseOffset + i));
        assert.equal(r.timestamp, String(input.timestamp));
        assert.deepEqual(r.key, input.key === null ? null : Buffer.from(input.key));
        assert.deepEqual(r.value, input.value === null ? null : Buffer.from(input.value));
        assert.deepEqual(r.headers, Object.fromEntries(input.headers.map((h) => [h.key, Buffer.from(h.value)])));
      });
      // kafkajs → ours.
      const theirs = (await kjs.RecordBatch(kjsArgs(inputs, o, compression === 'gzip' ? 1 : 0))).buffer;
      const back = decodeRecordBatch(theirs);
      assert.equal(back.size, theirs.length);
      assert.equal(back.header.attributes & 7, compression === 'gzip' ? 1 : 0);
      assertRecordsMatch(back.records, inputs, o, 0);
    }),
    { numRuns: 40 },
  );
});

test('kafkajs reads our control, transactional and log-append-time flags', async () => {
  const ours = encodeRecordBatch([{ value: 'x', timestamp: 10 }, { value: 'y', timestamp: 30 }], {
    control: true,
    transactional: true,
    logAppendTime: true,
    producerId: 9,
    producerEpoch: 2,
  });
  const decoded = await kjs.decodeBatch(new kjs.Decoder(Buffer.from(ours)));
  assert.equal(decoded.isControlBatch, true);
  assert.equal(decoded.inTransaction, true);
  assert.equal(decoded.timestampType, 1); // LOG_APPEND_TIME
  assert.equal(decoded.maxTimestamp, '30');
  const { records } = decodeRecordBatch(ours);
  assert.deepEqual(records.map((r) => r.timestamp), [30, 30]);
});

// ---------------------------------------------------------------- @platformatic/kafka interop

interface PlatformaticRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[Buffer, Buffer | null]>;
  offsetDelta: number;
}
interface Platformatic {
  createRecordsBatch(
    messages: Array<{ key?: Buffer; value: Buffer; headers?: Map<Buffer, Buffer>; topic: string; timestamp: bigint }>,
    options: { compression: string; producerId: bigint; producerEpoch: number; partitionLeaderEpoch: number },
  ): { buffer: Buffer };
  readRecordsBatch(reader: object): { records: PlatformaticRecord[]; firstOffset: bigint; attributes: number };
  Reader: { from(buf: Buffer): object };
}

test('interop with @platformatic/kafka both ways', async (t) => {
  let pk: Platformatic;
  try {
    const specifier = '@platformatic/kafka';
    pk = (await import(specifier)) as Platformatic;
  } catch {
    t.skip('@platformatic/kafka does not load here');
    return;
  }
  const inputs = Array.from({ length: 30 }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.alloc(40 + i, i),
    headers: [{ key: `h${i}`, value: Buffer.from(`v${i}`) }],
    timestamp: 1_700_000_000_000 + i * 3,
  }));
  // Their snappy is raw and their zstd needs Node 22's zlib: they → us for gzip/snappy/lz4,
  // us → them for gzip/lz4 (they cannot read the xerial framing the Java client writes).
  for (const compression of ['none', 'gzip', 'snappy', 'lz4'] as const) {
    const theirs = pk.createRecordsBatch(
      inputs.map((r) => ({ key: r.key, value: r.value, headers: new Map([[Buffer.from(r.headers[0]!.key), r.headers[0]!.value]]), topic: 't', timestamp: BigInt(r.timestamp) })),
      { compression, producerId: 5n, producerEpoch: 1, partitionLeaderEpoch: 0 },
    ).buffer;
    const back = decodeRecordBatch(theirs);
    assert.equal(back.size, theirs.length, compression);
    assertRecordsMatch(back.records, inputs, {}, 0);
    if (compression === 'snappy') continue;
    const ours = encodeRecordBatch(inputs, { compression, producerId: 5, producerEpoch: 1 });
    const decoded = pk.readRecordsBatch(pk.Reader.from(Buffer.from(ours)));
    assert.equal(decoded.records.length, inputs.length, compression);
    decoded.records.forEach((r, i) => {
      assert.equal(r.offsetDelta, i);
      assert.deepEqual(r.key, inputs[i]!.key);
      assert.deepEqual(r.value, inputs[i]!.value);
      assert.deepEqual(r.headers, [[Buffer.from(inputs[i]!.headers[0]!.key), inputs[i]!.headers[0]!.value]]);
    });
  }
});

// ---------------------------------------------------------------- many batches

test('decodeRecordBatches walks back-to-back batches and ignores a trailing partial one', () => {
  const a = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { baseOffset: 0 });
  const b = encodeRecordBatch([{ value: 'c' }], { baseOffset: 2, compression: 'gzip' });
  const c = encodeRecordBatch([{ value: 'd' }], { baseOffset: 3 });
  const all = Buffer.concat([a, b, c]);
  assert.deepEqual(decodeRecordBatches(all).flatMap((x) => x.records.map((r) => r.offset)), [0, 1, 2, 3]);
  for (let cut = a.length + b.length; cut < all.length; cut++) {
    assert.equal(decodeRecordBatches(all.subarray(0, cut)).length, 2, `cut at ${cut}`);
  }
  assert.deepEqual(decodeRecordBatches(new Uint8Array(0)), []);
  assert.deepEqual(decodeRecordBatches(all.subarray(0, 11)), []);
});

test('decodeRecordBatches rejects a corrupt batch in the middle', () => {
  const a = encodeRecordBatch([{ value: 'a' }]);
  const b = Buffer.from(encodeRecordBatch([{ value: 'b' }]));
  b[b.length - 2] = (b[b.length - 2] ?? 0) ^ 0xff;
  assert.throws(() => decodeRecordBatches(Buffer.concat([a, b, a])), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
  const tiny = Buffer.from(a);
  tiny.writeInt32BE(10, 8); // batchLength below the header size
  assert.throws(() => decodeRecordBatches(tiny), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
});

// ---------------------------------------------------------------- hostile input

const sampleInputs: RecordInput[] = [
  { key: 'k1', value: 'value one', headers: [{ key: 'h', value: 'x' }], timestamp: 100 },
  { key: null, value: 'value two', timestamp: 101 },
  { key: 'k3', value: null, headers: [{ key: 'a' }, { key: 'b', value: 'bb' }], timestamp: 99 },
];

test('a CRC mismatch is CORRUPT_MESSAGE; fields outside the CRC may change', () => {
  for (const compression of CODECS) {
    const batch = Buffer.from(encodeRecordBatch(sampleInputs, { compression }));
    for (const at of [OFF_ATTRIBUTES, OFF_RECORDS_COUNT, 61, batch.length - 1]) {
      const bad = Buffer.from(batch);
      bad[at] = (bad[at] ?? 0) ^ 0x01;
      assert.throws(() => decodeRecordBatch(bad), isKafkaError(ErrorCode.CORRUPT_MESSAGE), `${compression} byte ${at}`);
    }
    const moved = Buffer.from(batch);
    moved.writeBigInt64BE(1000n, 0); // baseOffset is outside the CRC
    moved.writeInt32BE(7, 12); // partitionLeaderEpoch too
    assert.equal(decodeRecordBatch(moved).records[0]!.offset, 1000);
  }
});

test('truncation at every byte is a KafkaError, never a crash', () => {
  for (const compression of CODECS) {
    const batch = encodeRecordBatch(sampleInputs, { compression });
    for (let cut = 0; cut < batch.length; cut++) {
      assert.throws(() => decodeRecordBatch(batch.subarray(0, cut)), isKafkaError(ErrorCode.CORRUPT_MESSAGE), `${compression} cut ${cut}`);
    }
  }
});

test('a foreign magic or codec names its own error code', () => {
  const batch = Buffer.from(encodeRecordBatch(sampleInputs));
  const v1 = Buffer.from(batch);
  v1[OFF_MAGIC] = 1;
  assert.throws(() => decodeRecordBatch(v1), isKafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT));
  const codec7 = Buffer.from(batch);
  codec7.writeInt16BE(7, OFF_ATTRIBUTES);
  assert.throws(() => decodeRecordBatch(reseal(codec7)), isKafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE));
});

/** Builds an uncompressed batch whose records section is exactly `section`, with a correct CRC. */
function batchWithSection(section: Uint8Array, count: number, compression: CompressionType = 'none'): Uint8Array {
  const payload = compress(compression, section);
  const header = encodeRecordBatch([]);
  const batch = new Uint8Array(61 + payload.length);
  batch.set(header.subarray(0, 61));
  batch.set(payload, 61);
  const dv = new DataView(batch.buffer);
  dv.setInt32(8, batch.length - 12);
  dv.setInt16(OFF_ATTRIBUTES, CODECS.indexOf(compression));
  dv.setInt32(OFF_RECORDS_COUNT, count);
  return reseal(batch);
}

function varints(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 5);
  let pos = 0;
  for (const v of values) pos = writeVarint(out, pos, v);
  return out.subarray(0, pos);
}

test('lying counts and lengths are CORRUPT_MESSAGE before any allocation from them', () => {
  const corrupt = isKafkaError(ErrorCode.CORRUPT_MESSAGE);
  const good = encodeRecordBatch([{ key: 'k', value: 'v' }]);
  const goodSection = good.subarray(61);
  // A record count of 2^31-1 over a 10-byte section.
  assert.throws(() => decodeRecordBatch(batchWithSection(goodSection, 0x7fffffff)), corrupt);
  assert.throws(() => decodeRecordBatch(batchWithSection(goodSection, -1)), corrupt);
  // Fewer records declared than present: bytes remain.
  assert.throws(() => decodeRecordBatch(batchWithSection(Buffer.concat([goodSection, goodSection]), 1)), corrupt);
  // Record length far past the section.
  assert.throws(() => decodeRecordBatch(batchWithSection(Buffer.concat([varints(1_000_000), goodSection.subarray(1)]), 1)), corrupt);
  // Fields: attributes, tsDelta, offsetDelta, key length, ...
  const record = (body: Uint8Array): Uint8Array => Buffer.concat([varints(body.length), body]);
  const head = Uint8Array.of(0, 0, 0); // attributes, timestampDelta 0, offsetDelta 0
  // Key length 2^30 inside a small record.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(1 << 30, -1, 0)])), 1)), corrupt);
  // Key length -2.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(-2, -1, 0)])), 1)), corrupt);
  // Header count 2^30.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(-1, -1, 1 << 30)])), 1)), corrupt);
  // Negative header key length.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(-1, -1, 1, -1, -1)])), 1)), corrupt);
  // Header value length past the record.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(-1, -1, 1, 0, 50)])), 1)), corrupt);
  // A record whose declared length is longer than its fields.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([head, varints(-1, -1, 0), Uint8Array.of(0)])), 1)), corrupt);
  // An overlong varint in a record.
  assert.throws(() => decodeRecordBatch(batchWithSection(record(Buffer.concat([Uint8Array.of(0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), varints(0, -1, -1, 0)])), 1)), corrupt);
  // The same lies inside a compressed section.
  assert.throws(() => decodeRecordBatch(batchWithSection(goodSection, 0x7fffffff, 'gzip')), corrupt);
  assert.throws(() => decodeRecordBatch(batchWithSection(new Uint8Array(0), 1, 'lz4')), corrupt);
});

test('a compressed section larger than the bound is refused', () => {
  const big = encodeRecordBatch([{ value: new Uint8Array(2 * 1024 * 1024) }], { compression: 'lz4' });
  assert.ok(big.length < 64 * 1024);
  assert.throws(() => decodeRecordBatch(big, 0, { maxDecompressedBytes: 1024 * 1024 }), isKafkaError(ErrorCode.CORRUPT_MESSAGE));
  assert.equal(decodeRecordBatch(big).records[0]!.value!.length, 2 * 1024 * 1024);
});

test('random mutations (CRC resealed) decode or give a KafkaError, nothing else', () => {
  const bases = CODECS.map((compression) => encodeRecordBatch(sampleInputs, { compression }));
  fc.assert(
    fc.property(
      fc.nat(bases.length - 1),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      (which, edits) => {
        const batch = Buffer.from(bases[which]!);
        for (const [at, byte] of edits) batch[OFF_ATTRIBUTES + (at % (batch.length - OFF_ATTRIBUTES))] = byte;
        try {
          decodeRecordBatch(reseal(batch));
        } catch (err) {
          assert.ok(err instanceof KafkaError, String(err));
        }
      },
    ),
    { numRuns: 400 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeRecordBatches(bytes);
      } catch (err) {
        assert.ok(err instanceof KafkaError, String(err));
      }
    }),
    { numRuns: 200 },
  );
});

// ---------------------------------------------------------------- raw records (compaction)

test('raw records carry deltas, key, value and whole bytes; a rebuilt batch keeps its header', () => {
  for (const compression of CODECS) {
    const opts: EncodeBatchOptions = { compression, baseOffset: 100, producerId: 4, producerEpoch: 2, baseSequence: 10, transactional: true, partitionLeaderEpoch: 3 };
    const batch = encodeRecordBatch(sampleInputs, opts);
    const raw = decodeRawRecords(batch);
    assert.deepEqual(raw.map((r) => [r.offsetDelta, r.timestampDelta]), [[0, 0], [1, 1], [2, -1]], compression);
    assert.deepEqual(raw.map((r) => asBuf(r.key)), sampleInputs.map((r) => bytesOf(r.key)));
    assert.deepEqual(raw.map((r) => asBuf(r.value)), sampleInputs.map((r) => bytesOf(r.value)));
    // Keep the first and the last: same offsets, timestamps and headers as before.
    const rebuilt = rebuildRecordBatch(batch, [raw[0]!, raw[2]!]);
    assert.equal(checkBatch(rebuilt, MAX_MESSAGE_BYTES), ErrorCode.NONE);
    const before = decodeRecordBatch(batch);
    const after = decodeRecordBatch(rebuilt);
    assert.deepEqual({ ...after.header, batchLength: 0, crc: 0, recordsCount: 0 }, { ...before.header, batchLength: 0, crc: 0, recordsCount: 0 });
    assert.equal(after.header.recordsCount, 2);
    assert.deepEqual(after.records, [before.records[0]!, before.records[2]!]);
    assert.deepEqual(decodeRawRecords(rebuilt).map((r) => Buffer.from(r.bytes)), [raw[0]!, raw[2]!].map((r) => Buffer.from(r.bytes)));
  }
  assert.deepEqual(decodeRawRecords(encodeRecordBatch([])), []);
});

test('raw records: damage is a KafkaError with the same codes as the full decoder', () => {
  const corrupt = isKafkaError(ErrorCode.CORRUPT_MESSAGE);
  for (const compression of CODECS) {
    const batch = encodeRecordBatch(sampleInputs, { compression });
    for (let cut = 0; cut < batch.length; cut++) assert.throws(() => decodeRawRecords(batch.subarray(0, cut)), corrupt, `${compression} cut ${cut}`);
    const flipped = Buffer.from(batch);
    flipped[batch.length - 1] = (flipped[batch.length - 1] ?? 0) ^ 0x01;
    assert.throws(() => decodeRawRecords(flipped), corrupt);
  }
  const batch = Buffer.from(encodeRecordBatch(sampleInputs));
  const v1 = Buffer.from(batch);
  v1[OFF_MAGIC] = 1;
  assert.throws(() => decodeRawRecords(v1), isKafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT));
  const good = encodeRecordBatch([{ key: 'k', value: 'v' }]).subarray(61);
  assert.throws(() => decodeRawRecords(batchWithSection(good, 0x7fffffff)), corrupt);
  assert.throws(() => decodeRawRecords(batchWithSection(good, 2)), corrupt);
  assert.throws(() => decodeRawRecords(batchWithSection(Buffer.concat([good, good]), 1)), corrupt);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
      const b = Buffer.from(batch);
      for (const [at, byte] of edits) b[61 + (at % (b.length - 61))] = byte;
      try {
        decodeRawRecords(reseal(b));
      } catch (err) {
        assert.ok(err instanceof KafkaError, String(err));
      }
    }),
    { numRuns: 200 },
  );
});
