// Client quotas for the API files: which quota applies to this request (its
// principal's user name and its client id) and the throttle its bytes earn. With no
// quota set anywhere each call is one property test.
// Owns: the (user, client id) of a request. Must not measure anything itself
// (security/quotas.ts does).

import type { AppliedQuota, QuotaKey } from '../../security/quotas.js';
import type { RequestContext } from './types.js';

const USER_PREFIX = 'User:';

/** The quota entity user of a principal: its name (User:alice → alice), as Kafka's. */
export function quotaUser(principal: string): string {
  return principal.startsWith(USER_PREFIX) ? principal.slice(USER_PREFIX.length) : principal;
}

/** The quota that applies to this request for `key`, or null (none set, or none matching). */
export function appliedQuota(ctx: RequestContext, key: QuotaKey): AppliedQuota | null {
  const q = ctx.security.quotas;
  if (q === undefined || !q.active) return null;
  return q.resolve(quotaUser(ctx.session.principal), ctx.clientId ?? '', key);
}

/** Records bytes against a byte-rate quota; returns the throttle (0 = within it) and notes it on the request. */
export function recordBytes(ctx: RequestContext, applied: AppliedQuota, bytes: number, nowMs: number): number {
  const t = ctx.security.quotas!.record(applied, bytes, nowMs);
  if (t > ctx.throttleMs) ctx.throttleMs = t;
  return t;
}
