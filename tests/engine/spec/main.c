/*
 * main.c: the spec-test runner's command line. It picks the .wast files (by default every
 * file of every folder of the spec directory that skip.txt does not skip as a stage),
 * runs each in a child process with a time limit, so that an engine crash or hang costs
 * one file and is reported with the line it happened at, and prints a line per file and
 * the total: `spec: P passed, F failed, S skipped` is always the last line.
 * Exit status: 0 when nothing failed, 1 when something did, 2 on a usage error, 77 (the
 * ctest skip code) when the spec tests are not there.
 */
#include "spec.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SPEC_DEFAULT_DIR
#define SPEC_DEFAULT_DIR "../shared/wasm-spec-tests"
#endif
#ifndef SPEC_DEFAULT_SKIP
#define SPEC_DEFAULT_SKIP "tests/engine/spec/skip.txt"
#endif
#ifndef SPEC_DEFAULT_WAST2JSON
#define SPEC_DEFAULT_WAST2JSON "wast2json"
#endif

#define EXIT_SKIP 77

typedef struct strlist {
  char **v;
  size_t n, cap;
} strlist;

static bool push(strlist *l, const char *s) {
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v)
      return false;
    l->v = v;
    l->cap = cap;
  }
  if (!(l->v[l->n] = strdup(s)))
    return false;
  l->n++;
  return true;
}

static void strlist_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
}

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int only_wast(const struct dirent *d) {
  size_t n = strlen(d->d_name);
  return n > 5 && strcmp(d->d_name + n - 5, ".wast") == 0;
}

static int only_subdirs(const struct dirent *d) {
  return d->d_name[0] != '.';
}

/* Every .wast of spec_dir/sub, sorted by name. */
static bool add_folder(strlist *files, const char *spec_dir, const char *sub) {
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/%s", spec_dir, sub);
  struct dirent **ents;
  int n = scandir(dir, &ents, only_wast, alphasort);
  if (n < 0) {
    printf("spec: cannot list %s: %s\n", dir, strerror(errno));
    return false;
  }
  bool ok = true;
  for (int i = 0; i < n; i++) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, ents[i]->d_name);
    ok = ok && push(files, path);
    free(ents[i]);
  }
  free(ents);
  return ok;
}

/* The default set: each folder of the spec dir, less those skip.txt skips as a stage. */
static bool add_default(strlist *files, const spec_opts *o) {
  struct dirent **ents;
  int n = scandir(o->spec_dir, &ents, only_subdirs, alphasort);
  if (n < 0)
    return false;
  bool ok = true;
  for (int i = 0; i < n; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o->spec_dir, ents[i]->d_name);
    const char *why = spec_skip_dir(o->skips, ents[i]->d_name);
    if (is_dir(path) && why)
      printf("spec: stage %s/ skipped: %s\n", ents[i]->d_name, why);
    else if (is_dir(path))
      ok = ok && add_folder(files, o->spec_dir, ents[i]->d_name);
    free(ents[i]);
  }
  free(ents);
  return ok;
}

/* A file named on the command line: a path, or a name ("i32", "i32.wast") looked up in
 * the spec dir's folders. */
static bool add_named(strlist *files, const spec_opts *o, const char *name) {
  if (is_file(name))
    return push(files, name);
  char wast[1024];
  size_t n = strlen(name);
  snprintf(wast, sizeof wast, "%s%s", name, n > 5 && strcmp(name + n - 5, ".wast") == 0 ? "" : ".wast");
  char path[8192];
  snprintf(path, sizeof path, "%s/%s", o->spec_dir, wast);
  if (is_file(path))
    return push(files, path);
  struct dirent **ents;
  int k = scandir(o->spec_dir, &ents, only_subdirs, alphasort);
  bool found = false, ok = true;
  for (int i = 0; i < k; i++) {
    snprintf(path, sizeof path, "%s/%s/%s", o->spec_dir, ents[i]->d_name, wast);
    if (!found && is_file(path)) {
      found = true;
      ok = push(files, path);
    }
    free(ents[i]);
  }
  if (k >= 0)
    free(ents);
  if (!found)
    printf("spec: no such spec file: %s\n", name);
  return found && ok;
}

static const char *basename_of(const char *path) {
  const char *b = strrchr(path, '/');
  return b ? b + 1 : path;
}

