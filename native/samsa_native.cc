// Samsa's native addon: the syscalls Node lacks. CPU affinity for the calling thread
// (pin, current CPU, usable CPU count, thread mask), and the zero-copy Fetch path:
// dupFd (a shard hands the main thread its own descriptor of a segment file),
// sendParts (a response's bytes and file ranges, in order, onto a non-blocking
// socket: sendmsg for bytes, sendfile(2) for ranges) and waitWritable/cancelWait (a
// callback on the event loop when a full socket has room again), and
// setSendBuffer (a socket's SO_SNDBUF, Kafka's socket.send.buffer.bytes).
// sendPartsOffThread runs sendParts on a libuv pool thread, which also waits out a full
// socket there (bounded by a time budget), so a large response does not hold the event loop.
// Must not touch: anything else in the process. It spawns no threads, never blocks the
// caller (sendParts stops where the socket would block and says how far it got; waits
// are libuv poll handles on the caller's loop, or poll(2) on a pool thread) and never
// pins any thread but the caller, so each shard worker pins itself. The exceptions to
// "never blocks" are syncFs (a shard's shutdown, the engine's recovery at start) and futexWait, which a shard worker calls to sleep on its request
// ring (as Atomics.wait would); futexWake is its partner: one FUTEX_WAKE syscall,
// without V8's futex-emulation mutex (which the woken thread would otherwise wake
// straight into and sleep on again).
// syncFs: syncfs(2), a whole file system's dirty data in one call (a shard's shutdown,
// the engine's recovery after an unclean stop).
// setTimerSlack: PR_SET_TIMERSLACK for the calling thread (the latency bench's sender
// paces records with timed sleeps, which the default 50 µs slack makes end late).
// doorbellOpen/doorbellRing/doorbellClose: a uv_async_t on the opening thread's event
// loop that any thread may ring (the main thread's wake-up for its completion rings,
// where Atomics.waitAsync would allocate a promise and old-space bookkeeping per wait).
// Worker safety: Node-API addons are context-aware; its only state (the waits in
// progress) is per environment (instance data), so it can be loaded by the main
// thread and by every worker_threads worker at once.
// On platforms without the Linux calls every function reports "unavailable"
// (false, -1, [] or -ENOSYS) instead of failing to build.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <napi.h>

#include <uv.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__linux__)
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <poll.h>
#include <sys/syscall.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif
#include <linux/futex.h>
#include <time.h>
#include <unistd.h>
#define SAMSA_HAVE_AFFINITY 1
#define SAMSA_HAVE_SENDFILE 1
#define SAMSA_HAVE_FUTEX 1
#else
#define SAMSA_HAVE_FUTEX 0
#define SAMSA_HAVE_AFFINITY 0
#define SAMSA_HAVE_SENDFILE 0
#endif

namespace {

// Reads args[0] as an int in [0, CPU_SETSIZE). A non-number is a caller bug and
// throws TypeError; an out-of-range number is bad input and returns false (no throw),
// so the JS side can fall back to running unpinned.
bool ReadCpuArg(const Napi::CallbackInfo& info, int* cpu_out, bool* type_error) {
  *type_error = false;
  if (info.Length() < 1 || !info[0].IsNumber()) {
    *type_error = true;
    return false;
  }
  const double value = info[0].As<Napi::Number>().DoubleValue();
  // NaN fails both comparisons below, so it is rejected too.
  if (!(value >= 0.0)) return false;
#if SAMSA_HAVE_AFFINITY
  if (!(value < static_cast<double>(CPU_SETSIZE))) return false;
#else
  if (!(value < 1024.0)) return false;
#endif
  const int cpu = static_cast<int>(value);
  if (static_cast<double>(cpu) != value) return false;  // not an integer
  *cpu_out = cpu;
  return true;
}

// pinThreadToCpu(cpu: number): boolean — binds the CALLING thread to one CPU.
// Returns false if the CPU is out of range, not in the process's allowed set, or the
// kernel refuses; the thread's affinity is then unchanged.
Napi::Value PinThreadToCpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int cpu = -1;
  bool type_error = false;
  if (!ReadCpuArg(info, &cpu, &type_error)) {
    if (type_error) {
      Napi::TypeError::New(env, "pinThreadToCpu(cpu): cpu must be a number")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    return Napi::Boolean::New(env, false);
  }
#if SAMSA_HAVE_AFFINITY
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  // The kernel migrates the calling thread before this returns, so sched_getcpu()
  // right after a successful pin already reports the new CPU.
  const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  return Napi::Boolean::New(env, rc == 0);
#else
  (void)cpu;
  return Napi::Boolean::New(env, false);
#endif
}

// currentCpu(): number — the CPU the calling thread runs on now, or -1.
Napi::Value CurrentCpu(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if SAMSA_HAVE_AFFINITY
  const int cpu = sched_getcpu();
  return Napi::Number::New(env, cpu < 0 ? -1 : cpu);
#else
  return Napi::Number::New(env, -1);
#endif
}

// cpuCount(): number — how many CPUs this process may use: CPU_COUNT of the
// affinity mask of the process (its main thread, pid == tid), not of the caller, so a
// worker that has pinned itself still sees the whole set. -1 if unavailable.
Napi::Value CpuCount(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#if SAMSA_HAVE_AFFINITY
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(getpid(), sizeof(set), &set) != 0) {
    return Napi::Number::New(env, -1);
  }
  return Napi::Number::New(env, CPU_COUNT(&set));
#else
  return Napi::Number::New(env, -1);
#endif
}

