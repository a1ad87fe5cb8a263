/*
 * codec/transcode.c: JSON <-> CBOR. A person types JSON, a component receives CBOR
 * (and back). Both directions go through a checked library tree (trC_json_load,
 * trC_cbor_load: depth already bounded, so the recursion here is bounded too) and
 * refuse, with TROUPE_E_LOSSY and a JSON-path-like location, any value the target
 * cannot carry exactly. The mapping table is in docs/CODEC.md; keep the two in step.
 */
#include "codec/codec.h"

#include <math.h>
#include <stdio.h>

/* ---- JSON -> CBOR: jansson tree to bytes via libcbor's encoders ---------------- */

/* Largest CBOR header (major type + 8-byte argument) and a double. */
#define HEAD_MAX 9

static int grow_head(trC_buf *b) { return trC_buf_reserve(b, HEAD_MAX); }

static int put_text(trC_buf *b, const char *s, size_t n) {
  int rc = grow_head(b);
  if (rc)
    return rc;
  b->len += cbor_encode_string_start(n, b->data + b->len, b->cap - b->len);
  return trC_buf_append(b, s, n);
}

static int enc_json(json_t *j, trC_buf *b) {
  int rc = grow_head(b);
  if (rc)
    return rc;
  uint8_t *at = b->data + b->len;
  size_t room = b->cap - b->len;
  switch (json_typeof(j)) {
  case JSON_OBJECT: {
    b->len += cbor_encode_map_start(json_object_size(j), at, room);
    const char *k;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach(j, k, klen, v) {
      if ((rc = put_text(b, k, klen)) || (rc = enc_json(v, b)))
        return rc;
    }
    return TROUPE_OK;
  }
  case JSON_ARRAY:
    b->len += cbor_encode_array_start(json_array_size(j), at, room);
    for (size_t i = 0; i < json_array_size(j); i++)
      if ((rc = enc_json(json_array_get(j, i), b)))
        return rc;
    return TROUPE_OK;
  case JSON_STRING:
    return put_text(b, json_string_value(j), json_string_length(j));
  case JSON_INTEGER: {
    json_int_t v = json_integer_value(j);
    /* Major type 1 carries -1-n; for v < 0, -1-v is in [0, INT64_MAX]: no overflow. */
    b->len += v >= 0 ? cbor_encode_uint((uint64_t)v, at, room)
                     : cbor_encode_negint((uint64_t)(-1 - v), at, room);
    return TROUPE_OK;
  }
  case JSON_REAL:
    b->len += cbor_encode_double(json_real_value(j), at, room);
    return TROUPE_OK;
  case JSON_TRUE:
  case JSON_FALSE:
    b->len += cbor_encode_bool(json_is_true(j), at, room);
    return TROUPE_OK;
  case JSON_NULL:
    b->len += cbor_encode_null(at, room);
    return TROUPE_OK;
  }
  return TROUPE_E_INTERNAL;
}

/* Append the CBOR form of a JSON payload to b. */
static int json_to_cbor_buf(const uint8_t *p, size_t len, trC_buf *b, troupe_err *err) {
  json_t *j;
  int rc = trC_json_load(p, len, true, &j, err);
  if (rc)
    return rc;
  rc = enc_json(j, b);
  json_decref(j);
  if (rc == TROUPE_E_NOMEM)
    return troupe_err_set(err, rc, "json->cbor: out of memory");
  return rc;
}

/* ---- CBOR -> JSON: libcbor tree to jansson tree ------------------------------- */

/* Where we are, as a chain of stack frames, formatted only when an error needs it. */
typedef struct path {
  const struct path *up;
  const char *key; /* object member name, or NULL for an array index */
  size_t keylen;
  size_t index;
} path;

static void path_format(const path *at, char *buf, size_t cap) {
  const path *segs[TROUPE_CODEC_MAX_DEPTH + 1];
  size_t n = 0;
  for (const path *p = at; p && n < TR_ARRAY_LEN(segs); p = p->up)
    segs[n++] = p;
  size_t used = (size_t)snprintf(buf, cap, "$");
  while (n-- > 0 && used < cap) {
    const path *p = segs[n];
    int w = p->key ? snprintf(buf + used, cap - used, ".%.*s", (int)TR_MIN(p->keylen, 40), p->key)
                   : snprintf(buf + used, cap - used, "[%zu]", p->index);
    used += w > 0 ? (size_t)w : 0;
  }
}

static int lossy(const path *at, troupe_err *err, const char *what) {
  char where[160];
  path_format(at, where, sizeof where);
  return troupe_err_set(err, TROUPE_E_LOSSY, "cbor->json: %s at %s has no exact JSON form",
                        what, where);
}

/* The bytes of a text string item, definite or chunked, copied into one malloc'd
 * block (chunks are definite strings: libcbor's loader guarantees it). */
