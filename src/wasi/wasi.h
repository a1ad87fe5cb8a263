/*
 * wasi/wasi.h: the WASI layer's internal header (prefix trW_): internals of the WASI
 * preview 1 host module (troupe/wasi.h), shared by wasi.c (context, registration,
 * guest-memory helpers), fd.c (file descriptors), input.c (where stdin bytes come
 * from), poll.c (poll_oneoff), wait.c (suspended calls and their completion), misc.c
 * (args, environ, clocks, random, exit) and deny.c (the filesystem and socket functions
 * a sandbox refuses).
 * The layer is a client of the engine like any embedder: it includes only the public
 * troupe/wasm.h (through troupe/wasi.h) and base, never engine internals.
 */
#ifndef TROUPE_SRC_WASI_H
#define TROUPE_SRC_WASI_H

#include "base/base.h"
#include "base/slab.h"
#include "troupe/wasi.h"

/* Every preview-1 function: X(name, params, results), one character per core value
 * type ('i' i32, 'I' i64). The registration table, the prototypes below and the docs'
 * table come from this one list; its order is the witx order of the spec. */
#define TRW_FUNCS(X)                             \
  X(args_get, "ii", "i")                         \
  X(args_sizes_get, "ii", "i")                   \
  X(environ_get, "ii", "i")                      \
  X(environ_sizes_get, "ii", "i")                \
  X(clock_res_get, "ii", "i")                    \
  X(clock_time_get, "iIi", "i")                  \
  X(fd_advise, "iIIi", "i")                      \
  X(fd_allocate, "iII", "i")                     \
  X(fd_close, "i", "i")                          \
  X(fd_datasync, "i", "i")                       \
  X(fd_fdstat_get, "ii", "i")                    \
  X(fd_fdstat_set_flags, "ii", "i")              \
  X(fd_fdstat_set_rights, "iII", "i")            \
  X(fd_filestat_get, "ii", "i")                  \
  X(fd_filestat_set_size, "iI", "i")             \
  X(fd_filestat_set_times, "iIIi", "i")          \
  X(fd_pread, "iiiIi", "i")                      \
  X(fd_prestat_get, "ii", "i")                   \
  X(fd_prestat_dir_name, "iii", "i")             \
  X(fd_pwrite, "iiiIi", "i")                     \
  X(fd_read, "iiii", "i")                        \
  X(fd_readdir, "iiiIi", "i")                    \
  X(fd_renumber, "ii", "i")                      \
  X(fd_seek, "iIii", "i")                        \
  X(fd_sync, "i", "i")                           \
  X(fd_tell, "ii", "i")                          \
  X(fd_write, "iiii", "i")                       \
  X(path_create_directory, "iii", "i")           \
  X(path_filestat_get, "iiiii", "i")             \
  X(path_filestat_set_times, "iiiiIIi", "i")     \
  X(path_link, "iiiiiii", "i")                   \
  X(path_open, "iiiiiIIii", "i")                 \
  X(path_readlink, "iiiiii", "i")                \
  X(path_remove_directory, "iii", "i")           \
  X(path_rename, "iiiiii", "i")                  \
  X(path_symlink, "iiiii", "i")                  \
  X(path_unlink_file, "iii", "i")                \
  X(poll_oneoff, "iiii", "i")                    \
  X(proc_exit, "i", "")                          \
  X(proc_raise, "i", "i")                        \
  X(sched_yield, "", "i")                        \
  X(random_get, "ii", "i")                       \
  X(sock_accept, "iii", "i")                     \
  X(sock_recv, "iiiiii", "i")                    \
  X(sock_send, "iiiii", "i")                     \
  X(sock_shutdown, "ii", "i")

/* The errno values the host returns (the spec's numbering, which is not the host's). */
enum {
  TRW_ESUCCESS = 0,
  TRW_EAGAIN = 6,
  TRW_EBADF = 8,
  TRW_EFAULT = 21,
  TRW_EINTR = 27,
  TRW_EINVAL = 28,
  TRW_EIO = 29,
  TRW_ENOSYS = 52,
  TRW_ENOTDIR = 54,
  TRW_ENOTSOCK = 57,
  TRW_ENOTSUP = 58,
  TRW_ESPIPE = 70,
  TRW_ENOTCAPABLE = 76,
};

