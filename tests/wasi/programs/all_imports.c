/* tests/wasi/programs/all_imports.c: WASI-only: calls every preview-1 function directly
 * (through wasi-libc's <wasi/api.h>, plus a raw import of proc_raise, which newer
 * headers dropped) and prints the errno each returns -- good calls, bad descriptors,
 * bad pointers (EFAULT, never a crash) and refused capabilities -- so instantiating it
 * checks every signature of the host module and its output (all_imports.expected)
 * checks every errno choice documented in docs/WASI.md. Exits via proc_exit(5). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

#define BAD ((void *)0xfffffff0u) /* past the end of any memory this program has */
#define SHOW(expr) printf("%-44s -> %d\n", #expr, (int)(expr))

static __wasi_fd_t fd_out = 1, fd_none = 9;

int main(void) {
  __wasi_size_t a, b;
  SHOW(__wasi_args_sizes_get(&a, &b));
  printf("  argc %lu, argv bytes %lu\n", a, b);
  SHOW(__wasi_args_sizes_get(BAD, &b));
  uint8_t *argv[8], argbuf[256];
  SHOW(__wasi_args_get(argv, argbuf));
  printf("  argv[1] \"%s\"\n", (char *)argv[1]);
  SHOW(__wasi_args_get(argv, BAD));
  SHOW(__wasi_environ_sizes_get(&a, &b));
  printf("  envc %lu, env bytes %lu\n", a, b);
  SHOW(__wasi_environ_get(BAD, argbuf));

  __wasi_timestamp_t t;
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t));
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_THREAD_CPUTIME_ID, 1, &t));
  SHOW(__wasi_clock_time_get(99, 1, &t));
  SHOW(__wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, BAD));
  SHOW(__wasi_clock_res_get(__WASI_CLOCKID_REALTIME, &t));
  SHOW(__wasi_clock_res_get(7, &t));

  /* descriptors: stdio streams, nothing else */
  __wasi_fdstat_t st;
  SHOW(__wasi_fd_fdstat_get(0, &st));
  printf("  stdin: type %u flags %u rights 0x%llx\n", st.fs_filetype, st.fs_flags,
         (unsigned long long)st.fs_rights_base);
  SHOW(__wasi_fd_fdstat_get(fd_out, &st));
  printf("  stdout: type %u flags %u rights 0x%llx\n", st.fs_filetype, st.fs_flags,
         (unsigned long long)st.fs_rights_base);
  SHOW(__wasi_fd_fdstat_get(fd_none, &st));
  SHOW(__wasi_fd_fdstat_get(fd_out, BAD));
  SHOW(__wasi_fd_fdstat_set_flags(fd_out, __WASI_FDFLAGS_APPEND));
  SHOW(__wasi_fd_fdstat_set_flags(fd_out, __WASI_FDFLAGS_SYNC));
  SHOW(__wasi_fd_fdstat_set_flags(fd_out, 0));
  SHOW(__wasi_fd_fdstat_set_rights(fd_out, ~0ull, 0));
  __wasi_filestat_t fs;
  SHOW(__wasi_fd_filestat_get(fd_out, &fs));
  printf("  stdout: filetype %u nlink %llu size %llu\n", fs.filetype, (unsigned long long)fs.nlink,
         (unsigned long long)fs.size);
  SHOW(__wasi_fd_filestat_get(fd_none, &fs));
  SHOW(__wasi_fd_filestat_set_size(fd_out, 0));
  SHOW(__wasi_fd_filestat_set_times(fd_out, 0, 0, 0));
  SHOW(__wasi_fd_advise(fd_out, 0, 0, 0));
  SHOW(__wasi_fd_advise(fd_none, 0, 0, 0));
  SHOW(__wasi_fd_allocate(fd_out, 0, 1));
  SHOW(__wasi_fd_datasync(fd_out));
  SHOW(__wasi_fd_sync(fd_out));
  SHOW(__wasi_fd_sync(fd_none));
  __wasi_filesize_t pos;
  SHOW(__wasi_fd_seek(fd_out, 0, __WASI_WHENCE_CUR, &pos));
  SHOW(__wasi_fd_seek(fd_none, 0, __WASI_WHENCE_CUR, &pos));
  SHOW(__wasi_fd_tell(fd_out, &pos));
  __wasi_prestat_t pre;
  SHOW(__wasi_fd_prestat_get(3, &pre));
  SHOW(__wasi_fd_prestat_dir_name(3, argbuf, sizeof argbuf));
  __wasi_size_t n;
  SHOW(__wasi_fd_readdir(fd_out, argbuf, sizeof argbuf, 0, &n));
  SHOW(__wasi_fd_renumber(fd_none, fd_out));
  SHOW(__wasi_fd_renumber(fd_out, fd_out));

  /* reading and writing */
  char text[] = "written by fd_write\n";
  __wasi_ciovec_t civ[2] = {{(const uint8_t *)text, 8},
                            {(const uint8_t *)text + 8, sizeof text - 9}};
  fflush(stdout);
  SHOW(__wasi_fd_write(fd_out, civ, 2, &n));
  printf("  wrote %lu bytes\n", n);
  SHOW(__wasi_fd_write(fd_out, civ, 0, &n));
  printf("  wrote %lu bytes\n", n);
  SHOW(__wasi_fd_write(fd_out, BAD, 1, &n));
  __wasi_ciovec_t bad_civ = {BAD, 100};
  SHOW(__wasi_fd_write(fd_out, &bad_civ, 1, &n));
  SHOW(__wasi_fd_write(fd_out, civ, 2, BAD));
  SHOW(__wasi_fd_write(fd_out, civ, 5000, &n));
  SHOW(__wasi_fd_write(0, civ, 1, &n));
  SHOW(__wasi_fd_write(fd_none, civ, 1, &n));
  uint8_t in[16];
  __wasi_iovec_t iv = {in, sizeof in};
  SHOW(__wasi_fd_read(0, &iv, 1, &n));
  printf("  read %lu bytes (stdin is empty)\n", n);
  SHOW(__wasi_fd_read(fd_out, &iv, 1, &n));
  __wasi_iovec_t bad_iv = {BAD, 16};
  SHOW(__wasi_fd_read(0, &bad_iv, 1, &n));
  SHOW(__wasi_fd_pread(0, &iv, 1, 0, &n));
  SHOW(__wasi_fd_pwrite(fd_out, civ, 1, 0, &n));

  /* no filesystem */
  __wasi_fd_t nfd;
  SHOW(__wasi_path_open(3, 0, "x", 0, 0, 0, 0, &nfd));
  SHOW(__wasi_path_open(fd_out, 0, "x", 0, 0, 0, 0, &nfd));
  SHOW(__wasi_path_create_directory(fd_out, "d"));
  SHOW(__wasi_path_filestat_get(fd_out, 0, "x", &fs));
  SHOW(__wasi_path_filestat_set_times(fd_out, 0, "x", 0, 0, 0));
  SHOW(__wasi_path_link(fd_out, 0, "a", fd_out, "b"));
  SHOW(__wasi_path_link(fd_out, 0, "a", fd_none, "b"));
  SHOW(__wasi_path_readlink(fd_out, "x", argbuf, 16, &n));
  SHOW(__wasi_path_remove_directory(fd_out, "d"));
  SHOW(__wasi_path_rename(fd_out, "a", fd_out, "b"));
  SHOW(__wasi_path_symlink("a", fd_out, "b"));
  SHOW(__wasi_path_unlink_file(fd_none, "x"));

  /* no network */
  SHOW(__wasi_sock_accept(fd_out, 0, &nfd));
  __wasi_roflags_t rof;
  SHOW(__wasi_sock_recv(fd_out, &iv, 1, 0, &n, &rof));
  SHOW(__wasi_sock_send(fd_out, civ, 1, 0, &n));
  SHOW(__wasi_sock_shutdown(fd_none, __WASI_SDFLAGS_WR));

  /* poll: a relative 1 ms clock fires; a ready descriptor wins over a 1 hour clock */
  __wasi_subscription_t sub[2];
  __wasi_event_t ev[2];
  memset(sub, 0, sizeof sub);
  sub[0].userdata = 0x1111;
  sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[0].u.u.clock.timeout = 1000000;
  SHOW(__wasi_poll_oneoff(sub, ev, 1, &n));
  printf("  %lu event: userdata 0x%llx error %u type %u\n", n, (unsigned long long)ev[0].userdata,
         ev[0].error, ev[0].type);
  sub[0].u.u.clock.timeout = 3600ull * 1000000000ull;
  sub[1].userdata = 0x2222;
  sub[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  sub[1].u.u.fd_write.file_descriptor = fd_out;
  SHOW(__wasi_poll_oneoff(sub, ev, 2, &n));
  printf("  %lu event: userdata 0x%llx error %u type %u\n", n, (unsigned long long)ev[0].userdata,
         ev[0].error, ev[0].type);
  sub[1].u.u.fd_write.file_descriptor = fd_none;
  SHOW(__wasi_poll_oneoff(sub, ev, 2, &n));
  printf("  %lu event: userdata 0x%llx error %u type %u\n", n, (unsigned long long)ev[0].userdata,
         ev[0].error, ev[0].type);
  SHOW(__wasi_poll_oneoff(sub, ev, 0, &n));
  SHOW(__wasi_poll_oneoff(BAD, ev, 1, &n));

  /* the rest */
  uint8_t rnd[64];
  SHOW(__wasi_random_get(rnd, sizeof rnd));
  SHOW(__wasi_random_get(BAD, 64));
  SHOW(__wasi_sched_yield());
  SHOW(raw_proc_raise(2));
  SHOW(__wasi_fd_fdstat_set_rights(2, __WASI_RIGHTS_FD_WRITE, 0));
  SHOW(__wasi_fd_filestat_get(2, &fs));
  SHOW(__wasi_fd_close(2));
  SHOW(__wasi_fd_close(2));
  printf("exiting with 5\n");
  fflush(stdout);
  __wasi_proc_exit(5);
}
