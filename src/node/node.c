/*
 * node/node.c: a node -- the application of a manifest running in this process
 * (include/troupe/node.h). It turns the manifest's description into a running tree:
 *
 *   manifest                          host
 *   supervisors.root ──config──────►  the root supervisor (troupe_host_config.supervisor)
 *   supervisors.X (child of P)  ────► troupe_host_group_start(parent = P's group) with
 *                                     X's leading components as its first members
 *   components.C (child of X)   ────► those: started by X's supervisor itself, in order;
 *                                     the others: troupe_host_spawn(spec.group = X's
 *                                     group); module bytes read from its file, or its
 *                                     store reference
 *   subscriptions               ────► spec.subscriptions (made at every start)
 *   node.log / --log            ────► a JSON-lines logger, tapped for `troupe logs`
 *   node.name                   ────► the control socket NAME.sock (troupe/control.h)
 *
 * Children start in the manifest's order, depth first (a supervisor, then its children),
 * as OTP starts a tree: a group's leading components are started by the group's own
 * supervisor when it starts (one request from this thread for them all, not a round
 * trip each: a node start is mostly such round trips), so stopping -- the host stops
 * its root supervisor, which stops its children newest first -- is the reverse. The
 * node owns what it opened: the logger and its tap, the store, the host, the control
 * server; the manifest stays the caller's.
 */
#include "node/node_int.h"

#include "base/base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "troupe/admin.h"
#include "troupe/control.h"
#include "troupe/sqlstore.h"

#define NODE_MODULE_MAX ((size_t)1 << 30) /* a module file larger than this is refused */

struct troupe_node {
  const troupe_manifest *m;
  char *name;
  troupe_logger *log;       /* where records go (stderr or the file) */
  troupe_ctl_tap *tap;      /* keeps the recent ones for `troupe logs`, forwards to log */
  troupe_store *store;      /* NULL when the node has none */
  troupe_host *host;
  troupe_ctl_server *ctl;
  troupe_admin *admin;      /* the HTTP listener, when options.http asks for one */
  troupe_group_id *groups;  /* per manifest supervisor; the root's is 0 */
  troupe_component_id *ids; /* per manifest component */
  /* During start: the last module file read, reused by the next component of the same
   * file (a manifest of many instances of one module reads it once). */
  const char *last_path;
  uint8_t *last_bytes;
  size_t last_len;
};

int trN_read_file(const char *path, uint8_t **out, size_t *len, troupe_err *err) {
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f)
    return troupe_err_set(err, TROUPE_E_IO, "cannot open '%s': %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
    fclose(f);
    return troupe_err_set(err, TROUPE_E_IO, "'%s' is not a regular file", path);
  }
  if ((uint64_t)st.st_size > NODE_MODULE_MAX) {
    fclose(f);
    return troupe_err_set(err, TROUPE_E_TOO_LARGE, "'%s' is larger than 1 GiB", path);
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    fclose(f);
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory reading '%s'", path);
  }
  size_t got = fread(buf, 1, n, f);
  bool bad = ferror(f) || got != n;
  fclose(f);
  if (bad) {
    free(buf);
    return troupe_err_set(err, TROUPE_E_IO, "cannot read '%s'", path);
  }
  *out = buf;
  *len = n;
  return TROUPE_OK;
}

/* The logger of node.log / --log: "stderr", "-" or a file (appended). */
static int open_log(troupe_node *n, const troupe_node_options *o, troupe_err *err) {
  const char *where = o->log ? o->log : n->m->node.log;
  troupe_log_level lvl = n->m->node.log_level;
  if (o->logger) /* the embedder's: forwarded to, not owned */
    return troupe_ctl_tap_new(0, lvl, o->logger, &n->tap, err);
  if (!where || !strcmp(where, "stderr") || !strcmp(where, "-"))
    n->log = troupe_logger_stderr(lvl);
  else if (!(n->log = troupe_logger_file(where, lvl, err)))
    return err ? err->code : TROUPE_E_IO;
  if (!n->log)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  return troupe_ctl_tap_new(0, lvl, n->log, &n->tap, err);
}

