// Reused buffers for large byte runs on the main thread: reads copied out of a
// shard's completion ring, request frames gathered from socket chunks.
// Owns: size classes, the bounded free lists and which buffers are lent out.
// Must not know who holds a lent buffer or when it is written: the holder gives it
// back (BufferPool.give) once nothing can read it any more, typically from a socket
// write's completion callback.
//
// Why: a fresh multi-MB buffer per read costs more than the copy into it on this
// class of VM (first touch of new memory: ~930 µs per MiB against ~117 µs into a
// reused one) and feeds V8's GC "external memory" Mark-Compacts. A lent buffer that is
// never given back is not a leak: the lent set is weak, so it is simply collected and
// the pool allocates another. Giving back a buffer that is still in use would be
// corruption, so a holder that is unsure (an errored write) must not give it back.

/** Runs shorter than this are allocated fresh: cheap, and not worth a lease. */
export const POOLED_MIN_BYTES = 64 * 1024;
/** Runs longer than this are allocated fresh (a ring frame is at most 16 MiB). */
export const POOLED_MAX_BYTES = 16 * 1024 * 1024;
/** Free bytes kept across all classes; past it a given-back buffer is dropped. */
const FREE_BYTES_MAX_DEFAULT = 48 * 1024 * 1024;

const MIN_CLASS_LOG2 = Math.log2(POOLED_MIN_BYTES);
const MAX_CLASS_LOG2 = Math.log2(POOLED_MAX_BYTES);

export class BufferPool {
  /** free[k]: unused buffers of 2^(MIN_CLASS_LOG2 + k) bytes. */
  private readonly free: ArrayBuffer[][] = [];
  /** Buffers lent out and not yet given back (weak: a lost one is collected). */
  private readonly lent = new WeakSet<ArrayBuffer>();
  private freeBytes = 0;
  /** Counters, for tests and metrics. */
  readonly stats = { taken: 0, reused: 0, given: 0, dropped: 0 };

  constructor(private readonly freeBytesMax = FREE_BYTES_MAX_DEFAULT) {
    for (let k = MIN_CLASS_LOG2; k <= MAX_CLASS_LOG2; k++) this.free.push([]);
  }

  /**
   * A buffer of exactly `bytes` (a view; its contents are stale, the caller fills
   * it). Pooled when the size is in range, otherwise a fresh array.
   */
  take(bytes: number): Uint8Array {
    if (bytes < POOLED_MIN_BYTES || bytes > POOLED_MAX_BYTES) return new Uint8Array(bytes);
    const k = Math.max(MIN_CLASS_LOG2, Math.ceil(Math.log2(bytes))) - MIN_CLASS_LOG2;
    const list = this.free[k]!;
    let ab = list.pop();
    this.stats.taken++;
    if (ab === undefined) {
      ab = new ArrayBuffer(1 << (k + MIN_CLASS_LOG2));
    } else {
      this.freeBytes -= ab.byteLength;
      this.stats.reused++;
    }
    this.lent.add(ab);
    return new Uint8Array(ab, 0, bytes);
  }

  /** A pooled copy of `src` (or a plain copy when too small or too large to pool). */
  copyOf(src: Uint8Array): Uint8Array {
    const out = this.take(src.byteLength);
    out.set(src);
    return out;
  }

  /**
   * Gives back the buffer under `view` if this pool lent it and has not had it back;
   * anything else (a fresh array, a foreign buffer, a second give) is ignored.
   * The caller promises nothing reads or writes that buffer any more.
   */
  give(view: Uint8Array): void {
    const ab = view.buffer;
    if (!(ab instanceof ArrayBuffer) || !this.lent.delete(ab)) return;
    this.stats.given++;
    if (this.freeBytes + ab.byteLength > this.freeBytesMax) {
      this.stats.dropped++;
      return;
    }
    const k = Math.log2(ab.byteLength) - MIN_CLASS_LOG2;
    const list = this.free[k];
    if (list === undefined) return;
    list.push(ab);
    this.freeBytes += ab.byteLength;
  }

  /** Gives back every chunk of a written response (see give). */
  giveAll(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) if (c.byteLength >= POOLED_MIN_BYTES) this.give(c);
  }

  /** Free bytes held now. */
  get freeBytesHeld(): number {
    return this.freeBytes;
  }
}

/** The main thread's pool (one main thread per process, one pool): shard reads and request frames. */
export const bufferPool = new BufferPool();
