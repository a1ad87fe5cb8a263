/*
 * tests/wasi/test_host.c: the WASI host module function by function, through the
 * module of wasi_fixture.h that imports every preview-1 function and exports a
 * trampoline for each under the same name, so a test writes guest memory, calls e.g.
 * "fd_write" with raw arguments and checks the errno, the memory and what the
 * embedder's callbacks saw. Bad pointers must give EFAULT, closed descriptors EBADF,
 * and nothing may crash. (Suspending mode: test_suspend.c.)
 */
#include "wasi_fixture.h"

#include <stdio.h>

/* ---- fd_write / fd_read --------------------------------------------------------------- */

static void test_fd_write(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  mem_put(&f, 1000, "Hello, world\n", 13);
  iovec(&f, 100, 1000, 7);
  iovec(&f, 108, 1007, 6);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 2, 200), 0);
  assert_int_equal(get_u32(&f, 200), 13);
  assert_int_equal(wcall(&f, "fd_write", 2, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 7);
  assert_int_equal(f.cap.out[1].n, 13);
  assert_memory_equal(f.cap.out[1].p, "Hello, world\n", 13);
  assert_int_equal(f.cap.out[2].n, 7);
  /* zero iovecs, and an empty one */
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 0, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  /* stdin is not writable; 3 is not open */
  assert_int_equal(wcall(&f, "fd_write", 0, 100, 1, 200), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_write", 3, 100, 1, 200), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_write", 0xffffffffu, 100, 1, 200), TRW_EBADF);
  fx_close(&f);
}

static void test_fd_write_large(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  /* 3 iovecs, 30000 bytes: several chunks each */
  uint8_t *data = malloc(30000);
  assert_non_null(data);
  for (int i = 0; i < 30000; i++)
    data[i] = (uint8_t)(i * 7);
  mem_put(&f, 4096, data, 30000);
  iovec(&f, 0, 4096, 10000);
  iovec(&f, 8, 14096, 1);
  iovec(&f, 16, 14097, 19999);
  assert_int_equal(wcall(&f, "fd_write", 1, 0, 3, 64), 0);
  assert_int_equal(get_u32(&f, 64), 30000);
  assert_int_equal(f.cap.out[1].n, 30000);
  assert_memory_equal(f.cap.out[1].p, data, 30000);
  free(data);
  fx_close(&f);
}

static void test_fd_write_bad_pointers(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  iovec(&f, 100, 1000, 5);
  iovec(&f, 108, PAGE - 2, 5); /* runs past the end of memory */
  assert_int_equal(wcall(&f, "fd_write", 1, BAD, 1, 200), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_write", 1, PAGE - 4, 1, 200), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 2, 200), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 1, BAD), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 1, PAGE - 3), TRW_EFAULT);
  /* nothing was delivered by any failed call: the checks come first */
  assert_int_equal(f.cap.out[1].n, 0);
  /* more iovecs than IOV_MAX */
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 5000, 200), TRW_EINVAL);
  /* a count near 2^32 is refused before anything is read */
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 0xffffffffu, 200), TRW_EINVAL);
  fx_close(&f);
}

static void test_fd_write_callback_fails(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  mem_put(&f, 1000, "abc", 3);
  iovec(&f, 100, 1000, 3);
  iovec(&f, 108, 1000, 3);
  f.cap.fail_writes = 1;
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 2, 200), TRW_EIO);
  /* the second chunk fails after the first went through: a short write */
  f.cap.writes = 0;
  f.cap.fail_writes = 2;
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 2, 200), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  fx_close(&f);
}

