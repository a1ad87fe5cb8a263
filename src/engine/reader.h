/*
 * engine/reader.h: a bounds-checked cursor over module bytes with the binary format's
 * LEB128 rules, shared by decode.c (sections) and compile.c (function bodies).
 *
 * Every read checks the end first, so a truncated or hostile module can only produce an
 * error value. Errors name the section, the offset from the start of the module, and the
 * reason in the spec's words ("unexpected end", "integer representation too long",
 * "integer too large").
 */
#ifndef TROUPE_SRC_ENGINE_READER_H
#define TROUPE_SRC_ENGINE_READER_H

#include "engine/engine.h"

#include <stdio.h>

/* Return the status of x if it is an error. */
#define TRY(x)                                                                             \
  do {                                                                                     \
    int rc_ = (x);                                                                         \
    if (rc_)                                                                               \
      return rc_;                                                                          \
  } while (0)

typedef struct trE_reader {
  const uint8_t *base; /* start of the module: offsets in messages are relative to it */
  const uint8_t *p;
  const uint8_t *end;
  const char *where;   /* "type section", "code section", ... */
  troupe_err *err;
} trE_reader;

/* Record an error at the cursor's position; returns code. */
static inline int trE_rd_fail(trE_reader *r, int code, const char *reason) {
  troupe_err_set(r->err, code, "%s, offset 0x%zx: %s", r->where, (size_t)(r->p - r->base),
                 reason);
  return code; /* returned directly so the compiler sees error paths are non-zero */
}

static inline size_t trE_rd_left(const trE_reader *r) { return (size_t)(r->end - r->p); }

static inline int trE_rd_u8(trE_reader *r, uint8_t *out) {
  if (r->p >= r->end)
    return trE_rd_fail(r, TROUPE_E_MALFORMED, "unexpected end");
  *out = *r->p++;
  return 0;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
static inline int trE_rd_uleb(trE_reader *r, unsigned bits, uint64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  unsigned maxbytes = (bits + 6) / 7;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end)
      return trE_rd_fail(r, TROUPE_E_MALFORMED, "unexpected end");
    uint8_t b = *r->p++;
    if (i == maxbytes - 1) {
      if (b & 0x80)
        return trE_rd_fail(r, TROUPE_E_MALFORMED, "integer representation too long");
      /* the unused high bits of the last byte must be zero */
      unsigned used = bits - shift;
      if (used < 7 && (b >> used) != 0)
        return trE_rd_fail(r, TROUPE_E_MALFORMED, "integer too large");
      v |= (uint64_t)b << shift;
      break;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80))
      break;
    shift += 7;
  }
  *out = v;
  return 0;
}

static inline int trE_rd_u32(trE_reader *r, uint32_t *out) {
  uint64_t v;
  int rc = trE_rd_uleb(r, 32, &v);
  if (rc == 0)
    *out = (uint32_t)v;
  return rc;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). */
static inline int trE_rd_sleb(trE_reader *r, unsigned bits, int64_t *out) {
  uint64_t v = 0;
  unsigned shift = 0;
  unsigned maxbytes = (bits + 6) / 7;
  uint8_t b;
  for (unsigned i = 0;; i++) {
    if (r->p >= r->end)
      return trE_rd_fail(r, TROUPE_E_MALFORMED, "unexpected end");
    b = *r->p++;
    if (i == maxbytes - 1) {
      if (b & 0x80)
        return trE_rd_fail(r, TROUPE_E_MALFORMED, "integer representation too long");
      /* the bits beyond `bits` must all equal the sign bit */
      unsigned used = bits - shift; /* value bits in this byte, 1..7 */
      if (used < 7) {
        /* bits used-1 (the sign) through 6 must be all zeros or all ones */
        uint8_t mask = (uint8_t)(0x7fu & ~((1u << (used - 1)) - 1u));
        uint8_t top = b & mask;
        if (top != 0 && top != mask)
          return trE_rd_fail(r, TROUPE_E_MALFORMED, "integer too large");
      }
      v |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      break;
    }
    v |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80))
      break;
  }
  if (shift < 64 && (b & 0x40))
    v |= ~(uint64_t)0 << shift;
  *out = (int64_t)v;
  return 0;
}

static inline int trE_rd_bytes(trE_reader *r, size_t n, const uint8_t **out) {
  if (trE_rd_left(r) < n)
    return trE_rd_fail(r, TROUPE_E_MALFORMED, "unexpected end");
  *out = r->p;
  r->p += n;
  return 0;
}

static inline int trE_rd_fixed32(trE_reader *r, uint32_t *out) {
  const uint8_t *b;
  int rc = trE_rd_bytes(r, 4, &b);
  if (rc == 0)
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return rc;
}

static inline int trE_rd_fixed64(trE_reader *r, uint64_t *out) {
  uint32_t lo, hi;
  int rc = trE_rd_fixed32(r, &lo);
  if (rc == 0 && (rc = trE_rd_fixed32(r, &hi)) == 0)
    *out = (uint64_t)hi << 32 | lo;
  return rc;
}

/* Value type byte. v128 is recognised but refused until SIMD exists. */
static inline int trE_rd_valtype(trE_reader *r, uint8_t *out) {
  uint8_t b;
  int rc = trE_rd_u8(r, &b);
  if (rc)
    return rc;
  switch (b) {
  case TROUPE_WASM_I32: case TROUPE_WASM_I64: case TROUPE_WASM_F32: case TROUPE_WASM_F64:
  case TROUPE_WASM_FUNCREF: case TROUPE_WASM_EXTERNREF:
    *out = b;
    return 0;
  case TROUPE_WASM_V128:
    r->p--;
    return trE_rd_fail(r, TROUPE_E_UNSUPPORTED, "v128 (SIMD) is not supported yet");
  default:
    r->p--;
    return trE_rd_fail(r, TROUPE_E_MALFORMED, "malformed value type");
  }
}

static inline bool trE_is_reftype(uint8_t t) {
  return t == TROUPE_WASM_FUNCREF || t == TROUPE_WASM_EXTERNREF;
}

#endif
