/*
 * troupe/supervisor.h: OTP supervisors on top of the actor runtime. A supervisor is an
 * actor that traps exits, starts its children in order (each start synchronous), stops
 * them in reverse order, and restarts them after they exit according to a strategy and a
 * restart intensity; when it gives up it exits `shutdown` and its own parent decides.
 * Beyond OTP, and off by default: restart backoff and periodic health checks. The
 * run-time API has blocking calls (embedder threads) and _async twins for actors.
 * docs/SUPERVISION.md compares these semantics with OTP's point by point.
 */
#ifndef TROUPE_SUPERVISOR_H
#define TROUPE_SUPERVISOR_H

#include "troupe/actor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum troupe_sup_strategy {
  TROUPE_ONE_FOR_ONE = 0,        /* restart only the child that exited */
  TROUPE_ONE_FOR_ALL = 1,        /* stop the others (reverse order), restart all in order */
  TROUPE_REST_FOR_ONE = 2,       /* stop those started after it, restart it and them */
  TROUPE_SIMPLE_ONE_FOR_ONE = 3, /* one template spec, children added at run time */
} troupe_sup_strategy;

typedef enum troupe_restart_type {
  TROUPE_PERMANENT = 0, /* always restarted */
  TROUPE_TRANSIENT = 1, /* restarted unless it exits normal or shutdown */
  TROUPE_TEMPORARY = 2, /* never restarted; its spec is removed when it exits */
} troupe_restart_type;

typedef enum troupe_child_type { TROUPE_WORKER = 0, TROUPE_SUPERVISOR = 1 } troupe_child_type;

typedef enum troupe_shutdown_kind {
  TROUPE_SHUTDOWN_TIMEOUT = 0, /* exit(shutdown), wait shutdown_ms, then kill */
  TROUPE_SHUTDOWN_BRUTAL = 1,  /* kill at once (untrappable, no cleanup) */
  TROUPE_SHUTDOWN_INFINITY = 2,/* exit(shutdown) and wait as long as it takes */
} troupe_shutdown_kind;

typedef enum troupe_auto_shutdown {
  TROUPE_AUTO_NEVER = 0,
  TROUPE_AUTO_ANY_SIGNIFICANT = 1, /* a significant child ended on its own: stop */
  TROUPE_AUTO_ALL_SIGNIFICANT = 2, /* all significant children ended on their own: stop */
} troupe_auto_shutdown;

/* Returned by a start function that chose not to start a child (OTP's `ignore`). */
#define TROUPE_SUP_IGNORE 1

/* Message tags the supervision protocol uses (SYSTEM messages and asks). Health checks
 * use the core's health question (TROUPE_TAG_HEALTH, include/troupe/actor.h). */
#define TROUPE_SUP_TAG_ACK 0x54530001u    /* (TROUPE_TAG_RANGE_SUP) SYSTEM: a child's own start ack (troupe_sup_ack) */
#define TROUPE_SUP_TAG_REQ 0x54530003u    /* USER: a run-time API request (internal) */
#define TROUPE_SUP_TAG_TICK 0x54530004u   /* SYSTEM from self: timers (internal) */
#define TROUPE_SUP_TAG_ANSWER 0x54530005u /* SYSTEM: the answer to an _async request (its corr) */

/* Start function: must spawn the child with `opts` (copy it to add a name, metadata or a
 * mailbox bound, but keep flags and parent: the child is linked to the supervisor and
 * acknowledges its start) and return TROUPE_OK with *out, TROUPE_SUP_IGNORE, or a
 * negative status (a message in err). `sup` is the supervisor actor (pass it to
 * troupe_spawn). `extra` is simple_one_for_one's start argument (NULL otherwise),
 * borrowed for the call. Runs on the supervisor's worker: keep it short. */
typedef int (*troupe_child_start_fn)(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                                     const void *extra, size_t extra_len, troupe_actor_id *out,
                                     troupe_err *err);