static void test_no_output_callback(void **state) {
  (void)state;
  fx f;
  troupe_wasi_config cfg = {0};
  fx_open(&f, cfg);
  /* reopen the context without a write callback: output is discarded, not an error */
  troupe_wasi_ctx *quiet = NULL;
  troupe_err err;
  assert_int_equal(troupe_wasi_ctx_new(NULL, &quiet, &err), TROUPE_OK);
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  troupe_wasm_instance *inst = NULL;
  assert_int_equal(troupe_wasi_define(quiet, l, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(f.mod, l, NULL, &inst, NULL, &err), TROUPE_OK);
  troupe_wasm_instance *keep = f.inst;
  f.inst = inst;
  mem_put(&f, 1000, "abc", 3);
  iovec(&f, 100, 1000, 3);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  /* and stdin is empty */
  iovec(&f, 100, 2000, 16);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  f.inst = keep;
  troupe_wasm_instance_free(inst);
  troupe_wasm_linker_free(l);
  troupe_wasi_ctx_free(quiet);
  fx_close(&f);
}

static void test_fd_read_bytes(void **state) {
  (void)state;
  fx f;
  const char *in = "hello world";
  fx_open(&f, (troupe_wasi_config){.stdin_data = (const uint8_t *)in, .stdin_len = 11});
  iovec(&f, 100, 1000, 4);
  iovec(&f, 108, 2000, 100);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 2, 200), 0);
  assert_int_equal(get_u32(&f, 200), 11);
  char got[12] = {0};
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, 4), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_read(f.inst, 2000, got + 4, 7), TROUPE_OK);
  assert_string_equal(got, in);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 2, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0); /* end of input */
  assert_int_equal(wcall(&f, "fd_read", 1, 100, 2, 200), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_read", 0, BAD, 1, 200), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, BAD), TRW_EFAULT);
  fx_close(&f);
}

static void test_fd_read_callback(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){.read = cap_read});
  f.cap.input = "abcdefgh";
  iovec(&f, 100, 1000, 100);
  /* a bad buffer is refused before any input is consumed */
  iovec(&f, 108, BAD, 100);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 2, 200), TRW_EFAULT);
  assert_int_equal(f.cap.input_pos, 0);
  /* the callback trickles 3 bytes at a time: fd_read returns what one answer gave */
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 2);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 1, 200), 0);
  assert_int_equal(get_u32(&f, 200), 0);
  char got[4] = {0};
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, 2), TROUPE_OK);
  assert_string_equal(got, "gh");
  /* one answer is spread over the iovecs in order */
  f.cap.input = "XYZ";
  f.cap.input_pos = 0;
  iovec(&f, 100, 1000, 2);
  iovec(&f, 108, 2000, 50);
  assert_int_equal(wcall(&f, "fd_read", 0, 100, 2, 200), 0);
  assert_int_equal(get_u32(&f, 200), 3);
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, got, 2), TROUPE_OK);
  assert_int_equal(troupe_wasm_memory_read(f.inst, 2000, got + 2, 1), TROUPE_OK);
  got[3] = 0;
  assert_string_equal(got, "XYZ");
  fx_close(&f);
}

/* ---- descriptor state ---------------------------------------------------------------- */

