/*
 * worker: the C component of `make bench-component` (bench/component/), one module
 * playing every role of the message rows, chosen by message tag or export, so that
 * each row measures the same guest code path (wasi-libc reactor, SDK wrappers):
 *
 *   MESSAGE tag 1   ring token: a CBOR integer K; K = 0 ends the run (the time is kept
 *                   for `results`), else K - 1 goes to the component named by $NEXT
 *   MESSAGE tag 2   restart driver "go": a CBOR count N of crash/restart rounds against
 *                   the component named by $TARGET
 *   MESSAGE tag 3   "up": sent by a component at its start to the one named by $UP_TO
 *                   (the restart target tells the driver it is back); the driver then
 *                   asks it, and the reply ends the round's sample
 *   MESSAGE tag 77  spin forever (the spinner of the echo-under-load row)
 *   MESSAGE tag 99  trap (the restart row's crash)
 *   ASK             reply with the question (echo)
 *   export inc      CBOR integer in, CBOR integer + 1 out (the invoke row)
 *   export ask_loop CBOR count N in: N asks of $TARGET in a row, each timed in the guest
 *                   with troupe.time; JSON array of the round-trip times (ns) out
 *   export results  JSON [done, done_ns, samples...] of the ring end / restart driver,
 *                   and resets them
 * Samples are timed inside the guest with the monotonic clock, which is the host's
 * CLOCK_MONOTONIC (troupe_clock_mono_ns), so the driver can compare them with its own.
 */
#include <stdlib.h>

#include "troupe_guest.h"

#define MAX_SAMPLES 20000

static int64_t next_id = -1, target_id = -1;
static int64_t done, done_ns;
static int64_t samples[MAX_SAMPLES];
static int32_t nsamples;
static int64_t rounds_left, round_t0;
static volatile uint64_t laps;

static int64_t id_of(int64_t *cache, const char *var) {
  if (*cache < 0) {
    const char *name = getenv(var);
    *cache = name ? troupe_lookup(name) : TROUPE_ERR_NOTFOUND;
  }
  return *cache;
}

static int32_t input_int(int64_t *v) {
  uint8_t buf[16];
  int32_t n = troupe_input(buf, sizeof buf);
  if (n < 0)
    return n;
  return troupe_payload_int(buf, (size_t)n, v);
}

TROUPE_INIT(worker_init) {
  const char *up = getenv("UP_TO");
  if (up)
    troupe_send_name(up, 3, NULL, 0);
}

/* A restart round: note the time, make the target crash. */
static int32_t crash_round(void) {
  round_t0 = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
  int64_t to = id_of(&target_id, "TARGET");
  return to < 0 ? (int32_t)to : troupe_send(to, 99, NULL, 0);
}

TROUPE_HANDLE_MESSAGE(on_message) {
  if (kind == TROUPE_KIND_ASK) {
    uint8_t q[64];
    int32_t n = troupe_input(q, sizeof q);
    if (n < 0)
      return n;
    troupe_reply(corr, q, (size_t)n); /* a late reply (TIMEOUT) is the asker's problem */
    return TROUPE_CONTINUE;
  }
  if (kind != TROUPE_KIND_MESSAGE)
    return TROUPE_CONTINUE;
  switch (tag) {
  case 1: {
    int64_t k;
    int32_t rc = input_int(&k);
    if (rc < 0)
      return rc;
    if (k == 0) {
      done_ns = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
      done = 1;
      return TROUPE_CONTINUE;
    }
    uint8_t b[16];
    int32_t n = troupe_cbor_int(b, sizeof b, k - 1);
    int64_t to = id_of(&next_id, "NEXT");
    if (to < 0)
      return (int32_t)to;
    rc = troupe_send(to, 1, b, (size_t)n);
    return rc < 0 ? rc : TROUPE_CONTINUE;
  }
  case 2: {
    int32_t rc = input_int(&rounds_left);
    nsamples = 0;
    done = 0;
    if (rc < 0)
      return rc;
    rc = crash_round();
    return rc < 0 ? rc : TROUPE_CONTINUE;
  }
  case 3: {
    if (rounds_left <= 0)
      return TROUPE_CONTINUE; /* the target's first start, or a stray */
    uint8_t q[4], r[8];
    int32_t n = troupe_cbor_uint(q, sizeof q, 1);
    int32_t rc = troupe_ask(id_of(&target_id, "TARGET"), 0, q, (size_t)n, r, sizeof r, 5000);
    if (rc < 0)
      return rc;
    if (nsamples < MAX_SAMPLES)
      samples[nsamples++] = troupe_time_ns(TROUPE_CLOCK_MONOTONIC) - round_t0;
    if (--rounds_left == 0) {
      done_ns = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
      done = 1;
      return TROUPE_CONTINUE;
    }
    rc = crash_round();
    return rc < 0 ? rc : TROUPE_CONTINUE;
  }
  case 77:
    for (;;)
      laps++;
  case 99:
    __builtin_trap();
  default:
    return TROUPE_CONTINUE;
  }
}

TROUPE_EXPORT(inc) {
  int64_t v;
  int32_t rc = input_int(&v);
  if (rc < 0)
    return rc;
  uint8_t b[16];
  int32_t n = troupe_cbor_int(b, sizeof b, v + 1);
  rc = troupe_output(b, (size_t)n);
  return rc < 0 ? rc : 0;
}

/* The samples as a JSON array of integers, into a malloc'd buffer. */
static int32_t output_samples(const char *head) {
  size_t cap = 64 + (size_t)nsamples * 21;
  char *s = malloc(cap);
  if (!s)
    return TROUPE_ERR_NOMEM;
  size_t n = (size_t)snprintf(s, cap, "[%s", head);
  for (int32_t i = 0; i < nsamples; i++)
    n += (size_t)snprintf(s + n, cap - n, "%s%lld", i || head[0] ? "," : "",
                          (long long)samples[i]);
  snprintf(s + n, cap - n, "]");
  int32_t rc = troupe_output_json(s);
  free(s);
  return rc < 0 ? rc : 0;
}

TROUPE_EXPORT(ask_loop) {
  int64_t n;
  int32_t rc = input_int(&n);
  if (rc < 0)
    return rc;
  int64_t to = id_of(&target_id, "TARGET");
  if (to < 0)
    return (int32_t)to;
  if (n > MAX_SAMPLES)
    n = MAX_SAMPLES;
  nsamples = 0;
  uint8_t q[16], r[16];
  int64_t t = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
  for (int64_t i = 0; i < n; i++) {
    int32_t ql = troupe_cbor_uint(q, sizeof q, (uint64_t)i);
    rc = troupe_ask(to, 0, q, (size_t)ql, r, sizeof r, 5000);
    if (rc < 0)
      return rc;
    int64_t t2 = troupe_time_ns(TROUPE_CLOCK_MONOTONIC);
    samples[nsamples++] = t2 - t;
    t = t2;
  }
  return output_samples("");
}

TROUPE_EXPORT(results) {
  char head[64];
  snprintf(head, sizeof head, "%lld,%lld", (long long)done, (long long)done_ns);
  int32_t rc = output_samples(head);
  done = 0;
  nsamples = 0;
  return rc;
}
