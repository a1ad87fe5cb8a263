/*
 * cli/cmd_key.c: `troupe key`: ed25519 signing keys for the component store
 * (troupe/sqlstore.h). `key gen` makes a key pair: the secret key into a file only its
 * owner can read (never over an existing file), the public key -- 64 hex digits, what a
 * node is told to trust -- printed and written next to it as FILE.pub. `key pub` prints
 * the public key of a secret key file.
 */
#include "cli.h"

#include <troupe/sqlstore.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char key_usage[] =
    "usage: troupe key <subcommand> ...\n"
    "\n"
    "  gen [--out FILE]   make a signing key pair; print the public key\n"
    "  pub FILE           print the public key of the secret key FILE\n"
    "\n"
    "Keys are ed25519 (libsodium). The secret key file is one line,\n"
    "\"troupe-ed25519-secret-key:\" and 64 hex digits, created with mode 0600; a key that\n"
    "others can read is refused when used. A public key is 64 lowercase hex digits.\n"
    "Sign modules with 'troupe store add ... --sign FILE'.\n";

static const char gen_usage[] =
    "usage: troupe key gen [--out FILE]\n"
    "\n"
    "Makes a new ed25519 key pair. The secret key goes into FILE (mode 0600; an existing\n"
    "FILE is never overwritten), the public key into FILE.pub, and the public key is\n"
    "printed on stdout (64 hex digits). Without --out, FILE is signing.key in the data\n"
    "directory: $XDG_DATA_HOME/troupe/, else ~/.local/share/troupe/ (made 0700).\n"
    "\n"
    "Exit status: 0 done; 1 FILE exists; 2 bad command line; 4 FILE cannot be written.\n";

static const char pub_usage[] =
    "usage: troupe key pub FILE\n"
    "\n"
    "Prints the public key (64 hex digits) of the secret key FILE.\n"
    "\n"
    "Exit status: 0 done; 1 FILE is not a secret key; 2 bad command line; 4 FILE\n"
    "unreadable (or readable by others).\n";

static int status_of(int rc) { return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL; }

/* The default secret key file: signing.key beside the default store. */
static char *default_key_path(troupe_err *err) {
  char *db = NULL;
  if (troupe_sqlstore_default_path(true, &db, err))
    return NULL;
  char *slash = strrchr(db, '/');
  size_t dl = (size_t)(slash - db);
  char *p = malloc(dl + sizeof "/signing.key");
  if (!p) {
    free(db);
    troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
    return NULL;
  }
  memcpy(p, db, dl);
  memcpy(p + dl, "/signing.key", sizeof "/signing.key");
  free(db);
  return p;
}

static int write_pub(const char *key_path, const char *hex) {
  size_t n = strlen(key_path);
  char *p = malloc(n + 5);
  if (!p) {
    trL_error("out of memory");
    return TR_EXIT_FAIL;
  }
  memcpy(p, key_path, n);
  memcpy(p + n, ".pub", 5);
  int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  int st = TR_EXIT_OK;
  char line[TROUPE_ED25519_PUBLIC_HEX + 1];
  memcpy(line, hex, TROUPE_ED25519_PUBLIC_HEX - 1);
  line[TROUPE_ED25519_PUBLIC_HEX - 1] = '\n';
  if (fd < 0 || write(fd, line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) {
    trL_error("key gen: cannot write public key file '%s': %s", p, strerror(errno));
    st = TR_EXIT_IO;
  }
  if (fd >= 0)
    close(fd);
  free(p);
  return st;
}

static int cmd_gen(int argc, char **argv) {
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if (trL_is_help(argv[i])) {
      fputs(gen_usage, stdout);
      return TR_EXIT_OK;
    } else if ((v = trL_opt_value(argc, argv, &i, "--out", &missing))) {
      out = v;
    } else {
      trL_error(missing ? "key gen: %s needs a value" : "key gen: unexpected '%s' (try --help)",
                argv[i]);
      return TR_EXIT_USAGE;
    }
  }
  troupe_err err;
  troupe_err_clear(&err);
  char *path = out ? strdup(out) : default_key_path(&err);
  if (!path) {
    trL_error("key gen: %s", out ? "out of memory" : troupe_err_message(&err));
    return TR_EXIT_IO;
  }
  troupe_signing_key key;
  int rc = troupe_signing_key_generate(&key, &err);
  if (rc == TROUPE_OK)
    rc = troupe_signing_key_write(path, &key, &err);
  int st = TR_EXIT_OK;
  if (rc) {
    trL_error("key gen: %s", troupe_err_message(&err));
    st = status_of(rc);
  } else {
    char hex[TROUPE_ED25519_PUBLIC_HEX];
    troupe_public_key_hex(key.public_key, hex);
    st = write_pub(path, hex);
    printf("%s\n", hex);
    if (!out)
      fprintf(stderr, "secret key: %s (public key: %s.pub)\n", path, path);
  }
  troupe_signing_key_clear(&key);
  free(path);
  return st;
}

static int cmd_pub(int argc, char **argv) {
  const char *file = NULL;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(pub_usage, stdout);
      return TR_EXIT_OK;
    }
    if (argv[i][0] == '-' || file) {
      trL_error("key pub: unexpected '%s' (try --help)", argv[i]);
      return TR_EXIT_USAGE;
    }
    file = argv[i];
  }
  if (!file) {
    trL_error("key pub: no key file given (try --help)");
    return TR_EXIT_USAGE;
  }
  troupe_signing_key key;
  troupe_err err;
  int rc = troupe_signing_key_read(file, &key, &err);
  if (rc) {
    trL_error("key pub: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  char hex[TROUPE_ED25519_PUBLIC_HEX];
  troupe_public_key_hex(key.public_key, hex);
  troupe_signing_key_clear(&key);
  printf("%s\n", hex);
  return TR_EXIT_OK;
}

int trL_cmd_key(int argc, char **argv) {
  if (argc < 2 || trL_is_help(argv[1])) {
    fputs(key_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? TR_EXIT_USAGE : TR_EXIT_OK;
  }
  if (!strcmp(argv[1], "gen"))
    return cmd_gen(argc - 1, argv + 1);
  if (!strcmp(argv[1], "pub"))
    return cmd_pub(argc - 1, argv + 1);
  trL_error("key: unknown subcommand '%s' (try 'troupe key --help')", argv[1]);
  return TR_EXIT_USAGE;
}
