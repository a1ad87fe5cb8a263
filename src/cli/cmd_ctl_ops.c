/*
 * cli/cmd_ctl_ops.c: the control commands that act on a running node's components:
 * `troupe send / ask / invoke / spawn / stop / restart`. Each builds one request of
 * docs/CONTROL.md from its command line, and prints what came back: a reply or result
 * as JSON text (its --json: the whole response), nothing for send/stop/restart.
 */
#include "cmd_ctl.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT_MS 5000u

/* JSON text from the command line as a value ('' is no payload: NULL, true). */
static bool parse_json_arg(const char *op, const char *what, const char *text, json_t **out) {
  *out = NULL;
  if (!*text)
    return true;
  json_error_t e;
  *out = json_loads(text, JSON_DECODE_ANY, &e);
  if (*out)
    return true;
  trL_error("%s: %s is not JSON: %s (a JSON string needs its quotes: '\"hi\"')", op, what, e.text);
  return false;
}

/* The reply/result of a response, printed as JSON text (or hex for other codecs). */
static void print_payload(const json_t *resp, const char *key) {
  json_t *v = json_object_get(resp, key);
  char hk[32];
  snprintf(hk, sizeof hk, "%s_hex", key);
  if (v)
    trL_ctl_print_json(v);
  else if (json_is_string(json_object_get(resp, hk)))
    printf("%s\n", json_string_value(json_object_get(resp, hk)));
}

static int finish(trL_ctl *o, json_t *req, uint32_t timeout_ms, const char *print_key) {
  json_t *resp;
  int status = trL_ctl_request(o, req, timeout_ms, &resp);
  if (status == TR_EXIT_OK) {
    if (o->json) {
      json_object_del(resp, "ok");
      trL_ctl_print_json(resp);
    } else if (print_key) {
      print_payload(resp, print_key);
    }
    json_decref(resp);
  }
  trL_ctl_close(o);
  return status;
}

/* ---- send / ask / invoke -------------------------------------------------------------- */

static const char send_usage[] =
    "usage: troupe send NAME JSON [TAG] [--tag N] [--codec json|cbor] [--node NAME]\n"
    "\n"
    "Sends component NAME a message (its handle-message sees MESSAGE) with the payload\n"
    "JSON (JSON text; '' for none; a JSON string needs its quotes: '\"hi\"'), sent as JSON\n"
    "or transcoded to CBOR (--codec cbor), with tag TAG (default 0). Does not wait for\n"
    "the message to be handled.\n"
    "\n" TRL_CTL_COMMON_HELP;

static const char ask_usage[] =
    "usage: troupe ask NAME JSON [--timeout MS] [--tag N] [--codec json|cbor] [--node NAME]\n"
    "\n"
    "Asks component NAME (its handle-message sees ASK) with the payload JSON and prints\n"
    "the reply as JSON text (CBOR replies transcoded, others as hex). --timeout: how\n"
    "long the node waits for the reply (default 5000 ms).\n"
    "\n" TRL_CTL_COMMON_HELP;

static const char invoke_usage[] =
    "usage: troupe invoke NAME FN [--args JSON] [--timeout MS] [--codec json|cbor]\n"
    "                     [--node NAME]\n"
    "\n"
    "Calls the invocable export FN of component NAME with the arguments JSON (default:\n"
    "none) and prints its result as JSON text. --timeout: default 5000 ms.\n"
    "\n" TRL_CTL_COMMON_HELP;

typedef enum msg_kind { K_SEND, K_ASK, K_INVOKE } msg_kind;

