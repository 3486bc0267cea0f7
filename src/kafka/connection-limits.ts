// Kafka's connection limits across a broker's TCP listeners: `max.connections`
// (every listener together), `max.connections.per.ip` (one client address, every
// listener together); a listener's own `listener.name.<name>.max.connections` is
// counted by that listener (tcp-server.ts). Owns: the broker-wide counts. A
// connection over a limit is closed at accept (Kafka instead stops accepting until
// one closes; a closed socket is what a client sees either way, and it retries).

export class ConnectionLimits {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    readonly maxTotal: number,
    readonly maxPerAddress: number,
  ) {}

  /** Takes a slot for a new connection from `address`; false (nothing taken) when a limit is reached. */
  tryAcquire(address: string): boolean {
    if (this.total >= this.maxTotal) return false;
    const n = this.perAddress.get(address) ?? 0;
    if (n >= this.maxPerAddress) return false;
    this.total++;
    this.perAddress.set(address, n + 1);
    return true;
  }

  /** Gives back the slot of a closed connection (once per successful tryAcquire). */
  release(address: string): void {
    this.total = Math.max(0, this.total - 1);
    const n = this.perAddress.get(address) ?? 0;
    if (n <= 1) this.perAddress.delete(address);
    else this.perAddress.set(address, n - 1);
  }

  /** Open connections counted. */
  get count(): number {
    return this.total;
  }
}
