// Test helper for the `samsa` CLI tests: runs dist/src/cli/main.js as a child
// process, asynchronously (the broker under test runs in the test's own event
// loop, so a synchronous spawn would starve it), with optional stdin and a timeout.
import { spawn } from 'node:child_process';

export const CLI = new URL('../../src/cli/main.js', import.meta.url).pathname;

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs `samsa ...args` to completion; kills it (and fails) after timeoutMs. */
export function runCli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...opts.env };
    delete env.SAMSA_BOOTSTRAP;
    if (opts.env?.SAMSA_BOOTSTRAP !== undefined) env.SAMSA_BOOTSTRAP = opts.env.SAMSA_BOOTSTRAP;
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`samsa ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit before reading all of stdin
    child.stdin.end(opts.input ?? '');
  });
}

/** stderr is exactly one line starting with "samsa: ". */
export function isOneErrorLine(stderr: string): boolean {
  return /^samsa: [^\n]+\n$/.test(stderr);
}
