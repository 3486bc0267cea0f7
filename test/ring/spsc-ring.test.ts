// Tests for the SPSC byte ring: framing, wrap markers, the maxFrameBytes bound, u32
// index wrap, and (with fast-check) ordered, byte-exact delivery across a real
// worker thread that echoes every frame back on a second ring. Nothing here asserts
// on timing; every loop is bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import {
  RING_CAPACITY_MAX_BYTES,
  RING_CAPACITY_MIN_BYTES,
  RING_HEADER_BYTES,
  RING_WAKE_DATA_DOORBELL,
  RING_WAKE_DATA_FUTEX,
  RING_WAKE_SPACE_FUTEX,
  SpscRing,
  createRingBuffer,
  ringFrameBytes,
} from '../../src/ring/spsc-ring.js';
import { doorbellCalls, ringWakeCalls } from '../../src/platform/native.js';
import type { EchoWorkerData } from './ring-echo-worker.js';

// The addon's futex pair, or null without the addon (those tests are then skipped).
const futex = ringWakeCalls();
const noFutex = futex === null ? 'native addon (futex pair) not available' : false;
const bells = doorbellCalls();
const noDoorbell = bells === null ? 'native addon (doorbells) not available' : false;

const workerUrl = new URL('./ring-echo-worker.js', import.meta.url);

function newRing(capacityBytes: number): SpscRing {
  return new SpscRing(createRingBuffer(capacityBytes));
}

/** Deterministic payload byte j of frame i: order, offset and length mistakes all change it. */
function payloadByte(seed: number, frame: number, j: number): number {
  return (seed + frame * 131 + j * 7 + (j >>> 8) * 13) & 0xff;
}

function fill(bytes: Uint8Array, at: number, length: number, seed: number, frame: number): void {
  for (let j = 0; j < length; j++) bytes[at + j] = payloadByte(seed, frame, j);
}

/** Index of the first wrong byte, or -1. One assert per frame keeps big frames fast. */
function firstMismatch(bytes: Uint8Array, at: number, length: number, seed: number, frame: number): number {
  for (let j = 0; j < length; j++) if (bytes[at + j] !== payloadByte(seed, frame, j)) return j;
  return -1;
}

/** Moves an empty ring's indices forward by `bytes` (a multiple of 8) with empty frames. */
function advanceEmpty(ring: SpscRing, bytes: number): void {
  assert.equal(bytes % 8, 0);
  for (let i = 0; i < bytes / 8; i++) {
    assert.ok(ring.reserve(0) >= 0);
    ring.publish();
    assert.ok(ring.read() >= 0);
    ring.release();
  }
  assert.equal(ring.usedBytes(), 0);
}

test('createRingBuffer and the constructor reject bad capacities', () => {
  for (const bad of [0, 3, 48, 100, RING_CAPACITY_MIN_BYTES / 2, RING_CAPACITY_MAX_BYTES * 2, -64, 64.5]) {
    assert.throws(() => createRingBuffer(bad), RangeError, `capacity ${bad}`);
  }
  assert.throws(() => new SpscRing(new SharedArrayBuffer(RING_HEADER_BYTES + 100)), RangeError);
  assert.throws(() => new SpscRing(new ArrayBuffer(RING_HEADER_BYTES + 64) as unknown as SharedArrayBuffer), TypeError);
  const sab = createRingBuffer(1024);
  assert.equal(sab.byteLength, RING_HEADER_BYTES + 1024);
  const ring = new SpscRing(sab);
  assert.equal(ring.capacityBytes, 1024);
  assert.equal(ring.maxFrameBytes, 1024 / 2 - 4);
  assert.equal(ring.bytes.byteLength, 1024);
  assert.equal(ring.bytes.byteOffset, RING_HEADER_BYTES);
  assert.equal(ring.bytes.buffer, sab);
});

test('a corrupt header is refused', () => {
  const sab = createRingBuffer(256);
  new Int32Array(sab)[0] = 3; // head not 8-aligned
  assert.throws(() => new SpscRing(sab), /corrupt/);
  const sab2 = createRingBuffer(256);
  new Int32Array(sab2)[0] = 512; // head more than a capacity ahead of tail
  assert.throws(() => new SpscRing(sab2), /corrupt/);
});

