/*
 * bench/floor/floor.c: what end-to-end latency at a fixed rate costs on this machine
 * before any broker logic, and what Samsa adds with a client that adds nothing.
 * No library beyond libc and pthreads, so it builds wherever gcc does.
 *
 *   floor relay --port P
 *       A relay in C: one thread, epoll. A connection says 'C' (consumer) or 'P'
 *       (producer) in its first byte; bytes from a producer go to the consumer in one
 *       write per read, and the producer gets an 8-byte acknowledgement per read. The
 *       least a broker can do: two loopback hops through a third process.
 *   floor latency --connect H:P --rate R --records N [--warmup-records W]
 *       The load for a relay (this one or bench/floor-relay.ts): one thread paces
 *       100-byte messages to absolute due times (clock_nanosleep, 1 ns timer slack),
 *       one reads the acknowledgements, one receives and times each message.
 *   floor kafka --bootstrap H:P --topic T --rate R --records N [--warmup-records W] [--acks A]
 *       The same load in the Kafka protocol against partition 0 of T on a single
 *       broker: one Produce v7 of one 100-byte record per message, written as soon as it
 *       is due (requests pipelined, as librdkafka does), one thread reading their
 *       responses, and a consumer on its own connection that keeps one Fetch v11
 *       (max wait 100 ms, min bytes 1) in flight and times each record it returns.
 *       A client without queues, threads handing off or allocation between the socket
 *       and the clock: what is left of the latency is the broker's and the kernel's.
 *       No record goes out before the consumer's first Fetch is answered; until then it
 *       retries the errors of a topic created a moment ago (no leader yet), for at most
 *       READY_TIMEOUT_S. Any other error code ends the run with a non-zero exit.
 *
 * latency and kafka print one JSON object: latencyUs and serviceUs ({p50, p99, p999,
 * max, count}, µs), sendsLateUsP50, and common {cpuSec, elapsedSec} (this process's CPU
 * over the run), the shape of bench/rdkafka's `loadgen latency`. Latency counts from
 * each message's due time (coordinated omission corrected); service time from when it
 * was actually written. Owns: nothing of the broker; must not link librdkafka.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../native-common/latency.h"

#define MESSAGE_BYTES 100
#define RECORDS_MAX (50LL * 1000 * 1000)
#define RELAY_CONNECTIONS_MAX 64
#define READ_BUFFER_BYTES (1 << 16)
#define FETCH_RESPONSE_BYTES_MAX (8 << 20)
#define FETCH_MAX_BYTES (1 << 20)
#define DRAIN_TIMEOUT_S 10
#define READY_TIMEOUT_S 15
/* Partition errors a Fetch retries until ready: UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_LEADER_OR_FOLLOWER. */
#define RETRY_BACKOFF_MS 50

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "floor: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(2);
}

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void write_all(int fd, const void *buf, size_t n) {
  const char *p = buf;
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("write: %s", strerror(errno));
    p += w;
    n -= (size_t)w;
  }
}

/* Reads exactly n bytes; returns 0 at a clean end of stream before the first byte. */
static int read_full(int fd, void *buf, size_t n) {
  char *p = buf;
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, p + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0 && got == 0) return 0;
    if (r <= 0) die("read: %s", r == 0 ? "connection closed mid-frame" : strerror(errno));
    got += (size_t)r;
  }
  return 1;
}

