/*
 * codec/borsh.c: a Borsh reader and writer (https://borsh.io) for hosts. Borsh has no
 * self-description, so the payload check is the reader itself: every read is bounds
 * checked and refuses what the spec refuses (bool other than 0/1, Option tag other than
 * 0/1, NaN floats, strings that are not UTF-8). It depends only on the error value and
 * trB_realloc_array, so a guest-side copy can follow later without the rest of libtroupe.
 */
#include "codec/codec.h"

/* ---- reader ----------------------------------------------------------------------- */

void troupe_borsh_reader_init(troupe_borsh_reader *r, const void *data, size_t len) {
  *r = (troupe_borsh_reader){.data = data, .len = len, .pos = 0};
}

/* Take n bytes or fail without moving. */
static int take(troupe_borsh_reader *r, size_t n, const char *what, const uint8_t **p,
                troupe_err *err) {
  if (r->pos > r->len || r->len - r->pos < n)
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "borsh: %s at byte %zu needs %zu bytes, %zu left", what, r->pos, n,
                          r->pos > r->len ? 0 : r->len - r->pos);
  *p = r->data + r->pos;
  r->pos += n;
  return TROUPE_OK;
}

static uint64_t load_le(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  for (size_t i = n; i-- > 0;)
    v = (v << 8) | p[i];
  return v;
}

#define READ_UINT(name, type, bytes)                                                   \
  int troupe_borsh_read_##name(troupe_borsh_reader *r, type *v, troupe_err *err) {     \
    const uint8_t *p = NULL;                                                           \
    int rc = take(r, bytes, #name, &p, err);                                           \
    if (!rc)                                                                           \
      *v = (type)load_le(p, bytes);                                                    \
    return rc;                                                                         \
  }
READ_UINT(u8, uint8_t, 1)
READ_UINT(u16, uint16_t, 2)
READ_UINT(u32, uint32_t, 4)
READ_UINT(u64, uint64_t, 8)
/* Signed values are the two's complement bit pattern; the conversion from the unsigned
 * type is implementation-defined in C17 but modular on every compiler we support. */
READ_UINT(i8, int8_t, 1)
READ_UINT(i16, int16_t, 2)
READ_UINT(i32, int32_t, 4)
READ_UINT(i64, int64_t, 8)

static int read_128(troupe_borsh_reader *r, troupe_u128 *v, const char *what, troupe_err *err) {
  const uint8_t *p = NULL;
  int rc = take(r, 16, what, &p, err);
  if (!rc)
    *v = (troupe_u128){.lo = load_le(p, 8), .hi = load_le(p + 8, 8)};
  return rc;
}
int troupe_borsh_read_u128(troupe_borsh_reader *r, troupe_u128 *v, troupe_err *err) {
  return read_128(r, v, "u128", err);
}
int troupe_borsh_read_i128(troupe_borsh_reader *r, troupe_u128 *v, troupe_err *err) {
  return read_128(r, v, "i128", err);
}

int troupe_borsh_read_f32(troupe_borsh_reader *r, float *v, troupe_err *err) {
  const uint8_t *p = NULL;
  size_t at = r->pos;
  int rc = take(r, 4, "f32", &p, err);
  if (rc)
    return rc;
  uint32_t bits = (uint32_t)load_le(p, 4);
  float f;
  memcpy(&f, &bits, sizeof f);
  if (f != f) {
    r->pos = at;
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD, "borsh: f32 at byte %zu is NaN", at);
  }
  *v = f;
  return TROUPE_OK;
}

int troupe_borsh_read_f64(troupe_borsh_reader *r, double *v, troupe_err *err) {
  const uint8_t *p = NULL;
  size_t at = r->pos;
  int rc = take(r, 8, "f64", &p, err);
  if (rc)
    return rc;
  uint64_t bits = load_le(p, 8);
  double d;
  memcpy(&d, &bits, sizeof d);
  if (d != d) {
    r->pos = at;
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD, "borsh: f64 at byte %zu is NaN", at);
  }
  *v = d;
  return TROUPE_OK;
}

/* One byte that must be 0 or 1 (bool, Option tag). */
static int read_flag(troupe_borsh_reader *r, bool *v, const char *what, troupe_err *err) {
  const uint8_t *p = NULL;
  int rc = take(r, 1, what, &p, err);
  if (rc)
    return rc;
  if (*p > 1) {
    r->pos--;
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "borsh: %s at byte %zu is 0x%02x (must be 0 or 1)", what, r->pos, *p);
  }
  *v = *p == 1;
  return TROUPE_OK;
}
int troupe_borsh_read_bool(troupe_borsh_reader *r, bool *v, troupe_err *err) {
  return read_flag(r, v, "bool", err);
}
int troupe_borsh_read_option(troupe_borsh_reader *r, bool *present, troupe_err *err) {
  return read_flag(r, present, "Option tag", err);
}

/* u32 length + bytes, as a view. */
static int read_blob(troupe_borsh_reader *r, const uint8_t **p, size_t *len, const char *what,
                     troupe_err *err) {
  size_t at = r->pos;
  uint32_t n = 0;
  int rc = troupe_borsh_read_u32(r, &n, err);
  if (rc)
    return rc;
  if ((rc = take(r, n, what, p, err))) {
    r->pos = at;
    return rc;
  }
  *len = n;
  return TROUPE_OK;
}

