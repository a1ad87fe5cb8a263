/*
 * component/store_dir.c: a directory of .wasm files as a store, for development and for
 * hosts that deploy modules as files. DIR/NAME.wasm is NAME version "0", and
 * DIR/NAME@VERSION.wasm is that version; nothing is cached, every get reads the file it
 * resolves to, so a module replaced on disk is what the next get returns. A bare NAME is
 * resolved by listing the directory for the highest version; a sha256: reference by
 * hashing every module file until one matches (fine for a development folder; the
 * node's indexed store is for many modules).
 *
 * The file names come from parsed references, whose grammar has no '/' and no NUL, and
 * always end in ".wasm"; path_for checks once more that the name is one path component,
 * so no reference reaches outside DIR (a symlink placed in DIR by its owner is followed:
 * that is the owner's decision). Files are opened non-blocking and must be regular, so a
 * FIFO or device named like a module is refused instead of hanging a worker.
 */
#include "component/store_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct dir_store {
  char *dir; /* immutable after creation: no lock needed */
} dir_store;

static const char k_ext[] = ".wasm";
#define EXT_LEN (sizeof k_ext - 1)

static const char *errstr(int e, char *buf, size_t cap) { return strerror_r(e, buf, cap); }

static void dir_destroy(void *self) {
  dir_store *d = self;
  free(d->dir);
  free(d);
}

/* DIR/<stem>.wasm into a new string, or NULL (out of memory or a stem that is not one
 * path component -- impossible for a parsed reference, refused anyway). With ".wasm"
 * appended, even a stem "." or ".." is an ordinary file name. */
static char *path_for(const dir_store *d, const char *stem, bool *bad_name) {
  *bad_name = !*stem || strchr(stem, '/');
  if (*bad_name)
    return NULL;
  size_t n = strlen(d->dir) + 1 + strlen(stem) + EXT_LEN + 1;
  char *p = trB_malloc(n);
  if (p)
    snprintf(p, n, "%s/%s%s", d->dir, stem, k_ext);
  return p;
}

/* Read the whole regular file at path. NOTFOUND when it does not exist (so the caller
 * can try another name), IO for everything else, each with the path and the reason. */
static int read_file(const char *path, uint8_t **bytes, size_t *len, troupe_err *err) {
  char eb[96];
  *bytes = NULL;
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    return troupe_err_set(err, e == ENOENT ? TROUPE_E_NOTFOUND : TROUPE_E_IO,
                          "cannot open module file '%s': %s", path, errstr(e, eb, sizeof eb));
  }
  int rc = TROUPE_OK;
  uint8_t *buf = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    rc = troupe_err_set(err, TROUPE_E_IO, "cannot stat module file '%s': %s", path,
                        errstr(errno, eb, sizeof eb));
    goto out;
  }
  if (!S_ISREG(st.st_mode)) {
    rc = troupe_err_set(err, TROUPE_E_IO, "module file '%s' is not a regular file", path);
    goto out;
  }
  if ((uintmax_t)st.st_size >= SIZE_MAX) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "module file '%s' is too large (%jd bytes)", path,
                        (intmax_t)st.st_size);
    goto out;
  }
  /* st_size is a hint: the file may grow or shrink while it is read (someone replacing
   * it in place), so read to the end, growing the buffer as needed. One spare byte lets
   * the first read past the hint see end of file without a reallocation. */
  size_t cap = (size_t)st.st_size + 1, n = 0;
  buf = trB_malloc(cap);
  if (!buf) {
    rc = troupe_err_set(err, TROUPE_E_NOMEM, "module file '%s': out of memory for %zu bytes",
                        path, cap);
    goto out;
  }
  for (;;) {
    if (n == cap) {
      size_t ncap = cap < SIZE_MAX / 2 ? 2 * cap : SIZE_MAX;
      uint8_t *g = ncap > cap ? trB_realloc_array(buf, ncap, 1) : NULL;
      if (!g) {
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "module file '%s': out of memory after %zu bytes",
                            path, n);
        goto out;
      }
      buf = g;
      cap = ncap;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      rc = troupe_err_set(err, TROUPE_E_IO, "cannot read module file '%s' after %zu bytes: %s",
                          path, n, errstr(errno, eb, sizeof eb));
      goto out;
    }
    if (r == 0)
      break;
    n += (size_t)r;
  }
  *bytes = buf;
  *len = n;
  buf = NULL;
out:
  free(buf);
  close(fd);
  return rc;
}

