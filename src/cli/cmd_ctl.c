/*
 * cli/cmd_ctl.c: the control commands' common part (finding the node, one request,
 * errors as one line and an exit status) and the two that only look: `troupe ps` (a
 * table of the node's components) and `troupe info NAME` (everything about one). They
 * speak the protocol of docs/CONTROL.md through troupe/control.h's client.
 */
#include "cmd_ctl.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

int trL_ctl_common_opt(trL_ctl *o, int argc, char **argv, int *i) {
  bool missing = false;
  const char *v;
  if (!strcmp(argv[*i], "--json")) {
    o->json = true;
    return 1;
  }
  if ((v = trL_opt_value(argc, argv, i, "--node", &missing))) {
    o->node = v;
    return 1;
  }
  if (!missing && (v = trL_opt_value(argc, argv, i, "--control-dir", &missing))) {
    o->dir = v;
    return 1;
  }
  if (missing) {
    trL_error("%s: %s needs a value", o->op, argv[*i]);
    return -1;
  }
  return 0;
}

int trL_ctl_open(trL_ctl *o) {
  if (o->c)
    return TR_EXIT_OK;
  troupe_err err;
  troupe_err_clear(&err);
  int rc = troupe_ctl_connect(o->dir, o->node, &o->c, &err);
  if (rc == TROUPE_OK)
    return TR_EXIT_OK;
  trL_error("%s: %s", o->op, troupe_err_message(&err));
  return rc == TROUPE_E_IO ? TR_EXIT_IO : TR_EXIT_FAIL;
}

json_t *trL_ctl_req(const char *op) {
  json_t *r = json_object();
  if (r) {
    json_object_set_new(r, "v", json_integer(TROUPE_CTL_PROTOCOL));
    json_object_set_new(r, "op", json_string(op));
  }
  return r;
}

int trL_ctl_request(trL_ctl *o, json_t *req, uint32_t timeout_ms, json_t **resp) {
  *resp = NULL;
  int status = trL_ctl_open(o);
  char *text = status == TR_EXIT_OK && req ? json_dumps(req, JSON_COMPACT) : NULL;
  json_decref(req);
  if (status != TR_EXIT_OK)
    return status;
  if (!text) {
    trL_error("%s: out of memory", o->op);
    return TR_EXIT_FAIL;
  }
  troupe_err err;
  troupe_err_clear(&err);
  char *line = NULL;
  int rc = troupe_ctl_call(o->c, text, &line, timeout_ms, &err);
  free(text);
  if (rc) {
    trL_error("%s: %s", o->op, troupe_err_message(&err));
    return rc == TROUPE_E_TIMEOUT ? TR_EXIT_FAIL : TR_EXIT_IO;
  }
  json_error_t jerr;
  json_t *r = json_loads(line, 0, &jerr);
  free(line);
  if (!json_is_object(r)) {
    json_decref(r);
    trL_error("%s: node '%s' answered something that is not a response", o->op,
              troupe_ctl_client_node(o->c));
    return TR_EXIT_IO;
  }
  if (json_is_true(json_object_get(r, "ok"))) {
    *resp = r;
    return TR_EXIT_OK;
  }
  const char *name = json_string_value(json_object_get(r, "error"));
  const char *msg = json_string_value(json_object_get(r, "message"));
  trL_error("%s: %s (%s)", o->op, msg && *msg ? msg : "failed", name ? name : "ERROR");
  status = name && !strcmp(name, "TRAP") ? TR_EXIT_TRAP : TR_EXIT_FAIL;
  json_decref(r);
  return status;
}

void trL_ctl_close(trL_ctl *o) {
  troupe_ctl_close(o->c);
  o->c = NULL;
}

void trL_ctl_print_json(const json_t *v) {
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (t) {
    puts(t);
    free(t);
  }
}

bool trL_ctl_count(const char *flag, const char *v, uint64_t max, uint64_t *out) {
  char *end;
  if (*v >= '0' && *v <= '9') {
    unsigned long long x = strtoull(v, &end, 10);
    if (!*end && x <= max) {
      *out = x;
      return true;
    }
  }
  trL_error("%s: expected a number from 0 to %" PRIu64 ", got '%s'", flag, max, v);
  return false;
}

