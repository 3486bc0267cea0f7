// Single-producer single-consumer byte ring over one SharedArrayBuffer (LMAX
// Disruptor style), the only channel between the main thread and a shard worker.
// Owns: the ring's memory layout, framing (length prefix, 8-byte padding, wrap
// markers), the two indices and the sleep/wake protocol on them. Must not know what
// the frames mean (src/shard/shard-protocol.ts does) and must not allocate on the
// hot path: reserve/publish/read/release touch only preallocated views.
//
// Layout of the SharedArrayBuffer:
//   byte   0  head: write index, u32, stored only by the producer
//   byte  64  tail: read index, u32, stored only by the consumer
//   byte 128  consumer-is-sleeping flag (set by the consumer, read by the producer)
//   byte 192  producer-is-sleeping flag (set by the producer, read by the consumer)
//   byte 224  wake mode: how head and tail sleepers are woken (written once by
//             createRingBuffer, before the ring is shared; read once per SpscRing)
//   byte 228  doorbell id, with RING_WAKE_DATA_DOORBELL (written and read likewise)
//   byte 256  data area, capacityBytes long (a power of two)
// Each shared word that changes sits alone in a 64-byte slot so the two threads do not
// false-share a cache line. Indices are positions that only grow (mod 2^32); a position's byte
// in the data area is `position & (capacityBytes - 1)`, and `head - tail` (mod 2^32)
// is the occupancy. Because capacityBytes divides 2^32, wrapping the u32 keeps the
// masked offsets continuous.
//
// A frame is a u32 little-endian payload length, the payload, then padding up to a
// multiple of 8, so every frame (and so every length word) starts 8-aligned. A frame
// never wraps around the end of the data area: when it would, the producer writes the
// wrap marker 0xFFFFFFFF in the length slot and starts the frame at offset 0. So each
// payload is one contiguous range of `bytes`, readable in place (zero-copy).

import { invariantFailed } from '../wire/assert.js';

export const RING_HEADER_BYTES = 256;
/** Smallest data area: big enough for a wrap marker and a few small frames. */
export const RING_CAPACITY_MIN_BYTES = 64;
/** Largest data area: keeps positions and occupancy inside u32 arithmetic with room to spare. */
export const RING_CAPACITY_MAX_BYTES = 1 << 30;

const FRAME_LENGTH_BYTES = 4;
const FRAME_ALIGN_BYTES = 8;
const WRAP_MARKER = 0xffffffff;
/** Every payload offset reserve() or read() returns is this much past a multiple of 8. */
export const RING_PAYLOAD_ALIGN_OFFSET = FRAME_LENGTH_BYTES % FRAME_ALIGN_BYTES;

// Int32Array indices of the shared words (byte offset / 4).
const HEAD_I32 = 0;
const TAIL_I32 = 16;
const CONSUMER_SLEEPING_I32 = 32;
const PRODUCER_SLEEPING_I32 = 48;
const WAKE_MODE_I32 = 56;
const DOORBELL_ID_I32 = 57;

/**
 * Wake modes (createRingBuffer): a word's sleeper and its wakers must use the same
 * mechanism — a native FUTEX_WAKE does not wake an Atomics.wait and vice versa — so
 * the ring's creator picks per word, once, and every side reads it from the ring.
 * RING_WAKE_DATA_FUTEX: head (waitForData; publish and wakeConsumer wake it) uses
 * the futex pair; the consumer then cannot use waitForDataAsync.
 * RING_WAKE_SPACE_FUTEX: tail (waitForSpace; release wakes it) likewise, and the
 * producer cannot use waitForSpaceAsync.
 * RING_WAKE_DATA_DOORBELL: the consumer is an event loop that owns a native doorbell
 * (src/platform/native.ts doorbellCalls; its id is in the ring). It does not wait on
 * head at all: it arms the doorbell (armDoorbell) and returns to its loop, and publish
 * and wakeConsumer ring it. Why: each Atomics.waitAsync leaves ~120 B in V8's old space
 * (bench/ring-wake.bench.ts), which at 10,000 requests a second fills it into a
 * mark-compact every few seconds; a ring of the doorbell allocates nothing on the heap.
 * Excludes RING_WAKE_DATA_FUTEX. A word's other async side stays on Atomics.
 */