int troupe_borsh_read_bytes(troupe_borsh_reader *r, const uint8_t **p, size_t *len,
                            troupe_err *err) {
  return read_blob(r, p, len, "Vec<u8> body", err);
}

int troupe_borsh_read_string(troupe_borsh_reader *r, const char **s, size_t *len,
                             troupe_err *err) {
  size_t at = r->pos, bad;
  const uint8_t *p = NULL;
  size_t n = 0;
  int rc = read_blob(r, &p, &n, "string body", err);
  if (rc)
    return rc;
  if (!trC_utf8_valid(p, n, &bad)) {
    r->pos = at;
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "borsh: string at byte %zu has invalid UTF-8 at byte %zu", at,
                          at + 4 + bad);
  }
  *s = (const char *)p;
  *len = n;
  return TROUPE_OK;
}

int troupe_borsh_read_end(const troupe_borsh_reader *r, troupe_err *err) {
  if (r->pos == r->len)
    return TROUPE_OK;
  return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                        "borsh: %zu trailing bytes from byte %zu", r->len - r->pos, r->pos);
}

/* ---- writer ----------------------------------------------------------------------- */

void troupe_borsh_writer_init(troupe_borsh_writer *w) { *w = (troupe_borsh_writer){0}; }

void troupe_borsh_writer_free(troupe_borsh_writer *w) {
  free(w->data);
  *w = (troupe_borsh_writer){0};
}

int troupe_borsh_writer_take(troupe_borsh_writer *w, uint8_t **out, size_t *len,
                             troupe_err *err) {
  int rc = w->status;
  if (rc) {
    troupe_borsh_writer_free(w);
    return troupe_err_set(err, rc, "borsh: an earlier write failed: %s", troupe_strerror(rc));
  }
  if (!w->data && !(w->data = trB_malloc(1))) /* an empty value is still a buffer */
    return troupe_err_set(err, TROUPE_E_NOMEM, "borsh: out of memory");
  *out = w->data;
  *len = w->len;
  *w = (troupe_borsh_writer){0};
  return TROUPE_OK;
}

static int put(troupe_borsh_writer *w, const void *p, size_t n) {
  if (w->status)
    return w->status;
  trC_buf b = {.data = w->data, .len = w->len, .cap = w->cap};
  if (trC_buf_append(&b, p, n))
    return w->status = TROUPE_E_NOMEM;
  w->data = b.data, w->len = b.len, w->cap = b.cap;
  return TROUPE_OK;
}

static int put_le(troupe_borsh_writer *w, uint64_t v, size_t n) {
  uint8_t b[8];
  for (size_t i = 0; i < n; i++, v >>= 8)
    b[i] = (uint8_t)v;
  return put(w, b, n);
}

int troupe_borsh_write_u8(troupe_borsh_writer *w, uint8_t v) { return put_le(w, v, 1); }
int troupe_borsh_write_u16(troupe_borsh_writer *w, uint16_t v) { return put_le(w, v, 2); }
int troupe_borsh_write_u32(troupe_borsh_writer *w, uint32_t v) { return put_le(w, v, 4); }
int troupe_borsh_write_u64(troupe_borsh_writer *w, uint64_t v) { return put_le(w, v, 8); }
int troupe_borsh_write_i8(troupe_borsh_writer *w, int8_t v) { return put_le(w, (uint8_t)v, 1); }
int troupe_borsh_write_i16(troupe_borsh_writer *w, int16_t v) { return put_le(w, (uint16_t)v, 2); }
int troupe_borsh_write_i32(troupe_borsh_writer *w, int32_t v) { return put_le(w, (uint32_t)v, 4); }
int troupe_borsh_write_i64(troupe_borsh_writer *w, int64_t v) { return put_le(w, (uint64_t)v, 8); }

int troupe_borsh_write_u128(troupe_borsh_writer *w, troupe_u128 v) {
  put_le(w, v.lo, 8);
  return put_le(w, v.hi, 8);
}
int troupe_borsh_write_i128(troupe_borsh_writer *w, troupe_u128 v) {
  return troupe_borsh_write_u128(w, v);
}

int troupe_borsh_write_f32(troupe_borsh_writer *w, float v) {
  if (w->status)
    return w->status;
  if (v != v)
    return w->status = TROUPE_E_INVAL;
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return put_le(w, bits, 4);
}

int troupe_borsh_write_f64(troupe_borsh_writer *w, double v) {
  if (w->status)
    return w->status;
  if (v != v)
    return w->status = TROUPE_E_INVAL;
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  return put_le(w, bits, 8);
}

int troupe_borsh_write_bool(troupe_borsh_writer *w, bool v) { return put_le(w, v ? 1 : 0, 1); }
int troupe_borsh_write_option(troupe_borsh_writer *w, bool present) {
  return put_le(w, present ? 1 : 0, 1);
}

int troupe_borsh_write_bytes(troupe_borsh_writer *w, const void *p, size_t len) {
  if (w->status)
    return w->status;
  if (len > UINT32_MAX)
    return w->status = TROUPE_E_RANGE;
  put_le(w, len, 4);
  return put(w, p, len);
}

int troupe_borsh_write_string(troupe_borsh_writer *w, const char *s, size_t len) {
  if (w->status)
    return w->status;
  if (!trC_utf8_valid((const uint8_t *)s, len, NULL))
    return w->status = TROUPE_E_INVAL;
  return troupe_borsh_write_bytes(w, s, len);
}
