/*
 * cli/cmd_trace.c: `troupe trace ID` -- one traced message chain as a tree (issue #13
 * point 5, docs/OBSERVE.md). The spans of a sampled chain are `span` records in the
 * node's log (component/trace.c): trace, span, parent, handler, start, duration,
 * outcome. This command gathers those of chain ID -- from a running node's kept records
 * (the control protocol's `logs`), or from a JSON-lines log file (--log, e.g. after the
 * node stopped) -- and prints them nested under the span that sent each one's message,
 * in start order.
 */
#include "cmd_ctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char trace_usage[] =
    "usage: troupe trace ID [--log FILE] [--node NAME] [--json]\n"
    "\n"
    "Prints message chain ID as a tree: each handler run (a span: component, handler,\n"
    "duration, outcome) under the span whose message started it. The spans are the\n"
    "node's `span` log records, logged for the share of chains `troupe run\n"
    "--trace-sample P` samples; ID is their \"trace\" field (16 hex digits). They are\n"
    "read from the running node's kept log records, or with --log FILE from a JSON-lines\n"
    "log file. --json prints the tree as one JSON object.\n"
    "\n" TRL_CTL_COMMON_HELP;

typedef struct span {
  json_t *r; /* the record (a reference) */
  const char *id, *parent, *start;
  struct span **kids;
  size_t nkids, capkids;
  bool placed, shown;
} span;

static const char *str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

/* The id as the log writes it: 16 lowercase hex digits. false when it is not hex. */
static bool norm_id(const char *in, char out[17]) {
  size_t n = strlen(in);
  if (n == 0 || n > 16)
    return false;
  memset(out, '0', 16);
  for (size_t i = 0; i < n; i++) {
    char c = in[i];
    if (c >= 'A' && c <= 'F')
      c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
    out[16 - n + i] = c;
  }
  out[16] = '\0';
  return true;
}

/* Keep r when it is a span of chain id. */
static int take(span ***v, size_t *n, size_t *cap, json_t *r, const char *id) {
  if (strcmp(str(r, "event"), "span") || strcmp(str(r, "trace"), id))
    return 0;
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 16;
    span **nv = realloc(*v, nc * sizeof *nv);
    if (!nv)
      return -1;
    *v = nv;
    *cap = nc;
  }
  span *s = calloc(1, sizeof *s);
  if (!s)
    return -1;
  s->r = json_incref(r);
  s->id = str(r, "span");
  s->parent = str(r, "parent");
  s->start = str(r, "start");
  (*v)[(*n)++] = s;
  return 0;
}

static int from_file(const char *path, const char *id, span ***v, size_t *n, size_t *cap) {
  FILE *f = fopen(path, "r");
  if (!f) {
    trL_error("trace: cannot open '%s': %s", path, strerror(errno));
    return TR_EXIT_IO;
  }
  char *line = NULL;
  size_t lcap = 0;
  int rc = TR_EXIT_OK;
  while (rc == TR_EXIT_OK && getline(&line, &lcap, f) > 0) {
    json_t *r = json_loads(line, 0, NULL); /* lines that are not JSON are not spans */
    if (r && take(v, n, cap, r, id))
      rc = TR_EXIT_FAIL;
    json_decref(r);
  }
  free(line);
  fclose(f);
  return rc;
}

static int from_node(trL_ctl *o, const char *id, span ***v, size_t *n, size_t *cap) {
  json_t *resp;
  int rc = trL_ctl_request(o, trL_ctl_req("logs"), 30000, &resp);
  if (rc != TR_EXIT_OK)
    return rc;
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(resp, "records"), i, r) {
    if (take(v, n, cap, r, id)) {
      rc = TR_EXIT_FAIL;
      break;
    }
  }
  json_decref(resp);
  return rc;
}

static int by_start(const void *a, const void *b) {
  return strcmp((*(span *const *)a)->start, (*(span *const *)b)->start);
}

static int by_id(const void *a, const void *b) {
  return strcmp((*(span *const *)a)->id, (*(span *const *)b)->id);
}

/* A chain is as deep as its handlers nested; a log file is read as it is, so the
 * printing stops going deeper somewhere rather than run out of stack. */
#define DEPTH_MAX 256

/* shown: a span is printed once, so spans that name each other as parents (a file
 * can say anything) print once each and end the walk. */
static void print_tree(span *s, int depth) {
  if (s->shown)
    return;
  if (depth > DEPTH_MAX) {
    printf("%*s... (deeper spans not shown)\n", DEPTH_MAX * 2, "");
    return;
  }
  s->shown = true;
  json_t *d = json_object_get(s->r, "duration_us");
  printf("%*s%s %s  %.3f ms  %s  (span %s)\n", depth * 2, "", str(s->r, "name"),
         str(s->r, "handler"), (json_is_number(d) ? json_number_value(d) : 0) / 1000.0,
         str(s->r, "outcome"), s->id);
  for (size_t i = 0; i < s->nkids; i++)
    print_tree(s->kids[i], depth + 1);
}

