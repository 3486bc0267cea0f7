// Kafka over TCP for the Node client: node:net, 4-byte big-endian size prefix.
// Owns: the socket, framing of requests and responses, and the bound on a response
// frame's size. Must not parse frames (connection.ts does). Node only: registered
// by the Node entry (client/index.ts) into transport.ts's slot.
//
// A response frame that arrives whole inside one socket chunk is handed on as a
// view of that chunk (Node allocates a fresh buffer per read, so views stay valid);
// a frame split across chunks is gathered into one fresh array of its exact size.

import { type Socket, connect, isIP } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ConnectionError } from './errors.js';
import type { Transport, TransportOptions } from './transport.js';
import { invariantFailed } from '../wire/assert.js';

const SIZE_PREFIX_BYTES = 4;

class TcpTransport implements Transport {
  private readonly socket: Socket;
  private readonly maxFrameBytes: number;
  private readonly head = new Uint8Array(SIZE_PREFIX_BYTES);
  private headFill = 0;
  private frame: Uint8Array | null = null;
  private frameFill = 0;
  private closed = false;
  onFrame: (frame: Uint8Array) => void = () => {};
  onClose: (err: Error | null) => void = () => {};

  constructor(socket: Socket, maxFrameBytes: number) {
    this.socket = socket;
    this.maxFrameBytes = maxFrameBytes;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.finish(new ConnectionError(`tcp: ${err.message}`)));
    socket.on('close', () => this.finish(new ConnectionError('tcp: connection closed by the broker')));
  }

  send(chunks: readonly Uint8Array[], byteLength: number): void {
    if (this.closed) throw new ConnectionError('tcp: send on a closed connection');
    // One copy into one buffer: a single write, and the caller may reuse its chunks.
    const out = Buffer.allocUnsafe(SIZE_PREFIX_BYTES + byteLength);
    out.writeInt32BE(byteLength, 0);
    let p = SIZE_PREFIX_BYTES;
    for (const c of chunks) {
      out.set(c, p);
      p += c.byteLength;
    }
    if (p !== out.length) invariantFailed(`tcp: frame chunks hold ${p - SIZE_PREFIX_BYTES} bytes, not ${byteLength}`);
    this.socket.write(out);
  }

  bufferedBytes(): number {
    return this.socket.writableLength;
  }

  close(): void {
    if (this.closed) return;
    this.socket.destroy();
    this.finish(null);
  }

  private finish(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.onClose(err);
  }

  private onData(chunk: Buffer): void {
    let pos = 0;
    const n = chunk.length;
    // Each step consumes at least one byte of the chunk or ends the loop.
    while (pos < n && !this.closed) {
      const frame = this.frame;
      if (frame !== null) {
        const take = Math.min(frame.length - this.frameFill, n - pos);
        frame.set(chunk.subarray(pos, pos + take), this.frameFill);
        this.frameFill += take;
        pos += take;
        if (this.frameFill === frame.length) {
          this.frame = null;
          this.onFrame(frame);
        }
        continue;
      }
      let size: number;
      if (this.headFill === 0 && n - pos >= SIZE_PREFIX_BYTES) {
        size = chunk.readInt32BE(pos);
        pos += SIZE_PREFIX_BYTES;
      } else {
        this.head[this.headFill++] = chunk[pos++]!;
        if (this.headFill < SIZE_PREFIX_BYTES) continue;
        this.headFill = 0;
        size = new DataView(this.head.buffer).getInt32(0);
      }
      if (size < 4 || size > this.maxFrameBytes) {
        this.finish(new ConnectionError(`tcp: response frame of ${size} bytes (bound ${this.maxFrameBytes})`));
        return;
      }
      if (n - pos >= size) {
        const whole = chunk.subarray(pos, pos + size);
        pos += size;
        this.onFrame(whole);
        continue;
      }
      // allocUnsafe: every byte is written before the frame is handed on (no zero fill needed).
      this.frame = Buffer.allocUnsafe(size);
      this.frameFill = 0;
    }
  }
}

export function openTcpTransport(host: string, port: number, opts: TransportOptions): Promise<Transport> {
  return new Promise<Transport>((resolve, reject) => {
    const t = opts.tls;
    // With TLS the connection is ready once the handshake is done (and the certificate checked).
    const socket: Socket =
      t === undefined
        ? connect({ host, port, noDelay: true })
        : tlsConnect({
            host,
            port,
            ...(t.servername !== undefined ? { servername: t.servername } : isIP(host) === 0 ? { servername: host } : {}),
            ...(t.ca !== undefined ? { ca: t.ca } : {}),
            ...(t.cert !== undefined ? { cert: t.cert } : {}),
            ...(t.key !== undefined ? { key: t.key } : {}),
            ...(t.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
            ...(t.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
          });
    socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(`tcp: connecting to ${host}:${port} timed out after ${opts.connectTimeoutMs} ms`));
    }, opts.connectTimeoutMs);
    const onError = (err: Error): void => {
      clearTimeout(timer);
      socket.destroy();
      // A TLS failure says so, with OpenSSL's reason (unknown CA, name mismatch, a
      // plaintext listener answering, a client certificate the broker wanted).
      const what = t === undefined ? '' : 'TLS handshake failed: ';
      reject(new ConnectionError(`tcp: cannot connect to ${host}:${port}: ${what}${err.message}`));
    };
    socket.once('error', onError);
    socket.once(t === undefined ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new TcpTransport(socket, opts.maxFrameBytes));
    });
  });
}