// getThreadAffinity(): number[] — the CPUs the CALLING thread may run on, ascending.
// Empty if unavailable. Bounded by CPU_SETSIZE.
Napi::Value GetThreadAffinity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Array out = Napi::Array::New(env);
#if SAMSA_HAVE_AFFINITY
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return out;
  uint32_t n = 0;
  for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
    if (CPU_ISSET(cpu, &set)) out.Set(n++, Napi::Number::New(env, cpu));
  }
#endif
  return out;
}

// Reads args[i] as a non-negative safe integer (a descriptor, position or length).
bool ReadIndex(const Napi::Value& v, double max, double* out) {
  if (!v.IsNumber()) return false;
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0.0 && d <= max) || static_cast<double>(static_cast<int64_t>(d)) != d) return false;
  *out = d;
  return true;
}

// dupFd(fd: number): number — a new close-on-exec descriptor for the same open file
// (same file, same description), or -errno. The caller owns it and must close it.
Napi::Value DupFd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 2147483647.0, &fd)) {
    Napi::TypeError::New(env, "dupFd(fd): fd must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
#if SAMSA_HAVE_SENDFILE
  const int r = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
  return Napi::Number::New(env, r < 0 ? -errno : r);
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// setSendBuffer(fd: number, bytes: number): number — sets the socket's SO_SNDBUF
// (the kernel doubles it and stops autotuning it) and returns the size it now has,
// or -errno.
Napi::Value SetSendBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = 0;
  double bytes = 0;
  if (info.Length() < 2 || !ReadIndex(info[0], 2147483647.0, &fd) || !ReadIndex(info[1], 1073741823.0, &bytes)) {
    Napi::TypeError::New(env, "setSendBuffer(fd, bytes): non-negative integers").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  int want = static_cast<int>(bytes);
  if (setsockopt(static_cast<int>(fd), SOL_SOCKET, SO_SNDBUF, &want, sizeof want) != 0) return Napi::Number::New(env, -errno);
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_SNDBUF, &got, &len) != 0) return Napi::Number::New(env, -errno);
  return Napi::Number::New(env, got);
}

struct Part {
  bool is_file;
  const uint8_t* data;  // bytes (is_file false)
  int fd;               // file range (is_file true)
  int64_t position;
  uint64_t length;
};

// One sendmsg gathers at most this many byte parts (a response has a few dozen).
constexpr int kIovMax = 64;
// sendfile moves at most this much per call (the kernel's own cap).
constexpr uint64_t kSendfileMax = 0x7ffff000;