export const RING_WAKE_DATA_FUTEX = 1;
export const RING_WAKE_SPACE_FUTEX = 2;
export const RING_WAKE_DATA_DOORBELL = 4;
const RING_WAKE_MODES = RING_WAKE_DATA_FUTEX | RING_WAKE_SPACE_FUTEX | RING_WAKE_DATA_DOORBELL;

/**
 * The native wake calls (src/platform/native.ts ringWakeCalls; injected, the ring does
 * not load the addon). The futex pair, why: V8's Atomics.notify signals the sleeper
 * while holding its futex-emulation mutex, so the sleeper wakes into that mutex and
 * sleeps once more — two context switches and two futex syscalls per wake instead of one.
 */
export interface RingWakeCalls {
  /** Blocks while i32[index] === expected, up to timeoutMs: 0 woken, 1 not equal, 2 timed out, < 0 error. */
  wait(i32: Int32Array, index: number, expected: number, timeoutMs: number): number;
  /** Wakes the sleepers of wait() on i32[index]. */
  wake(i32: Int32Array, index: number): number;
  /** Rings a doorbell from any thread: 0, or < 0 when it is closed (its owner is gone). */
  ringDoorbell(id: number): number;
}

// Slots of SpscRing.pos (private u32 positions).
const WRITE = 0;
const PUBLISHED = 1;
const TAIL_CACHE = 2;
const READ = 3;
const HEAD_CACHE = 4;
const POS_SLOTS = 5;

/** Bytes a frame with this payload takes in the data area: length word + payload, 8-aligned. */
export function ringFrameBytes(payloadBytes: number): number {
  return (FRAME_LENGTH_BYTES + payloadBytes + FRAME_ALIGN_BYTES - 1) & ~(FRAME_ALIGN_BYTES - 1);
}

/**
 * Largest payload that always fits in an empty ring of this capacity, wherever its
 * indices stand. An empty ring at position p has capacity - p bytes before the end and
 * p bytes after a wrap; a frame fits if it fits in either, and the worst p is
 * capacity/2. So a frame may take capacity/2 bytes: its length word leaves
 * capacity/2 - 4 for the payload (capacity/2 is a multiple of 8, so no padding is lost).
 */
export function ringMaxFrameBytes(capacityBytes: number): number {
  return capacityBytes / 2 - FRAME_LENGTH_BYTES;
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

function assertCapacity(capacityBytes: number): void {
  if (!isPowerOfTwo(capacityBytes) || capacityBytes < RING_CAPACITY_MIN_BYTES || capacityBytes > RING_CAPACITY_MAX_BYTES) {
    throw new RangeError(
      `ring capacity must be a power of two between ${RING_CAPACITY_MIN_BYTES} and ${RING_CAPACITY_MAX_BYTES} bytes, got ${capacityBytes}`,
    );
  }
}

function assertTimeout(timeoutMs: number): void {
  if (!(timeoutMs >= 0)) throw new RangeError(`timeoutMs must be >= 0, got ${timeoutMs}`);
}

/**
 * Allocates a zeroed ring (header + data area). Share it with the other thread via
 * workerData. `wakeMode` (RING_WAKE_* bits) says which words wake natively; every
 * SpscRing over it must then be given the native calls. `doorbellId` (> 0) goes with
 * RING_WAKE_DATA_DOORBELL: the doorbell the consumer's thread opened.
 */
export function createRingBuffer(capacityBytes: number, wakeMode = 0, doorbellId = 0): SharedArrayBuffer {
  assertCapacity(capacityBytes);
  if ((wakeMode & ~RING_WAKE_MODES) !== 0) throw new RangeError(`unknown ring wake mode ${wakeMode}`);
  if ((wakeMode & RING_WAKE_DATA_DOORBELL) !== 0 && (wakeMode & RING_WAKE_DATA_FUTEX) !== 0) {
    throw new RangeError('a ring\'s head wakes by futex or by doorbell, not both');
  }
  const withDoorbell = (wakeMode & RING_WAKE_DATA_DOORBELL) !== 0;
  if (withDoorbell !== (Number.isInteger(doorbellId) && doorbellId > 0 && doorbellId <= 0x7fffffff)) {
    throw new RangeError(`doorbell id ${doorbellId} must be an integer in 1..2^31-1 exactly when the wake mode has RING_WAKE_DATA_DOORBELL`);
  }
  const sab = new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes);
  const header = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
  Atomics.store(header, WAKE_MODE_I32, wakeMode);
  Atomics.store(header, DOORBELL_ID_I32, doorbellId);
  return sab;
}