static int connect_to(const char *hostport) {
  char host[256];
  const char *colon = strrchr(hostport, ':');
  if (colon == NULL || (size_t)(colon - hostport) >= sizeof host) die("address must be host:port, got '%s'", hostport);
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
  int rc = getaddrinfo(host, colon + 1, &hints, &res);
  if (rc != 0) die("getaddrinfo %s: %s", hostport, gai_strerror(rc));
  int fd = -1;
  for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) die("connect %s: %s", hostport, strerror(errno));
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Big-endian writers and readers for the Kafka protocol. */
static unsigned char *be16(unsigned char *p, int v) {
  p[0] = (unsigned char)(v >> 8), p[1] = (unsigned char)v;
  return p + 2;
}
static unsigned char *be32(unsigned char *p, int64_t v) {
  for (int i = 3; i >= 0; i--) *p++ = (unsigned char)(v >> (8 * i));
  return p;
}
static unsigned char *be64(unsigned char *p, int64_t v) {
  for (int i = 7; i >= 0; i--) *p++ = (unsigned char)(v >> (8 * i));
  return p;
}
static int32_t rd32(const unsigned char *p) { return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]); }
static int16_t rd16(const unsigned char *p) { return (int16_t)((uint16_t)p[0] << 8 | p[1]); }
static int64_t rd64(const unsigned char *p) { return (int64_t)((uint64_t)(uint32_t)rd32(p) << 32 | (uint32_t)rd32(p + 4)); }
static unsigned char *kstring(unsigned char *p, const char *s) {
  size_t n = strlen(s);
  p = be16(p, (int)n);
  memcpy(p, s, n);
  return p + n;
}

/* Zigzag varint (Kafka's record fields). */
static unsigned char *varint(unsigned char *p, int64_t v) {
  uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
  while (z >= 0x80) {
    *p++ = (unsigned char)(z | 0x80);
    z >>= 7;
  }
  *p++ = (unsigned char)z;
  return p;
}
/* Reads a zigzag varint from [*p, end); returns 0 when it runs past end or over 10 bytes. */
static int read_varint(const unsigned char **p, const unsigned char *end, int64_t *out) {
  uint64_t z = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*p >= end) return 0;
    unsigned char b = *(*p)++;
    z |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = (int64_t)(z >> 1) ^ -(int64_t)(z & 1);
      return 1;
    }
  }
  return 0;
}

static uint32_t crc32c_table[256];
static void crc32c_init(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    crc32c_table[i] = c;
  }
}
static uint32_t crc32c(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  while (n-- > 0) c = crc32c_table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

struct opts {
  const char *mode, *connect, *topic;
  int port, acks;
  long rate;
  long long records, warmup;
};

/* ------------------------------------------------------------------ relay */

enum role { ROLE_UNKNOWN, ROLE_PRODUCER, ROLE_CONSUMER };

static _Noreturn void run_relay(const struct opts *o) {
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0) die("listen on port %d: %s", o->port, strerror(errno));
  socklen_t al = sizeof a;
  getsockname(ls, (struct sockaddr *)&a, &al);
  printf("listening port=%d\n", ntohs(a.sin_port));
  fflush(stdout);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
  enum role roles[RELAY_CONNECTIONS_MAX + 16] = {0};
  int consumer = -1;
  static unsigned char buf[READ_BUFFER_BYTES];
  const unsigned char ack[8] = {0};
  for (;;) {
    struct epoll_event evs[16];
    int n = epoll_wait(ep, evs, 16, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) {
      int fd = evs[i].data.fd;
      if (fd == ls) {
        int c = accept(ls, NULL, NULL);
        if (c < 0) continue;
        if (c >= RELAY_CONNECTIONS_MAX + 16) {
          close(c);
          continue;
        }
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        roles[c] = ROLE_UNKNOWN;
        struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
        epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        continue;
      }
      ssize_t r = read(fd, buf, sizeof buf);
      if (r <= 0) {
        if (fd == consumer) consumer = -1;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        continue;
      }
      size_t off = 0;
      if (roles[fd] == ROLE_UNKNOWN) {
        roles[fd] = buf[0] == 'C' ? ROLE_CONSUMER : ROLE_PRODUCER;
        if (roles[fd] == ROLE_CONSUMER) consumer = fd;
        off = 1;
      }
      if (roles[fd] != ROLE_PRODUCER || (size_t)r == off) continue;
      /* The consumer's socket has room: 1 MB/s against its send buffer; blocking writes bound nothing else. */
      if (consumer >= 0) write_all(consumer, buf + off, (size_t)r - off);
      write_all(fd, ack, sizeof ack);
    }
  }
}

/* ------------------------------------------------------------------ the shared load */

struct run {
  const struct opts *o;
  int pfd, cfd;
  long long *lat_ns, *svc_ns, *late_ns;
  volatile long long received;
  volatile int producing_done;
  /* Set by the consumer once it can read (its first Fetch answered without an error). */
  volatile int ready;
  long long start_ns;
  double interval_ns;
};

