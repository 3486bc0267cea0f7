// The byte pipe under a client connection: whole Kafka frames out and in, by TCP
// (4-byte size prefix) or WebSocket (one frame per binary message). Owns: the
// Transport contract, host:port parsing, and the slot where the Node entry
// registers TCP. Must not import Node built-ins or any implementation: the TCP
// transport (node:net) is registered by client/index.ts, so a browser bundle never
// reaches it; open-transport.ts picks an implementation for a target.

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
  /** TLS for `bootstrap` targets (SSL / SASL_SSL listeners); absent = plain TCP. Node only. */
  tls?: ClientTlsOptions;
}

/** TLS settings for a TCP target, as PEM text (librdkafka's ssl.*.location files, read by the caller). */
export interface ClientTlsOptions {
  /** CA certificates the broker's certificate must chain to (default: the system's). */
  ca?: string;
  /** Client certificate and key, for listeners with ssl.client.auth. */
  cert?: string;
  key?: string;
  /** Passphrase of an encrypted client key. */
  passphrase?: string;
  /** Name checked against the broker's certificate (default: the host connected to). */
  servername?: string;
  /**
   * Check that the broker's certificate names the host connected to (default true;
   * Kafka's ssl.endpoint.identification.algorithm=https). False is Kafka's empty
   * value: the chain is still verified against `ca`, the name is not.
   */
  checkHostname?: boolean;
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

/** Splits "host:port[,host:port…]" and checks each address; throws TypeError naming a bad one. */
export function parseBootstrapList(bootstrap: string): string[] {
  const list = bootstrap
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new TypeError(`bootstrap must be "host:port[,host:port…]", got ${JSON.stringify(bootstrap)}`);
  for (const a of list) parseHostPort(a);
  return list;
}

/** Opens a TCP pipe to host:port; registered by the Node entry (client/index.ts). */
export type TcpOpener = (host: string, port: number, opts: TransportOptions) => Promise<Transport>;

let tcpOpener: TcpOpener | null = null;

/** Makes `bootstrap` targets work: the Node entry registers node:net's TCP here; a browser has none. */
export function registerTcpTransport(open: TcpOpener): void {
  tcpOpener = open;
}

/** The registered TCP opener, or null (the browser entry alone). */
export function tcpTransport(): TcpOpener | null {
  return tcpOpener;
}