test('empty ring: nothing to read, nothing used, waits time out', async () => {
  const ring = newRing(256);
  assert.equal(ring.read(), -1);
  assert.equal(ring.usedBytes(), 0);
  assert.equal(ring.waitForData(0), false);
  assert.equal(await ring.waitForDataAsync(1), false);
  assert.equal(ring.waitForSpace(ring.maxFrameBytes, 0), true);
  assert.equal(await ring.waitForSpaceAsync(ring.maxFrameBytes, 0), true);
  ring.release(); // releasing nothing is harmless
  assert.equal(ring.usedBytes(), 0);
});

test('frames are invisible until publish, and read many then release once', () => {
  const ring = newRing(1024);
  const offsets: number[] = [];
  for (let i = 0; i < 5; i++) {
    const at = ring.reserve(10 + i);
    assert.ok(at >= 0);
    fill(ring.bytes, at, 10 + i, 1, i);
    offsets.push(at);
  }
  assert.equal(ring.read(), -1, 'unpublished frames must not be readable');
  assert.equal(ring.usedBytes(), 0);
  ring.publish();
  let used = 0;
  for (let i = 0; i < 5; i++) used += ringFrameBytes(10 + i);
  assert.equal(ring.usedBytes(), used);
  for (let i = 0; i < 5; i++) {
    const at = ring.read();
    assert.equal(at, offsets[i]);
    assert.equal(ring.frameLength, 10 + i);
    assert.equal(at % 8, 4, 'payloads follow an 8-aligned length word');
    assert.equal(firstMismatch(ring.bytes, at, 10 + i, 1, i), -1);
  }
  assert.equal(ring.read(), -1);
  assert.equal(ring.usedBytes(), used, 'read does not release');
  ring.release();
  assert.equal(ring.usedBytes(), 0);
});

test('full ring: reserve returns -1, then succeeds after release', () => {
  const ring = newRing(256);
  // 24-byte frames (20-byte payloads): 10 fit in 256 with 16 bytes left over.
  let written = 0;
  for (let i = 0; i < 100; i++) {
    const at = ring.reserve(20);
    if (at < 0) break;
    written++;
  }
  assert.equal(written, 10);
  assert.equal(ring.reserve(20), -1);
  assert.ok(ring.reserve(8) >= 0, 'a 16-byte frame still fits the remaining 16 bytes');
  assert.equal(ring.reserve(0), -1, 'now completely full');
  assert.equal(ring.waitForSpace(0, 0), false, 'waitForSpace publishes, then finds no room');
  assert.equal(ring.usedBytes(), 256);
  assert.ok(ring.read() >= 0);
  assert.equal(ring.reserve(0), -1, 'read alone frees nothing');
  ring.release();
  assert.equal(ring.waitForSpace(20, 0), true);
  assert.ok(ring.reserve(16) >= 0, 'the released 24 bytes are reusable (at the wrap)');
});

test('tryWrite copies, publishes, and fails when full', () => {
  const ring = newRing(64);
  const payload = Uint8Array.from({ length: ring.maxFrameBytes }, (_, i) => i);
  assert.equal(ring.tryWrite(payload), true);
  assert.equal(ring.tryWrite(payload), true);
  assert.equal(ring.tryWrite(payload), false);
  const at = ring.read();
  assert.deepEqual(ring.bytes.subarray(at, at + ring.frameLength), payload);
});

test('a frame that would cross the end gets a wrap marker and starts at 0', () => {
  const ring = newRing(64); // maxFrameBytes 28
  const view = new DataView(ring.bytes.buffer, ring.bytes.byteOffset, ring.bytes.byteLength);
  advanceEmpty(ring, 48); // 16 bytes left before the end
  const at = ring.reserve(20); // needs 24 contiguous bytes
  assert.equal(at, 4, 'the payload starts right after the length word at offset 0');
  fill(ring.bytes, at, 20, 9, 0);
  assert.equal(view.getUint32(48, true), 0xffffffff, 'wrap marker where the frame would have started');
  assert.equal(view.getUint32(0, true), 20);
  ring.publish();
  assert.equal(ring.usedBytes(), 16 + 24, 'the skipped tail counts as used until released');
  assert.equal(ring.read(), 4);
  assert.equal(ring.frameLength, 20);
  assert.equal(firstMismatch(ring.bytes, 4, 20, 9, 0), -1);
  assert.equal(ring.read(), -1);
  ring.release();
  assert.equal(ring.usedBytes(), 0);
  // A frame that exactly reaches the end needs no marker.
  advanceEmpty(ring, 16); // now at 40: 24 bytes to the end
  assert.equal(ring.reserve(20), 44);
  ring.publish();
  assert.equal(ring.read(), 44);
  ring.release();
});

