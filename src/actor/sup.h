/*
 * actor/sup.h: private header of the supervision files (sup*.c); the rest of the layer
 * sees only include/troupe/supervisor.h. A supervisor's whole state (trA_sup) belongs to
 * the supervisor actor and is touched only from its callbacks, so nothing here is
 * atomic except the start waiter shared with the embedder thread in troupe_sup_start.
 * Files: sup.c (the actor and its job engine), sup_spec.c (specs, child records, maps),
 * sup_restart.c (intensity ring, restart decisions, strategies), sup_health.c, sup_api.c.
 */
#ifndef TROUPE_SRC_ACTOR_SUP_H
#define TROUPE_SRC_ACTOR_SUP_H

#include "actor/actor.h"
#include "troupe/supervisor.h"

/* ---- u64 -> pointer map: open addressing, linear probing, backward-shift delete ---- */
typedef struct trA_supmap {
  uint64_t *keys; /* 0 = empty (actor ids and corrs are never 0) */
  void **vals;
  size_t cap, n;  /* cap is a power of two (or 0) */
} trA_supmap;

void *trA_supmap_get(const trA_supmap *m, uint64_t key);
int trA_supmap_put(trA_supmap *m, uint64_t key, void *val); /* NOMEM */
void *trA_supmap_del(trA_supmap *m, uint64_t key);
int trA_supmap_reserve(trA_supmap *m, size_t n);
void trA_supmap_free(trA_supmap *m);

/* ---- child records ---------------------------------------------------------------- */
enum {
  TRA_CH_DOWN = 0,     /* spec kept, no process */
  TRA_CH_STARTING = 1, /* spawned, waiting for its start ack */
  TRA_CH_RUNNING = 2,
  TRA_CH_STOPPING = 3, /* shutdown sent, waiting for its EXIT */
  TRA_CH_DELAYED = 4,  /* backoff: a restart is scheduled */
};

/* One child. Records are never returned to malloc while the supervisor lives: freed ones
 * go to a free list and get a new `serial`, so a timer message naming (record, serial)
 * can be validated without a lookup. */
typedef struct trA_sup_child {
  troupe_child_spec spec;  /* spec.id points to id below (or the template's) */
  char *id;                /* owned; NULL for dynamic children */
  void *extra;             /* simple_one_for_one start argument (owned) */
  size_t extra_len;
  troupe_actor_id pid;     /* current process, 0 when none */
  uint64_t serial;         /* changes when the record is recycled */
  uint32_t gen;            /* incarnation: bumped at every start */
  uint8_t state;           /* TRA_CH_* */
  bool removed;            /* spec gone; recycled when the current job ends */
  uint32_t pos;            /* index in sup->kids */
  uint32_t restarts;       /* times restarted (shown in the registry) */
  uint64_t started_ns;
  uint32_t backoff_level;
  troupe_timer *kill_timer;/* pending shutdown -> kill escalation */
  /* health */
  uint64_t health_corr;    /* in-flight check, 0 = none */
  uint32_t unhealthy_run;
  troupe_health health;
  struct trA_sup_child *next_free;
} trA_sup_child;

/* ---- deferred work: what arrives while the supervisor is busy with a job ---------- */
enum {
  TRA_OP_EXIT = 1,    /* a child exited (child, gen, reason) */
  TRA_OP_PARENT = 2,  /* EXIT from the parent: shut down with that reason */
  TRA_OP_REQ = 3,     /* an API request (req, corr) */
  TRA_OP_RETRY = 4,   /* re-queued restart attempt of child (counts toward intensity) */
  TRA_OP_DELAYED = 5, /* backoff expired: start child (already counted) */
  TRA_OP_UNHEALTHY = 6,/* health threshold reached for child incarnation gen */
  TRA_OP_HEALTH = 7,  /* tick only (never queued): time for a health check */
  TRA_OP_INIT = 8,    /* tick only: start the children (sent by init to itself) */
};

/* Payload of a TROUPE_SUP_TAG_TICK message the supervisor sends itself (send_after). */
typedef struct trA_sup_tick {
  int op;
  uint32_t gen;
  struct trA_sup_child *child;
  uint64_t serial;
} trA_sup_tick;

