/*
 * bench/native-common/latency.h: what the C load generators (bench/rdkafka/loadgen.c,
 * bench/floor/floor.c) share to time records the same way: the monotonic clock, the
 * 8-byte stamps they put in a record's value, and the percentile line they print.
 * Header-only (static functions), so each program stays one compile command.
 */
#ifndef SAMSA_BENCH_LATENCY_H
#define SAMSA_BENCH_LATENCY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void put_i64(unsigned char *b, long long v) { memcpy(b, &v, 8); }
static long long get_i64(const unsigned char *b) {
  long long v;
  memcpy(&v, b, 8);
  return v;
}

static int cmp_ll(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b;
  return x < y ? -1 : x > y;
}

/* Sorts v[0..n) and prints {"p50":..,"p99":..,"p999":..,"max":..,"count":..} in µs (nearest rank). */
static void print_percentiles(long long *v, long long n) {
  if (n == 0) {
    printf("{\"p50\":0,\"p99\":0,\"p999\":0,\"max\":0,\"count\":0}");
    return;
  }
  qsort(v, (size_t)n, sizeof *v, cmp_ll);
  const double q[3] = {0.5, 0.99, 0.999};
  long long r[3];
  for (int i = 0; i < 3; i++) {
    long long k = (long long)(q[i] * (double)n + 0.999999) - 1;
    r[i] = v[k < 0 ? 0 : k >= n ? n - 1 : k];
  }
  printf("{\"p50\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld,\"count\":%lld}", r[0] / 1000, r[1] / 1000, r[2] / 1000, v[n - 1] / 1000, n);
}

#endif