/* Does any component name its module by a store reference? */
static bool needs_store(const troupe_manifest *m) {
  for (size_t i = 0; i < m->ncomponents; i++)
    if (m->components[i].spec.module)
      return true;
  return false;
}

/* The store: --store, else node.store, else the user's default one when it exists or
 * a component needs it (a node of module files alone creates no store file). */
static int open_store(troupe_node *n, const troupe_node_options *o, troupe_err *err) {
  const troupe_manifest_node *mn = &n->m->node;
  char *path = NULL;
  int rc;
  if (o->store || mn->store) {
    if (!(path = strdup(o->store ? o->store : mn->store)))
      return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  } else {
    bool need = needs_store(n->m);
    if ((rc = troupe_sqlstore_default_path(need, &path, err)))
      return need ? rc : TROUPE_OK; /* no home directory: no default store */
    if (!need && access(path, F_OK)) {
      free(path);
      return TROUPE_OK;
    }
  }
  uint8_t(*keys)[TROUPE_ED25519_PUBLIC_BYTES] = NULL;
  if (mn->ntrusted_keys && !(keys = calloc(mn->ntrusted_keys, sizeof *keys))) {
    free(path);
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  }
  rc = TROUPE_OK;
  for (size_t i = 0; !rc && i < mn->ntrusted_keys; i++)
    rc = troupe_public_key_parse(mn->trusted_keys[i], keys[i], err);
  troupe_sqlstore_options so = {.trusted_keys = (const uint8_t(*)[TROUPE_ED25519_PUBLIC_BYTES])keys,
                                .ntrusted = mn->ntrusted_keys};
  troupe_sqlstore *s = NULL;
  if (!rc)
    rc = troupe_sqlstore_open(path, &so, &s, err);
  free(keys);
  free(path);
  if (!rc && (rc = troupe_sqlstore_to_store(s, &n->store, err)))
    troupe_sqlstore_close(s);
  return rc;
}

/* "app.yaml:12:3: " for a message about something declared there. */
static void where(const troupe_manifest_pos *p, char *buf, size_t cap) {
  if (p->file && p->line)
    snprintf(buf, cap, "%s:%u:%u: ", p->file, p->line, p->column);
  else
    buf[0] = '\0';
}

/* Manifest component ci as the host's spec, into *s: its group, its subscriptions
 * (*subs, to free after the host copied the spec) and, for a module by path, the file's
 * bytes (n->last_bytes: valid until a component of another file is prepared). An error
 * here (the file, a trusted_keys refusal) names the component; *s is not to be used. */
static int prepare_component(troupe_node *n, size_t ci, troupe_group_id group,
                             troupe_component_spec *s, const char ***subs, troupe_err *e) {
  const troupe_manifest *m = n->m;
  const troupe_manifest_component *mc = &m->components[ci];
  *s = mc->spec;
  s->group = group;
  s->significant = mc->significant;
  /* the manifest's subscriptions of this component */
  size_t ns = 0;
  for (size_t i = 0; i < m->nsubscriptions; i++)
    ns += m->subscriptions[i].component == ci;
  *subs = ns ? calloc(ns, sizeof **subs) : NULL;
  if (ns && !*subs)
    return troupe_err_set(e, TROUPE_E_NOMEM, "out of memory");
  ns = 0;
  for (size_t i = 0; i < m->nsubscriptions; i++)
    if (m->subscriptions[i].component == ci)
      (*subs)[ns++] = m->subscriptions[i].subject;
  s->subscriptions = (troupe_pattern_list){*subs, ns};
  if (mc->module_path && m->node.ntrusted_keys)
    return troupe_err_set(e, TROUPE_E_DENIED,
                          "node.trusted_keys is set, so every module must come signed from the "
                          "store (module: NAME@VERSION), not from a file ('%s')",
                          mc->module_path);
  if (mc->module_path) {
    if (!n->last_path || strcmp(n->last_path, mc->module_path)) {
      free(n->last_bytes);
      n->last_bytes = NULL;
      n->last_path = NULL;
      int rc = trN_read_file(mc->module_path, &n->last_bytes, &n->last_len, e);
      if (rc)
        return rc;
      n->last_path = mc->module_path;
    }
    s->module = NULL;
    s->module_bytes = n->last_bytes;
    s->module_len = n->last_len;
  }
  return TROUPE_OK;
}

