/*
 * run.c: replays one .wast file. It is converted by wast2json into its own work folder;
 * then its commands run in order against one linker (the spectest module plus whatever
 * the file registers), tracking the current instance and the named ones ("$M"). Every
 * command is counted exactly once as passed, failed or skipped, and each failure is
 * printed with its .wast line, its kind and what was expected versus what came back.
 */
#include "spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A module instantiated by a `module` command, kept until the end of the file because
 * later commands may name it or import from it. */
typedef struct slot {
  char *name; /* "$M", or NULL */
  troupe_wasm_module *mod;
  troupe_wasm_instance *inst;
} slot;

typedef struct file_run {
  const spec_opts *o;
  const char *file; /* "name.wast", as printed */
  char *dir;        /* the work folder holding the JSON and the module files */
  troupe_wasm_linker *linker;
  spec_host host;
  slot *slots;
  size_t nslots, cap;
  troupe_wasm_instance *current;
  uint32_t current_line; /* line of the module command that last set (or failed to) current */
  uint32_t line;         /* the command being run */
  uint64_t resumes;      /* --fuel: how many times a call was resumed */
} file_run;

typedef enum outcome { PASS, FAIL, SKIP } outcome;

/* A message for the command being judged (why it failed, why it was skipped, or a note
 * on a pass that verbose mode prints). */
typedef struct verdict {
  char msg[1024];
} verdict;

static outcome say(verdict *v, outcome out, const char *fmt, ...) TROUPE_PRINTF(3, 4);
static outcome say(verdict *v, outcome out, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->msg, sizeof v->msg, fmt, ap);
  va_end(ap);
  return out;
}

/* ---- files and conversion -------------------------------------------------------- */

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *s = malloc(n);
  if (s)
    snprintf(s, n, "%s/%s", a, b);
  return s;
}

static int mkdir_p(const char *path) {
  char *p = strdup(path);
  if (!p)
    return -1;
  for (char *s = p + 1; *s; s++)
    if (*s == '/') {
      *s = '\0';
      if (mkdir(p, 0777) != 0 && errno != EEXIST) {
        free(p);
        return -1;
      }
      *s = '/';
    }
  int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
  free(p);
  return rc;
}

/* Run wast2json on one file; every run converts afresh (it takes milliseconds). */
static bool convert(const spec_opts *o, const char *wast, const char *json) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    printf("spec: fork failed: %s\n", strerror(errno));
    return false;
  }
  if (pid == 0) {
    char *argv[] = {(char *)o->wast2json, (char *)wast, "-o", (char *)json, NULL};
    execvp(o->wast2json, argv);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return false;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 127) {
    printf("spec: cannot run wast2json ('%s'): install wabt (scripts/deps.sh) or pass "
           "--wast2json PATH\n",
           o->wast2json);
    return false;
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    printf("spec: wast2json failed on %s\n", wast);
    return false;
  }
  return true;
}

