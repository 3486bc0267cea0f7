// CRC-32C from @node-rs/crc32, loaded on the first checksum. Owns: that lazy load only.
// Must not be imported by browser code. Why lazy: the package's loader probes for musl
// (reads /usr/bin/ldd) and dlopens a 0.5 MB Rust library, ~4-6 ms on each thread that
// loads it, and both the main thread and every shard thread loaded it at start-up
// while a broker on an empty or cleanly stopped data dir computes no CRC until its
// first produce (issue 14: start-up). A missing binary now fails the first checksum
// instead of the start.

import { createRequire } from 'node:module';

type Crc32c = typeof import('@node-rs/crc32').crc32c;

let native: Crc32c | null = null;

/** CRC-32C of `input` (a string as UTF-8), as @node-rs/crc32 computes it. */
export function nativeCrc32c(input: Parameters<Crc32c>[0]): number {
  native ??= (createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: Crc32c }).crc32c;
  return native(input);
}
