// `/topics/{t}/table/changes`: the table view's changes as a JSON WebSocket stream.
// Each keyed record appended to the topic (any partition) becomes one text message
//   {"op": "upsert" | "delete", "topic", "key", "value", "partition", "offset", "timestamp", "headers"}
// (delete: a tombstone, value null). With ?snapshot=true the stream first sends the
// table as it is — one {"op": "snapshot", …} per key in byte order, then
// {"op": "snapshot_end"} — and then the changes after the offsets the snapshot was
// taken at, so a client that applies every message in order holds the table.
// A key updated while the snapshot streams may show its new value in the snapshot and
// again as a change: applying both ends at the same latest value.
// Owns: that stream. Must not change the table (src/table) nor parse Kafka frames.
//
// Backpressure as the consume stream (streams.ts): before each send the socket's
// buffered amount is checked, and the stream pauses above sendBufferBytes until a
// drain, so a client that stops reading costs the broker about sendBufferBytes plus
// one message, whatever the topic holds.

import type { Engine, PartitionRef } from '../broker/engine-api.js';
import { ErrorCode } from '../wire/errors.js';
import { logger } from '../util/logger.js';
import type { TableViews } from '../table/table-view.js';
import { absentTopic, fromEngineError, HttpError, HttpErrorCode, isServerFault } from './errors.js';
import { recordsFrom } from './read.js';
import { renderRecord, type EmbeddedFormat } from './records-json.js';
import type { StreamStats } from './streams.js';
import { WS_CLOSE_INTERNAL_ERROR, WS_CLOSE_NORMAL } from './kafka-ws.js';
import type { WsConnection, WsSession } from './transport.js';

export interface TableChangesOptions {
  topic: string;
  format: EmbeddedFormat;
  snapshot: boolean;
  sendBufferBytes: number;
  /** Bytes asked of the log per read. */
  readBytes: number;
  /** Longest single wait for appends (the loop then re-checks the topic). */
  waitMs: number;
}

/** Keys per snapshot page (each page reads its records from the log). */
const SNAPSHOT_PAGE_KEYS = 500;

export class TableChangesSession implements WsSession {
  private closed = false;
  private readonly abort = new AbortController();
  private drainWaiter: (() => void) | null = null;

  constructor(
    private readonly conn: WsConnection,
    private readonly engine: Engine,
    private readonly tables: TableViews,
    private readonly opts: TableChangesOptions,
    private readonly stats: StreamStats,
    private readonly onClosed: () => void,
  ) {
    this.run().catch((err: unknown) => {
      if (this.closed) return;
      const e = fromEngineError(err);
      if (isServerFault(e)) logger().error({ err, topic: opts.topic }, 'table changes stream failed');
      this.conn.send(e.toJson());
      this.conn.close(WS_CLOSE_INTERNAL_ERROR, e.message.slice(0, 120));
      this.onClose();
    });
  }

  onMessage(): void {
    // The stream takes no input (browsers may send keep-alives).
  }

  onDrain(): void {
    const w = this.drainWaiter;
    if (w === null || this.conn.bufferedAmount() > this.opts.sendBufferBytes) return;
    this.drainWaiter = null;
    w();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    const w = this.drainWaiter;
    this.drainWaiter = null;
    w?.();
    this.onClosed();
  }

  /** Sends one message once the socket's queue is under the bound; false when closed. */
  private async send(message: string): Promise<boolean> {
    if (this.conn.bufferedAmount() > this.opts.sendBufferBytes) {
      this.stats.consumePauses++;
      await new Promise<void>((resolve) => {
        this.drainWaiter = resolve;
        this.onDrain(); // the queue may have shrunk meanwhile
      });
    }
    if (this.closed || !this.conn.send(message)) return false;
    const buffered = this.conn.bufferedAmount();
    if (buffered > this.stats.consumeMaxBufferedBytes) this.stats.consumeMaxBufferedBytes = buffered;
    return true;
  }

  private async snapshot(): Promise<number[] | null> {
    const t = this.tables.get(this.opts.topic);
    if (t === null) throw absentTopic(this.engine, this.opts.topic);
    t.active++;
    try {
      await t.catchUp();
      const start = t.appliedOffsets();
      let after: Uint8Array | null = null;
      // Bounded by the table's keys: every page moves past its last key.
      for (;;) {
        const page = await t.list(new Uint8Array(0), after, SNAPSHOT_PAGE_KEYS);
        for (const r of page.records) {
          if (!(await this.send(JSON.stringify({ op: 'snapshot', ...renderRecord(this.opts.topic, r.partition, r.record, this.opts.format) })))) return null;
        }
        if (!page.more || page.last === null) break;
        after = new Uint8Array(Buffer.from(page.last, 'latin1'));
      }
      if (!(await this.send(JSON.stringify({ op: 'snapshot_end', offsets: start.map((offset, partition) => ({ partition, offset })) })))) return null;
      return start;
    } finally {
      t.active--;
    }
  }

  private async run(): Promise<void> {
    const { topic, format } = this.opts;
    let cursors: number[];
    if (this.opts.snapshot) {
      const start = await this.snapshot();
      if (start === null) return;
      cursors = start;
    } else {
      const info = this.engine.describeTopic(topic);
      if (info === undefined) throw absentTopic(this.engine, topic);
      cursors = Array.from({ length: info.partitions }, (_, p) => this.engine.offsets(topic, p).highWatermark);
    }
    // Runs until the socket closes; each turn sends, pauses for a drain, or waits (bounded) for appends.
    while (!this.closed) {
      const info = this.engine.describeTopic(topic);
      if (info === undefined) {
        await this.send(JSON.stringify({ error_code: HttpErrorCode.TOPIC_NOT_FOUND, message: `topic '${topic}' no longer exists` }));
        this.conn.close(WS_CLOSE_NORMAL, 'topic deleted');
        this.onClose();
        return;
      }
      // Partitions added since the stream started are followed from their start.
      for (let p = cursors.length; p < info.partitions; p++) cursors[p] = this.engine.offsets(topic, p).logStartOffset;
      let sent = false;
      const refs: PartitionRef[] = [];
      for (let p = 0; p < info.partitions && !this.closed; p++) {
        refs.push({ topic, partition: p });
        const from = cursors[p]!;
        if (from >= this.engine.offsets(topic, p).highWatermark) continue;
        const r = await this.engine.read(topic, p, from, this.opts.readBytes);
        if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
          cursors[p] = from < r.logStartOffset ? r.logStartOffset : r.highWatermark;
          continue;
        }
        if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) continue; // the next turn sees the topic gone
        if (r.errorCode !== ErrorCode.NONE) throw new HttpError(500, HttpErrorCode.KAFKA_ERROR, `reading ${topic}-${p} at ${from} failed with Kafka error ${r.errorCode}`);
        const { records, nextOffset } = recordsFrom(r.records, from);
        for (const rec of records) {
          cursors[p] = rec.offset + 1;
          if (rec.key === null) continue;
          const op = rec.value === null ? 'delete' : 'upsert';
          if (!(await this.send(JSON.stringify({ op, ...renderRecord(topic, p, rec, format) })))) return;
          this.stats.consumeRecordsSent++;
          sent = true;
        }
        if (nextOffset > cursors[p]!) cursors[p] = nextOffset;
        if (cursors[p]! > from) sent = true; // progress: look again before waiting
      }
      if (!sent && !this.closed) await this.engine.waitForAppend(refs, this.opts.waitMs, this.abort.signal);
    }
  }
}
