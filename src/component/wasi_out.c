/*
 * component/wasi_out.c: a component's WASI stdout and stderr become log records, one
 * per line, tagged with the component (event component_output, field stream). A line
 * is buffered until its newline; one longer than the buffer is cut into records of the
 * buffer's size; what is left without a newline is flushed when the incarnation ends.
 */
#include "component/comp.h"

static void emit(trP_comp *c, int fd, const char *text, size_t len) {
  char buf[TRP_LINE_MAX + 1];
  memcpy(buf, text, len);
  buf[len] = '\0';
  troupe_log_field f[] = {TROUPE_LOG_STR("stream", fd == 1 ? "stdout" : "stderr"),
                          TROUPE_LOG_STR("line", buf)};
  trP_event(c->host, fd == 1 ? TROUPE_LOG_INFO : TROUPE_LOG_WARN, "component_output", c->rec, f,
            TR_ARRAY_LEN(f));
}

int trP_wasi_write(void *user, int fd, const void *data, size_t len) {
  trP_comp *c = user;
  if (fd != 1 && fd != 2)
    return 0;
  if (!c->line[fd - 1] && !(c->line[fd - 1] = trB_malloc(TRP_LINE_MAX)))
    return 1; /* out of memory: the guest sees EIO */
  char *line = c->line[fd - 1];
  size_t *n = &c->line_len[fd - 1];
  const char *p = data;
  for (size_t i = 0; i < len; i++) {
    if (p[i] == '\n') {
      emit(c, fd, line, *n);
      *n = 0;
      continue;
    }
    if (*n == TRP_LINE_MAX) {
      emit(c, fd, line, *n);
      *n = 0;
    }
    line[(*n)++] = p[i];
  }
  return 0;
}

void trP_wasi_flush(trP_comp *c) {
  for (int fd = 1; fd <= 2; fd++) {
    if (c->line_len[fd - 1]) {
      emit(c, fd, c->line[fd - 1], c->line_len[fd - 1]);
      c->line_len[fd - 1] = 0;
    }
    free(c->line[fd - 1]);
    c->line[fd - 1] = NULL;
  }
}