test('maxFrameBytes always fits an empty ring, wherever its indices stand', () => {
  for (const capacity of [64, 128, 256, 1024]) {
    for (let p = 0; p < capacity; p += 8) {
      const ring = newRing(capacity);
      assert.equal(ring.maxFrameBytes, capacity / 2 - 4);
      advanceEmpty(ring, p);
      const at = ring.reserve(ring.maxFrameBytes);
      assert.ok(at >= 0, `capacity ${capacity}, start ${p}`);
      assert.ok(at + ring.maxFrameBytes <= capacity, 'payload is contiguous');
      // Before the middle the frame fits before the end; past it, it wraps to 0.
      assert.equal(at, p <= capacity / 2 ? p + 4 : 4, `capacity ${capacity}, start ${p}`);
      ring.publish();
      assert.equal(ring.read(), at);
      assert.equal(ring.frameLength, ring.maxFrameBytes);
      ring.release();
      assert.equal(ring.usedBytes(), 0);
    }
  }
});

test('the bound is tight: at the middle a maximum frame fills exactly one half', () => {
  // At position capacity/2 an empty ring has capacity/2 bytes before the end and
  // capacity/2 after a wrap, so no frame bigger than capacity/2 could fit there.
  const ring = newRing(256);
  advanceEmpty(ring, 128);
  assert.equal(ringFrameBytes(ring.maxFrameBytes), 128);
  assert.equal(ring.reserve(ring.maxFrameBytes), 132);
  assert.equal(ring.reserve(ring.maxFrameBytes), 4, 'the second half-ring frame lands at 0 without a marker');
  assert.equal(ring.reserve(0), -1);
  ring.publish();
  assert.equal(ring.usedBytes(), 256);
});

test('RangeError for payloads outside 0..maxFrameBytes', () => {
  const ring = newRing(256);
  for (const bad of [-1, ring.maxFrameBytes + 1, 1.5, Number.NaN, 1e12]) {
    assert.throws(() => ring.reserve(bad), RangeError, `reserve(${bad})`);
    assert.throws(() => ring.waitForSpace(bad, 0), RangeError, `waitForSpace(${bad})`);
  }
  assert.throws(() => ring.tryWrite(new Uint8Array(ring.maxFrameBytes + 1)), RangeError);
  assert.throws(() => ring.waitForData(-1), RangeError);
  assert.ok(ring.reserve(ring.maxFrameBytes) >= 0);
  assert.ok(ring.reserve(0) >= 0);
});

test('indices wrap past 2^32 without losing or reordering frames', () => {
  const sab = createRingBuffer(256);
  const header = new Int32Array(sab);
  const start = 0xffffff00; // 256 bytes before u32 wrap, aligned to the capacity
  header[0] = start | 0;
  header[16] = start | 0;
  const ring = new SpscRing(sab);
  let sent = 0;
  let received = 0;
  for (let round = 0; round < 200 && received < 150; round++) {
    for (let k = 0; k < 3; k++) {
      const size = (sent * 37) % (ring.maxFrameBytes + 1);
      const at = ring.reserve(size);
      if (at < 0) break;
      fill(ring.bytes, at, size, 5, sent);
      sent++;
    }
    ring.publish();
    assert.ok(ring.usedBytes() <= ring.capacityBytes);
    for (let at = ring.read(); at >= 0; at = ring.read()) {
      assert.equal(ring.frameLength, (received * 37) % (ring.maxFrameBytes + 1));
      assert.equal(firstMismatch(ring.bytes, at, ring.frameLength, 5, received), -1);
      received++;
    }
    ring.release();
  }
  assert.ok(received >= 150);
  assert.equal(received, sent, 'everything published was read');
  assert.ok((Atomics.load(header, 0) >>> 0) < start, 'the head did wrap past 2^32');
});