const char *trL_ctl_bytes(uint64_t n, char *buf, size_t cap) {
  if (n < 1024)
    snprintf(buf, cap, "%" PRIu64 " B", n);
  else if (n < (1u << 20))
    snprintf(buf, cap, "%.1f KiB", (double)n / 1024);
  else if (n < (1u << 30))
    snprintf(buf, cap, "%.1f MiB", (double)n / (1u << 20));
  else
    snprintf(buf, cap, "%.1f GiB", (double)n / (1u << 30));
  return buf;
}

const char *trL_ctl_duration(uint64_t ms, char *buf, size_t cap) {
  uint64_t s = ms / 1000;
  if (s < 60)
    snprintf(buf, cap, "%" PRIu64 "s", s);
  else if (s < 3600)
    snprintf(buf, cap, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  else if (s < 86400)
    snprintf(buf, cap, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
  else
    snprintf(buf, cap, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s / 3600 % 24);
  return buf;
}

static uint64_t u64(const json_t *o, const char *k) {
  json_int_t v = json_integer_value(json_object_get(o, k));
  return v > 0 ? (uint64_t)v : 0;
}

static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "-";
}

/* ---- ps ------------------------------------------------------------------------------ */

static const char ps_usage[] =
    "usage: troupe ps [--node NAME] [--json]\n"
    "\n"
    "Shows the running node's supervision tree: each supervisor (its strategy and\n"
    "restart intensity) with its children in start order, and for each component its\n"
    "id, state, health, restarts, mailbox depth (messages waiting), memory (linear\n"
    "memory), messages handled, uptime of the current incarnation and module. --json\n"
    "prints the node's response: {\"node\":N,\"components\":[{...}],\"tree\":{...}}.\n"
    "\n" TRL_CTL_COMMON_HELP;

/* Options only (no positionals beyond max_pos); fills pos[]. Returns an exit status. */
static int parse_simple(trL_ctl *o, int argc, char **argv, const char *usage, const char **pos,
                        int max_pos, int min_pos) {
  int npos = 0;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(usage, stdout);
      return -1;
    }
    int t = trL_ctl_common_opt(o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    if (argv[i][0] == '-' || npos == max_pos) {
      trL_error("%s: unexpected '%s' (try 'troupe %s --help')", o->op, argv[i], o->op);
      return TR_EXIT_USAGE;
    }
    pos[npos++] = argv[i];
  }
  if (npos < min_pos) {
    trL_error("%s: missing arguments (try 'troupe %s --help')", o->op, o->op);
    return TR_EXIT_USAGE;
  }
  return TR_EXIT_OK;
}

static void ps_row(const json_t *c, int depth) {
  char name[160], mem[32], up[32];
  snprintf(name, sizeof name, "%*s%s", 2 * depth, "", str(c, "name"));
  printf("%-28s %5" PRIu64 " %-11s %-9s %8" PRIu64 " %7" PRIu64 " %10s %9" PRIu64 " %8s  %s\n",
         name, u64(c, "id"), str(c, "state"), str(c, "health"), u64(c, "restarts"),
         u64(c, "mailbox"), trL_ctl_bytes(u64(c, "memory_bytes"), mem, sizeof mem),
         u64(c, "messages"), trL_ctl_duration(u64(c, "uptime_ms"), up, sizeof up),
         str(c, "module"));
}

/* A supervisor's line, then its members in start order, indented by depth. */
static void ps_group(const json_t *g, const json_t *comps, int depth) {
  char name[160];
  snprintf(name, sizeof name, "%*s%s/", 2 * depth, "", str(g, "name"));
  printf("%-28s %5s %-11s %s, %" PRIu64 " restarts in %" PRIu64 " ms\n", name, "",
         json_is_true(json_object_get(g, "running")) ? "running" : "down", str(g, "strategy"),
         u64(g, "intensity"), u64(g, "period_ms"));
  size_t i;
  json_t *m;
  json_array_foreach(json_object_get(g, "members"), i, m) {
    json_t *cid = json_object_get(m, "component");
    if (json_object_get(m, "members")) {
      if (depth < 32)
        ps_group(m, comps, depth + 1);
      continue;
    }
    if (!cid)
      continue;
    size_t k;
    json_t *c;
    json_array_foreach(comps, k, c) {
      if (json_integer_value(json_object_get(c, "id")) == json_integer_value(cid)) {
        ps_row(c, depth + 1);
        break;
      }
    }
  }
}

