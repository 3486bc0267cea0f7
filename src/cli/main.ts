#!/usr/bin/env node
// The `samsa` command line. Owns: registering the subcommands (one file each in
// commands/) and mapping failures to exit codes and one line on stderr. Must not
// implement a command here nor any broker logic.
// Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.

import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/config.js';
import { addSecurityOptions, securityOptions } from './client-security.js';
import { UsageError, describeFailure, setCliSecurity } from './common.js';

// Each command's module is loaded only when that command runs (all of them for
// `--help` or an unknown name): `samsa serve` then never loads the client, the load
// generator or the progress bar, which was ~20–30 ms of its start-up.
type Register = (program: Command) => void;
const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  serve: async () => (await import('./commands/serve.js')).registerServe,
  topics: async () => (await import('./commands/topics.js')).registerTopics,
  produce: async () => (await import('./commands/produce.js')).registerProduce,
  consume: async () => (await import('./commands/consume.js')).registerConsume,
  offsets: async () => (await import('./commands/offsets.js')).registerOffsets,
  bench: async () => (await import('./commands/bench.js')).registerBench,
  users: async () => (await import('./commands/users.js')).registerUsers,
  acls: async () => (await import('./commands/acls.js')).registerAcls,
  scrub: async () => (await import('./commands/scrub.js')).registerScrub,
  mirror: async () => (await import('./commands/mirror.js')).registerMirror,
};

const program = new Command();
program
  .name('samsa')
  .description('Samsa: a single-node, Kafka-protocol log broker')
  // Set before the subcommands are made: .command() copies these settings.
  .exitOverride()
  .configureOutput({ outputError: () => {} });

function bootstrapOf(argv: readonly string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === '-b' || a === '--bootstrap') && i + 1 < argv.length) return argv[i + 1]!;
    if (a.startsWith('--bootstrap=')) return a.slice('--bootstrap='.length);
  }
  return process.env.SAMSA_BOOTSTRAP ?? null;
}

async function main(): Promise<void> {
  const named = process.argv[2];
  const loaders = named !== undefined && Object.prototype.hasOwnProperty.call(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  // Registered in the table's order, so `samsa --help` lists them as before.
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
  // Every command that talks Kafka to a broker (--bootstrap, bench's --against) takes the client's
  // security settings; `mirror` has its own pair per side.
  const withBootstrap = (cmd: Command): void => {
    if (cmd.options.some((o) => o.long === '--bootstrap' || o.long === '--against')) addSecurityOptions(cmd);
    for (const sub of cmd.commands) withBootstrap(sub);
  };
  withBootstrap(program);
  program.hook('preAction', async (_program, action) => {
    const o = action.opts<{ commandConfig?: string; property?: string[] }>();
    if (o.commandConfig !== undefined || o.property !== undefined) setCliSecurity(await securityOptions(o));
  });
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
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