// sendParts(socketFd: number, parts: Array<Uint8Array | [fd, position, length]>,
//           skipBytes: number): number
// Writes the parts, in order, to a non-blocking stream socket, starting skipBytes
// into their concatenation: consecutive byte parts with one sendmsg (MSG_MORE when
// more follows, so a header and the file range after it leave together), file
// ranges with sendfile(2) (the file's own offset is not moved). Returns the bytes
// written by this call — fewer than asked when the socket would block (the caller
// resumes with skipBytes + that) — or -errno when the socket failed. A file shorter
// than its range is -EIO: the range was planned on bytes that are gone.
// Reads sendParts' parts array into `parts` (byte parts point into the arrays' own
// memory). False (a TypeError is pending) on a malformed part.
bool ReadParts(Napi::Env env, Napi::Array arr, std::vector<Part>* parts) {
  const uint32_t n = arr.Length();
  parts->reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = arr.Get(i);
    if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
      Napi::Uint8Array b = v.As<Napi::Uint8Array>();
      parts->push_back(Part{false, b.Data(), -1, 0, static_cast<uint64_t>(b.ByteLength())});
      continue;
    }
    double fd = 0, pos = 0, len = 0;
    if (!v.IsArray() || v.As<Napi::Array>().Length() != 3 || !ReadIndex(v.As<Napi::Array>().Get(0u), 2147483647.0, &fd) ||
        !ReadIndex(v.As<Napi::Array>().Get(1u), 9007199254740991.0, &pos) ||
        !ReadIndex(v.As<Napi::Array>().Get(2u), 9007199254740991.0, &len)) {
      Napi::TypeError::New(env, "sendParts: each part must be a Uint8Array or [fd, position, length]").ThrowAsJavaScriptException();
      return false;
    }
    parts->push_back(Part{true, nullptr, static_cast<int>(fd), static_cast<int64_t>(pos), static_cast<uint64_t>(len)});
  }
  return true;
}

#if SAMSA_HAVE_SENDFILE
// The send loop of sendParts: writes from `skip` until done or the socket would
// block. Returns the bytes written, or -errno when the socket failed (-EIO: a file
// shorter than its range). Touches no JS value, so a pool thread may run it.
int64_t SendPartsUntilFull(int out, const std::vector<Part>& parts, uint64_t skip) {
  uint64_t total = 0;
  size_t i = 0;
  // Every pass either moves past a part, writes ≥ 1 byte, or returns: bounded by the
  // parts and their bytes.
  while (i < parts.size()) {
    const Part& p = parts[i];
    if (skip >= p.length) {
      skip -= p.length;
      i++;
      continue;
    }
    ssize_t w;
    if (!p.is_file) {
      struct iovec iov[kIovMax];
      int cnt = 0;
      size_t j = i;
      uint64_t s = skip;
      while (j < parts.size() && !parts[j].is_file && cnt < kIovMax) {
        if (parts[j].length > s) {
          iov[cnt].iov_base = const_cast<uint8_t*>(parts[j].data + s);
          iov[cnt].iov_len = static_cast<size_t>(parts[j].length - s);
          cnt++;
        }
        s = 0;
        j++;
      }
      struct msghdr msg = {};
      msg.msg_iov = iov;
      msg.msg_iovlen = cnt;
      w = sendmsg(out, &msg, MSG_NOSIGNAL | (j < parts.size() ? MSG_MORE : 0));
    } else {
      off_t off = static_cast<off_t>(p.position + static_cast<int64_t>(skip));
      const uint64_t left = p.length - skip;
      w = sendfile(out, p.fd, &off, static_cast<size_t>(left < kSendfileMax ? left : kSendfileMax));
      if (w == 0) return -EIO;
    }
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -errno;
    }
    total += static_cast<uint64_t>(w);
    skip += static_cast<uint64_t>(w);
  }
  return static_cast<int64_t>(total);
}
#endif

