// Loader for Samsa's native addon (native/samsa_native.cc): CPU affinity for the
// calling thread, the zero-copy Fetch calls (dupFd, sendParts), a socket's send
// buffer size (setSendBuffer), the ring's futex pair (futexWait, futexWake) and doorbells
// (doorbellOpen/Ring/Close: a wake-up of one thread's event loop from any thread). Owns: finding,
// loading and shape-checking the .node file, and a pin helper that never throws. Must not touch: which CPU a shard gets (the broker
// decides) or logging (callers say "running unpinned" once, using nativeLoadError()).
// Each worker thread has its own module instance, so the cache below is per thread;
// the addon is context-aware and safe to load in every worker.

import { createRequire } from 'node:module';
import { release } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The addon's functions. All act on the CALLING thread unless said otherwise. */
export interface NativeAddon {
  /** Binds the calling thread to one CPU. false if out of range, not allowed, or refused. */
  pinThreadToCpu(cpu: number): boolean;
  /** The CPU the calling thread runs on now; -1 if unknown. */
  currentCpu(): number;
  /** How many CPUs the process may use (its affinity mask); -1 if unknown. */
  cpuCount(): number;
  /** The CPUs the calling thread may run on, ascending; [] if unknown. */
  getThreadAffinity(): number[];
  /** A new close-on-exec descriptor for the same open file, or -errno. Absent in older builds. */
  dupFd?(fd: number): number;
  /**
   * Writes parts (bytes, or [fd, position, length] file ranges) in order to a
   * non-blocking socket, from skipBytes into their concatenation; returns the bytes
   * written (fewer when the socket would block) or -errno. Absent in older builds.
   */
  sendParts?(socketFd: number, parts: ReadonlyArray<Uint8Array | readonly [number, number, number]>, skipBytes: number): number;
  /**
   * Calls back once on this thread's event loop when `fd` is writable (status < 0:
   * an error). `fd` must not be one libuv already watches (pass a dupFd of a socket).
   * Returns an id for cancelWait, or -errno. Absent in older builds.
   */
  waitWritable?(fd: number, callback: (status: number) => void): number;
  /**
   * sendParts on a libuv pool thread that also waits there while the socket is full,
   * for at most budgetMs; calls back once on this loop with the bytes written or
   * -errno. Returns 0, or -errno when it could not start. socketFd (a dupFd) and the
   * file descriptors must stay open until the callback. Absent in older builds.
   */
  sendPartsOffThread?(
    socketFd: number,
    parts: ReadonlyArray<Uint8Array | readonly [number, number, number]>,
    skipBytes: number,
    budgetMs: number,
    callback: (result: number) => void,
  ): number;
  /** Stops a wait whose callback has not run; an unknown id is ignored. Absent in older builds. */
  cancelWait?(id: number): boolean;
  /** Sets a socket's SO_SNDBUF; returns the size the kernel now reports, or -errno. Absent in older builds. */
  setSendBuffer?(fd: number, bytes: number): number;
  /**
   * BLOCKS the calling thread while i32[index] === expected, up to timeoutMs (Infinity:
   * no bound): 0 woken (or interrupted), 1 not equal, 2 timed out, -errno. Absent in older builds.
   */
  futexWait?(i32: Int32Array, index: number, expected: number, timeoutMs: number): number;
  /** Wakes the futexWait sleepers on i32[index] (not Atomics.wait ones); how many, or -errno. Absent in older builds. */
  futexWake?(i32: Int32Array, index: number): number;
  /**
   * A doorbell on the calling thread's event loop: `callback` runs there (once per
   * burst of rings) after any thread rings it. Does not keep the loop alive. Returns
   * its id (> 0) or -errno. Absent in older builds.
   */
  doorbellOpen?(callback: () => void): number;
  /** From any thread: 0, or -ENOENT when the doorbell is closed. Absent in older builds. */
  doorbellRing?(id: number): number;
  /** On the opening thread: closes it (its callback never runs again); false if unknown. Absent in older builds. */
  doorbellClose?(id: number): boolean;
  /** syncfs(2) on the file system holding fd (BLOCKS until written): 0 or -errno. Absent in older builds. */
  syncFs?(fd: number): number;
  /** PR_SET_TIMERSLACK for the calling thread, in ns (1..1e9): 0 or -errno. Absent in older builds. */
  setTimerSlack?(ns: number): number;
}

