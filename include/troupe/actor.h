/*
 * troupe/actor.h: the actor runtime. Actors are cheap isolated processes (Erlang style)
 * driven by a small table of C callbacks (a behaviour); an M:N scheduler runs them on a
 * few worker threads. They talk by messages (bytes), ask/reply with timeouts, watch each
 * other with monitors and links, and exit with a reason that links and monitors see.
 * Everything here is thread-safe unless a function says "self only" (callable only from
 * the actor's own callbacks, on the worker that runs it). docs/ACTORS.md has the design.
 */
#ifndef TROUPE_ACTOR_H
#define TROUPE_ACTOR_H

#include "troupe/error.h"
#include "troupe/log.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------
 * Identities. An actor id is 64 bits: slot index (low 32) and generation (high 32,
 * never 0). A slot is reused after its actor dies but with a new generation, so a stale
 * id never reaches the newer actor: sends to it fail with TROUPE_E_NOTFOUND. 0 is "no
 * actor" (e.g. the sender of a message sent from a non-actor thread).
 * ------------------------------------------------------------------------------- */
typedef uint64_t troupe_actor_id;
#define TROUPE_NO_ACTOR ((troupe_actor_id)0)
#define TROUPE_ID_FORMAT_MAX 24 /* "<4294967295.4294967295>" + NUL */

/* Durations are nanoseconds, like troupe_clock_mono_ns(). */
#define TROUPE_MS(x) ((uint64_t)(x) * 1000000u)
#define TROUPE_SEC(x) ((uint64_t)(x) * 1000000000u)
#define TROUPE_INFINITY UINT64_MAX

typedef struct troupe_runtime troupe_runtime; /* one scheduler, its workers and actors */
typedef struct troupe_actor troupe_actor;     /* the running actor, handed to its callbacks */
typedef struct troupe_timer troupe_timer;     /* a cancelable send_after */

/* "<slot.generation>" into buf (>= TROUPE_ID_FORMAT_MAX bytes); returns buf. */
TROUPE_API char *troupe_id_format(troupe_actor_id id, char *buf, size_t cap);

/* ---------------------------------------------------------------------------------
 * Exit reasons (OTP): normal, shutdown (optionally with a message, OTP's {shutdown,T}),
 * killed (after the untrappable kill signal), crash (a callback failed: code + message),
 * noproc (the actor was already dead when linked or monitored). `kill` exists only as a
 * signal sent with troupe_exit(); the victim then exits with reason `killed`.
 * ------------------------------------------------------------------------------- */
typedef enum troupe_exit_kind {
  TROUPE_EXIT_NORMAL = 0,
  TROUPE_EXIT_SHUTDOWN = 1,
  TROUPE_EXIT_KILLED = 2,
  TROUPE_EXIT_CRASH = 3,
  TROUPE_EXIT_NOPROC = 4,
  TROUPE_EXIT_KILL = 5, /* signal only: untrappable; the target exits with KILLED */
} troupe_exit_kind;

/* An exit reason as seen in EXIT/DOWN messages and terminate(). `message` is borrowed:
 * valid only during the callback that receives it (may be NULL). `code` is a troupe
 * status for CRASH (the callback's return value), 0 otherwise. */
typedef struct troupe_exit_reason {
  troupe_exit_kind kind;
  int code;
  const char *message;
} troupe_exit_reason;

/* "normal", "shutdown", "killed", "crash", "noproc", "kill". */
TROUPE_API const char *troupe_exit_kind_name(troupe_exit_kind kind);
/* True for every reason but normal: what a link propagates as a failure. (OTP's
 * transient restart rule also counts shutdown as a clean exit; supervision decides.) */
TROUPE_API bool troupe_exit_is_abnormal(troupe_exit_kind kind);

/* ---------------------------------------------------------------------------------
 * Messages. A handler sees a read-only view; the bytes are valid only during the call
 * (copy what you keep). Kinds USER and ASK come from other actors or threads; the rest
 * come from the runtime through the priority lane (see docs/ACTORS.md for ordering:
 * FIFO per sender within a lane, no order between lanes).
 * ------------------------------------------------------------------------------- */
