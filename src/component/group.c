/*
 * component/group.c: supervisor groups, the host's supervision tree below its root
 * supervisor (include/troupe/component.h, "Supervisor groups").
 *
 *   root supervisor ("components")
 *     ├─ component a          a child of the root: its child spec holds its record
 *     └─ group:web            (trP_group) a nested supervisor, started by group_start
 *          ├─ component b     members: records / groups, in start order
 *          └─ group:api
 *               └─ component c
 *
 * OTP restarts a nested supervisor by calling its start function again, which must
 * return the same children. A group's start function therefore builds its children's
 * specs from its member list every time it runs: a restart of the group (by its parent,
 * or a restart of its parent) starts every member it holds then, in order, each keeping
 * its record -- id, name, held messages. That is why a member's child spec does not end
 * the record when the supervisor drops it (trP_rec_unref_arg, not trP_rec_gone): the
 * spec of a group member ends with every incarnation of the group's supervisor. A
 * member ends when it leaves the group (troupe_host_stop) or when the host is freed.
 *
 * Groups are never freed before the host: a supervisor may call group_start (arg: the
 * group) for as long as the runtime runs.
 */
#include "component/comp.h"

#include <stdio.h>

#define GROUP_ID_PREFIX "group:" /* child ids: a group and a component may share a name */

static int refuse_worker(troupe_host *h, const char *what, troupe_err *err) {
  if (trA_on_worker(h->rt))
    return troupe_err_set(err, TROUPE_E_STATE, "%s waits, and was called on a worker thread",
                          what);
  return TROUPE_OK;
}

troupe_actor_id trP_sup_of(const trP_rec *r) {
  /* Acquire: the supervisor id was stored once its start function succeeded. */
  return r->group ? atomic_load_explicit(&r->group->sup, memory_order_acquire) : r->host->root;
}

trP_group *trP_group_find(troupe_host *h, troupe_group_id id) {
  pthread_mutex_lock(&h->groups_mu);
  trP_group *g = h->groups;
  while (g && (g->id != id || !g->name[0])) /* an unnamed group failed to start */
    g = g->next;
  pthread_mutex_unlock(&h->groups_mu);
  return g;
}

static trP_group *find_name_locked(troupe_host *h, const char *name) {
  for (trP_group *g = h->groups; g; g = g->next)
    if (!strcmp(g->name, name))
      return g;
  return NULL;
}