Napi::Value SendParts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double sock = 0;
  double skip_d = 0;
  if (info.Length() < 3 || !ReadIndex(info[0], 2147483647.0, &sock) || !info[1].IsArray() ||
      !ReadIndex(info[2], 9007199254740991.0, &skip_d)) {
    Napi::TypeError::New(env, "sendParts(socketFd, parts, skipBytes): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::vector<Part> parts;
  if (!ReadParts(env, info[1].As<Napi::Array>(), &parts)) return env.Undefined();
#if SAMSA_HAVE_SENDFILE
  const int64_t r = SendPartsUntilFull(static_cast<int>(sock), parts, static_cast<uint64_t>(skip_d));
  return Napi::Number::New(env, static_cast<double>(r));
#else
  (void)sock;
  (void)skip_d;
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// One sendPartsOffThread call: its own copy of the byte parts (the JS arrays may move
// or be collected while the pool thread writes), the file ranges, and the result.
struct OffThreadSend {
  uv_work_t req;
  napi_env env;
  int fd;
  uint64_t skip;
  uint32_t budget_ms;
  std::vector<uint8_t> bytes;
  std::vector<Part> parts;
  int64_t result;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
};

#if SAMSA_HAVE_SENDFILE
int64_t MonotonicMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}
#endif

// Runs on a libuv pool thread: sends, and while the socket is full waits for room with
// poll(2), until done, an error, a wait of budget_ms without room (a slow reader: the
// caller goes on with waitWritable) or budget_ms in all (bounds how long a pool
// thread and the response's descriptors stay held).
void OffThreadSendWork(uv_work_t* req) {
  auto* s = static_cast<OffThreadSend*>(req->data);
#if SAMSA_HAVE_SENDFILE
  uint64_t want = 0;
  for (const Part& p : s->parts) want += p.length;
  uint64_t skip = s->skip;
  uint64_t sent = 0;
  const int64_t deadline = MonotonicMs() + s->budget_ms;
  // Each pass writes ≥ 1 byte or waits once; bounded by the bytes and the deadline.
  for (;;) {
    const int64_t w = SendPartsUntilFull(s->fd, s->parts, skip);
    if (w < 0) {
      s->result = w;
      return;
    }
    sent += static_cast<uint64_t>(w);
    skip += static_cast<uint64_t>(w);
    const int64_t left_ms = deadline - MonotonicMs();
    if (skip >= want || left_ms <= 0) break;
    struct pollfd pfd = {s->fd, POLLOUT, 0};
    const int r = poll(&pfd, 1, static_cast<int>(left_ms));
    if (r == 0) break;
    if (r < 0 && errno != EINTR) {
      s->result = -errno;
      return;
    }
    // POLLERR/POLLHUP: the next send reports the error.
  }
  s->result = static_cast<int64_t>(sent);
#else
  s->result = -ENOSYS;
#endif
}

void OffThreadSendDone(uv_work_t* req, int status) {
  std::unique_ptr<OffThreadSend> s(static_cast<OffThreadSend*>(req->data));
  Napi::Env env(s->env);
  Napi::HandleScope scope(env);
  const double r = status == UV_ECANCELED ? -ECANCELED : static_cast<double>(s->result);
  s->callback.MakeCallback(env.Global(), {Napi::Number::New(env, r)}, *s->context);
}

// sendPartsOffThread(socketFd, parts, skipBytes, budgetMs, callback): 0 or -errno.
// sendParts on a libuv pool thread that also waits out a full socket (see
// OffThreadSendWork), so a large response goes out while this thread serves others.
// Calls back once, on this thread's loop, with the bytes written or -errno. The
// socket descriptor (a dupFd: the caller's own) and the file descriptors must stay
// open until the callback ran.
Napi::Value SendPartsOffThread(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double sock = 0, skip_d = 0, budget = 0;
  if (info.Length() < 5 || !ReadIndex(info[0], 2147483647.0, &sock) || !info[1].IsArray() ||
      !ReadIndex(info[2], 9007199254740991.0, &skip_d) || !ReadIndex(info[3], 60000.0, &budget) || !info[4].IsFunction()) {
    Napi::TypeError::New(env, "sendPartsOffThread(socketFd, parts, skipBytes, budgetMs, callback): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Napi::Number::New(env, -ENOSYS);
  auto s = std::make_unique<OffThreadSend>();
  if (!ReadParts(env, info[1].As<Napi::Array>(), &s->parts)) return env.Undefined();
  // Byte parts are copied (reserved first so the pointers into the copy stay put).
  uint64_t byte_total = 0;
  for (const Part& p : s->parts) byte_total += p.is_file ? 0 : p.length;
  s->bytes.reserve(static_cast<size_t>(byte_total));
  for (Part& p : s->parts) {
    if (p.is_file) continue;
    const size_t at = s->bytes.size();
    s->bytes.insert(s->bytes.end(), p.data, p.data + p.length);
    p.data = s->bytes.data() + at;
  }
  s->env = env;
  s->fd = static_cast<int>(sock);
  s->skip = static_cast<uint64_t>(skip_d);
  s->budget_ms = static_cast<uint32_t>(budget);
  s->result = 0;
  s->callback = Napi::Persistent(info[4].As<Napi::Function>());
  s->context = std::make_unique<Napi::AsyncContext>(env, "samsa:sendPartsOffThread");
  s->req.data = s.get();
  const int r = uv_queue_work(loop, &s->req, OffThreadSendWork, OffThreadSendDone);
  if (r != 0) return Napi::Number::New(env, r);
  s.release();
  return Napi::Number::New(env, 0);
}

// The 32-bit word args[0][args[1]] of an Int32Array (over a SharedArrayBuffer that
// other threads of this process map: FUTEX_*_PRIVATE is enough), or null after
// throwing TypeError. Elements of an Int32Array are 4-aligned, as futex needs.
int32_t* FutexWord(const Napi::CallbackInfo& info, const char* name) {
  Napi::Env env = info.Env();
  double index = 0;
  if (info.Length() < 2 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array ||
      !ReadIndex(info[1], 2147483647.0, &index) ||
      static_cast<size_t>(index) >= info[0].As<Napi::Int32Array>().ElementLength()) {
    Napi::TypeError::New(env, std::string(name) + "(i32, index, ...): need an Int32Array and an index inside it")
        .ThrowAsJavaScriptException();
    return nullptr;
  }
  return info[0].As<Napi::Int32Array>().Data() + static_cast<size_t>(index);
}

// futexWait(i32: Int32Array, index: number, expected: number, timeoutMs: number): number
// BLOCKS the calling thread (worker threads only) while i32[index] === expected, until
// a futexWake on the same word, timeoutMs (Infinity: no bound) or a signal. The kernel
// compares the word and queues the sleeper under one lock, so a store + futexWake that
// lands after the caller read `expected` is never lost: either the comparison sees the
// new value (returns 1 at once) or the wake finds the sleeper. Returns 0 woken (or a
// signal: the caller re-checks either way), 1 not equal, 2 timed out, -errno else.
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t* word = FutexWord(info, "futexWait");
  if (word == nullptr) return env.Undefined();
  if (info.Length() < 4 || !info[2].IsNumber() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "futexWait(i32, index, expected, timeoutMs): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int32_t expected = info[2].As<Napi::Number>().Int32Value();
  const double timeout_ms = info[3].As<Napi::Number>().DoubleValue();
#if SAMSA_HAVE_FUTEX
  struct timespec ts;
  struct timespec* tsp = nullptr;
  if (timeout_ms == timeout_ms && timeout_ms < 1e12) {  // not NaN, not (near) Infinity
    const double ms = timeout_ms > 0 ? timeout_ms : 0;
    ts.tv_sec = static_cast<time_t>(ms / 1000);
    ts.tv_nsec = static_cast<long>((ms - static_cast<double>(ts.tv_sec) * 1000) * 1e6);
    if (ts.tv_nsec >= 1000000000L) ts.tv_nsec = 999999999L;
    if (ts.tv_nsec < 0) ts.tv_nsec = 0;
    tsp = &ts;
  }
  // Relative timeout (FUTEX_WAIT measures it on CLOCK_MONOTONIC).
  const long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tsp, nullptr, 0);
  if (r == 0) return Napi::Number::New(env, 0);
  if (errno == EAGAIN) return Napi::Number::New(env, 1);
  if (errno == ETIMEDOUT) return Napi::Number::New(env, 2);
  if (errno == EINTR) return Napi::Number::New(env, 0);
  return Napi::Number::New(env, -errno);
#else
  (void)expected;
  (void)timeout_ms;
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// futexWake(i32: Int32Array, index: number): number — wakes every thread in futexWait
// on i32[index] (a ring word has one sleeper at most); returns how many, or -errno.
// Does not wake an Atomics.wait on the same word (V8 keeps its own wait list): both
// sides of a word must use the same pair.
Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t* word = FutexWord(info, "futexWake");
  if (word == nullptr) return env.Undefined();
#if SAMSA_HAVE_FUTEX
  const long r = syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, nullptr, nullptr, 0);
  return Napi::Number::New(env, r < 0 ? -errno : static_cast<double>(r));
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// Per-environment state (the addon is context-aware: the main thread and each
// worker get their own): the writability waits in progress, by id.
struct WritableWait;
struct AddonData {
  uint32_t next_id = 1;
  std::unordered_map<uint32_t, WritableWait*> waits;
};

struct WritableWait {
  uv_poll_t handle;
  napi_env env;
  AddonData* data;
  uint32_t id;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
};

void OnWaitClosed(uv_handle_t* h) { delete static_cast<WritableWait*>(h->data); }

void OnWritable(uv_poll_t* h, int status, int /*events*/) {
  auto* w = static_cast<WritableWait*>(h->data);
  uv_poll_stop(h);
  // Erased first: a cancelWait from inside the callback (or later) finds nothing.
  w->data->waits.erase(w->id);
  Napi::Env env(w->env);
  {
    Napi::HandleScope scope(env);
    w->callback.MakeCallback(env.Global(), {Napi::Number::New(env, status)}, *w->context);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(h), OnWaitClosed);
}

// waitWritable(fd: number, callback: (status: number) => void): number
// Calls back once, on this thread's event loop, when `fd` is writable (or in error:
// status < 0, or the next send reports it). Returns an id for cancelWait, or -errno.
// `fd` must not be a descriptor libuv already watches (Node's own socket fd): pass a
// dupFd of it; and it must stay open until the callback ran or the wait is cancelled.
Napi::Value WaitWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = 0;
  if (info.Length() < 2 || !ReadIndex(info[0], 2147483647.0, &fd) || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "waitWritable(fd, callback): bad arguments").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  AddonData* data = env.GetInstanceData<AddonData>();
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr || data == nullptr) return Napi::Number::New(env, -ENOSYS);
  auto* w = new WritableWait();
  int r = uv_poll_init(loop, &w->handle, static_cast<int>(fd));
  if (r != 0) {
    delete w;
    return Napi::Number::New(env, r);
  }
  w->handle.data = w;
  w->env = env;
  w->data = data;
  w->id = data->next_id;
  data->next_id = data->next_id >= 0x7ffffff0u ? 1 : data->next_id + 1;
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->context = std::make_unique<Napi::AsyncContext>(env, "samsa:waitWritable");
  r = uv_poll_start(&w->handle, UV_WRITABLE | UV_DISCONNECT, OnWritable);
  if (r != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), OnWaitClosed);
    return Napi::Number::New(env, r);
  }
  data->waits[w->id] = w;
  return Napi::Number::New(env, w->id);
}

