// A real `samsa serve` broker in a child process, for the reliability campaigns
// (crash, soak, hostile wire): start it on free ports, wait for its ready line, kill it
// with any signal. Owns: the child process and its ready line. Must not know what the
// campaigns send or check.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** A broker that is not ready by then is reported stuck (recovery of a few MiB takes well under a second). */
const READY_TIMEOUT_MS = 60_000;
/** Output (stdout and stderr: the log) kept for checks and for the report when the broker dies. */
const STDERR_KEEP_BYTES = 16 * 1024;

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly kafkaPort: number;
  readonly httpPort: number;
  /** From spawn to the ready line: start-up plus recovery, ms. */
  readonly readyMs: number;
  /** Resolves with the exit code or signal when the process ends. */
  readonly exited: Promise<string>;
  /** The last bytes the broker wrote to stdout and stderr (its log). */
  stderrTail(): string;
  /** Sends `signal` and waits for the process to end. */
  kill(signal: NodeJS.Signals): Promise<string>;
}

export interface BrokerProcessOptions {
  dataDir: string;
  /** Extra settings, each passed as `-o key=value`. */
  settings?: Record<string, string | number>;
  shards?: number;
  env?: NodeJS.ProcessEnv;
  /** Extra node flags (e.g. --max-old-space-size). */
  nodeArgs?: string[];
}

export async function startBrokerProcess(opts: BrokerProcessOptions): Promise<BrokerProcess> {
  const args = [...(opts.nodeArgs ?? []), MAIN, 'serve', '--data-dir', opts.dataDir, '--host', '127.0.0.1', '--port', '0', '--http-port', '0', '--shards', String(opts.shards ?? 1), '--log-level', 'warn'];
  for (const [k, v] of Object.entries(opts.settings ?? {})) args.push('-o', `${k}=${v}`);
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  let tail = '';
  child.stderr!.on('data', (b: Buffer) => {
    tail = (tail + b.toString('utf8')).slice(-STDERR_KEEP_BYTES);
  });
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`)));
  const rl = createInterface({ input: child.stdout! });
  const ready = await new Promise<{ kafkaPort: number; httpPort: number } | string>((resolve) => {
    const timer = setTimeout(() => resolve(`no ready line after ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    rl.on('line', (line) => {
      tail = (tail + line + '\n').slice(-STDERR_KEEP_BYTES);
      const m = /^samsa ready kafka=[^ ]*:(\d+) http=[^ ]*:(\d+)/.exec(line);
      if (m === null) return;
      clearTimeout(timer);
      resolve({ kafkaPort: Number(m[1]), httpPort: Number(m[2]) });
    });
    void exited.then((how) => {
      clearTimeout(timer);
      resolve(`broker exited (${how}) before its ready line`);
    });
  });
  const readyMs = performance.now() - t0;
  if (typeof ready === 'string') {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${ready}\n${tail}`);
  }
  return {
    child,
    kafkaPort: ready.kafkaPort,
    httpPort: ready.httpPort,
    readyMs,
    exited,
    stderrTail: () => tail,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
