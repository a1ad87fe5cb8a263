/*
 * supervisor/sup.h: private header of the supervision files (sup*.c); the rest of the layer
 * sees only include/troupe/supervisor.h. A supervisor's whole state (trS_sup) belongs to
 * the supervisor actor and is touched only from its callbacks, so nothing here is
 * atomic except the start waiter shared with the embedder thread in troupe_sup_start.
 * Files: sup.c (the actor and its job engine), sup_spec.c (specs, child records, maps),
 * sup_intensity.c (the restart history), sup_restart.c (restart decisions, strategies),
 * sup_health.c, sup_api.c (starting, the requests' handling), sup_call.c (the requests'
 * transport and the answers' encoding, shared by the blocking and the _async calls).
 */
#ifndef TROUPE_SRC_SUPERVISOR_SUP_H
#define TROUPE_SRC_SUPERVISOR_SUP_H

#include "actor/ext.h"
#include "troupe/supervisor.h"

#include <pthread.h>
#include <stdatomic.h>

/* ---- u64 -> pointer map: open addressing, linear probing, backward-shift delete ---- */
typedef struct trS_map {
  uint64_t *keys; /* 0 = empty (actor ids and corrs are never 0) */
  void **vals;
  size_t cap, n;  /* cap is a power of two (or 0) */
} trS_map;

void *trS_map_get(const trS_map *m, uint64_t key);
int trS_map_put(trS_map *m, uint64_t key, void *val); /* NOMEM */
void *trS_map_del(trS_map *m, uint64_t key);
void trS_map_free(trS_map *m);

/* ---- restart history (sup_intensity.c): the restart times inside the window --------
 * A ring of `cap` slots (0 or a power of two), `n` entries from `head`, oldest first. */
typedef struct trS_hist {
  uint64_t *t;
  size_t cap, n, head;
} trS_hist;

typedef enum trS_verdict {
  TRS_MAY_RESTART = 0, /* recorded */
  TRS_GIVE_UP = 1,     /* more than intensity restarts within the period (not recorded) */
  TRS_NO_MEMORY = 2,   /* the history could not grow (not recorded) */
} trS_verdict;

/* Forget the restarts older than period_ns before `now` (monotonic, never less than the
 * previous call's), then judge and record a restart at `now`. */
trS_verdict trS_hist_add(trS_hist *h, uint32_t intensity, uint64_t period_ns, uint64_t now);
void trS_hist_free(trS_hist *h);

/* ---- child records ---------------------------------------------------------------- */
enum {
  TRS_CH_DOWN = 0,     /* spec kept, no process */
  TRS_CH_STARTING = 1, /* spawned, waiting for its start ack */
  TRS_CH_RUNNING = 2,
  TRS_CH_STOPPING = 3, /* shutdown sent, waiting for its EXIT */
  TRS_CH_DELAYED = 4,  /* backoff: a restart is scheduled */
};

/* One child. Records are never returned to malloc while the supervisor lives: freed ones
 * go to a free list and get a new `serial`, so a timer message naming (record, serial)
 * can be validated without a lookup. */
typedef struct trS_child {
  troupe_child_spec spec;  /* spec.id points to id below (or the template's) */
  char *id;                /* owned; NULL for dynamic children */
  void *extra;             /* simple_one_for_one start argument (owned) */
  size_t extra_len;
  troupe_actor_id pid;     /* current process, 0 when none */
  uint64_t serial;         /* changes when the record is recycled */
  uint32_t gen;            /* incarnation: bumped at every start */
  uint8_t state;           /* TRS_CH_* */
  bool removed;            /* spec gone; recycled when the current job ends */
  uint32_t pos;            /* index in sup->kids */
  uint32_t restarts;       /* times restarted (shown in the registry) */
  uint64_t started_ns;
  uint32_t backoff_level;
  troupe_timer *kill_timer;/* pending shutdown -> kill escalation */
  /* Processes killed after a failed start ack, whose EXIT has not arrived: they may
   * still run (their terminate), so an owned spec arg is not freed before it does. */
  uint32_t zombies;
  bool in_limbo;           /* released while zombies > 0: waits in sup->limbo */
  /* health */
  uint64_t health_corr;    /* in-flight check, 0 = none */
  uint32_t unhealthy_run;
  troupe_health health;
  struct trS_child *next_free;
  struct trS_child *id_next; /* the next child whose id hashes alike (sup->by_id) */
} trS_child;

