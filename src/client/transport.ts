// The byte pipe under a client connection: whole Kafka frames out and in, by TCP
// (4-byte size prefix) or WebSocket (one frame per binary message). Owns: the
// Transport contract and choosing an implementation from the connection target.
// Must not import Node built-ins: the TCP implementation is loaded with a dynamic
// import only when a `bootstrap` address is used, so a browser bundle that uses
// `url` never evaluates node:net.

export interface Transport {
  /** Sends one request frame (header + body, no size prefix), given as chunks. */
  send(chunks: readonly Uint8Array[], byteLength: number): void;
  /** Bytes handed to send() that the OS has not taken yet. */
  bufferedBytes(): number;
  /** Closes the pipe; onClose follows (once). */
  close(): void;
  /** One response frame (no size prefix). The array is the receiver's to keep. */
  onFrame: (frame: Uint8Array) => void;
  /** Called once, when the pipe is closed for any reason (err null: closed by us). */
  onClose: (err: Error | null) => void;
}

export interface TransportOptions {
  connectTimeoutMs: number;
  /** Larger response frames close the connection before anything is allocated for them. */
  maxFrameBytes: number;
}

/** A connection target: `bootstrap` ("host:port", TCP) or `url` ("ws://host:port/kafka"). */
export interface TransportTarget {
  bootstrap?: string;
  url?: string;
}

export type TransportFactory = (target: TransportTarget, opts: TransportOptions) => Promise<Transport>;

/** Parses "host:port" (IPv6 as "[::1]:9092"). */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new TypeError(`bootstrap must be "host:port", got ${JSON.stringify(s)}`);
  }
  return { host: m[1]!, port };
}

/** Opens the transport the target names. */
export const openTransport: TransportFactory = async (target, opts) => {
  if (target.url !== undefined) {
    const ws = await import('./ws-transport.js');
    return ws.openWebSocketTransport(target.url, opts);
  }
  if (target.bootstrap !== undefined) {
    const { host, port } = parseHostPort(target.bootstrap);
    const tcp = await import('./tcp-transport.js');
    return tcp.openTcpTransport(host, port, opts);
  }
  throw new TypeError('a client needs `bootstrap` ("host:port") or `url` ("ws://host:port/kafka")');
};