typedef enum troupe_msg_kind {
  TROUPE_MSG_USER = 0,      /* troupe_send: data/len, tag */
  TROUPE_MSG_ASK = 1,       /* troupe_ask*: answer with troupe_reply(rt, corr, ...) */
  TROUPE_MSG_REPLY = 2,     /* the reply to this actor's troupe_ask_async(corr) */
  TROUPE_MSG_ASK_FAILED = 3,/* that ask failed: status TIMEOUT or NOT_RUNNING */
  TROUPE_MSG_EXIT = 4,      /* exit signal from `from`, delivered because trapping exits */
  TROUPE_MSG_DOWN = 5,      /* monitor `corr` fired: `from` exited with `reason` */
  TROUPE_MSG_RESUME = 6,    /* troupe_actor_resume() or a TROUPE_YIELD continuation */
  TROUPE_MSG_SYSTEM = 7,    /* troupe_send_ex with TROUPE_SEND_SYSTEM (health, shutdown...) */
  TROUPE_MSG_STARTED = 8,   /* spawn ack: `from` ran init; status 0 or its error */
  TROUPE_MSG_SPACE = 9,     /* troupe_send_when_space(corr) answered: `from` is the target;
                             * status 0 (room now), TIMEOUT, NOTFOUND or STOPPED */
} troupe_msg_kind;

/* Tags. A message's tag is a 32-bit type chosen by its sender. Tags whose top byte is
 * 0x54 ('T') are reserved for the runtime's own layers, one 16-bit sub-range per layer
 * (its second byte names the layer); every other tag is free for applications. A layer
 * picks new tags only inside its range and checks at compile time that it did
 * (TROUPE_TAG_IN_RANGE in a _Static_assert), so two layers can never collide and an
 * application tag never looks like a runtime one. docs/ACTORS.md, "Tags". */
#define TROUPE_TAG_RESERVED 0x54000000u         /* 0x54xxxxxx: the runtime's layers */
#define TROUPE_TAG_RANGE_CORE 0x54520000u       /* 'T' 'R': actor core (health) */
#define TROUPE_TAG_RANGE_SUP 0x54530000u        /* 'T' 'S': supervision */
#define TROUPE_TAG_RANGE_BROKER 0x54420000u     /* 'T' 'B': broker */
#define TROUPE_TAG_RANGE_COMPONENT 0x54500000u  /* 'T' 'P': components */
#define TROUPE_TAG_RANGE_NODE 0x544e0000u       /* 'T' 'N': node */
/* True when tag is reserved for the runtime (applications must not send such tags). */
#define TROUPE_TAG_IS_RESERVED(tag) (((uint32_t)(tag) & 0xff000000u) == TROUPE_TAG_RESERVED)
/* True when tag lies in the layer range `range` (a TROUPE_TAG_RANGE_*). */
#define TROUPE_TAG_IN_RANGE(tag, range) (((uint32_t)(tag) & 0xffff0000u) == (uint32_t)(range))

typedef struct troupe_message {
  troupe_msg_kind kind;
  uint32_t tag;             /* message type: free for applications outside 0x54xxxxxx */
  troupe_actor_id from;     /* sender, TROUPE_NO_ACTOR from a non-actor thread */
  uint64_t corr;            /* ask correlation id, or monitor ref for DOWN; else 0 */
  uint64_t timestamp_ns;    /* monotonic send time (a worker reads the clock every few turns) */
  const void *data;
  size_t len;
  int status;               /* ASK_FAILED / STARTED: a troupe status */
  troupe_exit_reason reason;/* EXIT / DOWN */
} troupe_message;

/* ---------------------------------------------------------------------------------
 * Behaviours. A table of callbacks shared by all actors of a kind (must outlive them).
 *
 *   init(self, arg, err)   first thing the actor runs, on a worker. Return 0 to start,
 *                          TROUPE_SUSPEND to start suspended, or a negative status to
 *                          fail (the actor exits with a CRASH reason). May be NULL.
 *   handle(self, msg, err) one message. Returns an action below, or a negative status:
 *                          a crash confined to this actor (reason CRASH, code, err msg).
 *   terminate(self, why)   last call, always made (also after `kill`, so C state can be
 *                          freed; a component skips its cleanup export when killed).
 *                          May be NULL.
 *
 * State: troupe_actor_state(self) starts as the spawn `arg`; set it with
 * troupe_actor_set_state. Callbacks of one actor never run concurrently.
 * ------------------------------------------------------------------------------- */
