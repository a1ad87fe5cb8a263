/*
 * bench.h: what the component-benchmark driver's files share. The driver
 * (troupe-bench-component) measures the Troupe side of `make bench-component` row group
 * by row group -- spawn.c: spawn latency, idle memory and the live-component count;
 * msg.c: invoke, component-to-component ask and the message ring; restart.c: trap to
 * answering again; echo.c: echo latency beside a spinner, and the fuel slice; node.c:
 * a node of a 10,000-component manifest, an ask over the control socket, a store add;
 * langs.c: the echo example written in C, Rust and AssemblyScript, side by side -- and
 * prints "row unit value" lines; report.c merges them with the Erlang program's lines
 * into the table and BUILD/bench/component.json. Only public headers: the driver
 * measures what an embedder gets. The guests (guests/) are read from TBC_GUESTS_DIR.
 */
#ifndef TROUPE_BENCH_COMPONENT_H
#define TROUPE_BENCH_COMPONENT_H

#include "troupe/base.h"
#include "troupe/component.h"
#include "troupe/store.h"

#include <stdio.h>

typedef struct tbc_cfg {
  bool quick;          /* small sizes: a smoke test, not the goal sizes */
  uint32_t spawn_n;    /* timed spawns (5,000) */
  uint32_t idle_n;     /* components for the idle-memory row (100,000) */
  double live_s;       /* time cap of the live-count attempt (180 s) */
  double live_gib;     /* RSS cap of the live-count attempt (18 GiB of this 24 GiB machine) */
  uint32_t live_max;   /* count cap (1,000,000: the goal) */
  uint32_t rtt_n;      /* invocations / asks per run (20,000) */
  uint32_t ring_n;     /* ring size (10,000) */
  uint32_t ring_hops;  /* hops per ring run (1,000,000) */
  uint32_t restarts;   /* restart rounds per run (500) */
  FILE *out;
} tbc_cfg;

void tbc_emit(const tbc_cfg *cfg, const char *row, const char *unit, double value);
double tbc_percentile(double *v, size_t n, double p); /* sorts v */
void tbc_die(const char *what, int status, const troupe_err *err);
void tbc_sleep_ms(unsigned ms);

/* A host whose store holds the bench guests ("tiny", "worker"), with `workers` workers
 * (0: one per core) and a root supervisor that never gives up (the restart row crashes
 * on purpose). */
typedef struct tbc_host {
  troupe_host *h;
  troupe_store *store;
} tbc_host;
void tbc_host_new(tbc_host *th, unsigned workers);
/* The same; run_here false: the host's asks and invocations always go through a worker
 * (troupe_host_config.no_run_here), for rows that measure the workers' scheduling. */
void tbc_host_new_ex(tbc_host *th, unsigned workers, bool run_here);
void tbc_host_free(tbc_host *th);

/* Spawn `module` as `name`, with one environment entry (NULL: none). The worker guest
 * may send to and ask every component; tiny gets 1 page of memory at most. Returns the
 * id, or 0 with the error in *err (die_on_error: exit the driver instead). */
troupe_component_id tbc_spawn(tbc_host *th, const char *name, const char *module,
                              const char *env, uint32_t shutdown_ms, troupe_err *err,
                              bool die_on_error);

/* Invoke and return the result's bytes (malloc'd, NUL appended) or die. */
char *tbc_invoke(tbc_host *th, troupe_component_id id, const char *fn, const void *args,
                 size_t len, size_t *out_len);
/* A CBOR unsigned integer with its multicodec prefix into b (>= 10 bytes): its length. */
size_t tbc_cbor_uint(uint8_t *b, uint64_t v);
/* The numbers of a JSON array of integers (after the 2-byte prefix): malloc'd doubles. */
double *tbc_json_numbers(const char *json, size_t len, size_t *n);

/* Process figures: resident bytes (/proc/self/statm), minor faults (getrusage). */
uint64_t tbc_rss_bytes(void);
uint64_t tbc_minflt(void);
uint64_t tbc_cpu_ns(void); /* user + system time of the process */
size_t tbc_map_count(void);
/* Involuntary context switches of all the process's threads (the OS took a core away). */
uint64_t tbc_preemptions(void);
const char *tbc_threads(void); /* "Threads: N" of /proc/self/status (static buffer) */

void tbc_spawn_rows(const tbc_cfg *cfg);
void tbc_memory_rows(const tbc_cfg *cfg);
void tbc_invoke_rows(const tbc_cfg *cfg);
void tbc_ask_rows(const tbc_cfg *cfg);
void tbc_ring_rows(const tbc_cfg *cfg);
void tbc_restart_rows(const tbc_cfg *cfg);
void tbc_echo_rows(const tbc_cfg *cfg);
void tbc_node_rows(const tbc_cfg *cfg); /* node.c: node start, control ask, store add */
void tbc_langs_rows(const tbc_cfg *cfg); /* langs.c: the echo example in each language */

/* A file's bytes (malloc'd), or NULL when it does not exist and !must_exist; any other
 * failure ends the driver. */
uint8_t *tbc_read_path(const char *path, size_t *len, bool must_exist);

/* OFF.txt (NULL: none): the same rows with BENCH_METRICS=off, for the metrics' cost. */
int tbc_report(const char *troupe_path, const char *erlang_path, const char *json_path,
               const char *off_path);

#endif
