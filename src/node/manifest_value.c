/*
 * node/manifest_value.c: scalars of a manifest turned into values -- strings, booleans,
 * integers, sizes with units ("16MiB", or pages), durations with units ("500ms", "5s")
 * and enumerations -- each failure recorded as an error naming the field and quoting
 * what was written. Numbers are read from the text whatever its YAML quoting, so
 * `5` and "5" are the same value; YAML's 1.1 oddities (octal 010, 1_000, yes/no as
 * booleans beyond true/false) are not guessed at.
 */
#include "node/manifest_int.h"

bool trN_is_null(const trN_ynode *n) {
  if (!n)
    return true;
  if (n->kind != TRN_Y_SCALAR || !n->plain)
    return false;
  return n->len == 0 || !strcmp(n->text, "~") || !strcmp(n->text, "null") ||
         !strcmp(n->text, "Null") || !strcmp(n->text, "NULL");
}

const char *trN_kind_name(const trN_ynode *n) {
  if (trN_is_null(n))
    return "nothing (null)";
  switch (n->kind) {
  case TRN_Y_MAP:
    return "a mapping";
  case TRN_Y_SEQ:
    return "a list";
  default:
    return "a scalar";
  }
}

/* What was written, quoted for a message: a scalar's text (bytes that are not
 * printable ASCII as \xNN, cut at 40), or the kind of node. Lives in the arena. */
const char *trN_quote(trN_load *L, const trN_ynode *n) {
  if (!n || n->kind != TRN_Y_SCALAR || trN_is_null(n))
    return trN_kind_name(n);
  char buf[256];
  size_t o = 0;
  buf[o++] = '\'';
  size_t shown = n->len < 40 ? n->len : 40;
  for (size_t i = 0; i < shown; i++) {
    unsigned char c = (unsigned char)n->text[i];
    if (c >= 0x20 && c < 0x7f)
      buf[o++] = (char)c;
    else
      o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
  }
  if (shown < n->len)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "...");
  buf[o++] = '\'';
  buf[o] = '\0';
  const char *q = trN_arena_strdup(L->arena, buf);
  if (!q)
    trN_nomem(L);
  return q ? q : "?";
}

bool trN_get_string(trN_load *L, const trN_ynode *n, const char **out) {
  if (!n || n->kind != TRN_Y_SCALAR || trN_is_null(n)) {
    trN_error_node(L, n, NULL, "expected a string, got %s", trN_kind_name(n));
    return false;
  }
  if (strlen(n->text) != n->len) {
    trN_error_node(L, n, NULL, "expected a string, got one holding a NUL byte");
    return false;
  }
  *out = n->text;
  return true;
}

bool trN_get_bool(trN_load *L, const trN_ynode *n, bool *out) {
  if (n && n->kind == TRN_Y_SCALAR && !trN_is_null(n)) {
    static const char *const t[] = {"true", "True", "TRUE"}, *const f[] = {"false", "False",
                                                                            "FALSE"};
    for (int i = 0; i < 3; i++) {
      if (!strcmp(n->text, t[i])) {
        *out = true;
        return true;
      }
      if (!strcmp(n->text, f[i])) {
        *out = false;
        return true;
      }
    }
  }
  trN_error_node(L, n, NULL, "expected true or false, got %s", trN_quote(L, n));
  return false;
}

/* Digits at *p into *v (false: none, or more than 64 bits). */
static bool read_digits(const char **p, uint64_t *v, bool *overflow) {
  const char *s = *p;
  uint64_t x = 0;
  *overflow = false;
  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++) {
    unsigned d = (unsigned)(*s - '0');
    if (x > (UINT64_MAX - d) / 10)
      *overflow = true;
    else
      x = x * 10 + d;
  }
  *p = s;
  *v = x;
  return true;
}

static bool scalar_text(const trN_ynode *n) {
  return n && n->kind == TRN_Y_SCALAR && !trN_is_null(n) && strlen(n->text) == n->len;
}

static bool range_ok(trN_load *L, const trN_ynode *n, uint64_t v, uint64_t min, uint64_t max,
                     const char *unit) {
  if (v >= min && v <= max)
    return true;
  if (max == UINT64_MAX)
    trN_error_node(L, n, NULL, "%s is out of range: at least %llu%s", trN_quote(L, n),
                   (unsigned long long)min, unit);
  else
    trN_error_node(L, n, NULL, "%s is out of range: %llu..%llu%s", trN_quote(L, n),
                   (unsigned long long)min, (unsigned long long)max, unit);
  return false;
}