enum troupe_action {
  TROUPE_CONTINUE = 0, /* go on with the next message */
  TROUPE_SUSPEND = 1,  /* handle no more mailbox messages until resumed (see below) */
  TROUPE_YIELD = 2,    /* not finished: call again with a RESUME message after others ran */
  TROUPE_STOP = 3,     /* exit, reason normal or the one set by troupe_actor_set_exit */
};

typedef struct troupe_behaviour {
  const char *name; /* for logs and the registry, e.g. "echo" */
  int (*init)(troupe_actor *self, void *arg, troupe_err *err);
  int (*handle)(troupe_actor *self, const troupe_message *msg, troupe_err *err);
  void (*terminate)(troupe_actor *self, const troupe_exit_reason *why);
} troupe_behaviour;

/* Suspension. After TROUPE_SUSPEND the actor handles no USER/ASK/EXIT/DOWN/SYSTEM
 * messages (they queue, in order) until one of these wakes it, each delivered to
 * handle() in the suspended state: REPLY or ASK_FAILED (its async asks), SPACE (its
 * troupe_send_when_space), RESUME (troupe_actor_resume from any thread). Returning CONTINUE from that call resumes
 * normal processing on whichever worker runs it next; SUSPEND keeps it suspended.
 * A kill signal still ends a suspended actor. troupe_actor_suspend_for narrows the
 * wake-up to one correlation id. */

/* ---------------------------------------------------------------------------------
 * Runtime.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_runtime_config {
  unsigned workers;             /* worker threads; 0 = one per online core; max 1024 */
  unsigned batch;               /* messages an actor handles per turn; 0 = 64 */
  troupe_logger *audit;         /* lifecycle events as JSON lines (borrowed); NULL = none */
  uint64_t shutdown_timeout_ns; /* per root actor at stop before it is killed; 0 = 5 s */
  uint64_t max_actors;          /* live actors allowed; 0 = limited by memory only */
  /* Count every actor's queued user messages, for troupe_actor_queued (a bounded
   * mailbox always counts). Costs an atomic add at the send and a subtract at the
   * receipt of each message of an unbounded mailbox; off by default. */
  bool count_queued;
  /* Keep no metrics: troupe_runtime_stats_get reads zeros (but `live`), and
   * troupe_runtime_worker_stats no parked time. They are cheap enough to stay on (per
   * worker, no shared counter; docs/OBSERVE.md); this is for measuring that. */
  bool no_metrics;
} troupe_runtime_config;

TROUPE_API void troupe_runtime_config_init(troupe_runtime_config *cfg);
/* Create a runtime and start its workers. cfg may be NULL for defaults. */
TROUPE_API int troupe_runtime_new(const troupe_runtime_config *cfg, troupe_runtime **out,
                                  troupe_err *err);
/* Orderly stop: new spawns from outside (without `self`) fail with TROUPE_E_STOPPED, and
 * those already under way on other threads are waited for, so every outside spawn either
 * fails or its actor is stopped with the others; root actors (spawned without a parent)
 * are sent exit(shutdown) in reverse spawn order, each given shutdown_timeout_ns before
 * it is killed — one at a time for roots that trap exits or have links (supervisors,
 * which terminate their own children first), while runs of plain roots are signalled
 * together; then any actor left is killed; then the workers exit and are joined, and
 * actors that actors spawned meanwhile and that are still alive are ended on the
 * calling thread. Call from a non-worker thread. Idempotent. TIMEOUT when actors did
 * not exit (a callback that never returns blocks the join). */
TROUPE_API int troupe_runtime_stop(troupe_runtime *rt, troupe_err *err);
/* Stop (if needed) and free everything. rt may be NULL. */
TROUPE_API void troupe_runtime_free(troupe_runtime *rt);
TROUPE_API unsigned troupe_runtime_workers(const troupe_runtime *rt);

/* Counters, summed over workers (exact once the runtime is quiet or stopped).
 * Message accounting: every message accepted into a mailbox is eventually `received`
 * (handled by a callback or consumed by the runtime as a signal) or `dropped` (its
 * target died or the id went stale); a send that fails is `rejected` and was never
 * accepted. So at rest: sent == received + dropped. */