// cancelWait(id: number): boolean — stops a wait whose callback has not run (it then
// never runs). An unknown or finished id is ignored (false).
Napi::Value CancelWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double id = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 4294967295.0, &id)) {
    Napi::TypeError::New(env, "cancelWait(id): id must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  AddonData* data = env.GetInstanceData<AddonData>();
  if (data == nullptr) return Napi::Boolean::New(env, false);
  auto it = data->waits.find(static_cast<uint32_t>(id));
  if (it == data->waits.end()) return Napi::Boolean::New(env, false);
  WritableWait* w = it->second;
  data->waits.erase(it);
  uv_poll_stop(&w->handle);
  uv_close(reinterpret_cast<uv_handle_t*>(&w->handle), OnWaitClosed);
  return Napi::Boolean::New(env, true);
}

// syncFs(fd: number): number — syncfs(2) on the file system holding `fd`: 0 or -errno.
// Blocks the caller until the writes finish (a shard worker's shutdown; the main
// thread's recovery at start, before anything is served).
Napi::Value SyncFs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double fd = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 2147483647.0, &fd)) {
    Napi::TypeError::New(env, "syncFs(fd): fd must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
#if defined(__linux__)
  const int r = syncfs(static_cast<int>(fd));
  return Napi::Number::New(env, r == 0 ? 0 : -errno);
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// setTimerSlack(ns: number): number — how late the kernel may end the CALLING thread's
// timed sleeps (futex timeouts, nanosleep), in ns (1..1e9; the default is 50,000): 0 or
// -errno. Only that thread changes; threads it starts later inherit the value.
Napi::Value SetTimerSlack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double ns = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 1e9, &ns) || ns < 1) {
    Napi::TypeError::New(env, "setTimerSlack(ns): ns must be an integer 1..1e9").ThrowAsJavaScriptException();
    return env.Undefined();
  }
