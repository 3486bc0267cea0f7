/*
 * loadgen: a native (librdkafka) load generator for measuring a Kafka-protocol
 * broker rather than its client. One process produces or consumes a fixed number
 * of records and prints ONE JSON line on stdout:
 *   records, bytes, elapsedSec, recordsPerSec, mbPerSec, cpuSec (getrusage, all of
 *   this process's threads, over the measured window only), threadCpuSec (the same
 *   per thread name from /proc/self/task: rdk:broker0 receives and parses Fetch
 *   responses, app is the application thread), errors, ...
 * Owns: the client side of bench/cross-process.bench.ts. Must not know anything
 * about Samsa: it is pointed at any broker (Samsa, Kafka) the same way.
 *
 *   loadgen produce --bootstrap H:P --topic T --records N [--record-bytes 100]
 *                   [--acks 1|-1|0] [--partitions all|0,3,5] [--linger-ms 5]
 *                   [--batch-bytes 1000000] [--batch-records 100000]
 *                   [--compression none|gzip|snappy|lz4|zstd]
 *   loadgen consume --bootstrap H:P --topic T --records N [--partitions all|0,1]
 *                   [--fetch-max-bytes 52428800] [--partition-fetch-bytes 1048576]
 *                   [--fetch-wait-ms 500] [--queued-max-kbytes 262144]
 *   loadgen latency --bootstrap H:P --topic T --records N --rate R [--warmup-records W] [--timeline FILE]
 *                   [--record-bytes 100] [--acks 1] [--linger-ms 0] [--fetch-wait-ms 100]
 *   common:         [--start-at EPOCH_MS] [--timeout-s 60] [--label S]
 *                   [--stats-file PATH] [-X librdkafka.key=value]...
 *
 * latency: end-to-end latency at a fixed rate against partition 0, producer and
 * consumer in this process (a cross-check of samsa bench latency with a client
 * nobody here wrote). Record i is due at start + i/rate (clock_nanosleep to an
 * absolute time, timer slack 1 ns); its value carries the due time, the actual
 * send time and i. Latency is due time -> delivery to the consumer (corrected for
 * coordinated omission), service time is actual send -> delivery; both in µs, of
 * the records after the first W. Extra JSON fields: latencyUs, serviceUs (p50, p99,
 * p999, max), sendsLateUsP50, received. --timeline FILE: one line per record, in
 * send order: its due time in ms from the first, latency µs, service µs (-1: lost).
 *
 * --stats-file: every librdkafka statistics emission (every 500 ms and one after
 * the measured window), one JSON document per line.
 *
 * consume starts every partition at its log start offset, looked up (with the
 * metadata) before the measured window opens.
 *
 * --start-at: connect and fetch metadata first, then sleep until that wall-clock
 * time, so that several processes start their measured window together and the
 * caller can read the broker's CPU counters at the same instant.
 * Exit status: 0 when every record was delivered (produce) or read (consume),
 * 1 on any failure (the JSON line is still printed, with errors > 0), 2 on usage.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../native-common/latency.h"

#define MAX_PARTITIONS 4096
#define MAX_EXTRA_CONF 64
#define CONSUME_BATCH 8192
#define ERRSTR_BYTES 512

struct opts {
  const char *mode;
  const char *bootstrap;
  const char *topic;
  const char *partitions; /* "all" or a comma list */
  const char *compression;
  const char *label;
  const char *stats_file;
  const char *timeline_file; /* latency: one line per record (due ms from start, latency µs, service µs) */
  long long records;
  long record_bytes;
  int acks;
  long linger_ms;
  long batch_bytes;
  long batch_records;
  long fetch_max_bytes;
  long partition_fetch_bytes;
  long fetch_wait_ms;
  long queued_max_kbytes;
  long long start_at_ms;
  long timeout_s;
  long rate;
  long long warmup_records;
  const char *extra[MAX_EXTRA_CONF];
  int n_extra;
};

/* What the callbacks (librdkafka threads via poll, i.e. this thread) report. */
static long long g_delivery_failures = 0;
static char g_first_error[ERRSTR_BYTES] = "";
static FILE *g_stats_out = NULL;
static long long g_stats_seq = 0;

static void die_usage(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "loadgen: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\nusage: loadgen produce|consume --bootstrap H:P --topic T --records N [options] (see loadgen.c)\n");
  va_end(ap);
  exit(2);
}