static void test_fdstat(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){.tty_mask = 1u << 2});
  assert_int_equal(wcall(&f, "fd_fdstat_get", 1, 64), 0);
  uint8_t st[24];
  assert_int_equal(troupe_wasm_memory_read(f.inst, 64, st, 24), TROUPE_OK);
  assert_int_equal(st[0], TRW_FILETYPE_UNKNOWN); /* a pipe-like stream */
  uint64_t rights = trW_get64(st + 8);
  assert_true(rights & TRW_RIGHT_FD_WRITE);
  assert_false(rights & (TRW_RIGHT_FD_READ | TRW_RIGHT_FD_SEEK | TRW_RIGHT_FD_TELL));
  assert_int_equal(wcall(&f, "fd_fdstat_get", 0, 64), 0);
  assert_true(get_u64(&f, 72) & TRW_RIGHT_FD_READ);
  assert_false(get_u64(&f, 72) & TRW_RIGHT_FD_WRITE);
  /* fd 2 is a terminal here: character device, so libc's isatty() says yes */
  assert_int_equal(wcall(&f, "fd_fdstat_get", 2, 64), 0);
  assert_int_equal(get_u32(&f, 64) & 0xff, TRW_FILETYPE_CHARACTER_DEVICE);
  assert_int_equal(wcall(&f, "fd_fdstat_get", 3, 64), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_fdstat_get", 1, BAD), TRW_EFAULT);
  /* flags: APPEND recorded; SYNC not supported */
  assert_int_equal(wcall(&f, "fd_fdstat_set_flags", 1, TRW_FDFLAG_APPEND), 0);
  assert_int_equal(wcall(&f, "fd_fdstat_get", 1, 64), 0);
  assert_int_equal(get_u32(&f, 64) >> 16, TRW_FDFLAG_APPEND);
  assert_int_equal(wcall(&f, "fd_fdstat_set_flags", 1, 16), TRW_ENOTSUP);
  /* rights only shrink */
  assert_int_equal(wcall(&f, "fd_fdstat_set_rights", 1, (int64_t)-1, (int64_t)0),
                   TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "fd_filestat_get", 1, 64), 0);
  assert_int_equal(wcall(&f, "fd_fdstat_set_rights", 1, (int64_t)TRW_RIGHT_FD_WRITE,
                         (int64_t)0), 0);
  assert_int_equal(wcall(&f, "fd_filestat_get", 1, 64), TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "fd_filestat_get", 2, 64), 0);
  assert_int_equal(get_u64(&f, 64 + 24), 1); /* nlink */
  assert_int_equal(wcall(&f, "fd_filestat_get", 2, BAD), TRW_EFAULT);
  fx_close(&f);
}

static void test_streams_do_not_seek(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  assert_int_equal(wcall(&f, "fd_seek", 1, (int64_t)0, 1, 64), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_seek", 7, (int64_t)0, 1, 64), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_tell", 0, 64), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_pread", 0, 100, 1, (int64_t)0, 64), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_pwrite", 1, 100, 1, (int64_t)0, 64), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_advise", 1, (int64_t)0, (int64_t)0, 0), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_allocate", 1, (int64_t)0, (int64_t)1), TRW_ESPIPE);
  assert_int_equal(wcall(&f, "fd_sync", 1), TRW_EINVAL);
  assert_int_equal(wcall(&f, "fd_datasync", 2), TRW_EINVAL);
  assert_int_equal(wcall(&f, "fd_filestat_set_size", 1, (int64_t)0), TRW_EINVAL);
  assert_int_equal(wcall(&f, "fd_filestat_set_times", 1, (int64_t)0, (int64_t)0, 0),
                   TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "fd_readdir", 1, 100, 10, (int64_t)0, 64), TRW_ENOTDIR);
  assert_int_equal(wcall(&f, "fd_prestat_get", 3, 64), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_prestat_dir_name", 3, 64, 10), TRW_EBADF);
  fx_close(&f);
}

static void test_close_and_renumber(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  mem_put(&f, 1000, "x", 1);
  iovec(&f, 100, 1000, 1);
  /* renumber 2 -> 1: fd 1 now writes to stderr, fd 2 is closed */
  assert_int_equal(wcall(&f, "fd_renumber", 2, 1), 0);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 1, 200), 0);
  assert_int_equal(f.cap.out[2].n, 1);
  assert_int_equal(f.cap.out[1].n, 0);
  assert_int_equal(wcall(&f, "fd_write", 2, 100, 1, 200), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_renumber", 2, 1), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_renumber", 1, 1), 0);
  assert_int_equal(wcall(&f, "fd_close", 1), 0);
  assert_int_equal(wcall(&f, "fd_close", 1), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_write", 1, 100, 1, 200), TRW_EBADF);
  assert_int_equal(wcall(&f, "fd_fdstat_get", 1, 64), TRW_EBADF);
  fx_close(&f);
}

/* ---- args, environ, clocks, random ------------------------------------------------------- */

