/*
 * node/manifest_check.c: the checks that need the whole manifest, run once every field
 * parsed: children name existing components or supervisors; each component runs under
 * exactly one supervisor and each supervisor but one (the root) has exactly one parent;
 * no cycle; `significant` only where it can act (transient or temporary, under an
 * auto_shutdown supervisor); subscriptions name components; module files exist. The
 * tree is walked through parent links, never by C recursion.
 */
#include "node/manifest_int.h"

#include <sys/stat.h>
#include <unistd.h>

static const char *field_of(trN_load *L, const char *section, const char *name,
                            const char *sub) {
  const char *f = sub ? trN_arena_printf(L->arena, "%s.%s.%s", section, name, sub)
                      : trN_arena_printf(L->arena, "%s.%s", section, name);
  if (!f)
    trN_nomem(L);
  return f ? f : section;
}

static void check_files(trN_load *L) {
  troupe_manifest *m = L->m;
  const char *dir = m->dir;
  if (L->opts->modules_dir)
    dir = trN_arena_strdup(L->arena, L->opts->modules_dir);
  else if (m->node.modules_dir)
    dir = m->node.modules_dir;
  if (!dir) {
    trN_nomem(L);
    return;
  }
  m->node.modules_dir = dir;
  for (size_t i = 0; i < m->ncomponents; i++) {
    troupe_manifest_component *c = &L->comps[i];
    const char *given = L->aux[i].path_given;
    if (!given)
      continue;
    c->module_path = given[0] == '/' ? given : trN_arena_printf(L->arena, "%s/%s", dir, given);
    if (!c->module_path) {
      trN_nomem(L);
      return;
    }
    if (L->opts->skip_files)
      continue;
    struct stat st;
    const char *why = NULL;
    if (stat(c->module_path, &st))
      why = "not found";
    else if (!S_ISREG(st.st_mode))
      why = "is not a regular file";
    else if (access(c->module_path, R_OK))
      why = "is not readable";
    if (!why)
      continue;
    bool moved = strcmp(given, c->module_path) != 0;
    trN_error_field(L, L->aux[i].module_pos, field_of(L, "components", c->spec.name, "path"),
                    "module file '%s' %s%s%s%s", given, why, moved ? " (looked for '" : "",
                    moved ? c->module_path : "", moved ? "')" : "");
  }
}

static const char *child_field(trN_load *L, const char *sup, size_t j) {
  const char *f = trN_arena_printf(L->arena, "supervisors.%s.children[%zu]", sup, j);
  if (!f)
    trN_nomem(L);
  return f ? f : "supervisors";
}

/* Children: resolve names, give each component and supervisor its one parent. */
static void check_children(trN_load *L) {
  troupe_manifest *m = L->m;
  troupe_manifest_pos *comp_ref = trB_calloc(m->ncomponents + 1, sizeof *comp_ref);
  troupe_manifest_pos *sup_ref = trB_calloc(m->nsupervisors + 1, sizeof *sup_ref);
  if (!comp_ref || !sup_ref) {
    free(comp_ref);
    free(sup_ref);
    trN_nomem(L);
    return;
  }
  for (size_t s = 0; s < m->nsupervisors; s++) {
    troupe_manifest_supervisor *sup = &L->sups[s];
    size_t idx = trN_names_get(&L->comp_names, sup->name);
    if (idx != SIZE_MAX)
      trN_error_field(L, sup->pos, field_of(L, "supervisors", sup->name, NULL),
                      "'%s' is also a component's name (line %u): children name either, so "
                      "names must differ", sup->name, (unsigned)L->comps[idx].pos.line);
  }
  for (size_t s = 0; s < m->nsupervisors && !L->nomem; s++) {
    troupe_manifest_supervisor *sup = &L->sups[s];
    const trN_ynode *list = L->sup_children[s];
    if (!list || list->kind != TRN_Y_SEQ || !list->n)
      continue;
    troupe_manifest_child *kids = trN_arena_alloc(L->arena, list->n * sizeof *kids);
    if (!kids) {
      trN_nomem(L);
      break;
    }
    size_t n = 0;
    for (size_t j = 0; j < list->n; j++) {
      const trN_ynode *item = list->items[j];
      if (item->kind != TRN_Y_SCALAR || trN_is_null(item) || strlen(item->text) != item->len)
        continue; /* reported by the parse */
      /* the field's path, made only for an error (this loop sees every child) */
      troupe_manifest_pos pos = {L->file, item->line, item->column};
      size_t c = trN_names_get(&L->comp_names, item->text);
      size_t t = trN_names_get(&L->sup_names, item->text);
      if (c != SIZE_MAX) {
        troupe_manifest_component *comp = &L->comps[c];
        if (comp->supervisor != SIZE_MAX) {
          trN_error_field(L, pos, child_field(L, sup->name, j),
                          "component '%s' is already a child of supervisor '%s' (line %u): a "
                          "component runs under one supervisor", item->text,
                          L->sups[comp->supervisor].name, (unsigned)comp_ref[c].line);
          continue;
        }
        comp->supervisor = s;
        comp_ref[c] = pos;
        kids[n++] = (troupe_manifest_child){TROUPE_MANIFEST_COMPONENT, c, pos};
      } else if (t != SIZE_MAX) {
        troupe_manifest_supervisor *child = &L->sups[t];
        if (t == s) {
          trN_error_field(L, pos, child_field(L, sup->name, j),
                          "supervisor '%s' cannot be its own child", item->text);
          continue;
        }
        if (child->parent != TROUPE_MANIFEST_NO_PARENT) {
          trN_error_field(L, pos, child_field(L, sup->name, j),
                          "supervisor '%s' is already a child of supervisor '%s' (line %u): a "
                          "supervisor has one parent", item->text, L->sups[child->parent].name,
                          (unsigned)sup_ref[t].line);
          continue;
        }
        child->parent = s;
        sup_ref[t] = pos;
        kids[n++] = (troupe_manifest_child){TROUPE_MANIFEST_SUPERVISOR, t, pos};
      } else {
        trN_error_field(L, pos, child_field(L, sup->name, j),
                        "no component or supervisor named '%s'", item->text);
      }
    }
    sup->children = kids;
    sup->nchildren = n;
  }
  free(comp_ref);
  free(sup_ref);
  for (size_t i = 0; i < m->ncomponents; i++)
    if (L->comps[i].supervisor == SIZE_MAX)
      trN_error_field(L, L->comps[i].pos, field_of(L, "components", L->comps[i].spec.name, NULL),
                      "component '%s' is in no supervisor's children: list it under one",
                      L->comps[i].spec.name);
}

