/*
 * component/comp.h: the component layer's internal header (prefix trP_). The layer joins
 * the engine (include/troupe/wasm.h) and WASI to the actor runtime (actor/ext.h),
 * supervision and the broker: every component is an actor that owns one engine
 * instance. docs/COMPONENTS.md explains the design, docs/ABI.md the guest contract.
 */
#ifndef TROUPE_SRC_COMPONENT_H
#define TROUPE_SRC_COMPONENT_H

#include "actor/ext.h"
#include "base/base.h"
#include "base/prewarm.h"
#include "base/slab.h"
#include "troupe/store.h"
#include "troupe/wasm.h"

/* ---- module cache (cache.c) -------------------------------------------------------
 * Compiled modules keyed by the SHA-256 of their bytes: each module is compiled once
 * and shared by all its instances on all threads. Thread-safe; two threads asking for
 * the same new module at once compile it once (the second waits for the first). A
 * failed compilation is not cached (the next get tries again and fails the same way). */
typedef struct trP_cache trP_cache;
typedef struct trP_cache_stats {
  uint64_t hits, misses, compile_failures;
  size_t modules; /* compiled modules held */
} trP_cache_stats;
int trP_cache_new(trP_cache **out, troupe_err *err);
void trP_cache_free(trP_cache *c); /* drops the cache's references; c may be NULL */
/* The compiled module for bytes[0..len): *out is a new reference (free it with
 * troupe_wasm_module_free), sha256 (may be NULL) receives the bytes' hash. Errors are
 * the engine's (MALFORMED, INVALID with its message) or NOMEM. */
int trP_cache_get(trP_cache *c, const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                  uint8_t sha256[TROUPE_SHA256_BYTES], troupe_err *err);
/* The same when the hash is already known (a store blob): no rehash. */
int trP_cache_get_hashed(trP_cache *c, const uint8_t sha256[TROUPE_SHA256_BYTES],
                         const uint8_t *bytes, size_t len, troupe_wasm_module **out,
                         troupe_err *err);
void trP_cache_stats_get(trP_cache *c, trP_cache_stats *out);
/* The compiled module of hash sha if the cache holds it ready: *out a new reference,
 * TROUPE_OK; NOTFOUND otherwise (nothing compiled, nothing waited for). */
int trP_cache_lookup(trP_cache *c, const uint8_t sha256[TROUPE_SHA256_BYTES],
                     troupe_wasm_module **out);
/* Store references already resolved to a hash (module.c). */
typedef struct trP_refmemo trP_refmemo;
trP_refmemo *trP_refmemo_new(void); /* NULL when out of memory: then nothing is remembered */
void trP_refmemo_free(trP_refmemo *m);

/* ---- names (names.c) --------------------------------------------------------------
 * A component name is what capabilities match (NATS subject patterns): 1..128 bytes of
 * dot-separated tokens, each 1+ bytes of [A-Za-z0-9_-] ("echo", "shop.cart-7"). */
#define TRP_NAME_MAX 128
int trP_name_check(const char *name, troupe_err *err);

/* ---- the component layer proper ------------------------------------------------------ */
#include "troupe/broker.h"
#include "troupe/codec.h"
#include "troupe/component.h"
#include "troupe/supervisor.h"
#include "troupe/wasi.h"

#include <pthread.h>
#include <stdatomic.h>

/* Message tags of the layer (TROUPE_TAG_RANGE_COMPONENT). */
#define TRP_TAG_MSG 0x54500001u     /* USER/SYSTEM: a trP_msg (MESSAGE or TIMER) */
#define TRP_TAG_ASK 0x54500002u     /* ASK: trP_wire header + payload */
#define TRP_TAG_INVOKE 0x54500003u  /* ASK: trP_wire header + name + arguments */
#define TRP_TAG_WAKE 0x54500004u    /* SYSTEM to self: a timer of the runtime's own (corr) */
#define TRP_TAG_START 0x54500005u   /* SYSTEM to self: begin the start job */
#define TRP_TAG_HELD 0x54500006u    /* SYSTEM to self: held messages arrived, drain them */
_Static_assert(TROUPE_TAG_IN_RANGE(TRP_TAG_MSG, TROUPE_TAG_RANGE_COMPONENT), "tag range");
_Static_assert(TROUPE_TAG_IN_RANGE(TRP_TAG_HELD, TROUPE_TAG_RANGE_COMPONENT), "tag range");

