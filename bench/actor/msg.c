/*
 * msg.c: the message-passing rows (ping-pong, ask, ring, fan-in, many-to-many).
 * Ping-pong and ask time every round trip inside the initiating actor (one monotonic
 * clock read per round trip, as the Erlang side does with erlang:monotonic_time/0);
 * the other rows time a whole run from the first send to the actor that sees the last
 * message. Each row: a warm-up run, then cfg->reps runs; latencies pool all runs'
 * samples, rates take the median run (and the best, as a `_best` row for some).
 */
#include "bench.h"

#include <stdlib.h>
#include <string.h>

enum { TAG_GO = 1, TAG_PING = 2 };

/* ---- ping-pong and ask: one initiator, one echo --------------------------------- */
typedef struct rtt_run {
  troupe_actor_id peer;
  bool use_ask;
  uint32_t n, i;
  uint64_t t;
  double *samples; /* n, in microseconds */
  _Atomic int done;
} rtt_run;

static int echo_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  troupe_runtime *rt = troupe_actor_runtime(self);
  if (m->kind == TROUPE_MSG_ASK)
    troupe_reply(rt, troupe_self(self), m->corr, m->data, m->len);
  else if (m->kind == TROUPE_MSG_USER && m->from)
    troupe_send(rt, troupe_self(self), m->from, m->data, m->len);
  return TROUPE_CONTINUE;
}
static const troupe_behaviour echo_b = {.name = "bench-echo", .handle = echo_handle};

static int rtt_fire(troupe_actor *self, rtt_run *r, troupe_err *err) {
  uint64_t payload = r->i;
  if (!r->use_ask)
    return troupe_send(troupe_actor_runtime(self), troupe_self(self), r->peer, &payload,
                       sizeof payload);
  uint64_t corr;
  return troupe_ask_async(self, r->peer, TAG_PING, &payload, sizeof payload, TROUPE_SEC(10),
                          &corr, err);
}

static int rtt_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  rtt_run *r = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER && m->tag == TAG_GO && !m->from) {
    r->i = 0;
    r->t = troupe_clock_mono_ns();
    return rtt_fire(self, r, err);
  }
  if (m->kind == TROUPE_MSG_ASK_FAILED)
    return troupe_err_set(err, m->status, "ask failed");
  if (m->kind != TROUPE_MSG_USER && m->kind != TROUPE_MSG_REPLY)
    return TROUPE_CONTINUE;
  uint64_t now = troupe_clock_mono_ns();
  r->samples[r->i++] = (double)(now - r->t) / 1e3;
  r->t = now;
  if (r->i < r->n)
    return rtt_fire(self, r, err);
  atomic_store_explicit(&r->done, 1, memory_order_release); /* samples visible to main */
  return TROUPE_CONTINUE;
}
static const troupe_behaviour rtt_b = {.name = "bench-rtt", .handle = rtt_handle};

static bool rtt_once(troupe_runtime *rt, troupe_actor_id init, rtt_run *r, uint32_t n) {
  r->n = n;
  atomic_store_explicit(&r->done, 0, memory_order_relaxed);
  troupe_send_args a = {.to = init, .tag = TAG_GO};
  if (troupe_send_ex(rt, &a))
    return false;
  return bab_wait_flag(&r->done, 60);
}

static void rtt_rows(const bab_cfg *cfg, bool use_ask, const char *row, const char *p99row) {
  troupe_runtime *rt = bab_runtime();
  rtt_run r = {.use_ask = use_ask};
  size_t total = (size_t)cfg->rtt_n * (size_t)cfg->reps;
  double *all = malloc(total * sizeof *all);
  r.samples = malloc(cfg->rtt_n * sizeof *r.samples);
  if (!all || !r.samples)
    bab_die("malloc", TROUPE_E_NOMEM, NULL);
  r.peer = bab_spawn(rt, NULL, &echo_b, NULL, NULL);
  troupe_actor_id init = bab_spawn(rt, NULL, &rtt_b, &r, NULL);
  bool ok = rtt_once(rt, init, &r, cfg->rtt_n / 4 ? cfg->rtt_n / 4 : 1); /* warm-up */
  size_t k = 0;
  for (int rep = 0; ok && rep < cfg->reps; rep++) {
    ok = rtt_once(rt, init, &r, cfg->rtt_n);
    memcpy(all + k, r.samples, cfg->rtt_n * sizeof *all);
    k += cfg->rtt_n;
  }
  if (ok) {
    bab_emit(cfg, row, "us", bab_median(all, k));
    bab_emit(cfg, p99row, "us", bab_percentile(all, k, 0.99));
  } else {
    fprintf(stderr, "troupe-bench-actor: %s: a run did not finish in 60 s\n", row);
  }
  bab_stats(rt, row);
  troupe_runtime_free(rt);
  free(all);
  free(r.samples);
}

