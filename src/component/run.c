/*
 * component/run.c: running a component's calls on the actor's worker. One call at a
 * time per instance (a *job*: the start, one message, one invocation), run in fuel
 * slices so that a long computation yields the worker (TROUPE_YIELD: other actors run,
 * then the RESUME continues it exactly where it stopped), and suspended, not blocked,
 * when the guest waits: an import that waits (ask, spawn, send_wait) has already said
 * what for and called troupe_actor_suspend_for; a WASI sleep is turned into a timer
 * here. Whatever ends the call -- a result, a trap, a hard fuel limit -- ends the job:
 * its answer goes out (the invocation's reply, the start's acknowledgement) and the
 * actor goes on or crashes.
 *
 * The input of a job is the message's bytes, borrowed for the handler call that starts
 * it; a job that outlives that call (yields or waits) first copies them (keep_input),
 * so the common case -- a handler that finishes within its slice -- copies nothing.
 */
#include "component/comp.h"

#include <stdio.h>

static void keep_input(trP_comp *c) {
  if (c->in_own || !c->in_len)
    return;
  c->in_own = trB_memdup(c->in, c->in_len);
  if (c->in_own)
    c->in = c->in_own;
  else { /* out of memory: the guest reads an empty input rather than freed bytes */
    c->in = NULL;
    c->in_len = 0;
  }
}

void trP_job_clear(trP_comp *c) {
  trP_span_end(c);
  trP_metrics_job_end(c);
  c->job = TRP_JOB_NONE;
  c->job_ticks = 0;
  free(c->in_own);
  c->in_own = NULL;
  c->in = NULL;
  c->in_len = 0;
  free(c->in_subject);
  c->in_subject = NULL;
  c->job_fuel = 0;
}

/* The text of a trap: "unreachable (function 3, offset 0x4f)". */
void trP_trap_text(const troupe_wasm_trap *t, char *buf, size_t cap) {
  const char *what = t->message[0] ? t->message : troupe_wasm_trap_kind_message(t->kind);
  trB_sb b = trB_sb_init(buf, cap); /* "what (function F, offset 0xO)", on a crash's path */
  trB_sb_str(&b, what);
  if (t->func_index != UINT32_MAX) {
    trB_sb_str(&b, " (function ");
    trB_sb_u64(&b, t->func_index);
    trB_sb_str(&b, ", offset 0x");
    trB_sb_hex(&b, t->code_offset);
    trB_sb_mem(&b, ")", 1);
  }
}

static const char *job_name(const trP_comp *c) {
  switch (c->job) {
  case TRP_JOB_START:
    return c->start_phase == 2 ? "_state_load" : c->start_phase ? "_start" : "_initialize";
  case TRP_JOB_HANDLE:
    return "handle-message";
  case TRP_JOB_INVOKE:
    return c->job_fn ? c->job_fn : "an invocation";
  default:
    return "a call";
  }
}

int trP_call_nowait(trP_comp *c, uint32_t idx, const troupe_wasm_val *args, size_t nargs,
                    troupe_wasm_val *res, size_t nres, uint32_t limit_ms, troupe_err *err) {
  uint64_t start = troupe_clock_mono_ns(), limit = TROUPE_MS(limit_ms);
  troupe_wasm_call_opts o = {.fuel = c->lim->fuel_slice};
  troupe_wasm_trap trap;
  troupe_err e;
  troupe_err_clear(&e);
  c->no_wait = true;
  int rc = troupe_wasm_call_at(c->inst, idx, args, nargs, res, nres, &o, &trap, &e);
  while (rc == TROUPE_E_SUSPENDED &&
         troupe_wasm_instance_state(c->inst) != TROUPE_WASM_SUSPENDED_HOST &&
         troupe_clock_mono_ns() - start < limit)
    rc = troupe_wasm_resume(c->inst, NULL, 0, res, nres, &o, &trap, &e);
  c->no_wait = false;
  if (rc == TROUPE_OK)
    return TROUPE_OK;
  char what[224];
  if (rc == TROUPE_E_TRAP)
    trP_trap_text(&trap, what, sizeof what);
  else if (rc == TROUPE_E_SUSPENDED &&
           troupe_wasm_instance_state(c->inst) == TROUPE_WASM_SUSPENDED_HOST)
    snprintf(what, sizeof what, "it tried to wait");
  else if (rc == TROUPE_E_SUSPENDED)
    snprintf(what, sizeof what, "timed out after %u ms", limit_ms);
  else
    snprintf(what, sizeof what, "%s", troupe_err_message(&e));
  if (rc == TROUPE_E_SUSPENDED)
    troupe_wasm_abort(c->inst);
  return troupe_err_set(err, rc == TROUPE_E_SUSPENDED ? TROUPE_E_TIMEOUT : rc, "%s", what);
}

