// One connection's Fetch round trip against `samsa serve` in its own process: fills
// P partitions through the broker, then sends the same P-partition Fetch (from offset
// 0, so every round serves the same page-cache bytes) ROUNDS times, one at a time,
// and reports the round trip's min/p10/p50/p99 and the broker's CPU per GB served
// (from /proc/<pid>/stat). The client is a bare socket that only reads the frames
// (no decoding), so the figure is mostly the broker's.
// Owns: nothing but this measurement. Must not import the broker: it runs a separate
// process (this build's CLI or --broker-cli).
//
// Usage: node dist/bench/fetch-rtt.bench.js [--partitions 8] [--partition-bytes 1048576]
//          [--rounds 300] [--record-bytes 100] [--broker-cli PATH] [--sendfile 0|1] [--nice N]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeRecordBatch } from '../src/protocol/record-batch.js';
import { Writer } from '../src/wire/codec/writer.js';
import type { MessageCodec } from '../src/wire/codec/compile.js';
import { RequestHeaderCodec, requestHeaderVersion } from '../src/wire/schemas/headers.js';
import { FetchRequestCodec } from '../src/wire/schemas/01-fetch.js';
import { ProduceRequestCodec } from '../src/wire/schemas/00-produce.js';
import { CreateTopicsRequestCodec } from '../src/wire/schemas/19-create-topics.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '8' },
    'partition-bytes': { type: 'string', default: String(1 << 20) },
    rounds: { type: 'string', default: '300' },
    'record-bytes': { type: 'string', default: '100' },
    'broker-cli': { type: 'string' },
    sendfile: { type: 'string' },
    nice: { type: 'string' },
  },
});
const P = Number(args.partitions);
const PMB = Number(args['partition-bytes']);
const ROUNDS = Number(args.rounds);
const RECORD_BYTES = Number(args['record-bytes']);
for (const [k, v] of [['partitions', P], ['partition-bytes', PMB], ['rounds', ROUNDS], ['record-bytes', RECORD_BYTES]] as const) {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${k} wants a positive integer`);
}
const CLK_TCK = 100;

function encodeRequest<T extends object>(codec: MessageCodec<object, T>, version: number, correlationId: number, body: T): Uint8Array {
  const w = new Writer();
  RequestHeaderCodec.encode(w, { requestApiKey: codec.def.apiKey, requestApiVersion: version, correlationId, clientId: 'fetch-rtt' }, requestHeaderVersion(codec.isFlexible(version)));
  codec.encode(w, body, version);
  const frame = w.finish();
  const out = new Uint8Array(4 + frame.byteLength);
  new DataView(out.buffer).setInt32(0, frame.byteLength);
  out.set(frame, 4);
  return out;
}

/** Frames in order off one socket; resolves each request with its response's size. */
class FrameReader {
  private need = -1;
  private have = 0;
  private head: Uint8Array[] = [];
  private readonly waiters: Array<(bytes: number) => void> = [];
  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }
  next(): Promise<number> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  private onData(chunk: Uint8Array): void {
    let off = 0;
    // Each pass consumes a prefix or a frame's bytes: bounded by the chunk.
    while (off < chunk.byteLength) {
      if (this.need < 0) {
        const take = Math.min(4 - this.have, chunk.byteLength - off);
        this.head.push(chunk.subarray(off, off + take));
        this.have += take;
        off += take;
        if (this.have < 4) return;
        const b = Buffer.concat(this.head);
        this.need = b.readInt32BE(0);
        this.have = 0;
        this.head = [];
      }
      const take = Math.min(this.need - this.have, chunk.byteLength - off);
      this.have += take;
      off += take;
      if (this.have === this.need) {
        const size = this.need;
        this.need = -1;
        this.have = 0;
        this.waiters.shift()?.(size);
      }
    }
  }
}

function cpuTicks(pid: number): number {
  const t = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
  return Number(r[11]) + Number(r[12]);
}

const dir = mkdtempSync(join(tmpdir(), 'samsa-fetch-rtt-'));
const cli = args['broker-cli'] ?? new URL('../src/cli/main.js', import.meta.url).pathname;
const env = { ...process.env, ...(args.sendfile !== undefined ? { SAMSA_SENDFILE: args.sendfile } : {}) };
const argv = [cli, 'serve', '--data-dir', dir, '--port', '0', '--http-port', '0', '--log-level', 'warn'];
const child = args.nice === undefined
  ? spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'], env })
  : spawn('nice', ['-n', args.nice, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'], env });
try {
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /kafka=[^ ]+:(\d+)/.exec(out);
      if (m !== null) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`samsa serve exited with ${code}`)));
  });
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => resolve(s));
    s.once('error', reject);
  });
  socket.setNoDelay(true);
  const frames = new FrameReader(socket);
  let id = 1;
  const call = async (frame: Uint8Array): Promise<number> => {
    const answer = frames.next();
    socket.write(frame);
    return answer;
  };
  await call(encodeRequest(CreateTopicsRequestCodec, 4, id++, {
    topics: [{ name: 't', numPartitions: P, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
  }));
  // Batches of about a quarter of the partition budget, so a fetch returns several.
  const perBatch = Math.max(1, Math.floor(Math.min(256 * 1024, PMB / 4) / (RECORD_BYTES + 10)));
  const batch = encodeRecordBatch(Array.from({ length: perBatch }, () => ({ value: new Uint8Array(RECORD_BYTES).fill(120) })));
  const batchesPerPartition = Math.ceil((PMB * 2) / batch.byteLength);
  for (let p = 0; p < P; p++) {
    for (let b = 0; b < batchesPerPartition; b++) {
      await call(encodeRequest(ProduceRequestCodec, 7, id++, {
        transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: 't', partitionData: [{ index: p, records: batch }] }],
      }));
    }
  }
  const fetch = encodeRequest(FetchRequestCodec, 11, id++, {
    clusterId: null, replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 64 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{
      topic: 't', topicId: '00000000000000000000000000000000',
      partitions: Array.from({ length: P }, (_, p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: PMB })),
    }],
    forgottenTopicsData: [], rackId: '',
  });
  for (let i = 0; i < Math.min(20, ROUNDS); i++) await call(fetch); // warm-up: JIT, buffers, page cache
  const cpu0 = cpuTicks(child.pid!);
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    bytes += await call(fetch);
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const cpuSec = (cpuTicks(child.pid!) - cpu0) / CLK_TCK;
  ms.sort((a, b) => a - b);
  const at = (q: number): string => ms[Math.min(ms.length - 1, Math.floor(ms.length * q))]!.toFixed(2);
  console.log(JSON.stringify({
    cli, sendfile: args.sendfile ?? 'default', partitions: P, partitionBytes: PMB, recordBytes: RECORD_BYTES, rounds: ROUNDS,
    responseKiB: Math.round(bytes / ROUNDS / 1024), minMs: at(0), p10Ms: at(0.1), p50Ms: at(0.5), p99Ms: at(0.99),
    brokerCpuSec: cpuSec, brokerCoreSecPerGB: Number((cpuSec / (bytes / 1e9)).toFixed(2)),
  }));
  socket.destroy();
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