static int text_of(cbor_item_t *it, char **out, size_t *len) {
  if (cbor_string_is_definite(it)) {
    *len = cbor_string_length(it);
    *out = trB_memdup(cbor_string_handle(it), *len);
    return *out ? TROUPE_OK : TROUPE_E_NOMEM;
  }
  trC_buf b = {0};
  cbor_item_t **chunks = cbor_string_chunks_handle(it);
  for (size_t i = 0; i < cbor_string_chunk_count(it); i++)
    if (trC_buf_append(&b, cbor_string_handle(chunks[i]), cbor_string_length(chunks[i]))) {
      free(b.data);
      return TROUPE_E_NOMEM;
    }
  if (!b.data && !(b.data = trB_malloc(1)))
    return TROUPE_E_NOMEM;
  *out = (char *)b.data;
  *len = b.len;
  return TROUPE_OK;
}

static int conv(cbor_item_t *it, const path *at, json_t **out, troupe_err *err);

static int conv_map(cbor_item_t *it, const path *at, json_t **out, troupe_err *err) {
  json_t *obj = json_object();
  if (!obj)
    return TROUPE_E_NOMEM;
  struct cbor_pair *pairs = cbor_map_handle(it);
  int rc = TROUPE_OK;
  for (size_t i = 0; i < cbor_map_size(it) && !rc; i++) {
    path here = {.up = at, .index = i};
    if (!cbor_isa_string(pairs[i].key)) {
      rc = lossy(&here, err, "a map key that is not a text string (entry)");
      break;
    }
    char *k;
    size_t klen;
    if ((rc = text_of(pairs[i].key, &k, &klen)))
      break;
    here.key = k, here.keylen = klen;
    json_t *v = NULL;
    if (memchr(k, 0, klen)) /* jansson cannot read such a key back: keep output parseable */
      rc = lossy(&here, err, "a map key containing U+0000");
    else if (json_object_getn(obj, k, klen))
      rc = lossy(&here, err, "a duplicate map key");
    else if (!(rc = conv(pairs[i].value, &here, &v, err)) &&
             json_object_setn_new_nocheck(obj, k, klen, v))
      rc = TROUPE_E_NOMEM; /* setn_new consumed v */
    free(k);
  }
  if (rc) {
    json_decref(obj);
    return rc;
  }
  *out = obj;
  return TROUPE_OK;
}

static int conv_array(cbor_item_t *it, const path *at, json_t **out, troupe_err *err) {
  json_t *arr = json_array();
  if (!arr)
    return TROUPE_E_NOMEM;
  cbor_item_t **items = cbor_array_handle(it);
  for (size_t i = 0; i < cbor_array_size(it); i++) {
    path here = {.up = at, .index = i};
    json_t *v;
    int rc = conv(items[i], &here, &v, err);
    if (!rc && json_array_append_new(arr, v))
      rc = TROUPE_E_NOMEM;
    if (rc) {
      json_decref(arr);
      return rc;
    }
  }
  *out = arr;
  return TROUPE_OK;
}

static int conv_simple(cbor_item_t *it, const path *at, json_t **out, troupe_err *err) {
  char what[64];
  if (!cbor_float_ctrl_is_ctrl(it)) {
    double d = cbor_float_get_float(it);
    if (isnan(d) || isinf(d))
      return lossy(at, err, isnan(d) ? "a NaN float" : "an infinite float");
    *out = json_real(d);
  } else if (cbor_is_bool(it)) {
    *out = json_boolean(cbor_get_bool(it));
  } else if (cbor_is_null(it)) {
    *out = json_null();
  } else if (cbor_is_undef(it)) {
    return lossy(at, err, "undefined");
  } else {
    snprintf(what, sizeof what, "simple value %u", cbor_ctrl_value(it));
    return lossy(at, err, what);
  }
  return *out ? TROUPE_OK : TROUPE_E_NOMEM;
}

static int conv(cbor_item_t *it, const path *at, json_t **out, troupe_err *err) {
  char what[64];
  *out = NULL;
  switch (cbor_typeof(it)) {
  case CBOR_TYPE_UINT: {
    uint64_t v = cbor_get_int(it);
    if (v > INT64_MAX) {
      snprintf(what, sizeof what, "integer %llu (above 2^63-1)", (unsigned long long)v);
      return lossy(at, err, what);
    }
    *out = json_integer((json_int_t)v);
    break;
  }
  case CBOR_TYPE_NEGINT: {
    uint64_t v = cbor_get_int(it); /* the value is -1 - v */
    if (v > INT64_MAX) {
      snprintf(what, sizeof what, "integer -1-%llu (below -2^63)", (unsigned long long)v);
      return lossy(at, err, what);
    }
    *out = json_integer(-1 - (json_int_t)v);
    break;
  }
  case CBOR_TYPE_BYTESTRING:
    return lossy(at, err, "a byte string");
  case CBOR_TYPE_STRING: {
    char *s;
    size_t n;
    if (text_of(it, &s, &n))
      return TROUPE_E_NOMEM;
    *out = json_stringn_nocheck(s, n); /* UTF-8 checked by trC_cbor_check */
    free(s);
    break;
  }
  case CBOR_TYPE_ARRAY:
    return conv_array(it, at, out, err);
  case CBOR_TYPE_MAP:
    return conv_map(it, at, out, err);
  case CBOR_TYPE_TAG:
    snprintf(what, sizeof what, "tag %llu", (unsigned long long)cbor_tag_value(it));
    return lossy(at, err, what);
  case CBOR_TYPE_FLOAT_CTRL:
    return conv_simple(it, at, out, err);
  }
  return *out ? TROUPE_OK : TROUPE_E_NOMEM;
}