bool trN_get_uint(trN_load *L, const trN_ynode *n, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t v;
  bool overflow = false;
  const char *p = scalar_text(n) ? n->text : NULL;
  if (!p || !read_digits(&p, &v, &overflow) || *p) {
    trN_error_node(L, n, NULL, "expected an integer, got %s", trN_quote(L, n));
    return false;
  }
  if (overflow) {
    trN_error_node(L, n, NULL, "%s is out of range: at most %llu", trN_quote(L, n),
                   (unsigned long long)max);
    return false;
  }
  if (!range_ok(L, n, v, min, max, ""))
    return false;
  *out = v;
  return true;
}

typedef struct unit {
  const char *name;
  uint64_t factor;
} unit;

/* A number with an optional unit (a space between them allowed): false when the text is
 * not of that shape or the unit is not in the table. *v = number x factor. */
static bool number_with_unit(const trN_ynode *n, const unit *units, uint64_t plain_factor,
                             uint64_t *v, bool *overflow, bool *bad_unit) {
  *bad_unit = false;
  const char *p = scalar_text(n) ? n->text : NULL;
  uint64_t x;
  if (!p || !read_digits(&p, &x, overflow))
    return false;
  if (*p == ' ')
    p++;
  uint64_t f = plain_factor;
  if (*p) {
    f = 0;
    for (const unit *u = units; u->name; u++)
      if (!strcmp(p, u->name))
        f = u->factor;
    if (!f) {
      *bad_unit = true;
      return false;
    }
  }
  if (*overflow || (x && f > UINT64_MAX / x)) {
    *overflow = true;
    return true;
  }
  *v = x * f;
  return true;
}

static const unit size_units[] = {
    {"B", 1},           {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30},
    {"K", 1ull << 10},  {"M", 1ull << 20},   {"G", 1ull << 30},   {NULL, 0},
};

bool trN_get_size(trN_load *L, const trN_ynode *n, uint64_t unit_bytes, uint64_t min, uint64_t max,
                  uint64_t *out) {
  uint64_t bytes;
  bool overflow, bad_unit;
  const char *what = unit_bytes == 1 ? "a size in bytes, or with a unit: 64KiB, 16MiB, 1GiB"
                                     : "a number of 64 KiB pages, or a size: 16MiB, 1GiB";
  if (!number_with_unit(n, size_units, unit_bytes, &bytes, &overflow, &bad_unit)) {
    trN_error_node(L, n, NULL, "expected %s; got %s", what, trN_quote(L, n));
    return false;
  }
  if (overflow) {
    trN_error_node(L, n, NULL, "%s is out of range", trN_quote(L, n));
    return false;
  }
  if (bytes % unit_bytes) {
    trN_error_node(L, n, NULL, "%s is not a whole number of 64 KiB pages", trN_quote(L, n));
    return false;
  }
  if (!range_ok(L, n, bytes / unit_bytes, min, max, unit_bytes == 1 ? " bytes" : " pages"))
    return false;
  *out = bytes / unit_bytes;
  return true;
}

static const unit time_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"min", 60000}, {"h", 3600000}, {NULL, 0},
};

bool trN_get_ms(trN_load *L, const trN_ynode *n, uint64_t min, uint64_t max, uint64_t *out) {
  uint64_t ms;
  bool overflow, bad_unit;
  if (!number_with_unit(n, time_units, 1, &ms, &overflow, &bad_unit)) {
    trN_error_node(L, n, NULL,
                   "expected a duration: milliseconds, or with a unit: 500ms, 5s, 2m, 1h; got %s",
                   trN_quote(L, n));
    return false;
  }
  if (overflow) {
    trN_error_node(L, n, NULL, "%s is out of range", trN_quote(L, n));
    return false;
  }
  if (!range_ok(L, n, ms, min, max, " ms"))
    return false;
  *out = ms;
  return true;
}

bool trN_get_enum(trN_load *L, const trN_ynode *n, const char *const *names, int *out) {
  if (scalar_text(n))
    for (int i = 0; names[i]; i++)
      if (!strcmp(n->text, names[i])) {
        *out = i;
        return true;
      }
  char list[256];
  size_t o = 0;
  for (int i = 0; names[i] && o < sizeof list; i++)
    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", names[i]);
  trN_error_node(L, n, NULL, "expected one of %s; got %s", list, trN_quote(L, n));
  return false;
}

const char *trN_name_problem(const char *name, size_t len) {
  if (len == 0)
    return "a name may not be empty";
  if (len > 128)
    return "a name may have at most 128 bytes";
  size_t token = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '.') {
      if (!token)
        return "a name is dot-separated tokens: found an empty token";
      token = 0;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '-') {
      token++;
    } else {
      return "a name may hold only letters, digits, '_', '-' and '.'";
    }
  }
  return token ? NULL : "a name may not end with '.'";
}
