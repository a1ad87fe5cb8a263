/*
 * node/ctl_util.c: small helpers of the control server: a growable byte buffer (a
 * connection's input and output), JSON text from arbitrary bytes (guest messages need
 * not be UTF-8, jansson strings must be), a JSON value as one protocol line, and the
 * short look at a socket that both ends make before they sleep.
 */
#include "node/ctl_internal.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

bool trN_spin_readable(int fd) {
  uint64_t end = troupe_clock_mono_ns() + TRN_SPIN_NS;
  struct pollfd p = {.fd = fd, .events = POLLIN};
  do {
    if (poll(&p, 1, 0) > 0)
      return true;
#if defined(__x86_64__) || defined(__i386__)
    for (int i = 0; i < 32; i++)
      __builtin_ia32_pause();
#endif
  } while (troupe_clock_mono_ns() < end);
  return false;
}

int trN_buf_put(trN_buf *b, const void *data, size_t n) {
  if (n > SIZE_MAX - b->len - 1)
    return TROUPE_E_NOMEM;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1)
      cap = cap > SIZE_MAX / 2 ? b->len + n + 1 : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p)
      return TROUPE_E_NOMEM;
    b->p = p;
    b->cap = cap;
  }
  if (n)
    memcpy(b->p + b->len, data, n);
  b->len += n;
  b->p[b->len] = '\0'; /* a line taken from the buffer can be read as a string */
  return TROUPE_OK;
}

int trN_buf_puts(trN_buf *b, const char *s) { return trN_buf_put(b, s, strlen(s)); }

void trN_buf_consume(trN_buf *b, size_t n) {
  if (n >= b->len) {
    b->len = 0;
  } else {
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
  }
  if (b->p)
    b->p[b->len] = '\0';
  if (b->len == 0 && b->cap > (1u << 20)) { /* give back what one big line needed */
    free(b->p);
    b->p = NULL;
    b->cap = 0;
  }
}

void trN_buf_free(trN_buf *b) {
  free(b->p);
  b->p = NULL;
  b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0. */
static size_t utf8_seq(const unsigned char *s) {
  unsigned c = s[0];
  size_t n;
  unsigned min;
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2, min = 0x80;
  else if (c >= 0xe0 && c <= 0xef)
    n = 3, min = 0x800;
  else if (c >= 0xf0 && c <= 0xf4)
    n = 4, min = 0x10000;
  else
    return 0;
  unsigned cp = c & (0x3f >> (n - 1));
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n;
}

json_t *trN_json_text(const char *s) {
  if (!s)
    s = "";
  size_t n = strlen(s);
  char *t = malloc(n + 1);
  if (!t)
    return NULL;
  const unsigned char *u = (const unsigned char *)s;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = utf8_seq(u + i);
    if (k == 0) {
      t[o++] = '?';
      i++;
    } else if (k == 1) {
      t[o++] = (u[i] < 0x20 || u[i] == 0x7f) ? ' ' : (char)u[i];
      i++;
    } else {
      memcpy(t + o, u + i, k);
      o += k;
      i += k;
    }
  }
  json_t *j = json_stringn(t, o);
  free(t);
  return j;
}

int trN_buf_put_json(trN_buf *b, json_t *j) {
  char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  json_decref(j);
  if (!text)
    return TROUPE_E_NOMEM;
  int rc = trN_buf_puts(b, text);
  free(text);
  return rc ? rc : trN_buf_put(b, "\n", 1);
}