void bab_pingpong(const bab_cfg *cfg) {
  rtt_rows(cfg, false, "pingpong_rtt_us", "pingpong_rtt_p99_us");
}

/* Blocking troupe_ask from a non-actor thread (the embedder's path): no Erlang twin. */
static void ask_external(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  troupe_actor_id peer = bab_spawn(rt, NULL, &echo_b, NULL, NULL);
  uint32_t n = cfg->rtt_n / 10 ? cfg->rtt_n / 10 : 1;
  double *s = malloc(n * sizeof *s);
  if (!s)
    bab_die("malloc", TROUPE_E_NOMEM, NULL);
  for (int rep = -1; rep < 1; rep++) { /* one warm-up pass */
    for (uint32_t i = 0; i < n; i++) {
      troupe_reply_msg reply;
      troupe_err err = {0};
      uint64_t t0 = troupe_clock_mono_ns();
      int st = troupe_ask(rt, peer, TAG_PING, &i, sizeof i, TROUPE_SEC(10), &reply, &err);
      if (st)
        bab_die("troupe_ask", st, &err);
      s[i] = (double)(troupe_clock_mono_ns() - t0) / 1e3;
      troupe_reply_free(&reply);
    }
  }
  bab_emit(cfg, "ask_external_rtt_us", "us", bab_median(s, n));
  free(s);
  bab_stats(rt, "ask_external");
  troupe_runtime_free(rt);
}

void bab_ask(const bab_cfg *cfg) {
  rtt_rows(cfg, true, "ask_rtt_us", "ask_rtt_p99_us");
  ask_external(cfg);
}

/* ---- ring: one token, `hops` forwards around ring_n actors ------------------------ */
typedef struct ring_ctl {
  uint64_t t_end;
  _Atomic int done;
} ring_ctl;

typedef struct ring_node {
  troupe_actor_id next;
  ring_ctl *ctl;
} ring_node;

static int ring_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  ring_node *nd = troupe_actor_state(self);
  uint64_t left;
  if (m->kind != TROUPE_MSG_USER || m->len != sizeof left)
    return TROUPE_CONTINUE;
  memcpy(&left, m->data, sizeof left);
  if (!left) {
    nd->ctl->t_end = troupe_clock_mono_ns();
    atomic_store_explicit(&nd->ctl->done, 1, memory_order_release); /* publishes t_end */
    return TROUPE_CONTINUE;
  }
  left--;
  return troupe_send(troupe_actor_runtime(self), troupe_self(self), nd->next, &left, sizeof left);
}
static const troupe_behaviour ring_b = {.name = "bench-ring", .handle = ring_handle};

static double ring_once(troupe_runtime *rt, ring_ctl *ctl, troupe_actor_id first, uint64_t hops) {
  atomic_store_explicit(&ctl->done, 0, memory_order_relaxed);
  uint64_t t0 = troupe_clock_mono_ns();
  if (troupe_send(rt, 0, first, &hops, sizeof hops) || !bab_wait_flag(&ctl->done, 120))
    return -1;
  return (double)hops / ((double)(ctl->t_end - t0) / 1e9);
}

