// Node-only fill of the client's codec registry: gzip (node:zlib), snappy (xerial
// framing), lz4 (frame), zstd (optional zstd-napi) from src/compression, and the
// native CRC-32C from @node-rs/crc32. Owns: registration only, as a side effect of
// importing this module; the Node client (index.ts) and the broker's record codec
// (src/protocol/record-batch.ts, which runs on src/client/records.ts) import it.
// Must never be imported by the browser entry (browser.ts).

import { crc32c as nativeCrc32c } from '@node-rs/crc32';
import { compress, decompress, isCompressionAvailable } from '../compression/index.js';
import { registerCompression, setCrc32c } from './codecs.js';

setCrc32c((data) => nativeCrc32c(data as Buffer) >>> 0);

for (const type of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  registerCompression(type, {
    compress: (data) => compress(type, data),
    decompress: (data, maxOutputBytes) => decompress(type, data, maxOutputBytes),
    available: () => isCompressionAvailable(type),
  });
}
