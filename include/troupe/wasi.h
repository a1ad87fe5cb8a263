/*
 * troupe/wasi.h: a WASI preview 1 host module ("wasi_snapshot_preview1") for the engine
 * in troupe/wasm.h, sandboxed: a program gets its arguments, an environment, stdin /
 * stdout / stderr (routed to the embedder's callbacks), clocks, randomness, sleep and
 * exit -- and no filesystem or network. Every other preview-1 function exists with its
 * exact signature and returns the errno a sandbox without that capability should
 * (docs/WASI.md lists them all). Guest memory is only touched through the engine's
 * bounds-checked accessors: a bad pointer gives the guest EFAULT, never a host crash.
 *
 * Two modes. Blocking (the default): a sleep waits on the calling thread (or in the
 * sleep callback) and a read of stdin waits in the read callback. Suspending
 * (cfg.suspend_blocking): nothing blocks the thread -- a call that would wait suspends
 * the instance (troupe_wasm_host_suspend), the embedder asks troupe_wasi_pending what it
 * waits for, and when that has come completes it (troupe_wasi_complete_*), which writes
 * what the guest sees and gives the result to resume the instance with. This is how an
 * actor runs a program on a scheduler's worker threads (docs/WASI.md, "Suspending mode").
 */
#ifndef TROUPE_WASI_H
#define TROUPE_WASI_H

#include "troupe/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The import module name every preview-1 program uses. */
#define TROUPE_WASI_MODULE "wasi_snapshot_preview1"

/* The state of one running WASI program: its arguments, environment, stdio and exit
 * status. Use one context per instance (the stdio state and the exit status are the
 * program's own); a context is used by one thread at a time, like its instance. */
typedef struct troupe_wasi_ctx troupe_wasi_ctx;

/* Output of fd 1 (stdout) and fd 2 (stderr). Return 0, or nonzero for an I/O error (the
 * guest's write then fails with EIO, or is short if part of it was already delivered).
 * A long write arrives in several calls, in order. */
typedef int (*troupe_wasi_write_fn)(void *user, int fd, const void *data, size_t len);
/* Input of fd 0 (stdin): store at most len (> 0) bytes in buf and return how many (0 at
 * the end of the input; fewer than len is fine), or -1 for an I/O error (EIO), or, in
 * suspending mode, TROUPE_WASI_WOULD_BLOCK when no input is there yet (nothing stored):
 * the reading call then suspends, and the embedder later hands the input over with
 * troupe_wasi_complete_read. Outside suspending mode that answer is EAGAIN for the guest
 * (what read(2) says on an empty non-blocking pipe). */
typedef int64_t (*troupe_wasi_read_fn)(void *user, void *buf, size_t len);
#define TROUPE_WASI_WOULD_BLOCK (-2)
/* Wait `ns` nanoseconds for poll_oneoff's clock subscriptions (what sleep() and
 * nanosleep() use). Return 0, or nonzero if interrupted (the guest sees EINTR). Never
 * called in suspending mode: there a wait suspends the instance. */
typedef int (*troupe_wasi_sleep_fn)(void *user, uint64_t ns);

/* What a program sees. Zero-initialise and fill what you need; everything is copied by
 * troupe_wasi_ctx_new, so the caller's arrays may go away afterwards. */
typedef struct troupe_wasi_config {
  size_t argc;
  const char *const *argv;  /* argv[0] is the program name by convention */
  size_t envc;
  const char *const *env;   /* "NAME=value" strings; none by default */

  troupe_wasi_write_fn write; /* NULL: stdout and stderr output is discarded */
  /* stdin: `read` if set; else the bytes stdin_data[0..stdin_len) (copied); else
   * empty -- reads return 0 bytes (end of input) at once -- or, in suspending mode,
   * whatever troupe_wasi_complete_read hands over when a read waits. */
  troupe_wasi_read_fn read;
  const uint8_t *stdin_data;
  size_t stdin_len;
  troupe_wasi_sleep_fn sleep; /* NULL: sleep the calling thread (nanosleep) */
  void *user;                 /* passed to write, read and sleep */

  /* Suspending mode: a poll_oneoff that has to wait (sleep, nanosleep, poll with a
   * timeout) and an fd_read of stdin with no input at hand suspend the instance instead
   * of blocking: the call into it returns TROUPE_E_SUSPENDED, troupe_wasi_pending says
   * what it waits for, troupe_wasi_complete_* completes it. false: the blocking mode. */
  bool suspend_blocking;

  /* Bit n (n = 0, 1, 2) set: fd n is reported as a terminal (a character device without
   * seek rights, so libc's isatty() is true and stdout becomes line-buffered). Clear:
   * it is reported as a pipe-like stream of unknown type, as for a redirected stdio. */
  unsigned tty_mask;
} troupe_wasi_config;

/* Make a context. cfg may be NULL (no arguments, no environment, output discarded,
 * empty stdin). Returns TROUPE_OK, TROUPE_E_NOMEM, or TROUPE_E_INVAL (argc or envc
 * nonzero with a NULL array or a NULL string in it). */
TROUPE_API int troupe_wasi_ctx_new(const troupe_wasi_config *cfg, troupe_wasi_ctx **out,
                                   troupe_err *err);
TROUPE_API void troupe_wasi_ctx_free(troupe_wasi_ctx *ctx);

/* Define every preview-1 function in `linker` under TROUPE_WASI_MODULE.
 *
 * How a host function finds its context: if ctx is non-NULL, every function is bound to
 * it (the simple case: one linker per program). If ctx is NULL, the linker can be shared
 * by many instances, and each instance must carry its own context as its user pointer
 * (troupe_wasm_instance_set_user(inst, ctx) before the first call); a call from an
 * instance without one traps ("WASI function called without a WASI context"). An
 * embedder that needs the user pointer for itself uses troupe_wasi_define_shared.
 * Returns TROUPE_OK or the linker's error (TROUPE_E_NOMEM, ...). Define once per linker. */