static void note_error(const char *fmt, ...) {
  if (g_first_error[0] != '\0') return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(g_first_error, sizeof g_first_error, fmt, ap);
  va_end(ap);
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long long wall_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cpu {
  double user_s, sys_s;
};

static struct cpu cpu_now(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct cpu c = {(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
                  (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6};
  return c;
}

static long parse_long(const char *name, const char *s, long lo, long hi) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) die_usage("%s must be an integer in %ld..%ld, got '%s'", name, lo, hi, s);
  return (long)v;
}

static long long parse_ll(const char *name, const char *s, long long lo, long long hi) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) die_usage("%s must be an integer in %lld..%lld, got '%s'", name, lo, hi, s);
  return v;
}

static void conf_set(rd_kafka_conf_t *conf, const char *key, const char *value) {
  char err[ERRSTR_BYTES];
  if (rd_kafka_conf_set(conf, key, value, err, sizeof err) != RD_KAFKA_CONF_OK) die_usage("config %s=%s: %s", key, value, err);
}

static void conf_setl(rd_kafka_conf_t *conf, const char *key, long long value) {
  char buf[32];
  snprintf(buf, sizeof buf, "%lld", value);
  conf_set(conf, key, buf);
}

static void apply_extra(rd_kafka_conf_t *conf, const struct opts *o) {
  for (int i = 0; i < o->n_extra; i++) {
    char kv[1024];
    snprintf(kv, sizeof kv, "%s", o->extra[i]);
    char *eq = strchr(kv, '=');
    if (eq == NULL) die_usage("-X wants key=value, got '%s'", o->extra[i]);
    *eq = '\0';
    conf_set(conf, kv, eq + 1);
  }
}

static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque) {
  (void)rk;
  (void)opaque;
  /* Every emission, one per line: windowed figures (rtt sum/cnt) add up across lines. */
  if (g_stats_out != NULL) {
    fwrite(json, 1, json_len, g_stats_out);
    fputc('\n', g_stats_out);
  }
  g_stats_seq++;
  return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
  (void)rk;
  /* Microsecond monotonic stamps: with -X debug=fetch they time each fetch's round trip. */
  fprintf(stderr, "loadgen: %.6f rdkafka %d %s: %s\n", mono_s(), level, fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
  (void)opaque;
  /* Transient transport errors are retried by librdkafka; only fatal ones fail the run here. */
  fprintf(stderr, "loadgen: rdkafka error %s: %s\n", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[ERRSTR_BYTES];
    rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    note_error("fatal: %s", fatal);
    g_delivery_failures++;
  }
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    g_delivery_failures++;
    note_error("delivery failed: %s", rd_kafka_err2str(m->err));
  }
}

/* Fills parts[] from "all" (every partition the metadata names) or a comma list; returns the count. */
static int pick_partitions(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const char *spec, int32_t *parts, int timeout_ms) {
  const struct rd_kafka_metadata *md = NULL;
  const struct rd_kafka_metadata_topic *t = NULL;
  /* A topic created just before (Kafka: by the controller) may not be in the broker's
   * metadata yet: asked again for up to timeout_ms, every 100 ms. */
  double give_up = mono_s() + (double)timeout_ms / 1000.0;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) die_usage("metadata: %s", rd_kafka_err2str(err));
    if (md->topic_cnt != 1) die_usage("metadata named %d topics", md->topic_cnt);
    t = &md->topics[0];
    int settling = t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART || t->err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE;
    if (!settling || mono_s() > give_up) break;
    rd_kafka_metadata_destroy(md);
    struct timespec pause = {0, 100 * 1000000L};
    nanosleep(&pause, NULL);
  }
  if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR) die_usage("topic %s: %s", t->topic, rd_kafka_err2str(t->err));
  int available = t->partition_cnt;
  rd_kafka_metadata_destroy(md);
  if (available <= 0 || available > MAX_PARTITIONS) die_usage("topic has %d partitions (1..%d supported)", available, MAX_PARTITIONS);
  int n = 0;
  if (strcmp(spec, "all") == 0) {
    for (int p = 0; p < available; p++) parts[n++] = p;
    return n;
  }
  char buf[8192];
  snprintf(buf, sizeof buf, "%s", spec);
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
    if (n >= MAX_PARTITIONS) die_usage("too many partitions in --partitions");
    long p = parse_long("--partitions entry", tok, 0, available - 1);
    parts[n++] = (int32_t)p;
  }
  if (n == 0) die_usage("--partitions is empty");
  return n;
}

static void wait_until(long long at_ms) {
  for (long long now = wall_ms(); now < at_ms; now = wall_ms()) {
    long long left = at_ms - now;
    struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
    nanosleep(&ts, NULL);
  }
}

