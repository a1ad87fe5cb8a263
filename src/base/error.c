/*
 * base/error.c: names and descriptions of status codes (from the one X-macro list in
 * troupe/error.h) and the troupe_err setters.
 */
#include "base/base.h"

#include <stdio.h>
#include <string.h>

const char *troupe_err_name(int code) {
  switch (code) {
#define TROUPE_X_NAME(name, value, desc)                                                    \
  case value:                                                                              \
    return "TROUPE_E_" #name;
    TROUPE_ERROR_LIST(TROUPE_X_NAME)
#undef TROUPE_X_NAME
  default:
    return "TROUPE_E_UNKNOWN";
  }
}

const char *troupe_strerror(int code) {
  switch (code) {
#define TROUPE_X_DESC(name, value, desc)                                                    \
  case value:                                                                              \
    return desc;
    TROUPE_ERROR_LIST(TROUPE_X_DESC)
#undef TROUPE_X_DESC
  default:
    return "unknown error";
  }
}

int troupe_err_setv(troupe_err *err, int code, const char *fmt, va_list ap) {
  if (err) {
    err->code = code;
    if (fmt && fmt[0] == '%' && fmt[1] == 's' && !fmt[2]) {
      /* The common "%s" (a message made elsewhere, maybe err->msg itself) without
       * vsnprintf, on the paths a crash takes. memmove: it may overlap. */
      const char *s = va_arg(ap, const char *);
      if (!s)
        s = "(null)"; /* as glibc's printf */
      size_t n = strnlen(s, sizeof err->msg - 1);
      if (n)
        memmove(err->msg, s, n);
      err->msg[n] = '\0';
    } else if (fmt) {
      /* Through a copy: callers may wrap the error's own message ("x failed: %s",
       * err->msg), and vsnprintf's source and destination must not overlap. */
      char tmp[sizeof err->msg];
      vsnprintf(tmp, sizeof tmp, fmt, ap);
      memcpy(err->msg, tmp, sizeof tmp);
    } else
      snprintf(err->msg, sizeof err->msg, "%s", troupe_strerror(code));
  }
  return code;
}

int troupe_err_set(troupe_err *err, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  troupe_err_setv(err, code, fmt, ap);
  va_end(ap);
  return code;
}

void troupe_err_clear(troupe_err *err) {
  if (err) {
    err->code = TROUPE_OK;
    err->msg[0] = '\0';
  }
}

const char *troupe_err_message(const troupe_err *err) {
  if (!err)
    return "";
  return err->msg[0] ? err->msg : troupe_strerror(err->code);
}

const char *troupe_version(void) { return TROUPE_VERSION_STRING; }
