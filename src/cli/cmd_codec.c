/*
 * cli/cmd_codec.c: `troupe codec`: encode, decode and transcode multicodec-prefixed
 * payloads on stdin/stdout. A thin shell over include/troupe/codec.h: bad input gives
 * one error line and TR_EXIT_FAIL, a bad command line TR_EXIT_USAGE.
 */
#include "cli.h"

#include <troupe/troupe.h>

#include <stdlib.h>
#include <string.h>

static const char codec_usage[] =
    "usage: troupe codec <subcommand> [options]   (reads stdin, writes stdout)\n"
    "\n"
    "  encode --codec json|cbor|borsh   check the payload, write prefix + payload\n"
    "  decode [--pretty]                print the codec and the payload (CBOR as JSON\n"
    "                                   where it has a JSON form, else hex; Borsh as hex)\n"
    "  transcode --to json|cbor         convert a prefixed JSON/CBOR message\n"
    "\n"
    "  troupe codec <subcommand> --help\n";

static const char encode_usage[] =
    "usage: troupe codec encode --codec json|cbor|borsh\n"
    "Reads a bare payload from stdin, checks that it is valid for the codec (Borsh is\n"
    "not self-describing and is passed through) and writes the multicodec-prefixed\n"
    "message to stdout.\n";

static const char decode_usage[] =
    "usage: troupe codec decode [--pretty]\n"
    "Reads a prefixed message from stdin, checks the payload against its codec and\n"
    "prints `codec: <name> (0x<code>) ...` then the payload: JSON as is, CBOR as JSON\n"
    "(indented with --pretty) or as hex when it has no exact JSON form, Borsh as hex.\n";

static const char transcode_usage[] =
    "usage: troupe codec transcode --to json|cbor\n"
    "Reads a prefixed JSON or CBOR message from stdin and writes the prefixed message\n"
    "in the target codec. Values without an exact form in the target are refused.\n";

/* Parse `--flag VALUE` / `--flag=VALUE` (the only option forms we take). */
static const char *opt_value(int argc, char **argv, int *i, const char *flag) {
  size_t n = strlen(flag);
  if (!strncmp(argv[*i], flag, n) && argv[*i][n] == '=')
    return argv[*i] + n + 1;
  if (!strcmp(argv[*i], flag)) {
    if (*i + 1 >= argc)
      return NULL;
    return argv[++*i];
  }
  return NULL;
}

static int write_all(const void *p, size_t n) {
  if ((n && fwrite(p, 1, n, stdout) != n) || fflush(stdout)) {
    trL_error("codec: cannot write to stdout");
    return TR_EXIT_IO;
  }
  return TR_EXIT_OK;
}

static void print_hex(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x%s", p[i], (i + 1) % 32 == 0 || i + 1 == n ? "\n" : " ");
  if (n == 0)
    printf("(empty)\n");
}

/* `--NAME value` where value must be one of the codec names in `allowed`. */
static int parse_codec_opt(int argc, char **argv, const char *flag, const char *usage,
                           troupe_codec *out) {
  const char *name = NULL;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(usage, stdout);
      return -1;
    }
    const char *v = opt_value(argc, argv, &i, flag);
    if (!v) {
      trL_error("codec %s: unexpected argument '%s' (try --help)", argv[0], argv[i]);
      return TR_EXIT_USAGE;
    }
    name = v;
  }
  if (!name) {
    trL_error("codec %s: %s json|cbor%s is required", argv[0], flag,
              strcmp(argv[0], "encode") ? "" : "|borsh");
    return TR_EXIT_USAGE;
  }
  troupe_err err;
  if (troupe_codec_from_name(name, out, &err) ||
      (strcmp(argv[0], "encode") && *out == TROUPE_CODEC_BORSH)) {
    trL_error("codec %s: unknown codec '%s' for %s", argv[0], name, flag);
    return TR_EXIT_USAGE;
  }
  return TR_EXIT_OK;
}

/* encode and transcode are the same stdin -> stdout filter around one library call. */
typedef int (*codec_filter)(troupe_codec codec, const void *in, size_t len, uint8_t **out,
                            size_t *out_len, troupe_err *err);