/* err for component ci: its position, then the host's message (which names the
 * component) when the host got that far, else the component's name and the message. */
static int component_error(troupe_node *n, size_t ci, int rc, bool by_host, const troupe_err *e,
                           troupe_err *err) {
  const troupe_manifest_component *mc = &n->m->components[ci];
  char at[300];
  where(&mc->pos, at, sizeof at);
  if (by_host)
    return troupe_err_set(err, rc, "%s%s", at, e->msg);
  return troupe_err_set(err, rc, "%scomponent '%s': %s", at, mc->spec.name, e->msg);
}

static int start_component(troupe_node *n, size_t ci, troupe_group_id group, troupe_err *err) {
  troupe_component_spec s;
  const char **subs;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = prepare_component(n, ci, group, &s, &subs, &e);
  bool by_host = !rc;
  if (!rc)
    rc = troupe_host_spawn(n->host, &s, &n->ids[ci], &e);
  free(subs);
  return rc ? component_error(n, ci, rc, by_host, &e, err) : TROUPE_OK;
}

/* How many of supervisor si's first children are components whose specs can be made at
 * once: the run ends at a supervisor child, or at a module file other than the run's
 * first (prepare_component keeps one file's bytes at a time). */
static size_t leading_components(const troupe_node *n, size_t si) {
  const troupe_manifest_supervisor *ms = &n->m->supervisors[si];
  const char *file = NULL;
  size_t k = 0;
  for (; k < ms->nchildren && ms->children[k].kind == TROUPE_MANIFEST_COMPONENT; k++) {
    const char *p = n->m->components[ms->children[k].index].module_path;
    if (p && file && strcmp(p, file))
      break;
    if (p)
      file = p;
  }
  return k;
}

/* Start supervisor si (a group, not the root) with its first k children, components,
 * which its own supervisor starts in order (troupe_host_group_start: one request for
 * them all). parent: the group of si's parent. */
static int start_group(troupe_node *n, size_t si, troupe_group_id parent, size_t k,
                       troupe_err *err) {
  const troupe_manifest_supervisor *ms = &n->m->supervisors[si];
  troupe_component_spec *specs = k ? calloc(k, sizeof *specs) : NULL;
  const char ***subs = k ? calloc(k, sizeof *subs) : NULL;
  troupe_component_id *ids = k ? calloc(k, sizeof *ids) : NULL;
  troupe_err e;
  troupe_err_clear(&e);
  int rc = k && (!specs || !subs || !ids) ? troupe_err_set(err, TROUPE_E_NOMEM, "out of memory")
                                          : TROUPE_OK;
  size_t i = 0;
  for (; !rc && i < k; i++) {
    size_t ci = ms->children[i].index;
    if ((rc = prepare_component(n, ci, 0, &specs[i], &subs[i], &e)))
      component_error(n, ci, rc, false, &e, err);
  }
  if (!rc) {
    troupe_group_spec gs = {.name = ms->name,
                            .parent = parent,
                            .supervisor = ms->config,
                            .restart = ms->restart};
    size_t failed;
    rc = troupe_host_group_start(n->host, &gs, specs, k, ids, &failed, &n->groups[si], &e);
    if (rc && failed < k)
      component_error(n, ms->children[failed].index, rc, true, &e, err);
    else if (rc) {
      char at[300];
      where(&ms->pos, at, sizeof at);
      troupe_err_set(err, rc, "%ssupervisor '%s': %s", at, ms->name, e.msg);
    }
    for (size_t j = 0; !rc && j < k; j++)
      n->ids[ms->children[j].index] = ids[j];
  }
  for (size_t j = 0; subs && j < k; j++)
    free(subs[j]);
  free(specs);
  free(subs);
  free(ids);
  return rc;
}

/* Start supervisor si's children from the `from`-th on, in order, depth first; a
 * supervisor child starts with its leading components (start_group). */