test('property: single-thread model of reserve/publish/read/release', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 6, max: 10 }),
      fc.array(
        fc.oneof(
          fc.record({ op: fc.constant('write' as const), size: fc.nat({ max: 600 }) }),
          fc.record({ op: fc.constant('publish' as const) }),
          fc.record({ op: fc.constant('read' as const) }),
          fc.record({ op: fc.constant('release' as const) }),
        ),
        { maxLength: 300 },
      ),
      (capacityLog2, ops) => {
        const ring = newRing(2 ** capacityLog2);
        const reserved: number[] = []; // sizes reserved, not yet published
        const published: number[] = []; // sizes published, not yet read
        let readCount = 0; // frames read, not yet released
        let next = 0; // frame number of the next reserve
        let nextRead = 0;
        for (const o of ops) {
          if (o.op === 'write') {
            const size = o.size % (ring.maxFrameBytes + 1);
            const empty = reserved.length === 0 && published.length === 0 && readCount === 0;
            const at = ring.reserve(size);
            if (empty) assert.ok(at >= 0, 'an empty ring takes any frame up to maxFrameBytes');
            if (at >= 0) {
              fill(ring.bytes, at, size, 3, next++);
              reserved.push(size);
            }
          } else if (o.op === 'publish') {
            ring.publish();
            published.push(...reserved.splice(0));
          } else if (o.op === 'read') {
            const at = ring.read();
            const expected = published.shift();
            if (expected === undefined) {
              assert.equal(at, -1);
            } else {
              assert.ok(at >= 0);
              assert.equal(ring.frameLength, expected);
              assert.equal(firstMismatch(ring.bytes, at, expected, 3, nextRead++), -1);
              readCount++;
            }
          } else {
            ring.release();
            readCount = 0;
          }
          assert.ok(ring.usedBytes() <= ring.capacityBytes);
        }
      },
    ),
    { numRuns: 200 },
  );
});

interface EchoRun {
  capacityBytes: number;
  sizes: number[];
  seed: number;
  releaseEvery: number;
  /** Main thread drains the echo ring only when it cannot write: lets both rings fill. */
  lazyDrain: boolean;
  /** The worker's blocking waits (input's head, output's tail) use the native futex pair. */
  futex?: boolean;
  /**
   * With futex: the main thread hears of output through a doorbell (as ShardClient
   * does), and while it waits for output alone it sets no timeout, so a lost wake-up
   * stalls the echo past its deadline.
   */
  doorbell?: boolean;
}

const ECHO_RUN_MS_MAX = 15_000;

