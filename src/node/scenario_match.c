/*
 * node/scenario_match.c: how a reply, a result or an event's fields are compared with
 * what a scenario expects. Exact: the same JSON value. Subset: an expected object
 * matches when each of its keys is present and matches recursively (extra keys are
 * fine); arrays match element by element and must have the same length; scalars must
 * be equal. Numbers compare by value (1 equals 1.0), since a YAML author cannot choose
 * between them. A mismatch names the path of the first difference, for the TAP
 * diagnostic.
 */
#include "node/scenario.h"

#include <stdio.h>
#include <string.h>

static const char *type_name(const json_t *j) {
  switch (json_typeof(j)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER:
  case JSON_REAL: return "a number";
  case JSON_TRUE:
  case JSON_FALSE: return "a boolean";
  case JSON_NULL: return "null";
  }
  return "?";
}

static void say(char *where, size_t cap, const char *path, const char *fmt, const char *a) {
  if (!cap)
    return;
  int n = snprintf(where, cap, "at %s: ", path);
  if (n >= 0 && (size_t)n < cap)
    snprintf(where + n, cap - (size_t)n, fmt, a);
}

/* path[cap] is the path so far (the caller's buffer, extended and restored). */
static bool match(const json_t *want, const json_t *got, bool subset, char *path, size_t pcap,
                  char *where, size_t cap) {
  if (json_is_number(want) && json_is_number(got)) {
    if (json_is_integer(want) && json_is_integer(got)
            ? json_integer_value(want) == json_integer_value(got)
            : json_number_value(want) == json_number_value(got))
      return true;
    say(where, cap, path, "%s differs", "the number");
    return false;
  }
  if (json_typeof(want) != json_typeof(got) &&
      !(json_is_boolean(want) && json_is_boolean(got))) {
    char what[64];
    snprintf(what, sizeof what, "expected %s, got %s", type_name(want), type_name(got));
    say(where, cap, path, "%s", what);
    return false;
  }
  size_t plen = strlen(path);
  switch (json_typeof(want)) {
  case JSON_OBJECT: {
    const char *key;
    json_t *w;
    json_object_foreach((json_t *)want, key, w) {
      json_t *g = json_object_get(got, key);
      snprintf(path + plen, pcap - plen, ".%s", key);
      if (!g) {
        say(where, cap, path, "%s", "missing");
        path[plen] = '\0';
        return false;
      }
      bool ok = match(w, g, subset, path, pcap, where, cap);
      path[plen] = '\0';
      if (!ok)
        return false;
    }
    if (!subset && json_object_size(got) != json_object_size(want)) {
      json_object_foreach((json_t *)got, key, w) {
        if (!json_object_get(want, key)) {
          snprintf(path + plen, pcap - plen, ".%s", key);
          say(where, cap, path, "%s", "not expected");
          path[plen] = '\0';
          return false;
        }
      }
    }
    return true;
  }
  case JSON_ARRAY: {
    if (json_array_size(want) != json_array_size(got)) {
      char what[80];
      snprintf(what, sizeof what, "expected %zu elements, got %zu", json_array_size(want),
               json_array_size(got));
      say(where, cap, path, "%s", what);
      return false;
    }
    for (size_t i = 0; i < json_array_size(want); i++) {
      snprintf(path + plen, pcap - plen, "[%zu]", i);
      bool ok = match(json_array_get(want, i), json_array_get(got, i), subset, path, pcap,
                      where, cap);
      path[plen] = '\0';
      if (!ok)
        return false;
    }
    return true;
  }
  case JSON_STRING:
    if (json_string_length(want) == json_string_length(got) &&
        !memcmp(json_string_value(want), json_string_value(got), json_string_length(want)))
      return true;
    say(where, cap, path, "%s differs", "the string");
    return false;
  default: /* true, false, null */
    if (json_typeof(want) == json_typeof(got))
      return true;
    say(where, cap, path, "%s differs", "the value");
    return false;
  }
}

bool trN_json_match(const json_t *want, const json_t *got, bool subset, char *where,
                    size_t cap) {
  char path[512] = "$";
  if (cap)
    where[0] = '\0';
  if (!want || !got) {
    if (want == got)
      return true;
    say(where, cap, path, "%s", want ? "no value" : "a value where none was expected");
    return false;
  }
  return match(want, got, subset, path, sizeof path, where, cap);
}