/* The header of an ASK (TRP_TAG_ASK: then the payload) or an INVOKE (TRP_TAG_INVOKE:
 * then name_len bytes of export name, then the arguments). An INVOKE's answer is an
 * int32 status followed by the result (status 0) or an error message. */
typedef struct trP_wire {
  uint64_t from; /* the asking component, 0 for the host */
  uint32_t tag;  /* ASK: the guest's tag */
  uint32_t name_len;
  troupe_trace tr; /* the asker's chain (trace.c) */
} trP_wire;

/* Guest message kinds (docs/ABI.md). */
enum {
  TRP_KIND_MESSAGE = 0,
  TRP_KIND_ASK = 1,
  TRP_KIND_REPLY = 2,
  TRP_KIND_ASK_FAILED = 3,
  TRP_KIND_DOWN = 4,
  TRP_KIND_TIMER = 5,
  TRP_KIND_PUBLICATION = 6,
};

#define TRP_LINE_MAX 512 /* a longer line of WASI output is cut into records this long */

/* Defaults of troupe_component_limits. */
#define TRP_DEF_MEMORY_PAGES 256u
#define TRP_DEF_STACK_BYTES (1u << 20)
#define TRP_DEF_CALL_DEPTH 10000u
#define TRP_DEF_FUEL_SLICE 100000u
#define TRP_DEF_MESSAGE_BYTES (1u << 20)
#define TRP_DEF_START_TIMEOUT_MS 5000u
#define TRP_DEF_CLEANUP_TIMEOUT_MS 1000u

/* ---- specs (spec.c) ---------------------------------------------------------------- */
/* An owned, validated copy of a troupe_component_spec, with defaults filled in. */
typedef struct trP_spec {
  troupe_component_spec s; /* every pointer in it points into this block's copies */
  char *metadata;          /* the registry's metadata JSON (built at first load) */
} trP_spec;
int trP_spec_copy(const troupe_component_spec *in, trP_spec **out, troupe_err *err);
void trP_spec_free(trP_spec *sp);
void trP_limits_defaults(troupe_component_limits *l);
bool trP_patterns_match(const troupe_pattern_list *l, const char *what);

/* ---- metrics (metrics.c) ------------------------------------------------------------ */
/* A component's counters (troupe_component_metrics, and the messages and fuel of
 * troupe_component_info). The running incarnation keeps them in its own trP_comp, whose
 * lines its handlers touch anyway -- in a ring of 10,000 components every other line
 * a message touches is a cache miss, and counters in the record cost 5% of the ring's
 * rate -- written only by the thread running its actor (one worker at a time), so an
 * add is a relaxed load and store, no locked instruction. When the incarnation ends its
 * counts are added to the record's totals (under the record's mu); a reader takes mu
 * and adds the running incarnation's to the totals: a few messages old at most. */
typedef struct trP_stats {
  /* In trP_comp these six and hist[0..1] share the first line, which every message
   * touches (msgs_in and fuel are counted with metrics off too). */
  _Atomic uint64_t msgs_in, fuel, bytes_in, msgs_out, bytes_out, handler_ticks;
  _Atomic uint64_t hist[TROUPE_HANDLER_BUCKETS]; /* per bucket, not cumulative */
  _Atomic uint64_t traps;
} trP_stats;
static inline void trP_stat_add(_Atomic uint64_t *p, uint64_t n) {
  atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
                        memory_order_relaxed);
}
struct troupe_host;
struct trP_comp;
struct trP_rec;
void trP_metrics_init(struct troupe_host *h);
/* The record's counts so far: its totals and its running incarnation's. */
void trP_stats_read(struct trP_rec *r, trP_stats *out);
/* An incarnation begins (its counts add up from now) and ends (they go into the totals:
 * after its last handler, before its trP_comp is freed). */
void trP_stats_attach(struct trP_comp *c);
void trP_stats_fold(struct trP_comp *c);
/* A handler finished or crashed (trP_job_clear): its time (c->job_ticks, summed over
 * its slices by trP_run) goes into the histogram. */
void trP_metrics_job_end(struct trP_comp *c);