#if defined(__linux__)
  const int r = prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(ns), 0UL, 0UL, 0UL);
  return Napi::Number::New(env, r == 0 ? 0 : -errno);
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

// ---------------------------------------------------------------- doorbells
// A doorbell is a uv_async_t on the loop of the thread that opened it. Rings come from
// other threads, which only know its id, so the ids live in one process-wide table
// under a mutex: a ring and a close never overlap, and a ring after the close finds
// nothing (-ENOENT) instead of touching freed memory. libuv coalesces rings that
// arrive before the callback runs into one call, so a ring costs at most one eventfd
// write, and nothing when one is already pending.

struct Doorbell {
  uv_async_t handle;
  napi_env env = nullptr;
  uint32_t id = 0;
  // Closed by its environment's teardown: the env's references may already be gone,
  // so the close callback leaks the two below instead of releasing them into it.
  bool env_ending = false;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
};

std::mutex g_doorbells_mutex;
std::unordered_map<uint32_t, Doorbell*> g_doorbells;  // guarded by g_doorbells_mutex
uint32_t g_doorbell_next_id = 1;                     // guarded by g_doorbells_mutex
// Open doorbells per process at most: each is a handle on some loop; the bound turns
// a leak (open without close) into an error instead of unbounded growth.
constexpr size_t kDoorbellsMax = 4096;