void bab_ring(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  ring_ctl ctl = {0};
  ring_node *nodes = calloc(cfg->ring_n, sizeof *nodes);
  troupe_actor_id *ids = calloc(cfg->ring_n, sizeof *ids);
  double *rates = calloc((size_t)cfg->reps, sizeof *rates);
  if (!nodes || !ids || !rates)
    bab_die("calloc", TROUPE_E_NOMEM, NULL);
  for (uint32_t i = 0; i < cfg->ring_n; i++) {
    nodes[i].ctl = &ctl;
    ids[i] = bab_spawn(rt, NULL, &ring_b, &nodes[i], NULL);
  }
  /* Written before the first send: the mailbox hand-off orders it before any read. */
  for (uint32_t i = 0; i < cfg->ring_n; i++)
    nodes[i].next = ids[(i + 1) % cfg->ring_n];
  bool ok = ring_once(rt, &ctl, ids[0], cfg->ring_hops / 4) > 0; /* warm-up */
  for (int rep = 0; ok && rep < cfg->reps; rep++)
    ok = (rates[rep] = ring_once(rt, &ctl, ids[0], cfg->ring_hops)) > 0;
  if (ok) {
    bab_emit(cfg, "ring_msgs_per_s", "msgs/s", bab_median(rates, (size_t)cfg->reps));
    bab_emit(cfg, "ring_best_msgs_per_s", "msgs/s", bab_percentile(rates, (size_t)cfg->reps, 1));
  }
  else
    fprintf(stderr, "troupe-bench-actor: ring: a run did not finish\n");
  bab_stats(rt, "ring");
  troupe_runtime_free(rt);
  free(nodes);
  free(ids);
  free(rates);
}

/* ---- fan-in: 8 senders, 1 receiver ----------------------------------------------- */
enum { FANIN_SENDERS = 8, FANIN_CHUNK = 256 };

typedef struct fanin_ctl {
  troupe_actor_id sink;
  uint64_t per, expected, got, t_end;
  _Atomic int done;
} fanin_ctl;

typedef struct fanin_sender {
  fanin_ctl *ctl;
  uint64_t left;
} fanin_sender;

static int sink_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  fanin_ctl *c = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER && ++c->got == c->expected) {
    c->t_end = troupe_clock_mono_ns();
    atomic_store_explicit(&c->done, 1, memory_order_release); /* publishes t_end */
  }
  return TROUPE_CONTINUE;
}
static const troupe_behaviour sink_b = {.name = "bench-sink", .handle = sink_handle};

/* Sends a chunk per turn and yields, so 8 senders and the sink share 2 workers the way
 * Erlang's reduction budget makes its senders share schedulers. */
static int sender_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  (void)err;
  fanin_sender *s = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER)
    s->left = s->ctl->per;
  else if (m->kind != TROUPE_MSG_RESUME)
    return TROUPE_CONTINUE;
  troupe_runtime *rt = troupe_actor_runtime(self);
  troupe_actor_id me = troupe_self(self);
  for (int i = 0; i < FANIN_CHUNK && s->left; i++, s->left--) {
    int st = troupe_send(rt, me, s->ctl->sink, &s->left, sizeof s->left);
    if (st)
      return troupe_err_set(err, st, "fan-in send");
  }
  return s->left ? TROUPE_YIELD : TROUPE_CONTINUE;
}
static const troupe_behaviour sender_b = {.name = "bench-sender", .handle = sender_handle};

static double fanin_once(troupe_runtime *rt, fanin_ctl *c, const troupe_actor_id *snd,
                         uint64_t per) {
  c->per = per;
  c->got = 0;
  c->expected = per * FANIN_SENDERS;
  atomic_store_explicit(&c->done, 0, memory_order_relaxed);
  uint64_t t0 = troupe_clock_mono_ns();
  for (int i = 0; i < FANIN_SENDERS; i++)
    if (troupe_send(rt, 0, snd[i], NULL, 0))
      return -1;
  if (!bab_wait_flag(&c->done, 120))
    return -1;
  return (double)c->expected / ((double)(c->t_end - t0) / 1e9);
}

void bab_fanin(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  fanin_ctl c = {0};
  fanin_sender s[FANIN_SENDERS];
  troupe_actor_id ids[FANIN_SENDERS];
  double *rates = calloc((size_t)cfg->reps, sizeof *rates);
  if (!rates)
    bab_die("calloc", TROUPE_E_NOMEM, NULL);
  c.sink = bab_spawn(rt, NULL, &sink_b, &c, NULL);
  for (int i = 0; i < FANIN_SENDERS; i++) {
    s[i] = (fanin_sender){.ctl = &c};
    ids[i] = bab_spawn(rt, NULL, &sender_b, &s[i], NULL);
  }
  bool ok = fanin_once(rt, &c, ids, cfg->fanin_per / 4) > 0; /* warm-up */
  for (int rep = 0; ok && rep < cfg->reps; rep++)
    ok = (rates[rep] = fanin_once(rt, &c, ids, cfg->fanin_per)) > 0;
  if (ok) {
    bab_emit(cfg, "fanin_msgs_per_s", "msgs/s", bab_median(rates, (size_t)cfg->reps));
    bab_emit(cfg, "fanin_best_msgs_per_s", "msgs/s", bab_percentile(rates, (size_t)cfg->reps, 1));
  }
  else
    fprintf(stderr, "troupe-bench-actor: fan-in: a run did not finish\n");
  bab_stats(rt, "fanin");
  troupe_runtime_free(rt);
  free(rates);
}