/* Fill the blob from DIR/<stem>.wasm, naming it name and version. */
static int load(const dir_store *d, const char *stem, const char *name, const char *version,
                troupe_module_blob *out, troupe_err *err) {
  bool bad;
  char *path = path_for(d, stem, &bad);
  if (!path)
    return bad ? troupe_err_set(err, TROUPE_E_INVAL,
                                "directory store '%s': '%s' is not a single file name", d->dir,
                                stem)
               : troupe_err_set(err, TROUPE_E_NOMEM, "directory store: out of memory");
  int rc = read_file(path, &out->bytes, &out->len, err);
  free(path);
  if (rc)
    return rc;
  out->name = trB_strdup(name);
  out->version = trB_strdup(version);
  if (!out->name || !out->version) {
    troupe_module_blob_clear(out);
    return troupe_err_set(err, TROUPE_E_NOMEM, "directory store: out of memory");
  }
  return TROUPE_OK;
}

/* A directory entry as a module: its name and version (into the given buffers) when the
 * file name is NAME.wasm or NAME@VERSION.wasm with both parts in the grammar. */
static bool entry_module(const char *file, char name[TRP_MODULE_NAME_MAX + 1],
                         char version[TRP_MODULE_VERSION_MAX + 1]) {
  size_t n = strlen(file);
  if (n <= EXT_LEN || strcmp(file + n - EXT_LEN, k_ext) != 0)
    return false;
  size_t stem = n - EXT_LEN;
  const char *at = memchr(file, '@', stem);
  size_t nl = at ? (size_t)(at - file) : stem;
  if (!trP_module_name_ok(file, nl))
    return false;
  memcpy(name, file, nl);
  name[nl] = '\0';
  if (!at) {
    strcpy(version, "0");
    return true;
  }
  size_t vl = stem - nl - 1;
  if (!trP_module_version_ok(at + 1, vl))
    return false;
  memcpy(version, at + 1, vl);
  version[vl] = '\0';
  return true;
}

static int open_dir(const dir_store *d, DIR **out, troupe_err *err) {
  char eb[96];
  *out = opendir(d->dir);
  if (*out)
    return TROUPE_OK;
  int e = errno;
  return troupe_err_set(err, e == ENOENT ? TROUPE_E_NOTFOUND : TROUPE_E_IO,
                        "cannot list module directory '%s': %s", d->dir,
                        errstr(e, eb, sizeof eb));
}

/* Skip entries known not to be files; DT_UNKNOWN and symlinks are tried (open decides). */
static bool maybe_file(const struct dirent *de) {
  return de->d_type == DT_REG || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN;
}

/* The newest version of name in the directory ("" when none). NAME@0.wasm and NAME.wasm
 * are both version "0": either serves. */
static int newest(const dir_store *d, const char *name, char best[TRP_MODULE_VERSION_MAX + 1],
                  troupe_err *err) {
  DIR *dh;
  int rc = open_dir(d, &dh, err);
  if (rc)
    return rc;
  best[0] = '\0';
  char n[TRP_MODULE_NAME_MAX + 1], v[TRP_MODULE_VERSION_MAX + 1];
  struct dirent *de;
  while ((de = readdir(dh))) {
    if (maybe_file(de) && entry_module(de->d_name, n, v) && strcmp(n, name) == 0 &&
        (!best[0] || troupe_module_version_cmp(v, best) > 0))
      strcpy(best, v);
  }
  closedir(dh);
  return TROUPE_OK;
}

/* NAME@VERSION: the file of that name, or NAME.wasm for version "0". */
static int get_version(const dir_store *d, const char *name, const char *version,
                       troupe_module_blob *out, troupe_err *err) {
  char stem[TRP_MODULE_NAME_MAX + 1 + TRP_MODULE_VERSION_MAX + 1];
  snprintf(stem, sizeof stem, "%s@%s", name, version);
  int rc = load(d, stem, name, version, out, err);
  if (rc == TROUPE_E_NOTFOUND && strcmp(version, "0") == 0)
    rc = load(d, name, name, version, out, err);
  if (rc == TROUPE_E_NOTFOUND) {
    struct stat st;
    if (stat(d->dir, &st) != 0 || !S_ISDIR(st.st_mode))
      return troupe_err_set(err, TROUPE_E_NOTFOUND,
                            "no module '%s@%s': module directory '%s' is gone", name, version,
                            d->dir);
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s@%s' in directory store '%s'",
                          name, version, d->dir);
  }
  return rc;
}

