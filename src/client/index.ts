// Samsa's TypeScript client, Node entry (`samsa/client`): everything the browser
// entry exports, with the codec registry filled from Node (node:zlib gzip, snappy,
// lz4-napi, optional zstd-napi, native CRC-32C) and TCP available through
// `bootstrap: 'host:port'`. Owns: the public surface only.

import './node-codecs.js';

export * from './browser.js';
