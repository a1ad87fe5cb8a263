/*
 * troupe/common.h: what every public header needs: the export macro and version.
 * Public symbols carry TROUPE_API; everything else in libtroupe is hidden.
 */
#ifndef TROUPE_COMMON_H
#define TROUPE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define TROUPE_API __attribute__((visibility("default")))
#define TROUPE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TROUPE_API
#define TROUPE_PRINTF(f, a)
#endif

#define TROUPE_VERSION_MAJOR 0
#define TROUPE_VERSION_MINOR 1
#define TROUPE_VERSION_PATCH 0
#define TROUPE_VERSION_STRING "0.1.0"

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version string, e.g. "0.1.0" (may differ from the header's at run time). */
TROUPE_API const char *troupe_version(void);

#ifdef __cplusplus
}
#endif
#endif