/**
 * Sets a socket's SO_SNDBUF (the kernel reports twice the value and stops autotuning
 * it). Never throws: returns the size it now has, or -1 when the addon is missing,
 * too old, or the call failed (the socket keeps the OS default).
 */
export function setSocketSendBuffer(fd: number, bytes: number): number {
  const a = loadNative();
  if (a === null || a.setSendBuffer === undefined) return -1;
  try {
    const r = a.setSendBuffer(fd, bytes);
    return r >= 0 ? r : -1;
  } catch {
    return -1;
  }
}

/** The calls a ring's native wake modes need (the ring's RingWakeCalls), when the loaded addon has them. */
export interface RingWakeCalls {
  wait(i32: Int32Array, index: number, expected: number, timeoutMs: number): number;
  wake(i32: Int32Array, index: number): number;
  ringDoorbell(id: number): number;
}

/**
 * The futex pair and the doorbell's ring, or null when the addon is not built, too
 * old, or not on Linux. Whether to use them is the ring creator's choice (recorded in
 * the ring); every thread that opens such a ring needs this to return non-null.
 */
export function ringWakeCalls(): RingWakeCalls | null {
  const a = loadNative();
  if (a === null || process.platform !== 'linux') return null;
  const { futexWait, futexWake, doorbellRing } = a;
  if (futexWait === undefined || futexWake === undefined || doorbellRing === undefined) return null;
  return { wait: futexWait.bind(a), wake: futexWake.bind(a), ringDoorbell: doorbellRing.bind(a) };
}

/** Opening and closing doorbells: the side of the thread that owns one. */
export interface DoorbellCalls {
  open(callback: () => void): number;
  close(id: number): boolean;
}

/** The doorbell owner's calls, or null where ringWakeCalls() is null (they go together). */
export function doorbellCalls(): DoorbellCalls | null {
  const a = loadNative();
  if (a === null || ringWakeCalls() === null) return null;
  const { doorbellOpen, doorbellClose } = a;
  if (doorbellOpen === undefined || doorbellClose === undefined) return null;
  return { open: doorbellOpen.bind(a), close: doorbellClose.bind(a) };
}

/** syncfs(2) (0 or -errno), or null when the addon is not built, too old, or not on Linux. */
export function syncFsCall(): ((fd: number) => number) | null {
  const a = loadNative();
  if (a === null || process.platform !== 'linux' || a.syncFs === undefined) return null;
  return a.syncFs.bind(a);
}

/**
 * Whether a syncfs(2) that returns 0 means that no write on that file system failed
 * since the descriptor was opened (or last synced): Linux reports writeback errors to
 * syncfs since 5.8 and the file system's own flush errors (a journal commit) since
 * 5.17. Older kernels return 0 regardless, so there a syncfs is a flush only and each
 * file's own sync must still report its errors. `kernelRelease` for tests.
 */
export function syncFsReportsErrors(kernelRelease: string = release()): boolean {
  if (process.platform !== 'linux') return false;
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (m === null) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return major > 5 || (major === 5 && minor >= 17);
}

/**
 * Lets the calling thread's timed sleeps end within `ns` of when they are due instead
 * of the kernel's default 50 µs (for a thread that paces work by sleeping). Never
 * throws: false when the addon is missing, too old, not on Linux, or the call failed.
 */
export function setThreadTimerSlackNs(ns: number): boolean {
  const a = loadNative();
  if (a === null || process.platform !== 'linux' || a.setTimerSlack === undefined) return false;
  try {
    return a.setTimerSlack(ns) === 0;
  } catch {
    return false;
  }
}

/** The zero-copy calls, when the loaded addon has them (Linux builds of this version). */
export interface ZeroCopyCalls {
  dupFd(fd: number): number;
  sendParts(socketFd: number, parts: ReadonlyArray<Uint8Array | readonly [number, number, number]>, skipBytes: number): number;
  waitWritable(fd: number, callback: (status: number) => void): number;
  cancelWait(id: number): boolean;
  /** Null when the loaded addon predates it: every send then stays on the event loop. */
  sendPartsOffThread: NonNullable<NativeAddon['sendPartsOffThread']> | null;
}