/* ---- tracing (trace.c) ------------------------------------------------------------- */
/* The trace a message made now carries: the thread's current one (inside a handler: its
 * chain, with its span as the parent), else a new chain (sampled at the host's rate). */
troupe_trace trP_trace_out(struct troupe_host *h);
/* A handler begins (HANDLE, INVOKE): its chain is the message's (or a new one when the
 * message carries none), its span a new one. */
void trP_span_begin(struct trP_comp *c, troupe_trace in);
/* ... and ends (trP_job_clear): a sampled chain's span goes to the log. */
void trP_span_end(struct trP_comp *c);

/* ---- records (record.c): one per component, across its incarnations ------------------ */
typedef struct trP_msg trP_msg;
typedef struct trP_group trP_group;
typedef struct trP_rec {
  _Atomic uint32_t refs;
  troupe_component_id id;
  struct troupe_host *host;
  trP_spec *spec;
  const char *name;              /* = spec->s.name */
  char *module_ref;              /* as given, or "sha256:HEX" */
  troupe_wasm_module *mod;       /* loaded at the first start, kept for restarts */
  uint8_t sha256[TROUPE_SHA256_BYTES];
  char *version;                 /* the store's version of the module, NULL if unknown */
  uint32_t nth;                  /* spawn order, for listing */
  trP_group *group;              /* its supervisor group; NULL = the root supervisor */
  /* The incarnation that takes messages directly: 0 while there is none (starting up
   * or between incarnations); sends then go to `held` (under mu). Release/acquire:
   * a sender that reads a non-zero id sees the held queue drained into that actor. */
  _Atomic uint64_t actor;
  _Atomic int state;             /* troupe_component_state */
  pthread_mutex_t mu;            /* held queue, gone, health reason, last exit, start error */
  trP_msg *held_head, *held_tail;
  trP_msg *held_cursor;          /* last message requeued from a dead incarnation */
  size_t held_n;
  bool gone;                     /* terminated for good: nothing is held any more */
  troupe_health health;
  char *health_reason;
  troupe_exit_kind last_exit_kind;
  int last_exit_code;
  char *last_exit_msg;
  int start_code;                /* the last start failure (0 none), for the spawner */
  char start_msg[TROUPE_ERR_MSG_MAX];
  struct trP_upgrade_req *upgrade_req; /* handed to the incarnation (upgrade.c), under mu */
  _Atomic uint32_t restarts;
  _Atomic uint32_t incarnations; /* started so far (trP_child_start) */
  _Atomic uint64_t memory_bytes;
  trP_stats tot;                 /* counts of ended incarnations (metrics.c), under mu */
  struct trP_comp *live;         /* the running incarnation, whose counts add up, under mu */
  uint64_t created_ns;
  _Atomic uint64_t started_ns;
} trP_rec;
trP_rec *trP_rec_ref(trP_rec *r);
void trP_rec_unref(trP_rec *r);
/* Terminated for good (the supervisor dropped its spec): held messages are freed and
 * the record leaves the host's tables. */
void trP_rec_gone(void *rec);
/* The same without dropping a reference (a group member leaving its group, whose
 * reference the caller then drops). Once per record: later calls do nothing. */
void trP_rec_end(trP_rec *r);
void trP_rec_set_state(trP_rec *r, troupe_component_state s);
void trP_rec_set_health(trP_rec *r, troupe_health h, const char *reason);

/* ---- messages (msg.c) ----------------------------------------------------------------
 * A MESSAGE or TIMER travels as one block: this header and the payload, lent to the
 * runtime (troupe_send_args.release), so that a message still queued when its target's
 * incarnation dies comes back (through the drop hook) and is held for the next one. */
struct trP_msg {
  trP_msg *next;                 /* in a record's held queue */
  trP_rec *to;                   /* a reference */
  troupe_component_id from;      /* sending component, 0 for the host */
  troupe_actor_id from_actor;
  uint32_t guest_tag;
  uint8_t kind;                  /* TRP_KIND_MESSAGE or TRP_KIND_TIMER */
  _Atomic bool dropped;          /* set by the drop hook: requeue instead of freeing */
  uint64_t corr;                 /* TIMER: its id */
  troupe_trace tr;               /* the sender's chain (trace.c) */
  uint32_t len;
  uint8_t data[];
};
trP_msg *trP_msg_new(trP_rec *to, troupe_component_id from, troupe_actor_id from_actor,
                     uint8_t kind, uint32_t tag, const void *data, size_t len);
