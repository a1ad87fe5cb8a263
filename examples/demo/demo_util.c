/*
 * examples/demo/demo_util.c: the plumbing of the demo (demo.h): the step-by-step account
 * on stdout, the host's calls wrapped to take and give JSON text, bounded polling, and
 * the audit file read back line by line. The story itself is demo.c.
 */
#include "demo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the account ------------------------------------------------------------------- */
void demo_step(demo *d, int n, const char *title, const char *why) {
  d->step = n;
  printf("\n== %d. %s\n", n, title);
  if (why)
    printf("   %s\n", why);
  fflush(stdout);
}

static void line(const char *label, const char *fmt, va_list ap) {
  printf("   %-7s ", label);
  vprintf(fmt, ap);
  putchar('\n');
  fflush(stdout);
}

void demo_do(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  line("do", fmt, ap);
  va_end(ap);
}

void demo_expect(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  line("expect", fmt, ap);
  va_end(ap);
}

void demo_note(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  line("", fmt, ap);
  va_end(ap);
}

bool demo_got(demo *d, bool ok, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  printf("   %-7s %s   [%s]\n", "got", text, ok ? "ok" : "NOT AS EXPECTED");
  fflush(stdout);
  if (!ok && !d->failure[0])
    snprintf(d->failure, sizeof d->failure, "%s", text);
  return ok;
}

