/*
 * fuzz/fuzz_codec.c: libFuzzer target for the codec layer. The input is tried as a
 * prefixed message (decode, transcode both ways), as bare CBOR and JSON payloads, and
 * as a Borsh value stream. Besides "no crash, no leak, no UB" it checks invariants:
 * whatever we produce decodes again, JSON <-> CBOR is stable after one round, and
 * Borsh values read then written give back the very bytes read.
 */
#include "codec/codec.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                         \
  do {                                                                                   \
    if (!(c)) {                                                                          \
      fprintf(stderr, "fuzz_codec: invariant failed: %s (line %d)\n", #c, __LINE__);   \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

static void messages(const uint8_t *data, size_t size) {
  troupe_payload p;
  if (troupe_codec_decode(data, size, &p, NULL))
    return;
  CHECK(p.data == data + p.prefix_len && p.len + p.prefix_len == size);
  static const troupe_codec targets[] = {TROUPE_CODEC_CBOR, TROUPE_CODEC_JSON};
  for (size_t i = 0; i < 2; i++) {
    uint8_t *out;
    size_t n;
    if (troupe_codec_transcode(data, size, targets[i], &out, &n, NULL))
      continue;
    troupe_payload q;
    CHECK(troupe_codec_decode(out, n, &q, NULL) == TROUPE_OK);
    CHECK(q.codec == targets[i]);
    free(out);
  }
}

/* JSON -> CBOR -> JSON -> CBOR: the second CBOR equals the first. */
static void json_side(const uint8_t *data, size_t size) {
  uint8_t *c1, *c2;
  char *j1;
  size_t n1, n2, jn;
  if (troupe_json_to_cbor(data, size, &c1, &n1, NULL))
    return;
  CHECK(troupe_codec_validate(TROUPE_CODEC_CBOR, c1, n1, NULL) == TROUPE_OK);
  CHECK(troupe_cbor_to_json(c1, n1, 0, &j1, &jn, NULL) == TROUPE_OK);
  CHECK(troupe_json_to_cbor(j1, jn, &c2, &n2, NULL) == TROUPE_OK);
  CHECK(n1 == n2 && memcmp(c1, c2, n1) == 0);
  free(c1);
  free(c2);
  free(j1);
}

/* CBOR -> JSON -> CBOR -> JSON: the second JSON equals the first. */
static void cbor_side(const uint8_t *data, size_t size) {
  char *j1, *j2;
  uint8_t *c;
  size_t n1, n2, cn;
  int rc = troupe_cbor_to_json(data, size, 0, &j1, &n1, NULL);
  int vrc = troupe_codec_validate(TROUPE_CODEC_CBOR, data, size, NULL);
  CHECK(rc != TROUPE_OK || vrc == TROUPE_OK); /* converted implies valid */
  if (rc)
    return;
  CHECK(troupe_codec_validate(TROUPE_CODEC_JSON, j1, n1, NULL) == TROUPE_OK);
  CHECK(troupe_json_to_cbor(j1, n1, &c, &cn, NULL) == TROUPE_OK);
  CHECK(troupe_cbor_to_json(c, cn, 0, &j2, &n2, NULL) == TROUPE_OK);
  CHECK(n1 == n2 && memcmp(j1, j2, n1) == 0);
  free(j1);
  free(j2);
  free(c);
}

/* The first byte of each step picks a type; the value read is written back. */
static void borsh_side(const uint8_t *data, size_t size) {
  troupe_borsh_reader r;
  troupe_borsh_reader_init(&r, data, size);
  troupe_borsh_writer w = {0};
  size_t start = 0;
  for (;;) {
    uint8_t op;
    if (troupe_borsh_read_u8(&r, &op, NULL))
      break;
    troupe_borsh_write_u8(&w, op);
    size_t before = r.pos;
    int rc = 0;
    union {
      uint8_t u8; uint16_t u16; uint32_t u32; uint64_t u64; troupe_u128 u128;
      int8_t i8; int16_t i16; int32_t i32; int64_t i64; float f; double d; bool b;
    } v;
    const char *s;
    const uint8_t *bytes;
    size_t n;
    switch (op % 16) {
    case 0: if (!(rc = troupe_borsh_read_u16(&r, &v.u16, NULL))) troupe_borsh_write_u16(&w, v.u16); break;
    case 1: if (!(rc = troupe_borsh_read_u32(&r, &v.u32, NULL))) troupe_borsh_write_u32(&w, v.u32); break;
    case 2: if (!(rc = troupe_borsh_read_u64(&r, &v.u64, NULL))) troupe_borsh_write_u64(&w, v.u64); break;
    case 3: if (!(rc = troupe_borsh_read_u128(&r, &v.u128, NULL))) troupe_borsh_write_u128(&w, v.u128); break;
    case 4: if (!(rc = troupe_borsh_read_i8(&r, &v.i8, NULL))) troupe_borsh_write_i8(&w, v.i8); break;
    case 5: if (!(rc = troupe_borsh_read_i16(&r, &v.i16, NULL))) troupe_borsh_write_i16(&w, v.i16); break;
    case 6: if (!(rc = troupe_borsh_read_i32(&r, &v.i32, NULL))) troupe_borsh_write_i32(&w, v.i32); break;
    case 7: if (!(rc = troupe_borsh_read_i64(&r, &v.i64, NULL))) troupe_borsh_write_i64(&w, v.i64); break;
    case 8: if (!(rc = troupe_borsh_read_i128(&r, &v.u128, NULL))) troupe_borsh_write_i128(&w, v.u128); break;
    case 9: if (!(rc = troupe_borsh_read_f32(&r, &v.f, NULL))) troupe_borsh_write_f32(&w, v.f); break;
    case 10: if (!(rc = troupe_borsh_read_f64(&r, &v.d, NULL))) troupe_borsh_write_f64(&w, v.d); break;
    case 11: if (!(rc = troupe_borsh_read_bool(&r, &v.b, NULL))) troupe_borsh_write_bool(&w, v.b); break;
    case 12: if (!(rc = troupe_borsh_read_option(&r, &v.b, NULL))) troupe_borsh_write_option(&w, v.b); break;
    case 13: if (!(rc = troupe_borsh_read_string(&r, &s, &n, NULL))) troupe_borsh_write_string(&w, s, n); break;
    case 14: if (!(rc = troupe_borsh_read_bytes(&r, &bytes, &n, NULL))) troupe_borsh_write_bytes(&w, bytes, n); break;
    default: if (!(rc = troupe_borsh_read_u8(&r, &v.u8, NULL))) troupe_borsh_write_u8(&w, v.u8); break;
    }
    if (rc) {
      CHECK(r.pos == before); /* a failed read does not move */
      w.len--;                /* drop the selector of the failed step */
      break;
    }
    start = r.pos;
  }
  CHECK(w.status == TROUPE_OK);
  CHECK(w.len == start && (start == 0 || memcmp(w.data, data, start) == 0));
  troupe_borsh_writer_free(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  messages(data, size);
  json_side(data, size);
  cbor_side(data, size);
  borsh_side(data, size);
  return 0;
}