static void test_args_environ(void **state) {
  (void)state;
  fx f;
  const char *argv[] = {"prog", "", "two words"};
  const char *env[] = {"A=1", "EMPTY="};
  fx_open(&f, (troupe_wasi_config){.argc = 3, .argv = argv, .envc = 2, .env = env});
  assert_int_equal(wcall(&f, "args_sizes_get", 64, 68), 0);
  assert_int_equal(get_u32(&f, 64), 3);
  assert_int_equal(get_u32(&f, 68), 5 + 1 + 10);
  assert_int_equal(wcall(&f, "args_get", 100, 200), 0);
  char buf[32];
  for (int i = 0; i < 3; i++) {
    uint32_t p = get_u32(&f, 100 + 4 * (uint32_t)i);
    assert_int_equal(troupe_wasm_memory_read(f.inst, p, buf, strlen(argv[i]) + 1), TROUPE_OK);
    assert_string_equal(buf, argv[i]);
  }
  assert_int_equal(wcall(&f, "environ_sizes_get", 64, 68), 0);
  assert_int_equal(get_u32(&f, 64), 2);
  assert_int_equal(get_u32(&f, 68), 4 + 7);
  assert_int_equal(wcall(&f, "environ_get", 100, 200), 0);
  uint32_t p = get_u32(&f, 104);
  assert_int_equal(troupe_wasm_memory_read(f.inst, p, buf, 7), TROUPE_OK);
  assert_string_equal(buf, "EMPTY=");
  assert_int_equal(wcall(&f, "args_get", BAD, 200), TRW_EFAULT);
  assert_int_equal(wcall(&f, "args_get", 100, PAGE - 4), TRW_EFAULT);
  assert_int_equal(wcall(&f, "args_sizes_get", 64, BAD), TRW_EFAULT);
  assert_int_equal(wcall(&f, "environ_get", 100, BAD), TRW_EFAULT);
  fx_close(&f);
}

static void test_clocks_random(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  assert_int_equal(wcall(&f, "clock_time_get", 1, (int64_t)1, 64), 0);
  uint64_t t0 = get_u64(&f, 64);
  assert_int_equal(wcall(&f, "clock_time_get", 1, (int64_t)1, 64), 0);
  assert_true(get_u64(&f, 64) >= t0);
  assert_int_equal(wcall(&f, "clock_time_get", 0, (int64_t)1, 64), 0);
  assert_true(get_u64(&f, 64) > UINT64_C(1577836800) * 1000000000u); /* after 2020 */
  for (uint32_t id = 0; id < 4; id++) {
    assert_int_equal(wcall(&f, "clock_time_get", id, (int64_t)0, 64), 0);
    assert_int_equal(wcall(&f, "clock_res_get", id, 64), 0);
    assert_true(get_u64(&f, 64) > 0);
  }
  assert_int_equal(wcall(&f, "clock_time_get", 4, (int64_t)1, 64), TRW_EINVAL);
  assert_int_equal(wcall(&f, "clock_res_get", 99, 64), TRW_EINVAL);
  assert_int_equal(wcall(&f, "clock_time_get", 1, (int64_t)1, BAD), TRW_EFAULT);

  assert_int_equal(wcall(&f, "random_get", 1000, 10000), 0);
  uint8_t buf[10000];
  assert_int_equal(troupe_wasm_memory_read(f.inst, 1000, buf, sizeof buf), TROUPE_OK);
  int zeros = 0;
  for (size_t i = 0; i < sizeof buf; i++)
    zeros += buf[i] == 0;
  assert_true(zeros < 200); /* about 39 expected; all-zero would mean nothing was written */
  assert_int_equal(wcall(&f, "random_get", PAGE - 10, 11), TRW_EFAULT);
  assert_int_equal(wcall(&f, "random_get", PAGE, 0), 0);
  assert_int_equal(wcall(&f, "sched_yield"), 0);
  fx_close(&f);
}

/* ---- poll_oneoff ------------------------------------------------------------------------ */