static uint8_t *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  uint8_t *buf = NULL;
  long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
  if (n >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
      fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

/* ---- instances ----------------------------------------------------------------------- */

static bool keep(file_run *r, const char *name, troupe_wasm_module *mod,
                 troupe_wasm_instance *inst) {
  if (r->nslots == r->cap) {
    size_t cap = r->cap ? r->cap * 2 : 16;
    slot *v = realloc(r->slots, cap * sizeof *v);
    if (!v)
      return false;
    r->slots = v;
    r->cap = cap;
  }
  char *copy = name ? strdup(name) : NULL;
  if (name && !copy)
    return false;
  r->slots[r->nslots++] = (slot){copy, mod, inst};
  return true;
}

static troupe_wasm_instance *named(const file_run *r, const char *name) {
  for (size_t i = r->nslots; i-- > 0;)
    if (r->slots[i].name && strcmp(r->slots[i].name, name) == 0)
      return r->slots[i].inst;
  return NULL;
}

/* The instance an action or register names (its "module" / "name" key) or the current
 * one; NULL with a reason when there is none. */
static troupe_wasm_instance *target(const file_run *r, const char *name, verdict *v) {
  troupe_wasm_instance *inst = name ? named(r, name) : r->current;
  if (!inst && name)
    say(v, FAIL, "no module named %s (it failed to load or instantiate)", name);
  else if (!inst && r->current_line)
    say(v, FAIL, "no current module: the module at line %u failed", r->current_line);
  else if (!inst)
    say(v, FAIL, "no module defined before this command");
  return inst;
}

static bool is_text_module(const json_t *cmd) {
  const char *type = json_string_value(json_object_get(cmd, "module_type"));
  const char *fn = json_string_value(json_object_get(cmd, "filename"));
  size_t n = fn ? strlen(fn) : 0;
  return (type && strcmp(type, "text") == 0) || (n > 4 && strcmp(fn + n - 4, ".wat") == 0);
}

/* A text-format module: skipped by the text-module rule of skip.txt, or failed. */
static outcome text_module(const file_run *r, verdict *v) {
  const char *why = spec_skip_rule(r->o->skips, "text-module");
  if (why)
    return say(v, SKIP, "%s", why);
  return say(v, FAIL, "text format module and no text-module rule in skip.txt");
}

/* Decode the module a command names. On failure the status is returned with err set;
 * TROUPE_E_IO means the runner could not read the file. */
static int load(const file_run *r, const json_t *cmd, troupe_wasm_module **mod, troupe_err *err) {
  const char *fn = json_string_value(json_object_get(cmd, "filename"));
  *mod = NULL;
  if (!fn)
    return troupe_err_set(err, TROUPE_E_IO, "command without a module file");
  char *path = join(r->dir, fn);
  size_t len = 0;
  uint8_t *bytes = path ? read_all(path, &len) : NULL;
  free(path);
  if (!bytes)
    return troupe_err_set(err, TROUPE_E_IO, "cannot read %s/%s", r->dir, fn);
  int rc = troupe_wasm_module_new(bytes, len, mod, err);
  free(bytes);
  if (rc == TROUPE_OK && !*mod)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "module_new returned OK and no module");
  return rc;
}

static int instantiate(const file_run *r, troupe_wasm_module *mod, troupe_wasm_instance **inst,
                       troupe_wasm_trap *trap, troupe_err *err) {
  troupe_wasm_limits limits = {0}; /* the defaults: 10,000 calls deep is enough for
                                      assert_exhaustion to come quickly */
  memset(trap, 0, sizeof *trap);
  *inst = NULL;
  int rc = troupe_wasm_instantiate(mod, r->linker, &limits, inst, trap, err);
  trap->message[sizeof trap->message - 1] = '\0';
  if (rc == TROUPE_OK && !*inst)
    return troupe_err_set(err, TROUPE_E_INTERNAL, "instantiate returned OK and no instance");
  return rc;
}

/* "TROUPE_E_INVALID: code section, offset 0x2a: type mismatch" */
static const char *describe(int rc, const troupe_err *err, char *buf, size_t len) {
  snprintf(buf, len, "%s: %s", troupe_err_name(rc),
           err->code == rc ? troupe_err_message(err) : troupe_strerror(rc));
  return buf;
}

/* ---- module-level commands ------------------------------------------------------------ */

static outcome do_module(file_run *r, const json_t *cmd, verdict *v) {
  const char *name = json_string_value(json_object_get(cmd, "name"));
  char d[512];
  r->current = NULL;
  r->current_line = r->line;
  if (is_text_module(cmd))
    return text_module(r, v);
  troupe_err err = {0};
  troupe_wasm_module *mod;
  int rc = load(r, cmd, &mod, &err);
  if (rc)
    return say(v, FAIL, "module failed to load: %s", describe(rc, &err, d, sizeof d));
  troupe_wasm_instance *inst;
  troupe_wasm_trap trap;
  if ((rc = instantiate(r, mod, &inst, &trap, &err))) {
    troupe_wasm_module_free(mod);
    return say(v, FAIL, "module failed to instantiate: %s", describe(rc, &err, d, sizeof d));
  }
  if (!keep(r, name, mod, inst)) {
    troupe_wasm_instance_free(inst);
    troupe_wasm_module_free(mod);
    return say(v, FAIL, "runner out of memory");
  }
  r->current = inst;
  return PASS;
}

static outcome do_register(file_run *r, const json_t *cmd, verdict *v) {
  const char *as = json_string_value(json_object_get(cmd, "as"));
  troupe_wasm_instance *inst = target(r, json_string_value(json_object_get(cmd, "name")), v);
  if (!inst)
    return FAIL;
  if (!as)
    return say(v, FAIL, "register without an \"as\" name");
  troupe_err err = {0};
  char d[512];
  int rc = troupe_wasm_linker_define_instance(r->linker, as, inst, &err);
  if (rc)
    return say(v, FAIL, "define_instance(\"%s\") failed: %s", as, describe(rc, &err, d, sizeof d));
  return PASS;
}