/** Sends every frame through a real worker and back, checking length, bytes and order. */
async function echoThroughWorker(run: EchoRun): Promise<void> {
  const useFutex = run.futex === true || run.doorbell === true;
  // The doorbell's callback wakes whichever wait is pending.
  let onBell = (): void => {};
  const bellId = run.doorbell === true ? bells!.open(() => onBell()) : 0;
  assert.ok(bellId >= 0, `doorbellOpen: errno ${-bellId}`);
  const input = createRingBuffer(run.capacityBytes, useFutex ? RING_WAKE_DATA_FUTEX : 0);
  const output = createRingBuffer(run.capacityBytes, (useFutex ? RING_WAKE_SPACE_FUTEX : 0) | (bellId > 0 ? RING_WAKE_DATA_DOORBELL : 0), bellId);
  const control = new Int32Array(new SharedArrayBuffer(4));
  const data: EchoWorkerData = { input, output, control: control.buffer as SharedArrayBuffer, releaseEvery: run.releaseEvery, runMsMax: ECHO_RUN_MS_MAX, futex: useFutex };
  const worker = new Worker(workerUrl, { workerData: data });
  let workerError: Error | null = null;
  worker.on('error', (err) => {
    workerError = err;
  });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  const toWorker = new SpscRing(input, useFutex ? futex : null);
  const fromWorker = new SpscRing(output, useFutex ? futex : null);
  const sizes = run.sizes;
  const deadlineMs = Date.now() + ECHO_RUN_MS_MAX;
  let sent = 0;
  let received = 0;
  try {
    // Each round either moves a frame or waits up to 50 ms; the deadline bounds it all.
    for (let round = 0; received < sizes.length; round++) {
      assert.ok(Date.now() < deadlineMs, `echo stalled: sent ${sent}, received ${received} of ${sizes.length}`);
      assert.equal(workerError, null);
      let progressed = false;
      while (sent < sizes.length) {
        const at = toWorker.reserve(sizes[sent]!);
        if (at < 0) break;
        fill(toWorker.bytes, at, sizes[sent]!, run.seed, sent);
        sent++;
        progressed = true;
        if (round % 3 === 0) toWorker.publish(); // sometimes per frame, sometimes per batch
      }
      toWorker.publish();
      if (!run.lazyDrain || !progressed || sent === sizes.length) {
        for (let at = fromWorker.read(); at >= 0; at = fromWorker.read()) {
          assert.ok(received < sizes.length, 'more frames came back than were sent');
          assert.equal(fromWorker.frameLength, sizes[received], `length of frame ${received}`);
          const bad = firstMismatch(fromWorker.bytes, at, fromWorker.frameLength, run.seed, received);
          assert.equal(bad, -1, `frame ${received} differs at byte ${bad}`);
          received++;
          progressed = true;
        }
        fromWorker.release();
      }
      if (!progressed && bellId > 0) {
        if (fromWorker.armDoorbell()) continue;
        const waits: Array<Promise<unknown>> = [new Promise<void>((resolve) => (onBell = resolve))];
        if (sent < sizes.length) waits.push(toWorker.waitForSpaceAsync(sizes[sent]!, 50));
        // Only the doorbell can end a wait for output alone; this timer keeps the loop
        // alive meanwhile (the doorbell does not) and ends a stalled run at its deadline.
        const alive = setTimeout(() => onBell(), Math.max(0, deadlineMs - Date.now()));
        await Promise.race(waits);
        clearTimeout(alive);
        fromWorker.disarmDoorbell();
      } else if (!progressed) {
        const waits: Array<Promise<boolean>> = [fromWorker.waitForDataAsync(50)];
        if (sent < sizes.length) waits.push(toWorker.waitForSpaceAsync(sizes[sent]!, 50));
        await Promise.race(waits);
      }
    }
    assert.equal(fromWorker.read(), -1, 'no extra frames');
  } finally {
    Atomics.store(control, 0, 1);
    // It may be asleep on its input for a long slice, or about to be: the stop flag is
    // not the word it sleeps on, so one wake could land before its sleep. Poke until it ends.
    const poke = setInterval(() => toWorker.wakeConsumer(), 5);
    const timer = setTimeout(() => void worker.terminate(), 5_000);
    await exited;
    clearTimeout(timer);
    clearInterval(poke);
    if (bellId > 0) bells!.close(bellId);
  }
  assert.equal(workerError, null);
}

const echoRunArb = fc.integer({ min: 8, max: 16 }).chain((capacityLog2) => {
  const capacityBytes = 2 ** capacityLog2;
  const max = capacityBytes / 2 - 4;
  const size = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(0, 1, 3, 4, 5, max - 8, max - 1, max) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: Math.min(max, 256) }) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max }) },
  );
  return fc.record({
    capacityBytes: fc.constant(capacityBytes),
    sizes: fc.array(size, { minLength: 1, maxLength: capacityLog2 >= 14 ? 120 : 400 }),
    seed: fc.nat({ max: 255 }),
    releaseEvery: fc.integer({ min: 1, max: 64 }),
    lazyDrain: fc.boolean(),
  });
});

test('property: frames cross a real worker thread and come back whole and in order', async () => {
  await fc.assert(fc.asyncProperty(echoRunArb, echoThroughWorker), { numRuns: 40 });
});

test('echo of many maximum frames through the smallest useful ring', async () => {
  const capacityBytes = 256;
  await echoThroughWorker({ capacityBytes, sizes: new Array<number>(2000).fill(capacityBytes / 2 - 4), seed: 7, releaseEvery: 1, lazyDrain: true });
  await echoThroughWorker({ capacityBytes, sizes: Array.from({ length: 3000 }, (_, i) => i % 3 === 0 ? 0 : (i * 11) % (capacityBytes / 2 - 3)), seed: 11, releaseEvery: 7, lazyDrain: false });
});

