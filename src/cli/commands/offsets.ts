// `samsa offsets TOPIC [-p PARTITION] [--time earliest|latest|TIMESTAMP_MS]`: the
// log start, the high watermark, or the first offset at or after a time, per
// partition (ListOffsets). Owns: its arguments and output (`partition\toffset`
// lines, or --json). Must not talk to the engine directly.

import type { Command } from 'commander';
import type { OffsetSpec } from '../../client/index.js';
import { UsageError, bootstrapOption, checkBootstrap, finish, jsonLine, parseIntArg, withAdmin, writeOut } from '../common.js';

/** Parses --time: earliest, latest, or a timestamp in ms. */
export function parseOffsetTime(raw: string): OffsetSpec {
  if (raw === 'earliest' || raw === 'beginning') return 'earliest';
  if (raw === 'latest' || raw === 'end') return 'latest';
  if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return { timestamp: Number(raw) };
  throw new UsageError(`--time must be earliest, latest or a timestamp in ms, got '${raw}'`);
}

export function registerOffsets(program: Command): void {
  program
    .command('offsets')
    .description('offsets per partition: earliest (log start), latest (high watermark) or the first at/after a time')
    .argument('<topic>', 'topic name')
    .option('-p, --partition <n>', 'only this partition')
    .option('--time <when>', 'earliest | latest | TIMESTAMP_MS (first offset with timestamp >= it; -1 if none)', 'latest')
    .option('--json', 'one JSON object')
    .addOption(bootstrapOption())
    .action(async (topic: string, o: { bootstrap: string; partition?: string; time: string; json?: boolean }) => {
      checkBootstrap(o.bootstrap);
      const spec = parseOffsetTime(o.time);
      const partition = o.partition === undefined ? undefined : parseIntArg('--partition', o.partition, 0, 0x7fffffff);
      const offsets = await withAdmin(o.bootstrap, async (admin) => {
        const [md] = await admin.describeTopics([topic]);
        const all = md!.partitions.map((p) => p.partition);
        if (partition !== undefined && !all.includes(partition)) {
          throw new Error(`topic ${topic} has no partition ${partition} (it has ${all.length})`);
        }
        return admin.listOffsets(topic, spec, partition === undefined ? all : [partition]);
      });
      if (o.json === true) {
        const time = typeof spec === 'object' ? spec.timestamp : spec;
        await writeOut(
          jsonLine({
            topic,
            time,
            partitions: offsets.map((p) => (typeof spec === 'object' ? { partition: p.partition, offset: p.offset, timestamp: p.timestamp } : { partition: p.partition, offset: p.offset })),
          }),
        );
      } else {
        await writeOut(offsets.map((p) => `${p.partition}\t${p.offset}\n`).join(''));
      }
      await finish();
    });
}
