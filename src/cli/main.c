/*
 * cli/main.c: the troupe command's entry point: dispatches to a subcommand from the
 * table below, prints the top-level help and the version.
 */
#include "cli.h"

#include <troupe/troupe.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int cmd_version(int argc, char **argv) {
  if (argc > 1 && trL_is_help(argv[1])) {
    fputs("usage: troupe version\n\nPrints troupe's version.\n", stdout);
    return TR_EXIT_OK;
  }
  if (argc > 1) {
    trL_error("version: unexpected '%s'", argv[1]);
    return TR_EXIT_USAGE;
  }
  printf("troupe %s\n", troupe_version());
  return TR_EXIT_OK;
}

static const trL_command commands[] = {
    {"version", "print the version", cmd_version},
    {"codec", "encode, decode and transcode multicodec-prefixed payloads", trL_cmd_codec},
    {"wasm", "run, invoke, validate and dump WebAssembly modules", trL_cmd_wasm},
    {"component", "run a WebAssembly component in a throwaway host", trL_cmd_component},
    {"store", "add, list, show, remove and verify modules in the component store", trL_cmd_store},
    {"key", "make ed25519 keys that sign modules in the store", trL_cmd_key},
    {"check", "check an application manifest (YAML) completely", trL_cmd_check},
    {"ps", "list a running node's components", trL_cmd_ps},
    {"info", "show one component of a running node", trL_cmd_info},
    {"send", "send a message to a component of a running node", trL_cmd_send},
    {"ask", "ask a component of a running node, print the reply", trL_cmd_ask},
    {"invoke", "call an export of a component of a running node", trL_cmd_invoke},
    {"spawn", "start a component in a running node", trL_cmd_spawn},
    {"stop", "stop a component of a running node", trL_cmd_stop},
    {"restart", "restart a component of a running node", trL_cmd_restart},
    {"logs", "a running node's log records; -f follows", trL_cmd_logs},
    {"top", "a running node's components by fuel, messages, memory", trL_cmd_top},
    {"trace", "a traced message chain of a running node (or a log file) as a tree", trL_cmd_trace},
    {"upgrade", "hot-upgrade a component of a running node to another module", trL_cmd_upgrade},
    {"run", "run the application of a manifest in the foreground (a node)", trL_cmd_run},
    {"test", "run scenario files against components, reporting TAP", trL_cmd_test},
};

static void usage(FILE *out) {
  fprintf(out, "usage: troupe <command> [options]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n  troupe <command> --help   options of a command\n"
               "  troupe --version          print the version\n");
}

bool trL_is_help(const char *a) { return !strcmp(a, "--help") || !strcmp(a, "-h"); }

const char *trL_opt_value(int argc, char **argv, int *i, const char *flag, bool *missing) {
  size_t n = strlen(flag);
  if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (strcmp(argv[*i], flag))
    return NULL;
  if (*i + 1 >= argc) {
    *missing = true;
    return NULL;
  }
  return argv[++*i];
}

void trL_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("troupe: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

unsigned char *trL_read_stream(FILE *f, size_t *len) {
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) {
    trL_error("out of memory");
    return NULL;
  }
  for (;;) {
    if (n == cap) {
      unsigned char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        trL_error("input too large: out of memory");
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) {
        free(buf);
        trL_error("read error: %s", strerror(errno));
        return NULL;
      }
      break;
    }
  }
  *len = n;
  return buf;
}

unsigned char *trL_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    trL_error("cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  unsigned char *buf = trL_read_stream(f, len);
  fclose(f);
  return buf;
}

int main(int argc, char **argv) {
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
      !strcmp(argv[1], "help")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? TR_EXIT_USAGE : TR_EXIT_OK;
  }
  if (!strcmp(argv[1], "--version"))
    return cmd_version(argc - 1, argv + 1);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name))
      return commands[i].run(argc - 1, argv + 1);
  trL_error("unknown command '%s' (try 'troupe --help')", argv[1]);
  return TR_EXIT_USAGE;
}
