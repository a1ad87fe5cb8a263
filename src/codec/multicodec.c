/*
 * codec/multicodec.c: the codec prefix of every message. A message is
 * varint(codec) ++ payload; the codec table below is the only place that knows which
 * codes exist. Decoding hands back a view into the caller's bytes (no copy) and, unless
 * the caller asks for the prefix alone, proves the payload is what the prefix claims.
 */
#include "codec/codec.h"

static const struct {
  troupe_codec code;
  const char *name;
} codecs[] = {
    {TROUPE_CODEC_BORSH, "borsh"},
    {TROUPE_CODEC_CBOR, "cbor"},
    {TROUPE_CODEC_JSON, "json"},
};

const char *troupe_codec_name(uint64_t code) {
  for (size_t i = 0; i < TR_ARRAY_LEN(codecs); i++)
    if (codecs[i].code == code)
      return codecs[i].name;
  return NULL;
}

int troupe_codec_from_name(const char *name, troupe_codec *out, troupe_err *err) {
  for (size_t i = 0; name && i < TR_ARRAY_LEN(codecs); i++)
    if (!strcmp(codecs[i].name, name)) {
      *out = codecs[i].code;
      return TROUPE_OK;
    }
  return troupe_err_set(err, TROUPE_E_UNKNOWN_CODEC, "codec: unknown codec name '%s' "
                        "(expected borsh, cbor or json)", name ? name : "(null)");
}

size_t troupe_codec_prefix_size(troupe_codec codec) { return troupe_varint_size(codec); }

int troupe_codec_validate(troupe_codec codec, const void *payload, size_t len, troupe_err *err) {
  switch (codec) {
  case TROUPE_CODEC_BORSH:
    return TROUPE_OK; /* no self-description to check against */
  case TROUPE_CODEC_CBOR:
    return trC_cbor_check(payload, len, err);
  case TROUPE_CODEC_JSON:
    return trC_json_load(payload, len, false, NULL, err);
  }
  return troupe_err_set(err, TROUPE_E_UNKNOWN_CODEC, "codec: unsupported codec 0x%llx",
                        (unsigned long long)codec);
}

/* prefix + payload into buf, which has room for both. */
static size_t write_message(troupe_codec codec, const void *payload, size_t len, uint8_t *buf) {
  size_t plen = (size_t)troupe_varint_encode(codec, buf, TROUPE_VARINT_MAX_BYTES, NULL);
  if (len)
    memcpy(buf + plen, payload, len);
  return plen + len;
}

int troupe_codec_encode(troupe_codec codec, const void *payload, size_t len, void *buf,
                        size_t cap, size_t *out_len, troupe_err *err) {
  int rc = troupe_codec_validate(codec, payload, len, err);
  if (rc)
    return rc;
  size_t plen = troupe_varint_size(codec), total;
  if (__builtin_add_overflow(plen, len, &total))
    return troupe_err_set(err, TROUPE_E_RANGE, "codec: payload too large");
  if (out_len)
    *out_len = total;
  if (cap < total)
    return troupe_err_set(err, TROUPE_E_RANGE, "codec: message needs %zu bytes, buffer has %zu",
                          total, cap);
  write_message(codec, payload, len, buf);
  return TROUPE_OK;
}

int troupe_codec_encode_alloc(troupe_codec codec, const void *payload, size_t len,
                              uint8_t **out, size_t *out_len, troupe_err *err) {
  int rc = troupe_codec_validate(codec, payload, len, err);
  if (rc)
    return rc;
  size_t total;
  if (__builtin_add_overflow(troupe_varint_size(codec), len, &total))
    return troupe_err_set(err, TROUPE_E_RANGE, "codec: payload too large");
  uint8_t *buf = trB_malloc(total);
  if (!buf)
    return troupe_err_set(err, TROUPE_E_NOMEM, "codec: out of memory for a %zu-byte message", total);
  *out_len = write_message(codec, payload, len, buf);
  *out = buf;
  return TROUPE_OK;
}

int troupe_codec_split(const void *msg, size_t len, troupe_payload *out, troupe_err *err) {
  if (len == 0)
    return troupe_err_set(err, TROUPE_E_EMPTY, "codec: empty message (no codec prefix at byte 0)");
  uint64_t code;
  troupe_err inner;
  int n = troupe_varint_decode(msg, len, &code, &inner);
  if (n == TROUPE_E_VARINT_TRUNCATED)
    return troupe_err_set(err, TROUPE_E_PREFIX_TRUNCATED,
                          "codec: message ends at byte %zu inside its codec prefix", len);
  if (n < 0)
    return troupe_err_set(err, n, "codec: bad codec prefix: %s", inner.msg);
  if (!troupe_codec_name(code))
    return troupe_err_set(err, TROUPE_E_UNKNOWN_CODEC,
                          "codec: unsupported codec 0x%llx in the prefix (bytes 0..%d)",
                          (unsigned long long)code, n - 1);
  *out = (troupe_payload){.codec = (troupe_codec)code,
                          .data = (const uint8_t *)msg + n,
                          .len = len - (size_t)n,
                          .prefix_len = (size_t)n};
  return TROUPE_OK;
}

int troupe_codec_decode(const void *msg, size_t len, troupe_payload *out, troupe_err *err) {
  troupe_payload p;
  int rc = troupe_codec_split(msg, len, &p, err);
  if (rc)
    return rc;
  troupe_err inner;
  rc = troupe_codec_validate(p.codec, p.data, p.len, &inner);
  if (rc) /* offsets in the inner message count from the payload's first byte */
    return troupe_err_set(err, rc, "codec: %s payload starting at byte %zu: %s",
                          troupe_codec_name(p.codec), p.prefix_len, inner.msg);
  *out = p;
  return TROUPE_OK;
}