typedef struct troupe_runtime_stats {
  uint64_t msgs_sent, msgs_received, msgs_dropped, msgs_rejected;
  uint64_t asks, replies, ask_timeouts, ask_failed, late_replies;
  uint64_t spawned, exited, crashed, live;
  uint64_t timers_fired, timers_cancelled;
  uint64_t steals, parks;
} troupe_runtime_stats;
TROUPE_API void troupe_runtime_stats_get(troupe_runtime *rt, troupe_runtime_stats *out);

/* One worker, for metrics: the time it slept for want of work (the rest of its life it
 * ran actors or looked for work), the actors queued to run on it now, and whether it
 * sleeps now. Any thread; each figure is read on its own, a moment old. */
typedef struct troupe_worker_stats {
  uint64_t parked_ns;
  uint32_t queued;
  bool parked;
} troupe_worker_stats;
/* Fills out[i] for the first min(cap, workers) workers; returns the number of workers. */
TROUPE_API unsigned troupe_runtime_worker_stats(troupe_runtime *rt, troupe_worker_stats *out,
                                                unsigned cap);

/* ---------------------------------------------------------------------------------
 * Spawning.
 * ------------------------------------------------------------------------------- */
enum troupe_spawn_flags {
  TROUPE_SPAWN_LINK = 1u << 0,      /* link with `self` (spawn_link) */
  TROUPE_SPAWN_MONITOR = 1u << 1,   /* `self` monitors the child; ref in *monitor_ref */
  TROUPE_SPAWN_TRAP_EXIT = 1u << 2, /* start trapping exits (supervisors) */
  TROUPE_SPAWN_ACK = 1u << 3,       /* send `self` a STARTED message after init */
  /* At troupe_runtime_stop wait for this root without shutdown_timeout_ns (OTP gives a
   * supervisor infinity: it stops its children by their own shutdown rules). */
  TROUPE_SPAWN_STOP_WAIT = 1u << 4,
};

typedef struct troupe_spawn_opts {
  unsigned flags;
  troupe_actor_id parent;   /* supervisor; TROUPE_NO_ACTOR = a root actor (see stop) */
  const char *name;         /* register this unique name (NULL = none); NAME_TAKEN if used */
  const char *metadata;     /* registry metadata string, copied (NULL = none) */
  uint32_t mailbox_bound;   /* max queued user messages; 0 = unbounded (a full mailbox
                             * fails sends with MAILBOX_FULL; senders may wait for room:
                             * troupe_send_wait, troupe_send_when_space) */
  uint32_t restart_count;   /* shown in the registry (supervisors count restarts) */
  uint64_t *monitor_ref;    /* out: with TROUPE_SPAWN_MONITOR */
} troupe_spawn_opts;

/* Create an actor running `b` with state `arg`. `self` is the spawning actor (needed for
 * LINK/MONITOR/ACK; NULL from a non-actor thread). On success *out is its id and init
 * runs soon on a worker. Fails with NAME_TAKEN, RANGE (max_actors), STOPPED, NOMEM,
 * INVAL. On failure nothing was created and `arg` is still the caller's. */
TROUPE_API int troupe_spawn(troupe_runtime *rt, troupe_actor *self, const troupe_behaviour *b,
                            void *arg, const troupe_spawn_opts *opts, troupe_actor_id *out,
                            troupe_err *err);

/* Self-only accessors. */
TROUPE_API troupe_actor_id troupe_self(const troupe_actor *self);
TROUPE_API troupe_runtime *troupe_actor_runtime(const troupe_actor *self);
TROUPE_API void *troupe_actor_state(const troupe_actor *self);
TROUPE_API void troupe_actor_set_state(troupe_actor *self, void *state);
/* Trap exits: exit signals (but `kill`) arrive as EXIT messages instead of killing. */
TROUPE_API void troupe_actor_trap_exit(troupe_actor *self, bool on);
TROUPE_API bool troupe_actor_traps_exit(const troupe_actor *self);
/* The reason used when the handler returns TROUPE_STOP (default normal). msg copied. */
TROUPE_API int troupe_actor_set_exit(troupe_actor *self, troupe_exit_kind kind, int code,
                                     const char *msg);
TROUPE_API bool troupe_actor_suspended(const troupe_actor *self);

