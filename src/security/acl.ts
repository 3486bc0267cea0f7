// ACLs with Kafka's model and Kafka's authorization rules (StandardAuthorizer):
// bindings of (resource type, name, LITERAL|PREFIXED) to (principal, host, operation,
// ALLOW|DENY); filters for describe and delete; and the decision for one request:
//   1. a super user (`super.users`) may do anything;
//   2. the ACLs that match the resource are the LITERAL ones with its name or `*`
//      and the PREFIXED ones whose name starts it;
//   3. none at all: allowed only with `allow.everyone.if.no.acl.found=true`;
//   4. any matching DENY for the principal (or User:*) and host (or *) and operation
//      (or ALL) refuses;
//   5. otherwise a matching ALLOW permits, where READ, WRITE, DELETE and ALTER imply
//      DESCRIBE and ALTER_CONFIGS implies DESCRIBE_CONFIGS.
// Kept in `<data dir>/meta/acls.json`, replaced atomically and durably on each change.
// Owns: the bindings, their validation, the index and the decision. Must not know the
// Kafka APIs (kafka/apis/ maps each request to operations) nor log secrets (it holds none).

import { readJsonStore } from './json-store.js';
import { dirname, join } from 'node:path';
import { writeFileDurably } from '../storage/durable-file.js';
import { AclOperation as Op, AclPatternType as Pattern, AclPermissionType as Permission, AclResourceType as Resource } from '../wire/schemas/29-describe-acls.js';
import type { SecurityLog } from './log.js';

export { Op as AclOperation, Pattern as AclPatternType, Permission as AclPermissionType, Resource as AclResourceType };

export const ACL_FILE = 'acls.json';
/** Bindings a broker keeps at most (each change rewrites the file). */
export const ACLS_MAX = 100_000;
/** Kafka's one name for the CLUSTER resource. */
export const CLUSTER_RESOURCE_NAME = 'kafka-cluster';
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

