// kcat (librdkafka: flexible versions — ApiVersions v3, Metadata v9+, Produce v9,
// Fetch v12+) against a real broker: -L, keyed -P with every -z codec, -C from the
// beginning, from an offset and from a timestamp, and -Q. Skips when kcat is absent
// (CI installs Debian's kcat).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { FetchRequestCodec, FetchResponseCodec } from '../../src/wire/schemas/01-fetch.js';
import { RawClient, startTestBroker, type TestBroker } from './harness.js';

const KCAT_MISSING = spawnSync('kcat', ['-V'], { encoding: 'utf8' }).status !== 0;
const skip = KCAT_MISSING ? 'kcat is not installed (apt-get install kcat)' : false;
const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

let broker: TestBroker;

before(async () => {
  if (!KCAT_MISSING) broker = await startTestBroker();
});

after(async () => {
  if (!KCAT_MISSING) await broker.close();
});

/** Runs kcat without blocking the event loop (the broker runs in this process). */
function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${broker.port}`, '-m', '10', ...args], { timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin?.end(input ?? '');
  });
}

test('kcat -L lists this broker and the topics', { skip }, async () => {
  await broker.engine.createTopic('kc-list', 3);
  const out = await kcat(['-L']);
  assert.match(out, /1 brokers:/);
  assert.match(out, new RegExp(`broker 0 at 127\\.0\\.0\\.1:${broker.port}`));
  assert.match(out, /topic "kc-list" with 3 partitions/);
});

/** The compression code (attributes & 7) of every stored batch of partition 0. */
async function storedCodecs(topic: string): Promise<number[]> {
  const c = await RawClient.connect(broker.port);
  try {
    const res = await c.request(FetchRequestCodec, FetchResponseCodec, 11, {
      clusterId: null,
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 24,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic, topicId: '00000000000000000000000000000000', partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 24 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const records = res.responses[0]!.partitions[0]!.records!;
    const dv = new DataView(records.buffer, records.byteOffset, records.byteLength);
    const codes: number[] = [];
    for (let pos = 0; pos + 61 <= records.length; pos += 12 + dv.getInt32(pos + 8)) codes.push(dv.getInt16(pos + 21) & 7);
    return codes;
  } finally {
    c.close();
  }
}

const CODEC_CODES: Record<(typeof CODECS)[number], number> = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 };

for (const codec of CODECS) {
  test(`kcat -P keyed with -z ${codec}, then -C from the beginning and from an offset`, { skip }, async () => {
    const topic = `kc-${codec}`;
    await broker.engine.createTopic(topic, 1);
    const lines = Array.from({ length: 50 }, (_, i) => `key${i}:value-${codec}-${i}`);
    await kcat(['-P', '-t', topic, '-K', ':', '-z', codec, '-X', 'acks=all'], lines.join('\n') + '\n');
    // librdkafka < 2.10 sends gzip/snappy/lz4 uncompressed unless ApiVersions lists Produce v0-2.
    // (It also sends a batch uncompressed when compressing would not shrink it, e.g. one small record.)
    const codes = await storedCodecs(topic);
    assert.ok(codes.includes(CODEC_CODES[codec]) && codes.every((c) => c === CODEC_CODES[codec] || c === 0), `stored batches use codecs ${codes.join(',')}, expected ${codec}`);
    const all = await kcat(['-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%k=%s@%o\\n']);
    const got = all.trim().split('\n');
    assert.equal(got.length, 50);
    assert.equal(got[7], `key7=value-${codec}-7@7`);
    const tail = await kcat(['-C', '-t', topic, '-o', '45', '-e', '-f', '%s\\n']);
    assert.deepEqual(tail.trim().split('\n'), [45, 46, 47, 48, 49].map((i) => `value-${codec}-${i}`));
  });
}

test('kcat -C from a timestamp and -Q offsets for times', { skip }, async () => {
  await broker.engine.createTopic('kc-time', 1);
  await kcat(['-P', '-t', 'kc-time'], 'early\n');
  await new Promise((r) => setTimeout(r, 20));
  const cut = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  await kcat(['-P', '-t', 'kc-time'], 'late\n');
  const fromTime = await kcat(['-C', '-t', 'kc-time', '-o', `s@${cut}`, '-e', '-f', '%s\\n']);
  assert.deepEqual(fromTime.trim().split('\n'), ['late']);
  const q = await kcat(['-Q', '-t', `kc-time:0:${cut}`]);
  assert.match(q, /kc-time \[0\]\s+offset 1/);
});

test('kcat -G consumes as a group member and resumes from the committed offsets', { skip }, async () => {
  await broker.engine.createTopic('kc-group', 2);
  await kcat(['-P', '-t', 'kc-group', '-K', ':'], 'a:1\nb:2\nc:3\n');
  const group = ['-G', 'kc-g', '-X', 'auto.offset.reset=earliest', '-e', '-f', '%k=%s\\n', 'kc-group'];
  const first = await kcat(group);
  assert.deepEqual(first.trim().split('\n').sort(), ['a=1', 'b=2', 'c=3']);
  await kcat(['-P', '-t', 'kc-group', '-K', ':'], 'd:4\n');
  const second = await kcat(group);
  assert.deepEqual(second.trim().split('\n'), ['d=4']);
});
