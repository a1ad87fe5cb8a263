/*
 * actor/core.h: the actor core's private data (slots, mailboxes, workers, timers, the
 * registry) and the functions the core's files share. Only src/actor/ (and its white-box
 * tests) can include it: the build's include paths hide it from the layers above, which
 * use actor/ext.h, the extension API this header builds on. Internal externs carry the
 * prefix trA_. docs/ACTORS.md explains the design.
 */
#ifndef TROUPE_SRC_ACTOR_CORE_H
#define TROUPE_SRC_ACTOR_CORE_H

#include "actor/ext.h"

#include <pthread.h>
#include <stdatomic.h>

/* =================================================================================
 * Core private data. Ownership rule of thumb: fields marked (consumer) are touched only
 * by the worker currently running the actor (it holds the SCHEDULED token); (atomic)
 * fields are read by other threads; (spawn) fields are written before the actor's
 * generation is published with a release store and only read after an acquire load.
 * ================================================================================= */

/* ---- mailbox: intrusive Vyukov MPSC queue with Pony's "was empty" tag ------------- */
typedef struct trA_link {
  _Atomic(struct trA_link *) next;
} trA_link;

typedef struct trA_mq {
  _Atomic(uintptr_t) head; /* producers exchange here; bit 0 = consumer marked it empty */
  trA_link *tail;          /* (consumer) */
  trA_link stub;           /* embedded: an idle empty queue owns no node */
} trA_mq;

void trA_mq_init(trA_mq *q);
/* Returns true when the consumer had marked the queue empty: the caller schedules. */
bool trA_mq_push(trA_mq *q, trA_link *n);
/* Consumer only. NULL when empty (or a producer is mid-push: retried next turn). */
trA_link *trA_mq_pop(trA_mq *q);
/* Consumer only: mark empty if it is; false when there is something queued. */
bool trA_mq_mark_empty(trA_mq *q);
/* Any thread: is it (still) marked empty? Sequentially consistent load. */
bool trA_mq_is_marked_empty(trA_mq *q);

/* ---- messages ------------------------------------------------------------------- */
/* Internal kinds extend the public ones (signals consumed by the runtime itself). */
enum {
  TRA_K_SIGNAL = 17,   /* exit signal: from, exit kind/code, data = message text */
  TRA_K_LINK = 18,     /* from wants a link */
  TRA_K_UNLINK = 19,
  TRA_K_MONITOR = 20,  /* from monitors us with ref corr */
  TRA_K_DEMONITOR = 21,
};

enum {
  TRA_MF_POOLED = 1u << 0,   /* node from a size-class pool (else malloc'd with payload) */
  TRA_MF_BORROWED = 1u << 1, /* data is the sender's; call release */
  TRA_MF_COUNTED = 1u << 2,  /* counted in the target's bounded mailbox */
  TRA_MF_VIA_LINK = 1u << 3, /* exit signal caused by a link (dropped if unlinked) */
  TRA_MF_SYS = 1u << 4,      /* went through the priority lane */
};

#define TRA_MSG_INLINE 48 /* payload bytes inside a pooled node (node = 128 bytes) */

typedef struct trA_msg {
  trA_link link; /* first: the queue links nodes through it */
  uint8_t kind;
  uint8_t flags;
  uint8_t exit_kind;
  uint8_t pad_;
  uint32_t target_gen; /* generation of the addressee; stale nodes are dropped */
  uint32_t tag;
  int32_t status;      /* exit code, ask status */
  troupe_actor_id from;
  uint64_t corr;
  uint64_t ts;
  size_t len;
  void *data; /* inline area, the tail of a heap node, or borrowed */
  troupe_release_fn release;
  void *release_user;
  unsigned char inl[TRA_MSG_INLINE];
} trA_msg;

/* ---- actors (slots) --------------------------------------------------------------- */
/* gen_state = generation << 32 | state. A FREE slot already holds its next generation.
 * An ALIVE slot may also carry TRA_SLOT_DOOMED: troupe_exit(KILL) set it before queueing
 * the kill, and from then on the id accepts nothing more (send.c). TRA_STATE leaves the
 * flag out, so to the rest of the core a doomed actor is alive until it dies. */
enum { TRA_SLOT_FREE = 0, TRA_SLOT_ALIVE = 1, TRA_SLOT_DEAD = 2, TRA_SLOT_DOOMED = 0x100 };
#define TRA_GEN(gs) ((uint32_t)((gs) >> 32))
#define TRA_STATE(gs) ((uint32_t)((gs)&0xffu))
#define TRA_DOOMED(gs) (((gs)&TRA_SLOT_DOOMED) != 0)
#define TRA_ID(idx, gen) (((uint64_t)(gen) << 32) | (uint64_t)(idx))
#define TRA_ID_IDX(id) ((uint32_t)((id)&0xffffffffu))
#define TRA_ID_GEN(id) ((uint32_t)((id) >> 32))