/* Run one file in a child process (or here, with --no-fork); c gets its counts. */
static void run_isolated(const spec_opts *o, const char *path, spec_counts *out) {
  volatile spec_counts *c = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  memset(out, 0, sizeof *out);
  if (c == MAP_FAILED) {
    printf("spec: %s: mmap failed: %s\n", basename_of(path), strerror(errno));
    out->setup_failed = true;
    return;
  }
  memset((void *)c, 0, sizeof *c);
  if (o->no_fork) {
    spec_run_file(o, path, c);
  } else {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
      printf("spec: fork failed: %s\n", strerror(errno));
      c->setup_failed = true;
    } else if (pid == 0) {
      alarm(o->timeout_s);
      spec_run_file(o, path, c);
      /* exit, not _exit: LeakSanitizer checks for the engine's leaks at exit. */
      exit(0);
    } else {
      int st = 0;
      while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
      }
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        /* The engine crashed or hung: the command running then fails, and so does every
         * command that never ran, so the counts still add up to the file's total. */
        uint64_t seen = c->passed + c->failed + c->skipped;
        if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM)
          printf("  %s:%u: TIMED OUT after %u s (the whole file; --timeout)\n", basename_of(path),
                 c->line, o->timeout_s);
        else if (WIFSIGNALED(st))
          printf("  %s:%u: CRASHED with signal %d (%s)\n", basename_of(path), c->line,
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
        else
          printf("  %s:%u: the runner exited with status %d\n", basename_of(path), c->line,
                 WEXITSTATUS(st));
        if (c->total > seen) {
          c->failed += c->total - seen;
          printf("  %s: %" PRIu64 " more commands not run, counted as failed\n",
                 basename_of(path), c->total - seen - 1);
        } else if (!c->setup_failed) {
          /* Every command ran: the failure came at exit (a LeakSanitizer report). */
          c->failed++;
          printf("  %s: counted as 1 more failure\n", basename_of(path));
        }
      }
    }
  }
  *out = *(const spec_counts *)c;
  munmap((void *)c, sizeof *c);
}

static void usage(FILE *f) {
  fprintf(f,
          "usage: spec_runner [options] [FILE.wast...]\n"
          "Runs WebAssembly spec tests (.wast) against Troupe's engine.\n"
          "  --file X.wast       a file to run (a path, or a name found in the spec dir);\n"
          "                      repeatable, as are plain arguments. Default: every folder\n"
          "                      of the spec dir that skip.txt does not skip (core/)\n"
          "  --dir NAME          every file of the spec dir's folder NAME (e.g. simd)\n"
          "  --spec-dir DIR      the spec tests (default %s)\n"
          "  --wast2json PATH    the converter (default %s)\n"
          "  --work DIR          where converted files go (default ./spec-work)\n"
          "  --skip FILE         the skip list (default %s)\n"
          "  --timeout S         seconds per file before it counts as hung (default 120)\n"
          "  --expect-total N    fail unless exactly N commands were seen\n"
          "  --expect-passed N, --expect-failed N\n"
          "                      succeed only with exactly these counts (the self-test)\n"
          "  --fuel N            run every call in slices of N fuel, resuming after each\n"
          "                      suspension (tests suspend/resume; results must not change)\n"
          "  --no-fork           run files in this process (for a debugger)\n"
          "  --verbose           print every command, notes and spectest prints\n",
          SPEC_DEFAULT_DIR, SPEC_DEFAULT_WAST2JSON, SPEC_DEFAULT_SKIP);
}

/* The loud message for a missing spec directory: this stage is skipped, not passed. */
static int missing_spec_dir(const char *dir) {
  printf("spec: ****************************************************************\n"
         "spec: SKIPPED: the WebAssembly spec tests are not at\n"
         "spec:   %s\n"
         "spec: so the spec stage did NOT run. Point -DTROUPE_SPEC_DIR (cmake) or\n"
         "spec: --spec-dir at a folder holding core/*.wast.\n"
         "spec: ****************************************************************\n"
         "spec: 0 passed, 0 failed, 0 skipped\n",
         dir);
  return EXIT_SKIP;
}

