/*
 * codec/cbor_check.c: is this byte string exactly one well-formed CBOR item?
 * libcbor's cbor_load builds a tree and trusts declared sizes (a 5-byte header can ask
 * for a 2^32-slot array), and its tree is freed recursively, so untrusted bytes are
 * first walked header by header with libcbor's streaming decoder while we keep our
 * own explicit stack of open containers. That walk bounds depth, checks declared
 * counts against the bytes left, UTF-8 in text strings, indefinite-length rules and
 * trailing bytes, all with byte offsets in the messages; only then does cbor_load run.
 */
#include "codec/codec.h"

/* One open container. `left` counts the items still expected (definite array: items,
 * definite map: keys + values, tag: 1); for indefinite maps it counts items seen so
 * that a break after a lone key is refused. */
typedef enum { F_ARRAY, F_MAP, F_TAG, F_INDEF_ARRAY, F_INDEF_MAP, F_INDEF_BYTES, F_INDEF_TEXT } fkind;

typedef struct frame {
  uint64_t left;
  fkind kind;
  size_t at; /* byte offset of the container's header */
} frame;

typedef struct scan {
  const uint8_t *base;
  size_t len;
  size_t pos; /* offset of the header being decoded */
  size_t depth;
  bool done;  /* the top-level item is complete */
  int rc;
  troupe_err *err;
  frame stack[TROUPE_CODEC_MAX_DEPTH];
} scan;

static void fail(scan *s, int code, const char *what) {
  if (!s->rc)
    s->rc = troupe_err_set(s->err, code, "cbor: %s (item at byte %zu)", what, s->pos);
}

static frame *top(scan *s) { return s->depth ? &s->stack[s->depth - 1] : NULL; }

/* Called before every item except string chunks: inside an indefinite-length string
 * only chunks of the same string type (or the break) may appear. */
static bool begin_item(scan *s) {
  if (s->rc)
    return false;
  frame *t = top(s);
  if (t && (t->kind == F_INDEF_BYTES || t->kind == F_INDEF_TEXT)) {
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, "item inside an indefinite-length string is not a chunk");
    return false;
  }
  return true;
}

/* An item is complete: count it in its parent, closing definite containers that this
 * completes (without recursion: a completed container is an item of its own parent). */
static void item_done(scan *s) {
  for (;;) {
    frame *t = top(s);
    if (!t) {
      s->done = true;
      return;
    }
    if (t->kind == F_INDEF_ARRAY || t->kind == F_INDEF_MAP) {
      t->left++;
      return;
    }
    if (--t->left > 0)
      return;
    s->depth--;
  }
}

static void open_container(scan *s, fkind kind, uint64_t items) {
  if (!begin_item(s))
    return;
  if (s->depth >= TROUPE_CODEC_MAX_DEPTH) {
    char what[96];
    snprintf(what, sizeof what, "nesting deeper than %d containers", TROUPE_CODEC_MAX_DEPTH);
    fail(s, TROUPE_E_TOO_DEEP, what);
    return;
  }
  /* Each item takes at least one byte, so a count above the bytes left is a lie that
   * would only make the tree builder allocate for nothing. */
  uint64_t remaining = s->len - s->pos - 1;
  if ((kind == F_ARRAY || kind == F_MAP) && items > remaining) {
    char what[128];
    snprintf(what, sizeof what, "%s declares %llu items but only %llu bytes follow",
             kind == F_ARRAY ? "array" : "map", (unsigned long long)items,
             (unsigned long long)remaining);
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, what);
    return;
  }
  if ((kind == F_ARRAY || kind == F_MAP) && items == 0) {
    item_done(s);
    return;
  }
  s->stack[s->depth++] = (frame){.left = items, .kind = kind, .at = s->pos};
}

static void on_scalar(void *ctx) {
  scan *s = ctx;
  if (begin_item(s))
    item_done(s);
}
static void on_u8(void *ctx, uint8_t v) { (void)v, on_scalar(ctx); }
static void on_u16(void *ctx, uint16_t v) { (void)v, on_scalar(ctx); }
static void on_u32(void *ctx, uint32_t v) { (void)v, on_scalar(ctx); }
static void on_u64(void *ctx, uint64_t v) { (void)v, on_scalar(ctx); }
static void on_float(void *ctx, float v) { (void)v, on_scalar(ctx); }
static void on_double(void *ctx, double v) { (void)v, on_scalar(ctx); }
static void on_bool(void *ctx, bool v) { (void)v, on_scalar(ctx); }

