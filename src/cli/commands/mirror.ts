// `samsa mirror --from HOST:PORT[,…] --to HOST:PORT[,…] [--topics RE] [--groups RE]
// [--sync-groups] …`: copies topics between two Kafka-protocol endpoints until
// SIGINT/SIGTERM (or, with --until-caught-up, until the target has everything the
// source had when it caught up). Owns: the flags, the ready line (stdout), the
// progress line and log lines (stderr), the optional /metrics listener, and the
// signal handling. Must not implement copying (src/mirror/ does).
// Exit codes: 0 stopped cleanly or caught up, 1 failure, 2 bad usage.

import { type Server, createServer } from 'node:http';
import { type Command, Option } from 'commander';
import { Mirror, type MirrorLogger, type MirrorStatus } from '../../mirror/index.js';
import { isCompressionType } from '../../wire/codecs.js';
import type { ConnectionOptions } from '../../client/connection.js';
import { readClientProperties, securityFromProperties } from '../client-security.js';
import { UsageError, checkBootstrap, collect, finish, parseIntArg, writeOut } from '../common.js';

interface MirrorFlags {
  from?: string;
  to?: string;
  topics: string;
  groups: string;
  syncGroups?: boolean;
  name: string;
  replicationFactor?: string;
  compression: string;
  httpPort?: string;
  untilCaughtUp?: boolean;
  checkpointIntervalMs: string;
  syncIntervalMs: string;
  progressIntervalMs?: string;
  quiet?: boolean;
  fromConfig?: string;
  fromProperty?: string[];
  toConfig?: string;
  toProperty?: string[];
}

function regex(flag: string, raw: string): RegExp {
  try {
    return new RegExp(raw);
  } catch (err) {
    throw new UsageError(`${flag} is not a regular expression: ${(err as Error).message}`);
  }
}