/* Dump j with the fewest real digits (15, 16, then 17) that read back exactly, so
 * 3.14 prints as 3.14 and not 3.1400000000000001, yet every double survives. */
static int dump_json(json_t *j, unsigned flags, trC_buf *b) {
  size_t base = (flags & TROUPE_JSON_PRETTY ? JSON_INDENT(2) : JSON_COMPACT) |
                JSON_ENCODE_ANY | JSON_PRESERVE_ORDER;
  for (int prec = 15; prec <= 17; prec++) {
    size_t f = base | JSON_REAL_PRECISION(prec);
    size_t n = json_dumpb(j, NULL, 0, f);
    if (n == 0)
      return TROUPE_E_NOMEM;
    if (trC_buf_reserve(b, n + 1))
      return TROUPE_E_NOMEM;
    if (json_dumpb(j, (char *)b->data + b->len, n, f) != n)
      return TROUPE_E_NOMEM;
    if (prec < 17) {
      json_t *back = json_loadb((char *)b->data + b->len, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
      bool same = back && json_equal(back, j);
      json_decref(back);
      if (!same)
        continue;
    }
    b->len += n;
    b->data[b->len] = '\0'; /* reserved above; not counted in len */
    return TROUPE_OK;
  }
  return TROUPE_E_INTERNAL;
}

/* Append the JSON form of a CBOR payload to b (NUL-terminated, NUL not in len). */
static int cbor_to_json_buf(const uint8_t *p, size_t len, unsigned flags, trC_buf *b,
                            troupe_err *err) {
  cbor_item_t *item;
  int rc = trC_cbor_load(p, len, &item, err);
  if (rc)
    return rc;
  json_t *j;
  rc = conv(item, NULL, &j, err);
  cbor_decref(&item);
  if (!rc) {
    rc = dump_json(j, flags, b);
    json_decref(j);
  }
  if (rc == TROUPE_E_NOMEM || rc == TROUPE_E_INTERNAL)
    return troupe_err_set(err, rc, "cbor->json: %s", troupe_strerror(rc));
  return rc;
}

/* ---- public entry points ---------------------------------------------------------- */

int troupe_json_to_cbor(const void *json, size_t len, uint8_t **out, size_t *out_len,
                        troupe_err *err) {
  trC_buf b = {0};
  int rc = json_to_cbor_buf(json, len, &b, err);
  if (rc) {
    free(b.data);
    return rc;
  }
  *out = b.data;
  *out_len = b.len;
  return TROUPE_OK;
}

int troupe_cbor_to_json(const void *cbor, size_t len, unsigned flags, char **out,
                        size_t *out_len, troupe_err *err) {
  trC_buf b = {0};
  int rc = cbor_to_json_buf(cbor, len, flags, &b, err);
  if (rc) {
    free(b.data);
    return rc;
  }
  *out = (char *)b.data;
  *out_len = b.len;
  return TROUPE_OK;
}

int troupe_codec_transcode(const void *msg, size_t len, troupe_codec to, uint8_t **out,
                           size_t *out_len, troupe_err *err) {
  troupe_payload in;
  int rc = troupe_codec_split(msg, len, &in, err);
  if (rc)
    return rc;
  if (!troupe_codec_name(to))
    return troupe_err_set(err, TROUPE_E_UNKNOWN_CODEC, "transcode: unsupported target codec 0x%x",
                          (unsigned)to);
  if (in.codec == to)
    return troupe_codec_encode_alloc(to, in.data, in.len, out, out_len, err);
  if (in.codec == TROUPE_CODEC_BORSH || to == TROUPE_CODEC_BORSH)
    return troupe_err_set(err, TROUPE_E_UNSUPPORTED,
                          "transcode: %s -> %s needs a schema (Borsh is not self-describing)",
                          troupe_codec_name(in.codec), troupe_codec_name(to));
  trC_buf b = {0};
  if (trC_buf_reserve(&b, TROUPE_VARINT_MAX_BYTES))
    return troupe_err_set(err, TROUPE_E_NOMEM, "transcode: out of memory");
  b.len = (size_t)troupe_varint_encode(to, b.data, b.cap, NULL);
  rc = to == TROUPE_CODEC_CBOR ? json_to_cbor_buf(in.data, in.len, &b, err)
                               : cbor_to_json_buf(in.data, in.len, 0, &b, err);
  if (rc) {
    free(b.data);
    return rc;
  }
  *out = b.data;
  *out_len = b.len;
  return TROUPE_OK;
}
