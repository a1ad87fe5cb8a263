/*
 * base/prewarm.h: a helper thread that touches memory ahead of need (prewarm.c), for
 * bursts of spawns the caller knows are coming (a node starting its tree).
 *
 * Why: on these machines the first touch of a fresh page costs 10-11 us (4.8 after
 * madvise(MADV_POPULATE_WRITE)), paid by whichever thread touches it first; a page that
 * another thread wrote costs the next one 0.02 us. A growing population's spawn needs
 * ~3.5 fresh pages. While a node starts its tree, one worker starts the components one
 * after another and the other core is mostly idle: the helper uses it to write the
 * pages of the next components' host state (slab chunks) and linear memories (the
 * engine's per-module reserve, engine/warm.c). Measured in docs/BENCH-COMPONENT.md
 * ("Session 10"): always on, it only moved time from the median to the tail.
 *
 * Threading: every function may be called from any thread.
 */
#ifndef TROUPE_SRC_BASE_PREWARM_H
#define TROUPE_SRC_BASE_PREWARM_H

#include "base/base.h"

#define TRB_CHUNK ((size_t)64 << 10)

/* Start the helper (the first call) or count one more user; trB_prewarm_stop undoes
 * one start, and the last joins the helper and unmaps its reserve. A start that cannot
 * make the thread returns an errno value; everything works without a helper. */
int trB_prewarm_start(void);
void trB_prewarm_stop(void);

/* Whether a helper runs now (a hint: it may stop or start right after). */
bool trB_prewarm_running(void);

/* A 64 KiB chunk, all zero, page-aligned, NULL when the system refuses: from the
 * helper's reserve (written) when it has one, else a fresh mapping populated here. */
void *trB_chunk_take(void);

/* Work for the helper: fn(arg) runs on it soon after trB_prewarm_want(job) (once per
 * want; a job already queued is not queued twice; a running one may be queued again).
 * A job stays valid until it ran or trB_prewarm_cancel(job) returned (cancel waits if
 * it runs). Without a helper want returns false. */
typedef struct trB_prewarm_job {
  void (*fn)(void *arg);
  void *arg;
  struct trB_prewarm_job *next; /* the helper's queue; owned by prewarm.c */
  bool queued;
} trB_prewarm_job;
bool trB_prewarm_want(trB_prewarm_job *job);
void trB_prewarm_cancel(trB_prewarm_job *job);

/* Chunks in the helper's reserve now (tests). */
size_t trB_prewarm_reserve_chunks(void);

/* Populate [p, p + len) (page-aligned) in one call, then write a zero to each page:
 * what makes the next thread's first write cheap on these machines. */
void trB_prewarm_touch(void *p, size_t len);

#endif
