/*
 * troupe/wasi.h: a WASI preview 1 host module ("wasi_snapshot_preview1") for the engine
 * in troupe/wasm.h, sandboxed: a program gets its arguments, an environment, stdin /
 * stdout / stderr (routed to the embedder's callbacks), clocks, randomness, sleep and
 * exit -- and no filesystem or network. Every other preview-1 function exists with its
 * exact signature and returns the errno a sandbox without that capability should
 * (docs/WASI.md lists them all). Guest memory is only touched through the engine's
 * bounds-checked accessors: a bad pointer gives the guest EFAULT, never a host crash.
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
 * the end of the input; fewer than len is fine), or -1 for an I/O error (EIO). */
typedef int64_t (*troupe_wasi_read_fn)(void *user, void *buf, size_t len);
/* Wait `ns` nanoseconds for poll_oneoff's clock subscriptions (what sleep() and
 * nanosleep() use). Return 0, or nonzero if interrupted (the guest sees EINTR). */
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
   * empty -- reads return 0 bytes (end of input) at once. */
  troupe_wasi_read_fn read;
  const uint8_t *stdin_data;
  size_t stdin_len;
  troupe_wasi_sleep_fn sleep; /* NULL: sleep the calling thread (nanosleep) */
  void *user;                 /* passed to write, read and sleep */

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
 * instance without one traps ("WASI function called without a WASI context").
 * Returns TROUPE_OK or the linker's error (TROUPE_E_NOMEM, ...). Define once per linker. */
TROUPE_API int troupe_wasi_define(troupe_wasi_ctx *ctx, troupe_wasm_linker *linker,
                                  troupe_err *err);

/* Whether the program called proc_exit, and with which code (*code may be NULL). A
 * program whose _start just returns did not exit this way: its status is 0. */
TROUPE_API bool troupe_wasi_exited(const troupe_wasi_ctx *ctx, int32_t *code);

#ifdef __cplusplus
}
#endif
#endif