bool demo_fail(demo *d, const char *fmt, ...) {
  char text[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  printf("   %-7s %s   [FAILED]\n", "got", text);
  fflush(stdout);
  if (!d->failure[0])
    snprintf(d->failure, sizeof d->failure, "%s", text);
  return false;
}

/* ---- payloads ---------------------------------------------------------------------- */
/* JSON text with the JSON multicodec prefix (0x0200 as a varint: 0x80 0x04). */
static uint8_t *json_payload(const char *text, size_t *len) {
  size_t n = strlen(text);
  uint8_t *b = malloc(n + 2);
  if (!b)
    return NULL;
  b[0] = 0x80;
  b[1] = 0x04;
  memcpy(b + 2, text, n);
  *len = n + 2;
  return b;
}

/* The JSON text of a prefixed JSON payload; anything else is shown as hex. */
static char *payload_text(const uint8_t *p, size_t len) {
  if (len == 0)
    return strdup(""); /* an empty result: nothing to show */
  if (len >= 2 && p[0] == 0x80 && p[1] == 0x04)
    return strndup((const char *)p + 2, len - 2);
  char *s = malloc(len * 3 + 16);
  if (!s)
    return NULL;
  size_t k = (size_t)sprintf(s, "(%zu bytes, not JSON:", len);
  for (size_t i = 0; i < len && i < 32; i++)
    k += (size_t)sprintf(s + k, " %02x", p[i]);
  strcpy(s + k, ")");
  return s;
}

/* Hand the result or the error message to the caller as text. */
static int text_out(int rc, const uint8_t *res, size_t len, const troupe_err *err, char **out) {
  if (out)
    *out = rc ? strdup(err->msg[0] ? err->msg : troupe_err_name(rc)) : payload_text(res, len);
  return rc;
}

int demo_invoke_raw(demo *d, troupe_component_id id, const char *fn, const void *args,
                    size_t len, char **out) {
  uint8_t *res = NULL;
  size_t rlen = 0;
  troupe_err err = {0};
  int rc = troupe_host_invoke(d->h, id, fn, args, len, DEMO_CALL_NS, &res, &rlen, &err);
  text_out(rc, res, rlen, &err, out);
  free(res);
  return rc;
}

int demo_invoke(demo *d, troupe_component_id id, const char *fn, const char *json, char **out) {
  size_t len = 0;
  uint8_t *args = json ? json_payload(json, &len) : NULL;
  int rc = demo_invoke_raw(d, id, fn, args, len, out);
  free(args);
  return rc;
}

int demo_ask(demo *d, troupe_component_id id, const char *json, char **out) {
  size_t len = 0;
  uint8_t *q = json_payload(json, &len), *res = NULL;
  size_t rlen = 0;
  troupe_err err = {0};
  int rc = troupe_host_ask(d->h, id, 0, q, len, DEMO_CALL_NS, &res, &rlen, &err);
  text_out(rc, res, rlen, &err, out);
  free(q);
  free(res);
  return rc;
}

int demo_send(demo *d, troupe_component_id id, uint32_t tag, const char *json) {
  size_t len = 0;
  uint8_t *m = json ? json_payload(json, &len) : NULL;
  troupe_err err = {0};
  int rc = troupe_host_send(d->h, id, tag, m, len, &err);
  free(m);
  if (rc)
    demo_fail(d, "send to component %llu: %s", (unsigned long long)id, err.msg);
  return rc;
}

troupe_component_id demo_spawn(demo *d, const troupe_component_spec *spec) {
  troupe_component_id id = 0;
  troupe_err err = {0};
  uint64_t t0 = troupe_clock_mono_ns();
  if (troupe_host_spawn(d->h, spec, &id, &err)) {
    demo_fail(d, "spawn %s (module %s): %s", spec->name, spec->module, err.msg);
    return 0;
  }
  troupe_component_info info;
  if (!demo_info(d, id, &info))
    return 0;
  printf("   %-12s id %-3llu module %-10s sha256 %.12s...  %-6s in %.1f ms\n", info.name,
         (unsigned long long)id, info.module_ref, info.sha256,
         troupe_component_state_name(info.state), demo_ms_since(t0));
  fflush(stdout);
  troupe_component_info_clear(&info);
  return id;
}

bool demo_info(demo *d, troupe_component_id id, troupe_component_info *out) {
  troupe_err err = {0};
  if (troupe_host_info(d->h, id, out, &err))
    return demo_fail(d, "info of component %llu: %s", (unsigned long long)id, err.msg);
  return true;
}

/* ---- time and waiting ---------------------------------------------------------------- */
void demo_sleep_ms(unsigned ms) {
  struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

double demo_ms_since(uint64_t t0_ns) {
  return (double)(troupe_clock_mono_ns() - t0_ns) / 1e6;
}

bool demo_wait(demo *d, bool (*cond)(demo *, void *), void *arg) {
  uint64_t deadline = troupe_clock_mono_ns() + TROUPE_MS(DEMO_WAIT_MS);
  while (!cond(d, arg)) {
    if (troupe_clock_mono_ns() > deadline)
      return cond(d, arg);
    demo_sleep_ms(2);
  }
  return true;
}

bool demo_cond_restarted_ready(demo *d, void *arg) {
  demo_restart_arg *a = arg;
  troupe_component_info info;
  if (troupe_host_info(d->h, a->id, &info, NULL))
    return false;
  bool ok = info.restarts >= a->restarts && info.state == TROUPE_COMPONENT_READY;
  troupe_component_info_clear(&info);
  return ok;
}

/* ---- the audit file ------------------------------------------------------------------ */
const char *demo_audit_name(char *buf, size_t cap, const char *name) {
  snprintf(buf, cap, "\"name\":\"%s\"", name);
  return buf;
}

size_t demo_audit_count(demo *d, bool show, const char *needle, ...) {
  FILE *f = fopen(d->audit, "r");
  if (!f)
    return 0;
  const char *needles[8];
  size_t nn = 0;
  va_list ap;
  va_start(ap, needle);
  for (const char *s = needle; s && nn < sizeof needles / sizeof needles[0];
       s = va_arg(ap, const char *))
    needles[nn++] = s;
  va_end(ap);

  size_t found = 0, cap = 0;
  char *buf = NULL;
  ssize_t len;
  while ((len = getline(&buf, &cap, f)) > 0) {
    bool all = true;
    for (size_t i = 0; i < nn && all; i++)
      all = strstr(buf, needles[i]) != NULL;
    if (!all)
      continue;
    found++;
    if (show) {
      if (buf[len - 1] == '\n')
        buf[len - 1] = '\0';
      printf("           audit: %s\n", buf);
    }
  }
  free(buf);
  fclose(f);
  fflush(stdout);
  return found;
}

size_t demo_audit_lines(demo *d) {
  FILE *f = fopen(d->audit, "r");
  size_t n = 0;
  int ch;
  while (f && (ch = getc(f)) != EOF)
    n += ch == '\n';
  if (f)
    fclose(f);
  return n;
}

size_t demo_audit_names(demo *d, size_t from, const char *needle, char *out, size_t cap) {
  FILE *f = fopen(d->audit, "r");
  size_t lineno = 0, found = 0, k = 0, bufcap = 0;
  char *buf = NULL;
  out[0] = '\0';
  while (f && getline(&buf, &bufcap, f) > 0) {
    if (lineno++ < from || !strstr(buf, needle))
      continue;
    const char *name = strstr(buf, "\"name\":\"");
    if (!name)
      continue;
    name += 8;
    int len = (int)strcspn(name, "\"");
    int n = snprintf(out + k, cap - k, "%s%.*s", found ? " " : "", len, name);
    if (n < 0 || (size_t)n >= cap - k)
      break;
    k += (size_t)n;
    found++;
  }
  free(buf);
  if (f)
    fclose(f);
  return found;
}
