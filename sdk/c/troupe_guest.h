/*
 * troupe_guest.h: the C guest SDK of Troupe components, header-only.
 *
 * A component is a wasm32 module that imports the `troupe` module and exports
 * `handle-message`, invocable functions, `_health` and `_cleanup` (docs/ABI.md, version 1,
 * is the contract; this header follows it name for name and type for type). Build one
 * with Debian's clang, lld and wasi-libc as a WASI reactor:
 *
 *     clang --target=wasm32-wasi -mexec-model=reactor -O2 -I sdk/c x.c -o x.wasm
 *
 * Three layers, each usable without the next:
 *   1. constants: the ABI version, message kinds, DOWN exit kinds, health answers, log
 *      levels, clocks, multicodec codes, and the error codes with troupe_error_name();
 *   2. payload encoders and decoders (pure C, no import): the JSON prefix + text, small
 *      CBOR values, a JSON/CBOR integer or string out of a payload;
 *   3. (wasm only) every `troupe` import declared with its exact type, as troupe_abi_NAME,
 *      the convenience wrappers over them (troupe_input, troupe_send, troupe_ask_json,
 *      troupe_logf, ...) and macros declaring the exports (TROUPE_EXPORT,
 *      TROUPE_HANDLE_MESSAGE, TROUPE_HEALTH, TROUPE_CLEANUP, TROUPE_INIT).
 * Compiled for anything but __wasm__ (or with TROUPE_GUEST_CONSTANTS_ONLY defined), only
 * layers 1 and 2 exist: the host's tests include this header to check that the guest's
 * values are the host's (tests/component/sdk/test_sdk_constants.c).
 *
 * Names differ from the host's (TROUPE_ERR_* here, TROUPE_E_* in include/troupe/error.h;
 * troupe_guest_* types), so that host code can include both.
 *
 * Conventions. Every call returning an integer returns a non-negative value on success
 * or a negative troupe_guest_error (TROUPE_ERR_*). Pointers handed to the host are read (or written) during the call
 * only: the host keeps no pointer into guest memory. Payloads that cross to another party
 * (send, ask, reply, publish, invocation results) must start with a multicodec prefix
 * and be valid for it (the _json helpers add the JSON prefix; your text must be JSON).
 * Nothing here is thread-safe or needs to be: an instance runs one call at a time.
 */
#ifndef TROUPE_GUEST_H
#define TROUPE_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* =====================================================================================
 * 1. Constants
 * ===================================================================================== */

#define TROUPE_ABI_VERSION 1

/* The `kind` argument of handle-message (docs/ABI.md, "Message kinds"). */
typedef enum troupe_guest_kind {
  TROUPE_KIND_MESSAGE = 0,     /* a send: from, tag; payload = the message */
  TROUPE_KIND_ASK = 1,         /* answer with troupe_reply(corr, ...), now or later */
  TROUPE_KIND_REPLY = 2,       /* the answer to troupe_abi_ask_async(corr) */
  TROUPE_KIND_ASK_FAILED = 3,  /* that ask failed: tag is the error code, no payload */
  TROUPE_KIND_DOWN = 4,        /* a monitored component ended: tag = TROUPE_DOWN_* */
  TROUPE_KIND_TIMER = 5,       /* a troupe_send_after fired: tag, corr = timer id */
  TROUPE_KIND_PUBLICATION = 6, /* a publication; its subject with troupe_subject() */
} troupe_guest_kind;

/* The tag of a DOWN message: how the monitored incarnation ended. */
typedef enum troupe_guest_down {
  TROUPE_DOWN_NORMAL = 0,
  TROUPE_DOWN_SHUTDOWN = 1,
  TROUPE_DOWN_KILLED = 2,
  TROUPE_DOWN_CRASH = 3,
  TROUPE_DOWN_NOPROC = 4,
} troupe_guest_down;

/* What handle-message returns (a negative troupe_guest_error makes the component crash
 * with that code). */
#define TROUPE_CONTINUE 0
#define TROUPE_STOP 1

/* What _health returns. */
typedef enum troupe_guest_health {
  TROUPE_HEALTHY = 0,
  TROUPE_DEGRADED = 1,
  TROUPE_UNHEALTHY = 2,
} troupe_guest_health;

/* Levels of troupe.log. */
typedef enum troupe_guest_level {
  TROUPE_LEVEL_DEBUG = 0,
  TROUPE_LEVEL_INFO = 1,
  TROUPE_LEVEL_WARN = 2,
  TROUPE_LEVEL_ERROR = 3,
} troupe_guest_level;