/* Suspend until one message (self only): call it, then return TROUPE_SUSPEND from
 * handle() (or init). The next message whose corr equals `corr`, whatever its kind or
 * lane (an ask's REPLY/ASK_FAILED, a broker reply, a supervisor answer, a DOWN for a
 * monitor ref...), is delivered to handle() and ends this wait; every other message
 * stays deferred in order, RESUME included (troupe_actor_resume does not end it). What
 * handle() then returns decides as after any wake-up: CONTINUE resumes, SUSPEND stays
 * suspended (a plain suspension unless it calls this again). A message with `corr`
 * already deferred by an earlier suspension is delivered at once. Health questions are
 * answered meanwhile when a health callback is set; a kill still ends the actor.
 * Returning anything but TROUPE_SUSPEND cancels the wait. INVAL when corr is 0, NOMEM. */
TROUPE_API int troupe_actor_suspend_for(troupe_actor *self, uint64_t corr);

/* Wake a suspended actor: it receives a RESUME message (tag given) via the priority
 * lane. Any thread. NOTFOUND if the actor is gone. Harmless if not suspended (the
 * RESUME message is then handled like any other). */
TROUPE_API int troupe_actor_resume(troupe_runtime *rt, troupe_actor_id id, uint32_t tag);

/* ---------------------------------------------------------------------------------
 * Sending. Any thread. `from` is the sending actor's id or TROUPE_NO_ACTOR.
 * Errors: NOTFOUND (no such actor / stale id), MAILBOX_FULL (bounded mailbox full,
 * nothing queued: wait for room with troupe_send_wait or troupe_send_when_space below),
 * STOPPED (runtime stopped), NOMEM, INVAL.
 * ------------------------------------------------------------------------------- */
typedef void (*troupe_release_fn)(void *user, const void *data, size_t len);

enum troupe_send_flags {
  TROUPE_SEND_SYSTEM = 1u << 0, /* priority lane, kind SYSTEM, ignores mailbox bound */
};

typedef struct troupe_send_args {
  troupe_actor_id from, to;
  uint32_t tag;
  unsigned flags;
  const void *data;
  size_t len;
  /* Borrowed payload: when release is non-NULL the bytes are not copied; the runtime
   * calls release(release_user, data, len) exactly once when done with them (also if
   * the send fails). Otherwise the bytes are copied. */
  troupe_release_fn release;
  void *release_user;
  /* Correlation id the receiver sees in msg->corr (0 = none), e.g. so that an actor
   * waiting with troupe_actor_suspend_for(corr) is woken by this message. */
  uint64_t corr;
} troupe_send_args;

TROUPE_API int troupe_send(troupe_runtime *rt, troupe_actor_id from, troupe_actor_id to,
                           const void *data, size_t len);
TROUPE_API int troupe_send_ex(troupe_runtime *rt, const troupe_send_args *args);

/* Waiting for room in a bounded mailbox, instead of polling on MAILBOX_FULL. Waiters on
 * one target are served in FIFO order, one per freed slot: each time one of its queued
 * user messages leaves the mailbox (handled, or dropped), the oldest waiter is told.
 * Being told is not a reservation: a plain troupe_send racing it may take the slot
 * first (a blocking waiter then waits again at the head of the line; an actor that finds
 * it full again must ask again, at the back). A target without a bound always has room.
 * docs/ACTORS.md, "Waiting for mailbox space". */

/* Blocking send, for non-worker threads (the embedder's): like troupe_send_ex, but when
 * the bounded mailbox of args->to is full, sleeps (no polling) until a slot frees and
 * queues the message then. Returns 0 once queued, TIMEOUT when no slot could be taken
 * within timeout_ns (TROUPE_INFINITY: no limit; 0: one try), NOTFOUND when the target
 * is not alive or dies meanwhile, STOPPED when the runtime stops meanwhile, NOMEM,
 * INVAL; STATE when called on a worker thread (an actor must use
 * troupe_send_when_space). A borrowed payload's release is called exactly once on
 * every path: when the receiver is done with it, or before an error returns. Messages
 * with TROUPE_SEND_SYSTEM ignore the bound and never wait. A call that fails counts
 * once in msgs_rejected. Thread-safe; any number of threads may wait on one target. */
TROUPE_API int troupe_send_wait(troupe_runtime *rt, const troupe_send_args *args,
                                uint64_t timeout_ns);

