/*
 * node/scenario_events.c: what expect_event steps wait on. The host's logger is a
 * callback (troupe_logger_callback) that turns each record into a JSON object
 * ({"event": E, "component": ID, "name": N, ...fields}) and queues it; a step takes
 * the first queued event that matches it, waiting on a condition variable up to its
 * deadline. An event satisfies one step only, and events stay queued until taken, so
 * an expectation written after the fact (a crash that came during the previous step)
 * still finds its event. The queue is bounded (TRN_EV_MAX): a flood of log lines drops
 * the oldest, and the count of dropped ones is kept for the failure message.
 *
 * Health changes are not records of the host's log (the runtime's health events go to
 * its own audit logger, which the host does not set), so a watcher thread polls
 * troupe_host_info of the components with health checks and queues a
 * "health_changed" event whenever the health it reports changes.
 */
#include "node/scenario.h"

#include "base/base.h"
#include "troupe/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int trN_evq_init(trN_evq *q) {
  memset(q, 0, sizeof *q);
  if (!(q->v = trB_calloc(TRN_EV_MAX, sizeof *q->v)))
    return TROUPE_E_NOMEM;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->cond, &ca);
  pthread_condattr_destroy(&ca);
  return TROUPE_OK;
}

void trN_evq_destroy(trN_evq *q) {
  if (!q->v)
    return;
  for (size_t i = 0; i < q->n; i++)
    json_decref(q->v[(q->head + i) % TRN_EV_MAX]);
  free(q->v);
  q->v = NULL;
  pthread_mutex_destroy(&q->lock);
  pthread_cond_destroy(&q->cond);
}

void trN_evq_push(trN_evq *q, json_t *ev) {
  if (!ev)
    return;
  if (q->verbose) {
    char *text = json_dumps(ev, JSON_COMPACT);
    if (text) {
      pthread_mutex_lock(q->out_lock);
      fprintf(q->verbose, "%s# log: %s\n", q->indent, text);
      fflush(q->verbose);
      pthread_mutex_unlock(q->out_lock);
      free(text);
    }
  }
  pthread_mutex_lock(&q->lock);
  if (q->n == TRN_EV_MAX) {
    json_decref(q->v[q->head]);
    q->head = (q->head + 1) % TRN_EV_MAX;
    q->n--;
    q->dropped++;
  }
  q->v[(q->head + q->n) % TRN_EV_MAX] = ev;
  q->n++;
  pthread_cond_broadcast(&q->cond);
  pthread_mutex_unlock(&q->lock);
}

/* A string of a record as JSON: bytes that are not UTF-8 (a guest's log line may hold
 * anything) become '?', so the event is kept rather than lost. */
static json_t *text_value(const char *s) {
  json_t *j = json_string(s);
  if (j)
    return j;
  char *copy = trB_strdup(s);
  if (!copy)
    return NULL;
  for (unsigned char *p = (unsigned char *)copy; *p; p++)
    if (*p >= 0x80)
      *p = '?';
  j = json_string(copy);
  free(copy);
  return j;
}

void trN_evq_log(void *user, const troupe_log_record *rec) {
  trN_evq *q = user;
  json_t *ev = json_object();
  if (!ev)
    return;
  json_object_set_new(ev, "event", text_value(rec->event));
  for (size_t i = 0; i < rec->nfields; i++) {
    const troupe_log_field *f = &rec->fields[i];
    json_t *v = NULL;
    switch (f->type) {
    case TROUPE_LF_STR: v = text_value(f->v.s ? f->v.s : ""); break;
    case TROUPE_LF_INT: v = json_integer(f->v.i); break;
    case TROUPE_LF_UINT: v = json_integer(f->v.u > INT64_MAX ? INT64_MAX : (json_int_t)f->v.u); break;
    case TROUPE_LF_FLOAT: v = json_real(f->v.f); break;
    case TROUPE_LF_BOOL: v = json_boolean(f->v.b); break;
    }
    if (v)
      json_object_set_new(ev, f->key, v);
  }
  trN_evq_push(q, ev);
}

static const char *str_field(const json_t *ev, const char *key) {
  const char *s = json_string_value(json_object_get(ev, key));
  return s ? s : "";
}