int trL_cmd_ps(int argc, char **argv) {
  trL_ctl o = {.op = "ps"};
  const char *pos[1];
  int status = parse_simple(&o, argc, argv, ps_usage, pos, 0, 0);
  if (status)
    return status < 0 ? TR_EXIT_OK : status;
  json_t *resp;
  status = trL_ctl_request(&o, trL_ctl_req("ps"), 30000, &resp);
  if (status == TR_EXIT_OK) {
    json_t *comps = json_object_get(resp, "components");
    if (o.json) {
      json_object_del(resp, "ok");
      trL_ctl_print_json(resp);
    } else {
      printf("%-28s %5s %-11s %-9s %8s %7s %10s %9s %8s  %s\n", "NAME", "ID", "STATE",
             "HEALTH", "RESTARTS", "MAILBOX", "MEMORY", "MESSAGES", "UPTIME", "MODULE");
      json_t *tree = json_object_get(resp, "tree");
      if (json_is_object(tree))
        ps_group(tree, comps, 0);
      else { /* a node without the tree: the components in spawn order */
        size_t i;
        json_t *c;
        json_array_foreach(comps, i, c) ps_row(c, 0);
      }
    }
    json_decref(resp);
  }
  trL_ctl_close(&o);
  return status;
}

/* ---- info ---------------------------------------------------------------------------- */

static const char info_usage[] =
    "usage: troupe info NAME [--node NAME] [--json]\n"
    "\n"
    "Everything the node knows about component NAME: id, module and its SHA-256, state,\n"
    "health (and why), restarts, times, memory, messages, fuel, the last exit and the\n"
    "limits in force. --json prints {\"component\":{...}}.\n"
    "\n" TRL_CTL_COMMON_HELP;

int trL_cmd_info(int argc, char **argv) {
  trL_ctl o = {.op = "info"};
  const char *pos[1];
  int status = parse_simple(&o, argc, argv, info_usage, pos, 1, 1);
  if (status)
    return status < 0 ? TR_EXIT_OK : status;
  json_t *req = trL_ctl_req("info"), *resp;
  json_object_set_new(req, "name", json_string(pos[0]));
  status = trL_ctl_request(&o, req, 30000, &resp);
  if (status == TR_EXIT_OK) {
    json_t *c = json_object_get(resp, "component");
    if (o.json) {
      json_object_del(resp, "ok");
      trL_ctl_print_json(resp);
    } else {
      char b1[32], b2[32];
      json_t *le = json_object_get(c, "last_exit");
      printf("name:          %s\n", str(c, "name"));
      printf("id:            %" PRIu64 "\n", u64(c, "id"));
      printf("module:        %s\n", str(c, "module"));
      printf("sha256:        %s\n", str(c, "sha256"));
      printf("state:         %s\n", str(c, "state"));
      printf("health:        %s%s%s\n", str(c, "health"),
             json_is_string(json_object_get(c, "health_reason")) ? ": " : "",
             json_is_string(json_object_get(c, "health_reason")) ? str(c, "health_reason") : "");
      printf("restarts:      %" PRIu64 "\n", u64(c, "restarts"));
      printf("created:       %s\n", str(c, "created"));
      printf("started:       %s (up %s)\n", str(c, "started"),
             trL_ctl_duration(u64(c, "uptime_ms"), b1, sizeof b1));
      printf("memory:        %s\n", trL_ctl_bytes(u64(c, "memory_bytes"), b2, sizeof b2));
      printf("messages:      %" PRIu64 "\n", u64(c, "messages"));
      printf("fuel used:     %" PRIu64 "\n", u64(c, "fuel_used"));
      printf("last exit:     %s", str(le, "kind"));
      if (json_object_get(le, "code"))
        printf(" %s", str(le, "code"));
      if (json_object_get(le, "message"))
        printf(": %s", str(le, "message"));
      putchar('\n');
      const char *k;
      json_t *v;
      json_object_foreach(json_object_get(c, "limits"), k, v)
          printf("limit %-20s %" PRIu64 "\n", k, (uint64_t)json_integer_value(v));
    }
    json_decref(resp);
  }
  trL_ctl_close(&o);
  return status;
}
