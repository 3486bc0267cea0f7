// The Kafka Streams interop app (interop/bin/java-streams, built by
// scripts/interop-build.sh java) as a child process: its JSON state lines collected,
// the tail of its stderr kept for failure messages. Shared by the word-count and the
// exactly-once tests, which run it against Samsa and against Apache Kafka.
// Owns: spawning and reading the app. Must not be imported from src/.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const STREAMS_BIN = fileURLToPath(new URL('../../../interop/bin/java-streams', import.meta.url));
const STDERR_LINES_MAX = 200;

/** Why the app cannot run here (a skip reason), or null. */
export const streamsMissing: string | null = existsSync(STREAMS_BIN) ? null : 'interop/bin/java-streams is not built: run scripts/interop-build.sh java';

export interface StreamsChild {
  proc: ChildProcess;
  stderrTail: string[];
  states: string[];
  exited: Promise<number | null>;
}

export function startStreams(args: string[]): StreamsChild {
  const proc = spawn(STREAMS_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const child: StreamsChild = {
    proc,
    stderrTail: [],
    states: [],
    // 'close', not 'exit': it comes after the child's stdout is drained, so the last state line (NOT_RUNNING) is in.
    exited: new Promise((resolve) => proc.on('close', (code) => resolve(code))),
  };
  let errBuf = '';
  proc.stderr!.setEncoding('utf8').on('data', (s: string) => {
    errBuf += s;
    const lines = errBuf.split('\n');
    errBuf = lines.pop() ?? '';
    child.stderrTail.push(...lines);
    if (child.stderrTail.length > STDERR_LINES_MAX) child.stderrTail.splice(0, child.stderrTail.length - STDERR_LINES_MAX);
  });
  let outBuf = '';
  proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
    outBuf += s;
    const lines = outBuf.split('\n');
    outBuf = lines.pop() ?? '';
    for (const l of lines) {
      try {
        const e = JSON.parse(l) as { event?: string; state?: string; error?: string };
        if (e.event === 'state' && e.state) child.states.push(e.state);
        if (e.event === 'error') child.states.push(`error: ${e.error}`);
      } catch {
        child.states.push(`unparsed: ${l}`);
      }
    }
  });
  return child;
}
