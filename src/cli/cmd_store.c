/*
 * cli/cmd_store.c: `troupe store`: the node's component store (troupe/sqlstore.h), one
 * SQLite file in the user's data directory unless --store PATH says otherwise. add
 * (validated, optionally signed), ls, show, rm, verify -- each a thin shell over one call
 * of the store's API: errors are the store's own message on one line, exit statuses are
 * the shared TR_EXIT_* (4 when a file cannot be read or written, 1 when the store refuses).
 */
#include "cli.h"

#include <troupe/base.h>
#include <troupe/sqlstore.h>

#include <stdlib.h>
#include <string.h>

static const char store_usage[] =
    "usage: troupe store <subcommand> [--store PATH] ...\n"
    "\n"
    "  add FILE.wasm --name N --version V [--sign KEY]   add a module\n"
    "  ls [--json]                                      list the modules\n"
    "  show REF [--json] [--trust PUBKEY]...            one module in detail\n"
    "  rm REF                                           remove a version\n"
    "  verify [--trust PUBKEY]...                       check the whole store\n"
    "\n"
    "REF is NAME (its newest version), NAME@VERSION or sha256:HEX. The store is\n"
    "$XDG_DATA_HOME/troupe/store.db, else ~/.local/share/troupe/store.db, unless\n"
    "--store PATH. docs/STORE.md describes the file and the signatures.\n"
    "\n"
    "  troupe store <subcommand> --help\n";

static const char add_usage[] =
    "usage: troupe store add FILE.wasm --name NAME --version VERSION [--sign KEY]\n"
    "                        [--store PATH] [--json]\n"
    "\n"
    "Adds the module in FILE.wasm as NAME@VERSION, after checking that it compiles.\n"
    "With --sign, signs it with the secret key file KEY ('troupe key gen'). A version\n"
    "never changes: adding NAME@VERSION again with other bytes is refused; with the\n"
    "same bytes it only adds the --sign signature. Prints \"added NAME@VERSION\n"
    "sha256:HEX (N bytes)\".\n"
    "\n"
    "Exit status: 0 added (or already there); 1 refused (does not compile, the version\n"
    "exists with other bytes, a bad key file); 2 bad command line; 4 FILE.wasm, KEY or\n"
    "the store cannot be read or written.\n";

static const char ls_usage[] =
    "usage: troupe store ls [--store PATH] [--json]\n"
    "\n"
    "Lists every module version by name and version: NAME, VERSION, SIZE, ADDED,\n"
    "SHA256 (its first 16 digits) and SIGNERS (how many keys signed it). --json prints\n"
    "one JSON array of objects {\"name\",\"version\",\"sha256\",\"size\",\"added\",\n"
    "\"signatures\":[{\"public_key\",\"valid\"}]}.\n"
    "\n"
    "Exit status: 0 done; 4 the store cannot be opened.\n";

static const char show_usage[] =
    "usage: troupe store show REF [--store PATH] [--json] [--trust PUBKEY]...\n"
    "\n"
    "Shows the module version REF names: name, version, sha256, size, when it was\n"
    "added and each signature (its public key, whether it verifies, and with --trust\n"
    "whether the key is trusted). PUBKEY is 64 hex digits or a file holding them\n"
    "(FILE.pub from 'troupe key gen'). --json prints one object as in 'store ls --json'.\n"
    "\n"
    "Exit status: 0 done; 1 no such module; 2 bad command line; 4 store unreadable.\n";

static const char rm_usage[] =
    "usage: troupe store rm REF [--store PATH]\n"
    "\n"
    "Removes NAME@VERSION, or every version of the bytes sha256:HEX. A bare NAME is\n"
    "refused: name the version. Bytes no version uses any more are deleted with it.\n"
    "\n"
    "Exit status: 0 removed; 1 no such module, or a bare NAME; 2 bad command line;\n"
    "4 the store cannot be written.\n";

static const char verify_usage[] =
    "usage: troupe store verify [--store PATH] [--trust PUBKEY]...\n"
    "\n"
    "Checks the whole store: SQLite's integrity check, every module's bytes hashed\n"
    "again against their sha256 and size, every signature verified; with --trust, also\n"
    "that every version is signed by one of those keys. Prints one line per problem,\n"
    "then a summary.\n"
    "\n"
    "Exit status: 0 no problem; 1 problems found; 2 bad command line; 4 the store\n"
    "cannot be read.\n";

/* ---- options shared by the subcommands ------------------------------------------------- */

typedef struct opts {
  const char *sub;   /* the subcommand's name, for messages */
  const char *store; /* --store */
  const char *arg;   /* the one positional argument (FILE or REF) */
  const char *name, *version, *sign;
  bool json;
  uint8_t (*trusted)[TROUPE_ED25519_PUBLIC_BYTES];
  size_t ntrusted;
} opts;

