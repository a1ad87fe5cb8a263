/*
 * troupe/codec.h: message payloads. Every payload crossing a component boundary is
 * bytes with a multicodec prefix (an unsigned varint naming the codec: Borsh 0x701,
 * CBOR 0x51, JSON 0x0200). This header offers the varint, the prefix, payload
 * validation, JSON <-> CBOR transcoding and a small Borsh reader/writer.
 * Rules, tables and error codes: docs/CODEC.md.
 */
#ifndef TROUPE_CODEC_H
#define TROUPE_CODEC_H

#include "troupe/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- unsigned varint (multiformats unsigned-varint) -------------------------------
 * 7 bits per byte, least significant group first, high bit = "more bytes follow".
 * Only the minimal encoding is accepted, at most 9 bytes, so values are 0..2^63-1. */
#define TROUPE_VARINT_MAX_BYTES 9
#define TROUPE_VARINT_MAX_VALUE UINT64_C(0x7fffffffffffffff)

/* Bytes needed to encode v (1..9), or 0 when v > TROUPE_VARINT_MAX_VALUE. */
TROUPE_API size_t troupe_varint_size(uint64_t v);
/* Write v into buf[0..cap); returns the bytes written (1..9) or a negative status:
 * TROUPE_E_VARINT_TOOLONG (v > 2^63-1), TROUPE_E_RANGE (cap too small). */
TROUPE_API int troupe_varint_encode(uint64_t v, void *buf, size_t cap, troupe_err *err);
/* Read one varint from buf[0..len); returns the bytes consumed (1..9) and stores the
 * value in *value, or a negative status: TROUPE_E_VARINT_TRUNCATED (input ends inside
 * the varint), TROUPE_E_VARINT_OVERLONG (not minimal), TROUPE_E_VARINT_TOOLONG (a 9th
 * byte with its continuation bit set: more than 9 bytes or above 2^63-1). */
TROUPE_API int troupe_varint_decode(const void *buf, size_t len, uint64_t *value,
                                    troupe_err *err);

/* ---- codecs and the multicodec prefix --------------------------------------------- */
typedef enum troupe_codec {
  TROUPE_CODEC_CBOR = 0x51,
  TROUPE_CODEC_JSON = 0x0200,
  TROUPE_CODEC_BORSH = 0x0701,
} troupe_codec;

/* Deepest container nesting accepted in CBOR and JSON payloads (arrays, maps/objects,
 * CBOR tags each count one level). Deeper input fails with TROUPE_E_TOO_DEEP. */
#define TROUPE_CODEC_MAX_DEPTH 512

/* "borsh", "cbor", "json"; NULL for a code that is not one of ours. */
TROUPE_API const char *troupe_codec_name(uint64_t code);
/* The codec called name ("cbor", ...); TROUPE_E_UNKNOWN_CODEC if none. */
TROUPE_API int troupe_codec_from_name(const char *name, troupe_codec *out, troupe_err *err);

/* A decoded message: the codec and a view of the payload inside the caller's bytes
 * (zero copy: valid as long as those bytes are). */
typedef struct troupe_payload {
  troupe_codec codec;
  const uint8_t *data;
  size_t len;
  size_t prefix_len; /* bytes of the varint prefix in front of data */
} troupe_payload;

/* Check that payload[0..len) really is what codec says: CBOR exactly one well-formed
 * item with UTF-8 text strings and nothing after it, JSON one valid JSON value (UTF-8),
 * both at most TROUPE_CODEC_MAX_DEPTH deep; Borsh is not self-describing and always
 * passes. Errors: TROUPE_E_MALFORMED_PAYLOAD, TROUPE_E_TOO_DEEP,
 * TROUPE_E_UNKNOWN_CODEC, TROUPE_E_NOMEM. */
TROUPE_API int troupe_codec_validate(troupe_codec codec, const void *payload, size_t len,
                                     troupe_err *err);