static json_t *json_tree(span *s, int depth) {
  s->shown = true;
  json_t *o = json_deep_copy(s->r), *kids = json_array();
  for (size_t i = 0; depth < DEPTH_MAX && i < s->nkids; i++)
    if (!s->kids[i]->shown)
      json_array_append_new(kids, json_tree(s->kids[i], depth + 1));
  json_object_set_new(o, "children", kids);
  return o;
}

int trL_cmd_trace(int argc, char **argv) {
  trL_ctl o = {.op = "trace"};
  const char *id_arg = NULL, *log = NULL;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(trace_usage, stdout);
      return TR_EXIT_OK;
    }
    int t = trL_ctl_common_opt(&o, argc, argv, &i);
    if (t < 0)
      return TR_EXIT_USAGE;
    if (t)
      continue;
    bool missing = false;
    const char *v;
    if ((v = trL_opt_value(argc, argv, &i, "--log", &missing)) || missing) {
      if (missing) {
        trL_error("trace: --log needs a value");
        return TR_EXIT_USAGE;
      }
      log = v;
    } else if (argv[i][0] == '-' || id_arg) {
      trL_error("trace: unexpected '%s' (try 'troupe trace --help')", argv[i]);
      return TR_EXIT_USAGE;
    } else {
      id_arg = argv[i];
    }
  }
  char id[17];
  if (!id_arg || !norm_id(id_arg, id)) {
    trL_error("trace: %s", id_arg ? "the ID is up to 16 hex digits (a span record's \"trace\")"
                                  : "which trace? (troupe trace ID)");
    return TR_EXIT_USAGE;
  }
  span **v = NULL;
  size_t n = 0, cap = 0;
  int rc = log ? from_file(log, id, &v, &n, &cap) : from_node(&o, id, &v, &n, &cap);
  trL_ctl_close(&o);
  if (rc == TR_EXIT_OK && !n) {
    trL_error("trace: no span of trace %s in %s (spans are logged for sampled chains: troupe "
              "run --trace-sample; a node keeps only its last records)", id,
              log ? log : "the node's log");
    rc = TR_EXIT_FAIL;
  }
  if (rc == TR_EXIT_OK) {
    qsort(v, n, sizeof *v, by_start);
    /* Each span under its parent when the parent is here (found by id in a sorted
     * copy: a file may hold many spans of one chain); the others are roots. */
    span **ids = malloc(n * sizeof *ids);
    if (!ids)
      rc = TR_EXIT_FAIL;
    else {
      memcpy(ids, v, n * sizeof *ids);
      qsort(ids, n, sizeof *ids, by_id);
    }
    for (size_t i = 0; i < n && rc == TR_EXIT_OK; i++) {
      if (!v[i]->parent[0])
        continue;
      span key = {.id = v[i]->parent}, *kp = &key;
      span **hit = bsearch(&kp, ids, n, sizeof *ids, by_id);
      if (hit && *hit != v[i]) {
        span *p = *hit;
        if (p->nkids == p->capkids) {
          size_t nc = p->capkids ? p->capkids * 2 : 4;
          span **nk = realloc(p->kids, nc * sizeof *nk);
          if (!nk) {
            rc = TR_EXIT_FAIL;
            break;
          }
          p->kids = nk;
          p->capkids = nc;
        }
        p->kids[p->nkids++] = v[i];
        v[i]->placed = true;
      }
    }
    free(ids);
    json_t *roots = o.json ? json_array() : NULL;
    if (!o.json)
      printf("trace %s: %zu span%s\n", id, n, n == 1 ? "" : "s");
    /* The roots, then any span no root reached (a cycle of parents), as a root. */
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = 0; i < n && rc == TR_EXIT_OK; i++) {
        if (v[i]->shown || (pass == 0 && v[i]->placed))
          continue;
        if (o.json)
          json_array_append_new(roots, json_tree(v[i], 1));
        else
          print_tree(v[i], 1);
      }
    }
    if (o.json) {
      json_t *out = json_pack("{s:s, s:I, s:o}", "trace", id, "spans", (json_int_t)n, "roots",
                              roots);
      trL_ctl_print_json(out);
      json_decref(out);
    }
  }
  for (size_t i = 0; i < n; i++) {
    json_decref(v[i]->r);
    free(v[i]->kids);
    free(v[i]);
  }
  free(v);
  return rc;
}
