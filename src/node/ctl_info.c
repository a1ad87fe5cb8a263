/*
 * node/ctl_info.c: what the control protocol says about components and how it carries
 * payloads. A component snapshot (troupe_host_info) becomes a JSON object (`ps` and
 * `top` take the short form, `info` the full one); message payloads travel as JSON
 * values inside the request and become JSON- or CBOR-prefixed bytes for the host, and
 * replies and results come back as JSON values (CBOR transcoded; anything else as hex).
 */
#include "node/ctl_internal.h"

#include <stdlib.h>
#include <string.h>

#include "troupe/base.h"
#include "troupe/codec.h"

const char *trN_ctl_err_name(int code) {
  const char *n = troupe_err_name(code);
  return strncmp(n, "TROUPE_E_", 9) ? n : n + 9;
}

static json_t *time_text(uint64_t wall_ns) {
  if (!wall_ns)
    return json_null();
  char ts[40];
  troupe_clock_format_rfc3339(wall_ns, ts, sizeof ts);
  return json_string(ts);
}

json_t *trN_ctl_info_json(const troupe_component_info *in, bool full) {
  json_t *o = json_object();
  if (!o)
    return NULL;
  uint64_t now = troupe_clock_wall_ns();
  bool live = in->started_ns && in->state != TROUPE_COMPONENT_TERMINATED &&
              in->state != TROUPE_COMPONENT_FAILED;
  uint64_t up = live && now > in->started_ns ? (now - in->started_ns) / 1000000u : 0;
  json_object_set_new(o, "id", json_integer((json_int_t)in->id));
  json_object_set_new(o, "name", trN_json_text(in->name));
  json_object_set_new(o, "state", json_string(troupe_component_state_name(in->state)));
  json_object_set_new(o, "health", json_string(troupe_health_name(in->health)));
  json_object_set_new(o, "restarts", json_integer(in->restarts));
  json_object_set_new(o, "memory_bytes", json_integer((json_int_t)in->memory_bytes));
  json_object_set_new(o, "messages", json_integer((json_int_t)in->messages));
  json_object_set_new(o, "fuel_used", json_integer((json_int_t)in->fuel_used));
  json_object_set_new(o, "uptime_ms", json_integer((json_int_t)up));
  json_object_set_new(o, "module", trN_json_text(in->module_ref));
  json_object_set_new(o, "mailbox", json_integer(in->mailbox_depth));
  json_object_set_new(o, "group", json_integer((json_int_t)in->group));
  if (!full)
    return o;
  json_object_set_new(o, "sha256", json_string(in->sha256));
  json_object_set_new(o, "actor", json_integer((json_int_t)in->actor));
  json_object_set_new(o, "health_reason",
                      in->health_reason ? trN_json_text(in->health_reason) : json_null());
  json_object_set_new(o, "created", time_text(in->created_ns));
  json_object_set_new(o, "started", time_text(in->started_ns));
  json_t *le = json_object();
  json_object_set_new(le, "kind", json_string(troupe_exit_kind_name(in->last_exit.kind)));
  if (in->last_exit.code)
    json_object_set_new(le, "code", json_string(trN_ctl_err_name(in->last_exit.code)));
  if (in->last_exit.message)
    json_object_set_new(le, "message", trN_json_text(in->last_exit.message));
  json_object_set_new(o, "last_exit", le);
  const troupe_component_limits *l = &in->limits;
  json_t *lim = json_object();
  json_object_set_new(lim, "max_memory_pages", json_integer(l->max_memory_pages));
  json_object_set_new(lim, "max_stack_bytes", json_integer((json_int_t)l->max_stack_bytes));
  json_object_set_new(lim, "max_call_depth", json_integer(l->max_call_depth));
  json_object_set_new(lim, "fuel_slice", json_integer((json_int_t)l->fuel_slice));
  json_object_set_new(lim, "fuel_per_message", json_integer((json_int_t)l->fuel_per_message));
  json_object_set_new(lim, "mailbox_bound", json_integer(l->mailbox_bound));
  json_object_set_new(lim, "max_message_bytes", json_integer(l->max_message_bytes));
  json_object_set_new(lim, "start_timeout_ms", json_integer(l->start_timeout_ms));
  json_object_set_new(lim, "cleanup_timeout_ms", json_integer(l->cleanup_timeout_ms));
  json_object_set_new(o, "limits", lim);
  return o;
}

int trN_ctl_payload(const json_t *value, bool cbor, uint8_t **out, size_t *len,
                    troupe_err *err) {
  *out = NULL;
  *len = 0;
  if (!value)
    return TROUPE_OK;
  char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text)
    return troupe_err_set(err, TROUPE_E_NOMEM, "out of memory");
  int rc;
  if (cbor) {
    uint8_t *item = NULL;
    size_t ilen = 0;
    rc = troupe_json_to_cbor(text, strlen(text), &item, &ilen, err);
    if (!rc)
      rc = troupe_codec_encode_alloc(TROUPE_CODEC_CBOR, item, ilen, out, len, err);
    free(item);
  } else {
    rc = troupe_codec_encode_alloc(TROUPE_CODEC_JSON, text, strlen(text), out, len, err);
  }
  free(text);
  return rc;
}

static void put_hex(json_t *obj, const char *key, const uint8_t *d, size_t n) {
  char *hex = malloc(n * 2 + 1);
  if (!hex)
    return;
  for (size_t i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", d[i]);
  char k[64];
  snprintf(k, sizeof k, "%s_hex", key);
  json_object_set_new(obj, k, json_stringn(hex, n * 2));
  free(hex);
}

void trN_ctl_put_payload(json_t *obj, const char *key, const uint8_t *data, size_t len) {
  if (!len)
    return;
  troupe_payload p;
  json_t *v = NULL;
  if (troupe_codec_decode(data, len, &p, NULL) == TROUPE_OK) {
    if (p.codec == TROUPE_CODEC_JSON) {
      v = json_loadb((const char *)p.data, p.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    } else if (p.codec == TROUPE_CODEC_CBOR) {
      char *text = NULL;
      size_t tlen = 0;
      if (troupe_cbor_to_json(p.data, p.len, 0, &text, &tlen, NULL) == TROUPE_OK)
        v = json_loadb(text, tlen, JSON_DECODE_ANY, NULL);
      free(text);
    }
    json_object_set_new(obj, "codec", json_string(troupe_codec_name(p.codec)));
  }
  if (v)
    json_object_set_new(obj, key, v);
  else
    put_hex(obj, key, data, len); /* Borsh, or what jansson cannot hold: the bytes */
}
