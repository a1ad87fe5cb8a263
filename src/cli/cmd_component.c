/*
 * cli/cmd_component.c: `troupe component run`: start one component from a module file in
 * a throwaway host (troupe/component.h), perform the command line's actions in order --
 * invoke an export, send a message, ask -- printing results and replies as JSON text,
 * then stop it (its _cleanup runs) and exit. With no action (or --wait) it lets the
 * component run until it stops on its own or SIGINT/SIGTERM asks for an orderly stop.
 * The host's log becomes readable lines on stderr ("[echo] hello") or JSON lines in a
 * file (--log). Errors are one line naming the step, with the exit codes of TR_EXIT_*.
 */
#include "cli.h"

#include <troupe/codec.h>
#include <troupe/component.h>
#include <troupe/log.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char component_usage[] =
    "usage: troupe component run [options] FILE.wasm [action...]\n"
    "\n"
    "  run     start a component from FILE.wasm in a throwaway host, perform the\n"
    "          actions in order, stop it\n"
    "\n"
    "  troupe component run --help\n";

static const char run_usage[] =
    "usage: troupe component run [options] FILE.wasm [action...]\n"
    "\n"
    "Starts the component in FILE.wasm (see docs/ABI.md) in a host of its own, performs\n"
    "the actions in command-line order, then stops it (its _cleanup runs) and exits.\n"
    "Results and replies are printed on stdout, one line each: JSON as JSON text, CBOR\n"
    "transcoded to JSON, Borsh as hex; an empty result prints nothing. The first action\n"
    "that fails ends the run. With no action, the component runs until it stops on its\n"
    "own or SIGINT/SIGTERM stops it in order. Its log lines and WASI output go to stderr\n"
    "as \"[NAME] text\".\n"
    "\n"
    "Actions (repeatable; payloads are JSON text, sent with the JSON multicodec prefix;\n"
    "'' is an empty payload, and a JSON string needs its quotes: --send '\"hi\"'):\n"
    "  --invoke FN [--args JSON]  call the invocable export FN, print its result\n"
    "  --send JSON                send a message (the component's MESSAGE)\n"
    "  --ask JSON                 ask, print the reply (the component's ASK)\n"
    "  --tag N                    the tag of the --send and --ask after it (default 0)\n"
    "  --codec json|cbor          how the payloads after it are sent: as given (json,\n"
    "                             the default) or transcoded to CBOR\n"
    "  --wait                     after the actions, run on as with no action\n"
    "\n"
    "Options (anywhere):\n"
    "  --name NAME          the component's name (default: FILE's base name without\n"
    "                       .wasm, made a valid name)\n"
    "  --env NAME=VALUE     add to its WASI environment (repeatable)\n"
    "  --arg VALUE          add to its WASI arguments, after FILE.wasm (repeatable)\n"
    "  --max-memory PAGES   its linear memory limit in 64 KiB pages (default 256)\n"
    "  --fuel-per-message N trap a message or invocation that spends more fuel\n"
    "  --timeout MS         how long each action may take (default 5000)\n"
    "  --restart TYPE       after a crash: transient (default: restarted, unless it\n"
    "                       stopped normally), permanent (always), temporary (never)\n"
    "  --log FILE           the host's audit log as JSON lines into FILE ('-': stderr)\n"
    "                       instead of the readable lines\n"
    "  -v, --verbose        readable log: also starts, stops and debug lines\n"
    "  --json               one JSON object per action on stdout:\n"
    "                       {\"action\":\"invoke\",\"function\":F,\"ok\":true,\"result\":R},\n"
    "                       {\"action\":\"ask\",\"tag\":T,\"ok\":true,\"reply\":R}, {\"action\":\"send\",...};\n"
    "                       a failed one has \"ok\":false,\"error\":CODE,\"message\":TEXT\n"
    "\n"
    "A --send does not wait for the message to be handled; before the stop the command\n"
    "waits (up to --timeout) until the component has taken up every message it was sent.\n"
    "\n"
    "Exit status: 0 done (or stopped by SIGINT/SIGTERM while waiting); 1 the start\n"
    "failed (compile, link, instantiate) or an action failed (no such export, a guest\n"
    "error, a timeout); 2 bad command line; 3 a trap (in the start function, in an\n"
    "invoked export, or a crash while answering an ask or while waiting); 4 FILE.wasm\n"
    "unreadable or the --log file unwritable; 128+N interrupted by signal N during the\n"
    "actions. Errors are one line: \"troupe: component 'NAME': STEP: ...\".\n";

/* ---- the command line ------------------------------------------------------------------ */

typedef enum act_kind { ACT_INVOKE, ACT_SEND, ACT_ASK } act_kind;

