// The broker-wide budget for response bytes held in memory (`queued.max.response.bytes`).
// Owns: the count of Fetch response bytes read out of the shards and not yet handed
// to a socket, plus the bytes Kafka TCP connections have written to sockets whose
// peers are not reading (Node's write buffer past its high-water mark). Must not touch
// sockets or the engine: the Fetch API reserves and releases what it reads
// (apis/01-fetch.ts), each TCP connection reports its own backlog (connection.ts).
//
// Why: one slow consumer costs at most one Fetch response (its connection starts no
// request while its output is backed up), but without a broker-wide bound memory grows
// with slow consumers × their fetch size. Past the budget a Fetch reads nothing more
// and answers what it has (empty partitions: the consumer fetches again after its
// max wait), as a Kafka fetch that found no data would; Produce and every other
// request go on.

export class OutputBudget {
  readonly maxBytes: number;
  private usedBytes = 0;
  /** Partition reads a Fetch skipped because the budget was spent (for /metrics). */
  skips = 0;

  constructor(maxBytes: number) {
    if (!(Number.isSafeInteger(maxBytes) && maxBytes > 0)) throw new Error(`invalid response budget ${maxBytes}`);
    this.maxBytes = maxBytes;
  }

  /** Response bytes held now: being built by Fetches, or waiting in backed-up sockets. */
  get usedBytesNow(): number {
    return this.usedBytes;
  }

  exhausted(): boolean {
    return this.usedBytes >= this.maxBytes;
  }

  /** Bytes taken (positive) or given back (negative). */
  adjust(deltaBytes: number): void {
    this.usedBytes += deltaBytes;
    if (this.usedBytes < 0) this.usedBytes = 0;
  }
}