void OnDoorbellClosed(uv_handle_t* h) {
  auto* d = static_cast<Doorbell*>(h->data);
  if (d->env_ending) {
    d->callback.SuppressDestruct();
    (void)d->context.release();
  }
  delete d;
}

void OnDoorbell(uv_async_t* h) {
  auto* d = static_cast<Doorbell*>(h->data);
  napi_env env = d->env;
  // The C calls, not node-addon-api's: its MakeCallback turns a failure into a fatal
  // error, and a ring can land while the environment is being torn down (its loop runs
  // once more to close handles), when calling into JS fails. Then there is nobody to
  // tell, so a failure is dropped.
  napi_handle_scope scope = nullptr;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value global = nullptr;
  napi_value fn = nullptr;
  napi_value result = nullptr;
  if (napi_get_global(env, &global) == napi_ok && napi_get_reference_value(env, d->callback, &fn) == napi_ok && fn != nullptr) {
    // MakeCallback: after the callback, Node runs the microtasks and nextTicks it queued
    // (the promises a drain resolved), as for any I/O callback.
    if (napi_make_callback(env, *d->context, global, fn, 0, nullptr, &result) == napi_pending_exception) {
      // A throwing callback is reported as Node reports one from any I/O callback.
      napi_value error = nullptr;
      if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

// Removes `id` from the table and closes its handle, if this env opened it.
bool CloseDoorbell(napi_env env, uint32_t id, bool env_ending) {
  Doorbell* d = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_doorbells_mutex);
    auto it = g_doorbells.find(id);
    if (it == g_doorbells.end() || it->second->env != env) return false;
    d = it->second;
    g_doorbells.erase(it);
  }
  d->env_ending = env_ending;
  // Out of the table: no ring can reach the handle any more, so closing it is safe.
  uv_close(reinterpret_cast<uv_handle_t*>(&d->handle), OnDoorbellClosed);
  return true;
}

// An environment going away (a worker ending) closes the doorbells it opened.
void CloseEnvDoorbells(void* arg) {
  auto env = static_cast<napi_env>(arg);
  std::vector<uint32_t> ids;
  {
    std::lock_guard<std::mutex> lock(g_doorbells_mutex);
    for (const auto& kv : g_doorbells) {
      if (kv.second->env == env) ids.push_back(kv.first);
    }
  }
  for (uint32_t id : ids) CloseDoorbell(env, id, true);
}

// doorbellOpen(callback: () => void): number — a doorbell on this thread's loop.
// Returns its id (> 0), or -errno. The handle does not keep the loop alive (unref):
// the caller keeps its own reason to live. Close it with doorbellClose on this thread.
Napi::Value DoorbellOpen(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "doorbellOpen(callback): callback must be a function").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) return Napi::Number::New(env, -ENOSYS);
  auto* d = new Doorbell();
  d->handle.data = d;
  d->env = env;
  d->callback = Napi::Persistent(info[0].As<Napi::Function>());
  d->context = std::make_unique<Napi::AsyncContext>(env, "samsa:doorbell");
  const int r = uv_async_init(loop, &d->handle, OnDoorbell);
  if (r != 0) {
    delete d;
    return Napi::Number::New(env, r);
  }
  uv_unref(reinterpret_cast<uv_handle_t*>(&d->handle));
  {
    std::lock_guard<std::mutex> lock(g_doorbells_mutex);
    if (g_doorbells.size() < kDoorbellsMax) {
      // Ids skip 0 (the ring's "no doorbell") and any still open after a wrap.
      while (g_doorbell_next_id == 0 || g_doorbells.count(g_doorbell_next_id) != 0) g_doorbell_next_id = (g_doorbell_next_id + 1) & 0x7fffffffu;
      d->id = g_doorbell_next_id;
      g_doorbell_next_id = (g_doorbell_next_id + 1) & 0x7fffffffu;
      g_doorbells[d->id] = d;
    }
  }
  if (d->id == 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(&d->handle), OnDoorbellClosed);
    return Napi::Number::New(env, -EMFILE);
  }
  return Napi::Number::New(env, d->id);
}

