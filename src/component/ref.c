/*
 * component/ref.c: module references as users write them ("echo", "echo@1.2.0",
 * "sha256:<64 hex digits>"; include/troupe/store.h has the grammar) and the order of
 * versions that picks "the newest" for a bare name. Every store resolves a reference
 * parsed here, so a malformed one is refused once, with one set of messages, before any
 * store sees it -- and the grammar (no '/', no NUL) is what keeps a name a single file
 * name in the directory store.
 */
#include "component/store_int.h"

#include <ctype.h>
#include <stdio.h>

static const char k_sha_prefix[] = "sha256:";
#define SHA_PREFIX_LEN (sizeof k_sha_prefix - 1)

static bool name_char(unsigned char c) {
  return isalnum(c) || c == '_' || c == '.' || c == '-';
}
static bool version_char(unsigned char c) { return name_char(c) || c == '+'; }

/* isalnum is locale-dependent; the grammar is ASCII. */
static bool ascii(unsigned char c) { return c < 0x80; }

bool trP_module_name_ok(const char *s, size_t len) {
  if (len == 0 || len > TRP_MODULE_NAME_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!ascii((unsigned char)s[i]) || !name_char((unsigned char)s[i]))
      return false;
  return true;
}

bool trP_module_version_ok(const char *s, size_t len) {
  if (len == 0 || len > TRP_MODULE_VERSION_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (!ascii((unsigned char)s[i]) || !version_char((unsigned char)s[i]))
      return false;
  return true;
}

/* The reference as it appears in messages: at most 72 characters, non-printable bytes
 * as \xNN, so a hostile reference can neither flood a log line nor write control
 * characters into it. */
static void quote(const char *ref, char *buf, size_t cap) {
  size_t o = 0, i = 0;
  for (; ref[i] && o < 72 && o + 5 < cap; i++) {
    unsigned char c = (unsigned char)ref[i];
    if (c >= 0x20 && c < 0x7f)
      buf[o++] = (char)c;
    else
      o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
  }
  if (ref[i] && o + 4 < cap) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o] = '\0';
}

static void show_byte(unsigned char c, char out[8]) {
  if (c >= 0x20 && c < 0x7f)
    snprintf(out, 8, "'%c'", c);
  else
    snprintf(out, 8, "\\x%02x", c);
}

/* The first byte of s[0..len) that fails ok, or len. */
static size_t first_bad(const char *s, size_t len, bool (*ok)(unsigned char)) {
  for (size_t i = 0; i < len; i++)
    if (!ascii((unsigned char)s[i]) || !ok((unsigned char)s[i]))
      return i;
  return len;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

static int parse_sha(const char *ref, const char *q, troupe_module_ref *out, troupe_err *err) {
  const char *hex = ref + SHA_PREFIX_LEN;
  size_t n = strlen(hex);
  if (n != 2 * TROUPE_SHA256_BYTES)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module reference '%s': expected 64 hex digits after 'sha256:', "
                          "found %zu bytes",
                          q, n);
  for (size_t i = 0; i < n; i++) {
    if (hex_value(hex[i]) < 0) {
      char b[8];
      show_byte((unsigned char)hex[i], b);
      return troupe_err_set(err, TROUPE_E_INVAL,
                            "module reference '%s': %s at digit %zu is not a lowercase hex "
                            "digit",
                            q, b, i);
    }
  }
  for (size_t i = 0; i < TROUPE_SHA256_BYTES; i++)
    out->sha256[i] = (uint8_t)(hex_value(hex[2 * i]) << 4 | hex_value(hex[2 * i + 1]));
  out->kind = TROUPE_REF_SHA256;
  return TROUPE_OK;
}

