// Captures the fuzzers' seeds from real clients: a test broker behind a TCP proxy
// that records every request frame (and every response with the API and version it
// answers), while kcat (librdkafka), kafkajs, the Java client (kafka-clients, through
// the interop driver interop/bin/java, built by scripts/interop-build.sh) and Samsa's
// own client do what they do:
// metadata, create topics, produce with every codec (idempotent too), consume in a
// group, commit, list offsets, describe and alter configs, delete records and topics.
// Also writes record-batch seeds (every codec and batch shape) and HTTP JSON seeds.
// Run: node dist/test/fuzz/capture-seeds.js (rewrites test/fuzz/corpus/*/seed-*).
// Owns: the seed files. Must not touch the corpus files the fuzzer added.
import '../../src/compression/node-codecs.js';
import { createHash } from 'node:crypto';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, CompressionTypes, logLevel } from 'kafkajs';
import { APIS } from '../../src/kafka/apis/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { CompressionType } from '../../src/protocol/record-batch.js';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { startTestBroker } from '../kafka/harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CORPUS = join(ROOT, 'test', 'fuzz', 'corpus');
/** Seeds kept per API key and version (the first ones seen, then one in four up to this). */
const PER_VERSION_MAX = 6;
const FRAME_BYTES_MAX = 4096;

function writeSeeds(target: string, inputs: Iterable<Uint8Array>): number {
  const dir = join(CORPUS, target);
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(dir)) if (f.startsWith('seed-')) rmSync(join(dir, f));
  let n = 0;
  for (const input of inputs) {
    writeFileSync(join(dir, `seed-${createHash('sha1').update(input).digest('hex').slice(0, 16)}`), input);
    n++;
  }
  return n;
}

/** Splits a byte stream into Kafka frames (size-prefixed), calling `onFrame` for each. */
function framer(onFrame: (f: Uint8Array) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) return;
      onFrame(new Uint8Array(buf.subarray(4, 4 + size)));
      buf = buf.subarray(4 + size);
    }
  };
}

const requests = new Map<string, Uint8Array>();
const responses = new Map<string, Uint8Array>();
const perVersion = new Map<string, number>();
const apiIndex = new Map(APIS.map((a, i) => [a.apiKey, i]));

function keep(map: Map<string, Uint8Array>, kv: string, frame: Uint8Array): void {
  if (frame.byteLength > FRAME_BYTES_MAX) return;
  const seen = perVersion.get(`${map === requests ? 'q' : 'r'}${kv}`) ?? 0;
  perVersion.set(`${map === requests ? 'q' : 'r'}${kv}`, seen + 1);
  if (seen >= PER_VERSION_MAX * 4 || (seen >= 2 && seen % 4 !== 0)) return;
  map.set(createHash('sha1').update(frame).digest('hex'), frame);
}

/** A proxy in front of the broker that records both directions. */
function startProxy(brokerPort: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: brokerPort });
    sockets.add(client).add(upstream);
    const inFlight = new Map<number, { key: number; version: number }>();
    client.on('data', framer((f) => {
      const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
      if (f.byteLength >= 8) {
        const key = dv.getInt16(0);
        const version = dv.getInt16(2);
        inFlight.set(dv.getInt32(4), { key, version });
        keep(requests, `${key}/${version}`, f);
      }
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(f.byteLength);
      upstream.write(Buffer.concat([prefix, f]));
    }));
    upstream.on('data', framer((f) => {
      const dv = new DataView(f.buffer, f.byteOffset, f.byteLength);
      const req = f.byteLength >= 4 ? inFlight.get(dv.getInt32(0)) : undefined;
      const api = req === undefined ? undefined : APIS[apiIndex.get(req.key) ?? -1];
      if (req !== undefined && api !== undefined && req.version >= api.minVersion && req.version <= api.maxVersion) {
        // The response target's input: API index, version above the minimum, then the frame.
        const input = new Uint8Array(4 + f.byteLength);
        const idv = new DataView(input.buffer);
        idv.setUint16(0, apiIndex.get(req.key)!);
        idv.setUint16(2, req.version - api.minVersion);
        input.set(f, 4);
        keep(responses, `${req.key}/${req.version}`, input);
      }
      const prefix = Buffer.alloc(4);
      prefix.writeInt32BE(f.byteLength);
      client.write(Buffer.concat([prefix, f]));
    }));
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port;
    resolve({ port, close: () => { for (const s of sockets) s.destroy(); server.close(); } });
  }));
}

