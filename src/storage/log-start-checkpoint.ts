// The log start offset checkpoint of one partition: `<partition dir>/log-start-offset`.
// Owns: reading and atomically writing the offset that DeleteRecords moved the log
// start to when it lies inside a segment (below it the segments are gone, so the
// first segment's base offset says it; inside one, only this file does — Kafka keeps
// the same fact in its log-start-offset-checkpoint). Must not touch segments.
//
// Format: one line, "<offset> <crc32c of the offset's decimal text>\n". A missing,
// torn or corrupt file reads as "no checkpoint": the log then starts at its first
// segment, which only ever shows records that DeleteRecords had hidden, never loses any.

import fs from 'node:fs';
import path from 'node:path';
import { nativeCrc32c as crc32c } from '../compression/native-crc32c.js';
import { writeFileDurably } from './durable-file.js';

export const LOG_START_CHECKPOINT_FILE = 'log-start-offset';
const CHECKPOINT_BYTES_MAX = 64;

/**
 * The checkpointed log start offset, or null when there is none (or it cannot be
 * trusted). A file that is there but torn or corrupt is reported through `warn`.
 */
export function readLogStartCheckpoint(dir: string, warn: (msg: string) => void = () => {}): number | null {
  const file = path.join(dir, LOG_START_CHECKPOINT_FILE);
  // Most partitions never had DeleteRecords: ask first, since a failed open throws an
  // Error whose stack and message cost ~0.1 ms, once per partition at start.
  if (!fs.existsSync(file)) return null;
  let text: string;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(CHECKPOINT_BYTES_MAX);
      text = buf.subarray(0, fs.readSync(fd, buf, 0, CHECKPOINT_BYTES_MAX, 0)).toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warn(`${file}: unreadable log start checkpoint ignored (${(err as Error).message}); the log starts at its first segment`);
    return null;
  }
  const m = /^(\d{1,16}) (\d{1,10})\n$/.exec(text);
  const offset = m === null ? NaN : Number(m[1]);
  if (m === null || !Number.isSafeInteger(offset) || crc32c(m[1]!) !== Number(m[2])) {
    warn(`${file}: damaged log start checkpoint ignored (${JSON.stringify(text.slice(0, 32))}); the log starts at its first segment`);
    return null;
  }
  return offset;
}

/** Writes the checkpoint durably (durable-file.ts: tmp, fdatasync, rename, directory fsync). */
export function writeLogStartCheckpoint(dir: string, offset: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`log start offset ${offset}`);
  const text = String(offset);
  writeFileDurably(path.join(dir, LOG_START_CHECKPOINT_FILE), dir, `${text} ${crc32c(text)}\n`);
}
