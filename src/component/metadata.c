/*
 * component/metadata.c: what the actor registry shows beside a component's actor, as
 * one JSON object (troupe_actor_info.metadata): the component id, module reference,
 * version and SHA-256 (once the module is loaded), limits and capabilities. Built when
 * the record is made and again when the first load learns the hash; restarts reuse it.
 */
#include "component/comp.h"


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

/* key (JSON text up to the value) then v in decimal. Built twice per component on a
 * spawn's path (at the record, again with the hash): no snprintf per number. */
static void put_num(buf *b, const char *key, unsigned long long v) {
  puts_(b, key);
  char t[20];
  const char *p = trB_u64_digits(t, v);
  put(b, p, (size_t)(t + sizeof t - p));
}

/* A JSON string: names and patterns are printable, but quote what needs it anyway
 * (base.h: trB_json_plain, trB_json_escape). */
static void put_str(buf *b, const char *s) {
  put(b, "\"", 1);
  for (;;) {
    size_t n = trB_json_plain(s);
    put(b, s, n);
    s += n;
    if (!*s)
      break;
    char e[6];
    put(b, e, trB_json_escape((unsigned char)*s++, e));
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
  /* Room for the usual object at once: growing from nothing took five reallocs. */
  buf b = {.p = trB_malloc(512), .cap = 512};
  if (!b.p)
    return NULL;
  b.p[0] = '\0';
  put_num(&b, "{\"component\":", (unsigned long long)r->id);
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
  put_num(&b, ",\"limits\":{\"memory_pages\":", l->max_memory_pages);
  put_num(&b, ",\"stack_bytes\":", (unsigned long long)l->max_stack_bytes);
  put_num(&b, ",\"call_depth\":", l->max_call_depth);
  put_num(&b, ",\"fuel_slice\":", (unsigned long long)l->fuel_slice);
  put_num(&b, ",\"fuel_per_message\":", (unsigned long long)l->fuel_per_message);
  put_num(&b, ",\"mailbox\":", l->mailbox_bound);
  put_num(&b, ",\"message_bytes\":", l->max_message_bytes);
  puts_(&b, "}");
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