/* One root, and no cycle: following parent links from any supervisor ends at it. */
static void check_tree(trN_load *L) {
  troupe_manifest *m = L->m;
  size_t root = SIZE_MAX;
  for (size_t s = 0; s < m->nsupervisors; s++) {
    troupe_manifest_supervisor *sup = &L->sups[s];
    if (sup->parent != TROUPE_MANIFEST_NO_PARENT)
      continue;
    if (root == SIZE_MAX)
      root = s;
    else
      trN_error_field(L, sup->pos, field_of(L, "supervisors", sup->name, NULL),
                      "supervisor '%s' is in no supervisor's children, but '%s' (line %u) is "
                      "already the root: a manifest has one root", sup->name, L->sups[root].name,
                      (unsigned)L->sups[root].pos.line);
  }
  m->root = root;
  size_t *seen = trB_calloc(m->nsupervisors + 1, sizeof *seen);
  if (!seen) {
    trN_nomem(L);
    return;
  }
  for (size_t s = 0; s < m->nsupervisors; s++) {
    size_t x = s;
    while (x != TROUPE_MANIFEST_NO_PARENT && !seen[x]) {
      seen[x] = s + 1;
      x = L->sups[x].parent;
    }
    if (x == TROUPE_MANIFEST_NO_PARENT || seen[x] != s + 1)
      continue; /* reached a root, or a walk made before */
    /* x is on a new cycle: name its members, child before parent */
    char names[512];
    size_t o = 0, first = x;
    size_t y = x;
    do {
      if (y < first)
        first = y;
      if (o < sizeof names)
        o += (size_t)snprintf(names + o, sizeof names - o, "%s -> ", L->sups[y].name);
      y = L->sups[y].parent;
    } while (y != x);
    if (o < sizeof names)
      snprintf(names + o, sizeof names - o, "%s", L->sups[x].name);
    trN_error_field(L, L->sups[first].pos, field_of(L, "supervisors", L->sups[first].name, NULL),
                    "supervisors form a cycle: %s (each is a child of the next)", names);
  }
  free(seen);
  if (root == SIZE_MAX && m->nsupervisors)
    trN_error_at(L, L->sups[0].pos.line, L->sups[0].pos.column, "supervisors",
                 "no root: every supervisor is some supervisor's child");
}

static void check_significant(trN_load *L) {
  troupe_manifest *m = L->m;
  for (size_t i = 0; i < m->ncomponents; i++) {
    const troupe_manifest_component *c = &L->comps[i];
    if (!c->significant)
      continue;
    const char *field = field_of(L, "components", c->spec.name, "significant");
    if (c->spec.restart == TROUPE_PERMANENT)
      trN_error_field(L, L->aux[i].significant_pos, field,
                      "a significant component must have restart transient or temporary "
                      "(it is permanent, the default)");
    if (c->supervisor != SIZE_MAX &&
        L->sups[c->supervisor].config.auto_shutdown == TROUPE_AUTO_NEVER)
      trN_error_field(L, L->aux[i].significant_pos, field,
                      "significant has no effect: its supervisor '%s' has auto_shutdown never",
                      L->sups[c->supervisor].name);
  }
}

static void check_subscriptions(trN_load *L) {
  troupe_manifest *m = L->m;
  for (size_t i = 0; i < m->nsubscriptions; i++) {
    const char *name = L->sub_names[i];
    if (!name)
      continue;
    size_t c = trN_names_get(&L->comp_names, name);
    if (c == SIZE_MAX) {
      const char *field = trN_arena_printf(L->arena, "subscriptions[%zu].component", i);
      trN_error_field(L, L->sub_name_pos[i], field ? field : "subscriptions",
                      "no component named '%s'", name);
    }
    L->subs[i].component = c;
  }
}

void trN_manifest_check(trN_load *L) {
  check_files(L);
  check_subscriptions(L);
  if (!L->m->nsupervisors)
    return; /* reported by the parse; every component would be "in no supervisor" */
  check_children(L);
  check_tree(L);
  check_significant(L);
}
