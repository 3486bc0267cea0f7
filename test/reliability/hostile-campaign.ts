// The wire-level hostile campaign (docs/reliability.md, "Hostile wire campaign"): a
// real broker process takes a bounded number of hostile frames over TCP and over
// WebSocket — random bytes, truncated frames, sizes over the limit, wrong sizes,
// unknown API keys and versions, valid headers with garbage bodies, bit-mutated real
// requests (the fuzz corpus, captured from kcat, kafkajs and Samsa's client) and some
// valid ones — from several connections at once; then it must still answer, hold
// every byte of the data written before, and its RSS is reported.
// Run: scripts/hostile-campaign [--frames N] [--time-limit-s S] [--connections C] [--write-doc]
// Owns: the campaign's connections and counts. Must not touch the broker's files.
import '../../src/compression/node-codecs.js';
import { readFileSync, readdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { APIS } from '../../src/kafka/apis/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { ApiVersionsRequestCodec, ApiVersionsResponseCodec } from '../../src/wire/schemas/18-api-versions.js';
import { RawClient } from '../kafka/harness.js';
import { startBrokerProcess } from './broker-process.js';
import { contentHash, createTopic, fetchAll, produce } from './wire-client.js';

const { values: opts } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    'time-limit-s': { type: 'string', default: '1200' },
    connections: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    'write-doc': { type: 'boolean', default: false },
  },
});
const FRAMES = Number(opts.frames);
const TIME_LIMIT_MS = Number(opts['time-limit-s']) * 1000;
const CONNECTIONS = Number(opts.connections);
const REQUEST_MAX_BYTES = 1 << 20;
const FRAMES_PER_CONNECTION_MAX = 64;
/** A connection the broker neither answers nor closes within this is counted as stuck (and destroyed). */
const CONNECTION_TIMEOUT_MS = 10_000;
const WS_SHARE = 0.25;
const KEEP_TOPIC = 'hostile-keep-5d1e9a';
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = join(ROOT, 'docs', 'reliability.md');

let rs = Number(opts.seed) >>> 0 || 1;
function rand(n: number): number {
  rs ^= rs << 13;
  rs >>>= 0;
  rs ^= rs >>> 17;
  rs ^= rs << 5;
  rs >>>= 0;
  return n <= 0 ? 0 : rs % n;
}
function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand(256);
  return b;
}

const seeds = readdirSync(join(ROOT, 'test', 'fuzz', 'corpus', 'requests')).sort().map((f) => new Uint8Array(readFileSync(join(ROOT, 'test', 'fuzz', 'corpus', 'requests', f))));
const served = APIS.flatMap((a) => Array.from({ length: a.maxVersion - a.minVersion + 1 }, (_, i) => [a.apiKey, a.minVersion + i] as const));
const servedKeys = new Set(APIS.map((a) => a.apiKey));

type Kind = 'random' | 'truncated' | 'oversized' | 'wrong-size' | 'unknown-key' | 'unknown-version' | 'garbage-body' | 'mutated' | 'valid';
/** Weighted: the kinds that end a connection are rarer, so most connections carry many frames. */
const KINDS: Kind[] = [
  ...Array<Kind>(6).fill('valid'), ...Array<Kind>(6).fill('mutated'), 'garbage-body', 'garbage-body',
  'unknown-key', 'unknown-version', 'random', 'truncated', 'oversized', 'wrong-size',
];
const counts = { framesWritten: 0, tcpConnections: 0, wsConnections: 0, answered: 0, closedByBroker: 0, stuck: 0, wsRawLeftOpen: 0, byKind: {} as Record<string, number> };
const RAW_WAIT_MS = 1_000;