const JAVA_DRIVER = join(ROOT, 'interop', 'bin', 'java');
const JAVA_JOB_TIMEOUT_MS = 60_000;

/**
 * Runs one job of the Java interop driver (interop/README.md: the job on stdin's first
 * line, JSON lines out). With `stopAfter`, stdin stays open until that event, then a
 * commit and EOF (stop) follow; otherwise stdin ends at once. Failures are reported,
 * not thrown: what the client sent is captured either way.
 */
function javaJob(job: object, stopAfter?: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(JAVA_DRIVER, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let stopped = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), JAVA_JOB_TIMEOUT_MS);
    child.stdin.write(JSON.stringify(job) + '\n');
    if (stopAfter === undefined) child.stdin.end();
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      if (stopAfter !== undefined && !stopped && out.includes(`"event":"${stopAfter}"`)) {
        stopped = true;
        child.stdin.write('{"cmd":"commit"}\n');
        child.stdin.end();
      }
    });
    child.stderr.on('data', (b: Buffer) => {
      err = (err + b.toString('utf8')).slice(-2000);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !result.includes('"status":"ok"')) console.error(`java ${JSON.stringify(job).slice(0, 80)}: exit ${code} ${result.slice(0, 300)} ${err.slice(-300)}`);
      resolve();
    });
  });
}

/** Runs kcat without blocking: the broker and the proxy live in this process. */
function kcat(port: number, args: string[], input?: string): Promise<void> {
  return new Promise((resolve) => {
    const child = execFile('kcat', ['-b', `127.0.0.1:${port}`, ...args], { timeout: 20_000 }, (err, _out, stderr) => {
      if (err !== null) console.error(`kcat ${args.join(' ')}: ${err.message.split('\n')[0]} ${stderr.slice(0, 200)}`);
      resolve();
    });
    child.stdin?.end(input ?? '');
  });
}

