/*
 * node/scenario_run.c: running a checked scenario. One throwaway host per run -- or,
 * with `manifest:`, the manifest's application started whole as a node (troupe/node.h:
 * no control socket, its records into the kit's logger) whose host the steps then
 * use -- its log caught into the event queue (scenario_events.c); the components
 * spawned in order, then the steps in order, each reported at once as a TAP point --
 * "ok N - name", or
 * "not ok N - name # expected X got Y" with a YAML diagnostic block (message, expected,
 * got, at FILE:LINE:COL, events seen). A failing step does not end the run: later
 * steps still run and report, as in a test runner; steps on a component whose spawn
 * failed are skipped. Every wait is bounded by the step's timeout.
 */
#include "node/scenario.h"

#include "base/base.h"
#include "troupe/base.h"
#include "troupe/codec.h"
#include "troupe/log.h"
#include "troupe/node.h"
#include "troupe/store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct run {
  troupe_scenario *s;
  FILE *out;
  const char *ind; /* "" or the subtest indent */
  pthread_mutex_t out_lock;
  troupe_host *host;   /* the kit's, or the node's; NULL when the manifest did not start */
  troupe_node *node;   /* `manifest:`'s application, or NULL */
  troupe_logger *log;  /* into q */
  troupe_store *store; /* the directory store of ref:, or NULL */
  trN_evq q;
  troupe_component_id *ids; /* per component; 0 = its spawn failed */
  troupe_scenario_summary *sum;
  size_t point;
} run;

/* What a step came to: pass, fail (with what to say), or skip. */
typedef struct outcome {
  bool ok, skip;
  char message[TROUPE_ERR_MSG_MAX + 128];
  char *expected, *got; /* JSON texts, malloc'd, or NULL */
  json_t *events;       /* expect_event failures: what was queued for the component */
} outcome;

static void say(outcome *o, const char *fmt, ...) TROUPE_PRINTF(2, 3);
static void say(outcome *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->message, sizeof o->message, fmt, ap);
  va_end(ap);
}

static void sleep_ms(uint64_t ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts))
    ;
}

/* ---- TAP -------------------------------------------------------------------------------- */
/* A description on one line, '#' escaped (TAP reads "# " as the start of a directive). */
static void put_desc(FILE *f, const char *s, size_t max) {
  for (size_t i = 0; s[i] && i < max; i++) {
    if (s[i] == '#')
      fputs("\\#", f);
    else
      fputc(s[i] == '\n' || s[i] == '\r' ? ' ' : s[i], f);
  }
}

/* A YAML double-quoted scalar (JSON string syntax is one). */
static void put_quoted(FILE *f, const char *s) {
  json_t *j = json_string(s);
  char *t = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
  fputs(t ? t : "\"?\"", f);
  free(t);
  json_decref(j);
}

static void report(run *r, const trN_step *st, const outcome *o) {
  FILE *f = r->out;
  const char *in = r->ind;
  pthread_mutex_lock(&r->out_lock);
  r->point++;
  fprintf(f, "%s%s %zu - ", in, o->ok || o->skip ? "ok" : "not ok", r->point);
  put_desc(f, st->name, 400);
  if (o->skip) {
    fputs(" # SKIP ", f);
    put_desc(f, o->message, 300);
    r->sum->skipped++;
  } else if (o->ok) {
    r->sum->passed++;
  } else {
    r->sum->failed++;
    fputs(" # ", f);
    if (o->expected && o->got) {
      fputs("expected ", f);
      put_desc(f, o->expected, 160);
      fputs(" got ", f);
      put_desc(f, o->got, 160);
    } else {
      put_desc(f, o->message, 300);
    }
  }
  fputc('\n', f);
  if (!o->ok && !o->skip) {
    fprintf(f, "%s  ---\n%s  message: ", in, in);
    put_quoted(f, o->message);
    if (o->expected)
      fprintf(f, "\n%s  expected: %s", in, o->expected);
    if (o->got)
      fprintf(f, "\n%s  got: %s", in, o->got);
    char at[600];
    snprintf(at, sizeof at, "%s:%u:%u", r->s->path, st->line, st->col);
    fprintf(f, "\n%s  at: ", in);
    put_quoted(f, at);
    if (o->events && json_array_size(o->events)) {
      fprintf(f, "\n%s  events:", in);
      size_t i;
      json_t *e;
      json_array_foreach(o->events, i, e) {
        char *t = json_dumps(e, JSON_COMPACT);
        if (t)
          fprintf(f, "\n%s    - %s", in, t);
        free(t);
      }
    }
    fprintf(f, "\n%s  ...\n", in);
  }
  fflush(f);
  pthread_mutex_unlock(&r->out_lock);
}