/* A child spec. Zero-initialised = OTP's defaults: permanent worker, shutdown 5000 ms
 * (infinity for type supervisor), not significant, no health checks, `arg` borrowed.
 *
 * Ownership of `arg`. With arg_free NULL, arg is borrowed: it must outlive the
 * supervisor. With arg_free set, passing the spec to any call (troupe_sup_start,
 * troupe_sup_start_link, troupe_sup_start_child, troupe_sup_start_child_async) hands arg
 * over, whatever the call returns: arg_free(arg) is then called exactly once, when the
 * spec is gone for good, i.e. never to be started again:
 *   - a temporary child's spec, removed when the child ends (on its own, by
 *     terminate_child, or stopped by a sibling's restart);
 *   - delete_child;
 *   - a start_child whose start failed (START_FAILED: the spec is discarded) or that was
 *     refused (EXISTS, INVAL, UNSUPPORTED, NOT_RUNNING...), or whose request no
 *     supervisor ever saw (it was gone), or a call that failed before sending anything;
 *   - the supervisor's end (all its specs, the simple_one_for_one template included:
 *     its children share the template's arg, so removing one frees nothing but its
 *     `extra`).
 * Never while a start function may still use it, and never while a process the
 * supervisor started from that spec may still run, except when the supervisor itself
 * ends without stopping its children (killed, or crashed): then at its end, while they
 * are still being taken down by their links. arg_free runs on the supervisor's worker,
 * or (a request no supervisor saw, a call that failed) on whichever thread drops the
 * request; it must be quick and must not block. */
typedef struct troupe_child_spec {
  const char *id;                /* unique within the supervisor; copied. Required. */
  troupe_child_start_fn start;   /* required */
  void *arg;                     /* for start; see ownership above */
  void (*arg_free)(void *arg);   /* NULL: arg borrowed; else owned by the supervisor */
  troupe_restart_type restart;
  troupe_shutdown_kind shutdown;
  uint32_t shutdown_ms;          /* with TIMEOUT; 0 = default for the type */
  troupe_child_type type;
  bool significant;              /* only transient/temporary, only with auto_shutdown */
  /* Health checks (beyond OTP): every health_interval_ms the supervisor asks the child
   * the core's health question (TROUPE_TAG_HEALTH); health_threshold consecutive Unhealthy answers (a missing
   * answer within health_timeout_ms counts as one) are treated as a crash. */
  uint32_t health_interval_ms;   /* 0 = no health checks */
  uint32_t health_threshold;     /* 0 = 3 */
  uint32_t health_timeout_ms;    /* 0 = the interval */
} troupe_child_spec;

/* Restart intensity: the supervisor gives up (stops its children, exits `shutdown`)
 * when more than `intensity` restarts fall within `period_ms`. It keeps the time of each
 * restart still inside the period (8 bytes each, allocated as restarts happen, at most
 * `intensity` of them), so a large intensity costs nothing until children crash.
 * TROUPE_SUP_INTENSITY_UNLIMITED: never give up, keep no history. If the history cannot
 * grow (out of memory) the restart is not made: the supervisor stops its children and
 * exits `crash` with code TROUPE_E_NOMEM, and its parent decides. */
#define TROUPE_SUP_INTENSITY_UNLIMITED UINT32_MAX

typedef struct troupe_sup_config {
  troupe_sup_strategy strategy;
  uint32_t intensity;            /* MaxR: more than this many restarts ... */
  uint64_t period_ms;            /* ... within MaxT (ms, >= 1) and the supervisor gives up */
  troupe_auto_shutdown auto_shutdown;
  const char *name;              /* registry name of the supervisor (NULL = none) */
  const char *metadata;          /* registry metadata (NULL = none) */
  /* Restart backoff (beyond OTP, off when 0): a child is restarted restart_delay_ms
   * after it exited, doubling for each further exit of that child that comes sooner
   * than period_ms after its start, up to restart_delay_max_ms (0 = 32 x the delay).
   * The restart still counts toward the intensity when it is decided (at exit). */
  uint32_t restart_delay_ms;
  uint32_t restart_delay_max_ms;
} troupe_sup_config;

/* Defaults: one_for_one, 5 restarts within 60 s, auto_shutdown never, no backoff. */
TROUPE_API void troupe_sup_config_init(troupe_sup_config *cfg);

