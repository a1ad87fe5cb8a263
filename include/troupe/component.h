/*
 * troupe/component.h: components -- WebAssembly modules running as supervised actors --
 * and the host that runs them. A troupe_host owns an actor runtime, a broker, a root
 * supervisor, a module cache and a component store; each component is one actor owning
 * one engine instance, started from a module in the store, restarted by its supervisor
 * after a crash under the same component id and name with its queued messages kept,
 * and talking to others only through the host, within its capabilities.
 *
 * The guest side of the contract (exports a module offers, the `troupe` import module,
 * message kinds, error codes) is docs/ABI.md; the header-only C guest SDK is
 * sdk/c/troupe_guest.h. docs/COMPONENTS.md explains the design.
 *
 * Threading: every troupe_host_* call is thread-safe. Calls that wait (spawn, stop,
 * restart, ask, invoke) block the calling thread and refuse worker threads with
 * TROUPE_E_STATE: an actor uses the _async forms, which answer with a message.
 * Errors: a negative TROUPE_E_* status with a message in *err naming the component
 * ("component 7 'echo': start function failed: unreachable (function 3, offset 0x4f)").
 */
#ifndef TROUPE_COMPONENT_H
#define TROUPE_COMPONENT_H

#include "troupe/actor.h"
#include "troupe/broker.h"
#include "troupe/store.h"
#include "troupe/supervisor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A component id: stays the same across restarts, never reused within a host (a stale
 * id finds nothing: NOTFOUND). 0 is "no component" (the host or an embedder). */
typedef uint64_t troupe_component_id;
/* A supervisor group of a host (troupe_host_group_new); 0 is the root supervisor. */
typedef uint64_t troupe_group_id;
#define TROUPE_NO_COMPONENT ((troupe_component_id)0)

typedef struct troupe_host troupe_host;

/* ---------------------------------------------------------------------------------
 * Lifecycle: Creating -> Starting -> Ready -> Stopping -> Terminated, or Failed (the
 * last incarnation crashed or failed to start; a restart makes it Starting again).
 * ------------------------------------------------------------------------------- */
typedef enum troupe_component_state {
  TROUPE_COMPONENT_CREATING = 0,   /* spawned, module being loaded / instantiated */
  TROUPE_COMPONENT_STARTING = 1,   /* _initialize / _start running */
  TROUPE_COMPONENT_READY = 2,      /* handling messages and invocations */
  TROUPE_COMPONENT_STOPPING = 3,   /* _cleanup running, or being stopped */
  TROUPE_COMPONENT_TERMINATED = 4, /* gone for good (stopped, or not restarted) */
  TROUPE_COMPONENT_FAILED = 5,     /* crashed; its supervisor decides what comes next */
} troupe_component_state;
TROUPE_API const char *troupe_component_state_name(troupe_component_state s);

/* ---------------------------------------------------------------------------------
 * Limits. Zero fields take the defaults shown. All are enforced: a component over one
 * traps (a crash, restarted by its supervisor) or gets an error code; the host and the
 * other components carry on.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_component_limits {
  uint32_t max_memory_pages;    /* linear memory, 64 KiB pages; default 256 (16 MiB) */
  uint64_t max_stack_bytes;     /* the engine's value+frame stack; default 1 MiB, >= 4 KiB */
  uint32_t max_call_depth;      /* default 10,000 */
  uint64_t fuel_slice;          /* fuel per slice before yielding the worker; default 100,000 */
  uint64_t fuel_per_message;    /* hard fuel limit per message/invocation; 0 = none */
  uint32_t mailbox_bound;       /* queued messages; default 0 = unbounded */
  uint32_t max_message_bytes;   /* largest payload it may send or receive; default 1 MiB */
  uint32_t start_timeout_ms;    /* load + instantiate + _initialize/_start; default 5,000 */
  uint32_t cleanup_timeout_ms;  /* _cleanup at stop; default 1,000 */
} troupe_component_limits;

/* ---------------------------------------------------------------------------------
 * Capabilities: NATS subject patterns ("*" one token, ">" the rest) matched against
 * component names (send_to, accept_from), subjects (publish, subscribe) or module
 * references (spawn). A NULL / empty list grants nothing, except accept_from, where
 * NULL accepts every sender (the target still only hears from senders allowed to send
 * to it). Messages from the host itself (an embedder, the CLI) are always allowed.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_pattern_list {
  const char *const *v;
  size_t n;
} troupe_pattern_list;

typedef struct troupe_component_caps {
  troupe_pattern_list send_to;     /* send, ask and monitor these names */
  troupe_pattern_list accept_from; /* hear from these names; NULL = everyone */
  troupe_pattern_list publish;     /* publish on these subjects */
  troupe_pattern_list subscribe;   /* subscribe with patterns inside these */
  troupe_pattern_list spawn;       /* spawn modules by these references */
} troupe_component_caps;

