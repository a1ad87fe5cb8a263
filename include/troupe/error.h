/*
 * troupe/error.h: the one error convention of the whole project.
 *
 * Every fallible public call returns an int status: 0 (TROUPE_OK) or a negative code
 * from the list below. Calls that can say more also take an optional `troupe_err *`
 * (NULL is allowed) which receives the code and a human-readable message with context
 * ("codec: varint at byte 3 is overlong"). The codes come from one X-macro list, so
 * the enum, troupe_err_name() and troupe_strerror() can never drift apart.
 */
#ifndef TROUPE_ERROR_H
#define TROUPE_ERROR_H

#include "troupe/common.h"
#include <stdarg.h>

/* X(NAME, value, description). Values are stable: add new ones at the end of a group. */
#define TROUPE_ERROR_LIST(X)                                                        \
  /* general */                                                                     \
  X(OK, 0, "success")                                                               \
  X(NOMEM, -1, "out of memory")                                                     \
  X(INVAL, -2, "invalid argument")                                                  \
  X(RANGE, -3, "value out of range")                                                \
  X(IO, -4, "input/output error")                                                   \
  X(NOTFOUND, -5, "not found")                                                      \
  X(EXISTS, -6, "already exists")                                                   \
  X(UNSUPPORTED, -7, "not supported")                                               \
  X(STATE, -8, "operation not valid in the current state")                          \
  X(INTERNAL, -9, "internal error")                                                 \
  /* codec */                                                                       \
  X(EMPTY, -20, "empty input")                                                      \
  X(VARINT_TRUNCATED, -21, "truncated varint")                                      \
  X(VARINT_OVERLONG, -22, "overlong (non-minimal) varint")                          \
  X(VARINT_TOOLONG, -23, "varint longer than 9 bytes or above 2^63-1")              \
  X(PREFIX_TRUNCATED, -24, "truncated multicodec prefix")                           \
  X(UNKNOWN_CODEC, -25, "unsupported codec")                                        \
  X(MALFORMED_PAYLOAD, -26, "payload does not match its codec")                     \
  X(LOSSY, -27, "conversion would lose information")                                \
  X(TOO_DEEP, -28, "nesting too deep")                                              \
  /* engine */                                                                      \
  X(MALFORMED, -40, "malformed module")                                             \
  X(INVALID, -41, "invalid module")                                                 \
  X(UNLINKABLE, -42, "unlinkable module")                                           \
  X(UNINSTANTIABLE, -43, "instantiation failed")                                    \
  X(TRAP, -44, "trap")                                                              \
  X(SUSPENDED, -45, "execution suspended")                                          \
  X(EXIT, -46, "program exited")                                                    \
  /* actor runtime */                                                               \
  X(NOT_RUNNING, -60, "actor not running")                                          \
  X(MAILBOX_FULL, -61, "mailbox full")                                              \
  X(TIMEOUT, -62, "timed out")                                                      \
  X(STOPPED, -63, "runtime stopped")                                                \
  X(CRASHED, -64, "actor crashed")                                                  \
  X(NAME_TAKEN, -65, "name already registered")                                     \
  X(START_FAILED, -66, "child failed to start")                                     \
  /* components and node */                                                         \
  X(DENIED, -80, "capability denied")                                               \
  X(MANIFEST, -81, "invalid manifest")                                              \
  X(SIGNATURE, -82, "bad signature")                                               \
  X(NOT_READY, -83, "component not ready")                                          \
  X(TOO_LARGE, -84, "message too large")

typedef enum troupe_status {
#define TROUPE_X_ENUM(name, value, desc) TROUPE_E_##name = value,
  TROUPE_ERROR_LIST(TROUPE_X_ENUM)
#undef TROUPE_X_ENUM
} troupe_status;

#define TROUPE_OK TROUPE_E_OK
#define TROUPE_ERR_MSG_MAX 256

/* An error value: the code and a message. Embedded by the caller (no allocation). */
typedef struct troupe_err {
  int code;
  char msg[TROUPE_ERR_MSG_MAX];
} troupe_err;

#ifdef __cplusplus
extern "C" {
#endif

/* "TROUPE_E_MAILBOX_FULL" for a code; "TROUPE_E_UNKNOWN" for a value not in the list. */
TROUPE_API const char *troupe_err_name(int code);
/* A short description of a code ("mailbox full"). */
TROUPE_API const char *troupe_strerror(int code);

/* Set *err (if err is non-NULL) to code and a formatted message; returns code, so
 * that `return troupe_err_set(err, TROUPE_E_INVAL, "...")` is the idiom. */
TROUPE_API int troupe_err_set(troupe_err *err, int code, const char *fmt, ...)
    TROUPE_PRINTF(3, 4);
TROUPE_API int troupe_err_setv(troupe_err *err, int code, const char *fmt, va_list ap);
/* Reset to TROUPE_OK with an empty message. */
TROUPE_API void troupe_err_clear(troupe_err *err);
/* The message, or the code's description when no message was set. */
TROUPE_API const char *troupe_err_message(const troupe_err *err);

#ifdef __cplusplus
}
#endif
#endif