static int cmd_message(int argc, char **argv, msg_kind kind) {
  static const char *const names[] = {"send", "ask", "invoke"};
  const char *usage = kind == K_SEND ? send_usage : kind == K_ASK ? ask_usage : invoke_usage;
  trL_ctl o = {.op = names[kind]};
  const char *pos[3] = {0};
  int npos = 0, maxpos = kind == K_SEND ? 3 : 2;
  const char *args = NULL, *codec = NULL;
  uint64_t timeout = DEFAULT_TIMEOUT_MS, tag = 0;
  bool has_tag = false;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    bool missing = false;
    const char *v;
    if (kind != K_SEND && (v = trL_opt_value(argc, argv, &i, "--timeout", &missing))) {
      if (!trL_ctl_count("--timeout", v, 3600000, &timeout))
        return TR_EXIT_USAGE;
    } else if (!missing && kind != K_INVOKE && (v = trL_opt_value(argc, argv, &i, "--tag", &missing))) {
      if (!trL_ctl_count("--tag", v, UINT32_MAX, &tag))
        return TR_EXIT_USAGE;
      has_tag = true;
    } else if (!missing && kind == K_INVOKE && (v = trL_opt_value(argc, argv, &i, "--args", &missing))) {
      args = v;
    } else if (!missing && (v = trL_opt_value(argc, argv, &i, "--codec", &missing))) {
      if (strcmp(v, "json") && strcmp(v, "cbor")) {
        trL_error("%s: --codec is json or cbor, not '%s'", o.op, v);
        return TR_EXIT_USAGE;
      }
      codec = v;
    } else if (missing) {
      trL_error("%s: %s needs a value", o.op, argv[i]);
      return TR_EXIT_USAGE;
    } else if ((argv[i][0] == '-' && argv[i][1] && npos < 1) || npos == maxpos ||
               (argv[i][0] == '-' && argv[i][1] == '-')) {
      trL_error("%s: unexpected '%s' (try 'troupe %s --help')", o.op, argv[i], o.op);
      return TR_EXIT_USAGE;
    } else {
      pos[npos++] = argv[i]; /* JSON may start with '-' (a negative number) */
    }
  }
  if (npos < 2) {
    trL_error("%s: missing %s (try 'troupe %s --help')", o.op,
              npos == 0 ? "NAME" : kind == K_INVOKE ? "FN" : "JSON", o.op);
    return TR_EXIT_USAGE;
  }
  if (kind == K_SEND && pos[2]) {
    if (has_tag) {
      trL_error("send: the tag given twice");
      return TR_EXIT_USAGE;
    }
    if (!trL_ctl_count("TAG", pos[2], UINT32_MAX, &tag))
      return TR_EXIT_USAGE;
  }
  json_t *payload = NULL;
  const char *text = kind == K_INVOKE ? (args ? args : "") : pos[1];
  if (!parse_json_arg(o.op, kind == K_INVOKE ? "--args" : "JSON", text, &payload))
    return TR_EXIT_USAGE;
  json_t *req = trL_ctl_req(o.op);
  json_object_set_new(req, "name", json_string(pos[0]));
  if (payload)
    json_object_set_new(req, kind == K_INVOKE ? "args" : "payload", payload);
  if (kind == K_INVOKE)
    json_object_set_new(req, "fn", json_string(pos[1]));
  else
    json_object_set_new(req, "tag", json_integer((json_int_t)tag));
  if (kind != K_SEND)
    json_object_set_new(req, "timeout_ms", json_integer((json_int_t)timeout));
  if (codec)
    json_object_set_new(req, "codec", json_string(codec));
  uint32_t wait = kind == K_SEND ? 30000 : (uint32_t)timeout + 30000;
  return finish(&o, req, wait, kind == K_SEND ? NULL : kind == K_ASK ? "reply" : "result");
}

int trL_cmd_send(int argc, char **argv) { return cmd_message(argc, argv, K_SEND); }
int trL_cmd_ask(int argc, char **argv) { return cmd_message(argc, argv, K_ASK); }
int trL_cmd_invoke(int argc, char **argv) { return cmd_message(argc, argv, K_INVOKE); }

/* ---- stop / restart ------------------------------------------------------------------- */

static const char stop_usage[] =
    "usage: troupe stop NAME [--node NAME]\n"
    "\n"
    "Stops component NAME for good (its _cleanup runs) and removes it from the node.\n"
    "\n" TRL_CTL_COMMON_HELP;

static const char restart_usage[] =
    "usage: troupe restart NAME [--node NAME]\n"
    "\n"
    "Stops component NAME and starts a fresh instance (same id, name and queued\n"
    "messages).\n"
    "\n" TRL_CTL_COMMON_HELP;