/* ---------------------------------------------------------------------------------
 * A component spec. Everything is copied by spawn.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_component_spec {
  const char *name;         /* required, unique in the host: dot-separated tokens of
                             * [A-Za-z0-9_-], at most 128 bytes ("echo", "shop.cart") */
  const char *module;       /* store reference (troupe/store.h), or NULL with bytes: */
  const uint8_t *module_bytes;
  size_t module_len;
  troupe_component_limits limits;
  troupe_component_caps caps;
  size_t argc;              /* WASI arguments (argv[0] by convention the program name) */
  const char *const *argv;
  size_t envc;              /* WASI environment, "NAME=value" */
  const char *const *env;
  /* Supervision of this component (OTP child spec fields). */
  troupe_restart_type restart;  /* default permanent */
  uint32_t shutdown_ms;         /* default 5,000 (then killed) */
  uint32_t health_interval_ms;  /* _health polled this often; 0 = never */
  uint32_t health_threshold;    /* consecutive unhealthy answers that restart it; 0 = 3 */
  /* Where it lives in the tree: a group made by troupe_host_group_new, or 0 for the
   * host's root supervisor. */
  troupe_group_id group;
  /* OTP's significant child: with its supervisor's auto_shutdown, its exit for good
   * stops that supervisor. Transient or temporary only (INVAL with permanent). */
  bool significant;
  /* Subjects the host subscribes it to at every start, before _start runs (an
   * operator's wiring, as a manifest's subscriptions: not checked against
   * caps.subscribe). Publications arrive as kind PUBLICATION, like its own. */
  troupe_pattern_list subscriptions;
} troupe_component_spec;

/* ---------------------------------------------------------------------------------
 * The host.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_host_config {
  unsigned workers;             /* worker threads; 0 = one per core */
  troupe_store *store;          /* borrowed (must outlive the host); NULL: bytes only */
  troupe_logger *log;           /* component output and audit events; borrowed; NULL none */
  troupe_sup_config supervisor; /* the root supervisor of components (zero = defaults) */
  uint64_t max_components;      /* 0 = limited by memory only */
  double trace_sample;          /* the share (0..1) of new message chains whose spans are
                                 * logged (docs/OBSERVE.md, tracing); 0: none */
  bool no_metrics;              /* no metrics (troupe_host_metrics reads zeros, and so do
                                 * the runtime's: troupe_runtime_config.no_metrics); they
                                 * are on by default, cheap enough to stay on */
  bool no_run_here;             /* the blocking calls into a component (invoke, ask,
                                 * upgrade) always go through a worker. By default an idle
                                 * component is run by the calling thread itself, which
                                 * saves two cross-core hand-offs (TROUPE_ASK_RUN_HERE):
                                 * set this when the embedder's threads must not run
                                 * guest code, or to measure the workers' scheduling */
} troupe_host_config;

TROUPE_API void troupe_host_config_init(troupe_host_config *cfg);
/* Start a host: its runtime, broker and root supervisor. cfg may be NULL. */
TROUPE_API int troupe_host_new(const troupe_host_config *cfg, troupe_host **out, troupe_err *err);
/* Stop every component in reverse start order (each _cleanup under its timeout), then
 * the runtime; free everything. From a non-worker thread. h may be NULL. */
TROUPE_API void troupe_host_free(troupe_host *h);
/* A burst of spawns follows (a tree being started): until the matching _end, a helper
 * thread writes, on a core the burst leaves free, the pages the next components will
 * need -- their host state and, once a module's first instance has shown which pages of
 * its memory it writes, their linear memories -- so that each spawn skips its fresh-page
 * faults (on this project's VM a fresh page costs its first writer 10 us, one another
 * thread wrote 0.02 us). Memory written ahead stays resident: the helper's reserve of
 * host state (1 MiB, doubling under misses up to 32 MiB) goes back at the last _end;
 * memories prepared for a module (up to 8 MiB of written pages each) serve its later
 * instances and go with the module. Pairs nest; the host ends what is left when freed.
 * Not for spawns that come one at a time: the helper's work then competes with theirs
 * for the same cores (docs/BENCH-COMPONENT.md, "Session 10"). Any thread. */
