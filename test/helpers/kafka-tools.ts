// Apache Kafka's own command-line tools run against Samsa through `scripts/kafka-peer.sh
// tool NAME ...` (kafka-tools from Maven Central, cached by `scripts/kafka-peer.sh fetch`).
// Tests that use them skip, with the reason, where java or the cached jars are missing.
// Owns: test-only helpers. Must not be imported from src/.

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The script whose `tool` subcommand runs a Kafka tool's main class. */
export const KAFKA_PEER = join(REPO, 'scripts/kafka-peer.sh');

/** True when scripts/kafka-peer.sh has Kafka's jars cached (so `tool` will not download). */
function toolsCached(): boolean {
  const cache = process.env.SAMSA_CACHE_DIR ?? join(homedir(), '.cache/samsa');
  if (!existsSync(cache)) return false;
  return readdirSync(cache).some((d) => d.startsWith('kafka-') && existsSync(join(cache, d, 'libs/.complete')));
}

/** Why Kafka's tools cannot run here (a test skip reason), or null when they can. */
export function kafkaToolsMissing(): string | null {
  if (spawnSync('java', ['-version'], { stdio: 'ignore' }).status !== 0) return 'java is not installed';
  if (!toolsCached()) return "Kafka's tools are not cached (scripts/kafka-peer.sh fetch)";
  return null;
}
