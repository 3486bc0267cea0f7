// Kafka over WebSocket: one binary message carries one request or one response
// frame (the message boundary replaces TCP's size prefix). Owns: the socket and the
// frame size bound. Uses the platform's WebSocket (browsers, Node ≥ 22) and
// otherwise loads the `ws` package lazily; must not import Node built-ins at its top.

import { ConnectionError } from './errors.js';
import type { Transport, TransportOptions } from './transport.js';

/** The part of the WHATWG WebSocket (and of `ws`) this transport uses. */
interface WebSocketLike {
  binaryType: string;
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code?: number; reason?: unknown }) => void) | null;
  onerror: ((ev: { message?: string }) => void) | null;
}

type WebSocketCtor = new (url: string, protocols?: string | string[], options?: WsOptions) => WebSocketLike;

/** Options of the `ws` package's client (ignored by the WHATWG constructor, which is not given them). */
interface WsOptions {
  perMessageDeflate: boolean;
  maxPayload: number;
  generateMask: (mask: Uint8Array) => void;
}

/**
 * An all-zero masking key. RFC 6455 masking exists so that script in a browser
 * cannot make a client send chosen bytes to a proxy (cache poisoning); a Node
 * process sending its own Kafka frames is not that case, and ws skips the XOR pass
 * over every byte for a zero key (measured: the largest cost of producing over ws).
 * Browsers always mask with their own random keys.
 */
function zeroMask(mask: Uint8Array): void {
  mask.fill(0);
}

let ctorPromise: Promise<{ ctor: WebSocketCtor; isWs: boolean }> | null = null;

function webSocketCtor(): Promise<{ ctor: WebSocketCtor; isWs: boolean }> {
  ctorPromise ??= (async () => {
    const global = (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (typeof global === 'function') return { ctor: global, isWs: false };
    try {
      const specifier = 'ws';
      const mod = (await import(specifier)) as { default?: unknown; WebSocket?: unknown };
      const ctor = (mod.WebSocket ?? mod.default) as WebSocketCtor | undefined;
      if (typeof ctor !== 'function') throw new Error('the ws package exports no WebSocket');
      return { ctor, isWs: true };
    } catch (err) {
      ctorPromise = null;
      throw new ConnectionError(`websocket: no WebSocket here and the ws package does not load (${(err as Error).message})`);
    }
  })();
  return ctorPromise;
}

class WebSocketTransport implements Transport {
  private readonly ws: WebSocketLike;
  private readonly maxFrameBytes: number;
  private closed = false;
  onFrame: (frame: Uint8Array) => void = () => {};
  onClose: (err: Error | null) => void = () => {};

  constructor(ws: WebSocketLike, maxFrameBytes: number) {
    this.ws = ws;
    this.maxFrameBytes = maxFrameBytes;
    ws.onmessage = (ev) => this.onMessage(ev.data);
    ws.onerror = (ev) => this.finish(new ConnectionError(`websocket: ${ev.message ?? 'error'}`));
    ws.onclose = (ev) => this.finish(new ConnectionError(`websocket: closed by the broker (code ${ev.code ?? '?'})`));
  }

  send(chunks: readonly Uint8Array[], byteLength: number): void {
    if (this.closed) throw new ConnectionError('websocket: send on a closed connection');
    let frame: Uint8Array;
    if (chunks.length === 1) frame = chunks[0]!;
    else {
      frame = new Uint8Array(byteLength);
      let p = 0;
      for (const c of chunks) {
        frame.set(c, p);
        p += c.byteLength;
      }
    }
    this.ws.send(frame);
  }

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.ws.close(1000, 'client closed');
    } catch {
      // already closing
    }
    this.finish(null);
  }

  private finish(err: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.ws.onmessage = null;
    try {
      this.ws.close();
    } catch {
      // already closed
    }
    this.onClose(err);
  }

  private onMessage(data: unknown): void {
    if (this.closed) return;
    let frame: Uint8Array;
    if (data instanceof Uint8Array) frame = data;
    else if (data instanceof ArrayBuffer) frame = new Uint8Array(data);
    else {
      this.finish(new ConnectionError('websocket: a non-binary message from the broker'));
      return;
    }
    if (frame.byteLength < 4 || frame.byteLength > this.maxFrameBytes) {
      this.finish(new ConnectionError(`websocket: response frame of ${frame.byteLength} bytes (bound ${this.maxFrameBytes})`));
      return;
    }
    this.onFrame(frame);
  }
}

export async function openWebSocketTransport(url: string, opts: TransportOptions): Promise<Transport> {
  if (!/^wss?:\/\//.test(url)) throw new TypeError(`url must start with ws:// or wss://, got ${JSON.stringify(url)}`);
  const { ctor, isWs } = await webSocketCtor();
  // ws: no permessage-deflate (record batches are compressed by their codec, if at all).
  const ws = isWs ? new ctor(url, undefined, { perMessageDeflate: false, maxPayload: opts.maxFrameBytes, generateMask: zeroMask }) : new ctor(url);
  // `ws` hands Buffers (Uint8Array views, no copy) with its default binaryType;
  // the WHATWG WebSocket needs 'arraybuffer' (its default is Blob).
  if (!isWs) ws.binaryType = 'arraybuffer';
  return new Promise<Transport>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.onopen = ws.onerror = ws.onclose = null;
      try {
        ws.close();
      } catch {
        // not open
      }
      reject(new ConnectionError(`websocket: connecting to ${url} timed out after ${opts.connectTimeoutMs} ms`));
    }, opts.connectTimeoutMs);
    ws.onerror = (ev) => {
      clearTimeout(timer);
      ws.onopen = ws.onerror = ws.onclose = null;
      reject(new ConnectionError(`websocket: cannot connect to ${url}: ${ev.message ?? 'error'}`));
    };
    ws.onclose = (ev) => {
      clearTimeout(timer);
      ws.onopen = ws.onerror = ws.onclose = null;
      reject(new ConnectionError(`websocket: ${url} closed before opening (code ${ev.code ?? '?'})`));
    };
    ws.onopen = () => {
      clearTimeout(timer);
      resolve(new WebSocketTransport(ws, opts.maxFrameBytes));
    };
  });
}
