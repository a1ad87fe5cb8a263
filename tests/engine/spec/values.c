/*
 * values.c: wast2json values to troupe_wasm_val and back. wast2json writes every number
 * as the unsigned decimal of its bits ("4294967295" is i32 -1, floats are their IEEE
 * bits), NaN patterns as "nan:canonical" / "nan:arithmetic", and references as "null" or
 * an externref number N, which the runner passes as the host pointer N + 1 so that
 * externref 0 is not the null reference.
 */
#include "spec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *spec_type_name(uint8_t type) {
  switch (type) {
  case TROUPE_WASM_I32: return "i32";
  case TROUPE_WASM_I64: return "i64";
  case TROUPE_WASM_F32: return "f32";
  case TROUPE_WASM_F64: return "f64";
  case TROUPE_WASM_V128: return "v128";
  case TROUPE_WASM_FUNCREF: return "funcref";
  case TROUPE_WASM_EXTERNREF: return "externref";
  default: return "?";
  }
}

static bool type_from_name(const char *s, uint8_t *out) {
  static const struct {
    const char *name;
    uint8_t type;
  } names[] = {{"i32", TROUPE_WASM_I32},         {"i64", TROUPE_WASM_I64},
               {"f32", TROUPE_WASM_F32},         {"f64", TROUPE_WASM_F64},
               {"v128", TROUPE_WASM_V128},       {"funcref", TROUPE_WASM_FUNCREF},
               {"externref", TROUPE_WASM_EXTERNREF}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strcmp(s, names[i].name) == 0) {
      *out = names[i].type;
      return true;
    }
  return false;
}

/* An unsigned decimal no larger than max. */
static bool parse_u64(const char *s, uint64_t max, uint64_t *out) {
  if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
    return false;
  char *end = NULL;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end || v > max)
    return false;
  *out = v;
  return true;
}

/* The type and the value string of {"type": ..., "value": ...}; value may be absent. */
static bool read_typed(const json_t *j, uint8_t *type, const char **value, char *why, size_t whylen) {
  const char *tname = json_string_value(json_object_get(j, "type"));
  if (!tname) {
    snprintf(why, whylen, "value without a type");
    return false;
  }
  if (!type_from_name(tname, type)) {
    snprintf(why, whylen, "unknown value type '%s'", tname);
    return false;
  }
  if (*type == TROUPE_WASM_V128) {
    snprintf(why, whylen, "v128 values are not supported (SIMD is not implemented yet)");
    return false;
  }
  *value = json_string_value(json_object_get(j, "value"));
  return true;
}

/* A number or reference from its string; false when the string is not one. */
static bool parse_plain(uint8_t type, const char *s, troupe_wasm_val *out) {
  uint64_t u;
  memset(out, 0, sizeof *out);
  out->type = type;
  switch (type) {
  case TROUPE_WASM_I32:
  case TROUPE_WASM_F32:
    if (!parse_u64(s, UINT32_MAX, &u))
      return false;
    out->of.f32_bits = (uint32_t)u; /* i32 and f32 bits share the union's first word */
    return true;
  case TROUPE_WASM_I64:
  case TROUPE_WASM_F64:
    if (!parse_u64(s, UINT64_MAX, &u))
      return false;
    out->of.f64_bits = u;
    return true;
  case TROUPE_WASM_FUNCREF:
  case TROUPE_WASM_EXTERNREF:
    if (s && strcmp(s, "null") == 0) {
      out->of.ref = NULL;
      return true;
    }
    if (type == TROUPE_WASM_FUNCREF || !parse_u64(s, UINTPTR_MAX - 1, &u))
      return false;
    out->of.ref = (void *)(uintptr_t)(u + 1);
    return true;
  default:
    return false;
  }
}

bool spec_parse_arg(const json_t *j, troupe_wasm_val *out, char *why, size_t whylen) {
  uint8_t type;
  const char *s;
  if (!read_typed(j, &type, &s, why, whylen))
    return false;
  if (!parse_plain(type, s, out)) {
    snprintf(why, whylen, "bad %s argument '%s'", spec_type_name(type), s ? s : "(none)");
    return false;
  }
  return true;
}

