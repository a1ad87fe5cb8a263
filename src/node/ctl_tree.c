/*
 * node/ctl_tree.c: the supervision tree of a node as JSON, for `troupe ps`: the root
 * supervisor and its groups (troupe_host_group_info), each with its strategy and
 * restart intensity and its members in start order -- components by id (their rows are
 * in the response's "components"), groups nested in place. Walked with an explicit
 * stack: a hostile embedder's deep tree cannot overflow the server thread's stack.
 */
#include "node/ctl_internal.h"

#include <stdlib.h>

static const char *strategy_name(troupe_sup_strategy s) {
  switch (s) {
  case TROUPE_ONE_FOR_ONE:
    return "one_for_one";
  case TROUPE_ONE_FOR_ALL:
    return "one_for_all";
  case TROUPE_REST_FOR_ONE:
    return "rest_for_one";
  case TROUPE_SIMPLE_ONE_FOR_ONE:
    return "simple_one_for_one";
  }
  return "unknown";
}

static json_t *group_json(troupe_host *h, troupe_group_id id, json_t **members) {
  troupe_group_info gi;
  *members = NULL;
  if (troupe_host_group_info(h, id, &gi, NULL))
    return NULL;
  json_t *o = json_object();
  json_object_set_new(o, "group", json_integer((json_int_t)gi.id));
  json_object_set_new(o, "name", trN_json_text(gi.name));
  json_object_set_new(o, "strategy", json_string(strategy_name(gi.strategy)));
  json_object_set_new(o, "intensity", json_integer(gi.intensity));
  json_object_set_new(o, "period_ms", json_integer((json_int_t)gi.period_ms));
  json_object_set_new(o, "running", json_boolean(gi.actor != 0));
  *members = json_array(); /* owned by o; returned borrowed, for the caller to expand */
  json_object_set_new(o, "members", *members);
  for (size_t i = 0; i < gi.nmembers; i++) {
    json_t *m = json_object();
    json_object_set_new(m, gi.members[i].is_group ? "group" : "component",
                        json_integer((json_int_t)gi.members[i].id));
    json_array_append_new(*members, m);
  }
  troupe_group_info_clear(&gi);
  return o;
}

json_t *trN_ctl_tree_json(troupe_host *h) {
  json_t *members;
  json_t *root = group_json(h, 0, &members);
  if (!root)
    return json_null();
  /* Replace each {"group": id} member by the group's own object, breadth first. */
  json_t **todo = malloc(sizeof *todo * 16);
  size_t n = 0, cap = 16;
  if (todo)
    todo[n++] = members;
  while (todo && n) {
    json_t *arr = todo[--n];
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
      json_t *g = json_object_get(m, "group");
      if (!g)
        continue;
      json_t *sub_members;
      json_t *sub = group_json(h, (troupe_group_id)json_integer_value(g), &sub_members);
      if (!sub)
        continue; /* gone meanwhile: keep the bare reference */
      json_array_set_new(arr, i, sub);
      if (n == cap) {
        json_t **t = realloc(todo, sizeof *t * cap * 2);
        if (!t)
          break;
        todo = t;
        cap *= 2;
      }
      todo[n++] = sub_members;
    }
  }
  free(todo);
  return root;
}
