// Broker configuration: the settings table, and merging flags > SAMSA_* environment
// > config file > built-in defaults. Owns: names, types, ranges and defaults of
// every broker-only setting (Kafka's names where Kafka has one); the topic-level
// ones (segment.bytes …, the defaults of new topics) come from the one topic table,
// src/config/topic-config.ts, and are only listed here. Must not start anything.
// An unknown or invalid setting stops start-up with a message naming it.

import { readFileSync } from 'node:fs';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { PARTITIONS_MAX } from '../wire/topic-name.js';
import {
  APPLIED_TOPIC_CONFIG_NAMES,
  type AppliedTopicConfig,
  type AppliedTopicConfigName,
  TOPIC_SETTINGS,
  isTopicConfigName,
  parseTopicSetting,
} from './topic-config.js';

type Kind = 'int' | 'bool' | 'string' | 'level' | 'topic';

interface Setting {
  kind: Kind;
  default: number | boolean | string;
  min?: number;
  max?: number;
  /** For strings: the only values accepted. */
  choices?: readonly string[];
  /** A password or key: never echoed in an error message. */
  secret?: boolean;
  doc: string;
}

/** Shard threads a broker may start (the engine checks the same bound). */
export const SHARDS_MAX = 256;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A topic setting as a broker setting: its value is the default of new topics. */
type TopicAsBrokerSetting = { readonly kind: 'topic'; readonly default: number | string; readonly doc: string };

// Only the settings Samsa applies: the passive ones (min.insync.replicas …) are per-topic only.
const TOPIC_DEFAULT_SETTINGS = Object.fromEntries(
  APPLIED_TOPIC_CONFIG_NAMES.map((k) => [k, { kind: 'topic', default: TOPIC_SETTINGS[k].default, doc: TOPIC_SETTINGS[k].doc }]),
) as Record<AppliedTopicConfigName, TopicAsBrokerSetting>;

