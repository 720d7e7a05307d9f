/*
 * test_testsrv.c - proves the HTTP load generator of testsrv/ (load.c)
 * against a scripted server thread on [::1], over real TCP connections:
 *  - the options: defaults, every range bound, unknown names and values
 *    that are not whole numbers are refused;
 *  - every connection is classified as docs/LUA.md says: a 200 with the
 *    whole body is ok (counted for the X-Served-By system), a 404 is failed
 *    "http-status", a RST is reset, EOF before the end of the body is
 *    failed "short-read", a 200 without Content-Length is "no-length", a
 *    server that stops sending is "idle-timeout"; the failed and reset ones
 *    are listed as events with their ports;
 *  - a refused connection is failed "refused" with target "?";
 *  - --pace holds a connection's reading to the pace: 30000 bytes at 20000
 *    bytes/s take at least 1 s (a lower bound only: a slow machine is
 *    slower still).
 * The generator writes its report lines on stdout; the test points fd 1 at
 * a file while it runs and reads the last (final) line.  A --duration of
 * 60 s bounds a failure (the counts then fall short); it is never reached
 * when the generator works.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/lib.h"
#include "testsrv/testsrv.h"

/* ---- options ------------------------------------------------------------------------ */

static void
test_options(void **state)
{
	struct testsrv_load_opts o;

	(void)state;
	testsrv_load_defaults(&o);
	assert_int_equal(o.conns, 4);
	assert_int_equal(o.bytes, 100000);
	assert_int_equal(o.port, 0);
	assert_true(o.connect_to == 5 && o.idle_to == 5);
	assert_int_equal(o.report_ms, 200);

	assert_int_equal(testsrv_load_option(&o, "--connections", "1"), 0);
	assert_int_equal(o.conns, 1);
	assert_int_equal(testsrv_load_option(&o, "--connections", "4096"), 0);
	assert_int_equal(o.conns, 4096);
	assert_int_equal(testsrv_load_option(&o, "--connections", "0"), -1);
	assert_int_equal(testsrv_load_option(&o, "--connections", "4097"), -1);
	assert_int_equal(o.conns, 4096);
	assert_int_equal(testsrv_load_option(&o, "--bytes", "1e15"), 0);
	assert_int_equal(o.bytes, 1000000000000000LL);
	assert_int_equal(testsrv_load_option(&o, "--bytes", "2e15"), -1);
	assert_int_equal(testsrv_load_option(&o, "--port", "65535"), 0);
	assert_int_equal(o.port, 65535);
	assert_int_equal(testsrv_load_option(&o, "--port", "65536"), -1);
	assert_int_equal(testsrv_load_option(&o, "--port", "0"), -1);
	assert_int_equal(testsrv_load_option(&o, "--pace", "2.5"), 0);
	assert_true(o.pace == 2.5);
	assert_int_equal(testsrv_load_option(&o, "--idle-timeout", "0.01"), 0);
	assert_int_equal(testsrv_load_option(&o, "--idle-timeout", "0.001"), -1);
	assert_int_equal(testsrv_load_option(&o, "--report-ms", "9"), -1);
	assert_int_equal(testsrv_load_option(&o, "--report-ms", "60000"), 0);
	assert_int_equal(o.report_ms, 60000);
	assert_int_equal(testsrv_load_option(&o, "--rate", "1x"), -1);
	assert_int_equal(testsrv_load_option(&o, "--rate", ""), -1);
	assert_int_equal(testsrv_load_option(&o, "--dvipa", "1"), -1);
	assert_int_equal(testsrv_load_option(&o, "rate", "1"), -1);
}

/* ---- a scripted server ---------------------------------------------------------------- */

enum mode { M_OK1, M_OK2, M_404, M_RESET, M_SHORT, M_NOLEN, M_STALL, M_BIG };

struct server {
	int lfd;
	unsigned port;
	const enum mode *modes;
	int n;
};

/* Reads the request up to its blank line; 0, or -1 when the client went. */
static int
read_request(int fd)
{
	char buf[4096];
	size_t got = 0;

	while (got < sizeof(buf) - 1) {
		ssize_t r = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);

		if (r <= 0)
			return -1;
		got += (size_t)r;
		buf[got] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			return 0;
	}
	return -1;
}

static void
send_text(int fd, const char *s)
{
	lib_write_all(fd, s, strlen(s));
}

/* Waits until the client closes the connection. */
static void
drain(int fd)
{
	char buf[256];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
}

static void *
server_main(void *arg)
{
	struct server *s = arg;
	static char big[30000];
	char hdr[256];
	int i;

	for (i = 0; i < s->n; i++) {
		int fd = accept(s->lfd, NULL, NULL);
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (fd < 0)
			break;
		if (read_request(fd) < 0) {
			close(fd);
			continue;
		}
		switch (s->modes[i]) {
		case M_OK1:
		case M_OK2:
			snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
				 "X-Served-By: %s\r\n\r\nhello", s->modes[i] == M_OK1 ? "T1" : "T2");
			send_text(fd, hdr);
			drain(fd);
			break;
		case M_404:
			send_text(fd, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n"
				      "X-Served-By: T1\r\n\r\n");
			drain(fd);
			break;
		case M_RESET:
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			break;
		case M_SHORT:
			send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
				      "X-Served-By: T2\r\n\r\n0123456789");
			break;
		case M_NOLEN:
			send_text(fd, "HTTP/1.1 200 OK\r\nX-Served-By: T2\r\n\r\n");
			drain(fd);
			break;
		case M_STALL:
			send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
				      "X-Served-By: T1\r\n\r\n01234");
			drain(fd);
			break;
		case M_BIG:
			snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
				 "X-Served-By: T1\r\n\r\n", sizeof(big));
			send_text(fd, hdr);
			lib_write_all(fd, big, sizeof(big));
			drain(fd);
			break;
		}
		close(fd);
	}
	return NULL;
}