/* Waits for one more emission after the measured window, so the counters cover all of it. */
static void finish_stats(rd_kafka_t *rk, long interval_ms) {
  if (g_stats_out == NULL) return;
  long long seq = g_stats_seq;
  double give_up = mono_s() + 3.0 * (double)interval_ms / 1000.0 + 1.0;
  while (g_stats_seq == seq && mono_s() < give_up) rd_kafka_poll(rk, 50);
  fclose(g_stats_out);
  g_stats_out = NULL;
}

static void json_string(const char *s) {
  putchar('"');
  for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') printf("\\%c", *p);
    else if (*p < 0x20) printf("\\u%04x", *p);
    else putchar(*p);
  }
  putchar('"');
}

/* CPU of this process's threads by name (rdk:main, rdk:broker0, the app thread...),
 * summed per name, so a report can say which of librdkafka's threads was busy. */
#define THREAD_NAMES_MAX 32
struct thread_cpu {
  char name[32];
  double sec;
};
static int threads_cpu(struct thread_cpu *out, int max) {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  if (d == NULL) return 0;
  long tck = sysconf(_SC_CLK_TCK);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    char path[300], buf[1024];
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", e->d_name);
    FILE *f = fopen(path, "r");
    if (f == NULL) continue;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* comm is between the first '(' and the last ')'; utime, stime are fields 14, 15. */
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    if (open == NULL || close == NULL || close < open) continue;
    /* The process's own thread is the application's, whatever the binary is called. */
    char name[32];
    if (strtol(e->d_name, NULL, 10) == (long)getpid()) {
      snprintf(name, sizeof name, "app");
    } else {
      size_t nl = (size_t)(close - open - 1) < sizeof name - 1 ? (size_t)(close - open - 1) : sizeof name - 1;
      memcpy(name, open + 1, nl);
      name[nl] = '\0';
    }
    unsigned long long ut = 0, st = 0;
    if (sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) continue;
    double sec = (double)(ut + st) / (double)tck;
    int i = 0;
    while (i < n && strcmp(out[i].name, name) != 0) i++;
    if (i == n) {
      if (n >= max) continue;
      snprintf(out[n].name, sizeof out[n].name, "%s", name);
      out[n++].sec = 0;
    }
    out[i].sec += sec;
  }
  closedir(d);
  return n;
}

static struct thread_cpu g_threads0[THREAD_NAMES_MAX];
static int g_nthreads0 = 0;

/* At the window's start: per-thread CPU so far (subtracted in report). */
static void threads_mark(void) { g_nthreads0 = threads_cpu(g_threads0, THREAD_NAMES_MAX); }

static void json_threads(void) {
  struct thread_cpu now[THREAD_NAMES_MAX];
  int n = threads_cpu(now, THREAD_NAMES_MAX);
  printf(",\"threadCpuSec\":{");
  for (int i = 0; i < n; i++) {
    double before = 0;
    for (int j = 0; j < g_nthreads0; j++)
      if (strcmp(g_threads0[j].name, now[i].name) == 0) before = g_threads0[j].sec;
    printf("%s", i > 0 ? "," : "");
    json_string(now[i].name);
    printf(":%.2f", now[i].sec - before);
  }
  printf("}");
}

static void report(const struct opts *o, long long records, long long bytes, double elapsed, struct cpu c0, struct cpu c1,
                   long long start_ms, long long end_ms, int nparts, long long errors) {
  double rps = elapsed > 0 ? (double)records / elapsed : 0;
  double mbps = elapsed > 0 ? (double)bytes / 1e6 / elapsed : 0;
  printf("{\"mode\":\"%s\",\"label\":", o->mode);
  json_string(o->label);
  printf(",\"topic\":");
  json_string(o->topic);
  printf(",\"partitions\":%d,\"records\":%lld,\"bytes\":%lld,\"elapsedSec\":%.6f,\"recordsPerSec\":%.1f,\"mbPerSec\":%.3f,"
         "\"cpuSec\":%.4f,\"cpuUserSec\":%.4f,\"cpuSysSec\":%.4f,\"startMs\":%lld,\"endMs\":%lld,\"errors\":%lld,\"firstError\":",
         nparts, records, bytes, elapsed, rps, mbps, (c1.user_s - c0.user_s) + (c1.sys_s - c0.sys_s), c1.user_s - c0.user_s,
         c1.sys_s - c0.sys_s, start_ms, end_ms, errors);
  json_string(g_first_error);
  json_threads();
  printf(",\"librdkafka\":\"%s\"}\n", rd_kafka_version_str());
  fflush(stdout);
}

