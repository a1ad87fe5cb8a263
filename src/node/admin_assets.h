/*
 * node/admin_assets.h: the files the admin listener serves from itself -- the observer
 * page (src/node/observer/), embedded at build time by cmake/EmbedFiles.cmake into
 * trN_observer_assets (a generated C file in the build tree). No file is read at run
 * time, and the page loads nothing from anywhere else.
 */
#ifndef TROUPE_NODE_ADMIN_ASSETS_H
#define TROUPE_NODE_ADMIN_ASSETS_H

#include <stddef.h>

typedef struct trN_asset {
  const char *path; /* as requested: "/observer.js" */
  const char *type; /* its Content-Type */
  const unsigned char *data;
  size_t len;
} trN_asset;

extern const trN_asset trN_observer_assets[];
extern const size_t trN_observer_assets_count;

#endif