/* ---- deferred work: what arrives while the supervisor is busy with a job ---------- */
enum {
  TRS_OP_EXIT = 1,    /* a child exited (child, gen, reason) */
  TRS_OP_PARENT = 2,  /* EXIT from the parent: shut down with that reason */
  TRS_OP_REQ = 3,     /* an API request (req, corr) */
  TRS_OP_RETRY = 4,   /* re-queued restart attempt of child (counts toward intensity) */
  TRS_OP_DELAYED = 5, /* backoff expired: start child (already counted) */
  TRS_OP_UNHEALTHY = 6,/* health threshold reached for child incarnation gen */
  TRS_OP_HEALTH = 7,  /* tick only (never queued): time for a health check */
  TRS_OP_INIT = 8,    /* tick only: start the children (sent by init to itself) */
};

/* Payload of a TROUPE_SUP_TAG_TICK message the supervisor sends itself (send_after). */
typedef struct trS_tick {
  int op;
  uint32_t gen;
  struct trS_child *child;
  uint64_t serial;
} trS_tick;

typedef struct trS_op {
  struct trS_op *next;
  int kind;
  trS_child *child;
  uint64_t serial;
  uint32_t gen;
  troupe_exit_kind rkind;
  int rcode;
  char *rmsg;              /* owned */
  struct trS_req *req;
} trS_op;

/* ---- the job engine: stop a list (in its order), then start a list (in its order) -- */
enum {
  TRS_JOB_NONE = 0,
  TRS_JOB_INIT,      /* initial start of all children */
  TRS_JOB_RESTART,   /* strategy restart after a child exit */
  TRS_JOB_SHUTDOWN,  /* stop everything then exit with reason */
  TRS_JOB_ROLLBACK,  /* initial start failed: stop the started, then exit */
  TRS_JOB_REQ,       /* an API request that starts or stops a child */
  TRS_JOB_UNHEALTHY, /* stop the child, then treat it as crashed */
};

typedef struct trS_job {
  int kind;
  trS_child **stop;   /* stop[0..nstop): stopped in this order */
  size_t nstop, istop, capstop;
  trS_child **start;  /* start[0..nstart): started in this order */
  size_t nstart, istart, capstart;
  trS_child *await;   /* waiting for its ack (STARTING) or its EXIT (STOPPING) */
  size_t async_left;      /* simple_one_for_one: EXITs still expected */
  bool async;             /* stop all at once (simple_one_for_one) */
  trS_child *failed;  /* restart attempt that failed: retried after the job */
  trS_child *subject; /* UNHEALTHY: the child; REQ: the child concerned */
  uint32_t subject_gen;
  troupe_exit_kind rkind; /* SHUTDOWN / ROLLBACK exit reason, UNHEALTHY crash reason */
  int rcode;
  char *rmsg;
  struct trS_req *req;
  troupe_err err;         /* start failure text */
} trS_job;

/* ---- API requests: a refcounted object lent to the supervisor (sup_call.c) --------
 * The request part is written by the caller before it is sent and read by the
 * supervisor; the results are written by the supervisor before it answers. The
 * transport part is sup_call.c's. Owners (refs): the caller until its call returns,
 * the message until its payload is released, the supervisor from the moment it sees
 * the request until it answers, the timeout timer while armed. */
