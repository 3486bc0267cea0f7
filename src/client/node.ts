// The Node fill of the client: registers the Node codecs and the native CRC-32C
// (src/compression/node-codecs.ts) and the TCP transport (node:net), as a side effect
// of importing this module. Owns: those registrations only. Imported by the Node
// entry (index.ts) and by code that loads client modules one by one (the CLI), so
// `bootstrap: 'host:port'` and every codec work wherever the client runs in Node.
// Must never be imported by the browser entry (browser.ts).

import '../compression/node-codecs.js';
import { openTcpTransport } from './tcp-transport.js';
import { registerTcpTransport } from './transport.js';

registerTcpTransport(openTcpTransport);
