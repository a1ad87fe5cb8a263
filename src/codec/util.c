/*
 * codec/util.c: small helpers of the codec layer: the strict UTF-8 check used by
 * CBOR text strings and Borsh strings, and the growable byte buffer behind the CBOR
 * encoder and the prefixed outputs.
 */
#include "codec/codec.h"

bool trC_utf8_valid(const uint8_t *s, size_t len, size_t *bad) {
  size_t i = 0;
  while (i < len) {
    uint8_t c = s[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t n;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
      n = 2, cp = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 3, cp = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 4, cp = c & 0x07, min = 0x10000;
    } else {
      goto fail; /* continuation byte, C0/C1 overlong lead, or above U+10FFFF */
    }
    if (len - i < n)
      goto fail;
    for (size_t k = 1; k < n; k++) {
      if ((s[i + k] & 0xc0) != 0x80)
        goto fail;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      goto fail;
    i += n;
  }
  return true;
fail:
  if (bad)
    *bad = i;
  return false;
}

int trC_buf_reserve(trC_buf *b, size_t more) {
  if (more <= b->cap - b->len)
    return TROUPE_OK;
  size_t need;
  if (__builtin_add_overflow(b->len, more, &need))
    return TROUPE_E_NOMEM;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  uint8_t *p = trB_realloc_array(b->data, cap, 1);
  if (!p)
    return TROUPE_E_NOMEM;
  b->data = p;
  b->cap = cap;
  return TROUPE_OK;
}

int trC_buf_append(trC_buf *b, const void *p, size_t n) {
  int rc = trC_buf_reserve(b, n);
  if (rc)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  return TROUPE_OK;
}