/* assert_invalid and assert_malformed: decoding must fail. The line between malformed
 * and invalid is drawn differently by wast2json (which decides what becomes a binary
 * module) and by the spec, so either code passes; verbose mode notes the swap. */
static outcome do_assert_rejected(file_run *r, const json_t *cmd, int wanted, verdict *v) {
  const char *text = json_string_value(json_object_get(cmd, "text"));
  if (is_text_module(cmd))
    return text_module(r, v);
  troupe_err err = {0};
  troupe_wasm_module *mod;
  char d[512];
  int rc = load(r, cmd, &mod, &err);
  int other = wanted == TROUPE_E_INVALID ? TROUPE_E_MALFORMED : TROUPE_E_INVALID;
  if (rc == TROUPE_OK) {
    troupe_wasm_module_free(mod);
    return say(v, FAIL, "module loaded; expected %s (\"%s\")", troupe_err_name(wanted),
               text ? text : "");
  }
  if (rc == wanted)
    return say(v, PASS, "expected \"%s\", got %s", text ? text : "",
               describe(rc, &err, d, sizeof d));
  if (rc == other)
    return say(v, PASS, "note: accepted %s for \"%s\" (%s expected)",
               describe(rc, &err, d, sizeof d), text ? text : "", troupe_err_name(wanted));
  return say(v, FAIL, "expected %s (\"%s\"), got %s", troupe_err_name(wanted), text ? text : "",
             describe(rc, &err, d, sizeof d));
}

/* Does a trap carry the expected message? The spec's rule is a prefix match on the
 * message; a trap whose kind message is itself a prefix of the expected text (the
 * expected "uninitialized element 2" for kind "uninitialized element") also passes, with
 * a note, since the engine's messages are those of TROUPE_WASM_TRAP_LIST. */
static bool trap_matches(const troupe_wasm_trap *t, const char *text, char *note, size_t len) {
  note[0] = '\0';
  if (!text)
    return true;
  size_t n = strlen(text);
  if (strncmp(t->message, text, n) == 0)
    return true;
  const char *km = troupe_wasm_trap_kind_message(t->kind);
  size_t kn = km ? strlen(km) : 0;
  if (kn && t->kind != TROUPE_WASM_TRAP_NONE && strncmp(text, km, kn) == 0 &&
      (text[kn] == '\0' || text[kn] == ' ')) {
    snprintf(note, len, "note: accepted by trap kind \"%s\" (message \"%s\")", km, t->message);
    return true;
  }
  return false;
}

/* assert_unlinkable and assert_uninstantiable: decoding succeeds, instantiation fails
 * with the given code (and, for uninstantiable, a trap with the expected message). */
static outcome do_assert_unlinked(file_run *r, const json_t *cmd, int wanted, verdict *v) {
  const char *text = json_string_value(json_object_get(cmd, "text"));
  if (is_text_module(cmd))
    return text_module(r, v);
  troupe_err err = {0};
  troupe_wasm_module *mod;
  char d[512];
  int rc = load(r, cmd, &mod, &err);
  if (rc)
    return say(v, FAIL, "module failed to load (%s); expected it to load and fail to "
               "instantiate with %s (\"%s\")", describe(rc, &err, d, sizeof d),
               troupe_err_name(wanted), text ? text : "");
  troupe_wasm_instance *inst;
  troupe_wasm_trap trap;
  rc = instantiate(r, mod, &inst, &trap, &err);
  outcome out;
  char note[400];
  if (rc == TROUPE_OK) {
    troupe_wasm_instance_free(inst);
    out = say(v, FAIL, "module instantiated; expected %s (\"%s\")", troupe_err_name(wanted),
              text ? text : "");
  } else if (rc != wanted) {
    out = say(v, FAIL, "expected %s (\"%s\"), got %s", troupe_err_name(wanted), text ? text : "",
              describe(rc, &err, d, sizeof d));
  } else if (wanted == TROUPE_E_UNINSTANTIABLE && !trap_matches(&trap, text, note, sizeof note)) {
    out = say(v, FAIL, "expected trap \"%s\", got trap \"%s\" (kind %s)", text ? text : "",
              trap.message, troupe_wasm_trap_kind_message(trap.kind));
  } else {
    out = say(v, PASS, "expected \"%s\", got %s%s%s", text ? text : "",
              describe(rc, &err, d, sizeof d), note[0] && rc == TROUPE_E_UNINSTANTIABLE ? "; " : "",
              rc == TROUPE_E_UNINSTANTIABLE ? note : "");
  }
  troupe_wasm_module_free(mod);
  return out;
}

