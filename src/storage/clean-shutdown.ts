// The clean-shutdown marker: `<dataDir>/.clean_shutdown`.
// Owns: writing the marker after every log was closed cleanly, and taking it (read
// and remove) at start, before anything is written. Must not open logs: the engine
// uses the answer to choose between a clean open and recovery.
//
// Present at start ⇒ the previous run closed every partition cleanly (indexes
// whole and synced), so the active segments need no CRC scan. It is removed
// (durably) before the first write, so a crash in this run leaves no marker.
// The marker may carry a second line: the offsets summary (offset-summary.ts) of
// every partition at that clean close. It is read in the same step that removes
// the marker, so a summary is only ever seen together with a clean stop: after a
// kill -9 there is no marker and so no summary to trust.

import fs from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileDurably } from './durable-file.js';

export const CLEAN_SHUTDOWN_FILE = '.clean_shutdown';


/** True if the marker was there; removes it (and syncs the directory) either way. */
export function takeCleanShutdownMarker(dataDir: string): boolean {
  return takeCleanShutdown(dataDir).clean;
}

/**
 * Takes the marker (see takeCleanShutdownMarker) and returns the summary line it
 * carried, if any (null for a marker without one, e.g. written by an older build).
 */
export function takeCleanShutdown(dataDir: string): { clean: boolean; summary: string | null } {
  const file = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { clean: false, summary: null };
    throw err;
  }
  syncDir(dataDir);
  const eol = text.indexOf('\n');
  const rest = eol < 0 ? '' : text.slice(eol + 1).trim();
  return { clean: true, summary: rest.length > 0 ? rest : null };
}

/**
 * Writes the marker durably, with an optional one-line summary after the date. Call
 * only after every partition log was closed without error.
 */
export function writeCleanShutdownMarker(dataDir: string, summary?: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  const extra = summary === undefined ? '' : `${summary.replace(/\n/g, ' ')}\n`;
  writeFileDurably(path.join(dataDir, CLEAN_SHUTDOWN_FILE), dataDir, `${new Date().toISOString()}\n${extra}`);
}

/** Whether the marker is there (without taking it). */
export function hasCleanShutdownMarker(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE));
}
