// `samsa topics create|list|describe|delete|alter-config`: topic admin over the
// Kafka protocol with Samsa's Admin client. Owns: the arguments, the text and
// --json outputs of these commands. Must not talk to the engine directly (any
// Kafka-protocol broker must work) nor build protocol requests beyond the one
// alter-config needs (IncrementalAlterConfigs, which the Admin client lacks).

import type { Command } from 'commander';
import { type Admin, Connection, ErrorCode, KafkaError, type PartitionOffset } from '../../client/index.js';
import { PARTITIONS_MAX } from '../../wire/topic-name.js';
import {
  UsageError,
  bootstrapOption,
  checkBootstrap,
  clientOptions,
  collect,
  connectFailure,
  finish,
  jsonLine,
  parseIntArg,
  parseKeyValue,
  withAdmin,
  writeOut,
} from '../common.js';

/** IncrementalAlterConfigs (KIP-339): not in the Admin client; sent raw through a Connection. */
const API_INCREMENTAL_ALTER_CONFIGS = 44;
const RESOURCE_TOPIC = 2;
const CONFIG_OP_SET = 0;
const CONFIG_OP_DELETE = 1;
/** DescribeConfigs ConfigSource → a word for people. */
const CONFIG_SOURCES: Readonly<Record<number, string>> = {
  0: 'unknown',
  1: 'topic',
  2: 'dynamic-broker',
  3: 'dynamic-default',
  4: 'broker',
  5: 'default',
};

interface BootstrapOpts {
  bootstrap: string;
}

function configsFrom(flag: string, list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of list) {
    const { key, value } = parseKeyValue(flag, raw);
    out[key] = value;
  }
  return out;
}

export interface TopicDescription {
  name: string;
  topicId: string;
  partitions: Array<{ partition: number; leader: number; earliest: number; latest: number }>;
  configs: Array<{ name: string; value: string | null; source: string; readOnly: boolean }>;
}

