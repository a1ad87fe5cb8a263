/*
 * examples/demo/demo.h: what the two files of the demo share. demo.c is the story (the
 * steps, in order); demo_util.c the plumbing each step uses: the account printed on
 * stdout ("do / expect / got"), JSON payloads with their multicodec prefix, the calls
 * into the host wrapped to return text, bounded polling, and the audit file read back.
 * Everything goes through the public API (include/troupe/), as an embedder would.
 */
#ifndef TROUPE_DEMO_H
#define TROUPE_DEMO_H

#include "troupe/actor.h"
#include "troupe/base.h"
#include "troupe/component.h"
#include "troupe/log.h"
#include "troupe/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every wait in the demo is bounded by this: generous, since a loaded machine (a ctest
 * run in parallel with others) can be slow, but a hang still ends in a clear failure. */
#define DEMO_WAIT_MS 20000u
/* The timeout of one ask or invocation. */
#define DEMO_CALL_NS TROUPE_SEC(10)

typedef struct demo {
  troupe_host *h;
  troupe_store *store;
  troupe_logger *log;
  const char *components; /* the directory store */
  const char *audit;      /* the JSON-lines audit file */
  unsigned workers;
  int step;               /* the step being run, for the failure message */
  char failure[1024];     /* what did not happen as expected, empty while all is well */
} demo;

/* ---- the account on stdout --------------------------------------------------------- */
void demo_step(demo *d, int n, const char *title, const char *why);
void demo_do(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void demo_expect(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print what happened, "ok" or "NOT AS EXPECTED"; on a failure remember the first one
 * in d->failure. Returns ok, so a step can `if (!demo_got(...)) return false;`. */
bool demo_got(demo *d, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void demo_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A failure that is not a comparison (a call returned an error): recorded and printed. */
bool demo_fail(demo *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- calls into the host, with JSON text in and out ---------------------------------- */
/* Invoke fn with JSON text (NULL: no arguments). 0 with *out the JSON text of the result
 * (malloc'd, without its prefix), or the negative status with *out the error message. */
int demo_invoke(demo *d, troupe_component_id id, const char *fn, const char *json, char **out);
/* The same with raw, already prefixed arguments (CBOR, for example). */
int demo_invoke_raw(demo *d, troupe_component_id id, const char *fn, const void *args,
                    size_t len, char **out);
/* Ask with JSON text; the same conventions. */
int demo_ask(demo *d, troupe_component_id id, const char *json, char **out);
/* Send a MESSAGE with JSON text (NULL: an empty payload) and a tag. */
int demo_send(demo *d, troupe_component_id id, uint32_t tag, const char *json);
/* Spawn one component; prints its line of the tree. 0 on failure (recorded). */
troupe_component_id demo_spawn(demo *d, const troupe_component_spec *spec);
/* A snapshot of a component, or false (recorded) when it cannot be had. */
bool demo_info(demo *d, troupe_component_id id, troupe_component_info *out);

/* ---- time and waiting ---------------------------------------------------------------- */
void demo_sleep_ms(unsigned ms);
double demo_ms_since(uint64_t t0_ns);
/* Poll cond(d, arg) every few ms until it holds or DEMO_WAIT_MS pass; its last value. */
bool demo_wait(demo *d, bool (*cond)(demo *, void *), void *arg);
/* Conditions for demo_wait. */
typedef struct demo_restart_arg {
  troupe_component_id id;
  uint32_t restarts; /* at least this many */
} demo_restart_arg;
bool demo_cond_restarted_ready(demo *d, void *arg); /* demo_restart_arg */

/* ---- the audit file ------------------------------------------------------------------ */
/* Lines of the audit file holding every one of the needles (a NULL-terminated list);
 * when `show` is set, each is printed (indented) as evidence. */
size_t demo_audit_count(demo *d, bool show, const char *needle, ...)
    __attribute__((sentinel));
/* The number of lines in the audit file so far. */
size_t demo_audit_lines(demo *d);
/* The component names of the lines from line `from` (0-based) on that hold needle,
 * space-separated in file order, into out; returns how many. */
size_t demo_audit_names(demo *d, size_t from, const char *needle, char *out, size_t cap);
/* The `"name":"NAME"` needle for a component's records, into buf. */
const char *demo_audit_name(char *buf, size_t cap, const char *name);

#endif
