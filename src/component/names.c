/*
 * component/names.c: what a component name may be. Names are what capabilities are
 * written against (send_to "shop.*", accept_from ">"), with the broker's NATS subject
 * matching, so a name must be a subject without wildcards; the stricter token alphabet
 * keeps names printable in logs, the CLI and the registry without quoting.
 */
#include "component/comp.h"

static bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

int trP_name_check(const char *name, troupe_err *err) {
  if (!name || !*name)
    return troupe_err_set(err, TROUPE_E_INVAL, "component name is empty");
  size_t n = strlen(name);
  if (n > TRP_NAME_MAX)
    return troupe_err_set(err, TROUPE_E_INVAL, "component name is %zu bytes (at most %d)", n,
                          TRP_NAME_MAX);
  size_t token = 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (c == '.') {
      if (token == 0)
        return troupe_err_set(err, TROUPE_E_INVAL,
                              "component name '%s': empty token at byte %zu", name, i);
      token = 0;
      continue;
    }
    if (!name_char(c))
      return troupe_err_set(err, TROUPE_E_INVAL,
                            "component name '%s': byte %zu is not a letter, digit, '_', '-' "
                            "or '.'",
                            name, i);
    token++;
  }
  if (token == 0)
    return troupe_err_set(err, TROUPE_E_INVAL, "component name '%s' ends with '.'", name);
  return TROUPE_OK;
}
