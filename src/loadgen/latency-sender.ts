// The sending half of the latency phase, run in its own worker thread
// (workers/latency-sender.ts) so that it can sleep precisely between records without
// holding up the consumer, which timestamps deliveries on the main thread. Owns: the
// per-record pacing, the producer, and the sender's side of the start/stop handshake.
// Must not measure latency (the consumer does) and must not print.
//
// Pacing: record i is due at start + i/rate. The thread blocks in Atomics.wait (which
// takes fractional milliseconds; the kernel's timer slack, ~50 µs, is its error) until
// the next record is due, sends what is due, then yields to its event loop with
// setImmediate so the producer's socket I/O (acks, the writes themselves) flows
// between records. A setTimeout tick could not do this: timers have 1 ms resolution,
// which alone puts ~0.5 ms into the median.

import type { CompressionType, ConnectionOptions } from '../client/index.js';
import { Producer } from '../client/index.js';

/** What the main thread hands the sender (structured-cloned: no functions). */
export interface LatencySenderData {
  kind: 'samsa-latency-sender';
  target: ConnectionOptions;
  topic: string;
  partition: number;
  ratePerSec: number;
  /** Records to send in all. */
  total: number;
  seconds: number;
  recordBytes: number;
  acks: -1 | 0 | 1;
  compression: CompressionType;
  batchSize: number;
  /** Int32Array words: CONTROL_STOP (set by the main thread), CONTROL_SLEEP (the sleep's futex word). */
  control: SharedArrayBuffer;
  /** The record values back to back, recordBytes each (transferred, not copied: up to 64 MiB). */
  values: Uint8Array;
}

export const CONTROL_STOP = 0;
export const CONTROL_SLEEP = 1;
export const CONTROL_WORDS = 2;

export type SenderToMain =
  | { type: 'connected' }
  | { type: 'done'; sent: number; error: string | null; sendsLateUsP50: number };

export type MainToSender = { type: 'go'; startMs: number };

/** Bytes of the intended send time, and of the actual one after it. */
export const TIMESTAMP_BYTES = 8;

/** Milliseconds on the process-wide monotonic clock (the same in every thread, unlike performance.now()). */
export function monotonicMs(): number {
  const t = process.hrtime();
  return t[0] * 1e3 + t[1] / 1e6;
}

/** Unacknowledged sends at most; past it the sender pauses (a broker that cannot keep up). */
const IN_FLIGHT_MAX = 10_000;
/** Longest single sleep: the event loop gets a turn at least this often (acks, the stop flag). */
const SLEEP_MAX_MS = 1;

/** Runs the sender in this (worker) thread: connect, wait for 'go', pace, flush, report. */
export function runLatencySender(d: LatencySenderData, post: (m: SenderToMain) => void, onGo: (handler: (m: MainToSender) => void) => void): void {
  const control = new Int32Array(d.control);
  const producer = new Producer({ ...d.target, acks: d.acks, compression: d.compression, lingerMs: 0, batchSize: d.batchSize });
  const withService = d.recordBytes >= 2 * TIMESTAMP_BYTES;
  const valueCount = Math.max(1, Math.floor(d.values.byteLength / Math.max(1, d.recordBytes)));
  const values: Uint8Array[] = [];
  for (let i = 0; i < valueCount; i++) values.push(d.values.subarray(i * d.recordBytes, (i + 1) * d.recordBytes));
  let failure: unknown = null;
  let inFlight = 0;
  let sent = 0;
  // How late each send was against its due time, in µs buckets of 10 µs up to 10 ms: the pacing's own error.
  const lateBuckets = new Uint32Array(1001);
  const acked = (): void => void inFlight--;
  const failed = (err: unknown): void => {
    inFlight--;
    failure ??= err;
  };
  const finish = async (): Promise<void> => {
    let error: string | null = null;
    try {
      await producer.flush();
      if (failure !== null) throw failure;
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    await producer.close().catch(() => {});
    let seen = 0;
    let p50 = 0;
    for (let i = 0; i < lateBuckets.length; i++) {
      seen += lateBuckets[i]!;
      if (seen * 2 >= sent) {
        p50 = i * 10;
        break;
      }
    }
    post({ type: 'done', sent, error, sendsLateUsP50: p50 });
  };
  const go = (startMs: number): void => {
    const intervalMs = 1000 / d.ratePerSec;
    const endAt = startMs + d.seconds * 1000;
    const tick = (): void => {
      if (failure !== null || Atomics.load(control, CONTROL_STOP) !== 0) return void finish();
      let now = monotonicMs();
      const waitMs = inFlight > IN_FLIGHT_MAX ? SLEEP_MAX_MS : startMs + sent * intervalMs - now;
      if (waitMs > 0) {
        // Nobody notifies CONTROL_SLEEP but a stop: this is a precise sleep.
        Atomics.wait(control, CONTROL_SLEEP, 0, Math.min(waitMs, SLEEP_MAX_MS));
        now = monotonicMs();
      }
      // The last turn sends the rest, so a run sends exactly its total.
      const due = now >= endAt ? d.total : Math.min(d.total, Math.floor((now - startMs) / intervalMs) + 1);
      if (inFlight <= IN_FLIGHT_MAX) {
        for (; sent < due; sent++) {
          const value = new Uint8Array(d.recordBytes);
          value.set(values[sent % values.length]!);
          const dv = new DataView(value.buffer);
          // Due at start + sent/rate: latency counts from here, however late this got to it.
          const dueAt = startMs + sent * intervalMs;
          dv.setFloat64(0, dueAt);
          const at = monotonicMs();
          if (withService) dv.setFloat64(TIMESTAMP_BYTES, at);
          lateBuckets[Math.min(lateBuckets.length - 1, Math.max(0, Math.floor((at - dueAt) * 100)))]!++;
          inFlight++;
          producer.send({ topic: d.topic, messages: [{ value, partition: d.partition }] }).then(acked, failed);
        }
      }
      if (sent >= d.total) return void finish();
      // The producer writes in a microtask after this returns; the next turn's sleep comes after I/O.
      setImmediate(tick);
    };
    tick();
  };
  onGo((m) => {
    if (m.type === 'go') go(m.startMs);
  });
  producer.connect().then(
    () => post({ type: 'connected' }),
    (err: unknown) => post({ type: 'done', sent: 0, error: err instanceof Error ? err.message : String(err), sendsLateUsP50: 0 }),
  );
}