typedef struct action {
  act_kind kind;
  const char *fn; /* ACT_INVOKE */
  uint32_t tag;   /* ACT_SEND, ACT_ASK */
  uint8_t *payload; /* JSON-prefixed, malloc'd; NULL when empty */
  size_t len;
  bool has_args;
} action;

typedef struct run_opts {
  const char *path, *name, *log_path;
  const char **env, **args; /* args[0] is the path */
  size_t nenv, nargs;
  action *acts;
  size_t nacts;
  troupe_component_limits limits;
  troupe_restart_type restart;
  uint64_t timeout_ms;
  bool json, verbose, wait;
} run_opts;

/* A decimal count in [min, max]. */
static bool parse_count(const char *s, uint64_t min, uint64_t max, uint64_t *out) {
  if (*s < '0' || *s > '9')
    return false;
  errno = 0;
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v < min || v > max)
    return false;
  *out = v;
  return true;
}

/* What the flags before an action say about it (--tag, --codec). */
typedef struct sticky {
  uint32_t tag;
  bool cbor;
} sticky;

/* The JSON text of an action as a prefixed payload, JSON or (--codec cbor) CBOR; ''
 * is no payload. */
static int encode_payload(const char *flag, const char *text, bool cbor, uint8_t **out,
                          size_t *len) {
  *out = NULL;
  *len = 0;
  if (!*text)
    return TR_EXIT_OK;
  troupe_err err;
  troupe_err_clear(&err);
  int rc;
  if (cbor) {
    uint8_t *item = NULL;
    size_t ilen = 0;
    rc = troupe_json_to_cbor(text, strlen(text), &item, &ilen, &err);
    if (rc == TROUPE_OK)
      rc = troupe_codec_encode_alloc(TROUPE_CODEC_CBOR, item, ilen, out, len, &err);
    free(item);
  } else {
    rc = troupe_codec_encode_alloc(TROUPE_CODEC_JSON, text, strlen(text), out, len, &err);
  }
  if (rc == TROUPE_E_NOMEM) {
    trL_error("out of memory");
    return TR_EXIT_FAIL;
  }
  if (rc) {
    trL_error("component run: %s wants JSON text (a string with its quotes: '\"hi\"'): %s",
              flag, troupe_err_message(&err));
    return TR_EXIT_USAGE;
  }
  return TR_EXIT_OK;
}

/* A component name ("echo", "shop.cart"): dot-separated tokens of [A-Za-z0-9_-]. */
static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

static bool valid_name(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 128 || s[0] == '.' || s[n - 1] == '.')
    return false;
  for (size_t i = 0; i < n; i++)
    if (!name_char(s[i]) && !(s[i] == '.' && s[i + 1] != '.'))
      return false;
  return true;
}

/* The default name: FILE's base name without .wasm (nor a store's @VERSION), with every
 * character a name cannot hold -- and a dot that would leave an empty token -- made '_'. */
static void name_from_path(const char *path, char *out, size_t cap) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  if (n > 5 && !strcmp(base + n - 5, ".wasm"))
    n -= 5;
  const char *at = memchr(base, '@', n);
  if (at && at > base)
    n = (size_t)(at - base);
  if (n > cap - 1)
    n = cap - 1;
  for (size_t i = 0; i < n; i++)
    out[i] = name_char(base[i]) || base[i] == '.' ? base[i] : '_';
  out[n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (out[i] == '.' && (i == 0 || i == n - 1 || out[i + 1] == '.'))
      out[i] = '_';
  if (n == 0)
    snprintf(out, cap, "component");
}

static bool parse_restart(const char *s, troupe_restart_type *out) {
  static const char *const names[] = {"permanent", "transient", "temporary"};
  static const troupe_restart_type types[] = {TROUPE_PERMANENT, TROUPE_TRANSIENT, TROUPE_TEMPORARY};
  for (size_t i = 0; i < 3; i++)
    if (!strcmp(s, names[i])) {
      *out = types[i];
      return true;
    }
  return false;
}

/* One argument that starts with '-': an option or an action. Returns TR_EXIT_OK, or the
 * usage status after printing why; *help when it was --help. */
