// Where a client's requests go when the broker is a cluster: the bootstrap list, one
// connection per broker, and the partition leaders and group coordinators learnt from
// Metadata and FindCoordinator. Owns: the connections of one client object and that
// routing cache. Must not know any other API's semantics (producer.ts, consumer.ts
// and admin.ts do) and must not import Node built-ins.
//
// A cluster of one broker (Samsa) is reached through the bootstrap connection alone,
// whatever address its Metadata advertises, and so are WebSocket (`url`) and
// custom-transport targets: routing by leader applies only when Metadata lists more
// than one broker (Apache Kafka, Redpanda). Then a request for a partition goes to
// its leader's advertised address, as every Kafka client does.

import type { FindCoordinatorResponse } from '../wire/schemas/10-find-coordinator.js';
import { API_KEYS, type Connection, ConnectionHolder, type ConnectionOptions } from './connection.js';
import { ConnectionError, ErrorCode, KafkaError, kafkaError } from './errors.js';
import { type ClusterMetadata, type TopicMetadata, requestMetadata } from './metadata.js';
import { parseBootstrapList } from './transport.js';

export { parseBootstrapList };

/** The node id that means "the bootstrap connection" (one broker, or no routing). */
export const ANY_NODE = -1;
/** A partition whose leader is not known yet: ask for metadata first. */
export const UNKNOWN_NODE = -2;

