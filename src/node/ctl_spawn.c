/*
 * node/ctl_spawn.c: the spawn and upgrade ops. A component spec from the request's fields (name,
 * a store reference or a module file, limits, capabilities, arguments, environment,
 * restart type, health polling), checked strictly: an unknown limit or capability key,
 * or a value of the wrong type, is a BAD_REQUEST naming it, so a typo never spawns a
 * component with a default the user did not mean. A module "path" is read by the
 * node, which runs as the same user as any client that could reach its socket. The
 * upgrade op takes a module the same two ways and hands it to troupe_host_upgrade.
 */
#include "node/ctl_internal.h"
#include "node/node_int.h"

#include <stdlib.h>
#include <string.h>


typedef struct spawn_ctx {
  const char **ename;
  troupe_err *err;
} spawn_ctx;

static int bad(spawn_ctx *c, const char *fmt, const char *what) {
  *c->ename = "BAD_REQUEST";
  return troupe_err_set(c->err, TROUPE_E_INVAL, fmt, what);
}

static int num(spawn_ctx *c, json_t *obj, const char *key, uint64_t max, uint64_t *out) {
  json_t *v = json_object_get(obj, key);
  if (!v)
    return TROUPE_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) > max)
    return bad(c, "spawn: \"%s\" must be a non-negative integer in range", key);
  *out = (uint64_t)json_integer_value(v);
  return TROUPE_OK;
}

/* An array of strings as a NULL-free vector borrowed from the request. */
static int strings(spawn_ctx *c, json_t *obj, const char *key, const char ***v, size_t *n) {
  json_t *a = json_object_get(obj, key);
  *v = NULL;
  *n = 0;
  if (!a)
    return TROUPE_OK;
  if (!json_is_array(a))
    return bad(c, "spawn: \"%s\" must be an array of strings", key);
  size_t k = json_array_size(a);
  *v = calloc(k ? k : 1, sizeof **v);
  if (!*v)
    return troupe_err_set(c->err, TROUPE_E_NOMEM, "out of memory");
  for (size_t i = 0; i < k; i++) {
    json_t *e = json_array_get(a, i);
    if (!json_is_string(e) || strlen(json_string_value(e)) != json_string_length(e))
      return bad(c, "spawn: \"%s\" must be an array of strings", key);
    (*v)[i] = json_string_value(e);
  }
  *n = k;
  return TROUPE_OK;
}

static int limits(spawn_ctx *c, json_t *obj, troupe_component_limits *l) {
  if (!obj)
    return TROUPE_OK;
  if (!json_is_object(obj))
    return bad(c, "spawn: \"%s\" must be an object", "limits");
  static const char *const keys[] = {"max_memory_pages", "max_stack_bytes",  "max_call_depth",
                                     "fuel_slice",       "fuel_per_message", "mailbox_bound",
                                     "max_message_bytes", "start_timeout_ms",
                                     "cleanup_timeout_ms"};
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    size_t i = 0;
    while (i < sizeof keys / sizeof keys[0] && strcmp(keys[i], key))
      i++;
    if (i == sizeof keys / sizeof keys[0])
      return bad(c, "spawn: unknown limit \"%s\"", key);
  }
  uint64_t x[9] = {l->max_memory_pages, l->max_stack_bytes,  l->max_call_depth,
                   l->fuel_slice,       l->fuel_per_message, l->mailbox_bound,
                   l->max_message_bytes, l->start_timeout_ms, l->cleanup_timeout_ms};
  const uint64_t max[9] = {UINT32_MAX, UINT64_MAX >> 1, UINT32_MAX, UINT64_MAX >> 1,
                           UINT64_MAX >> 1, UINT32_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX};
  for (int i = 0; i < 9; i++) {
    int rc = num(c, obj, keys[i], max[i], &x[i]);
    if (rc)
      return rc;
  }
  l->max_memory_pages = (uint32_t)x[0];
  l->max_stack_bytes = x[1];
  l->max_call_depth = (uint32_t)x[2];
  l->fuel_slice = x[3];
  l->fuel_per_message = x[4];
  l->mailbox_bound = (uint32_t)x[5];
  l->max_message_bytes = (uint32_t)x[6];
  l->start_timeout_ms = (uint32_t)x[7];
  l->cleanup_timeout_ms = (uint32_t)x[8];
  return TROUPE_OK;
}

typedef struct caps_vecs {
  const char **v[5];
  size_t n[5];
} caps_vecs;

static int caps(spawn_ctx *c, json_t *obj, caps_vecs *cv, troupe_component_caps *out) {
  static const char *const keys[] = {"send_to", "accept_from", "publish", "subscribe", "spawn"};
  if (!obj)
    return TROUPE_OK;
  if (!json_is_object(obj))
    return bad(c, "spawn: \"%s\" must be an object", "caps");
  const char *key;
  json_t *v;
  json_object_foreach(obj, key, v) {
    size_t i = 0;
    while (i < 5 && strcmp(keys[i], key))
      i++;
    if (i == 5)
      return bad(c, "spawn: unknown capability \"%s\"", key);
  }
  for (int i = 0; i < 5; i++) {
    int rc = strings(c, obj, keys[i], &cv->v[i], &cv->n[i]);
    if (rc)
      return rc;
  }
  troupe_pattern_list *lists[5] = {&out->send_to, &out->accept_from, &out->publish,
                                   &out->subscribe, &out->spawn};
  for (int i = 0; i < 5; i++)
    if (cv->v[i])
      *lists[i] = (troupe_pattern_list){cv->v[i], cv->n[i]};
  return TROUPE_OK;
}

