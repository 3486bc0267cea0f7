// Bounded under load (docs/reliability.md, "Memory under load"): a real broker process
// is given, at once, 10,000 idle TCP connections, 1,000 active ones producing small
// batches, slow consumers that pipeline large Fetches and never read, and producers
// of 1 MiB acks=-1 batches faster than the disk syncs; its RSS is sampled all along
// (and its VmHWM, the peak, read at the end). Then, with --soak-s, a soak at a fixed
// produce rate with RSS and produce latency reported per interval.
// Run: scripts/soak [--idle N] [--active N] [--slow N] [--fast N] [--phase-s S] [--soak-s S] [--soak-rate N] [--write-doc]
// Owns: its connections and the figures. Must not touch the broker's files.
import '../../src/compression/node-codecs.js';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { ErrorCode } from '../../src/wire/errors.js';
import { FetchRequestCodec } from '../../src/wire/schemas/01-fetch.js';
import { RawClient, encodeRequest } from '../kafka/harness.js';
import { startBrokerProcess } from './broker-process.js';
import { createTopic, produce } from './wire-client.js';

const { values: opts } = parseArgs({
  options: {
    idle: { type: 'string', default: '10000' },
    active: { type: 'string', default: '1000' },
    slow: { type: 'string', default: '200' },
    fast: { type: 'string', default: '32' },
    'phase-s': { type: 'string', default: '30' },
    'soak-s': { type: 'string', default: '0' },
    'soak-rate': { type: 'string', default: '2000' },
    'write-doc': { type: 'boolean', default: false },
  },
});
const IDLE = Number(opts.idle);
const ACTIVE = Number(opts.active);
const SLOW = Number(opts.slow);
const FAST = Number(opts.fast);
const PHASE_MS = Number(opts['phase-s']) * 1000;
const SOAK_MS = Number(opts['soak-s']) * 1000;
const SOAK_RATE = Number(opts['soak-rate']);
const DOC = fileURLToPath(new URL('../../../docs/reliability.md', import.meta.url));
const SLOW_FETCHES_PIPELINED = 64;
const SLOW_FETCH_BYTES = 50 * 1024 * 1024;
/** Per partition: the Java consumer's and kafkajs's default (max.partition.fetch.bytes). */
const SLOW_PARTITION_FETCH_BYTES = 1024 * 1024;
const FAST_BATCH_BYTES = 1024 * 1024;
const CONNECT_CONCURRENCY = 200;

const MiB = 2 ** 20;
function procStatus(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? -1) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

async function openIdle(port: number, n: number): Promise<Socket[]> {
  const out: Socket[] = [];
  let refused = 0;
  for (let i = 0; i < n; i += CONNECT_CONCURRENCY) {
    await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, n - i) }, () => new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        out.push(s);
        resolve();
      });
      s.on('error', () => {
        refused++;
        resolve();
      });
    })));
  }
  if (refused > 0) console.log(`  ${refused} idle connections refused`);
  return out;
}