/* Clocks of troupe.time. */
typedef enum troupe_guest_clock {
  TROUPE_CLOCK_WALL = 0,      /* nanoseconds since the Unix epoch */
  TROUPE_CLOCK_MONOTONIC = 1, /* nanoseconds from an arbitrary start */
} troupe_guest_clock;

/* Multicodec codes of the payload prefix (an unsigned LEB128 varint in front). */
#define TROUPE_MC_CBOR 0x51
#define TROUPE_MC_JSON 0x0200
#define TROUPE_MC_BORSH 0x0701
/* The same as bytes: what a payload starts with. */
#define TROUPE_PREFIX_CBOR "\x51"
#define TROUPE_PREFIX_JSON "\x80\x04"
#define TROUPE_PREFIX_BORSH "\x81\x0e"

/* The error codes a guest can see: exactly the table of docs/ABI.md, with the host's
 * values (include/troupe/error.h). X(NAME, value). */
#define TROUPE_GUEST_ERROR_LIST(X)                                                     \
  X(OK, 0)                                                                            \
  X(NOMEM, -1)                                                                        \
  X(INVAL, -2)                                                                        \
  X(RANGE, -3)                                                                        \
  X(IO, -4)                                                                           \
  X(NOTFOUND, -5)                                                                     \
  X(EXISTS, -6)                                                                       \
  X(STATE, -8)                                                                        \
  X(INTERNAL, -9)                                                                     \
  X(EMPTY, -20)                                                                       \
  X(VARINT_TRUNCATED, -21)                                                            \
  X(VARINT_OVERLONG, -22)                                                             \
  X(VARINT_TOOLONG, -23)                                                              \
  X(PREFIX_TRUNCATED, -24)                                                            \
  X(UNKNOWN_CODEC, -25)                                                               \
  X(MALFORMED_PAYLOAD, -26)                                                           \
  X(LOSSY, -27)                                                                       \
  X(TOO_DEEP, -28)                                                                    \
  X(MALFORMED, -40)                                                                   \
  X(INVALID, -41)                                                                     \
  X(UNLINKABLE, -42)                                                                  \
  X(UNINSTANTIABLE, -43)                                                              \
  X(TRAP, -44)                                                                        \
  X(EXIT, -46)                                                                        \
  X(NOT_RUNNING, -60)                                                                 \
  X(MAILBOX_FULL, -61)                                                                \
  X(TIMEOUT, -62)                                                                     \
  X(STOPPED, -63)                                                                     \
  X(NAME_TAKEN, -65)                                                                  \
  X(START_FAILED, -66)                                                                \
  X(DENIED, -80)                                                                      \
  X(NOT_READY, -83)                                                                   \
  X(TOO_LARGE, -84)

typedef enum troupe_guest_error {
#define TROUPE_GUEST_X_ENUM(name, value) TROUPE_ERR_##name = value,
  TROUPE_GUEST_ERROR_LIST(TROUPE_GUEST_X_ENUM)
#undef TROUPE_GUEST_X_ENUM
} troupe_guest_error;

/* "DENIED" for TROUPE_ERR_DENIED, "OK" for 0, "UNKNOWN" for a value not in the list.
 * The string is static. */
static inline const char *troupe_error_name(int code) {
  switch (code) {
#define TROUPE_GUEST_X_CASE(name, value)                                               \
  case value:                                                                          \
    return #name;
    TROUPE_GUEST_ERROR_LIST(TROUPE_GUEST_X_CASE)
#undef TROUPE_GUEST_X_CASE
  default:
    return "UNKNOWN";
  }
}

/* =====================================================================================
 * 2. Payload encoders and decoders (no import; also on the host)
 *
 * Encoders write into the caller's buffer and return the payload's length, prefix
 * included, or TROUPE_ERR_RANGE when cap is too small (the buffer's content is then
 * unspecified). Decoders read a payload as received (prefix included) and never
 * allocate; what they return points into it.
 * ===================================================================================== */

/* The JSON prefix (0x80 0x04) and len bytes of text. The text must be one JSON value
 * (the host parses it: MALFORMED_PAYLOAD otherwise). */
static inline int32_t troupe_json_n(void *buf, size_t cap, const char *text, size_t len) {
  if (cap < 2 || len > cap - 2 || len > INT32_MAX - 2)
    return TROUPE_ERR_RANGE;
  uint8_t *b = (uint8_t *)buf;
  b[0] = 0x80;
  b[1] = 0x04;
  if (len)
    memcpy(b + 2, text, len);
  return (int32_t)(len + 2);
}

/* The same for a NUL-terminated text: troupe_json(buf, sizeof buf, "{\"ok\":true}"). */
static inline int32_t troupe_json(void *buf, size_t cap, const char *text) {
  return troupe_json_n(buf, cap, text, strlen(text));
}