static int cmd_lifecycle(int argc, char **argv, const char *op, const char *usage) {
  trL_ctl o = {.op = op};
  const char *name = NULL;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    if (argv[i][0] == '-' || name) {
      trL_error("%s: unexpected '%s' (try 'troupe %s --help')", op, argv[i], op);
      return TR_EXIT_USAGE;
    }
    name = argv[i];
  }
  if (!name) {
    trL_error("%s: missing NAME (try 'troupe %s --help')", op, op);
    return TR_EXIT_USAGE;
  }
  json_t *req = trL_ctl_req(op);
  json_object_set_new(req, "name", json_string(name));
  return finish(&o, req, 120000, NULL);
}

int trL_cmd_stop(int argc, char **argv) { return cmd_lifecycle(argc, argv, "stop", stop_usage); }
int trL_cmd_restart(int argc, char **argv) {
  return cmd_lifecycle(argc, argv, "restart", restart_usage);
}

/* ---- spawn ---------------------------------------------------------------------------- */

static const char spawn_usage[] =
    "usage: troupe spawn NAME MODULE [options] [--node NAME]\n"
    "\n"
    "Starts a component called NAME in the running node and waits until it is Ready\n"
    "(or prints why its start failed). MODULE is a reference into the node's store\n"
    "(NAME, NAME@VERSION, sha256:HEX) or, when it names an existing file (a path with a\n"
    "'/' or ending in .wasm), a module file, which the node reads.\n"
    "\n"
    "Options:\n"
    "  --max-memory PAGES        linear memory limit, 64 KiB pages (default 256)\n"
    "  --fuel-per-message N      trap a message or invocation spending more fuel\n"
    "  --mailbox-bound N         queued messages at most (default unbounded)\n"
    "  --max-message-bytes N     largest payload (default 1 MiB)\n"
    "  --start-timeout MS        (default 5000)\n"
    "  --restart TYPE            permanent (default), transient or temporary\n"
    "  --shutdown MS             time for its stop before it is killed (default 5000)\n"
    "  --health-interval MS      poll _health this often (default never)\n"
    "  --health-threshold N      unhealthy answers in a row that restart it (default 3)\n"
    "  --send-to PATTERN         capabilities (repeatable; NATS-style patterns):\n"
    "  --accept-from PATTERN       names it may send to / hear from,\n"
    "  --publish PATTERN           subjects it may publish on / subscribe to,\n"
    "  --subscribe PATTERN         module references it may spawn\n"
    "  --spawn PATTERN\n"
    "  --arg VALUE               a WASI argument (repeatable; argv[0] is NAME)\n"
    "  --env NAME=VALUE          a WASI environment variable (repeatable)\n"
    "\n" TRL_CTL_COMMON_HELP;

static bool looks_like_file(const char *m) {
  size_t n = strlen(m);
  return (strchr(m, '/') || (n > 5 && !strcmp(m + n - 5, ".wasm"))) && access(m, F_OK) == 0;
}

static void push(json_t *obj, const char *key, const char *v) {
  json_t *a = json_object_get(obj, key);
  if (!a) {
    a = json_array();
    json_object_set_new(obj, key, a);
  }
  json_array_append_new(a, json_string(v));
}

