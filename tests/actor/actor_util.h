/*
 * tests/actor/actor_util.h: helpers shared by the actor tests: a runtime with a small
 * fixed number of workers, polling waits with a generous deadline (the tests check
 * behaviour, never speed), and a recording behaviour that logs what it receives.
 */
#ifndef TROUPE_TESTS_ACTOR_UTIL_H
#define TROUPE_TESTS_ACTOR_UTIL_H

#include "actor/ext.h"
#include "troupe/actor.h"
#include "troupe/base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static inline troupe_runtime *tu_runtime(unsigned workers) {
  troupe_runtime_config cfg;
  troupe_runtime_config_init(&cfg);
  cfg.workers = workers;
  troupe_runtime *rt = NULL;
  if (troupe_runtime_new(&cfg, &rt, NULL) != 0)
    return NULL;
  return rt;
}

static inline void tu_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Poll `cond` for up to 10 s; evaluates to its final value. */
#define TU_WAIT(cond)                                                                      \
  ({                                                                                       \
    uint64_t tu_dl_ = troupe_clock_mono_ns() + 10000000000ull;                              \
    while (!(cond) && troupe_clock_mono_ns() < tu_dl_)                                     \
      tu_sleep_ms(1);                                                                      \
    (cond);                                                                                \
  })

/* A log of received messages (kind, tag, first payload byte, from, reason). */
#define TU_LOG_MAX 4096
typedef struct tu_entry {
  int kind;
  uint32_t tag;
  int byte;
  troupe_actor_id from;
  uint64_t corr;
  int status;
  troupe_exit_kind reason;
  int code;
  char text[64];
} tu_entry;

typedef struct tu_log {
  pthread_mutex_t lock;
  tu_entry e[TU_LOG_MAX];
  _Atomic int n;
} tu_log;

static inline void tu_log_init(tu_log *l) {
  pthread_mutex_init(&l->lock, NULL);
  atomic_store(&l->n, 0);
}

static inline void tu_log_add(tu_log *l, const troupe_message *m) {
  pthread_mutex_lock(&l->lock);
  int n = atomic_load(&l->n);
  if (n < TU_LOG_MAX) {
    tu_entry *e = &l->e[n];
    memset(e, 0, sizeof *e);
    e->kind = (int)m->kind;
    e->tag = m->tag;
    e->byte = m->len ? ((const unsigned char *)m->data)[0] : -1;
    e->from = m->from;
    e->corr = m->corr;
    e->status = m->status;
    e->reason = m->reason.kind;
    e->code = m->reason.code;
    if (m->reason.message)
      snprintf(e->text, sizeof e->text, "%s", m->reason.message);
    atomic_store(&l->n, n + 1);
  }
  pthread_mutex_unlock(&l->lock);
}

static inline tu_entry tu_log_get(tu_log *l, int i) {
  pthread_mutex_lock(&l->lock);
  tu_entry e = l->e[i];
  pthread_mutex_unlock(&l->lock);
  return e;
}

/* Recorder: logs every message into the tu_log given as spawn arg; payload "stop"
 * makes it return TROUPE_STOP, "crash" returns an error. */
static int tu_rec_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  tu_log *l = troupe_actor_state(self);
  tu_log_add(l, m);
  if (m->len == 4 && memcmp(m->data, "stop", 4) == 0)
    return TROUPE_STOP;
  if (m->len == 5 && memcmp(m->data, "crash", 5) == 0)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "asked to crash");
  return TROUPE_CONTINUE;
}

static const troupe_behaviour tu_recorder = {"recorder", NULL, tu_rec_handle, NULL};

/* The death has fully finished: links and monitors were told (troupe_actor_alive is
 * false from the start of a death, before the EXIT/DOWN signals are queued; a test that
 * then asks the linked supervisor would race them). */
static inline bool tu_dead(troupe_runtime *rt, troupe_actor_id id) {
  return !trA_slot_in_use(rt, id);
}

#endif