/* The job ended in a crash (trap, exit, limit): answer whoever waits for it, then let
 * the actor die with the reason -- except the start of an upgrade's new instance, which
 * is rolled back instead (upgrade.c). */
static int job_crash(trP_comp *c, int code, const char *text, troupe_err *err) {
  if (code == TROUPE_E_TRAP && c->metrics)
    trP_stat_add(&c->st.traps, 1);
  c->job_outcome = code == TROUPE_E_TRAP ? "trap" : code == TROUPE_E_EXIT ? "exit" : "error";
  char msg[TROUPE_ERR_MSG_MAX];
  trB_sb b = trB_sb_init(msg, sizeof msg);
  if (c->job == TRP_JOB_START)
    trB_sb_str(&b, "start function failed: ");
  trB_sb_str(&b, text);
  trB_sb_str(&b, " in ");
  trB_sb_str(&b, job_name(c));
  if (c->job == TRP_JOB_INVOKE)
    trP_invoke_answer(c, code, msg, strlen(msg));
  if (c->job == TRP_JOB_START && c->up)
    return trP_upgrade_failed(c, code, msg);
  if (c->job == TRP_JOB_START)
    return trP_start_failed(c, code, msg, err);
  trP_job_clear(c);
  return troupe_err_set(err, code, "%s", msg);
}

static int after_trap(trP_comp *c, const troupe_wasm_trap *trap, troupe_err *err) {
  if (trap->kind == TROUPE_WASM_TRAP_EXIT) {
    /* proc_exit: 0 in _start is a finished start; elsewhere 0 stops the component
     * normally; any other code is a crash carrying it. */
    if (trap->exit_code == 0) {
      if (c->job == TRP_JOB_START)
        return trP_job_done(c, NULL, err);
      if (c->job == TRP_JOB_INVOKE)
        trP_invoke_answer(c, TROUPE_E_STATE, "the component exited",
                          strlen("the component exited"));
      c->job_outcome = "stop";
      trP_job_clear(c);
      return TROUPE_STOP;
    }
    char t[64];
    snprintf(t, sizeof t, "program exited with code %d", (int)trap->exit_code);
    return job_crash(c, TROUPE_E_EXIT, t, err);
  }
  char t[224];
  trP_trap_text(trap, t, sizeof t);
  return job_crash(c, TROUPE_E_TRAP, t, err);
}

/* A WASI call wants to wait (suspending mode): a sleep becomes a timer to self; a read
 * of stdin finds its end at once (components have no stdin). */
static int wasi_wait(trP_comp *c, troupe_wasm_val *hr, troupe_err *err) {
  troupe_wasi_wait w;
  troupe_wasi_wait_kind k = troupe_wasi_pending(c->wasi, &w);
  if (k == TROUPE_WASI_WAIT_READ || (k == TROUPE_WASI_WAIT_POLL && !w.has_deadline)) {
    troupe_err e;
    if (troupe_wasi_complete_read(c->wasi, c->inst, NULL, 0, hr, &e))
      return troupe_err_set(err, e.code, "%s", e.msg);
    return 1; /* resume at once */
  }
  if (k != TROUPE_WASI_WAIT_SLEEP && k != TROUPE_WASI_WAIT_POLL)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "instance suspended in an unknown host wait");
  if (c->no_wait) { /* _cleanup and _health may not wait */
    troupe_err e;
    if (troupe_wasi_complete_error(c->wasi, c->inst, hr, &e))
      return troupe_err_set(err, e.code, "%s", e.msg);
    return 1;
  }
  uint64_t now = troupe_clock_mono_ns();
  uint64_t delay = w.deadline > now ? w.deadline - now : 0;
  if (c->job == TRP_JOB_START) { /* a start may not outwait its timeout */
    uint64_t end = c->job_started_ns + TROUPE_MS(c->lim->start_timeout_ms);
    uint64_t left = end > now ? end - now : 0;
    if (delay > left)
      delay = left;
  }
  uint64_t corr = trA_corr_new(c->host->rt);
  troupe_send_args a = {.to = c->self_id, .tag = TRP_TAG_WAKE, .flags = TROUPE_SEND_SYSTEM,
                        .corr = corr};
  int rc = troupe_send_after(c->host->rt, &a, delay, &c->wait_timer);
  if (rc)
    return troupe_err_set(err, rc, "cannot start the timer of a WASI sleep");
  rc = troupe_actor_suspend_for(c->self, corr);
  if (rc)
    return troupe_err_set(err, rc, "cannot suspend for a WASI sleep");
  c->wait = TRP_WAIT_WASI;
  c->wait_corr = corr;
  return 0;
}

