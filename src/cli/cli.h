/*
 * cli/cli.h: the troupe command's subcommands. Each lives in its own cmd_*.c and uses
 * only the public headers (include/troupe/), as lua.c uses only lua.h.
 * Exit codes are shared: see TR_EXIT_* below and the README.
 */
#ifndef TROUPE_CLI_H
#define TROUPE_CLI_H

#include <stdbool.h>
#include <stdio.h>

enum {
  TR_EXIT_OK = 0,
  TR_EXIT_FAIL = 1,    /* the operation failed (bad input, bad module, ...) */
  TR_EXIT_USAGE = 2,   /* wrong command line */
  TR_EXIT_TRAP = 3,    /* a WebAssembly trap */
  TR_EXIT_IO = 4,      /* a file could not be read or written */
};

typedef struct trL_command {
  const char *name;
  const char *summary;
  int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
} trL_command;

int trL_cmd_codec(int argc, char **argv);
int trL_cmd_wasm(int argc, char **argv);
int trL_cmd_wasm_dump(int argc, char **argv); /* `troupe wasm dump` (cmd_wasm_dump.c) */
int trL_cmd_component(int argc, char **argv);
int trL_cmd_store(int argc, char **argv); /* cmd_store.c */
int trL_cmd_key(int argc, char **argv);   /* cmd_key.c */
int trL_cmd_check(int argc, char **argv); /* `troupe check` (cmd_check.c) */
/* Control of a running node (cmd_ctl*.c, docs/CONTROL.md). */
int trL_cmd_ps(int argc, char **argv);
int trL_cmd_info(int argc, char **argv);
int trL_cmd_send(int argc, char **argv);
int trL_cmd_ask(int argc, char **argv);
int trL_cmd_invoke(int argc, char **argv);
int trL_cmd_spawn(int argc, char **argv);
int trL_cmd_stop(int argc, char **argv);
int trL_cmd_restart(int argc, char **argv);
int trL_cmd_logs(int argc, char **argv);
int trL_cmd_top(int argc, char **argv);
int trL_cmd_trace(int argc, char **argv);
int trL_cmd_upgrade(int argc, char **argv); /* cmd_ctl_ops.c */
int trL_cmd_run(int argc, char **argv);   /* `troupe run` (cmd_run.c) */
int trL_cmd_test(int argc, char **argv); /* `troupe test` (cmd_test.c) */

/* "--help" or "-h". */
bool trL_is_help(const char *arg);
/* `--flag VALUE` or `--flag=VALUE` at argv[*i] (advancing *i past a separate value);
 * NULL when argv[*i] is not this flag. *missing is set when the flag is there but its
 * value is not. */
const char *trL_opt_value(int argc, char **argv, int *i, const char *flag, bool *missing);

/* Print "troupe: <msg>" on stderr (one line). */
void trL_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole stream or file into a malloc'd buffer; NULL on error (message printed). */
unsigned char *trL_read_stream(FILE *f, size_t *len);
unsigned char *trL_read_file(const char *path, size_t *len);

#endif