static int
listen_any(unsigned *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin6_port);
	return fd;
}

/* Runs the generator with o against [::1]:o->port; returns its last report
 * line (malloc'd). */
static char *
run_load(const struct testsrv_load_opts *o)
{
	char path[] = "/tmp/test_testsrv.XXXXXX", *text, *last, *nl;
	int fd = mkstemp(path), saved = dup(1);
	FILE *f;
	long n;

	assert_true(fd >= 0 && saved >= 0);
	fflush(stdout);
	assert_true(dup2(fd, 1) == 1);
	assert_int_equal(testsrv_load_run(o, &in6addr_loopback), 0);
	assert_true(dup2(saved, 1) == 1);
	close(saved);
	close(fd);
	f = fopen(path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	unlink(path);
	assert_true(n > 0 && text[n - 1] == '\n');
	text[n - 1] = '\0';
	nl = strrchr(text, '\n');
	last = strdup(nl ? nl + 1 : text);
	free(text);
	return last;
}

#define assert_has(s, sub) \
	do { \
		if (!strstr((s), (sub))) \
			fail_msg("%s\n  lacks %s", (s), (sub)); \
	} while (0)

/* Runs the generator with o against a server answering modes[0..n) in turn,
 * one connection at a time (so the server's order is the generator's);
 * returns the final report line (malloc'd). */
static char *
serve_and_load(const enum mode *modes, int n, struct testsrv_load_opts *o)
{
	struct server s = { .modes = modes, .n = n };
	pthread_t th;
	char *last;

	s.lfd = listen_any(&s.port);
	assert_int_equal(pthread_create(&th, NULL, server_main, &s), 0);
	o->conns = 1;
	o->count = n;
	o->port = s.port;
	o->report_ms = 60000;		/* the final line has every event */
	o->duration = 60;		/* bounds a failure: counts fall short */
	last = run_load(o);
	shutdown(s.lfd, SHUT_RDWR);	/* wakes the server's accept, if it waits */
	pthread_join(th, NULL);
	close(s.lfd);
	return last;
}

static void
test_classifies(void **state)
{
	static const enum mode modes[] = { M_OK1, M_404, M_RESET, M_SHORT, M_OK2, M_NOLEN,
					   M_STALL };
	struct testsrv_load_opts o;
	char *last;

	(void)state;
	testsrv_load_defaults(&o);
	o.idle_to = 0.3;
	last = serve_and_load(modes, (int)LIB_ARRAY_LEN(modes), &o);
	assert_has(last, "\"started\":7,\"ok\":2,\"failed\":4,\"reset\":1,\"active\":0,");
	assert_has(last, "\"abandoned\":0,\"final\":true");
	assert_has(last, "\"T1\":{\"ok\":1,\"failed\":2,\"reset\":0,\"active\":0}");
	assert_has(last, "\"T2\":{\"ok\":1,\"failed\":2,\"reset\":0,\"active\":0}");
	assert_has(last, "\"?\":{\"ok\":0,\"failed\":0,\"reset\":1,\"active\":0}");
	assert_has(last, "\"why\":{\"http-status\":1,\"reset\":1,\"short-read\":1,"
			 "\"no-length\":1,\"idle-timeout\":1}");
	free(last);
}

static void
test_refused(void **state)
{
	struct testsrv_load_opts o;
	unsigned port;
	int fd = listen_any(&port);
	char *last;

	(void)state;
	close(fd);			/* nobody listens on port now */
	testsrv_load_defaults(&o);
	o.conns = 2;
	o.count = 3;
	o.port = port;
	o.report_ms = 60000;		/* the final line has every event */
	last = run_load(&o);
	assert_has(last, "\"started\":3,\"ok\":0,\"failed\":3,\"reset\":0,");
	assert_has(last, "\"?\":{\"ok\":0,\"failed\":3,");
	assert_has(last, "\"why\":{\"refused\":3}");
	assert_has(last, "{\"target\":\"?\",\"why\":\"refused\",");
	free(last);
}

static void
test_pace(void **state)
{
	static const enum mode modes[] = { M_BIG };
	struct testsrv_load_opts o;
	uint64_t t0;
	char *last;

	(void)state;
	testsrv_load_defaults(&o);
	o.pace = 20000;
	t0 = lib_now_ms();
	last = serve_and_load(modes, 1, &o);
	assert_has(last, "\"started\":1,\"ok\":1,\"failed\":0,");
	/* Unpaced: the first read (the header buffer, 4096 bytes) and the first
	 * budget (2000); the other 23904 bytes at 20000 bytes/s take 1.2 s. */
	if (lib_now_ms() - t0 < 1000)
		fail_msg("30000 bytes paced at 20000 bytes/s took %llu ms",
			 (unsigned long long)(lib_now_ms() - t0));
	free(last);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_classifies),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_pace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
