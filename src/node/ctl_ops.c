/*
 * node/ctl_ops.c: one request line in, one response line out. The request is parsed
 * (jansson), its "op" looked up in the table below, and the op carries it out with the
 * public host API (troupe/component.h). Every failure is a response, never a reason to
 * drop the node or the connection: {"ok":false,"error":NAME,"message":TEXT}, where NAME
 * is BAD_REQUEST, UNKNOWN_OP, UNSUPPORTED (a protocol version or an op this node does
 * not serve) or the host's status name (NOTFOUND, TIMEOUT, TRAP...). docs/CONTROL.md
 * lists every op with its fields.
 */
#include "node/ctl_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "troupe/base.h"

#define ASK_TIMEOUT_DEFAULT_MS 5000u
#define ASK_TIMEOUT_MAX_MS 3600000u

typedef struct req {
  troupe_ctl_server *s;
  json_t *in;       /* the request object */
  json_t *resp;     /* the response being built ("ok":true first) */
  trN_buf *out;     /* for ops that write their response themselves (logs) */
  trN_follow *follow;
  bool written;     /* the op wrote the response into out */
  const char *ename; /* a protocol error's name; NULL: the status's */
  troupe_err err;
} req;

int trN_ctl_error(trN_buf *out, const char *name, const char *fmt, ...) {
  char msg[TROUPE_ERR_MSG_MAX + 64];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *j = json_object();
  if (!j)
    return TROUPE_E_NOMEM;
  json_object_set_new(j, "ok", json_false());
  json_object_set_new(j, "error", json_string(name));
  json_object_set_new(j, "message", trN_json_text(msg));
  return trN_buf_put_json(out, j);
}

static int bad(req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(req *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  troupe_err_setv(&r->err, TROUPE_E_INVAL, fmt, ap);
  va_end(ap);
  r->ename = "BAD_REQUEST";
  return TROUPE_E_INVAL;
}

/* ---- fields of a request ------------------------------------------------------------ */

static int get_str(req *r, json_t *obj, const char *key, bool required, const char **out) {
  json_t *v = json_object_get(obj, key);
  *out = NULL;
  if (!v || json_is_null(v))
    return required ? bad(r, "missing \"%s\"", key) : TROUPE_OK;
  if (!json_is_string(v))
    return bad(r, "\"%s\" must be a string", key);
  if (strlen(json_string_value(v)) != json_string_length(v))
    return bad(r, "\"%s\" must not contain NUL", key);
  *out = json_string_value(v);
  return TROUPE_OK;
}

static int get_uint(req *r, json_t *obj, const char *key, uint64_t max, uint64_t def,
                    uint64_t *out) {
  json_t *v = json_object_get(obj, key);
  *out = def;
  if (!v || json_is_null(v))
    return TROUPE_OK;
  if (!json_is_integer(v) || json_integer_value(v) < 0 ||
      (uint64_t)json_integer_value(v) > max)
    return bad(r, "\"%s\" must be an integer from 0 to %llu", key, (unsigned long long)max);
  *out = (uint64_t)json_integer_value(v);
  return TROUPE_OK;
}

static int get_bool(req *r, json_t *obj, const char *key, bool *out) {
  json_t *v = json_object_get(obj, key);
  *out = false;
  if (!v || json_is_null(v))
    return TROUPE_OK;
  if (!json_is_boolean(v))
    return bad(r, "\"%s\" must be true or false", key);
  *out = json_is_true(v);
  return TROUPE_OK;
}

/* The component a request names: "name" (a string) or "id" (an integer). */
static int target(req *r, troupe_component_id *id) {
  const char *name;
  uint64_t n;
  int rc;
  if ((rc = get_str(r, r->in, "name", false, &name)) ||
      (rc = get_uint(r, r->in, "id", UINT64_MAX >> 1, 0, &n)))
    return rc;
  if (name) {
    if (troupe_host_lookup(r->s->host, name, id))
      return troupe_err_set(&r->err, TROUPE_E_NOTFOUND, "no component '%s'", name);
    return TROUPE_OK;
  }
  if (!n)
    return bad(r, "missing \"name\" (or \"id\") of a component");
  *id = n;
  return TROUPE_OK;
}

/* The payload of send/ask/invoke: the JSON value under key, as JSON or CBOR bytes. */
static int payload(req *r, const char *key, uint8_t **data, size_t *len) {
  const char *codec;
  int rc = get_str(r, r->in, "codec", false, &codec);
  if (rc)
    return rc;
  if (codec && strcmp(codec, "json") && strcmp(codec, "cbor"))
    return bad(r, "\"codec\" must be \"json\" or \"cbor\"");
  rc = trN_ctl_payload(json_object_get(r->in, key), codec && !strcmp(codec, "cbor"), data, len,
                       &r->err);
  if (rc)
    r->ename = "BAD_REQUEST";
  return rc;
}

/* ---- the ops ------------------------------------------------------------------------ */

static int op_hello(req *r) {
  json_object_set_new(r->resp, "protocol", json_integer(TROUPE_CTL_PROTOCOL));
  json_object_set_new(r->resp, "node", json_string(r->s->node));
  json_object_set_new(r->resp, "version", json_string(troupe_version()));
  json_object_set_new(r->resp, "pid", json_integer(getpid()));
  json_object_set_new(r->resp, "uptime_ms",
                      json_integer((json_int_t)((troupe_clock_mono_ns() - r->s->started_ns) / 1000000u)));
  return TROUPE_OK;
}

/* ps and top: every component, short form. */
static int list_components(req *r) {
  troupe_component_id *ids = NULL;
  size_t n = 0;
  int rc = troupe_host_list(r->s->host, &ids, &n, &r->err);
  if (rc)
    return rc;
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    troupe_component_info info;
    if (troupe_host_info(r->s->host, ids[i], &info, NULL))
      continue; /* gone since the list was taken */
    json_array_append_new(arr, trN_ctl_info_json(&info, false));
    troupe_component_info_clear(&info);
  }
  free(ids);
  json_object_set_new(r->resp, "node", json_string(r->s->node));
  json_object_set_new(r->resp, "components", arr);
  return TROUPE_OK;
}