int troupe_module_ref_parse(const char *ref, troupe_module_ref *out, troupe_err *err) {
  if (!out)
    return troupe_err_set(err, TROUPE_E_INVAL, "module reference: no output given");
  memset(out, 0, sizeof *out);
  if (!ref)
    return troupe_err_set(err, TROUPE_E_INVAL, "module reference is NULL");
  if (!*ref)
    return troupe_err_set(err, TROUPE_E_INVAL, "module reference is empty");
  char q[96];
  quote(ref, q, sizeof q);
  if (strncmp(ref, k_sha_prefix, SHA_PREFIX_LEN) == 0)
    return parse_sha(ref, q, out, err);

  const char *at = strchr(ref, '@');
  size_t name_len = at ? (size_t)(at - ref) : strlen(ref);
  if (name_len == 0)
    return troupe_err_set(err, TROUPE_E_INVAL, "module reference '%s': name is empty", q);
  size_t bad = first_bad(ref, name_len, name_char);
  if (bad < name_len) {
    char b[8];
    show_byte((unsigned char)ref[bad], b);
    const char *why = ref[bad] == ':' ? " (the only prefix is 'sha256:')" : "";
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module reference '%s': name may hold only letters, digits, '_', "
                          "'.', '-' (byte %zu is %s)%s",
                          q, bad, b, why);
  }
  if (name_len > TRP_MODULE_NAME_MAX)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module reference '%s': name is %zu bytes (at most %d)", q, name_len,
                          TRP_MODULE_NAME_MAX);
  memcpy(out->name, ref, name_len);
  out->name[name_len] = '\0';
  if (!at) {
    out->kind = TROUPE_REF_NAME;
    return TROUPE_OK;
  }

  const char *v = at + 1;
  size_t vlen = strlen(v);
  if (vlen == 0)
    return troupe_err_set(err, TROUPE_E_INVAL, "module reference '%s': version after '@' is empty",
                          q);
  bad = first_bad(v, vlen, version_char);
  if (bad < vlen) {
    char b[8];
    show_byte((unsigned char)v[bad], b);
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module reference '%s': version may hold only letters, digits, '_', "
                          "'.', '+', '-' (byte %zu of the version is %s)",
                          q, bad, b);
  }
  if (vlen > TRP_MODULE_VERSION_MAX)
    return troupe_err_set(err, TROUPE_E_INVAL,
                          "module reference '%s': version is %zu bytes (at most %d)", q, vlen,
                          TRP_MODULE_VERSION_MAX);
  memcpy(out->version, v, vlen);
  out->version[vlen] = '\0';
  out->kind = TROUPE_REF_VERSION;
  return TROUPE_OK;
}

void trP_module_ref_format(const troupe_module_ref *ref, char *buf, size_t cap) {
  char hex[TROUPE_SHA256_HEX];
  switch (ref->kind) {
  case TROUPE_REF_SHA256:
    troupe_sha256_hex(ref->sha256, hex);
    snprintf(buf, cap, "sha256:%s", hex);
    break;
  case TROUPE_REF_VERSION:
    snprintf(buf, cap, "%s@%s", ref->name, ref->version);
    break;
  default:
    snprintf(buf, cap, "%s", ref->name);
    break;
  }
}

/* ---- version order ------------------------------------------------------------------ */

static bool all_digits(const char *s, size_t n) {
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

/* Two digit strings as numbers of any length (no overflow): drop leading zeros, then
 * the longer is larger, then the first differing digit decides. */
static int cmp_numeric(const char *a, size_t an, const char *b, size_t bn) {
  while (an > 1 && *a == '0')
    a++, an--;
  while (bn > 1 && *b == '0')
    b++, bn--;
  if (an != bn)
    return an < bn ? -1 : 1;
  return memcmp(a, b, an);
}

static int cmp_string(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, TR_MIN(an, bn));
  if (c)
    return c;
  return an == bn ? 0 : (an < bn ? -1 : 1);
}

int troupe_module_version_cmp(const char *a, const char *b) {
  const char *pa = a, *pb = b;
  for (;;) {
    size_t an = strcspn(pa, "."), bn = strcspn(pb, ".");
    int c = all_digits(pa, an) && all_digits(pb, bn) ? cmp_numeric(pa, an, pb, bn)
                                                     : cmp_string(pa, an, pb, bn);
    if (c)
      return c < 0 ? -1 : 1;
    bool a_more = pa[an] == '.', b_more = pb[bn] == '.';
    if (!a_more || !b_more) {
      if (a_more != b_more)
        return a_more ? 1 : -1;
      break;
    }
    pa += an + 1;
    pb += bn + 1;
  }
  int c = strcmp(a, b); /* "1.01" and "1.1": equal as numbers, still one order */
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}