function header(key: number, version: number): Uint8Array {
  const h = new Uint8Array(10);
  const dv = new DataView(h.buffer);
  dv.setInt16(0, key);
  dv.setInt16(2, version);
  dv.setInt32(4, rand(0x7fffffff));
  dv.setInt16(8, -1);
  return h;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** One hostile frame's body (what follows the size prefix) and the size prefix to send with it. */
function hostile(kind: Kind): { body: Uint8Array; size: number; last: boolean } {
  const seed = seeds[rand(seeds.length)]!;
  switch (kind) {
    case 'random': {
      const b = randomBytes(4 + rand(300));
      return { body: b.subarray(4), size: new DataView(b.buffer).getInt32(0), last: true };
    }
    case 'truncated': return { body: seed.subarray(0, rand(seed.length)), size: seed.length, last: true };
    case 'oversized': return { body: randomBytes(rand(64)), size: REQUEST_MAX_BYTES + 1 + rand(0x7fffffff - REQUEST_MAX_BYTES - 1), last: true };
    case 'wrong-size': return { body: seed, size: Math.max(-5, seed.length + (rand(2) === 0 ? -1 - rand(8) : 1 + rand(8))), last: true };
    case 'unknown-key': {
      let key = rand(0x10000) - 0x8000;
      while (servedKeys.has(key)) key = rand(0x10000) - 0x8000;
      return { body: concat(header(key, rand(20)), randomBytes(rand(64))), size: -1, last: false };
    }
    case 'unknown-version': {
      const a = APIS[rand(APIS.length)]!;
      const v = rand(2) === 0 ? a.maxVersion + 1 + rand(100) : -1 - rand(100);
      return { body: concat(header(a.apiKey, v), randomBytes(rand(64))), size: -1, last: false };
    }
    case 'garbage-body': {
      const [k, v] = served[rand(served.length)]!;
      return { body: concat(header(k, v), randomBytes(rand(400))), size: -1, last: false };
    }
    case 'mutated': {
      const b = seed.slice();
      for (let i = 1 + rand(8); i > 0; i--) b[rand(b.length)] = rand(256);
      return { body: b, size: -1, last: false };
    }
    case 'valid': return { body: seed, size: -1, last: false };
  }
}

/** A sequence of frames for one connection: a few that may be answered, then maybe one that cannot be. */
function script(): Array<{ kind: Kind; body: Uint8Array; size: number }> {
  const n = 1 + rand(FRAMES_PER_CONNECTION_MAX);
  const out: Array<{ kind: Kind; body: Uint8Array; size: number }> = [];
  for (let i = 0; i < n; i++) {
    const kind = KINDS[rand(KINDS.length)]!;
    const f = hostile(kind);
    out.push({ kind, body: f.body, size: f.size < -1 || f.size >= 0 ? f.size : f.body.length });
    if (f.last) break;
  }
  return out;
}

function tcpConnection(port: number): Promise<void> {
  return new Promise((resolve) => {
    counts.tcpConnections++;
    const frames = script();
    const s = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      counts.stuck++;
      s.destroy();
    }, CONNECTION_TIMEOUT_MS);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        counts.answered++;
        buf = buf.subarray(4 + buf.readInt32BE(0));
      }
    });
    s.on('error', () => {});
    s.on('end', () => counts.closedByBroker++);
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('connect', () => {
      const parts: Uint8Array[] = [];
      for (const f of frames) {
        const head = new Uint8Array(4);
        new DataView(head.buffer).setInt32(0, f.size);
        parts.push(head, f.body);
        counts.framesWritten++;
        counts.byKind[f.kind] = (counts.byKind[f.kind] ?? 0) + 1;
      }
      s.end(Buffer.concat(parts));
    });
  });
}

function wsConnection(httpPort: number): Promise<void> {
  return new Promise((resolve) => {
    counts.wsConnections++;
    const frames = script();
    const ws = new WebSocket(`ws://127.0.0.1:${httpPort}/kafka`);
    const timer = setTimeout(() => {
      counts.stuck++;
      ws.terminate();
    }, CONNECTION_TIMEOUT_MS);
    ws.on('message', () => counts.answered++);
    ws.on('error', () => {});
    ws.on('close', (code) => {
      if (code !== 1005) counts.closedByBroker++;
      clearTimeout(timer);
      resolve();
    });
    ws.on('open', () => {
      // A WebSocket message is one frame: no size prefix, so the size kinds send the body as it is.
      for (const f of frames) {
        ws.send(rand(20) === 0 ? Buffer.from(f.body).toString('latin1') : f.body, { binary: true });
        counts.framesWritten++;
        counts.byKind[`ws-${f.kind}`] = (counts.byKind[`ws-${f.kind}`] ?? 0) + 1;
      }
      setTimeout(() => ws.close(1000), 50);
    });
  });
}