bool trN_event_matches(const troupe_scenario *s, const trN_step *st, const json_t *ev) {
  const char *event = str_field(ev, "event");
  if (!st->any_comp && strcmp(str_field(ev, "name"), s->comps[st->comp].name))
    return false;
  bool stopped = !strcmp(event, "component_stopped");
  bool crash = stopped && !strcmp(str_field(ev, "reason"), "crash");
  switch (st->event) {
  case TRN_EV_STARTED:
    if (strcmp(event, "component_started"))
      return false;
    break;
  case TRN_EV_RESTART:
    if (strcmp(event, "component_started") ||
        json_integer_value(json_object_get(ev, "restarts")) < 1)
      return false;
    break;
  case TRN_EV_STOPPED:
    if (!stopped)
      return false;
    break;
  case TRN_EV_CRASH:
    if (!crash)
      return false;
    break;
  case TRN_EV_TRAP: /* the engine's trap text names the place: "... (function N, offset X)" */
    if (!crash || !strstr(str_field(ev, "message"), " (function "))
      return false;
    break;
  case TRN_EV_HEALTH:
    if (strcmp(event, "health_changed"))
      return false;
    break;
  case TRN_EV_DENIED:
    if (strcmp(event, "capability_denied"))
      return false;
    break;
  case TRN_EV_LOG:
    if (strcmp(event, "component_log"))
      return false;
    break;
  case TRN_EV_OUTPUT:
    if (strcmp(event, "component_output"))
      return false;
    break;
  }
  if (st->message && !strstr(str_field(ev, "message"), st->message) &&
      !strstr(str_field(ev, "line"), st->message) && !strstr(str_field(ev, "reason"), st->message))
    return false;
  char why[8];
  return !st->fields || trN_json_match(st->fields, ev, true, why, sizeof why);
}

json_t *trN_evq_take(trN_evq *q, const troupe_scenario *s, const trN_step *st, uint64_t deadline) {
  struct timespec ts = {(time_t)(deadline / 1000000000u), (long)(deadline % 1000000000u)};
  json_t *found = NULL;
  pthread_mutex_lock(&q->lock);
  for (;;) {
    for (size_t i = 0; i < q->n; i++) {
      json_t *ev = q->v[(q->head + i) % TRN_EV_MAX];
      if (!trN_event_matches(s, st, ev))
        continue;
      found = ev;
      for (size_t k = i; k + 1 < q->n; k++) /* close the gap: the order of the rest stays */
        q->v[(q->head + k) % TRN_EV_MAX] = q->v[(q->head + k + 1) % TRN_EV_MAX];
      q->n--;
      break;
    }
    if (found || troupe_clock_mono_ns() >= deadline)
      break;
    int rc = pthread_cond_timedwait(&q->cond, &q->lock, &ts);
    if (rc != 0 && rc != ETIMEDOUT && rc != EINTR)
      break;
  }
  pthread_mutex_unlock(&q->lock);
  return found;
}

/* ---- the health watcher ------------------------------------------------------------------ */
#define WATCH_EVERY_NS 5000000u

static void *watch_main(void *arg) {
  trN_watch *w = arg;
  pthread_mutex_lock(&w->lock);
  while (!w->stop) {
    pthread_mutex_unlock(&w->lock);
    for (size_t i = 0; i < w->n; i++) {
      troupe_component_info info;
      if (troupe_host_info(w->host, w->ids[i], &info, NULL))
        continue;
      if (info.health != w->last[i]) {
        json_t *ev = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "event", "health_changed",
                               "component", (json_int_t)w->ids[i], "name", w->names[i],
                               "health", troupe_health_name(info.health), "was",
                               troupe_health_name(w->last[i]), "reason",
                               info.health_reason ? info.health_reason : "");
        w->last[i] = info.health;
        trN_evq_push(w->q, ev);
      }
      troupe_component_info_clear(&info);
    }
    pthread_mutex_lock(&w->lock);
    uint64_t t = troupe_clock_mono_ns() + WATCH_EVERY_NS;
    struct timespec ts = {(time_t)(t / 1000000000u), (long)(t % 1000000000u)};
    if (!w->stop)
      pthread_cond_timedwait(&w->cond, &w->lock, &ts);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

int trN_watch_start(trN_watch *w) {
  w->stop = false;
  w->running = false;
  if (!w->n)
    return TROUPE_OK;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_mutex_init(&w->lock, NULL);
  pthread_cond_init(&w->cond, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&w->thread, NULL, watch_main, w)) {
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    return TROUPE_E_NOMEM;
  }
  w->running = true;
  return TROUPE_OK;
}

void trN_watch_stop(trN_watch *w) {
  if (!w->running)
    return;
  pthread_mutex_lock(&w->lock);
  w->stop = true;
  pthread_cond_signal(&w->cond);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->lock);
  pthread_cond_destroy(&w->cond);
  w->running = false;
}
