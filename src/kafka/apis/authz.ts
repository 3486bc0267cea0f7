// Authorization for the API files: each request names the operations it needs on
// which resources (Kafka's KafkaApis rules, cited per API in its file), and these
// helpers ask the connection's authorizer. With no authorizer configured every call
// is one undefined test and allows, so the PLAINTEXT path pays nothing.
// Owns: the helpers and the error each kind of resource answers with. Must not
// decide anything itself (security/acl.ts does).

import { ErrorCode, KafkaError } from '../../wire/errors.js';
import { AclOperation, AclResourceType, CLUSTER_RESOURCE_NAME } from '../../security/acl.js';
import type { RequestContext } from './types.js';

export { AclOperation as Op, AclResourceType as Resource };

/** Kafka's "not requested" value for the authorized-operations fields. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** May this request's principal perform `op` on the resource? `audit` false: a refusal only filters a list. */
export function allowed(ctx: RequestContext, op: number, resourceType: number, name: string, audit = true): boolean {
  const a = ctx.security.authorizer;
  return a === undefined || a.authorize(ctx.session, op, resourceType, name, audit);
}

export function allowedOnTopic(ctx: RequestContext, op: number, topic: string, audit = true): boolean {
  return allowed(ctx, op, AclResourceType.TOPIC, topic, audit);
}

export function allowedOnCluster(ctx: RequestContext, op: number): boolean {
  return allowed(ctx, op, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME);
}

/** Throws CLUSTER_AUTHORIZATION_FAILED (the handler answers with the API's error response). */
export function requireCluster(ctx: RequestContext, op: number): void {
  if (!allowedOnCluster(ctx, op)) throw new KafkaError(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
}

/** Throws GROUP_AUTHORIZATION_FAILED for the group. */
export function requireGroup(ctx: RequestContext, op: number, groupId: string): void {
  if (!allowed(ctx, op, AclResourceType.GROUP, groupId)) throw new KafkaError(ErrorCode.GROUP_AUTHORIZATION_FAILED, `Not authorized to access group: ${groupId}`);
}

/** Kafka's CREATE rule for topics: CREATE on the cluster, or else on the topic. */
export function mayCreateTopic(ctx: RequestContext, topic: string): boolean {
  const a = ctx.security.authorizer;
  if (a === undefined) return true;
  return a.authorize(ctx.session, AclOperation.CREATE, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, false) || a.authorize(ctx.session, AclOperation.CREATE, AclResourceType.TOPIC, topic);
}

/** The authorized-operations bitfield for a resource, or "not requested". */
export function authorizedOperations(ctx: RequestContext, requested: boolean, resourceType: number, name: string): number {
  const a = ctx.security.authorizer;
  if (!requested || a === undefined) return OPERATIONS_NOT_REQUESTED;
  return a.authorizedOperations(ctx.session, resourceType, name);
}