/* A --trust value: 64 hex digits, or a file whose first line is. */
static bool parse_trust(opts *o, const char *v) {
  uint8_t key[TROUPE_ED25519_PUBLIC_BYTES];
  troupe_err err;
  if (troupe_public_key_parse(v, key, &err) != TROUPE_OK) {
    FILE *f = fopen(v, "r");
    char line[128] = "";
    if (!f) {
      trL_error("store %s: --trust wants a public key (64 hex digits) or a file holding one, "
                "not '%s'",
                o->sub, v);
      return false;
    }
    if (!fgets(line, sizeof line, f))
      line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (troupe_public_key_parse(line, key, &err) != TROUPE_OK) {
      trL_error("store %s: --trust file '%s' does not hold a public key (64 hex digits)",
                o->sub, v);
      return false;
    }
  }
  uint8_t(*g)[TROUPE_ED25519_PUBLIC_BYTES] = realloc(o->trusted, (o->ntrusted + 1) * sizeof *g);
  if (!g) {
    trL_error("out of memory");
    return false;
  }
  o->trusted = g;
  memcpy(o->trusted[o->ntrusted++], key, sizeof key);
  return true;
}

/* The subcommand's command line. allowed: the options it takes, e.g. "name version sign
 * json trust"; positional: whether it takes FILE/REF. TR_EXIT_OK, or the usage status
 * after saying why; *help for --help. */
static int parse(int argc, char **argv, opts *o, const char *allowed, bool positional,
                 bool *help) {
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *a = argv[i], *v;
    if (trL_is_help(a)) {
      *help = true;
      return TR_EXIT_OK;
    } else if ((v = trL_opt_value(argc, argv, &i, "--store", &missing))) {
      if (!*v) {
        trL_error("store %s: --store wants a path", o->sub);
        return TR_EXIT_USAGE;
      }
      o->store = v;
    } else if (strstr(allowed, "name") && (v = trL_opt_value(argc, argv, &i, "--name", &missing))) {
      o->name = v;
    } else if (strstr(allowed, "version") &&
               (v = trL_opt_value(argc, argv, &i, "--version", &missing))) {
      o->version = v;
    } else if (strstr(allowed, "sign") && (v = trL_opt_value(argc, argv, &i, "--sign", &missing))) {
      o->sign = v;
    } else if (strstr(allowed, "trust") &&
               (v = trL_opt_value(argc, argv, &i, "--trust", &missing))) {
      if (!parse_trust(o, v))
        return TR_EXIT_USAGE;
    } else if (strstr(allowed, "json") && !strcmp(a, "--json")) {
      o->json = true;
    } else if (missing) {
      trL_error("store %s: %s needs a value", o->sub, a);
      return TR_EXIT_USAGE;
    } else if (a[0] == '-' && a[1]) {
      trL_error("store %s: unknown option '%s' (try 'troupe store %s --help')", o->sub, a,
                o->sub);
      return TR_EXIT_USAGE;
    } else if (!positional || o->arg) {
      trL_error("store %s: unexpected argument '%s' (try 'troupe store %s --help')", o->sub, a,
                o->sub);
      return TR_EXIT_USAGE;
    } else {
      o->arg = a;
    }
  }
  return TR_EXIT_OK;
}

static int status_of(int rc) { return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL; }

/* Open --store PATH, or the default store (its directories made 0700). */
static int open_store(const opts *o, troupe_sqlstore **s) {
  troupe_err err;
  troupe_err_clear(&err);
  char *def = NULL;
  const char *path = o->store;
  if (!path) {
    int rc = troupe_sqlstore_default_path(true, &def, &err);
    if (rc) {
      trL_error("store %s: %s", o->sub, troupe_err_message(&err));
      return TR_EXIT_IO;
    }
    path = def;
  }
  troupe_sqlstore_options so = {.trusted_keys = (const uint8_t(*)[32])o->trusted,
                                .ntrusted = o->ntrusted};
  int rc = troupe_sqlstore_open(path, &so, s, &err);
  free(def);
  if (rc) {
    trL_error("store %s: %s", o->sub, troupe_err_message(&err));
    return rc == TROUPE_E_IO || rc == TROUPE_E_TIMEOUT ? TR_EXIT_IO : TR_EXIT_FAIL;
  }
  return TR_EXIT_OK;
}

/* ---- output ----------------------------------------------------------------------------- */

static void put_hex(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x", p[i]);
}