static void on_string(scan *s, fkind chunk_of, cbor_data data, size_t len) {
  if (s->rc)
    return;
  frame *t = top(s);
  bool chunk = t && (t->kind == F_INDEF_BYTES || t->kind == F_INDEF_TEXT);
  if (chunk && t->kind != chunk_of) {
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, "chunk of an indefinite-length string has the wrong type");
    return;
  }
  size_t bad;
  /* RFC 8949 3.2.3: each text chunk is valid UTF-8 on its own. */
  if (chunk_of == F_INDEF_TEXT && !trC_utf8_valid(data, len, &bad)) {
    char what[96];
    snprintf(what, sizeof what, "text string has invalid UTF-8 at its byte %zu", bad);
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, what);
    return;
  }
  if (!chunk)
    item_done(s);
}
static void on_bytes(void *ctx, cbor_data d, size_t n) { on_string(ctx, F_INDEF_BYTES, d, n); }
static void on_text(void *ctx, cbor_data d, size_t n) { on_string(ctx, F_INDEF_TEXT, d, n); }
static void on_indef_bytes(void *ctx) { open_container(ctx, F_INDEF_BYTES, 0); }
static void on_indef_text(void *ctx) { open_container(ctx, F_INDEF_TEXT, 0); }
static void on_array(void *ctx, size_t n) { open_container(ctx, F_ARRAY, n); }
static void on_indef_array(void *ctx) { open_container(ctx, F_INDEF_ARRAY, 0); }
static void on_indef_map(void *ctx) { open_container(ctx, F_INDEF_MAP, 0); }
static void on_tag(void *ctx, uint64_t v) { (void)v, open_container(ctx, F_TAG, 1); }

static void on_map(void *ctx, size_t n) {
  scan *s = ctx;
  if ((uint64_t)n > UINT64_MAX / 2)
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, "map declares more entries than can exist");
  else
    open_container(s, F_MAP, (uint64_t)n * 2);
}

static void on_break(void *ctx) {
  scan *s = ctx;
  if (s->rc)
    return;
  frame *t = top(s);
  if (!t || t->kind == F_ARRAY || t->kind == F_MAP || t->kind == F_TAG) {
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, "break (0xff) outside an indefinite-length item");
    return;
  }
  if (t->kind == F_INDEF_MAP && t->left % 2) {
    fail(s, TROUPE_E_MALFORMED_PAYLOAD, "indefinite-length map ends after a key with no value");
    return;
  }
  s->depth--;
  item_done(s);
}

static const struct cbor_callbacks check_callbacks = {
    .uint8 = on_u8, .uint16 = on_u16, .uint32 = on_u32, .uint64 = on_u64,
    .negint8 = on_u8, .negint16 = on_u16, .negint32 = on_u32, .negint64 = on_u64,
    .byte_string = on_bytes, .byte_string_start = on_indef_bytes,
    .string = on_text, .string_start = on_indef_text,
    .array_start = on_array, .indef_array_start = on_indef_array,
    .map_start = on_map, .indef_map_start = on_indef_map,
    .tag = on_tag,
    .float2 = on_float, .float4 = on_float, .float8 = on_double,
    .undefined = on_scalar, .null = on_scalar, .boolean = on_bool,
    .indef_break = on_break,
};

int trC_cbor_check(const uint8_t *p, size_t len, troupe_err *err) {
  if (len == 0)
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD, "cbor: empty payload (no item)");
  /* Not a compound literal: that would zero the whole 12 KiB frame stack for every
   * payload, a few bytes long as most are; frames are written before they are read. */
  scan st;
  st.base = p;
  st.len = len;
  st.pos = 0;
  st.depth = 0;
  st.done = false;
  st.rc = 0;
  st.err = err;
  scan *s = &st;
  size_t pos = 0;
  while (pos < len) {
    if (s->done)
      return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                            "cbor: %zu trailing bytes after the item, from byte %zu",
                            len - pos, pos);
    s->pos = pos;
    struct cbor_decoder_result r = cbor_stream_decode(p + pos, len - pos, &check_callbacks, s);
    if (s->rc)
      return s->rc;
    if (r.status == CBOR_DECODER_NEDATA)
      return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                            "cbor: item at byte %zu is truncated (needs %zu bytes, %zu left)",
                            pos, r.required, len - pos);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
      return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                            "cbor: malformed or unsupported item header 0x%02x at byte %zu",
                            p[pos], pos);
    pos += r.read;
  }
  if (!s->done) {
    frame *t = top(s);
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "cbor: input ends at byte %zu inside the container opened at byte %zu",
                          len, t ? t->at : 0);
  }
  return TROUPE_OK;
}

int trC_cbor_load(const uint8_t *p, size_t len, cbor_item_t **out, troupe_err *err) {
  *out = NULL;
  int rc = trC_cbor_check(p, len, err);
  if (rc)
    return rc;
  struct cbor_load_result res;
  cbor_item_t *item = cbor_load(p, len, &res);
  if (!item || res.error.code != CBOR_ERR_NONE) {
    if (item)
      cbor_decref(&item);
    if (res.error.code == CBOR_ERR_MEMERROR)
      return troupe_err_set(err, TROUPE_E_NOMEM, "cbor: out of memory loading the item");
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "cbor: libcbor rejects the item near byte %zu (error %d)",
                          res.error.position, (int)res.error.code);
  }
  if (res.read != len) {
    cbor_decref(&item);
    return troupe_err_set(err, TROUPE_E_MALFORMED_PAYLOAD,
                          "cbor: %zu trailing bytes after the item, from byte %zu",
                          len - res.read, res.read);
  }
  *out = item;
  return TROUPE_OK;
}
