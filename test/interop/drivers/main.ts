// Entry of the Node-side interop drivers, run as a child process exactly like the
// Java, Go and Python ones: `node dist/test/interop/drivers/main.js <driver>`, the
// job on stdin's first line, commands on later lines, JSON lines on stdout, logs
// on stderr (interop/README.md). Owns: reading stdin, the deadline, printing the
// one result line and exiting. Must not hold any client logic (drivers/<name>.ts).

import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type AdminParams,
  type Command,
  type ConsumeParams,
  DEFAULT_TIMEOUT_MS,
  type GroupMemberParams,
  type Job,
  type ProduceParams,
  type ResultLine,
  parseCommand,
  parseJob,
} from '../protocol.js';
import { type NodeDriver, type OpContext, type OpResult, errorLine } from './common.js';

const DRIVERS: Record<string, () => Promise<NodeDriver>> = {
  samsa: async () => (await import('./samsa.js')).driver,
  kafkajs: async () => (await import('./kafkajs.js')).driver,
  platformatic: async () => (await import('./platformatic.js')).driver,
  kcat: async () => (await import('./kcat.js')).driver,
};

/** Commands waiting to be taken, at most (a suite sends a handful). */
const COMMANDS_MAX = 1000;

function writeLine(obj: object): void {
  // Synchronous: the result line must be out before process.exit.
  writeSync(1, `${JSON.stringify(obj)}\n`);
}

let resultWritten = false;
function finish(result: ResultLine): never {
  if (!resultWritten) {
    resultWritten = true;
    writeLine(result);
  }
  // Libraries keep sockets and timers alive; the result is the end of the job.
  process.exit(0);
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? '';
  const load = DRIVERS[name];
  if (load === undefined) {
    process.stderr.write(`usage: main.js <${Object.keys(DRIVERS).join('|')}>\n`);
    process.exit(2);
  }

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const commands: Command[] = [];
  let waiter: ((c: Command) => void) | null = null;
  let eof = false;
  let jobLine: ((line: string | null) => void) | null = null;
  const firstLine = new Promise<string | null>((resolve) => (jobLine = resolve));
  lines.on('line', (line) => {
    if (jobLine !== null) {
      const r = jobLine;
      jobLine = null;
      r(line);
      return;
    }
    let c: Command | null;
    try {
      c = parseCommand(line);
    } catch (err) {
      process.stderr.write(`ignoring bad command: ${String(err)}\n`);
      return;
    }
    if (c === null) return;
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w(c);
    } else if (commands.length < COMMANDS_MAX) commands.push(c);
  });
  lines.on('close', () => {
    eof = true;
    jobLine?.(null);
    if (waiter !== null) {
      const w = waiter;
      waiter = null;
      w({ cmd: 'stop' });
    }
  });

  const line = await firstLine;
  if (line === null) {
    process.stderr.write('no job on stdin\n');
    process.exit(2);
  }
  let job: Job;
  try {
    job = parseJob(line);
  } catch (err) {
    finish({ type: 'result', status: 'error', error: `bad job: ${String(err)}` });
  }

  const rawTimeout = (job.params as { timeoutMs?: unknown }).timeoutMs;
  const timeoutMs = typeof rawTimeout === 'number' && rawTimeout > 0 ? rawTimeout : DEFAULT_TIMEOUT_MS;
  let waitingFor = 'the op to start';
  let partialData: ResultLine['data'] | undefined;
  const deadline = setTimeout(() => {
    finish({
      type: 'result',
      status: 'error',
      error: `deadline of ${timeoutMs} ms passed waiting for ${waitingFor}`,
      ...(partialData !== undefined ? { data: partialData } : {}),
    });
  }, timeoutMs);

  const ctx: OpContext = {
    bootstrap: job.bootstrap,
    timeoutMs,
    emit: (event, fields = {}) => writeLine({ type: 'event', event, ...fields }),
    nextCommand: () => {
      const c = commands.shift();
      if (c !== undefined) return Promise.resolve(c);
      if (eof) return Promise.resolve({ cmd: 'stop' });
      return new Promise<Command>((resolve) => (waiter = resolve));
    },
    waiting: (what) => {
      waitingFor = what;
    },
    partial: (data) => {
      partialData = data;
    },
    deadlineMet: () => clearTimeout(deadline),
    log: (message) => process.stderr.write(`[${name}] ${message}\n`),
  };

  let result: OpResult;
  try {
    const driver = await load();
    switch (job.op) {
      case 'produce':
        result = await driver.produce(ctx, job.params as ProduceParams);
        break;
      case 'consume':
        result = await driver.consume(ctx, job.params as ConsumeParams);
        break;
      case 'group-member':
        result = await driver.groupMember(ctx, job.params as GroupMemberParams);
        break;
      case 'admin':
        result = await driver.admin(ctx, job.params as AdminParams);
        break;
      case 'txn-produce':
        // The Node clients' transactions are tested directly (test/interop/transactions.test.ts).
        result = { status: 'unsupported', error: 'txn-produce is implemented by the java driver only' };
        break;
    }
  } catch (err) {
    ctx.log(`op failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    result = { status: 'error', error: errorLine(err), ...(partialData !== undefined ? { data: partialData } : {}) };
  }
  finish({ type: 'result', ...result });
}

main().catch((err: unknown) => {
  process.stderr.write(`driver broke: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