/** The zero-copy calls, or null when the addon is not built, too old, or not on Linux. */
export function zeroCopyCalls(): ZeroCopyCalls | null {
  const a = loadNative();
  if (a === null || process.platform !== 'linux') return null;
  const { dupFd, sendParts, waitWritable, cancelWait } = a;
  if (dupFd === undefined || sendParts === undefined || waitWritable === undefined || cancelWait === undefined) return null;
  const offThread = a.sendPartsOffThread?.bind(a) ?? null;
  return { dupFd: dupFd.bind(a), sendParts: sendParts.bind(a), waitWritable: waitWritable.bind(a), cancelWait: cancelWait.bind(a), sendPartsOffThread: offThread };
}

export type NativeLoadResult =
  | { readonly addon: NativeAddon; readonly error: null }
  | { readonly addon: null; readonly error: string };

export interface PinResult {
  readonly pinned: boolean;
  readonly reason?: string;
}

const addonFunctionNames = ['pinThreadToCpu', 'currentCpu', 'cpuCount', 'getThreadAffinity'] as const;

// This file compiles to dist/src/platform/native.js; the addon sits at the package root.
const defaultAddonUrl = new URL('../../../native/build/Release/samsa_native.node', import.meta.url);
const requireFromHere = createRequire(import.meta.url);

/** Absolute path where scripts/build-native.mjs puts the addon. */
export function defaultNativePath(): string {
  return fileURLToPath(defaultAddonUrl);
}

function isNativeAddon(value: unknown): value is NativeAddon {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return addonFunctionNames.every((name) => typeof record[name] === 'function');
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Loads the addon from `path`, uncached. Never throws: a missing file, a binary for
 * another platform or ABI, or a module of the wrong shape all come back as `error`.
 */
export function loadNativeFrom(path: string): NativeLoadResult {
  if (typeof path !== 'string' || path.length === 0) {
    return { addon: null, error: 'native addon path must be a non-empty string' };
  }
  let loaded: unknown;
  try {
    loaded = requireFromHere(path);
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND') {
      return { addon: null, error: `native addon not built: ${path} is missing (run \`npm run build:native\`)` };
    }
    return { addon: null, error: `native addon at ${path} failed to load: ${describe(err)}` };
  }
  if (!isNativeAddon(loaded)) {
    return { addon: null, error: `native addon at ${path} lacks one of ${addonFunctionNames.join(', ')}` };
  }
  return { addon: loaded, error: null };
}

let cached: NativeLoadResult | null = null;

function loadCached(): NativeLoadResult {
  if (cached === null) cached = loadNativeFrom(defaultNativePath());
  return cached;
}

/** The addon, or null if it is not built or does not load. Cached; never throws. */
export function loadNative(): NativeAddon | null {
  return loadCached().addon;
}

/** Why loadNative() returns null, or null when the addon is available. */
export function nativeLoadError(): string | null {
  return loadCached().error;
}

/**
 * Pins the calling thread (main or worker) to `cpu`. Never throws: when pinning is
 * impossible the thread keeps its current affinity and `reason` says why.
 */
export function pinCurrentThread(cpu: number): PinResult {
  const addon = loadNative();
  if (addon === null) return { pinned: false, reason: nativeLoadError() ?? 'native addon unavailable' };
  if (!Number.isSafeInteger(cpu) || cpu < 0) {
    return { pinned: false, reason: `cpu must be a non-negative integer, got ${String(cpu)}` };
  }
  try {
    if (addon.pinThreadToCpu(cpu)) return { pinned: true };
    const allowed = addon.cpuCount();
    return {
      pinned: false,
      reason: `the OS refused to pin this thread to cpu ${cpu} (process may use ${allowed} cpu(s))`,
    };
  } catch (err) {
    return { pinned: false, reason: `pinning to cpu ${cpu} failed: ${describe(err)}` };
  }
}