async function captureRequests(): Promise<void> {
  const broker = await startTestBroker();
  const proxy = await startProxy(broker.port);
  broker.server.handler.setAdvertisedListener('127.0.0.1', proxy.port);
  const port = proxy.port;
  try {
    // kcat (librdkafka): metadata, produce with each codec (idempotent too), consume, a group.
    let hasKcat = true;
    try {
      execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    } catch {
      hasKcat = false;
      console.error('kcat not installed: its requests are not in the seeds');
    }
    if (hasKcat) {
      await kcat(port, ['-L']);
      for (const z of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) await kcat(port, ['-P', '-t', 'seeds-kcat', '-K:', '-z', z, '-H', 'h=v'], 'k1:v1\nk2:v2\n');
      await kcat(port, ['-P', '-t', 'seeds-kcat', '-X', 'enable.idempotence=true', '-X', 'acks=all'], 'idem\n');
      await kcat(port, ['-C', '-t', 'seeds-kcat', '-o', 'beginning', '-e']);
      await kcat(port, ['-C', '-t', 'seeds-kcat', '-o', 's@1700000000000', '-e']);
      await kcat(port, ['-G', 'seeds-kcat-group', 'seeds-kcat', '-e', '-X', 'auto.offset.reset=earliest']);
    }

    // kafkajs: admin, an idempotent producer with codecs, a consumer group.
    const kafka = new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: 'seeds-kafkajs', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'seeds-js', numPartitions: 2, configEntries: [{ name: 'cleanup.policy', value: 'delete' }] }] });
    await admin.fetchTopicMetadata({ topics: ['seeds-js'] });
    await admin.describeConfigs({ resources: [{ type: 2, name: 'seeds-js' }], includeSynonyms: false });
    await admin.alterConfigs({ resources: [{ type: 2, name: 'seeds-js', configEntries: [{ name: 'retention.ms', value: '600000' }] }], validateOnly: false });
    await admin.createPartitions({ topicPartitions: [{ topic: 'seeds-js', count: 3 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      await producer.send({ topic: 'seeds-js', compression, messages: [{ key: 'a', value: 'x', headers: { h: 'v' } }, { key: 'b', value: 'y' }] });
    }
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: 'seeds-js-group', sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: 'seeds-js', fromBeginning: true });
    let got = 0;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      void consumer.run({ eachMessage: async () => { if (++got >= 4) { clearTimeout(timer); resolve(); } } });
    });
    await consumer.disconnect();
    await admin.fetchOffsets({ groupId: 'seeds-js-group', topics: ['seeds-js'] });
    await admin.fetchTopicOffsets('seeds-js');
    await admin.listGroups();
    await admin.describeGroups(['seeds-js-group']);
    await admin.deleteTopicRecords({ topic: 'seeds-js', partitions: [{ partition: 0, offset: '-1' }] }).catch(() => undefined);
    await admin.deleteGroups(['seeds-js-group']).catch(() => undefined);
    await admin.deleteTopics({ topics: ['seeds-js'] });
    await admin.disconnect();

    // The Java client (kafka-clients 4.x): admin, produce with each codec (idempotent
    // too), assign-and-consume, a group member that commits.
    if (!existsSync(JAVA_DRIVER)) {
      console.error(`${JAVA_DRIVER} not built (scripts/interop-build.sh): the Java client's requests are not in the seeds`);
    } else {
      const bootstrap = `127.0.0.1:${port}`;
      await javaJob({ op: 'admin', bootstrap, params: { steps: [
        { do: 'createTopic', topic: 'seeds-java', partitions: 2, configs: { 'cleanup.policy': 'delete' } },
        { do: 'listTopics' },
        { do: 'describeTopic', topic: 'seeds-java' },
        { do: 'describeConfigs', topic: 'seeds-java', keys: ['retention.ms', 'cleanup.policy'] },
        { do: 'alterConfigs', topic: 'seeds-java', set: { 'retention.ms': '600000' } },
        { do: 'createPartitions', topic: 'seeds-java', count: 3 },
      ] } });
      for (const compression of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
        await javaJob({ op: 'produce', bootstrap, params: { topic: 'seeds-java', acks: -1, compression, idempotent: compression === 'zstd', records: [{ key: 'k', value: `v-${compression}`, headers: [['h', 'v']] }, { key: null, value: 'x', partition: 0, timestamp: 1_700_000_000_000 }] } });
      }
      await javaJob({ op: 'consume', bootstrap, params: { topic: 'seeds-java', partitions: [0], from: 'earliest', count: 2 } });
      await javaJob({ op: 'consume', bootstrap, params: { topic: 'seeds-java', partitions: [0], from: { timestamp: 1_700_000_000_000 }, count: 1 } });
      await javaJob({ op: 'group-member', bootstrap, params: { topic: 'seeds-java', groupId: 'seeds-java-group', assignor: 'range', autoOffsetReset: 'earliest' } }, 'records');
      await javaJob({ op: 'admin', bootstrap, params: { steps: [
        { do: 'listOffsets', topic: 'seeds-java', partition: 0, spec: 'latest' },
        { do: 'listOffsets', topic: 'seeds-java', partition: 0, spec: { timestamp: 1_700_000_000_000 } },
        { do: 'deleteRecords', topic: 'seeds-java', partition: 0, offset: 1 },
        { do: 'listGroups' },
        { do: 'describeGroup', groupId: 'seeds-java-group' },
        { do: 'fetchOffsets', groupId: 'seeds-java-group', topic: 'seeds-java' },
        { do: 'deleteGroup', groupId: 'seeds-java-group' },
        { do: 'deleteTopic', topic: 'seeds-java' },
      ] } });
    }

    // Samsa's client: its own request versions (flexible ones included), every codec.
    const sadmin = new Admin({ bootstrap: `127.0.0.1:${port}` });
    await sadmin.createTopics([{ name: 'seeds-samsa', numPartitions: 2, configs: { 'cleanup.policy': 'compact' } }]);
    await sadmin.describeConfigs([{ type: 'topic', name: 'seeds-samsa' }]);
    const codecs: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (const compression of codecs) {
      const p = new Producer({ bootstrap: `127.0.0.1:${port}`, compression, acks: -1 });
      await p.send({ topic: 'seeds-samsa', messages: [{ key: 'k', value: `v-${compression}`, headers: [{ key: 'h', value: 'v' }] }] });
      await p.close();
    }
    const sc = new Consumer({ bootstrap: `127.0.0.1:${port}` });
    await sc.assign([{ topic: 'seeds-samsa' }]);
    await sc.seek('seeds-samsa', 0, 'earliest');
    let n = 0;
    for await (const _m of sc) if (++n >= 3) break;
    await sc.close();
    await sadmin.listOffsets('seeds-samsa', 'latest');
    await sadmin.deleteTopics(['seeds-samsa']);
    await sadmin.close();
  } finally {
    proxy.close();
    await broker.close();
  }
}

function recordBatchSeeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const codecs: CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
  for (const compression of codecs) {
    out.push(encodeRecordBatch([{ key: 'k', value: 'v' }], { compression, timestamp: 1_700_000_000_000 }));
    out.push(encodeRecordBatch([{ key: null, value: 'x'.repeat(300), headers: [{ key: 'h', value: 'v' }, { key: 'n', value: null }] }, { value: null }], { compression, timestamp: 1_700_000_000_000, producerId: 7, producerEpoch: 1, baseSequence: 5 }));
    out.push(encodeRecordBatch(Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 3}`, value: `value-${i}`, timestamp: 1_700_000_000_000 + i * 1000 })), { compression, timestamp: 1_700_000_000_000 }));
  }
  out.push(encodeRecordBatch([{ key: Uint8Array.of(0, 0), value: Uint8Array.of(0, 0, 0, 0, 0, 0) }], { control: true, transactional: true, producerId: 1, producerEpoch: 0 }));
  out.push(encodeRecordBatch([{ value: 'a' }], { logAppendTime: true, timestamp: 1 }));
  const two = [encodeRecordBatch([{ value: 'one' }]), encodeRecordBatch([{ value: 'two' }], { compression: 'lz4' })];
  const joined = new Uint8Array(two[0]!.byteLength + two[1]!.byteLength);
  joined.set(two[0]!);
  joined.set(two[1]!, two[0]!.byteLength);
  out.push(joined);
  return out;
}

function httpJsonSeeds(): Uint8Array[] {
  const enc = new TextEncoder();
  return [
    '{"records":[{"key":"k","value":{"a":1,"b":[true,null,"x"]}}]}',
    '{"records":[{"value":"aGVsbG8=","key":"a2V5","partition":0,"headers":[{"key":"h","value":"dg=="}]}]}',
    '{"records":[{"value":1,"timestamp":1700000000000,"headers":{"h":"v","n":null}},{"value":null,"partition":2}]}',
    '[{"value":"x"},{"key":"k","value":"y"}]',
    '{"value":"single","key":null}',
    '{"records":[]}',
    '{"records":[{"value":"\\u00e9\\ud83d\\ude00","key":"\\"q\\""}]}',
    '{"records":[{"partition":-1,"value":1}]}',
  ].map((s) => enc.encode(s));
}

await captureRequests();
console.log(`requests: ${writeSeeds('requests', requests.values())} seeds; responses: ${writeSeeds('responses', responses.values())} seeds`);
console.log(`record-batch: ${writeSeeds('record-batch', recordBatchSeeds())} seeds; http-json: ${writeSeeds('http-json', httpJsonSeeds())} seeds`);
const versions = new Set([...requests.values()].map((f) => `${new DataView(f.buffer, f.byteOffset).getInt16(0)}/${new DataView(f.buffer, f.byteOffset).getInt16(2)}`));
console.log(`request API key/version pairs captured: ${versions.size} (${[...versions].sort().join(' ')})`);
process.exit(0);
