// `samsa serve`: run a broker in this process until SIGINT/SIGTERM. Owns: turning
// flags into settings, the ready line and the signal handlers. Must not implement
// broker logic: it calls startBrokerWithConfig.
// Exit codes: 0 clean stop, 1 start-up or shutdown failure, 2 bad setting (ConfigError).

import { type Command, Option } from 'commander';
import { resolveConfig, ConfigError } from '../../config/config.js';
import { describeListeners, startBrokerWithConfig } from '../../server.js';
import { logger } from '../../util/logger.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a broker (flags > SAMSA_* environment > --config file > defaults)')
    .option('--data-dir <dir>', 'data directory (log.dirs)')
    .option('--host <addr>', 'address to bind')
    .option('--port <n>', 'Kafka protocol TCP port')
    .option('--http-port <n>', 'HTTP/WebSocket port')
    .option('--shards <n>', 'shard worker threads (default: cores - 1)')
    .option('--config <file>', 'properties or JSON file with settings by their Kafka names')
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent')
    .addOption(new Option('-o, --set <key=value...>', 'any setting by name, e.g. -o retention.ms=60000'))
    .action(async (opts: { dataDir?: string; host?: string; port?: string; httpPort?: string; shards?: string; config?: string; logLevel?: string; set?: string[] }) => {
      const flags: Record<string, unknown> = {};
      for (const kv of opts.set ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new ConfigError(`--set expects key=value, got '${kv}'`);
        flags[kv.slice(0, i)] = kv.slice(i + 1);
      }
      if (opts.dataDir !== undefined) flags['log.dirs'] = opts.dataDir;
      if (opts.host !== undefined) flags.host = opts.host;
      if (opts.port !== undefined) flags.port = opts.port;
      if (opts.httpPort !== undefined) flags['http.port'] = opts.httpPort;
      if (opts.shards !== undefined) flags.shards = opts.shards;
      if (opts.logLevel !== undefined) flags['log.level'] = opts.logLevel;
      const cfg = resolveConfig({ flags, env: process.env, ...(opts.config !== undefined ? { file: opts.config } : {}) });
      const broker = await startBrokerWithConfig(cfg);
      // Handlers first: a supervisor may signal the moment it reads the ready line.
      let stopping = false;
      const stop = (signal: string): void => {
        if (stopping) return;
        stopping = true;
        logger().info({ signal }, 'shutting down');
        broker.close().then(
          () => process.exit(0),
          (err: unknown) => {
            logger().error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      const shards = broker.shards.map((s) => (s.pinned ? `cpu${s.cpu}` : 'unpinned')).join(',');
      // One line a person (and a test) can read: where it listens and how it runs.
      process.stdout.write(
        `samsa ready kafka=${broker.listeners[0]!.host}:${broker.kafkaPort} http=${cfg.host}:${broker.httpPort} (${broker.http.transport}${broker.http.tls ? ', tls' : ''}) data=${broker.dataDir} shards=${broker.shards.length}[${shards}]` +
          (cfg.listeners !== '' ? ` listeners=${describeListeners(broker.listeners)}` : '') +
          '\n',
      );
    });
}