/* Start a root supervisor from a non-worker thread (the embedder's): spawns it, then
 * waits until every child has started (in order, each start acknowledged). cfg may be
 * NULL (defaults). specs are copied (their `arg`s are borrowed, or handed over with
 * arg_free, also when this call fails); simple_one_for_one
 * takes exactly one spec, the template, and starts no child here. On failure of child
 * X nothing stays running (the started children were stopped in reverse order) and the
 * result is TROUPE_E_START_FAILED with "failed to start child 'X': reason". Also INVAL
 * (bad spec or config: duplicate id, significant with permanent...), NOMEM, STOPPED,
 * STATE (called on a worker: use troupe_sup_start_link). */
TROUPE_API int troupe_sup_start(troupe_runtime *rt, const troupe_sup_config *cfg,
                                const troupe_child_spec *specs, size_t nspecs,
                                troupe_actor_id *out, troupe_err *err);

/* Start a supervisor linked to `self` (self only; e.g. inside a start function, to nest
 * supervisors: pass the `opts` given to the start function). Returns at once with *out;
 * the new supervisor acknowledges to opts->parent (a TROUPE_SUP_TAG_ACK message) when
 * its children are up, or exits shutdown with the start-failed reason. */
TROUPE_API int troupe_sup_start_link(troupe_actor *self, const troupe_spawn_opts *opts,
                                     const troupe_sup_config *cfg, const troupe_child_spec *specs,
                                     size_t nspecs, troupe_actor_id *out, troupe_err *err);

/* A child that spawned without TROUPE_SPAWN_ACK (so that "started" can mean more than
 * init returning) acknowledges with this, once, from its own callbacks: status 0 or a
 * negative status with a message. */
TROUPE_API int troupe_sup_ack(troupe_actor *self, troupe_actor_id parent, int status,
                              const char *msg);

/* ---------------------------------------------------------------------------------
 * Run-time API, in two forms sharing one encoding of requests and answers.
 *
 * Blocking: for non-worker threads (embedder, CLI, node layer). Each call waits until
 * the supervisor answers, as long as it is busy (OTP's infinity call timeout); STATE on
 * a worker thread. `sup` gone (or not a supervisor): NOTFOUND / NOT_RUNNING.
 *
 * Asynchronous (_async): for actors, self only. Returns at once with *corr; then the
 * actor receives exactly one message with msg->corr == *corr: a SYSTEM message tagged
 * TROUPE_SUP_TAG_ANSWER, through the priority lane, so it also wakes an actor waiting
 * with troupe_actor_suspend_for(self, *corr). troupe_sup_answer_read turns it into what
 * the blocking call would have returned: the supervisor's answer, or TIMEOUT (nothing
 * within timeout_ns; TROUPE_INFINITY waits as long as the supervisor lives), or
 * NOT_RUNNING (the supervisor died before answering, or `sup` is not a supervisor).
 * A timeout does not cancel the request: the supervisor may still carry it out later.
 * Nothing here waits, so an actor may ask its own supervisor (even when it is that
 * supervisor's child, or runs on the same worker). On an error return (INVAL, NOMEM,
 * STATE when not called by the running actor `self`, NOTFOUND when `sup` is not alive,
 * STOPPED) no message follows.
 * ------------------------------------------------------------------------------- */

/* Add a spec and start it (not for simple_one_for_one). *child = 0 when it was ignored.
 * EXISTS (id taken), START_FAILED (the spec is discarded), INVAL, UNSUPPORTED. The spec
 * is copied; its arg is handed over when arg_free is set (see troupe_child_spec). */
TROUPE_API int troupe_sup_start_child(troupe_runtime *rt, troupe_actor_id sup,
                                      const troupe_child_spec *spec, troupe_actor_id *child,
                                      troupe_err *err);
TROUPE_API int troupe_sup_start_child_async(troupe_actor *self, troupe_actor_id sup,
                                            const troupe_child_spec *spec, uint64_t timeout_ns,
                                            uint64_t *corr, troupe_err *err);
/* simple_one_for_one: start a child from the template with `extra` (copied, kept for
 * its restarts). */
TROUPE_API int troupe_sup_start_dynamic(troupe_runtime *rt, troupe_actor_id sup,
                                        const void *extra, size_t extra_len,
                                        troupe_actor_id *child, troupe_err *err);
TROUPE_API int troupe_sup_start_dynamic_async(troupe_actor *self, troupe_actor_id sup,
                                              const void *extra, size_t extra_len,
                                              uint64_t timeout_ns, uint64_t *corr,
                                              troupe_err *err);
