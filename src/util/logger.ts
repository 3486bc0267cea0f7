// The broker's structured logger (pino). Owns: one shared root logger and its level.
// Must not be used on a shard's hot path (shards report through ring notices).
//
// pino (and its ~20 modules) is loaded on the first logger() call, not at import:
// every module of the broker imports this one, so a static import put pino on the
// start-up path before the shard threads were even spawned; the first log call comes
// later, while the main thread waits for the shards anyway.

import { createRequire } from 'node:module';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger };

let root: Logger | null = null;
let level: LevelWithSilent | null = null;

export function logger(): Logger {
  if (root === null) {
    const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
    root = pino({ name: 'samsa', level: level ?? process.env.SAMSA_LOG_LEVEL ?? 'info' });
  }
  return root;
}

export function setLogLevel(l: LevelWithSilent): void {
  level = l;
  if (root !== null) root.level = l;
}

/** Replaces the root logger (tests, embedding with `logLevel: 'silent'`). */
export function setLogger(l: Logger): void {
  root = l;
}