/* Notification of room, for actors (self only; a worker never blocks): returns at once
 * with *corr (a fresh id); later the actor receives exactly one SPACE message with
 * msg->corr == *corr and msg->from == to, through the priority lane (so it also ends a
 * troupe_actor_suspend_for(self, *corr), or a plain suspension), whose status says why:
 * 0 when `to`'s mailbox had room (at once if it has room now; then retry the send: it
 * may be full again if other senders raced, and the answer is to ask again), TIMEOUT
 * after timeout_ns (TROUPE_INFINITY: none), NOTFOUND when `to` died meanwhile,
 * STOPPED when the runtime stopped. A room notice the actor does not use (or that is
 * dropped because it died) is passed to the next waiter. If `self` dies first, its
 * waits are withdrawn. Errors now (then no message follows): NOTFOUND (`to` is not
 * alive), INVAL, STATE (not the running actor), NOMEM. */
TROUPE_API int troupe_send_when_space(troupe_actor *self, troupe_actor_id to,
                                      uint64_t timeout_ns, uint64_t *corr);

/* ---------------------------------------------------------------------------------
 * Ask / reply. The target receives an ASK message with a correlation id and answers
 * with troupe_reply (from any thread, any time before the ask times out; the corr can
 * be kept past the handler, e.g. by a suspended component). A corr id, like an actor
 * id, carries a generation: a late reply never completes a different ask; it fails with
 * TIMEOUT and is counted in late_replies. If the target dies with the ask unanswered,
 * the asker gets NOT_RUNNING at once instead of waiting for the timeout.
 * ------------------------------------------------------------------------------- */

/* A received reply (blocking ask). Free with troupe_reply_free. */
typedef struct troupe_reply_msg {
  troupe_actor_id from;
  void *data;
  size_t len;
} troupe_reply_msg;
TROUPE_API void troupe_reply_free(troupe_reply_msg *r);

/* Blocking ask, for non-worker threads (the embedder's): sends, then waits up to
 * timeout_ns for the reply (spinning for the first 30 us, then sleeping). Returns 0 with *reply filled, or TIMEOUT, NOT_RUNNING,
 * NOTFOUND, MAILBOX_FULL, STOPPED; STATE when called on a worker thread (an actor must
 * use troupe_ask_async). */
TROUPE_API int troupe_ask(troupe_runtime *rt, troupe_actor_id to, uint32_t tag,
                          const void *data, size_t len, uint64_t timeout_ns,
                          troupe_reply_msg *reply, troupe_err *err);

/* troupe_ask with flags (0: the same as troupe_ask).
 *
 * TROUPE_ASK_RUN_HERE: when the question finds the actor idle -- no turn running or
 * queued, nothing else waiting in its mailbox -- the calling thread runs the actor's
 * turn itself instead of handing it to a worker, so an answer given in that turn costs
 * no hand-off between threads (two cross-core wake-ups otherwise). The handler then
 * runs on the caller's thread, but as on a worker: troupe_self and the _async calls
 * work, blocking calls are refused with STATE; the turn takes the question and at most
 * a few messages that came meanwhile, and what it leaves (more messages, a yield, a
 * wait for a reply) goes on on the workers while the caller waits as usual. The actor
 * must not care which thread runs it (no thread-local state of its own). Busy actor,
 * or a runtime that is stopping: the same as without the flag. */
#define TROUPE_ASK_RUN_HERE 1u
TROUPE_API int troupe_ask_ex(troupe_runtime *rt, troupe_actor_id to, uint32_t tag,
                             const void *data, size_t len, uint64_t timeout_ns,
                             unsigned flags, troupe_reply_msg *reply, troupe_err *err);

/* Async ask, for actors (self only): returns at once with *corr; later the actor gets
 * exactly one of REPLY(corr) or ASK_FAILED(corr, status TIMEOUT/NOT_RUNNING) through
 * the priority lane, which also wakes it when suspended. */
TROUPE_API int troupe_ask_async(troupe_actor *self, troupe_actor_id to, uint32_t tag,
                                const void *data, size_t len, uint64_t timeout_ns,
                                uint64_t *corr, troupe_err *err);

/* Answer the ask `corr` (any thread; from = replying actor or NO_ACTOR). TIMEOUT when
 * the ask already timed out or was answered (the reply is dropped and counted). */
TROUPE_API int troupe_reply(troupe_runtime *rt, troupe_actor_id from, uint64_t corr,
                            const void *data, size_t len);

/* ---------------------------------------------------------------------------------
 * Links, monitors, exit signals (OTP). Self-only calls act for the calling actor.
 * ------------------------------------------------------------------------------- */