static int push_member(trP_group *g, bool is_group, void *p) {
  if (g->n == g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 8;
    trP_member *v = trB_realloc_array(g->m, cap, sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    g->m = v;
    g->cap = cap;
  }
  g->m[g->n++] = (trP_member){.is_group = is_group, .p = p};
  return TROUPE_OK;
}

int trP_group_add(trP_group *g, trP_rec *r, troupe_actor_id *sup) {
  pthread_mutex_lock(&g->mu);
  int rc = push_member(g, false, r);
  if (!rc) {
    trP_rec_ref(r);
    r->group = g;
  }
  *sup = atomic_load_explicit(&g->sup, memory_order_acquire);
  pthread_mutex_unlock(&g->mu);
  return rc;
}

/* Mark p's entry removed; true when it was a member still. */
static bool mark_removed(trP_group *g, const void *p) {
  bool found = false;
  pthread_mutex_lock(&g->mu);
  for (size_t i = 0; i < g->n; i++)
    if (g->m[i].p == p && !g->m[i].removed) {
      g->m[i].removed = true;
      found = true;
      break;
    }
  pthread_mutex_unlock(&g->mu);
  return found;
}

void trP_group_remove(trP_rec *r) {
  if (r->group && mark_removed(r->group, r))
    trP_rec_unref(r); /* the group's reference (the caller holds its own) */
}

static void child_spec_of_group(trP_group *g, troupe_child_spec *cs);

/* The start function of a group's supervisor: its members' specs, then the supervisor
 * (linked to the parent, acknowledging it once every member has started). */
static int group_start(troupe_actor *sup, const troupe_spawn_opts *opts, void *arg,
                       const void *extra, size_t extra_len, troupe_actor_id *out,
                       troupe_err *err) {
  TR_UNUSED(extra);
  TR_UNUSED(extra_len);
  trP_group *g = arg;
  pthread_mutex_lock(&g->mu);
  troupe_child_spec *specs = g->n ? trB_calloc(g->n, sizeof *specs) : NULL;
  size_t n = 0;
  if (specs || !g->n)
    for (size_t i = 0; i < g->n; i++) {
      if (g->m[i].removed)
        continue;
      if (g->m[i].is_group)
        child_spec_of_group(g->m[i].p, &specs[n]);
      else {
        trP_child_spec_of(trP_rec_ref(g->m[i].p), &specs[n]);
        specs[n].arg_free = trP_rec_unref_arg;
      }
      n++;
    }
  pthread_mutex_unlock(&g->mu);
  if (g->n && !specs)
    return troupe_err_set(err, TROUPE_E_NOMEM, "group '%s': out of memory", g->name);
  troupe_sup_config cfg = g->cfg;
  cfg.name = NULL;
  cfg.metadata = NULL;
  int rc = troupe_sup_start_link(sup, opts, &cfg, specs, n, out, err);
  if (!rc)
    atomic_store_explicit(&g->sup, *out, memory_order_release);
  free(specs);
  return rc;
}

static void child_spec_of_group(trP_group *g, troupe_child_spec *cs) {
  memset(cs, 0, sizeof *cs);
  cs->id = g->name - (sizeof GROUP_ID_PREFIX - 1); /* the name is stored behind the prefix */
  cs->start = group_start;
  cs->arg = g; /* borrowed: groups live as long as the host */
  cs->restart = g->restart;
  cs->type = TROUPE_SUPERVISOR;
  cs->shutdown = g->shutdown_ms ? TROUPE_SHUTDOWN_TIMEOUT : TROUPE_SHUTDOWN_INFINITY;
  cs->shutdown_ms = g->shutdown_ms;
  cs->significant = g->significant;
}

static void group_free(trP_group *g) {
  for (size_t i = 0; i < g->n; i++)
    if (!g->m[i].is_group && !g->m[i].removed) {
      trP_rec_end(g->m[i].p);
      trP_rec_unref(g->m[i].p);
    }
  free(g->m);
  free(g->name - (sizeof GROUP_ID_PREFIX - 1));
  pthread_mutex_destroy(&g->mu);
  free(g);
}

void trP_groups_free(troupe_host *h) {
  trP_group *g = h->groups;
  h->groups = NULL;
  while (g) {
    trP_group *next = g->next;
    group_free(g);
    g = next;
  }
}

static int check_spec(troupe_host *h, const troupe_group_spec *spec, trP_group **parent,
                      troupe_err *err) {
  int rc = trP_name_check(spec->name, err);
  if (rc)
    return troupe_err_set(err, rc, "group: %s", troupe_err_message(err));
  const troupe_sup_config *c = &spec->supervisor;
  if (c->strategy > TROUPE_REST_FOR_ONE)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "group '%s': strategy must be one_for_one, one_for_all or "
                          "rest_for_one (simple_one_for_one holds no named members)",
                          spec->name);
  if (spec->restart > TROUPE_TEMPORARY)
    return troupe_err_set(err, TROUPE_E_INVAL, "group '%s': unknown restart type %d", spec->name,
                          (int)spec->restart);
  if (spec->significant && spec->restart == TROUPE_PERMANENT)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "group '%s': a significant child must be transient or temporary",
                          spec->name);
  *parent = NULL;
  if (spec->parent && !(*parent = trP_group_find(h, spec->parent)))
    return troupe_err_set(err, TROUPE_E_NOTFOUND, "group '%s': no parent group %llu", spec->name,
                          (unsigned long long)spec->parent);
  return TROUPE_OK;
}

/* Undo a member's record: out of the table and the group, ended, our reference gone. */
static void drop_member(troupe_host *h, trP_rec *r) {
  trP_table_remove(&h->table, r);
  trP_group_remove(r);
  trP_rec_end(r);
  trP_rec_unref(r);
}

/* Which member a failed start failed at: the first whose record has its own account of
 * a failed start, else the one the supervisor's message names; n when none. */
static size_t failed_member(trP_rec **recs, size_t n, const troupe_err *e) {
  for (size_t i = 0; i < n; i++) {
    pthread_mutex_lock(&recs[i]->mu);
    int code = recs[i]->start_code;
    pthread_mutex_unlock(&recs[i]->mu);
    if (code)
      return i;
  }
  char quoted[TROUPE_ERR_MSG_MAX];
  for (size_t i = 0; i < n; i++) {
    snprintf(quoted, sizeof quoted, "'%s'", recs[i]->name);
    if (strstr(troupe_err_message(e), quoted))
      return i;
  }
  return n;
}