TROUPE_API void troupe_host_prewarm_begin(troupe_host *h);
TROUPE_API void troupe_host_prewarm_end(troupe_host *h);
/* The host's actor runtime (to spawn plain C actors beside the components). */
TROUPE_API troupe_runtime *troupe_host_runtime(troupe_host *h);

/* Spawn a component and wait until it is Ready (returns TROUPE_OK with *id) or its start
 * failed: NOTFOUND / IO (load failed), MALFORMED / INVALID (compile failed), UNLINKABLE /
 * UNINSTANTIABLE (instantiation failed), TRAP / EXIT / TIMEOUT (the start function
 * failed, or did not finish within limits.start_timeout_ms), with the component id and
 * the step in the message; NAME_TAKEN, INVAL (a bad spec), RANGE (max_components). */
TROUPE_API int troupe_host_spawn(troupe_host *h, const troupe_component_spec *spec,
                                 troupe_component_id *id, troupe_err *err);
/* Stop a component for good: _cleanup, then it is Terminated and removed. */
TROUPE_API int troupe_host_stop(troupe_host *h, troupe_component_id id, troupe_err *err);
/* Stop and start it again (a fresh instance, same id, name and queued messages). */
TROUPE_API int troupe_host_restart(troupe_host *h, troupe_component_id id, troupe_err *err);

/* Hot code upgrade: replace a running component's module -- by store reference, or
 * bytes (exactly one) -- keeping its id, name, mailbox, monitors and timers. The swap
 * happens in the component's turn, after the messages queued before it; those that
 * come meanwhile wait and go to the new instance: none is lost. The new instance runs
 * _initialize/_start; when both modules export the state hand-over pair
 * (_state_save/_state_load, docs/ABI.md) the old instance's state is passed across,
 * else the new one starts fresh. If the new module cannot be loaded, compiled or
 * instantiated, or its start fails (trap, exit, start timeout, _state_load refusing
 * the state), the old instance keeps running untouched and the error says why. Later
 * restarts use the new module. Blocks up to timeout_ns (0 = the component's start +
 * cleanup timeouts + 5 s): TIMEOUT then (the upgrade may still finish). Also NOTFOUND,
 * NOT_READY (between incarnations, or not started), STATE (on a worker thread, or
 * another upgrade being handed over at this instant). Non-worker threads. */
TROUPE_API int troupe_host_upgrade(troupe_host *h, troupe_component_id id, const char *module,
                                   const uint8_t *bytes, size_t len, uint64_t timeout_ns,
                                   troupe_err *err);

/* By name: NOTFOUND if no such component. */
TROUPE_API int troupe_host_lookup(troupe_host *h, const char *name, troupe_component_id *id);

/* A snapshot of a component. Strings are owned by it: free with
 * troupe_component_info_clear. */
typedef struct troupe_component_info {
  troupe_component_id id;
  troupe_actor_id actor;         /* the current incarnation, 0 between incarnations */
  char *name;
  char *module_ref;              /* as given, or "sha256:..." for bytes */
  char sha256[TROUPE_SHA256_HEX];
  troupe_component_state state;
  troupe_health health;
  char *health_reason;           /* NULL when none */
  uint32_t restarts;
  uint64_t created_ns, started_ns; /* wall clock; started = the current incarnation */
  uint64_t memory_bytes;         /* linear memory of the current instance */
  uint64_t messages;             /* handled since created */
  uint64_t fuel_used;            /* since created */
  troupe_exit_reason last_exit;  /* of the last incarnation; message owned */
  troupe_component_limits limits;/* with defaults filled in */
  troupe_group_id group;         /* its supervisor group, 0 = the root */
  uint32_t mailbox_depth;        /* messages waiting for it: queued for the current
                                  * incarnation and held between incarnations */
} troupe_component_info;
TROUPE_API int troupe_host_info(troupe_host *h, troupe_component_id id,
                                troupe_component_info *out, troupe_err *err);
TROUPE_API void troupe_component_info_clear(troupe_component_info *info);

/* Metrics of one component since it was created (across restarts), kept by the worker
 * that runs it -- no counter shared between threads on the message path -- and read
 * here with relaxed loads: exact once the component is quiet, a few messages behind
 * while it runs. docs/OBSERVE.md says what each means. Restarts, mailbox depth and
 * memory are in troupe_component_info. */