enum { /* troupe_actor.traits: has it ever trapped exits / had links (stop order) */
  TRA_TR_TRAP = 1u << 0,
  TRA_TR_LINKED = 1u << 1,
  TRA_TR_STOP_WAIT = 1u << 2, /* TROUPE_SPAWN_STOP_WAIT */
};

enum { /* troupe_actor.flags (consumer) */
  TRA_AF_SUSPENDED = 1u << 0,
  TRA_AF_TRAP = 1u << 1,
  TRA_AF_STARTED = 1u << 2, /* init has run */
  TRA_AF_WAIT_CORR = 1u << 3, /* suspended for ext->wake_corr (troupe_actor_suspend_for) */
  TRA_AF_HEALTH_FN = 1u << 4, /* ext->health set: health asks are answered while suspended */
};
/* While suspended with one of these the user lane is still taken (and what does not
 * wake the actor is deferred): the awaited message or a health question may be in it. */
#define TRA_AF_TAKES_USER (TRA_AF_WAIT_CORR | TRA_AF_HEALTH_FN)

typedef struct trA_ext trA_ext;   /* links, monitors, deferred messages (consumer) */
typedef struct trA_meta trA_meta; /* name, metadata, health reason (meta lock) */

struct troupe_actor {
  _Atomic uint64_t gen_state;     /* (atomic) */
  _Atomic uint32_t sched;         /* (atomic) 1 = scheduled or running: the run token */
  _Atomic uint32_t mcount;        /* (atomic) queued counted user messages */
  _Atomic uint32_t bound;         /* (atomic, spawn) 0 = unbounded */
  uint32_t index;                 /* slot index, fixed for the slot's life */
  _Atomic uint32_t next_free;     /* free-stack link (index + 1) */
  uint16_t flags;                 /* (consumer) TRA_AF_* */
  _Atomic uint8_t status;         /* (atomic) troupe_actor_status */
  _Atomic uint8_t health;         /* (atomic) troupe_health */
  _Atomic uint8_t traits;         /* (atomic) TRA_TR_*: sticky, read by stop */
  _Atomic uint32_t waiters;       /* (atomic) senders queued for mailbox space (space.c);
                                   * in what was padding, on mcount's cache line */
  trA_mq sys;                     /* priority lane */
  trA_mq user;                    /* user lane */
  _Atomic(const troupe_behaviour *) b; /* (atomic, spawn) */
  void *state;                    /* (consumer) */
  trA_ext *ext;                   /* (consumer) lazily allocated */
  _Atomic(trA_meta *) meta;       /* (meta lock) */
  _Atomic uint64_t parent;        /* (atomic, spawn) */
  _Atomic uint64_t spawn_seq;     /* (atomic, spawn) */
  _Atomic uint64_t start_wall;    /* (atomic, spawn) */
  _Atomic uint32_t restarts;      /* (atomic) */
  troupe_runtime *rt;
  trA_link inj_link;              /* inject queue link (token holder; see sched.c) */
};

/* ---- segmented tables: stable addresses, O(1) index, grow without moving ----------- */
#define TRA_SEG_BASE_SHIFT 10 /* segment k holds 1024 << k elements */
#define TRA_SEG_MAX 23        /* enough for 2^32 elements */

typedef struct trA_segtab {
  _Atomic(void *) seg[TRA_SEG_MAX];
  size_t elem_size;
  _Atomic uint32_t used;        /* indices handed out so far (bump allocation) */
  _Atomic uint64_t free_head;   /* Treiber stack: aba counter << 32 | (index + 1) */
  size_t next_free_off;         /* offset of the element's _Atomic uint32_t link */
  void (*init_elem)(void *elem, uint32_t index, void *user);
  void *init_user;
  pthread_mutex_t grow_lock;
} trA_segtab;

void trA_segtab_init(trA_segtab *t, size_t elem_size, size_t next_free_off,
                     void (*init_elem)(void *, uint32_t, void *), void *user);
void trA_segtab_destroy(trA_segtab *t, void (*fini_elem)(void *elem, void *user), void *user);
/* Element at index or NULL if never allocated. Lock-free. */
void *trA_segtab_get(trA_segtab *t, uint32_t index);
/* A free index (reused first), its element initialised once. NOMEM / RANGE. */
int trA_segtab_alloc(trA_segtab *t, uint32_t *index);
void trA_segtab_free(trA_segtab *t, uint32_t index);
uint32_t trA_segtab_used(trA_segtab *t);

/* ---- asks ----------------------------------------------------------------------- */
enum { TRA_ASK_FREE = 0, TRA_ASK_PENDING = 1, TRA_ASK_CLAIMED = 2 };