int troupe_host_group_start(troupe_host *h, const troupe_group_spec *spec,
                            const troupe_component_spec *members, size_t nmembers,
                            troupe_component_id *ids, size_t *failed, troupe_group_id *out,
                            troupe_err *err) {
  if (failed)
    *failed = nmembers;
  if (!h || !spec || !out || (nmembers && (!members || !ids)))
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "group_new: host, spec and out are required, and with members, "
                          "members and ids");
  *out = 0;
  trP_group *parent;
  int rc = refuse_worker(h, "troupe_host_group_new", err);
  if (!rc)
    rc = check_spec(h, spec, &parent, err);
  if (rc)
    return rc;
  trP_group *g = trB_calloc(1, sizeof *g);
  size_t nlen = strlen(spec->name);
  char *idbuf = trB_malloc(sizeof GROUP_ID_PREFIX + nlen);
  trP_rec **recs = nmembers ? trB_calloc(nmembers, sizeof *recs) : NULL;
  if (!g || !idbuf || (nmembers && !recs) || pthread_mutex_init(&g->mu, NULL)) {
    free(g);
    free(idbuf);
    free(recs);
    return troupe_err_set(err, TROUPE_E_NOMEM, "group '%s': out of memory", spec->name);
  }
  memcpy(idbuf, GROUP_ID_PREFIX, sizeof GROUP_ID_PREFIX - 1);
  memcpy(idbuf + sizeof GROUP_ID_PREFIX - 1, spec->name, nlen + 1);
  g->name = idbuf + sizeof GROUP_ID_PREFIX - 1;
  g->parent = parent;
  g->cfg = spec->supervisor;
  g->restart = spec->restart;
  g->significant = spec->significant;
  g->shutdown_ms = spec->shutdown_ms;
  atomic_init(&g->sup, 0);
  /* Listed first (the name is taken from here on), then its members made, then a member
   * of its parent, then started; a failure undoes the steps in reverse. */
  pthread_mutex_lock(&h->groups_mu);
  if (find_name_locked(h, g->name)) {
    pthread_mutex_unlock(&h->groups_mu);
    rc = troupe_err_set(err, TROUPE_E_NAME_TAKEN, "group '%s' exists", g->name);
    group_free(g);
    free(recs);
    return rc;
  }
  g->id = ++h->next_group;
  g->next = h->groups;
  h->groups = g;
  pthread_mutex_unlock(&h->groups_mu);
  /* The members' records, in order: the group's supervisor starts them itself, from
   * its member list, as it does at every restart (group_start) -- one request for the
   * whole group instead of one per member. */
  size_t made = 0;
  for (; made < nmembers && !rc; made++) {
    trP_rec *r;
    if ((rc = trP_rec_create(h, &members[made], &r, err))) {
      if (failed)
        *failed = made;
      break;
    }
    recs[made] = r;
    pthread_mutex_lock(&g->mu);
    rc = push_member(g, false, r);
    if (!rc) {
      trP_rec_ref(r);
      r->group = g;
    }
    pthread_mutex_unlock(&g->mu);
    if (rc) {
      troupe_err_set(err, rc, "component '%s': out of memory", r->name);
      drop_member(h, r); /* not in the group yet: its removal there does nothing */
      recs[made] = NULL;
      if (failed)
        *failed = made;
      break;
    }
  }
  troupe_actor_id psup = h->root;
  if (parent && !rc) {
    pthread_mutex_lock(&parent->mu);
    rc = push_member(parent, true, g);
    psup = atomic_load_explicit(&parent->sup, memory_order_acquire);
    pthread_mutex_unlock(&parent->mu);
    if (rc)
      troupe_err_set(err, rc, "group '%s': out of memory", g->name);
  }
  troupe_child_spec cs;
  child_spec_of_group(g, &cs);
  troupe_actor_id child;
  troupe_err e;
  troupe_err_clear(&e);
  bool started = false;
  if (!rc) {
    started = true;
    rc = troupe_sup_start_child(h->rt, psup, &cs, &child, &e);
  }
  /* EXISTS: the parent restarted meanwhile and started this new member itself. */
  if (rc == TROUPE_E_EXISTS && parent)
    rc = TROUPE_OK;
  if (started && rc) {
    /* A member's own account of its failed start when there is one (as
     * troupe_host_spawn's), else the supervisor's. */
    size_t at = failed_member(recs, nmembers, &e);
    if (failed)
      *failed = at;
    if (at < nmembers)
      rc = trP_start_error(recs[at], rc, &e, err);
    else
      troupe_err_set(err, rc, "group '%s': %s", g->name, troupe_err_message(&e));
  }
  for (size_t i = 0; i < nmembers; i++) {
    if (!recs[i])
      continue;
    if (rc)
      drop_member(h, recs[i]);
    else {
      ids[i] = recs[i]->id;
      trP_rec_unref(recs[i]); /* the group and its supervisor hold theirs */
    }
  }
  free(recs);
  if (rc) {
    if (parent)
      mark_removed(parent, g);
    /* Unlisted, but not freed: a parent's supervisor may hold its spec a moment longer
     * (it drops a failed start's spec after this returns); kept until the host ends. */
    pthread_mutex_lock(&h->groups_mu);
    g->name[0] = '\0'; /* the name is free again; the id is never reused */
    pthread_mutex_unlock(&h->groups_mu);
    return rc;
  }
  *out = g->id;
  return TROUPE_OK;
}