void trP_msg_free(trP_msg *m);
/* The release function every trP_msg is lent with (free, or requeue when dropped). */
void trP_msg_release(void *user, const void *data, size_t len);
/* Hand m to its target's current incarnation, or hold it when there is none. Takes m
 * (freed on failure). NOTFOUND when the component is gone; MAILBOX_FULL. With
 * wait_ns > 0 (non-worker threads only) a full mailbox is waited on for up to wait_ns
 * (troupe_send_wait): TIMEOUT then. */
int trP_msg_deliver(troupe_runtime *rt, trP_msg *m, unsigned flags);
int trP_msg_deliver_wait(troupe_runtime *rt, trP_msg *m, uint64_t wait_ns);
/* The new incarnation `self` takes the held messages (in order, ahead of anything sent
 * later) and becomes the one messages go to. Called from its init. */
void trP_held_adopt(trP_rec *r, troupe_runtime *rt, troupe_actor_id self);
/* Stragglers came back after the adoption (TRP_TAG_HELD): move them too. */
void trP_held_drain(trP_rec *r, troupe_runtime *rt, troupe_actor_id self);
/* The incarnation `self` is ending: messages go to the held queue until the next one. */
void trP_held_release_actor(trP_rec *r, troupe_actor_id self);
void trP_drop_hook(troupe_runtime *rt, const trA_dropped *d, void *user);

/* A blocking ask of r's current incarnation: the trP_wire header w, then a and b
 * (api.c). NOT_READY between incarnations; NOT_RUNNING, TIMEOUT with r's name. */
int trP_ask_wire(struct troupe_host *h, trP_rec *r, uint32_t tag, const trP_wire *w,
                 const void *a, size_t alen, const void *b, size_t blen, uint64_t timeout_ns,
                 troupe_reply_msg *rm, troupe_err *err);
/* A new record in the host's table (state Creating), with the caller's reference:
 * NAME_TAKEN, RANGE (max_components), INVAL (spec), NOMEM. (api.c) */
int trP_rec_create(struct troupe_host *h, const troupe_component_spec *spec, trP_rec **out,
                   troupe_err *err);
/* A failed start's error for the spawner: r's own account ("component 3 'x': compile
 * failed: ...") when it has one, else rc with the supervisor's message e (api.c). */
int trP_start_error(trP_rec *r, int rc, const troupe_err *e, troupe_err *err);
/* The supervisor child spec of a component; r's reference passes to the supervisor
 * (given back through arg_free = trP_rec_gone). */
void trP_child_spec_of(trP_rec *r, troupe_child_spec *cs);
/* ---- supervisor groups (group.c) ------------------------------------------------------
 * A group is a supervisor in the host's tree whose members (components and groups, in
 * start order) are started by its start function every time its supervisor starts, so
 * a restart of the group brings them all back. Members hold a reference on their
 * records; the child specs made from them hold their own (released by arg_free =
 * trP_rec_unref_arg: the end of a spec is not the end of a member). */
typedef struct trP_member {
  bool is_group;
  bool removed;                  /* stopped for good: not started again */
  void *p;                       /* trP_rec * (a reference) or trP_group * */
} trP_member;
struct trP_group {
  troupe_group_id id;
  char *name;
  trP_group *parent;             /* NULL: a child of the root supervisor */
  troupe_sup_config cfg;
  troupe_restart_type restart;
  bool significant;
  uint32_t shutdown_ms;
  _Atomic uint64_t sup;          /* its supervisor's current incarnation */
  pthread_mutex_t mu;            /* members */
  trP_member *m;
  size_t n, cap;
  trP_group *next;               /* the host's list, newest first */
};
/* The supervisor a component is a child of now. */
troupe_actor_id trP_sup_of(const trP_rec *r);
/* Add r (a new record) to group g: takes a reference; the supervisor to start it
 * under in *sup. NOMEM. */
int trP_group_add(trP_group *g, trP_rec *r, troupe_actor_id *sup);
/* r leaves its group for good (before it is stopped): not started again. */
void trP_group_remove(trP_rec *r);
trP_group *trP_group_find(struct troupe_host *h, troupe_group_id id);
void trP_rec_unref_arg(void *rec);
/* At host free, after the runtime stopped: end every member, free the groups. */
void trP_groups_free(struct troupe_host *h);