static void put_entry_json(const troupe_sqlstore_entry *e, bool with_trust) {
  char when[40];
  troupe_clock_format_rfc3339(e->added_ns, when, sizeof when);
  /* names and versions are letters, digits and ._+- : nothing to escape */
  printf("{\"name\":\"%s\",\"version\":\"%s\",\"sha256\":\"", e->name, e->version);
  put_hex(e->sha256, TROUPE_SHA256_BYTES);
  printf("\",\"size\":%llu,\"added\":\"%s\",\"signatures\":[", (unsigned long long)e->size, when);
  for (size_t i = 0; i < e->nsigs; i++) {
    printf("%s{\"public_key\":\"", i ? "," : "");
    put_hex(e->sigs[i].public_key, TROUPE_ED25519_PUBLIC_BYTES);
    printf("\",\"valid\":%s", e->sigs[i].valid ? "true" : "false");
    if (with_trust)
      printf(",\"trusted\":%s", e->sigs[i].trusted ? "true" : "false");
    putchar('}');
  }
  fputs("]}", stdout);
}

static void put_size(uint64_t n, char *buf, size_t cap) {
  if (n < 10 * 1024)
    snprintf(buf, cap, "%llu B", (unsigned long long)n);
  else if (n < 10 * 1024 * 1024)
    snprintf(buf, cap, "%llu KiB", (unsigned long long)(n / 1024));
  else
    snprintf(buf, cap, "%llu MiB", (unsigned long long)(n / (1024 * 1024)));
}

/* ---- the subcommands --------------------------------------------------------------------- */