// Atomics.waitAsync is in Node 20 (V8) but not in the ES2022 lib this project compiles against.
type WaitAsyncResult =
  | { async: false; value: 'not-equal' | 'timed-out' }
  | { async: true; value: Promise<'ok' | 'timed-out'> };
type WaitAsyncFn = (typedArray: Int32Array, index: number, value: number, timeout?: number) => WaitAsyncResult;
const atomicsWaitAsync: WaitAsyncFn | undefined = (Atomics as unknown as { waitAsync?: WaitAsyncFn }).waitAsync;
/** Poll interval when the runtime lacks Atomics.waitAsync (not Node 20, kept as a safety net). */
const POLL_FALLBACK_MS = 1;

export class SpscRing {
  readonly capacityBytes: number;
  readonly maxFrameBytes: number;
  /** The data area (same SharedArrayBuffer): payload offsets from reserve()/read() index into it. */
  readonly bytes: Uint8Array;

  private readonly header: Int32Array;
  private readonly view: DataView;
  private readonly mask: number;

  // Private positions, in a Uint32Array rather than number fields: positions past 2^30
  // are not small integers, and V8 would box every store to a number field as a heap
  // number (garbage on the hot path); a typed array slot stores the raw u32.
  // WRITE runs ahead of the shared head by the frames reserved but not yet published;
  // TAIL_CACHE is the last tail the producer saw, only ever behind the real one, so
  // trusting it never overwrites unread bytes. READ runs ahead of the shared tail by
  // the frames read but not yet released; HEAD_CACHE is the last head the consumer saw.
  // Reads carry `!`: the slots are constants below POS_SLOTS, so they always exist.
  private readonly pos = new Uint32Array(POS_SLOTS);
  private lastFrameLength = 0;

  // Async waits still pending per side: a side's sleeping flag is cleared only when
  // the last of its waiters settles, so an old waiter timing out cannot clear the flag
  // under a newer one (that would be a lost wake-up until the newer one's timeout).
  private dataWaiters = 0;
  private spaceWaiters = 0;

  // The futex pair for head (data) and tail (space) when the ring's wake mode says so;
  // null: that word sleeps and wakes through Atomics (or the doorbell, for head).
  private readonly dataFutex: RingWakeCalls | null;
  private readonly spaceFutex: RingWakeCalls | null;
  // RING_WAKE_DATA_DOORBELL: the calls and the consumer's doorbell id; else null and 0.
  private readonly doorbell: RingWakeCalls | null;
  private readonly doorbellId: number;