static int parse_flag(int argc, char **argv, int *i, run_opts *o, sticky *sk, bool *help) {
  bool missing = false;
  const char *v;
  uint64_t n;
  const char *a = argv[*i];
  if (trL_is_help(a)) {
    *help = true;
    return TR_EXIT_OK;
  }
  if (!strcmp(a, "--json")) {
    o->json = true;
  } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
    o->verbose = true;
  } else if (!strcmp(a, "--wait")) {
    o->wait = true;
  } else if ((v = trL_opt_value(argc, argv, i, "--invoke", &missing))) {
    if (!*v) {
      trL_error("component run: --invoke wants an export's name");
      return TR_EXIT_USAGE;
    }
    o->acts[o->nacts++] = (action){.kind = ACT_INVOKE, .fn = v};
  } else if ((v = trL_opt_value(argc, argv, i, "--args", &missing))) {
    action *last = o->nacts ? &o->acts[o->nacts - 1] : NULL;
    if (!last || last->kind != ACT_INVOKE || last->has_args) {
      trL_error("component run: --args belongs right after an --invoke FN");
      return TR_EXIT_USAGE;
    }
    last->has_args = true;
    return encode_payload("--args", v, sk->cbor, &last->payload, &last->len);
  } else if ((v = trL_opt_value(argc, argv, i, "--send", &missing)) ||
             (v = trL_opt_value(argc, argv, i, "--ask", &missing))) {
    bool send = !strcmp(a, "--send") || !strncmp(a, "--send=", 7);
    action *act = &o->acts[o->nacts++];
    *act = (action){.kind = send ? ACT_SEND : ACT_ASK, .tag = sk->tag};
    return encode_payload(send ? "--send" : "--ask", v, sk->cbor, &act->payload, &act->len);
  } else if ((v = trL_opt_value(argc, argv, i, "--tag", &missing))) {
    if (!parse_count(v, 0, UINT32_MAX, &n)) {
      trL_error("component run: --tag wants an integer from 0 to 4294967295, not '%s'", v);
      return TR_EXIT_USAGE;
    }
    sk->tag = (uint32_t)n;
  } else if ((v = trL_opt_value(argc, argv, i, "--codec", &missing))) {
    if (strcmp(v, "json") && strcmp(v, "cbor")) {
      trL_error("component run: --codec wants json or cbor, not '%s'", v);
      return TR_EXIT_USAGE;
    }
    sk->cbor = !strcmp(v, "cbor");
  } else if ((v = trL_opt_value(argc, argv, i, "--name", &missing))) {
    if (!valid_name(v)) {
      trL_error("component run: --name '%s' is not a component name (dot-separated tokens "
                "of A-Z a-z 0-9 _ -, at most 128 bytes)",
                v);
      return TR_EXIT_USAGE;
    }
    o->name = v;
  } else if ((v = trL_opt_value(argc, argv, i, "--env", &missing))) {
    if (!strchr(v, '=') || v[0] == '=') {
      trL_error("component run: --env wants NAME=VALUE, not '%s'", v);
      return TR_EXIT_USAGE;
    }
    o->env[o->nenv++] = v;
  } else if ((v = trL_opt_value(argc, argv, i, "--arg", &missing))) {
    o->args[o->nargs++] = v;
  } else if ((v = trL_opt_value(argc, argv, i, "--max-memory", &missing))) {
    if (!parse_count(v, 1, 65536, &n)) {
      trL_error("component run: --max-memory wants a page count from 1 to 65536, not '%s'", v);
      return TR_EXIT_USAGE;
    }
    o->limits.max_memory_pages = (uint32_t)n;
  } else if ((v = trL_opt_value(argc, argv, i, "--fuel-per-message", &missing))) {
    if (!parse_count(v, 1, UINT64_MAX, &n)) {
      trL_error("component run: --fuel-per-message wants a positive integer, not '%s'", v);
      return TR_EXIT_USAGE;
    }
    o->limits.fuel_per_message = n;
  } else if ((v = trL_opt_value(argc, argv, i, "--timeout", &missing))) {
    if (!parse_count(v, 1, UINT64_C(1) << 40, &n)) {
      trL_error("component run: --timeout wants milliseconds (a positive integer), not '%s'", v);
      return TR_EXIT_USAGE;
    }
    o->timeout_ms = n;
  } else if ((v = trL_opt_value(argc, argv, i, "--restart", &missing))) {
    if (!parse_restart(v, &o->restart)) {
      trL_error("component run: --restart wants permanent, transient or temporary, not '%s'", v);
      return TR_EXIT_USAGE;
    }
  } else if ((v = trL_opt_value(argc, argv, i, "--log", &missing))) {
    o->log_path = v;
  } else {
    trL_error(missing ? "component run: %s needs a value"
                      : "component run: unknown option '%s' (try --help)",
              a);
    return TR_EXIT_USAGE;
  }
  return TR_EXIT_OK;
}