int main(int argc, char **argv) {
  spec_opts o = {.spec_dir = SPEC_DEFAULT_DIR,
                 .wast2json = SPEC_DEFAULT_WAST2JSON,
                 .work = "spec-work",
                 .skip_file = SPEC_DEFAULT_SKIP,
                 .timeout_s = 120};
  strlist names = {0}, dirs = {0}, files = {0};
  long long expect_total = -1, expect_passed = -1, expect_failed = -1;
  int status = 2;
  spec_skips *skips = NULL;
  setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a crash of the engine */

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *val = i + 1 < argc ? argv[i + 1] : NULL;
    bool takes = true;
    if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0)
      o.verbose = true, takes = false;
    else if (strcmp(a, "--no-fork") == 0)
      o.no_fork = true, takes = false;
    else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      status = 0;
      goto out;
    } else if (a[0] != '-') {
      if (!push(&names, a))
        goto out;
      takes = false;
    } else if (!val) {
      fprintf(stderr, "spec: %s needs a value\n", a);
      usage(stderr);
      goto out;
    } else if (strcmp(a, "--file") == 0) {
      if (!push(&names, val))
        goto out;
    } else if (strcmp(a, "--dir") == 0) {
      if (!push(&dirs, val))
        goto out;
    } else if (strcmp(a, "--spec-dir") == 0)
      o.spec_dir = val;
    else if (strcmp(a, "--wast2json") == 0)
      o.wast2json = val;
    else if (strcmp(a, "--work") == 0)
      o.work = val;
    else if (strcmp(a, "--skip") == 0)
      o.skip_file = val;
    else if (strcmp(a, "--timeout") == 0)
      o.timeout_s = (unsigned)strtoul(val, NULL, 10);
    else if (strcmp(a, "--expect-total") == 0)
      expect_total = strtoll(val, NULL, 10);
    else if (strcmp(a, "--fuel") == 0)
      o.fuel_slice = strtoull(val, NULL, 10);
    else if (strcmp(a, "--expect-passed") == 0)
      expect_passed = strtoll(val, NULL, 10);
    else if (strcmp(a, "--expect-failed") == 0)
      expect_failed = strtoll(val, NULL, 10);
    else {
      fprintf(stderr, "spec: unknown option %s\n", a);
      usage(stderr);
      goto out;
    }
    if (takes)
      i++;
  }
  if (o.timeout_s == 0)
    o.timeout_s = 120;

  char core[4096];
  snprintf(core, sizeof core, "%s/core", o.spec_dir);
  if (!is_dir(o.spec_dir) || (!names.n && !dirs.n && !is_dir(core))) {
    status = missing_spec_dir(o.spec_dir);
    goto out;
  }
  if (!(skips = spec_skips_load(o.skip_file)))
    goto out;
  o.skips = skips;

  bool ok = true;
  for (size_t i = 0; i < dirs.n; i++)
    ok = ok && add_folder(&files, o.spec_dir, dirs.v[i]);
  for (size_t i = 0; i < names.n; i++)
    ok = ok && add_named(&files, &o, names.v[i]);
  if (ok && !dirs.n && !names.n)
    ok = add_default(&files, &o);
  if (!ok || files.n == 0) {
    if (ok)
      printf("spec: no .wast files under %s\n", o.spec_dir);
    status = 1;
    goto out;
  }

  uint64_t p = 0, f = 0, s = 0, total = 0, setup = 0;
  for (size_t i = 0; i < files.n; i++) {
    spec_counts c;
    run_isolated(&o, files.v[i], &c);
    if (c.setup_failed) {
      setup++;
      f++;
      printf("spec: %s: NOT RUN (setup failed; counted as 1 failure)\n", basename_of(files.v[i]));
      continue;
    }
    printf("spec: %s: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n",
           basename_of(files.v[i]), c.passed, c.failed, c.skipped);
    p += c.passed;
    f += c.failed;
    s += c.skipped;
    total += c.total;
  }
  printf("spec: %zu files, %" PRIu64 " commands seen", files.n, total);
  if (setup)
    printf(", %" PRIu64 " files not run", setup);
  if (expect_total >= 0 && (uint64_t)expect_total != total) {
    printf(" -- MISMATCH: expected %lld commands", expect_total);
    f++;
  }
  printf("\n");
  printf("spec: %" PRIu64 " passed, %" PRIu64 " failed, %" PRIu64 " skipped\n", p, f, s);
  status = f ? 1 : 0;
  if (expect_passed >= 0 || expect_failed >= 0) {
    /* The self-test: exactly the expected counts, failures included, is success. */
    bool want = (expect_passed < 0 || (uint64_t)expect_passed == p) &&
                (expect_failed < 0 || (uint64_t)expect_failed == f);
    if (!want)
      fprintf(stderr, "spec: expected %lld passed and %lld failed\n", expect_passed,
              expect_failed);
    status = want ? 0 : 1;
  }
out:
  spec_skips_free(skips);
  strlist_free(&names);
  strlist_free(&dirs);
  strlist_free(&files);
  return status;
}