static int get_sha(const dir_store *d, const troupe_module_ref *r, troupe_module_blob *out,
                   troupe_err *err) {
  DIR *dh;
  int rc = open_dir(d, &dh, err);
  if (rc)
    return rc;
  char n[TRP_MODULE_NAME_MAX + 1], v[TRP_MODULE_VERSION_MAX + 1];
  struct dirent *de;
  rc = TROUPE_E_NOTFOUND;
  while (rc == TROUPE_E_NOTFOUND && (de = readdir(dh))) {
    if (!maybe_file(de) || !entry_module(de->d_name, n, v))
      continue;
    char stem[sizeof de->d_name];
    size_t sl = strlen(de->d_name) - EXT_LEN;
    memcpy(stem, de->d_name, sl);
    stem[sl] = '\0';
    troupe_module_blob b = {0};
    troupe_err skip;
    /* A file that vanished or cannot be read is just not the one sought. */
    if (load(d, stem, n, v, &b, &skip) != TROUPE_OK) {
      if (skip.code == TROUPE_E_NOMEM)
        rc = troupe_err_set(err, TROUPE_E_NOMEM, "%s", skip.msg);
      continue;
    }
    uint8_t sha[TROUPE_SHA256_BYTES];
    troupe_sha256(b.bytes, b.len, sha);
    if (memcmp(sha, r->sha256, TROUPE_SHA256_BYTES) == 0) {
      *out = b;
      rc = TROUPE_OK;
    } else {
      troupe_module_blob_clear(&b);
    }
  }
  closedir(dh);
  if (rc == TROUPE_E_NOTFOUND) {
    char text[200];
    trP_module_ref_format(r, text, sizeof text);
    rc = troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in directory store '%s'", text,
                        d->dir);
  }
  return rc;
}

static int dir_get(void *self, const troupe_module_ref *r, troupe_module_blob *out,
                   troupe_err *err) {
  const dir_store *d = self;
  if (r->kind == TROUPE_REF_SHA256)
    return get_sha(d, r, out, err);
  if (r->kind == TROUPE_REF_VERSION)
    return get_version(d, r->name, r->version, out, err);
  /* A bare name: list, then load the newest. The file may be removed between the two;
   * list again a few times before calling the module absent. */
  for (int attempt = 0; attempt < 3; attempt++) {
    char v[TRP_MODULE_VERSION_MAX + 1];
    int rc = newest(d, r->name, v, err);
    if (rc)
      return rc;
    if (!v[0])
      break;
    rc = get_version(d, r->name, v, out, err);
    if (rc != TROUPE_E_NOTFOUND)
      return rc;
  }
  return troupe_err_set(err, TROUPE_E_NOTFOUND, "no module '%s' in directory store '%s'",
                        r->name, d->dir);
}

static const troupe_store_ops k_dir_ops = {.get = dir_get, .destroy = dir_destroy};

int troupe_store_dir_new(const char *dir, troupe_store **out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "directory store: no output given");
  *out = NULL;
  if (!dir || !*dir)
    return troupe_err_set(err, TROUPE_E_INVAL, "directory store: no directory given");
  char eb[96];
  struct stat st;
  if (stat(dir, &st) != 0) {
    int e = errno;
    return troupe_err_set(err, e == ENOENT || e == ENOTDIR ? TROUPE_E_NOTFOUND : TROUPE_E_IO,
                          "module directory '%s': %s", dir, errstr(e, eb, sizeof eb));
  }
  if (!S_ISDIR(st.st_mode))
    return troupe_err_set(err, TROUPE_E_IO, "module directory '%s' is not a directory", dir);
  DIR *probe = opendir(dir);
  if (!probe)
    return troupe_err_set(err, TROUPE_E_IO, "cannot list module directory '%s': %s", dir,
                          errstr(errno, eb, sizeof eb));
  closedir(probe);

  dir_store *d = trB_calloc(1, sizeof *d);
  if (d)
    d->dir = trB_strdup(dir);
  if (!d || !d->dir) {
    free(d);
    return troupe_err_set(err, TROUPE_E_NOMEM, "directory store '%s': out of memory", dir);
  }
  /* "dir/" and "dir" name the same folder; keep messages and paths free of "//". */
  size_t n = strlen(d->dir);
  while (n > 1 && d->dir[n - 1] == '/')
    d->dir[--n] = '\0';
  int rc = troupe_store_new(&k_dir_ops, d, out, err);
  if (rc)
    dir_destroy(d);
  return rc;
}