static void record_receipt(struct run *r, const unsigned char *v, long long now) {
  long long idx = get_i64(v + 16);
  if (idx < 0 || idx >= r->o->records || r->lat_ns[idx] >= 0) return;
  r->lat_ns[idx] = now - get_i64(v);
  r->svc_ns[idx] = now - get_i64(v + 8);
  __atomic_add_fetch(&r->received, 1, __ATOMIC_RELAXED);
}

/* Sleeps until message i is due; returns its due time. */
static long long wait_due(struct run *r, long long i) {
  long long due = r->start_ns + (long long)((double)i * r->interval_ns);
  if (mono_ns() < due) {
    struct timespec ts = {(time_t)(due / 1000000000LL), (long)(due % 1000000000LL)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {}
  }
  return due;
}

static void report(struct run *r, double t0, double t1, double c0, double c1) {
  long long n = 0;
  for (long long i = r->o->warmup; i < r->o->records; i++) {
    if (r->lat_ns[i] < 0) continue;
    r->lat_ns[n] = r->lat_ns[i];
    r->svc_ns[n] = r->svc_ns[i];
    n++;
  }
  qsort(r->late_ns, (size_t)r->o->records, sizeof *r->late_ns, cmp_ll);
  printf("{\"mode\":\"%s\",\"rate\":%ld,\"received\":%lld,\"sent\":%lld,\"sendsLateUsP50\":%lld,\"latencyUs\":", r->o->mode, r->o->rate, (long long)r->received,
         r->o->records, r->late_ns[r->o->records / 2] / 1000);
  print_percentiles(r->lat_ns, n);
  printf(",\"serviceUs\":");
  print_percentiles(r->svc_ns, n);
  printf(",\"common\":{\"cpuSec\":%.3f,\"elapsedSec\":%.3f}}\n", c1 - c0, t1 - t0);
  fflush(stdout);
}

/* Runs the producer loop on this thread with `consumer` and `acks` threads beside it. */
static _Noreturn void drive(struct run *r, void *(*consumer)(void *), void *(*acks)(void *), void (*send_one)(struct run *, long long i, long long due)) {
  const struct opts *o = r->o;
  r->lat_ns = malloc((size_t)o->records * sizeof(long long));
  r->svc_ns = malloc((size_t)o->records * sizeof(long long));
  r->late_ns = malloc((size_t)o->records * sizeof(long long));
  if (r->lat_ns == NULL || r->svc_ns == NULL || r->late_ns == NULL) die("out of memory for %lld records", o->records);
  for (long long i = 0; i < o->records; i++) r->lat_ns[i] = -1;
  /* Sleeps end when asked, not up to 50 µs later (the default timer slack). */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  pthread_t ct, at;
  if (pthread_create(&ct, NULL, consumer, r) != 0 || pthread_create(&at, NULL, acks, r) != 0) die("pthread_create failed");
  /* A topic created a moment ago may have no leader yet: the first records wait for the consumer. */
  for (long long give_up = mono_ns() + READY_TIMEOUT_S * 1000000000LL; !r->ready;) {
    if (mono_ns() > give_up) die("the consumer was not ready within %d s", READY_TIMEOUT_S);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  struct timespec settle = {0, 200 * 1000 * 1000};
  nanosleep(&settle, NULL);
  double c0 = cpu_s();
  double t0 = (double)mono_ns() / 1e9;
  r->start_ns = mono_ns() + 1000000;
  r->interval_ns = 1e9 / (double)o->rate;
  for (long long i = 0; i < o->records; i++) {
    long long due = wait_due(r, i);
    long long at_ns = mono_ns();
    r->late_ns[i] = at_ns - due;
    send_one(r, i, due);
  }
  r->producing_done = 1;
  for (long long give_up = mono_ns() + DRAIN_TIMEOUT_S * 1000000000LL; r->received < o->records && mono_ns() < give_up;) {
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  double t1 = (double)mono_ns() / 1e9;
  double c1 = cpu_s();
  report(r, t0, t1, c0, c1);
  int lost = r->received < o->records;
  if (lost) fprintf(stderr, "floor: %lld of %lld messages never arrived\n", o->records - r->received, o->records);
  /* The helper threads block in reads; exiting the process ends them. */
  _exit(lost ? 1 : 0);
}

/* ------------------------------------------------------------------ latency (through a relay) */

static void *relay_consumer(void *arg) {
  struct run *r = arg;
  r->ready = 1;
  static unsigned char buf[READ_BUFFER_BYTES + MESSAGE_BYTES];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(r->cfd, buf + have, READ_BUFFER_BYTES);
    long long now = mono_ns();
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return NULL;
    have += (size_t)n;
    size_t off = 0;
    for (; have - off >= MESSAGE_BYTES; off += MESSAGE_BYTES) record_receipt(r, buf + off, now);
    memmove(buf, buf + off, have - off);
    have -= off;
  }
}

static void *relay_acks(void *arg) {
  struct run *r = arg;
  unsigned char buf[4096];
  while (read(r->pfd, buf, sizeof buf) > 0) {}
  return NULL;
}

static void relay_send(struct run *r, long long i, long long due) {
  unsigned char m[MESSAGE_BYTES] = {0};
  put_i64(m, due);
  put_i64(m + 8, mono_ns());
  put_i64(m + 16, i);
  write_all(r->pfd, m, sizeof m);
}

static _Noreturn void run_latency(const struct opts *o) {
  struct run r = {.o = o};
  r.cfd = connect_to(o->connect);
  write_all(r.cfd, "C", 1);
  r.pfd = connect_to(o->connect);
  write_all(r.pfd, "P", 1);
  drive(&r, relay_consumer, relay_acks, relay_send);
}

/* ------------------------------------------------------------------ kafka */

#define PRODUCE_VERSION 7
#define FETCH_VERSION 11
#define RECORD_BATCH_HEADER_BYTES 61

/* Request header v1: api key, version, correlation id, client id. */
static unsigned char *request_header(unsigned char *p, int api, int version, int32_t correlation) {
  p = be16(p, api);
  p = be16(p, version);
  p = be32(p, correlation);
  return kstring(p, "samsa-floor");
}

static void kafka_send(struct run *r, long long i, long long due) {
  unsigned char req[512];
  unsigned char *p = req + 4;
  p = request_header(p, 0, PRODUCE_VERSION, (int32_t)i);
  p = be16(p, -1); /* transactional id: null */
  p = be16(p, r->o->acks);
  p = be32(p, 30000);
  p = be32(p, 1);
  p = kstring(p, r->o->topic);
  p = be32(p, 1);
  p = be32(p, 0); /* partition 0 */
  unsigned char *records_len = p;
  p += 4;
  unsigned char *batch = p;
  long long now_ms = (long long)time(NULL) * 1000;
  /* The one record: attributes, timestamp delta, offset delta, no key, the value, no headers. */
  unsigned char rec[MESSAGE_BYTES + 32];
  unsigned char *q = rec;
  *q++ = 0;
  q = varint(q, 0);
  q = varint(q, 0);
  q = varint(q, -1);
  q = varint(q, MESSAGE_BYTES);
  unsigned char *value = q;
  memset(value, 0, MESSAGE_BYTES);
  q += MESSAGE_BYTES;
  q = varint(q, 0);
  size_t rec_len = (size_t)(q - rec);
  p = be64(p, 0);         /* base offset: the broker assigns it */
  unsigned char *batch_len = p;
  p += 4;
  p = be32(p, -1);        /* partition leader epoch */
  *p++ = 2;               /* magic */
  unsigned char *crc_at = p;
  p += 4;
  unsigned char *crc_from = p;
  p = be16(p, 0);         /* attributes: no compression, create time */
  p = be32(p, 0);         /* last offset delta */
  p = be64(p, now_ms);
  p = be64(p, now_ms);
  p = be64(p, -1);        /* producer id: not idempotent */
  p = be16(p, -1);
  p = be32(p, -1);
  p = be32(p, 1);         /* one record */
  p = varint(p, (int64_t)rec_len);
  unsigned char *value_at = p + (value - rec);
  memcpy(p, rec, rec_len);
  p += rec_len;
  be32(batch_len, p - batch - 12);
  be32(records_len, p - batch);
  be32(req, p - req - 4);
  put_i64(value_at, due);
  put_i64(value_at + 16, i);
  put_i64(value_at + 8, mono_ns());
  be32(crc_at, crc32c(crc_from, (size_t)(p - crc_from)));
  write_all(r->pfd, req, (size_t)(p - req));
}

/* Produce responses: each must carry error code 0 for partition 0. */
static void *kafka_acks(void *arg) {
  struct run *r = arg;
  if (r->o->acks == 0) return NULL;
  static unsigned char buf[4096];
  for (;;) {
    unsigned char size[4];
    if (read_full(r->pfd, size, 4) == 0) return NULL;
    int32_t n = rd32(size);
    if (n < 4 || n > (int32_t)sizeof buf) die("produce response of %d bytes", n);
    read_full(r->pfd, buf, (size_t)n);
    /* correlation id, topics [1], name, partitions [1], index, error code */
    if (n < 4 + 4 + 2) die("short produce response");
    int16_t name_len = rd16(buf + 8);
    const unsigned char *pp = buf + 10 + name_len;
    if (name_len < 0 || pp + 10 > buf + n) die("malformed produce response");
    int16_t err = rd16(pp + 8);
    if (err != 0) die("produce error code %d", err);
  }
}

/* Walks the record batches in [p, end) and times each record; returns the next offset to fetch. */
static int64_t consume_batches(struct run *r, const unsigned char *p, const unsigned char *end, int64_t next, long long now) {
  while (end - p >= RECORD_BATCH_HEADER_BYTES) {
    int64_t base = rd64(p);
    int32_t len = rd32(p + 8);
    if (len < RECORD_BATCH_HEADER_BYTES - 12 || end - p < 12 + (ptrdiff_t)len) break; /* a partial batch at the end */
    int16_t attributes = rd16(p + 21);
    int32_t last_delta = rd32(p + 23);
    int32_t count = rd32(p + 57);
    const unsigned char *q = p + RECORD_BATCH_HEADER_BYTES, *bend = p + 12 + len;
    if ((attributes & 0x07) != 0) die("compressed batch: this client sends none");
    if ((attributes & 0x20) == 0) {
      for (int32_t k = 0; k < count; k++) {
        int64_t rlen, skip, key_len, value_len;
        if (!read_varint(&q, bend, &rlen)) die("bad record length");
        const unsigned char *rend = q + rlen;
        q++; /* attributes */
        if (!read_varint(&q, rend, &skip) || !read_varint(&q, rend, &skip) || !read_varint(&q, rend, &key_len)) die("bad record");
        if (key_len > 0) q += key_len;
        if (!read_varint(&q, rend, &value_len)) die("bad record value");
        if (value_len >= 24 && q + value_len <= rend) record_receipt(r, q, now);
        q = rend;
      }
    }
    next = base + last_delta + 1;
    p = bend;
  }
  return next;
}

static void *kafka_consumer(void *arg) {
  struct run *r = arg;
  unsigned char *buf = malloc(FETCH_RESPONSE_BYTES_MAX);
  if (buf == NULL) die("out of memory");
  int64_t offset = 0;
  for (int32_t correlation = 1;; correlation++) {
    unsigned char req[256];
    unsigned char *p = req + 4;
    p = request_header(p, 1, FETCH_VERSION, correlation);
    p = be32(p, -1);      /* replica id */
    p = be32(p, 100);     /* max wait ms */
    p = be32(p, 1);       /* min bytes */
    p = be32(p, FETCH_MAX_BYTES);
    *p++ = 0;             /* read_uncommitted */
    p = be32(p, 0);       /* no session */
    p = be32(p, -1);
    p = be32(p, 1);
    p = kstring(p, r->o->topic);
    p = be32(p, 1);
    p = be32(p, 0);
    p = be32(p, -1);      /* current leader epoch */
    p = be64(p, offset);
    p = be64(p, -1);      /* log start offset */
    p = be32(p, FETCH_MAX_BYTES);
    p = be32(p, 0);       /* forgotten topics */
    p = kstring(p, "");   /* rack */
    be32(req, p - req - 4);
    write_all(r->cfd, req, (size_t)(p - req));
    unsigned char size[4];
    if (read_full(r->cfd, size, 4) == 0) return NULL;
    int32_t n = rd32(size);
    if (n < 0 || n > FETCH_RESPONSE_BYTES_MAX) die("fetch response of %d bytes", n);
    read_full(r->cfd, buf, (size_t)n);
    long long now = mono_ns();
    const unsigned char *q = buf, *end = buf + n;
    /* correlation, throttle, error, session, topics [1]: name, partitions [1] */
    if (n < 18 || rd32(q) != correlation) die("fetch response out of order");
    if (rd16(q + 8) != 0) die("fetch error code %d", rd16(q + 8));
    q += 14;
    if (rd32(q) != 1) die("fetch response without the topic");
    q += 4;
    q += 2 + rd16(q);
    if (q + 4 + 4 + 2 + 24 > end || rd32(q) != 1) die("fetch response without the partition");
    q += 8; /* partition count, index */
    int16_t err = rd16(q);
    if (err != 0 && !r->ready && (err == 3 || err == 5 || err == 6)) {
      struct timespec ts = {0, RETRY_BACKOFF_MS * 1000 * 1000};
      nanosleep(&ts, NULL);
      continue;
    }
    if (err != 0) die("fetch partition error code %d", err);
    r->ready = 1;
    q += 2 + 24;
    int32_t aborted = rd32(q);
    q += 4 + (aborted > 0 ? 16 * aborted : 0);
    q += 4; /* preferred read replica */
    if (q + 4 > end) die("malformed fetch response");
    int32_t records = rd32(q);
    q += 4;
    if (records > 0 && q + records <= end) offset = consume_batches(r, q, q + records, offset, now);
    if (r->producing_done && r->received >= r->o->records) return NULL;
  }
}

static _Noreturn void run_kafka(const struct opts *o) {
  crc32c_init();
  struct run r = {.o = o};
  r.cfd = connect_to(o->connect);
  r.pfd = connect_to(o->connect);
  drive(&r, kafka_consumer, kafka_acks, kafka_send);
}

int main(int argc, char **argv) {
  struct opts o = {.acks = 1, .records = -1, .warmup = 0};
  if (argc < 2) die("usage: floor relay|latency|kafka [options]");
  o.mode = argv[1];
  for (int i = 2; i < argc; i++) {
    const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) die("%s needs a value", k);
    if (strcmp(k, "--port") == 0) o.port = atoi(v);
    else if (strcmp(k, "--connect") == 0 || strcmp(k, "--bootstrap") == 0) o.connect = v;
    else if (strcmp(k, "--topic") == 0) o.topic = v;
    else if (strcmp(k, "--rate") == 0) o.rate = atol(v);
    else if (strcmp(k, "--records") == 0) o.records = atoll(v);
    else if (strcmp(k, "--warmup-records") == 0) o.warmup = atoll(v);
    else if (strcmp(k, "--acks") == 0) o.acks = atoi(v);
    else die("unknown option %s", k);
    i++;
  }
  if (strcmp(o.mode, "relay") == 0) run_relay(&o);
  if (o.connect == NULL) die("%s needs --connect H:P", o.mode);
  if (o.rate <= 0 || o.records <= 0 || o.records > RECORDS_MAX) die("--rate and --records (at most %lld) are required", RECORDS_MAX);
  if (o.warmup < 0 || o.warmup >= o.records) die("--warmup-records must be below --records");
  if (strcmp(o.mode, "latency") == 0) run_latency(&o);
  if (strcmp(o.mode, "kafka") == 0) {
    if (o.topic == NULL) die("kafka needs --topic");
    if (o.acks != 0 && o.acks != 1 && o.acks != -1) die("--acks must be 0, 1 or -1");
    run_kafka(&o);
  }
  die("mode must be relay, latency or kafka, got '%s'", o.mode);
  return 2;
}