/* Bytes of the varint prefix of a codec (CBOR 1, JSON and Borsh 2). */
TROUPE_API size_t troupe_codec_prefix_size(troupe_codec codec);
/* Validate payload, then write prefix + payload into buf[0..cap). *out_len receives the
 * size written, or the size needed when cap is too small (TROUPE_E_RANGE). */
TROUPE_API int troupe_codec_encode(troupe_codec codec, const void *payload, size_t len,
                                   void *buf, size_t cap, size_t *out_len, troupe_err *err);
/* The same into a malloc'd buffer (*out, freed by the caller with free()). */
TROUPE_API int troupe_codec_encode_alloc(troupe_codec codec, const void *payload, size_t len,
                                         uint8_t **out, size_t *out_len, troupe_err *err);
/* Read the prefix only (no payload check). Errors: TROUPE_E_EMPTY, TROUPE_E_PREFIX_TRUNCATED,
 * TROUPE_E_VARINT_OVERLONG, TROUPE_E_VARINT_TOOLONG, TROUPE_E_UNKNOWN_CODEC. */
TROUPE_API int troupe_codec_split(const void *msg, size_t len, troupe_payload *out,
                                  troupe_err *err);
/* troupe_codec_split, then troupe_codec_validate on the payload. */
TROUPE_API int troupe_codec_decode(const void *msg, size_t len, troupe_payload *out,
                                   troupe_err *err);

/* ---- JSON <-> CBOR (mapping table in docs/CODEC.md) ------------------------------- */
#define TROUPE_JSON_PRETTY 0x1u /* indented output instead of compact */

/* Bare payloads (no prefix) in, malloc'd bare payload out. Input is validated first.
 * Errors: those of troupe_codec_validate, TROUPE_E_LOSSY (a value with no exact form in
 * the target: the message says what and where), TROUPE_E_NOMEM. */
TROUPE_API int troupe_json_to_cbor(const void *json, size_t len, uint8_t **out,
                                   size_t *out_len, troupe_err *err);
TROUPE_API int troupe_cbor_to_json(const void *cbor, size_t len, unsigned flags, char **out,
                                   size_t *out_len, troupe_err *err);
/* A prefixed message in, the prefixed message in codec `to` out (malloc'd). Same codec
 * in and out: a validated copy. Borsh has no schema here: TROUPE_E_UNSUPPORTED. */
TROUPE_API int troupe_codec_transcode(const void *msg, size_t len, troupe_codec to,
                                      uint8_t **out, size_t *out_len, troupe_err *err);

/* ---- Borsh (https://borsh.io) ------------------------------------------------------
 * Little-endian fixed-size integers, IEEE floats (NaN refused), bool as one byte 0/1,
 * string and Vec<u8> as a u32 length then the bytes, Option as a 0/1 tag then the
 * value. 128-bit integers are two 64-bit halves (i128 in two's complement). */
typedef struct troupe_u128 {
  uint64_t lo, hi;
} troupe_u128;

/* A bounds-checked cursor over borrowed bytes. Every read either succeeds and advances,
 * or fails with TROUPE_E_MALFORMED_PAYLOAD (message: what, at which offset) and leaves
 * the cursor where it was. Zero-initialise, or use troupe_borsh_reader_init. */
typedef struct troupe_borsh_reader {
  const uint8_t *data;
  size_t len;
  size_t pos;
} troupe_borsh_reader;