static int op_ps(req *r) {
  int rc = list_components(r);
  if (!rc)
    json_object_set_new(r->resp, "tree", trN_ctl_tree_json(r->s->host));
  return rc;
}

static int op_top(req *r) {
  /* Sampled before the list: rates from two samples err on the low side. */
  json_object_set_new(r->resp, "sample_ns", json_integer((json_int_t)troupe_clock_mono_ns()));
  return list_components(r);
}

static int op_info(req *r) {
  troupe_component_id id;
  int rc = target(r, &id);
  if (rc)
    return rc;
  troupe_component_info info;
  if ((rc = troupe_host_info(r->s->host, id, &info, &r->err)))
    return rc;
  json_object_set_new(r->resp, "component", trN_ctl_info_json(&info, true));
  troupe_component_info_clear(&info);
  return TROUPE_OK;
}

static int op_send(req *r) {
  troupe_component_id id;
  uint64_t tag;
  uint8_t *data;
  size_t len;
  int rc;
  if ((rc = target(r, &id)) || (rc = get_uint(r, r->in, "tag", UINT32_MAX, 0, &tag)) ||
      (rc = payload(r, "payload", &data, &len)))
    return rc;
  rc = troupe_host_send(r->s->host, id, (uint32_t)tag, data, len, &r->err);
  free(data);
  return rc;
}

static int op_ask(req *r) {
  troupe_component_id id;
  uint64_t tag, timeout;
  uint8_t *data, *reply = NULL;
  size_t len, rlen = 0;
  int rc;
  if ((rc = target(r, &id)) || (rc = get_uint(r, r->in, "tag", UINT32_MAX, 0, &tag)) ||
      (rc = get_uint(r, r->in, "timeout_ms", ASK_TIMEOUT_MAX_MS, ASK_TIMEOUT_DEFAULT_MS,
                     &timeout)) ||
      (rc = payload(r, "payload", &data, &len)))
    return rc;
  rc = troupe_host_ask(r->s->host, id, (uint32_t)tag, data, len, timeout * 1000000u, &reply,
                       &rlen, &r->err);
  free(data);
  if (!rc)
    trN_ctl_put_payload(r->resp, "reply", reply, rlen);
  free(reply);
  return rc;
}

static int op_invoke(req *r) {
  troupe_component_id id;
  const char *fn;
  uint64_t timeout;
  uint8_t *data, *res = NULL;
  size_t len, rlen = 0;
  int rc;
  if ((rc = target(r, &id)) || (rc = get_str(r, r->in, "fn", true, &fn)) ||
      (rc = get_uint(r, r->in, "timeout_ms", ASK_TIMEOUT_MAX_MS, ASK_TIMEOUT_DEFAULT_MS,
                     &timeout)) ||
      (rc = payload(r, "args", &data, &len)))
    return rc;
  rc = troupe_host_invoke(r->s->host, id, fn, data, len, timeout * 1000000u, &res, &rlen,
                          &r->err);
  free(data);
  if (!rc)
    trN_ctl_put_payload(r->resp, "result", res, rlen);
  free(res);
  return rc;
}

static int op_stop(req *r) {
  troupe_component_id id;
  int rc = target(r, &id);
  return rc ? rc : troupe_host_stop(r->s->host, id, &r->err);
}

static int op_restart(req *r) {
  troupe_component_id id;
  int rc = target(r, &id);
  return rc ? rc : troupe_host_restart(r->s->host, id, &r->err);
}

static int op_upgrade(req *r) {
  troupe_component_id id;
  int rc = target(r, &id);
  if (rc || (rc = trN_ctl_upgrade(r->s, r->in, id, &r->ename, &r->err)))
    return rc;
  troupe_component_info info;
  if (!troupe_host_info(r->s->host, id, &info, NULL)) {
    json_object_set_new(r->resp, "component", trN_ctl_info_json(&info, false));
    json_object_set_new(r->resp, "sha256", json_string(info.sha256));
    troupe_component_info_clear(&info);
  }
  return TROUPE_OK;
}

