/*
 * actor/ext.h: the actor core's extension API, the one internal header the layers built
 * on the core may include (supervision in src/supervisor/, the broker in src/broker/,
 * components and the node later). It adds to the public include/troupe/actor.h what a
 * layer needs to build runtime services: timers with callbacks on a worker, lifecycle
 * events, per-runtime extension slots, stop, exit and drop hooks, and a few questions
 * about the calling thread. The core's private data (slots, mailboxes, workers) lives in
 * actor/core.h, which the build's include paths hide from every other layer
 * (cmake/TroupeLayer.cmake); docs/ARCHITECTURE.md states the rules. Internal externs
 * carry the prefix trA_. docs/ACTORS.md explains the design.
 */
#ifndef TROUPE_SRC_ACTOR_EXT_H
#define TROUPE_SRC_ACTOR_EXT_H

#include "base/base.h"
#include "troupe/actor.h"

/* Timers: `cb(rt, arg)` runs once on a worker thread after delay_ns, unless cancelled
 * first. When `dtor` is non-NULL it is called with arg instead if the timer is cancelled
 * (or never fires because the runtime stops), so arg can own memory. Callable from any
 * thread (a worker puts it on its own heap; another thread hands it to a worker).
 * With want_handle the caller gets a handle it must give back with trA_timer_cancel or
 * troupe_timer_forget (include/troupe/actor.h); otherwise NULL is returned on success
 * too (check the status). */
typedef void (*trA_timer_fn)(troupe_runtime *rt, void *arg);
int trA_timer_start(troupe_runtime *rt, uint64_t delay_ns, trA_timer_fn cb, trA_timer_fn dtor,
                    void *arg, bool want_handle, troupe_timer **out);
/* True when cancelled before it fired (its dtor then runs); releases the handle. */
bool trA_timer_cancel(troupe_timer *t);

/* Lifecycle events to the runtime's audit logger: one JSON line with "event", "actor"
 * (formatted id), "behaviour" and "name" (when the actor is live) and the extra fields.
 * Names used: actor.spawned, actor.started, actor.stopped, actor.crashed,
 * actor.restarted, actor.escalated, actor.health (supervision emits restarted /
 * escalated). Cheap when no audit logger is set or the level is filtered. */
void trA_event(troupe_runtime *rt, troupe_log_level level, const char *event,
               troupe_actor_id id, const troupe_log_field *extra, size_t nextra);
bool trA_event_enabled(troupe_runtime *rt, troupe_log_level level);

/* Per-runtime extension slots: other parts of the layer hang their state on the runtime
 * (no globals). Read/write is relaxed-atomic; set them before use by other threads. */
typedef enum trA_ext_slot {
  TRA_EXT_SUP = 0,
  TRA_EXT_BROKER = 1,
  TRA_EXT_COMPONENT = 2,
  TRA_EXT_NODE = 3,
  TRA_EXT_COUNT
} trA_ext_slot;
void *trA_runtime_ext(troupe_runtime *rt, trA_ext_slot slot);
void trA_runtime_set_ext(troupe_runtime *rt, trA_ext_slot slot, void *p);

/* Stop hooks run once, in reverse registration order, after every actor has exited and
 * the workers are joined (troupe_runtime_stop, or troupe_runtime_free without stop). */
typedef void (*trA_stop_fn)(troupe_runtime *rt, void *user);
int trA_runtime_on_stop(troupe_runtime *rt, trA_stop_fn fn, void *user);

/* Exit hooks: fn(rt, id, reason, user) runs on the dying actor's worker for every actor
 * death, after its links and monitors were signalled (the id no longer accepts
 * messages). For layer parts that watch many actors (e.g. the broker's subscribers)
 * without a monitor per actor. Must be quick and must not block; runs for every death,
 * so filter cheaply. At most TRA_EXIT_HOOKS_MAX per runtime (RANGE beyond); there is
 * no removal: register once per runtime, before the actors it watches exist. */
#define TRA_EXIT_HOOKS_MAX 8
typedef void (*trA_exit_fn)(troupe_runtime *rt, troupe_actor_id id, troupe_exit_kind reason,
                            void *user);
int trA_runtime_on_exit(troupe_runtime *rt, trA_exit_fn fn, void *user);

/* Drop hooks: fn(rt, d, user) runs for every message the runtime accepted for an actor
 * (its send returned OK) and then discarded without giving it to the actor's handler:
 * the actor died with it still queued or deferred, or the runtime stopped with it still
 * queued (exactly the messages counted in troupe_runtime_stats.msgs_dropped). With the
 * send's own status this lets a layer account for every message it sent (the broker
 * counts its deliveries that were never handled). Runs on the thread that discards the
 * message (the addressee's worker, or the one in troupe_runtime_stop for what is left at
 * the end), before the payload is released; must be quick and must not block; runs for
 * every such message, so filter cheaply (e.g. on `release`). At most
 * TRA_DROP_HOOKS_MAX per runtime (RANGE beyond); registering the same (fn, user) again
 * does nothing (unlike exit hooks), so a layer may register from every constructor; there
 * is no removal. */
#define TRA_DROP_HOOKS_MAX 8
typedef struct trA_dropped {
  troupe_actor_id to;        /* the addressee (the incarnation the message was for) */
  uint32_t tag;
  troupe_release_fn release; /* a borrowed payload's release function and user pointer */
  void *release_user;        /* (both NULL when the payload was copied) */
} trA_dropped;
typedef void (*trA_drop_fn)(troupe_runtime *rt, const trA_dropped *d, void *user);
int trA_runtime_on_drop(troupe_runtime *rt, trA_drop_fn fn, void *user);

/* The runtime of the calling worker thread, the actor it is running (NULL between
 * actors or on other threads). */
troupe_runtime *trA_current_runtime(void);
troupe_actor *trA_current_actor(void);
/* A fresh correlation id for a request that is not an ask (a monitor ref, a broker
 * request, a supervisor call): unique among these for 2^32 calls and never equal to an
 * ask's corr (an ask's corr is generation << 32 | record index; these have all 32 low
 * bits set, an index no ask record reaches), so an actor that waits for it with
 * troupe_actor_suspend_for cannot be woken by another request's answer. Any thread. */
uint64_t trA_corr_new(troupe_runtime *rt);

/* True when the calling thread is one of rt's workers: a blocking wait for an actor
 * there could deadlock the runtime (the API refuses it with a clear error). */
bool trA_on_worker(troupe_runtime *rt);

/* True until the actor's slot is freed, i.e. also while it is dying (unlike the public
 * troupe_actor_alive, which turns false when the death starts or a kill was sent): false
 * means the death has fully finished, links and monitors were told. runtime stop waits
 * on this. */
bool trA_slot_in_use(troupe_runtime *rt, troupe_actor_id id);

#endif