/** Log lines on stderr: `samsa mirror: <msg> k=v …` (info lines dropped with --quiet). */
function stderrLogger(quiet: boolean): MirrorLogger {
  const line = (level: string, obj: object, msg?: string): void => {
    const fields = Object.entries(obj)
      .filter(([k]) => k !== 'mirror')
      .map(([k, v]) => `${k}=${v instanceof Error ? JSON.stringify(v.message) : typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
      .join(' ');
    process.stderr.write(`samsa mirror: ${level === 'info' ? '' : `${level}: `}${msg ?? ''}${fields === '' ? '' : ` ${fields}`}\n`);
  };
  return {
    info: (obj, msg) => {
      if (!quiet) line('info', obj, msg);
    },
    warn: (obj, msg) => line('warn', obj, msg),
    error: (obj, msg) => line('error', obj, msg),
  };
}

/** One progress line: copied, rate, lag in total and the partition furthest behind. */
export function progressLine(st: MirrorStatus, ratePerSec: number): string {
  let lag = 0;
  let worst: { name: string; lag: number } | null = null;
  for (const p of st.partitions) {
    lag += p.lag;
    if (worst === null || p.lag > worst.lag) worst = { name: `${p.topic}-${p.partition}`, lag: p.lag };
  }
  const parts = [
    `mirror ${st.name} ${st.state}`,
    `copied ${st.recordsCopied.toLocaleString('en-US')} records (${Math.round(ratePerSec).toLocaleString('en-US')}/s)`,
    `lag ${lag.toLocaleString('en-US')} over ${st.partitions.length} partitions${worst !== null && worst.lag > 0 ? ` (most: ${worst.name} ${worst.lag.toLocaleString('en-US')})` : ''}`,
  ];
  if (st.offsetsCommitted > 0) parts.push(`group offsets synced ${st.offsetsCommitted}`);
  if (st.restarts > 0) parts.push(`restarts ${st.restarts} (last: ${st.lastError ?? ''})`);
  return parts.join(', ');
}

export function registerMirror(program: Command): void {
  program
    .command('mirror')
    .description('copy topics (records, keys, headers, timestamps, partitions) and consumer-group offsets between two Kafka-protocol endpoints, e.g. Samsa → a Kafka cluster')
    .requiredOption('--from <host:port,...>', 'source bootstrap')
    .requiredOption('--to <host:port,...>', 'target bootstrap')
    .option('--topics <regex>', 'topics to copy (whole name; internal topics never)', '.*')
    .option('--groups <regex>', 'groups whose offsets --sync-groups translates (whole name)', '.*')
    .option('--sync-groups', 'translate committed group offsets onto the target (for groups with no live member there)')
    .option('--name <name>', 'names the checkpoints on the target (one running mirror per name)', 'default')
    .option('--replication-factor <n>', 'of topics created on the target (default: its default)')
    .addOption(new Option('-z, --compression <codec>', 'compression of batches written to the target').choices(['none', 'gzip', 'snappy', 'lz4', 'zstd']).default('none'))
    .option('--http-port <n>', 'serve GET /metrics (Prometheus) and /healthz on 127.0.0.1:<n> (0: a free port)')
    .option('--until-caught-up', 'exit 0 once the target has everything the source had (and group offsets are synced)')
    .option('--checkpoint-interval-ms <n>', 'how often positions are checkpointed', '1000')
    .option('--sync-interval-ms <n>', 'how often group offsets are translated', '5000')
    .option('--progress-interval-ms <n>', 'how often the progress line is printed (default 1000 on a terminal, 5000 otherwise)')
    .option('-q, --quiet', 'no progress or info lines (warnings and errors still go to stderr)')
    .option('--from-config <file>', "Kafka client properties for the source's listener (security.protocol, sasl.*, ssl.*)")
    .option('--from-property <key=value>', 'one source client property (repeatable; wins over --from-config)', collect)
    .option('--to-config <file>', "Kafka client properties for the target's listener (security.protocol, sasl.*, ssl.*)")
    .option('--to-property <key=value>', 'one target client property (repeatable; wins over --to-config)', collect)
    .action(async (o: MirrorFlags) => {
      const from = checkBootstrap(o.from!, '--from');
      const to = checkBootstrap(o.to!, '--to');
      if (!isCompressionType(o.compression)) throw new UsageError(`unknown compression ${o.compression}`);
      const progressMs = o.progressIntervalMs !== undefined ? parseIntArg('--progress-interval-ms', o.progressIntervalMs, 100, 3_600_000) : process.stderr.isTTY === true ? 1000 : 5000;
      const side = async (file: string | undefined, pairs: string[] | undefined, which: 'from' | 'to'): Promise<Pick<ConnectionOptions, 'tls' | 'sasl'>> => {
        const props = readClientProperties(file, pairs, `--${which}-config`, `--${which}-property`);
        const { tls, sasl } = await securityFromProperties(props, file !== undefined ? `--${which}-config ${file}` : `--${which}-property`);
        return { ...(tls !== undefined ? { tls } : {}), ...(sasl !== undefined ? { sasl } : {}) };
      };
      const fromSecurity = await side(o.fromConfig, o.fromProperty, 'from');
      const toSecurity = await side(o.toConfig, o.toProperty, 'to');
      const mirror = new Mirror({
        from,
        to,
        fromSecurity,
        toSecurity,
        topics: regex('--topics', o.topics),
        groups: regex('--groups', o.groups),
        syncGroups: o.syncGroups === true,
        name: o.name,
        compression: o.compression,
        ...(o.replicationFactor !== undefined ? { replicationFactor: parseIntArg('--replication-factor', o.replicationFactor, 1, 32767) } : {}),
        checkpointIntervalMs: parseIntArg('--checkpoint-interval-ms', o.checkpointIntervalMs, 10, 3_600_000),
        syncGroupsIntervalMs: parseIntArg('--sync-interval-ms', o.syncIntervalMs, 10, 3_600_000),
        clientId: `samsa-mirror-${o.name}`,
        logger: stderrLogger(o.quiet === true),
      });
      let server: Server | null = null;
      let metricsUrl = '';
      if (o.httpPort !== undefined) {
        const port = parseIntArg('--http-port', o.httpPort, 0, 65535);
        server = createServer((req, res) => {
          const path = (req.url ?? '/').split('?')[0];
          if (req.method === 'GET' && path === '/metrics') {
            res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(mirror.prometheus());
          } else if (req.method === 'GET' && path === '/healthz') {
            const st = mirror.status();
            res.writeHead(st.state === 'running' ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ state: st.state, lastError: st.lastError }));
          } else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        });
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject);
          server!.listen(port, '127.0.0.1', () => resolve());
        });
        const addr = server.address();
        metricsUrl = ` metrics=http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : port}/metrics`;
      }

      let stopping: Promise<void> | null = null;
      let lastCount = 0;
      let lastMs = Date.now();
      const printProgress = (): void => {
        if (o.quiet === true) return;
        const st = mirror.status();
        const now = Date.now();
        const rate = ((st.recordsCopied - lastCount) * 1000) / Math.max(1, now - lastMs);
        lastCount = st.recordsCopied;
        lastMs = now;
        process.stderr.write(`${progressLine(st, rate)}\n`);
      };
      const progress = setInterval(printProgress, progressMs);
      const stop = async (): Promise<void> => {
        stopping ??= (async () => {
          clearInterval(progress);
          await mirror.stop();
          server?.close();
          printProgress();
        })();
        return stopping;
      };
      process.on('SIGINT', () => void stop().then(() => finish(0)));
      process.on('SIGTERM', () => void stop().then(() => finish(0)));

      await mirror.start();
      const st = mirror.status();
      await writeOut(`samsa mirror ready name=${st.name} from=${from} to=${to} partitions=${st.partitions.length}${metricsUrl}\n`);
      if (o.untilCaughtUp === true) {
        await mirror.waitCaughtUp();
        await stop();
        const done = mirror.status();
        await writeOut(`samsa mirror caught-up records=${done.recordsCopied} partitions=${done.partitions.length} group-offsets=${done.offsetsCommitted}\n`);
        await finish(0);
      }
      // Runs until a signal.
      await new Promise<never>(() => {});
    });
}