typedef struct trA_ask {
  _Atomic uint64_t word;       /* generation << 32 | TRA_ASK_* */
  _Atomic uint32_t next_free;
  _Atomic uint32_t done;       /* blocking waiter's futex word */
  uint32_t index;
  bool blocking;
  troupe_actor_id asker;       /* async: who gets REPLY / ASK_FAILED */
  troupe_timer *timer;         /* async: the timeout */
  uint64_t deadline;           /* monotonic ns; UINT64_MAX: none. Read by the completer
                                * after its claim (published by the PENDING store) */
  int status;                  /* blocking: result */
  troupe_actor_id reply_from;
  void *reply_data;
  size_t reply_len;
} trA_ask;

/* ---- waiting for mailbox space (space.c) --------------------------------------- */
enum { TRA_SW_FREE = 0, TRA_SW_QUEUED = 1, TRA_SW_DONE = 2 };

/* A sender waiting for room in one target's bounded mailbox: a thread blocked in
 * troupe_send_wait or an actor that asked troupe_send_when_space. Records live in a
 * segmented table (type-stable, like asks), so a timer or a dying actor holding a stale
 * handle (generation << 32 | index) reads safe memory and fails the generation check.
 * While QUEUED a record is in its target's list (trA_meta.wq_*) and every change of
 * `word` out of QUEUED happens under the target's meta lock: taking the record out of
 * the list is what decides who completes it (the wake, the timeout, a death, stop). */
typedef struct trA_spacew {
  _Atomic uint64_t word;         /* generation << 32 | TRA_SW_* */
  _Atomic uint32_t next_free;
  uint32_t index;
  _Atomic uint32_t done;         /* blocking waiter's futex word: 1 once taken out */
  int status;                    /* blocking: the outcome, written before done (release) */
  _Atomic uint64_t target;       /* fixed while QUEUED; read unlocked only as a lock hint */
  troupe_actor_id waiter;        /* the waiting actor; 0 for a blocking thread */
  uint64_t corr;                 /* actor: the notification's corr */
  troupe_timer *timer;           /* actor: its timeout (under the target's meta lock) */
  struct trA_spacew *prev, *next; /* in the target's list (under the lock) */
} trA_spacew;

void trA_spaces_init(troupe_runtime *rt);
/* The target `a` is dying (its meta lock held, DEAD published): take every waiter out
 * of its line; threads are told at once (NOTFOUND, or STOPPED while the runtime stops),
 * the actors' records are returned for trA_space_fail_all, called after the lock (NULL:
 * nothing to do). */
trA_spacew *trA_space_detach(troupe_actor *a, trA_meta *meta);
void trA_space_fail_all(troupe_runtime *rt, trA_spacew *list);
/* The waiting actor `a` is dying: withdraw what it still waits for (no message). */
void trA_space_cancel_mine(troupe_runtime *rt, troupe_actor *a);
/* A notification of space from `target` was handled or dropped: if the mailbox has room
 * and others wait, tell the next one (a notification nobody used must not strand them). */
void trA_space_pass(troupe_runtime *rt, troupe_actor_id target);

/* ---- work-stealing run queue: single producer (owner), many consumers (CAS on top) */
typedef struct trA_ring {
  size_t mask;
  struct trA_ring *retired; /* older arrays, freed at destroy (thieves may read them) */
  _Atomic(troupe_actor *) buf[];
} trA_ring;

typedef struct trA_deque {
  _Atomic int64_t top;    /* consumers CAS it */
  _Atomic int64_t bottom; /* owner writes it */
  _Atomic(trA_ring *) ring;
} trA_deque;

int trA_deque_init(trA_deque *d, size_t cap);
void trA_deque_destroy(trA_deque *d);
int trA_deque_push(trA_deque *d, troupe_actor *a); /* owner only; NOMEM */
troupe_actor *trA_deque_pop(trA_deque *d);         /* any thread (FIFO) */
int64_t trA_deque_size(trA_deque *d);

/* ---- timers --------------------------------------------------------------------- */
enum { TRA_TM_PENDING = 0, TRA_TM_FIRED = 1, TRA_TM_CANCELLED = 2 };

struct troupe_timer {
  _Atomic uint32_t state;
  _Atomic uint32_t refs;   /* the heap's + the handle's */
  uint64_t deadline;
  uint64_t seq;            /* tie-break: equal deadlines fire in start order */
  trA_timer_fn cb, dtor;
  void *arg;
  _Atomic(struct trA_worker *) owner; /* whose heaps hold it (set before it enters one) */
  _Atomic bool soon;       /* in the owner's `soon` heap (set by the owner only) */
  size_t hidx;             /* its index in the heap that holds it (owner's, or under the
                            * soon lock) */
  struct troupe_timer *next_inject;
};