const BROKER_SETTINGS = {
  'log.dirs': { kind: 'string', default: './data', doc: 'data directory (Kafka: log.dirs; one directory)' },
  'host': { kind: 'string', default: '127.0.0.1', doc: 'address the listeners bind to' },
  'port': { kind: 'int', default: 9092, min: 0, max: 65535, doc: 'Kafka protocol TCP port (0 = pick a free one)' },
  'http.port': { kind: 'int', default: 8080, min: 0, max: 65535, doc: 'HTTP + WebSocket port (0 = pick a free one)' },
  'advertised.host': { kind: 'string', default: '', doc: 'host name clients are told to connect to (default: host)' },
  'shards': { kind: 'int', default: 0, min: 0, max: SHARDS_MAX, doc: 'shard worker threads (0 = cores - 1, at least 1)' },
  'num.partitions': { kind: 'int', default: 1, min: 1, max: PARTITIONS_MAX, doc: 'partitions of auto-created topics' },
  'auto.create.topics.enable': { kind: 'bool', default: true, doc: 'create a topic on first Metadata/Produce that names it' },
  'group.initial.rebalance.delay.ms': { kind: 'int', default: 3000, min: 0, max: 300_000, doc: "an empty group's first rebalance waits this long for more members (each new one extends it, up to the rebalance timeout)" },
  'group.consumer.heartbeat.interval.ms': { kind: 'int', default: 5000, min: 100, max: 300_000, doc: 'how often a member of a consumer-protocol group (KIP-848) is told to heartbeat' },
  'group.consumer.session.timeout.ms': { kind: 'int', default: 45000, min: 1000, max: 1_800_000, doc: 'a consumer-protocol group member that does not heartbeat this long is removed and its partitions reassigned' },
  'group.consumer.assignors': { kind: 'string', default: 'uniform,range', doc: 'server-side assignors of consumer-protocol groups, the default first (a client may pick one with group.remote.assignor)' },
  'group.consumer.max.size': { kind: 'int', default: 1000, min: 1, max: 1_000_000, doc: 'members of one consumer-protocol group at most (GROUP_MAX_SIZE_REACHED beyond)' },
  'transaction.max.timeout.ms': { kind: 'int', default: 900000, min: 1, max: 2147483647, doc: 'the largest transaction.timeout.ms a transactional producer may ask for (INVALID_TRANSACTION_TIMEOUT above it)' },
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': { kind: 'int', default: 10000, min: 1, max: 2147483647, doc: 'how often transactions past their timeout are aborted (and unfinished markers retried)' },
  'transactional.id.expiration.ms': { kind: 'int', default: 604800000, min: 1, max: 2147483647, doc: 'a transactional id with no transaction in progress is forgotten after this long unused' },
  'log.retention.check.interval.ms': { kind: 'int', default: 300000, min: 10, doc: 'how often retention runs' },
  'log.cleaner.backoff.ms': { kind: 'int', default: 15000, min: 10, doc: 'how often compacted partitions are checked for sealed segments to clean' },
  'socket.request.max.bytes': { kind: 'int', default: 104857600, min: 1024, max: 2147483647, doc: 'largest Kafka request; larger closes the connection' },
  'socket.send.buffer.bytes': { kind: 'int', default: 102400, min: -1, max: 1073741823, doc: "SO_SNDBUF of Kafka TCP connections, as Kafka's (-1: the OS default, which Linux autotunes up to net.ipv4.tcp_wmem's maximum); a large zero-copy Fetch response then goes out in steps of this size rather than of a multi-MB autotuned buffer" },
  'consumer.instance.timeout.ms': { kind: 'int', default: 300000, min: 10, max: 86_400_000, doc: 'a REST Proxy consumer instance unused this long is deleted (it commits, if auto-committing, and leaves its group)' },
  'table.memory.bytes': { kind: 'int', default: 67108864, min: 1024, max: 2147483647, doc: "memory one topic's table view (GET /topics/{t}/table) may spend on its in-memory key map before it spills sorted runs to <log.dirs>/.tables" },
  'max.connections': { kind: 'int', default: 10000, min: 1, max: 1_000_000, doc: 'Kafka TCP connections at once over all listeners (listener.name.<name>.max.connections bounds one listener); one more is closed at accept' },
  'max.connections.per.ip': { kind: 'int', default: 2147483647, min: 1, max: 2147483647, doc: 'Kafka TCP connections at once from one client address, over all listeners; one more is closed at accept' },
  'queued.max.response.bytes': { kind: 'int', default: 268435456, min: 65536, max: Number.MAX_SAFE_INTEGER, doc: 'Fetch response bytes held in memory over all connections (being built, or unsent to clients that do not read); past it Fetches read nothing until they are sent (Samsa setting, after Kafka\'s queued.max.request.bytes)' },
  'max.incremental.fetch.session.cache.slots': { kind: 'int', default: 1000, min: 0, max: 1_000_000, doc: "incremental fetch sessions (KIP-227) kept at once; past it a new one takes the slot of a stale one, or of a smaller one older than 2 minutes, else the consumer fetches without a session (0: never)" },
  'listeners': { kind: 'string', default: '', doc: "Kafka listeners, e.g. PLAINTEXT://127.0.0.1:9092,SASL_SSL://0.0.0.0:9093 ('' = PLAINTEXT://{host}:{port}); the first is the one WebSocket clients are told about" },
  'advertised.listeners': { kind: 'string', default: '', doc: "addresses clients are told to use, per listener name ('' = each listener's own; a wildcard host advertises advertised.host or localhost)" },
  'listener.security.protocol.map': { kind: 'string', default: 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', doc: 'listener name → PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL' },
  'ssl.certificate.location': { kind: 'string', default: '', doc: "PEM certificate (chain) of SSL and SASL_SSL listeners and HTTPS" },
  'ssl.key.location': { kind: 'string', default: '', doc: 'PEM private key of that certificate' },
  'ssl.key.password': { kind: 'string', default: '', secret: true, doc: "passphrase of an encrypted private key ('' = none)" },
  'ssl.ca.location': { kind: 'string', default: '', doc: 'PEM CA bundle that client certificates must chain to (mutual TLS)' },
  'ssl.client.auth': { kind: 'string', default: 'none', choices: ['none', 'requested', 'required'], doc: 'client certificates on SSL listeners: none, requested (a verified one names the principal) or required' },
  'ssl.enabled.protocols': { kind: 'string', default: 'TLSv1.2,TLSv1.3', doc: 'TLS versions accepted' },
  'ssl.principal.mapping.rules': { kind: 'string', default: 'DEFAULT', doc: 'client certificate subject → principal: DEFAULT (the RFC 2253 subject) or RULE:pattern/replacement/[LU], comma-separated' },
  'sasl.enabled.mechanisms': { kind: 'string', default: 'SCRAM-SHA-256,SCRAM-SHA-512', doc: 'SASL mechanisms offered on SASL_PLAINTEXT and SASL_SSL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512' },
  'connections.max.reauth.ms': { kind: 'int', default: 0, min: 0, max: 2147483647, doc: 'an authenticated SASL session lasts this long before the client must re-authenticate (KIP-368); 0 = no limit' },
  'authorizer.class.name': { kind: 'string', default: '', choices: ['', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer'], doc: "'' = no ACLs (everything allowed); Kafka's StandardAuthorizer or AclAuthorizer name = ACLs enforced on every API" },
  'super.users': { kind: 'string', default: '', doc: 'principals allowed everything, semicolon-separated (User:admin;User:ops)' },
  'allow.everyone.if.no.acl.found': { kind: 'bool', default: false, doc: 'with ACLs on: a resource no ACL matches is open to everyone (true) or to super users only (false)' },
  'quota.window.num': { kind: 'int', default: 11, min: 2, max: 100, doc: 'samples kept to measure client quota rates' },
  'quota.window.size.seconds': { kind: 'int', default: 1, min: 1, max: 3600, doc: 'length of one quota sample' },
  'http.ssl.enable': { kind: 'bool', default: false, doc: 'serve HTTPS and WSS on http.port with the ssl.certificate.location / ssl.key.location files' },
  'http.auth': { kind: 'string', default: 'none', doc: "credentials on the HTTP/WebSocket port (all but /healthz): none, basic (the SCRAM users' passwords), bearer (tokens), or basic,bearer" },
  'http.auth.tokens.location': { kind: 'string', default: '', doc: "file of bearer tokens: one 'User:name <sha256 hex of the token>' per line (samsa users token writes them); re-read when it changes" },
  'access.control.allow.origin': { kind: 'string', default: '', doc: "origins the HTTP JSON API answers cross-origin (CORS): '' off, '*' any, or a comma-separated list" },
  'mirror.target': { kind: 'string', default: '', doc: "copy this broker's topics continuously to a Kafka-protocol cluster at host:port[,host:port…] ('' off; see docs/moving-to-a-cluster.md)" },
  'mirror.topics': { kind: 'string', default: '.*', doc: 'regular expression (whole name) of the topics mirror.target copies' },
  'mirror.sync.groups': { kind: 'bool', default: false, doc: "translate consumer groups' committed offsets onto mirror.target" },
  'mirror.groups': { kind: 'string', default: '.*', doc: 'regular expression (whole name) of the groups mirror.sync.groups translates' },
  'mirror.name': { kind: 'string', default: 'default', doc: "names the mirror's checkpoints on the target" },
  'log.level': { kind: 'level', default: 'info', doc: 'fatal | error | warn | info | debug | trace | silent' },
} as const satisfies Record<string, Setting>;

/** Every setting: the broker's own, then the topic-level defaults (Kafka's topic names). */
export const SETTINGS: Readonly<Record<keyof typeof BROKER_SETTINGS | AppliedTopicConfigName, Setting>> = { ...BROKER_SETTINGS, ...TOPIC_DEFAULT_SETTINGS };

export type SettingName = keyof typeof SETTINGS;

export interface BrokerConfig extends AppliedTopicConfig {
  'log.dirs': string;
  'host': string;
  'port': number;
  'http.port': number;
  'advertised.host': string;
  'shards': number;
  'num.partitions': number;
  'auto.create.topics.enable': boolean;
  'group.initial.rebalance.delay.ms': number;
  'group.consumer.heartbeat.interval.ms': number;
  'group.consumer.session.timeout.ms': number;
  'group.consumer.assignors': string;
  'group.consumer.max.size': number;
  'log.retention.check.interval.ms': number;
  'log.cleaner.backoff.ms': number;
  'transaction.max.timeout.ms': number;
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': number;
  'transactional.id.expiration.ms': number;
  'socket.request.max.bytes': number;
  'socket.send.buffer.bytes': number;
  'consumer.instance.timeout.ms': number;
  'table.memory.bytes': number;
  'max.connections': number;
  'max.connections.per.ip': number;
  'queued.max.response.bytes': number;
  'max.incremental.fetch.session.cache.slots': number;
  'access.control.allow.origin': string;
  'listeners': string;
  'advertised.listeners': string;
  'listener.security.protocol.map': string;
  'ssl.certificate.location': string;
  'ssl.key.location': string;
  'ssl.key.password': string;
  'ssl.ca.location': string;
  'ssl.client.auth': 'none' | 'requested' | 'required';
  'ssl.enabled.protocols': string;
  'ssl.principal.mapping.rules': string;
  'sasl.enabled.mechanisms': string;
  'connections.max.reauth.ms': number;
  'authorizer.class.name': string;
  'super.users': string;
  'allow.everyone.if.no.acl.found': boolean;
  'quota.window.num': number;
  'quota.window.size.seconds': number;
  'http.ssl.enable': boolean;
  'http.auth': string;
  'http.auth.tokens.location': string;
  'mirror.target': string;
  'mirror.topics': string;
  'mirror.sync.groups': boolean;
  'mirror.groups': string;
  'mirror.name': string;
  'log.level': (typeof LOG_LEVELS)[number];
}

export class ConfigError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.INVALID_CONFIG, message);
    this.name = 'ConfigError';
  }
}