typedef struct trA_sup_op {
  struct trA_sup_op *next;
  int kind;
  trA_sup_child *child;
  uint64_t serial;
  uint32_t gen;
  troupe_exit_kind rkind;
  int rcode;
  char *rmsg;              /* owned */
  struct trA_sup_req *req;
  uint64_t corr;
} trA_sup_op;

/* ---- the job engine: stop a list (in its order), then start a list (in its order) -- */
enum {
  TRA_JOB_NONE = 0,
  TRA_JOB_INIT,      /* initial start of all children */
  TRA_JOB_RESTART,   /* strategy restart after a child exit */
  TRA_JOB_SHUTDOWN,  /* stop everything then exit with reason */
  TRA_JOB_ROLLBACK,  /* initial start failed: stop the started, then exit */
  TRA_JOB_REQ,       /* an API request that starts or stops a child */
  TRA_JOB_UNHEALTHY, /* stop the child, then treat it as crashed */
};

typedef struct trA_sup_job {
  int kind;
  trA_sup_child **stop;   /* stop[0..nstop): stopped in this order */
  size_t nstop, istop, capstop;
  trA_sup_child **start;  /* start[0..nstart): started in this order */
  size_t nstart, istart, capstart;
  trA_sup_child *await;   /* waiting for its ack (STARTING) or its EXIT (STOPPING) */
  size_t async_left;      /* simple_one_for_one: EXITs still expected */
  bool async;             /* stop all at once (simple_one_for_one) */
  trA_sup_child *failed;  /* restart attempt that failed: retried after the job */
  trA_sup_child *subject; /* UNHEALTHY: the child; REQ: the child concerned */
  uint32_t subject_gen;
  troupe_exit_kind rkind; /* SHUTDOWN / ROLLBACK exit reason, UNHEALTHY crash reason */
  int rcode;
  char *rmsg;
  struct trA_sup_req *req;
  uint64_t corr;
  troupe_err err;         /* start failure text */
} trA_sup_job;

/* ---- API requests (sup_api.c): carried by pointer in an ASK, answered by reply ----- */
enum {
  TRA_REQ_START_CHILD = 1, TRA_REQ_START_DYNAMIC, TRA_REQ_TERMINATE, TRA_REQ_RESTART,
  TRA_REQ_DELETE, TRA_REQ_WHICH, TRA_REQ_COUNT,
};

typedef struct trA_sup_req {
  int kind;
  troupe_child_spec spec;    /* START_CHILD (id borrowed from the caller, who waits) */
  const char *id;            /* TERMINATE/RESTART/DELETE */
  troupe_actor_id child;     /* TERMINATE (dynamic) in; START_* / RESTART out */
  const void *extra;
  size_t extra_len;
  /* out */
  int rc;
  troupe_err err;
  troupe_child_info *infos;
  size_t ninfos;
  troupe_child_counts counts;
} trA_sup_req;

/* Shared with the thread blocked in troupe_sup_start (refcounted: 2 owners). */
typedef struct trA_sup_waiter {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  _Atomic int refs;
  bool done;
  int rc;
  troupe_err err;
} trA_sup_waiter;
void trA_sup_waiter_put(trA_sup_waiter *w);
void trA_sup_waiter_signal(trA_sup_waiter *w, int rc, const troupe_err *err);

/* ---- the supervisor --------------------------------------------------------------- */
typedef struct trA_sup {
  troupe_runtime *rt;
  troupe_actor *self;        /* valid inside callbacks only */
  troupe_actor_id me, parent;
  troupe_sup_config cfg;
  uint64_t period_ns;
  trA_sup_child **kids;      /* start order (dynamic: any order) */
  size_t nkids, capkids;
  trA_sup_child *tmpl;       /* simple_one_for_one template (not in kids) */
  trA_supmap by_pid;         /* running child id -> record */
  trA_supmap by_corr;        /* health check corr -> record */
  trA_sup_child *free_kids;  /* recycled records */
  trA_sup_child *graveyard;  /* removed during a job, recycled when it ends */
  uint64_t next_serial;
  /* intensity: the last intensity+1 restart times, a ring */
  uint64_t *ring;
  uint32_t ring_len, ring_n, ring_head;
  uint64_t total_restarts;
  trA_sup_job job;
  trA_sup_op *q_head, *q_tail, *op_pool;
  bool exiting;              /* final job underway: ignore more work */
  bool want_stop;            /* the handler returns TROUPE_STOP (exit reason set) */
  trA_sup_waiter *waiter;    /* troupe_sup_start's thread */
  troupe_actor_id ack_to;    /* troupe_sup_start_link's parent */
} trA_sup;