typedef struct trA_theap {
  troupe_timer **v;
  size_t n, cap;
} trA_theap;

/* A worker's timers due within TRA_TIMER_SOON_NS: any worker may fire them (timer.c).
 * `next` (its top's deadline, UINT64_MAX when empty) is read by every worker as a hint;
 * everything else is under `lock`. */
typedef struct trA_soon {
  _Atomic uint64_t next;
  pthread_mutex_t lock;
  trA_theap heap;
} trA_soon;

/* ---- counters: per worker, single writer (relaxed atomics so readers are exact) --- */
#define TRA_COUNTERS(X)                                                                  \
  X(msgs_sent) X(msgs_received) X(msgs_dropped) X(msgs_rejected) X(asks) X(replies)      \
  X(ask_timeouts) X(ask_failed) X(late_replies) X(spawned) X(exited) X(crashed)          \
  X(timers_fired) X(timers_cancelled) X(steals) X(parks)

typedef struct trA_counters {
#define TRA_X_FIELD(n) _Atomic uint64_t n;
  TRA_COUNTERS(TRA_X_FIELD)
#undef TRA_X_FIELD
} trA_counters;

/* ---- workers -------------------------------------------------------------------- */
#define TRA_POOL_MAX 1024 /* node pointers a worker caches */
#define TRA_MAG_SIZE 256  /* node pointers per depot magazine */

/* A full (or, on the empty list, unused) magazine of the node depot. */
typedef struct trA_mag {
  struct trA_mag *next;
  size_t n; /* pointers in v (non-worker threads take single nodes from the top one) */
  trA_msg *v[TRA_MAG_SIZE];
} trA_mag;

typedef struct trA_worker {
  troupe_runtime *rt;
  unsigned index;
  pthread_t thread;
  trA_deque dq;
  trA_deque urgent;       /* actors woken by a timer: run (or stolen) before dq */
  bool in_timers;         /* (owner) running timer callbacks: wake-ups go to urgent */
  size_t npool;           /* nodes in cache[] (owner only) */
  trA_msg *cache[TRA_POOL_MAX]; /* free pooled nodes: a magazine stack (owner only) */
  trA_theap timers;       /* owner only */
  bool tm_walking;        /* (owner) compact/destroy walks the heap: no eager removal */
  _Atomic uint64_t tm_cancelled; /* cancelled timers still in the heap */
  uint64_t now;           /* monotonic ns, refreshed per turn */
  uint64_t rng;
  uint32_t tick;
  uint32_t since_clock;    /* messages handled since `now` was read */
  troupe_actor *current;
  /* Thief side (owner only): the lone queued actor of `hold_v` it leaves alone while
   * that worker's turn `hold_turn` goes on (find_work). */
  struct trA_worker *hold_v;
  uint32_t hold_turn, hold_looks;
  trA_counters c;
  _Atomic uint64_t parked_ns;  /* (owner) time asleep in park, for the metrics */
  _Atomic uint64_t park_since; /* (owner) when the current park began; 0 when awake */
  _Atomic uint32_t park_seq;   /* (owner) odd while the two above change (sched.c) */
  _Atomic uint64_t parked_seen; /* the most any reader was told (runtime.c) */
  char pad_soon_[64];     /* keeps `soon.next`, read by every worker, off the lines above */
  trA_soon soon;
  char pad_turns_[64];
  /* Turns begun (the owner's store, relaxed; thieves read it): a lone queued actor is
   * stolen only from a worker whose turn has not changed for a while. Own line: written
   * every turn, read only when a thief finds a queue of one. */
  _Atomic uint32_t turns;
  char pad_[64];
} trA_worker;

/* ---- runtime -------------------------------------------------------------------- */
#define TRA_NAME_SHARDS 64
#define TRA_META_LOCKS 64

typedef struct trA_name_entry {
  struct trA_name_entry *next;
  uint64_t hash;
  troupe_actor_id id;
  char name[];
} trA_name_entry;

typedef struct trA_name_shard {
  pthread_rwlock_t lock;
  trA_name_entry **buckets;
  size_t nbuckets, count;
} trA_name_shard;

typedef struct trA_hook {
  trA_stop_fn fn;
  void *user;
} trA_hook;

/* An exit or drop hook; fn is stored as void (*)(void), the one function pointer type
 * any other converts to and back from without a warning, and is called as its own. */
typedef struct trA_xhook {
  void (*fn)(void);
  void *user;
} trA_xhook;

enum { TRA_RT_RUNNING = 0, TRA_RT_STOPPING = 1, TRA_RT_STOPPED = 2 };
/* runtime->spawn_gate: the number of outside spawns (no `self`) under way, plus this bit
 * once stop has closed the gate (the handshake: troupe_spawn in actor.c). */
#define TRA_GATE_CLOSED ((uint64_t)1 << 63)