  /** `native` is required when the ring was created with a native wake mode, ignored otherwise. */
  constructor(sab: SharedArrayBuffer, native: RingWakeCalls | null = null) {
    if (!(sab instanceof SharedArrayBuffer)) throw new TypeError('SpscRing needs a SharedArrayBuffer');
    const capacityBytes = sab.byteLength - RING_HEADER_BYTES;
    assertCapacity(capacityBytes);
    this.capacityBytes = capacityBytes;
    this.maxFrameBytes = ringMaxFrameBytes(capacityBytes);
    this.mask = capacityBytes - 1;
    this.header = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, capacityBytes);
    this.view = new DataView(sab, RING_HEADER_BYTES, capacityBytes);
    const wakeMode = Atomics.load(this.header, WAKE_MODE_I32);
    if ((wakeMode & ~RING_WAKE_MODES) !== 0) invariantFailed(`ring header is corrupt: wake mode ${wakeMode}`);
    // Falling back to Atomics here would lose wake-ups (the other side uses the addon):
    // refuse instead. The creator only picks a native mode where every thread loads the addon.
    if (wakeMode !== 0 && native === null) throw new Error(`ring wake mode ${wakeMode} needs the native wake calls, which this thread lacks`);
    const doorbellId = Atomics.load(this.header, DOORBELL_ID_I32);
    const withDoorbell = (wakeMode & RING_WAKE_DATA_DOORBELL) !== 0;
    if (withDoorbell !== doorbellId > 0 || (withDoorbell && (wakeMode & RING_WAKE_DATA_FUTEX) !== 0)) {
      invariantFailed(`ring header is corrupt: wake mode ${wakeMode} with doorbell ${doorbellId}`);
    }
    this.dataFutex = (wakeMode & RING_WAKE_DATA_FUTEX) !== 0 ? native : null;
    this.spaceFutex = (wakeMode & RING_WAKE_SPACE_FUTEX) !== 0 ? native : null;
    this.doorbell = withDoorbell ? native : null;
    this.doorbellId = withDoorbell ? doorbellId : 0;
    // Either side may be constructed at any time: start from the shared indices.
    const head = Atomics.load(this.header, HEAD_I32) >>> 0;
    const tail = Atomics.load(this.header, TAIL_I32) >>> 0;
    const used = (head - tail) >>> 0;
    if (used > capacityBytes || (head & (FRAME_ALIGN_BYTES - 1)) !== 0 || (tail & (FRAME_ALIGN_BYTES - 1)) !== 0) {
      invariantFailed(`ring header is corrupt: head ${head}, tail ${tail}, capacity ${capacityBytes}`);
    }
    this.pos[WRITE] = head;
    this.pos[PUBLISHED] = head;
    this.pos[TAIL_CACHE] = tail;
    this.pos[READ] = tail;
    this.pos[HEAD_CACHE] = head;
  }

  // ---------------------------------------------------------------- producer side

  /**
   * Reserves a frame for `payloadBytes` and returns the payload's offset in `bytes`,
   * or -1 if the ring has no room now. The frame is invisible to the consumer until
   * publish(). Several frames may be reserved before one publish().
   */
  reserve(payloadBytes: number): number {
    this.assertPayload(payloadBytes);
    const need = this.requiredBytes(payloadBytes);
    if (((this.pos[WRITE]! - this.pos[TAIL_CACHE]!) >>> 0) + need > this.capacityBytes) {
      // The cached tail says no: only now pay for reading the consumer's cache line.
      this.pos[TAIL_CACHE] = Atomics.load(this.header, TAIL_I32) >>> 0;
      if (((this.pos[WRITE]! - this.pos[TAIL_CACHE]!) >>> 0) + need > this.capacityBytes) return -1;
    }
    let at = this.pos[WRITE]! & this.mask;
    const frameBytes = ringFrameBytes(payloadBytes);
    if (frameBytes > this.capacityBytes - at) {
      // At least 8 bytes remain (positions are 8-aligned), so the marker always fits.
      this.view.setUint32(at, WRAP_MARKER, true);
      this.pos[WRITE] = (this.pos[WRITE]! + (this.capacityBytes - at)) >>> 0;
      at = 0;
    }
    this.view.setUint32(at, payloadBytes, true);
    this.pos[WRITE] = (this.pos[WRITE]! + frameBytes) >>> 0;
    return at + FRAME_LENGTH_BYTES;
  }

  /** Makes every reserved frame visible to the consumer, waking it only if it sleeps. */
  publish(): void {
    if (this.pos[WRITE]! === this.pos[PUBLISHED]!) return;
    this.pos[PUBLISHED] = this.pos[WRITE]!;
    // Seq-cst store, then read the flag: pairs with the consumer's store-flag-then-read-head.
    Atomics.store(this.header, HEAD_I32, this.pos[WRITE]! | 0);
    if (Atomics.load(this.header, CONSUMER_SLEEPING_I32) !== 0) this.wakeConsumer();
  }

  /**
   * Wakes a consumer sleeping in waitForData without publishing anything (it sees no
   * new frame and returns false). For a third thread whose news the consumer polls,
   * e.g. a shard's syncer finishing an fdatasync. Safe from any thread. On a doorbell
   * ring it rings the doorbell, armed or not (a closed one is ignored: nobody to wake).
   */
  wakeConsumer(): void {
    if (this.doorbell !== null) this.doorbell.ringDoorbell(this.doorbellId);
    else if (this.dataFutex !== null) this.dataFutex.wake(this.header, HEAD_I32);
    else Atomics.notify(this.header, HEAD_I32);
  }

  /** Copies one payload in and publishes it; false if the ring has no room now. */
  tryWrite(payload: Uint8Array): boolean {
    const at = this.reserve(payload.byteLength);
    if (at < 0) return false;
    this.bytes.set(payload, at);
    this.publish();
    return true;
  }

  /** Data-area bytes a frame of this payload would take at the current write position, marker included. */
  private requiredBytes(payloadBytes: number): number {
    const frameBytes = ringFrameBytes(payloadBytes);
    const untilEnd = this.capacityBytes - (this.pos[WRITE]! & this.mask);
    return frameBytes <= untilEnd ? frameBytes : untilEnd + frameBytes;
  }

  private hasSpaceFresh(payloadBytes: number): boolean {
    this.pos[TAIL_CACHE] = Atomics.load(this.header, TAIL_I32) >>> 0;
    return ((this.pos[WRITE]! - this.pos[TAIL_CACHE]!) >>> 0) + this.requiredBytes(payloadBytes) <= this.capacityBytes;
  }

  private assertPayload(payloadBytes: number): void {
    if (!(payloadBytes >= 0 && payloadBytes <= this.maxFrameBytes) || !Number.isInteger(payloadBytes)) {
      throw new RangeError(`ring frame payload must be an integer in 0..${this.maxFrameBytes} bytes, got ${payloadBytes}`);
    }
  }

  // ---------------------------------------------------------------- consumer side

  /**
   * Returns the offset in `bytes` of the next unread payload (its length is then in
   * `frameLength`), or -1 if none is published. The bytes stay valid until release().
   */
  read(): number {
    if (this.pos[READ]! === this.pos[HEAD_CACHE]!) {
      this.pos[HEAD_CACHE] = Atomics.load(this.header, HEAD_I32) >>> 0;
      if (this.pos[READ]! === this.pos[HEAD_CACHE]!) return -1;
    }
    let at = this.pos[READ]! & this.mask;
    let length = this.view.getUint32(at, true);
    if (length === WRAP_MARKER) {
      this.pos[READ] = (this.pos[READ]! + (this.capacityBytes - at)) >>> 0;
      // The producer publishes a marker only together with the frame after it.
      if (this.pos[READ]! === this.pos[HEAD_CACHE]!) invariantFailed('ring is corrupt: wrap marker at the head');
      at = 0;
      length = this.view.getUint32(0, true);
    }
    const frameBytes = ringFrameBytes(length);
    if (length > this.maxFrameBytes || frameBytes > ((this.pos[HEAD_CACHE]! - this.pos[READ]!) >>> 0)) {
      invariantFailed(`ring is corrupt: frame of ${length} bytes at position ${this.pos[READ]!}, head ${this.pos[HEAD_CACHE]!}`);
    }
    this.pos[READ] = (this.pos[READ]! + frameBytes) >>> 0;
    this.lastFrameLength = length;
    return at + FRAME_LENGTH_BYTES;
  }

  /** Payload length of the frame the last successful read() returned. */
  get frameLength(): number {
    return this.lastFrameLength;
  }

  /** Frees every frame read() so far for the producer (one store), waking it only if it sleeps. */
  release(): void {
    // Seq-cst store, then read the flag: pairs with the producer's store-flag-then-read-tail.
    Atomics.store(this.header, TAIL_I32, this.pos[READ]! | 0);
    if (Atomics.load(this.header, PRODUCER_SLEEPING_I32) !== 0) {
      if (this.spaceFutex !== null) this.spaceFutex.wake(this.header, TAIL_I32);
      else Atomics.notify(this.header, TAIL_I32);
    }
  }

  private hasDataFresh(): boolean {
    this.pos[HEAD_CACHE] = Atomics.load(this.header, HEAD_I32) >>> 0;
    return this.pos[READ]! !== this.pos[HEAD_CACHE]!;
  }

  // ---------------------------------------------------------------- waiting

  /**
   * Consumer, worker threads only (blocks the thread): sleeps until the producer
   * publishes or `timeoutMs` passes. True if unread data is there.
   */
  waitForData(timeoutMs: number): boolean {
    assertTimeout(timeoutMs);
    if (this.doorbell !== null) throw new Error('waitForData on a ring whose head wakes by doorbell (use armDoorbell)');
    if (this.hasDataFresh()) return true;
    // Raise the flag, then re-check: a producer that published before seeing the flag
    // is caught by the re-check; one that published after sees the flag and notifies,
    // and the wait returns at once if head already moved past `observed` (both
    // Atomics.wait and FUTEX_WAIT compare the word and queue the sleeper atomically).
    Atomics.store(this.header, CONSUMER_SLEEPING_I32, 1);
    const observed = Atomics.load(this.header, HEAD_I32);
    if ((observed >>> 0) === this.pos[READ]!) {
      if (this.dataFutex !== null) futexWait(this.dataFutex, this.header, HEAD_I32, observed, timeoutMs);
      else Atomics.wait(this.header, HEAD_I32, observed, timeoutMs);
    }
    if (this.dataWaiters === 0) Atomics.store(this.header, CONSUMER_SLEEPING_I32, 0);
    return this.hasDataFresh();
  }

  /** Consumer on the main thread: like waitForData but yields to the event loop. */
  async waitForDataAsync(timeoutMs: number): Promise<boolean> {
    assertTimeout(timeoutMs);
    if (this.dataFutex !== null) throw new Error('waitForDataAsync on a ring whose head wakes by futex (it would never be woken)');
    if (this.doorbell !== null) throw new Error('waitForDataAsync on a ring whose head wakes by doorbell (use armDoorbell)');
    if (this.hasDataFresh()) return true;
    this.dataWaiters++;
    try {
      Atomics.store(this.header, CONSUMER_SLEEPING_I32, 1);
      const observed = Atomics.load(this.header, HEAD_I32);
      if ((observed >>> 0) === this.pos[READ]!) await waitAsync(this.header, HEAD_I32, observed, timeoutMs);
    } finally {
      if (--this.dataWaiters === 0) Atomics.store(this.header, CONSUMER_SLEEPING_I32, 0);
    }
    return this.hasDataFresh();
  }

  /**
   * Consumer of a doorbell ring, before it returns to its event loop: raises the
   * sleeping flag, so the producer's next publish rings the doorbell, then re-checks.
   * False: nothing unread, and the doorbell will ring. True: data arrived meanwhile
   * (the producer may or may not ring), the flag is lowered again and the caller should
   * read on. Same store-flag-then-read-head as waitForData, so no wake-up is lost.
   */
  armDoorbell(): boolean {
    if (this.doorbell === null) throw new Error('armDoorbell on a ring without a doorbell');
    Atomics.store(this.header, CONSUMER_SLEEPING_I32, 1);
    if (!this.hasDataFresh()) return false;
    Atomics.store(this.header, CONSUMER_SLEEPING_I32, 0);
    return true;
  }

  /**
   * Consumer of a doorbell ring, when the doorbell's callback starts: lowers the flag,
   * so the producer does not ring for every frame it publishes while this side reads.
   */
  disarmDoorbell(): void {
    Atomics.store(this.header, CONSUMER_SLEEPING_I32, 0);
  }

  /**
   * Producer, worker threads only (blocks the thread): publishes what is reserved (a
   * producer sleeping on unpublished frames could wait forever), then sleeps until a
   * frame of `payloadBytes` fits or `timeoutMs` passes. True if it fits now.
   */
  waitForSpace(payloadBytes: number, timeoutMs: number): boolean {
    this.assertPayload(payloadBytes);
    assertTimeout(timeoutMs);
    this.publish();
    if (this.hasSpaceFresh(payloadBytes)) return true;
    Atomics.store(this.header, PRODUCER_SLEEPING_I32, 1);
    const observed = Atomics.load(this.header, TAIL_I32);
    if (!this.hasSpaceFresh(payloadBytes)) {
      // hasSpaceFresh re-read the tail after `observed`; waiting on `observed` is still
      // safe: if it moved meanwhile, the wait returns at once ('not-equal').
      if (this.spaceFutex !== null) futexWait(this.spaceFutex, this.header, TAIL_I32, observed, timeoutMs);
      else Atomics.wait(this.header, TAIL_I32, observed, timeoutMs);
    }
    if (this.spaceWaiters === 0) Atomics.store(this.header, PRODUCER_SLEEPING_I32, 0);
    return this.hasSpaceFresh(payloadBytes);
  }

  /** Producer on the main thread: like waitForSpace but yields to the event loop. */
  async waitForSpaceAsync(payloadBytes: number, timeoutMs: number): Promise<boolean> {
    this.assertPayload(payloadBytes);
    assertTimeout(timeoutMs);
    if (this.spaceFutex !== null) throw new Error('waitForSpaceAsync on a ring whose tail wakes by futex (it would never be woken)');
    this.publish();
    if (this.hasSpaceFresh(payloadBytes)) return true;
    this.spaceWaiters++;
    try {
      Atomics.store(this.header, PRODUCER_SLEEPING_I32, 1);
      const observed = Atomics.load(this.header, TAIL_I32);
      if (!this.hasSpaceFresh(payloadBytes)) await waitAsync(this.header, TAIL_I32, observed, timeoutMs);
    } finally {
      if (--this.spaceWaiters === 0) Atomics.store(this.header, PRODUCER_SLEEPING_I32, 0);
    }
    return this.hasSpaceFresh(payloadBytes);
  }

  /** Published bytes not yet released (frames, padding and wrap markers), for metrics. */
  usedBytes(): number {
    const tail = Atomics.load(this.header, TAIL_I32) >>> 0;
    const head = Atomics.load(this.header, HEAD_I32) >>> 0;
    // Tail loaded first: head only grows, so this never goes negative; it can overshoot
    // by what the consumer freed between the two loads, hence the clamp.
    return Math.min((head - tail) >>> 0, this.capacityBytes);
  }
}

