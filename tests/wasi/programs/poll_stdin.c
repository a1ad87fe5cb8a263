/* tests/wasi/programs/poll_stdin.c: waits for stdin with poll() and a timeout -- one
 * poll_oneoff on stdin and a clock -- and reads what is there with read(2), printing
 * whole lines; a timeout prints "(timeout)". In blocking mode stdin is always ready, so
 * only the suspending-mode driver (test_suspend_programs.c) sees timeouts: it decides,
 * at each wait, whether the input or the timer comes first. */
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
  struct pollfd p = {.fd = 0, .events = POLLIN};
  char line[256], buf[64];
  size_t ll = 0;
  int lines = 0, timeouts = 0;
  for (;;) {
    int r = poll(&p, 1, 250);
    if (r < 0) {
      perror("poll");
      return 1;
    }
    if (r == 0) {
      puts("(timeout)");
      timeouts++;
      continue;
    }
    ssize_t n = read(0, buf, sizeof buf);
    if (n < 0) {
      perror("read");
      return 1;
    }
    if (n == 0) {
      printf("end of input%s\n", p.revents & POLLHUP ? " (hangup)" : "");
      break;
    }
    for (ssize_t i = 0; i < n; i++) {
      if (buf[i] == '\n' || ll == sizeof line) {
        printf("line %d: %.*s\n", ++lines, (int)ll, line);
        ll = 0;
      } else {
        line[ll++] = buf[i];
      }
    }
  }
  if (ll)
    printf("line %d (no newline): %.*s\n", ++lines, (int)ll, line);
  printf("%d lines, %d timeouts\n", lines, timeouts);
  return 0;
}