/** Raw bytes after a WebSocket handshake: broken framing (bad opcodes, lengths, no mask). */
function wsRawConnection(httpPort: number): Promise<void> {
  return new Promise((resolve) => {
    counts.wsConnections++;
    const s = connect({ host: '127.0.0.1', port: httpPort });
    // uWS leaves a connection that half-closes in the middle of a frame open until its
    // idle timeout (120 s): counted apart, and closed from this side.
    const timer = setTimeout(() => {
      counts.wsRawLeftOpen++;
      s.destroy();
    }, RAW_WAIT_MS);
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    s.on('connect', () => {
      s.write('GET /kafka HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      const junk = randomBytes(2 + rand(200));
      if (rand(2) === 0) junk[0] = 0x80 | rand(16); // FIN + some opcode
      counts.framesWritten++;
      counts.byKind['ws-raw-framing'] = (counts.byKind['ws-raw-framing'] ?? 0) + 1;
      setTimeout(() => s.end(junk), 5);
    });
  });
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? -1 : Number(m[1]) * 1024;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-hostile-'));
  const broker = await startBrokerProcess({ dataDir, settings: { 'socket.request.max.bytes': REQUEST_MAX_BYTES, 'auto.create.topics.enable': 'false' } });
  const started = performance.now();
  let ok = true;
  try {
    const c = await RawClient.connect(broker.kafkaPort);
    if ((await createTopic(c, KEEP_TOPIC, 2)) !== ErrorCode.NONE) throw new Error('create topic failed');
    const kept = [new Map<number, string>(), new Map<number, string>()];
    for (let i = 0; i < 200; i++) {
      const b = encodeRecordBatch([{ key: `k${i}`, value: `precious-${i}-${'z'.repeat(i % 97)}` }], { compression: (['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)[i % 5], timestamp: 1_700_000_000_000 + i });
      const r = await produce(c, KEEP_TOPIC, i % 2, b);
      if (r.errorCode !== ErrorCode.NONE) throw new Error(`produce: ${r.errorCode}`);
      kept[i % 2]!.set(r.baseOffset, contentHash(b));
    }
    c.close();
    const rssBefore = rssBytes(broker.child.pid!);
    let rssMax = rssBefore;
    let lastReport = started;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (counts.framesWritten < FRAMES && performance.now() - started < TIME_LIMIT_MS && broker.child.exitCode === null) {
        const x = rand(1000) / 1000;
        if (x < WS_SHARE * 0.1) await wsRawConnection(broker.httpPort);
        else if (x < WS_SHARE) await wsConnection(broker.httpPort);
        else await tcpConnection(broker.kafkaPort);
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          rssMax = Math.max(rssMax, rssBytes(broker.child.pid!));
          console.log(`  ${counts.framesWritten} frames, ${counts.tcpConnections} tcp + ${counts.wsConnections} ws connections, answered ${counts.answered}, stuck ${counts.stuck}, broker RSS ${(rssMax / 2 ** 20).toFixed(0)} MiB`);
        }
      }
    }));
    const alive = broker.child.exitCode === null && broker.child.signalCode === null;
    if (!alive) {
      ok = false;
      console.error(`BROKER DIED:\n${broker.stderrTail()}`);
    }
    const rssAfter = alive ? rssBytes(broker.child.pid!) : -1;
    rssMax = Math.max(rssMax, rssAfter);
    // Still serving, and the data written before is there byte for byte.
    let intact = false;
    if (alive) {
      const probe = await RawClient.connect(broker.kafkaPort);
      const v = await probe.request(ApiVersionsRequestCodec, ApiVersionsResponseCodec, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
      intact = v.errorCode === ErrorCode.NONE;
      for (const p of [0, 1]) {
        const got = await fetchAll(probe, KEEP_TOPIC, p);
        for (const [o, h] of kept[p]!) if (got.batches.get(o) !== h) intact = false;
      }
      probe.close();
    }
    if (!intact) ok = false;
    if (counts.stuck > 0) ok = false;
    const elapsedS = Math.round((performance.now() - started) / 1000);
    const summary = { ...counts, elapsedS, alive, dataIntact: intact, rssBeforeMiB: +(rssBefore / 2 ** 20).toFixed(1), rssMaxMiB: +(rssMax / 2 ** 20).toFixed(1), rssAfterMiB: +(rssAfter / 2 ** 20).toFixed(1) };
    console.log(JSON.stringify(summary, null, 2));
    if (opts['write-doc'] === true) writeDoc(summary);
  } finally {
    await broker.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(ok ? 'hostile campaign: 1 passed, 0 failed' : 'hostile campaign: 0 passed, 1 failed');
  process.exitCode = ok ? 0 : 1;
}

function writeDoc(s: typeof counts & { elapsedS: number; alive: boolean; dataIntact: boolean; rssBeforeMiB: number; rssMaxMiB: number; rssAfterMiB: number }): void {
  const begin = '<!-- hostile:begin -->';
  const end = '<!-- hostile:end -->';
  const body = [
    begin,
    `Last run: \`scripts/hostile-campaign --frames ${FRAMES} --connections ${CONNECTIONS} --write-doc\` on ${new Date().toISOString().slice(0, 10)} (${s.elapsedS} s).`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| frames written | ${s.framesWritten.toLocaleString('en-US')} |`,
    `| connections, TCP / WebSocket | ${s.tcpConnections.toLocaleString('en-US')} / ${s.wsConnections.toLocaleString('en-US')} |`,
    `| responses received | ${s.answered.toLocaleString('en-US')} |`,
    `| connections stuck (neither answered nor closed in 10 s) | ${s.stuck} |`,
    `| raw WebSocket connections half-closed mid-frame, left open by uWS (closed by the client after 1 s; uWS would at its 120 s idle timeout) | ${s.wsRawLeftOpen} |`,
    `| broker alive, data intact byte for byte | ${s.alive ? 'yes' : 'NO'}, ${s.dataIntact ? 'yes' : 'NO'} |`,
    `| broker RSS before / max / after, MiB | ${s.rssBeforeMiB} / ${s.rssMaxMiB} / ${s.rssAfterMiB} |`,
    `| frames by kind | ${Object.entries(s.byKind).sort().map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    end,
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) throw new Error('docs/reliability.md has no hostile markers');
  writeFileSync(DOC, doc.slice(0, i) + body + doc.slice(j + end.length));
}

await main();
