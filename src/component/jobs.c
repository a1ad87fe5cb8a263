/*
 * component/jobs.c: the jobs of a component actor -- the start (_initialize, then
 * _start), a message (handle-message) and an invocation -- begun here and ended here
 * when run.c's call returns: the start acknowledges the supervisor (Ready) or fails with
 * the step's error; an invocation answers its asker with a status and the result (checked
 * against its multicodec prefix) or the guest's error; handle-message's return decides
 * whether the actor goes on, stops or crashes. Also the refs that map a monitor ref or an
 * ask_async corr back to the component they concern.
 */
#include "component/comp.h"

#include <stdio.h>

/* ---- output of a call --------------------------------------------------------------- */
void trP_output_reset(trP_comp *c) {
  c->out_len = 0;
}

/* ---- answering an INVOKE --------------------------------------------------------------- */
void trP_invoke_answer(trP_comp *c, int status, const void *data, size_t len) {
  if (!c->job_corr)
    return;
  trP_count_out(c, len);
  size_t n = sizeof(int32_t) + len;
  uint8_t stackbuf[256];
  uint8_t *buf = n <= sizeof stackbuf ? stackbuf : trB_malloc(n);
  if (!buf) {
    int32_t st = TROUPE_E_NOMEM;
    troupe_reply(c->host->rt, c->self_id, c->job_corr, &st, sizeof st);
  } else {
    int32_t st = status;
    memcpy(buf, &st, sizeof st);
    if (len)
      memcpy(buf + sizeof st, data, len);
    troupe_reply(c->host->rt, c->self_id, c->job_corr, buf, n);
    if (buf != stackbuf)
      free(buf);
  }
  c->job_corr = 0;
}

/* ---- audit --------------------------------------------------------------------------- */
static void event_started(trP_comp *c) {
  if (!trP_event_enabled(c->host, TROUPE_LOG_INFO))
    return; /* before the hash's hex and the id are printed for nobody */
  char hex[TROUPE_SHA256_HEX];
  troupe_sha256_hex(c->rec->sha256, hex);
  char actor[TROUPE_ID_FORMAT_MAX];
  troupe_id_format(c->self_id, actor, sizeof actor);
  troupe_log_field f[] = {TROUPE_LOG_STR("module_sha256", hex),
                          TROUPE_LOG_STR("module", c->rec->module_ref),
                          TROUPE_LOG_STR("actor", actor),
                          TROUPE_LOG_UINT("restarts", atomic_load(&c->rec->restarts))};
  trP_event(c->host, TROUPE_LOG_INFO, "component_started", c->rec, f, TR_ARRAY_LEN(f));
}

void trP_event_stopped(trP_comp *c, const troupe_exit_reason *why) {
  troupe_log_level lvl = why->kind == TROUPE_EXIT_CRASH || why->kind == TROUPE_EXIT_KILLED
                             ? TROUPE_LOG_WARN
                             : TROUPE_LOG_INFO;
  if (!trP_event_enabled(c->host, lvl))
    return; /* before the clock is read for nobody: every crash comes here */
  uint64_t started = atomic_load(&c->rec->started_ns), now = troupe_clock_wall_ns();
  double uptime = started && now > started ? (double)(now - started) / 1e9 : 0.0;
  troupe_log_field f[] = {TROUPE_LOG_STR("reason", troupe_exit_kind_name(why->kind)),
                          TROUPE_LOG_STR("message", why->message ? why->message : ""),
                          TROUPE_LOG_FLOAT("uptime_s", uptime)};
  trP_event(c->host, lvl, "component_stopped", c->rec, f, TR_ARRAY_LEN(f));
}

/* ---- start ----------------------------------------------------------------------------- */
int trP_start_failed(trP_comp *c, int code, const char *msg, troupe_err *err) {
  trP_rec *r = c->rec;
  pthread_mutex_lock(&r->mu);
  r->start_code = code;
  char text[TROUPE_ERR_MSG_MAX + TRP_NAME_MAX + 48];
  snprintf(text, sizeof text, "component %llu '%s': %s", (unsigned long long)r->id, r->name, msg);
  size_t n = TR_MIN(strlen(text), sizeof r->start_msg - 1); /* cut to an error message */
  memcpy(r->start_msg, text, n);
  r->start_msg[n] = '\0';
  pthread_mutex_unlock(&r->mu);
  c->start_failed = true;
  if (!c->acked && c->parent) {
    c->acked = true;
    troupe_sup_ack(c->self, c->parent, code, r->start_msg);
  }
  trP_job_clear(c);
  return troupe_err_set(err, code, "%s", r->start_msg);
}

static int begin_start_phase(trP_comp *c, troupe_err *err);

