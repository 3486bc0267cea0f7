#!/usr/bin/env node
// The `samsa` command line. Owns: registering the subcommands (one file each in
// commands/) and mapping failures to exit codes and one line on stderr. Must not
// implement a command here nor any broker logic.
// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.

import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { UsageError, describeFailure } from './common.js';
import { registerBench } from './commands/bench.js';
import { registerConsume } from './commands/consume.js';
import { registerOffsets } from './commands/offsets.js';
import { registerProduce } from './commands/produce.js';
import { registerServe } from './commands/serve.js';
import { registerTopics } from './commands/topics.js';

const program = new Command();
program
  .name('samsa')
  .description('Samsa: a single-node, Kafka-protocol log broker')
  // Set before the subcommands are made: .command() copies these settings.
  .exitOverride()
  .configureOutput({ outputError: () => {} });

registerServe(program);
registerTopics(program);
registerProduce(program);
registerConsume(program);
registerOffsets(program);
registerBench(program);

function bootstrapOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-b' || a === '--bootstrap') && i + 1 < argv.length) return argv[i + 1]!;
    if (a.startsWith('--bootstrap=')) return a.slice('--bootstrap='.length);
  }
  return process.env.SAMSA_BOOTSTRAP ?? null;
}

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) {
    // --help and --version end here with exit code 0; usage errors with a message.
    if (err.exitCode === 0) process.exit(0);
    if (err.code !== 'commander.help') process.stderr.write(`samsa: ${err.message.replace(/^error: /, '')} (see --help)\n`);
    process.exit(2);
  }
  if (err instanceof ConfigError || err instanceof UsageError) {
    process.stderr.write(`samsa: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`samsa: ${describeFailure(err, bootstrapOf(process.argv)).replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
});