/* A node that trusts only signed modules cannot check a file: it takes store
 * references only. */
static int refuse_file(spawn_ctx *c) {
  return troupe_err_set(c->err, TROUPE_E_DENIED,
                        "this node runs only signed modules from its store (it has trusted "
                        "keys): give a store reference, not a file");
}

static int restart_type(spawn_ctx *c, json_t *v, troupe_restart_type *out) {
  if (!v)
    return TROUPE_OK;
  const char *s = json_is_string(v) ? json_string_value(v) : "";
  if (!strcmp(s, "permanent"))
    *out = TROUPE_PERMANENT;
  else if (!strcmp(s, "transient"))
    *out = TROUPE_TRANSIENT;
  else if (!strcmp(s, "temporary"))
    *out = TROUPE_TEMPORARY;
  else
    return bad(c, "spawn: \"%s\" must be permanent, transient or temporary", "restart");
  return TROUPE_OK;
}

int trN_ctl_spawn(troupe_ctl_server *s, json_t *in, troupe_component_id *id,
                  const char **ename, troupe_err *err) {
  spawn_ctx c = {ename, err};
  troupe_component_spec spec;
  memset(&spec, 0, sizeof spec);
  caps_vecs cv = {0};
  const char **argv = NULL, **env = NULL;
  uint8_t *bytes = NULL;
  json_t *name = json_object_get(in, "name"), *module = json_object_get(in, "module"),
         *path = json_object_get(in, "path");
  uint64_t shutdown = 0, hint = 0, hthr = 0;
  int rc;
  if (!json_is_string(name)) {
    rc = bad(&c, "spawn: missing \"%s\" (a string)", "name");
    goto out;
  }
  if (!module == !path || (module && !json_is_string(module)) || (path && !json_is_string(path))) {
    rc = bad(&c, "spawn: give exactly one of \"module\" (a store reference) or \"%s\" (a file)",
             "path");
    goto out;
  }
  if (path && s->no_module_files) {
    rc = refuse_file(&c);
    goto out;
  }
  spec.name = json_string_value(name);
  if ((rc = limits(&c, json_object_get(in, "limits"), &spec.limits)) ||
      (rc = caps(&c, json_object_get(in, "caps"), &cv, &spec.caps)) ||
      (rc = strings(&c, in, "argv", &argv, &spec.argc)) ||
      (rc = strings(&c, in, "env", &env, &spec.envc)) ||
      (rc = restart_type(&c, json_object_get(in, "restart"), &spec.restart)) ||
      (rc = num(&c, in, "shutdown_ms", UINT32_MAX, &shutdown)) ||
      (rc = num(&c, in, "health_interval_ms", UINT32_MAX, &hint)) ||
      (rc = num(&c, in, "health_threshold", UINT32_MAX, &hthr)))
    goto out;
  spec.argv = argv;
  spec.env = env;
  spec.shutdown_ms = (uint32_t)shutdown;
  spec.health_interval_ms = (uint32_t)hint;
  spec.health_threshold = (uint32_t)hthr;
  if (module) {
    spec.module = json_string_value(module);
  } else {
    if ((rc = trN_read_file(json_string_value(path), &bytes, &spec.module_len, err)))
      goto out;
    spec.module_bytes = bytes;
  }
  rc = troupe_host_spawn(s->host, &spec, id, err);
out:
  for (int i = 0; i < 5; i++)
    free(cv.v[i]);
  free(argv);
  free(env);
  free(bytes);
  return rc;
}

int trN_ctl_upgrade(troupe_ctl_server *s, json_t *in, troupe_component_id id,
                    const char **ename, troupe_err *err) {
  spawn_ctx c = {ename, err};
  json_t *module = json_object_get(in, "module"), *path = json_object_get(in, "path");
  uint64_t timeout = 0;
  if (!module == !path || (module && !json_is_string(module)) || (path && !json_is_string(path)))
    return bad(&c, "upgrade: give exactly one of \"module\" (a store reference) or \"%s\" "
               "(a file)", "path");
  int rc = num(&c, in, "timeout_ms", 3600000, &timeout);
  if (rc)
    return rc;
  if (path && s->no_module_files)
    return refuse_file(&c);
  if (module)
    return troupe_host_upgrade(s->host, id, json_string_value(module), NULL, 0,
                               timeout * 1000000u, err);
  uint8_t *bytes;
  size_t len;
  if ((rc = trN_read_file(json_string_value(path), &bytes, &len, err)))
    return rc;
  rc = troupe_host_upgrade(s->host, id, NULL, bytes, len, timeout * 1000000u, err);
  free(bytes);
  return rc;
}
