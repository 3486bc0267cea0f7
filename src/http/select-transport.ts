// Chooses the HTTP/WebSocket transport at start-up: uWebSockets.js, or node:http +
// ws where its binary does not load (or SAMSA_HTTP_TRANSPORT=node asks for it).
// Owns: that choice and the reason given for it. Must not serve anything; the
// implementations (uws.ts, node.ts) are loaded lazily so the one not used costs nothing.

import { logger } from '../util/logger.js';
import type { Transport, TransportName } from './transport.js';

export interface TransportChoice {
  transport: Transport;
  /** Why this one: for the start-up log line and the README. */
  reason: string;
}

/** Reads `SAMSA_HTTP_TRANSPORT` (uws | node | auto); anything else is a start-up error. */
export function requestedTransport(env: NodeJS.ProcessEnv = process.env): TransportName | 'auto' {
  const v = (env.SAMSA_HTTP_TRANSPORT ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'uws' || v === 'node') return v;
  throw new Error(`invalid SAMSA_HTTP_TRANSPORT ${JSON.stringify(env.SAMSA_HTTP_TRANSPORT)}: expected uws, node or auto`);
}

/**
 * Loads the transport selectTransport will pick, ahead of it (the broker calls this while
 * its shard threads boot, when the main thread would otherwise wait): uWebSockets.js's
 * binary takes ~2-3 ms to load, and the HTTP listener then finds it loaded. Never
 * throws: a failure is selectTransport's to report, when it loads it again.
 */
export function preloadTransport(): void {
  try {
    if (requestedTransport() === 'node') return;
  } catch {
    return;
  }
  import('./uws.js').then((m) => m.preloadUws(), () => undefined);
}

/**
 * uWebSockets.js unless it fails to load (no binary for this platform/ABI) or
 * `node` is asked for. Asking for `uws` explicitly makes a load failure an error.
 */
export async function selectTransport(want: TransportName | 'auto' = requestedTransport()): Promise<TransportChoice> {
  if (want === 'node') {
    const { nodeTransport } = await import('./node.js');
    return { transport: nodeTransport, reason: 'node:http + ws, as asked (SAMSA_HTTP_TRANSPORT=node or transport option)' };
  }
  let loadError: unknown;
  try {
    const { loadUwsTransport } = await import('./uws.js');
    const transport = await loadUwsTransport();
    return { transport, reason: `uWebSockets.js (native binary for ${process.platform}-${process.arch}, Node ABI ${process.versions.modules})` };
  } catch (err) {
    if (want === 'uws') throw err;
    loadError = err;
  }
  const { nodeTransport } = await import('./node.js');
  const why = loadError instanceof Error ? loadError.message.split('\n')[0] : String(loadError);
  logger().warn({ err: loadError }, 'uWebSockets.js did not load; HTTP/WebSocket runs on node:http + ws');
  return { transport: nodeTransport, reason: `node:http + ws, because uWebSockets.js did not load: ${why}` };
}

