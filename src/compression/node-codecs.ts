// Node-only fill of the wire codec registry (src/wire/codecs.ts): gzip (node:zlib),
// snappy (xerial framing), lz4 (frame), zstd (optional zstd-napi) from this folder,
// and the native CRC-32C from @node-rs/crc32 (loaded on the first checksum: native-crc32c.ts). Owns: registration only, as a side
// effect of importing this module. Imported by the Node client entry
// (src/client/index.ts), the broker's record-batch API, and every server module that
// checks batch CRCs on a hot path (the shard, the log scanner), so none of them runs
// on the plain-JS CRC. Must never be imported by the browser client (client/browser.ts).

import { nativeCrc32c } from './native-crc32c.js';
import { compress, decompress, isCompressionAvailable } from './index.js';
import { registerCompression, setCrc32c } from '../wire/codecs.js';

setCrc32c((data) => nativeCrc32c(data as Buffer) >>> 0, 'native');

for (const type of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
  registerCompression(type, {
    compress: (data) => compress(type, data),
    decompress: (data, maxOutputBytes) => decompress(type, data, maxOutputBytes),
    available: () => isCompressionAvailable(type),
  });
}