/* The JSON prefix and printf-formatted text (formatted in place, no allocation). */
static inline int32_t troupe_jsonf(void *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int32_t troupe_jsonf(void *buf, size_t cap, const char *fmt, ...) {
  if (cap < 3 || cap > INT32_MAX)
    return TROUPE_ERR_RANGE;
  uint8_t *b = (uint8_t *)buf;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf((char *)b + 2, cap - 2, fmt, ap); /* needs room for its NUL */
  va_end(ap);
  if (n < 0 || (size_t)n >= cap - 2)
    return TROUPE_ERR_RANGE;
  b[0] = 0x80;
  b[1] = 0x04;
  return n + 2;
}

/* A CBOR item head (major type, argument) at b, shortest form; returns its size or 0
 * when it does not fit in cap. */
static inline size_t troupe_cbor_head(uint8_t *b, size_t cap, unsigned major, uint64_t v) {
  size_t n = v < 24 ? 1 : v <= 0xff ? 2 : v <= 0xffff ? 3 : v <= 0xffffffffu ? 5 : 9;
  if (n > cap)
    return 0;
  uint8_t m = (uint8_t)(major << 5);
  if (n == 1) {
    b[0] = (uint8_t)(m | v);
    return 1;
  }
  b[0] = (uint8_t)(m | (n == 2 ? 24 : n == 3 ? 25 : n == 5 ? 26 : 27));
  for (size_t i = 1; i < n; i++) /* big-endian */
    b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
  return n;
}

/* The CBOR prefix (0x51) and an unsigned integer. */
static inline int32_t troupe_cbor_uint(void *buf, size_t cap, uint64_t v) {
  uint8_t *b = (uint8_t *)buf;
  if (cap < 1)
    return TROUPE_ERR_RANGE;
  b[0] = 0x51;
  size_t n = troupe_cbor_head(b + 1, cap - 1, 0, v);
  return n ? (int32_t)(n + 1) : TROUPE_ERR_RANGE;
}

/* The CBOR prefix and a signed integer (major type 1 below zero). */
static inline int32_t troupe_cbor_int(void *buf, size_t cap, int64_t v) {
  if (v >= 0)
    return troupe_cbor_uint(buf, cap, (uint64_t)v);
  uint8_t *b = (uint8_t *)buf;
  if (cap < 1)
    return TROUPE_ERR_RANGE;
  b[0] = 0x51;
  size_t n = troupe_cbor_head(b + 1, cap - 1, 1, (uint64_t)(-(v + 1)));
  return n ? (int32_t)(n + 1) : TROUPE_ERR_RANGE;
}

/* The CBOR prefix and a text string of len bytes (which must be UTF-8). */
static inline int32_t troupe_cbor_text(void *buf, size_t cap, const char *s, size_t len) {
  uint8_t *b = (uint8_t *)buf;
  if (cap < 1 || len > INT32_MAX - 10)
    return TROUPE_ERR_RANGE;
  b[0] = 0x51;
  size_t n = troupe_cbor_head(b + 1, cap - 1, 3, len);
  if (!n || len > cap - 1 - n)
    return TROUPE_ERR_RANGE;
  if (len)
    memcpy(b + 1 + n, s, len);
  return (int32_t)(1 + n + len);
}

/* The text of a JSON payload: *text points just after the prefix, *len is its length.
 * Returns 0, or TROUPE_ERR_UNKNOWN_CODEC when the payload is not JSON. */
static inline int32_t troupe_payload_json(const void *payload, size_t len, const char **text,
                                          size_t *text_len) {
  const uint8_t *p = (const uint8_t *)payload;
  if (len < 2 || p[0] != 0x80 || p[1] != 0x04)
    return TROUPE_ERR_UNKNOWN_CODEC;
  *text = (const char *)p + 2;
  *text_len = len - 2;
  return 0;
}

/* Reads a CBOR head at p[0..len): major type and argument; returns its size, 0 if
 * truncated or indefinite. */
static inline size_t troupe_cbor_read_head(const uint8_t *p, size_t len, unsigned *major,
                                           uint64_t *v) {
  if (len < 1)
    return 0;
  unsigned info = p[0] & 31u;
  size_t n = info < 24 ? 1 : info == 24 ? 2 : info == 25 ? 3 : info == 26 ? 5 : info == 27 ? 9 : 0;
  if (!n || n > len)
    return 0;
  *major = p[0] >> 5;
  *v = info < 24 ? info : 0;
  for (size_t i = 1; i < n; i++)
    *v = (*v << 8) | p[i];
  return n;
}

/* An integer out of a payload: a JSON integer (optional sign and spaces around it, no
 * fraction or exponent) or a CBOR integer. Returns 0 with *out, or TROUPE_ERR_INVAL
 * (not an integer, or out of int64 range), TROUPE_ERR_UNKNOWN_CODEC (neither codec). */
static inline int32_t troupe_payload_int(const void *payload, size_t len, int64_t *out) {
  const uint8_t *p = (const uint8_t *)payload;
  const char *t;
  size_t n;
  if (troupe_payload_json(payload, len, &t, &n) == 0) {
    size_t i = 0;
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
      i++;
    int neg = i < n && t[i] == '-';
    i += (size_t)neg;
    if (i == n || t[i] < '0' || t[i] > '9')
      return TROUPE_ERR_INVAL;
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n && t[i] >= '0' && t[i] <= '9'; i++) {
      unsigned d = (unsigned)(t[i] - '0');
      if (v > (lim - d) / 10)
        return TROUPE_ERR_INVAL;
      v = v * 10 + d;
    }
    while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
      i++;
    if (i != n)
      return TROUPE_ERR_INVAL;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
  }
  if (len >= 1 && p[0] == 0x51) {
    unsigned major;
    uint64_t v;
    size_t h = troupe_cbor_read_head(p + 1, len - 1, &major, &v);
    if (!h || h != len - 1 || major > 1 || v > (uint64_t)INT64_MAX)
      return TROUPE_ERR_INVAL;
    *out = major == 0 ? (int64_t)v : -1 - (int64_t)v;
    return 0;
  }
  return TROUPE_ERR_UNKNOWN_CODEC;
}

