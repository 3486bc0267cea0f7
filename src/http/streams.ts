// JSON WebSocket streams for browsers and scripts without a Kafka client.
// Owns: `/topics/{t}/produce` (each text message is a record, an array of records
// or {"records": [...]}; each is answered, in order, with {"offsets": [...]} or an
// error object) and `/topics/{t}/consume?partition=&offset=|from=|timestamp=`
// (records pushed as JSON text messages, one record per message).
// Must not parse Kafka frames or touch files.
//
// Backpressure (the point of this file): the consume stream checks the socket's
// buffered amount before every send and waits for a drain while it is above
// sendBufferBytes, so a consumer that stops reading costs the broker at most
// sendBufferBytes plus one record, whatever the log holds. The produce stream
// answers in order with at most maxInFlight messages pending per socket.

import type { Engine } from '../broker/engine-api.js';
import { ErrorCode } from '../wire/errors.js';
import { HttpError, HttpErrorCode, fromEngineError, invalidBody, isServerFault } from './errors.js';
import { fromUtf8Strict } from './bytes.js';
import type { JsonProducer, ProduceOffset } from './produce.js';
import { recordsFrom } from './read.js';
import { parseJson, parseRecord, parseRecordList, renderRecord, type EmbeddedFormat, type ProduceRecord } from './records-json.js';
import type { WsConnection, WsSession } from './transport.js';
import { WS_CLOSE_INTERNAL_ERROR, WS_CLOSE_NORMAL, WS_CLOSE_POLICY_VIOLATION } from './kafka-ws.js';
import { logger } from '../util/logger.js';

/** Counters the HTTP server exposes (tests read them to check the bound holds). */
export interface StreamStats {
  /** Largest buffered amount seen on any consume socket right after a send. */
  consumeMaxBufferedBytes: number;
  /** Times a consume stream paused for a slow socket. */
  consumePauses: number;
  consumeRecordsSent: number;
}

export function newStreamStats(): StreamStats {
  return { consumeMaxBufferedBytes: 0, consumePauses: 0, consumeRecordsSent: 0 };
}

// ---------------------------------------------------------------- produce

interface ReplySlot {
  reply: string | null;
}

export class ProduceStreamSession implements WsSession {
  private readonly queue: ReplySlot[] = [];
  private closed = false;

  constructor(
    private readonly conn: WsConnection,
    private readonly producer: JsonProducer,
    private readonly topic: string,
    private readonly format: EmbeddedFormat,
    private readonly maxInFlight: number,
    private readonly sendBufferBytes: number,
    private readonly onClosed: () => void,
  ) {}

  onMessage(data: Uint8Array, isText: boolean): void {
    if (this.closed) return;
    if (this.queue.length >= this.maxInFlight) {
      this.conn.close(WS_CLOSE_POLICY_VIOLATION, `more than ${this.maxInFlight} messages awaiting an answer`);
      this.onClose();
      return;
    }
    const slot: ReplySlot = { reply: null };
    this.queue.push(slot);
    let pending: Promise<ProduceOffset[]>;
    try {
      pending = this.producer.produce(this.topic, this.parse(data, isText));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (offsets) => {
        slot.reply = JSON.stringify({ offsets });
        this.flush();
      },
      (err: unknown) => {
        const e = fromEngineError(err);
        if (isServerFault(e)) logger().error({ err, topic: this.topic }, 'websocket produce failed');
        slot.reply = e.toJson();
        this.flush();
      },
    );
  }

  private parse(data: Uint8Array, isText: boolean): ProduceRecord[] {
    if (!isText) throw invalidBody('binary message: send records as JSON text messages');
    const limit = this.producer.maxMessageBytes(this.topic);
    if (limit === undefined) throw new HttpError(404, HttpErrorCode.TOPIC_NOT_FOUND, `topic '${this.topic}' not found`);
    if (data.byteLength > limit) throw new HttpError(413, HttpErrorCode.BODY_TOO_LARGE, `message of ${data.byteLength} bytes is larger than ${limit} bytes (max.message.bytes)`);
    const text = fromUtf8Strict(data);
    if (text === null) throw invalidBody('message is not valid UTF-8');
    const v = parseJson(text, 'message');
    if (Array.isArray(v)) return parseRecordList(v, this.format, 'message');
    if (typeof v === 'object' && v !== null && 'records' in v) {
      const records = (v as { records: unknown }).records;
      if (!Array.isArray(records)) throw invalidBody('"records" must be an array');
      return parseRecordList(records, this.format, 'records');
    }
    return [parseRecord(v, this.format, 'message')];
  }

  onDrain(): void {
    this.flush();
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.onClosed();
  }

  private flush(): void {
    while (!this.closed && this.queue.length > 0 && this.queue[0]!.reply !== null) {
      if (this.conn.bufferedAmount() > this.sendBufferBytes) return;
      const slot = this.queue.shift()!;
      if (!this.conn.send(slot.reply!)) return;
    }
  }
}

// ---------------------------------------------------------------- consume

export type StartPosition = { kind: 'offset'; offset: number } | { kind: 'beginning' } | { kind: 'end' } | { kind: 'timestamp'; timestampMs: number };