/* ---- actions --------------------------------------------------------------------------- */

typedef struct act {
  int rc; /* the engine's status; > 0 when the runner could not even make the call */
  troupe_wasm_val *results;
  size_t nresults;
  troupe_wasm_trap trap;
  troupe_err err;
} act;

#define ACT_RUNNER 1

static void act_free(act *a) {
  free(a->results);
  a->results = NULL;
}

/* Call an export. With --fuel N every call runs in slices of N fuel and is resumed after
 * each suspension until it finishes, which must not change any result: the whole suite
 * then tests suspend/resume. Without it the call has unlimited fuel. */
static int call_sliced(file_run *r, troupe_wasm_instance *inst, uint32_t export_index,
                       const troupe_wasm_val *args, size_t nargs, act *a) {
  troupe_wasm_call_opts opts = {.fuel = r->o->fuel_slice, .trap_on_fuel_out = false};
  int rc = troupe_wasm_call_at(inst, export_index, args, nargs, a->results, a->nresults,
                               r->o->fuel_slice ? &opts : NULL, &a->trap, &a->err);
  while (rc == TROUPE_E_SUSPENDED && r->o->fuel_slice &&
         troupe_wasm_instance_state(inst) == TROUPE_WASM_SUSPENDED_FUEL) {
    r->resumes++;
    rc = troupe_wasm_resume(inst, NULL, 0, a->results, a->nresults, &opts, &a->trap, &a->err);
  }
  if (rc == TROUPE_E_SUSPENDED) { /* a host wait: the spectest functions never ask one */
    troupe_wasm_abort(inst);
    troupe_err_set(&a->err, rc, "the call suspended (state %d) and was aborted",
                   (int)troupe_wasm_instance_state(inst));
  }
  return rc;
}

/* Run an action ({"type": "invoke"|"get", "module"?, "field", "args"?}). The field may
 * contain NUL bytes (names.wast has one), so it is looked up by its JSON length. */
static void run_action(file_run *r, const json_t *action, act *a, verdict *v) {
  memset(a, 0, sizeof *a);
  a->rc = ACT_RUNNER;
  const char *type = json_string_value(json_object_get(action, "type"));
  const char *field = json_string_value(json_object_get(action, "field"));
  troupe_wasm_instance *inst =
      target(r, json_string_value(json_object_get(action, "module")), v);
  if (!inst)
    return;
  if (!type || !field) {
    say(v, FAIL, "action without a type or field");
    return;
  }
  uint32_t index = UINT32_MAX;
  troupe_wasm_export_find(troupe_wasm_instance_module(inst), field,
                          json_string_length(json_object_get(action, "field")), &index);
  if (strcmp(type, "get") == 0) {
    if (!(a->results = calloc(1, sizeof *a->results))) {
      say(v, FAIL, "runner out of memory");
      return;
    }
    a->nresults = 1;
    a->rc = troupe_wasm_global_get_at(inst, index, a->results);
    if (a->rc)
      troupe_err_set(&a->err, a->rc, "global_get(\"%s\") failed", field);
    return;
  }
  if (strcmp(type, "invoke") != 0) {
    say(v, FAIL, "unknown action type '%s'", type);
    return;
  }
  const json_t *jargs = json_object_get(action, "args");
  size_t nargs = json_array_size(jargs);
  const troupe_wasm_functype *ft = troupe_wasm_export_functype_at(inst, index);
  if (!ft) {
    say(v, FAIL, "no exported function \"%s\"", field);
    return;
  }
  troupe_wasm_val *args = calloc(nargs ? nargs : 1, sizeof *args);
  a->results = calloc(ft->nresults ? ft->nresults : 1, sizeof *a->results);
  if (!args || !a->results) {
    free(args);
    say(v, FAIL, "runner out of memory");
    return;
  }
  for (size_t i = 0; i < nargs; i++)
    if (!spec_parse_arg(json_array_get(jargs, i), &args[i], v->msg, sizeof v->msg)) {
      free(args);
      return;
    }
  a->nresults = ft->nresults;
  a->rc = call_sliced(r, inst, index, args, nargs, a);
  a->trap.message[sizeof a->trap.message - 1] = '\0'; /* printed and compared below */
  free(args);
}