export interface AclBinding {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** A filter as DescribeAcls and DeleteAcls send it (null = any; ANY codes = any). */
export interface AclFilter {
  readonly resourceType: number;
  readonly resourceName: string | null;
  readonly patternType: number;
  readonly principal: string | null;
  readonly host: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

/** Who asks, from where (a connection's Session satisfies it). */
export interface Requester {
  readonly principal: string;
  readonly clientAddress: string;
}

const RESOURCE_NAMES: Readonly<Record<number, string>> = { 2: 'Topic', 3: 'Group', 4: 'Cluster', 5: 'TransactionalId', 6: 'DelegationToken', 7: 'User' };
const OP_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(Op).map(([k, v]) => [v, k]));

/** The operations Kafka defines for each resource type (for authorized-operations bitfields). */
export const RESOURCE_OPERATIONS: Readonly<Record<number, readonly number[]>> = {
  [Resource.TOPIC]: [Op.READ, Op.WRITE, Op.CREATE, Op.DELETE, Op.ALTER, Op.DESCRIBE, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS],
  [Resource.GROUP]: [Op.READ, Op.DESCRIBE, Op.DELETE],
  [Resource.CLUSTER]: [Op.CREATE, Op.CLUSTER_ACTION, Op.DESCRIBE_CONFIGS, Op.ALTER_CONFIGS, Op.IDEMPOTENT_WRITE, Op.ALTER, Op.DESCRIBE],
  [Resource.TRANSACTIONAL_ID]: [Op.DESCRIBE, Op.WRITE],
  [Resource.DELEGATION_TOKEN]: [Op.DESCRIBE],
  [Resource.USER]: [Op.CREATE_TOKENS, Op.DESCRIBE_TOKENS],
};

/** "Topic:LITERAL:orders", as Kafka prints a resource pattern. */
export function describeResource(type: number, patternType: number, name: string): string {
  return `${RESOURCE_NAMES[type] ?? `Type${type}`}:${patternType === Pattern.PREFIXED ? 'PREFIXED' : 'LITERAL'}:${name}`;
}

export function operationName(op: number): string {
  return OP_NAMES[op] ?? `OP${op}`;
}

/** A binding Kafka would refuse: the message says why (INVALID_REQUEST). */
export function validateBinding(b: AclBinding): string | null {
  if (RESOURCE_NAMES[b.resourceType] === undefined) return `Invalid resource type ${b.resourceType}`;
  if (b.patternType !== Pattern.LITERAL && b.patternType !== Pattern.PREFIXED) return `Invalid pattern type ${b.patternType}: ACLs are LITERAL or PREFIXED`;
  if (b.resourceName === '') return 'Resource name must not be empty';
  if (b.resourceType === Resource.CLUSTER && b.resourceName !== CLUSTER_RESOURCE_NAME) return `The only valid name for the CLUSTER resource is ${CLUSTER_RESOURCE_NAME}`;
  if (b.operation === Op.UNKNOWN || b.operation === Op.ANY || OP_NAMES[b.operation] === undefined) return `Invalid operation ${b.operation}`;
  if (b.permissionType !== Permission.ALLOW && b.permissionType !== Permission.DENY) return `Invalid permission type ${b.permissionType}`;
  if (!/^[^:]+:.+$/.test(b.principal)) return `Could not parse principal ${JSON.stringify(b.principal.slice(0, 64))}: expected Type:name, e.g. User:alice`;
  if (b.host === '') return 'Host must not be empty (use * for any host)';
  if (b.resourceName.length > 1024 || b.principal.length > 1024 || b.host.length > 255) return 'Resource name, principal or host is too long';
  return null;
}

/** A filter Kafka would refuse for DeleteAcls / DescribeAcls (UNKNOWN codes). */
export function validateFilter(f: AclFilter): string | null {
  if (f.resourceType === Resource.UNKNOWN || f.patternType === Pattern.UNKNOWN || f.operation === Op.UNKNOWN || f.permissionType === Permission.UNKNOWN) {
    return 'Filter contains UNKNOWN elements';
  }
  return null;
}

/** Kafka's AclBindingFilter.matches, including PatternType.MATCH. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== Resource.ANY && f.resourceType !== b.resourceType) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Op.ANY && f.operation !== b.operation) return false;
  if (f.permissionType !== Permission.ANY && f.permissionType !== b.permissionType) return false;
  if (f.patternType === Pattern.MATCH) {
    if (f.resourceName === null) return true;
    if (b.patternType === Pattern.LITERAL) return b.resourceName === f.resourceName || b.resourceName === WILDCARD;
    return f.resourceName.startsWith(b.resourceName);
  }
  if (f.patternType !== Pattern.ANY && f.patternType !== b.patternType) return false;
  return f.resourceName === null || f.resourceName === b.resourceName;
}

function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return (
    a.resourceType === b.resourceType &&
    a.resourceName === b.resourceName &&
    a.patternType === b.patternType &&
    a.principal === b.principal &&
    a.host === b.host &&
    a.operation === b.operation &&
    a.permissionType === b.permissionType
  );
}

function impliedBy(aclOp: number, op: number): boolean {
  if (aclOp === Op.ALL || aclOp === op) return true;
  if (op === Op.DESCRIBE) return aclOp === Op.READ || aclOp === Op.WRITE || aclOp === Op.DELETE || aclOp === Op.ALTER;
  if (op === Op.DESCRIBE_CONFIGS) return aclOp === Op.ALTER_CONFIGS;
  return false;
}

export class AclStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AclStoreError';
  }
}

interface TypeIndex {
  literal: Map<string, AclBinding[]>;
  prefixed: AclBinding[];
}

export interface AuthorizerSettings {
  /** `super.users`: principals that are allowed everything. */
  readonly superUsers: readonly string[];
  /** `allow.everyone.if.no.acl.found`. */
  readonly allowIfNoAcl: boolean;
  readonly log?: SecurityLog;
}