#define TROUPE_HANDLER_BUCKETS 14
typedef struct troupe_component_metrics {
  uint64_t msgs_in, bytes_in;   /* messages and invocations handled, their payload bytes */
  uint64_t msgs_out, bytes_out; /* sends, asks, replies, publishes and invocation results
                                 * the component made, their payload bytes */
  uint64_t handler_count;       /* handlers finished (handle-message, invocations) */
  double handler_seconds;       /* their time on a worker in all (not time spent waiting) */
  /* Cumulative histogram: handler_le[i] handlers took <= troupe_handler_bucket_bound(i)
   * seconds; the last bound is +Inf, so handler_le[TROUPE_HANDLER_BUCKETS-1] equals
   * handler_count. */
  uint64_t handler_le[TROUPE_HANDLER_BUCKETS];
  uint64_t traps;               /* incarnations ended by a trap (fuel limit included) */
  uint64_t fuel_used;
} troupe_component_metrics;
/* Upper bound in seconds of histogram bucket i (< TROUPE_HANDLER_BUCKETS; the last is
 * INFINITY): 1, 5, 10, 50, 100, 500 us, 1, 5, 10, 50, 100, 500 ms, 1 s, +Inf. */
TROUPE_API double troupe_handler_bucket_bound(unsigned i);
/* Any thread. NOTFOUND for an unknown id. With no_metrics only msgs_in and fuel_used
 * are kept (troupe_component_info shows them anyway); the rest reads 0. */
TROUPE_API int troupe_host_metrics(troupe_host *h, troupe_component_id id,
                                   troupe_component_metrics *out, troupe_err *err);
/* The host's broker (for its counters, troupe_broker_stats_get; or to subscribe plain
 * actors). Owned by the host. */
TROUPE_API troupe_broker *troupe_host_broker(troupe_host *h);

/* Every component, in spawn order: *out (malloc'd array of ids) and *n. */
TROUPE_API int troupe_host_list(troupe_host *h, troupe_component_id **out, size_t *n,
                                troupe_err *err);

/* Messages. Payloads (len > 0) carry a multicodec prefix (troupe/codec.h) and are
 * validated. A send to a component between incarnations is held and delivered to the
 * next one. MAILBOX_FULL when its bound is reached; TOO_LARGE beyond
 * max_message_bytes; NOTFOUND when no such component. */
TROUPE_API int troupe_host_send(troupe_host *h, troupe_component_id to, uint32_t tag,
                                const void *data, size_t len, troupe_err *err);
TROUPE_API int troupe_host_send_name(troupe_host *h, const char *to, uint32_t tag,
                                     const void *data, size_t len, troupe_err *err);
/* troupe_host_send, but a full mailbox makes the caller wait (sleeping, no polling) for
 * room up to timeout_ns instead of failing: TIMEOUT then. Non-worker threads (STATE on
 * a worker: a component uses troupe.send_wait). */
TROUPE_API int troupe_host_send_wait(troupe_host *h, troupe_component_id to, uint32_t tag,
                                     const void *data, size_t len, uint64_t timeout_ns,
                                     troupe_err *err);
/* Ask: the component's handle-message sees kind ASK and replies with troupe.reply.
 * *reply (malloc'd, free()) / *reply_len on success; TIMEOUT, NOT_RUNNING (it crashed
 * or stopped before answering), NOTFOUND. */
TROUPE_API int troupe_host_ask(troupe_host *h, troupe_component_id to, uint32_t tag,
                               const void *data, size_t len, uint64_t timeout_ns,
                               uint8_t **reply, size_t *reply_len, troupe_err *err);
/* Invoke an exported function with encoded arguments (multicodec-prefixed; may be
 * empty): the encoded result in *result (malloc'd). NOT_READY when the component is
 * not Ready; NOTFOUND (no such export, or no such component); MALFORMED_PAYLOAD (bad
 * arguments, or a result that is not what its prefix says); TRAP (it crashed: the
 * message has the trap); TIMEOUT; or the guest's own error code with its message. */
TROUPE_API int troupe_host_invoke(troupe_host *h, troupe_component_id id, const char *fn,
                                  const void *args, size_t args_len, uint64_t timeout_ns,
                                  uint8_t **result, size_t *result_len, troupe_err *err);
