// What the Kafka handler (and the HTTP listener) get from the security layer: the
// user store and the SASL settings, and — once configured — the authorizer and the
// quota manager. Owns: that bundle and its defaults. Must not start anything.

import { DEFAULT_SASL_SETTINGS, type SaslSettings } from './sasl.js';
import { UserStore } from './user-store.js';
import type { Authorizer } from './acl.js';
import { QuotaManager } from './quotas.js';

import type { SecurityLog } from './log.js';

export type { SecurityLog };

export interface SecurityServices {
  readonly users: UserStore;
  readonly sasl: SaslSettings;
  /** Failed logins at info (as Kafka), successful ones at debug; never a secret. Default: none. */
  readonly log?: SecurityLog;
  /** ACLs, when `authorizer.class.name` is set; absent = every request is allowed (Kafka without an authorizer). */
  readonly authorizer?: Authorizer;
  /** Client quotas (DescribeClientQuotas / AlterClientQuotas); absent = none can be set. */
  readonly quotas?: QuotaManager;
}

/** No persistence, default SASL settings: for embedding and tests without a data directory. */
export function defaultSecurityServices(): SecurityServices {
  return { users: UserStore.inMemory(), sasl: DEFAULT_SASL_SETTINGS, quotas: QuotaManager.inMemory() };
}