function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-load-'));
  const broker = await startBrokerProcess({ dataDir, settings: { 'max.connections': IDLE + ACTIVE + SLOW + FAST + 100 }, nodeArgs: [] });
  const pid = broker.child.pid!;
  const samples: Array<{ phase: string; rss: number }> = [];
  let phase = 'start';
  const sampler = setInterval(() => samples.push({ phase, rss: procStatus(pid).rss }), 500);
  const figures: Record<string, string> = {};
  const stop = { now: false };
  const errorsByCode = new Map<number, number>();
  const loops: Array<Promise<void>> = [];
  try {
    const admin = await RawClient.connect(broker.kafkaPort);
    await createTopic(admin, 'load-small', 8);
    await createTopic(admin, 'load-big', 4, { 'segment.bytes': String(64 * MiB), 'retention.bytes': String(256 * MiB) });
    // Data for the slow consumers to ask for.
    const chunk = encodeRecordBatch([{ value: 'x'.repeat(FAST_BATCH_BYTES - 200) }]);
    for (let i = 0; i < 64; i++) await produce(admin, 'load-big', i % 4, chunk, 1);
    const base = procStatus(pid).rss;
    figures['RSS with topics, no clients'] = `${(base / MiB).toFixed(0)} MiB`;

    phase = 'idle';
    const idle = await openIdle(broker.kafkaPort, IDLE);
    await new Promise((r) => setTimeout(r, 2000));
    const withIdle = procStatus(pid).rss;
    figures[`RSS with ${idle.length} idle connections`] = `${(withIdle / MiB).toFixed(0)} MiB (${(((withIdle - base) / Math.max(1, idle.length)) / 1024).toFixed(1)} KiB each)`;

    // Slow consumers: pipelined 50 MiB Fetches, never read.
    phase = 'slow';
    const slow: Socket[] = await openIdle(broker.kafkaPort, SLOW);
    for (const s of slow) {
      s.pause();
      const frames: Buffer[] = [];
      for (let k = 0; k < SLOW_FETCHES_PIPELINED; k++) {
        const f = encodeRequest(FetchRequestCodec, 11, k + 1, {
          replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: SLOW_FETCH_BYTES, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: 'load-big', topicId: '00000000000000000000000000000000', partitions: [0, 1, 2, 3].map((p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: SLOW_PARTITION_FETCH_BYTES })) }],
          forgottenTopicsData: [], rackId: '',
        });
        const head = Buffer.alloc(4);
        head.writeInt32BE(f.byteLength);
        frames.push(head, Buffer.from(f));
      }
      s.write(Buffer.concat(frames));
    }
    await new Promise((r) => setTimeout(r, 5000));
    const withSlow = procStatus(pid).rss;
    figures[`RSS with ${slow.length} slow consumers (${SLOW_FETCHES_PIPELINED} pipelined Fetches of up to ${SLOW_FETCH_BYTES / MiB} MiB, 1 MiB per partition × 4, never read)`] = `${(withSlow / MiB).toFixed(0)} MiB`;

    // Active producers and producers faster than the disk, together, for a phase.
    phase = 'active';
    const small = encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })));
    let smallAcked = 0;
    let bigAcked = 0;
    const latencies: number[] = [];
    const activeClients = await Promise.all(Array.from({ length: ACTIVE }, () => RawClient.connect(broker.kafkaPort).catch(() => null)));
    const fastClients = await Promise.all(Array.from({ length: FAST }, () => RawClient.connect(broker.kafkaPort).catch(() => null)));
    const refusedActive = activeClients.filter((c) => c === null).length + fastClients.filter((c) => c === null).length;
    if (refusedActive > 0) figures['active connections refused'] = String(refusedActive);
    activeClients.forEach((c, i) => {
      if (c === null) return;
      loops.push((async () => {
        while (!stop.now) {
          const t0 = performance.now();
          const r = await produce(c, 'load-small', i % 8, small, 1).catch(() => null);
          if (r === null) return;
          latencies.push(performance.now() - t0);
          if (r.errorCode === ErrorCode.NONE) smallAcked++;
          else errorsByCode.set(r.errorCode, (errorsByCode.get(r.errorCode) ?? 0) + 1);
        }
      })());
    });
    fastClients.forEach((c, i) => {
      if (c === null) return;
      loops.push((async () => {
        while (!stop.now) {
          const r = await produce(c, 'load-big', i % 4, chunk, -1).catch(() => null);
          if (r === null) return;
          if (r.errorCode === ErrorCode.NONE) bigAcked++;
          else errorsByCode.set(r.errorCode, (errorsByCode.get(r.errorCode) ?? 0) + 1);
        }
      })());
    });
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, PHASE_MS));
    stop.now = true;
    await Promise.all(loops);
    const secs = (performance.now() - t0) / 1000;
    const peak = Math.max(...samples.map((s) => s.rss));
    figures[`${ACTIVE} active producers (10 × 100 B records, acks=1) + ${FAST} producing 1 MiB batches at acks=-1, ${Math.round(secs)} s`] =
      `${Math.round(smallAcked / secs)} small + ${Math.round(bigAcked / secs)} big produces/s; produce latency p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms; errors ${JSON.stringify(Object.fromEntries(errorsByCode))}`;
    figures['RSS sampled every 0.5 s: peak during the whole run'] = `${(peak / MiB).toFixed(0)} MiB`;
    figures['VmHWM (peak RSS) at the end'] = `${(procStatus(pid).hwm / MiB).toFixed(0)} MiB`;
    for (const c of [...activeClients, ...fastClients]) c?.close();
    for (const s of [...idle, ...slow]) s.destroy();
    await new Promise((r) => setTimeout(r, 3000));
    figures['RSS after every client left'] = `${(procStatus(pid).rss / MiB).toFixed(0)} MiB`;

    if (SOAK_MS > 0) {
      phase = 'soak';
      figures[`soak: ${SOAK_RATE} produces/s of 10 × 100 B (acks=-1) for ${SOAK_MS / 1000} s`] = await soak(broker.kafkaPort, pid);
    }
    const alive = broker.child.exitCode === null;
    figures['broker alive at the end'] = alive ? 'yes' : 'NO';
    admin.close();
  } finally {
    clearInterval(sampler);
    await broker.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
  for (const [k, v] of Object.entries(figures)) console.log(`${k}: ${v}`);
  if (opts['write-doc'] === true) writeDoc(figures);
}