static rd_kafka_conf_t *common_conf(const struct opts *o, long stats_interval_ms) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  conf_set(conf, "bootstrap.servers", o->bootstrap);
  conf_set(conf, "client.id", "samsa-loadgen");
  rd_kafka_conf_set_log_cb(conf, log_cb);
  rd_kafka_conf_set_error_cb(conf, error_cb);
  if (o->stats_file != NULL) {
    g_stats_out = fopen(o->stats_file, "w");
    if (g_stats_out == NULL) die_usage("cannot write %s: %s", o->stats_file, strerror(errno));
    conf_setl(conf, "statistics.interval.ms", stats_interval_ms);
    rd_kafka_conf_set_stats_cb(conf, stats_cb);
  }
  return conf;
}

static int run_produce(const struct opts *o) {
  const long stats_ms = 500;
  rd_kafka_conf_t *conf = common_conf(o, stats_ms);
  conf_setl(conf, "acks", o->acks);
  conf_setl(conf, "linger.ms", o->linger_ms);
  conf_setl(conf, "batch.size", o->batch_bytes);
  conf_setl(conf, "batch.num.messages", o->batch_records);
  conf_set(conf, "compression.codec", o->compression);
  /* Deep local queue: the producer must never wait on itself, only on the broker. */
  conf_setl(conf, "queue.buffering.max.messages", 2000000);
  conf_setl(conf, "queue.buffering.max.kbytes", 2097151);
  conf_setl(conf, "message.max.bytes", o->batch_bytes > 1000000 ? o->batch_bytes + 1024 : 1000000);
  /* Only failures get a delivery report: success costs the client nothing per record. */
  conf_set(conf, "delivery.report.only.error", "true");
  rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
  apply_extra(conf, o);

  char err[ERRSTR_BYTES];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (rk == NULL) die_usage("rd_kafka_new: %s", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  static int32_t parts[MAX_PARTITIONS];
  int nparts = pick_partitions(rk, rkt, o->partitions, parts, (int)o->timeout_s * 1000);

  /* One shared payload, never copied by us: librdkafka copies small values into its
   * batch buffer and references large ones, and the buffer outlives every message. */
  unsigned char *payload = malloc((size_t)(o->record_bytes > 0 ? o->record_bytes : 1));
  uint32_t x = 2463534242u;
  for (long i = 0; i < o->record_bytes; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    payload[i] = (unsigned char)x;
  }

  if (o->start_at_ms > 0) wait_until(o->start_at_ms);
  long long start_ms = wall_ms();
  threads_mark();
  struct cpu c0 = cpu_now();
  double t0 = mono_s();
  long long local_failures = 0;
  for (long long i = 0; i < o->records; i++) {
    int32_t p = parts[i % nparts];
    for (;;) {
      if (rd_kafka_produce(rkt, p, 0, payload, (size_t)o->record_bytes, NULL, 0, NULL) == 0) break;
      rd_kafka_resp_err_t e = rd_kafka_last_error();
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      local_failures++;
      note_error("produce: %s", rd_kafka_err2str(e));
      break;
    }
    if ((i & 0x3fff) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_resp_err_t ferr = rd_kafka_flush(rk, (int)o->timeout_s * 1000);
  double t1 = mono_s();
  struct cpu c1 = cpu_now();
  long long end_ms = wall_ms();
  long long undelivered = rd_kafka_outq_len(rk);
  if (ferr != RD_KAFKA_RESP_ERR_NO_ERROR) note_error("flush: %s with %lld messages left", rd_kafka_err2str(ferr), undelivered);
  rd_kafka_poll(rk, 0);
  long long failures = local_failures + g_delivery_failures + (undelivered > 0 ? undelivered : 0);
  long long delivered = o->records - failures;
  if (delivered < 0) delivered = 0;
  report(o, delivered, delivered * o->record_bytes, t1 - t0, c0, c1, start_ms, end_ms, nparts, failures);
  finish_stats(rk, stats_ms);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(payload);
  return failures == 0 ? 0 : 1;
}

static int run_consume(const struct opts *o) {
  const long stats_ms = 500;
  rd_kafka_conf_t *conf = common_conf(o, stats_ms);
  conf_setl(conf, "fetch.max.bytes", o->fetch_max_bytes);
  conf_setl(conf, "max.partition.fetch.bytes", o->partition_fetch_bytes);
  conf_setl(conf, "fetch.wait.max.ms", o->fetch_wait_ms);
  conf_setl(conf, "queued.max.messages.kbytes", o->queued_max_kbytes);
  conf_setl(conf, "queued.min.messages", 10000000);
  /* A response may hold fetch.max.bytes plus one oversized first batch (Kafka's rule). */
  long long recv_max = o->fetch_max_bytes + 16 * 1024 * 1024;
  if (recv_max < 100000000) recv_max = 100000000;
  if (recv_max > 2147483647LL) recv_max = 2147483647LL;
  conf_setl(conf, "receive.message.max.bytes", recv_max);
  apply_extra(conf, o);

  char err[ERRSTR_BYTES];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == NULL) die_usage("rd_kafka_new: %s", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
  static int32_t parts[MAX_PARTITIONS];
  int nparts = pick_partitions(rk, rkt, o->partitions, parts, (int)o->timeout_s * 1000);
  /* Legacy (simple) consumer: no group, no coordinator, one queue for all partitions. */
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  /* "From the beginning" is looked up before the window, like the metadata: started
   * at OFFSET_BEGINNING, librdkafka sends one ListOffsets per partition inside the
   * window and its first Fetch names only the partition whose answer came first. */
  static int64_t starts[MAX_PARTITIONS];
  for (int i = 0; i < nparts; i++) {
    int64_t low = 0, high = 0;
    rd_kafka_resp_err_t werr = rd_kafka_query_watermark_offsets(rk, o->topic, parts[i], &low, &high, (int)o->timeout_s * 1000);
    if (werr != RD_KAFKA_RESP_ERR_NO_ERROR) die_usage("watermarks of partition %d: %s", parts[i], rd_kafka_err2str(werr));
    starts[i] = low;
  }

  if (o->start_at_ms > 0) wait_until(o->start_at_ms);
  long long start_ms = wall_ms();
  threads_mark();
  struct cpu c0 = cpu_now();
  double t0 = mono_s();
  for (int i = 0; i < nparts; i++) {
    if (rd_kafka_consume_start_queue(rkt, parts[i], starts[i], q) != 0) {
      note_error("consume_start partition %d: %s", parts[i], rd_kafka_err2str(rd_kafka_last_error()));
      report(o, 0, 0, 0, c0, cpu_now(), start_ms, wall_ms(), nparts, 1);
      return 1;
    }
  }
  static rd_kafka_message_t *msgs[CONSUME_BATCH];
  long long got = 0, bytes = 0, errors = 0;
  double last_progress = t0;
  while (got < o->records) {
    /* Never ask for more than are left: rd_kafka_consume_batch_queue returns only
     * when it has the whole batch or the timeout passed, so a last batch asking for
     * more records than the topic holds would add the whole timeout to the window. */
    long long left = o->records - got;
    size_t want = left < CONSUME_BATCH ? (size_t)left : CONSUME_BATCH;
    ssize_t n = rd_kafka_consume_batch_queue(q, 200, msgs, want);
    if (n < 0) {
      errors++;
      note_error("consume_batch_queue: %s", rd_kafka_err2str(rd_kafka_last_error()));
      break;
    }
    double now = mono_s();
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t *m = msgs[i];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        got++;
        bytes += (long long)m->len + (long long)m->key_len;
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        errors++;
        note_error("consume partition %d: %s", m->partition, rd_kafka_err2str(m->err));
      }
      rd_kafka_message_destroy(m);
    }
    if (n > 0) last_progress = now;
    if (errors > 0) break;
    if (now - last_progress > (double)o->timeout_s) {
      errors++;
      note_error("no record for %ld s after %lld of %lld", o->timeout_s, got, o->records);
      break;
    }
    rd_kafka_poll(rk, 0);
  }
  double t1 = mono_s();
  struct cpu c1 = cpu_now();
  long long end_ms = wall_ms();
  if (got > o->records) got = o->records; /* a batch can overshoot; count what was asked */
  report(o, got, bytes, t1 - t0, c0, c1, start_ms, end_ms, nparts, errors);
  /* Stop fetching first: the long-polls at the end of the log are not part of the run. */
  for (int i = 0; i < nparts; i++) rd_kafka_consume_stop(rkt, parts[i]);
  finish_stats(rk, stats_ms);
  rd_kafka_queue_destroy(q);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  return errors == 0 && got == o->records ? 0 : 1;
}

/* ------------------------------------------------------------------ latency */

#define LATENCY_RECORDS_MAX (50LL * 1000 * 1000)
#define LATENCY_VALUE_MIN_BYTES 24

struct latency_state {
  const struct opts *o;
  rd_kafka_topic_t *rkt;
  rd_kafka_queue_t *q;
  long long *lat_ns;     /* per record index, -1 until received */
  long long *svc_ns;
  volatile long long received;
  volatile int stop;
  long long errors;
};

static void *latency_consumer(void *arg) {
  struct latency_state *st = arg;
  while (!st->stop && st->received < st->o->records) {
    /* One message at a time: consume_batch_queue waits for a full batch or its timeout. */
    rd_kafka_message_t *m = rd_kafka_consume_queue(st->q, 100);
    long long now = mono_ns();
    if (m == NULL) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->len >= LATENCY_VALUE_MIN_BYTES) {
      const unsigned char *v = m->payload;
      long long idx = get_i64(v + 16);
      if (idx >= 0 && idx < st->o->records && st->lat_ns[idx] < 0) {
        st->lat_ns[idx] = now - get_i64(v);
        st->svc_ns[idx] = now - get_i64(v + 8);
        st->received++;
      }
    } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      st->errors++;
      note_error("consume: %s", rd_kafka_err2str(m->err));
    }
    rd_kafka_message_destroy(m);
  }
  return NULL;
}