/** A futex wait whose error (never expected: the word is valid and aligned) is loud, not a busy loop. */
function futexWait(futex: RingWakeCalls, header: Int32Array, index: number, observed: number, timeoutMs: number): void {
  const r = futex.wait(header, index, observed, timeoutMs);
  if (r < 0) invariantFailed(`ring futex wait failed: errno ${-r}`);
}

/**
 * Atomics.waitAsync plus a timer: a pending waitAsync does not keep Node's event loop
 * alive, so without the timer a process whose only work is this wait would exit. An
 * interval, not a timeout: V8's own timeout task may run after a timer of the same
 * length (under load it did), and the loop must stay alive until the wait settles.
 */
function waitAsync(header: Int32Array, index: number, observed: number, timeoutMs: number): Promise<void> {
  if (atomicsWaitAsync === undefined) {
    return new Promise<void>((resolve) => setTimeout(resolve, Math.min(timeoutMs, POLL_FALLBACK_MS)));
  }
  const r = atomicsWaitAsync(header, index, observed, timeoutMs);
  if (!r.async) return Promise.resolve();
  if (!Number.isFinite(timeoutMs)) return r.value.then(() => undefined);
  const keepAlive = setInterval(noop, timeoutMs + 1);
  return r.value.then(() => clearInterval(keepAlive));
}

function noop(): void {}