/* ---------------------------------------------------------------------------------
 * Supervisor groups: a host's components live in a tree of supervisors (OTP's
 * supervision tree) whose root is the host's root supervisor (group 0). A group is a
 * supervisor with its own strategy and restart intensity, a child of its parent group.
 * Its members are the components spawned into it (spec.group) and the groups made in
 * it, in that order: when its supervisor is restarted (by its parent) or restarts its
 * members (one_for_all, rest_for_one), it starts every member it holds at that moment,
 * in order, each keeping its id, name and held messages. A member stopped with
 * troupe_host_stop leaves the group for good; a temporary/transient member that exited
 * for good stays (state terminated) and comes back with the next restart of its group,
 * as a static child of an OTP supervisor does. Groups live as long as the host.
 * Calls from non-worker threads (STATE on a worker), like troupe_host_spawn.
 * ------------------------------------------------------------------------------- */
typedef struct troupe_group_spec {
  const char *name;              /* required, unique among the host's groups; the
                                  * component name grammar */
  troupe_group_id parent;        /* 0 = the root */
  troupe_sup_config supervisor;  /* strategy (not simple_one_for_one), intensity,
                                  * period, auto_shutdown; name/metadata ignored */
  troupe_restart_type restart;   /* as a child of its parent; default permanent */
  bool significant;              /* as for a component */
  uint32_t shutdown_ms;          /* time its members get to stop; 0 = as long as needed */
} troupe_group_spec;

/* Start an empty group under spec->parent (blocking until its supervisor runs). INVAL
 * (name, strategy, significant with permanent), NAME_TAKEN, NOTFOUND (parent),
 * START_FAILED (the parent refused it), NOMEM. */
TROUPE_API int troupe_host_group_new(troupe_host *h, const troupe_group_spec *spec,
                                     troupe_group_id *out, troupe_err *err);
/* A group started with its first members, as OTP's supervisor init starts its children:
 * the group's supervisor starts members[0..n) itself, in order, each Ready before the
 * next, and the call returns when all are (one request to the parent for the whole
 * group, where spawning them one by one makes a round trip from this thread each). The
 * specs are copied; their `group` field is ignored. On success ids[i] is member i's id.
 * On failure nothing of the group stays: the members started are stopped in reverse
 * order and every member's record goes; the error is the failed member's own ("component
 * 7 'x': compile failed: ...") or the supervisor's, and *failed (may be NULL) is that
 * member's index, or n when the group itself failed. The errors of troupe_host_group_new
 * and troupe_host_spawn (INVAL, NAME_TAKEN, RANGE, START_FAILED, ...). */
TROUPE_API int troupe_host_group_start(troupe_host *h, const troupe_group_spec *spec,
                                       const troupe_component_spec *members, size_t n,
                                       troupe_component_id *ids, size_t *failed,
                                       troupe_group_id *out, troupe_err *err);
TROUPE_API int troupe_host_group_lookup(troupe_host *h, const char *name, troupe_group_id *out);

typedef struct troupe_group_member {
  bool is_group;
  uint64_t id;                   /* a troupe_group_id or a troupe_component_id */
} troupe_group_member;
/* A snapshot of a group; free with troupe_group_info_clear. Group 0 is the root (its
 * members are those spawned with group 0, in spawn order, then its groups). */
typedef struct troupe_group_info {
  troupe_group_id id, parent;
  char *name;                    /* "components"-like root name for group 0 */
  troupe_actor_id actor;         /* its supervisor now, 0 while it restarts */
  troupe_sup_strategy strategy;
  uint32_t intensity;
  uint64_t period_ms;
  troupe_group_member *members;  /* in start order */
  size_t nmembers;
} troupe_group_info;
TROUPE_API int troupe_host_group_info(troupe_host *h, troupe_group_id id, troupe_group_info *out,
                                      troupe_err *err);
TROUPE_API void troupe_group_info_clear(troupe_group_info *info);

/* Wait up to timeout_ns for the host's root supervisor to end (it gave up: more
 * restarts than its intensity allows, or a significant child ended it). TROUPE_OK with
 * *why filled (message owned: free((void *)why->message)) once it has, TIMEOUT before.
 * A node uses it to exit with the reason. why may be NULL. */
TROUPE_API int troupe_host_wait_down(troupe_host *h, uint64_t timeout_ns, troupe_exit_reason *why);

/* Publish on the host's broker (subscribers are components or actors). */
TROUPE_API int troupe_host_publish(troupe_host *h, const char *subject, const void *data,
                                   size_t len, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