struct troupe_runtime {
  troupe_runtime_config cfg;
  unsigned nworkers;
  trA_worker *workers;
  trA_segtab slots; /* troupe_actor */
  trA_segtab asks;  /* trA_ask */
  trA_segtab spaces; /* trA_spacew: senders waiting for mailbox space (space.c) */
  trA_name_shard names[TRA_NAME_SHARDS];
  pthread_mutex_t meta_locks[TRA_META_LOCKS];

  /* work from non-worker threads */
  trA_mq inject;                   /* runnable actors (MPSC through inj_link) */
  _Atomic uint32_t inject_busy;    /* the inject queue's consumer try-lock */
  pthread_mutex_t inject_lock;     /* guards inject_timers */
  troupe_timer *inject_timers;
  _Atomic uint32_t inject_pending; /* hint: something in inject / inject_timers */

  /* node depot shared by workers and other threads */
  pthread_mutex_t depot_lock;
  trA_msg *depot;         /* nodes freed by non-worker threads (linked) */
  size_t ndepot;
  trA_mag *mags_full;     /* full magazines */
  trA_mag *mags_empty;    /* empty shells kept for reuse */
  size_t nmags;

  /* parking */
  _Atomic uint32_t wake_epoch;
  _Atomic int32_t sleepers;
  _Atomic int32_t spinning;         /* workers in the idle spin (sched.c: at most max_spinning) */
  int32_t max_spinning;             /* fixed at start */
  _Atomic bool wake_pending;
  _Atomic uint32_t timers_injected; /* hint: inject_timers non-empty */
  _Atomic uint32_t soon_heaps;      /* hint: workers whose soon heap is not empty */
  pthread_mutex_t stop_lock;
  _Atomic uint32_t exit_epoch;  /* bumped by each death while stop waits */
  _Atomic int32_t exit_waiters;

  _Atomic int state;     /* TRA_RT_* */
  _Atomic uint64_t spawn_gate; /* outside spawns under way | TRA_GATE_CLOSED */
  /* Turns that outside threads took to run themselves (trA_deliver_take) and have not
   * ended: stop waits for none before it lets the workers go (runtime.c). */
  _Atomic uint32_t inline_turns;
  _Atomic bool quit;     /* workers leave their loop */
  _Atomic uint64_t spawn_seq, live, mon_ref, timer_seq;
  /* Counters of non-worker threads (atomic adds), on lines of their own: an embedder
   * that sends or kills in a loop adds to them while every worker's death path writes
   * `live` above and reads the hooks below (shared, they cost ~0.1 us an exit). */
  _Alignas(64) trA_counters ext_c;
  char pad_ext_c_[64];
  _Atomic(void *) ext[TRA_EXT_COUNT];
  pthread_mutex_t hooks_lock;
  trA_hook *hooks;
  size_t nhooks;
  trA_xhook exit_hooks[TRA_EXIT_HOOKS_MAX]; /* fn: trA_exit_fn */
  _Atomic uint32_t nexit_hooks; /* entries below it are complete (release/acquire) */
  trA_xhook drop_hooks[TRA_DROP_HOOKS_MAX]; /* fn: trA_drop_fn */
  _Atomic uint32_t ndrop_hooks; /* as nexit_hooks */
  bool workers_joined;
};

/* ---- core internal functions (core files only) ------------------------------------ */
extern _Thread_local trA_worker *trA_tls_worker;
/* The actor whose turn this outside thread runs (trA_run_inline), or NULL, and that
 * turn's clock (read when its ask began: the worker's `now` for it). */
extern _Thread_local troupe_actor *trA_tls_inline;
extern _Thread_local uint64_t trA_tls_inline_now;

uint64_t trA_now(troupe_runtime *rt); /* cached on workers (see worker_main) */
/* The calling thread's cached clock for rt -- its worker's `now`, or the clock of the
 * turn it runs itself (trA_run_inline) -- or NULL: read the clock. */
uint64_t *trA_cached_clock(troupe_runtime *rt);

/* The calling thread's worker of rt, or NULL. Inline: it is on every hot path. */
static inline trA_worker *trA_worker_of(troupe_runtime *rt) {
  trA_worker *w = trA_tls_worker;
  return (w && w->rt == rt) ? w : NULL;
}

static inline void trA_count(troupe_runtime *rt, size_t off, uint64_t n) {
  if (TR_UNLIKELY(rt->cfg.no_metrics))
    return;
  trA_worker *w = trA_worker_of(rt);
  if (w) {
    /* Single writer: a relaxed load + store (no locked instruction); readers of the
     * stats get a value that is exact once the worker is quiet. */
    _Atomic uint64_t *c = (_Atomic uint64_t *)(void *)((char *)&w->c + off);
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
                          memory_order_relaxed);
  } else {
    _Atomic uint64_t *c = (_Atomic uint64_t *)(void *)((char *)&rt->ext_c + off);
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
  }
}
#define TRA_COUNT(rt, field, n) trA_count((rt), offsetof(trA_counters, field), (n))