static int start_children(troupe_node *n, size_t si, size_t from, troupe_err *err) {
  const troupe_manifest_supervisor *ms = &n->m->supervisors[si];
  for (size_t i = from; i < ms->nchildren; i++) {
    const troupe_manifest_child *ch = &ms->children[i];
    int rc;
    if (ch->kind == TROUPE_MANIFEST_COMPONENT) {
      rc = start_component(n, ch->index, n->groups[si], err);
    } else {
      size_t k = leading_components(n, ch->index);
      rc = start_group(n, ch->index, n->groups[si], k, err);
      if (!rc)
        rc = start_children(n, ch->index, k, err);
    }
    if (rc)
      return rc;
  }
  return TROUPE_OK;
}

static void event(troupe_node *n, troupe_log_level lvl, const char *what,
                  const troupe_log_field *f, size_t nf) {
  troupe_log(troupe_ctl_tap_logger(n->tap), lvl, what, f, nf);
}

int troupe_node_start(const troupe_manifest *m, const troupe_node_options *opts,
                      troupe_node **out, troupe_err *err) {
  if (!m || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "node_start: manifest and out are required");
  *out = NULL;
  troupe_node_options none = {0};
  const troupe_node_options *o = opts ? opts : &none;
  troupe_node *n = calloc(1, sizeof *n);
  if (!n)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  n->m = m;
  n->groups = calloc(m->nsupervisors ? m->nsupervisors : 1, sizeof *n->groups);
  n->ids = calloc(m->ncomponents ? m->ncomponents : 1, sizeof *n->ids);
  n->name = strdup(m->node.name ? m->node.name : "troupe");
  int rc = n->groups && n->ids && n->name ? TROUPE_OK
                                          : troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  if (!rc)
    rc = open_log(n, o, err);
  if (!rc)
    rc = open_store(n, o, err);
  if (!rc) {
    troupe_host_config cfg;
    troupe_host_config_init(&cfg);
    cfg.workers = o->workers ? o->workers : m->node.workers;
    cfg.trace_sample = o->trace_sample;
    cfg.store = n->store;
    cfg.log = troupe_ctl_tap_logger(n->tap);
    cfg.supervisor = m->supervisors[m->root].config;
    cfg.supervisor.name = "components";
    rc = troupe_host_new(&cfg, &n->host, err);
  }
  if (!rc) {
    /* A burst of spawns: the helper writes the next components' pages on the core the
     * start leaves free (docs/BENCH-COMPONENT.md, Session 10: 280-320 -> 220-260 ms for
     * 10,000 components). */
    troupe_host_prewarm_begin(n->host);
    rc = start_children(n, m->root, 0, err);
    troupe_host_prewarm_end(n->host);
  }
  free(n->last_bytes); /* the host copied what it keeps */
  n->last_bytes = NULL;
  n->last_path = NULL;
  if (!rc && !o->no_control) {
    troupe_ctl_config cc;
    troupe_ctl_config_init(&cc);
    cc.host = n->host;
    cc.node = n->name;
    cc.dir = o->control_dir;
    cc.tap = n->tap;
    cc.no_module_files = m->node.ntrusted_keys > 0;
    rc = troupe_ctl_server_start(&cc, &n->ctl, err);
  }
  if (!rc && o->http) {
    troupe_admin_config ac = {.host = n->host, .node = n->name, .tap = n->tap,
                              .addr = o->http, .token = o->http_token,
                              .no_module_files = m->node.ntrusted_keys > 0};
    rc = troupe_admin_start(&ac, &n->admin, err);
  }
  if (rc) {
    troupe_node_stop(n);
    return rc;
  }
  troupe_log_field f[] = {TROUPE_LOG_STR("node", n->name),
                          TROUPE_LOG_STR("manifest", m->path),
                          TROUPE_LOG_UINT("components", m->ncomponents),
                          TROUPE_LOG_UINT("supervisors", m->nsupervisors),
                          TROUPE_LOG_STR("socket", n->ctl ? troupe_ctl_server_path(n->ctl) : ""),
                          TROUPE_LOG_UINT("http_port", troupe_admin_port(n->admin))};
  event(n, TROUPE_LOG_INFO, "node_started", f, TR_ARRAY_LEN(f));
  *out = n;
  return TROUPE_OK;
}

troupe_host *troupe_node_host(troupe_node *n) {
  return n ? n->host : NULL;
}

