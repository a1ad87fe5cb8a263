/* tests/wasi/programs/nofile.c: what a sandboxed program without a filesystem sees, in
 * terms that are the same natively (where the paths do not exist) and under WASI (where
 * no directory is granted): opening, creating, listing and removing fail with errno set,
 * and descriptors that are not open give EBADF. libc's errno *messages* differ between
 * glibc and wasi-libc (and so does the errno for a path: ENOENT natively, ENOTCAPABLE
 * under WASI), so the program prints names and facts, not strerror(). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *name(int e) {
  switch (e) {
  case 0: return "0";
  case EBADF: return "EBADF";
  case ESPIPE: return "ESPIPE";
  case EINVAL: return "EINVAL";
  default: return "other";
  }
}

static void report(const char *what, int failed) {
  printf("%s: %s, errno %s\n", what, failed ? "failed" : "succeeded", errno ? "set" : "unset");
}

int main(void) {
  errno = 0;
  FILE *f = fopen("/nonexistent-troupe-dir/input.txt", "r");
  report("fopen for reading", !f);
  errno = 0;
  f = fopen("/nonexistent-troupe-dir/output.txt", "w");
  report("fopen for writing", !f);
  errno = 0;
  DIR *d = opendir("/nonexistent-troupe-dir");
  report("opendir", !d);
  struct stat st;
  errno = 0;
  int r = stat("/nonexistent-troupe-dir", &st);
  report("stat", r != 0);
  errno = 0;
  r = remove("/nonexistent-troupe-dir/x");
  report("remove", r != 0);
  errno = 0;
  r = open("/nonexistent-troupe-dir/y", O_CREAT | O_WRONLY, 0644);
  report("open(O_CREAT)", r < 0);

  errno = 0;
  r = close(99);
  printf("close(99): %d %s\n", r, name(errno));
  errno = 0;
  r = (int)write(98, "x", 1);
  printf("write(98): %d %s\n", r, name(errno));
  errno = 0;
  r = (int)lseek(97, 0, SEEK_SET);
  printf("lseek(97): %d %s\n", r, name(errno));
  errno = 0;
  r = (int)write(STDIN_FILENO, "x", 1);
  printf("write(stdin): %d %s\n", r, name(errno));
  errno = 0;
  char c;
  r = (int)read(STDOUT_FILENO, &c, 1);
  printf("read(stdout): %d %s\n", r, name(errno));
  return 0;
}