/** How many times a topic being created (LEADER_NOT_AVAILABLE, or unknown while auto-created) is asked about again. */
const CREATING_RETRIES_MAX = 20;
const CREATING_BACKOFF_MS = 50;
/** FindCoordinator answers COORDINATOR_NOT_AVAILABLE while a coordinator loads: asked again this often. */
const COORDINATOR_RETRIES_MAX = 40;
const COORDINATOR_BACKOFF_MS = 100;
/** Brokers a cluster may list before the client refuses to track more (a bound on connections). */
const BROKERS_MAX = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function addressOf(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export class Cluster {
  private readonly base: ConnectionOptions;
  /** TCP bootstrap target without a custom transport: connections to other brokers can be opened. */
  private readonly routable: boolean;
  private readonly bootstrap: readonly string[];
  /** The holder used when routing does not apply (WebSocket, custom transport). */
  private readonly single: ConnectionHolder | null;
  /** TCP connections by "host:port". */
  private readonly holders = new Map<string, ConnectionHolder>();
  /** The address `any()` uses now. */
  private anyAddress: string;
  /** nodeId → address; empty unless Metadata listed more than one broker. */
  private brokers = new Map<number, string>();
  /** Leader node per partition of each topic seen in Metadata (-1: none at the time). */
  private readonly leaders = new Map<string, number[]>();
  private readonly coordinators = new Map<string, number>();
  /** Metadata was read at least once (so `multiBroker` means something). */
  private learned = false;
  private closed = false;

  constructor(options: ConnectionOptions) {
    this.base = options;
    this.routable = options.url === undefined && options.transport === undefined && options.bootstrap !== undefined;
    if (this.routable) {
      this.bootstrap = parseBootstrapList(options.bootstrap!);
      this.single = null;
      // Validates the numeric options now, not at first use.
      this.holderFor(this.bootstrap[0]!);
    } else {
      this.bootstrap = [];
      this.single = new ConnectionHolder(options);
    }
    this.anyAddress = this.bootstrap[0] ?? '';
  }

  /** True when requests are routed to partition leaders (Metadata listed more than one broker). */
  get multiBroker(): boolean {
    return this.brokers.size > 1;
  }

  private holderFor(address: string): ConnectionHolder {
    let h = this.holders.get(address);
    if (h === undefined) {
      h = new ConnectionHolder({ ...this.base, bootstrap: address });
      this.holders.set(address, h);
    }
    return h;
  }

  /**
   * A connection to some broker: the bootstrap one while it works, else the next
   * bootstrap address or known broker that answers (each tried once per call).
   */
  async any(): Promise<Connection> {
    if (this.closed) throw new ConnectionError('client closed');
    if (this.single !== null) return this.single.get();
    const first = this.holders.get(this.anyAddress)?.peek();
    if (first !== undefined && first !== null) return first;
    const candidates = [this.anyAddress, ...this.bootstrap, ...this.brokers.values()].filter((a, i, all) => all.indexOf(a) === i);
    let lastError: unknown = null;
    for (const address of candidates) {
      try {
        const conn = await this.holderFor(address).get();
        this.anyAddress = address;
        return conn;
      } catch (err) {
        if (this.closed) throw err;
        lastError = err;
      }
    }
    throw lastError instanceof Error ? lastError : new ConnectionError('no broker reachable');
  }

  /** The open connection `any()` would return now, or null. */
  peekAny(): Connection | null {
    if (this.single !== null) return this.single.peek();
    return this.holders.get(this.anyAddress)?.peek() ?? null;
  }

  /** A connection to a node (ANY_NODE: the bootstrap one). Rejects retriably for a node Metadata no longer lists. */
  node(nodeId: number): Promise<Connection> {
    if (nodeId === ANY_NODE || !this.multiBroker) return this.any();
    const address = this.brokers.get(nodeId);
    if (address === undefined) return Promise.reject(new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `broker ${nodeId} is not in the cluster's metadata`));
    if (this.closed) return Promise.reject(new ConnectionError('client closed'));
    return this.holderFor(address).get();
  }

  /** The open connection to a node, or null (then `node()` opens one). */
  peekNode(nodeId: number): Connection | null {
    if (nodeId === ANY_NODE || !this.multiBroker) return this.peekAny();
    const address = this.brokers.get(nodeId);
    return address === undefined ? null : (this.holders.get(address)?.peek() ?? null);
  }

  /** Where requests for a partition go: a node id, ANY_NODE (one broker), or UNKNOWN_NODE (refresh metadata first). */
  leaderNode(topic: string, partition: number): number {
    if (!this.multiBroker) return ANY_NODE;
    const leader = this.leaders.get(topic)?.[partition];
    return leader === undefined || leader < 0 || !this.brokers.has(leader) ? UNKNOWN_NODE : leader;
  }

  /** Forgets a partition's leader (after NOT_LEADER_OR_FOLLOWER or a failed connection to it). */
  forgetLeader(topic: string, partition: number): void {
    const l = this.leaders.get(topic);
    if (l !== undefined && partition < l.length) l[partition] = -1;
  }

  /** Node ids of the brokers Metadata listed (empty for one broker). */
  nodeIds(): number[] {
    return [...this.brokers.keys()];
  }

  /** Metadata of `topics` (null: all), remembered for routing. */
  async metadata(topics: readonly string[] | null, allowAutoTopicCreation: boolean): Promise<ClusterMetadata> {
    const md = await requestMetadata(await this.any(), topics, allowAutoTopicCreation);
    this.learn(md);
    return md;
  }

  /**
   * One topic's metadata once it has partitions (waiting out LEADER_NOT_AVAILABLE
   * while a broker creates it). Throws KafkaError for an unknown or invalid topic.
   */
  async topic(name: string, allowAutoTopicCreation: boolean): Promise<TopicMetadata> {
    for (let attempt = 0; ; attempt++) {
      const md = await this.metadata([name], allowAutoTopicCreation);
      const t = md.topics.find((x) => x.name === name);
      const code = t === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : t.errorCode;
      if (code === ErrorCode.NONE && t !== undefined && t.partitions.length > 0) return t;
      // Kafka (KRaft) may answer the request that asked for auto-creation with
      // UNKNOWN_TOPIC_OR_PARTITION while its controller creates the topic; Kafka's producer
      // keeps asking, so a creating client waits it out too (bounded, then the error stands).
      const creating = allowAutoTopicCreation && (code === ErrorCode.NONE || code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const transient = code === ErrorCode.LEADER_NOT_AVAILABLE || creating;
      if (!transient || attempt >= CREATING_RETRIES_MAX) throw kafkaError(code === ErrorCode.NONE ? ErrorCode.LEADER_NOT_AVAILABLE : code, `metadata of topic ${name}`);
      await sleep(CREATING_BACKOFF_MS);
    }
  }

  private learn(md: ClusterMetadata): void {
    this.learned = true;
    if (this.routable) {
      const brokers = new Map<number, string>();
      for (const b of md.brokers.slice(0, BROKERS_MAX)) brokers.set(b.nodeId, addressOf(b.host, b.port));
      // One broker: keep using the bootstrap connection (see the file comment).
      this.brokers = brokers.size > 1 ? brokers : new Map();
      const keep = new Set<string>([...this.bootstrap, this.anyAddress, ...this.brokers.values()]);
      for (const [address, h] of this.holders) {
        if (!keep.has(address)) {
          h.close();
          this.holders.delete(address);
        }
      }
    }
    for (const t of md.topics) {
      if (t.errorCode !== ErrorCode.NONE || t.partitions.length === 0) {
        if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) this.leaders.delete(t.name);
        continue;
      }
      const leaders: number[] = [];
      for (const p of t.partitions) leaders[p.partition] = p.errorCode === ErrorCode.NONE ? p.leader : -1;
      for (let i = 0; i < leaders.length; i++) leaders[i] ??= -1;
      this.leaders.set(t.name, leaders);
    }
  }

  /**
   * A connection to the coordinator of a consumer group (FindCoordinator, cached until
   * forgetCoordinator). One broker: the bootstrap connection.
   */
  async coordinator(groupId: string): Promise<Connection> {
    // Whether this is a cluster decides where the answer points.
    if (this.routable && !this.learned) await this.metadata([], false);
    if (!this.multiBroker) return this.any();
    const known = this.coordinators.get(groupId);
    if (known !== undefined && this.brokers.has(known)) return this.node(known);
    for (let attempt = 0; ; attempt++) {
      const conn = await this.any();
      const v = conn.version(API_KEYS.FindCoordinator);
      const res = await conn.request<FindCoordinatorResponse>(API_KEYS.FindCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
      const c = v >= 4 ? res.coordinators.find((x) => x.key === groupId) : { errorCode: res.errorCode, errorMessage: res.errorMessage, nodeId: res.nodeId, host: res.host, port: res.port };
      const code = c === undefined ? ErrorCode.COORDINATOR_NOT_AVAILABLE : c.errorCode;
      if (code === ErrorCode.NONE && c !== undefined) {
        const address = addressOf(c.host, c.port);
        if (this.brokers.size < BROKERS_MAX) this.brokers.set(c.nodeId, address);
        this.coordinators.set(groupId, c.nodeId);
        return this.holderFor(address).get();
      }
      if (code !== ErrorCode.COORDINATOR_NOT_AVAILABLE && code !== ErrorCode.NOT_COORDINATOR) throw kafkaError(code, `find coordinator of group ${groupId}`, c?.errorMessage);
      if (attempt >= COORDINATOR_RETRIES_MAX) throw kafkaError(code, `find coordinator of group ${groupId}`);
      await sleep(COORDINATOR_BACKOFF_MS);
    }
  }

  /** After NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE: ask FindCoordinator again next time. */
  forgetCoordinator(groupId: string): void {
    this.coordinators.delete(groupId);
  }

  /** Closes every connection; later requests reject. */
  close(): void {
    this.closed = true;
    this.single?.close();
    for (const h of this.holders.values()) h.close();
    this.holders.clear();
  }
}
