// SASL on the broker: which mechanisms a listener offers (`sasl.enabled.mechanisms`),
// the session lifetime (`connections.max.reauth.ms`, KIP-368), and a new server
// exchange for a chosen mechanism. Owns: those settings and the mechanism table.
// Must not know the Kafka APIs that carry the tokens (kafka/apis/17, 36 do).

import { PlainServerExchange, ScramServerExchange, isScramMechanism } from './scram.js';
import type { SaslExchange } from './session.js';
import type { UserStore } from './user-store.js';

import { SASL_MECHANISMS, type SaslMechanism } from '../wire/scram.js';

export { SASL_MECHANISMS, type SaslMechanism };

export interface SaslSettings {
  /** Mechanisms offered on SASL listeners. */
  readonly enabledMechanisms: readonly SaslMechanism[];
  /** A listener's own (listener.name.<name>.sasl.enabled.mechanisms), by listener name; absent: enabledMechanisms. */
  readonly byListener?: ReadonlyMap<string, readonly SaslMechanism[]>;
  /** connections.max.reauth.ms: an authenticated session lasts this long (0 = for ever). */
  readonly reauthMs: number;
}

export const DEFAULT_SASL_SETTINGS: SaslSettings = { enabledMechanisms: ['SCRAM-SHA-256', 'SCRAM-SHA-512'], reauthMs: 0 };

export class SaslConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SaslConfigError';
  }
}

/** The mechanisms a listener offers. */
export function mechanismsFor(settings: SaslSettings, listenerName: string | undefined): readonly SaslMechanism[] {
  return (listenerName !== undefined ? settings.byListener?.get(listenerName) : undefined) ?? settings.enabledMechanisms;
}

/** Parses sasl.enabled.mechanisms ("SCRAM-SHA-256,PLAIN"). */
export function parseEnabledMechanisms(value: string): SaslMechanism[] {
  const out: SaslMechanism[] = [];
  for (const raw of value.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = raw.toUpperCase();
    if (!(SASL_MECHANISMS as readonly string[]).includes(m)) {
      throw new SaslConfigError(`sasl.enabled.mechanisms: ${JSON.stringify(raw)} is not one of ${SASL_MECHANISMS.join(', ')} (GSSAPI and OAUTHBEARER are not available)`);
    }
    if (!out.includes(m as SaslMechanism)) out.push(m as SaslMechanism);
  }
  if (out.length === 0) throw new SaslConfigError('sasl.enabled.mechanisms: no mechanism given');
  return out;
}

/** A fresh server exchange for an enabled mechanism. */
export function newSaslExchange(mechanism: SaslMechanism, users: UserStore): SaslExchange {
  const lookup = users.get.bind(users);
  if (isScramMechanism(mechanism)) return new ScramServerExchange(mechanism, lookup);
  return new PlainServerExchange(lookup);
}