export function isSettingName(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}

/**
 * Families of settings named by a prefix, as Kafka has them: `mirror.target.<client
 * property>` (the in-broker mirror's TLS / SASL towards its target, checked by the
 * client's property mapping when the mirror starts) and
 * `listener.name.<listener>.<setting>` (one listener's own TLS, SASL mechanisms and
 * connection bound, checked by listenerOverrides below when the broker starts).
 * Their values are kept as strings under the full name.
 */
export const SETTING_PREFIXES = ['mirror.target.', 'listener.name.'] as const;

function prefixOf(name: string): string | null {
  for (const p of SETTING_PREFIXES) if (name.startsWith(p) && name.length > p.length) return p;
  return null;
}

/** The settings of a prefix family, by the name after the prefix (e.g. 'security.protocol'). */
export function prefixedSettings(cfg: BrokerConfig, prefix: (typeof SETTING_PREFIXES)[number]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(cfg)) if (k.startsWith(prefix) && k.length > prefix.length) out[k.slice(prefix.length)] = String(v);
  return out;
}

/** The settings a listener may override, as `listener.name.<lowercased listener name>.<setting>` (Kafka's form). */
export const LISTENER_SETTINGS = [
  'ssl.certificate.location',
  'ssl.key.location',
  'ssl.key.password',
  'ssl.ca.location',
  'ssl.client.auth',
  'ssl.enabled.protocols',
  'ssl.principal.mapping.rules',
  'sasl.enabled.mechanisms',
  'max.connections',
] as const satisfies readonly SettingName[];
export type ListenerSettingName = (typeof LISTENER_SETTINGS)[number];