/* Stop a child by its shutdown rule; the spec is kept (not restarted, not counted as a
 * restart). For simple_one_for_one name it by actor id (id NULL); it is removed. */
TROUPE_API int troupe_sup_terminate_child(troupe_runtime *rt, troupe_actor_id sup,
                                          const char *id, troupe_actor_id child, troupe_err *err);
TROUPE_API int troupe_sup_terminate_child_async(troupe_actor *self, troupe_actor_id sup,
                                                const char *id, troupe_actor_id child,
                                                uint64_t timeout_ns, uint64_t *corr,
                                                troupe_err *err);
/* Start a kept spec that is not running. STATE when running, NOTFOUND, START_FAILED. */
TROUPE_API int troupe_sup_restart_child(troupe_runtime *rt, troupe_actor_id sup,
                                        const char *id, troupe_actor_id *child, troupe_err *err);
TROUPE_API int troupe_sup_restart_child_async(troupe_actor *self, troupe_actor_id sup,
                                              const char *id, uint64_t timeout_ns,
                                              uint64_t *corr, troupe_err *err);
/* Remove a spec that is not running. STATE when running, NOTFOUND. */
TROUPE_API int troupe_sup_delete_child(troupe_runtime *rt, troupe_actor_id sup,
                                       const char *id, troupe_err *err);
TROUPE_API int troupe_sup_delete_child_async(troupe_actor *self, troupe_actor_id sup,
                                             const char *id, uint64_t timeout_ns, uint64_t *corr,
                                             troupe_err *err);

typedef struct troupe_child_info {
  char *id;                /* owned (NULL for simple_one_for_one children) */
  troupe_actor_id child;   /* 0 when not running */
  troupe_child_type type;
  troupe_restart_type restart;
  uint32_t restarts;       /* times this child was restarted */
  troupe_health health;
} troupe_child_info;

/* Children in start order. Free with troupe_sup_children_free. */
TROUPE_API int troupe_sup_which_children(troupe_runtime *rt, troupe_actor_id sup,
                                         troupe_child_info **out, size_t *n, troupe_err *err);
TROUPE_API int troupe_sup_which_children_async(troupe_actor *self, troupe_actor_id sup,
                                               uint64_t timeout_ns, uint64_t *corr,
                                               troupe_err *err);
TROUPE_API void troupe_sup_children_free(troupe_child_info *v, size_t n);

typedef struct troupe_child_counts {
  size_t specs, active, supervisors, workers;
  uint64_t restarts;       /* restarts this supervisor made since it started */
} troupe_child_counts;
TROUPE_API int troupe_sup_count_children(troupe_runtime *rt, troupe_actor_id sup,
                                         troupe_child_counts *out, troupe_err *err);
TROUPE_API int troupe_sup_count_children_async(troupe_actor *self, troupe_actor_id sup,
                                               uint64_t timeout_ns, uint64_t *corr,
                                               troupe_err *err);

/* An answer to an _async request, decoded. */
typedef struct troupe_sup_answer {
  int status;                   /* what the blocking call returns */
  troupe_err err;               /* status != 0: code and message, as the blocking call */
  troupe_actor_id child;        /* start_child / start_dynamic / restart_child (0: ignored) */
  troupe_child_info *children;  /* which_children: owned, free with troupe_sup_children_free */
  size_t nchildren;
  troupe_child_counts counts;   /* count_children */
} troupe_sup_answer;

/* True when msg is an answer to an _async request (SYSTEM, TROUPE_SUP_TAG_ANSWER). */
TROUPE_API bool troupe_sup_is_answer(const troupe_message *msg);
/* Decode the answer `msg` (borrowed) into *out and return out->status, with err set as
 * the blocking call would set it (e.g. START_FAILED "failed to start child 'X': why").
 * Fields that do not apply are zero; out->children is NULL unless the request was
 * which_children and succeeded. INVAL when msg is not such an answer (out then holds
 * just that status and message; tell the two apart with troupe_sup_is_answer); NOMEM
 * when the children list cannot be allocated. out may be NULL. */
TROUPE_API int troupe_sup_answer_read(const troupe_message *msg, troupe_sup_answer *out,
                                      troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
