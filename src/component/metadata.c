/*
 * component/metadata.c: what the actor registry shows beside a component's actor, as
 * one JSON object (troupe_actor_info.metadata): the component id, module reference,
 * version and SHA-256 (once the module is loaded), limits and capabilities. Built when
 * the record is made and again when the first load learns the hash; restarts reuse it.
 */
#include "component/comp.h"

#include <stdio.h>

typedef struct buf {
  char *p;
  size_t len, cap;
  bool oom;
} buf;

static void put(buf *b, const char *s, size_t n) {
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = (b->cap + n + 1) * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static void putf(buf *b, const char *fmt, unsigned long long v) {
  char t[64];
  int n = snprintf(t, sizeof t, fmt, v);
  put(b, t, (size_t)n);
}

/* A JSON string: names and patterns are printable, but quote what needs it anyway. */
static void put_str(buf *b, const char *s) {
  put(b, "\"", 1);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      char e[2] = {'\\', (char)ch};
      put(b, e, 2);
    } else if (ch < 0x20) {
      putf(b, "\\u%04llx", ch);
    } else
      put(b, s, 1);
  }
  put(b, "\"", 1);
}

static void put_list(buf *b, const char *key, const troupe_pattern_list *l) {
  puts_(b, b->p[b->len - 1] == '{' ? "\"" : ",\"");
  puts_(b, key);
  puts_(b, "\":[");
  for (size_t i = 0; i < l->n; i++) {
    if (i)
      put(b, ",", 1);
    put_str(b, l->v[i]);
  }
  put(b, "]", 1);
}

char *trP_metadata_of(const trP_rec *r) {
  const troupe_component_spec *s = &r->spec->s;
  const troupe_component_limits *l = &s->limits;
  buf b = {0};
  putf(&b, "{\"component\":%llu", (unsigned long long)r->id);
  puts_(&b, ",\"module\":");
  put_str(&b, s->module ? s->module : "(bytes)");
  if (r->version) {
    puts_(&b, ",\"version\":");
    put_str(&b, r->version);
  }
  if (r->mod) {
    char hex[TROUPE_SHA256_HEX];
    troupe_sha256_hex(r->sha256, hex);
    puts_(&b, ",\"sha256\":");
    put_str(&b, hex);
  }
  putf(&b, ",\"limits\":{\"memory_pages\":%llu", l->max_memory_pages);
  putf(&b, ",\"stack_bytes\":%llu", (unsigned long long)l->max_stack_bytes);
  putf(&b, ",\"call_depth\":%llu", l->max_call_depth);
  putf(&b, ",\"fuel_slice\":%llu", (unsigned long long)l->fuel_slice);
  putf(&b, ",\"fuel_per_message\":%llu", (unsigned long long)l->fuel_per_message);
  putf(&b, ",\"mailbox\":%llu", l->mailbox_bound);
  putf(&b, ",\"message_bytes\":%llu}", l->max_message_bytes);
  puts_(&b, ",\"caps\":{");
  put_list(&b, "send_to", &s->caps.send_to);
  put_list(&b, "accept_from", &s->caps.accept_from);
  put_list(&b, "publish", &s->caps.publish);
  put_list(&b, "subscribe", &s->caps.subscribe);
  put_list(&b, "spawn", &s->caps.spawn);
  puts_(&b, "}}");
  if (b.oom) {
    free(b.p);
    return NULL;
  }
  return b.p;
}
