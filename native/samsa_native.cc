// Samsa's native addon: CPU affinity for the calling thread, which Node cannot do.
// Owns: four small syscall wrappers (pin, current CPU, usable CPU count, thread mask).
// Must not touch: anything else in the process. It keeps no state, spawns no threads
// and never pins any thread but the caller, so each shard worker pins itself.
// Worker safety: Node-API addons are context-aware; this one has no globals, so it
// can be loaded by the main thread and by every worker_threads worker at once.
// On platforms without Linux affinity calls every function reports "unavailable"
// (false, -1 or []) instead of failing to build.

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <napi.h>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#define SAMSA_HAVE_AFFINITY 1
#else
#define SAMSA_HAVE_AFFINITY 0
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("pinThreadToCpu", Napi::Function::New(env, PinThreadToCpu, "pinThreadToCpu"));
  exports.Set("currentCpu", Napi::Function::New(env, CurrentCpu, "currentCpu"));
  exports.Set("cpuCount", Napi::Function::New(env, CpuCount, "cpuCount"));
  exports.Set("getThreadAffinity",
              Napi::Function::New(env, GetThreadAffinity, "getThreadAffinity"));
  return exports;
}

}  // namespace

NODE_API_MODULE(NODE_GYP_MODULE_NAME, Init)
