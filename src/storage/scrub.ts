// Scrub: re-verifying the sealed segments of one partition directory, batch by batch
// (framing, magic, CRC-32C — the check a consumer makes), to find damage that
// happened after a segment was written: a bit flip on the device, a torn write in a
// file that recovery trusts because it is sealed. Owns: the walk and its report.
// Must not write or change any file (a damaged batch is reported, and served as
// stored: a consumer's own CRC check rejects it), and must never read the active
// segment (its owning shard appends to it; recovery checks its tail). Runs in the
// maintenance pool (src/storage/maintenance-tasks.ts), never on a shard or the main
// thread, so the Fetch path stays free of CRC work.

import fs from 'node:fs';
import path from 'node:path';
import { LOG_SUFFIX, parseSegmentFileName } from './segment.js';
import { SCAN_BAD, SCAN_CHUNK_BYTES, SCAN_END, SCAN_OK, logScanner, newBatchInfo } from './log-scanner.js';

export interface ScrubDamage {
  /** The segment file. */
  file: string;
  /** Byte position of the damaged batch (or of the first unreadable byte). */
  position: number;
  /** Offsets the damaged batch claims (-1 when its header is unreadable). */
  baseOffset: number;
  lastOffset: number;
  problem: string;
  /** True when the framing broke, so the rest of the segment from `position` was not checked. */
  restUnchecked: boolean;
}

export interface ScrubResult {
  segments: number;
  batches: number;
  bytes: number;
  /** Damaged batches found (all of them, even past the list's bound). */
  damagedCount: number;
  /** The first DAMAGE_LISTED_MAX of them. */
  damaged: ScrubDamage[];
}

/** Damage entries one result carries at most (bounds the report crossing threads). */
export const DAMAGE_LISTED_MAX = 1000;
/** Segments one scrub walks at most (bounds the work; a partition has far fewer). */
const SEGMENTS_MAX = 1_000_000;

/**
 * Checks every sealed segment of `dir`, oldest first: all but the segment with the
 * highest base offset (the active one). A segment removed meanwhile (retention) is
 * skipped; one swapped by compaction is read whole through the descriptor opened first.
 */
export function scrubPartitionDir(dir: string): ScrubResult {
  const result: ScrubResult = { segments: 0, batches: 0, bytes: 0, damagedCount: 0, damaged: [] };
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return result; // deleted since
    throw err;
  }
  const bases = names
    .map((n) => parseSegmentFileName(n))
    .filter((p): p is { baseOffset: number; kind: 'log' } => p !== null && p.kind === 'log')
    .map((p) => p.baseOffset)
    .sort((a, b) => a - b);
  const sealed = bases.slice(0, Math.max(0, bases.length - 1)).slice(0, SEGMENTS_MAX);
  const damage = (d: ScrubDamage): void => {
    result.damagedCount++;
    if (result.damaged.length < DAMAGE_LISTED_MAX) result.damaged.push(d);
  };
  for (const base of sealed) {
    const file = path.join(dir, String(base).padStart(20, '0') + LOG_SUFFIX);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // retention removed it
      throw err;
    }
    try {
      scrubSegment(fd, file, fs.fstatSync(fd).size, result, damage);
    } finally {
      fs.closeSync(fd);
    }
  }
  return result;
}

function scrubSegment(fd: number, file: string, size: number, result: ScrubResult, damage: (d: ScrubDamage) => void): void {
  result.segments++;
  const scanner = logScanner();
  scanner.reset(fd, size, SCAN_CHUNK_BYTES);
  const info = newBatchInfo();
  let pos = 0;
  // Every pass advances by at least one batch header (61 bytes) or stops.
  for (let pass = 0; pass <= size; pass++) {
    info.position = -1;
    const r = scanner.readBatch(pos, info, true);
    if (r === SCAN_END) return;
    if (r === SCAN_OK) {
      result.batches++;
      result.bytes += info.sizeBytes;
      pos += info.sizeBytes;
      continue;
    }
    if (r === SCAN_BAD && info.position === pos) {
      // The frame's length and offsets are sane and its content is not: one damaged
      // batch, and the next one starts where its length says.
      damage({ file, position: pos, baseOffset: info.baseOffset, lastOffset: info.lastOffset, problem: scanner.problem, restUnchecked: false });
      result.batches++;
      result.bytes += info.sizeBytes;
      pos += info.sizeBytes;
      continue;
    }
    // The framing itself is broken (length, magic, offsets, or a frame past the end):
    // there is no trustworthy next position.
    damage({ file, position: pos, baseOffset: -1, lastOffset: -1, problem: `${scanner.problem}; the ${size - pos} bytes from here were not checked`, restUnchecked: true });
    return;
  }
}