/* Link self and `other` both ways. If other is dead self receives exit(noproc) (an EXIT
 * message when trapping, else it exits with noproc). */
TROUPE_API int troupe_link(troupe_actor *self, troupe_actor_id other);
TROUPE_API int troupe_unlink(troupe_actor *self, troupe_actor_id other);
/* Monitor `target`: self gets one DOWN message (corr = *ref) when it exits, with its
 * reason (noproc if already dead). */
TROUPE_API int troupe_monitor(troupe_actor *self, troupe_actor_id target, uint64_t *ref);
/* Cancel; no DOWN for ref is delivered after this returns. */
TROUPE_API int troupe_demonitor(troupe_actor *self, uint64_t ref);

/* Send the exit signal `reason` to `to` (erlang:exit/2), from any thread. KILL cannot be
 * trapped; NORMAL is ignored by a non-trapping target; any other reason kills a
 * non-trapping target or becomes an EXIT message for a trapping one. A target may be
 * suspended: only KILL and non-trapped fatal signals end it while suspended. `msg`
 * is copied. NOTFOUND when `to` is not alive.
 * KILL takes effect for everyone before the call returns (OTP: the kill arrives before
 * any later message from the same sender): from then on the target is not alive
 * (troupe_actor_alive), sends, exit signals and asks to it fail with NOTFOUND, links
 * and monitors see it as dead (noproc), so it never handles a message sent after the
 * kill. It may still finish the handler it is running, then it exits `killed` (its
 * terminate runs, links and monitors are told) on its worker shortly after. */
TROUPE_API int troupe_exit(troupe_runtime *rt, troupe_actor_id from, troupe_actor_id to,
                           troupe_exit_kind reason, int code, const char *msg);

/* True while the actor is alive: false from the moment it starts dying, before its exit
 * signals and down messages go out, so whoever receives those sees it gone (as OTP's
 * is_process_alive does), and from the moment a troupe_exit(KILL) to it returned. */
TROUPE_API bool troupe_actor_alive(troupe_runtime *rt, troupe_actor_id id);
/* User messages queued for id and not yet handled (deferred ones included), when its
 * mailbox is bounded or the runtime counts (count_queued); 0 otherwise, and for an id
 * that is not alive. A snapshot: senders and the actor move it meanwhile. */
TROUPE_API uint32_t troupe_actor_queued(troupe_runtime *rt, troupe_actor_id id);

/* ---------------------------------------------------------------------------------
 * Timers. Fire on a worker with about 1 ms resolution.
 * ------------------------------------------------------------------------------- */

/* Send args->data to args->to after delay_ns, with args' tag, flags and corr (the bytes
 * are copied now, or borrowed with args->release). The target is checked when the timer fires: a send that fails then
 * is counted in msgs_rejected. If `out` is non-NULL it receives a handle that must be
 * given back with troupe_timer_cancel or troupe_timer_forget. Errors now: INVAL, NOMEM,
 * STOPPED. Timers on one worker fire in deadline order. */
TROUPE_API int troupe_send_after(troupe_runtime *rt, const troupe_send_args *args,
                                 uint64_t delay_ns, troupe_timer **out);
/* Cancel and release the handle: true when it was cancelled before firing. */
TROUPE_API bool troupe_timer_cancel(troupe_timer *t);
/* Release the handle without cancelling. */
TROUPE_API void troupe_timer_forget(troupe_timer *t);

/* ---------------------------------------------------------------------------------
 * Registry: every live actor by id (lock-free) and optionally by unique name.
 * ------------------------------------------------------------------------------- */
typedef enum troupe_actor_status {
  TROUPE_STATUS_STARTING = 0, /* spawned, init not done */
  TROUPE_STATUS_RUNNING = 1,
  TROUPE_STATUS_STOPPING = 2, /* exiting, terminate running */
  TROUPE_STATUS_STOPPED = 3,  /* exited normally / shutdown; the entry goes away */
  TROUPE_STATUS_FAILED = 4,   /* crashed or killed; the entry goes away */
} troupe_actor_status;

typedef enum troupe_health {
  TROUPE_HEALTH_UNKNOWN = 0,
  TROUPE_HEALTH_HEALTHY = 1,
  TROUPE_HEALTH_DEGRADED = 2,
  TROUPE_HEALTH_UNHEALTHY = 3,
} troupe_health;