static int op_spawn(req *r) {
  troupe_component_id id = 0;
  int rc = trN_ctl_spawn(r->s, r->in, &id, &r->ename, &r->err);
  if (rc)
    return rc;
  json_object_set_new(r->resp, "id", json_integer((json_int_t)id));
  json_object_set_new(r->resp, "name", json_incref(json_object_get(r->in, "name")));
  return TROUPE_OK;
}

static int op_logs(req *r) {
  const char *name;
  uint64_t lines;
  bool follow;
  int rc;
  if (!r->s->tap) {
    r->ename = "UNSUPPORTED";
    return troupe_err_set(&r->err, TROUPE_E_UNSUPPORTED, "node '%s' keeps no log", r->s->node);
  }
  if ((rc = get_str(r, r->in, "name", false, &name)) ||
      (rc = get_uint(r, r->in, "lines", SIZE_MAX, SIZE_MAX, &lines)) ||
      (rc = get_bool(r, r->in, "follow", &follow)))
    return rc;
  uint64_t cursor = trN_tap_cursor(r->s->tap, (size_t)lines);
  r->written = true;
  if (follow) {
    r->follow->follow = true;
    r->follow->cursor = cursor;
    if (name && !(r->follow->name = strdup(name)))
      return TROUPE_E_NOMEM;
    return trN_buf_puts(r->out, "{\"ok\":true,\"follow\":true}\n");
  }
  /* Without a name filter `lines` counts records; with one it bounds the search. */
  if ((rc = trN_buf_puts(r->out, "{\"ok\":true,\"records\":[")) ||
      (rc = trN_tap_read(r->s->tap, &cursor, name, r->out, SIZE_MAX, false)))
    return rc;
  return trN_buf_puts(r->out, "]}\n");
}

static const struct {
  const char *name;
  int (*fn)(req *r);
} ops[] = {
    {"hello", op_hello}, {"ps", op_ps},     {"top", op_top},         {"info", op_info},
    {"send", op_send},   {"ask", op_ask},   {"invoke", op_invoke},   {"spawn", op_spawn},
    {"stop", op_stop},   {"restart", op_restart}, {"logs", op_logs},  {"upgrade", op_upgrade},
};

/* The host's message, made fit for one line: a guest's error text may carry its JSON
 * prefix (0x80 0x04), which is not text. */
static void clean_message(char *m) {
  char *p;
  while ((p = strstr(m, "\x80\x04")))
    memmove(p, p + 2, strlen(p + 2) + 1);
}

int trN_ctl_handle(troupe_ctl_server *s, const char *line, size_t len, trN_buf *out,
                   trN_follow *follow) {
  req r = {.s = s, .out = out, .follow = follow};
  troupe_err_clear(&r.err);
  json_error_t jerr;
  r.in = json_loadb(line, len, 0, &jerr);
  if (!r.in)
    return trN_ctl_error(out, "BAD_REQUEST", "not JSON: %s (column %d)", jerr.text,
                         jerr.column);
  int rc;
  const char *op = NULL;
  uint64_t v;
  if (!json_is_object(r.in)) {
    rc = trN_ctl_error(out, "BAD_REQUEST", "a request is a JSON object {\"op\":...}");
    goto done;
  }
  if (get_uint(&r, r.in, "v", UINT32_MAX, TROUPE_CTL_PROTOCOL, &v) ||
      get_str(&r, r.in, "op", true, &op)) {
    rc = trN_ctl_error(out, r.ename, "%s", r.err.msg);
    goto done;
  }
  if (v != TROUPE_CTL_PROTOCOL) {
    rc = trN_ctl_error(out, "UNSUPPORTED", "protocol version %llu (this node speaks %d)",
                       (unsigned long long)v, TROUPE_CTL_PROTOCOL);
    goto done;
  }
  size_t i = 0;
  while (i < sizeof ops / sizeof ops[0] && strcmp(ops[i].name, op))
    i++;
  if (i == sizeof ops / sizeof ops[0]) {
    rc = trN_ctl_error(out, "UNKNOWN_OP", "unknown op '%s'", op);
    goto done;
  }
  r.resp = json_object();
  if (!r.resp) {
    rc = TROUPE_E_NOMEM;
    goto done;
  }
  json_object_set_new(r.resp, "ok", json_true());
  int status = ops[i].fn(&r);
  if (r.written && status == TROUPE_OK) {
    rc = TROUPE_OK;
  } else if (status == TROUPE_E_NOMEM && r.written) {
    rc = status;
  } else if (status) {
    clean_message(r.err.msg);
    rc = trN_ctl_error(out, r.ename ? r.ename : trN_ctl_err_name(status), "%s",
                       troupe_err_message(&r.err));
  } else {
    rc = trN_buf_put_json(out, r.resp);
    r.resp = NULL;
  }
done:
  json_decref(r.resp);
  json_decref(r.in);
  return rc;
}
