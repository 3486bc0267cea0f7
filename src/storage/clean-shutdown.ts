// The clean-shutdown marker: `<dataDir>/.clean_shutdown`.
// Owns: writing the marker after every log was closed cleanly, and taking it (read
// and remove) at start, before anything is written. Must not open logs: the engine
// uses the answer to choose between a clean open and recovery.
//
// Present at start ⇒ the previous run closed every partition cleanly (indexes
// whole and synced), so the active segments need no CRC scan. It is removed
// (durably) before the first write, so a crash in this run leaves no marker.

import fs from 'node:fs';
import path from 'node:path';
import { syncDir, writeFileDurably } from './durable-file.js';

export const CLEAN_SHUTDOWN_FILE = '.clean_shutdown';


/** True if the marker was there; removes it (and syncs the directory) either way. */
export function takeCleanShutdownMarker(dataDir: string): boolean {
  const file = path.join(dataDir, CLEAN_SHUTDOWN_FILE);
  try {
    fs.unlinkSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  syncDir(dataDir);
  return true;
}

/** Writes the marker durably. Call only after every partition log was closed without error. */
export function writeCleanShutdownMarker(dataDir: string): void {
  fs.mkdirSync(dataDir, { recursive: true });
  writeFileDurably(path.join(dataDir, CLEAN_SHUTDOWN_FILE), dataDir, `${new Date().toISOString()}\n`);
}

/** Whether the marker is there (without taking it). */
export function hasCleanShutdownMarker(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, CLEAN_SHUTDOWN_FILE));
}