/** One listener's settings: its own value where `listener.name.<name>.<setting>` gives one, else the broker's. */
export type ListenerConfig = Pick<BrokerConfig, ListenerSettingName>;

/**
 * The settings of each listener (by its name as `listeners` writes it), with Kafka's
 * fallback to the unprefixed setting. ConfigError for a prefix naming no listener, a
 * setting a listener cannot override, or a bad value (a secret's value is not echoed).
 */
export function listenerOverrides(cfg: BrokerConfig, listenerNames: readonly string[]): Map<string, ListenerConfig> {
  const base = {} as Record<string, unknown>;
  for (const k of LISTENER_SETTINGS) base[k] = cfg[k];
  const out = new Map<string, ListenerConfig>();
  for (const n of listenerNames) out.set(n, { ...base } as ListenerConfig);
  for (const [rest, raw] of Object.entries(prefixedSettings(cfg, 'listener.name.'))) {
    const dot = rest.indexOf('.');
    const lname = dot < 0 ? rest : rest.slice(0, dot);
    const setting = dot < 0 ? '' : rest.slice(dot + 1);
    const full = `listener.name.${rest}`;
    const listener = listenerNames.find((n) => n.toLowerCase() === lname.toLowerCase());
    if (listener === undefined) throw new ConfigError(`'${full}': no listener named ${lname.toUpperCase()} in 'listeners' (${listenerNames.join(', ')})`);
    if (!(LISTENER_SETTINGS as readonly string[]).includes(setting)) {
      throw new ConfigError(`'${full}': a listener cannot override '${setting}' (it can: ${LISTENER_SETTINGS.join(', ')})`);
    }
    (out.get(listener) as unknown as Record<string, unknown>)[setting] = parseSetting(setting, raw, full);
  }
  return out;
}

