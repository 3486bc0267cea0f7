// Where the security layer reports what it decided (failed logins, denied requests).
// Owns: that interface only (pino's logger satisfies it). Must never be given a secret.

/** pino-compatible: info for what operators audit (Kafka logs failed logins and denials at INFO), debug for successes. */
export interface SecurityLog {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}
