/*
 * node/admin_sse.c: the admin listener's live parts. GET /api/events is a server-sent
 * event stream of the node's log records from the moment it connects -- lifecycle
 * events (component_started, component_stopped, actor.restarted, health changes,
 * refused capabilities) and the components' own output -- read from the log tap
 * (ctl_tap.c) the way `troupe logs -f` reads it: the tap writes a byte into the stream's
 * pipe after each record, and the stream's thread (libmicrohttpd gives each connection
 * its own) sleeps in poll() on that pipe and the listener's stop pipe. A comment line
 * every 15 s keeps proxies from closing a quiet stream. GET /api/node is the node's
 * own JSON: workers, and the runtime's and broker's counters.
 */
#include "node/admin_int.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "troupe/base.h"

#define KEEPALIVE_MS 15000
#define READ_MAX (64u * 1024) /* records taken from the tap at a time */

typedef struct stream {
  troupe_admin *a;
  uint64_t cursor;
  int wake[2];
  trN_buf pending; /* event text not yet handed to the server */
  size_t off;
} stream;

/* Records (one JSON object per line) into "data: {...}\n\n" events; the last one also
 * carries the tap's cursor after the batch as its id, which a reconnecting browser
 * sends back (Last-Event-ID) so that the stream resumes after it. */
static int frame(stream *s, const trN_buf *lines) {
  if (!lines->len)
    return TROUPE_OK;
  const char *p = lines->p, *end = lines->p + lines->len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    bool last = p + n + 1 >= end;
    char id[40] = "";
    if (last)
      snprintf(id, sizeof id, "id: %llu\n", (unsigned long long)s->cursor);
    if (n && (trN_buf_puts(&s->pending, id) || trN_buf_puts(&s->pending, "data: ") ||
              trN_buf_put(&s->pending, p, n) || trN_buf_puts(&s->pending, "\n\n")))
      return TROUPE_E_NOMEM;
    p += n + 1;
  }
  return TROUPE_OK;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max) {
  (void)pos;
  stream *s = cls;
  for (;;) {
    if (s->off < s->pending.len) {
      size_t n = s->pending.len - s->off < max ? s->pending.len - s->off : max;
      memcpy(buf, s->pending.p + s->off, n);
      s->off += n;
      return (ssize_t)n;
    }
    s->pending.len = s->off = 0;
    trN_buf lines = {0};
    if (trN_tap_read(s->a->ops.tap, &s->cursor, NULL, &lines, READ_MAX, true) ||
        frame(s, &lines)) {
      trN_buf_free(&lines);
      return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    trN_buf_free(&lines);
    if (s->pending.len)
      continue;
    struct pollfd pf[2] = {{.fd = s->wake[0], .events = POLLIN},
                           {.fd = s->a->stop_pipe[0], .events = POLLIN}};
    int r = poll(pf, 2, KEEPALIVE_MS);
    if (pf[1].revents)
      return MHD_CONTENT_READER_END_OF_STREAM; /* the listener stops */
    if (pf[0].revents) {
      char drain[256];
      while (read(s->wake[0], drain, sizeof drain) > 0)
        ;
    } else if (r == 0 && trN_buf_puts(&s->pending, ": keepalive\n\n"))
      return MHD_CONTENT_READER_END_WITH_ERROR;
  }
}

static void stream_free(void *cls) {
  stream *s = cls;
  trN_tap_unwatch(s->a->ops.tap, s->wake[1]);
  close(s->wake[0]);
  close(s->wake[1]);
  trN_buf_free(&s->pending);
  free(s);
}

enum MHD_Result trN_admin_events(troupe_admin *a, struct MHD_Connection *conn) {
  if (!a->ops.tap)
    return trN_admin_error(conn, 501, "UNSUPPORTED", "node '%s' keeps no log", a->ops.node);
  stream *s = calloc(1, sizeof *s);
  if (!s)
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  s->a = a;
  if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK)) {
    free(s);
    return trN_admin_error(conn, 500, "IO", "no pipe for the stream");
  }
  s->cursor = trN_tap_cursor(a->ops.tap, 0); /* from now on */
  const char *last = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Last-Event-ID");
  if (last && *last) { /* a reconnection: on from where it was (the tap reports a gap) */
    char *end;
    unsigned long long v = strtoull(last, &end, 10);
    if (!*end && v <= s->cursor)
      s->cursor = v;
  }
  trN_tap_watch(a->ops.tap, s->wake[1]);
  /* The stream's first bytes: how long a browser waits before it reconnects. */
  if (trN_buf_puts(&s->pending, "retry: 2000\n\n")) {
    stream_free(s);
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  }
  struct MHD_Response *r =
      MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
  if (!r) {
    stream_free(s);
    return MHD_NO;
  }
  MHD_add_response_header(r, "Content-Type", "text/event-stream");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  enum MHD_Result ok = MHD_queue_response(conn, 200, r);
  MHD_destroy_response(r);
  return ok;
}