// doorbellRing(id: number): number — from any thread: 0, or -ENOENT when the doorbell
// is closed (its owner is gone; nothing to wake).
Napi::Value DoorbellRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double id = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 4294967295.0, &id)) {
    Napi::TypeError::New(env, "doorbellRing(id): id must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::lock_guard<std::mutex> lock(g_doorbells_mutex);
  auto it = g_doorbells.find(static_cast<uint32_t>(id));
  if (it == g_doorbells.end()) return Napi::Number::New(env, -ENOENT);
  return Napi::Number::New(env, uv_async_send(&it->second->handle));
}

// doorbellClose(id: number): boolean — on the thread that opened it; its callback
// never runs again. An unknown id, or one another thread opened, is ignored (false).
Napi::Value DoorbellClose(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double id = 0;
  if (info.Length() < 1 || !ReadIndex(info[0], 4294967295.0, &id)) {
    Napi::TypeError::New(env, "doorbellClose(id): id must be a non-negative integer").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  return Napi::Boolean::New(env, CloseDoorbell(env, static_cast<uint32_t>(id), false));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new AddonData());
  exports.Set("pinThreadToCpu", Napi::Function::New(env, PinThreadToCpu, "pinThreadToCpu"));
  exports.Set("currentCpu", Napi::Function::New(env, CurrentCpu, "currentCpu"));
  exports.Set("cpuCount", Napi::Function::New(env, CpuCount, "cpuCount"));
  exports.Set("getThreadAffinity",
              Napi::Function::New(env, GetThreadAffinity, "getThreadAffinity"));
  exports.Set("dupFd", Napi::Function::New(env, DupFd, "dupFd"));
  exports.Set("sendParts", Napi::Function::New(env, SendParts, "sendParts"));
  exports.Set("sendPartsOffThread", Napi::Function::New(env, SendPartsOffThread, "sendPartsOffThread"));
  exports.Set("waitWritable", Napi::Function::New(env, WaitWritable, "waitWritable"));
  exports.Set("cancelWait", Napi::Function::New(env, CancelWait, "cancelWait"));
  exports.Set("setSendBuffer", Napi::Function::New(env, SetSendBuffer, "setSendBuffer"));
  exports.Set("futexWait", Napi::Function::New(env, FutexWait, "futexWait"));
  exports.Set("futexWake", Napi::Function::New(env, FutexWake, "futexWake"));
  exports.Set("syncFs", Napi::Function::New(env, SyncFs, "syncFs"));
  exports.Set("setTimerSlack", Napi::Function::New(env, SetTimerSlack, "setTimerSlack"));
  exports.Set("doorbellOpen", Napi::Function::New(env, DoorbellOpen, "doorbellOpen"));
  exports.Set("doorbellRing", Napi::Function::New(env, DoorbellRing, "doorbellRing"));
  exports.Set("doorbellClose", Napi::Function::New(env, DoorbellClose, "doorbellClose"));
  napi_add_env_cleanup_hook(env, CloseEnvDoorbells, env);
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