/* The health protocol belongs to the core, so any actor can be asked how it is, whether
 * a supervisor watches it or not (supervision's periodic checks use it). The question
 * is an ASK tagged TROUPE_TAG_HEALTH with no payload; the answer is a reply whose first
 * byte is a troupe_health (HEALTHY..UNHEALTHY) followed by an optional reason text (not
 * NUL-terminated). An actor answers from handle() (or later, with the corr) with
 * troupe_health_answer, or lets the runtime answer for it with a health callback. */
#define TROUPE_TAG_HEALTH 0x54520001u

/* True when msg is a health question (an ASK tagged TROUPE_TAG_HEALTH). */
TROUPE_API bool troupe_is_health_check(const troupe_message *msg);
/* Answer the health question `corr` asked of `self` (any thread, like troupe_reply):
 * INVAL when h is not HEALTHY..UNHEALTHY; reason may be NULL. */
TROUPE_API int troupe_health_answer(troupe_runtime *rt, troupe_actor_id self, uint64_t corr,
                                    troupe_health h, const char *reason);

/* Health callback (self only, e.g. from init): with one set, the runtime answers health
 * questions itself, before handle() sees them, also while the actor is suspended (an
 * actor without one gets the question in handle() after it resumes): fn returns the health and may write a
 * NUL-terminated reason of at most cap bytes. NULL removes it (handle() gets the
 * questions again). It lives as long as this incarnation. A value out of range is
 * answered as Unhealthy. */
typedef troupe_health (*troupe_health_fn)(troupe_actor *self, char *reason, size_t cap);
TROUPE_API int troupe_actor_set_health_fn(troupe_actor *self, troupe_health_fn fn);

TROUPE_API const char *troupe_actor_status_name(troupe_actor_status s);
TROUPE_API const char *troupe_health_name(troupe_health h);

/* A snapshot of one entry. Strings are owned by the snapshot: free it with
 * troupe_actor_info_clear (the foreach callback's info is borrowed instead). */
typedef struct troupe_actor_info {
  troupe_actor_id id;
  troupe_actor_id parent;
  troupe_actor_status status;
  troupe_health health;
  uint32_t restart_count;
  uint64_t start_time_ns; /* wall clock */
  const char *behaviour;  /* static: the behaviour's name */
  char *name;             /* NULL when unnamed */
  char *metadata;         /* NULL when unset */
  char *health_reason;    /* NULL when unset */
} troupe_actor_info;

TROUPE_API void troupe_actor_info_clear(troupe_actor_info *info);
/* O(1): NOTFOUND if absent. info may be NULL to test presence. */
TROUPE_API int troupe_registry_info(troupe_runtime *rt, troupe_actor_id id,
                                    troupe_actor_info *info);
/* O(1) by name: *id of the live actor registered under `name`, else NOTFOUND. A name
 * resolves only once its actor accepts messages (not while its spawn is still being
 * published) and stops resolving when its death begins: a send to the *id found fails
 * with NOTFOUND only if that actor has died since. Any thread. */
TROUPE_API int troupe_registry_lookup(troupe_runtime *rt, const char *name, troupe_actor_id *id);
/* Register/unregister a name for a live actor (a name per actor at most). */
TROUPE_API int troupe_registry_register(troupe_runtime *rt, troupe_actor_id id, const char *name);
TROUPE_API int troupe_registry_unregister(troupe_runtime *rt, const char *name);
TROUPE_API int troupe_registry_set_metadata(troupe_runtime *rt, troupe_actor_id id,
                                            const char *metadata);
/* Set the latest health (supervision's checks); emits actor.health when it changes. */
TROUPE_API int troupe_registry_set_health(troupe_runtime *rt, troupe_actor_id id,
                                          troupe_health h, const char *reason);
TROUPE_API int troupe_registry_set_restart_count(troupe_runtime *rt, troupe_actor_id id,
                                                 uint32_t n);
/* Visit every live actor (a consistent snapshot per entry, not of the whole table);
 * stop early by returning false. Returns the number visited. */
typedef bool (*troupe_registry_visit_fn)(void *user, const troupe_actor_info *info);
TROUPE_API size_t troupe_registry_foreach(troupe_runtime *rt, troupe_registry_visit_fn fn,
                                          void *user);

#ifdef __cplusplus
}
#endif
#endif