enum {
  TRS_REQ_START_CHILD = 1, TRS_REQ_START_DYNAMIC, TRS_REQ_TERMINATE, TRS_REQ_RESTART,
  TRS_REQ_DELETE, TRS_REQ_WHICH, TRS_REQ_COUNT,
};

typedef struct trS_req {
  int kind;
  /* START_CHILD: spec.id points to id. While spec.arg_free is set the request owns
   * spec.arg (handed over by the caller): the supervisor clears it when a child record
   * adopts the spec, and frees the arg when it answers without adopting it. */
  troupe_child_spec spec;
  char *id;                  /* owned copy: START_CHILD's spec id, TERMINATE/RESTART/DELETE */
  troupe_actor_id child;     /* TERMINATE (dynamic) */
  void *extra;               /* START_DYNAMIC, owned copy */
  size_t extra_len;
  /* results */
  troupe_actor_id out_child;
  troupe_child_info *infos;  /* owned until answered */
  size_t ninfos;
  troupe_child_counts counts;
  /* transport (sup_call.c) */
  troupe_runtime *rt;
  struct trS_req *self;      /* the message's payload: this pointer */
  _Atomic int refs;
  _Atomic unsigned flags;    /* TRS_Q_* */
  _Atomic int answered;      /* 1 once somebody answered: exactly one answer */
  _Atomic(troupe_timer *) timer;
  troupe_actor_id asker;     /* _async: the actor answered with a message ... */
  uint64_t corr;             /* ... carrying this corr */
  bool blocking;             /* a thread waits on cond for `done` */
  _Atomic bool done;         /* stored under lock (release); the waiter may spin on it */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  void *ans;                 /* blocking: the answer's bytes */
  size_t anslen;
} trS_req;

/* The supervisor takes a request out of its TROUPE_SUP_TAG_REQ message (NULL when the
 * message is not one): from now on it must answer it once, with trS_req_done. */
trS_req *trS_req_take(const troupe_message *m);
/* Encode the answer (results when rc is 0, else e) and deliver it; drops the
 * supervisor's reference: q must not be touched afterwards. */
void trS_req_answer(trS_req *q, troupe_actor_id from, int rc, const troupe_err *e);

/* Shared with the thread blocked in troupe_sup_start (refcounted: 2 owners). */
typedef struct trS_waiter {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  _Atomic int refs;
  bool done;
  int rc;
  troupe_err err;
} trS_waiter;
void trS_waiter_put(trS_waiter *w);
void trS_waiter_signal(trS_waiter *w, int rc, const troupe_err *err);

/* ---- the supervisor --------------------------------------------------------------- */
typedef struct trS_sup {
  troupe_runtime *rt;
  troupe_actor *self;        /* valid inside callbacks only */
  troupe_actor_id me, parent;
  troupe_sup_config cfg;
  uint64_t period_ns;
  trS_child **kids;      /* start order (dynamic: any order) */
  size_t nkids, capkids;
  trS_child *tmpl;       /* simple_one_for_one template (not in kids) */
  trS_map by_pid;         /* running child id -> record */
  trS_map by_corr;        /* health check corr -> record */
  trS_map by_id;          /* hash of a child's id -> its chain (id_next): O(1) lookups,
                           * so a supervisor of many children (a host's components)
                           * adds one without scanning them all */
  trS_child *free_kids;  /* recycled records */
  trS_child *graveyard;  /* removed during a job, recycled when it ends */
  uint64_t next_serial;
  trS_hist hist;             /* restarts inside the period (none when unlimited) */
  uint64_t total_restarts;
  trS_job job;
  trS_op *q_head, *q_tail, *op_pool;
  bool exiting;              /* final job underway: ignore more work */
  bool want_stop;            /* the handler returns TROUPE_STOP (exit reason set) */
  trS_waiter *waiter;    /* troupe_sup_start's thread */
  troupe_actor_id ack_to;    /* troupe_sup_start_link's parent */
  trS_map zombies;           /* pid of a process killed after a failed ack -> record */
  trS_child *limbo;          /* released records waiting for their zombies (next_free) */
} trS_sup;