/** A fixed produce rate from 50 connections; RSS and latency per tenth of the run. */
async function soak(port: number, pid: number): Promise<string> {
  const clients = await Promise.all(Array.from({ length: 50 }, () => RawClient.connect(port)));
  const small = encodeRecordBatch(Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(100) })));
  const rows: string[] = [];
  const slices = 10;
  const sliceMs = SOAK_MS / slices;
  const perClientIntervalMs = (1000 * clients.length) / SOAK_RATE;
  for (let s = 0; s < slices; s++) {
    const lat: number[] = [];
    const end = performance.now() + sliceMs;
    await Promise.all(clients.map(async (c, i) => {
      let next = performance.now() + (i * perClientIntervalMs) / clients.length;
      while (performance.now() < end) {
        const wait = next - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        next += perClientIntervalMs;
        const t0 = performance.now();
        await produce(c, 'load-small', i % 8, small, -1);
        lat.push(performance.now() - t0);
      }
    }));
    rows.push(`${(procStatus(pid).rss / MiB).toFixed(0)} MiB, ${Math.round(lat.length / (sliceMs / 1000))}/s, p50 ${percentile(lat, 0.5).toFixed(1)} / p99 ${percentile(lat, 0.99).toFixed(1)} ms`);
    console.log(`  soak ${s + 1}/${slices}: ${rows[rows.length - 1]} (${lat.length} produces)`);
  }
  for (const c of clients) c.close();
  return rows.map((r, i) => `${i + 1}: ${r}`).join('<br>');
}

function writeDoc(figures: Record<string, string>): void {
  // A soak-only run (no load phases) has its own table.
  const section = SOAK_MS > 0 && IDLE + ACTIVE + SLOW + FAST === 0 ? 'soak' : 'load';
  const begin = `<!-- ${section}:begin -->`;
  const end = `<!-- ${section}:end -->`;
  const body = [
    begin,
    `Last run: \`scripts/soak --idle ${IDLE} --active ${ACTIVE} --slow ${SLOW} --fast ${FAST} --phase-s ${PHASE_MS / 1000} --soak-s ${SOAK_MS / 1000} --write-doc\` on ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| what | measured |',
    '| --- | --- |',
    ...Object.entries(figures).map(([k, v]) => `| ${k} | ${v} |`),
    end,
  ].join('\n');
  const doc = readFileSync(DOC, 'utf8');
  const i = doc.indexOf(begin);
  const j = doc.indexOf(end);
  if (i < 0 || j < 0) throw new Error('docs/reliability.md has no load markers');
  writeFileSync(DOC, doc.slice(0, i) + body + doc.slice(j + end.length));
}

await main();