/* ---- many-to-many: 1,000 actors, each sends one message to every actor --------- */
enum { M2M_N = 1000, M2M_CHUNK = 256 };

typedef struct m2m_ctl {
  troupe_actor_id ids[M2M_N];
  uint64_t t_end;
  _Atomic uint32_t finished;
  _Atomic int done;
} m2m_ctl;

typedef struct m2m_actor {
  m2m_ctl *c;
  uint32_t idx, sent, got;
} m2m_actor;

static int m2m_handle(troupe_actor *self, const troupe_message *m, troupe_err *err) {
  m2m_actor *s = troupe_actor_state(self);
  if (m->kind == TROUPE_MSG_USER && m->from) {
    if (++s->got == M2M_N &&
        /* acq_rel: the last finisher stamps t_end after every other one is done */
        atomic_fetch_add_explicit(&s->c->finished, 1, memory_order_acq_rel) + 1 == M2M_N) {
      s->c->t_end = troupe_clock_mono_ns();
      atomic_store_explicit(&s->c->done, 1, memory_order_release); /* publishes t_end */
    }
    return TROUPE_CONTINUE;
  }
  if (m->kind != TROUPE_MSG_USER && m->kind != TROUPE_MSG_RESUME)
    return TROUPE_CONTINUE;
  troupe_runtime *rt = troupe_actor_runtime(self);
  troupe_actor_id me = troupe_self(self);
  for (int i = 0; i < M2M_CHUNK && s->sent < M2M_N; i++, s->sent++) {
    int st = troupe_send(rt, me, s->c->ids[(s->idx + 1 + s->sent) % M2M_N], &s->sent,
                         sizeof s->sent);
    if (st)
      return troupe_err_set(err, st, "many-to-many send");
  }
  return s->sent < M2M_N ? TROUPE_YIELD : TROUPE_CONTINUE;
}
static const troupe_behaviour m2m_b = {.name = "bench-m2m", .handle = m2m_handle};

static double m2m_once(troupe_runtime *rt, m2m_ctl *c, m2m_actor *a) {
  for (int i = 0; i < M2M_N; i++) /* the actors are idle: the start sends publish this */
    a[i].sent = a[i].got = 0;
  atomic_store_explicit(&c->finished, 0, memory_order_relaxed);
  atomic_store_explicit(&c->done, 0, memory_order_relaxed);
  uint64_t t0 = troupe_clock_mono_ns();
  for (int i = 0; i < M2M_N; i++)
    if (troupe_send(rt, 0, c->ids[i], NULL, 0))
      return -1;
  if (!bab_wait_flag(&c->done, 120))
    return -1;
  return (double)M2M_N * M2M_N / ((double)(c->t_end - t0) / 1e9);
}

void bab_m2m(const bab_cfg *cfg) {
  troupe_runtime *rt = bab_runtime();
  m2m_ctl *c = calloc(1, sizeof *c);
  m2m_actor *a = calloc(M2M_N, sizeof *a);
  double *rates = calloc((size_t)cfg->reps, sizeof *rates);
  if (!c || !a || !rates)
    bab_die("calloc", TROUPE_E_NOMEM, NULL);
  for (uint32_t i = 0; i < M2M_N; i++) {
    a[i] = (m2m_actor){.c = c, .idx = i};
    c->ids[i] = bab_spawn(rt, NULL, &m2m_b, &a[i], NULL);
  }
  bool ok = m2m_once(rt, c, a) > 0; /* warm-up */
  for (int rep = 0; ok && rep < cfg->reps; rep++)
    ok = (rates[rep] = m2m_once(rt, c, a)) > 0;
  if (ok)
    bab_emit(cfg, "m2m_msgs_per_s", "msgs/s", bab_median(rates, (size_t)cfg->reps));
  else
    fprintf(stderr, "troupe-bench-actor: many-to-many: a run did not finish\n");
  bab_stats(rt, "m2m");
  troupe_runtime_free(rt);
  free(c);
  free(a);
  free(rates);
}
