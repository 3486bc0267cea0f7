// The broker-wide budget for unsent response bytes (`queued.max.response.bytes`).
// Owns: the count of response bytes that Kafka TCP connections have written to
// sockets whose peers are not reading (Node's write buffer past its high-water mark),
// and the wake-ups of pipelines waiting for room. Must not touch sockets: each
// connection reports its own backlog (connection.ts) and each pipeline asks before it
// starts a Fetch (pipeline.ts).
//
// Why: one slow consumer costs at most one Fetch response (its connection starts no
// request while its output is backed up), but without a broker-wide bound memory grows
// with slow consumers × their fetch size. Past the budget no further Fetch starts on
// any connection until backed-up sockets drain or close; Produce and the other
// requests go on (their responses are small). A Fetch already running finishes.

export class OutputBudget {
  readonly maxBytes: number;
  private usedBytes = 0;
  private readonly waiters = new Set<() => void>();
  /** Fetches that had to wait for room (for /metrics). */
  waits = 0;

  constructor(maxBytes: number) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new Error(`invalid response budget ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Bytes of responses waiting in backed-up sockets' write buffers. */
  get usedBytesNow(): number {
    return this.usedBytes;
  }

  exhausted(): boolean {
    return this.usedBytes >= this.maxBytes;
  }

  /** A connection's backlog changed by `deltaBytes`. */
  adjust(deltaBytes: number): void {
    this.usedBytes += deltaBytes;
    if (this.usedBytes < 0) this.usedBytes = 0;
    if (deltaBytes < 0 && !this.exhausted() && this.waiters.size > 0) {
      const wake = [...this.waiters];
      this.waiters.clear();
      for (const w of wake) w();
    }
  }

  /** Calls `wake` once there is room again. One entry per waiting pipeline: bounded by the connections. */
  waitForRoom(wake: () => void): void {
    if (!this.waiters.has(wake)) this.waits++;
    this.waiters.add(wake);
  }

  cancel(wake: () => void): void {
    this.waiters.delete(wake);
  }
}
