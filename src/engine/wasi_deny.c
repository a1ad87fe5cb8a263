/*
 * engine/wasi_deny.c: the preview-1 functions a sandbox without a filesystem or network
 * refuses. They exist (so every wasm32-wasi program links) with their exact signatures,
 * check their descriptor like a real implementation would (EBADF for one that is not
 * open), then answer: path_* -> ENOTCAPABLE (stdio lacks every PATH_* right, and no
 * directory is ever granted), sock_* -> ENOTSOCK (no descriptor is a socket).
 */
#include "engine/wasi_host.h"

static int deny_path(trE_wasi_call *wc, uint32_t fd) {
  return trE_wasi_fd_get(wc->ctx, fd) ? TRE_WASI_ENOTCAPABLE : TRE_WASI_EBADF;
}

static int deny_path2(trE_wasi_call *wc, uint32_t fd1, uint32_t fd2) {
  int e = deny_path(wc, fd1);
  return e == TRE_WASI_EBADF ? e : deny_path(wc, fd2);
}

static int deny_sock(trE_wasi_call *wc, uint32_t fd) {
  return trE_wasi_fd_get(wc->ctx, fd) ? TRE_WASI_ENOTSOCK : TRE_WASI_EBADF;
}

/* path_*(fd, ...) */
int trE_wasi_path_create_directory(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_filestat_get(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_filestat_set_times(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_open(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_readlink(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_remove_directory(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_path_unlink_file(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 0));
}
/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
int trE_wasi_path_link(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path2(wc, trE_wasi_u32(args, 0), trE_wasi_u32(args, 4));
}
/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
int trE_wasi_path_rename(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path2(wc, trE_wasi_u32(args, 0), trE_wasi_u32(args, 3));
}
/* path_symlink(old_path, old_len, fd, new_path, new_len) */
int trE_wasi_path_symlink(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_path(wc, trE_wasi_u32(args, 2));
}

/* sock_*(fd, ...) */
int trE_wasi_sock_accept(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_sock_recv(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_sock_send(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trE_wasi_u32(args, 0));
}
int trE_wasi_sock_shutdown(trE_wasi_call *wc, const troupe_wasm_val *args) {
  return deny_sock(wc, trE_wasi_u32(args, 0));
}