/* The registry's metadata JSON for r (malloc'd; NULL when out of memory). */
char *trP_metadata_of(const trP_rec *r);

/* ---- the host (host.c, table.c) -------------------------------------------------------- */
typedef struct trP_table {
  pthread_rwlock_t lock;
  trP_rec **ids;    /* open addressing by id, NULL empty, TRP_TOMB deleted */
  size_t ids_cap, ids_n, ids_used;
  trP_rec **names;  /* open addressing by name hash */
  size_t names_cap, names_used;
  uint32_t nth;
} trP_table;
int trP_table_init(trP_table *t);
void trP_table_destroy(trP_table *t);
/* Insert r under its id and name: NAME_TAKEN when the name is used. */
int trP_table_insert(trP_table *t, trP_rec *r, troupe_err *err);
void trP_table_remove(trP_table *t, trP_rec *r);
/* A new reference, or NULL. */
trP_rec *trP_table_get(trP_table *t, troupe_component_id id);
trP_rec *trP_table_find(trP_table *t, const char *name);
/* Every record, in spawn order (new references in *out, malloc'd). */
int trP_table_snapshot(trP_table *t, trP_rec ***out, size_t *n);

struct troupe_host {
  troupe_runtime *rt;
  bool metrics;                  /* keep per-component metrics (troupe_host_config) */
  unsigned ask_flags;            /* TROUPE_ASK_RUN_HERE unless no_run_here */
  _Atomic int prewarm;           /* troupe_host_prewarm_begin calls not yet ended */
  double trace_sample;           /* the share of new chains whose spans are logged */
  /* The handler histogram's finite bounds in ticks (trB_ticks), for its observations. */
  uint64_t bucket_ticks[TROUPE_HANDLER_BUCKETS - 1];
  troupe_broker *broker;
  troupe_actor_id root;          /* root supervisor of components */
  trP_cache *cache;
  trP_refmemo *refmemo;          /* immutable references -> hash (module.c) */
  troupe_store *store;           /* borrowed */
  troupe_logger *log;            /* borrowed */
  troupe_wasm_linker *linker;    /* troupe imports + WASI, shared by every instance */
  troupe_wasi_locator wasi_how;
  trP_table table;
  _Atomic uint64_t next_id;
  _Atomic uint64_t live;
  uint64_t max_components;
  troupe_sup_config root_cfg;    /* the root supervisor's (name not kept) */
  _Atomic uint64_t root_watch;   /* = root once it runs, for the exit hook (host.c) */
  pthread_mutex_t groups_mu;     /* the list of groups; down and why */
  trP_group *groups;
  troupe_group_id next_group;
  pthread_cond_t down_cv;        /* the root supervisor ended: down, down_kind */
  bool down;
  troupe_exit_kind down_kind;
};
/* The linker's troupe imports (imports.c). */
int trP_imports_define(troupe_wasm_linker *l, troupe_host *h, troupe_err *err);
/* Audit/log (events.c). trP_event_enabled: whether a record at lvl would be written --
 * for callers whose fields cost something to make (a hash's hex, a clock reading). */
bool trP_event_enabled(const troupe_host *h, troupe_log_level lvl);
void trP_event(troupe_host *h, troupe_log_level lvl, const char *event, const trP_rec *r,
               const troupe_log_field *extra, size_t n);

/* ---- the component actor (actor.c, run.c) ---------------------------------------------- */
typedef enum trP_job_kind {
  TRP_JOB_NONE = 0,
  TRP_JOB_START,    /* _initialize then _start */
  TRP_JOB_HANDLE,   /* handle-message */
  TRP_JOB_INVOKE,   /* an invocable export for an INVOKE ask */
} trP_job_kind;

typedef enum trP_wait_kind {
  TRP_WAIT_NONE = 0,
  TRP_WAIT_ASK,       /* troupe.ask: REPLY / ASK_FAILED with corr */
  TRP_WAIT_SEND,      /* troupe.send_wait: space or timeout (corr) */
  TRP_WAIT_SPAWN,     /* troupe.spawn: the supervisor's answer (corr) */
  TRP_WAIT_WASI,      /* a WASI sleep: our timer's TRP_TAG_WAKE (corr) */
} trP_wait_kind;