/* What a call that did not return normally came back with. */
static const char *act_failure(const act *a, char *buf, size_t len) {
  if (a->rc == TROUPE_E_TRAP)
    snprintf(buf, len, "trap \"%s\" (kind %s)", a->trap.message,
             troupe_wasm_trap_kind_message(a->trap.kind));
  else
    describe(a->rc, &a->err, buf, len);
  return buf;
}

static outcome do_action(file_run *r, const json_t *cmd, verdict *v) {
  act a;
  char d[512];
  run_action(r, json_object_get(cmd, "action"), &a, v);
  outcome out = PASS;
  if (a.rc == ACT_RUNNER)
    out = FAIL;
  else if (a.rc)
    out = say(v, FAIL, "expected success, got %s", act_failure(&a, d, sizeof d));
  act_free(&a);
  return out;
}

static outcome compare_results(const act *a, const json_t *expected, verdict *v) {
  size_t n = json_array_size(expected);
  if (n != a->nresults)
    return say(v, FAIL, "expected %zu results, the function returns %zu", n, a->nresults);
  for (size_t i = 0; i < n; i++) {
    spec_expect e;
    if (!spec_parse_expect(json_array_get(expected, i), &e, v->msg, sizeof v->msg))
      return FAIL;
    if (!spec_matches(&e, &a->results[i])) {
      char want[160], got[160];
      spec_format_expect(&e, want, sizeof want);
      spec_format_val(&a->results[i], got, sizeof got);
      return say(v, FAIL, "result %zu: expected %s, got %s", i, want, got);
    }
  }
  return PASS;
}

static outcome do_assert_return(file_run *r, const json_t *cmd, verdict *v) {
  act a;
  char d[512];
  run_action(r, json_object_get(cmd, "action"), &a, v);
  outcome out;
  if (a.rc == ACT_RUNNER)
    out = FAIL;
  else if (a.rc)
    out = say(v, FAIL, "expected results, got %s", act_failure(&a, d, sizeof d));
  else
    out = compare_results(&a, json_object_get(cmd, "expected"), v);
  act_free(&a);
  return out;
}

/* assert_trap and assert_exhaustion on an action. */
static outcome do_assert_trap(file_run *r, const json_t *cmd, verdict *v) {
  const char *text = json_string_value(json_object_get(cmd, "text"));
  act a;
  char d[512], note[400];
  run_action(r, json_object_get(cmd, "action"), &a, v);
  outcome out;
  if (a.rc == ACT_RUNNER)
    out = FAIL;
  else if (a.rc == TROUPE_OK)
    out = say(v, FAIL, "expected trap \"%s\", the call returned normally", text ? text : "");
  else if (a.rc != TROUPE_E_TRAP)
    out = say(v, FAIL, "expected trap \"%s\", got %s", text ? text : "",
              act_failure(&a, d, sizeof d));
  else if (!trap_matches(&a.trap, text, note, sizeof note))
    out = say(v, FAIL, "expected trap \"%s\", got %s", text ? text : "",
              act_failure(&a, d, sizeof d));
  else
    out = say(v, PASS, "%s", note);
  act_free(&a);
  return out;
}

/* ---- the file --------------------------------------------------------------------------- */

static outcome dispatch(file_run *r, const char *kind, const json_t *cmd, verdict *v) {
  if (strcmp(kind, "module") == 0)
    return do_module(r, cmd, v);
  if (strcmp(kind, "register") == 0)
    return do_register(r, cmd, v);
  if (strcmp(kind, "action") == 0)
    return do_action(r, cmd, v);
  if (strcmp(kind, "assert_return") == 0)
    return do_assert_return(r, cmd, v);
  if (strcmp(kind, "assert_trap") == 0 || strcmp(kind, "assert_exhaustion") == 0)
    return do_assert_trap(r, cmd, v);
  if (strcmp(kind, "assert_invalid") == 0)
    return do_assert_rejected(r, cmd, TROUPE_E_INVALID, v);
  if (strcmp(kind, "assert_malformed") == 0)
    return do_assert_rejected(r, cmd, TROUPE_E_MALFORMED, v);
  if (strcmp(kind, "assert_unlinkable") == 0)
    return do_assert_unlinked(r, cmd, TROUPE_E_UNLINKABLE, v);
  if (strcmp(kind, "assert_uninstantiable") == 0)
    return do_assert_unlinked(r, cmd, TROUPE_E_UNINSTANTIABLE, v);
  return say(v, FAIL, "unknown command kind");
}

