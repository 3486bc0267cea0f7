// Test helpers for the client tests: a real in-process broker (startBroker) on
// free ports with a temporary data dir removed on close, and a bounded message
// collector. Owns: test-only code; must not be imported from src/.

import { rmSync } from 'node:fs';
import { type Broker, startBroker } from '../../src/server.js';
import type { Consumer, Message } from '../../src/client/index.js';

export interface TestBroker {
  broker: Broker;
  bootstrap: string;
  close(): Promise<void>;
}

export async function startTestBroker(): Promise<TestBroker> {
  const broker = await startBroker({ port: 0, 'http.port': 0, host: '127.0.0.1', shards: 1 });
  return {
    broker,
    bootstrap: `127.0.0.1:${broker.kafkaPort}`,
    async close() {
      await broker.close();
      rmSync(broker.dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads `n` messages from the async iterator, failing after `timeoutMs`. */
export async function collect(consumer: Consumer, n: number, timeoutMs = 10_000): Promise<Message[]> {
  const out: Message[] = [];
  if (n === 0) return out;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`collected ${out.length} of ${n} messages in ${timeoutMs} ms`)), timeoutMs);
  });
  const read = (async () => {
    for await (const m of consumer) {
      out.push(m);
      if (out.length >= n) break;
    }
    return out;
  })();
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export const text = (b: Uint8Array | null): string | null => (b === null ? null : Buffer.from(b).toString());