/** Parses Kafka's super.users: principals separated by semicolons ("User:admin;User:ops"). */
export function parseSuperUsers(value: string): string[] {
  const out = value.split(';').map((s) => s.trim()).filter((s) => s !== '');
  for (const p of out) if (!/^[^:]+:.+$/.test(p)) throw new AclStoreError(`super.users: ${JSON.stringify(p)} is not a principal (Type:name, e.g. User:admin)`);
  return out;
}

export class Authorizer {
  private acls: AclBinding[] = [];
  private index = new Map<number, TypeIndex>();
  private readonly superUsers: ReadonlySet<string>;

  /** `file` null: in memory only. */
  private constructor(
    private readonly file: string | null,
    private readonly settings: AuthorizerSettings,
  ) {
    this.superUsers = new Set(settings.superUsers);
  }

  static inMemory(settings: AuthorizerSettings): Authorizer {
    return new Authorizer(null, settings);
  }

  /** Opens (or starts) the ACLs under `metaDir`; throws AclStoreError on a damaged file. */
  static open(metaDir: string, settings: AuthorizerSettings): Authorizer {
    const a = new Authorizer(join(metaDir, ACL_FILE), settings);
    a.load();
    return a;
  }

  private load(): void {
    const file = this.file!;
    const read = readJsonStore(file, (m) => new AclStoreError(m));
    if (read === undefined) return;
    const parsed = read as { version?: unknown; acls?: unknown } | null;
    if (parsed?.version !== 1 || !Array.isArray(parsed.acls)) throw new AclStoreError(`${file}: expected {"version": 1, "acls": [...]}`);
    if (parsed.acls.length > ACLS_MAX) throw new AclStoreError(`${file}: more than ${ACLS_MAX} ACLs`);
    const acls: AclBinding[] = [];
    for (const raw of parsed.acls as unknown[]) {
      const r = raw as Record<string, unknown>;
      const b: AclBinding = {
        resourceType: Number(r.resourceType),
        resourceName: String(r.resourceName ?? ''),
        patternType: Number(r.patternType),
        principal: String(r.principal ?? ''),
        host: String(r.host ?? ''),
        operation: Number(r.operation),
        permissionType: Number(r.permissionType),
      };
      const why = validateBinding(b);
      if (why !== null) throw new AclStoreError(`${file}: an ACL is invalid: ${why}`);
      acls.push(b);
    }
    this.replace(acls);
  }

  private replace(acls: AclBinding[]): void {
    const index = new Map<number, TypeIndex>();
    for (const b of acls) {
      let t = index.get(b.resourceType);
      if (t === undefined) {
        t = { literal: new Map(), prefixed: [] };
        index.set(b.resourceType, t);
      }
      if (b.patternType === Pattern.PREFIXED) t.prefixed.push(b);
      else {
        const list = t.literal.get(b.resourceName);
        if (list === undefined) t.literal.set(b.resourceName, [b]);
        else list.push(b);
      }
    }
    this.acls = acls;
    this.index = index;
  }

  private persist(acls: AclBinding[]): void {
    if (this.file === null) return;
    writeFileDurably(this.file, dirname(this.file), JSON.stringify({ version: 1, acls }, null, 1));
  }

  /** Every binding (DescribeAcls filters it). */
  all(): readonly AclBinding[] {
    return this.acls;
  }

  /** Adds bindings (an existing identical one is kept once); durable before it returns. */
  add(bindings: readonly AclBinding[]): void {
    const next = [...this.acls];
    for (const b of bindings) if (!next.some((x) => sameBinding(x, b))) next.push(b);
    if (next.length > ACLS_MAX) throw new AclStoreError(`a broker keeps at most ${ACLS_MAX} ACLs`);
    this.persist(next);
    this.replace(next);
  }