/* nodes */
trA_msg *trA_msg_new(troupe_runtime *rt, size_t len);
void trA_msg_free(troupe_runtime *rt, trA_msg *m);
void trA_pool_drain(troupe_runtime *rt, trA_worker *w);

/* slots and delivery */
troupe_actor *trA_slot(troupe_runtime *rt, troupe_actor_id id); /* NULL if not ALIVE */
/* Enqueue a built node to `to` (node ownership passes in all cases). Lane: sys flag. */
int trA_deliver(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, bool sys);
/* Push a user node whose mailbox slot the caller already claimed (trA_count_claim) on
 * a, the slot of `to`. */
int trA_deliver_claimed(troupe_runtime *rt, troupe_actor *a, troupe_actor_id to, trA_msg *m);
/* A node for troupe_send_ex's arguments (payload copied or borrowed); NULL on NOMEM
 * (release already called, counted as rejected). Arguments checked by the caller. */
trA_msg *trA_args_node(troupe_runtime *rt, const troupe_send_args *args);
/* m was not accepted (no such live actor): free it, count it; NOTFOUND or STOPPED. */
int trA_refuse(troupe_runtime *rt, trA_msg *m);
/* A runtime signal: what trA_signal puts in the node (fields left out are zero). */
typedef struct trA_sig {
  int kind;             /* TROUPE_MSG_* or TRA_K_* */
  troupe_actor_id from;
  uint64_t corr;        /* monitor ref, ask corr */
  int exit_kind;        /* troupe_exit_kind of an exit signal or DOWN */
  int32_t status;       /* exit code, start status */
  const char *text;     /* exit message, copied into the node (NULL: none) */
  uint32_t tag;
  unsigned mflags;      /* TRA_MF_* */
} trA_sig;
/* Build and enqueue a runtime signal on the sys lane of `to`. */
int trA_signal(troupe_runtime *rt, troupe_actor_id to, const trA_sig *sig);
void trA_schedule(troupe_runtime *rt, troupe_actor *a);
void trA_requeue(trA_worker *w, troupe_actor *a); /* runner keeps the token */
/* The holder of a's run token that is not a worker gives the actor to the workers. */
void trA_handoff(troupe_runtime *rt, troupe_actor *a);
/* As trA_deliver to the user lane, but when the push makes the actor runnable the
 * caller (an outside thread) takes its run token instead of scheduling it: *run is then
 * the actor, to be run with trA_run_inline. Only while the runtime runs; otherwise it
 * schedules as usual and leaves *run NULL. */
int trA_deliver_take(troupe_runtime *rt, troupe_actor_id to, trA_msg *m, troupe_actor **run);
/* One turn of a, whose token the calling outside thread took (trA_deliver_take), on
 * this thread, with `now` (a recent clock reading) as its cached clock; what the turn
 * leaves goes to the workers. Ends the take's claim on rt->inline_turns. */
void trA_run_inline(troupe_runtime *rt, troupe_actor *a, uint64_t now);
int trA_workers_start(troupe_runtime *rt);
void trA_workers_join(troupe_runtime *rt);
troupe_actor_id trA_self_id(const troupe_actor *a);
void trA_slots_init(troupe_runtime *rt);
void trA_asks_init(troupe_runtime *rt);
void trA_run_actor(trA_worker *w, troupe_actor *a);
void trA_wake(troupe_runtime *rt, bool force);
/* A thread that is about to wait for what it schedules (a blocking ask) defers the
 * wake-ups it causes: between trA_wake_defer and trA_wake_undefer its wake-ups of rt's
 * parked workers are only noted as owed (undefer returns whether one is); the thread
 * then calls trA_wake itself if no answer came within TRA_WAKE_GRACE_NS, and always
 * before it sleeps (forced then: a counted spinner may have been preempted) or gives
 * up, so the work is never left without a worker to find it (sched.c, "Deferred
 * wake-ups"). When every worker slept, the wake-up is not deferred, and undefer says
 * so in *woke: the woken worker may be queued on the asker's own CPU. */
void trA_wake_defer(troupe_runtime *rt);
bool trA_wake_undefer(bool *woke);
#define TRA_WAKE_GRACE_NS 3000u

/* asks */
void trA_ask_complete(troupe_runtime *rt, uint64_t corr, int status, troupe_actor_id from,
                      const void *data, size_t len, bool late_counts);
bool trA_ask_pending(troupe_runtime *rt, uint64_t corr);
void trA_hold_ask(troupe_actor *a, uint64_t corr);