static int parse_run(int argc, char **argv, run_opts *o, bool *help) {
  sticky sk = {0};
  bool only_files = false;
  for (int i = 1; i < argc; i++) {
    if (!only_files && !strcmp(argv[i], "--")) {
      only_files = true;
      continue;
    }
    if (only_files || argv[i][0] != '-' || !argv[i][1]) {
      if (o->path) {
        trL_error("component run: one module at a time ('%s', then '%s')", o->path, argv[i]);
        return TR_EXIT_USAGE;
      }
      o->path = argv[i];
      continue;
    }
    int st = parse_flag(argc, argv, &i, o, &sk, help);
    if (st != TR_EXIT_OK || *help)
      return st;
  }
  if (!o->path) {
    trL_error("component run: no module given (try 'troupe component run --help')");
    return TR_EXIT_USAGE;
  }
  return TR_EXIT_OK;
}

/* ---- the host's log ---------------------------------------------------------------------- */

/* The host's records, as readable lines on stderr or JSON lines into a file; it also
 * keeps the last crash, for the exit status once the component is gone. Records come
 * from worker threads: the lock orders the lines and guards the crash. */
typedef struct sink {
  pthread_mutex_t lock;
  int fd;        /* where lines go: 2, or the --log file */
  bool json;     /* JSON lines, else readable */
  bool verbose;
  bool ready;    /* spawned: before, a stop is a failed start, which the error line says */
  bool crashed;  /* the last component_stopped was a crash */
  char crash[TROUPE_ERR_MSG_MAX];
} sink;

static const char *field_str(const troupe_log_record *rec, const char *key) {
  for (size_t i = 0; i < rec->nfields; i++)
    if (rec->fields[i].type == TROUPE_LF_STR && !strcmp(rec->fields[i].key, key))
      return rec->fields[i].v.s;
  return "";
}

static uint64_t field_uint(const troupe_log_record *rec, const char *key) {
  for (size_t i = 0; i < rec->nfields; i++)
    if (rec->fields[i].type == TROUPE_LF_UINT && !strcmp(rec->fields[i].key, key))
      return rec->fields[i].v.u;
  return 0;
}