static int run_latency(const struct opts *o) {
  if (o->rate <= 0) die_usage("latency needs --rate");
  if (o->records > LATENCY_RECORDS_MAX) die_usage("latency: at most %lld records", LATENCY_RECORDS_MAX);
  if (o->record_bytes < LATENCY_VALUE_MIN_BYTES) die_usage("latency: --record-bytes must be at least %d", LATENCY_VALUE_MIN_BYTES);
  /* Sleeps end when asked, not up to 50 µs later (the default timer slack). */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  rd_kafka_conf_t *pconf = common_conf(o, 500);
  conf_setl(pconf, "acks", o->acks);
  conf_setl(pconf, "linger.ms", o->linger_ms);
  conf_set(pconf, "delivery.report.only.error", "true");
  rd_kafka_conf_set_dr_msg_cb(pconf, dr_msg_cb);
  apply_extra(pconf, o);
  rd_kafka_conf_t *cconf = rd_kafka_conf_new();
  conf_set(cconf, "bootstrap.servers", o->bootstrap);
  conf_set(cconf, "client.id", "samsa-loadgen-latency");
  conf_setl(cconf, "fetch.wait.max.ms", o->fetch_wait_ms);
  conf_setl(cconf, "fetch.min.bytes", 1);
  conf_setl(cconf, "fetch.error.backoff.ms", 10);
  rd_kafka_conf_set_error_cb(cconf, error_cb);
  char err[ERRSTR_BYTES];
  rd_kafka_t *prk = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof err);
  if (prk == NULL) die_usage("rd_kafka_new: %s", err);
  rd_kafka_t *crk = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof err);
  if (crk == NULL) die_usage("rd_kafka_new: %s", err);
  rd_kafka_topic_t *prkt = rd_kafka_topic_new(prk, o->topic, NULL);
  struct latency_state st = {.o = o};
  st.rkt = rd_kafka_topic_new(crk, o->topic, NULL);
  static int32_t parts[MAX_PARTITIONS];
  pick_partitions(prk, prkt, "0", parts, (int)o->timeout_s * 1000);
  st.q = rd_kafka_queue_new(crk);
  st.lat_ns = malloc((size_t)o->records * sizeof(long long));
  st.svc_ns = malloc((size_t)o->records * sizeof(long long));
  if (st.lat_ns == NULL || st.svc_ns == NULL) die_usage("out of memory for %lld records", o->records);
  for (long long i = 0; i < o->records; i++) st.lat_ns[i] = -1;
  if (rd_kafka_consume_start_queue(st.rkt, 0, RD_KAFKA_OFFSET_END, st.q) != 0) die_usage("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
  pthread_t consumer;
  if (pthread_create(&consumer, NULL, latency_consumer, &st) != 0) die_usage("pthread_create failed");
  /* Let the consumer resolve the log end before the first record goes out. */
  struct timespec settle = {1, 0};
  nanosleep(&settle, NULL);

  unsigned char *value = calloc(1, (size_t)o->record_bytes);
  uint32_t x = 2463534242u;
  for (long i = LATENCY_VALUE_MIN_BYTES; i < o->record_bytes; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    value[i] = (unsigned char)('a' + x % 26);
  }
  long long start_ms = wall_ms();
  threads_mark();
  struct cpu c0 = cpu_now();
  double t0 = mono_s();
  long long start_ns = mono_ns() + 1000000;
  double interval_ns = 1e9 / (double)o->rate;
  long long *late_ns = malloc((size_t)o->records * sizeof(long long));
  long long local_failures = 0;
  for (long long i = 0; i < o->records; i++) {
    long long due = start_ns + (long long)((double)i * interval_ns);
    if (mono_ns() < due) {
      struct timespec ts = {(time_t)(due / 1000000000LL), (long)(due % 1000000000LL)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
    }
    long long at = mono_ns();
    late_ns[i] = at - due;
    put_i64(value, due);
    put_i64(value + 8, at);
    put_i64(value + 16, i);
    /* RD_KAFKA_MSG_F_COPY: the value buffer is reused for the next record. */
    if (rd_kafka_produce(prkt, 0, RD_KAFKA_MSG_F_COPY, value, (size_t)o->record_bytes, NULL, 0, NULL) != 0) {
      local_failures++;
      note_error("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
      break;
    }
    rd_kafka_poll(prk, 0);
  }
  rd_kafka_flush(prk, (int)o->timeout_s * 1000);
  /* The last records: bounded by the timeout. */
  for (double give_up = mono_s() + (double)o->timeout_s; st.received < o->records && mono_s() < give_up && st.errors == 0;) {
    struct timespec ts = {0, 10000000};
    nanosleep(&ts, NULL);
  }
  st.stop = 1;
  pthread_join(consumer, NULL);
  double t1 = mono_s();
  struct cpu c1 = cpu_now();
  long long end_ms = wall_ms();
  if (o->timeline_file != NULL) {
    /* Before the arrays are compacted and sorted: record i is due at i / rate from the start. */
    FILE *tl = fopen(o->timeline_file, "w");
    if (tl == NULL) die_usage("cannot write %s: %s", o->timeline_file, strerror(errno));
    for (long long i = 0; i < o->records; i++) {
      fprintf(tl, "%.3f %lld %lld\n", (double)i * interval_ns / 1e6, st.lat_ns[i] < 0 ? -1 : st.lat_ns[i] / 1000, st.lat_ns[i] < 0 ? -1 : st.svc_ns[i] / 1000);
    }
    fclose(tl);
  }
  long long n = 0;
  for (long long i = o->warmup_records; i < o->records; i++) {
    if (st.lat_ns[i] < 0) continue;
    st.lat_ns[n] = st.lat_ns[i];
    st.svc_ns[n] = st.svc_ns[i];
    n++;
  }
  long long errors = local_failures + g_delivery_failures + st.errors + (o->records - st.received);
  qsort(late_ns, (size_t)o->records, sizeof *late_ns, cmp_ll);
  /* The common fields first (records = received), then the latency ones appended to the same object. */
  printf("{\"mode\":\"latency\",\"rate\":%ld,\"received\":%lld,\"sent\":%lld,\"sendsLateUsP50\":%lld,\"latencyUs\":", o->rate, (long long)st.received,
         o->records, late_ns[o->records / 2] / 1000);
  print_percentiles(st.lat_ns, n);
  printf(",\"serviceUs\":");
  print_percentiles(st.svc_ns, n);
  printf(",\"common\":");
  report(o, st.received, st.received * o->record_bytes, t1 - t0, c0, c1, start_ms, end_ms, 1, errors);
  printf("}\n");
  fflush(stdout);
  rd_kafka_consume_stop(st.rkt, 0);
  rd_kafka_queue_destroy(st.q);
  rd_kafka_topic_destroy(st.rkt);
  rd_kafka_topic_destroy(prkt);
  rd_kafka_destroy(crk);
  rd_kafka_destroy(prk);
  free(value);
  free(late_ns);
  free(st.lat_ns);
  free(st.svc_ns);
  return errors == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  struct opts o = {
      .partitions = "all", .compression = "none", .label = "", .records = -1, .record_bytes = 100, .acks = 1,
      .linger_ms = 5, .batch_bytes = 1000000, .batch_records = 100000, .fetch_max_bytes = 52428800,
      .partition_fetch_bytes = 1048576, .fetch_wait_ms = 500, .queued_max_kbytes = 262144, .timeout_s = 60,
  };
  if (argc < 2) die_usage("missing mode");
  o.mode = argv[1];
  if (strcmp(o.mode, "produce") != 0 && strcmp(o.mode, "consume") != 0 && strcmp(o.mode, "latency") != 0) die_usage("mode must be produce, consume or latency, got '%s'", o.mode);
  if (strcmp(o.mode, "latency") == 0) o.linger_ms = 0, o.fetch_wait_ms = 100;
  enum { BOOT = 256, TOPIC, RECORDS, RBYTES, ACKS, PARTS, LINGER, BBYTES, BRECS, COMP, FMAX, PFETCH, FWAIT, QMAX, START, TIMEOUT, LABEL, STATS, RATE, WARMUP, TIMELINE };
  static const struct option longopts[] = {
      {"bootstrap", required_argument, 0, BOOT}, {"topic", required_argument, 0, TOPIC},
      {"records", required_argument, 0, RECORDS}, {"record-bytes", required_argument, 0, RBYTES},
      {"acks", required_argument, 0, ACKS}, {"partitions", required_argument, 0, PARTS},
      {"linger-ms", required_argument, 0, LINGER}, {"batch-bytes", required_argument, 0, BBYTES},
      {"batch-records", required_argument, 0, BRECS}, {"compression", required_argument, 0, COMP},
      {"fetch-max-bytes", required_argument, 0, FMAX}, {"partition-fetch-bytes", required_argument, 0, PFETCH},
      {"fetch-wait-ms", required_argument, 0, FWAIT}, {"queued-max-kbytes", required_argument, 0, QMAX},
      {"start-at", required_argument, 0, START}, {"timeout-s", required_argument, 0, TIMEOUT},
      {"label", required_argument, 0, LABEL}, {"stats-file", required_argument, 0, STATS},
      {"rate", required_argument, 0, RATE}, {"warmup-records", required_argument, 0, WARMUP},
      {"timeline", required_argument, 0, TIMELINE},
      {0, 0, 0, 0},
  };
  optind = 2;
  for (int c; (c = getopt_long(argc, argv, "X:", longopts, NULL)) != -1;) {
    switch (c) {
      case BOOT: o.bootstrap = optarg; break;
      case TOPIC: o.topic = optarg; break;
      case RECORDS: o.records = parse_ll("--records", optarg, 1, 1LL << 40); break;
      case RBYTES: o.record_bytes = parse_long("--record-bytes", optarg, 0, 64 * 1024 * 1024); break;
      case ACKS:
        o.acks = strcmp(optarg, "all") == 0 ? -1 : (int)parse_long("--acks", optarg, -1, 1);
        break;
      case PARTS: o.partitions = optarg; break;
      case LINGER: o.linger_ms = parse_long("--linger-ms", optarg, 0, 900000); break;
      case BBYTES: o.batch_bytes = parse_long("--batch-bytes", optarg, 1, 2147483647L); break;
      case BRECS: o.batch_records = parse_long("--batch-records", optarg, 1, 1000000); break;
      case COMP: o.compression = optarg; break;
      case FMAX: o.fetch_max_bytes = parse_long("--fetch-max-bytes", optarg, 1, 2147483135L); break;
      case PFETCH: o.partition_fetch_bytes = parse_long("--partition-fetch-bytes", optarg, 1, 1000000000L); break;
      case FWAIT: o.fetch_wait_ms = parse_long("--fetch-wait-ms", optarg, 0, 300000); break;
      case QMAX: o.queued_max_kbytes = parse_long("--queued-max-kbytes", optarg, 1, 2097151); break;
      case START: o.start_at_ms = parse_ll("--start-at", optarg, 0, 1LL << 50); break;
      case TIMEOUT: o.timeout_s = parse_long("--timeout-s", optarg, 1, 86400); break;
      case LABEL: o.label = optarg; break;
      case STATS: o.stats_file = optarg; break;
      case RATE: o.rate = parse_long("--rate", optarg, 1, 10000000); break;
      case WARMUP: o.warmup_records = parse_ll("--warmup-records", optarg, 0, 1LL << 40); break;
      case TIMELINE: o.timeline_file = optarg; break;
      case 'X':
        if (o.n_extra >= MAX_EXTRA_CONF) die_usage("too many -X");
        o.extra[o.n_extra++] = optarg;
        break;
      default: die_usage("unknown option");
    }
  }
  if (optind != argc) die_usage("unexpected argument '%s'", argv[optind]);
  if (o.bootstrap == NULL || o.topic == NULL || o.records < 1) die_usage("--bootstrap, --topic and --records are required");
  if (strcmp(o.mode, "latency") == 0) return run_latency(&o);
  return strcmp(o.mode, "produce") == 0 ? run_produce(&o) : run_consume(&o);
}