export interface ConsumeStreamOptions {
  topic: string;
  partition: number;
  start: StartPosition;
  format: EmbeddedFormat;
  sendBufferBytes: number;
  /** Bytes asked of the log per read. */
  readBytes: number;
  /** Longest single wait for new records (the loop then re-checks). */
  waitMs: number;
}

export class ConsumeStreamSession implements WsSession {
  private closed = false;
  private readonly abort = new AbortController();
  private drainWaiter: (() => void) | null = null;

  constructor(
    private readonly conn: WsConnection,
    private readonly engine: Engine,
    private readonly opts: ConsumeStreamOptions,
    private readonly stats: StreamStats,
    private readonly onClosed: () => void,
  ) {
    this.run().catch((err: unknown) => {
      if (this.closed) return;
      const e = fromEngineError(err);
      if (isServerFault(e)) logger().error({ err, topic: opts.topic, partition: opts.partition }, 'websocket consume failed');
      this.conn.send(e.toJson());
      this.conn.close(WS_CLOSE_INTERNAL_ERROR, e.message);
      this.onClose();
    });
  }

  onMessage(): void {
    // The consume stream takes no input; messages are ignored (browsers may send keep-alives).
  }

  onDrain(): void {
    const w = this.drainWaiter;
    if (w === null) return;
    if (this.conn.bufferedAmount() > this.opts.sendBufferBytes) return;
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

  /** Resolves once the socket's queue is at or under the bound (or it closed). */
  private waitForDrain(): Promise<void> {
    this.stats.consumePauses++;
    return new Promise<void>((resolve) => {
      this.drainWaiter = resolve;
      // The queue may have shrunk between the check and now.
      this.onDrain();
    });
  }

  private async startOffset(): Promise<number> {
    const { topic, partition, start } = this.opts;
    const o = this.engine.offsets(topic, partition);
    if (o.errorCode !== ErrorCode.NONE) throw fromEngineError(new HttpError(404, HttpErrorCode.TOPIC_NOT_FOUND, `topic '${topic}' partition ${partition} not found`));
    switch (start.kind) {
      case 'offset':
        return start.offset;
      case 'beginning':
        return o.logStartOffset;
      case 'end':
        return o.highWatermark;
      case 'timestamp': {
        const r = await this.engine.listOffset(topic, partition, start.timestampMs);
        if (r.errorCode !== ErrorCode.NONE) return this.engine.offsets(topic, partition).highWatermark;
        return r.offset < 0 ? this.engine.offsets(topic, partition).highWatermark : r.offset;
      }
    }
  }

  private async run(): Promise<void> {
    const { topic, partition, format, sendBufferBytes } = this.opts;
    let offset = await this.startOffset();
    // The engine finds a timestamp's batch; records before the first one at or after
    // the timestamp are skipped here (Kafka's ListOffsets answers the exact record).
    let skipBeforeMs = this.opts.start.kind === 'timestamp' ? this.opts.start.timestampMs : -1;
    const ref = [{ topic, partition }];
    // Runs until the socket closes; every turn either sends, waits for a drain, or
    // waits (bounded by waitMs) for an append.
    while (!this.closed) {
      if (this.conn.bufferedAmount() > sendBufferBytes) {
        await this.waitForDrain();
        continue;
      }
      const r = await this.engine.read(topic, partition, offset, this.opts.readBytes);
      if (this.closed) return;
      if (r.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        // Retention moved the log start past us (or the log was truncated): resume at the nearest valid offset.
        offset = offset < r.logStartOffset ? r.logStartOffset : r.highWatermark;
        continue;
      }
      if (r.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        this.conn.send(JSON.stringify({ error_code: HttpErrorCode.TOPIC_NOT_FOUND, message: `topic '${topic}' partition ${partition} no longer exists` }));
        this.conn.close(WS_CLOSE_NORMAL, 'topic deleted');
        this.onClose();
        return;
      }
      if (r.errorCode !== ErrorCode.NONE) throw new HttpError(500, HttpErrorCode.KAFKA_ERROR, `reading ${topic}-${partition} at ${offset} failed with Kafka error ${r.errorCode}`);
      if (r.records.byteLength === 0) {
        await this.engine.waitForAppend(ref, this.opts.waitMs, this.abort.signal);
        continue;
      }
      const { records, nextOffset } = recordsFrom(r.records, offset);
      for (const rec of records) {
        if (rec.timestamp < skipBeforeMs) {
          offset = rec.offset + 1;
          continue;
        }
        skipBeforeMs = -1;
        if (this.conn.bufferedAmount() > sendBufferBytes) {
          await this.waitForDrain();
          if (this.closed) return;
        }
        if (!this.conn.send(JSON.stringify(renderRecord(topic, partition, rec, format)))) return;
        this.stats.consumeRecordsSent++;
        const buffered = this.conn.bufferedAmount();
        if (buffered > this.stats.consumeMaxBufferedBytes) this.stats.consumeMaxBufferedBytes = buffered;
        offset = rec.offset + 1;
      }
      if (nextOffset > offset) offset = nextOffset;
      else if (records.length === 0) await this.engine.waitForAppend(ref, this.opts.waitMs, this.abort.signal); // never spin
    }
  }
}