/* Rights bits and file types used for stdio. */
#define TRW_RIGHT_FD_DATASYNC (UINT64_C(1) << 0)
#define TRW_RIGHT_FD_READ (UINT64_C(1) << 1)
#define TRW_RIGHT_FD_SEEK (UINT64_C(1) << 2)
#define TRW_RIGHT_FD_FDSTAT_SET_FLAGS (UINT64_C(1) << 3)
#define TRW_RIGHT_FD_SYNC (UINT64_C(1) << 4)
#define TRW_RIGHT_FD_TELL (UINT64_C(1) << 5)
#define TRW_RIGHT_FD_WRITE (UINT64_C(1) << 6)
#define TRW_RIGHT_FD_FILESTAT_GET (UINT64_C(1) << 21)
#define TRW_RIGHT_POLL_FD_READWRITE (UINT64_C(1) << 27)

enum { TRW_FILETYPE_UNKNOWN = 0, TRW_FILETYPE_CHARACTER_DEVICE = 2 };
enum { TRW_FDFLAG_APPEND = 1, TRW_FDFLAG_NONBLOCK = 4 };

/* The guest's fds 0, 1, 2. A slot names the stream behind it (0 stdin, 1 stdout, 2
 * stderr), so fd_renumber can move a stream to another number; rights may only shrink
 * (fd_fdstat_set_rights). There are no other fds: nothing can open one. */
#define TRW_NFDS 3
typedef struct trW_fd {
  bool open;
  uint8_t stream;
  uint16_t flags; /* fdflags: APPEND / NONBLOCK, recorded and reported, no other effect */
  uint64_t rights_base, rights_inheriting;
} trW_fd;

/* A list of strings (argv or environ) as the guest receives it: one blob of
 * NUL-terminated strings and each string's offset in it. Sizes fit in a u32 (checked
 * when the context is made). */
typedef struct trW_strings {
  size_t count;
  uint32_t *offsets;
  char *blob;
  uint32_t blob_len;
} trW_strings;

/* stdin bytes the embedder handed over (troupe_wasi_complete_read) or that poll_oneoff
 * took from the read callback to learn whether input is there, not yet read by the
 * guest. Reads take these first. The buffer exists only while it holds bytes, so an
 * idle context costs nothing. */
typedef struct trW_input {
  uint8_t *buf; /* bytes [pos, len) are unread; NULL when empty */
  size_t pos, len;
  bool eof;     /* the embedder said the input ended: every later read returns 0 */
} trW_input;

/* A call suspended in suspending mode (cfg.suspend_blocking): what troupe_wasi_pending
 * reports, plus what it takes to run the call again when the embedder completes it --
 * its four i32 arguments (the guest's pointers: fd_read's iovecs and result,
 * poll_oneoff's subscriptions, events and count; guest memory cannot shrink, and they
 * are checked again anyway) and, for poll_oneoff, the time the call started, which
 * relative and realtime deadlines count from. Plain values: an instance freed while suspended leaves
 * nothing to release, and the next suspension simply replaces an abandoned wait. */
typedef struct trW_wait {
  troupe_wasi_wait pub;
  troupe_wasm_instance *inst;
  uint32_t args[4];
  uint64_t start_mono, start_real;
} trW_wait;

/* Record the four i32 arguments of a call that waits. */
static inline void trW_wait_args(trW_wait *w, const troupe_wasm_val *args) {
  for (int i = 0; i < 4; i++)
    w->args[i] = (uint32_t)args[i].of.i32;
}

#define TRW_CTX_MAGIC 0x57415349u /* "WASI": checked when found via the instance */

struct troupe_wasi_ctx {
  uint32_t magic;
  trW_strings args, env;
  troupe_wasi_write_fn write;
  troupe_wasi_read_fn read;
  troupe_wasi_sleep_fn sleep;
  void *user;
  uint8_t *stdin_data; /* owned copy (when read is NULL) */
  size_t stdin_len, stdin_pos;
  unsigned tty_mask;
  bool suspend;        /* cfg.suspend_blocking */
  trW_fd fds[TRW_NFDS];
  bool exited;
  int32_t exit_code;
  /* troupe_wasi_define(ctx, ...) binds every function to this locator, which answers
   * `ctx`: one way to find the context for both modes (wasi.c). */
  troupe_wasi_locator self;
  trW_input in;
  trW_wait wait;
};

/* One host call in progress -- or a suspended call run again to complete it, with no
 * host call (call == NULL: nothing may suspend), `resumed` saying how it started and
 * `timer_fired` whether the embedder said its deadline has come. */