int trP_run(trP_comp *c, bool first, const troupe_wasm_val *host_result, troupe_err *err) {
  troupe_wasm_val hr_buf;
  const troupe_wasm_val *hr = host_result;
  const troupe_component_limits *lim = c->lim;
  for (;;) {
    troupe_wasm_call_opts o = {.fuel = lim->fuel_slice};
    if (lim->fuel_per_message && c->job != TRP_JOB_START) {
      uint64_t left = lim->fuel_per_message > c->job_fuel ? lim->fuel_per_message - c->job_fuel : 1;
      if (left <= o.fuel) {
        o.fuel = left;
        o.trap_on_fuel_out = true;
      }
    }
    troupe_wasm_val res[1];
    troupe_wasm_trap trap;
    troupe_err e;
    troupe_err_clear(&e);
    int rc;
    /* The thread's trace while the guest runs: what it sends belongs to this span. */
    troupe_trace outer = troupe_trace_current();
    bool handler = c->job == TRP_JOB_HANDLE || c->job == TRP_JOB_INVOKE;
    troupe_trace_set(handler ? (troupe_trace){.id = c->job_trace.id, .parent = c->job_span,
                                              .sampled = c->job_trace.sampled}
                             : (troupe_trace){0});
    uint64_t t0 = c->metrics ? trB_ticks() : 0;
    if (first)
      rc = troupe_wasm_call_at(c->inst, c->job_export, c->job_args, c->job_nargs, res,
                               c->job_nres, &o, &trap, &e);
    else
      rc = troupe_wasm_resume(c->inst, hr, hr ? 1 : 0, res, c->job_nres, &o, &trap, &e);
    if (c->metrics) {
      uint64_t t1 = trB_ticks();
      c->job_ticks += t1 > t0 ? t1 - t0 : 0;
    }
    troupe_trace_set(outer);
    first = false;
    hr = NULL;
    uint64_t spent = troupe_wasm_instance_fuel_spent(c->inst);
    c->job_fuel += spent;
    trP_stat_add(&c->st.fuel, spent);
    if (rc == TROUPE_OK)
      return trP_job_done(c, c->job_nres ? res : NULL, err);
    if (rc == TROUPE_E_TRAP) {
      if (trap.kind == TROUPE_WASM_TRAP_FUEL_EXHAUSTED && lim->fuel_per_message) {
        char t[200];
        snprintf(t, sizeof t, "fuel limit of %llu per message exhausted (function %u, offset 0x%x)",
                 (unsigned long long)lim->fuel_per_message, trap.func_index, trap.code_offset);
        return job_crash(c, TROUPE_E_TRAP, t, err);
      }
      return after_trap(c, &trap, err);
    }
    if (rc != TROUPE_E_SUSPENDED)
      return job_crash(c, rc, e.msg[0] ? e.msg : troupe_strerror(rc), err);
    troupe_wasm_state st = troupe_wasm_instance_state(c->inst);
    if (st != TROUPE_WASM_SUSPENDED_HOST) { /* fuel slice over, or interrupted */
      if (c->job == TRP_JOB_START &&
          troupe_clock_mono_ns() - c->job_started_ns > TROUPE_MS(lim->start_timeout_ms)) {
        troupe_wasm_abort(c->inst);
        char t[96];
        snprintf(t, sizeof t, "did not finish within the start timeout of %u ms",
                 lim->start_timeout_ms);
        return job_crash(c, TROUPE_E_TIMEOUT, t, err);
      }
      keep_input(c);
      return TROUPE_YIELD;
    }
    if (c->wait != TRP_WAIT_NONE) { /* an import of ours waits: it suspended the actor */
      keep_input(c);
      return TROUPE_SUSPEND;
    }
    int w = wasi_wait(c, &hr_buf, err);
    if (w < 0)
      return job_crash(c, w, err->msg, err);
    if (w == 1) {
      hr = &hr_buf;
      continue;
    }
    keep_input(c);
    return TROUPE_SUSPEND;
  }
}