int trL_cmd_spawn(int argc, char **argv) {
  trL_ctl o = {.op = "spawn"};
  static const struct {
    const char *flag, *key;
    uint64_t max;
  } limits[] = {{"--max-memory", "max_memory_pages", 65536},
                {"--fuel-per-message", "fuel_per_message", INT64_MAX},
                {"--mailbox-bound", "mailbox_bound", UINT32_MAX},
                {"--max-message-bytes", "max_message_bytes", UINT32_MAX},
                {"--start-timeout", "start_timeout_ms", UINT32_MAX}},
    top[] = {{"--shutdown", "shutdown_ms", UINT32_MAX},
             {"--health-interval", "health_interval_ms", UINT32_MAX},
             {"--health-threshold", "health_threshold", UINT32_MAX}};
  static const char *const capflags[] = {"--send-to", "--accept-from", "--publish",
                                         "--subscribe", "--spawn"};
  static const char *const capkeys[] = {"send_to", "accept_from", "publish", "subscribe",
                                        "spawn"};
  json_t *req = trL_ctl_req("spawn"), *lim = json_object(), *caps = json_object(),
         *argvs = json_array();
  const char *pos[2] = {0};
  int npos = 0, status = TR_EXIT_USAGE;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(spawn_usage, stdout);
      status = TR_EXIT_OK;
      goto out;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      goto out;
    if (t)
      continue;
    bool missing = false, taken = false;
    const char *v;
    for (size_t k = 0; !taken && !missing && k < sizeof limits / sizeof limits[0]; k++)
      if ((v = trL_opt_value(argc, argv, &i, limits[k].flag, &missing))) {
        uint64_t n;
        if (!trL_ctl_count(limits[k].flag, v, limits[k].max, &n))
          goto out;
        json_object_set_new(lim, limits[k].key, json_integer((json_int_t)n));
        taken = true;
      }
    for (size_t k = 0; !taken && !missing && k < sizeof top / sizeof top[0]; k++)
      if ((v = trL_opt_value(argc, argv, &i, top[k].flag, &missing))) {
        uint64_t n;
        if (!trL_ctl_count(top[k].flag, v, top[k].max, &n))
          goto out;
        json_object_set_new(req, top[k].key, json_integer((json_int_t)n));
        taken = true;
      }
    for (size_t k = 0; !taken && !missing && k < 5; k++)
      if ((v = trL_opt_value(argc, argv, &i, capflags[k], &missing))) {
        push(caps, capkeys[k], v);
        taken = true;
      }
    if (!taken && !missing && (v = trL_opt_value(argc, argv, &i, "--restart", &missing))) {
      if (strcmp(v, "permanent") && strcmp(v, "transient") && strcmp(v, "temporary")) {
        trL_error("spawn: --restart is permanent, transient or temporary, not '%s'", v);
        goto out;
      }
      json_object_set_new(req, "restart", json_string(v));
      taken = true;
    }
    if (!taken && !missing && (v = trL_opt_value(argc, argv, &i, "--arg", &missing))) {
      json_array_append_new(argvs, json_string(v));
      taken = true;
    }
    if (!taken && !missing && (v = trL_opt_value(argc, argv, &i, "--env", &missing))) {
      if (!strchr(v, '=')) {
        trL_error("spawn: --env wants NAME=VALUE, not '%s'", v);
        goto out;
      }
      push(req, "env", v);
      taken = true;
    }
    if (missing) {
      trL_error("spawn: %s needs a value", argv[i]);
      goto out;
    }
    if (taken)
      continue;
    if (argv[i][0] == '-' || npos == 2) {
      trL_error("spawn: unexpected '%s' (try 'troupe spawn --help')", argv[i]);
      goto out;
    }
    pos[npos++] = argv[i];
  }
  if (npos < 2) {
    trL_error("spawn: missing %s (try 'troupe spawn --help')", npos ? "MODULE" : "NAME");
    goto out;
  }
  json_object_set_new(req, "name", json_string(pos[0]));
  if (looks_like_file(pos[1])) {
    char *abs = realpath(pos[1], NULL); /* the node's working directory is not ours */
    if (!abs) {
      trL_error("spawn: cannot resolve '%s'", pos[1]);
      status = TR_EXIT_IO;
      goto out;
    }
    json_object_set_new(req, "path", json_string(abs));
    free(abs);
  } else {
    json_object_set_new(req, "module", json_string(pos[1]));
  }
  if (json_array_size(argvs)) {
    json_array_insert_new(argvs, 0, json_string(pos[0]));
    json_object_set(req, "argv", argvs);
  }
  if (json_object_size(lim))
    json_object_set(req, "limits", lim);
  if (json_object_size(caps))
    json_object_set(req, "caps", caps);
  json_t *resp;
  status = trL_ctl_request(&o, req, 120000, &resp);
  req = NULL;
  if (status == TR_EXIT_OK) {
    if (o.json) {
      json_object_del(resp, "ok");
      trL_ctl_print_json(resp);
    } else {
      printf("spawned %s (id %" PRIu64 ") on node %s\n", pos[0],
             (uint64_t)json_integer_value(json_object_get(resp, "id")),
             troupe_ctl_client_node(o.c));
    }
    json_decref(resp);
  }
