// Test harness: a real engine on a temporary directory with the Kafka TCP listener
// on a free port, and a minimal raw client speaking our codecs over TCP.
// Owns: test-only helpers. Must not be imported from src/.

import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SamsaEngine, startEngine } from '../../src/broker/engine.js';
import type { MessageCodec } from '../../src/wire/codec/compile.js';
import { Reader } from '../../src/wire/codec/reader.js';
import { Writer } from '../../src/wire/codec/writer.js';
import { type KafkaTcpServer, type KafkaTcpServerOptions, startKafkaTcpServer } from '../../src/kafka/tcp-server.js';
import { RequestHeaderCodec, ResponseHeaderCodec, requestHeaderVersion, responseHeaderVersion } from '../../src/wire/schemas/headers.js';

export interface TestBroker {
  engine: SamsaEngine;
  server: KafkaTcpServer;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestBroker(opts: KafkaTcpServerOptions = {}): Promise<TestBroker> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-kafka-test-'));
  const engine = await startEngine({ dataDir, shards: 1, pin: false });
  const logger = process.env.SAMSA_TEST_LOG ? { warn: (o: object, m: string) => console.error(m, o), debug: (o: object, m: string) => console.error(m, o) } : undefined;
  // Groups form at once in tests (Kafka's 3 s initial delay would only slow them); a test of the delay passes its own.
  const server = await startKafkaTcpServer(engine, { host: '127.0.0.1', port: 0, groups: { initialRebalanceDelayMs: 0 }, ...(logger ? { logger } : {}), ...opts });
  const broker: TestBroker = {
    engine,
    server,
    port: server.port,
    dataDir,
    async close() {
      // The fields, not the first pair: a test may restart the broker in place.
      await broker.server.close();
      await broker.engine.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return broker;
}

/** Encodes a whole request frame (header + body, without the size prefix). */
export function encodeRequest<TIn extends object>(codec: MessageCodec<object, TIn>, version: number, correlationId: number, body: TIn, clientId: string | null = 'samsa-test'): Uint8Array {
  const w = new Writer();
  RequestHeaderCodec.encode(
    w,
    { requestApiKey: codec.def.apiKey, requestApiVersion: version, correlationId, clientId },
    requestHeaderVersion(codec.isFlexible(version)),
  );
  codec.encode(w, body, version);
  return w.finish();
}

/** Decodes a response frame (without the size prefix); returns correlation id and body. */
export function decodeResponse<T extends object>(codec: MessageCodec<T, object>, version: number, frame: Uint8Array): { correlationId: number; body: T } {
  const r = new Reader(frame);
  const { correlationId } = ResponseHeaderCodec.decode(r, responseHeaderVersion(codec.def.apiKey, codec.isFlexible(version)));
  const body = codec.decode(r, version);
  if (r.remaining() !== 0) throw new Error(`${r.remaining()} trailing bytes in ${codec.def.name} v${version}`);
  return { correlationId, body };
}

/** A minimal Kafka client over TCP for tests: pipelined requests, frames in order. */
export class RawClient {
  readonly socket: Socket;
  private parts: Uint8Array[] = [];
  private partsBytes = 0;
  private readonly frames: Uint8Array[] = [];
  private readonly waiters: Array<(f: Uint8Array | null) => void> = [];
  private ended = false;
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        for (const w of this.waiters.splice(0)) w(null);
        resolve();
      });
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  /** Over a socket the caller opens (e.g. node:tls), once it emits `readyEvent`. */
  static connectWith(open: () => Socket, readyEvent: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = open();
      s.once(readyEvent, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private onData(chunk: Uint8Array): void {
    // Chunks are gathered and joined once a whole frame is there (no quadratic copying).
    this.parts.push(chunk);
    this.partsBytes += chunk.byteLength;
    for (;;) {
      if (this.partsBytes < 4) return;
      if (this.parts[0]!.byteLength < 4) this.join();
      const head = this.parts[0]!;
      const size = new DataView(head.buffer, head.byteOffset).getInt32(0);
      if (this.partsBytes < 4 + size) return;
      this.join();
      const all = this.parts[0]!;
      const frame = all.slice(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.parts = rest.byteLength > 0 ? [rest] : [];
      this.partsBytes = rest.byteLength;
      const w = this.waiters.shift();
      if (w !== undefined) w(frame);
      else this.frames.push(frame);
    }
  }

  private join(): void {
    if (this.parts.length <= 1) return;
    const all = new Uint8Array(this.partsBytes);
    let p = 0;
    for (const part of this.parts) {
      all.set(part, p);
      p += part.byteLength;
    }
    this.parts = [all];
  }

  /** Next response frame, or null when the connection closed first. */
  nextFrame(): Promise<Uint8Array | null> {
    const f = this.frames.shift();
    if (f !== undefined) return Promise.resolve(f);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  writeRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Writes one frame with its size prefix. */
  sendFrame(frame: Uint8Array): void {
    const prefix = Buffer.alloc(4);
    prefix.writeInt32BE(frame.byteLength);
    this.socket.write(Buffer.concat([prefix, frame]));
  }

  /** Sends a request without waiting; returns its correlation id. */
  send<T extends object>(codec: MessageCodec<T>, version: number, body: T): number {
    const id = this.nextCorrelationId++;
    this.sendFrame(encodeRequest(codec, version, id, body));
    return id;
  }

  async request<ReqIn extends object, Res extends object>(req: MessageCodec<object, ReqIn>, res: MessageCodec<Res, object>, version: number, body: ReqIn): Promise<Res> {
    const id = this.send(req, version, body);
    const frame = await this.nextFrame();
    if (frame === null) throw new Error(`connection closed before the ${req.def.name} v${version} response`);
    const decoded = decodeResponse(res, version, frame);
    if (decoded.correlationId !== id) throw new Error(`correlation id ${decoded.correlationId}, expected ${id}`);
    return decoded.body;
  }

  close(): void {
    this.socket.destroy();
  }
}