static void test_poll_clock(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  /* a relative 5 ms sleep goes to the sleep callback and fires */
  sub_clock(&f, 1000, 0xabc, 1, 5000000, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 1, 64), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(get_u64(&f, 2000), 0xabc);
  assert_int_equal(get_u32(&f, 2008) & 0xffff, 0);        /* error */
  assert_int_equal((get_u32(&f, 2008) >> 16) & 0xff, 0);  /* type: clock */
  assert_int_equal(f.cap.sleeps, 1);
  assert_true(f.cap.slept_ns > 0 && f.cap.slept_ns <= 5000000);
  /* two clocks: only the earlier one fires */
  sub_clock(&f, 1000, 1, 1, 1000000, 0);
  sub_clock(&f, 1048, 2, 0, UINT64_C(3600) * 1000000000u, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(get_u64(&f, 2000), 1);
  /* an absolute time in the past fires without sleeping */
  f.cap.sleeps = 0;
  sub_clock(&f, 1000, 3, 1, 1, 1);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 1, 64), 0);
  assert_int_equal(get_u32(&f, 64), 1);
  assert_int_equal(f.cap.sleeps, 0);
  /* a CPU-time clock cannot be waited on: an event with ENOTSUP; unknown clock: EINVAL */
  sub_clock(&f, 1000, 4, 2, 1000, 0);
  sub_clock(&f, 1048, 5, 9, 1000, 0);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 2, 64), 0);
  assert_int_equal(get_u32(&f, 64), 2);
  assert_int_equal(get_u32(&f, 2008) & 0xffff, TRW_ENOTSUP);
  assert_int_equal(get_u32(&f, 2040) & 0xffff, TRW_EINVAL);
  fx_close(&f);
}

static void test_poll_fds(void **state) {
  (void)state;
  fx f;
  const char *in = "xyz";
  fx_open(&f, (troupe_wasi_config){.stdin_data = (const uint8_t *)in, .stdin_len = 3});
  /* stdout is always writable, stdin readable (3 bytes): no sleep for the long clock */
  sub_clock(&f, 1000, 1, 1, UINT64_C(3600) * 1000000000u, 0);
  sub_fd(&f, 1048, 2, 2, 1);
  sub_fd(&f, 1096, 3, 1, 0);
  sub_fd(&f, 1144, 4, 1, 8); /* not open */
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 4, 64), 0);
  assert_int_equal(get_u32(&f, 64), 3);
  assert_int_equal(f.cap.sleeps, 0);
  assert_int_equal(get_u64(&f, 2000), 2);
  assert_int_equal((get_u32(&f, 2008) >> 16) & 0xff, 2);
  assert_int_equal(get_u64(&f, 2032), 3);
  assert_int_equal(get_u64(&f, 2032 + 16), 3); /* nbytes available */
  assert_int_equal(get_u64(&f, 2064), 4);
  assert_int_equal(get_u32(&f, 2064 + 8) & 0xffff, TRW_EBADF);
  /* errors of the call itself */
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 0, 64), TRW_EINVAL);
  assert_int_equal(wcall(&f, "poll_oneoff", BAD, 2000, 1, 64), TRW_EFAULT);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, PAGE - 16, 1, 64), TRW_EFAULT);
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 0x10000000u, 64), TRW_EFAULT);
  sub_fd(&f, 1000, 9, 7, 1); /* unknown subscription tag */
  assert_int_equal(wcall(&f, "poll_oneoff", 1000, 2000, 1, 64), TRW_EINVAL);
  fx_close(&f);
}

/* ---- refusals, exit --------------------------------------------------------------------- */

static void test_denied(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  assert_int_equal(wcall(&f, "path_open", 3, 0, 100, 1, 0, (int64_t)0, (int64_t)0, 0, 64),
                   TRW_EBADF);
  assert_int_equal(wcall(&f, "path_open", 1, 0, 100, 1, 0, (int64_t)0, (int64_t)0, 0, 64),
                   TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "path_create_directory", 0, 100, 1), TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "path_unlink_file", 5, 100, 1), TRW_EBADF);
  assert_int_equal(wcall(&f, "path_symlink", 100, 1, 1, 100, 1), TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "path_symlink", 100, 1, 4, 100, 1), TRW_EBADF);
  assert_int_equal(wcall(&f, "path_rename", 1, 100, 1, 6, 100, 1), TRW_EBADF);
  assert_int_equal(wcall(&f, "path_link", 1, 0, 100, 1, 2, 100, 1), TRW_ENOTCAPABLE);
  assert_int_equal(wcall(&f, "sock_accept", 1, 0, 64), TRW_ENOTSOCK);
  assert_int_equal(wcall(&f, "sock_recv", 7, 100, 1, 0, 64, 68), TRW_EBADF);
  assert_int_equal(wcall(&f, "sock_send", 2, 100, 1, 0, 64), TRW_ENOTSOCK);
  assert_int_equal(wcall(&f, "sock_shutdown", 0, 2), TRW_ENOTSOCK);
  assert_int_equal(wcall(&f, "proc_raise", 6), TRW_ENOSYS);
  fx_close(&f);
}

