// startBroker: one Samsa broker in this process — the engine plus its listeners,
// and the mirror when `mirror.target` is set. Owns: composing them from a
// BrokerConfig, and closing them in order (the mirror first, then the listeners,
// then the engine, which flushes and marks a clean stop). Must not implement a
// protocol (src/kafka, src/http) nor touch files (src/storage).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, type ListenerConfig, listenerOverrides, prefixedSettings, resolveConfig } from './config/config.js';
import type { BrokerConfig } from './config/config.js';
import { SamsaEngine, defaultShardCount } from './broker/engine.js';
import type { ShardInfo } from './broker/engine.js';
import { topicDefaultsFrom } from './config/topic-config.js';
import { logger, setLogLevel } from './util/logger.js';
import type { KafkaHandler } from './kafka/handler.js';
import { OutputBudget } from './kafka/output-budget.js';
import { FetchSessionCache } from './kafka/fetch-sessions.js';
import type { HttpServer } from './http/server.js';
import { type CorsPolicy, parseCorsOrigins } from './http/cors.js';
import type { BrokerMetrics } from './metrics/broker-metrics.js';
import { ListenerConfigError, type ListenerSpec, type SecurityProtocol, formatEndpoint, resolveListeners, usesTls } from './security/listeners.js';
import type { TlsOptions } from 'node:tls';
import type { MappingRule } from './security/tls.js';
import type { SecurityServices } from './security/services.js';
import { UserStore, UserStoreError } from './security/user-store.js';
import { SaslConfigError, parseEnabledMechanisms } from './security/sasl.js';
import { AclStoreError, Authorizer, parseSuperUsers } from './security/acl.js';
import { QuotaManager, QuotaStoreError } from './security/quotas.js';
import { HttpAuthConfigError, HttpAuthenticator, parseHttpAuthMethods } from './security/http-auth.js';
import type { HttpTlsFiles } from './http/transport.js';
import type { KafkaTcpServer } from './kafka/tcp-server.js';
import { ConnectionLimits } from './kafka/connection-limits.js';
import type { Mirror } from './mirror/mirror.js';

/**
 * The protocol, HTTP and metrics layers, imported while the shard threads boot: a
 * shard thread loads its own modules on another core, so loading these on the main
 * thread in the same interval takes them off the start-up path.
 */
async function loadLayers() {
  const [handler, tcpServer, httpServer, metrics, transports] = await Promise.all([
    import('./kafka/handler.js'),
    import('./kafka/tcp-server.js'),
    import('./http/server.js'),
    import('./metrics/broker-metrics.js'),
    import('./http/select-transport.js'),
  ]);
  // What the listeners load on their first listen(), loaded here instead, while the shard
  // threads boot (issue 14): the HTTP transport's binary, and node:dns, which net's
  // listen() with a host loads (its resolver reads /etc/resolv.conf and nsswitch.conf)
  // even for an IP address.
  transports.preloadTransport();
  await import('node:dns');
  // The listeners log through it: load pino (util/logger.ts loads it on first use) here,
  // in the interval the shard threads boot, rather than after them.
  logger();
  return { createKafkaHandler: handler.createKafkaHandler, startKafkaTcpServer: tcpServer.startKafkaTcpServer, startHttpServer: httpServer.startHttpServer, BrokerMetrics: metrics.BrokerMetrics };
}

export interface StartBrokerOptions extends Partial<Omit<BrokerConfig, 'log.dirs'>> {
  /** Data directory; default for embedding: a new temporary directory. */
  dataDir?: string;
  /** The Kafka listener's port, named like the result's field (same as `port`). 0: a free one. */
  kafkaPort?: number;
  /** The HTTP/WebSocket port, named like the result's field (same as `'http.port'`). 0: a free one. */
  httpPort?: number;
  /** The in-broker mirror's TLS / SASL towards its target, as Kafka client properties. */
  [setting: `mirror.target.${string}`]: string | undefined;
}

/** One Kafka listener as started (Kafka's listeners model). */
export interface BoundListener {
  name: string;
  protocol: SecurityProtocol;
  /** The bound address and port. */
  host: string;
  port: number;
  /** What Metadata tells this listener's clients. */
  advertisedHost: string;
  advertisedPort: number;
}