test('futex wake mode: the constructor needs the pair, async waits on a futex word refuse, a blocking wait sees not-equal', { skip: noFutex }, async () => {
  const sab = createRingBuffer(256, RING_WAKE_DATA_FUTEX | RING_WAKE_SPACE_FUTEX);
  assert.throws(() => new SpscRing(sab), /needs the native wake calls/);
  assert.throws(() => createRingBuffer(256, 8), RangeError);
  const ring = new SpscRing(sab, futex);
  await assert.rejects(ring.waitForDataAsync(1), /futex/);
  await assert.rejects(ring.waitForSpaceAsync(8, 1), /futex/);
  assert.equal(ring.waitForData(0), false);
  assert.ok(ring.tryWrite(new Uint8Array([1, 2, 3])));
  assert.equal(ring.waitForData(1_000), true);
  // The word already moved past what a waiter read: the kernel refuses to sleep.
  const head = new Int32Array(sab, 0, 1);
  assert.equal(futex!.wait(head, 0, Atomics.load(head, 0) + 8, 60_000), 1);
  assert.equal(futex!.wake(head, 0), 0);
  assert.throws(() => futex!.wait(head, 1, 0, 0), TypeError);
  // A ring made without a futex mode ignores the pair: Atomics, async waits allowed.
  const plain = new SpscRing(createRingBuffer(256), futex);
  assert.equal(await plain.waitForDataAsync(1), false);
});

test('property: futex wake mode, frames cross a worker that sleeps in long native waits', { skip: noFutex }, async () => {
  await fc.assert(fc.asyncProperty(echoRunArb, (run) => echoThroughWorker({ ...run, futex: true })), { numRuns: 25 });
  const capacityBytes = 256;
  await echoThroughWorker({ capacityBytes, sizes: new Array<number>(2000).fill(capacityBytes / 2 - 4), seed: 5, releaseEvery: 1, lazyDrain: true, futex: true });
});

test('doorbell wake mode: ids go with the mode, blocking and async data waits refuse, arm re-checks', { skip: noDoorbell }, async () => {
  assert.throws(() => createRingBuffer(256, RING_WAKE_DATA_DOORBELL), RangeError, 'the mode needs an id');
  assert.throws(() => createRingBuffer(256, 0, 7), RangeError, 'an id needs the mode');
  assert.throws(() => createRingBuffer(256, RING_WAKE_DATA_DOORBELL | RING_WAKE_DATA_FUTEX, 7), RangeError, 'head wakes one way');
  assert.throws(() => createRingBuffer(256, RING_WAKE_DATA_DOORBELL, 2 ** 31), RangeError);
  let calls = 0;
  const id = bells!.open(() => calls++);
  const sab = createRingBuffer(256, RING_WAKE_DATA_DOORBELL, id);
  assert.throws(() => new SpscRing(sab), /needs the native wake calls/);
  const consumer = new SpscRing(sab, futex);
  const producer = new SpscRing(sab, futex);
  assert.throws(() => consumer.waitForData(0), /doorbell/);
  await assert.rejects(consumer.waitForDataAsync(1), /doorbell/);
  assert.throws(() => new SpscRing(createRingBuffer(256), futex).armDoorbell(), /without a doorbell/);
  // Unarmed: a publish does not ring.
  assert.ok(producer.tryWrite(new Uint8Array([1])));
  // Armed with data already there: arm says read on, and leaves the flag down.
  assert.equal(consumer.armDoorbell(), true);
  assert.ok(producer.tryWrite(new Uint8Array([2])));
  assert.ok(consumer.read() >= 0 && consumer.read() >= 0 && consumer.read() < 0);
  consumer.release();
  // Armed on an empty ring: the next publish rings, once per burst.
  assert.equal(consumer.armDoorbell(), false);
  assert.ok(producer.tryWrite(new Uint8Array([3])));
  assert.ok(producer.tryWrite(new Uint8Array([4])));
  const alive = setTimeout(() => {}, 10_000);
  for (let i = 0; i < 400 && calls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  clearTimeout(alive);
  assert.equal(calls, 1);
  bells!.close(id);
  // Its owner closed it: producers ring into nothing, and do not fail.
  producer.wakeConsumer();
  assert.ok(producer.tryWrite(new Uint8Array([5])));
});

test('property: doorbell wake mode, frames cross a worker and every wake-up of the main thread is a doorbell', { skip: noDoorbell }, async () => {
  await fc.assert(fc.asyncProperty(echoRunArb, (run) => echoThroughWorker({ ...run, doorbell: true })), { numRuns: 25 });
  const capacityBytes = 256;
  await echoThroughWorker({ capacityBytes, sizes: new Array<number>(2000).fill(capacityBytes / 2 - 4), seed: 9, releaseEvery: 1, lazyDrain: true, doorbell: true });
});