static void sink_write(sink *s, const char *text, size_t len) {
  while (len) {
    ssize_t n = write(s->fd, text, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return; /* a log that cannot be written must not stop the component */
    text += n;
    len -= (size_t)n;
  }
}

/* "[name] text": the lines a person watching wants, the rest with --verbose. */
static void sink_readable(sink *s, const troupe_log_record *rec) {
  const char *name = field_str(rec, "name"), *ev = rec->event;
  char line[1024];
  int n = -1;
  if (!strcmp(ev, "component_output")) {
    n = snprintf(line, sizeof line, "[%s] %s\n", name, field_str(rec, "line"));
  } else if (!strcmp(ev, "component_log")) {
    if (rec->level == TROUPE_LOG_INFO)
      n = snprintf(line, sizeof line, "[%s] %s\n", name, field_str(rec, "message"));
    else
      n = snprintf(line, sizeof line, "[%s] %s: %s\n", name, troupe_log_level_name(rec->level),
                   field_str(rec, "message"));
  } else if (!strcmp(ev, "component_stopped")) {
    const char *reason = field_str(rec, "reason"), *msg = field_str(rec, "message");
    if ((rec->level >= TROUPE_LOG_WARN && s->ready) || s->verbose)
      n = snprintf(line, sizeof line, "[%s] stopped (%s)%s%s\n", name, reason, *msg ? ": " : "",
                   msg);
  } else if (!strcmp(ev, "component_started")) {
    uint64_t restarts = field_uint(rec, "restarts");
    if (restarts)
      n = snprintf(line, sizeof line, "[%s] restarted (restart %llu)\n", name,
                   (unsigned long long)restarts);
    else if (s->verbose)
      n = snprintf(line, sizeof line, "[%s] started (module sha256 %.16s...)\n", name,
                   field_str(rec, "module_sha256"));
  } else if (!strcmp(ev, "capability_denied")) {
    n = snprintf(line, sizeof line, "[%s] capability denied: %s '%s'\n", name,
                 field_str(rec, "action"), field_str(rec, "target"));
  } else if (!strcmp(ev, "component_cleanup_failed")) {
    n = snprintf(line, sizeof line, "[%s] _cleanup failed: %s\n", name, field_str(rec, "error"));
  } else if (rec->level >= TROUPE_LOG_WARN || s->verbose) {
    n = snprintf(line, sizeof line, "[%s] %s\n", *name ? name : "host", ev);
  }
  if (n < 0)
    return;
  if ((size_t)n >= sizeof line) { /* cut, but still one line */
    n = (int)sizeof line - 1;
    line[n - 1] = '\n';
  }
  sink_write(s, line, (size_t)n);
}

static void sink_json(sink *s, const troupe_log_record *rec) {
  char buf[2048];
  size_t n = troupe_log_format_json(rec, buf, sizeof buf);
  if (n < sizeof buf) {
    sink_write(s, buf, n);
    return;
  }
  char *big = malloc(n + 1);
  if (big && troupe_log_format_json(rec, big, n + 1) == n)
    sink_write(s, big, n);
  free(big);
}

static void sink_record(void *user, const troupe_log_record *rec) {
  sink *s = user;
  pthread_mutex_lock(&s->lock);
  if (!strcmp(rec->event, "component_stopped")) {
    const char *reason = field_str(rec, "reason");
    s->crashed = !strcmp(reason, "crash") || !strcmp(reason, "killed");
    if (s->crashed)
      snprintf(s->crash, sizeof s->crash, "%s", field_str(rec, "message"));
  }
  if (s->json)
    sink_json(s, rec);
  else
    sink_readable(s, rec);
  pthread_mutex_unlock(&s->lock);
}

/* trL_error while the host runs: one write under the sink's lock, so that a log line
 * from a worker cannot land inside the error line. */
static void run_error(sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_error(sink *s, const char *fmt, ...) {
  char line[TROUPE_ERR_MSG_MAX * 2 + 256];
  va_list ap;
  va_start(ap, fmt);
  int n = snprintf(line, sizeof line, "troupe: ");
  n += vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if ((size_t)n > sizeof line - 2)
    n = (int)sizeof line - 2;
  line[n++] = '\n';
  pthread_mutex_lock(&s->lock);
  ssize_t w = write(STDERR_FILENO, line, (size_t)n);
  pthread_mutex_unlock(&s->lock);
  (void)w; /* nowhere left to say that stderr failed */
}

/* ---- output --------------------------------------------------------------------------- */

/* Bytes of the UTF-8 sequence at s[0..n) (its structure only), 0 if it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n) {
  size_t k = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ? 3
             : s[0] >= 0xf0 && s[0] < 0xf5                 ? 4
                                                            : 0;
  if (k > n)
    return 0;
  for (size_t i = 1; i < k; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return k;
}

/* A JSON string of any bytes (a guest's message may hold anything): bad UTF-8 becomes
 * U+FFFD, so the line always parses. */
static void put_json_string(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text;
  putchar('"');
  for (size_t i = 0; i < n;) {
    size_t k = utf8_len(s + i, n - i);
    if (k == 0) {
      fputs("\\ufffd", stdout);
      i++;
    } else if (s[i] == '"' || s[i] == '\\') {
      printf("\\%c", s[i++]);
    } else if (s[i] == '\n') {
      fputs("\\n", stdout);
      i++;
    } else if (s[i] < 0x20 || s[i] == 0x7f) {
      printf("\\u%04x", s[i++]);
    } else {
      fwrite(s + i, 1, k, stdout);
      i += k;
    }
  }
  putchar('"');
}

static void put_hex(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x", p[i]);
}

/* A result or reply as one line's worth of JSON text (--json: as a JSON value). JSON
 * text is the component's own, with its line breaks made spaces (valid JSON has them
 * only between tokens); CBOR becomes JSON; Borsh, or CBOR with no JSON form, is hex. */
static void put_payload(const uint8_t *p, size_t n, bool json) {
  troupe_payload pl = {0};
  troupe_err err;
  if (n == 0) {
    if (json)
      fputs("null", stdout);
    return;
  }
  if (troupe_codec_split(p, n, &pl, &err) != TROUPE_OK)
    pl.codec = 0; /* not ours (the host checks results: should not happen): raw hex */
  else if (pl.codec == TROUPE_CODEC_JSON) {
    for (size_t i = 0; i < pl.len; i++)
      putchar(pl.data[i] == '\n' || pl.data[i] == '\r' ? ' ' : pl.data[i]);
    return;
  }
  char *text = NULL;
  size_t tlen;
  if (pl.codec == TROUPE_CODEC_CBOR &&
      troupe_cbor_to_json(pl.data, pl.len, 0, &text, &tlen, &err) == TROUPE_OK) {
    fwrite(text, 1, tlen, stdout);
    free(text);
    return;
  }
  const char *codec = troupe_codec_name(pl.codec);
  if (json) { /* a JSON object saying what the bytes are */
    printf("{\"%s_hex\":\"", codec ? codec : "bytes");
    put_hex(codec ? pl.data : p, codec ? pl.len : n);
    fputs("\"}", stdout);
  } else {
    put_hex(codec ? pl.data : p, codec ? pl.len : n);
  }
}

static const char *act_name(act_kind k) {
  return k == ACT_INVOKE ? "invoke" : k == ACT_SEND ? "send" : "ask";
}

/* --json: the object for one action, `out` its result or reply when it succeeded. */
static void put_action_json(const action *a, int rc, const char *msg, const uint8_t *out,
                            size_t out_len) {
  printf("{\"action\":\"%s\",", act_name(a->kind));
  if (a->kind == ACT_INVOKE) {
    fputs("\"function\":", stdout);
    put_json_string(a->fn, strlen(a->fn));
  } else {
    printf("\"tag\":%u", a->tag);
  }
  if (rc == TROUPE_OK) {
    fputs(",\"ok\":true", stdout);
    if (a->kind != ACT_SEND) {
      fputs(a->kind == ACT_INVOKE ? ",\"result\":" : ",\"reply\":", stdout);
      put_payload(out, out_len, true);
    }
  } else {
    const char *code = troupe_err_name(rc);
    if (!strncmp(code, "TROUPE_E_", 9))
      code += 9;
    printf(",\"ok\":false,\"error\":\"%s\",\"message\":", code);
    put_json_string(msg, strlen(msg));
  }
  fputs("}\n", stdout);
}

/* The host's message without its own "component N 'name': " lead (ours names it). */
static const char *detail(const char *msg, const char *name) {
  const char *p = msg;
  if (strncmp(p, "component ", 10))
    return msg;
  p += 10;
  while (*p >= '0' && *p <= '9')
    p++;
  if (*p == ' ')
    p++;
  size_t n = strlen(name);
  if (*p == '\'' && !strncmp(p + 1, name, n) && !strncmp(p + 1 + n, "': ", 3))
    return p + n + 4;
  return msg;
}

/* ---- running ---------------------------------------------------------------------------- */

typedef struct run_state {
  const run_opts *o;
  troupe_host *host;
  troupe_component_id id;
  const char *name;
  sink *log;
  sigset_t signals; /* SIGINT, SIGTERM: blocked, taken with sigtimedwait */
  uint64_t sent;    /* messages, asks and invocations handed to the component */
} run_state;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A pending SIGINT/SIGTERM, waiting up to ms for one; 0 when none came. */
static int take_signal(run_state *st, unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  for (;;) {
    int sig = sigtimedwait(&st->signals, NULL, &ts);
    if (sig > 0)
      return sig;
    if (errno != EINTR)
      return 0;
  }
}

/* Wait (up to --timeout) until the component is Ready: after a crash caused by a --send,
 * the next action finds its next incarnation instead of an error. */
static void wait_ready(run_state *st) {
  uint64_t end = now_ms() + st->o->timeout_ms;
  for (;;) {
    troupe_component_info info;
    if (troupe_host_info(st->host, st->id, &info, NULL))
      return;
    troupe_component_state s = info.state;
    troupe_component_info_clear(&info);
    if (s == TROUPE_COMPONENT_READY || s == TROUPE_COMPONENT_TERMINATED || now_ms() >= end)
      return;
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
}

/* The trap or crash behind a NOT_RUNNING answer, when the component's last exit was one. */
static int crash_behind(run_state *st, char *msg, size_t cap) {
  troupe_component_info info;
  if (troupe_host_info(st->host, st->id, &info, NULL))
    return TROUPE_E_NOT_RUNNING;
  int rc = TROUPE_E_NOT_RUNNING;
  if (info.last_exit.kind == TROUPE_EXIT_CRASH && info.last_exit.message) {
    rc = info.last_exit.code == TROUPE_E_TRAP ? TROUPE_E_TRAP : TROUPE_E_CRASHED;
    snprintf(msg, cap, "crashed before answering: %s%s", rc == TROUPE_E_TRAP ? "trap: " : "",
             info.last_exit.message);
  }
  troupe_component_info_clear(&info);
  return rc;
}

static int exit_status_of(int rc) { return rc == TROUPE_E_TRAP ? TR_EXIT_TRAP : TR_EXIT_FAIL; }

static int perform(run_state *st, const action *a) {
  troupe_err err;
  troupe_err_clear(&err);
  uint8_t *out = NULL;
  size_t out_len = 0;
  uint64_t timeout_ns = st->o->timeout_ms * UINT64_C(1000000);
  int rc;
  if (a->kind != ACT_SEND)
    wait_ready(st);
  switch (a->kind) {
  case ACT_INVOKE:
    rc = troupe_host_invoke(st->host, st->id, a->fn, a->payload, a->len, timeout_ns, &out,
                            &out_len, &err);
    break;
  case ACT_SEND:
    rc = troupe_host_send(st->host, st->id, a->tag, a->payload, a->len, &err);
    break;
  default:
    rc = troupe_host_ask(st->host, st->id, a->tag, a->payload, a->len, timeout_ns, &out,
                         &out_len, &err);
  }
  if (rc != TROUPE_E_NOT_READY && rc != TROUPE_E_NOTFOUND)
    st->sent++;
  char msg[TROUPE_ERR_MSG_MAX + 32];
  const char *d = detail(troupe_err_message(&err), st->name);
  size_t fl = a->kind == ACT_INVOKE ? strlen(a->fn) : 0;
  if (fl && !strncmp(d, a->fn, fl) && !strncmp(d + fl, ": ", 2))
    d += fl + 2; /* the host names the export too: once is enough */
  if ((unsigned char)d[0] == 0x80 && d[1] == 0x04)
    d += 2; /* a guest's error text as a JSON payload: its prefix is not text */
  if (!*d) /* a guest error without a message: its code says what */
    d = troupe_strerror(rc);
  snprintf(msg, sizeof msg, "%s%s", rc == TROUPE_E_TRAP ? "trap: " : "", d);
  if (rc == TROUPE_E_NOT_RUNNING)
    rc = crash_behind(st, msg, sizeof msg);
  for (char *p = msg; *p; p++) /* one line of text, whatever the guest wrote */
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  if (st->o->json)
    put_action_json(a, rc, msg, out, out_len);
  else if (rc == TROUPE_OK && out_len) {
    put_payload(out, out_len, false);
    putchar('\n');
  }
  fflush(stdout);
  free(out);
  if (rc == TROUPE_OK)
    return TR_EXIT_OK;
  if (a->kind == ACT_INVOKE)
    run_error(st->log, "component '%s': invoke %s: %s", st->name, a->fn, msg);
  else
    run_error(st->log, "component '%s': %s: %s", st->name, act_name(a->kind), msg);
  return exit_status_of(rc);
}

/* Before the stop: every message sent has been taken up (a --send does not wait). */
static void drain(run_state *st) {
  uint64_t end = now_ms() + st->o->timeout_ms;
  for (;;) {
    troupe_component_info info;
    if (troupe_host_info(st->host, st->id, &info, NULL))
      return;
    bool done = info.messages >= st->sent || info.state == TROUPE_COMPONENT_TERMINATED;
    troupe_component_info_clear(&info);
    if (done || now_ms() >= end)
      return;
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
}

/* No action, or --wait: run until the component is gone for good or a signal comes.
 * Returns the exit status. A permanent component is restarted even after a normal stop:
 * only the end of its record (the supervisor gave up, or it was temporary) ends it.
 * Whether its last crash was a trap is seen while the record lasts (info's exit code);
 * the crash's text comes from the log, which outlives the record. A record that went at
 * once (temporary) leaves only the text: a trap's says where, "(function N, offset 0xX)". */
static int wait_for_end(run_state *st, bool *stopped) {
  bool trap = false;
  for (;;) {
    if (take_signal(st, 50))
      return TR_EXIT_OK;
    troupe_component_info info;
    int rc = troupe_host_info(st->host, st->id, &info, NULL);
    if (rc == TROUPE_OK && info.last_exit.kind == TROUPE_EXIT_CRASH)
      trap = info.last_exit.code == TROUPE_E_TRAP;
    bool over = rc != TROUPE_OK || (info.state == TROUPE_COMPONENT_TERMINATED &&
                                    st->o->restart != TROUPE_PERMANENT);
    troupe_component_info_clear(&info);
    if (!over)
      continue;
    *stopped = rc != TROUPE_OK; /* on its own: nothing left to stop */
    pthread_mutex_lock(&st->log->lock);
    bool crashed = st->log->crashed;
    char why[TROUPE_ERR_MSG_MAX];
    snprintf(why, sizeof why, "%s", st->log->crash);
    pthread_mutex_unlock(&st->log->lock);
    if (!crashed)
      return TR_EXIT_OK;
    run_error(st->log, "component '%s': crashed: %s", st->name, why);
    return trap || strstr(why, " (function ") ? TR_EXIT_TRAP : TR_EXIT_FAIL;
  }
}

static int start(run_state *st, const uint8_t *bytes, size_t len) {
  const run_opts *o = st->o;
  troupe_component_spec spec = {
      .name = st->name, .module_bytes = bytes, .module_len = len, .limits = o->limits,
      .argc = o->nargs, .argv = o->args, .envc = o->nenv, .env = o->env, .restart = o->restart,
  };
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_host_spawn(st->host, &spec, &st->id, &err);
  if (rc == TROUPE_OK)
    return TR_EXIT_OK;
  run_error(st->log, "component '%s': %s", st->name, detail(troupe_err_message(&err), st->name));
  return exit_status_of(rc);
}

static int open_log(const run_opts *o, sink *s) {
  s->fd = STDERR_FILENO;
  s->json = o->log_path != NULL;
  s->verbose = o->verbose;
  if (!o->log_path || !strcmp(o->log_path, "-"))
    return TR_EXIT_OK;
  s->fd = open(o->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (s->fd < 0) {
    trL_error("cannot open log '%s': %s", o->log_path, strerror(errno));
    return TR_EXIT_IO;
  }
  return TR_EXIT_OK;
}

static int run_component(const run_opts *o) {
  char name[129];
  run_state st = {.o = o, .name = o->name};
  if (!st.name) {
    name_from_path(o->path, name, sizeof name);
    st.name = name;
  }
  size_t len;
  uint8_t *bytes = trL_read_file(o->path, &len);
  if (!bytes)
    return TR_EXIT_IO;
  sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
  troupe_logger *lg = NULL;
  int status = open_log(o, &s);
  if (status != TR_EXIT_OK)
    goto out;
  lg = troupe_logger_callback(sink_record, &s,
                              s.json || o->verbose ? TROUPE_LOG_DEBUG : TROUPE_LOG_INFO);
  status = TR_EXIT_FAIL;
  if (!lg) {
    trL_error("out of memory");
    goto out;
  }
  /* Blocked before the host's threads exist, so they inherit the mask and a signal
   * waits for this thread to take it (between actions, or while waiting). */
  sigemptyset(&st.signals);
  sigaddset(&st.signals, SIGINT);
  sigaddset(&st.signals, SIGTERM);
  sigset_t old;
  pthread_sigmask(SIG_BLOCK, &st.signals, &old);
  troupe_host_config cfg;
  troupe_host_config_init(&cfg);
  cfg.log = lg;
  troupe_err err;
  troupe_err_clear(&err);
  if (troupe_host_new(&cfg, &st.host, &err)) {
    trL_error("cannot start a host: %s", troupe_err_message(&err));
    goto unblock;
  }
  st.log = &s;
  status = start(&st, bytes, len);
  pthread_mutex_lock(&s.lock);
  s.ready = status == TR_EXIT_OK;
  pthread_mutex_unlock(&s.lock);
  free(bytes);
  bytes = NULL;
  bool stopped = false;
  int sig = 0;
  for (size_t i = 0; status == TR_EXIT_OK && i < o->nacts; i++) {
    if ((sig = take_signal(&st, 0)))
      break;
    status = perform(&st, &o->acts[i]);
  }
  if (sig) {
    run_error(&s, "component '%s': interrupted by %s", st.name,
              sig == SIGINT ? "SIGINT" : "SIGTERM");
    status = 128 + sig;
  } else if (status == TR_EXIT_OK && (o->wait || o->nacts == 0))
    status = wait_for_end(&st, &stopped);
  else if (status == TR_EXIT_OK)
    drain(&st);
  if (st.id && !stopped)
    troupe_host_stop(st.host, st.id, NULL); /* gone already (temporary, crashed): fine */
  troupe_host_free(st.host);
unblock:
  pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
  troupe_logger_free(lg);
  if (s.fd > STDERR_FILENO)
    close(s.fd);
  free(bytes);
  return status;
}

static int cmd_run(int argc, char **argv) {
  run_opts o = {.restart = TROUPE_TRANSIENT, .timeout_ms = 5000};
  size_t cap = (size_t)argc + 1;
  o.env = calloc(cap, sizeof *o.env);
  o.args = calloc(cap, sizeof *o.args);
  o.acts = calloc(cap, sizeof *o.acts);
  int status = TR_EXIT_FAIL;
  bool help = false;
  if (!o.env || !o.args || !o.acts) {
    trL_error("out of memory");
    goto out;
  }
  o.nargs = 1; /* args[0]: the path, once known */
  status = parse_run(argc, argv, &o, &help);
  if (help) {
    fputs(run_usage, stdout);
    status = TR_EXIT_OK;
  } else if (status == TR_EXIT_OK) {
    o.args[0] = o.path;
    status = run_component(&o);
  }
out:
  for (size_t i = 0; o.acts && i < o.nacts; i++)
    free(o.acts[i].payload);
  free(o.acts);
  free(o.args);
  free(o.env);
  return status;
}

int trL_cmd_component(int argc, char **argv) {
  if (argc < 2) {
    fputs(component_usage, stderr);
    return TR_EXIT_USAGE;
  }
  if (trL_is_help(argv[1])) {
    fputs(component_usage, stdout);
    return TR_EXIT_OK;
  }
  if (!strcmp(argv[1], "run"))
    return cmd_run(argc - 1, argv + 1);
  trL_error("component: unknown subcommand '%s' (try 'troupe component --help')", argv[1]);
  return TR_EXIT_USAGE;
}
