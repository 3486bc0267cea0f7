// Who is asking, on the HTTP / WebSocket port: `http.auth` (Basic against the SCRAM
// users, Bearer tokens) turned into a principal on every exchange and upgrade, and
// the ACL checks the routes make with it — the same principals and ACLs as the Kafka
// listeners. /healthz stays open (orchestrators probe it without credentials).
// Owns: the 401/403/429 answers and the authenticated exchange. Must not verify
// credentials itself (security/http-auth.ts does) nor quote one in an answer.

import type { Authorizer } from '../security/acl.js';
import { AclOperation, AclResourceType, CLUSTER_RESOURCE_NAME } from '../security/acl.js';
import type { HttpAuthenticator } from '../security/http-auth.js';
import { ANONYMOUS } from '../security/session.js';
import { type AdminView, EVERYTHING_VISIBLE } from './admin.js';
import { HttpError } from './errors.js';
import { ForwardingExchange, type HttpExchange, type HttpHandler, type HttpRequestHead } from './transport.js';

/** Confluent REST Proxy's codes: 40101 unauthenticated, 40301 not authorized, 42901 too many. */
export const AUTH_ERROR_CODES = { UNAUTHENTICATED: 40101, FORBIDDEN: 40301, TOO_MANY: 42901 } as const;

/** Paths served without credentials. */
const OPEN_PATHS = new Set(['/healthz']);

/** The exchange's principal, as the authorizer and logs name it. */
export function principalOf(head: HttpRequestHead): string {
  return head.principal ?? ANONYMOUS;
}

/** The client address as ACL hosts name it (an IPv4 client of a dual-stack socket shows as ::ffff:a.b.c.d). */
export function clientAddressOf(head: HttpRequestHead): string {
  const a = head.remoteAddress;
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

/** Authenticates the upgrade or request head: the principal, or the HttpError to answer. */
export function authenticateHead(auth: HttpAuthenticator | null, head: HttpRequestHead): string | HttpError {
  if (auth === null || !auth.required) return ANONYMOUS;
  const r = auth.authenticate(head.header('authorization'), clientAddressOf(head));
  if (r.ok) return r.principal;
  if (r.status === 429) return new HttpError(429, AUTH_ERROR_CODES.TOO_MANY, r.message, { 'retry-after': '1' });
  return new HttpError(401, AUTH_ERROR_CODES.UNAUTHENTICATED, r.message, { 'www-authenticate': auth.challenge });
}

/** The JSON API behind authentication: each exchange carries its principal. */
export function withAuth(handler: HttpHandler, auth: HttpAuthenticator | null): HttpHandler {
  if (auth === null || !auth.required) return handler;
  return (ex) => {
    if (OPEN_PATHS.has(ex.path)) {
      handler(ex);
      return;
    }
    const who = authenticateHead(auth, ex);
    if (who instanceof HttpError) {
      // The body (if any) is not read: close so the connection cannot desync.
      const bodyPending = (ex.header('content-length') !== '' && ex.header('content-length') !== '0') || ex.header('transfer-encoding') !== '';
      ex.respond(who.status, 'application/vnd.kafka.v2+json', who.toJson(), { close: bodyPending, ...(who.headers !== undefined ? { headers: who.headers } : {}) });
      return;
    }
    handler(new AuthedExchange(ex, who));
  };
}

/** The same exchange, with its principal. */
class AuthedExchange extends ForwardingExchange {
  constructor(
    inner: HttpExchange,
    private readonly who: string,
  ) {
    super(inner);
  }

  override get principal(): string {
    return this.who;
  }
}

/** ACL checks for HTTP routes; with no authorizer every check passes. */
export class HttpAcl {
  constructor(private readonly authorizer: Authorizer | undefined) {}

  allowed(head: HttpRequestHead, op: number, resourceType: number, name: string, audit = true): boolean {
    if (this.authorizer === undefined) return true;
    return this.authorizer.authorize({ principal: principalOf(head), clientAddress: clientAddressOf(head) }, op, resourceType, name, audit);
  }

  /** Throws 403 (REST Proxy's 40301) unless the principal may `op` the topic. */
  requireTopic(head: HttpRequestHead, op: number, topic: string): void {
    if (!this.allowed(head, op, AclResourceType.TOPIC, topic)) throw new HttpError(403, AUTH_ERROR_CODES.FORBIDDEN, `Not authorized to access topics: [${topic}]`);
  }

  /** CREATE on the cluster, or else on the topic (Kafka's CreateTopics rule). */
  requireCreate(head: HttpRequestHead, topic: string): void {
    if (this.allowed(head, AclOperation.CREATE, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME, false)) return;
    this.requireTopic(head, AclOperation.CREATE, topic);
  }

  /** Throws 403 unless the principal may `op` the consumer group (Kafka's GroupAuthorizationException wording). */
  requireGroup(head: HttpRequestHead, op: number, group: string): void {
    if (!this.allowed(head, op, AclResourceType.GROUP, group)) throw new HttpError(403, AUTH_ERROR_CODES.FORBIDDEN, `Not authorized to access group: ${group}`);
  }

  /** The topics and groups the principal may DESCRIBE, for the admin lists (no audit line per hidden name). */
  view(head: HttpRequestHead): AdminView {
    if (this.authorizer === undefined) return EVERYTHING_VISIBLE;
    return {
      topic: (name) => this.allowed(head, AclOperation.DESCRIBE, AclResourceType.TOPIC, name, false),
      group: (id) => this.allowed(head, AclOperation.DESCRIBE, AclResourceType.GROUP, id, false),
    };
  }

  requireCluster(head: HttpRequestHead, op: number): void {
    if (!this.allowed(head, op, AclResourceType.CLUSTER, CLUSTER_RESOURCE_NAME)) throw new HttpError(403, AUTH_ERROR_CODES.FORBIDDEN, 'Cluster authorization failed.');
  }
}
