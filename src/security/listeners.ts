// Kafka's listener model: `listeners`, `advertised.listeners` and
// `listener.security.protocol.map`, parsed into one list of listeners, each with a
// name, a security protocol, the address it binds and the address it advertises.
// Owns: the parsing and the checks Kafka makes (unique names, unique non-zero
// ports, every name mapped to a protocol, every advertised name a listener).
// Must not open sockets (kafka/tcp-server.ts does) nor read certificate files.

export const SECURITY_PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type SecurityProtocol = (typeof SECURITY_PROTOCOLS)[number];

/** Kafka's default listener.security.protocol.map: each protocol's name maps to itself. */
export const DEFAULT_PROTOCOL_MAP = SECURITY_PROTOCOLS.map((p) => `${p}:${p}`).join(',');

/** How many listeners one broker may have: bounds the loops that start them. */
export const LISTENERS_MAX = 16;

export interface ListenerSpec {
  /** The listener's name (`PLAINTEXT`, `SASL_SSL`, or a custom name mapped to one). */
  readonly name: string;
  readonly protocol: SecurityProtocol;
  /** Address to bind ('' = every interface, as Kafka's `PLAINTEXT://:9092`). */
  readonly host: string;
  /** Port to bind; 0 = a free one. */
  readonly port: number;
  /** Host clients are told to connect to. */
  readonly advertisedHost: string;
  /** Port clients are told to connect to; 0 = the port this listener bound. */
  readonly advertisedPort: number;
}

export function usesTls(p: SecurityProtocol): boolean {
  return p === 'SSL' || p === 'SASL_SSL';
}

export function usesSasl(p: SecurityProtocol): boolean {
  return p === 'SASL_PLAINTEXT' || p === 'SASL_SSL';
}

/** A listener setting is wrong; the message names the setting and the entry. */
export class ListenerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenerConfigError';
  }
}

const LISTENER_NAME = /^[A-Za-z0-9_]{1,64}$/;

interface Endpoint {
  name: string;
  host: string;
  port: number;
}

/** Parses "NAME://host:port,…" (IPv6 hosts in brackets; an empty host means every interface). */
export function parseEndpoints(value: string, setting: string): Endpoint[] {
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length > LISTENERS_MAX) throw new ListenerConfigError(`${setting}: at most ${LISTENERS_MAX} listeners, got ${entries.length}`);
  return entries.map((entry) => {
    const m = /^([^:/]+):\/\/(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(entry);
    if (m === null) throw new ListenerConfigError(`${setting}: expected NAME://host:port, got ${JSON.stringify(entry)}`);
    const name = m[1]!.toUpperCase();
    if (!LISTENER_NAME.test(name)) throw new ListenerConfigError(`${setting}: listener name ${JSON.stringify(m[1])} must be letters, digits and _`);
    const port = Number(m[3]);
    if (port > 65535) throw new ListenerConfigError(`${setting}: port ${port} of ${name} is above 65535`);
    const rawHost = m[2]!;
    const host = rawHost.startsWith('[') ? rawHost.slice(1, -1) : rawHost;
    return { name, host, port };
  });
}

/** Parses "NAME:PROTOCOL,…" into a map (names upper-cased, as Kafka does). */
export function parseProtocolMap(value: string): Map<string, SecurityProtocol> {
  const out = new Map<string, SecurityProtocol>();
  const entries = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (entries.length > 4 * LISTENERS_MAX) throw new ListenerConfigError(`listener.security.protocol.map: too many entries (${entries.length})`);
  for (const entry of entries) {
    const i = entry.indexOf(':');
    const name = (i < 0 ? '' : entry.slice(0, i)).trim().toUpperCase();
    const proto = (i < 0 ? '' : entry.slice(i + 1)).trim().toUpperCase();
    if (!LISTENER_NAME.test(name) || !(SECURITY_PROTOCOLS as readonly string[]).includes(proto)) {
      throw new ListenerConfigError(`listener.security.protocol.map: expected NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}, got ${JSON.stringify(entry)}`);
    }
    if (out.has(name)) throw new ListenerConfigError(`listener.security.protocol.map: ${name} is mapped twice`);
    out.set(name, proto as SecurityProtocol);
  }
  return out;
}

export interface ListenerSettings {
  /** `listeners`; '' = `PLAINTEXT://{host}:{port}` (Samsa's `host` and `port` settings). */
  listeners: string;
  /** `advertised.listeners`; '' = each listener's own address. */
  advertisedListeners: string;
  /** `listener.security.protocol.map`. */
  protocolMap: string;
  /** Samsa's `host` and `port`, used when `listeners` is empty. */
  host: string;
  port: number;
  /** `advertised.host`: advertised for listeners bound to every interface ('' = localhost). */
  advertisedHost: string;
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

/** The listeners a broker starts, in the order given (the first is the primary one). */
export function resolveListeners(s: ListenerSettings): ListenerSpec[] {
  const endpoints = s.listeners.trim() === '' ? [{ name: 'PLAINTEXT', host: s.host, port: s.port }] : parseEndpoints(s.listeners, 'listeners');
  if (endpoints.length === 0) throw new ListenerConfigError('listeners: no listener given');
  const map = parseProtocolMap(s.protocolMap);
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const e of endpoints) {
    if (names.has(e.name)) throw new ListenerConfigError(`listeners: ${e.name} is listed twice`);
    names.add(e.name);
    if (e.port !== 0) {
      if (ports.has(e.port)) throw new ListenerConfigError(`listeners: port ${e.port} is used by two listeners`);
      ports.add(e.port);
    }
    if (!map.has(e.name)) throw new ListenerConfigError(`listeners: ${e.name} has no security protocol in listener.security.protocol.map`);
  }
  const advertised = new Map<string, Endpoint>();
  if (s.advertisedListeners.trim() !== '') {
    for (const a of parseEndpoints(s.advertisedListeners, 'advertised.listeners')) {
      if (!names.has(a.name)) throw new ListenerConfigError(`advertised.listeners: ${a.name} is not one of listeners`);
      if (advertised.has(a.name)) throw new ListenerConfigError(`advertised.listeners: ${a.name} is listed twice`);
      if (isWildcard(a.host)) throw new ListenerConfigError(`advertised.listeners: ${a.name} must name a host clients can reach, not ${JSON.stringify(a.host)}`);
      advertised.set(a.name, a);
    }
  }
  const fallbackHost = s.advertisedHost !== '' ? s.advertisedHost : 'localhost';
  return endpoints.map((e) => {
    const a = advertised.get(e.name);
    return {
      name: e.name,
      protocol: map.get(e.name)!,
      host: e.host,
      port: e.port,
      advertisedHost: a?.host ?? (isWildcard(e.host) ? fallbackHost : s.advertisedHost !== '' ? s.advertisedHost : e.host),
      advertisedPort: a?.port ?? e.port,
    };
  });
}

/** "NAME://host:port" as Kafka writes it (IPv6 in brackets). */
export function formatEndpoint(name: string, host: string, port: number): string {
  return `${name}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
