// `samsa acls add|list|remove`: Kafka ACLs through a running broker with CreateAcls,
// DescribeAcls and DeleteAcls (what kafka-acls.sh sends), with kafka-acls' words:
// --allow-principal/--deny-principal, --operation, --topic/--group/--cluster/
// --transactional-id, --resource-pattern-type literal|prefixed, --host.
// Owns: the arguments and outputs of these commands. Must not touch the broker's
// files (ACLs are changed through the protocol only, so the broker sees them at once).

import type { Command } from 'commander';
import { Connection } from '../../client/connection.js';
import { AclOperation, AclPatternType, AclPermissionType, AclResourceType } from '../../wire/schemas/29-describe-acls.js';
import { UsageError, bootstrapOption, clientOptions, collect, connectFailure, finish, jsonLine, writeOut } from '../common.js';

const API_DESCRIBE_ACLS = 29;
const API_CREATE_ACLS = 30;
const API_DELETE_ACLS = 31;
const CLUSTER = 'kafka-cluster';

const OPERATION_BY_NAME: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(AclOperation)
    .filter(([k]) => k !== 'UNKNOWN' && k !== 'ANY')
    .map(([k, v]) => [k.toLowerCase().replace(/_/g, ''), v]),
);
const NAME_OF = <T extends Record<string, number>>(table: T, code: number): string => Object.entries(table).find(([, v]) => v === code)?.[0] ?? String(code);

interface ResourceOpts {
  topic?: string;
  group?: string;
  cluster?: boolean;
  transactionalId?: string;
  resourcePatternType?: string;
}

interface ConnOpts {
  bootstrap: string;
}

interface Resource {
  type: number;
  name: string | null;
}

/** The one resource named by the flags, or null for "any" (list/remove only). */
function resourceFrom(o: ResourceOpts, required: boolean): Resource | null {
  const given: Resource[] = [];
  if (o.topic !== undefined) given.push({ type: AclResourceType.TOPIC, name: o.topic });
  if (o.group !== undefined) given.push({ type: AclResourceType.GROUP, name: o.group });
  if (o.cluster === true) given.push({ type: AclResourceType.CLUSTER, name: CLUSTER });
  if (o.transactionalId !== undefined) given.push({ type: AclResourceType.TRANSACTIONAL_ID, name: o.transactionalId });
  if (given.length > 1) throw new UsageError('name one resource: --topic, --group, --cluster or --transactional-id');
  if (given.length === 0 && required) throw new UsageError('name a resource: --topic NAME, --group NAME, --cluster or --transactional-id NAME');
  return given[0] ?? null;
}

function patternFrom(raw: string | undefined, forFilter: boolean): number {
  const v = (raw ?? (forFilter ? 'any' : 'literal')).toLowerCase();
  const code = { literal: AclPatternType.LITERAL, prefixed: AclPatternType.PREFIXED, any: AclPatternType.ANY, match: AclPatternType.MATCH }[v];
  if (code === undefined || (!forFilter && code !== AclPatternType.LITERAL && code !== AclPatternType.PREFIXED)) {
    throw new UsageError(`--resource-pattern-type must be ${forFilter ? 'literal, prefixed, any or match' : 'literal or prefixed'}, got '${raw}'`);
  }
  return code;
}

function operationsFrom(list: readonly string[]): number[] {
  if (list.length === 0) throw new UsageError('give at least one --operation (Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, IdempotentWrite, ClusterAction, All)');
  return list.flatMap((s) => s.split(',')).map((raw) => {
    const code = OPERATION_BY_NAME[raw.trim().toLowerCase().replace(/[-_]/g, '')];
    if (code === undefined) throw new UsageError(`unknown --operation '${raw}'`);
    return code;
  });
}

