// Picks and opens the transport a connection target names: WebSocket for `url`, the
// registered TCP opener for `bootstrap`. Owns: that choice only. Must not import
// Node built-ins (the browser client uses it); TCP comes from the registry in
// transport.ts, filled by the Node entry.

import { type TransportFactory, parseHostPort, tcpTransport } from './transport.js';
import { openWebSocketTransport } from './ws-transport.js';

/** Opens the transport the target names. */
export const openTransport: TransportFactory = async (target, opts) => {
  if (target.url !== undefined) return openWebSocketTransport(target.url, opts);
  if (target.bootstrap !== undefined) {
    const { host, port } = parseHostPort(target.bootstrap);
    const tcp = tcpTransport();
    if (tcp === null) throw new TypeError('`bootstrap` (TCP) needs the Node entry `samsa/client`; in a browser use `url: "ws://host:port/kafka"`');
    return tcp(host, port, opts);
  }
  throw new TypeError('a client needs `bootstrap` ("host:port") or `url` ("ws://host:port/kafka")');
};