/** Parses one value for one setting; throws ConfigError naming the setting and the source. */
export function parseSetting(name: string, raw: unknown, source: string): number | boolean | string {
  if (prefixOf(name) !== null) {
    if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') throw new ConfigError(`invalid value for '${name}' (from ${source}): expected a string`);
    return String(raw);
  }
  if (!isSettingName(name)) throw new ConfigError(`unknown setting '${name}' (from ${source})`);
  const s: Setting = SETTINGS[name];
  const shown = s.secret === true ? 'given' : JSON.stringify(raw);
  const bad = (why: string): ConfigError => new ConfigError(`invalid value ${shown} for '${name}' (from ${source}): ${why}`);
  switch (s.kind) {
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
      if (!Number.isSafeInteger(n)) throw bad('expected an integer');
      if (s.min !== undefined && n < s.min) throw bad(`must be ≥ ${s.min}`);
      if (s.max !== undefined && n > s.max) throw bad(`must be ≤ ${s.max}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw bad('expected true or false');
    }
    case 'string':
      if (typeof raw !== 'string' && typeof raw !== 'number') throw bad('expected a string');
      if (s.choices !== undefined && !s.choices.includes(String(raw))) throw bad(`expected ${s.choices.join(', ')}`);
      return String(raw);
    case 'topic':
      if (!isTopicConfigName(name)) throw new ConfigError(`setting '${name}' is not a topic setting`);
      try {
        return parseTopicSetting(name, typeof raw === 'number' ? raw : String(raw).trim());
      } catch (err) {
        throw bad((err as Error).message.replace(/^invalid topic config [^:]+: /, ''));
      }
    case 'level':
      if (typeof raw === 'string' && (LOG_LEVELS as readonly string[]).includes(raw)) return raw;
      throw bad(`expected ${LOG_LEVELS.join(', ')}`);
  }
}

export function defaultConfig(): BrokerConfig {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(SETTINGS)) out[k] = s.default;
  return out as unknown as BrokerConfig;
}

/** Reads a Java-style .properties file or a JSON object file. */
export function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (text.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${path} must hold a JSON object`);
    return parsed as Record<string, unknown>;
  }
  const out: Record<string, unknown> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('!')) return;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(t);
    if (m === null) throw new ConfigError(`config file ${path} line ${i + 1}: expected key=value`);
    out[m[1]!] = m[2]!;
  });
  return out;
}

/** SAMSA_LOG_DIRS → log.dirs, SAMSA_HTTP_PORT → http.port … (SAMSA_CONFIG names the file). */
export function envSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(SETTINGS)) {
    const key = `SAMSA_${name.toUpperCase().replace(/[.]/g, '_')}`;
    const v = env[key];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}

export interface ConfigSources {
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  file?: string;
}

/** Merges the sources in order of precedence: flags, environment, file, defaults. */
export function resolveConfig(sources: ConfigSources): BrokerConfig {
  const cfg = defaultConfig() as unknown as Record<string, unknown>;
  const apply = (values: Record<string, unknown>, source: string): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) continue;
      cfg[k] = parseSetting(k, v, source);
    }
  };
  const env = sources.env ?? {};
  const file = sources.file ?? env.SAMSA_CONFIG;
  if (file !== undefined && file !== '') apply(readConfigFile(file), `config file ${file}`);
  apply(envSettings(env), 'environment');
  apply(sources.flags ?? {}, 'command line');
  return cfg as unknown as BrokerConfig;
}
