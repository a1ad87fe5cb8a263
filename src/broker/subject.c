/*
 * broker/subject.c: NATS subject syntax. Validation mirrors nats-server's
 * isValidSubject(checkRunes=true) and subjectIsLiteral exactly, so every subject the
 * broker accepts is one NATS accepts and vice versa (the node layer maps them 1:1).
 * Splitting yields tokens pointing into the caller's string; the trie consumes them.
 */
#include "broker/broker.h"

/* NATS rejects these anywhere in a subject (its protocol separators). */
static bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Length of the valid UTF-8 sequence at s, or 0 when invalid. Go decodes an invalid
 * sequence as U+FFFD and nats-server rejects U+FFFD, so the encoded U+FFFD itself is
 * rejected too (mirrors the server, which cannot tell the two apart). */
static size_t utf8_len(const unsigned char *s) {
  unsigned c = s[0];
  if (c < 0x80)
    return 1;
  size_t n;
  uint32_t cp, min;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
      return 0;
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffd)
    return 0;
  return n;
}

static int push_tok(trU_tokens *t, const char *p, size_t len) {
  if (t->n == TRU_TOK_INLINE && t->v == t->inl) {
    trU_tok *v = trB_malloc(2 * TRU_TOK_INLINE * sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    memcpy(v, t->inl, sizeof t->inl);
    t->v = v;
  } else if (t->v != t->inl && t->n >= TRU_TOK_INLINE && (t->n & (t->n - 1)) == 0) {
    /* heap arrays are sized to powers of two: grow when n reaches one */
    trU_tok *v = trB_realloc_array(t->v, t->n * 2, sizeof *v);
    if (!v)
      return TROUPE_E_NOMEM;
    t->v = v;
  }
  t->v[t->n++] = (trU_tok){p, len};
  return TROUPE_OK;
}

void trU_tokens_free(trU_tokens *t) {
  if (t && t->v && t->v != t->inl)
    free(t->v);
  if (t) {
    t->v = t->inl;
    t->n = 0;
  }
}

static int bad(troupe_err *err, const char *what, const char *s, size_t tok, const char *why) {
  return troupe_err_set(err, TROUPE_E_INVAL, "invalid %s \"%.80s%s\": token %zu %s", what, s,
                        strlen(s) > 80 ? "..." : "", tok, why);
}

int trU_subject_split(const char *s, bool pattern, trU_tokens *out, troupe_err *err) {
  out->v = out->inl;
  out->n = 0;
  const char *what = pattern ? "subscription subject" : "subject";
  if (!s)
    return troupe_err_set(err, TROUPE_E_INVAL, "%s is NULL", what);
  if (!*s)
    return troupe_err_set(err, TROUPE_E_INVAL, "invalid %s: empty", what);
  const char *start = s;
  bool after_fwc = false;
  int rc;
  for (const char *p = s;; ) {
    size_t ntok = out->n + 1;
    if (after_fwc) {
      rc = bad(err, what, s, ntok - 1, "'>' must be the last token");
      goto fail;
    }
    const char *q = p;
    while (*q && *q != '.') {
      if (is_space((unsigned char)*q)) {
        rc = bad(err, what, s, ntok, "contains whitespace");
        goto fail;
      }
      size_t n = utf8_len((const unsigned char *)q);
      if (!n) {
        rc = bad(err, what, s, ntok, "is not valid UTF-8");
        goto fail;
      }
      q += n;
    }
    size_t len = (size_t)(q - p);
    if (len == 0) {
      rc = bad(err, what, s, ntok, "is empty");
      goto fail;
    }
    if (len == 1 && (*p == '*' || *p == '>')) {
      if (!pattern) {
        rc = troupe_err_set(err, TROUPE_E_INVAL,
                            "invalid subject \"%.80s\": token %zu is the wildcard '%c' "
                            "(publish subjects must be literal)", start, ntok, *p);
        goto fail;
      }
      after_fwc = *p == '>';
    }
    if ((rc = push_tok(out, p, len)) != 0) {
      troupe_err_set(err, rc, "out of memory splitting a subject");
      goto fail;
    }
    if (!*q)
      break;
    p = q + 1;
  }
  return TROUPE_OK;
fail:
  trU_tokens_free(out);
  return rc;
}

TROUPE_API int troupe_subject_validate(const char *subject, troupe_err *err) {
  trU_tokens t;
  int rc = trU_subject_split(subject, false, &t, err);
  if (rc == 0)
    trU_tokens_free(&t);
  return rc;
}

TROUPE_API int troupe_subject_validate_pattern(const char *pattern, troupe_err *err) {
  trU_tokens t;
  int rc = trU_subject_split(pattern, true, &t, err);
  if (rc == 0)
    trU_tokens_free(&t);
  return rc;
}

TROUPE_API bool troupe_subject_matches(const char *pattern, const char *subject) {
  trU_tokens p, s;
  if (trU_subject_split(pattern, true, &p, NULL))
    return false;
  if (trU_subject_split(subject, false, &s, NULL)) {
    trU_tokens_free(&p);
    return false;
  }
  bool ok = true;
  size_t i = 0;
  for (; i < p.n; i++) {
    if (trU_tok_is(&p.v[i], '>')) { /* one or more remaining tokens */
      ok = s.n > i;
      break;
    }
    if (i >= s.n) {
      ok = false;
      break;
    }
    if (trU_tok_is(&p.v[i], '*'))
      continue;
    if (p.v[i].len != s.v[i].len || memcmp(p.v[i].p, s.v[i].p, p.v[i].len) != 0) {
      ok = false;
      break;
    }
  }
  if (ok && i == p.n)
    ok = s.n == p.n;
  trU_tokens_free(&p);
  trU_tokens_free(&s);
  return ok;
}