/* ---- /api/node ---------------------------------------------------------------------- */
enum MHD_Result trN_admin_node(troupe_admin *a, struct MHD_Connection *conn) {
  troupe_host *h = a->ops.host;
  troupe_runtime *rt = troupe_host_runtime(h);
  unsigned nw = troupe_runtime_workers(rt);
  troupe_worker_stats *ws = calloc(nw ? nw : 1, sizeof *ws);
  json_t *o = json_object(), *wa = json_array(), *rs = json_object(), *bs = json_object();
  if (!ws || !o || !wa || !rs || !bs) {
    free(ws);
    json_decref(o);
    json_decref(wa);
    json_decref(rs);
    json_decref(bs);
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  }
  troupe_runtime_worker_stats(rt, ws, nw);
  for (unsigned i = 0; i < nw; i++)
    json_array_append_new(wa, json_pack("{s:I, s:I, s:b}", "parked_ms",
                                        (json_int_t)(ws[i].parked_ns / 1000000u), "queued",
                                        (json_int_t)ws[i].queued, "parked", ws[i].parked));
  free(ws);
  troupe_runtime_stats st;
  troupe_runtime_stats_get(rt, &st);
#define R(f) json_object_set_new(rs, #f, json_integer((json_int_t)st.f))
  R(msgs_sent); R(msgs_received); R(msgs_dropped); R(msgs_rejected); R(asks); R(replies);
  R(ask_timeouts); R(ask_failed); R(late_replies); R(spawned); R(exited); R(crashed);
  R(live); R(timers_fired); R(timers_cancelled); R(steals); R(parks);
#undef R
  troupe_broker_stats b;
  troupe_broker_stats_get(troupe_host_broker(h), &b);
#define B(f) json_object_set_new(bs, #f, json_integer((json_int_t)b.f))
  B(published); B(delivered); B(dropped_full); B(dropped_noproc); B(dropped_other);
  B(subscriptions); B(requests); B(request_timeouts); B(discarded);
#undef B
  troupe_component_id *ids = NULL;
  size_t n = 0;
  troupe_host_list(h, &ids, &n, NULL);
  free(ids);
  json_object_set_new(o, "ok", json_true());
  json_object_set_new(o, "node", json_string(a->ops.node));
  json_object_set_new(o, "version", json_string(troupe_version()));
  json_object_set_new(o, "pid", json_integer(getpid()));
  json_object_set_new(o, "uptime_ms", json_integer((json_int_t)((troupe_clock_mono_ns() -
                                                                 a->ops.started_ns) / 1000000u)));
  json_object_set_new(o, "sample_ns", json_integer((json_int_t)troupe_clock_mono_ns()));
  json_object_set_new(o, "components", json_integer((json_int_t)n));
  json_object_set_new(o, "workers", wa);
  json_object_set_new(o, "runtime", rs);
  json_object_set_new(o, "broker", bs);
  char *s = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (!s)
    return trN_admin_error(conn, 500, "NOMEM", "out of memory");
  enum MHD_Result ok = trN_admin_answer(conn, 200, "application/json", s, strlen(s));
  free(s);
  return ok;
}