/* ---- payloads ---------------------------------------------------------------------------- */
static char *dump(const json_t *j) { return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY); }

/* A reply or result as a JSON value: JSON as it is, CBOR transcoded, empty as null.
 * Anything else (Borsh) cannot be matched: NULL, with *text saying what it was. */
static json_t *decode(const uint8_t *p, size_t n, char **text) {
  *text = NULL;
  if (n == 0)
    return json_null();
  troupe_payload pl;
  troupe_err e;
  json_t *j = NULL;
  if (troupe_codec_split(p, n, &pl, &e) == TROUPE_OK) {
    if (pl.codec == TROUPE_CODEC_JSON) {
      j = json_loadb((const char *)pl.data, pl.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    } else if (pl.codec == TROUPE_CODEC_CBOR) {
      char *t = NULL;
      size_t tl = 0;
      if (troupe_cbor_to_json(pl.data, pl.len, 0, &t, &tl, &e) == TROUPE_OK)
        j = json_loadb(t, tl, JSON_DECODE_ANY, NULL);
      free(t);
    }
  }
  if (!j) { /* say what it is, as a JSON string */
    char *hex = trB_malloc(n * 2 + 16);
    if (hex) {
      size_t k = (size_t)snprintf(hex, 16, "bytes:");
      for (size_t i = 0; i < n && i < 512; i++)
        k += (size_t)snprintf(hex + k, 3, "%02x", p[i]);
      json_t *s = json_string(hex);
      *text = s ? dump(s) : NULL;
      json_decref(s);
      free(hex);
    }
  }
  return j;
}

/* The host's error text without the JSON prefix a guest's message carries. */
static void clean_message(const troupe_err *e, char *out, size_t cap) {
  const char *m = troupe_err_message(e);
  size_t k = 0;
  for (size_t i = 0; m[i] && k + 1 < cap; i++) {
    if ((unsigned char)m[i] == 0x80 && m[i + 1] == 0x04) {
      i++;
      continue;
    }
    out[k++] = (unsigned char)m[i] < 0x20 ? ' ' : m[i];
  }
  out[k] = '\0';
}

static const char *code_name(int rc) {
  const char *n = troupe_err_name(rc);
  return strncmp(n, "TROUPE_E_", 9) ? n : n + 9;
}

/* A step that expected an error: did this rc/err give the one it wanted? */
static void check_error(const trN_step *st, int rc, const troupe_err *e, outcome *o) {
  char msg[TROUPE_ERR_MSG_MAX];
  clean_message(e, msg, sizeof msg);
  if (rc == TROUPE_OK) {
    say(o, "expected an error%s%s, but it succeeded", st->error_code ? " " : "",
        st->error_code ? code_name(st->error_code) : "");
    return;
  }
  if (st->error_code && rc != st->error_code) {
    say(o, "expected error %s, got %s: %s", code_name(st->error_code), code_name(rc), msg);
    return;
  }
  if (st->error_message && !strstr(msg, st->error_message)) {
    say(o, "error %s: the message does not contain \"%s\": %s", code_name(rc),
        st->error_message, msg);
    return;
  }
  o->ok = true;
}

static void check_failed(const char *what, int rc, const troupe_err *e, outcome *o) {
  char msg[TROUPE_ERR_MSG_MAX];
  clean_message(e, msg, sizeof msg);
  say(o, "%s failed: %s: %s", what, code_name(rc), msg);
}

/* ---- the steps ---------------------------------------------------------------------------- */
static void do_spawn(run *r, const trN_step *st, outcome *o) {
  const trN_comp *m = &r->s->comps[st->comp];
  troupe_component_spec spec = {
      .name = m->name, .module = m->ref, .limits = m->limits, .argc = m->argc,
      .argv = (const char *const *)m->argv, .envc = m->envc, .env = (const char *const *)m->env,
      .restart = m->restart, .shutdown_ms = m->shutdown_ms,
      .health_interval_ms = m->health_interval_ms, .health_threshold = m->health_threshold};
  troupe_pattern_list *lists[5] = {&spec.caps.send_to, &spec.caps.accept_from, &spec.caps.publish,
                                   &spec.caps.subscribe, &spec.caps.spawn};
  for (int i = 0; i < 5; i++)
    if (m->has_caps[i])
      *lists[i] = (troupe_pattern_list){(const char *const *)m->caps[i], m->ncaps[i]};
  uint8_t *bytes = NULL;
  troupe_err e;
  troupe_err_clear(&e);
  if (m->ref && r->node) {
    /* the node's host knows the node's store, not the kit's: the kit reads the module */
    troupe_module_blob blob = {0};
    int rc = troupe_store_get(r->store, m->ref, &blob, &e);
    if (rc) {
      check_failed("spawn", rc, &e, o);
      return;
    }
    free(blob.name);
    free(blob.version);
    spec.module = NULL;
    spec.module_bytes = bytes = blob.bytes;
    spec.module_len = blob.len;
  } else if (m->path) {
    FILE *f = fopen(m->path, "rb");
    long len = -1;
    if (f && !fseek(f, 0, SEEK_END) && (len = ftell(f)) >= 0 && !fseek(f, 0, SEEK_SET) &&
        (bytes = trB_malloc(len ? (size_t)len : 1)) && fread(bytes, 1, (size_t)len, f) == (size_t)len) {
      spec.module_bytes = bytes;
      spec.module_len = (size_t)len;
    } else {
      say(o, "cannot read module '%s'", m->path);
    }
    if (f)
      fclose(f);
    if (!spec.module_bytes) {
      free(bytes);
      return;
    }
  }
  int rc = troupe_host_spawn(r->host, &spec, &r->ids[st->comp], &e);
  free(bytes);
  if (rc) {
    r->ids[st->comp] = 0;
    check_failed("spawn", rc, &e, o);
    return;
  }
  o->ok = true;
}

/* `manifest:`: start the whole application as `troupe run` would, minus the control
 * socket, and find its components by name. */
static void do_start(run *r, outcome *o) {
  troupe_node_options opts = {.logger = r->log, .no_control = true, .workers = r->s->cfg.workers};
  troupe_err e;
  troupe_err_clear(&e);
  int rc = troupe_node_start(r->s->manifest, &opts, &r->node, &e);
  if (rc) {
    r->node = NULL;
    check_failed("start", rc, &e, o);
    return;
  }
  r->host = troupe_node_host(r->node);
  for (size_t k = 0; k < r->s->ncomps; k++)
    if (r->s->comps[k].in_manifest && troupe_host_lookup(r->host, r->s->comps[k].name, &r->ids[k]))
      r->ids[k] = 0;
  o->ok = true;
}

/* Wait (to the deadline) until the component is Ready: an invoke right after a crash
 * finds the next incarnation instead of NOT_READY. */
static void wait_ready(run *r, troupe_component_id id, uint64_t deadline) {
  for (;;) {
    troupe_component_info info;
    if (troupe_host_info(r->host, id, &info, NULL))
      return;
    troupe_component_state s = info.state;
    troupe_component_info_clear(&info);
    if (s == TROUPE_COMPONENT_READY || s == TROUPE_COMPONENT_TERMINATED ||
        troupe_clock_mono_ns() >= deadline)
      return;
    sleep_ms(2);
  }
}

/* The mismatch of a reply with what the step expects, into o (replacing an earlier one). */
static void mismatch(const trN_step *st, json_t *got, char *raw, const char *where, outcome *o) {
  say(o, "%s %s: %s", st->kind == TRN_ASK ? "the reply" : "the result",
      st->subset ? "does not contain what was expected" : "differs",
      got ? where : "it is not JSON or CBOR");
  free(o->expected);
  free(o->got);
  o->expected = dump(st->expect);
  o->got = got ? dump(got) : raw;
  if (got)
    free(raw);
}

/* ask and invoke: call, compare, and with `eventually` call again until it matches. When
 * the time runs out, the last reply that came is what the failure shows (a last call cut
 * short by the deadline does not hide it). */
static void do_call(run *r, const trN_step *st, outcome *o) {
  troupe_component_id id = r->ids[st->comp];
  uint64_t deadline = troupe_clock_mono_ns() + (uint64_t)st->timeout_ms * 1000000u;
  bool replied = false; /* o holds the mismatch of an earlier reply */
  for (;;) {
    uint64_t now = troupe_clock_mono_ns();
    uint64_t left = deadline > now ? deadline - now : 1000000u;
    uint8_t *out = NULL;
    size_t len = 0;
    troupe_err e;
    troupe_err_clear(&e);
    int rc;
    if (st->kind == TRN_ASK) {
      rc = troupe_host_ask(r->host, id, st->tag, st->payload, st->payload_len, left, &out, &len, &e);
    } else {
      wait_ready(r, id, deadline);
      now = troupe_clock_mono_ns();
      left = deadline > now ? deadline - now : 1000000u;
      rc = troupe_host_invoke(r->host, id, st->fn, st->payload, st->payload_len, left, &out, &len,
                              &e);
    }
    bool again = st->eventually && troupe_clock_mono_ns() + 10000000u < deadline;
    if (st->want_error) {
      free(out);
      check_error(st, rc, &e, o);
      return;
    }
    if (rc) {
      free(out);
      if (again) {
        sleep_ms(10);
        continue;
      }
      if (!replied)
        check_failed(st->kind == TRN_ASK ? "ask" : "invoke", rc, &e, o);
      return;
    }
    char *raw = NULL;
    json_t *got = decode(out, len, &raw);
    free(out);
    char where[300];
    if (!st->expect || (got && trN_json_match(st->expect, got, st->subset, where, sizeof where))) {
      free(o->expected);
      free(o->got);
      o->expected = o->got = NULL;
      o->ok = true;
      json_decref(got);
      free(raw);
      return;
    }
    mismatch(st, got, raw, where, o);
    json_decref(got);
    replied = true;
    if (!again)
      return;
    sleep_ms(10);
  }
}

static void do_send(run *r, const trN_step *st, outcome *o) {
  troupe_err e;
  troupe_err_clear(&e);
  int rc = st->kind == TRN_SEND
               ? troupe_host_send(r->host, r->ids[st->comp], st->tag, st->payload, st->payload_len, &e)
               : troupe_host_publish(r->host, st->subject, st->payload, st->payload_len, &e);
  if (st->want_error)
    check_error(st, rc, &e, o);
  else if (rc)
    check_failed(st->kind == TRN_SEND ? "send" : "publish", rc, &e, o);
  else
    o->ok = true;
}

static void do_expect_event(run *r, const trN_step *st, outcome *o) {
  uint64_t deadline = troupe_clock_mono_ns() + (uint64_t)st->timeout_ms * 1000000u;
  json_t *ev = trN_evq_take(&r->q, r->s, st, deadline);
  if (ev) {
    json_decref(ev);
    o->ok = true;
    return;
  }
  /* What was there instead: the last few events of that component not yet taken. */
  pthread_mutex_lock(&r->q.lock);
  uint64_t dropped = r->q.dropped;
  json_t *seen = json_array();
  for (size_t i = r->q.n; seen && i-- > 0 && json_array_size(seen) < 8;) {
    json_t *e = r->q.v[(r->q.head + i) % TRN_EV_MAX];
    const char *name = json_string_value(json_object_get(e, "name"));
    if (st->any_comp || (name && !strcmp(name, r->s->comps[st->comp].name)))
      json_array_insert(seen, 0, e);
  }
  pthread_mutex_unlock(&r->q.lock);
  o->events = seen;
  say(o, "no %s event%s%s within %u ms%s", trN_event_kind_name(st->event),
      st->any_comp ? "" : " of ", st->any_comp ? "" : r->s->comps[st->comp].name, st->timeout_ms,
      dropped ? " (the event queue overflowed: older events were dropped)" : "");
  if (st->fields && json_object_size(st->fields)) {
    o->expected = dump(st->fields);
  }
}

/* Nothing matching may come for the whole timeout (what came before counts too). */
static void do_expect_no_event(run *r, const trN_step *st, outcome *o) {
  uint64_t deadline = troupe_clock_mono_ns() + (uint64_t)st->timeout_ms * 1000000u;
  json_t *ev = trN_evq_take(&r->q, r->s, st, deadline);
  if (!ev) {
    o->ok = true;
    return;
  }
  say(o, "an unexpected %s event%s%s", trN_event_kind_name(st->event), st->any_comp ? "" : " of ",
      st->any_comp ? "" : r->s->comps[st->comp].name);
  o->got = dump(ev);
  json_decref(ev);
}

static void do_step(run *r, const trN_step *st, outcome *o) {
  if (!r->host && st->kind != TRN_START && st->kind != TRN_SLEEP) {
    o->skip = true;
    say(o, "the manifest did not start");
    return;
  }
  if (st->kind != TRN_START && st->kind != TRN_PUBLISH && st->kind != TRN_SLEEP && st->kind != TRN_SPAWN && !st->any_comp &&
      !r->ids[st->comp]) {
    o->skip = true;
    say(o, "%s did not start", r->s->comps[st->comp].name);
    return;
  }
  switch (st->kind) {
  case TRN_START: do_start(r, o); break;
  case TRN_SPAWN: do_spawn(r, st, o); break;
  case TRN_SEND:
  case TRN_PUBLISH: do_send(r, st, o); break;
  case TRN_ASK:
  case TRN_INVOKE: do_call(r, st, o); break;
  case TRN_SLEEP:
    sleep_ms(st->sleep_ms);
    o->ok = true;
    break;
  case TRN_EXPECT_EVENT: do_expect_event(r, st, o); break;
  case TRN_EXPECT_NO_EVENT: do_expect_no_event(r, st, o); break;
  }
}

/* ---- the run ------------------------------------------------------------------------------- */
int troupe_scenario_run(troupe_scenario *s, FILE *out, int level, troupe_scenario_summary *sum,
                        troupe_err *err) {
  troupe_scenario_summary local;
  if (!sum)
    sum = &local;
  memset(sum, 0, sizeof *sum);
  if (!s || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "scenario: NULL argument");
  run r = {.s = s, .out = out, .ind = level > 0 ? "    " : "", .sum = sum};
  sum->planned = s->nsteps;
  trN_watch w = {0};
  int rc;
  pthread_mutex_init(&r.out_lock, NULL);
  if ((rc = trN_evq_init(&r.q))) {
    pthread_mutex_destroy(&r.out_lock);
    return troupe_err_set(err, rc, "scenario: out of memory");
  }
  if (s->cfg.verbose) {
    r.q.verbose = out;
    r.q.out_lock = &r.out_lock;
    r.q.indent = r.ind;
  }
  r.ids = trB_calloc(s->ncomps + 1, sizeof *r.ids);
  w.names = trB_calloc(s->ncomps + 1, sizeof *w.names);
  w.last = trB_calloc(s->ncomps + 1, sizeof *w.last);
  troupe_component_id *watched = trB_calloc(s->ncomps + 1, sizeof *watched);
  r.log = troupe_logger_callback(trN_evq_log, &r.q, TROUPE_LOG_DEBUG);
  if (!r.ids || !w.names || !w.last || !watched || !r.log) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "scenario: out of memory");
    goto out;
  }
  w.ids = watched;
  if (s->store_dir && (rc = troupe_store_dir_new(s->store_dir, &r.store, err)))
    goto out;
  if (!s->manifest) { /* else the manifest's node makes the host, as the first point */
    troupe_host_config hc;
    troupe_host_config_init(&hc);
    hc.workers = s->cfg.workers;
    hc.store = r.store;
    hc.log = r.log;
    hc.supervisor = s->sup;
    if ((rc = troupe_host_new(&hc, &r.host, err)))
      goto out;
  }
  if (level > 0)
    fprintf(out, "%s# Subtest: %s\n", r.ind, s->name);
  else
    fputs("TAP version 13\n", out);
  fprintf(out, "%s1..%zu\n", r.ind, s->nsteps);
  fflush(out);
  bool watching = false;
  for (size_t i = 0; i < s->nsteps; i++) {
    const trN_step *st = &s->steps[i];
    if (st->kind != TRN_START && st->kind != TRN_SPAWN && !watching) {
      /* the setup is done: watch the health of the components that have checks */
      for (size_t k = 0; k < s->ncomps; k++)
        if (r.ids[k] && s->comps[k].health_interval_ms) {
          watched[w.n] = r.ids[k];
          w.names[w.n++] = s->comps[k].name;
        }
      w.host = r.host;
      w.q = &r.q;
      trN_watch_start(&w);
      watching = true;
    }
    outcome o = {0};
    do_step(&r, st, &o);
    report(&r, st, &o);
    free(o.expected);
    free(o.got);
    json_decref(o.events);
  }
  trN_watch_stop(&w);
  if (r.node)
    troupe_node_stop(r.node); /* the tree in reverse start order, then its host */
  else if (!s->manifest)
    troupe_host_free(r.host);
  fprintf(out, "%s# %zu passed, %zu failed, %zu skipped of %zu\n", r.ind, sum->passed,
          sum->failed, sum->skipped, sum->planned);
  fflush(out);
  rc = TROUPE_OK;
out:
  troupe_logger_free(r.log);
  troupe_store_free(r.store);
  trN_evq_destroy(&r.q);
  pthread_mutex_destroy(&r.out_lock);
  free(r.ids);
  free(w.names);
  free(w.last);
  free(watched);
  return rc;
}
