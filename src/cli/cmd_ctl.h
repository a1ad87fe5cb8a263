/*
 * cli/cmd_ctl.h: what the control commands (ps, info, send, ask, invoke, spawn, stop,
 * restart, logs, top; cmd_ctl*.c) share: the options that pick a node (--node,
 * --control-dir, $TROUPE_CONTROL_DIR), --json, and a call that sends one request and
 * turns an error response into one line on stderr and an exit status.
 */
#ifndef TROUPE_CLI_CMD_CTL_H
#define TROUPE_CLI_CMD_CTL_H

#include "cli.h"

#include <troupe/control.h>

#include <jansson.h>

typedef struct trL_ctl {
  const char *op;   /* the command's name, for messages */
  const char *node; /* --node */
  const char *dir;  /* --control-dir */
  bool json;        /* --json */
  troupe_ctl_client *c;
} trL_ctl;

/* The options every control command takes, at argv[*i]: 1 taken (with its value), 0
 * not one of them, -1 a missing value (printed). */
int trL_ctl_common_opt(trL_ctl *o, int argc, char **argv, int *i);
/* Connect (once). Returns an exit status; the error is printed. */
int trL_ctl_open(trL_ctl *o);
/* Send req (taken over) and wait up to timeout_ms (0: forever) for the response. OK:
 * *resp is the response object. Otherwise the error is printed ("troupe: OP: message
 * (NAME)") and the exit status returned: 3 for a trap, 4 when the connection failed,
 * else 1. */
int trL_ctl_request(trL_ctl *o, json_t *req, uint32_t timeout_ms, json_t **resp);
void trL_ctl_close(trL_ctl *o);
/* A JSON object {"op":op} to add fields to. */
json_t *trL_ctl_req(const char *op);
/* Print a JSON value as compact text and a newline. */
void trL_ctl_print_json(const json_t *v);
/* Parse a count option value; prints and returns false when bad. */
bool trL_ctl_count(const char *flag, const char *v, uint64_t max, uint64_t *out);
/* "1.5 MiB", "3m12s" into buf. */
const char *trL_ctl_bytes(uint64_t n, char *buf, size_t cap);
const char *trL_ctl_duration(uint64_t ms, char *buf, size_t cap);

/* The text every control command's --help ends with. */
#define TRL_CTL_COMMON_HELP                                                                \
  "Node selection (every control command):\n"                                             \
  "  --node NAME          the node to talk to (needed when several are running)\n"         \
  "  --control-dir DIR    where the nodes' sockets are (default: $TROUPE_CONTROL_DIR,\n"   \
  "                       else $XDG_RUNTIME_DIR/troupe, else /tmp/troupe-UID)\n"           \
  "  --json               print the node's response as JSON (one line) for scripts\n"      \
  "\n"                                                                                      \
  "Exit status: 0 done; 1 the node refused or the request failed (no such component,\n"  \
  "timeout, no node or several running...); 2 bad command line; 3 a trap in the\n"         \
  "component; 4 the connection to the node failed. Errors are one line on stderr.\n"

#endif