const char *troupe_node_name(const troupe_node *n) {
  return n ? n->name : NULL;
}

const char *troupe_node_socket(const troupe_node *n) {
  return n && n->ctl ? troupe_ctl_server_path(n->ctl) : NULL;
}

uint16_t troupe_node_http_port(const troupe_node *n) { return n ? troupe_admin_port(n->admin) : 0; }

troupe_logger *troupe_node_logger(troupe_node *n) {
  return n ? troupe_ctl_tap_logger(n->tap) : NULL;
}

int troupe_node_wait_down(troupe_node *n, uint64_t timeout_ns, troupe_exit_reason *why) {
  if (!n || !n->host)
    return TROUPE_E_INVAL;
  return troupe_host_wait_down(n->host, timeout_ns, why);
}

int troupe_node_reload_file(troupe_node *n, const char *path, char **report, troupe_err *err) {
  *report = NULL;
  const troupe_manifest *m = n->m;
  if (m->node.ntrusted_keys) /* such a node runs no module files (start refused them) */
    return troupe_err_set(err, TROUPE_E_DENIED, "node '%s' runs only signed store modules",
                          n->name);
  char *rp = realpath(path, NULL);
  size_t cap = 256, len = 0;
  char *text = malloc(cap);
  if (!text) {
    free(rp);
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  }
  text[0] = '\0';
  int first = TROUPE_OK, found = 0;
  uint8_t *bytes = NULL;
  size_t blen = 0;
  troupe_err fe;
  troupe_err_clear(&fe);
  int read_rc = -1;
  for (size_t i = 0; i < m->ncomponents; i++) {
    const troupe_manifest_component *mc = &m->components[i];
    if (!mc->module_path || !n->ids[i])
      continue;
    char *cp = realpath(mc->module_path, NULL);
    bool same = cp && rp ? !strcmp(cp, rp) : !strcmp(mc->module_path, path);
    free(cp);
    if (!same)
      continue;
    found++;
    if (read_rc < 0)
      read_rc = trN_read_file(mc->module_path, &bytes, &blen, &fe);
    troupe_err e;
    troupe_err_clear(&e);
    int rc = read_rc ? read_rc : troupe_host_upgrade(n->host, n->ids[i], NULL, bytes, blen, 0, &e);
    if (read_rc)
      e = fe;
    if (rc && !first)
      first = troupe_err_set(err, rc, "%s", e.msg);
    char line[TROUPE_ERR_MSG_MAX + 160];
    int k = rc ? snprintf(line, sizeof line, "%s%s: not upgraded: %s", len ? "\n" : "",
                          mc->spec.name, e.msg)
               : snprintf(line, sizeof line, "%s%s: upgraded from %s", len ? "\n" : "",
                          mc->spec.name, mc->module_path);
    if (k > 0) {
      while (len + (size_t)k + 1 > cap) {
        char *t = realloc(text, cap * 2);
        if (!t)
          break;
        text = t;
        cap *= 2;
      }
      if (len + (size_t)k + 1 <= cap) {
        memcpy(text + len, line, (size_t)k + 1);
        len += (size_t)k;
      }
    }
  }
  free(bytes);
  free(rp);
  if (!found) {
    free(text);
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "no component of the manifest runs '%s'", path);
  }
  *report = text;
  return first;
}

void troupe_node_stop(troupe_node *n) {
  if (!n)
    return;
  troupe_admin_stop(n->admin); /* no new requests while the tree goes down */
  troupe_ctl_server_stop(n->ctl);
  if (n->host) {
    troupe_log_field f[] = {TROUPE_LOG_STR("node", n->name)};
    event(n, TROUPE_LOG_INFO, "node_stopping", f, 1);
  }
  troupe_host_free(n->host);
  troupe_store_free(n->store);
  if (n->tap) {
    troupe_log_field f[] = {TROUPE_LOG_STR("node", n->name)};
    event(n, TROUPE_LOG_INFO, "node_stopped", f, 1);
  }
  troupe_ctl_tap_free(n->tap);
  troupe_logger_free(n->log);
  free(n->groups);
  free(n->ids);
  free(n->name);
  free(n);
}