out:
  json_decref(req);
  json_decref(lim);
  json_decref(caps);
  json_decref(argvs);
  trL_ctl_close(&o);
  return status;
}

/* ---- upgrade ---------------------------------------------------------------------------- */

static const char upgrade_usage[] =
    "usage: troupe upgrade NAME MODULE [--timeout MS] [--node NAME]\n"
    "\n"
    "Hot-upgrades component NAME to MODULE -- a .wasm file (a path that exists, read by\n"
    "the node) or a store reference (NAME, NAME@VERSION, sha256:HEX): the new instance\n"
    "keeps its id, name and mailbox, no message is lost, and the state carries over when\n"
    "both modules export _state_save/_state_load (docs/ABI.md). If the new module cannot\n"
    "start, the old one keeps running and the command fails with the reason. Prints the\n"
    "new module's SHA-256. --timeout MS: how long to wait (default: the component's\n"
    "start + cleanup timeouts + 5 s).\n"
    "\n" TRL_CTL_COMMON_HELP;

int trL_cmd_upgrade(int argc, char **argv) {
  trL_ctl o = {.op = "upgrade"};
  const char *pos[2] = {NULL, NULL};
  const char *timeout = NULL;
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    bool missing = false;
    const char *v;
    if (trL_is_help(argv[i])) {
      fputs(upgrade_usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    if ((v = trL_opt_value(argc, argv, &i, "--timeout", &missing)) || missing) {
      if (missing) {
        trL_error("upgrade: --timeout needs a value");
        return TR_EXIT_USAGE;
      }
      timeout = v;
      continue;
    }
    if (argv[i][0] == '-' || npos == 2) {
      trL_error("upgrade: unexpected '%s' (try 'troupe upgrade --help')", argv[i]);
      return TR_EXIT_USAGE;
    }
    pos[npos++] = argv[i];
  }
  if (npos < 2) {
    trL_error("upgrade: missing %s (try 'troupe upgrade --help')", npos ? "MODULE" : "NAME");
    return TR_EXIT_USAGE;
  }
  char *end = NULL;
  unsigned long ms = timeout ? strtoul(timeout, &end, 10) : 0;
  if (timeout && (*end || !*timeout || ms > 3600000)) {
    trL_error("upgrade: --timeout wants milliseconds (at most 3600000), not '%s'", timeout);
    return TR_EXIT_USAGE;
  }
  json_t *req = trL_ctl_req("upgrade");
  json_object_set_new(req, "name", json_string(pos[0]));
  if (looks_like_file(pos[1])) {
    char *abs = realpath(pos[1], NULL); /* the node's working directory is not ours */
    if (!abs) {
      json_decref(req);
      trL_error("upgrade: cannot resolve '%s'", pos[1]);
      return TR_EXIT_IO;
    }
    json_object_set_new(req, "path", json_string(abs));
    free(abs);
  } else {
    json_object_set_new(req, "module", json_string(pos[1]));
  }
  if (ms)
    json_object_set_new(req, "timeout_ms", json_integer((json_int_t)ms));
  /* the node answers within its own timeout; the client waits a little longer */
  uint32_t wait = ms ? (uint32_t)ms + 5000 : 3600000;
  json_t *resp;
  int status = trL_ctl_request(&o, req, wait, &resp);
  if (status == TR_EXIT_OK) {
    if (o.json) {
      json_object_del(resp, "ok");
      trL_ctl_print_json(resp);
    } else {
      const char *sha = json_string_value(json_object_get(resp, "sha256"));
      printf("%s upgraded: sha256:%s\n", pos[0], sha ? sha : "?");
    }
    json_decref(resp);
  }
  trL_ctl_close(&o);
  return status;
}
