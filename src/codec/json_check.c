/*
 * codec/json_check.c: is this byte string one valid JSON value? jansson parses it
 * (it checks UTF-8, escapes and the grammar, and stops at its own depth limit of
 * JSON_PARSER_MAX_DEPTH); we add the layer's depth limit, which is lower so that the
 * transcoder's recursion and the CBOR side agree, and map jansson's error kinds to
 * ours with the position in the message.
 */
#include "codec/codec.h"

/* True when no container in j is nested deeper than `room` more levels. The recursion
 * is bounded: it stops one level past TROUPE_CODEC_MAX_DEPTH (and jansson never builds
 * more than JSON_PARSER_MAX_DEPTH levels). */
static bool depth_ok(json_t *j, int room) {
  if (!json_is_array(j) && !json_is_object(j))
    return true;
  if (room == 0)
    return false;
  if (json_is_array(j)) {
    for (size_t i = 0; i < json_array_size(j); i++)
      if (!depth_ok(json_array_get(j, i), room - 1))
        return false;
  } else {
    const char *k;
    json_t *v;
    json_object_foreach(j, k, v) {
      if (!depth_ok(v, room - 1))
        return false;
    }
  }
  return true;
}

static int parse_error(const json_error_t *je, bool strict, troupe_err *err) {
  /* jansson fails without a message only when it cannot allocate its lexer. */
  if (je->text[0] == '\0')
    return troupe_err_set(err, TROUPE_E_NOMEM, "json: out of memory parsing");
  int code;
  switch (json_error_code(je)) {
  case json_error_out_of_memory:
    return troupe_err_set(err, TROUPE_E_NOMEM, "json: out of memory parsing");
  case json_error_stack_overflow:
    code = TROUPE_E_TOO_DEEP;
    break;
  case json_error_numeric_overflow:
  case json_error_duplicate_key:
    code = strict ? TROUPE_E_LOSSY : TROUPE_E_MALFORMED_PAYLOAD;
    break;
  default:
    code = TROUPE_E_MALFORMED_PAYLOAD;
    break;
  }
  const char *why = code != TROUPE_E_LOSSY ? ""
                    : json_error_code(je) == json_error_duplicate_key
                        ? " (a CBOR map would keep only one of the values)"
                        : " (integers are carried exactly only within int64)";
  return troupe_err_set(err, code, "json: %s at line %d column %d (byte %d)%s", je->text,
                        je->line, je->column, je->position, why);
}

int trC_json_load(const uint8_t *p, size_t len, bool strict, json_t **out, troupe_err *err) {
  if (out)
    *out = NULL;
  size_t flags = JSON_DECODE_ANY | JSON_ALLOW_NUL | (strict ? JSON_REJECT_DUPLICATES : 0);
  json_error_t je;
  json_t *j = json_loadb((const char *)p, len, flags, &je);
  if (!j && !strict && json_error_code(&je) == json_error_numeric_overflow) {
    /* Valid JSON that jansson cannot hold as int64 (e.g. 18446744073709551615): it is
     * still JSON, so validation retries with integers read as reals. A real that
     * overflows a double fails again and stays an error (documented limitation). */
    json_error_t je2;
    j = json_loadb((const char *)p, len, flags | JSON_DECODE_INT_AS_REAL, &je2);
    if (!j && json_error_code(&je2) != json_error_numeric_overflow)
      je = je2;
  }
  if (!j)
    return parse_error(&je, strict, err);
  if (!depth_ok(j, TROUPE_CODEC_MAX_DEPTH)) {
    json_decref(j);
    return troupe_err_set(err, TROUPE_E_TOO_DEEP, "json: nesting deeper than %d containers",
                          TROUPE_CODEC_MAX_DEPTH);
  }
  if (out)
    *out = j;
  else
    json_decref(j);
  return TROUPE_OK;
}
