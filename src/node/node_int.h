/*
 * node/node_int.h: what the node's files share (prefix trN_). The node layer uses only
 * the public headers of the layers below.
 */
#ifndef TROUPE_SRC_NODE_INT_H
#define TROUPE_SRC_NODE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "troupe/error.h"
#include "troupe/node.h"

/* A whole file into a malloc'd buffer (regular files up to 1 GiB): IO, TOO_LARGE,
 * NOMEM with the path in the message. */
int trN_read_file(const char *path, uint8_t **out, size_t *len, troupe_err *err);

#endif
