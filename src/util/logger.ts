// The broker's structured logger (pino). Owns: one shared root logger and its level.
// Must not be used on a shard's hot path (shards report through ring notices).

import { pino } from 'pino';
import type { Logger, LevelWithSilent } from 'pino';

export type { Logger };

let root: Logger = pino({ name: 'samsa', level: process.env.SAMSA_LOG_LEVEL ?? 'info' });

export function logger(): Logger {
  return root;
}

export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}

/** Replaces the root logger (tests, embedding with `logLevel: 'silent'`). */
export function setLogger(l: Logger): void {
  root = l;
}