typedef struct trP_stash trP_stash; /* messages that came while the instance was busy */

/* The exports the runtime calls (docs/ABI.md), as indices; UINT32_MAX when absent. */
typedef struct trP_exports {
  uint32_t init, start, handle, health, cleanup;
  uint32_t save, load;           /* the state hand-over pair: _state_save, _state_load */
} trP_exports;
typedef struct trP_upgrade trP_upgrade;

typedef struct trP_comp {
  /* Laid out by how often a message touches a field: in a ring of 10,000 components
   * each line of this struct a hop touches is a cache miss. Line 0 holds the counters
   * every message adds to and the histogram's first two buckets (handlers under 5 us:
   * nearly all), so metrics cost no line of their own; the per-job fields follow; what
   * waits, monitors, timers and the like use comes last. The struct is 64-aligned and
   * holds no buffer: an invocation's function is named by the module's copy. */
  trP_stats st;                  /* this incarnation's counts (metrics.c): keep it first */
  trP_rec *rec;                  /* a reference */
  troupe_host *host;
  troupe_actor *self;            /* valid during callbacks */
  troupe_actor_id self_id, parent;
  troupe_wasm_instance *inst;
  troupe_wasi_ctx *wasi;
  const troupe_component_limits *lim;
  uint64_t mem_seen;             /* the memory size last stored in rec->memory_bytes */
  bool ready, acked, start_failed;
  bool metrics;                  /* the host's, at hand */
  bool no_wait;                  /* _cleanup, _health: imports may not suspend */
  /* The job in progress (one at a time: an instance runs one call). */
  uint8_t start_phase;           /* 0: _initialize, 1: _start, 2: _state_load (upgrade) */
  trP_job_kind job;
  uint32_t job_export;           /* export index */
  uint32_t job_nargs, job_nres;
  int job_kind;                  /* HANDLE: the guest's message kind (TRP_KIND_*) */
  uint64_t job_corr;             /* INVOKE: the ask to answer */
  troupe_wasm_val job_args[5];
  uint64_t job_fuel;             /* spent by this job so far (whole slices) */
  uint64_t job_ticks;            /* its time on a worker so far (metrics) */
  /* Tracing (trace.c): the chain of the message that starts the next job (set by
   * dispatch), and the running job's chain, span, start and outcome. */
  troupe_trace in_trace, job_trace;
  uint64_t job_span, job_wall_ns;
  const char *job_outcome;       /* "ok", "stop", "error", "trap", "exit" */
  uint64_t job_started_ns;
  /* The current input (message payload, invocation arguments). */
  const uint8_t *in;
  size_t in_len;
  uint8_t *in_own;               /* when the input had to be copied (stashed) */
  char *in_subject;
  /* Output of the current call (troupe.output). */
  uint8_t *out;
  size_t out_len, out_cap;
  /* The last target sent to by id, and whether capabilities allow it (they never change
   * for a pair of records): a component that keeps talking to the same peer skips the
   * table's lock and the pattern matching. A reference. */
  trP_rec *peer;
  bool peer_ok;
  trP_exports ex;                /* of the running instance */
  trP_stash *stash_head, *stash_tail;
  /* What the suspended instance waits for. */
  trP_wait_kind wait;
  uint64_t wait_corr;
  uint32_t wait_out, wait_cap;   /* ask: where the reply goes in guest memory */
  troupe_timer *wait_timer;
  /* For send_wait: the message being sent. */
  trP_msg *wait_msg;
  trP_rec *wait_target;
  uint64_t wait_deadline_ns;
  uint8_t *reply;                /* the last ask's reply (reply_read) */
  size_t reply_len;
  /* Monitors: ref -> monitored component, for DOWN's `from`. */
  struct { uint64_t ref; troupe_component_id who; } *mons;
  size_t nmons, cmons;
  /* Timers: the ones started by send_after, by id, for cancel_timer. */
  struct { uint64_t id; troupe_timer *t; } *timers;
  size_t ntimers, ctimers;
  uint64_t next_timer;
  troupe_sub_id *subs;           /* this incarnation's subscriptions */
  size_t nsubs, csubs;
  char *line[2];                 /* partial stdout/stderr lines (TRP_LINE_MAX, on first use) */
  size_t line_len[2];
  trP_upgrade *up;               /* an upgrade in progress (upgrade.c), else NULL */
  const char *job_fn;            /* INVOKE: the export's name (the module's copy) */
} trP_comp;
/* One message out of the component (metrics): a send, ask, reply, publish or result. */
static inline void trP_count_out(trP_comp *c, size_t len) {
  if (c->metrics) {
    trP_stat_add(&c->st.msgs_out, 1);
    trP_stat_add(&c->st.bytes_out, len);
  }
}
/* The instance's memory size into the record, when it changed (a store into the record
 * on every message would be a cache miss on every message). */