typedef struct trW_call {
  troupe_wasm_hostcall *call;
  troupe_wasm_instance *inst;
  troupe_wasi_ctx *ctx;
  const trW_wait *resumed;
  bool timer_fired;
} trW_call;

/* Each function returns the guest's errno (>= 0), or a negative engine status (from
 * troupe_wasm_host_exit / troupe_wasm_host_trap) that the host function returns as is. */
#define TRW_X_PROTO(name, params, results) \
  int trW_##name(trW_call *wc, const troupe_wasm_val *args);
TRW_FUNCS(TRW_X_PROTO)
#undef TRW_X_PROTO

/* Arguments as the guest's unsigned 32/64-bit values (pointers, sizes, fds). */
static inline uint32_t trW_u32(const troupe_wasm_val *args, size_t i) {
  return (uint32_t)args[i].of.i32;
}
static inline uint64_t trW_u64(const troupe_wasm_val *args, size_t i) {
  return (uint64_t)args[i].of.i64;
}

/* Guest memory, bounds-checked by the engine: each returns 0 or TRW_EFAULT. */
int trW_check_range(const trW_call *wc, uint64_t ptr, uint64_t len);
int trW_read(const trW_call *wc, uint64_t ptr, void *dst, size_t len);
int trW_write(const trW_call *wc, uint64_t ptr, const void *src, size_t len);
int trW_put_u32(const trW_call *wc, uint64_t ptr, uint32_t v);
int trW_put_u64(const trW_call *wc, uint64_t ptr, uint64_t v);

/* Little-endian encoding of guest structures. */
static inline void trW_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void trW_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline void trW_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t trW_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t trW_get64(const uint8_t *p) {
  return (uint64_t)trW_get32(p) | (uint64_t)trW_get32(p + 4) << 32;
}

/* The open fd slot for a guest fd number, or NULL (the caller answers EBADF). */
trW_fd *trW_fd_get(troupe_wasi_ctx *ctx, uint32_t fd);

/* The WASI clock ids, and now on one of them (ns; 0 if the host cannot tell). */
enum { TRW_CLOCK_REALTIME = 0, TRW_CLOCK_MONOTONIC = 1, TRW_CLOCK_PROCESS = 2,
       TRW_CLOCK_THREAD = 3 };
uint64_t trW_clock_now(uint32_t id);

/* The most iovecs one fd_read / fd_write accepts (POSIX IOV_MAX); more is EINVAL. */
#define TRW_IOV_MAX 1024u
/* Stack buffer for copies between guest memory and the host (per call, not per ctx). */
#define TRW_CHUNK 4096u

/* The iovecs of one fd_read / fd_write, loaded and checked before any byte moves
 * (fd.c), so that a bad pointer fails the whole call instead of losing input. */
typedef struct trW_iovecs {
  uint32_t n;
  uint8_t raw[TRW_IOV_MAX * 8]; /* (buf u32, len u32) pairs as in guest memory */
  uint64_t total;
} trW_iovecs;
/* Copy n bytes into the iovecs in order (they were checked and hold at least n). */
int trW_scatter(const trW_call *wc, const trW_iovecs *l, const uint8_t *src, size_t n);

/* ---- stdin (input.c) ---- */

/* Fill the iovecs from stdin, as readv(2) on a pipe: the bytes at hand, or what one
 * answer of the read callback gives. Sets *nread and returns 0 or an errno; when there
 * is no input yet in suspending mode, sets *must_wait instead (nothing consumed). */
int trW_input_read(const trW_call *wc, const trW_iovecs *l, uint32_t *nread, bool *must_wait);
/* For poll_oneoff: whether a read of stdin would return at once, with the bytes known to
 * be there and the HANGUP flag (at the end). In suspending mode this may ask the read
 * callback, keeping what it gives for the next read. */
bool trW_input_ready(const trW_call *wc, uint64_t *nbytes, bool *hangup);
/* Keep len more bytes for the guest's next reads (TROUPE_OK, or TROUPE_E_NOMEM with
 * nothing kept). */
int trW_input_push(troupe_wasi_ctx *ctx, const void *data, size_t len);
void trW_input_free(troupe_wasi_ctx *ctx);

/* ---- suspension (wait.c) ---- */

/* Record `w` as what ctx waits for and suspend the instance: returns the engine status
 * the host function passes on (TROUPE_E_SUSPENDED). When completing a call (wc->call is
 * NULL) nothing can suspend: returns `otherwise`, an errno for the guest. */
int trW_suspend(const trW_call *wc, const trW_wait *w, int otherwise);

#endif
