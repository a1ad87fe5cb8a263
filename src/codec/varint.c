/*
 * codec/varint.c: the multiformats unsigned varint. Seven value bits per byte, low
 * group first, the high bit set on every byte but the last. Decoding is strict so that
 * one value has exactly one encoding: no trailing zero groups, at most 9 bytes (which
 * caps values at 2^63-1). The multicodec prefix (multicodec.c) is one such varint.
 */
#include "codec/codec.h"

size_t troupe_varint_size(uint64_t v) {
  if (v > TROUPE_VARINT_MAX_VALUE)
    return 0;
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

int troupe_varint_encode(uint64_t v, void *buf, size_t cap, troupe_err *err) {
  size_t need = troupe_varint_size(v);
  if (need == 0)
    return troupe_err_set(err, TROUPE_E_VARINT_TOOLONG,
                          "varint: value %llu is above 2^63-1", (unsigned long long)v);
  if (cap < need)
    return troupe_err_set(err, TROUPE_E_RANGE, "varint: value needs %zu bytes, buffer has %zu",
                          need, cap);
  uint8_t *out = buf;
  for (size_t i = 0; i + 1 < need; i++) {
    out[i] = (uint8_t)(v & 0x7f) | 0x80;
    v >>= 7;
  }
  out[need - 1] = (uint8_t)v;
  return (int)need;
}

int troupe_varint_decode(const void *buf, size_t len, uint64_t *value, troupe_err *err) {
  const uint8_t *in = buf;
  uint64_t v = 0;
  for (size_t i = 0; i < TROUPE_VARINT_MAX_BYTES; i++) {
    if (i >= len)
      return troupe_err_set(err, TROUPE_E_VARINT_TRUNCATED,
                            "varint: input ends at byte %zu inside a varint "
                            "(continuation bit set on byte %zu)",
                            i, i ? i - 1 : 0);
    uint8_t b = in[i];
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (b & 0x80)
      continue;
    /* A last byte of zero adds nothing: the same value has a shorter encoding. */
    if (b == 0 && i > 0)
      return troupe_err_set(err, TROUPE_E_VARINT_OVERLONG,
                            "varint: byte %zu is a zero final group (non-minimal encoding)", i);
    if (value)
      *value = v;
    return (int)(i + 1);
  }
  return troupe_err_set(err, TROUPE_E_VARINT_TOOLONG,
                        "varint: byte %d still has its continuation bit set "
                        "(longer than %d bytes, above 2^63-1)",
                        TROUPE_VARINT_MAX_BYTES - 1, TROUPE_VARINT_MAX_BYTES);
}