static inline void trP_note_memory(trP_comp *c) {
  uint64_t m = troupe_wasm_memory_size(c->inst);
  if (m != c->mem_seen) {
    c->mem_seen = m;
    atomic_store_explicit(&c->rec->memory_bytes, m, memory_order_relaxed);
  }
}

extern const troupe_behaviour trP_behaviour;
/* The supervisor's start function for every component (arg: its trP_rec). */
int trP_child_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                    const void *extra, size_t extra_len, troupe_actor_id *out, troupe_err *err);
/* The component running on the calling thread's current host call. */
trP_comp *trP_comp_of_call(troupe_wasm_hostcall *call);
/* Run (first: start, else resume with host_result) the job's call; returns the action
 * for the actor (CONTINUE, SUSPEND, YIELD) or a negative status for a crash. */
int trP_run(trP_comp *c, bool first, const troupe_wasm_val *host_result, troupe_err *err);
/* Begin a job for a message (the input is m's bytes while it runs). */
int trP_begin_handle(trP_comp *c, int kind, troupe_component_id from, uint32_t tag,
                     uint64_t corr, const void *data, size_t len, troupe_err *err);
/* A publication: the same with the subject (taken: freed with the job). */
int trP_begin_handle_pub(trP_comp *c, troupe_component_id from, char *subject,
                         const void *data, size_t len, troupe_err *err);
/* The call ended: its answer goes out (run.c calls it; res NULL for no result). */
int trP_job_done(trP_comp *c, const troupe_wasm_val *res, troupe_err *err);
void trP_job_clear(trP_comp *c);
/* The start failed: record it for the spawner, acknowledge the supervisor, crash. */
int trP_start_failed(trP_comp *c, int code, const char *msg, troupe_err *err);
/* Answer the INVOKE in progress (no-op when none): status and bytes. */
void trP_invoke_answer(trP_comp *c, int status, const void *data, size_t len);
void trP_output_reset(trP_comp *c);
void trP_trap_text(const troupe_wasm_trap *t, char *buf, size_t cap);
void trP_reason_text(const uint8_t *p, size_t n, char *out, size_t cap);
/* component_stopped, with uptime and reason (jobs.c). */
void trP_event_stopped(trP_comp *c, const troupe_exit_reason *why);
/* The health callback of every component actor (health.c). */
troupe_health trP_health_cb(troupe_actor *self, char *reason, size_t cap);
/* A module by reference (from the host's store) or bytes, compiled through the cache:
 * *out a new reference, its hash, the store's version (malloc'd or NULL). Errors say
 * "load failed: ..." or "compile failed: ..." (module.c). */
int trP_module_fetch(struct troupe_host *h, const char *ref, const uint8_t *bytes, size_t len,
                     troupe_wasm_module **out, uint8_t sha[TROUPE_SHA256_BYTES], char **version,
                     troupe_err *err);
/* Make mod (taken) r's module, with its hash, version (taken) and reference (taken;
 * NULL keeps the one r has, or names the hash); the previous ones are freed and the
 * registry entry of `actor` (0: none) gets the new metadata. */
void trP_rec_set_module(trP_rec *r, troupe_wasm_module *mod, const uint8_t *sha, char *version,
                        char *ref, troupe_actor_id actor);
/* Find and type-check the runtime's exports of mod (actor.c): UNLINKABLE. */
int trP_bind_exports(const troupe_wasm_module *mod, trP_exports *ex, troupe_err *err);
/* A new instance of mod for c with its limits, c as its user (actor.c). */
int trP_instantiate(trP_comp *c, troupe_wasm_module *mod, troupe_wasm_instance **out,
                    troupe_err *err);