async function describeTopic(admin: Admin, name: string): Promise<TopicDescription> {
  const [md] = await admin.describeTopics([name]);
  const parts = md!.partitions.map((p) => p.partition);
  const [earliest, latest, configs] = await Promise.all([
    admin.listOffsets(name, 'earliest', parts),
    admin.listOffsets(name, 'latest', parts),
    admin.describeConfigs([{ type: 'topic', name }]),
  ]);
  const at = (list: PartitionOffset[], p: number): number => list.find((o) => o.partition === p)?.offset ?? -1;
  return {
    name,
    topicId: md!.topicId,
    partitions: md!.partitions.map((p) => ({ partition: p.partition, leader: p.leader, earliest: at(earliest, p.partition), latest: at(latest, p.partition) })),
    configs: (configs[0]?.configs ?? [])
      .map((c) => ({ name: c.name, value: c.isSensitive ? null : c.value, source: CONFIG_SOURCES[c.source] ?? String(c.source), readOnly: c.readOnly }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
}

function describeText(d: TopicDescription): string {
  const lines = [`Topic: ${d.name}\tTopicId: ${d.topicId}\tPartitions: ${d.partitions.length}`];
  for (const p of d.partitions) lines.push(`\tPartition: ${p.partition}\tLeader: ${p.leader}\tEarliest: ${p.earliest}\tLatest: ${p.latest}`);
  lines.push('Configs:');
  for (const c of d.configs) lines.push(`\t${c.name}=${c.value ?? '(sensitive)'}\t(${c.source})`);
  return `${lines.join('\n')}\n`;
}

interface AlterConfigsResponse {
  responses: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>;
}

/** IncrementalAlterConfigs on one topic; a clear error when the broker or client lacks the API. */
async function incrementalAlterConfigs(bootstrap: string, topic: string, set: Record<string, string>, remove: readonly string[]): Promise<void> {
  let conn: Connection;
  try {
    conn = await Connection.open(clientOptions(bootstrap));
  } catch (err) {
    throw connectFailure(bootstrap, err);
  }
  try {
    if (conn.version(API_INCREMENTAL_ALTER_CONFIGS) < 0) {
      throw new Error(
        `topics alter-config: IncrementalAlterConfigs (API 44) is not available between this client and the broker at ${bootstrap}; set configs at creation instead (topics create -c key=value)`,
      );
    }
    const configs = [
      ...Object.entries(set).map(([name, value]) => ({ name, configOperation: CONFIG_OP_SET, value })),
      ...remove.map((name) => ({ name, configOperation: CONFIG_OP_DELETE, value: null })),
    ];
    const res = await conn.request<AlterConfigsResponse>(API_INCREMENTAL_ALTER_CONFIGS, {
      resources: [{ resourceType: RESOURCE_TOPIC, resourceName: topic, configs }],
      validateOnly: false,
    });
    const failed = res.responses.find((r) => r.errorCode !== ErrorCode.NONE);
    if (failed !== undefined) {
      throw new KafkaError(failed.errorCode, `topics alter-config ${topic}: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
    }
  } finally {
    conn.close();
  }
}

export function registerTopics(program: Command): void {
  const topics = program.command('topics').description('create, list, describe, delete topics and change their configs');

  topics
    .command('create')
    .description('create a topic')
    .argument('<name>', 'topic name')
    .option('-p, --partitions <n>', 'partitions (default: the broker\'s num.partitions)')
    .option('-c, --config <key=value>', 'topic setting, repeatable (e.g. -c retention.ms=60000)', collect, [])
    .option('--if-not-exists', 'succeed when the topic exists already')
    .addOption(bootstrapOption())
    .action(async (name: string, o: BootstrapOpts & { partitions?: string; config: string[]; ifNotExists?: boolean }) => {
      checkBootstrap(o.bootstrap);
      const numPartitions = o.partitions === undefined ? undefined : parseIntArg('--partitions', o.partitions, 1, PARTITIONS_MAX);
      const configs = configsFrom('--config', o.config);
      const count = await withAdmin(o.bootstrap, async (admin) => {
        try {
          await admin.createTopics([{ name, ...(numPartitions !== undefined ? { numPartitions } : {}), configs }]);
        } catch (err) {
          if (!(o.ifNotExists === true && err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) throw err;
        }
        const [md] = await admin.describeTopics([name]);
        return md!.partitions.length;
      });
      await writeOut(`created topic ${name} (${count} partition${count === 1 ? '' : 's'})\n`);
      await finish();
    });

  topics
    .command('list')
    .description('list topics, one name per line')
    .option('--json', 'a JSON array of {name, partitions}')
    .addOption(bootstrapOption())
    .action(async (o: BootstrapOpts & { json?: boolean }) => {
      checkBootstrap(o.bootstrap);
      const out = await withAdmin(o.bootstrap, async (admin) => {
        const names = await admin.listTopics();
        if (o.json !== true) return names.map((n) => `${n}\n`).join('');
        const md = names.length === 0 ? [] : await admin.describeTopics(names);
        return jsonLine(md.map((t) => ({ name: t.name, partitions: t.partitions.length })));
      });
      await writeOut(out);
      await finish();
    });

  topics
    .command('describe')
    .description('partitions (leader, earliest and latest offsets) and configs of a topic')
    .argument('<name>', 'topic name')
    .option('--json', 'one JSON object')
    .addOption(bootstrapOption())
    .action(async (name: string, o: BootstrapOpts & { json?: boolean }) => {
      checkBootstrap(o.bootstrap);
      const d = await withAdmin(o.bootstrap, (admin) => describeTopic(admin, name));
      await writeOut(o.json === true ? jsonLine(d) : describeText(d));
      await finish();
    });

  topics
    .command('delete')
    .description('delete a topic and its data')
    .argument('<name>', 'topic name')
    .option('--if-exists', 'succeed when the topic does not exist')
    .addOption(bootstrapOption())
    .action(async (name: string, o: BootstrapOpts & { ifExists?: boolean }) => {
      checkBootstrap(o.bootstrap);
      const deleted = await withAdmin(o.bootstrap, async (admin) => {
        try {
          await admin.deleteTopics([name]);
          return true;
        } catch (err) {
          if (o.ifExists === true && err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return false;
          throw err;
        }
      });
      await writeOut(deleted ? `deleted topic ${name}\n` : `topic ${name} does not exist\n`);
      await finish();
    });

  topics
    .command('delete-records')
    .description('delete the records below an offset: the partitions\' earliest offset moves up to it (DeleteRecords, like kafka-delete-records.sh)')
    .argument('<name>', 'topic name')
    .requiredOption('-o, --offset <offset>', "records below this offset go; 'end' (or -1): every record now in the partition")
    .option('-p, --partition <n>', 'one partition (default: all of them)')
    .addOption(bootstrapOption())
    .action(async (name: string, o: BootstrapOpts & { offset: string; partition?: string }) => {
      checkBootstrap(o.bootstrap);
      const offset = o.offset === 'end' ? -1 : parseIntArg('--offset', o.offset, -1, Number.MAX_SAFE_INTEGER);
      const only = o.partition === undefined ? undefined : parseIntArg('--partition', o.partition, 0, PARTITIONS_MAX - 1);
      const result = await withAdmin(o.bootstrap, async (admin) => {
        const [md] = await admin.describeTopics([name]);
        const partitions = only !== undefined ? [only] : md!.partitions.map((p) => p.partition);
        return admin.deleteRecords(name, partitions.map((partition) => ({ partition, offset })));
      });
      await writeOut(result.map((r) => `${name}-${r.partition}: earliest offset now ${r.lowWatermark}\n`).join(''));
      await finish();
    });

  topics
    .command('alter-config')
    .description('set (-c key=value) or reset (--delete key) topic settings (IncrementalAlterConfigs)')
    .argument('<name>', 'topic name')
    .option('-c, --config <key=value>', 'setting to set, repeatable', collect, [])
    .option('--delete <key>', 'setting to reset to its default, repeatable', collect, [])
    .addOption(bootstrapOption())
    .action(async (name: string, o: BootstrapOpts & { config: string[]; delete: string[] }) => {
      checkBootstrap(o.bootstrap);
      const set = configsFrom('--config', o.config);
      if (o.config.length === 0 && o.delete.length === 0) throw new UsageError('topics alter-config needs at least one -c key=value or --delete key');
      for (const k of o.delete) if (k === '' || k.includes('=')) throw new UsageError(`--delete expects a setting name, got '${k}'`);
      // The topic must exist: a clear UNKNOWN_TOPIC error before anything else.
      await withAdmin(o.bootstrap, (admin) => admin.describeTopics([name]));
      await incrementalAlterConfigs(o.bootstrap, name, set, o.delete);
      await writeOut(`altered topic ${name}: ${[...Object.entries(set).map(([k, v]) => `${k}=${v}`), ...o.delete.map((k) => `-${k}`)].join(' ')}\n`);
      await finish();
    });
}
