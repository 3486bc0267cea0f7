// The transaction coordinator of this single broker (Kafka's TransactionCoordinator,
// KIP-98 with KIP-360/447/890-part-1 behaviour, transaction version 1): one state
// machine per transactional id, durable in __transaction_state (state-store.ts).
// Owns: producer ids and epochs of transactional ids (fencing older producers), the
// partitions of each transaction, ending transactions by writing COMMIT/ABORT markers
// into every one of its partitions, aborting transactions that outlive their timeout,
// finishing what a crash interrupted, forgetting idle ids, and the checks a
// transactional produce or offset commit must pass. Must not touch sockets or wire
// formats (the apis/NN-*.ts files translate), nor partition files (markers go through
// the engine like any append).
//
// States, as in Kafka:
//   Empty ─AddPartitions/AddOffsets→ Ongoing ─EndTxn→ PrepareCommit|PrepareAbort
//   ─markers written→ CompleteCommit|CompleteAbort ─AddPartitions→ Ongoing …
// Every transition is written (acks=-1) before it takes effect. EndTxn answers once
// the markers are written and the Complete state is durable, so a client's next
// transaction never meets CONCURRENT_TRANSACTIONS for its own previous one. After a
// restart, Prepare* transactions get their markers again (a partition that had its
// marker already gets an empty one, which changes nothing) and Ongoing ones are
// aborted once their timeout has passed since they began.
//
// Fencing: InitProducerId for an id whose transaction is Ongoing aborts it with the
// epoch bumped (its markers carry the new epoch, so the old producer's writes to those
// partitions fail with INVALID_PRODUCER_EPOCH), then bumps again for the caller; any
// request with an older epoch gets PRODUCER_FENCED. A timed-out transaction is aborted
// the same way.
//
// Bounds: at most `maxTransactionalIds` ids (a new one past it evicts the idle id
// unused longest, or is refused while every id has a transaction in progress) and
// `maxPartitionsPerTxn` partitions per transaction. Timers are unref'd.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode, KafkaError } from '../wire/errors.js';
import { encodeMarkerBatch } from '../wire/control-batch.js';
import type { OffsetStore } from '../groups/offset-store.js';
import { OFFSETS_TOPIC } from '../groups/offset-store.js';
import { TxnStateStore } from './state-store.js';
import type { TxnRecord, TxnStateName } from './state-store.js';
import type { ProducerIdAllocator } from './producer-id-allocator.js';

export interface TxnCoordinatorOptions {
  /** Kafka's transaction.max.timeout.ms: the largest transaction.timeout.ms a producer may ask for. */
  maxTimeoutMs: number;
  /** Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms. */
  abortCheckIntervalMs: number;
  /** Kafka's transactional.id.expiration.ms: an id idle this long is forgotten. */
  idExpirationMs: number;
  /** Transactional ids kept at most. */
  maxTransactionalIds: number;
  /** Partitions one transaction may hold. */
  maxPartitionsPerTxn: number;
}

export const DEFAULT_TXN_COORDINATOR_OPTIONS: Readonly<TxnCoordinatorOptions> = {
  maxTimeoutMs: 900_000,
  abortCheckIntervalMs: 10_000,
  idExpirationMs: 604_800_000,
  maxTransactionalIds: 100_000,
  maxPartitionsPerTxn: 10_000,
};

/** Kafka exhausts an epoch at Short.MAX_VALUE - 1 and moves to a new producer id. */
const EPOCH_MAX = 0x7fff - 1;
/** Marker writes per end of a transaction are retried this often before the state waits for the next check. */
const MARKER_ATTEMPTS_MAX = 3;
const COORDINATOR_EPOCH = 0;
const MARKER_RETRY_BACKOFF_MS = 100;

export interface ProducerIdAndEpoch {
  errorCode: number;
  producerId: number;
  producerEpoch: number;
}

export interface TxnDescription {
  transactionalId: string;
  state: TxnStateName;
  producerId: number;
  producerEpoch: number;
  timeoutMs: number;
  startMs: number;
  partitions: Array<[string, number]>;
}