/* Run export idx of c's instance to its end without waiting (imports may not
 * suspend), in fuel slices, for at most limit_ns: _cleanup and _state_save (run.c).
 * TROUPE_OK, or an error with what went wrong in err (a trap's text, "it tried to
 * wait", "timed out after N ms"); the instance is idle again either way. */
int trP_call_nowait(trP_comp *c, uint32_t idx, const troupe_wasm_val *args, size_t nargs,
                    troupe_wasm_val *res, size_t nres, uint32_t limit_ms, troupe_err *err);

/* ---- hot upgrade (upgrade.c) ------------------------------------------------------------
 * The running incarnation swaps its instance for one of a new module, keeping its actor
 * (id, name, mailbox, monitors, timers); rolled back if the new one fails to start. */
#define TRP_TAG_UPGRADE 0x54500007u /* ASK: an upgrade request (upgrade.c) */
_Static_assert(TROUPE_TAG_IN_RANGE(TRP_TAG_UPGRADE, TROUPE_TAG_RANGE_COMPONENT), "tag range");
int trP_upgrade_begin(trP_comp *c, const troupe_message *m, troupe_err *err);
/* The new instance's _initialize/_start ended: it takes the old one's state next
 * (_state_load, start phase 2), or the upgrade is committed. */
int trP_upgrade_started(trP_comp *c, troupe_err *err);
/* _state_load returned res: committed, or rolled back when it refused the state. */
int trP_upgrade_loaded(trP_comp *c, const troupe_wasm_val *res, troupe_err *err);
/* The new instance failed to start: roll back to the old one, answer the upgrader. */
int trP_upgrade_failed(trP_comp *c, int code, const char *msg);
void trP_upgrade_free(trP_comp *c);

/* The start job's phases (jobs.c), begun by the START message. */
int trP_begin_start(trP_comp *c, troupe_err *err);
/* An INVOKE ask: its export found and its job begun, or answered at once (jobs.c). */
int trP_begin_invoke(trP_comp *c, const troupe_message *m, troupe_err *err);
/* Everything a component actor holds; crashed: its end was not orderly (a restart
 * likely follows: the instance's memory is zeroed later, by an idle worker). */
void trP_comp_free(trP_comp *c, bool crashed);
/* Refs (monitor refs, ask_async corrs) -> the component they concern. */
int trP_ref_add(trP_comp *c, uint64_t ref, troupe_component_id who);
troupe_component_id trP_ref_take(trP_comp *c, uint64_t ref, bool remove);
/* The component whose current incarnation is `actor` (0 when none). */
troupe_component_id trP_component_of_actor(troupe_host *h, troupe_actor_id actor);
/* Waits ending (imports.c): the host result to resume the instance with. */
int32_t trP_ask_finish(trP_comp *c, const troupe_message *m);
int64_t trP_spawn_finish(trP_comp *c, const troupe_message *m);
/* 1: still no room (waiting again); else the status for the guest. */
int trP_send_wait_finish(trP_comp *c, const troupe_message *m);
/* A TIMER arrived: forget its handle. */
void trP_timer_fired(trP_comp *c, uint64_t id);
/* WASI stdout/stderr: lines to the log (wasi_out.c). */
int trP_wasi_write(void *user, int fd, const void *data, size_t len);
void trP_wasi_flush(trP_comp *c);
/* Capabilities (caps.c). */
bool trP_may_send(troupe_host *h, const trP_rec *from, const trP_rec *to);
bool trP_pattern_covers(const char *outer, const char *inner);
/* Send a MESSAGE from a component (or the host: from NULL): limits, capabilities,
 * payload check, then delivery. */
int trP_send(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor, trP_rec *to,
             uint32_t tag, const void *data, size_t len, troupe_err *err);
/* trP_send for a pair whose capabilities were already checked. */
int trP_send_allowed(troupe_host *h, const trP_rec *from, troupe_actor_id from_actor,
                     trP_rec *to, uint32_t tag, const void *data, size_t len, troupe_err *err);
/* The same for the host, waiting up to wait_ns for room in a full mailbox. */
int trP_send_wait(troupe_host *h, trP_rec *to, uint32_t tag, const void *data, size_t len,
                  uint64_t wait_ns, troupe_err *err);
/* The payload rule of docs/ABI.md: empty, or a valid multicodec-prefixed payload. */
int trP_payload_check(const void *data, size_t len, troupe_err *err);

#endif