static int encode_filter(troupe_codec codec, const void *in, size_t len, uint8_t **out,
                         size_t *out_len, troupe_err *err) {
  return troupe_codec_encode_alloc(codec, in, len, out, out_len, err);
}

static int transcode_filter(troupe_codec to, const void *in, size_t len, uint8_t **out,
                            size_t *out_len, troupe_err *err) {
  return troupe_codec_transcode(in, len, to, out, out_len, err);
}

static int run_filter(int argc, char **argv, const char *flag, const char *usage,
                      codec_filter filter) {
  troupe_codec codec;
  int rc = parse_codec_opt(argc, argv, flag, usage, &codec);
  if (rc)
    return rc < 0 ? TR_EXIT_OK : rc;
  size_t len;
  unsigned char *in = trL_read_stream(stdin, &len);
  if (!in)
    return TR_EXIT_IO;
  uint8_t *out;
  size_t out_len;
  troupe_err err;
  rc = filter(codec, in, len, &out, &out_len, &err);
  free(in);
  if (rc) {
    trL_error("%s", troupe_err_message(&err));
    return TR_EXIT_FAIL;
  }
  rc = write_all(out, out_len);
  free(out);
  return rc;
}

static int do_encode(int argc, char **argv) {
  return run_filter(argc, argv, "--codec", encode_usage, encode_filter);
}

static int do_transcode(int argc, char **argv) {
  return run_filter(argc, argv, "--to", transcode_usage, transcode_filter);
}

static int print_payload(const troupe_payload *p, bool pretty) {
  printf("codec: %s (0x%x), prefix %zu bytes, payload %zu bytes\n", troupe_codec_name(p->codec),
         (unsigned)p->codec, p->prefix_len, p->len);
  if (p->codec == TROUPE_CODEC_JSON) {
    fwrite(p->data, 1, p->len, stdout);
    if (p->len == 0 || p->data[p->len - 1] != '\n')
      putchar('\n');
  } else if (p->codec == TROUPE_CODEC_CBOR) {
    char *json;
    size_t n;
    troupe_err err;
    if (!troupe_cbor_to_json(p->data, p->len, pretty ? TROUPE_JSON_PRETTY : 0, &json, &n, &err)) {
      printf("%s\n", json);
      free(json);
    } else {
      printf("(no JSON form: %s)\n", troupe_err_message(&err));
      print_hex(p->data, p->len);
    }
  } else {
    print_hex(p->data, p->len);
  }
  return write_all(NULL, 0);
}

static int do_decode(int argc, char **argv) {
  bool pretty = false;
  for (int i = 1; i < argc; i++) {
    if (trL_is_help(argv[i])) {
      fputs(decode_usage, stdout);
      return TR_EXIT_OK;
    }
    if (strcmp(argv[i], "--pretty")) {
      trL_error("codec decode: unexpected argument '%s' (try --help)", argv[i]);
      return TR_EXIT_USAGE;
    }
    pretty = true;
  }
  size_t len;
  unsigned char *in = trL_read_stream(stdin, &len);
  if (!in)
    return TR_EXIT_IO;
  troupe_payload p;
  troupe_err err;
  int rc = troupe_codec_decode(in, len, &p, &err);
  if (rc) {
    trL_error("%s", troupe_err_message(&err));
    free(in);
    return TR_EXIT_FAIL;
  }
  rc = print_payload(&p, pretty);
  free(in);
  return rc;
}

int trL_cmd_codec(int argc, char **argv) {
  if (argc < 2) {
    fputs(codec_usage, stderr);
    return TR_EXIT_USAGE;
  }
  if (trL_is_help(argv[1])) {
    fputs(codec_usage, stdout);
    return TR_EXIT_OK;
  }
  if (!strcmp(argv[1], "encode"))
    return do_encode(argc - 1, argv + 1);
  if (!strcmp(argv[1], "decode"))
    return do_decode(argc - 1, argv + 1);
  if (!strcmp(argv[1], "transcode"))
    return do_transcode(argc - 1, argv + 1);
  trL_error("codec: unknown subcommand '%s' (try 'troupe codec --help')", argv[1]);
  return TR_EXIT_USAGE;
}
