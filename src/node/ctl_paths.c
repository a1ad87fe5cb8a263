/*
 * node/ctl_paths.c: where a node's control socket lives and how it is made safe. The
 * directory is the first line of defence (0700, ours, not a symlink: checked every
 * time, whoever made it); the socket itself is bound under umask 0177 and then chmod'ed
 * and verified 0600, so even in a directory opened up later only its owner can connect
 * (connect(2) needs write permission on the socket). NODE.lock, held with flock(2) for
 * the server's life, says whether a node is alive: the kernel drops the lock when its
 * process dies, so a socket file left by a crash is recognised as stale and replaced,
 * while a second server under a live name is refused.
 */
#include "node/ctl_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

bool trN_ctl_node_name_ok(const char *node) {
  size_t n = node ? strlen(node) : 0;
  if (n == 0 || n > 64 || node[0] == '.')
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = node[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '-' || c == '.'))
      return false;
  }
  return true;
}

int troupe_ctl_default_dir(char *buf, size_t cap, troupe_err *err) {
  const char *env = getenv("TROUPE_CONTROL_DIR");
  const char *xdg = getenv("XDG_RUNTIME_DIR");
  int n;
  if (env && *env)
    n = snprintf(buf, cap, "%s", env);
  else if (xdg && xdg[0] == '/') /* the spec: relative values are ignored */
    n = snprintf(buf, cap, "%s/troupe", xdg);
  else
    n = snprintf(buf, cap, "/tmp/troupe-%lu", (unsigned long)getuid());
  if (n < 0 || (size_t)n >= cap)
    return troupe_err_set(err, TROUPE_E_RANGE, "control directory path too long");
  return TROUPE_OK;
}

int trN_ctl_dir_prepare(const char *dir, troupe_err *err) {
  if (mkdir(dir, 0700) && errno != EEXIST)
    return troupe_err_set(err, TROUPE_E_IO, "control directory '%s': cannot create: %s", dir,
                          strerror(errno));
  struct stat st;
  if (lstat(dir, &st))
    return troupe_err_set(err, TROUPE_E_IO, "control directory '%s': %s", dir, strerror(errno));
  if (S_ISLNK(st.st_mode))
    return troupe_err_set(err, TROUPE_E_IO, "control directory '%s' is a symlink", dir);
  if (!S_ISDIR(st.st_mode))
    return troupe_err_set(err, TROUPE_E_IO, "control directory '%s' is not a directory", dir);
  if (st.st_uid != geteuid())
    return troupe_err_set(err, TROUPE_E_IO,
                          "control directory '%s' is owned by uid %lu, not by us (%lu)", dir,
                          (unsigned long)st.st_uid, (unsigned long)geteuid());
  if (st.st_mode & 077)
    return troupe_err_set(err, TROUPE_E_IO,
                          "control directory '%s' has mode %03o: others may enter it (want 0700)",
                          dir, (unsigned)(st.st_mode & 0777));
  return TROUPE_OK;
}

int trN_ctl_path(const char *dir, const char *node, const char *ext, char *out, size_t cap,
                 troupe_err *err) {
  int n = snprintf(out, cap, "%s/%s.%s", dir, node, ext);
  if (n < 0 || (size_t)n >= cap)
    return troupe_err_set(err, TROUPE_E_RANGE,
                          "control socket path '%s/%s.%s' too long (at most %zu bytes)", dir,
                          node, ext, cap - 1);
  return TROUPE_OK;
}

/* The classic lock-file dance: a stopping server unlinks the file while it holds the
 * lock, so a lock taken on a file that is no longer the one at the path is retried. */
int trN_ctl_lock(const char *lock_path, int *fd_out, troupe_err *err) {
  for (int tries = 0; tries < 100; tries++) {
    int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
      return troupe_err_set(err, TROUPE_E_IO, "cannot open '%s': %s", lock_path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB)) {
      int e = errno;
      close(fd);
      if (e == EWOULDBLOCK)
        return troupe_err_set(err, TROUPE_E_NAME_TAKEN,
                              "a node with this name is already running ('%s' is held)",
                              lock_path);
      return troupe_err_set(err, TROUPE_E_IO, "cannot lock '%s': %s", lock_path, strerror(e));
    }
    struct stat a, b;
    if (fstat(fd, &a) == 0 && stat(lock_path, &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino) {
      *fd_out = fd;
      return TROUPE_OK;
    }
    close(fd); /* unlinked by a server that stopped meanwhile: take the new file */
  }
  return troupe_err_set(err, TROUPE_E_IO, "cannot lock '%s': it keeps changing", lock_path);
}

void trN_ctl_unlock(const char *lock_path, int fd) {
  if (fd < 0)
    return;
  unlink(lock_path); /* while still holding it: see trN_ctl_lock */
  close(fd);
}

int trN_ctl_listen(const char *path, int *fd_out, troupe_err *err) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path)
    return troupe_err_set(err, TROUPE_E_RANGE, "control socket path '%s' too long", path);
  strcpy(sa.sun_path, path);
  struct stat st;
  if (lstat(path, &st) == 0) {
    /* We hold the lock, so whatever is here was left by a node that died. */
    if (!S_ISSOCK(st.st_mode))
      return troupe_err_set(err, TROUPE_E_IO, "'%s' exists and is not a socket", path);
    if (unlink(path))
      return troupe_err_set(err, TROUPE_E_IO, "cannot remove the stale socket '%s': %s", path,
                            strerror(errno));
  }
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return troupe_err_set(err, TROUPE_E_IO, "socket: %s", strerror(errno));
  /* umask is per process: another thread creating a file right now gets 0177 too
   * (tighter, never looser); the chmod below sets the mode whatever the umask was. */
  mode_t old = umask(0177);
  int rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
  int e = errno;
  umask(old);
  if (rc) {
    close(fd);
    return troupe_err_set(err, TROUPE_E_IO, "cannot bind '%s': %s", path, strerror(e));
  }
  errno = 0;
  if (chmod(path, 0600) || lstat(path, &st) || !S_ISSOCK(st.st_mode) ||
      (st.st_mode & 0777) != 0600 || st.st_uid != geteuid()) {
    e = errno;
    close(fd);
    unlink(path);
    return troupe_err_set(err, TROUPE_E_IO, "cannot make '%s' mode 0600: %s", path,
                          e ? strerror(e) : "mode or owner differ");
  }
  if (listen(fd, 64)) {
    e = errno;
    close(fd);
    unlink(path);
    return troupe_err_set(err, TROUPE_E_IO, "cannot listen on '%s': %s", path, strerror(e));
  }
  *fd_out = fd;
  return TROUPE_OK;
}
