// Client security settings for the CLI's broker connections, as Kafka's tools and
// kcat take them: `--command-config FILE` (a .properties or JSON file of Kafka client
// properties) and `-X key=value` (repeatable, kcat's flag; wins over the file), on
// every Kafka-speaking command; `samsa mirror` has one pair per side
// (--from-config/-F, --to-config/-T). The properties are mapped by the client
// (client/kafka-properties.ts): TLS, SASL PLAIN / SCRAM, mutual TLS.
// Owns: reading those flags and the one place the CLI's commands get them from.
// Passwords belong in the file (a -X value is visible in `ps`) and never appear in
// an error message, a log line or the mirror's progress.

import type { Command } from 'commander';
import type { ClientSecurityOptions } from '../client/kafka-properties.js';
import { readConfigFile } from '../config/config.js';
import { UsageError, collect, parseKeyValue } from './common.js';

/** Reads the properties of a file then the -X pairs (later wins). */
export function readClientProperties(file: string | undefined, pairs: readonly string[] | undefined, fileFlag = '--command-config', pairFlag = '-X'): Record<string, string> {
  const out: Record<string, string> = {};
  if (file !== undefined) {
    let raw: Record<string, unknown>;
    try {
      raw = readConfigFile(file);
    } catch (err) {
      throw new UsageError(`${fileFlag}: ${(err as Error).message}`);
    }
    for (const [k, v] of Object.entries(raw)) out[k] = String(v);
  }
  for (const p of pairs ?? []) {
    const { key, value } = parseKeyValue(pairFlag, p);
    out[key] = value;
  }
  return out;
}

/** Maps client properties to client options; a usage error (exit 2) naming the flag otherwise. */
export async function securityFromProperties(props: Record<string, string>, flag: string): Promise<ClientSecurityOptions> {
  if (Object.keys(props).length === 0) return {};
  const { clientOptionsFromProperties } = await import('../client/kafka-properties.js');
  try {
    return clientOptionsFromProperties(props);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** Adds --command-config and -X to a command that connects to a broker. */
export function addSecurityOptions(cmd: Command): Command {
  return cmd
    .option('--command-config <file>', 'Kafka client properties for a secured listener (security.protocol, sasl.*, ssl.*), as Kafka tools take them')
    .option('-X, --property <key=value>', 'one client property (repeatable; wins over --command-config), as kcat takes it', collect);
}

/** The client options --command-config and -X of a parsed command ask for. */
export async function securityOptions(o: { commandConfig?: string; property?: string[] }): Promise<ClientSecurityOptions> {
  return securityFromProperties(readClientProperties(o.commandConfig, o.property), o.commandConfig !== undefined ? `--command-config ${o.commandConfig}` : '-X');
}