TROUPE_API void troupe_borsh_reader_init(troupe_borsh_reader *r, const void *data, size_t len);
TROUPE_API int troupe_borsh_read_u8(troupe_borsh_reader *r, uint8_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_u16(troupe_borsh_reader *r, uint16_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_u32(troupe_borsh_reader *r, uint32_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_u64(troupe_borsh_reader *r, uint64_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_u128(troupe_borsh_reader *r, troupe_u128 *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_i8(troupe_borsh_reader *r, int8_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_i16(troupe_borsh_reader *r, int16_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_i32(troupe_borsh_reader *r, int32_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_i64(troupe_borsh_reader *r, int64_t *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_i128(troupe_borsh_reader *r, troupe_u128 *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_f32(troupe_borsh_reader *r, float *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_f64(troupe_borsh_reader *r, double *v, troupe_err *err);
TROUPE_API int troupe_borsh_read_bool(troupe_borsh_reader *r, bool *v, troupe_err *err);
/* A string (validated UTF-8) or Vec<u8>: a view into the reader's bytes, not copied
 * and not NUL-terminated. */
TROUPE_API int troupe_borsh_read_string(troupe_borsh_reader *r, const char **s, size_t *len,
                                        troupe_err *err);
TROUPE_API int troupe_borsh_read_bytes(troupe_borsh_reader *r, const uint8_t **p, size_t *len,
                                       troupe_err *err);
/* An Option tag: *present = false for 0, true for 1 (the value follows). */
TROUPE_API int troupe_borsh_read_option(troupe_borsh_reader *r, bool *present, troupe_err *err);
/* TROUPE_OK when every byte was read, else TROUPE_E_MALFORMED_PAYLOAD (trailing bytes). */
TROUPE_API int troupe_borsh_read_end(const troupe_borsh_reader *r, troupe_err *err);

/* A growable output buffer. Errors are sticky: after one failure (TROUPE_E_NOMEM,
 * TROUPE_E_INVAL for NaN or invalid UTF-8, TROUPE_E_RANGE for a length over 2^32-1)
 * later writes do nothing and return it again, so a caller may check once at the end.
 * Zero-initialise or use troupe_borsh_writer_init; release with troupe_borsh_writer_free
 * or take the bytes with troupe_borsh_writer_take. */
typedef struct troupe_borsh_writer {
  uint8_t *data;
  size_t len;
  size_t cap;
  int status;
} troupe_borsh_writer;

TROUPE_API void troupe_borsh_writer_init(troupe_borsh_writer *w);
TROUPE_API void troupe_borsh_writer_free(troupe_borsh_writer *w);
/* Hand the bytes to the caller (free() them) and reset the writer; on a sticky error
 * returns it and frees the bytes. */
TROUPE_API int troupe_borsh_writer_take(troupe_borsh_writer *w, uint8_t **out, size_t *len,
                                        troupe_err *err);
TROUPE_API int troupe_borsh_write_u8(troupe_borsh_writer *w, uint8_t v);
TROUPE_API int troupe_borsh_write_u16(troupe_borsh_writer *w, uint16_t v);
TROUPE_API int troupe_borsh_write_u32(troupe_borsh_writer *w, uint32_t v);
TROUPE_API int troupe_borsh_write_u64(troupe_borsh_writer *w, uint64_t v);
TROUPE_API int troupe_borsh_write_u128(troupe_borsh_writer *w, troupe_u128 v);
TROUPE_API int troupe_borsh_write_i8(troupe_borsh_writer *w, int8_t v);
TROUPE_API int troupe_borsh_write_i16(troupe_borsh_writer *w, int16_t v);
TROUPE_API int troupe_borsh_write_i32(troupe_borsh_writer *w, int32_t v);
TROUPE_API int troupe_borsh_write_i64(troupe_borsh_writer *w, int64_t v);
TROUPE_API int troupe_borsh_write_i128(troupe_borsh_writer *w, troupe_u128 v);
TROUPE_API int troupe_borsh_write_f32(troupe_borsh_writer *w, float v);
TROUPE_API int troupe_borsh_write_f64(troupe_borsh_writer *w, double v);
TROUPE_API int troupe_borsh_write_bool(troupe_borsh_writer *w, bool v);
TROUPE_API int troupe_borsh_write_string(troupe_borsh_writer *w, const char *s, size_t len);
TROUPE_API int troupe_borsh_write_bytes(troupe_borsh_writer *w, const void *p, size_t len);
TROUPE_API int troupe_borsh_write_option(troupe_borsh_writer *w, bool present);

#ifdef __cplusplus
}
#endif
#endif
