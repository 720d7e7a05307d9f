/*
 * test_ctl.c - proves lib/ctlsrv.c, the control-socket server both daemons
 * use, over a real Unix socket and a real libuv loop (a client thread does
 * blocking I/O while the test thread runs the loop):
 *  - a request line is executed once, without its line end and JSON prefix,
 *    and answered "RC=0" / "RC=8" plus the body;
 *  - the longest line that fits (LIB_CTL_LINE_MAX - 1 characters and the
 *    line end) is executed whole;
 *  - a longer line, with or without a line end, however long, is refused
 *    whole with one line (JSON: {"error": ...}) and never executed: before,
 *    it was cut at the buffer size and the cut command run;
 *  - a last line without a line end is executed at end of input;
 *  - lib_ctl_operands splits operands at commas and blanks, keeps empty
 *    fields, drops trailing ones, and refuses more than its maximum instead
 *    of writing past the caller's array.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "lib/lib.h"

struct fixture {
	char dir[64], path[96];
	uv_loop_t loop;
	struct lib_ctl *ctl;
	int calls;			/* exec callbacks */
	char last[LIB_CTL_LINE_MAX + 16];
	int last_json;
};

static int
exec_cb(const char *line, int json, struct lib_sbuf *out, void *arg)
{
	struct fixture *f = arg;

	f->calls++;
	lib_strlcpy(f->last, line, sizeof(f->last));
	f->last_json = json;
	if (strcmp(line, "BAD") == 0) {
		lib_sbuf_printf(out, "bad command\n");
		return -1;
	}
	lib_sbuf_printf(out, "ok %zu\n", strlen(line));
	return 0;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	strcpy(f->dir, "/tmp/test_ctl.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/ctl.sock", f->dir);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->ctl = lib_ctl_start(&f->loop, f->path, exec_cb, f, err, sizeof(err));
	if (!f->ctl)
		fail_msg("lib_ctl_start: %s", err);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	lib_ctl_stop(&f->ctl);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ---- a blocking client on its own thread ------------------------------------ */

struct client {
	struct fixture *f;
	const char *req;
	size_t len;
	int shut;			/* shut down writing after the request */
	char reply[4096];
	int done;
	uv_async_t wake;
};

static void *
client_main(void *arg)
{
	struct client *c = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t got = 0;
	ssize_t n;
	int fd;

	lib_strlcpy(sa.sun_path, c->f->path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		/* The server may answer and close before it read everything. */
		n = send(fd, c->req, c->len, MSG_NOSIGNAL);
		(void)n;
		if (c->shut)
			shutdown(fd, SHUT_WR);
		while (got + 1 < sizeof(c->reply) &&
		       (n = read(fd, c->reply + got, sizeof(c->reply) - 1 - got)) > 0)
			got += (size_t)n;
	}
	c->reply[got] = '\0';
	if (fd >= 0)
		close(fd);
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	uv_async_send(&c->wake);
	return NULL;
}

static void
wake_cb(uv_async_t *a)
{
	(void)a;
}

/* Sends req (len bytes) and returns the whole reply. */
static const char *
request(struct fixture *f, struct client *c, const char *req, size_t len, int shut)
{
	pthread_t th;

	memset(c, 0, sizeof(*c));
	c->f = f;
	c->req = req;
	c->len = len;
	c->shut = shut;
	uv_async_init(&f->loop, &c->wake, wake_cb);
	assert_int_equal(pthread_create(&th, NULL, client_main, c), 0);
	while (!__atomic_load_n(&c->done, __ATOMIC_ACQUIRE))
		uv_run(&f->loop, UV_RUN_ONCE);
	pthread_join(th, NULL);
	uv_close((uv_handle_t *)&c->wake, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return c->reply;
}

static char *
line_of(size_t n, char ch, const char *prefix, const char *end)
{
	size_t pl = strlen(prefix), el = strlen(end);
	char *s = malloc(pl + n + el + 1);

	assert_non_null(s);
	memcpy(s, prefix, pl);
	memset(s + pl, ch, n);
	memcpy(s + pl + n, end, el + 1);
	return s;
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- tests ------------------------------------------------------------------ */

static void
test_ordinary_lines(void **state)
{
	struct fixture *f = *state;
	struct client c;

	assert_string_equal(request(f, &c, "HELLO\n", 6, 0), "RC=0\nok 5\n");
	assert_int_equal(f->calls, 1);
	assert_string_equal(f->last, "HELLO");
	assert_int_equal(f->last_json, 0);

	assert_string_equal(request(f, &c, "JSON SHOW\r\n", 11, 0), "RC=0\nok 4\n");
	assert_string_equal(f->last, "SHOW");
	assert_int_equal(f->last_json, 1);

	assert_string_equal(request(f, &c, "BAD\n", 4, 0), "RC=8\nbad command\n");

	/* No line end, then end of input: executed. */
	assert_string_equal(request(f, &c, "EOFLINE", 7, 1), "RC=0\nok 7\n");
	assert_string_equal(f->last, "EOFLINE");
	assert_int_equal(f->calls, 4);
}

static void
test_longest_line_runs_whole(void **state)
{
	struct fixture *f = *state;
	struct client c;
	char *req = line_of(LIB_CTL_LINE_MAX - 1, 'A', "", "\n"), want[32];

	snprintf(want, sizeof(want), "RC=0\nok %d\n", LIB_CTL_LINE_MAX - 1);
	assert_string_equal(request(f, &c, req, strlen(req), 0), want);
	assert_int_equal(f->calls, 1);
	assert_int_equal(strlen(f->last), LIB_CTL_LINE_MAX - 1);
	free(req);
}

static void
test_long_line_refused_whole(void **state)
{
	struct fixture *f = *state;
	static const size_t lens[] = { LIB_CTL_LINE_MAX, LIB_CTL_LINE_MAX + 1, 3000, 100000 };
	struct client c;
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *req = line_of(lens[i], 'B', "", "\n");
		const char *r = request(f, &c, req, strlen(req), 0);

		assert_int_equal(strncmp(r, "RC=8\n", 5), 0);
		assert_non_null(strstr(r, "too long"));
		assert_int_equal(count_lines(r), 2);	/* the status line and one line */
		free(req);
	}
	/* Without a line end at all. */
	{
		char *req = line_of(5000, 'C', "", "");
		const char *r = request(f, &c, req, strlen(req), 1);

		assert_int_equal(strncmp(r, "RC=8\n", 5), 0);
		free(req);
	}
	/* JSON form. */
	{
		char *req = line_of(2000, 'D', "JSON ", "\n");
		const char *r = request(f, &c, req, strlen(req), 0);

		assert_int_equal(strncmp(r, "RC=8\n{\"error\":\"command line too long", 35), 0);
		free(req);
	}
	/* Nothing of it was executed. */
	assert_int_equal(f->calls, 0);
}

static void
test_operands(void **state)
{
	char buf[256], *tok[LIB_CTL_MAX_OPERANDS + 1];
	int n, i;

	(void)state;
	strcpy(buf, "TCPIP,,SYSPLEX,VIPADYN");
	n = lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS);
	assert_int_equal(n, 4);
	assert_string_equal(tok[0], "TCPIP");
	assert_string_equal(tok[1], "");
	assert_string_equal(tok[3], "VIPADYN");

	strcpy(buf, "TCPIP,TCPCS,NETSTAT,VCRT DETAIL  ,,");
	n = lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS);
	assert_int_equal(n, 5);
	assert_string_equal(tok[4], "DETAIL");

	strcpy(buf, "");
	assert_int_equal(lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS), 0);

	/* Exactly the maximum fits; one more is refused, also as blanks. */
	buf[0] = '\0';
	for (i = 0; i < LIB_CTL_MAX_OPERANDS; i++)
		strcat(buf, i ? ",X" : "X");
	assert_int_equal(lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS), LIB_CTL_MAX_OPERANDS);
	buf[0] = '\0';
	for (i = 0; i < LIB_CTL_MAX_OPERANDS + 1; i++)
		strcat(buf, i ? " X" : "X");
	assert_int_equal(lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS), -E2BIG);
	buf[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(buf, ",");
	strcat(buf, "X");
	assert_int_equal(lib_ctl_operands(buf, tok, LIB_CTL_MAX_OPERANDS), -E2BIG);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ordinary_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_line_runs_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_refused_whole, setup, teardown),
		cmocka_unit_test(test_operands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