static void test_proc_exit(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  int32_t code = -1;
  assert_false(troupe_wasi_exited(f.ctx, &code));
  troupe_wasm_val arg = TROUPE_WASM_VAL_I32(7);
  troupe_wasm_trap trap = {0};
  troupe_err err;
  int rc = troupe_wasm_call(f.inst, "proc_exit", &arg, 1, NULL, 0, NULL, &trap, &err);
  assert_int_not_equal(rc, TROUPE_OK);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_EXIT);
  assert_int_equal(trap.exit_code, 7);
  assert_true(troupe_wasi_exited(f.ctx, &code));
  assert_int_equal(code, 7);
  assert_true(troupe_wasi_exited(f.ctx, NULL));
  fx_close(&f);
}

/* A module without a memory: every pointer is bad, nothing crashes. */
static void test_no_memory(void **state) {
  (void)state;
  fx f;
  fx_open(&f, (troupe_wasi_config){0});
  troupe_wasm_instance_free(f.inst);
  troupe_wasm_module_free(f.mod);
  f.mod = module_made(false);
  troupe_err err;
  assert_int_equal(troupe_wasm_instantiate(f.mod, f.linker, NULL, &f.inst, NULL, &err), TROUPE_OK);
  assert_int_equal(wcall(&f, "fd_write", 1, 0, 1, 0), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_read", 0, 0, 1, 0), TRW_EFAULT);
  assert_int_equal(wcall(&f, "args_sizes_get", 0, 4), TRW_EFAULT);
  assert_int_equal(wcall(&f, "clock_time_get", 0, (int64_t)0, 0), TRW_EFAULT);
  assert_int_equal(wcall(&f, "random_get", 0, 1), TRW_EFAULT);
  assert_int_equal(wcall(&f, "poll_oneoff", 0, 0, 1, 0), TRW_EFAULT);
  assert_int_equal(wcall(&f, "fd_fdstat_get", 1, 0), TRW_EFAULT);
  assert_int_equal(wcall(&f, "sched_yield"), 0);
  assert_int_equal(wcall(&f, "fd_close", 2), 0);
  assert_int_equal(f.cap.out[1].n, 0);
  fx_close(&f);
}

/* ---- contexts found through the instance; configuration errors --------------------------- */

static void test_shared_linker(void **state) {
  (void)state;
  troupe_err err;
  troupe_wasm_module *m = shared_module();
  troupe_wasm_linker *l = troupe_wasm_linker_new();
  assert_int_equal(troupe_wasi_define(NULL, l, &err), TROUPE_OK);
  const char *a1[] = {"first"}, *a2[] = {"second", "x"};
  troupe_wasi_ctx *c1, *c2;
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.argc = 1, .argv = a1}, &c1, &err),
                   TROUPE_OK);
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.argc = 2, .argv = a2}, &c2, &err),
                   TROUPE_OK);
  troupe_wasm_instance *i1, *i2, *i3;
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &i1, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &i2, NULL, &err), TROUPE_OK);
  assert_int_equal(troupe_wasm_instantiate(m, l, NULL, &i3, NULL, &err), TROUPE_OK);
  troupe_wasm_instance_set_user(i1, c1);
  troupe_wasm_instance_set_user(i2, c2);
  troupe_wasm_val args[2] = {TROUPE_WASM_VAL_I32(64), TROUPE_WASM_VAL_I32(68)}, res[1];
  troupe_wasm_trap trap;
  assert_int_equal(troupe_wasm_call(i1, "args_sizes_get", args, 2, res, 1, NULL, &trap, &err),
                   TROUPE_OK);
  assert_int_equal(troupe_wasm_call(i2, "args_sizes_get", args, 2, res, 1, NULL, &trap, &err),
                   TROUPE_OK);
  uint8_t b[4];
  assert_int_equal(troupe_wasm_memory_read(i1, 64, b, 4), TROUPE_OK);
  assert_int_equal(trW_get32(b), 1);
  assert_int_equal(troupe_wasm_memory_read(i2, 64, b, 4), TROUPE_OK);
  assert_int_equal(trW_get32(b), 2);
  /* no context on i3: a host trap, not a crash */
  assert_int_equal(troupe_wasm_call(i3, "args_sizes_get", args, 2, res, 1, NULL, &trap, &err),
                   TROUPE_E_TRAP);
  assert_int_equal(trap.kind, TROUPE_WASM_TRAP_HOST);
  troupe_wasm_instance_free(i1);
  troupe_wasm_instance_free(i2);
  troupe_wasm_instance_free(i3);
  troupe_wasi_ctx_free(c1);
  troupe_wasi_ctx_free(c2);
  troupe_wasm_linker_free(l);
  troupe_wasm_module_free(m);
}