interface TxnMeta {
  readonly id: string;
  producerId: number;
  producerEpoch: number;
  /** The id and epoch before the last InitProducerId (KIP-360: a producer retrying its own InitProducerId). */
  prevProducerId: number;
  prevProducerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  partitions: Map<string, [string, number]>;
  startMs: number;
  updateMs: number;
}

function partitionKey(topic: string, partition: number): string {
  return `${topic}\0${partition}`;
}

export class TransactionCoordinator {
  private readonly opts: TxnCoordinatorOptions;
  private readonly store: TxnStateStore;
  private readonly txns = new Map<string, TxnMeta>();
  /** Per transactional id, the tail of its serialised operations. */
  private readonly locks = new Map<string, Promise<unknown>>();
  private loading: Promise<void> | null = null;
  private isLoaded = false;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly engine: Engine,
    private readonly offsets: OffsetStore,
    private readonly producerIds: ProducerIdAllocator,
    opts: Partial<TxnCoordinatorOptions> = {},
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.opts = { ...DEFAULT_TXN_COORDINATOR_OPTIONS, ...opts };
    this.store = new TxnStateStore(engine);
  }

  /** True once the state topic is loaded (a caller may skip awaiting ready()). */
  get loaded(): boolean {
    return this.isLoaded;
  }

  get options(): Readonly<TxnCoordinatorOptions> {
    return this.opts;
  }

  /** Loads the state topic once (later calls share the load), then finishes what a crash interrupted. */
  ready(): Promise<void> {
    this.loading ??= this.load().catch((err: unknown) => {
      this.loading = null; // retried by the next request
      throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `loading the transaction state failed: ${err instanceof Error ? err.message : String(err)}`);
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const records = await this.store.load();
    this.isLoaded = true;
    for (const [id, r] of records) {
      this.txns.set(id, {
        id, producerId: r.producerId, producerEpoch: r.producerEpoch, prevProducerId: -1, prevProducerEpoch: -1, timeoutMs: r.timeoutMs, state: r.state,
        partitions: new Map(r.partitions.map(([t, p]) => [partitionKey(t, p), [t, p]])), startMs: r.startMs, updateMs: r.updateMs,
      });
    }
    if (!this.closed && this.timer === null) {
      this.timer = setInterval(() => this.check(), this.opts.abortCheckIntervalMs);
      this.timer.unref();
    }
    // Transactions a crash left between their decision and their markers: finish them now.
    for (const meta of this.txns.values()) {
      if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') void this.locked(meta.id, () => this.completeEnd(meta)).catch((err: unknown) => this.log(`transaction ${meta.id}: ${String(err)}`));
    }
  }

  /** Runs `fn` after every earlier operation on `id` (one at a time per transactional id). */
  private locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  private toRecord(m: Pick<TxnMeta, 'producerId' | 'producerEpoch' | 'timeoutMs' | 'state' | 'partitions' | 'startMs'>, nowMs: number): TxnRecord {
    return {
      producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, state: m.state,
      partitions: [...m.partitions.values()], startMs: m.startMs, updateMs: nowMs,
    };
  }

  /** Writes the next state of `meta`, then applies it in memory. */
  private async transition(meta: TxnMeta, next: Partial<Pick<TxnMeta, 'producerId' | 'producerEpoch' | 'timeoutMs' | 'state' | 'partitions' | 'startMs'>>): Promise<void> {
    const nowMs = Date.now();
    const merged = { ...meta, ...next };
    await this.store.put(meta.id, this.toRecord(merged, nowMs));
    Object.assign(meta, next);
    meta.updateMs = nowMs;
  }

  /** The id and epoch after a bump: a new producer id once the epoch is exhausted. */
  private bumped(meta: TxnMeta): { producerId: number; producerEpoch: number } {
    if (meta.producerEpoch >= EPOCH_MAX) return { producerId: this.producerIds.next(), producerEpoch: 0 };
    return { producerId: meta.producerId, producerEpoch: meta.producerEpoch + 1 };
  }

  // ---------------------------------------------------------------- InitProducerId

  /**
   * InitProducerId for a transactional id: a new id at epoch 0, or the id's epoch
   * bumped (aborting a transaction still in progress first). `expected*` are the
   * caller's current id and epoch (KIP-360, -1 when it has none).
   */
  async initProducerId(id: string, timeoutMs: number, expectedProducerId: number, expectedEpoch: number): Promise<ProducerIdAndEpoch> {
    const fail = (errorCode: number): ProducerIdAndEpoch => ({ errorCode, producerId: -1, producerEpoch: -1 });
    if (id === '') return fail(ErrorCode.INVALID_REQUEST);
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > this.opts.maxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    await this.ready();
    return this.locked(id, async () => {
      let meta = this.txns.get(id);
      if (meta === undefined) {
        if (!(await this.makeRoom())) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        const fresh: TxnMeta = {
          id, producerId: this.producerIds.next(), producerEpoch: 0, prevProducerId: -1, prevProducerEpoch: -1, timeoutMs, state: 'Empty',
          partitions: new Map(), startMs: -1, updateMs: Date.now(),
        };
        await this.store.put(id, this.toRecord(fresh, fresh.updateMs));
        this.txns.set(id, fresh);
        return { errorCode: ErrorCode.NONE, producerId: fresh.producerId, producerEpoch: 0 };
      }
      if (expectedProducerId >= 0) {
        const current = expectedProducerId === meta.producerId && expectedEpoch === meta.producerEpoch;
        const retried = expectedProducerId === meta.prevProducerId && expectedEpoch === meta.prevProducerEpoch;
        if (retried && (meta.state === 'Empty' || meta.state === 'CompleteCommit' || meta.state === 'CompleteAbort')) {
          return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
        }
        if (!current) return fail(ErrorCode.PRODUCER_FENCED);
      }
      if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        // Its markers are still being written (a crash or a failing partition): the caller retries.
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      if (meta.state === 'Ongoing') {
        // A new producer with this id: the old one's transaction is aborted, and the old one fenced.
        await this.abortFenced(meta);
        if ((meta.state as TxnStateName) !== 'CompleteAbort') return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      }
      const prev = { producerId: meta.producerId, producerEpoch: meta.producerEpoch };
      const next = this.bumped(meta);
      await this.transition(meta, { ...next, timeoutMs, state: 'Empty', partitions: new Map(), startMs: -1 });
      // Only a caller that named its id and epoch can be retrying this very call (Kafka's
      // lastProducerEpoch is NO_PRODUCER_EPOCH after a bump without an expected epoch).
      meta.prevProducerId = expectedProducerId >= 0 ? prev.producerId : -1;
      meta.prevProducerEpoch = expectedProducerId >= 0 ? prev.producerEpoch : -1;
      return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
    });
  }

  /** Keeps the table within maxTransactionalIds: evicts the idle id unused longest. False when none is idle. */
  private async makeRoom(): Promise<boolean> {
    if (this.txns.size < this.opts.maxTransactionalIds) return true;
    let victim: TxnMeta | undefined;
    for (const m of this.txns.values()) {
      if (m.state !== 'Empty' && m.state !== 'CompleteCommit' && m.state !== 'CompleteAbort') continue;
      if (this.locks.has(m.id)) continue;
      if (victim === undefined || m.updateMs < victim.updateMs) victim = m;
    }
    if (victim === undefined) return false;
    await this.store.put(victim.id, null);
    this.txns.delete(victim.id);
    return true;
  }

  /** Checks the caller's id and epoch against the id's; an error code, or NONE. */
  private checkProducer(meta: TxnMeta | undefined, producerId: number, epoch: number): number {
    if (meta === undefined || meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch !== meta.producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- AddPartitionsToTxn / AddOffsetsToTxn

  /** Adds partitions to the id's transaction (starting one if none is in progress). */
  async addPartitions(id: string, producerId: number, epoch: number, partitions: ReadonlyArray<[string, number]>): Promise<number> {
    await this.ready();
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const code = this.checkProducer(meta, producerId, epoch);
      if (code !== ErrorCode.NONE) return code;
      const m = meta!;
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
      const added = new Map(m.state === 'Ongoing' ? m.partitions : []);
      for (const [t, p] of partitions) added.set(partitionKey(t, p), [t, p]);
      if (m.state === 'Ongoing' && added.size === m.partitions.size) return ErrorCode.NONE;
      if (added.size > this.opts.maxPartitionsPerTxn) return ErrorCode.INVALID_REQUEST;
      await this.transition(m, { state: 'Ongoing', partitions: added, startMs: m.state === 'Ongoing' ? m.startMs : Date.now() });
      return ErrorCode.NONE;
    });
  }

  /** AddOffsetsToTxn: the offsets topic's partition (of every group here) joins the transaction. */
  async addOffsets(id: string, producerId: number, epoch: number): Promise<number> {
    await this.offsets.ensureTopic();
    return this.addPartitions(id, producerId, epoch, [[OFFSETS_TOPIC, 0]]);
  }

  /**
   * The check a transactional write (Produce, TxnOffsetCommit) passes (KIP-890 part 1):
   * the id's transaction is in progress at this epoch and holds the partition.
   * INVALID_PRODUCER_EPOCH for an older epoch, INVALID_TXN_STATE otherwise.
   */
  verify(id: string, producerId: number, epoch: number, topic: string, partition: number): number {
    const meta = this.txns.get(id);
    if (meta === undefined || meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch < meta.producerEpoch) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (epoch !== meta.producerEpoch || meta.state !== 'Ongoing' || !meta.partitions.has(partitionKey(topic, partition))) return ErrorCode.INVALID_TXN_STATE;
    return ErrorCode.NONE;
  }

  // ---------------------------------------------------------------- EndTxn

  /** EndTxn: commits or aborts the id's transaction; answers once its markers are written. */
  async endTxn(id: string, producerId: number, epoch: number, commit: boolean): Promise<number> {
    await this.ready();
    return this.locked(id, async () => {
      const meta = this.txns.get(id);
      const code = this.checkProducer(meta, producerId, epoch);
      if (code !== ErrorCode.NONE) return code;
      const m = meta!;
      switch (m.state) {
        case 'Ongoing':
          await this.transition(m, { state: commit ? 'PrepareCommit' : 'PrepareAbort' });
          await this.completeEnd(m);
          return (m.state as TxnStateName) === (commit ? 'CompleteCommit' : 'CompleteAbort') ? ErrorCode.NONE : ErrorCode.CONCURRENT_TRANSACTIONS;
        case 'CompleteCommit':
          return commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE;
        case 'CompleteAbort':
          return commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE;
        case 'PrepareCommit':
        case 'PrepareAbort': {
          if ((m.state === 'PrepareCommit') !== commit) return ErrorCode.INVALID_TXN_STATE;
          // A retry after a failure to write markers: try them again.
          await this.completeEnd(m);
          const after = m.state as TxnStateName;
          return after === 'PrepareCommit' || after === 'PrepareAbort' ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.NONE;
        }
        default:
          return ErrorCode.INVALID_TXN_STATE;
      }
    });
  }

  /**
   * Writes the markers of a Prepare* transaction into its partitions, then makes it
   * Complete*. A partition whose topic is gone is skipped; a marker that fails leaves
   * the state Prepare* (retried by the periodic check and by EndTxn retries).
   */
  private async completeEnd(meta: TxnMeta): Promise<void> {
    if (meta.state !== 'PrepareCommit' && meta.state !== 'PrepareAbort') return;
    const commit = meta.state === 'PrepareCommit';
    const nowMs = Date.now();
    const pending = [...meta.partitions.values()];
    for (let attempt = 0; attempt < MARKER_ATTEMPTS_MAX && pending.length > 0 && !this.closed; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, MARKER_RETRY_BACKOFF_MS * attempt));
      const results = await Promise.all(pending.map(async ([topic, partition]) => {
        const marker = encodeMarkerBatch(meta.producerId, meta.producerEpoch, commit, COORDINATOR_EPOCH, nowMs);
        try {
          const r = await this.engine.append(topic, partition, marker, -1, { markers: true });
          if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return true;
          if (r.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH) {
            // The partition knows a newer epoch of this producer id: this transaction cannot have data there any more.
            this.log(`transaction ${meta.id}: marker for ${topic}-${partition} refused (${r.errorMessage ?? 'older epoch'}); skipped`);
            return true;
          }
          this.log(`transaction ${meta.id}: marker for ${topic}-${partition} failed with error ${r.errorCode}${r.errorMessage !== undefined ? `: ${r.errorMessage}` : ''}`);
          return false;
        } catch (err) {
          this.log(`transaction ${meta.id}: marker for ${topic}-${partition} failed: ${String(err)}`);
          return false;
        }
      }));
      const left = pending.filter((_, i) => !results[i]);
      for (const [topic, partition] of pending) {
        if (topic === OFFSETS_TOPIC && partition === 0 && !left.some(([t, p]) => t === topic && p === partition)) this.offsets.endTxn(meta.producerId, commit);
      }
      pending.splice(0, pending.length, ...left);
    }
    if (pending.length > 0) return;
    await this.transition(meta, { state: commit ? 'CompleteCommit' : 'CompleteAbort', partitions: new Map(), startMs: -1 });
  }

  /** Aborts an Ongoing transaction with the epoch bumped (fencing its producer): a timeout, or a new producer with the id. */
  private async abortFenced(meta: TxnMeta): Promise<void> {
    if (meta.state !== 'Ongoing') return;
    const next = meta.producerEpoch >= EPOCH_MAX ? {} : { producerEpoch: meta.producerEpoch + 1 };
    await this.transition(meta, { ...next, state: 'PrepareAbort' });
    await this.completeEnd(meta);
  }

  // ---------------------------------------------------------------- periodic work

  /** Aborts timed-out transactions, retries unfinished markers, forgets expired ids. */
  private check(): void {
    if (this.closed) return;
    const nowMs = Date.now();
    for (const meta of [...this.txns.values()]) {
      if (this.locks.has(meta.id)) continue;
      if (meta.state === 'Ongoing' && meta.startMs >= 0 && nowMs - meta.startMs > meta.timeoutMs) {
        this.log(`transaction ${meta.id} (producer ${meta.producerId}) timed out after ${meta.timeoutMs} ms: aborting`);
        void this.locked(meta.id, () => this.abortFenced(meta)).catch((err: unknown) => this.log(`transaction ${meta.id}: abort failed: ${String(err)}`));
      } else if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        void this.locked(meta.id, () => this.completeEnd(meta)).catch((err: unknown) => this.log(`transaction ${meta.id}: ${String(err)}`));
      } else if (meta.state !== 'Ongoing' && nowMs - meta.updateMs > this.opts.idExpirationMs) {
        void this.locked(meta.id, async () => {
          if (this.txns.get(meta.id) !== meta || Date.now() - meta.updateMs <= this.opts.idExpirationMs) return;
          await this.store.put(meta.id, null);
          this.txns.delete(meta.id);
        }).catch((err: unknown) => this.log(`transaction ${meta.id}: expiry failed: ${String(err)}`));
      }
    }
  }

  /** Runs the periodic check now (tests; the timer runs it every abortCheckIntervalMs). */
  checkNow(): void {
    this.check();
  }

  // ---------------------------------------------------------------- Describe / List

  describe(id: string): TxnDescription | undefined {
    const m = this.txns.get(id);
    if (m === undefined) return undefined;
    return { transactionalId: id, state: m.state, producerId: m.producerId, producerEpoch: m.producerEpoch, timeoutMs: m.timeoutMs, startMs: m.startMs, partitions: [...m.partitions.values()] };
  }

  list(): TxnDescription[] {
    return [...this.txns.keys()].map((id) => this.describe(id)!);
  }

  /** Stops the periodic work (broker shutdown); operations in flight finish or fail on their own. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