/* sup_spec.c */
int trA_sup_check_config(const troupe_sup_config *cfg, troupe_err *err);
int trA_sup_check_spec(const trA_sup *s, const troupe_child_spec *spec, troupe_err *err);
trA_sup *trA_sup_new(troupe_runtime *rt, const troupe_sup_config *cfg,
                     const troupe_child_spec *specs, size_t n, troupe_err *err);
void trA_sup_free(trA_sup *s);
trA_sup_child *trA_sup_child_new(trA_sup *s, const troupe_child_spec *spec, const void *extra,
                                 size_t extra_len);
int trA_sup_append(trA_sup *s, trA_sup_child *c);          /* at the end of kids; NOMEM */
void trA_sup_remove(trA_sup *s, trA_sup_child *c);         /* out of kids, to the graveyard */
void trA_sup_recycle_graveyard(trA_sup *s);
trA_sup_child *trA_sup_find_id(trA_sup *s, const char *id);
uint64_t trA_sup_shutdown_ms(const troupe_child_spec *spec); /* UINT64_MAX = infinity */

/* sup.c: the actor and the job engine */
extern const troupe_behaviour trA_sup_behaviour;
void trA_sup_enqueue(trA_sup *s, int kind, trA_sup_child *c, troupe_exit_kind k, int code,
                     const char *msg, trA_sup_req *req, uint64_t corr);
void trA_sup_pump(trA_sup *s);                            /* advance job, then the queue */
void trA_sup_start_job(trA_sup *s, int kind);             /* job arrays already filled */
int trA_sup_job_push_stop(trA_sup *s, trA_sup_child *c);
int trA_sup_job_push_start(trA_sup *s, trA_sup_child *c);
void trA_sup_begin_shutdown(trA_sup *s, troupe_exit_kind k, int code, const char *msg);
void trA_sup_event(trA_sup *s, troupe_log_level lv, const char *event, troupe_actor_id id,
                   const trA_sup_child *c, const troupe_log_field *f, size_t nf);
bool trA_sup_is_exempt(troupe_exit_kind k); /* normal or shutdown */

/* sup_restart.c */
bool trA_sup_add_restart(trA_sup *s, uint64_t now);       /* true: intensity exceeded */
/* A child's process ended on its own (idle supervisor). */
void trA_sup_child_exited(trA_sup *s, trA_sup_child *c, troupe_exit_kind k, int code,
                          const char *msg);
/* Restart c under the strategy (already counted). */
void trA_sup_restart(trA_sup *s, trA_sup_child *c);
/* A re-queued attempt (counts). */
void trA_sup_retry(trA_sup *s, trA_sup_child *c);
void trA_sup_escalate(trA_sup *s, trA_sup_child *c);

/* sup_health.c */
void trA_sup_health_arm(trA_sup *s, trA_sup_child *c);    /* after a start */
void trA_sup_health_tick(trA_sup *s, trA_sup_child *c, uint32_t gen);
void trA_sup_health_result(trA_sup *s, uint64_t corr, int status, const void *data, size_t len);
void trA_sup_health_forget(trA_sup *s, trA_sup_child *c); /* child stopped */
int trA_sup_tick_after(trA_sup *s, int op, trA_sup_child *c, uint64_t delay_ns);

/* sup_api.c */
void trA_sup_handle_req(trA_sup *s, trA_sup_req *req, uint64_t corr);
/* The REQ job ended: answer. `subject` is the child concerned, e.code != 0 on failure. */
void trA_sup_req_finish(trA_sup *s, trA_sup_req *req, uint64_t corr, trA_sup_child *subject,
                        const troupe_err *e);
void trA_sup_req_done(trA_sup *s, trA_sup_req *req, uint64_t corr, int rc, const char *fmt, ...)
    TROUPE_PRINTF(5, 6);

#endif