async function withConnection<T>(o: ConnOpts, fn: (conn: Connection) => Promise<T>): Promise<T> {
  let conn: Connection;
  try {
    // The Node entry registers the TCP (and TLS) transport the client opens.
    await import('../../client/node.js');
    conn = await Connection.open(clientOptions(o.bootstrap));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw connectFailure(o.bootstrap, err);
  }
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

interface AclRow {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
}

function row(b: { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number }): AclRow {
  return {
    resourceType: NAME_OF(AclResourceType, b.resourceType),
    resourceName: b.resourceName,
    patternType: NAME_OF(AclPatternType, b.patternType),
    principal: b.principal,
    host: b.host,
    operation: NAME_OF(AclOperation, b.operation),
    permissionType: NAME_OF(AclPermissionType, b.permissionType),
  };
}

function text(rows: readonly AclRow[]): string {
  return rows.map((r) => `${r.resourceType}:${r.patternType}:${r.resourceName}\t${r.permissionType}\t${r.principal}\t${r.operation}\tfrom ${r.host}\n`).join('');
}

function withCommon(cmd: Command): Command {
  return cmd
    .addOption(bootstrapOption())
    .option('--topic <name>', 'a topic (or prefix with --resource-pattern-type prefixed)')
    .option('--group <name>', 'a consumer group')
    .option('--cluster', 'the cluster')
    .option('--transactional-id <id>', 'a transactional id')
    .option('--resource-pattern-type <type>', 'literal, prefixed (add); also any, match (list, remove)');
}

interface DescribeResponse {
  errorCode: number;
  errorMessage: string | null;
  resources: Array<{ resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }>;
}

export function registerAcls(program: Command): void {
  const acls = program.command('acls').description('Kafka ACLs (the broker needs authorizer.class.name set)');

  withCommon(acls.command('add'))
    .description('add ACLs: each principal × operation on one resource')
    .option('--allow-principal <p>', 'principal to allow, e.g. User:alice (repeatable)', collect)
    .option('--deny-principal <p>', 'principal to deny (repeatable)', collect)
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, DescribeConfigs, AlterConfigs, IdempotentWrite, All (repeatable or comma-separated)', collect)
    .option('--host <ip>', 'client IP the ACL applies to', '*')
    .action(async (o: ConnOpts & ResourceOpts & { allowPrincipal?: string[]; denyPrincipal?: string[]; operation?: string[]; host: string }) => {
      const resource = resourceFrom(o, true)!;
      const pattern = patternFrom(o.resourcePatternType, false);
      const ops = operationsFrom(o.operation ?? []);
      const principals = [...(o.allowPrincipal ?? []).map((p) => ({ p, perm: AclPermissionType.ALLOW })), ...(o.denyPrincipal ?? []).map((p) => ({ p, perm: AclPermissionType.DENY }))];
      if (principals.length === 0) throw new UsageError('give --allow-principal or --deny-principal (e.g. User:alice)');
      const creations = principals.flatMap(({ p, perm }) =>
        ops.map((operation) => ({ resourceType: resource.type, resourceName: resource.name!, resourcePatternType: pattern, principal: p, host: o.host, operation, permissionType: perm })),
      );
      await withConnection(o, async (conn) => {
        const r = await conn.request<{ results: Array<{ errorCode: number; errorMessage: string | null }> }>(API_CREATE_ACLS, { creations });
        const bad = r.results.map((x, i) => ({ ...x, i })).filter((x) => x.errorCode !== 0);
        if (bad.length > 0) throw new Error(bad.map((x) => x.errorMessage ?? `error ${x.errorCode}`).join('; '));
      });
      await writeOut(text(creations.map((c) => row({ ...c, patternType: c.resourcePatternType }))));
      await finish(0);
    });

  withCommon(acls.command('list'))
    .description('list ACLs (all, or those matching the resource/principal given)')
    .option('--principal <p>', 'only this principal')
    .option('--json', 'print JSON')
    .action(async (o: ConnOpts & ResourceOpts & { principal?: string; json?: boolean }) => {
      const resource = resourceFrom(o, false);
      const rows = await withConnection(o, async (conn) => {
        const r = await conn.request<DescribeResponse>(API_DESCRIBE_ACLS, {
          resourceTypeFilter: resource?.type ?? AclResourceType.ANY,
          resourceNameFilter: resource?.name ?? null,
          patternTypeFilter: patternFrom(o.resourcePatternType, true),
          principalFilter: o.principal ?? null,
          hostFilter: null,
          operation: AclOperation.ANY,
          permissionType: AclPermissionType.ANY,
        });
        if (r.errorCode !== 0) throw new Error(r.errorMessage ?? `DescribeAcls failed with error ${r.errorCode}`);
        return r.resources.flatMap((res) => res.acls.map((a) => row({ ...a, resourceType: res.resourceType, resourceName: res.resourceName, patternType: res.patternType })));
      });
      await writeOut(o.json === true ? jsonLine(rows) : text(rows));
      await finish(0);
    });

  withCommon(acls.command('remove'))
    .description('remove the ACLs matching the resource, principal and operation given (at least one of them)')
    .option('--principal <p>', 'only this principal')
    .option('--operation <op>', 'only this operation')
    .action(async (o: ConnOpts & ResourceOpts & { principal?: string; operation?: string }) => {
      const resource = resourceFrom(o, false);
      if (resource === null && o.principal === undefined) throw new UsageError('name what to remove: a resource (--topic, --group, --cluster, --transactional-id) and/or --principal');
      const filter = {
        resourceTypeFilter: resource?.type ?? AclResourceType.ANY,
        resourceNameFilter: resource?.name ?? null,
        patternTypeFilter: patternFrom(o.resourcePatternType, true),
        principalFilter: o.principal ?? null,
        hostFilter: null,
        operation: o.operation === undefined ? AclOperation.ANY : operationsFrom([o.operation])[0]!,
        permissionType: AclPermissionType.ANY,
      };
      const removed = await withConnection(o, async (conn) => {
        const r = await conn.request<{ filterResults: Array<{ errorCode: number; errorMessage: string | null; matchingAcls: Array<Parameters<typeof row>[0]> }> }>(API_DELETE_ACLS, { filters: [filter] });
        const f = r.filterResults[0]!;
        if (f.errorCode !== 0) throw new Error(f.errorMessage ?? `DeleteAcls failed with error ${f.errorCode}`);
        return f.matchingAcls.map(row);
      });
      await writeOut(removed.length === 0 ? 'no ACL matched\n' : text(removed));
      await finish(0);
    });
}