static int start_done(trP_comp *c, const troupe_wasm_val *res, troupe_err *err) {
  if (c->start_phase == 0 && c->ex.start != UINT32_MAX &&
      c->ex.init != UINT32_MAX) { /* _initialize done, _start next */
    c->start_phase = 1;
    return begin_start_phase(c, err);
  }
  if (c->up) /* an upgrade's new instance: it takes the state next, or is committed */
    return c->start_phase == 2 ? trP_upgrade_loaded(c, res, err) : trP_upgrade_started(c, err);
  trP_job_clear(c);
  c->ready = true;
  trP_rec_set_state(c->rec, TROUPE_COMPONENT_READY);
  if (!c->acked && c->parent) {
    c->acked = true;
    troupe_sup_ack(c->self, c->parent, TROUPE_OK, NULL);
  }
  event_started(c);
  return TROUPE_CONTINUE;
}

static int begin_start_phase(trP_comp *c, troupe_err *err) {
  uint32_t idx = c->start_phase ? c->ex.start : c->ex.init;
  if (idx == UINT32_MAX) { /* only _start exists: it is phase 1 */
    c->start_phase = 1;
    idx = c->ex.start;
  }
  if (idx == UINT32_MAX)
    return start_done(c, NULL, err);
  c->job = TRP_JOB_START;
  c->job_export = idx;
  c->job_nargs = 0;
  c->job_nres = 0;
  return trP_run(c, true, NULL, err);
}

/* ---- jobs ---------------------------------------------------------------------------- */
int trP_begin_start(trP_comp *c, troupe_err *err) {
  return begin_start_phase(c, err);
}

int trP_job_done(trP_comp *c, const troupe_wasm_val *res, troupe_err *err) {
  trP_note_memory(c);
  switch (c->job) {
  case TRP_JOB_START:
    return start_done(c, res, err);
  case TRP_JOB_HANDLE: {
    int32_t rv = res ? res[0].of.i32 : 0;
    c->job_outcome = rv == 0 ? "ok" : rv == 1 ? "stop" : "error";
    trP_job_clear(c);
    if (rv == 0)
      return TROUPE_CONTINUE;
    if (rv == 1)
      return TROUPE_STOP;
    return troupe_err_set(err, rv < 0 ? rv : TROUPE_E_INVAL, "handle-message returned %d (%s)",
                          rv, rv < 0 ? troupe_err_name(rv) : "not 0, 1 or an error code");
  }
  case TRP_JOB_INVOKE: {
    int32_t rv = res ? res[0].of.i32 : 0;
    if (rv == 0 && c->out_len) {
      troupe_payload p;
      troupe_err e;
      int vr = troupe_codec_decode(c->out, c->out_len, &p, &e);
      if (vr) {
        char msg[TROUPE_ERR_MSG_MAX + 64];
        int n = snprintf(msg, sizeof msg, "result of '%s': %s", c->job_fn ? c->job_fn : "?",
                         troupe_err_message(&e));
        trP_invoke_answer(c, vr, msg, (size_t)(n < 0 ? 0 : TR_MIN((size_t)n, sizeof msg - 1)));
        trP_job_clear(c);
        return TROUPE_CONTINUE;
      }
    }
    if (rv > 0)
      rv = TROUPE_E_INVAL; /* not a status: reported as such */
    if (rv)
      c->job_outcome = "error";
    trP_invoke_answer(c, rv, c->out, c->out_len);
    trP_job_clear(c);
    return TROUPE_CONTINUE;
  }
  default:
    trP_job_clear(c);
    return TROUPE_CONTINUE;
  }
}

int trP_begin_handle(trP_comp *c, int kind, troupe_component_id from, uint32_t tag, uint64_t corr,
                     const void *data, size_t len, troupe_err *err) {
  troupe_trace in = c->in_trace; /* dispatch's, for this message only */
  c->in_trace = (troupe_trace){0};
  trP_stat_add(&c->st.msgs_in, 1);
  if (c->metrics)
    trP_stat_add(&c->st.bytes_in, len);
  if (c->ex.handle == UINT32_MAX)
    return TROUPE_CONTINUE; /* no handler: the message is consumed, as a counter would */
  if (len > c->lim->max_message_bytes)
    return TROUPE_CONTINUE; /* senders check the target's limit; a C actor's oversize message is dropped */
  c->job = TRP_JOB_HANDLE;
  c->job_export = c->ex.handle;
  c->job_kind = kind;
  trP_span_begin(c, in);
  c->in = data;
  c->in_len = len;
  trP_output_reset(c);
  c->job_args[0] = TROUPE_WASM_VAL_I32(kind);
  c->job_args[1] = TROUPE_WASM_VAL_I64((int64_t)from);
  c->job_args[2] = TROUPE_WASM_VAL_I32((int32_t)tag);
  c->job_args[3] = TROUPE_WASM_VAL_I64((int64_t)corr);
  c->job_args[4] = TROUPE_WASM_VAL_I32((int32_t)len);
  c->job_nargs = 5;
  c->job_nres = 1;
  return trP_run(c, true, NULL, err);
}