bool spec_parse_expect(const json_t *j, spec_expect *out, char *why, size_t whylen) {
  uint8_t type;
  const char *s;
  if (!read_typed(j, &type, &s, why, whylen))
    return false;
  memset(out, 0, sizeof *out);
  out->val.type = type;
  bool is_float = type == TROUPE_WASM_F32 || type == TROUPE_WASM_F64;
  if (is_float && s && strcmp(s, "nan:canonical") == 0) {
    out->how = SPEC_MATCH_NAN_CANON;
    return true;
  }
  if (is_float && s && strcmp(s, "nan:arithmetic") == 0) {
    out->how = SPEC_MATCH_NAN_ARITH;
    return true;
  }
  if (type == TROUPE_WASM_FUNCREF || type == TROUPE_WASM_EXTERNREF) {
    if (s && strcmp(s, "null") == 0) {
      out->how = SPEC_MATCH_NULL;
      return true;
    }
    /* A funcref result (or an externref written without a number) can only be checked
     * for being non-null: the engine's function handles have no spec-visible identity. */
    if (type == TROUPE_WASM_FUNCREF || !s) {
      out->how = SPEC_MATCH_NONNULL;
      return true;
    }
  }
  out->how = SPEC_MATCH_EXACT;
  if (!parse_plain(type, s, &out->val)) {
    snprintf(why, whylen, "bad expected %s '%s'", spec_type_name(type), s ? s : "(none)");
    return false;
  }
  return true;
}

bool spec_matches(const spec_expect *e, const troupe_wasm_val *got) {
  if (got->type != e->val.type)
    return false;
  bool f32 = got->type == TROUPE_WASM_F32;
  switch (e->how) {
  case SPEC_MATCH_NAN_CANON:
    /* Sign free, quiet bit set, every other payload bit clear. */
    return f32 ? (got->of.f32_bits & 0x7fffffffu) == 0x7fc00000u
               : (got->of.f64_bits & 0x7fffffffffffffffu) == 0x7ff8000000000000u;
  case SPEC_MATCH_NAN_ARITH:
    /* Any NaN with the quiet bit set. */
    return f32 ? (got->of.f32_bits & 0x7fc00000u) == 0x7fc00000u
               : (got->of.f64_bits & 0x7ff8000000000000u) == 0x7ff8000000000000u;
  case SPEC_MATCH_NULL: return got->of.ref == NULL;
  case SPEC_MATCH_NONNULL: return got->of.ref != NULL;
  case SPEC_MATCH_EXACT:
    switch (got->type) {
    case TROUPE_WASM_I32:
    case TROUPE_WASM_F32: return got->of.f32_bits == e->val.of.f32_bits;
    case TROUPE_WASM_I64:
    case TROUPE_WASM_F64: return got->of.f64_bits == e->val.of.f64_bits;
    case TROUPE_WASM_FUNCREF:
    case TROUPE_WASM_EXTERNREF: return got->of.ref == e->val.of.ref;
    default: return false;
    }
  }
  return false;
}

static void format_ref(const char *tname, const void *ref, char *buf, size_t len) {
  uintptr_t p = (uintptr_t)ref;
  if (!ref)
    snprintf(buf, len, "%s null", tname);
  else if (strcmp(tname, "externref") == 0)
    snprintf(buf, len, "externref %" PRIuPTR, p - 1);
  else
    snprintf(buf, len, "%s non-null (%p)", tname, ref);
}

void spec_format_val(const troupe_wasm_val *v, char *buf, size_t len) {
  switch (v->type) {
  case TROUPE_WASM_I32:
    snprintf(buf, len, "i32 %" PRId32 " (0x%" PRIx32 ")", v->of.i32, (uint32_t)v->of.i32);
    break;
  case TROUPE_WASM_I64:
    snprintf(buf, len, "i64 %" PRId64 " (0x%" PRIx64 ")", v->of.i64, (uint64_t)v->of.i64);
    break;
  case TROUPE_WASM_F32:
    snprintf(buf, len, "f32 %.9g (0x%08" PRIx32 ")", (double)v->of.f32, v->of.f32_bits);
    break;
  case TROUPE_WASM_F64:
    snprintf(buf, len, "f64 %.17g (0x%016" PRIx64 ")", v->of.f64, v->of.f64_bits);
    break;
  case TROUPE_WASM_FUNCREF:
  case TROUPE_WASM_EXTERNREF: format_ref(spec_type_name(v->type), v->of.ref, buf, len); break;
  default: snprintf(buf, len, "a value of unknown type 0x%02x", v->type); break;
  }
}

void spec_format_expect(const spec_expect *e, char *buf, size_t len) {
  const char *t = spec_type_name(e->val.type);
  switch (e->how) {
  case SPEC_MATCH_NAN_CANON: snprintf(buf, len, "%s nan:canonical", t); break;
  case SPEC_MATCH_NAN_ARITH: snprintf(buf, len, "%s nan:arithmetic", t); break;
  case SPEC_MATCH_NULL: snprintf(buf, len, "%s null", t); break;
  case SPEC_MATCH_NONNULL: snprintf(buf, len, "%s non-null", t); break;
  case SPEC_MATCH_EXACT: spec_format_val(&e->val, buf, len); break;
  }
}
