/*
 * base/idle.h: work that can wait for a thread with nothing else to do (idle.c).
 *
 * Why: some work on a hot path only has to be done before its result is next needed --
 * the zeroing of a freed linear memory before another instance may have it (2-3 us of
 * a component's 10-15 us restart on these machines, engine/pool.c). A layer below the
 * actor runtime cannot ask a worker for that; it registers a job here instead, and the
 * runtime's workers run jobs when they find no actor to run. A job whose work was not
 * done by then is done by whoever needs its result, so nothing depends on a worker
 * ever being idle.
 *
 * Threading: every function may be called from any thread. A job runs on the thread
 * that calls trB_idle_run, possibly on several threads at once.
 */
#ifndef TROUPE_SRC_BASE_IDLE_H
#define TROUPE_SRC_BASE_IDLE_H

#include "base/base.h"

/* One step of deferred work: true if it did some (there may be more), false when it
 * found none. Must be short (a few microseconds): an idle worker runs one step between
 * two looks for actors. */
typedef bool (*trB_idle_job)(void);

/* Register a job for the process's life (at most TRB_IDLE_JOBS; later ones are
 * refused: false). Idempotent for the same function. */
#define TRB_IDLE_JOBS 4
bool trB_idle_add(trB_idle_job job);

/* Threads that call trB_idle_run when they have nothing to do: a runner counts itself
 * in while it may (a runtime's worker, from start to exit); the last one to leave runs
 * every job until none has work. A layer defers work only while there is a runner to
 * do it (trB_idle_runners() > 0, a hint: a runner may leave right after, which is why a
 * deferred result must always be reachable without one). */
void trB_idle_runner_enter(void);
void trB_idle_runner_leave(void);
int trB_idle_runners(void);

/* Run one step of the first job that has work; true if one did. */
bool trB_idle_run(void);

#endif