static void run_commands(file_run *r, const json_t *cmds, volatile spec_counts *c) {
  const char *file_skip = spec_skip_file(r->o->skips, r->file);
  for (size_t i = 0; i < json_array_size(cmds); i++) {
    const json_t *cmd = json_array_get(cmds, i);
    const char *kind = json_string_value(json_object_get(cmd, "type"));
    json_int_t line = json_integer_value(json_object_get(cmd, "line"));
    r->line = c->line = line > 0 && line <= (json_int_t)UINT32_MAX ? (uint32_t)line : 0;
    if (!kind)
      kind = "(no type)";
    verdict v = {{0}};
    const char *skip = file_skip ? file_skip : spec_skip_command(r->o->skips, r->file, r->line);
    outcome out = skip ? say(&v, SKIP, "%s", skip) : dispatch(r, kind, cmd, &v);
    if (out == FAIL)
      printf("  %s:%u: %s: %s\n", r->file, r->line, kind, v.msg[0] ? v.msg : "failed");
    else if (r->o->verbose)
      printf("  %s:%u: %s: %s%s%s\n", r->file, r->line, kind, out == PASS ? "ok" : "skipped",
             v.msg[0] ? ": " : "", v.msg);
    if (out == PASS)
      c->passed++;
    else if (out == FAIL)
      c->failed++;
    else
      c->skipped++;
  }
}

static void file_run_free(file_run *r) {
  for (size_t i = r->nslots; i-- > 0;) {
    troupe_wasm_instance_free(r->slots[i].inst);
    troupe_wasm_module_free(r->slots[i].mod);
    free(r->slots[i].name);
  }
  free(r->slots);
  if (r->linker)
    troupe_wasm_linker_free(r->linker);
  free(r->dir);
}

int spec_run_file(const spec_opts *o, const char *wast_path, volatile spec_counts *c) {
  const char *base = strrchr(wast_path, '/');
  base = base ? base + 1 : wast_path;
  size_t stem_len = strlen(base);
  if (stem_len > 5 && strcmp(base + stem_len - 5, ".wast") == 0)
    stem_len -= 5;
  char stem[256], json_name[300];
  snprintf(stem, sizeof stem, "%.*s", (int)stem_len, base);
  snprintf(json_name, sizeof json_name, "%s.json", stem);

  file_run r = {.o = o, .file = base, .host.log = o->verbose ? stdout : NULL};
  json_t *root = NULL;
  char *json_path = NULL;
  int rc = -1;
  r.dir = join(o->work, stem);
  if (!r.dir || mkdir_p(r.dir) != 0) {
    printf("spec: cannot create the work folder %s/%s\n", o->work, stem);
    goto done;
  }
  if (!(json_path = join(r.dir, json_name)) || !convert(o, wast_path, json_path))
    goto done;
  json_error_t jerr;
  root = json_load_file(json_path, JSON_ALLOW_NUL, &jerr);
  const json_t *cmds = json_object_get(root, "commands");
  if (!json_is_array(cmds)) {
    printf("spec: %s: cannot read the converted JSON (%s)\n", json_path, jerr.text);
    goto done;
  }
  c->total = json_array_size(cmds);

  troupe_err err = {0};
  if (!(r.linker = troupe_wasm_linker_new())) {
    printf("spec: %s: troupe_wasm_linker_new failed\n", r.file);
    goto done;
  }
  if ((rc = spec_define_spectest(r.linker, &r.host, &err))) {
    /* Not fatal: the modules that import spectest fail on their own, the rest can run. */
    char d[512];
    printf("  %s: the spectest host module could not be defined: %s\n", r.file,
           describe(rc, &err, d, sizeof d));
  }
  run_commands(&r, cmds, c);
  if (o->fuel_slice && o->verbose)
    printf("  %s: calls in slices of %llu fuel were resumed %llu times\n", r.file,
           (unsigned long long)o->fuel_slice, (unsigned long long)r.resumes);
  rc = 0;
done:
  if (rc)
    c->setup_failed = true;
  json_decref(root);
  free(json_path);
  file_run_free(&r);
  return rc;
}
