/*
 * wasi/deny.c: the preview-1 functions a sandbox without a filesystem or network
 * refuses. They exist (so every wasm32-wasi program links) with their exact signatures,
 * check their descriptor like a real implementation would (EBADF for one that is not
 * open), then answer: path_* -> ENOTCAPABLE (stdio lacks every PATH_* right, and no
 * directory is ever granted), sock_* -> ENOTSOCK (no descriptor is a socket).
 */
#include "wasi/wasi.h"

static int deny_path(trW_call *wc, uint32_t fd) {
  return trW_fd_get(wc->ctx, fd) ? TRW_ENOTCAPABLE : TRW_EBADF;
}

static int deny_path2(trW_call *wc, uint32_t fd1, uint32_t fd2) {
  int e = deny_path(wc, fd1);
  return e == TRW_EBADF ? e : deny_path(wc, fd2);
}

static int deny_sock(trW_call *wc, uint32_t fd) {
  return trW_fd_get(wc->ctx, fd) ? TRW_ENOTSOCK : TRW_EBADF;
}

/* path_*(fd, ...) */
int trW_path_create_directory(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_filestat_get(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_filestat_set_times(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_open(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_readlink(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_remove_directory(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
int trW_path_unlink_file(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 0));
}
/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
int trW_path_link(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path2(wc, trW_u32(args, 0), trW_u32(args, 4));
}
/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
int trW_path_rename(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path2(wc, trW_u32(args, 0), trW_u32(args, 3));
}
/* path_symlink(old_path, old_len, fd, new_path, new_len) */
int trW_path_symlink(trW_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trW_u32(args, 2));
}

/* sock_*(fd, ...) */
int trW_sock_accept(trW_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trW_u32(args, 0));
}
int trW_sock_recv(trW_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trW_u32(args, 0));
}
int trW_sock_send(trW_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trW_u32(args, 0));
}
int trW_sock_shutdown(trW_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trW_u32(args, 0));
}
