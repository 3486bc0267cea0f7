// What fetch sessions (KIP-227) save an idle consumer of many partitions: `samsa
// serve` in its own process (this build, or --broker-cli for an A/B run against a
// build without sessions), one topic of P partitions with nothing in it, and Samsa's
// consumer assigned to all of them from latest, long-polling for --seconds. A
// counting TCP proxy sits between them (the broker advertises the proxy's port) and
// attributes every request and response byte to its API by correlation id; the
// broker's CPU comes from /proc/<pid>/stat over the same window.
// Prints: Fetch requests, request and response bytes per Fetch, broker CPU ms per
// second and per Fetch, and the broker's samsa_fetch_incremental_total.
// Owns: nothing but this measurement. Must not import the broker (it is a separate process).
//
// Usage: node dist/bench/fetch-sessions.bench.js [--partitions 1000] [--seconds 20]
//          [--max-wait-ms 500] [--broker-cli PATH]

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Admin, Consumer } from '../src/client/index.js';

const { values: args } = parseArgs({
  options: {
    partitions: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '20' },
    'max-wait-ms': { type: 'string', default: '500' },
    'broker-cli': { type: 'string' },
  },
});
const P = Number(args.partitions);
const SECONDS = Number(args.seconds);
const MAX_WAIT_MS = Number(args['max-wait-ms']);
for (const [k, v] of [['partitions', P], ['seconds', SECONDS], ['max-wait-ms', MAX_WAIT_MS]] as const) {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`--${k} wants a positive integer`);
}
const CLK_TCK = 100;
const FETCH = 1;

interface ApiCount {
  requests: number;
  requestBytes: number;
  responses: number;
  responseBytes: number;
}

/** Splits a byte stream into Kafka frames (4-byte size prefix) and calls `onFrame` with each whole frame. */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (chunk) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    // Each step consumes one whole frame: bounded by the bytes received.
    while (buf.length >= 4) {
      const size = buf.readInt32BE(0);
      if (buf.length < 4 + size) break;
      onFrame(buf.subarray(0, 4 + size));
      buf = buf.subarray(4 + size);
    }
  };
}

/** A TCP proxy to `target` that counts request and response bytes per API key. */
async function countingProxy(targetPort: () => number): Promise<{ port: number; counts: Map<number, ApiCount>; close(): void }> {
  const counts = new Map<number, ApiCount>();
  const count = (key: number): ApiCount => {
    let c = counts.get(key);
    if (c === undefined) counts.set(key, (c = { requests: 0, requestBytes: 0, responses: 0, responseBytes: 0 }));
    return c;
  };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort() });
    sockets.add(client).add(upstream);
    const pending = new Map<number, number>();
    client.on('data', framer((f) => {
      const key = f.readInt16BE(4);
      pending.set(f.readInt32BE(8), key);
      const c = count(key);
      c.requests++;
      c.requestBytes += f.length;
    }));
    upstream.on('data', framer((f) => {
      const id = f.readInt32BE(4);
      const c = count(pending.get(id) ?? -1);
      pending.delete(id);
      c.responses++;
      c.responseBytes += f.length;
    }));
    client.pipe(upstream);
    upstream.pipe(client);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

async function main(): Promise<void> {
  let brokerPort = 0;
  const proxy = await countingProxy(() => brokerPort);
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-fetch-sessions-bench-'));
  const cli = args['broker-cli'] ?? new URL('../src/cli/main.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--port', '0', '--http-port', '0', '--log-level', 'warn', '--set', `advertised.listeners=PLAINTEXT://127.0.0.1:${proxy.port}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = await new Promise<{ kafka: number; http: string }>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const k = /kafka=[^\s:]+:(\d+)/.exec(out);
      const h = /http=([^\s:]+):(\d+)/.exec(out);
      if (k !== null && h !== null) resolve({ kafka: Number(k[1]), http: `http://127.0.0.1:${h[2]}` });
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  brokerPort = ready.kafka;
  const bootstrap = `127.0.0.1:${proxy.port}`;
  const incremental = async (): Promise<number | null> => {
    const m = /^samsa_fetch_incremental_total (\d+)/m.exec(await (await fetch(`${ready.http}/metrics`)).text());
    return m === null ? null : Number(m[1]);
  };
  const admin = new Admin({ bootstrap });
  const consumer = new Consumer({ bootstrap, maxWaitMs: MAX_WAIT_MS, autoOffsetReset: 'latest' });
  try {
    await admin.createTopics([{ name: 'idle', numPartitions: P }]);
    await consumer.assign([{ topic: 'idle' }]);
    const it = consumer[Symbol.asyncIterator]();
    void it.next(); // starts the fetch loop; nothing is ever produced
    // Warm-up: positions resolved, the first (full) fetches done.
    await new Promise((r) => setTimeout(r, 3 * MAX_WAIT_MS + 1000));
    const before = structuredClone(proxy.counts.get(FETCH) ?? { requests: 0, requestBytes: 0, responses: 0, responseBytes: 0 });
    const incBefore = await incremental();
    const cpu0 = cpuMs(child.pid!);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    const cpu1 = cpuMs(child.pid!);
    const elapsedS = (performance.now() - t0) / 1000;
    const after = proxy.counts.get(FETCH)!;
    const incAfter = await incremental();
    const fetches = after.responses - before.responses;
    const result = {
      broker: args['broker-cli'] ?? 'this build',
      partitions: P,
      maxWaitMs: MAX_WAIT_MS,
      seconds: Number(elapsedS.toFixed(1)),
      fetches,
      requestBytesPerFetch: Math.round((after.requestBytes - before.requestBytes) / Math.max(1, after.requests - before.requests)),
      responseBytesPerFetch: Math.round((after.responseBytes - before.responseBytes) / Math.max(1, fetches)),
      brokerCpuMsPerSecond: Number(((cpu1 - cpu0) / elapsedS).toFixed(1)),
      brokerCpuMsPerFetch: Number(((cpu1 - cpu0) / Math.max(1, fetches)).toFixed(2)),
      incrementalFetches: incAfter === null || incBefore === null ? 'n/a (no metric)' : incAfter - incBefore,
    };
    console.log(JSON.stringify(result));
  } finally {
    await consumer.close();
    await admin.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    proxy.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