  /** Removes every binding any filter matches; returns, per filter, what it matched. Durable before it returns. */
  remove(filters: readonly AclFilter[]): AclBinding[][] {
    const matched = filters.map((f) => this.acls.filter((b) => filterMatches(f, b)));
    const gone = new Set(matched.flat());
    if (gone.size === 0) return matched;
    const next = this.acls.filter((b) => !gone.has(b));
    this.persist(next);
    this.replace(next);
    return matched;
  }

  isSuperUser(principal: string): boolean {
    return this.superUsers.has(principal);
  }

  /**
   * May `who` perform `op` on the resource? `audit`: log a denial at info (Kafka's
   * authorizer log); false where a refusal only filters a list (Metadata of all topics).
   */
  authorize(who: Requester, op: number, resourceType: number, name: string, audit = true): boolean {
    if (this.superUsers.has(who.principal)) return true;
    const t = this.index.get(resourceType);
    let any = false;
    let allow = false;
    const consider = (list: readonly AclBinding[] | undefined): boolean => {
      if (list === undefined) return false;
      for (const b of list) {
        if (b.patternType === Pattern.PREFIXED && !name.startsWith(b.resourceName)) continue;
        any = true;
        if (b.principal !== who.principal && b.principal !== WILDCARD_PRINCIPAL) continue;
        if (b.host !== WILDCARD && b.host !== who.clientAddress) continue;
        if (b.permissionType === Permission.DENY) {
          if (b.operation === Op.ALL || b.operation === op) return true;
        } else if (impliedBy(b.operation, op)) allow = true;
      }
      return false;
    };
    let denied = false;
    if (t !== undefined) denied = consider(t.literal.get(name)) || (name !== WILDCARD && consider(t.literal.get(WILDCARD))) || consider(t.prefixed);
    const ok = !denied && (allow || (!any && this.settings.allowIfNoAcl));
    if (!ok && audit) {
      this.settings.log?.info(
        { principal: who.principal, host: who.clientAddress, operation: operationName(op), resource: describeResource(resourceType, Pattern.LITERAL, name) },
        `Principal = ${who.principal} is Denied operation = ${operationName(op)} from host = ${who.clientAddress} on resource = ${describeResource(resourceType, Pattern.LITERAL, name)}`,
      );
    }
    return ok;
  }

  /**
   * May `who` perform `op` on some resource of the type (Kafka's authorizeByResourceType,
   * used by InitProducerId: WRITE on any topic stands in for IDEMPOTENT_WRITE, KIP-679)?
   * Refused by a DENY on every name (LITERAL `*` or PREFIXED ``); allowed by any ALLOW;
   * with no ACL of the type at all, by allow.everyone.if.no.acl.found.
   */
  authorizeAny(who: Requester, op: number, resourceType: number): boolean {
    if (this.superUsers.has(who.principal)) return true;
    const t = this.index.get(resourceType);
    if (t === undefined) return this.settings.allowIfNoAcl;
    const applies = (b: AclBinding): boolean =>
      (b.principal === who.principal || b.principal === WILDCARD_PRINCIPAL) && (b.host === WILDCARD || b.host === who.clientAddress);
    const everywhere = [...(t.literal.get(WILDCARD) ?? []), ...t.prefixed.filter((b) => b.resourceName === '')];
    if (everywhere.some((b) => applies(b) && b.permissionType === Permission.DENY && (b.operation === Op.ALL || b.operation === op))) return false;
    for (const list of [...t.literal.values(), t.prefixed]) {
      for (const b of list) if (applies(b) && b.permissionType === Permission.ALLOW && impliedBy(b.operation, op)) return true;
    }
    return false;
  }

  /** The operations `who` may perform on a resource, as Kafka's authorized-operations bitfield. */
  authorizedOperations(who: Requester, resourceType: number, name: string): number {
    let bits = 0;
    for (const op of RESOURCE_OPERATIONS[resourceType] ?? []) if (this.authorize(who, op, resourceType, name, false)) bits |= 1 << op;
    return bits;
  }
}
