// Zero-copy Fetch: records still in their segment file, sent onto a TCP socket with
// sendfile(2) so they never pass through user space.
// Owns: the FileRange type (a stand-in Uint8Array of the right length over memory
// that is never written, so a response encoder sizes and orders it like bytes),
// closing its descriptor exactly once (explicitly, or by the GC as a safety net),
// the bound on open ranges, reading a range's bytes when a path needs them after
// all, and writing a response's parts to a socket (the native sendParts; the socket's
// send buffer size, which sets the steps a partly sent response goes out in).
// Must not: decide when a range is used (a Fetch asks for ranges only on a
// connection that can send them: kafka/connection.ts), nor read or write anything in
// a segment file beyond its own range.
//
// Why reading a shard's file from the main thread is safe: a range is planned by
// the owning shard on whole batches below the high watermark, which are never
// rewritten (a failed append only cuts above it; recovery runs before serving).
// Its descriptor is the shard's own duplicated for this read, so retention deleting
// the segment, compaction swapping in a cleaned copy, or the shard closing the
// segment leaves this descriptor naming the very bytes that were planned.

import { closeSync, readSync } from 'node:fs';
import { zeroCopyCalls } from '../platform/native.js';
import type { ZeroCopyCalls } from '../platform/native.js';
export type { ZeroCopyCalls } from '../platform/native.js';
export { setSocketSendBuffer } from '../platform/native.js';
import { READ_RANGE_MIN_BYTES } from '../shard/shard-protocol.js';
import { ZERO_COPY_MIN_BYTES } from '../wire/codec/writer.js';
import { assert } from '../wire/assert.js';
import { bufferPool } from './buffer-pool.js';

// The response encoder keeps byte fields of ZERO_COPY_MIN_BYTES or more by reference;
// a range below it would be copied as the stand-in's zeros.
assert(READ_RANGE_MIN_BYTES >= ZERO_COPY_MIN_BYTES, 'file ranges must be long enough to be kept by reference');

/** Ranges (descriptors) open at once at most; past it reads fall back to bytes. */
const FILE_RANGES_OPEN_MAX = 512;

let openRanges = 0;
/** Counters, for metrics and the benchmark notes. */
export const zeroCopyStats = { ranges: 0, responses: 0, sentBytes: 0, partialSends: 0, fallbackBytes: 0, errors: 0 };

/**
 * The stand-in's memory: one zero-filled buffer shared by every range and never
 * written, so it costs address space, not resident memory. Grows if a longer range
 * comes along (the old one stays with the ranges that use it).
 */
let standIn = new ArrayBuffer(0);
function standInOf(length: number): ArrayBuffer {
  if (standIn.byteLength < length) standIn = new ArrayBuffer(Math.max(length, 16 * 1024 * 1024));
  return standIn;
}

// A range dropped without close() (a response abandoned on a closed connection, a
// long-poll pass replaced) still gets its descriptor closed.
const unclosed = new FinalizationRegistry<number>((fd) => {
  openRanges--;
  try {
    closeSync(fd);
  } catch {
    // Already gone: nothing to release.
  }
});

/**
 * `length` bytes of a segment file from `position`, through a descriptor this object
 * owns. Its own bytes (as a Uint8Array) are zeros: only code that knows FileRange may
 * handle one (sendParts, readBytes); views made from it are plain zero arrays.
 */
export class FileRange extends Uint8Array {
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  readonly fd: number;
  readonly position: number;
  /** Offsets from the first batch's base to the end of the last (the records count, short of compaction gaps). */
  readonly offsetsSpanned: number;
  private open = true;

  constructor(fd: number, position: number, length: number, offsetsSpanned: number) {
    super(standInOf(length), 0, length);
    this.fd = fd;
    this.position = position;
    this.offsetsSpanned = offsetsSpanned;
    openRanges++;
    zeroCopyStats.ranges++;
    unclosed.register(this, fd, this);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Closes the descriptor (once; later calls do nothing). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    openRanges--;
    unclosed.unregister(this);
    try {
      closeSync(this.fd);
    } catch {
      // Closing a descriptor we own cannot fail in a way we could act on.
    }
  }

  /** The bytes from `from` to the end, read into a pooled buffer; closes the range. */
  readBytes(from = 0): Uint8Array {
    const length = this.byteLength - from;
    const out = bufferPool.take(length);
    let done = 0;
    // Each pass reads ≥ 1 byte or stops: bounded by the length.
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, this.position + from + done);
      if (n <= 0) {
        this.close();
        throw new Error(`file range: read ${done} of ${length} bytes at ${this.position + from}`);
      }
      done += n;
    }
    this.close();
    return out;
  }
}

/** Whether a read may be answered with a range now (the addon has the calls, and descriptors are left). */
export function fileRangesAvailable(): boolean {
  return sender !== null && openRanges < FILE_RANGES_OPEN_MAX;
}

/** Closes the ranges among `chunks` and gives back the pooled ones (a response that will not be written). */
export function releaseChunks(chunks: readonly Uint8Array[]): void {
  for (const c of chunks) {
    if (c instanceof FileRange) c.close();
    else bufferPool.give(c);
  }
}

// SAMSA_SENDFILE=0 turns the zero-copy path off (A/B runs; a platform where it misbehaves).
const sender: ZeroCopyCalls | null = process.env.SAMSA_SENDFILE === '0' ? null : zeroCopyCalls();

/** The zero-copy calls when this process can send file ranges, else null. */
export function zeroCopySender(): ZeroCopyCalls | null {
  return sender;
}

/** One part of a response for sendParts: bytes, or a file range [fd, position, length]. */
export type SendPart = Uint8Array | readonly [number, number, number];

/**
 * `prefix` then `chunks` as sendParts takes them (FileRanges as [fd, position,
 * length]); valid while the ranges stay open. Pass it to calls.sendParts(fd, parts,
 * sentSoFar) until all is written.
 */
export function responseParts(prefix: Uint8Array, chunks: readonly Uint8Array[]): SendPart[] {
  const parts: SendPart[] = [prefix];
  for (const c of chunks) parts.push(c instanceof FileRange ? [c.fd, c.position, c.byteLength] : c);
  return parts;
}

/**
 * What is left of `prefix` + `chunks` after the first `sentBytes`, as bytes (ranges
 * read into pooled buffers and closed), for the socket's ordinary write queue.
 */
export function remainingAsBytes(prefix: Uint8Array, chunks: readonly Uint8Array[], sentBytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let skip = sentBytes;
  for (const c of [prefix, ...chunks]) {
    if (skip >= c.byteLength) {
      skip -= c.byteLength;
      if (c instanceof FileRange) c.close();
      continue;
    }
    out.push(c instanceof FileRange ? c.readBytes(skip) : c.subarray(skip));
    skip = 0;
  }
  return out;
}
