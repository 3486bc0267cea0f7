// Brokers for the transaction interop tests (test/interop/transactions.test.ts): a
// Samsa broker as a child process (`samsa serve`, so a test can kill -9 it and start
// it again on the same data directory and port), and, when SAMSA_INTEROP_KAFKA=1,
// Apache Kafka 4.x through scripts/kafka-peer.sh, to run the same client code against
// both (SAMSA_INTEROP_KAFKA=only: against Kafka alone, as .ci/run does after npm test
// has run the Samsa half). Used by the transaction and Kafka Streams interop tests.
// Owns: starting, killing and stopping them. Must not run scenarios.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const READY_WITHIN_MS = 60_000;

export interface TxnBroker {
  kind: 'samsa' | 'kafka';
  bootstrap: string;
  stop(): Promise<void>;
  /** The last lines of the broker's log, for failure messages. */
  logTail(): string;
}

export interface SamsaProcess extends TxnBroker {
  kind: 'samsa';
  dataDir: string;
  port: number;
  /** SIGKILL (no clean shutdown), waits for the exit. */
  kill9(): Promise<void>;
  /** Starts `samsa serve` again on the same data directory and port (after kill9 or stop). */
  restart(): Promise<void>;
}

/** Settings of the test brokers: groups form at once, timed-out transactions are found within half a second. */
const TEST_ENV: Record<string, string> = {
  SAMSA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
  SAMSA_TRANSACTION_ABORT_TIMED_OUT_TRANSACTION_CLEANUP_INTERVAL_MS: '500',
  SAMSA_LOG_LEVEL: 'warn',
};

export async function startSamsaProcess(env: Record<string, string> = {}): Promise<SamsaProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samsa-txn-interop-'));
  const cli = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  let port = 0;
  const launch = async (): Promise<void> => {
    const proc = spawn(process.execPath, [cli, 'serve', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(port), '--http-port', '0', '--shards', '1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...TEST_ENV, ...env },
    });
    child = proc;
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      log = (log + d).slice(-16_384);
    });
    let out = '';
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`samsa serve printed no ready line within ${READY_WITHIN_MS} ms: ${log}`)), READY_WITHIN_MS);
      proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        const m = /kafka=[\d.]+:(\d+)/.exec(out);
        if (m !== null) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`samsa serve exited with ${code} before it was ready: ${log}`));
      });
    });
  };
  await launch();
  const b: SamsaProcess = {
    kind: 'samsa',
    dataDir,
    get port() {
      return port;
    },
    get bootstrap() {
      return `127.0.0.1:${port}`;
    },
    async kill9() {
      child?.kill('SIGKILL');
      await exited;
    },
    async restart() {
      await launch();
    },
    logTail: () => log,
    async stop() {
      if (child !== null && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child?.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(killer);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return b;
}

/** True when the tests should also run against Apache Kafka (SAMSA_INTEROP_KAFKA=1 or only). */
export const WITH_KAFKA = process.env.SAMSA_INTEROP_KAFKA === '1' || process.env.SAMSA_INTEROP_KAFKA === 'only';

/**
 * The brokers a test runs its scenario against, in order: Samsa (unset or 1), then
 * Apache Kafka (1), or Kafka alone (only). Every target runs the same test code.
 */
export const TARGETS: ReadonlyArray<'samsa' | 'kafka'> =
  process.env.SAMSA_INTEROP_KAFKA === 'only' ? ['kafka'] : process.env.SAMSA_INTEROP_KAFKA === '1' ? ['samsa', 'kafka'] : ['samsa'];

/** Starts the broker of `target`: a `samsa serve` process or the Kafka peer. */
export async function startTarget(target: 'samsa' | 'kafka'): Promise<TxnBroker> {
  return target === 'samsa' ? startSamsaProcess() : startKafkaPeer();
}

/**
 * Apache Kafka 4.x, one KRaft broker (scripts/kafka-peer.sh), with Samsa's test
 * settings where Kafka has them. What a single broker needs (one replica of
 * __transaction_state, min.isr 1) is in kafka-peer.sh's server.properties, not here.
 */
export async function startKafkaPeer(): Promise<TxnBroker> {
  const script = join(REPO_ROOT, 'scripts', 'kafka-peer.sh');
  if (!existsSync(script)) throw new Error(`${script} is missing`);
  const dir = mkdtempSync(join(tmpdir(), 'samsa-txn-kafka-'));
  const args = [
    'start', '--dir', dir, '--brokers', '1',
    '--config-override', 'group.initial.rebalance.delay.ms=0',
    '--config-override', 'transaction.abort.timed.out.transaction.cleanup.interval.ms=500',
  ];
  const child = spawn(script, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
  let out = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-8192);
  });
  const bootstrap = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kafka-peer.sh start printed no bootstrap= line: ${err}`)), READY_WITHIN_MS * 4);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /bootstrap=([^\s,]+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      if (/bootstrap=/.test(out)) return;
      clearTimeout(timer);
      reject(new Error(`kafka-peer.sh start exited with ${code}: ${err}`));
    });
  });
  return {
    kind: 'kafka',
    bootstrap,
    logTail() {
      try {
        return readFileSync(join(dir, 'node-1', 'logs', 'server.log'), 'utf8').slice(-16_384);
      } catch (err) {
        return `(no Kafka server log: ${(err as Error).message})`;
      }
    },
    async stop() {
      await new Promise<void>((resolve) => {
        const s = spawn(script, ['stop', '--dir', dir], { stdio: 'ignore', cwd: REPO_ROOT });
        s.once('exit', () => resolve());
        s.once('error', () => resolve());
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