/* registry */
int trA_names_init(troupe_runtime *rt);
void trA_names_destroy(troupe_runtime *rt);
int trA_name_add(troupe_runtime *rt, const char *name, troupe_actor_id id);
void trA_name_remove(troupe_runtime *rt, const char *name, troupe_actor_id id);
void trA_meta_free_for(troupe_runtime *rt, troupe_actor *a);
/* The slot of a live id with its meta lock held, or NULL (lock not held). */
troupe_actor *trA_lock_live(troupe_runtime *rt, troupe_actor_id id);
/* The actor's trA_meta, made on first use (meta lock held); NULL on NOMEM. */
trA_meta *trA_meta_get(troupe_actor *a);
pthread_mutex_t *trA_meta_lock(troupe_runtime *rt, troupe_actor *a);

/* timers (worker side) */
/* Timers due within this start in (or are moved to) the worker's soon heap, where any
 * worker fires them when due: a worker that is preempted or stuck in a long handler no
 * longer holds back its timers while another worker runs. */
#define TRA_TIMER_SOON_NS TROUPE_MS(10)
/* trA_timer_start with an absolute deadline (monotonic ns), for a caller that needs to
 * know the exact deadline (an ask checks replies against it). `now` is the clock reading
 * the deadline was computed from (it decides whether the timer starts in the soon heap). */
int trA_timer_start_at(troupe_runtime *rt, uint64_t now, uint64_t deadline, trA_timer_fn cb,
                       trA_timer_fn dtor, void *arg, bool want_handle, troupe_timer **out);
void trA_timers_init(trA_worker *w);
/* The slow paths of the two inline checks below (timer.c). */
void trA_timers_run_slow(trA_worker *w, bool others);
uint64_t trA_timers_next_any_slow(trA_worker *w);

/* The worker loop asks these every iteration; inline, they cost the message rows (no
 * timers, or only far ones) a few loads of lines the worker has in its cache: its heap
 * top, its cancel hint and the runtime's count of non-empty soon heaps. That count is
 * exact in its modification order and a worker's own changes to it are visible to the
 * worker, so zero also says that its own soon heap is empty (relaxed: other workers'
 * heaps are a hint, looked at again next time). */
static inline uint64_t trA_timers_private_top(trA_worker *w) {
  return w->timers.n ? w->timers.v[0]->deadline : UINT64_MAX;
}
static inline bool trA_timers_soon_any(trA_worker *w) {
  return atomic_load_explicit(&w->rt->soon_heaps, memory_order_relaxed) != 0;
}
/* Fire w's due timers (by w->now); with `others` (w->now was just read), also the due
 * soon timers other workers have not fired yet. */
static inline void trA_timers_run(trA_worker *w, bool others) {
  if (atomic_load_explicit(&w->tm_cancelled, memory_order_relaxed) || trA_timers_soon_any(w) ||
      trA_timers_private_top(w) <= w->now + TRA_TIMER_SOON_NS)
    trA_timers_run_slow(w, others);
}
/* The earliest deadline among w's timers and every worker's soon heap; UINT64_MAX
 * when none. */
static inline uint64_t trA_timers_next_any(trA_worker *w) {
  return trA_timers_soon_any(w) ? trA_timers_next_any_slow(w) : trA_timers_private_top(w);
}
/* Inside a turn, every few messages: refreshes w->now and says whether a timer it may
 * fire is due, so the turn ends and the loop fires it. No clock read without timers. */
bool trA_timers_due_in_turn(trA_worker *w);
void trA_timers_adopt_injected(trA_worker *w);
void trA_timers_destroy(trA_worker *w);

/* ---- per-actor extras (consumer side; link.c) ------------------------------------ */
typedef struct trA_mon {
  troupe_actor_id who; /* watcher (monitors on me) or target (my monitors) */
  uint64_t ref;
} trA_mon;

struct trA_ext {
  troupe_actor_id *links;       /* dense: iterated at death */
  uint32_t nlinks, caplinks;
  uint32_t *lidx;               /* past TRA_LINK_HASH_MIN links: open-addressed index of
                                 * links[] (slot = position + 1, 0 = empty) */
  uint32_t lidx_mask;
  trA_mon *mons; /* who monitors me */
  uint32_t nmons, capmons;
  trA_mon *mine; /* whom I monitor */
  uint32_t nmine, capmine;
  trA_msg *def_head, *def_tail; /* deferred while suspended */
  uint64_t *held;               /* asks delivered but not answered yet (failed at death) */
  uint32_t nheld, capheld;
  troupe_actor_id ack_to;       /* TROUPE_SPAWN_ACK: who gets STARTED */
  troupe_health_fn health;      /* answers TROUPE_TAG_HEALTH asks (optional) */
  uint64_t wake_corr;           /* with TRA_AF_WAIT_CORR: the message that ends suspension */
  uint64_t *waits;              /* troupe_send_when_space records (handles) still queued
                                 * somewhere: cancelled at death (space.c) */
  uint32_t nwaits, capwaits;
  troupe_exit_kind exit_kind;   /* reason for TROUPE_STOP */
  int exit_code;
  char *exit_msg;
};

