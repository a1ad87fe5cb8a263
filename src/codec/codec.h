/*
 * codec/codec.h: the codec layer's internal header. Shared helpers of the layer: a
 * strict UTF-8 check, a growable byte buffer, and the checked loaders that turn
 * untrusted CBOR / JSON bytes into library trees (libcbor, jansson) only after the
 * structural checks that keep those libraries safe (depth, declared sizes).
 * Internal externs carry the prefix trC_.
 */
#ifndef TROUPE_SRC_CODEC_H
#define TROUPE_SRC_CODEC_H

#include "base/base.h"
#include "troupe/codec.h"

#include <cbor.h>
#include <jansson.h>

/* True when s[0..len) is UTF-8 as RFC 3629 defines it (no overlong forms, no
 * surrogates, nothing above U+10FFFF). On false, *bad (if non-NULL) is the offset of
 * the first byte of the offending sequence. */
bool trC_utf8_valid(const uint8_t *s, size_t len, size_t *bad);

/* A growable byte buffer; every growth goes through trB_realloc_array. */
typedef struct trC_buf {
  uint8_t *data;
  size_t len;
  size_t cap;
} trC_buf;

/* Make room for `more` bytes after len; TROUPE_E_NOMEM on failure (buffer unchanged). */
int trC_buf_reserve(trC_buf *b, size_t more);
int trC_buf_append(trC_buf *b, const void *p, size_t n);

/* Structural check of one CBOR item (iterative, libcbor's streaming decoder driving an
 * explicit stack): well-formed, exactly len bytes, depth <= TROUPE_CODEC_MAX_DEPTH,
 * declared counts plausible, text strings UTF-8, indefinite items properly closed. */
int trC_cbor_check(const uint8_t *p, size_t len, troupe_err *err);
/* trC_cbor_check, then cbor_load; *out is the tree (cbor_decref it). */
int trC_cbor_load(const uint8_t *p, size_t len, cbor_item_t **out, troupe_err *err);

/* Parse one JSON value with jansson (any value at top level, \u0000 allowed, raw
 * control bytes refused, UTF-8 checked) and check depth <= TROUPE_CODEC_MAX_DEPTH.
 * `strict` (used by transcoding) also refuses what JSON can say but jansson cannot hold
 * exactly: integers outside int64 and duplicate object keys (TROUPE_E_LOSSY).
 * *out may be NULL to validate only. */
int trC_json_load(const uint8_t *p, size_t len, bool strict, json_t **out, troupe_err *err);

#endif