static void test_config_errors(void **state) {
  (void)state;
  troupe_wasi_ctx *c = NULL;
  troupe_err err;
  const char *holes[] = {"a", NULL};
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.argc = 1}, &c, &err), TROUPE_E_INVAL);
  assert_null(c);
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.envc = 2, .env = holes}, &c, &err),
                   TROUPE_E_INVAL);
  assert_non_null(strstr(err.msg, "env[1]"));
  assert_int_equal(troupe_wasi_ctx_new(&(troupe_wasi_config){.stdin_len = 3}, &c, &err),
                   TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_ctx_new(NULL, NULL, &err), TROUPE_E_INVAL);
  assert_int_equal(troupe_wasi_define(NULL, NULL, &err), TROUPE_E_INVAL);
  assert_false(troupe_wasi_exited(NULL, NULL));
  troupe_wasi_ctx_free(NULL);
  /* out of memory at each allocation: an error, never a leak (ASan checks) */
  const char *argv[] = {"p", "q"}, *env[] = {"A=1"};
  troupe_wasi_config cfg = {.argc = 2, .argv = argv, .envc = 1, .env = env,
                            .stdin_data = (const uint8_t *)"in", .stdin_len = 2};
  int failures = 0;
  for (long n = 0; n < 20; n++) {
    trB_alloc_fail_after(n);
    int rc = troupe_wasi_ctx_new(&cfg, &c, &err);
    trB_alloc_fail_after(-1);
    if (rc == TROUPE_OK) {
      troupe_wasi_ctx_free(c);
      break;
    }
    assert_int_equal(rc, TROUPE_E_NOMEM);
    assert_null(c);
    failures++;
  }
  assert_true(failures >= 5); /* ctx, 2 x (offsets, blob), stdin copy */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fd_write),
      cmocka_unit_test(test_fd_write_large),
      cmocka_unit_test(test_fd_write_bad_pointers),
      cmocka_unit_test(test_fd_write_callback_fails),
      cmocka_unit_test(test_no_output_callback),
      cmocka_unit_test(test_fd_read_bytes),
      cmocka_unit_test(test_fd_read_callback),
      cmocka_unit_test(test_fdstat),
      cmocka_unit_test(test_streams_do_not_seek),
      cmocka_unit_test(test_close_and_renumber),
      cmocka_unit_test(test_args_environ),
      cmocka_unit_test(test_clocks_random),
      cmocka_unit_test(test_poll_clock),
      cmocka_unit_test(test_poll_fds),
      cmocka_unit_test(test_denied),
      cmocka_unit_test(test_proc_exit),
      cmocka_unit_test(test_no_memory),
      cmocka_unit_test(test_shared_linker),
      cmocka_unit_test(test_config_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
