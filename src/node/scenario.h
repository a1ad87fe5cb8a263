/*
 * node/scenario.h: the test kit's insides (troupe/scenario.h is its public face). A
 * scenario file goes through three stages, one file each:
 *   scenario_yaml.c   the text -> a tree of nodes with their line:column, by the node
 *                     layer's YAML reader (yaml.c: aliases refused, depth, size and
 *                     node count bounded), refusals worded for a scenario;
 *   scenario_parse.c  the tree -> a troupe_scenario (a manifest to start, components
 *                     to spawn, steps), checking every key, type and component name,
 *                     errors as file:line:column;
 *   scenario_run.c    a host (or the manifest's node), the spawns, the steps in order,
 *                     TAP on a FILE.
 * scenario_api.c reads the file and frees. Beside them: scenario_match.c (the JSON exact
 * / subset matcher with the path of the first difference) and scenario_events.c (the
 * host's log records caught into a bounded queue the expect_event steps wait on, and a
 * health watcher).
 */
#ifndef TROUPE_NODE_SCENARIO_H
#define TROUPE_NODE_SCENARIO_H

#include "node/yaml.h"
#include "troupe/component.h"
#include "troupe/manifest.h"
#include "troupe/scenario.h"

#include <jansson.h>
#include <pthread.h>

/* ---- the YAML tree ------------------------------------------------------------------- *
 * node/yaml.h: trN_ynode, read by the node layer's YAML reader into a malloc'd tree. */

/* Bounds on what a scenario file may hold: it is read from a user's disk, but the test
 * kit must say "too big", not run out of memory, on a runaway generated file. */
#define TRN_Y_MAX_BYTES (4u << 20)
#define TRN_Y_MAX_DEPTH TRN_YAML_MAX_DEPTH
#define TRN_Y_MAX_NODES 200000

/* Parse one YAML document (free it with trN_yaml_free). On error: INVAL with
 * "PATH:LINE:COL: what" in *err. */
int trN_scenario_yaml_load(const char *text, size_t len, const char *path, trN_ynode **out,
                           troupe_err *err);
/* A YAML value as JSON: mappings (string keys) -> objects, sequences -> arrays, plain
 * scalars null/~/true/false/numbers as such, everything else a string. NULL on a
 * mapping key that is not a scalar or out of memory (*bad is the node at fault). */
json_t *trN_yaml_to_json(const trN_ynode *n, const trN_ynode **bad);

/* ---- JSON matching ------------------------------------------------------------------- */
/* Does `got` match `want`? Exact: equal values (numbers equal by value: 1 == 1.0).
 * Subset: objects match when every key of want is in got and matches recursively (got
 * may have more keys); arrays element-wise, of the same length; scalars exactly. On a
 * mismatch, where[cap] gets the path of the first difference ("$.items[2].id") and a
 * reason. */
bool trN_json_match(const json_t *want, const json_t *got, bool subset, char *where,
                    size_t cap);

/* ---- the scenario -------------------------------------------------------------------- */
typedef enum trN_step_kind {
  TRN_START, /* `manifest:`: the manifest's whole application, one TAP point */
  TRN_SPAWN, /* a component of the setup: one TAP point each */
  TRN_SEND,
  TRN_ASK,
  TRN_INVOKE,
  TRN_PUBLISH,
  TRN_SLEEP,
  TRN_EXPECT_EVENT,
  TRN_EXPECT_NO_EVENT, /* watches for its whole timeout: fails if a matching event comes */
} trN_step_kind;

typedef enum trN_event_kind {
  TRN_EV_STARTED,    /* component_started */
  TRN_EV_RESTART,    /* component_started with restarts >= 1 */
  TRN_EV_STOPPED,    /* component_stopped, any reason */
  TRN_EV_CRASH,      /* component_stopped, reason crash */
  TRN_EV_TRAP,       /* a crash by a trap: its message names the place (" (function ") */
  TRN_EV_HEALTH,     /* a change of health seen by the watcher */
  TRN_EV_DENIED,     /* capability_denied */
  TRN_EV_LOG,        /* component_log */
  TRN_EV_OUTPUT,     /* component_output */
} trN_event_kind;