export interface Broker {
  engine: SamsaEngine;
  /** The Kafka request handler shared by the TCP and WebSocket listeners. */
  kafka: KafkaHandler;
  config: BrokerConfig;
  dataDir: string;
  /** The first listener's port. */
  kafkaPort: number;
  /** Every Kafka listener, in the order of `listeners`. */
  listeners: BoundListener[];
  httpPort: number;
  /** The HTTP/WebSocket listener (its `transport`: 'uws' or 'node', and why). */
  http: HttpServer;
  /** Counters and latencies behind GET /metrics. */
  metrics: BrokerMetrics;
  /** The mirror to `mirror.target`, or null when that is not set. */
  mirror: Mirror | null;
  shards: ShardInfo[];
  close(): Promise<void>;
}

/** Starts a broker from a resolved configuration (the CLI's path). */
export async function startBrokerWithConfig(cfg: BrokerConfig): Promise<Broker> {
  setLogLevel(cfg['log.level']);
  const dataDir = resolve(cfg['log.dirs']);
  let cors: CorsPolicy | null;
  try {
    cors = parseCorsOrigins(cfg['access.control.allow.origin']);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  let listenerSpecs: ListenerSpec[];
  try {
    listenerSpecs = resolveListeners({
      listeners: cfg.listeners,
      advertisedListeners: cfg['advertised.listeners'],
      protocolMap: cfg['listener.security.protocol.map'],
      host: cfg.host,
      port: cfg.port,
      advertisedHost: cfg['advertised.host'],
    });
  } catch (err) {
    if (err instanceof ListenerConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const security = await securityFor(cfg, dataDir, listenerSpecs);
  const starting = SamsaEngine.start({
    dataDir,
    shards: cfg.shards === 0 ? defaultShardCount() : cfg.shards,
    topicDefaults: topicDefaultsFrom(cfg),
    retentionCheckIntervalMs: cfg['log.retention.check.interval.ms'],
    compactionCheckIntervalMs: cfg['log.cleaner.backoff.ms'],
  });
  const [started, layers] = await Promise.allSettled([starting, loadLayers()]);
  if (started.status === 'rejected') throw started.reason;
  const engine = started.value;
  if (layers.status === 'rejected') {
    await engine.close();
    throw layers.reason;
  }
  const { createKafkaHandler, startKafkaTcpServer, startHttpServer, BrokerMetrics } = layers.value;
  const closers: Array<() => Promise<void>> = [];
  const primary = listenerSpecs[0]!;
  const advertisedHost = primary.advertisedHost;
  // Counts records/bytes per topic and requests per API for /metrics (pass-through wrappers).
  const metrics = new BrokerMetrics();
  const countedEngine = metrics.instrumentEngine(engine);
  // queued.max.response.bytes: shared by the Fetch API (what it reads) and the TCP connections (what waits unsent).
  const outputBudget = new OutputBudget(cfg['queued.max.response.bytes']);
  const fetchSessions = new FetchSessionCache({ slots: cfg['max.incremental.fetch.session.cache.slots'] });
  const kafka = metrics.instrumentKafkaHandler(createKafkaHandler(countedEngine, {
    outputBudget,
    fetchSessions,
    advertisedHost,
    advertisedPort: primary.advertisedPort,
    autoCreateTopics: cfg['auto.create.topics.enable'],
    numPartitions: cfg['num.partitions'],
    requestMaxBytes: cfg['socket.request.max.bytes'],
    groups: {
      initialRebalanceDelayMs: cfg['group.initial.rebalance.delay.ms'],
      consumer: {
        heartbeatIntervalMs: cfg['group.consumer.heartbeat.interval.ms'],
        sessionTimeoutMs: cfg['group.consumer.session.timeout.ms'],
        assignors: cfg['group.consumer.assignors'].split(',').map((s) => s.trim()).filter((s) => s !== ''),
        maxSize: cfg['group.consumer.max.size'],
      },
    },
    transactions: {
      maxTimeoutMs: cfg['transaction.max.timeout.ms'],
      abortCheckIntervalMs: cfg['transaction.abort.timed.out.transaction.cleanup.interval.ms'],
      idExpirationMs: cfg['transactional.id.expiration.ms'],
    },
    logger: logger(),
    security: security.services,
  }));
  closers.push(() => {
    kafka.close?.();
    return Promise.resolve();
  });
  const tcps: KafkaTcpServer[] = [];
  // max.connections and max.connections.per.ip count every listener together, as in Kafka.
  const connectionLimits = new ConnectionLimits(cfg['max.connections'], cfg['max.connections.per.ip']);
  try {
    for (const spec of listenerSpecs) {
      const tcp = await startKafkaTcpServer(engine, {
        host: spec.host === '' ? '0.0.0.0' : spec.host,
        port: spec.port,
        handler: kafka,
        logger: logger(),
        maxConnections: security.listeners.get(spec.name)!['max.connections'],
        limits: connectionLimits,
        outputBudget,
        sendBufferBytes: cfg['socket.send.buffer.bytes'],
        listener: { name: spec.name, protocol: spec.protocol },
        advertisedHost: spec.advertisedHost,
        advertisedPort: spec.advertisedPort,
        ...(usesTls(spec.protocol) ? { tls: tlsFor(spec.protocol, security.tls.get(spec.name)!), principalRules: security.principalRules.get(spec.name)! } : {}),
      });
      tcps.push(tcp);
      closers.push(() => tcp.close());
    }
  } catch (err) {
    for (const t of tcps) await t.close();
    await engine.close();
    throw err;
  }
  const listeners: BoundListener[] = tcps.map((t) => ({
    name: t.listener.name,
    protocol: t.listener.protocol,
    host: t.host,
    port: t.port,
    advertisedHost: t.listener.advertisedHost,
    advertisedPort: t.listener.advertisedPort,
  }));
  // WebSocket clients (no listener of their own) are told about the first listener.
  kafka.setAdvertisedListener(listeners[0]!.advertisedHost, listeners[0]!.advertisedPort);
  const kafkaPort = listeners[0]!.port;
  metrics.addConnectionSource('kafka_tcp', () => tcps.reduce((n, t) => n + t.connectionCount(), 0));
  metrics.addGauge('scrub_runs_total', 'Scrubs of sealed segments finished (after an unclean start, or POST /broker/scrub)', () => engine.scrubTotals.runs, 'counter');
  metrics.addGauge('scrub_batches_checked_total', 'Batches of sealed segments whose framing and CRC-32C a scrub re-verified', () => engine.scrubTotals.batchesChecked, 'counter');
  metrics.addGauge('scrub_damaged_batches_total', 'Damaged batches scrubs found in sealed segments (a batch still damaged is counted again by each scrub)', () => engine.scrubTotals.damagedBatches, 'counter');
  metrics.addGauge('scrub_last_damaged_batches', 'Damaged batches the last finished scrub found (-1: none has run)', () => engine.scrubTotals.lastDamagedBatches);
  metrics.addGauge('queued_response_bytes', 'Fetch response bytes read and not yet handed back, plus response bytes (zero-copy file ranges by their length) waiting for TCP sockets whose clients are not reading (bounded by queued.max.response.bytes)', () => outputBudget.usedBytesNow);
  metrics.addGauge('fetch_budget_skips_total', 'Partition reads a Fetch skipped (answered empty) because queued.max.response.bytes was spent', () => outputBudget.skips, 'counter');
  metrics.addGauge('fetch_sessions', 'Incremental fetch sessions (KIP-227) in the cache (bounded by max.incremental.fetch.session.cache.slots)', () => fetchSessions.size);
  metrics.addGauge('fetch_session_partitions', 'Partitions cached over all fetch sessions', () => fetchSessions.cachedPartitions);
  metrics.addGauge('fetch_incremental_total', 'Fetches answered within a fetch session (incremental: only changed partitions asked and answered)', () => fetchSessions.totals.incrementalFetches, 'counter');
  metrics.addGauge('fetch_sessions_created_total', 'Fetch sessions created by full fetches with epoch 0', () => fetchSessions.totals.sessionsCreated, 'counter');
  metrics.addGauge('fetch_sessions_refused_total', 'Full fetches asking for a session that found no room (answered with session id 0)', () => fetchSessions.totals.sessionsRefused, 'counter');
  metrics.addGauge('fetch_session_evictions_total', 'Fetch sessions evicted (stale, or smaller than a new one) to make room or because their fetcher went quiet', () => fetchSessions.totals.evictions, 'counter');
  metrics.addGauge('fetch_session_errors_total', 'Fetches answered FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH or FETCH_SESSION_TOPIC_ID_ERROR', () => fetchSessions.totals.sessionErrors, 'counter');
  metrics.addGauge('topics_offline', 'Topics offline because their metadata file is damaged (listed by GET /broker)', () => engine.offlineTopics().length);
  let http: HttpServer;
  try {
    http = await startHttpServer({
      engine: countedEngine,
      kafka,
      host: cfg.host,
      port: cfg['http.port'],
      introspection: engine,
      metrics,
      defaultPartitions: cfg['num.partitions'],
      ready: () => engine.shardInfos.length > 0,
      cors,
      auth: security.httpAuth,
      ...(security.httpTls !== null ? { tls: security.httpTls } : {}),
      ...(security.services.authorizer !== undefined ? { authorizer: security.services.authorizer } : {}),
      consumerInstanceTimeoutMs: cfg['consumer.instance.timeout.ms'],
      // Scratch runs of the table views: rebuilt from the log at every start.
      tableDir: join(dataDir, '.tables'),
      tableMemoryBytes: cfg['table.memory.bytes'],
    });
  } catch (err) {
    for (const t of tcps) await t.close();
    await engine.close();
    throw err;
  }
  closers.push(() => http.close());
  const httpPort = http.port;
  let mirror: Mirror | null = null;
  if (cfg['mirror.target'] !== '') {
    try {
      // The mirror reads its own broker through a PLAINTEXT listener over loopback (as
      // ANONYMOUS: with ACLs on, grant it READ/DESCRIBE or list it in super.users); the
      // target's TLS / SASL come from mirror.target.<client property>.
      const plain = listeners.find((l) => l.protocol === 'PLAINTEXT');
      if (plain === undefined) throw new ConfigError("mirror.target reads this broker through a PLAINTEXT listener: add one to 'listeners' (e.g. PLAINTEXT://127.0.0.1:0)");
      mirror = await startMirror(cfg, plain.host, plain.port, metrics);
    } catch (err) {
      for (const c of [...closers].reverse()) await c().catch(() => {});
      await engine.close();
      throw err;
    }
    const m = mirror;
    // Last in, first out: the mirror stops (and checkpoints) while the listener it reads from is still open.
    closers.push(() => m.stop());
  }
  let closing: Promise<void> | null = null;
  return {
    engine,
    kafka,
    config: cfg,
    dataDir,
    kafkaPort,
    listeners,
    httpPort,
    http,
    metrics,
    mirror,
    shards: engine.shardInfos,
    close(): Promise<void> {
      closing ??= (async () => {
        for (const c of closers.reverse()) await c().catch((err: unknown) => logger().error({ err }, 'closing a listener failed'));
        await engine.close();
        metrics.close();
      })();
      return closing;
    },
  };
}

interface SecuritySetup {
  /** Server TLS options of each TLS listener, by listener name (listener.name.<name>.ssl.* or the broker's ssl.*). */
  tls: Map<string, TlsOptions>;
  principalRules: Map<string, MappingRule[]>;
  /** Each listener's settings (listener.name.<name>.<setting> over the broker's). */
  listeners: Map<string, ListenerConfig>;
  services: SecurityServices;
  /** `http.auth` (null: no credentials asked on the HTTP port). */
  httpAuth: HttpAuthenticator | null;
  /** `http.ssl.enable`: the PEM files for HTTPS / WSS. */
  httpTls: HttpTlsFiles | null;
}

/** Reads certificates and checks the security settings the listeners need; ConfigError on a bad one. */
async function securityFor(cfg: BrokerConfig, dataDir: string, specs: readonly ListenerSpec[]): Promise<SecuritySetup> {
  const httpTlsOn = cfg['http.ssl.enable'];
  const listeners = listenerOverrides(cfg, specs.map((l) => l.name));
  const needsTls = httpTlsOn || specs.some((l) => usesTls(l.protocol));
  const httpTls: HttpTlsFiles | null = httpTlsOn ? { certFile: cfg['ssl.certificate.location'], keyFile: cfg['ssl.key.location'], passphrase: cfg['ssl.key.password'] } : null;
  let services: SecurityServices;
  let httpAuth: HttpAuthenticator | null;
  try {
    const metaDir = join(dataDir, 'meta');
    const log = logger();
    const authorizer =
      cfg['authorizer.class.name'] === ''
        ? undefined
        : Authorizer.open(metaDir, { superUsers: parseSuperUsers(cfg['super.users']), allowIfNoAcl: cfg['allow.everyone.if.no.acl.found'], log });
    services = {
      users: UserStore.open(metaDir),
      sasl: {
        enabledMechanisms: parseEnabledMechanisms(cfg['sasl.enabled.mechanisms']),
        byListener: new Map(specs.map((l) => [l.name, parseEnabledMechanisms(listeners.get(l.name)!['sasl.enabled.mechanisms'])])),
        reauthMs: cfg['connections.max.reauth.ms'],
      },
      log,
      quotas: QuotaManager.open(metaDir, { windowNum: cfg['quota.window.num'], windowSizeMs: cfg['quota.window.size.seconds'] * 1000 }),
      ...(authorizer !== undefined ? { authorizer } : {}),
    };
    const methods = parseHttpAuthMethods(cfg['http.auth']);
    httpAuth = methods.length === 0 ? null : new HttpAuthenticator({ methods, tokensLocation: cfg['http.auth.tokens.location'], users: services.users, log });
  } catch (err) {
    if (err instanceof SaslConfigError || err instanceof UserStoreError || err instanceof AclStoreError || err instanceof QuotaStoreError || err instanceof HttpAuthConfigError) throw new ConfigError(err.message);
    throw err;
  }
  const tlsByListener = new Map<string, TlsOptions>();
  const rulesByListener = new Map<string, MappingRule[]>();
  if (!needsTls) return { tls: tlsByListener, principalRules: rulesByListener, listeners, services, httpAuth, httpTls };
  const t = await import('./security/tls.js');
  const tlsOf = (c: ListenerConfig, where: string): TlsOptions => {
    try {
      const tls = t.serverTlsOptions({
        certificateLocation: c['ssl.certificate.location'],
        keyLocation: c['ssl.key.location'],
        keyPassword: c['ssl.key.password'],
        caLocation: c['ssl.ca.location'],
        clientAuth: c['ssl.client.auth'],
        enabledProtocols: c['ssl.enabled.protocols'],
      });
      t.checkTlsOptions(tls);
      rulesByListener.set(where, t.parseMappingRules(c['ssl.principal.mapping.rules']));
      return tls;
    } catch (err) {
      if (err instanceof t.TlsConfigError) throw new ConfigError(where === '' ? err.message : `listener ${where}: ${err.message}`);
      throw err;
    }
  };
  for (const l of specs) if (usesTls(l.protocol)) tlsByListener.set(l.name, tlsOf(listeners.get(l.name)!, l.name));
  // HTTPS reads the broker's own ssl.* files (httpTls above); checked here when no listener did.
  if (httpTlsOn && tlsByListener.size === 0) tlsOf(cfg, '');
  return { tls: tlsByListener, principalRules: rulesByListener, listeners, services, httpAuth, httpTls };
}

/**
 * The TLS options of one listener. As in Kafka (KIP-684), ssl.client.auth applies to
 * SSL listeners only: a SASL_SSL client authenticates with SASL and is not asked for a
 * certificate.
 */
function tlsFor(protocol: SecurityProtocol, tls: TlsOptions): TlsOptions {
  return protocol === 'SASL_SSL' ? { ...tls, requestCert: false, rejectUnauthorized: false } : tls;
}

/** The listeners as Kafka writes them, for the ready line. */
export function describeListeners(listeners: readonly BoundListener[]): string {
  return listeners.map((l) => formatEndpoint(l.name, l.host, l.port)).join(',');
}

/**
 * The in-broker mirror: this broker's own Kafka listener (over loopback) is its
 * source, so it copies exactly what any client would read. It retries on its own
 * while the target is unreachable; only bad settings stop the start.
 */
async function startMirror(cfg: BrokerConfig, kafkaHost: string, kafkaPort: number, metrics: BrokerMetrics): Promise<Mirror> {
  const { Mirror: MirrorClass, clientOptionsFromProperties } = await import('./mirror/index.js');
  // mirror.target.security.protocol=SASL_SSL, mirror.target.sasl.mechanism=… : the
  // target's TLS / SASL as Kafka client properties (errors name the setting, never a value).
  let toSecurity;
  try {
    const { tls, sasl } = clientOptionsFromProperties(prefixedSettings(cfg, 'mirror.target.'));
    toSecurity = { ...(tls !== undefined ? { tls } : {}), ...(sasl !== undefined ? { sasl } : {}) };
  } catch (err) {
    throw new ConfigError(`invalid mirror.target.<client property> settings: ${(err as Error).message}`);
  }
  const regex = (name: 'mirror.topics' | 'mirror.groups'): RegExp => {
    try {
      return new RegExp(cfg[name]);
    } catch (err) {
      throw new ConfigError(`invalid value for '${name}': ${(err as Error).message}`);
    }
  };
  const host = kafkaHost === '' || kafkaHost === '0.0.0.0' || kafkaHost === '::' ? '127.0.0.1' : kafkaHost;
  let mirror: Mirror;
  try {
    mirror = new MirrorClass({
      from: host.includes(':') ? `[${host}]:${kafkaPort}` : `${host}:${kafkaPort}`,
      to: cfg['mirror.target'],
      toSecurity,
      topics: regex('mirror.topics'),
      groups: regex('mirror.groups'),
      syncGroups: cfg['mirror.sync.groups'],
      name: cfg['mirror.name'],
      logger: logger(),
    });
  } catch (err) {
    throw new ConfigError(`invalid mirror settings (mirror.target ${JSON.stringify(cfg['mirror.target'])}): ${(err as Error).message}`);
  }
  metrics.addTextSource('mirror', () => mirror.prometheus());
  // Not awaited: a target that is down must not hold up (or fail) the broker's start.
  mirror.start().catch(() => {});
  logger().info({ target: cfg['mirror.target'], mirror: cfg['mirror.name'] }, 'mirroring to a cluster');
  return mirror;
}

/**
 * Embedding: `const b = await startBroker()`. Unlike `samsa serve`, ports default to 0
 * (free ports, see b.kafkaPort / b.httpPort) and the data directory to a new
 * temporary one, which close() removes again.
 */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<Broker> {
  const { dataDir, kafkaPort, httpPort, ...rest } = opts;
  if (kafkaPort !== undefined && rest.port !== undefined) throw new ConfigError("give the Kafka port once: 'kafkaPort' or 'port'");
  if (httpPort !== undefined && rest['http.port'] !== undefined) throw new ConfigError("give the HTTP port once: 'httpPort' or 'http.port'");
  const aliases: Record<string, unknown> = {};
  if (kafkaPort !== undefined) aliases.port = kafkaPort;
  if (httpPort !== undefined) aliases['http.port'] = httpPort;
  const ownDir = dataDir === undefined ? mkdtempSync(join(tmpdir(), 'samsa-')) : null;
  const flags: Record<string, unknown> = { port: 0, 'http.port': 0, 'log.level': 'warn', ...rest, ...aliases, 'log.dirs': dataDir ?? ownDir };
  let broker: Broker;
  try {
    broker = await startBrokerWithConfig(resolveConfig({ flags }));
  } catch (err) {
    if (ownDir !== null) rmSync(ownDir, { recursive: true, force: true });
    throw err;
  }
  if (ownDir === null) return broker;
  const close = broker.close.bind(broker);
  broker.close = async () => {
    await close();
    rmSync(ownDir, { recursive: true, force: true });
  };
  return broker;
}
