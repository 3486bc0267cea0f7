// Invariants: conditions that hold unless Samsa itself has a bug (or memory it owns
// was corrupted), as opposed to bad input, which gets an error code (see "Errors" in
// docs/architecture.md). Owns: the InvariantError type and the two ways to check one.
// Must not import anything (every layer, the browser client included, uses it).
//
//   assert(frames <= DRAIN_FRAMES_MAX, 'drain bound');                 // constant message
//   if (n !== size) invariantFailed(`read ${n} bytes where ${size} were sized`);
//
// On a hot path, prefer the second form: its message is built only when it fails.

/** A broken invariant: a bug, never a client's mistake. Not caught as a Kafka error. */
export class InvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvariantError';
  }
}

/** Throws InvariantError(message) unless `condition` holds. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(message);
}

/** Throws InvariantError(message); for `if (!cond) invariantFailed(\`…\`)` on hot paths. */
export function invariantFailed(message: string): never {
  throw new InvariantError(message);
}