static int cmd_add(opts *o, troupe_sqlstore *s) {
  size_t len = 0;
  unsigned char *bytes = trL_read_file(o->arg, &len);
  if (!bytes)
    return TR_EXIT_IO;
  troupe_err err;
  troupe_err_clear(&err);
  troupe_signing_key key;
  int rc = TROUPE_OK;
  if (o->sign && (rc = troupe_signing_key_read(o->sign, &key, &err))) {
    free(bytes);
    trL_error("store add: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  troupe_sqlstore_entry e;
  bool added = false;
  rc = troupe_sqlstore_add(s, o->name, o->version, bytes, len, o->sign ? &key : NULL, &e, &added,
                           &err);
  if (o->sign)
    troupe_signing_key_clear(&key);
  free(bytes);
  if (rc) {
    trL_error("store add: %s", troupe_err_message(&err));
    return rc == TROUPE_E_IO || rc == TROUPE_E_TIMEOUT ? TR_EXIT_IO : TR_EXIT_FAIL;
  }
  if (o->json) {
    put_entry_json(&e, false);
    putchar('\n');
  } else {
    char hex[TROUPE_SHA256_HEX];
    troupe_sha256_hex(e.sha256, hex);
    printf("%s %s@%s sha256:%s (%llu bytes)%s\n", added ? "added" : "already there:", e.name,
           e.version, hex, (unsigned long long)e.size, o->sign ? ", signed" : "");
  }
  troupe_sqlstore_entry_clear(&e);
  return TR_EXIT_OK;
}

static int cmd_ls(opts *o, troupe_sqlstore *s) {
  troupe_sqlstore_entry *es = NULL;
  size_t n = 0;
  troupe_err err;
  int rc = troupe_sqlstore_list(s, &es, &n, &err);
  if (rc) {
    trL_error("store ls: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  if (o->json) {
    putchar('[');
    for (size_t i = 0; i < n; i++) {
      if (i)
        putchar(',');
      put_entry_json(&es[i], false);
    }
    fputs("]\n", stdout);
  } else if (n) {
    printf("%-24s %-12s %9s  %-20s %-16s  %s\n", "NAME", "VERSION", "SIZE", "ADDED", "SHA256",
           "SIGNERS");
    for (size_t i = 0; i < n; i++) {
      char size[32], when[40], hex[TROUPE_SHA256_HEX];
      put_size(es[i].size, size, sizeof size);
      troupe_clock_format_rfc3339(es[i].added_ns, when, sizeof when);
      when[19] = '\0'; /* to the second: 2026-01-02T03:04:05 */
      troupe_sha256_hex(es[i].sha256, hex);
      hex[16] = '\0';
      printf("%-24s %-12s %9s  %-20s %-16s  %zu\n", es[i].name, es[i].version, size, when, hex,
             es[i].nsigs);
    }
  }
  troupe_sqlstore_entries_free(es, n);
  return TR_EXIT_OK;
}

static int cmd_show(opts *o, troupe_sqlstore *s) {
  troupe_sqlstore_entry e;
  troupe_err err;
  int rc = troupe_sqlstore_show(s, o->arg, &e, &err);
  if (rc) {
    trL_error("store show: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  if (o->json) {
    put_entry_json(&e, o->ntrusted > 0);
    putchar('\n');
  } else {
    char when[40], hex[TROUPE_SHA256_HEX];
    troupe_clock_format_rfc3339(e.added_ns, when, sizeof when);
    troupe_sha256_hex(e.sha256, hex);
    printf("name:      %s\nversion:   %s\nsha256:    %s\nsize:      %llu bytes\nadded:     %s\n",
           e.name, e.version, hex, (unsigned long long)e.size, when);
    if (!e.nsigs)
      printf("signed:    no\n");
    for (size_t i = 0; i < e.nsigs; i++) {
      printf("signature: ");
      put_hex(e.sigs[i].public_key, TROUPE_ED25519_PUBLIC_BYTES);
      printf(" %s%s\n", e.sigs[i].valid ? "valid" : "DOES NOT VERIFY",
             !o->ntrusted ? "" : e.sigs[i].trusted ? ", trusted" : ", not trusted");
    }
  }
  troupe_sqlstore_entry_clear(&e);
  return TR_EXIT_OK;
}

static int cmd_rm(opts *o, troupe_sqlstore *s) {
  size_t n = 0;
  troupe_err err;
  int rc = troupe_sqlstore_remove(s, o->arg, &n, &err);
  if (rc) {
    trL_error("store rm: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  printf("removed %s (%zu version%s)\n", o->arg, n, n == 1 ? "" : "s");
  return TR_EXIT_OK;
}

static int cmd_verify(opts *o, troupe_sqlstore *s) {
  troupe_sqlstore_report r;
  troupe_err err;
  int rc = troupe_sqlstore_verify(s, &r, &err);
  if (rc) {
    trL_error("store verify: %s", troupe_err_message(&err));
    return status_of(rc);
  }
  for (size_t i = 0; i < r.nproblems; i++)
    printf("%s\n", r.problems[i]);
  int st = TR_EXIT_OK;
  if (r.nproblems) {
    trL_error("store verify: %zu problem%s in '%s'", r.nproblems, r.nproblems == 1 ? "" : "s",
              troupe_sqlstore_path(s));
    st = TR_EXIT_FAIL;
  } else {
    printf("ok: %zu version%s, %zu module%s, %zu signature%s checked%s\n", r.versions,
           r.versions == 1 ? "" : "s", r.blobs, r.blobs == 1 ? "" : "s", r.signatures,
           r.signatures == 1 ? "" : "s", o->ntrusted ? "; every version trusted" : "");
  }
  troupe_sqlstore_report_clear(&r);
  return st;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

typedef struct sub {
  const char *name;
  const char *usage;
  const char *allowed;
  bool positional; /* takes FILE / REF, required */
  int (*run)(opts *, troupe_sqlstore *);
} sub;

static const sub k_subs[] = {
    {"add", add_usage, "name version sign json", true, cmd_add},
    {"ls", ls_usage, "json", false, cmd_ls},
    {"show", show_usage, "json trust", true, cmd_show},
    {"rm", rm_usage, "", true, cmd_rm},
    {"verify", verify_usage, "trust", false, cmd_verify},
};

int trL_cmd_store(int argc, char **argv) {
  if (argc < 2 || trL_is_help(argv[1])) {
    fputs(store_usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? TR_EXIT_USAGE : TR_EXIT_OK;
  }
  const sub *sc = NULL;
  for (size_t i = 0; i < sizeof k_subs / sizeof k_subs[0]; i++)
    if (!strcmp(argv[1], k_subs[i].name))
      sc = &k_subs[i];
  if (!sc) {
    trL_error("store: unknown subcommand '%s' (try 'troupe store --help')", argv[1]);
    return TR_EXIT_USAGE;
  }
  opts o = {.sub = sc->name};
  bool help = false;
  int st = parse(argc - 1, argv + 1, &o, sc->allowed, sc->positional, &help);
  if (st == TR_EXIT_OK && help) {
    fputs(sc->usage, stdout);
  } else if (st == TR_EXIT_OK && sc->positional && !o.arg) {
    trL_error("store %s: no %s given (try 'troupe store %s --help')", sc->name,
              !strcmp(sc->name, "add") ? "module file" : "module reference", sc->name);
    st = TR_EXIT_USAGE;
  } else if (st == TR_EXIT_OK && !strcmp(sc->name, "add") && (!o.name || !o.version)) {
    trL_error("store add: --name and --version are required (try 'troupe store add --help')");
    st = TR_EXIT_USAGE;
  } else if (st == TR_EXIT_OK) {
    troupe_sqlstore *s = NULL;
    st = open_store(&o, &s);
    if (st == TR_EXIT_OK)
      st = sc->run(&o, s);
    troupe_sqlstore_close(s);
  }
  free(o.trusted);
  return st;
}