int troupe_host_group_new(troupe_host *h, const troupe_group_spec *spec, troupe_group_id *out,
                          troupe_err *err) {
  return troupe_host_group_start(h, spec, NULL, 0, NULL, NULL, out, err);
}

int troupe_host_group_lookup(troupe_host *h, const char *name, troupe_group_id *out) {
  if (!h || !name || !out || !*name)
    return TROUPE_E_INVAL;
  pthread_mutex_lock(&h->groups_mu);
  trP_group *g = find_name_locked(h, name);
  *out = g ? g->id : 0;
  pthread_mutex_unlock(&h->groups_mu);
  return g ? TROUPE_OK : TROUPE_E_NOTFOUND;
}

void troupe_group_info_clear(troupe_group_info *info) {
  if (!info)
    return;
  free(info->name);
  free(info->members);
  memset(info, 0, sizeof *info);
}

/* The root's members: its components in spawn order, then its groups in creation order. */
static int root_members(troupe_host *h, troupe_group_info *out) {
  trP_rec **v;
  size_t n;
  if (trP_table_snapshot(&h->table, &v, &n))
    return TROUPE_E_NOMEM;
  pthread_mutex_lock(&h->groups_mu);
  size_t ng = 0;
  for (trP_group *g = h->groups; g; g = g->next)
    ng += !g->parent && g->name[0];
  size_t cap = n + ng;
  out->members = cap ? trB_calloc(cap, sizeof *out->members) : NULL;
  int rc = cap && !out->members ? TROUPE_E_NOMEM : TROUPE_OK;
  size_t k = 0;
  for (size_t i = 0; !rc && i < n; i++)
    if (!v[i]->group)
      out->members[k++] = (troupe_group_member){.id = v[i]->id};
  /* the list is newest first: fill the groups' part backwards */
  size_t j = k + ng;
  for (trP_group *g = h->groups; !rc && g; g = g->next)
    if (!g->parent && g->name[0])
      out->members[--j] = (troupe_group_member){.is_group = true, .id = g->id};
  pthread_mutex_unlock(&h->groups_mu);
  out->nmembers = k + ng;
  for (size_t i = 0; i < n; i++)
    trP_rec_unref(v[i]);
  free(v);
  return rc;
}

static int group_members(trP_group *g, troupe_group_info *out) {
  pthread_mutex_lock(&g->mu);
  out->members = g->n ? trB_calloc(g->n, sizeof *out->members) : NULL;
  int rc = g->n && !out->members ? TROUPE_E_NOMEM : TROUPE_OK;
  for (size_t i = 0; !rc && i < g->n; i++) {
    if (g->m[i].removed)
      continue;
    bool isg = g->m[i].is_group;
    out->members[out->nmembers++] = (troupe_group_member){
        .is_group = isg,
        .id = isg ? ((trP_group *)g->m[i].p)->id : ((trP_rec *)g->m[i].p)->id};
  }
  pthread_mutex_unlock(&g->mu);
  return rc;
}

int troupe_host_group_info(troupe_host *h, troupe_group_id id, troupe_group_info *out,
                           troupe_err *err) {
  if (!h || !out)
    return troupe_err_set(err, TROUPE_E_INVAL, "group_info: host and out are required");
  memset(out, 0, sizeof *out);
  out->id = id;
  int rc;
  if (!id) {
    troupe_actor_info ai;
    const char *name = "components";
    bool named = troupe_registry_info(h->rt, h->root, &ai) == TROUPE_OK;
    if (named && ai.name)
      name = ai.name;
    out->name = trB_strdup(name);
    if (named)
      troupe_actor_info_clear(&ai);
    out->actor = troupe_actor_alive(h->rt, h->root) ? h->root : 0;
    out->strategy = h->root_cfg.strategy;
    out->intensity = h->root_cfg.intensity;
    out->period_ms = h->root_cfg.period_ms;
    rc = out->name ? root_members(h, out) : TROUPE_E_NOMEM;
  } else {
    trP_group *g = trP_group_find(h, id);
    if (!g || !g->name[0])
      return troupe_err_set(err, TROUPE_E_NOTFOUND, "no group %llu", (unsigned long long)id);
    out->parent = g->parent ? g->parent->id : 0;
    out->name = trB_strdup(g->name);
    troupe_actor_id a = atomic_load_explicit(&g->sup, memory_order_acquire);
    out->actor = a && troupe_actor_alive(h->rt, a) ? a : 0;
    out->strategy = g->cfg.strategy;
    out->intensity = g->cfg.intensity;
    out->period_ms = g->cfg.period_ms;
    rc = out->name ? group_members(g, out) : TROUPE_E_NOMEM;
  }
  if (rc) {
    troupe_group_info_clear(out);
    return troupe_err_set(err, rc, "group_info: out of memory");
  }
  return TROUPE_OK;
}
