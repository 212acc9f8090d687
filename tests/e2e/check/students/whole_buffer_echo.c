/* A concurrent echo server that writes back its whole buffer instead of the
   n bytes read (the course's conn.Write(buf) for conn.Write(buf[:n])). */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg) {
  int conn = (int)(intptr_t)arg;
  char buf[1024] = {0};
  while (read(conn, buf, sizeof buf) > 0)
    if (send(conn, buf, sizeof buf, MSG_NOSIGNAL) < 0) break; /* the bug: sizeof buf, not n */
  close(conn);
  return NULL;
}

int main(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(8001), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 16) < 0) return 1;
  for (;;) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) continue;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, (void *)(intptr_t)conn) == 0) pthread_detach(t);
    else close(conn);
  }
}