/* A string out of a payload: a JSON string without escapes ("echo") or a CBOR text
 * string. Copies it into out[0..cap) NUL-terminated and returns its length; or
 * TROUPE_ERR_INVAL (not such a string), TROUPE_ERR_RANGE (does not fit with its NUL),
 * TROUPE_ERR_UNKNOWN_CODEC. */
static inline int32_t troupe_payload_string(const void *payload, size_t len, char *out,
                                            size_t cap) {
  const uint8_t *p = (const uint8_t *)payload;
  const char *t, *s = NULL;
  size_t n, sn = 0;
  if (troupe_payload_json(payload, len, &t, &n) == 0) {
    while (n && (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r'))
      t++, n--;
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t' || t[n - 1] == '\n' || t[n - 1] == '\r'))
      n--;
    if (n < 2 || t[0] != '"' || t[n - 1] != '"' || memchr(t + 1, '\\', n - 2) ||
        memchr(t + 1, '"', n - 2))
      return TROUPE_ERR_INVAL;
    s = t + 1;
    sn = n - 2;
  } else if (len >= 1 && p[0] == 0x51) {
    unsigned major;
    uint64_t v;
    size_t h = troupe_cbor_read_head(p + 1, len - 1, &major, &v);
    if (!h || major != 3 || v != len - 1 - h)
      return TROUPE_ERR_INVAL;
    s = (const char *)p + 1 + h;
    sn = (size_t)v;
  } else {
    return TROUPE_ERR_UNKNOWN_CODEC;
  }
  if (sn >= cap || sn > INT32_MAX)
    return TROUPE_ERR_RANGE;
  memcpy(out, s, sn);
  out[sn] = '\0';
  return (int32_t)sn;
}

/* =====================================================================================
 * 3. Imports, wrappers and export macros (wasm32 only)
 * ===================================================================================== */
#if defined(__wasm__) && !defined(TROUPE_GUEST_CONSTANTS_ONLY)

#include <stdlib.h>

/* ---- The `troupe` imports, exactly as docs/ABI.md lists them --------------------------
 * Pointers are i32 offsets into this module's memory and lengths are i32; a range
 * outside memory traps. Each returns >= 0 or a negative troupe_guest_error. The host
 * copies what a pointer designates during the call and keeps nothing. */
#define TROUPE_IMPORT(name) __attribute__((import_module("troupe"), import_name(name)))

/* Copies up to cap bytes of the current input (message payload or invocation
 * arguments) from offset into ptr; returns the count, 0 at the end. The input is the
 * one of the call in progress: valid until handle-message / the export returns. */
TROUPE_IMPORT("input_read") int32_t troupe_abi_input_read(void *ptr, int32_t cap, int32_t offset);
/* The subject of the PUBLICATION being handled: copies up to cap bytes (no NUL),
 * returns the full length; TROUPE_ERR_NOTFOUND for any other input. */
TROUPE_IMPORT("input_subject") int32_t troupe_abi_input_subject(char *ptr, int32_t cap);
/* Sets the result of the current invocation, or the reason of _health; replaces an
 * earlier one. Copied: ptr may be reused at once. */
TROUPE_IMPORT("output") int32_t troupe_abi_output(const void *ptr, int32_t len);
/* This component's id (stable across restarts). */
TROUPE_IMPORT("self") int64_t troupe_abi_self(void);
/* The id of the component of that name, or TROUPE_ERR_NOTFOUND. */
TROUPE_IMPORT("lookup") int64_t troupe_abi_lookup(const char *name, int32_t name_len);
/* A MESSAGE to `to` (capabilities checked: DENIED); MAILBOX_FULL at once when full. */
TROUPE_IMPORT("send") int32_t troupe_abi_send(int64_t to, int32_t tag, const void *ptr,
                                              int32_t len);
/* The same, by name. */
TROUPE_IMPORT("send_name") int32_t troupe_abi_send_name(const char *name, int32_t name_len,
                                                        int32_t tag, const void *ptr, int32_t len);
/* Like send, but a full mailbox suspends the caller until there is room or TIMEOUT. */
TROUPE_IMPORT("send_wait") int32_t troupe_abi_send_wait(int64_t to, int32_t tag, const void *ptr,
                                                        int32_t len, int32_t timeout_ms);
/* An ASK: suspends this instance until the reply or the timeout; copies up to out_cap
 * bytes of the reply to out and returns its full length (more: troupe_abi_reply_read). */
TROUPE_IMPORT("ask") int32_t troupe_abi_ask(int64_t to, int32_t tag, const void *ptr, int32_t len,
                                            void *out, int32_t out_cap, int32_t timeout_ms);
/* The last ask's reply again, from offset: the count copied (0 at the end). */
TROUPE_IMPORT("reply_read") int32_t troupe_abi_reply_read(void *ptr, int32_t cap, int32_t offset);
/* An ASK without waiting: returns its corr; a REPLY or ASK_FAILED message follows. */
TROUPE_IMPORT("ask_async") int64_t troupe_abi_ask_async(int64_t to, int32_t tag, const void *ptr,
                                                        int32_t len, int32_t timeout_ms);
/* Answers the ASK of that corr (TIMEOUT when the asker stopped waiting). */
TROUPE_IMPORT("reply") int32_t troupe_abi_reply(int64_t corr, const void *ptr, int32_t len);
/* Publishes on the host's broker (the subject capability is checked: DENIED). */
TROUPE_IMPORT("publish") int32_t troupe_abi_publish(const char *subject, int32_t subject_len,
                                                    const void *ptr, int32_t len);
/* A subscription id; publications arrive as PUBLICATION until this incarnation ends. */
TROUPE_IMPORT("subscribe") int64_t troupe_abi_subscribe(const char *pattern, int32_t pattern_len);
TROUPE_IMPORT("unsubscribe") int32_t troupe_abi_unsubscribe(int64_t sub);
/* A TIMER message to self after delay_ms; returns the timer id. */
TROUPE_IMPORT("send_after") int64_t troupe_abi_send_after(int64_t delay_ms, int32_t tag,
                                                          const void *ptr, int32_t len);
/* 1 cancelled, 0 already fired or unknown. */
TROUPE_IMPORT("cancel_timer") int32_t troupe_abi_cancel_timer(int64_t timer);
/* A monitor ref; a DOWN message arrives when the target's current incarnation ends. */
TROUPE_IMPORT("monitor") int64_t troupe_abi_monitor(int64_t target);
TROUPE_IMPORT("demonitor") int32_t troupe_abi_demonitor(int64_t ref);
/* Starts a component from a store reference; suspends until it is Ready; its id. */
TROUPE_IMPORT("spawn") int64_t troupe_abi_spawn(const char *name, int32_t name_len,
                                                const char *module, int32_t module_len);
/* A log line tagged with this component, at a troupe_guest_level. */
TROUPE_IMPORT("log") int32_t troupe_abi_log(int32_t level, const char *ptr, int32_t len);
/* Nanoseconds of a troupe_guest_clock. */
TROUPE_IMPORT("time") int64_t troupe_abi_time(int32_t clock);

/* ---- Export macros -------------------------------------------------------------------
 * Each declares a prototype first (so -Wmissing-prototypes stays quiet) and gives the
 * definition that follows the macro its export name:
 *
 *     TROUPE_EXPORT(get) { ... return 0; }              // invocable "get"
 *     TROUPE_HANDLE_MESSAGE(on_message) { ... }         // "handle-message"
 */

/* The parameters the macros name may go unused without a warning (-Wextra). */
#define TROUPE__MAYBE_UNUSED __attribute__((unused))

/* An invocable export NAME ([i32 args_len] -> [i32 status]): read the arguments with
 * troupe_input*, set the result with troupe_output*, return 0 or a negative error
 * (returned to the caller, with the output as its message). The name must not start
 * with '_'. */
#define TROUPE_EXPORT(name)                                                            \
  int32_t name(int32_t args_len) __attribute__((export_name(#name)));                  \
  int32_t name(int32_t args_len TROUPE__MAYBE_UNUSED)
/* The same with an export name that is not a C identifier: TROUPE_EXPORT_AS("get-all", f). */
#define TROUPE_EXPORT_AS(export, fn)                                                   \
  int32_t fn(int32_t args_len) __attribute__((export_name(export)));                   \
  int32_t fn(int32_t args_len TROUPE__MAYBE_UNUSED)
/* handle-message: called for every message; the arguments are named kind, from, tag,
 * corr and len (the payload's length, read with troupe_input*). Return TROUPE_CONTINUE,
 * TROUPE_STOP (a normal stop) or a negative error (a crash with that code). */
#define TROUPE_HANDLE_MESSAGE(fn)                                                      \
  int32_t fn(int32_t kind, int64_t from, int32_t tag, int64_t corr, int32_t len)       \
      __attribute__((export_name("handle-message")));                                  \
  int32_t fn(int32_t kind TROUPE__MAYBE_UNUSED, int64_t from TROUPE__MAYBE_UNUSED,     \
             int32_t tag TROUPE__MAYBE_UNUSED, int64_t corr TROUPE__MAYBE_UNUSED,      \
             int32_t len TROUPE__MAYBE_UNUSED)
/* _health: return TROUPE_HEALTHY, TROUPE_DEGRADED or TROUPE_UNHEALTHY; a reason may be
 * set with troupe_output*. */
#define TROUPE_HEALTH(fn)                                                              \
  int32_t fn(void) __attribute__((export_name("_health")));                            \
  int32_t fn(void)
/* _cleanup: once at an orderly stop, within the cleanup timeout (not after a crash). */
#define TROUPE_CLEANUP(fn)                                                             \
  void fn(void) __attribute__((export_name("_cleanup")));                              \
  void fn(void)
/* The state hand-over pair of a hot upgrade (docs/ABI.md): _state_save writes the state
 * with troupe_output and returns TROUPE_OK; _state_load reads it (len bytes) with
 * troupe_input* and returns TROUPE_OK to take it (anything else keeps the old module). */
#define TROUPE_STATE_SAVE(fn)                                                          \
  int32_t fn(int32_t zero) __attribute__((export_name("_state_save")));               \
  int32_t fn(int32_t zero TROUPE__MAYBE_UNUSED)
#define TROUPE_STATE_LOAD(fn)                                                          \
  int32_t fn(int32_t len) __attribute__((export_name("_state_load")));                \
  int32_t fn(int32_t len TROUPE__MAYBE_UNUSED)
/* Code to run at the start of every incarnation, before any message: a constructor,
 * which the reactor's _initialize (from wasi-libc's crt1-reactor.o) runs. Subscribe
 * here: subscriptions end with the incarnation. */
#define TROUPE_INIT(fn)                                                                \
  static void fn(void) __attribute__((constructor));                                   \
  static void fn(void)

/* ---- Wrappers ------------------------------------------------------------------------ */

/* Size of the stack buffers of the _json and logf helpers; longer texts are copied to
 * a malloc'd buffer instead (troupe_logf truncates). */
#ifndef TROUPE_GUEST_STACK_BYTES
#define TROUPE_GUEST_STACK_BYTES 512
#endif

static inline int32_t troupe__len(size_t n) {
  return n > INT32_MAX ? TROUPE_ERR_TOO_LARGE : (int32_t)n;
}

/* Up to cap bytes of the current input from offset: the count, 0 at the end. Reading
 * in pieces this way takes input of any size without allocating. */
static inline int32_t troupe_input_at(void *buf, size_t cap, size_t offset) {
  if (cap > INT32_MAX || offset > INT32_MAX)
    return TROUPE_ERR_RANGE;
  return troupe_abi_input_read(buf, (int32_t)cap, (int32_t)offset);
}

/* The whole current input into buf: its length; or TROUPE_ERR_TOO_LARGE when it is
 * longer than cap (buf then holds its first cap bytes). The host copies all it has up
 * to the room given (docs/ABI.md), so a short count is the end: an input that fits
 * takes one host call, not a second one to find the end. */
static inline int32_t troupe_input(void *buf, size_t cap) {
  size_t got = 0;
  while (got < cap) {
    int32_t n = troupe_input_at((uint8_t *)buf + got, cap - got, got);
    if (n < 0)
      return n;
    got += (size_t)n;
    if ((size_t)n < cap - (got - (size_t)n))
      return (int32_t)got;
  }
  uint8_t probe; /* buf is full: is there more? */
  int32_t more = troupe_input_at(&probe, 1, got);
  return more < 0 ? more : more > 0 ? TROUPE_ERR_TOO_LARGE : (int32_t)got;
}

/* The whole current input, of len bytes (handle-message's len, an export's args_len),
 * in a malloc'd buffer with a NUL after it (handy for text); the caller frees it. NULL
 * when out of memory. */
static inline uint8_t *troupe_input_alloc(int32_t len) {
  if (len < 0)
    return NULL;
  uint8_t *b = (uint8_t *)malloc((size_t)len + 1);
  if (!b)
    return NULL;
  int32_t n = troupe_input(b, (size_t)len);
  if (n < 0) {
    free(b);
    return NULL;
  }
  b[n] = 0;
  return b;
}

/* The subject of the PUBLICATION being handled, NUL-terminated in buf (truncated to
 * cap - 1 bytes); returns its full length, or TROUPE_ERR_NOTFOUND for other inputs. */
static inline int32_t troupe_subject(char *buf, size_t cap) {
  if (cap == 0 || cap > INT32_MAX)
    return TROUPE_ERR_RANGE;
  int32_t n = troupe_abi_input_subject(buf, (int32_t)(cap - 1));
  if (n >= 0)
    buf[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = '\0';
  return n;
}

/* Sets the invocation result (or the _health reason): len bytes, multicodec-prefixed
 * unless empty. */
static inline int32_t troupe_output(const void *data, size_t len) {
  int32_t n = troupe__len(len);
  return n < 0 ? n : troupe_abi_output(data, n);
}

/* JSON text with its prefix built on the stack (or in a malloc'd buffer when longer
 * than TROUPE_GUEST_STACK_BYTES); *heap receives that buffer, to free. */
static inline int32_t troupe__json_payload(const char *json, uint8_t *stack, uint8_t **out,
                                           uint8_t **heap) {
  size_t n = strlen(json);
  *heap = NULL;
  *out = stack;
  if (n + 2 > TROUPE_GUEST_STACK_BYTES) {
    if (n > INT32_MAX - 2 || !(*heap = (uint8_t *)malloc(n + 2)))
      return n > INT32_MAX - 2 ? TROUPE_ERR_TOO_LARGE : TROUPE_ERR_NOMEM;
    *out = *heap;
  }
  return troupe_json_n(*out, n + 2, json, n);
}

/* The invocation result as JSON text (prefix added). */
static inline int32_t troupe_output_json(const char *json) {
  uint8_t stack[TROUPE_GUEST_STACK_BYTES], *p, *heap;
  int32_t n = troupe__json_payload(json, stack, &p, &heap);
  if (n >= 0)
    n = troupe_abi_output(p, n);
  free(heap);
  return n;
}

/* This component's id. */
static inline int64_t troupe_self(void) { return troupe_abi_self(); }

/* The id of the component named name, or TROUPE_ERR_NOTFOUND. */
static inline int64_t troupe_lookup(const char *name) {
  int32_t n = troupe__len(strlen(name));
  return n < 0 ? n : troupe_abi_lookup(name, n);
}

/* A MESSAGE of len bytes (prefixed) to the component `to`. */
static inline int32_t troupe_send(int64_t to, int32_t tag, const void *data, size_t len) {
  int32_t n = troupe__len(len);
  return n < 0 ? n : troupe_abi_send(to, tag, data, n);
}

/* A MESSAGE to the component named name. */
static inline int32_t troupe_send_name(const char *name, int32_t tag, const void *data,
                                       size_t len) {
  int32_t nn = troupe__len(strlen(name)), n = troupe__len(len);
  return nn < 0 ? nn : n < 0 ? n : troupe_abi_send_name(name, nn, tag, data, n);
}

/* A MESSAGE of JSON text (prefix added) to `to`. */
static inline int32_t troupe_send_json(int64_t to, int32_t tag, const char *json) {
  uint8_t stack[TROUPE_GUEST_STACK_BYTES], *p, *heap;
  int32_t n = troupe__json_payload(json, stack, &p, &heap);
  if (n >= 0)
    n = troupe_abi_send(to, tag, p, n);
  free(heap);
  return n;
}

/* Asks `to` and waits (suspending this instance, not a thread) at most timeout_ms: up
 * to cap bytes of the reply in out; returns the reply's full length (> cap: read the
 * rest with troupe_reply_read), or an error (TIMEOUT, NOT_RUNNING, DENIED, ...). */
static inline int32_t troupe_ask(int64_t to, int32_t tag, const void *data, size_t len,
                                 void *out, size_t cap, int32_t timeout_ms) {
  int32_t n = troupe__len(len), c = troupe__len(cap);
  if (n < 0 || c < 0)
    return n < 0 ? n : c;
  return troupe_abi_ask(to, tag, data, n, out, c, timeout_ms);
}

/* troupe_ask with a JSON question (prefix added). */
static inline int32_t troupe_ask_json(int64_t to, int32_t tag, const char *json, void *out,
                                      size_t cap, int32_t timeout_ms) {
  uint8_t stack[TROUPE_GUEST_STACK_BYTES], *p, *heap;
  int32_t n = troupe__json_payload(json, stack, &p, &heap);
  if (n >= 0)
    n = troupe_ask(to, tag, p, (size_t)n, out, cap, timeout_ms);
  free(heap);
  return n;
}

/* Up to cap bytes of the last ask's reply from offset: the count, 0 at the end. */
static inline int32_t troupe_reply_read(void *buf, size_t cap, size_t offset) {
  if (cap > INT32_MAX || offset > INT32_MAX)
    return TROUPE_ERR_RANGE;
  return troupe_abi_reply_read(buf, (int32_t)cap, (int32_t)offset);
}

/* Answers the ASK of corr with len bytes (prefixed, or empty). */
static inline int32_t troupe_reply(int64_t corr, const void *data, size_t len) {
  int32_t n = troupe__len(len);
  return n < 0 ? n : troupe_abi_reply(corr, data, n);
}

/* Answers the ASK of corr with JSON text (prefix added). */
static inline int32_t troupe_reply_json(int64_t corr, const char *json) {
  uint8_t stack[TROUPE_GUEST_STACK_BYTES], *p, *heap;
  int32_t n = troupe__json_payload(json, stack, &p, &heap);
  if (n >= 0)
    n = troupe_abi_reply(corr, p, n);
  free(heap);
  return n;
}

/* Publishes len bytes (prefixed) on subject. */
static inline int32_t troupe_publish(const char *subject, const void *data, size_t len) {
  int32_t sn = troupe__len(strlen(subject)), n = troupe__len(len);
  return sn < 0 ? sn : n < 0 ? n : troupe_abi_publish(subject, sn, data, n);
}

/* Publishes JSON text (prefix added) on subject. */
static inline int32_t troupe_publish_json(const char *subject, const char *json) {
  uint8_t stack[TROUPE_GUEST_STACK_BYTES], *p, *heap;
  int32_t n = troupe__json_payload(json, stack, &p, &heap);
  if (n >= 0)
    n = troupe_publish(subject, p, (size_t)n);
  free(heap);
  return n;
}

/* Subscribes with a subject pattern ("news.>"): the subscription id. */
static inline int64_t troupe_subscribe(const char *pattern) {
  int32_t n = troupe__len(strlen(pattern));
  return n < 0 ? n : troupe_abi_subscribe(pattern, n);
}

/* A TIMER message to self after delay_ms carrying len bytes: the timer id. */
static inline int64_t troupe_send_after(int64_t delay_ms, int32_t tag, const void *data,
                                        size_t len) {
  int32_t n = troupe__len(len);
  return n < 0 ? n : troupe_abi_send_after(delay_ms, tag, data, n);
}

/* Nanoseconds of a troupe_guest_clock. */
static inline int64_t troupe_time_ns(int32_t clock) { return troupe_abi_time(clock); }

/* A log line (len bytes of text) at a troupe_guest_level. */
static inline int32_t troupe_log_n(int32_t level, const char *text, size_t len) {
  int32_t n = troupe__len(len);
  return n < 0 ? n : troupe_abi_log(level, text, n);
}

/* A log line of a NUL-terminated text. */
static inline int32_t troupe_log(int32_t level, const char *text) {
  return troupe_log_n(level, text, strlen(text));
}

/* A printf-formatted log line, formatted in a stack buffer of TROUPE_GUEST_STACK_BYTES
 * (longer lines are truncated). */
static inline int32_t troupe_logf(int32_t level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int32_t troupe_logf(int32_t level, const char *fmt, ...) {
  char line[TROUPE_GUEST_STACK_BYTES];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  if (n < 0)
    return TROUPE_ERR_INVAL;
  return troupe_log_n(level, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

#endif /* __wasm__ && !TROUPE_GUEST_CONSTANTS_ONLY */

#ifdef __cplusplus
}
#endif
#endif /* TROUPE_GUEST_H */
