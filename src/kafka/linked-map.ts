// An insertion-ordered map whose entries can move to the end without being removed and
// re-added: a Map for lookup plus a doubly linked list for order (Kafka's
// ImplicitLinkedHashCollection.moveToEnd, as its fetch sessions use). Owns only that.
//
// Why not Map's own order (delete, then set): the fetch-session cache reorders on every
// Fetch (a session used, a partition answered with records). A long-lived Map that
// churns like that rehashes into a fresh backing table every few operations, and V8
// links each obsolete table to its successor; the old-space Map keeps each new table
// alive through scavenges, so every table is promoted and dies in old space (see
// src/broker/pending-table.ts). At 10,000 fetches a second that was ~40% of what a
// benched broker promoted. Here a move rewrites four pointers and allocates nothing;
// the inner Map changes only when an entry is added or removed.

interface Node<K, V> {
  readonly key: K;
  value: V;
  prev: Node<K, V> | null;
  next: Node<K, V> | null;
}

export class LinkedMap<K, V> {
  private readonly nodes = new Map<K, Node<K, V>>();
  private head: Node<K, V> | null = null;
  private tail: Node<K, V> | null = null;

  get size(): number {
    return this.nodes.size;
  }

  get(key: K): V | undefined {
    return this.nodes.get(key)?.value;
  }

  has(key: K): boolean {
    return this.nodes.has(key);
  }

  /** A new key goes at the end; an existing one keeps its place (as Map.set does). */
  set(key: K, value: V): this {
    const n = this.nodes.get(key);
    if (n !== undefined) {
      n.value = value;
      return this;
    }
    const node: Node<K, V> = { key, value, prev: this.tail, next: null };
    if (this.tail !== null) this.tail.next = node;
    else this.head = node;
    this.tail = node;
    this.nodes.set(key, node);
    return this;
  }

  delete(key: K): boolean {
    const n = this.nodes.get(key);
    if (n === undefined) return false;
    this.nodes.delete(key);
    this.unlink(n);
    // Cleared so an iterator standing on it ends instead of walking a stale chain.
    n.prev = null;
    n.next = null;
    return true;
  }

  /** Moves an entry to the end (the most recent); false if the key is not there. */
  moveToEnd(key: K): boolean {
    const n = this.nodes.get(key);
    if (n === undefined) return false;
    if (n === this.tail) return true;
    this.unlink(n);
    n.prev = this.tail;
    n.next = null;
    this.tail!.next = n;
    this.tail = n;
    return true;
  }

  /**
   * The values from first to last. Deleting the current entry while iterating is safe
   * (the next one was read before it was yielded); entries added meanwhile are visited.
   */
  *values(): IterableIterator<V> {
    let n = this.head;
    // Bounded: each step visits a distinct node of a list whose length is `size`.
    while (n !== null) {
      const next = n.next;
      yield n.value;
      n = next;
    }
  }

  private unlink(n: Node<K, V>): void {
    if (n.prev !== null) n.prev.next = n.next;
    else this.head = n.next;
    if (n.next !== null) n.next.prev = n.prev;
    else this.tail = n.prev;
  }
}