typedef struct trN_comp {
  char *name;
  bool in_manifest; /* started by the manifest's node (only the name and health_interval_ms
                     * are set), not spawned by the kit */
  char *path;   /* module file (resolved against the scenario's folder), or NULL */
  char *ref;    /* store reference, or NULL */
  troupe_component_limits limits;
  char **caps[5]; /* send_to, accept_from, publish, subscribe, spawn: NULL-terminated */
  size_t ncaps[5];
  bool has_caps[5];
  char **argv, **env;
  size_t argc, envc;
  troupe_restart_type restart;
  uint32_t shutdown_ms, health_interval_ms, health_threshold;
  unsigned line, col;
} trN_comp;

typedef struct trN_step {
  trN_step_kind kind;
  char *name;           /* as shown in TAP */
  unsigned line, col;
  uint32_t timeout_ms;
  size_t comp;          /* index into components (not for publish / sleep) */
  char *fn;             /* invoke */
  char *subject;        /* publish */
  uint32_t tag;
  bool cbor;            /* payload sent as CBOR */
  uint8_t *payload;     /* prefixed; NULL = empty */
  size_t payload_len;
  json_t *expect;       /* ask / invoke: the reply or result wanted, or NULL */
  bool subset;          /* expect is a subset */
  bool eventually;      /* repeat until it matches or the timeout */
  bool want_error;      /* an error is expected: */
  int error_code;       /*   this code (0 = any) */
  char *error_message;  /*   with this text in its message (NULL = any) */
  uint32_t sleep_ms;
  trN_event_kind event;
  bool any_comp;        /* expect_event with no component: any */
  json_t *fields;       /* expect_event: the record's fields must match this subset */
  char *message;        /* expect_event: substring of message / line / reason text */
} trN_step;

struct troupe_scenario {
  char *path, *dir; /* the file, and its folder (for module paths) */
  char *name;
  troupe_manifest *manifest; /* `manifest:` loaded and checked, or NULL */
  char *manifest_given;      /* its path as the scenario writes it */
  char *store_dir;  /* a directory store for `ref:` (NULL: none) */
  uint32_t timeout_ms;
  troupe_sup_config sup;
  trN_comp *comps;           /* the manifest's components first, then the kit's */
  size_t ncomps;
  trN_step *steps; /* the manifest's start, the spawns, then the steps */
  size_t nsteps;
  troupe_scenario_config cfg;
};

int trN_scenario_build(const trN_ynode *root, const char *path, const troupe_scenario_config *cfg,
                       troupe_scenario **out, troupe_err *err);

/* ---- events -------------------------------------------------------------------------- */
/* Records of the host's log, kept as JSON objects ({"event": E, ...fields}) until an
 * expect_event step takes one. Bounded: beyond TRN_EV_MAX the oldest are dropped (and
 * counted, so a failing wait can say so). Records come from worker threads. */
#define TRN_EV_MAX 4096

typedef struct trN_evq {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  json_t **v; /* ring of TRN_EV_MAX */
  size_t head, n;
  uint64_t dropped;
  FILE *verbose; /* -v: every record as a TAP comment on it, under out_lock */
  pthread_mutex_t *out_lock;
  const char *indent;
} trN_evq;

int trN_evq_init(trN_evq *q);
void trN_evq_destroy(trN_evq *q);
void trN_evq_push(trN_evq *q, json_t *ev); /* takes ev */
void trN_evq_log(void *user, const troupe_log_record *rec); /* a troupe_log_fn */
/* Wait until deadline (monotonic ns) for an event matching the step; take it out of the
 * queue and return it (the caller frees it), or NULL on timeout. */
json_t *trN_evq_take(trN_evq *q, const troupe_scenario *s, const trN_step *st, uint64_t deadline);
bool trN_event_matches(const troupe_scenario *s, const trN_step *st, const json_t *ev);
const char *trN_event_kind_name(trN_event_kind k);

/* The health watcher: polls troupe_host_info of the components with health checks and
 * pushes {"event":"health_changed","name":N,"health":H,"was":W,"reason":R} on a change
 * (the host's log carries no health records of components). */
typedef struct trN_watch {
  troupe_host *host;
  trN_evq *q;
  troupe_component_id *ids;
  const char **names;
  troupe_health *last;
  size_t n;
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t cond;
  bool stop, running;
} trN_watch;

int trN_watch_start(trN_watch *w);
void trN_watch_stop(trN_watch *w);

#endif