/* sup_spec.c */
int trS_check_spec(const trS_sup *s, const troupe_child_spec *spec, troupe_err *err);
/* On failure the specs' owned args were freed (handed over: see troupe_child_spec). */
trS_sup *trS_new(troupe_runtime *rt, const troupe_sup_config *cfg,
                 const troupe_child_spec *specs, size_t n, troupe_err *err);
void trS_free_spec_args(const troupe_child_spec *specs, size_t n);
/* A process of c was killed before its start was acknowledged: keep c's owned arg
 * until its EXIT (trS_zombie_exited). */
void trS_zombie_add(trS_sup *s, trS_child *c, troupe_actor_id pid);
bool trS_zombie_exited(trS_sup *s, troupe_actor_id pid); /* false: not a zombie */
void trS_free(trS_sup *s);
trS_child *trS_child_new(trS_sup *s, const troupe_child_spec *spec, const void *extra,
                         size_t extra_len);
int trS_append(trS_sup *s, trS_child *c);          /* at the end of kids; NOMEM */
void trS_remove(trS_sup *s, trS_child *c);         /* out of kids, to the graveyard */
void trS_recycle_graveyard(trS_sup *s);
trS_child *trS_find_id(trS_sup *s, const char *id);
uint64_t trS_shutdown_ms(const troupe_child_spec *spec); /* UINT64_MAX = infinity */

/* sup.c: the actor and the job engine */
extern const troupe_behaviour trS_behaviour;
void trS_enqueue(trS_sup *s, int kind, trS_child *c, troupe_exit_kind k, int code,
                 const char *msg, trS_req *req);
void trS_start_job(trS_sup *s, int kind);             /* job arrays already filled */
int trS_job_push_stop(trS_sup *s, trS_child *c);
int trS_job_push_start(trS_sup *s, trS_child *c);
void trS_begin_shutdown(trS_sup *s, troupe_exit_kind k, int code, const char *msg);
void trS_event(trS_sup *s, troupe_log_level lv, const char *event, troupe_actor_id id,
               const trS_child *c, const troupe_log_field *f, size_t nf);
bool trS_is_exempt(troupe_exit_kind k); /* normal or shutdown */

/* sup_intensity.c: count a restart decided at `now` (total_restarts too) and judge it
 * against the supervisor's intensity. */
trS_verdict trS_add_restart(trS_sup *s, uint64_t now);

/* sup_restart.c */
/* A child's process ended on its own (idle supervisor). */
void trS_child_exited(trS_sup *s, trS_child *c, troupe_exit_kind k, int code,
                      const char *msg);
/* Restart c under the strategy (already counted). */
void trS_restart(trS_sup *s, trS_child *c);
/* A re-queued attempt (counts). */
void trS_retry(trS_sup *s, trS_child *c);

/* sup_health.c */
void trS_health_arm(trS_sup *s, trS_child *c);    /* after a start */
void trS_health_tick(trS_sup *s, trS_child *c, uint32_t gen);
void trS_health_result(trS_sup *s, uint64_t corr, int status, const void *data, size_t len);
void trS_health_forget(trS_sup *s, trS_child *c); /* child stopped */
int trS_tick_after(trS_sup *s, int op, trS_child *c, uint64_t delay_ns);

/* sup_api.c */
void trS_handle_req(trS_sup *s, trS_req *req);
/* The REQ job ended: answer. `subject` is the child concerned, e.code != 0 on failure. */
void trS_req_finish(trS_sup *s, trS_req *req, trS_child *subject, const troupe_err *e);
/* Answer req (once): frees a start_child arg no record adopted, then trS_req_answer. */
void trS_req_done(trS_sup *s, trS_req *req, int rc, const char *fmt, ...) TROUPE_PRINTF(4, 5);

#endif