struct trA_meta {
  char *name, *metadata, *health_reason;
  struct trA_spacew *wq_head, *wq_tail; /* senders waiting for mailbox space (space.c) */
};

trA_ext *trA_ext_get(troupe_actor *a); /* allocates on first use; NULL on NOMEM */
void trA_ext_free(troupe_runtime *rt, troupe_actor *a);
bool trA_link_has(troupe_actor *a, troupe_actor_id id);
int trA_link_add(troupe_actor *a, troupe_actor_id id);
void trA_link_remove(troupe_actor *a, troupe_actor_id id);
int trA_mon_add(trA_mon **v, uint32_t *n, uint32_t *cap, troupe_actor_id who, uint64_t ref);
bool trA_mon_remove(trA_mon *v, uint32_t *n, uint64_t ref, troupe_actor_id *who);
void trA_defer(troupe_actor *a, trA_msg *m); /* ext must exist */

/* A user node counts in its actor's bounded mailbox (TRA_MF_COUNTED) from its send until
 * it leaves the actor's keeping: handled or dropped. A node deferred while its actor is
 * suspended still counts, so a suspended actor that takes its user lane (to find the
 * message it waits for) keeps its bound. Idempotent: the flag goes with the count. */
void trA_space_wake(troupe_actor *a); /* space.c: tell the oldest waiter */
static inline void trA_uncount(troupe_actor *a, trA_msg *m) {
  if (m->flags & TRA_MF_COUNTED) {
    m->flags &= (uint8_t)~TRA_MF_COUNTED;
    /* seq_cst RMW, then seq_cst load of `waiters`: the store-load handshake with a
     * sender that registers (seq_cst add to waiters) and then retries (seq_cst load of
     * mcount; space.c). In the single order S of these four, either our load comes
     * after its registration (we see a waiter and wake one) or its retry comes after
     * our decrement (it sees the freed slot), so no freed slot goes unnoticed. On x86
     * both cost what the relaxed decrement did (lock xadd, plain mov); unbounded
     * mailboxes never get here. */
    atomic_fetch_sub_explicit(&a->mcount, 1, memory_order_seq_cst);
    if (TR_UNLIKELY(atomic_load_explicit(&a->waiters, memory_order_seq_cst)))
      trA_space_wake(a);
  }
}

/* Take one slot of a bounded mailbox: true when mcount was below bound and is now one
 * more. A CAS, not fetch_add-then-undo: a failed attempt leaves the counter untouched,
 * so the only event that frees a slot is trA_uncount (a transient over-count from a
 * failing sender could otherwise hide the decrement a waiter's retry must see, and
 * nobody would wake it). `mo`: relaxed for a plain send (the CAS alone keeps at most
 * `bound` queued), seq_cst for a waiter's retry (the handshake above). */
static inline bool trA_count_claim(troupe_actor *a, uint32_t bound, memory_order mo) {
  uint32_t n = atomic_load_explicit(&a->mcount, mo);
  do {
    if (n >= bound)
      return false;
  } while (!atomic_compare_exchange_weak_explicit(&a->mcount, &n, n + 1, mo,
                                                  memory_order_relaxed));
  return true;
}

/* consumer side message handling (actor.c / link.c) */
/* Returns true when the actor died handling the signal. */
bool trA_handle_signal(troupe_runtime *rt, troupe_actor *a, trA_msg *m, bool *stop_turn);
/* Deliver m to the behaviour (or defer it while suspended); true when the actor died.
 * *stop_turn is set when the turn should end (yield). Frees m. */
bool trA_dispatch(troupe_runtime *rt, troupe_actor *a, trA_msg *m, bool *stop_turn);
/* Drop an undeliverable node: answer asks/links/monitors with noproc, count, free. */
void trA_drop(troupe_runtime *rt, trA_msg *m, troupe_actor_id dead_id);
/* Tell the drop hooks that m, accepted for `to`, is being discarded unhandled (called by
 * every path that counts msgs_dropped, before the node is freed). */
void trA_drop_notify(troupe_runtime *rt, const trA_msg *m, troupe_actor_id to);

/* health.c: with a health callback set, the dispatcher answers health questions */
bool trA_wants_health_answer(const troupe_actor *a, const trA_msg *m);
void trA_answer_health(troupe_runtime *rt, troupe_actor *a, trA_msg *m); /* frees m */

/* actor death (consumer side) */
void trA_actor_die(troupe_runtime *rt, troupe_actor *a, troupe_exit_kind kind, int code,
                   const char *msg);

#endif