int trP_begin_invoke(trP_comp *c, const troupe_message *m, troupe_err *err) {
  trP_wire w;
  if (m->len < sizeof w) {
    int32_t st = TROUPE_E_INVAL;
    troupe_reply(c->host->rt, c->self_id, m->corr, &st, sizeof st);
    return TROUPE_CONTINUE;
  }
  memcpy(&w, m->data, sizeof w);
  const uint8_t *p = (const uint8_t *)m->data + sizeof w;
  size_t rest = m->len - sizeof w;
  c->job_corr = m->corr;
  /* Counted in here, refused or not: a refused one's error answer counts as one out. */
  trP_stat_add(&c->st.msgs_in, 1);
  /* The name as a C string for the checks and errors below; once the export is found,
   * the job names it by the module's own copy (which lives as long as the instance). */
  char fn[256];
  c->job_fn = NULL;
  if (w.name_len > rest || w.name_len >= sizeof fn) {
    trP_invoke_answer(c, TROUPE_E_INVAL, "bad invocation", 14);
    return TROUPE_CONTINUE;
  }
  memcpy(fn, p, w.name_len);
  fn[w.name_len] = '\0';
  char msg[TROUPE_ERR_MSG_MAX];
  if (!c->ready) {
    int n = snprintf(msg, sizeof msg, "component '%s' is not ready", c->rec->name);
    trP_invoke_answer(c, TROUPE_E_NOT_READY, msg, (size_t)n);
    return TROUPE_CONTINUE;
  }
  uint32_t idx;
  const troupe_wasm_functype *ft = NULL;
  bool reserved = fn[0] == '_' || strcmp(fn, "handle-message") == 0;
  const troupe_wasm_module *mod = troupe_wasm_instance_module(c->inst);
  if (!reserved && troupe_wasm_export_find(mod, fn, w.name_len, &idx) == TROUPE_OK)
    ft = troupe_wasm_export_functype_at(c->inst, idx);
  if (!ft || ft->nparams != 1 || ft->nresults != 1 || ft->params[0] != TROUPE_WASM_I32 ||
      ft->results[0] != TROUPE_WASM_I32) {
    int n = snprintf(msg, sizeof msg, "component '%s' has no invocable export '%s'%s",
                     c->rec->name, fn,
                     ft ? " (its type is not [i32] -> [i32])" : "");
    trP_invoke_answer(c, TROUPE_E_NOTFOUND, msg, (size_t)n);
    return TROUPE_CONTINUE;
  }
  const uint8_t *args = p + w.name_len;
  size_t nargs = rest - w.name_len;
  if (c->metrics)
    trP_stat_add(&c->st.bytes_in, nargs);
  c->job_fn = troupe_wasm_export_name_at(mod, idx, NULL);
  c->job = TRP_JOB_INVOKE;
  c->job_export = idx;
  trP_span_begin(c, w.tr);
  c->in = args;
  c->in_len = nargs;
  trP_output_reset(c);
  c->job_args[0] = TROUPE_WASM_VAL_I32((int32_t)nargs);
  c->job_nargs = 1;
  c->job_nres = 1;
  return trP_run(c, true, NULL, err);
}

int trP_begin_handle_pub(trP_comp *c, troupe_component_id from, char *subject,
                         const void *data, size_t len, troupe_err *err) {
  free(c->in_subject);
  c->in_subject = subject;
  int rc = trP_begin_handle(c, TRP_KIND_PUBLICATION, from, 0, 0, data, len, err);
  if (c->job == TRP_JOB_NONE) { /* done already, or never started */
    free(c->in_subject);
    c->in_subject = NULL;
  }
  return rc;
}

/* ---- refs: monitors and async asks, for the `from` of DOWN and REPLY ------------------- */
int trP_ref_add(trP_comp *c, uint64_t ref, troupe_component_id who) {
  if (c->nmons == c->cmons) {
    size_t n = c->cmons ? 2 * c->cmons : 4;
    void *v = trB_realloc_array(c->mons, n, sizeof *c->mons);
    if (!v)
      return TROUPE_E_NOMEM;
    c->mons = v;
    c->cmons = n;
  }
  c->mons[c->nmons].ref = ref;
  c->mons[c->nmons].who = who;
  c->nmons++;
  return TROUPE_OK;
}

troupe_component_id trP_ref_take(trP_comp *c, uint64_t ref, bool remove) {
  for (size_t i = 0; i < c->nmons; i++)
    if (c->mons[i].ref == ref) {
      troupe_component_id who = c->mons[i].who;
      if (remove)
        c->mons[i] = c->mons[--c->nmons];
      return who;
    }
  return 0;
}