TROUPE_API int troupe_wasi_define(troupe_wasi_ctx *ctx, troupe_wasm_linker *linker,
                                  troupe_err *err);

/* How a shared linker's functions find the calling instance's context: ctx_of(inst,
 * user) returns it (typically from the embedder's own structure on the instance's user
 * pointer), or NULL -- the call then traps as above. ctx_of runs on the thread running
 * the instance, at every WASI call: it must be quick and must not call into `inst`. */
typedef troupe_wasi_ctx *(*troupe_wasi_ctx_of_fn)(troupe_wasm_instance *inst, void *user);
typedef struct troupe_wasi_locator {
  troupe_wasi_ctx_of_fn ctx_of;
  void *user;
} troupe_wasi_locator;

/* Define every preview-1 function in a linker shared by many instances, finding each
 * instance's context through `how` -- so the instance's user pointer stays the
 * embedder's. *how is not copied: it must stay valid as long as the linker or any
 * instance made with it (a static const, or a field of the embedder's runtime).
 * Returns TROUPE_OK, TROUPE_E_INVAL (NULL linker, how or how->ctx_of), or the linker's
 * error. Define once per linker. */
TROUPE_API int troupe_wasi_define_shared(troupe_wasm_linker *linker,
                                         const troupe_wasi_locator *how, troupe_err *err);

/* Whether the program called proc_exit, and with which code (*code may be NULL). A
 * program whose _start just returns did not exit this way: its status is 0. */
TROUPE_API bool troupe_wasi_exited(const troupe_wasi_ctx *ctx, int32_t *code);

/* ---- suspending mode ---------------------------------------------------------------- */

/* What a suspended program waits for. */
typedef enum troupe_wasi_wait_kind {
  TROUPE_WASI_WAIT_NONE = 0, /* nothing: the instance is not suspended in WASI */
  TROUPE_WASI_WAIT_SLEEP,    /* poll_oneoff on clocks (sleep, nanosleep): complete with
                              * troupe_wasi_complete_sleep when the deadline has come */
  TROUPE_WASI_WAIT_READ,     /* fd_read of stdin: complete with troupe_wasi_complete_read
                              * when input (or its end) comes */
  TROUPE_WASI_WAIT_POLL,     /* poll_oneoff on stdin, and on clocks if has_deadline
                              * (poll() with a timeout): complete_read when input comes,
                              * complete_sleep at the deadline, whichever is first */
} troupe_wasi_wait_kind;

typedef struct troupe_wasi_wait {
  troupe_wasi_wait_kind kind;
  bool has_deadline;  /* SLEEP always, POLL when it also waits on a clock */
  uint64_t deadline;  /* when the earliest clock fires: CLOCK_MONOTONIC, ns */
  uint64_t timeout;   /* the same counted from the start of the call, ns (the delay
                       * the program asked for, for a relative sleep) */
  int fd;             /* READ, POLL: the stream waited on, 0 (stdin); else -1 */
  uint64_t nbytes;    /* READ: how many bytes the program's buffers take at most */
} troupe_wasi_wait;

/* What the context's program waits for since its instance suspended in WASI (the call
 * into the instance returned TROUPE_E_SUSPENDED and troupe_wasm_instance_state says
 * SUSPENDED_HOST), filled into *what (may be NULL); NONE when nothing is pending. A wait
 * stays pending until completed; if the embedder abandons it (troupe_wasm_abort, or
 * freeing the instance) the context still reports it until the program's next wait
 * replaces it. Reads ctx only. */
TROUPE_API troupe_wasi_wait_kind troupe_wasi_pending(const troupe_wasi_ctx *ctx,
                                                     troupe_wasi_wait *what);

/* Complete the pending wait of ctx, whose suspended instance is `inst`: write into the
 * instance's memory what the program sees (events, bytes read, counts -- through the
 * engine's bounds-checked accessors) and store in *result the value to resume with:
 *   troupe_wasm_resume(inst, result, 1, ...)
 * The wait is then over (troupe_wasi_pending says NONE).
 *
 * complete_sleep: the deadline has come (SLEEP, or POLL with a deadline): the call
 * returns an event for every clock due by now, at least the earliest, as if it had
 * slept until then (whether the embedder really waited is its business).
 * complete_read: input for stdin (READ or POLL): len bytes at data, or len 0 for the end
 * of the input (every later read returns 0). A READ takes what its buffers hold and the
 * rest is kept for the next reads; a POLL keeps it all and reports stdin ready (and any
 * clock already due).
 * complete_error: the wait failed: a READ returns EIO, a SLEEP or POLL EINTR.
 *
 * Returns TROUPE_OK; TROUPE_E_INVAL (NULL ctx, inst or result, NULL data with len > 0);
 * TROUPE_E_STATE (nothing of that kind pending -- complete_sleep on a POLL without a
 * deadline too -- or `inst` is not the instance suspended in it, or it was aborted);
 * TROUPE_E_NOMEM (input could not be kept: nothing changed,
 * the wait stays). Input kept beyond a READ belongs to the context (freed with it). Any
 * thread, but one at a time with the instance and context, as always; the instance
 * must not run meanwhile. */
TROUPE_API int troupe_wasi_complete_sleep(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                                          troupe_wasm_val *result, troupe_err *err);
TROUPE_API int troupe_wasi_complete_read(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                                         const void *data, size_t len,
                                         troupe_wasm_val *result, troupe_err *err);
TROUPE_API int troupe_wasi_complete_error(troupe_wasi_ctx *ctx, troupe_wasm_instance *inst,
                                          troupe_wasm_val *result, troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
